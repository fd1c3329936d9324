"""A large request decoded `size` sentences at a time, in one graph loop.

Used by the SavedModel (TF Serving) graph to bound a request's decoding
memory: only one slice's decoding state is alive at a time. TensorList ops
(`TensorArray`): fine for TF Serving, not for TFLite builtins. Imports no
model or layer; it sees only a `decode` function.
"""

import tensorflow as tf


def decode_in_slices(decode, source_ids, size, cap, rows_per_sentence=1, with_attention=True):
    """`decode` over consecutive slices of `size` sentences, outputs concatenated.

    Each slice is decoded (and trimmed) on its own, exactly like one batch of
    `Translator.translate`; the outputs are padded to a common length `cap`,
    concatenated and cut to the longest slice's length.

    Args:
        decode: callable `source_ids (b, S) -> {"ids": (b*n, L), "scores":
            (b*n,), "attention": (b*n, L, S)}` (`n = rows_per_sentence`).
        source_ids: int32 `(B, S)`, 0-padded, already truncated.
        size: int, sentences per slice.
        cap: scalar int32, at least every slice's `L`.
        rows_per_sentence: n, the hypotheses `decode` returns per sentence.
        with_attention: also return the attention weights (the strings
            signature does not need them).

    Returns:
        dict with `"ids"` `(B*n, L)`, `"scores"` `(B*n,)` and, with
        `with_attention`, `"attention"` `(B*n, L, S)`.
    """
    batch, width = tf.shape(source_ids)[0], tf.shape(source_ids)[1]
    rows = batch * rows_per_sentence
    num_slices = tf.maximum((batch + size - 1) // size, 1)  # one (empty) slice for B = 0
    arrays = {
        "ids": tf.TensorArray(tf.int32, size=num_slices, infer_shape=False),
        "scores": tf.TensorArray(tf.float32, size=num_slices, infer_shape=False),
    }
    if with_attention:
        arrays["attention"] = tf.TensorArray(tf.float32, size=num_slices, infer_shape=False)

    def body(i, steps, arrays):
        out = decode(source_ids[i * size : (i + 1) * size])  # (b*n, L_i), (b*n,), (b*n, L_i, S)
        length = tf.shape(out["ids"])[1]
        arrays = dict(arrays)
        arrays["ids"] = arrays["ids"].write(i, tf.pad(out["ids"], [[0, 0], [0, cap - length]]))  # (b*n, cap)
        arrays["scores"] = arrays["scores"].write(i, out["scores"])
        if with_attention:
            attention = tf.pad(out["attention"], [[0, 0], [0, cap - length], [0, 0]])  # (b*n, cap, S)
            arrays["attention"] = arrays["attention"].write(i, attention)
        return i + 1, tf.maximum(steps, length), arrays

    _, steps, arrays = tf.while_loop(
        lambda i, *_: i < num_slices,
        body,
        (tf.constant(0), tf.constant(0), arrays),
        parallel_iterations=1,  # one slice's decoding state at a time
    )
    out = {
        "ids": tf.reshape(arrays["ids"].concat(), [rows, cap])[:, :steps],  # (B*n, L)
        "scores": tf.reshape(arrays["scores"].concat(), [rows]),  # (B*n,)
    }
    if with_attention:
        out["attention"] = tf.reshape(arrays["attention"].concat(), [rows, cap, width])[:, :steps]
    return out
