"""Models: the functional encoder/decoder models, their metric and output prior.

`Seq2Seq` composes the layers and decodes with `keras_s2s.decoding`. Models
know no export, training run, CLI, Translator, tokenizer or dataset
(tests/test_architecture.py checks the imports).
"""

from keras_s2s.models.masked_token_accuracy import MaskedTokenAccuracy
from keras_s2s.models.seq2seq import Seq2Seq
