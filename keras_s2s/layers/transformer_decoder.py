"""Transformer decoder: causal pre-LN blocks with cross-attention and a key/value cache."""

import math

import keras
from keras import ops

from keras_s2s.layers.sinusoidal_position_encoding import SinusoidalPositionEncoding
from keras_s2s.layers.transformer_decoder_block import TransformerDecoderBlock
from keras_s2s.layers.transformer_encoder import token_embedding
from keras_s2s.layers.transformer_encoder_block import LAYER_NORM_EPSILON, check_transformer_args


@keras.saving.register_keras_serializable(package="keras_s2s")
class TransformerDecoder(keras.layers.Layer):
    """The Transformer decoder, teacher-forced for `fit`, one token at a time for decoding.

        x_0 = √d · E[y] + PE(0 … T-1)
        x_l = TransformerDecoderBlock_l(x_{l-1}, encoder_outputs)
        p(y_t | y_<t, x) = softmax(LN(x_L) Eᵀ + b)     (`tie_embeddings=True`)

    (Vaswani et al., "Attention Is All You Need", NeurIPS 2017, §3.1, §3.4:
    the output projection shares the target embedding matrix; with
    `tie_embeddings=False` it is a matrix of its own.) The bias `b`
    (`logits_bias`) lets a model start from the targets' unigram prior.
    Logits are float32 under any dtype policy (under a mixed policy the
    tied projection reads the embedding matrix autocast, like every weight).

    The decoder has the entry points of `AttentionDecoder`, so the decoding
    strategies drive it unchanged: `prepare_memory` projects the
    cross-attention keys and values of every block once per source
    sentence; `initial_state(batch_size, max_length)` makes the decoding
    state, a dict of tensors with the batch first (beam search tiles and
    reorders it by rows), in one of two layouts:

    - growing (`max_length=None`; TensorFlow, eager or in a graph, the
      SavedModel and LiteRT exports, PyTorch): `"keys"`, `"values"`, one
      `(N, H, t, k)` cache per block holding the `t` tokens decoded so far;
      each step appends one position. Copies, reorders and attention all
      cost O(t) at step `t`.
    - fixed (`max_length` given; required under JAX and XLA, whose loops
      keep their shapes; `Transformer` picks with
      `decoding.backend.fixed_shapes()`):
      also `"position"` int32 `(N,)`, the next token's position, and the
      caches are `(N, H, max_length, k)` buffers written in place at
      `position`, attended whole with the unwritten slots masked.

    `step` embeds one token at its absolute position and runs every block's
    `TransformerDecoderBlock.step` on its cache; both layouts compute the same
    logits.

    Args:
        vocab_size: int, size of the target vocabulary (id 0 is padding).
        embedding_dim: int, the model depth `d`.
        num_layers: int, number of blocks.
        num_heads: int dividing `embedding_dim`, attention heads per block.
        feedforward_dim: int, the inner size of each feed-forward network.
        dropout: float in `[0, 1)`, on the embeddings, the attention weights
            and every sub-layer's output.
        tie_embeddings: bool, project to the logits with the transposed
            target embedding matrix.
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Call arguments:
        target_ids: int `(B, T)`, `[START] y_1 … y_{T-1}`, 0-padded.
        encoder_outputs: `(B, S, d)`.
        encoder_outputs_mask: optional bool `(B, S)`; filled in from the
            Keras mask of `encoder_outputs` in the functional API.
        return_attention_scores: bool.
        training: bool.

    Returns:
        logits `(B, T, vocab_size)` float32, and with
        `return_attention_scores=True` also the last block's cross-attention
        weights averaged over heads, `(B, T, S)`.
    """

    def __init__(
        self,
        vocab_size,
        embedding_dim=256,
        num_layers=3,
        num_heads=4,
        feedforward_dim=1024,
        dropout=0.1,
        tie_embeddings=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_transformer_args(
            embedding_dim, num_heads, feedforward_dim, dropout, vocab_size=vocab_size, num_layers=num_layers
        )
        if not isinstance(tie_embeddings, bool):
            raise ValueError(f"`tie_embeddings` must be a bool. Received: tie_embeddings={tie_embeddings!r}")
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.feedforward_dim = feedforward_dim
        self.dropout = float(dropout)
        self.tie_embeddings = tie_embeddings
        policy = self.dtype_policy
        self.embedding = token_embedding(vocab_size, embedding_dim, policy)
        self.position_encoding = SinusoidalPositionEncoding(name="position_encoding", dtype=policy)
        self.dropout_layer = keras.layers.Dropout(self.dropout, dtype=policy)
        self.blocks = [
            TransformerDecoderBlock(
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
        self.output_layer = None
        if not tie_embeddings:
            self.output_layer = keras.layers.Dense(vocab_size, use_bias=False, name="logits", dtype="float32")

    def build(self, target_ids_shape, encoder_outputs_shape, encoder_outputs_mask_shape=None):
        self.embedding.build(target_ids_shape)
        shape = (target_ids_shape[0], None, self.embedding_dim)
        for block in self.blocks:
            block.build(shape, encoder_outputs_shape)
        self.final_norm.build(shape)
        if self.output_layer is not None:
            self.output_layer.build(shape)
        # Read in float32 (not autocast): the logits are float32.
        self.logits_bias = self.add_weight(
            name="logits_bias", shape=(self.vocab_size,), initializer="zeros", autocast=False
        )

    # === teacher forcing (fit) ===
    def call(
        self,
        target_ids,
        encoder_outputs,
        encoder_outputs_mask=None,
        return_attention_scores=False,
        training=None,
    ):
        padding_mask = ops.not_equal(target_ids, 0)  # (B, T)
        x = self.dropout_layer(self._embed(target_ids), training=training)  # (B, T, d)
        for block in self.blocks:
            x, weights = block(
                x,
                encoder_outputs,
                padding_mask=padding_mask,
                encoder_outputs_mask=encoder_outputs_mask,
                return_attention_scores=True,
                training=training,
            )  # (B, T, d), (B, H, T, S)
        logits = self._logits(x)  # (B, T, V)
        if return_attention_scores:
            return logits, ops.mean(weights, axis=1)  # (B, T, V), (B, T, S)
        return logits

    # === decoding (generate) ===
    def prepare_memory(self, encoder_outputs, source_mask=None):
        """Source-side tensors computed once per sentence.

        Args:
            encoder_outputs: `(B, S, d)`.
            source_mask: optional bool `(B, S)`, True at real source tokens.

        Returns:
            dict: `"keys"`, `"values"` (one `(B, H, S, k)` tensor per block)
            and `"source_mask"` bool `(B, S)`.
        """
        if not self.built:  # decoding a decoder that was never called
            self.build((None, None), tuple(encoder_outputs.shape))
        if source_mask is None:
            source_mask = ops.ones(ops.shape(encoder_outputs)[:2], dtype="bool")
        keys, values = [], []
        for block in self.blocks:
            block_keys, block_values = block.prepare_memory(encoder_outputs)  # (B, H, S, k)
            keys.append(ops.cast(block_keys, self.compute_dtype))
            values.append(ops.cast(block_values, self.compute_dtype))
        return {"keys": keys, "values": values, "source_mask": ops.cast(source_mask, "bool")}

    def initial_state(self, batch_size, max_length):
        """The decoding state before [START]: empty caches (see the class docstring).

        Args:
            batch_size: int or scalar int tensor, `N`.
            max_length: None for growing caches `(N, H, 0, k)` (a decode
                loop whose shapes may change); else an int or scalar int
                tensor, the most tokens the decode generates: fixed
                `(N, H, max_length, k)` zero buffers and `"position"` (JAX,
                XLA).

        Returns:
            dict: `"keys"` and `"values"`, one cache per block, and with
            `max_length` also `"position"` int32 `(N,)` zeros.
        """
        head_dim = self.embedding_dim // self.num_heads
        length = 0 if max_length is None else max_length
        shape = (batch_size, self.num_heads, length, head_dim)
        buffers = [ops.zeros(shape, dtype=self.compute_dtype) for _ in self.blocks]  # (N, H, 0 or L, k)
        state = {"keys": buffers, "values": list(buffers)}
        if max_length is not None:
            state["position"] = ops.zeros((batch_size,), dtype="int32")
        return state

    def step(self, token_ids, state, memory):
        """One decoding step (`keras_s2s.decoding` step-function contract).

        Args:
            token_ids: int `(N,)`, the previous token.
            state: the dict made by `initial_state` (or the previous step).
            memory: the dict made by `prepare_memory`, leading dim `M`
                (`N = M·K`).

        Returns:
            `(logits (N, V) float32, new_state, attention (N, S) float32)`;
            the attention is the last block's cross-attention averaged over
            heads.
        """
        fixed = "position" in state  # fixed buffers written at `position`
        if fixed:
            position = ops.cast(state["position"], "int32")  # (N,)
        else:  # a growing cache's length is the next token's position
            position = ops.zeros_like(token_ids, dtype="int32") + ops.shape(state["keys"][0])[2]  # (N,)
        x = self._embed(ops.expand_dims(token_ids, 1), ops.expand_dims(position, 1))[:, 0]  # (N, d)
        keys, values = [], []
        for i, block in enumerate(self.blocks):
            cache = (state["keys"][i], state["values"][i])  # (N, H, t or L, k) each
            block_memory = (memory["keys"][i], memory["values"][i])  # (M, H, S, k) each
            x, (block_keys, block_values), weights = block.step(
                x, cache, block_memory, memory["source_mask"], position=position if fixed else None
            )  # (N, d), (N, H, t+1 or L, k), (N, H, S)
            keys.append(block_keys)
            values.append(block_values)
        logits = self._logits(x)  # (N, V)
        new_state = {"keys": keys, "values": values}
        if fixed:
            new_state["position"] = position + 1
        return logits, new_state, ops.cast(ops.mean(weights, axis=1), "float32")  # (N, S)

    def _embed(self, token_ids, positions=None):
        """`√d · E[y] + PE(positions)`: `(B, T)` ids → `(B, T, d)`."""
        x = self.embedding(token_ids) * math.sqrt(self.embedding_dim)  # (B, T, d)
        return x + self.position_encoding(x, positions)  # (B, T, d)

    def _logits(self, x):
        """`LN(x) Eᵀ + b` (or `LN(x) W + b`) in float32: `(..., d)` → `(..., V)`."""
        h = self.final_norm(x)  # (..., d)
        if self.output_layer is not None:
            logits = self.output_layer(h)  # (..., V)
        else:
            embeddings = ops.cast(self.embedding.embeddings, "float32")  # (V, d)
            logits = ops.matmul(ops.cast(h, "float32"), ops.transpose(embeddings))  # (..., V)
        return ops.cast(logits, "float32") + self.logits_bias

    def compute_mask(self, target_ids, previous_mask=None):
        return None

    def get_config(self):
        base_config = super().get_config()
        config = {
            "vocab_size": self.vocab_size,
            "embedding_dim": self.embedding_dim,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "feedforward_dim": self.feedforward_dim,
            "dropout": self.dropout,
            "tie_embeddings": self.tie_embeddings,
        }
        return {**base_config, **config}
