"""The few decoding operations that `keras.ops` does not give on every backend.

Everything else in `keras_s2s.decoding` is written once, in `keras.ops`.
Each function here has one branch per Keras backend and imports that
backend inside the branch (never at import time), so importing
`keras_s2s.decoding` under JAX or PyTorch imports no TensorFlow, and under
TensorFlow creates no tensor before `tf.distribute` is configured.
tests/test_architecture.py allows backend imports in this module only.

- `while_loop`: under TensorFlow `tf.while_loop` with shape invariants,
  which `keras.ops.while_loop` cannot declare: the row dimension of a loop
  variable may lose its static size in the body (beam search's gathers and
  reshapes), an axis of static size 0 may grow (a cache extended by one
  position a step), and an attention buffer whose width the caller did not
  give grows from 0 to the source length at the first step. The traced graph is
  the one the LiteRT and SavedModel exports were built and tested on. JAX
  (`lax.while_loop`) needs fixed shapes: a caller there always knows the
  width (`attention_width`). PyTorch: a Python loop.
- `fixed_shapes`: whether every loop variable must keep its shape (JAX,
  and a TensorFlow graph that XLA compiles). Elsewhere the decode may
  shrink its batch as sentences finish (`can_drop_rows`) and a decoder's
  state may grow along an axis that starts empty (a Transformer's key/value
  cache, `(N, H, 0, k)` before the first step).
- `true_indices`: `nonzero` of a mask, with TFLite builtins; `take_rows`:
  a row gather without `keras.ops.take`'s negative-index ops.
- `static_value`: the value of a tensor when it is known without running a
  graph (checks of `max_length`).
- `sampling_seed`, `categorical`: stateless seeded draws. TensorFlow keeps
  its stateless ops (`stateless_fold_in`, `stateless_categorical`: the
  SavedModel samples in TF Serving); JAX folds the step into a threefry
  key; PyTorch seeds a `torch.Generator` per step. Equal seeds give equal
  draws on one backend; the streams differ between backends.
"""

import random

import keras
import numpy as np
from keras import ops

SEED_MODULUS = 2**31 - 1  # seeds are folded into [0, 2**31 - 1): int32 everywhere


def name():
    """The Keras backend: `"tensorflow"`, `"jax"` or `"torch"`."""
    return keras.backend.backend()


def fixed_shapes():
    """Whether a decode loop's variables must keep their shapes.

    True under JAX and in a TensorFlow graph that XLA compiles
    (`jit_compile=True`); False in a plain TensorFlow graph (the SavedModel
    and LiteRT exports) and under PyTorch.
    """
    if name() == "jax":
        return True
    if name() == "tensorflow":
        import tensorflow as tf
        from tensorflow.python.ops import control_flow_util  # no public test for an XLA graph

        return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())
    return False


def can_drop_rows():
    """Whether a decode may drop rows while it runs (the row count shrinks):
    wherever loop shapes may change (`fixed_shapes`)."""
    return not fixed_shapes()


def take_rows(x, indices):
    """`x[indices]` along axis 0, for indices known to be in `[0, len(x))`.

    `keras.ops.take` also wraps negative indices (five more ops per call
    under TensorFlow); a decoding step takes rows a dozen times, and at
    batch 1 the op count is its cost.
    """
    if name() == "tensorflow":
        import tensorflow as tf

        return tf.gather(x, indices, axis=0)
    return ops.take(x, indices, axis=0)


def top_k(x, k):
    """`keras.ops.top_k(x, k)` with ties to the lower index on every backend.

    TensorFlow's and JAX's `top_k` put the lower index first among equal
    values; PyTorch's `topk` does not promise an order, so there the `k`
    largest come from a stable descending sort (the rows the strategies rank
    are narrow: chunk maxima, candidates, beams).

    Returns:
        `(values, indices)`, `(..., k)` each.
    """
    if name() == "torch":
        import torch

        values, indices = torch.sort(ops.convert_to_tensor(x), dim=-1, descending=True, stable=True)
        return values[..., :k], indices[..., :k]
    return ops.top_k(x, k=k)


def true_indices(mask):
    """The positions of the True entries of a `(N,)` bool mask, `(M,)` int32.

    `keras.ops.nonzero` unstacks TensorFlow's `(M, 1)` int64 indices, and
    TFLite has no builtin UNPACK for int64: a reshape (WHERE, RESHAPE, CAST).
    """
    if name() == "tensorflow":
        import tensorflow as tf

        return tf.cast(tf.reshape(tf.where(mask), [-1]), tf.int32)
    return ops.cast(ops.nonzero(mask)[0], "int32")


