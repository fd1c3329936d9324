"""Beam search with the GNMT length and coverage penalties."""

import numpy as np
from keras import ops, tree

from keras_s2s.decoding.backend import take_rows, top_k
from keras_s2s.decoding.decoding_strategy import DecodingStrategy, serializable
from keras_s2s.decoding.row_ops import log_max_softmax, row_top_k, tile_rows
from keras_s2s.decoding.validation import validate_min_length, validate_positive_int


@serializable
class BeamSearch(DecodingStrategy):
    """Beam search keeping the `beam_size` best hypotheses per sentence.

    Each hypothesis Y carries its log-probability sum log P(Y) (of the tokens
    emitted, [END] included) and is ranked by the length-normalized score of
    Wu et al. 2016 (GNMT, "Google's Neural Machine Translation System"):

        lp(Y) = ((5 + |Y|) / 6) ** length_penalty      (|Y| counts [END])
        cp(Y) = coverage_penalty * Σ_i log(min(Σ_t a_ti, 1))   (eq. 14)
        score(Y) = log P(Y) / lp(Y) + cp(Y)

    a_ti is the attention weight of target step t on source position i, so
    cp punishes a finished hypothesis for every source word it attended to
    less than once in total (a dropped word); source positions that never
    got any weight (padding, whose weights are exactly 0) are left out. As
    in `tfa.seq2seq.BeamSearchDecoder`, cp is added to finished hypotheses
    only (a candidate ending with [END], or one already finished); live
    ones are ranked by log P / lp alone. With `coverage_penalty=0` nothing
    is tracked and the graph is the plain length-penalized search.

    At every step the K*V candidate extensions of a sentence's K beams are
    ranked and the top K kept (scored on each beam's K best tokens, which
    hold them all: see `step`); the decoder state and the id / attention
    histories follow their parent beam. A finished beam stays
    in the beam and is only extended by [END] (emitted as padding) at zero
    cost, so its score is frozen. At step 0 only the first beam of each
    sentence is live (the others start at -inf), so no duplicates appear.
    This is the algorithm of `tfa.seq2seq.BeamSearchDecoder`. Where the
    decode's row count may change and the memory is read per sentence
    (`expand_at_first_step`, as CTranslate2's `expand_after_first_step` on
    CPUs), step 0 runs on that first beam alone, one row per sentence, and
    its K best tokens become the K beams: the same hypotheses, without
    computing K - 1 copies of every sentence's first step.

    Memory is tiled once `B -> B*K` (each sentence's rows repeated K times
    consecutively) and never gathered: all beams of a sentence share it.
    With `dynamic_decode(..., sentence_memory=True)` (the models' decoders)
    it is not tiled at all: row n reads memory row n // K. Uses only TFLite
    builtin ops.

    Args:
        beam_size: K, int >= 1. `beam_size=1` gives exactly the greedy ids.
        length_penalty: alpha >= 0; 0 ranks by raw log-probability sums.
        num_return_sequences: n, 1 <= n <= beam_size; the best n hypotheses.
        coverage_penalty: beta >= 0 (GNMT used 0.2); 0 turns it off.
        min_length: int >= 0: no [END] before `min_length` tokens.

    Returns (via `dynamic_decode`):
        n = 1: `{"ids": (B, L) int32, "scores": (B,) float32,
        "attention": (B, L, S) float32}`; n > 1: `(B, n, L)`, `(B, n)`,
        `(B, n, L, S)`, sorted best first. Scores are length-normalized.
    """

    reorders_rows = True
    drops_finished_rows = True

    @property
    def expands_after_first_step(self):
        """Step 0 on one row per sentence, where `step` and `initialize` are
        these (a subclass that overrides them keeps the tiled step 0: its
        hooks may not take `expand_at_first_step`)."""
        cls = type(self)
        return cls.step is BeamSearch.step and cls.initialize is BeamSearch.initialize

    def __init__(
        self, beam_size=4, length_penalty=0.6, num_return_sequences=1, coverage_penalty=0.0, min_length=0
    ):
        beam_size = validate_positive_int("beam_size", beam_size)
        num_return_sequences = validate_positive_int("num_return_sequences", num_return_sequences)
        if num_return_sequences > beam_size:
            raise ValueError(
                "`num_return_sequences` must be <= `beam_size` "
                f"({beam_size}). Received: num_return_sequences={num_return_sequences}"
            )
        if (
            isinstance(length_penalty, bool)
            or not isinstance(length_penalty, (int, float))
            or not 0 <= length_penalty < float("inf")
        ):
            raise ValueError(
                f"`length_penalty` must be a finite number >= 0. Received: length_penalty={length_penalty!r}"
            )
        if (
            isinstance(coverage_penalty, bool)
            or not isinstance(coverage_penalty, (int, float))
            or not 0 <= coverage_penalty < float("inf")
        ):
            raise ValueError(
                f"`coverage_penalty` must be a finite number >= 0. Received: coverage_penalty={coverage_penalty!r}"
            )
        self.beam_size = beam_size
        self.length_penalty = float(length_penalty)
        self.num_return_sequences = num_return_sequences
        self.coverage_penalty = float(coverage_penalty)
        self.min_length = validate_min_length(min_length)

    @property
    def needs_attention(self):
        """The coverage penalty reads the attention weights."""
        return self.coverage_penalty > 0

    def initialize(self, batch_size, initial_state, memory, attention_size=None, expand_at_first_step=False):
        """Tile state and memory to `B*K` rows; only beam 0 is live.

        With `expand_at_first_step`, nothing is tiled: step 0 runs on the
        `B` rows (all that is live), and its `N = B*K` parents widen them.
        With a coverage penalty, `loop_state["coverage"]` `(N, S)` holds each
        hypothesis' attention summed over its steps (`S = attention_size`).
        """
        k = self.beam_size
        num_rows = batch_size * k
        if expand_at_first_step:
            rows = batch_size  # (B,) rows, each a beam 0
            log_probs = ops.zeros((rows,), "float32")
        else:
            initial_state = tree.map_structure(lambda x: tile_rows(x, k), initial_state)
            memory = tree.map_structure(lambda x: tile_rows(x, k), memory)
            rows = num_rows
            first = ops.equal(ops.mod(ops.arange(num_rows, dtype="int32"), k), 0)  # (N,)
            log_probs = ops.cast(ops.where(first, 0.0, float("-inf")), "float32")  # (N,)
        loop_state = {"log_probs": log_probs, "lengths": ops.zeros((rows,), "int32")}
        if self.needs_attention:
            loop_state["coverage"] = ops.zeros((rows, attention_size), "float32")  # (rows, S)
        return initial_state, memory, num_rows, loop_state

    def step(self, t, logits, finished, loop_state, end_id, attention=None, expand_at_first_step=False):
        """Extend every beam by every token and keep the K best per sentence.

        Only a row's `c` best tokens can be among its sentence's `K` best
        extensions (`c = K`; `K + 1` with a coverage penalty, which lowers
        [END] alone), so the scoring runs on those `(N, c)` candidates
        (`row_ops.row_top_k`) and their log-probabilities, not on all `N·V`:

            log p(v) = (logit_v - max) + log p(argmax)

        with `log p(argmax) = -log Σ_u exp(logit_u - max)` from one softmax
        (`row_ops.log_max_softmax`).

        The K best of a sentence's `K·c` candidates are the K best of its
        `K·V` extensions, ties going to the lower (beam, token) as before.

        Args:
            t: scalar int32, the step.
            logits: `(N, V)` float32 with `N = B*K`.
            finished: `(N,)` bool, beams that emitted [END] before this step.
            loop_state: `{"log_probs": (N,), "lengths": (N,) int32}` (and
                `"coverage": (N, S)` with a coverage penalty).
            end_id: the [END] id.
            attention: `(N, S)` float32, this step's attention weights of
                every row (given with a coverage penalty only).
            expand_at_first_step: the decode was initialized with it: at
                `t = 0` the `N = B` rows are one per sentence, and the
                returned `B*K` parents widen them (with fewer than K tokens
                in the vocabulary, the beams past them start dead, -inf).

        Returns:
            `(token_ids (B*K,), parent_ids (B*K,), loop_state)`.
        """
        k = self.beam_size
        num_rows, vocab = ops.shape(logits)[0], logits.shape[-1]
        beams = ops.where(ops.equal(t, 0), 1, k) if expand_at_first_step else k  # rows per sentence
        batch = num_rows // beams
        c = k + 1 if self.needs_attention else k  # candidates per row
        c = c if vocab is None else min(c, vocab)
        top_logits, tokens = row_top_k(logits, c)  # (N, c), (N, c) sorted: [:, 0] is the row's max
        if expand_at_first_step and c < k:  # V < K: step 0's one row must still give K beams
            # dead (-inf) ones, with the tokens the tiled beams 1, 2, ... would offer
            top_logits = ops.pad(top_logits, [[0, 0], [0, k - c]], constant_values=float("-inf"))
            tokens = ops.tile(tokens, [1, -(-k // c)])[:, :k]  # (N, K)
            c = k
        row_max = top_logits[:, :1]  # (N, 1)
        log_p_max = ops.expand_dims(log_max_softmax(logits, tokens[:, 0]), 1)  # (N, 1)
        step_log_probs = (top_logits - row_max) + log_p_max  # (N, c) = log_softmax(logits) at tokens
        end_only = np.full((1, c), float("-inf"), "float32")  # (1, c) [END] at no cost, then nothing
        end_only[0, 0] = 0.0
        ended = ops.expand_dims(finished, 1)  # (N, 1) finished beams
        step_log_probs = ops.where(ended, end_only, step_log_probs)  # (N, c)
        tokens = ops.where(ended, end_id, tokens)  # (N, c)
        total = ops.expand_dims(loop_state["log_probs"], 1) + step_log_probs  # (N, c)
        lengths = loop_state["lengths"] + ops.cast(ops.logical_not(finished), "int32")
        scores = total / ops.expand_dims(self._penalty(lengths), 1)  # (N, c)
        if self.needs_attention:  # a finished row adds nothing more
            coverage = loop_state["coverage"] + ops.where(
                ops.expand_dims(finished, 1), 0.0, attention
            )  # (N, S)
            scores += ops.where(ops.equal(tokens, end_id), ops.expand_dims(self._coverage(coverage), 1), 0.0)
        scores = ops.reshape(scores, (batch, beams * c))  # (B, K*c)
        _, top = top_k(scores, k)  # (B, K) ties to the lower (beam, token)
        top = ops.cast(top, "int32")
        first_rows = ops.arange(batch, dtype="int32") * beams  # (B,) each sentence's first row
        offsets = ops.expand_dims(first_rows, 1)  # (B, 1)
        parents = ops.reshape(top // c + offsets, (-1,))  # (B*K,)
        flat = ops.reshape(top + offsets * c, (-1,))  # (B*K,) index into the (N*c,) candidates
        token_ids = take_rows(ops.reshape(tokens, (-1,)), flat)  # (N,)
        loop_state = {
            "log_probs": take_rows(ops.reshape(total, (-1,)), flat),  # (N,)
            "lengths": take_rows(lengths, parents),  # (N,)
        }
        if self.needs_attention:
            loop_state["coverage"] = take_rows(coverage, parents)  # (N, S)
        return token_ids, parents, loop_state

    def rows_done(self, finished, loop_state, max_length):
        """The rows of every sentence whose `n` finished hypotheses beat every live one.

        A live hypothesis' score can only fall short of its bound: its log P
        (<= 0) can only fall with more tokens, and lp grows with the length,
        so its final score is at most log P / lp(max_length) (plus cp <= 0).
        Every candidate it can produce scores below that too, so finished
        hypotheses above all live bounds are never pushed out of the beam:
        stopping the sentence there returns exactly what running to the end
        returns (only `L`, the trailing padding, can be shorter).

        Returns:
            `(N,)` bool, all `K` rows of a sentence alike.
        """
        k, n = self.beam_size, self.num_return_sequences
        num_rows = ops.shape(finished)[0]
        batch = num_rows // k
        log_probs = loop_state["log_probs"]  # (N,)
        final = log_probs / self._penalty(loop_state["lengths"])  # (N,)
        if self.needs_attention:
            final += ops.where(finished, self._coverage(loop_state["coverage"]), 0.0)  # (N,)
        bound = log_probs / self._penalty(max_length)  # (N,) the best a live row can still reach
        live = ops.reshape(ops.where(finished, float("-inf"), bound), (batch, k))  # (B, K)
        done = ops.reshape(ops.where(finished, final, float("-inf")), (batch, k))  # (B, K)
        nth_finished = ops.top_k(done, k=n)[0][:, -1]  # (B,)
        # `initial`: -inf for an empty batch, as tf.reduce_max (Keras' eager max refuses it).
        sentence_done = nth_finished > ops.max(live, axis=1, initial=float("-inf"))  # (B,)
        return tile_rows(sentence_done, k)  # (N,)

    def finalize(self, ids, attention, finished, loop_state, batch_size):
        """Sort each sentence's beams by normalized score; keep the best n."""
        k, n = self.beam_size, self.num_return_sequences
        length = ops.shape(ids)[1]
        source_length = ops.shape(attention)[2]
        scores = loop_state["log_probs"] / self._penalty(loop_state["lengths"])  # (N,)
        if self.needs_attention:
            scores += ops.where(finished, self._coverage(loop_state["coverage"]), 0.0)  # (N,)
        scores = ops.reshape(scores, (batch_size, k))  # (B, K)
        best_scores, best = top_k(scores, n)  # (B, n)
        offsets = ops.expand_dims(ops.arange(batch_size, dtype="int32") * k, 1)  # (B, 1)
        rows = ops.reshape(ops.cast(best, "int32") + offsets, (-1,))  # (B*n,)
        best_ids = ops.take(ids, rows, axis=0)  # (B*n, L)
        best_attention = ops.take(attention, rows, axis=0)  # (B*n, L, S)
        if n == 1:
            return {
                "ids": ops.reshape(best_ids, (batch_size, length)),
                "scores": ops.reshape(best_scores, (batch_size,)),
                "attention": ops.reshape(best_attention, (batch_size, length, source_length)),
            }
        return {
            "ids": ops.reshape(best_ids, (batch_size, n, length)),
            "scores": best_scores,
            "attention": ops.reshape(best_attention, (batch_size, n, length, source_length)),
        }

    def _penalty(self, lengths):
        """GNMT lp = ((5 + |Y|) / 6) ** alpha, `(N,)` (or a scalar); 1 when alpha = 0."""
        lengths = ops.cast(lengths, "float32")
        if self.length_penalty == 0:
            return ops.ones_like(lengths)
        return ops.power((5.0 + lengths) / 6.0, self.length_penalty)

    def _coverage(self, coverage):
        """GNMT cp = beta * Σ_i log(min(c_i, 1)) over positions with c_i > 0, `(N,)`."""
        capped = ops.minimum(coverage, 1.0)  # (N, S)
        logs = ops.log(ops.where(capped > 0, capped, 1.0))  # (N, S) 0 where never attended
        return self.coverage_penalty * ops.sum(logs, axis=1)  # (N,)

    def get_config(self):
        return {
            "beam_size": self.beam_size,
            "length_penalty": self.length_penalty,
            "num_return_sequences": self.num_return_sequences,
            "coverage_penalty": self.coverage_penalty,
            "min_length": self.min_length,
        }
