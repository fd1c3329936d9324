"""Word-level tokenizer."""

import keras

from keras_s2s.text import text_ops
from keras_s2s.text.base_tokenizer import BaseTokenizer


@keras.saving.register_keras_serializable(package="keras_s2s")
class WordTokenizer(BaseTokenizer):
    """Word-level tokenizer: one id per word or punctuation mark.

    Text is normalized (invalid UTF-8 → U+FFFD, NFKC, optional lowercasing,
    whitespace collapsed), split on whitespace and, with
    `split_punctuation=True`, every punctuation or symbol character (emoji
    included) becomes a word of its own. Words outside the vocabulary map to
    [UNK] (id 1). `detokenize` joins words with the punctuation rules of
    `language` (see `keras_s2s.text.text_ops`), so for text whose words are all
    in the vocabulary and whose spacing follows those rules,
    `detokenize(tok(x)) == tok.normalize(x)`.

    Edge cases: `""` and whitespace-only text give `[START, END]`; emoji and
    other symbols are single words; mixed scripts are split on whitespace
    only; very long input is kept whole unless `max_length` is set.

    >>> tok = WordTokenizer.train(["a dog runs.", "a cat sleeps."])
    >>> tok(["a dog sleeps."])  # [[START, a, dog, sleeps, ., END]]
    >>> tok.detokenize(tok(["a dog sleeps."]))  # [b"a dog sleeps."]

    Args:
        vocabulary: list of tokens, a vocabulary file path, or `None`.
        lowercase: lowercase before splitting.
        normalization: Unicode normalization form or `None`.
        split_punctuation: split punctuation and symbols off words.
        language: joining rules for `detokenize`: `"en"`, `"de"`, `"fr"`,
            `"es"` or `None` (single spaces everywhere).
        max_length: `None` or int >= 2, maximum output length.
        ragged: return `tf.RaggedTensor` ids instead of 0-padded ids.
        **kwargs: `keras.layers.Layer` arguments.
    """

    def __init__(
        self,
        vocabulary=None,
        lowercase=False,
        normalization="NFKC",
        split_punctuation=True,
        language="en",
        max_length=None,
        ragged=False,
        **kwargs,
    ):
        if not isinstance(split_punctuation, bool):
            raise ValueError(
                f"`split_punctuation` must be a bool. Received: split_punctuation={split_punctuation!r}"
            )
        if language is not None and language not in text_ops.LANGUAGES:
            raise ValueError(
                f"`language` must be one of {text_ops.LANGUAGES} or None. Received: language={language!r}"
            )
        self.split_punctuation = split_punctuation
        self.language = language
        super().__init__(
            vocabulary=vocabulary,
            lowercase=lowercase,
            normalization=normalization,
            max_length=max_length,
            ragged=ragged,
            **kwargs,
        )

    @classmethod
    def train(cls, texts, vocab_size=None, min_frequency=1, **kwargs):
        """Learns a word vocabulary (most frequent words first) from `texts`.

        Args:
            texts: list of `str`, or a `tf.data.Dataset` of string scalars or
                string vectors.
            vocab_size: maximum vocabulary size, the 4 special tokens
                included; `None` keeps every word.
            min_frequency: words seen fewer times are left out.
            **kwargs: constructor arguments (`lowercase`, `language`, ...).

        Returns:
            A trained `WordTokenizer`.
        """
        return cls._train(texts, vocab_size, min_frequency, {}, kwargs)

    def _pretokenize(self, normalized):
        return text_ops.split_words(normalized, self.split_punctuation)

    def _join(self, tokens):
        return text_ops.join_tokens(tokens, self.language)

    def get_config(self):
        config = super().get_config()
        config.update({"split_punctuation": self.split_punctuation, "language": self.language})
        return config
