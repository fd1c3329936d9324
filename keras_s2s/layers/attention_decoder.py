"""Recurrent decoder with attention (or without: the fixed-context baseline)."""

import keras
from keras import ops

from keras_s2s.layers.additive_attention import AdditiveAttention
from keras_s2s.layers.base_attention import BaseAttention
from keras_s2s.layers.multiplicative_attention import MultiplicativeAttention
from keras_s2s.layers.recurrence import can_hoist, project_inputs, recurrent_step, scan_steps
from keras_s2s.layers.rnn_encoder import check_rnn_args, rnn_layer
from keras_s2s.layers.scaled_dot_product_attention import ScaledDotProductAttention

ATTENTIONS = ("additive", "multiplicative", "scaled_dot")


def get_attention(identifier, units, dtype=None):
    """Resolves `attention` (a name, a config dict, a layer or None) to a layer."""
    if identifier is None or isinstance(identifier, BaseAttention):
        return identifier
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    if identifier == "additive":
        return AdditiveAttention(units, name="attention", dtype=dtype)
    if identifier == "multiplicative":
        return MultiplicativeAttention("general", name="attention", dtype=dtype)
    if identifier == "scaled_dot":
        return ScaledDotProductAttention(key_dim=units, name="attention", dtype=dtype)
    raise ValueError(
        f"`attention` must be one of {ATTENTIONS}, an attention layer or None. "
        f"Received: attention={identifier!r}"
    )


