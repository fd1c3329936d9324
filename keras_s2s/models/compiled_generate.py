"""The compiled decode behind `EncoderDecoderModel.generate`, one per backend.

The decode itself (`EncoderDecoderModel._generate`: encoder, then
`keras_s2s.decoding.dynamic_decode`) is written once in `keras.ops`; only
how it is compiled and called depends on the backend, and lives here. Each
branch imports its backend inside the function that needs it (never at
import time), so importing `keras_s2s.models` under JAX or PyTorch imports
no TensorFlow; tests/test_architecture.py allows backend imports in this
module only.

- TensorFlow: a `tf.function` per strategy trace key (and XLA choice) with
  a `(None, None)` input signature, traced once; `strategy.call_inputs()`
  (the sampling seed) are int64 inputs, so a new seed reuses the trace.
- JAX: a `jax.jit` of a stateless decode (the model's variables are inputs,
  through `keras.StatelessScope`, so training after a call is seen), one
  compilation per source shape `(B, S)` and `max_length`; the loop keeps
  `max_length` steps (static shapes) and the result is cut to the steps run
  afterwards (`decoding.dynamic_decode(fixed_length=True)`). Always XLA.
- PyTorch: the eager decode (a Python loop) under `torch.no_grad()`.
"""

import keras

from keras_s2s.decoding.dynamic_decode import slice_steps


def in_tf_graph():
    """Whether we are tracing a TensorFlow graph (generate inside a user's `tf.function`)."""
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return not tf.executing_eagerly()


def generate(model, strategy, source_ids, max_length, jit_compile=False, return_attention=True):
    """Runs `model._generate` compiled for the backend (see the module docstring).

    Args:
        model: an `EncoderDecoderModel`.
        strategy: a `DecodingStrategy`.
        source_ids: int32 `(B, S)` backend tensor.
        max_length: int or None (`2 * S + 10`).
        jit_compile: XLA for the TensorFlow decode (JAX always compiles).
        return_attention: False: no attention history (`"attention"` `(B, L, 0)`).

    Returns:
        The output dict of `generate`.
    """
    inputs = strategy.call_inputs()
    values = [inputs[name] for name in sorted(inputs)]
    return _CALLERS[keras.backend.backend()](
        function(model, strategy, jit_compile, return_attention), source_ids, max_length, values
    )


def function(model, strategy, jit_compile=False, return_attention=True):
    """The compiled decode of `strategy` (cached on the model; a `tf.function` under TensorFlow)."""
    backend = keras.backend.backend()
    cache = model.__dict__.setdefault("_generate_functions", {})  # untracked by Keras
    key = (strategy.trace_key(), bool(jit_compile), bool(return_attention))
    if key not in cache:
        cache[key] = _BUILDERS[backend](model, strategy, bool(jit_compile), bool(return_attention))
    return cache[key]


def default_max_length(source_ids):
    """`2 * S + 10` for `(B, S)` source ids (an int when S is static)."""
    return 2 * keras.ops.shape(source_ids)[1] + 10


def _tensorflow(model, strategy, jit_compile, return_attention):
    import tensorflow as tf

    names = sorted(strategy.call_inputs())

    def run(ids, n, *values):
        # n = 0 stands for the default max_length, computed in the graph: computing
        # it eagerly costs three eager ops (~0.1 ms) per call.
        bound = strategy.with_call_inputs(dict(zip(names, values)))
        max_length = tf.where(n > 0, n, default_max_length_tensor(ids))
        return model._generate(ids, max_length, bound, return_attention=return_attention)

    return tf.function(
        run,
        input_signature=[
            tf.TensorSpec((None, None), tf.int32),
            tf.TensorSpec((), tf.int32),
            *[tf.TensorSpec((), tf.int64) for _ in names],
        ],
        reduce_retracing=True,
        jit_compile=jit_compile,
        autograph=False,
    )


def _call_tensorflow(function, source_ids, max_length, values):
    import tensorflow as tf

    return function(source_ids, max_length or 0, *[tf.constant(v, tf.int64) for v in values])


def default_max_length_tensor(source_ids):
    """`2 * S + 10` as a scalar int32 TensorFlow tensor (the tf.function's default)."""
    import tensorflow as tf

    return 2 * tf.shape(source_ids)[1] + 10


def _jax(model, strategy, jit_compile, return_attention):
    import jax
    import jax.numpy as jnp

    names = sorted(strategy.call_inputs())

    def run(trainable, non_trainable, ids, values, max_length):
        mapping = list(zip(model.trainable_variables, trainable))
        mapping += list(zip(model.non_trainable_variables, non_trainable))
        with keras.StatelessScope(state_mapping=mapping):
            bound = strategy.with_call_inputs(dict(zip(names, values)))
            return model._generate(
                ids, max_length, bound, fixed_length=True, return_attention=return_attention
            )

    jitted = jax.jit(run, static_argnums=(4,))

    def call(source_ids, max_length, values):
        out = jitted(
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            source_ids,
            [jnp.asarray(v, jnp.int32) for v in values],
            int(max_length or default_max_length(source_ids)),
        )
        return slice_steps(out)  # eager: L becomes a shape

    return call


def _torch(model, strategy, jit_compile, return_attention):
    import torch

    names = sorted(strategy.call_inputs())

    def call(source_ids, max_length, values):
        with torch.no_grad():
            bound = strategy.with_call_inputs(dict(zip(names, values)))
            max_length = max_length or default_max_length(source_ids)
            return model._generate(source_ids, max_length, bound, return_attention=return_attention)

    return call


def _call_built(function, source_ids, max_length, values):
    return function(source_ids, max_length, values)


_BUILDERS = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}
_CALLERS = {"tensorflow": _call_tensorflow, "jax": _call_built, "torch": _call_built}
