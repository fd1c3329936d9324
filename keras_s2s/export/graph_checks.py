"""Checks and small id operations of the exported graphs (TensorFlow only).

What `TranslationModule` runs before decoding: the Translator settings an
export can honour, the rank of a signature's input (TF Serving does not
enforce it), source truncation to `max_source_length`, and the width a
batch really uses. Imports no model, layer or training code.
"""

import tensorflow as tf

from keras_s2s.text.vocabulary import END_ID, UNK_ID


def check_translator_settings(translator, max_target_length=None, strings_out=True):
    """Raises for a Translator setting an exported graph cannot honour.

    Args:
        translator: a `keras_s2s.Translator`.
        max_target_length: the export's limit, if given: with the
            translator's `max_length` set it must be None or equal to it.
        strings_out: whether the export returns strings (the SavedModel);
            the LiteRT model returns ids only.

    Raises:
        ValueError: `replace_unknown=True` for an ids-only export (copied
            source words are text, not ids), or a contradicting
            `max_target_length`.
    """
    if getattr(translator, "replace_unknown", False) and not strings_out:
        raise ValueError(
            "The LiteRT model returns ids, which cannot carry copied source words: "
            "`replace_unknown` works in the SavedModel (strings out) and in Python. "
            "Export a Translator with replace_unknown=False, or apply the replacement "
            "in the app from the returned attention. Received: replace_unknown=True"
        )
    max_length = getattr(translator, "max_length", None)
    if max_length is not None and max_target_length not in (None, max_length):
        raise ValueError(
            "`max_target_length` must equal the Translator's `max_length` "
            "(or be None): the export decodes as the Translator does. "
            f"Received: max_target_length={max_target_length!r}, max_length={max_length!r}"
        )


def used_width(source_ids):
    """Columns up to the last non-padding id of the batch; all of them for padding only.

    Args:
        source_ids: int32 `(B, S)`.

    Returns:
        Scalar int32 `W <= S`.
    """
    width = tf.shape(source_ids)[1]
    positions = tf.range(1, width + 1)  # (S,)
    last = tf.reduce_max(tf.where(tf.not_equal(source_ids, 0), positions, 0))  # lowest int for B = 0
    return tf.where(last > 0, last, width)


def check_rank(tensor, rank, message):
    """Fails the call at run time unless `tensor` has `rank` dimensions.

    A signature's input shape is not enforced when a loaded SavedModel (or
    TF Serving) is called, and a `tf.rank` check is constant-folded away by
    the graph optimizer, which trusts the declared shape. Serializing the
    shape vector and parsing it back hides the rank from the optimizer.
    SavedModel only (`SerializeTensor` / `ParseTensor` are no TFLite builtins).

    Args:
        tensor: the input tensor.
        rank: the rank it must have.
        message: the start of the error message.

    Returns:
        `tensor`, after the check.
    """
    shape = tf.io.parse_tensor(tf.io.serialize_tensor(tf.shape(tensor)), tf.int32)  # (rank,)
    received = tf.size(shape)
    text = tf.strings.format(
        message + f" (rank {rank}). Received: rank {{}}, shape {{}}", (received, shape), summarize=-1
    )
    with tf.control_dependencies([tf.debugging.Assert(tf.equal(received, rank), [text])]):
        return tf.identity(tensor)


def truncate(source_ids, max_length):
    """Cuts rows longer than `max_length` ids and ends them with [END] again."""
    source_ids = tf.convert_to_tensor(source_ids, tf.int32)
    lengths = tf.reduce_sum(tf.cast(tf.not_equal(source_ids, 0), tf.int32), axis=1)  # (B,)
    cut = source_ids[:, :max_length]  # (B, S')
    last = tf.equal(tf.range(tf.shape(cut)[1]), max_length - 1)  # (S',)
    needs_end = tf.logical_and(tf.expand_dims(last, 0), tf.expand_dims(lengths > max_length, 1))  # (B, S')
    return tf.where(needs_end, tf.constant(END_ID, tf.int32), cut)  # (B, S')


def unknown_out_of_range(source_ids, source_vocab_size):
    """`source_ids` with every id outside `[0, source_vocab_size)` read as [UNK].

    For the ids-in exports (LiteRT, ONNX): a bad id would otherwise fail the
    embedding gather for the whole batch ("gather index out of bounds").
    """
    in_range = tf.logical_and(source_ids >= 0, source_ids < source_vocab_size)  # (B, S)
    return tf.where(in_range, source_ids, tf.constant(UNK_ID, tf.int32))  # (B, S)
