"""The encoder/decoder model with attention."""

import keras

from keras_s2s.layers.attention_decoder import AttentionDecoder
from keras_s2s.layers.rnn_encoder import RNNEncoder
from keras_s2s.models.encoder_decoder_model import EncoderDecoderModel, check_output_bias


@keras.saving.register_keras_serializable(package="keras_s2s")
class Seq2Seq(EncoderDecoderModel):
    """An RNN encoder/decoder with attention, as a functional Keras model.

    p(y | x) = Π_t softmax(W_o h̃_t)[y_t]

    where the encoder (`RNNEncoder`) reads the source `x` and the decoder
    (`AttentionDecoder`) attends to the encoder outputs at every target step
    (Bahdanau et al. 2015; Luong et al. 2015). With `attention=None`, only
    the encoder's final state reaches the decoder (the fixed-length context
    vector of Cho et al. 2014).

    Inputs: `{"source_ids": (B, S) int32, "target_ids": (B, T) int32}`, both
    0-padded; `target_ids` is `[START] y_1 … y_{T-1}` (teacher forcing).
    Output: logits `(B, T, target_vocab_size)` predicting `y_1 … y_T`.

    Args:
        source_vocab_size: int, source vocabulary size (ids 0–3 are special).
        target_vocab_size: int, target vocabulary size.
        embedding_dim: int, size of the token embeddings.
        units: int, recurrent hidden size (per direction in the encoder).
        cell: `"gru"` or `"lstm"`.
        bidirectional: bool, bidirectional encoder.
        num_layers: int, recurrent layers in the encoder and in the decoder.
        dropout: float in `[0, 1)`.
        attention: `"additive"`, `"multiplicative"`, `"scaled_dot"`, an
            attention layer, or None (no-attention baseline).
        input_feeding: bool, Luong's input feeding.
        output_bias: `"prior"` (default): the first `fit` of an untrained
            model sets the output bias to the log unigram frequencies of its
            training targets (see `initialize_output_bias`); `"zeros"`: no.

    Example:
    ```python
    model = keras_s2s.models.Seq2Seq(8000, 8000, attention="additive")
    model.compile()
    model.fit(dataset, epochs=10)
    ```
    """

    def __init__(
        self,
        source_vocab_size,
        target_vocab_size,
        embedding_dim=256,
        units=256,
        cell="gru",
        bidirectional=True,
        num_layers=1,
        dropout=0.0,
        attention="additive",
        input_feeding=False,
        output_bias="prior",
        **kwargs,
    ):
        check_output_bias(output_bias)
        # === Layers ===
        self.encoder = RNNEncoder(
            source_vocab_size,
            embedding_dim,
            units,
            cell=cell,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            name="encoder",
        )
        self.decoder = AttentionDecoder(
            target_vocab_size,
            embedding_dim,
            units,
            attention=attention,
            cell=cell,
            num_layers=num_layers,
            dropout=dropout,
            input_feeding=input_feeding,
            name="decoder",
        )

        # === Functional Model ===
        source_ids = keras.Input(shape=(None,), dtype="int32", name="source_ids")
        target_ids = keras.Input(shape=(None,), dtype="int32", name="target_ids")
        encoder_outputs, encoder_state = self.encoder(source_ids)
        logits = self.decoder(target_ids, encoder_outputs, encoder_state)
        super().__init__(
            inputs={"source_ids": source_ids, "target_ids": target_ids},
            outputs=logits,
            **kwargs,
        )

        # === Config ===
        self.source_vocab_size = source_vocab_size
        self.target_vocab_size = target_vocab_size
        self.embedding_dim = embedding_dim
        self.units = units
        self.cell = cell
        self.bidirectional = bidirectional
        self.num_layers = num_layers
        self.dropout = dropout
        self.attention = attention
        self.input_feeding = input_feeding
        self.output_bias = output_bias

    def _initial_decoder_state(self, source_ids, encoder_state, max_length):
        return self.decoder.initial_state(encoder_state)

    def _output_bias_variable(self):
        return self.decoder.output_layer.bias

    def get_config(self):
        attention = self.attention
        if isinstance(attention, keras.layers.Layer):
            attention = keras.saving.serialize_keras_object(attention)
        return {
            "name": self.name,
            "trainable": self.trainable,
            "source_vocab_size": self.source_vocab_size,
            "target_vocab_size": self.target_vocab_size,
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "cell": self.cell,
            "bidirectional": self.bidirectional,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "attention": attention,
            "input_feeding": self.input_feeding,
            "output_bias": self.output_bias,
        }
