"""The graph that both exporters write: tokenize → encode → decode → detokenize."""

import tensorflow as tf

from keras_s2s.export.graph_checks import check_rank, check_translator_settings, truncate, used_width
from keras_s2s.export.sliced_decode import decode_in_slices
from keras_s2s.text.unknown_replacement import replace_unknown

DEFAULT_MAX_SOURCE_LENGTH = 128


class TranslationModule(tf.Module):
    """A `tf.Module` holding a translator's model, tokenizers and strategy.

    Its functions are pure TensorFlow (+ TensorFlow Text for the strings):
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
    Beam search with `num_return_sequences = n > 1` returns the `n` best
    per sentence: outputs gain an axis of size `n` after the batch.

    Limits (documented in docs/export.md and checked in the graph): sources
    longer than `max_source_length` ids ([START] and [END] included) are
    truncated to their first `max_source_length - 1` ids plus [END].

    Args:
        translator: a `keras_s2s.Translator`. With `replace_unknown=True`
            the strings signatures copy the most attended source token into
            each [UNK], as the Translator does (`text.unknown_replacement`);
            an ids-only export (`strings_out=False`) refuses it.
        max_source_length: int >= 2; default 128.
        max_target_length: int >= 1; default `translator.max_length`, else
            `2 * max_source_length + 10`. With `translator.max_length` set it
            must equal it (or be None). Also the most a request's own
            `max_length` may ask for.
        batch_size: int or None: sentences decoded at a time inside the graph
            (the SavedModel passes `translator.batch_size`). None decodes the
            whole batch at once, without TensorList ops (the LiteRT graph).
        strings_out: whether the strings signatures are exported (False for
            LiteRT, whose model returns ids).
    """

    def __init__(
        self, translator, max_source_length=None, max_target_length=None, batch_size=None, strings_out=True
    ):
        super().__init__(name="translation")
        check_translator_settings(translator, max_target_length, strings_out)
        max_source_length = DEFAULT_MAX_SOURCE_LENGTH if max_source_length is None else max_source_length
        if (
            not isinstance(max_source_length, int)
            or isinstance(max_source_length, bool)
            or max_source_length < 2
        ):
            raise ValueError(
                "`max_source_length` must be an int >= 2 (room for [START] and "
                f"[END]). Received: max_source_length={max_source_length!r}"
            )
        max_length = getattr(translator, "max_length", None)
        if max_target_length is None:
            max_target_length = max_length or 2 * max_source_length + 10
        if (
            not isinstance(max_target_length, int)
            or isinstance(max_target_length, bool)
            or max_target_length < 1
        ):
            raise ValueError(
                f"`max_target_length` must be a positive int. Received: max_target_length={max_target_length!r}"
            )
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(
                f"`batch_size` must be a positive int or None. Received: batch_size={batch_size!r}"
            )
        # Track the weights, not the model: a compiled model also reaches its
        # optimizer, whose slots (2x the weights for Adam) a served artifact
        # must not carry.
        self.model_weights = list(translator.model.weights)
        object.__setattr__(self, "model", translator.model)  # untracked
        self.source_tokenizer = translator.source_tokenizer
        self.target_tokenizer = translator.target_tokenizer
        self.strategy = translator.strategy
        self.num_return_sequences = getattr(translator.strategy, "num_return_sequences", 1)
        self.replace_unknown = bool(getattr(translator, "replace_unknown", False))
        self.max_source_length = max_source_length
        self.max_target_length = max_target_length
        self.max_length = max_length  # None: 2 * S + 10 per batch
        self.batch_size = batch_size

    # === Signatures ===
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="source_ids")], autograph=False)
    def translate_ids(self, source_ids):
        """`source_ids` int32 `(B, S)` → target ids `(B, L)`, score `(B,)`, attention `(B, L, S')`."""
        if self.batch_size is not None:
            source_ids = check_rank(
                source_ids, 2, "`source_ids` must be a 2-D int32 tensor of shape (batch, length)"
            )
        out = self.decode_rows(truncate(source_ids, self.max_source_length), None, with_attention=True)
        batch = tf.shape(source_ids)[0]
        return {
            "target_ids": tf.identity(self.per_sentence(out["ids"], batch), name="target_ids"),
            "score": tf.identity(self.per_sentence(out["scores"], batch), name="score"),
            "attention": tf.identity(self.per_sentence(out["attention"], batch), name="attention"),
        }

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")], autograph=False)
    def translate_text(self, text):
        """`text` string `(B,)` → `translation` string `(B,)`, `score` float32 `(B,)`."""
        return self.translate_strings(text, None)

    def with_options_function(self):
        """The `translate_with_options` signature: `translate_text` plus a request's `max_length`.

        A `tf.function` (not a concrete function) whose `max_length` defaults
        to the tensor 0 (the export's cap): `tf.saved_model.save` records
        that default in the SignatureDef, and TF Serving fills it in when a
        request leaves the input out. Built on demand, at export time: a
        tensor made when the module is imported would start TensorFlow's
        runtime before `tf.distribute` can configure its collectives.
        """
        no_request = tf.constant(0, tf.int32)

        def translate_text_with_options(text, max_length=no_request):
            message = tf.strings.format(
                "`max_length` must be >= 0 (0: the export's default). Received: max_length={}", max_length
            )
            with tf.control_dependencies([tf.debugging.Assert(max_length >= 0, [message])]):
                return self.translate_strings(tf.identity(text), max_length)

        return tf.function(
            translate_text_with_options,
            input_signature=[
                tf.TensorSpec([None], tf.string, name="text"),
                tf.TensorSpec([], tf.int32, name="max_length"),
            ],
            autograph=False,
        )

    # === Decoding ===
    def translate_strings(self, text, requested):
        text = check_rank(
            text, 1, "`text` must be a 1-D string tensor, a batch of sentences of shape (batch,)"
        )
        source_ids = tf.cast(self.source_tokenizer(text), tf.int32)  # (B, S) 0-padded
        source_ids = truncate(source_ids, self.max_source_length)  # (B, S')
        out = self.decode_rows(source_ids, requested, with_attention=self.replace_unknown)  # (B*n, L)
        if self.replace_unknown:  # repeats each source row for its n hypotheses itself
            translation = replace_unknown(
                out["ids"], out["attention"], source_ids, self.source_tokenizer, self.target_tokenizer
            )  # (B*n,)
        else:
            translation = self.target_tokenizer.detokenize(out["ids"])  # (B*n,)
        batch = tf.shape(text)[0]
        return {
            "translation": self.per_sentence(translation, batch),
            "score": self.per_sentence(out["scores"], batch),
        }

    def decode_rows(self, source_ids, requested, with_attention):
        """`decode` of the whole batch, or slice by slice with `batch_size`."""
        if self.batch_size is None:
            return self.decode(source_ids, requested, with_attention)
        cap = self.length_cap(tf.shape(source_ids)[1], requested)  # >= every slice's L
        return decode_in_slices(
            lambda ids: self.decode(ids, requested, with_attention),
            source_ids,
            self.batch_size,
            cap,
            rows_per_sentence=self.num_return_sequences,
            with_attention=with_attention,
        )

    def decode(self, source_ids, requested=None, with_attention=True):
        """Decodes one batch as `Translator.translate` decodes one of its batches.

        Columns past the batch's last non-padding id are dropped first (a
        batch of padding only keeps its width), so the default length cap
        `2 * S + 10` and the encoder see the width the tokenizer gives.
        TFLite builtin ops only.

        Args:
            source_ids: int32 `(B, S)`, 0-padded, already truncated.
            requested: scalar int32 `max_length` of the request (0 or None:
                the export's cap).
            with_attention: keep the attention weights; False decodes without
                an attention history (the strings signature without
                `replace_unknown` reads ids and scores only).

        Returns:
            dict with `"ids"` int32 `(B*n, L)`, `"scores"` float32 `(B*n,)`
            and, with `with_attention`, `"attention"` float32 `(B*n, L, S)`
            (0 in the dropped columns), the `n` hypotheses of a sentence in
            consecutive rows.
        """
        width = tf.shape(source_ids)[1]
        used = used_width(source_ids)
        trimmed = source_ids[:, :used]  # (B, W)
        encoder_outputs, encoder_state = self.model.encoder.encode_stepwise(trimmed)
        out = self.model.decode_encoded(
            trimmed,
            encoder_outputs,
            encoder_state,
            self.strategy,
            self.length_cap(used, requested),
            return_attention=with_attention,
        )
        ids, scores = out["ids"], out["scores"]  # (B, [n,] L), (B, [n])
        rows = tf.shape(ids)[0] * self.num_return_sequences
        if self.num_return_sequences > 1:  # hypotheses become rows
            ids = tf.reshape(ids, tf.stack([rows, tf.shape(ids)[2]]))  # (B*n, L)
            scores = tf.reshape(scores, [rows])  # (B*n,)
        if not with_attention:
            return {"ids": ids, "scores": scores}
        attention = tf.reshape(out["attention"], tf.stack([rows, tf.shape(ids)[1], used]))  # (B*n, L, W)
        attention = tf.pad(attention, [[0, 0], [0, 0], [0, width - tf.shape(attention)[2]]])  # (B*n, L, S)
        return {"ids": ids, "scores": scores, "attention": attention}

    def per_sentence(self, rows, batch):
        """`(B*n, ...)` rows → `(B, n, ...)`; unchanged for n = 1."""
        n = self.num_return_sequences
        if n == 1:
            return rows
        return tf.reshape(rows, tf.concat([tf.stack([batch, n]), tf.shape(rows)[1:]], axis=0))

    def length_cap(self, width, requested=None):
        """The most target ids for a source batch of `width` columns (scalar int32).

        A request's positive `max_length` replaces the default, up to
        `max_target_length` (which bounds a request's memory).
        """
        if self.max_length is not None:
            default = tf.constant(self.max_length, tf.int32)
        else:
            default = tf.minimum(2 * width + 10, self.max_target_length)
        if requested is None:
            return default
        return tf.where(requested > 0, tf.minimum(requested, self.max_target_length), default)
