"""One pre-layer-norm Transformer encoder block: self-attention + feed-forward."""

import keras

from keras_s2s.layers.scaled_dot_product_attention import ScaledDotProductAttention

LAYER_NORM_EPSILON = 1e-5


def check_transformer_args(embedding_dim, num_heads, feedforward_dim, dropout, **positive):
    """Validates the arguments every Transformer layer shares.

    Args:
        embedding_dim: int, the model depth `d`.
        num_heads: int dividing `embedding_dim`.
        feedforward_dim: int, the inner size of the feed-forward network.
        dropout: float in `[0, 1)`.
        **positive: further arguments that must be positive ints
            (`vocab_size=...`, `num_layers=...`).

    Raises:
        ValueError: naming the first bad argument and its value.
    """
    values = {
        "embedding_dim": embedding_dim,
        "num_heads": num_heads,
        "feedforward_dim": feedforward_dim,
        **positive,
    }
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    if embedding_dim % num_heads:
        raise ValueError(
            "`embedding_dim` must be divisible by `num_heads` (each head has "
            f"embedding_dim // num_heads features). Received: num_heads={num_heads}, "
            f"embedding_dim={embedding_dim}"
        )
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be a float in [0, 1). Received: dropout={dropout!r}")


@keras.saving.register_keras_serializable(package="keras_s2s")
class TransformerEncoderBlock(keras.layers.Layer):
    """A pre-layer-norm Transformer encoder block.

        h = x + Dropout(SelfAttention(LN(x)))
        y = h + Dropout(FFN(LN(h))),      FFN(z) = W_2 relu(W_1 z + b_1) + b_2

    The residual sub-layers of Vaswani et al., "Attention Is All You Need"
    (NeurIPS 2017, §3.1), with the layer normalization moved in front of
    each sub-layer (pre-LN, Xiong et al. 2020), which trains without the
    warmup a post-LN Transformer needs. The self-attention is the project's
    multi-head `ScaledDotProductAttention` with `num_heads` heads of
    `embedding_dim // num_heads` features; padded positions are neither
    attended to nor attend (their outputs are left to be masked downstream).

    Args:
        embedding_dim: int, the model depth `d` (inputs and outputs).
        num_heads: int dividing `embedding_dim`, the attention heads.
        feedforward_dim: int, the inner size of the feed-forward network.
        dropout: float in `[0, 1)`, on the attention weights, the
            feed-forward activations and every sub-layer's output before the
            residual sum.
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `(B, T, d)`.
        padding_mask: optional bool `(B, T)`, True at real tokens.
        training: bool, whether dropout is applied.

    Returns:
        `(B, T, d)`.
    """

    #: Whether the self-attention is causal (the decoder block's is).
    causal = False

    def __init__(self, embedding_dim, num_heads, feedforward_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        check_transformer_args(embedding_dim, num_heads, feedforward_dim, dropout)
        self.embedding_dim = embedding_dim
        self.num_heads = num_heads
        self.feedforward_dim = feedforward_dim
        self.dropout = float(dropout)
        self.supports_masking = True
        policy = self.dtype_policy
        self.self_attention_norm = self._layer_norm("self_attention_norm")
        self.self_attention = ScaledDotProductAttention(
            num_heads=num_heads,
            key_dim=embedding_dim // num_heads,
            dropout=self.dropout,
            use_causal_mask=self.causal,
            name="self_attention",
            dtype=policy,
        )
        self.feedforward_norm = self._layer_norm("feedforward_norm")
        self.feedforward_inner = keras.layers.Dense(
            feedforward_dim, activation="relu", name="feedforward_inner", dtype=policy
        )
        self.feedforward_output = keras.layers.Dense(embedding_dim, name="feedforward_output", dtype=policy)
        self.dropout_layer = keras.layers.Dropout(self.dropout, dtype=policy)

    def _layer_norm(self, name):
        return keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name=name, dtype=self.dtype_policy)

    def build(self, inputs_shape, padding_mask_shape=None):
        self._check_depth(inputs_shape)
        shape = (inputs_shape[0], None, self.embedding_dim)
        self.self_attention_norm.build(shape)
        self.self_attention.build(shape, shape)
        self._build_feedforward(shape)

    def _build_feedforward(self, shape):
        self.feedforward_norm.build(shape)
        self.feedforward_inner.build(shape)
        self.feedforward_output.build((shape[0], None, self.feedforward_dim))

    def call(self, inputs, padding_mask=None, training=None):
        h = self.self_attention_norm(inputs)  # (B, T, d)
        h = self.self_attention(h, h, query_mask=padding_mask, value_mask=padding_mask, training=training)
        x = inputs + self.dropout_layer(h, training=training)  # (B, T, d)
        return self.feedforward(x, training=training)  # (B, T, d)

    def feedforward(self, x, training=None):
        """The feed-forward sub-layer with its residual: `x + FFN(LN(x))`, any leading shape."""
        h = self.feedforward_inner(self.feedforward_norm(x))  # (..., f)
        h = self.feedforward_output(self.dropout_layer(h, training=training))  # (..., d)
        return x + self.dropout_layer(h, training=training)  # (..., d)

    def _check_depth(self, shape):
        if shape[-1] != self.embedding_dim:
            raise ValueError(
                f"{self.__class__.__name__}(embedding_dim={self.embedding_dim}) expects "
                f"inputs of depth {self.embedding_dim}. Received: inputs.shape={tuple(shape)}"
            )

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask

    def get_config(self):
        base_config = super().get_config()
        config = {
            "embedding_dim": self.embedding_dim,
            "num_heads": self.num_heads,
            "feedforward_dim": self.feedforward_dim,
            "dropout": self.dropout,
        }
        return {**base_config, **config}
