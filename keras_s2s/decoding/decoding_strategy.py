"""`DecodingStrategy`: the base class every decoding strategy subclasses.

It holds the three hooks `dynamic_decode` calls, the config round trip and
the compiled-decode inputs; nothing else. The names a strategy is found by
live in `registry.py`, the row helpers in `row_ops.py`, argument checks in
`validation.py`. This module imports no other decoding module (so
`dynamic_decode` can import it without a cycle), no model and no layer.
"""

import copy

import keras
from keras import ops


class DecodingStrategy:
    """Base class of a decoding strategy driven by `dynamic_decode`.

    A strategy never sees a model, only the logits a step function produced
    (keras-hub sampler style). `dynamic_decode` owns the single graph loop,
    the id / attention buffers, [END] bookkeeping, early stopping and the
    dropping of finished sentences; a
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

    Before `step`, `process_logits(t, logits, end_id)` lets the base class
    apply what every strategy shares: `min_length` (no [END] while fewer
    than `min_length` tokens were generated: its logit is -inf, so the
    others renormalize). A strategy that sets `needs_attention = True`
    (beam search with a coverage penalty) gets `attention_size=` in
    `initialize` and the step's attention weights `(N, S)` as
    `step(..., attention=...)`.

    `loop_state` is a nested structure of tensors carried through the loop;
    tensors of rank >= 1 may change their leading dimension only (under JAX
    nothing may change shape or dtype). Hooks are written in `keras.ops`, so
    a strategy runs on every Keras backend.

    Strategies are configured by plain Python values: `get_config()` /
    `from_config()` round-trip them, and `keras_s2s.decoding.get` accepts an
    instance, a registered name (`"greedy"`, `"beam"`, `"sampling"`; see
    `keras_s2s.decoding.register` for your own) or a config dict. Run one
    with `keras_s2s.decoding.dynamic_decode(step_fn, state, memory, strategy)`.
    """

    #: Set to True by a strategy whose `step` returns `parent_ids` (beam
    #: search). `dynamic_decode` then tracks, per hypothesis and step, the row
    #: that computed its attention (`(N, max_length)` ints) and gathers the
    #: attention history once at the end, instead of reordering the whole
    #: `(N, max_length, S)` history at every step. A strategy that returns
    #: parents without setting it still decodes correctly, only slower.
    reorders_rows = False

    #: Set to True by a strategy whose rows may leave the decode once
    #: `rows_done` (row_retirement.py): every `loop_state` tensor is per row
    #: `(N, ...)`, and a row's choices depend on its own (and its sentence's)
    #: rows only, not on its position in the batch. Sampling's seeded draw
    #: depends on the position, so it keeps every row.
    drops_finished_rows = False

    #: Set to True by a strategy whose rows of a sentence are copies of one
    #: row until its first `step` (beam search). Where rows may leave and the
    #: step function reads the memory per sentence, `dynamic_decode` then runs
    #: step 0 on that one row: `initialize(..., expand_at_first_step=True)`
    #: keeps the `B` sentences' rows (and says `N`), `step(...,
    #: expand_at_first_step=True)` gets `(B, V)` logits at `t = 0` and returns
    #: `N` parents into them, which widen the state to `N` rows. (`BeamSearch`
    #: says False for a subclass that overrides either hook.)
    expands_after_first_step = False

    #: Set to True by a strategy whose `step` reads the attention weights.
    needs_attention = False

    #: Tokens generated before [END] may be (0: no constraint). Subclasses
    #: take it as a constructor argument and return it in `get_config`.
    min_length = 0

    def initialize(self, batch_size, initial_state, memory):
        """Default: one decoding row per sentence, a zero running score."""
        loop_state = {"scores": ops.zeros((batch_size,), "float32")}  # (B,)
        return initial_state, memory, batch_size, loop_state

    def process_logits(self, t, logits, end_id):
        """`min_length`: [END] gets a -inf logit while `t < min_length`.

        Args:
            t: scalar int32, the step (= tokens generated so far).
            logits: `(N, V)` float32.
            end_id: the [END] id.

        Returns:
            `(N, V)` float32. TFLite builtin ops only.
        """
        if not self.min_length:
            return logits
        is_end = ops.equal(ops.arange(ops.shape(logits)[1], dtype="int32"), end_id)  # (V,)
        blocked = ops.logical_and(t < self.min_length, is_end)  # (V,)
        return ops.where(ops.expand_dims(blocked, 0), float("-inf"), logits)  # (N, V)

    def rows_done(self, finished, loop_state, max_length):
        """The rows whose sentence needs no more steps, after a step.

        Default: the rows that emitted [END]. A strategy returns more when it
        can prove that further steps cannot change a sentence's output (beam
        search: no live hypothesis can beat the finished ones); it marks
        whole sentences (all of their rows). `dynamic_decode` freezes these
        rows and, with `drops_finished_rows`, drops them from the decode.

        Args:
            finished: `(N,)` bool, rows that emitted [END] (this step included).
            loop_state: the strategy's nested tensors after the step.
            max_length: int or scalar int32, the loop's step limit.

        Returns:
            `(N,)` bool.
        """
        return finished

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

        With `dynamic_decode(..., fixed_length=True)` (a jitted JAX decode)
        `L` is `max_length` and the steps after the last one run are zero:
        treat steps independently. Default: the rows are the sentences and `loop_state["scores"]` the
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


def serializable(cls):
    """Register a strategy class with Keras under the `keras_s2s` package."""
    return keras.saving.register_keras_serializable(package="keras_s2s")(cls)
