"""The `RNNEncoder` run cell by cell in a graph loop (no TensorList ops).

Keras' `GRU`/`LSTM` layers lower to TensorList ops, which TFLite only runs
through Flex. This module runs the very same cells (same weights, same
math) in a `tf.while_loop` whose outputs live in a fixed-size buffer, so the
encoder converts to TFLite builtin ops.
"""

import tensorflow as tf


def stepwise_encode(encoder, source_ids):
    """Equivalent of `encoder(source_ids)` built from cell steps.

    Args:
        encoder: a built `keras_s2s.layers.RNNEncoder`.
        source_ids: int32 `(B, S)`, 0-padded.

    Returns:
        `(sequence_outputs (B, S, D), final_state)` as `RNNEncoder.call`.
    """
    mask = tf.not_equal(source_ids, 0)  # (B, S)
    embeddings = encoder.embedding.embeddings
    x = tf.cast(tf.gather(embeddings, source_ids), encoder.compute_dtype)  # (B,S,E)
    final_state = []
    for layer in encoder.rnn_layers:
        if encoder.bidirectional:
            forward, f_states = _run_cell(layer.forward_layer.cell, x, mask, False)
            backward, b_states = _run_cell(layer.backward_layer.cell, x, mask, True)
            x = tf.concat([forward, backward], axis=-1)  # (B, S, 2u)
            states = f_states + b_states
        else:
            x, states = _run_cell(layer.cell, x, mask, False)  # (B, S, u)
        final_state.extend(encoder._layer_states(states))
    if encoder.bridges:
        final_state = [bridge(s) for bridge, s in zip(encoder.bridges, final_state)]
    return x, final_state


def _run_cell(cell, x, mask, reverse):
    """Runs `cell` over time; masked steps keep the state and output zeros."""
    batch, length = tf.shape(x)[0], tf.shape(x)[1]
    n_states = 2 if isinstance(cell.state_size, (list, tuple)) else 1
    states = [tf.zeros([batch, cell.units], x.dtype) for _ in range(n_states)]
    outputs = tf.zeros([batch, length, cell.units], x.dtype)  # (B, S, u)
    positions = tf.range(length)  # (S,)

    def body(t, states, outputs):
        index = length - 1 - t if reverse else t
        x_t = tf.gather(x, index, axis=1)  # (B, E)
        m_t = tf.expand_dims(tf.gather(mask, index, axis=1), -1)  # (B, 1)
        h, new_states = cell(x_t, list(states))  # (B, u)
        new_states = [tf.where(m_t, n, s) for n, s in zip(new_states, states)]
        h = tf.where(m_t, h, tf.zeros_like(h))  # (B, u)
        here = tf.reshape(tf.equal(positions, index), [1, -1, 1])  # (1, S, 1)
        outputs = tf.where(here, tf.expand_dims(h, 1), outputs)  # (B, S, u)
        return t + 1, new_states, outputs

    _, states, outputs = tf.while_loop(
        lambda t, *_: t < length, body, (tf.constant(0), states, outputs)
    )
    return outputs, list(states)
