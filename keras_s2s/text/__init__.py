"""Tokenizers that run in graph mode (tf.data, tf.function, SavedModel).

Every tokenizer is a Keras layer mapping strings to int32 ids wrapped in
[START] ... [END] (ids 2 and 3), 0-padded ([PAD]) unless `ragged=True`, with
[UNK] = 1 for unknown pieces; `detokenize` maps ids back to text. Text
imports no other keras_s2s package.
"""

from keras_s2s.text.base_tokenizer import BaseTokenizer
from keras_s2s.text.char_tokenizer import CharTokenizer
from keras_s2s.text.subword_tokenizer import SubwordTokenizer
from keras_s2s.text.vocabulary import END_ID, PAD_ID, SPECIAL_TOKENS, START_ID, UNK_ID
from keras_s2s.text.word_tokenizer import WordTokenizer
