"""Random sampling with temperature and optional top-k and top-p (nucleus) truncation."""

import random

from keras import ops

from keras_s2s.decoding import backend
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
    in eager mode, in a `tf.function` and in a SavedModel (under JAX: a
    threefry key folded with `t`, eager or jitted; under PyTorch a
    `torch.Generator` seeded from `(seed, t)`; see `decoding/backend.py`; the
    draws differ between backends). With `seed=None` a fresh seed is drawn
    per decode call. `top_k=1` is greedy search, and a temperature going to 0
    approaches greedy search.

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
        if not 0 < temperature < float("inf"):
            raise ValueError(
                f"`temperature` must be a finite number > 0. Received: temperature={temperature!r}"
            )
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
        seed = backend.sampling_seed(self.seed)  # (2,) int32; None: a fresh one
        loop_state = {"scores": ops.zeros((batch_size,), "float32"), "seed": seed}
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
        seed = ops.reshape(loop_state["seed"], (2,))  # (2,)
        scaled = logits / self.temperature  # (N, V)
        if self.top_k is not None:
            vocab = ops.shape(logits)[1]
            k = min(self.top_k, vocab) if isinstance(vocab, int) else ops.minimum(self.top_k, vocab)
            kth = ops.top_k(scaled, k=k)[0][:, -1:]  # (N, 1)
            scaled = ops.where(scaled < kth, float("-inf"), scaled)  # (N, V)
        if self.top_p is not None and self.top_p < 1:
            scaled = _nucleus(scaled, self.top_p)  # (N, V)
        token_ids = backend.categorical(scaled, seed, t)  # (N,) int32
        log_probs = ops.log_softmax(logits, axis=-1)  # (N, V)
        picked = take_along_rows(log_probs, token_ids)  # (N,)
        scores = loop_state["scores"] + ops.where(finished, 0.0, picked)  # (N,)
        return token_ids, None, {"scores": scores, "seed": seed}

    def call_inputs(self):
        """The seed is a tensor input of a compiled decode: one trace for all seeds.

        With `seed=None`, TensorFlow draws a fresh seed inside the graph (so
        does the exported SavedModel); a jitted JAX decode cannot, so off
        TensorFlow a fresh seed is drawn here, per call.
        """
        if self.seed is None:
            return {} if backend.name() == "tensorflow" else {"seed": random.randrange(backend.SEED_MODULUS)}
        return {"seed": self.seed % backend.SEED_MODULUS}

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
    ranked = -ops.sort(-scaled, axis=-1)  # (N, V) descending
    probs = ops.softmax(ranked, axis=-1)  # (N, V)
    shifted = ops.pad(probs[:, :-1], [[0, 0], [1, 0]])  # (N, V) [0, p_0, …, p_{V-2}]
    before = ops.cumsum(shifted, axis=-1)  # (N, V) mass ranked above (an exclusive cumsum)
    kept = ops.sum(ops.cast(before < top_p, "int32"), axis=-1, keepdims=True)  # (N, 1) >= 1
    threshold = ops.take_along_axis(ranked, kept - 1, axis=-1)  # (N, 1) the last kept logit
    return ops.where(scaled < threshold, float("-inf"), scaled)  # (N, V)
