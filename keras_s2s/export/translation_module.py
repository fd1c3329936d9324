"""The graph that both exporters write: tokenize → encode → decode → detokenize."""

import tensorflow as tf

from keras_s2s.text.vocabulary import END_ID

DEFAULT_MAX_SOURCE_LENGTH = 128


class TranslationModule(tf.Module):
    """A `tf.Module` holding a translator's model, tokenizers and strategy.

    Both functions are pure TensorFlow (+ TensorFlow Text for the strings):
    nothing calls back into Python, so the SavedModel runs in stock TF
    Serving and `translate_ids` (with `batch_size=None`) converts to TFLite
    builtin ops.

    The graph decodes as `Translator.translate` does: the strategy is the
    translator's; padding columns past a batch's last id are dropped (the
    tokenizer would not have made them); at most `translator.max_length`
    target ids are generated, or, when that is None, `2 * S + 10` for a
    source batch of width `S` (capped at `max_target_length`); with
    `batch_size`, the sentences are decoded `batch_size` at a time (each
    slice trimmed to its own width, as the Translator tokenizes each of its
    batches), which also bounds the decoding memory of a large request.

    Limits (documented in docs/export.md and checked in the graph): sources
    longer than `max_source_length` ids ([START] and [END] included) are
    truncated to their first `max_source_length - 1` ids plus [END].

    Args:
        translator: a `keras_s2s.Translator`. `replace_unknown=True` is
            refused (a text-level rewrite the ids graphs cannot return).
        max_source_length: int >= 2; default 128.
        max_target_length: int >= 1; default `translator.max_length`, else
            `2 * max_source_length + 10`. With `translator.max_length` set it
            must equal it (or be None).
        batch_size: int or None: sentences decoded at a time inside the graph
            (the SavedModel passes `translator.batch_size`). None decodes the
            whole batch at once, without TensorList ops (the LiteRT graph).
    """

    def __init__(self, translator, max_source_length=None, max_target_length=None, batch_size=None):
        super().__init__(name="translation")
        check_translator_settings(translator, max_target_length)
        max_source_length = max_source_length or DEFAULT_MAX_SOURCE_LENGTH
        if not isinstance(max_source_length, int) or max_source_length < 2:
            raise ValueError(
                "`max_source_length` must be an int >= 2 (room for [START] and "
                f"[END]). Received: max_source_length={max_source_length!r}"
            )
        max_length = getattr(translator, "max_length", None)
        max_target_length = max_target_length or max_length or 2 * max_source_length + 10
        if not isinstance(max_target_length, int) or max_target_length < 1:
            raise ValueError(
                "`max_target_length` must be a positive int. "
                f"Received: max_target_length={max_target_length!r}"
            )
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(
                f"`batch_size` must be a positive int or None. Received: batch_size={batch_size!r}"
            )
        strategy = translator.strategy
        if getattr(strategy, "num_return_sequences", 1) != 1:
            raise ValueError(
                "Exported signatures return one translation per sentence. "
                f"Received: num_return_sequences={strategy.num_return_sequences}"
            )
        # Track the weights, not the model: a compiled model also reaches its
        # optimizer, whose slots (2x the weights for Adam) a served artifact
        # must not carry.
        self.model_weights = list(translator.model.weights)
        object.__setattr__(self, "model", translator.model)  # untracked
        self.source_tokenizer = translator.source_tokenizer
        self.target_tokenizer = translator.target_tokenizer
        self.strategy = strategy
        self.max_source_length = max_source_length
        self.max_target_length = max_target_length
        self.max_length = max_length  # None: 2 * S + 10 per batch
        self.batch_size = batch_size

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="source_ids")])
    def translate_ids(self, source_ids):
        """`source_ids` int32 `(B, S)` → target ids `(B, L)`, score `(B,)`, attention `(B, L, S')`."""
        if self.batch_size is None:
            out = self.decode(truncate(source_ids, self.max_source_length))
        else:
            source_ids = check_rank(
                source_ids, 2, "`source_ids` must be a 2-D int32 tensor of shape (batch, length)"
            )
            out = self.decode_in_slices(truncate(source_ids, self.max_source_length), with_attention=True)
        return {
            "target_ids": tf.identity(out["ids"], name="target_ids"),
            "score": tf.identity(out["scores"], name="score"),
            "attention": tf.identity(out["attention"], name="attention"),
        }

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def translate_text(self, text):
        """`text` string `(B,)` → `translation` string `(B,)`, `score` float32 `(B,)`."""
        text = check_rank(
            text, 1, "`text` must be a 1-D string tensor, a batch of sentences of shape (batch,)"
        )
        source_ids = tf.cast(self.source_tokenizer(text), tf.int32)  # (B, S) 0-padded
        source_ids = truncate(source_ids, self.max_source_length)  # (B, S')
        if self.batch_size is None:
            out = self.decode(source_ids)
        else:
            out = self.decode_in_slices(source_ids, with_attention=False)
        translation = self.target_tokenizer.detokenize(out["ids"])  # (B,)
        return {"translation": translation, "score": out["scores"]}

    def decode(self, source_ids):
        """Decodes one batch as `Translator.translate` decodes one of its batches.

        Columns past the batch's last non-padding id are dropped first (a
        batch of padding only keeps its width), so the default length cap
        `2 * S + 10` and the encoder see the width the tokenizer gives.
        TFLite builtin ops only.

        Args:
            source_ids: int32 `(B, S)`, 0-padded, already truncated.

        Returns:
            dict with `"ids"` int32 `(B, L)`, `"scores"` float32 `(B,)` and
            `"attention"` float32 `(B, L, S)` (0 in the dropped columns).
        """
        width = tf.shape(source_ids)[1]
        used = used_width(source_ids)
        trimmed = source_ids[:, :used]  # (B, W)
        encoder_outputs, encoder_state = self.model.encoder.encode_stepwise(trimmed)
        out = self.model.decode_encoded(
            trimmed, encoder_outputs, encoder_state, self.strategy, self.length_cap(used)
        )
        attention = out["attention"]  # (B, L, W)
        attention = tf.pad(attention, [[0, 0], [0, 0], [0, width - tf.shape(attention)[2]]])  # (B, L, S)
        return {"ids": out["ids"], "scores": out["scores"], "attention": attention}

    def decode_in_slices(self, source_ids, with_attention):
        """`decode` over consecutive slices of `batch_size` rows, in one graph loop.

        Each slice is decoded (and trimmed) on its own, exactly like one
        batch of `Translator.translate`; the outputs are padded to a common
        length and concatenated. Only one slice's decoding state is alive at
        a time. Uses TensorList ops (fine for TF Serving, not for TFLite).

        Args:
            source_ids: int32 `(B, S)`, 0-padded, already truncated.
            with_attention: also return the attention weights (the strings
                signature does not need them).

        Returns:
            dict with `"ids"` `(B, L)`, `"scores"` `(B,)` and, with
            `with_attention`, `"attention"` `(B, L, S)`.
        """
        batch, width = tf.shape(source_ids)[0], tf.shape(source_ids)[1]
        size = self.batch_size
        num_slices = tf.maximum((batch + size - 1) // size, 1)  # one (empty) slice for B = 0
        cap = self.length_cap(width)  # >= every slice's L
        arrays = {
            "ids": tf.TensorArray(tf.int32, size=num_slices, infer_shape=False),
            "scores": tf.TensorArray(tf.float32, size=num_slices, infer_shape=False),
        }
        if with_attention:
            arrays["attention"] = tf.TensorArray(tf.float32, size=num_slices, infer_shape=False)

        def body(i, steps, arrays):
            out = self.decode(source_ids[i * size : (i + 1) * size])  # (b, L_i), (b,), (b, L_i, S)
            length = tf.shape(out["ids"])[1]
            arrays = dict(arrays)
            arrays["ids"] = arrays["ids"].write(
                i, tf.pad(out["ids"], [[0, 0], [0, cap - length]])
            )  # (b, cap)
            arrays["scores"] = arrays["scores"].write(i, out["scores"])
            if with_attention:
                attention = tf.pad(out["attention"], [[0, 0], [0, cap - length], [0, 0]])  # (b, cap, S)
                arrays["attention"] = arrays["attention"].write(i, attention)
            return i + 1, tf.maximum(steps, length), arrays

        _, steps, arrays = tf.while_loop(
            lambda i, *_: i < num_slices,
            body,
            (tf.constant(0), tf.constant(0), arrays),
            parallel_iterations=1,  # one slice's decoding state at a time
        )
        out = {
            "ids": tf.reshape(arrays["ids"].concat(), [batch, cap])[:, :steps],  # (B, L)
            "scores": tf.reshape(arrays["scores"].concat(), [batch]),  # (B,)
        }
        if with_attention:
            out["attention"] = tf.reshape(arrays["attention"].concat(), [batch, cap, width])[:, :steps]
        return out

    def length_cap(self, width):
        """The most target ids for a source batch of `width` columns (scalar int32)."""
        if self.max_length is not None:
            return tf.constant(self.max_length, tf.int32)
        return tf.minimum(2 * width + 10, self.max_target_length)


def check_translator_settings(translator, max_target_length=None):
    """Raises for a Translator setting the exported graphs cannot honour.

    Args:
        translator: a `keras_s2s.Translator`.
        max_target_length: the export's limit, if given: with the
            translator's `max_length` set it must be None or equal to it.

    Raises:
        ValueError: `replace_unknown=True` (a text-level rewrite: the ids
            outputs cannot carry copied source words), or a contradicting
            `max_target_length`.
    """
    if getattr(translator, "replace_unknown", False):
        raise ValueError(
            "Exported models do not implement `replace_unknown` (their ids "
            "outputs cannot carry copied source words); export a Translator "
            "with replace_unknown=False. Received: replace_unknown=True"
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
