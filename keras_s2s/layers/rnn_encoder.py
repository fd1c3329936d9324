"""Recurrent encoder: embedding + (bi)directional stacked GRU/LSTM."""

import keras
from keras import ops

from keras_s2s.layers.gru import GRU
from keras_s2s.layers.lstm import LSTM
from keras_s2s.layers.stepwise_rnn import run_cell

CELLS = ("gru", "lstm")


def rnn_layer(cell, units, **kwargs):
    """A `GRU` or `LSTM` layer returning sequences and states.

    `keras_s2s.layers.GRU` / `LSTM`: Keras' layers (same weights, same
    math) with the input projections of all steps computed before the time
    loop.
    """
    cls = {"gru": GRU, "lstm": LSTM}[cell]
    return cls(units, return_sequences=True, return_state=True, **kwargs)


def check_rnn_args(vocab_size, embedding_dim, units, cell, num_layers, dropout):
    """Validates the arguments shared by the encoder and the decoder."""
    for name, value in (
        ("vocab_size", vocab_size),
        ("embedding_dim", embedding_dim),
        ("units", units),
        ("num_layers", num_layers),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    if cell not in CELLS:
        raise ValueError(f"`cell` must be one of {CELLS}. Received: cell={cell!r}")
    if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be a float in [0, 1). Received: dropout={dropout!r}")


@keras.saving.register_keras_serializable(package="keras_s2s")
class RNNEncoder(keras.layers.Layer):
    """Embeds source ids and runs a stack of (bidirectional) GRU/LSTM layers.

    h_j = [→h_j ; ←h_j]           (bidirectional, Bahdanau et al. 2015 §3.2)
    s_0 = tanh(W_s [→h_S ; ←h_1])  (the bridge to the decoder's size)

    Padding (id 0) is masked: the recurrent layers skip it, so the final
    state of each direction is the state after the last real token.

    Args:
        vocab_size: int, size of the source vocabulary (id 0 is padding).
        embedding_dim: int, size of the token embeddings.
        units: int, hidden size of each direction of each layer.
        cell: `"gru"` or `"lstm"`.
        num_layers: int, number of stacked recurrent layers.
        bidirectional: bool, run a backward layer too and concatenate.
        dropout: float in `[0, 1)`, dropout on embeddings and between layers.
        state_units: int or None, size of the final states handed to the
            decoder (default `units`). The states are bridged with a
            `tanh` dense layer when bidirectional or when `state_units` differs
            from `units`.

    Call arguments:
        source_ids: int `(B, S)`, 0-padded.
        training: bool.

    Returns:
        `(sequence_outputs, final_state)`: sequence_outputs `(B, S, D)` with
        `D = 2 * units` if bidirectional else `units` (carrying the source
        mask), and final_state a flat list of `(B, state_units)` tensors, one
        per layer for GRU (`[h_1, ..., h_L]`), two for LSTM
        (`[h_1, c_1, ..., h_L, c_L]`).
    """

    def __init__(
        self,
        vocab_size,
        embedding_dim,
        units,
        cell="gru",
        num_layers=1,
        bidirectional=True,
        dropout=0.0,
        state_units=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_rnn_args(vocab_size, embedding_dim, units, cell, num_layers, dropout)
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.units = units
        self.cell = cell
        self.num_layers = num_layers
        self.bidirectional = bool(bidirectional)
        self.dropout = float(dropout)
        self.state_units = state_units or units
        self.supports_masking = True

        self.embedding = keras.layers.Embedding(
            vocab_size, embedding_dim, mask_zero=True, name="embedding", dtype=self.dtype_policy
        )
        self.rnn_layers = []
        for i in range(num_layers):
            layer = rnn_layer(cell, units, name=f"{cell}_{i}", dtype=self.dtype_policy)
            if self.bidirectional:
                layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{i}", dtype=self.dtype_policy)
            self.rnn_layers.append(layer)
        self.dropout_layer = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)
        self.bridges = []
        if self.bidirectional or self.state_units != units:
            self.bridges = [
                keras.layers.Dense(
                    self.state_units,
                    activation="tanh",
                    name=f"bridge_{i}",
                    dtype=self.dtype_policy,
                )
                for i in range(num_layers * self.states_per_layer)
            ]

    @property
    def states_per_layer(self):
        return 2 if self.cell == "lstm" else 1

    @property
    def output_dim(self):
        return 2 * self.units if self.bidirectional else self.units

    def build(self, source_ids_shape):
        self.embedding.build(source_ids_shape)
        shape = (source_ids_shape[0], source_ids_shape[1], self.embedding_dim)
        for layer in self.rnn_layers:
            layer.build(shape)
            shape = (shape[0], shape[1], self.output_dim)
        state_dim = self.output_dim if self.bidirectional else self.units
        for bridge in self.bridges:
            bridge.build((None, state_dim))

    def call(self, source_ids, training=None):
        mask = ops.not_equal(source_ids, 0)  # (B, S)
        x = self.embedding(source_ids)  # (B, S, E)
        x = self.dropout_layer(x, training=training)
        final_state = []
        for i, layer in enumerate(self.rnn_layers):
            x, *states = layer(x, mask=mask, training=training)  # (B, S, D)
            final_state.extend(self._layer_states(states))
            if i < self.num_layers - 1:
                x = self.dropout_layer(x, training=training)
        if self.bridges:
            final_state = [b(s) for b, s in zip(self.bridges, final_state)]
        return x, final_state

    def encode_stepwise(self, source_ids):
        """`call(source_ids, training=False)` built from cell steps, for export.

        The same cells, weights and math as `call`, each run over time in one
        `ops.while_loop` (`layers.stepwise_rnn.run_cell`) instead of Keras'
        RNN layers, which lower to TensorList ops on TensorFlow: a graph
        built from this method converts to TFLite builtin ops. The
        SavedModel and LiteRT exporters encode with it.

        Args:
            source_ids: int32 `(B, S)`, 0-padded.

        Returns:
            `(sequence_outputs, final_state)`, as `call` (inference mode).
        """
        mask = ops.not_equal(source_ids, 0)  # (B, S)
        x = ops.take(self.embedding.embeddings, source_ids, axis=0)  # (B, S, E)
        x = ops.cast(x, self.compute_dtype)
        final_state = []
        for layer in self.rnn_layers:
            if self.bidirectional:
                forward, f_states = run_cell(layer.forward_layer.cell, x, mask)  # (B, S, u)
                backward, b_states = run_cell(layer.backward_layer.cell, x, mask, reverse=True)
                x = ops.concatenate([forward, backward], axis=-1)  # (B, S, 2u)
                states = f_states + b_states
            else:
                x, states = run_cell(layer.cell, x, mask)  # (B, S, u)
            final_state.extend(self._layer_states(states))
        if self.bridges:
            final_state = [bridge(s) for bridge, s in zip(self.bridges, final_state)]
        return x, final_state

    def _layer_states(self, states):
        """Per-layer states; the two directions are concatenated per state."""
        if not self.bidirectional:
            return states  # [h] or [h, c], each (B, units)
        n = self.states_per_layer
        forward, backward = states[:n], states[n:]
        return [ops.concatenate([f, b], axis=-1) for f, b in zip(forward, backward)]

    def compute_mask(self, source_ids, previous_mask=None):
        n_states = self.num_layers * self.states_per_layer
        return ops.not_equal(source_ids, 0), [None] * n_states

    def get_config(self):
        base_config = super().get_config()
        config = {
            "vocab_size": self.vocab_size,
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "cell": self.cell,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "state_units": self.state_units,
        }
        return {**base_config, **config}
