"""Transformer encoder: scaled embeddings + sinusoidal positions + pre-LN blocks."""

import math

import keras
from keras import ops

from keras_s2s.layers.sinusoidal_position_encoding import SinusoidalPositionEncoding
from keras_s2s.layers.transformer_encoder_block import (
    LAYER_NORM_EPSILON,
    TransformerEncoderBlock,
    check_transformer_args,
)


def token_embedding(vocab_size, embedding_dim, dtype):
    """The Transformer's token embedding: N(0, d^-0.5) entries, so `√d · E[y]` has unit scale."""
    return keras.layers.Embedding(
        vocab_size,
        embedding_dim,
        embeddings_initializer=keras.initializers.RandomNormal(stddev=embedding_dim**-0.5),
        name="embedding",
        dtype=dtype,
    )


@keras.saving.register_keras_serializable(package="keras_s2s")
class TransformerEncoder(keras.layers.Layer):
    """The Transformer encoder: embeddings, positions and a stack of blocks.

        x_0 = √d · E[x] + PE(0 … S-1)
        x_l = TransformerEncoderBlock_l(x_{l-1}),   l = 1 … num_layers
        outputs = LN(x_L)

    (Vaswani et al., "Attention Is All You Need", NeurIPS 2017, §3.1, §3.4,
    §3.5), with pre-layer-norm blocks and the final layer normalization they
    need. Padding (id 0) is masked in every self-attention, and the outputs
    carry the source mask, so a decoder's cross-attention skips the padding
    in the functional API.

    Args:
        vocab_size: int, size of the source vocabulary (id 0 is padding).
        embedding_dim: int, the model depth `d`.
        num_layers: int, number of blocks.
        num_heads: int dividing `embedding_dim`, attention heads per block.
        feedforward_dim: int, the inner size of each feed-forward network.
        dropout: float in `[0, 1)`, on the embeddings, the attention weights
            and every sub-layer's output.
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Call arguments:
        source_ids: int `(B, S)`, 0-padded.
        training: bool, whether dropout is applied.

    Returns:
        The encoder outputs `(B, S, d)`, with the Keras mask `source_ids != 0`.

    Example:
    ```python
    encoder = TransformerEncoder(8000, embedding_dim=256, num_layers=3)
    encoder_outputs = encoder(source_ids)  # (B, S, 256)
    ```
    """

    def __init__(
        self,
        vocab_size,
        embedding_dim=256,
        num_layers=3,
        num_heads=4,
        feedforward_dim=1024,
        dropout=0.1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_transformer_args(
            embedding_dim, num_heads, feedforward_dim, dropout, vocab_size=vocab_size, num_layers=num_layers
        )
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.feedforward_dim = feedforward_dim
        self.dropout = float(dropout)
        self.supports_masking = True
        policy = self.dtype_policy
        self.embedding = token_embedding(vocab_size, embedding_dim, policy)
        self.position_encoding = SinusoidalPositionEncoding(name="position_encoding", dtype=policy)
        self.dropout_layer = keras.layers.Dropout(self.dropout, dtype=policy)
        self.blocks = [
            TransformerEncoderBlock(
                embedding_dim,
                num_heads,
                feedforward_dim,
                dropout=self.dropout,
                name=f"block_{i}",
                dtype=policy,
            )
            for i in range(num_layers)
        ]
        self.final_norm = keras.layers.LayerNormalization(
            epsilon=LAYER_NORM_EPSILON, name="final_norm", dtype=policy
        )

    def build(self, source_ids_shape):
        self.embedding.build(source_ids_shape)
        shape = (source_ids_shape[0], None, self.embedding_dim)
        for block in self.blocks:
            block.build(shape)
        self.final_norm.build(shape)

    def call(self, source_ids, training=None):
        padding_mask = ops.not_equal(source_ids, 0)  # (B, S)
        x = self.embedding(source_ids) * math.sqrt(self.embedding_dim)  # (B, S, d)
        x = x + self.position_encoding(x)  # (B, S, d)
        x = self.dropout_layer(x, training=training)
        for block in self.blocks:
            x = block(x, padding_mask=padding_mask, training=training)  # (B, S, d)
        return self.final_norm(x)  # (B, S, d)

    def encode_stepwise(self, source_ids):
        """The exporters' entry point: `(call(source_ids, training=False), [])`.

        An RNN encoder runs its cells step by step here (`RNNEncoder`); a
        Transformer encoder has no recurrence, so its inference-mode call is
        already made of TFLite builtin ops. The empty list stands for the
        final recurrent state it does not have, so the pair has the shape of
        `RNNEncoder.encode_stepwise`'s and goes to `decode_encoded` as is.

        Args:
            source_ids: int32 `(B, S)`, 0-padded.

        Returns:
            `(encoder_outputs (B, S, d), [])`.
        """
        return self(source_ids, training=False), []

    def compute_output_shape(self, source_ids_shape):
        return (*source_ids_shape, self.embedding_dim)

    def compute_mask(self, source_ids, previous_mask=None):
        return ops.not_equal(source_ids, 0)

    def get_config(self):
        base_config = super().get_config()
        config = {
            "vocab_size": self.vocab_size,
            "embedding_dim": self.embedding_dim,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "feedforward_dim": self.feedforward_dim,
            "dropout": self.dropout,
        }
        return {**base_config, **config}
