"""Row operations the strategies share, built from TFLite builtin ops.

`tile_rows` expands a batch of sentences to their decoding rows (beam
search: `B → B*K`); `take_along_rows` picks one value per row. Pure
TensorFlow; imports nothing else from keras_s2s.
"""

import tensorflow as tf


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
    x = tf.convert_to_tensor(x)
    shape = tf.shape(x)  # (rank,)
    expanded = tf.expand_dims(x, 1)  # (B, 1, ...)
    target = tf.concat([shape[:1], [multiplier], shape[1:]], axis=0)
    tiled = tf.broadcast_to(expanded, target)  # (B, m, ...)
    new_shape = tf.concat([shape[:1] * multiplier, shape[1:]], axis=0)
    return tf.reshape(tiled, new_shape)  # (B*m, ...)


def take_along_rows(values, indices):
    """`values[n, indices[n]]` for `values` `(N, V)` and `indices` `(N,)`.

    Returns:
        `(N,)`, the dtype of `values`.
    """
    picked = tf.gather(values, tf.expand_dims(indices, 1), batch_dims=1)  # (N, 1)
    return picked[:, 0]  # (N,)
