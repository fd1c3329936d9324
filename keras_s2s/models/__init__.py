"""Models: the RNN `Seq2Seq` and the `Transformer`, their loss and metric."""

from keras_s2s.models.encoder_decoder_model import EncoderDecoderModel
from keras_s2s.models.label_smoothed_cross_entropy import LabelSmoothedCrossEntropy
from keras_s2s.models.masked_token_accuracy import MaskedTokenAccuracy
from keras_s2s.models.seq2seq import Seq2Seq
from keras_s2s.models.transformer import Transformer
