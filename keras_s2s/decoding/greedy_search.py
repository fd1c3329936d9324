"""Greedy search: the most likely token at every step."""

from keras import ops

from keras_s2s.decoding.decoding_strategy import DecodingStrategy, serializable
from keras_s2s.decoding.validation import validate_min_length


@serializable
class GreedySearch(DecodingStrategy):
    """Greedy decoding: emit the argmax token at every step.

        y_t = argmax_v logits_t[v]
        score = sum_t log_softmax(logits_t)[y_t]   (up to and including [END])

    Deterministic and the cheapest strategy; equal to `BeamSearch` with
    `beam_size=1`. Ties go to the lowest token id (on every backend: the
    argmax is taken over the 0/1 "is a maximum" row). Uses only TFLite
    builtin ops (REDUCE_MAX, GREATER_EQUAL, ARG_MAX, LOG_SOFTMAX).

    Example:

    ```python
    strategy = keras_s2s.decoding.GreedySearch()
    out = keras_s2s.decoding.dynamic_decode(step_fn, initial_state, memory, strategy, max_length=20)
    out["ids"]  # (B, L) int32
    ```

    Args:
        min_length: int >= 0: no [END] before `min_length` tokens (its logit
            is -inf until then, the score renormalizes over the others).

    Returns (via `dynamic_decode`):
        `{"ids": (B, L) int32, "scores": (B,) float32,
        "attention": (B, L, S) float32}`, the score being the sum of the
        log-probabilities of the emitted tokens, [END] included.
    """

    drops_finished_rows = True  # a finished row leaves the decode

    def __init__(self, min_length=0):
        self.min_length = validate_min_length(min_length)

    def step(self, t, logits, finished, loop_state, end_id):
        """Pick the argmax token; add its log-probability to unfinished rows.

        Args:
            t: scalar int32, the step.
            logits: `(N, V)` float32.
            finished: `(N,)` bool, rows that emitted [END] before this step.
            loop_state: `{"scores": (N,) float32}`.
            end_id: the [END] id (unused).

        Returns:
            `(token_ids (N,) int32, None, loop_state)`.
        """
        # The argmax of the integer "is a maximum" row: the first maximum on
        # every backend (Keras' float argmax adds bitcast ops that TFLite's
        # builtins lack).
        is_max = ops.cast(logits >= ops.max(logits, axis=-1, keepdims=True), "int32")  # (N, V)
        token_ids = ops.cast(ops.argmax(is_max, axis=-1), "int32")  # (N,)
        best = ops.max(ops.log_softmax(logits, axis=-1), axis=-1)  # (N,)
        scores = loop_state["scores"] + ops.where(finished, 0.0, best)  # (N,)
        return token_ids, None, {"scores": scores}

    def get_config(self):
        return {"min_length": self.min_length}
