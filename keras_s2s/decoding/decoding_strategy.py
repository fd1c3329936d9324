"""Base class of the decoding strategies and the `get` lookup."""

import copy

import keras
import numpy as np
import tensorflow as tf

_REGISTRY = {}


class DecodingStrategy:
    """Base class of a decoding strategy driven by `dynamic_decode`.

    A strategy never sees a model, only the logits a step function produced
    (keras-hub sampler style). `dynamic_decode` owns the single graph loop,
    the id / attention buffers, [END] bookkeeping and early stopping; a
    strategy implements three small hooks:

    - `initialize(batch_size, initial_state, memory)` →
      `(state, memory, num_rows, loop_state)`: expand the batch of `B`
      sentences to the `N` decoding rows (beam search tiles `B → B*K`).
    - `step(t, logits, finished, loop_state, end_id)` →
      `(token_ids, parent_ids, loop_state)`: choose the token of every row
      from the `(N, V)` logits of step `t`; `parent_ids` `(N,)` (or `None`)
      says which row each new row continues, and the loop reorders the
      decoder state and the histories by it.
    - `finalize(ids, attention, finished, loop_state, batch_size)` → the
      output dict `{"ids", "scores", "attention"}`.

    `loop_state` is a nested structure of tensors carried through the loop;
    tensors of rank >= 1 may change their leading dimension only.

    Strategies are configured by plain Python values: `get_config()` /
    `from_config()` round-trip them, and `keras_s2s.decoding.get` accepts an
    instance, a name (`"greedy"`, `"beam"`, `"sampling"`) or a config dict.
    Calling a strategy runs `dynamic_decode` with it.
    """

    #: Names accepted by `keras_s2s.decoding.get` (lower case).
    aliases = ()

    #: Set to True by a strategy whose `step` returns `parent_ids` (beam
    #: search). `dynamic_decode` then tracks, per hypothesis and step, the row
    #: that computed its attention (`(N, max_length)` ints) and gathers the
    #: attention history once at the end, instead of reordering the whole
    #: `(N, max_length, S)` history at every step. A strategy that returns
    #: parents without setting it still decodes correctly, only slower.
    reorders_rows = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in (cls.__name__,) + tuple(cls.aliases):
            _REGISTRY[name.lower()] = cls

    def __call__(self, step_fn, initial_state, memory, max_length=None, **kwargs):
        """Decode with this strategy; see `keras_s2s.decoding.dynamic_decode`."""
        from keras_s2s.decoding.dynamic_decode import dynamic_decode

        return dynamic_decode(step_fn, initial_state, memory, self, max_length=max_length, **kwargs)

    def initialize(self, batch_size, initial_state, memory):
        """Default: one decoding row per sentence, a zero running score."""
        loop_state = {"scores": tf.zeros([batch_size], tf.float32)}  # (B,)
        return initial_state, memory, batch_size, loop_state

    def step(self, t, logits, finished, loop_state, end_id):
        """Choose the tokens of step `t` (subclasses implement this).

        Args:
            t: scalar int32, the step (0 for the first token).
            logits: `(N, V)` float32, the step function's logits.
            finished: `(N,)` bool, rows that emitted [END] before this step
                (whatever is chosen for them is written as 0).
            loop_state: the strategy's nested tensors from the previous step.
            end_id: the [END] id.

        Returns:
            `(token_ids (N,) int32, parent_ids (N,) int32 or None,
            loop_state)`.
        """
        raise NotImplementedError

    def finalize(self, ids, attention, finished, loop_state, batch_size):
        """Build the output dict from the `(N, L)` / `(N, L, S)` histories.

        Default: the rows are the sentences and `loop_state["scores"]` the
        scores.
        """
        return {"ids": ids, "scores": loop_state["scores"], "attention": attention}

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # --- compiled decodes ---------------------------------------------
    def call_inputs(self):
        """Settings a compiled decode takes as int64 tensor inputs, not as
        part of its trace (the sampling seed): `{name: int}`.

        `trace_key()` leaves them out, so one traced function serves every
        value; `with_call_inputs` gives the strategy that reads the tensors.
        """
        return {}

    def with_call_inputs(self, tensors):
        """A copy whose `call_inputs` settings are the given scalar tensors."""
        bound = copy.copy(self)
        for name, tensor in tensors.items():
            setattr(bound, name, tensor)
        return bound

    def trace_key(self):
        """What a compiled decode is traced for: the config minus `call_inputs`."""
        inputs = self.call_inputs()
        config = {k: ("<input>" if k in inputs else v) for k, v in self.get_config().items()}
        return type(self).__name__, repr(sorted(config.items()))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash((type(self).__name__, tuple(sorted(self.get_config().items()))))


