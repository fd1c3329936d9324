"""WordPiece subword tokenizer built on TensorFlow-Text."""

import keras
import tensorflow as tf
import tensorflow_text as tf_text
from tensorflow_text.tools.wordpiece_vocab import (
    wordpiece_tokenizer_learner_lib as wordpiece_learner,
)

from keras_s2s.text import text_ops
from keras_s2s.text import vocabulary as vocab_lib
from keras_s2s.text.base_tokenizer import BaseTokenizer

SUFFIX_INDICATOR = "##"


@keras.saving.register_keras_serializable(package="keras_s2s")
class SubwordTokenizer(BaseTokenizer):
    """WordPiece tokenizer: words split into pieces from a learned vocabulary.

    Text is normalized (invalid UTF-8 → U+FFFD, NFKC, optional lowercasing,
    whitespace collapsed) and split into words on whitespace and punctuation
    (every punctuation or symbol character, emoji included, is a word of its
    own); each word is then split into WordPiece pieces by TF-Text's
    `FastWordpieceTokenizer` (`"##"` marks a piece that continues a word).
    A word that cannot be built from the vocabulary's pieces, or longer than
    `max_bytes_per_word` bytes, becomes one [UNK].

    `detokenize` glues `##` pieces back to their word and joins words with
    the punctuation rules of `language` (see `keras_s2s.text.text_ops`):
    `detokenize(tok(x)) == tok.normalize(x)` whenever `x` has no unknown
    piece and its spacing follows those rules (99.8 % of Multi30k sentences
    in English, German and French, see `docs/data_pipeline.md`).

    Edge cases: `""` and whitespace-only text give `[START, END]`; emoji are
    single words ([UNK] unless seen in training); text in scripts written
    without spaces (CJK) is split into pieces like any long word; very long
    input is kept whole unless `max_length` is set; bytes that are not UTF-8
    become U+FFFD, usually [UNK].

    >>> tok = SubwordTokenizer.train(texts, vocab_size=8000, lowercase=True)
    >>> ids = tok(["Ein Hund läuft."])  # (1, L) int32, 0-padded
    >>> tok.detokenize(ids)             # [b"ein hund läuft."]

    Args:
        vocabulary: list of WordPiece tokens, a vocabulary file path, or
            `None` for an untrained tokenizer.
        lowercase: lowercase before splitting.
        normalization: Unicode normalization form or `None`.
        language: joining rules for `detokenize`: `"en"`, `"de"`, `"fr"`,
            `"es"` or `None` (single spaces between words).
        max_bytes_per_word: longer words become [UNK].
        max_length: `None` or int >= 2, maximum output length.
        ragged: return `tf.RaggedTensor` ids instead of 0-padded ids.
        **kwargs: `keras.layers.Layer` arguments.
    """

    def __init__(
        self,
        vocabulary=None,
        lowercase=False,
        normalization="NFKC",
        language="en",
        max_bytes_per_word=100,
        max_length=None,
        ragged=False,
        **kwargs,
    ):
        if language is not None and language not in text_ops.LANGUAGES:
            raise ValueError(
                f"`language` must be one of {text_ops.LANGUAGES} or None. Received: language={language!r}"
            )
        if (
            isinstance(max_bytes_per_word, bool)
            or not isinstance(max_bytes_per_word, int)
            or max_bytes_per_word < 1
        ):
            raise ValueError(
                "`max_bytes_per_word` must be a positive int. "
                f"Received: max_bytes_per_word={max_bytes_per_word!r}"
            )
        self.language = language
        self.max_bytes_per_word = max_bytes_per_word
        super().__init__(
            vocabulary=vocabulary,
            lowercase=lowercase,
            normalization=normalization,
            max_length=max_length,
            ragged=ragged,
            **kwargs,
        )

    @classmethod
    def train(
        cls,
        texts,
        vocab_size=8000,
        min_frequency=1,
        max_unique_chars=1000,
        **kwargs,
    ):
        """Learns a WordPiece vocabulary with TF-Text's vocabulary learner.

        Words are counted after this tokenizer's own normalization and
        splitting, then `wordpiece_tokenizer_learner_lib.learn` picks the
        pieces (every character seen keeps a piece, so a word made of known
        characters is never [UNK]).

        Args:
            texts: list of `str`, or a `tf.data.Dataset` of string scalars or
                string vectors.
            vocab_size: maximum vocabulary size, the 4 special tokens
                included (the learner aims at 95–100 % of it).
            min_frequency: words seen fewer times are ignored.
            max_unique_chars: the most frequent characters kept; words with
                other characters are ignored.
            **kwargs: constructor arguments (`lowercase`, `language`, ...).

        Returns:
            A trained `SubwordTokenizer`.
        """
        learn_kwargs = {"max_unique_chars": max_unique_chars}
        return cls._train(texts, vocab_size, min_frequency, learn_kwargs, kwargs)

    @classmethod
    def _vocabulary_from_counts(cls, counts, vocab_size, min_frequency, max_unique_chars=1000):
        counts = [
            (word, n)
            for word, n in sorted(counts.items())
            if n >= min_frequency and word not in vocab_lib.SPECIAL_TOKENS
        ]
        if not counts:
            return list(vocab_lib.SPECIAL_TOKENS)
        vocabulary = wordpiece_learner.learn(
            counts,
            vocab_size,
            list(vocab_lib.SPECIAL_TOKENS),
            max_unique_chars=max_unique_chars,
            lower_thresh=min_frequency,
            include_joiner_token=True,
            joiner=SUFFIX_INDICATOR,
        )
        if len(vocabulary) <= vocab_size:
            return vocabulary

        # The learner may overshoot when its threshold search runs out; drop
        # the rarest multi-character pieces, keeping every single character
        # (and its ## form) so that no known character becomes [UNK].
        def is_char(token):
            return len(token) == 1 or (
                token.startswith(SUFFIX_INDICATOR) and len(token) == len(SUFFIX_INDICATOR) + 1
            )

        essential = [t for t in vocabulary if t in vocab_lib.SPECIAL_TOKENS or is_char(t)]
        room = vocab_size - len(essential)
        if room < 0:
            return vocabulary[:vocab_size]
        keep = set(essential)
        keep.update([t for t in vocabulary if t not in keep][:room])
        return [t for t in vocabulary if t in keep]

    def _build_lookup(self, vocabulary):
        self._wordpiece = tf_text.FastWordpieceTokenizer(
            vocab=vocabulary,
            suffix_indicator=SUFFIX_INDICATOR,
            max_bytes_per_word=self.max_bytes_per_word,
            token_out_type=tf.int32,
            unknown_token=vocab_lib.UNK,
            no_pretokenization=True,
        )

    def _pretokenize(self, normalized):
        return text_ops.split_words(normalized, split_punctuation=True)

    def _lookup(self, words):
        return self._wordpiece.tokenize(words).merge_dims(-2, -1)

    def _join(self, tokens):
        return text_ops.join_tokens(tokens, self.language, SUFFIX_INDICATOR)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "language": self.language,
                "max_bytes_per_word": self.max_bytes_per_word,
            }
        )
        return config
