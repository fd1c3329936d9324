"""The Transformer encoder/decoder as a functional Keras model."""

import keras
from keras import ops

from keras_s2s.decoding import backend as decoding_backend
from keras_s2s.layers.transformer_decoder import TransformerDecoder
from keras_s2s.layers.transformer_encoder import TransformerEncoder
from keras_s2s.models.encoder_decoder_model import EncoderDecoderModel, check_output_bias


@keras.saving.register_keras_serializable(package="keras_s2s")
class Transformer(EncoderDecoderModel):
    """The Transformer of Vaswani et al. 2017, as a functional Keras model.

    p(y | x) = Π_t softmax(LN(x_L,t) Eᵀ + b)[y_t]

    where `TransformerEncoder` reads the source `x` with self-attention and
    `TransformerDecoder` runs causal self-attention over `[START] y_<t` and
    cross-attention over the encoder outputs (Vaswani et al., "Attention Is
    All You Need", NeurIPS 2017), with pre-layer-norm blocks, sinusoidal
    positions and, by default, the target embedding shared with the output
    projection. All attention is the project's `ScaledDotProductAttention`.

    The model has the inputs, output, `compile()` defaults, `fit`,
    `generate()` and `decode_encoded` of `Seq2Seq` (see
    `EncoderDecoderModel`), so `keras_s2s.Translator` and both exporters take
    it unchanged; `generate`'s `"attention"` is the last decoder block's
    cross-attention averaged over heads. Decoding steps the decoder with a
    self-attention key/value cache (see `TransformerDecoder`).

    Inputs: `{"source_ids": (B, S) int32, "target_ids": (B, T) int32}`, both
    0-padded; `target_ids` is `[START] y_1 … y_{T-1}` (teacher forcing).
    Output: logits `(B, T, target_vocab_size)` float32 predicting `y_1 … y_T`.

    Args:
        source_vocab_size: int, source vocabulary size (ids 0–3 are special).
        target_vocab_size: int, target vocabulary size.
        embedding_dim: int, the model depth `d_model`.
        num_layers: int, blocks in the encoder and in the decoder.
        num_heads: int dividing `embedding_dim`, attention heads.
        feedforward_dim: int, the inner size of the feed-forward networks.
        dropout: float in `[0, 1)`.
        tie_embeddings: bool, the decoder's output projection is its
            transposed target embedding matrix.
        output_bias: `"prior"` (default): the first `fit` of an untrained
            model sets the logits' bias to the log unigram frequencies of its
            training targets (see `initialize_output_bias`); `"zeros"`: no.

    Example:
    ```python
    model = keras_s2s.models.Transformer(8000, 8000, embedding_dim=256, num_layers=3)
    schedule = keras_s2s.optimizers.InverseSquareRootSchedule(256, warmup_steps=4000)
    model.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0), label_smoothing=0.1)
    model.fit(dataset, epochs=10)
    model.generate(source_ids, strategy="beam")  # {"ids", "scores", "attention"}
    ```
    """

    def __init__(
        self,
        source_vocab_size,
        target_vocab_size,
        embedding_dim=256,
        num_layers=3,
        num_heads=4,
        feedforward_dim=1024,
        dropout=0.1,
        tie_embeddings=True,
        output_bias="prior",
        **kwargs,
    ):
        check_output_bias(output_bias)
        # === Layers ===
        self.encoder = TransformerEncoder(
            source_vocab_size,
            embedding_dim=embedding_dim,
            num_layers=num_layers,
            num_heads=num_heads,
            feedforward_dim=feedforward_dim,
            dropout=dropout,
            name="encoder",
        )
        self.decoder = TransformerDecoder(
            target_vocab_size,
            embedding_dim=embedding_dim,
            num_layers=num_layers,
            num_heads=num_heads,
            feedforward_dim=feedforward_dim,
            dropout=dropout,
            tie_embeddings=tie_embeddings,
            name="decoder",
        )

        # === Functional Model ===
        source_ids = keras.Input(shape=(None,), dtype="int32", name="source_ids")
        target_ids = keras.Input(shape=(None,), dtype="int32", name="target_ids")
        encoder_outputs = self.encoder(source_ids)  # carries the source mask
        logits = self.decoder(target_ids, encoder_outputs)
        super().__init__(
            inputs={"source_ids": source_ids, "target_ids": target_ids},
            outputs=logits,
            **kwargs,
        )

        # === Config ===
        self.source_vocab_size = source_vocab_size
        self.target_vocab_size = target_vocab_size
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.feedforward_dim = feedforward_dim
        self.dropout = dropout
        self.tie_embeddings = tie_embeddings
        self.output_bias = output_bias

    def _encode(self, source_ids):
        return self.encoder.encode_stepwise(source_ids)  # (outputs, []): no recurrent state

    def _initial_decoder_state(self, source_ids, encoder_state, max_length):
        if len(encoder_state):
            raise ValueError(
                "A Transformer decoder starts from no encoder state. "
                f"Received: encoder_state with {len(encoder_state)} tensors"
            )
        # Growing caches where the decode loop's shapes may change; fixed
        # buffers of `max_length` under JAX and XLA.
        fixed = decoding_backend.fixed_shapes()
        return self.decoder.initial_state(ops.shape(source_ids)[0], max_length if fixed else None)

    def _output_bias_variable(self):
        return self.decoder.logits_bias

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "source_vocab_size": self.source_vocab_size,
            "target_vocab_size": self.target_vocab_size,
            "embedding_dim": self.embedding_dim,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "feedforward_dim": self.feedforward_dim,
            "dropout": self.dropout,
            "tie_embeddings": self.tie_embeddings,
            "output_bias": self.output_bias,
        }