@keras.saving.register_keras_serializable(package="keras_s2s")
class AttentionDecoder(keras.layers.Layer):
    """Luong-style recurrent decoder with pluggable attention.

    h_t = RNN(h_{t-1}, [e(y_{t-1}) ; h̃_{t-1} if input feeding])
    c_t = Σ_j a_tj v_j,   a_t = softmax(score(h_t, k_j))
    h̃_t = tanh(W_c [c_t ; h_t])                      (Luong et al. 2015, eq. 5)
    p(y_t | y_<t, x) = softmax(W_o h̃_t)              (eq. 6)

    With `attention=None` the decoder sees the source only through the
    encoder's final state (its initial state): the fixed context-vector
    baseline of Cho et al. 2014 / Sutskever et al. 2014, whose bottleneck
    motivated attention.

    The teacher-forced `call` (used by `fit`) and `step` (used by decoding)
    share every weight and compute the same function: without input feeding
    `call` runs the recurrent layers over the whole target at once, `step`
    runs their cells for one token; with input feeding `call` scans `step`'s
    own computation over time (Keras 3 `RNN` has no `constants=`).

    Args:
        vocab_size: int, size of the target vocabulary.
        embedding_dim: int, size of the token embeddings.
        units: int, hidden size of the recurrent layers.
        attention: an attention layer, `"additive"`, `"multiplicative"`,
            `"scaled_dot"`, or None for the no-attention baseline.
        cell: `"gru"` or `"lstm"`.
        num_layers: int, number of stacked recurrent layers.
        dropout: float in `[0, 1)`, dropout on embeddings, between layers and
            before the output layer.
        input_feeding: bool, feed h̃_{t-1} into the step t input (Luong §3.3).

    Call arguments:
        target_ids: int `(B, T)`, `[START] y_1 ... y_{T-1}`, 0-padded.
        encoder_outputs: `(B, S, D)`.
        encoder_state: list of `(B, units)` tensors (see `RNNEncoder`).
        encoder_outputs_mask: bool `(B, S)`; filled in from the Keras mask of
            `encoder_outputs` in the functional API.
        return_attention_scores: bool.
        training: bool.

    Returns:
        logits `(B, T, vocab_size)`, and with `return_attention_scores=True`
        also the weights `(B, T, S)` (averaged over heads for multi-head).
    """

    def __init__(
        self,
        vocab_size,
        embedding_dim,
        units,
        attention="additive",
        cell="gru",
        num_layers=1,
        dropout=0.0,
        input_feeding=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_rnn_args(vocab_size, embedding_dim, units, cell, num_layers, dropout)
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.units = units
        self.cell = cell
        self.num_layers = num_layers
        self.dropout = float(dropout)
        self.input_feeding = bool(input_feeding)
        self.attention = get_attention(attention, units, self.dtype_policy)
        if getattr(self.attention, "use_causal_mask", False):
            raise ValueError(
                "The decoder's attention is cross-attention over the source: a causal "
                "mask would hide every source position after the decoding step's index "
                "(with one query per step, all but the first). Pass an attention layer "
                "with use_causal_mask=False. Received: attention="
                f"{type(self.attention).__name__}(use_causal_mask=True)"
            )
        if self.input_feeding and self.attention is None:
            raise ValueError(
                "`input_feeding=True` feeds the attentional vector back; it "
                "needs an attention layer. Received: attention=None"
            )

        self.embedding = keras.layers.Embedding(
            vocab_size, embedding_dim, mask_zero=True, name="embedding", dtype=self.dtype_policy
        )
        self.rnn_layers = [
            rnn_layer(cell, units, name=f"{cell}_{i}", dtype=self.dtype_policy) for i in range(num_layers)
        ]
        self.dropout_layer = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)
        self.attention_projection = None
        if self.attention is not None:
            self.attention_projection = keras.layers.Dense(
                units,
                activation="tanh",
                use_bias=False,
                name="attention_projection",
                dtype=self.dtype_policy,
            )
        # Logits in float32 even under a mixed policy (stable softmax/loss).
        self.output_layer = keras.layers.Dense(vocab_size, name="logits", dtype="float32")

    @property
    def states_per_layer(self):
        return 2 if self.cell == "lstm" else 1

    def build(self, target_ids_shape, encoder_outputs_shape, encoder_state_shape=None):
        batch = target_ids_shape[0]
        self.embedding.build(target_ids_shape)
        feed = self.units if self.input_feeding else 0
        shape = (batch, None, self.embedding_dim + feed)
        for layer in self.rnn_layers:
            layer.build(shape)
            shape = (batch, None, self.units)
        if self.attention is not None:
            if not self.attention.built:  # a deserialized layer comes built
                self.attention.build((batch, None, self.units), encoder_outputs_shape)
            ctx = encoder_outputs_shape[-1]
            self.attention_projection.build((batch, None, ctx + self.units))
        self.output_layer.build((batch, None, self.units))

    # === teacher forcing (fit) ===
    def call(
        self,
        target_ids,
        encoder_outputs,
        encoder_state,
        encoder_outputs_mask=None,
        return_attention_scores=False,
        training=None,
    ):
        self._check_state(encoder_state)
        memory = self.prepare_memory(encoder_outputs, encoder_outputs_mask)
        if self.input_feeding:
            outputs, weights = self._scan_steps(target_ids, encoder_state, memory, training)
        else:
            outputs, weights = self._parallel(target_ids, encoder_state, memory, training)
        logits = self.output_layer(self.dropout_layer(outputs, training=training))
        if return_attention_scores:
            return logits, weights  # (B, T, V), (B, T, S)
        return logits  # (B, T, V)

    def _parallel(self, target_ids, encoder_state, memory, training):
        """All target positions at once: the RNN layers, then attention."""
        target_mask = ops.not_equal(target_ids, 0)  # (B, T)
        x = self.dropout_layer(self.embedding(target_ids), training=training)
        n = self.states_per_layer
        for i, layer in enumerate(self.rnn_layers):
            initial = list(encoder_state[i * n : (i + 1) * n])
            x, *_ = layer(x, initial_state=initial, mask=target_mask, training=training)
            if i < self.num_layers - 1:
                x = self.dropout_layer(x, training=training)  # (B, T, units)
        return self._attentional(x, memory, target_mask, training)

    def _scan_steps(self, target_ids, encoder_state, memory, training):
        """Input feeding: `_step` scanned over the target (`recurrence.scan_steps`).

        What does not depend on h̃_{t-1} is computed for all steps before the
        scan: the embedding, its dropout and, where `can_hoist` allows, its
        share of the first cell's input projection, `e_t · W[:E] + b`
        (`recurrence.project_inputs`); each scanned step then only adds
        `h̃_{t-1} · W[E:]` (Luong et al. 2015 §3.3: x_t = [e_t ; h̃_{t-1}]).
        """
        embedded = self.dropout_layer(self._embed(target_ids), training=training)  # (B, T, E)
        cell = self.rnn_layers[0].cell
        feed_kernel = None
        if can_hoist(cell, training):
            kernel = cell.kernel[: self.embedding_dim]  # (E, G·u), the embedding's rows
            embedded = project_inputs(cell, embedded, kernel=kernel)  # (B, T, G·u)
            feed_kernel = ops.cast(cell.kernel[self.embedding_dim :], embedded.dtype)  # (u, G·u)
        state = self.initial_state(encoder_state)

        def body(x, carry):  # (B, ·), [*states, h̃_{t-1}]
            outputs, new_state, weights = self._step(x, carry, memory, training, feed_kernel)
            return (outputs, ops.cast(weights, self.compute_dtype)), tuple(new_state)

        (_, (outputs, weights), _) = scan_steps(body, embedded, state)  # (B, T, u), (B, T, S)
        return outputs, weights

    # === decoding (generate) ===
    def prepare_memory(self, encoder_outputs, source_mask=None):
        """Source-side tensors computed once per sentence: `(keys, values, mask)`."""
        if source_mask is None:
            source_mask = ops.ones(ops.shape(encoder_outputs)[:2], dtype="bool")
        if self.attention is None:
            return (encoder_outputs, encoder_outputs, source_mask)
        keys, values = self.attention.prepare_memory(encoder_outputs)
        return (keys, values, source_mask)

    def initial_state(self, encoder_state):
        """The decoder state before the first token, from the encoder's."""
        self._check_state(encoder_state)
        state = list(encoder_state)
        if self.input_feeding:
            batch = ops.shape(encoder_state[0])[0]
            state.append(ops.zeros((batch, self.units), dtype=self.compute_dtype))
        return state

    def step(self, token_ids, state, memory):
        """One decoding step (`keras_s2s.decoding` step-function contract).

        Args:
            token_ids: int `(N,)`, the previous token.
            state: list of `(N, units)` tensors (see `initial_state`).
            memory: the tuple made by `prepare_memory`, leading dim `N`.

        Returns:
            `(logits (N, V) float32, new_state, attention (N, S) float32)`.
        """
        outputs, new_state, weights = self._step(self._embed(token_ids), state, memory, False)
        logits = self.output_layer(outputs)  # (N, V)
        return ops.cast(logits, "float32"), new_state, ops.cast(weights, "float32")

    def _embed(self, token_ids):
        # A direct lookup: the Embedding layer would attach a padding mask
        # that the recurrent cells do not take.
        return ops.cast(ops.take(self.embedding.embeddings, token_ids, axis=0), self.compute_dtype)

    def _step(self, x, state, memory, training, feed_kernel=None):
        """One token through the cells and the attention.

        `x` is the embedded token `(N, E)`, or, when input feeding's scan
        passes `feed_kernel` (`W[E:]`, `(u, G·u)`), its share of the first
        cell's input projection `(N, G·u)`, to which `h̃_{t-1} · W[E:]` is
        added here.
        """
        state = list(state)
        feed = state.pop() if self.input_feeding else None
        n = self.states_per_layer
        new_state = []
        for i, layer in enumerate(self.rnn_layers):
            layer_state = state[i * n : (i + 1) * n]
            if i == 0 and feed_kernel is not None:
                x = x + ops.matmul(ops.cast(feed, x.dtype), feed_kernel)  # (N, G·u)
                x, cell_state = recurrent_step(layer.cell, x, layer_state)  # (N, u)
            else:
                if i == 0 and feed is not None:
                    x = ops.concatenate([x, ops.cast(feed, x.dtype)], axis=-1)  # (N, E+u)
                x, cell_state = layer.cell(x, layer_state, training=training)  # (N, u)
            new_state.extend(cell_state)
            if i < self.num_layers - 1:
                x = self.dropout_layer(x, training=training)
        outputs, weights = self._attentional(x, memory, None, training)
        if self.input_feeding:
            new_state.append(outputs)
        return outputs, new_state, weights

    def _attentional(self, h, memory, query_mask, training):
        """h̃ = tanh(W_c [c ; h]) and the weights; `h` is `(B, T, u)` or `(B, u)`."""
        keys, values, source_mask = memory
        if self.attention is None:
            shape = ops.shape(h)[:-1] + (ops.shape(source_mask)[-1],)
            return h, ops.zeros(shape, dtype=h.dtype)  # no attention: (B, [T,] S)
        context, weights = self.attention.attend(
            h,
            keys,
            values,
            query_mask=query_mask,
            value_mask=source_mask,
            return_attention_scores=True,
            training=training,
        )
        if len(weights.shape) == len(h.shape) + 1:  # multi-head: (B, H, [T,] S)
            weights = ops.mean(weights, axis=1)
        outputs = self.attention_projection(ops.concatenate([context, h], axis=-1))
        return outputs, weights

    def _check_state(self, encoder_state):
        expected = self.num_layers * self.states_per_layer
        if len(encoder_state) != expected:
            raise ValueError(
                f"AttentionDecoder({self.cell!r}, num_layers={self.num_layers}) "
                f"expects {expected} state tensors. "
                f"Received: {len(encoder_state)} tensors"
            )

    def compute_mask(self, target_ids, previous_mask=None):
        return None

    def get_config(self):
        base_config = super().get_config()
        attention = self.attention
        if attention is not None:
            attention = keras.saving.serialize_keras_object(attention)
        config = {
            "vocab_size": self.vocab_size,
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "attention": attention,
            "cell": self.cell,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "input_feeding": self.input_feeding,
        }
        return {**base_config, **config}