def while_loop(cond, body, loop_vars, growing=()):
    """`keras.ops.while_loop`, with TensorFlow's relaxed shape invariants.

    Args:
        cond, body: as `keras.ops.while_loop` (positional loop variables).
        loop_vars: a tuple of nested structures of tensors.
        growing: positions in `loop_vars` of tensors whose every dimension
            may change inside the loop (a growing buffer; not under JAX).

    Returns:
        The final loop variables, a tuple.
    """
    if name() == "tensorflow":
        import tensorflow as tf

        # The leading (row) dimension may change its static shape in the body;
        # a growing buffer may change every dimension.
        invariants = [tf.nest.map_structure(_relaxed_shape, v) for v in loop_vars]
        for i in growing:
            invariants[i] = tf.TensorShape([None] * loop_vars[i].shape.rank)
        return tuple(tf.while_loop(cond, body, loop_vars, shape_invariants=tuple(invariants)))
    if growing and name() == "jax":
        raise ValueError(f"A loop variable cannot change its shape on the {name()} backend.")
    return tuple(ops.while_loop(cond, body, loop_vars))


def _relaxed_shape(tensor):
    """TensorFlow loop-invariant shape: the leading (row) dimension may change,
    and so may every axis of static size 0 (an empty cache that grows)."""
    import tensorflow as tf

    shape = tensor.shape
    if shape.rank is None or shape.rank == 0:
        return shape
    return tf.TensorShape([None] + [None if size == 0 else size for size in shape[1:]])


def attention_width(step_fn, token_ids, state, memory):
    """The width `S` of `step_fn`'s attention, found without running it (JAX).

    `jax.eval_shape` traces the step on abstract values; 0 when the step
    returns no attention.
    """
    import jax

    spec = jax.eval_shape(lambda *args: step_fn(*args)[2], token_ids, state, memory)
    return 0 if spec is None else int(spec.shape[-1])


def static_value(x):
    """The value of `x` as a NumPy array, or None when it is not known yet
    (a symbolic TensorFlow tensor, a JAX tracer)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return np.asarray(x)
    if name() == "tensorflow":
        import tensorflow as tf

        if isinstance(x, tf.Variable):
            return x.numpy() if tf.executing_eagerly() else None
        return tf.get_static_value(x)
    try:
        return np.asarray(ops.convert_to_numpy(x))
    except Exception:  # a tracer: known only when the compiled function runs
        return None


def is_tensor(x):
    """A backend tensor, a Keras or TensorFlow variable, or a NumPy array."""
    if isinstance(x, (np.ndarray, keras.Variable)) or ops.is_tensor(x):
        return True
    if name() == "tensorflow":
        import tensorflow as tf

        return isinstance(x, tf.Variable)
    return False


def sampling_seed(seed):
    """The `(2,)` int32 stateless seed of one decode.

    Args:
        seed: None (a fresh random seed), an int, or a scalar int tensor (a
            compiled decode's input, already in `[0, 2**31 - 1)` off
            TensorFlow).
    """
    if name() == "tensorflow":
        import tensorflow as tf

        if seed is None:
            return tf.random.uniform([2], maxval=SEED_MODULUS, dtype=tf.int32)  # (2,)
        # an int, or a scalar int64 tensor in a compiled decode
        folded = tf.math.floormod(tf.cast(seed, tf.int64), SEED_MODULUS)  # ()
        return tf.stack([tf.cast(folded, tf.int32), 0])  # (2,)
    if seed is None:
        seed = random.randrange(SEED_MODULUS)
    if isinstance(seed, (int, np.integer)):
        seed = int(seed) % SEED_MODULUS
    seed = ops.cast(ops.reshape(ops.convert_to_tensor(seed), ()), "int32")
    return ops.stack([seed, ops.zeros_like(seed)])  # (2,)


def categorical(logits, seed, t):
    """One token per row drawn from `softmax(logits)`, seeded by `(seed, t)`.

    Args:
        logits: `(N, V)` float32; `-inf` logits are never drawn.
        seed: `(2,)` int32, from `sampling_seed`.
        t: scalar int32, the step.

    Returns:
        `(N,)` int32.
    """
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        step_seed = tf.random.experimental.stateless_fold_in(seed, t)  # (2,)
        return tf.random.stateless_categorical(logits, 1, seed=step_seed, dtype=tf.int32)[:, 0]  # (N,)
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        key = jax.random.wrap_key_data(jnp.asarray(seed).astype(jnp.uint32), impl="threefry2x32")
        key = jax.random.fold_in(key, jnp.asarray(t).astype(jnp.uint32))
        return jax.random.categorical(key, logits, axis=-1).astype(jnp.int32)  # (N,)
    if backend == "torch":
        import torch

        generator = torch.Generator(device=logits.device)
        # The CPU generator (MT19937) reads only the low 32 bits of its seed:
        # mix (seed, t) into them, so that both the seed and the step count.
        mixed = np.random.SeedSequence([int(seed[0]), int(t)]).generate_state(1, np.uint64)[0]
        generator.manual_seed(int(mixed))
        probs = torch.softmax(logits.float(), dim=-1)  # (N, V)
        if probs.shape[0] == 0:
            return torch.zeros((0,), dtype=torch.int32, device=logits.device)
        return torch.multinomial(probs, 1, generator=generator)[:, 0].to(torch.int32)  # (N,)
    raise ValueError(
        f"Sampling supports the tensorflow, jax and torch backends. Received: backend={backend!r}"
    )