def get(identifier):
    """Return a `DecodingStrategy` from an instance, a name or a config dict.

    Args:
        identifier: a `DecodingStrategy` instance (returned as is) or class
            (instantiated with defaults); a name: `"greedy"`, `"beam"`,
            `"sampling"` (or the class name, any case); a config dict, either
            Keras style `{"class_name": "BeamSearch", "config": {...}}` (as
            written by `keras.saving.serialize_keras_object`) or flat
            `{"name": "beam", "beam_size": 8}`; or `None` for `GreedySearch()`.

    Returns:
        A `DecodingStrategy` instance.

    Raises:
        ValueError: for an unknown name or an uninterpretable identifier.
    """
    if identifier is None:
        identifier = "greedy"
    if isinstance(identifier, DecodingStrategy):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, DecodingStrategy):
        return identifier()
    if isinstance(identifier, str):
        return _lookup(identifier, identifier)()
    if isinstance(identifier, dict):
        config = dict(identifier)
        name = config.pop("class_name", None) or config.pop("name", None)
        if isinstance(name, str):
            config.pop("module", None)
            config.pop("registered_name", None)
            if "config" in config:
                config = dict(config.pop("config") or {})
            return _lookup(name.split(">")[-1], identifier).from_config(config)
    raise ValueError(
        "Could not interpret the decoding strategy: expected a DecodingStrategy, "
        f"a name or a config dict. Received: strategy={identifier!r}"
    )


def _lookup(name, identifier):
    cls = _REGISTRY.get(name.lower())
    if cls is None:
        names = sorted(a for c in set(_REGISTRY.values()) for a in c.aliases)
        raise ValueError(
            f"Unknown decoding strategy {name!r}. Expected one of {names}. Received: strategy={identifier!r}"
        )
    return cls


def serializable(cls):
    """Register a strategy class with Keras under the `keras_s2s` package."""
    return keras.saving.register_keras_serializable(package="keras_s2s")(cls)


def tile_rows(x, multiplier):
    """Repeat every row `multiplier` times consecutively.

    `(B, ...)` → `(B * multiplier, ...)`, rows `b*m .. b*m + m - 1` equal
    `x[b]`. Built from expand_dims / broadcast_to / reshape (TFLite builtins).
    """
    x = tf.convert_to_tensor(x)
    shape = tf.shape(x)  # (rank,)
    expanded = tf.expand_dims(x, 1)  # (B, 1, ...)
    target = tf.concat([shape[:1], [multiplier], shape[1:]], axis=0)
    tiled = tf.broadcast_to(expanded, target)  # (B, m, ...)
    new_shape = tf.concat([shape[:1] * multiplier, shape[1:]], axis=0)
    return tf.reshape(tiled, new_shape)  # (B*m, ...)


def take_along_rows(values, indices):
    """`values[n, indices[n]]` for `values` `(N, V)` and `indices` `(N,)`."""
    picked = tf.gather(values, tf.expand_dims(indices, 1), batch_dims=1)  # (N, 1)
    return picked[:, 0]  # (N,)


def validate_positive_int(name, value, allow_none=False):
    """Return `value` as an int; Keras-style ValueError unless it is >= 1."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"`{name}` must be an integer. Received: {name}={value!r}")
    if value < 1:
        raise ValueError(f"`{name}` must be >= 1. Received: {name}={value!r}")
    return int(value)
