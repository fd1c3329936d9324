"""The attention history of a running decode: written one step at a time, read once.

`dynamic_decode` keeps every row's attention weights of every step in one
`(N, M, S)` buffer (`M = max_length`). Each step shifts the buffer one
column to the left and appends the step's `(N, S)` weights as its last
column, so after `t` steps columns `M - t … M - 1` hold steps `0 … t - 1`
and the columns before them are still 0:

    H_t = [H_{t-1}[:, 1:] ; a_t]                              (N, M, S)

In LiteRT that is one `STRIDED_SLICE` and one `CONCATENATION` (two copies of the
buffer). Writing column `t` in place with `tensor_scatter_nd_update`, as
TensorFlow does, is lowered by the TFLite converter to `SCATTER_ND` of
ones, `SUB`, `MUL`, `SCATTER_ND` of the values and `ADD`, each over the
whole buffer: 18% of a batch-64 LiteRT beam decode of the shipped model.
TensorFlow pays one buffer copy per step instead of writing `N·S` cells.

Written in `keras.ops` (every backend), TFLite builtin ops only.
"""

from keras import ops


def append_step(history, weights, rows=None, column_shape=None):
    """`[history[:, 1:] ; weights]`: the step's weights as the last column.

    Args:
        history: `(N, M, S)` float32.
        weights: `(A, S)` float32, the weights of the active rows.
        rows: `(A,)` int32, the buffer row of each active row, or None when
            the active rows are all `N` rows in buffer order.
        column_shape: optional `(N, S)` (a tuple or an int32 tensor made
            before the loop: no shape ops per step); default read off
            `history`.

    Returns:
        `(N, M, S)`; buffer rows that are not active get a 0 column.
    """
    if rows is not None:  # (N, S): each active row's weights in its buffer row
        if column_shape is None:
            shape = ops.shape(history)
            column_shape = (shape[0], shape[2])
        weights = ops.scatter(ops.expand_dims(rows, 1), weights, column_shape)
    return ops.concatenate([history[:, 1:], ops.expand_dims(weights, 1)], axis=1)


def in_step_order(history, steps):
    """The buffer rotated so that column `t` holds step `t`: `(N, M, S)`.

    Columns `steps …` are 0. One `GATHER` of columns; fixed shapes (XLA).

    Args:
        history: `(N, M, S)`, after `steps` calls of `append_step`.
        steps: scalar int32, the steps run.
    """
    length = ops.shape(history)[1]
    columns = ops.mod(ops.arange(length, dtype="int32") + (length - steps), length)  # (M,)
    return ops.take(history, columns, axis=1)


def gather_hypotheses(attention, sources):
    """`out[n, t] = attention[sources[n, t], t]`, 0 where `sources[n, t] < 0`.

    Beam search does not reorder the history at every step: row `n` of
    `attention` holds what decode row `n` computed, and `sources` (reordered
    like the ids) says which row holds step `t` of hypothesis `n`.

    Args:
        attention: `(N, L, S)` float32, in step order.
        sources: `(N, L)` int32, the row holding step t of hypothesis n.

    Returns:
        `(N, L, S)` float32. TFLite builtins only (TRANSPOSE, RESHAPE, GATHER).
    """
    shape = ops.shape(attention)  # (3,)
    num_rows, length, width = shape[0], shape[1], shape[2]
    time_major = ops.reshape(  # (L*N, S), row t*N + n
        ops.transpose(attention, (1, 0, 2)), (length * num_rows, width)
    )
    steps = ops.expand_dims(ops.arange(length, dtype="int32") * num_rows, 0)  # (1, L)
    flat = steps + ops.maximum(sources, 0)  # (N, L)
    picked = ops.take(time_major, flat, axis=0)  # (N, L, S)
    return ops.where(ops.expand_dims(sources >= 0, 2), picked, 0.0)
