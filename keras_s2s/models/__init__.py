"""Models: the functional encoder/decoder models, their loss, metric and output prior.

`Seq2Seq` (RNN) and `Transformer` share `EncoderDecoderModel`, compose the
layers and decode with `keras_s2s.decoding`. Models know no export, training
run, CLI, Translator, tokenizer or dataset (tests/test_architecture.py
checks the imports).
"""

from keras_s2s.models.encoder_decoder_model import EncoderDecoderModel
from keras_s2s.models.label_smoothed_cross_entropy import LabelSmoothedCrossEntropy
from keras_s2s.models.masked_cross_entropy import MaskedCrossEntropy
from keras_s2s.models.masked_token_accuracy import MaskedTokenAccuracy
from keras_s2s.models.seq2seq import Seq2Seq
from keras_s2s.models.transformer import Transformer
