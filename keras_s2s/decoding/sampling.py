"""Random sampling with temperature and optional top-k and top-p (nucleus) truncation."""

import tensorflow as tf

from keras_s2s.decoding.decoding_strategy import DecodingStrategy, serializable
from keras_s2s.decoding.row_ops import take_along_rows
from keras_s2s.decoding.validation import validate_min_length


@serializable
class Sampling(DecodingStrategy):
    """Ancestral sampling from the softened, optionally truncated softmax.

        q_t(v) ∝ exp(logits_t[v] / temperature)   over the `top_k` best v
        p_t(v) ∝ q_t(v)   over the smallest set of most likely v whose q_t
                          mass reaches `top_p` (Holtzman et al. 2020)
        y_t ~ p_t
        score = sum_t log_softmax(logits_t)[y_t]   (the model's log-prob,
                                                    untempered, [END] included)

    Reproducible: with an integer `seed` the draw of step `t` uses the
    stateless seed `fold_in([seed, 0], t)`, so equal seeds give equal outputs
    in eager mode, in a `tf.function` and in a SavedModel. With `seed=None` a
    fresh seed is drawn per decode call. `top_k=1` is greedy search, and a
    temperature going to 0 approaches greedy search.

    Runs in `tf.function` and SavedModel (TF Serving). The stateless random
    ops have no TFLite builtin kernel, so a sampling decode does not convert
    with `TFLITE_BUILTINS` only (greedy and beam search do).

    Args:
        temperature: float > 0, divides the logits (< 1 sharpens, > 1 flattens).
        top_k: `None` (the whole vocabulary) or int >= 1, sample among the
            `top_k` most likely tokens only (Fan et al. 2018). Tokens tied with
            the k-th logit are kept too.
        top_p: `None` or float in `(0, 1]`: nucleus sampling, applied after
            the temperature and `top_k` (as Hugging Face and keras-hub do):
            the most likely tokens are kept until their probability reaches
            `top_p` (the most likely one always; tokens tied with the last
            kept one are kept too). `top_p=1` keeps everything.
        seed: `None` or int, the seed of the stateless random ops.
        min_length: int >= 0: no [END] before `min_length` tokens.

    Returns (via `dynamic_decode`):
        `{"ids": (B, L) int32, "scores": (B,) float32,
        "attention": (B, L, S) float32}`.
    """

    def __init__(self, temperature=1.0, top_k=None, seed=None, top_p=None, min_length=0):
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ValueError(f"`temperature` must be a number > 0. Received: temperature={temperature!r}")
        if not temperature > 0:
            raise ValueError(f"`temperature` must be > 0. Received: temperature={temperature!r}")
        if top_k is not None:
            if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
                raise ValueError(f"`top_k` must be None or an integer >= 1. Received: top_k={top_k!r}")
        if top_p is not None:
            if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
                raise ValueError(f"`top_p` must be None or a number in (0, 1]. Received: top_p={top_p!r}")
            top_p = float(top_p)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"`seed` must be None or an int. Received: seed={seed!r}")
        self.temperature = float(temperature)
        self.top_k = top_k
        self.top_p = top_p
        self.seed = seed
        self.min_length = validate_min_length(min_length)

    def initialize(self, batch_size, initial_state, memory):
        """One row per sentence, a zero score, and the `(2,)` stateless seed."""
        if self.seed is None:
            seed = tf.random.uniform([2], maxval=2**31 - 1, dtype=tf.int32)  # (2,)
        else:  # an int, or a scalar int64 tensor in a compiled decode
            folded = tf.math.floormod(tf.cast(self.seed, tf.int64), 2**31 - 1)  # ()
            seed = tf.stack([tf.cast(folded, tf.int32), 0])  # (2,)
        loop_state = {"scores": tf.zeros([batch_size], tf.float32), "seed": seed}
        return initial_state, memory, batch_size, loop_state

    def step(self, t, logits, finished, loop_state, end_id):
        """Draw one token per row from the tempered, truncated softmax.

        Args:
            t: scalar int32, the step.
            logits: `(N, V)` float32.
            finished: `(N,)` bool, rows that emitted [END] before this step.
            loop_state: `{"scores": (N,), "seed": (2,)}`.
            end_id: the [END] id (unused).

        Returns:
            `(token_ids (N,) int32, None, loop_state)`.
        """
        seed = tf.reshape(loop_state["seed"], [2])  # (2,)
        scaled = logits / self.temperature  # (N, V)
        if self.top_k is not None:
            k = tf.minimum(self.top_k, tf.shape(logits)[1])
            kth = tf.math.top_k(scaled, k=k).values[:, -1:]  # (N, 1)
            scaled = tf.where(scaled < kth, float("-inf"), scaled)  # (N, V)
        if self.top_p is not None and self.top_p < 1:
            scaled = _nucleus(scaled, self.top_p)  # (N, V)
        step_seed = tf.random.experimental.stateless_fold_in(seed, t)  # (2,)
        token_ids = tf.random.stateless_categorical(scaled, 1, seed=step_seed, dtype=tf.int32)[:, 0]  # (N,)
        log_probs = tf.nn.log_softmax(logits)  # (N, V)
        picked = take_along_rows(log_probs, token_ids)  # (N,)
        scores = loop_state["scores"] + tf.where(finished, 0.0, picked)  # (N,)
        return token_ids, None, {"scores": scores, "seed": seed}

    def call_inputs(self):
        """The seed is a tensor input of a compiled decode: one trace for all seeds."""
        return {} if self.seed is None else {"seed": self.seed % (2**31 - 1)}

    def get_config(self):
        return {
            "temperature": self.temperature,
            "top_k": self.top_k,
            "top_p": self.top_p,
            "seed": self.seed,
            "min_length": self.min_length,
        }


def _nucleus(scaled, top_p):
    """Sets to -inf the logits outside the top-p nucleus of `softmax(scaled)`.

    Sorted descending, token i is kept when the probability mass of the
    tokens before it is below `top_p` (so the most likely is always kept);
    every token at least as likely as the last kept one stays.

    Args:
        scaled: `(N, V)` float32 tempered (and top-k truncated) logits.
        top_p: float in `(0, 1)`.

    Returns:
        `(N, V)` float32.
    """
    ranked = tf.sort(scaled, axis=-1, direction="DESCENDING")  # (N, V)
    probs = tf.nn.softmax(ranked)  # (N, V)
    before = tf.cumsum(probs, axis=-1, exclusive=True)  # (N, V) mass ranked above
    kept = tf.reduce_sum(tf.cast(before < top_p, tf.int32), axis=-1, keepdims=True)  # (N, 1) >= 1
    threshold = tf.gather(ranked, kept - 1, batch_dims=1)  # (N, 1) the last kept logit
    return tf.where(scaled < threshold, float("-inf"), scaled)  # (N, V)
