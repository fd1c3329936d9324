"""The additive (Bahdanau) score with a hand-written gradient.

    A = tanh(q_i + k_j)                  (B, Tq, Tv, u)
    score_ij = Σ_u A_iju · v_u           (B, Tq, Tv)

Backward, with G = ∂L/∂score (Bahdanau et al. 2015, eq. 6 / appendix A.1.2):

    D = (G ⊗ v) ⊙ (1 − A²)               (B, Tq, Tv, u)
    ∂L/∂q_i = Σ_j D_ij,  ∂L/∂k_j = Σ_i D_ij,  ∂L/∂v = Σ_ij G_ij · A_ij

Automatic differentiation of the forward ops keeps `q + k` and `tanh`'s
output, broadcasts the reduction's gradient with a tile, multiplies by `v`,
applies tanh's derivative and reduces the broadcast of `q` and `k`, each a
pass over the `(B, Tq, Tv, u)` tensor (the largest one in an attention RNN's
training step: 64·32·32·256 floats at batch 64, 32 tokens). Here the only
kept tensor is `A`, there is no tile, and `∂L/∂v` is one matrix product:
forward + backward at batch 64, 32 × 32 positions, 256 units take 45 ms
instead of 56 on the 2-core CPU of docs/benchmarks.md. The forward ops are
those of `sum(tanh(q + k) * v)`, so outputs are unchanged. `keras.ops`
only, like every layer.

Decoding steps run the plain ops (`custom_gradient=False`, what
`AdditiveAttention.step_score` passes for every rank-2 query: one query per
row, a beam's K hypotheses as the K queries of their sentence, input
feeding's scan): a step's tensor is small, and the decoding loop of an
exported SavedModel / LiteRT model gets no gradient override (TensorFlow
cannot save the gradient of a custom-gradient op inside a `while` body that
keeps an intermediate tensor).
"""

from keras import ops


def additive_score(query, keys, score_vector, custom_gradient=True):
    """`Σ_u tanh(q_i + k_j)_u · v_u`, differentiated as in the module docstring.

    Args:
        query: `(B, Tq, u)` projected queries (plus the score bias, if any).
        keys: `(B, Tv, u)` projected keys.
        score_vector: `(u,)`, `v`, in the queries' dtype.
        custom_gradient: bool; False gives the plain ops (decoding steps).

    Returns:
        `(B, Tq, Tv)` scores.
    """
    query, keys, score_vector = (ops.convert_to_tensor(x) for x in (query, keys, score_vector))
    if not custom_gradient:  # a decoding step: plain ops
        return _plain_score(query, keys, score_vector)
    return _score(query, keys, score_vector)


def _plain_score(query, keys, score_vector):
    return ops.sum(_hidden(query, keys) * score_vector, axis=-1)  # (B, Tq, Tv)


def _hidden(query, keys):
    return ops.tanh(ops.expand_dims(query, 2) + ops.expand_dims(keys, 1))  # (B, Tq, Tv, u)


@ops.custom_gradient
def _score(query, keys, score_vector):
    hidden = _hidden(query, keys)  # (B, Tq, Tv, u)
    scores = ops.sum(hidden * score_vector, axis=-1)  # (B, Tq, Tv)

    def grad(*args, upstream=None):
        upstream = args[0] if upstream is None else upstream
        upstream = ops.reshape(upstream, ops.shape(scores))  # (B, Tq, Tv); SavedModel traces it rank-free
        d_hidden = ops.expand_dims(upstream, -1) * score_vector * (1.0 - ops.square(hidden))  # (B,Tq,Tv,u)
        d_vector = ops.tensordot(upstream, hidden, axes=[[0, 1, 2], [0, 1, 2]])  # (u,)
        return ops.sum(d_hidden, axis=2), ops.sum(d_hidden, axis=1), d_vector

    return scores, grad
