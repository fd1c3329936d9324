"""Row operations the strategies share, built from TFLite builtin ops.

`tile_rows` expands a batch of sentences to their decoding rows (beam
search: `B → B*K`); `take_along_rows` picks one value per row. Written in
`keras.ops` (every backend); imports nothing else from keras_s2s.
"""

from keras import ops


def tile_rows(x, multiplier):
    """Repeat every row `multiplier` times consecutively.

    `(B, ...)` → `(B * multiplier, ...)`, rows `b*m .. b*m + m - 1` equal
    `x[b]`. Built from expand_dims / broadcast_to / reshape (TFLite builtins).

    Args:
        x: a tensor of rank >= 1.
        multiplier: int, the copies of each row.

    Returns:
        `(B * multiplier, ...)`, the dtype of `x`.
    """
    x = ops.convert_to_tensor(x)
    shape = tuple(ops.shape(x))  # (rank,)
    expanded = ops.expand_dims(x, 1)  # (B, 1, ...)
    tiled = ops.broadcast_to(expanded, (shape[0], multiplier, *shape[1:]))  # (B, m, ...)
    return ops.reshape(tiled, (shape[0] * multiplier, *shape[1:]))  # (B*m, ...)


def take_along_rows(values, indices):
    """`values[n, indices[n]]` for `values` `(N, V)` and `indices` `(N,)`.

    Returns:
        `(N,)`, the dtype of `values`.
    """
    picked = ops.take_along_axis(values, ops.expand_dims(ops.cast(indices, "int32"), 1), axis=1)  # (N, 1)
    return picked[:, 0]  # (N,)
