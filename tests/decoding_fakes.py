"""Fake step functions for the keras_s2s.decoding tests (no model involved).

`TableStep` looks its logits up in a fixed table of log-probabilities
`table[program, t, fed_token] -> (V,)`, so every expected output can be
derived by hand. Its state carries the step counter and the history of the
tokens fed so far, and it returns that history as its "attention": the
attention row a decode returns for step t therefore shows which state row
produced it, which checks beam search's state reordering.
"""

import numpy as np
import tensorflow as tf
from keras import ops

PAD, UNK, START, END, A, B, C = 0, 1, 2, 3, 4, 5, 6
V = 7
TINY = -30.0  # log-prob of the tokens a hand table leaves out


def dist(probs, vocab=V):
    """Log-probability row `(V,)` from `{token: prob}`, others ~exp(-30)."""
    row = np.full([vocab], TINY, np.float32)
    for token, p in probs.items():
        row[token] = np.log(p)
    return row


def program(rows, vocab=V):
    """A first-order table `(1, V, V)` from `{fed_token: {token: prob}}`."""
    table = np.stack([dist({UNK: 1.0}, vocab)] * vocab)  # (V, V)
    for fed, probs in rows.items():
        table[fed] = dist(probs, vocab)
    return table[None]  # (T=1, V, V)


class TableStep:
    """`step_fn` reading logits from `table` `(R, T, V, V)` (log-probs).

    Row n of the batch follows program `memory["program"][n]`; at step t with
    fed token x the logits are `table[program, min(t, T-1), x]`. Written in
    `keras.ops`, so it drives the decoders on every backend.
    """

    def __init__(self, *programs):
        table = np.stack(programs).astype(np.float32)  # (R, T, V, V)
        self.steps, self.vocab = table.shape[1], table.shape[3]
        self.table = ops.convert_to_tensor(table.reshape(-1, self.vocab))  # (R * T * V, V)
        self.calls = []  # (token_ids, memory) of every eager call

    def initial(self, programs, width):
        """`(initial_state, memory)` for a batch running `programs`."""
        batch = len(programs)
        state = {"t": ops.zeros([batch, 1]), "hist": ops.zeros([batch, width])}
        memory = {"program": ops.convert_to_tensor(np.asarray(programs, np.int32))}  # (B,)
        return state, memory

    def __call__(self, token_ids, state, memory):
        self.calls.append((token_ids, memory))
        t = ops.cast(state["t"][:, 0], "int32")  # (N,)
        width = ops.shape(state["hist"])[1]
        here = ops.equal(ops.expand_dims(ops.arange(width, dtype="int32"), 0), ops.expand_dims(t, 1))
        fed = ops.expand_dims(ops.cast(token_ids, "float32"), 1)  # (N, 1)
        hist = ops.where(here, fed, state["hist"])  # (N, S) tokens fed so far
        row = (memory["program"] * self.steps + ops.minimum(t, self.steps - 1)) * self.vocab
        logits = ops.take(self.table, row + ops.cast(token_ids, "int32"), axis=0)  # (N, V)
        return logits, {"t": state["t"] + 1.0, "hist": hist}, hist


def random_program(seed, steps=4, vocab=V, scale=3.0):
    """A time-dependent random table `(T, V, V)` of log-probabilities."""
    logits = np.random.default_rng(seed).normal(size=(steps, vocab, vocab)) * scale
    logits = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return logits.astype(np.float32)


# The table of the beam tests: greedy takes a (0.5) then c then [END]
# (P = 0.5 * 0.8 * 0.8 = 0.32); beam search finds [b, END] (P = 0.4 * 0.9
# = 0.36). After [END] the table would continue with `a`: finished
# hypotheses must ignore that.
GARDEN_PATH = program(
    {
        START: {A: 0.5, B: 0.4, END: 0.1},
        A: {C: 0.8, END: 0.1, A: 0.1},
        B: {END: 0.9, A: 0.1},
        C: {END: 0.8, B: 0.2},
        END: {A: 0.99, END: 0.01},
    }
)

# Never emits [END]: a a a a ...
LOOP = program({START: {A: 0.9, END: 0.1}, A: {A: 0.7, B: 0.2, END: 0.1}})

# [b, END] with P = 0.6 * 0.9.
SHORT = program({START: {B: 0.6, A: 0.4}, B: {END: 0.9, A: 0.1}, A: {END: 1.0}})


def tiny_rnn(vocab=7, hidden=5, seed=0, sentence_memory=False):
    """A deterministic RNN-with-attention step function made of constants.

    Returns `step_fn`; state `(h (N, H), t (N, 1))`, memory `{"keys": (N, S,
    H), "mask": (N, S) bool}`. The [END] logit grows with the step so every
    row finishes within a few steps. Only TFLite builtin ops.
    `sentence_memory`: memory has `M` rows for the `N = M·K` decode rows,
    row n reading memory row n // K (`dynamic_decode(sentence_memory=True)`).
    """
    rng = np.random.default_rng(seed)
    emb = tf.constant(rng.normal(size=(vocab, hidden)), tf.float32)
    rec = tf.constant(rng.normal(size=(hidden, hidden)), tf.float32)
    out = tf.constant(rng.normal(size=(hidden, vocab)), tf.float32)
    end_bias = tf.constant(np.eye(vocab)[END], tf.float32)  # (V,)
    no_start = tf.constant(np.eye(vocab)[START] * -100.0, tf.float32)  # (V,)

    def step_fn(token_ids, state, memory):
        h, t = state
        h = tf.tanh(tf.gather(emb, token_ids) + tf.matmul(h, rec))  # (N, H)
        keys, mask = memory["keys"], memory["mask"]
        if sentence_memory:  # (M, ...) → (N, ...): row n reads memory row n // K
            per_row = tf.shape(h)[0] // tf.maximum(tf.shape(keys)[0], 1)
            sentence = tf.range(tf.shape(h)[0]) // tf.maximum(per_row, 1)  # (N,)
            keys, mask = tf.gather(keys, sentence), tf.gather(mask, sentence)
        scores = tf.reduce_sum(keys * tf.expand_dims(h, 1), -1)  # (N, S)
        weights = tf.nn.softmax(tf.where(mask, scores, -1e9), -1)  # (N, S)
        context = tf.reduce_sum(tf.expand_dims(weights, -1) * keys, 1)  # (N, H)
        logits = tf.matmul(h + context, out) + 0.8 * t * end_bias + no_start  # (N, V)
        return logits, (h, t + 1.0), weights

    return step_fn
