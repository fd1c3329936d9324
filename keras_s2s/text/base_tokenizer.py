"""Shared base of the keras_s2s tokenizers."""

import os

import keras
import numpy as np
import tensorflow as tf

from keras_s2s.text import text_ops
from keras_s2s.text import vocabulary as vocab_lib


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"`{name}` must be a bool. Received: {name}={value!r}")


def _check_int(name, value, minimum, note=""):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (value < minimum):
        raise ValueError(f"`{name}` must be an int >= {minimum} {note}. Received: {name}={value!r}")


class BaseTokenizer(keras.layers.Layer):
    """Base Keras layer: normalize, split, look up, wrap in [START] ... [END].

    Subclasses define how normalized text is split into units
    (`_pretokenize`), how units become ids (`_lookup`), how tokens are joined
    back into text (`_join`) and how a vocabulary is learned
    (`_vocabulary_from_counts`).

    Output rule: `tok(texts)` with `texts` of shape `(B,)` returns int32 ids
    `(B, L)` padded with 0 ([PAD]) to the longest sequence of the batch, or a
    `tf.RaggedTensor` `(B, None)` when `ragged=True`. A scalar string gives a
    1-D `(L,)` tensor. Every sequence is `[START] ... [END]` (ids 2 and 3);
    `max_length` truncates the pieces so the sequence, [START] and [END]
    included, has at most `max_length` ids and still ends with [END].

    Args:
        vocabulary: list of tokens (the 4 special tokens are prepended when
            missing), a path to a vocabulary file, or `None` for an untrained
            tokenizer (use the `train` classmethod).
        lowercase: lowercase the text before splitting.
        normalization: Unicode normalization form (`"NFKC"`, `"NFC"`,
            `"NFKD"`, `"NFD"`) or `None`.
        max_length: `None` or int >= 2, the maximum output length.
        ragged: return a `tf.RaggedTensor` instead of 0-padded ids.
        **kwargs: `keras.layers.Layer` arguments (`name`, ...).
    """

    def __init__(
        self,
        vocabulary=None,
        lowercase=False,
        normalization="NFKC",
        max_length=None,
        ragged=False,
        **kwargs,
    ):
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        super().__init__(trainable=False, **kwargs)
        _check_bool("lowercase", lowercase)
        _check_bool("ragged", ragged)
        if normalization not in (None,) + text_ops.NORMALIZATION_FORMS:
            raise ValueError(
                f"`normalization` must be one of {text_ops.NORMALIZATION_FORMS} "
                f"or None. Received: normalization={normalization!r}"
            )
        if max_length is not None:
            _check_int("max_length", max_length, 2, "or None (room for [START], [END])")
        self.lowercase = lowercase
        self.normalization = normalization
        self.max_length = None if max_length is None else int(max_length)
        self.ragged = ragged
        self._vocabulary = None
        if vocabulary is not None:
            if isinstance(vocabulary, (str, os.PathLike)):
                vocabulary = vocab_lib.read_vocabulary(vocabulary)
            self._vocabulary = vocab_lib.validate_vocabulary(vocabulary)
            self._vocab_tensor = tf.constant(self._vocabulary, dtype=tf.string)
            self._build_lookup(self._vocabulary)
        self.built = True

    def _build_lookup(self, vocabulary):
        """Builds the string → id lookup (default: a static hash table)."""
        self._table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(vocabulary, tf.string),
                tf.range(len(vocabulary), dtype=tf.int32),
            ),
            default_value=vocab_lib.UNK_ID,
        )

    def _pretokenize(self, normalized):
        """Splits `(B,)` normalized strings into ragged `(B, None)` units."""
        raise NotImplementedError

    def _lookup(self, units):
        """Maps ragged `(B, None)` units to ragged `(B, None)` int32 ids."""
        return self._table.lookup(units)

    def _join(self, tokens):
        """Joins ragged `(B, None)` token strings into `(B,)` strings."""
        raise NotImplementedError

    @property
    def vocabulary(self):
        """The vocabulary as a list of `str` (special tokens first)."""
        self._check_trained()
        return list(self._vocabulary)

    @property
    def vocab_size(self):
        """Number of tokens in the vocabulary, special tokens included."""
        self._check_trained()
        return len(self._vocabulary)

    def _check_trained(self):
        if self._vocabulary is None:
            raise ValueError(
                f"{type(self).__name__} has no vocabulary. Pass "
                "`vocabulary=` or build one with "
                f"`{type(self).__name__}.train(texts, ...)`."
            )

    def save_vocabulary(self, path):
        """Writes the vocabulary file (one token a line) atomically to `path`."""
        vocab_lib.write_vocabulary(self.vocabulary, path)

    @classmethod
    def from_vocabulary_file(cls, path, **kwargs):
        """Creates a tokenizer from a vocabulary file written by `save_vocabulary`.

        Args:
            path: vocabulary file.
            **kwargs: other constructor arguments (`lowercase`, ...).
        """
        return cls(vocabulary=vocab_lib.read_vocabulary(path), **kwargs)

    @classmethod
    def _train(cls, texts, vocab_size, min_frequency, learn_kwargs, kwargs):
        if vocab_size is not None:
            _check_int("vocab_size", vocab_size, 5, "(the 4 special tokens included)")
        _check_int("min_frequency", min_frequency, 1)
        untrained = cls(vocabulary=None, **kwargs)
        split = tf.function(
            lambda t: untrained._pretokenize(untrained.normalize(t)),
            input_signature=[tf.TensorSpec([None], tf.string)],
            autograph=False,
        )
        counts = vocab_lib.count_units(split, texts)
        if not counts:
            raise ValueError(
                "The training texts hold no words to learn a vocabulary from: they are empty or "
                "whitespace only (or the dataset yields nothing)."
            )
        vocabulary = cls._vocabulary_from_counts(counts, vocab_size, min_frequency, **learn_kwargs)
        return cls(vocabulary=vocabulary, **kwargs)

    @classmethod
    def _vocabulary_from_counts(cls, counts, vocab_size, min_frequency):
        return vocab_lib.vocabulary_from_counts(counts, vocab_size, min_frequency)

    def normalize(self, texts):
        """Normalizes text exactly as `call` does before splitting.

        Args:
            texts: `tf.string` tensor (any shape) or Python strings.

        Returns:
            `tf.string` tensor of the same shape.
        """
        texts = tf.convert_to_tensor(texts, dtype=tf.string)
        return text_ops.normalize_text(texts, self.normalization, self.lowercase)

    def __call__(self, inputs, *args, **kwargs):
        # Python strings, lists and numpy arrays are accepted like tensors.
        if isinstance(inputs, (str, bytes, list, tuple, np.ndarray)):
            inputs = tf.convert_to_tensor(inputs, dtype=tf.string)
        if keras.backend.backend() != "tensorflow":
            # Strings are TensorFlow's job on every backend (as keras-hub's
            # tokenizers): Keras' call would convert them to JAX / PyTorch
            # tensors, which hold no strings. The ids come back as TensorFlow
            # tensors; `np.asarray(ids)` feeds them to a model.
            return self.call(inputs, *args, **kwargs)
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs):
        """Tokenizes strings.

        Args:
            inputs: `tf.string` `(B,)`, `(B, 1)` or scalar `()`.

        Returns:
            int32 ids `(B, L)` (0-padded), ragged `(B, None)` when
            `ragged=True`, or `(L,)` for a scalar input.
        """
        self._check_trained()
        texts = tf.convert_to_tensor(inputs, dtype=tf.string)
        rank = texts.shape.rank
        if rank == 2 and texts.shape[-1] == 1:
            texts = tf.squeeze(texts, axis=-1)
        elif rank not in (0, 1):
            raise ValueError(
                "Tokenizer input must be a string scalar, `(B,)` or `(B, 1)`. "
                f"Received: inputs.shape={texts.shape}"
            )
        ids = self._tokenize_ragged(tf.reshape(texts, [-1]))
        if rank == 0:
            return ids.values
        return ids if self.ragged else ids.to_tensor(default_value=0)

    def _tokenize_ragged(self, texts):
        """`(B,)` strings → ragged int32 `(B, None)` wrapped in [START] [END]."""
        ids = self._lookup(self._pretokenize(self.normalize(texts)))
        ids = tf.cast(ids, tf.int32)
        if self.max_length is not None:
            ids = ids[:, : self.max_length - 2]
        column = tf.ones([ids.nrows(), 1], tf.int32)
        return tf.concat([column * vocab_lib.START_ID, ids, column * vocab_lib.END_ID], axis=1)

    def compute_output_spec(self, inputs):
        shape = tuple(inputs.shape)
        if len(shape) == 2 and shape[-1] == 1:
            shape = shape[:1]
        return keras.KerasTensor(shape + (None,), dtype="int32", ragged=self.ragged)

    def ids_to_tokens(self, ids):
        """Maps ids to their token strings (special tokens kept).

        Args:
            ids: int tensor or `tf.RaggedTensor` of any shape.

        Returns:
            `tf.string` tensor of the same shape (and raggedness); ids outside
            `[0, vocab_size)` map to `[UNK]`.
        """
        self._check_trained()
        ids = self._to_ids(ids)
        return tf.ragged.map_flat_values(self._gather_tokens, ids)

    def _to_ids(self, ids):
        if not isinstance(ids, tf.RaggedTensor):
            ids = tf.convert_to_tensor(ids)
        if not (ids.dtype.is_integer):
            raise ValueError(f"Token ids must be integers. Received: dtype={ids.dtype}")
        return tf.cast(ids, tf.int32)

    def _gather_tokens(self, ids):
        valid = (ids >= 0) & (ids < self.vocab_size)
        ids = tf.where(valid, ids, vocab_lib.UNK_ID)
        return tf.gather(self._vocab_tensor, ids)

    def tokens_to_text(self, tokens):
        """Joins token strings into text with this tokenizer's joining rule.

        The text part of `detokenize`, for callers that edit tokens first
        (e.g. replace [UNK] by a copied source word): `##` pieces attach to
        their word (subword), punctuation follows `language` (word, subword),
        characters are concatenated (char). Special tokens are not removed.

        Args:
            tokens: `tf.RaggedTensor` (or nested list) of strings, `(B, None)`.

        Returns:
            `tf.string` tensor of shape `(B,)`.
        """
        if not isinstance(tokens, tf.RaggedTensor):
            tokens = tf.ragged.constant(tokens, dtype=tf.string)
        return self._join(tokens)

    def detokenize(self, ids):
        """Turns ids back into text.

        Everything from the first [END] on is dropped, as are [PAD] and
        [START]; an [UNK] id is written as the text `[UNK]`; ids outside the
        vocabulary count as [UNK]. Pieces are joined with the tokenizer's
        joining rule, so `detokenize(tok(x)) == tok.normalize(x)` for text
        without unknown pieces (see the subclass for the exact rule).

        Args:
            ids: int ids, dense `(..., L)` (0-padded, as decoders produce)
                or ragged `(B, None)` / `(B, None, None)`; `(L,)` for one
                sequence.

        Returns:
            `tf.string` tensor of shape `ids.shape[:-1]` (a scalar for `(L,)`).
        """
        self._check_trained()
        ids = self._to_ids(ids)
        if isinstance(ids, tf.RaggedTensor):
            if ids.shape.rank > 2:
                return ids.with_values(self.detokenize(ids.values))
            ids = ids.to_tensor(default_value=vocab_lib.PAD_ID)
        rank = ids.shape.rank
        if rank is None or rank == 0:
            raise ValueError(f"Token ids must have a known rank >= 1. Received: shape={ids.shape}")
        outer_shape = tf.shape(ids)[:-1]
        # Explicit row count: with L = 0, a -1 would be ambiguous.
        ids = tf.reshape(ids, [tf.reduce_prod(outer_shape), tf.shape(ids)[-1]])
        before_end = tf.equal(tf.cumsum(tf.cast(tf.equal(ids, vocab_lib.END_ID), tf.int32), axis=1), 0)
        keep = before_end & (ids != vocab_lib.PAD_ID) & (ids != vocab_lib.START_ID)
        tokens = tf.ragged.boolean_mask(ids, keep)
        text = self._join(tf.ragged.map_flat_values(self._gather_tokens, tokens))
        return tf.reshape(text, outer_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("trainable", None)
        config.pop("dtype", None)
        config.update(
            vocabulary=self._vocabulary,
            lowercase=self.lowercase,
            normalization=self.normalization,
            max_length=self.max_length,
            ragged=self.ragged,
        )
        return config
