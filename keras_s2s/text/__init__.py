"""Tokenizers that run in graph mode (tf.data, tf.function, SavedModel)."""

from keras_s2s.text.base_tokenizer import BaseTokenizer
from keras_s2s.text.vocabulary import SPECIAL_TOKENS
from keras_s2s.text.word_tokenizer import WordTokenizer
