"""Scaled dot-product attention, single- or multi-head."""

import math

import keras
from keras import ops

from keras_s2s.layers.base_attention import BaseAttention


@keras.saving.register_keras_serializable(package="keras_s2s")
class ScaledDotProductAttention(BaseAttention):
    """Scaled dot-product attention layer (Transformer-style).

    score(q, k) = qᵀ k / √d_k

    With `num_heads > 1` (or an explicit `key_dim`), queries, keys and values
    are projected into `num_heads` heads of size `key_dim`, attended per head
    and projected back to the value depth:

    head_h = softmax(Q W_qʰ (K W_kʰ)ᵀ / √key_dim) V W_vʰ
    context = Σ_h head_h W_oʰ

    The key and value projections depend only on the source and are
    computed once per source sentence by `prepare_memory`.

    Reference: Vaswani et al., "Attention Is All You Need", NeurIPS 2017.

    Args:
        num_heads: int, number of attention heads.
        key_dim: int or None, size of each head; defaults to
            `query depth // num_heads` when `num_heads > 1`. With
            `num_heads=1` and `key_dim=None` no projection is learned.
        dropout: float in `[0, 1)`, dropout on the attention weights.
        use_causal_mask: bool, query `i` may only attend to positions `j <= i`
            (or `j <= query_positions[i]` when the call passes the queries'
            absolute positions, as a cached decoding step does).

    Call arguments and returns: see `BaseAttention`; with `num_heads > 1`
    the weights have shape `(B, H, Tq, Tv)` (`(B, H, Tv)` for a single step).
    """

    def __init__(self, num_heads=1, key_dim=None, dropout=0.0, use_causal_mask=False, **kwargs):
        super().__init__(dropout=dropout, **kwargs)
        if not _positive_int(num_heads):
            raise ValueError(f"`num_heads` must be a positive int. Received: num_heads={num_heads!r}")
        if key_dim is not None and not _positive_int(key_dim):
            raise ValueError(f"`key_dim` must be a positive int or None. Received: key_dim={key_dim!r}")
        if not isinstance(use_causal_mask, bool):
            raise ValueError(
                f"`use_causal_mask` must be a bool. Received: use_causal_mask={use_causal_mask!r}"
            )
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.use_causal_mask = use_causal_mask
        self.projected = num_heads > 1 or key_dim is not None

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        dq, dk, dv = query_shape[-1], key_shape[-1], value_shape[-1]
        if not self.projected:
            if dq != dk:
                raise ValueError(
                    "ScaledDotProductAttention without projections needs query "
                    "and key of the same depth; set `key_dim` to learn them. "
                    f"Received: query depth dq={dq}, key depth dk={dk}"
                )
            return
        head = self.key_dim or dq // self.num_heads
        if head < 1:
            raise ValueError(
                f"query depth {dq} is too small for num_heads={self.num_heads}; "
                f"set `key_dim`. Received: key_dim={self.key_dim}"
            )
        self.head_dim = head
        shape = (self.num_heads, head)
        self.query_kernel = self.add_weight(
            name="query_kernel", shape=(dq, *shape), initializer="glorot_uniform"
        )
        self.key_kernel = self.add_weight(name="key_kernel", shape=(dk, *shape), initializer="glorot_uniform")
        self.value_kernel = self.add_weight(
            name="value_kernel", shape=(dv, *shape), initializer="glorot_uniform"
        )
        self.output_kernel = self.add_weight(
            name="output_kernel", shape=(*shape, dv), initializer="glorot_uniform"
        )

    def project_keys(self, key):
        if not self.projected:
            return key  # (B, Tv, dk)
        return ops.einsum("btd,dhk->bhtk", key, self.key_kernel)  # (B,H,Tv,k)

    def project_values(self, value):
        if not self.projected:
            return value  # (B, Tv, dv)
        return ops.einsum("btd,dhk->bhtk", value, self.value_kernel)  # (B,H,Tv,k)

    def score(self, query, keys):
        if not self.projected:
            scale = 1.0 / math.sqrt(keys.shape[-1])
            return ops.matmul(query, ops.transpose(keys, (0, 2, 1))) * scale
        q = ops.einsum("bqd,dhk->bhqk", query, self.query_kernel)  # (B,H,Tq,k)
        scores = ops.einsum("bhqk,bhtk->bhqt", q, keys)  # (B, H, Tq, Tv)
        return scores * (1.0 / math.sqrt(self.head_dim))

    def project_output(self, context):
        if not self.projected:
            return context  # (B, Tq, dv)
        return ops.einsum("bhqk,hkd->bqd", context, self.output_kernel)  # (B,Tq,dv)

    def attend(self, query, keys, values, return_attention_scores=False, **kwargs):
        outputs = super().attend(
            query, keys, values, return_attention_scores=return_attention_scores, **kwargs
        )
        if return_attention_scores and self.projected and self.num_heads == 1:
            context, weights = outputs
            return context, ops.squeeze(weights, 1)  # drop the single head axis
        return outputs

    def _causal_mask(self, scores, query_positions=None):
        if not self.use_causal_mask:
            return None
        tq, tv = ops.shape(scores)[-2], ops.shape(scores)[-1]
        cols = ops.expand_dims(ops.arange(tv), 0)  # (1, Tv)
        if query_positions is None:
            rows = ops.expand_dims(ops.arange(tq), 1)  # (Tq, 1)
            return ops.expand_dims(rows >= cols, 0)  # (1, Tq, Tv)
        rows = ops.expand_dims(ops.cast(query_positions, "int32"), -1)  # (B, Tq, 1)
        return rows >= ops.expand_dims(ops.cast(cols, "int32"), 0)  # (B, Tq, Tv)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "use_causal_mask": self.use_causal_mask,
        }
        return {**base_config, **config}


def _positive_int(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 1
