"""The graph that both exporters write: tokenize → encode → decode → detokenize."""

import tensorflow as tf

from keras_s2s.text.vocabulary import END_ID

DEFAULT_MAX_SOURCE_LENGTH = 128


class TranslationModule(tf.Module):
    """A `tf.Module` holding a translator's model, tokenizers and strategy.

    Both functions are pure TensorFlow (+ TensorFlow Text for the strings):
    nothing calls back into Python, so the SavedModel runs in stock TF
    Serving and `translate_ids` converts to TFLite builtin ops.

    Limits (documented in docs/export.md and checked in the graph): sources
    longer than `max_source_length` ids ([START] and [END] included) are
    truncated to their first `max_source_length - 1` ids plus [END]; at most
    `min(2 * S + 10, max_target_length)` target ids are generated.

    Args:
        translator: a `keras_s2s.Translator`.
        max_source_length: int >= 2.
        max_target_length: int >= 1; default `2 * max_source_length + 10`.
    """

    def __init__(self, translator, max_source_length=None, max_target_length=None):
        super().__init__(name="translation")
        max_source_length = max_source_length or DEFAULT_MAX_SOURCE_LENGTH
        if not isinstance(max_source_length, int) or max_source_length < 2:
            raise ValueError(
                "`max_source_length` must be an int >= 2 (room for [START] and "
                f"[END]). Received: max_source_length={max_source_length!r}"
            )
        max_target_length = max_target_length or 2 * max_source_length + 10
        if not isinstance(max_target_length, int) or max_target_length < 1:
            raise ValueError(
                "`max_target_length` must be a positive int. "
                f"Received: max_target_length={max_target_length!r}"
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

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="source_ids")])
    def translate_ids(self, source_ids):
        """`source_ids` int32 `(B, S)` → target ids `(B, L)`, score `(B,)`, attention `(B, L, S')`."""
        source_ids = truncate(source_ids, self.max_source_length)  # (B, S')
        encoder_outputs, encoder_state = self.model.encoder.encode_stepwise(source_ids)
        source_length = tf.shape(source_ids)[1]
        max_length = tf.minimum(2 * source_length + 10, self.max_target_length)
        out = self.model.decode_encoded(
            source_ids, encoder_outputs, encoder_state, self.strategy, max_length
        )
        return {
            "target_ids": tf.identity(out["ids"], name="target_ids"),
            "score": tf.identity(out["scores"], name="score"),
            "attention": tf.identity(out["attention"], name="attention"),
        }

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def translate_text(self, text):
        """`text` string `(B,)` → `translation` string `(B,)`, `score` float32 `(B,)`."""
        source_ids = self.source_tokenizer(text)  # (B, S) 0-padded
        out = self.translate_ids(tf.cast(source_ids, tf.int32))
        translation = self.target_tokenizer.detokenize(out["target_ids"])  # (B,)
        return {"translation": translation, "score": out["score"]}


def truncate(source_ids, max_length):
    """Cuts rows longer than `max_length` ids and ends them with [END] again."""
    source_ids = tf.convert_to_tensor(source_ids, tf.int32)
    lengths = tf.reduce_sum(tf.cast(tf.not_equal(source_ids, 0), tf.int32), axis=1)  # (B,)
    cut = source_ids[:, :max_length]  # (B, S')
    last = tf.equal(tf.range(tf.shape(cut)[1]), max_length - 1)  # (S',)
    needs_end = tf.logical_and(
        tf.expand_dims(last, 0), tf.expand_dims(lengths > max_length, 1)
    )  # (B, S')
    return tf.where(needs_end, tf.constant(END_ID, tf.int32), cut)  # (B, S')
