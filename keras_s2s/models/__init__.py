"""Models."""

from keras_s2s.models.masked_token_accuracy import MaskedTokenAccuracy
from keras_s2s.models.seq2seq import Seq2Seq
