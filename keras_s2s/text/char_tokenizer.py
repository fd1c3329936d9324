"""Character-level tokenizer."""

import keras
import tensorflow as tf

from keras_s2s.text.base_tokenizer import BaseTokenizer


@keras.saving.register_keras_serializable(package="keras_s2s")
class CharTokenizer(BaseTokenizer):
    """Character-level tokenizer: one id per Unicode code point.

    Text is normalized (invalid UTF-8 → U+FFFD, NFKC, optional lowercasing,
    every run of whitespace → one space, leading/trailing whitespace
    removed), then split into code points; the space is an ordinary token.
    Characters outside the vocabulary map to [UNK] (id 1). `detokenize`
    concatenates the characters, so `detokenize(tok(x)) == tok.normalize(x)`
    for any `x` whose characters are all in the vocabulary.

    Edge cases: `""` and whitespace-only text give `[START, END]`; an emoji
    made of several code points (skin tone, ZWJ sequences) gives several
    ids; very long input is kept whole unless `max_length` is set.

    >>> tok = CharTokenizer.train(["25/01/05", "2005-01-25"])
    >>> tok(["2005"])  # [[START, 2, 0, 0, 5, END]] as ids
    >>> tok.detokenize(tok(["2005"]))  # [b"2005"]

    Args:
        vocabulary: list of single characters (after the special tokens), a
            vocabulary file path, or `None`.
        lowercase: lowercase before splitting.
        normalization: Unicode normalization form or `None`.
        max_length: `None` or int >= 2, maximum output length.
        ragged: return `tf.RaggedTensor` ids instead of 0-padded ids.
        **kwargs: `keras.layers.Layer` arguments.
    """

    @classmethod
    def train(cls, texts, vocab_size=None, min_frequency=1, **kwargs):
        """Learns a character vocabulary (most frequent first) from `texts`.

        Args:
            texts: list of `str`, or a `tf.data.Dataset` of string scalars or
                string vectors.
            vocab_size: maximum vocabulary size, the 4 special tokens
                included; `None` keeps every character.
            min_frequency: characters seen fewer times are left out.
            **kwargs: constructor arguments (`lowercase`, ...).

        Returns:
            A trained `CharTokenizer`.
        """
        return cls._train(texts, vocab_size, min_frequency, {}, kwargs)

    def _pretokenize(self, normalized):
        return tf.strings.unicode_split(normalized, "UTF-8")

    def _join(self, tokens):
        return tf.strings.unsorted_segment_join(
            tokens.flat_values, tokens.value_rowids(), num_segments=tokens.nrows()
        )
