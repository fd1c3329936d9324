"""A Keras RNN cell run over time in one `ops.while_loop`, step by step.

Keras' `GRU` / `LSTM` layers lower to TensorList ops on the TensorFlow
backend, which TFLite runs only through Flex. `run_cell` runs the very same
cell (same weights, same math) in a loop whose outputs live in a fixed-size
buffer, so a graph built from it converts to TFLite builtin ops. It uses
`keras.ops` only; it imports no TensorFlow and knows no model or exporter.
"""

from keras import ops


def run_cell(cell, x, mask, reverse=False):
    """Runs `cell` over the time axis of `x`; masked steps keep the state.

    h_t, s_t = cell(x_t, s_{t-1})   where mask_t, else h_t = 0, s_t = s_{t-1}

    Args:
        cell: a built Keras `GRUCell` or `LSTMCell`.
        x: float `(B, S, E)` inputs.
        mask: bool `(B, S)`, True at real tokens.
        reverse: run from the last step to the first (the backward direction).

    Returns:
        `(outputs, states)`: outputs `(B, S, u)` (zeros at masked steps) and
        the final states, a list of `(B, u)` tensors (`[h]` or `[h, c]`).
    """
    batch, length = ops.shape(x)[0], ops.shape(x)[1]
    n_states = 2 if isinstance(cell.state_size, (list, tuple)) else 1
    states = tuple(ops.zeros((batch, cell.units), x.dtype) for _ in range(n_states))  # (B, u)
    outputs = ops.zeros((batch, length, cell.units), x.dtype)  # (B, S, u)
    positions = ops.arange(length)  # (S,)

    def body(t, states, outputs):
        index = length - 1 - t if reverse else t
        x_t = ops.take(x, index, axis=1)  # (B, E)
        m_t = ops.expand_dims(ops.take(mask, index, axis=1), -1)  # (B, 1)
        h, new_states = cell(x_t, list(states))  # (B, u)
        new_states = tuple(ops.where(m_t, n, s) for n, s in zip(new_states, states))
        h = ops.where(m_t, h, ops.zeros_like(h))  # (B, u)
        here = ops.reshape(ops.equal(positions, index), (1, -1, 1))  # (1, S, 1)
        outputs = ops.where(here, ops.expand_dims(h, 1), outputs)  # (B, S, u)
        return t + 1, new_states, outputs

    _, states, outputs = ops.while_loop(
        lambda t, *_: t < length, body, (ops.convert_to_tensor(0, "int32"), states, outputs)
    )
    return outputs, list(states)
