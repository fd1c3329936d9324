"""One pre-layer-norm Transformer decoder block, teacher-forced or one cached step."""

import keras
from keras import ops

from keras_s2s.layers.scaled_dot_product_attention import ScaledDotProductAttention
from keras_s2s.layers.transformer_encoder_block import TransformerEncoderBlock


@keras.saving.register_keras_serializable(package="keras_s2s")
class TransformerDecoderBlock(TransformerEncoderBlock):
    """A pre-layer-norm Transformer decoder block.

        h = x + Dropout(CausalSelfAttention(LN(x)))
        c = h + Dropout(CrossAttention(LN(h), encoder_outputs))
        y = c + Dropout(FFN(LN(c))),      FFN(z) = W_2 relu(W_1 z + b_1) + b_2

    (Vaswani et al., "Attention Is All You Need", NeurIPS 2017, §3.1, with
    pre-layer-norm sub-layers.) Both attentions are the project's multi-head
    `ScaledDotProductAttention`: the self-attention is causal (position `i`
    sees the targets `<= i`), the cross-attention attends the encoder outputs
    except their padding.

    The block runs in two modes that compute the same function:

    - `call`, teacher forcing: every target position at once (`fit`).
    - `step`, one token with the keys and values of the earlier ones
      (a growing cache, or a fixed-size buffer written at the token's
      position: see `step`), so token `t` costs O(t), not a recompute of the
      prefix. The causal mask of a one-step query must not come from the
      query's length (it would hide every key but the first): the step passes
      the token's absolute position (`query_positions`). The cross-attention
      keys and values come from `prepare_memory`, projected once per source
      sentence.

    Args:
        embedding_dim: int, the model depth `d` (inputs, outputs and the
            encoder outputs).
        num_heads: int dividing `embedding_dim`, the attention heads.
        feedforward_dim: int, the inner size of the feed-forward network.
        dropout: float in `[0, 1)`, on the attention weights, the
            feed-forward activations and every sub-layer's output.
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `(B, T, d)`, the embedded targets.
        encoder_outputs: `(B, S, d)`.
        padding_mask: optional bool `(B, T)`, True at real target tokens.
        encoder_outputs_mask: optional bool `(B, S)`, True at real source
            tokens; filled in from the Keras mask of `encoder_outputs`.
        return_attention_scores: bool, also return the cross-attention weights.
        training: bool, whether dropout is applied.

    Returns:
        `(B, T, d)`, and with `return_attention_scores=True` also the
        cross-attention weights `(B, H, T, S)`.
    """

    causal = True

    def __init__(self, embedding_dim, num_heads, feedforward_dim, dropout=0.0, **kwargs):
        super().__init__(embedding_dim, num_heads, feedforward_dim, dropout=dropout, **kwargs)
        self.cross_attention_norm = self._layer_norm("cross_attention_norm")
        self.cross_attention = ScaledDotProductAttention(
            num_heads=num_heads,
            key_dim=embedding_dim // num_heads,
            dropout=self.dropout,
            name="cross_attention",
            dtype=self.dtype_policy,
        )

    @property
    def head_dim(self):
        """Features per attention head: `embedding_dim // num_heads`."""
        return self.embedding_dim // self.num_heads

    def build(
        self, inputs_shape, encoder_outputs_shape, padding_mask_shape=None, encoder_outputs_mask_shape=None
    ):
        self._check_depth(inputs_shape)
        self._check_depth(encoder_outputs_shape)
        shape = (inputs_shape[0], None, self.embedding_dim)
        self.self_attention_norm.build(shape)
        self.self_attention.build(shape, shape)
        self.cross_attention_norm.build(shape)
        self.cross_attention.build(shape, (encoder_outputs_shape[0], None, self.embedding_dim))
        self._build_feedforward(shape)

    # === teacher forcing (fit) ===
    def call(
        self,
        inputs,
        encoder_outputs,
        padding_mask=None,
        encoder_outputs_mask=None,
        return_attention_scores=False,
        training=None,
    ):
        h = self.self_attention_norm(inputs)  # (B, T, d)
        h = self.self_attention(h, h, query_mask=padding_mask, value_mask=padding_mask, training=training)
        x = inputs + self.dropout_layer(h, training=training)  # (B, T, d)
        memory = self.prepare_memory(encoder_outputs)
        x, weights = self._cross_attend(x, memory, padding_mask, encoder_outputs_mask, training)
        x = self.feedforward(x, training=training)  # (B, T, d)
        if return_attention_scores:
            return x, weights  # (B, T, d), (B, H, T, S)
        return x

    # === decoding (generate) ===
    def prepare_memory(self, encoder_outputs):
        """The cross-attention keys and values `(B, H, S, k)` of one source batch."""
        return self.cross_attention.prepare_memory(encoder_outputs)

    def step(self, inputs, cache, memory, encoder_outputs_mask=None, position=None):
        """One target token (inference mode), with the earlier tokens' keys and values.

        Two cache layouts, the same function:

        - growing (`position=None`): `cache` holds exactly the `t` earlier
          tokens, `(N, H, t, k)`; the token's key and value are appended
          (one concatenation, every shape op-free in LiteRT) and the query
          attends all `t + 1`. Token `t` costs O(t) in compute and copies.
        - fixed (`position` given): `cache` is a `(N, H, L, k)` buffer; the
          token's key and value are written into slot `position` and the
          query attends the whole buffer, the slots after `position` masked
          by absolute position (weight exactly 0). For a loop whose shapes
          cannot change (JAX, XLA).

        Args:
            inputs: `(N, d)`, the embedded token.
            cache: `(keys, values)`, each `(N, H, t, k)` (growing) or
                `(N, H, L, k)` (fixed).
            memory: `(keys, values)` from `prepare_memory`, `(M, H, S, k)`
                with `N = M·K` (see `BaseAttention.attend`).
            encoder_outputs_mask: optional bool `(M, S)`.
            position: None, or int32 `(N,)`: the token's slot in a fixed
                buffer (its position in the target, 0 at [START]).

        Returns:
            `(outputs (N, d), (keys, values), weights (N, H, S))`: the new
            cache holds this token's key and value too.
        """
        h = self.self_attention_norm(inputs)  # (N, d)
        query = ops.expand_dims(h, 1)  # (N, 1, d)
        new_keys, new_values = self.self_attention.prepare_memory(query)  # (N, H, 1, k)
        if position is None:
            keys = ops.concatenate([cache[0], ops.cast(new_keys, cache[0].dtype)], axis=2)  # (N, H, t+1, k)
            values = ops.concatenate(
                [cache[1], ops.cast(new_values, cache[1].dtype)], axis=2
            )  # (N, H, t+1, k)
            # The query is the newest position: the causal mask keeps every key.
            position = ops.zeros_like(inputs[:, 0], dtype="int32") + ops.shape(cache[0])[2]  # (N,)
        else:
            keys = write_at(cache[0], new_keys, position)  # (N, H, L, k)
            values = write_at(cache[1], new_values, position)  # (N, H, L, k)
        # One query position per row (a row's own cache): the rank-3 call keeps
        # the query length a static 1 (a rank-2 query would be read as K query
        # positions per cache row, of a size known at run time only).
        context = self.self_attention.attend(
            query, keys, values, query_positions=ops.expand_dims(position, 1)
        )[:, 0]  # (N, d)
        x = inputs + ops.cast(context, inputs.dtype)  # (N, d)
        x, weights = self._cross_attend(x, memory, None, encoder_outputs_mask, False)
        return self.feedforward(x), (keys, values), weights

    def _cross_attend(self, x, memory, padding_mask, encoder_outputs_mask, training):
        """`x + Dropout(CrossAttention(LN(x)))` and the weights; `x` `(B, [T,] d)`."""
        h = self.cross_attention_norm(x)  # (B, [T,] d)
        context, weights = self.cross_attention.attend(
            h,
            *memory,
            query_mask=padding_mask,
            value_mask=encoder_outputs_mask,
            return_attention_scores=True,
            training=training,
        )  # (B, [T,] d), (B, H, [T,] S)
        if self.num_heads == 1:  # the attention layer drops a single head's axis
            weights = ops.expand_dims(weights, 1)  # (B, 1, [T,] S)
        x = x + self.dropout_layer(ops.cast(context, x.dtype), training=training)  # (B, [T,] d)
        return x, weights


def write_at(cache, update, position):
    """`cache` with row n's slot `position[n]` set to `update[n]`, every head.

    Args:
        cache: `(N, H, L, k)`.
        update: `(N, H, 1, k)`.
        position: int `(N,)`, `0 <= position < L`.

    Returns:
        `(N, H, L, k)`. One scatter of `N * H` rows into the buffer seen as
        `(N * H, L, k)` (TFLite builtin ops).
    """
    shape = ops.shape(cache)
    rows, heads, length, depth = shape[0], shape[1], shape[2], shape[3]
    flat = ops.reshape(cache, (rows * heads, length, depth))  # (N*H, L, k)
    positions = ops.broadcast_to(ops.expand_dims(ops.cast(position, "int32"), 1), (rows, heads))  # (N, H)
    indices = ops.stack(
        [ops.arange(rows * heads, dtype="int32"), ops.reshape(positions, (rows * heads,))], axis=1
    )  # (N*H, 2)
    updates = ops.cast(ops.reshape(update, (rows * heads, depth)), cache.dtype)  # (N*H, k)
    return ops.reshape(ops.scatter_update(flat, indices, updates), shape)  # (N, H, L, k)
