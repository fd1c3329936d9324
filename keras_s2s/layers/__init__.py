"""Attention layers, encoders and decoders (RNN and Transformer).

The three attention layers share `BaseAttention`; `RNNEncoder` and
`AttentionDecoder` compose them, and the Transformer's encoder and decoder
are built from `ScaledDotProductAttention` heads. Layers use `keras.ops`
only: they import no TensorFlow (so they run on every Keras backend) and
know no models, search, strings or files (tests/test_architecture.py checks
the imports).
"""

from keras_s2s.layers.additive_attention import AdditiveAttention
from keras_s2s.layers.attention_decoder import AttentionDecoder
from keras_s2s.layers.base_attention import BaseAttention
from keras_s2s.layers.gru import GRU
from keras_s2s.layers.lstm import LSTM
from keras_s2s.layers.multiplicative_attention import MultiplicativeAttention
from keras_s2s.layers.rnn_encoder import RNNEncoder
from keras_s2s.layers.scaled_dot_product_attention import ScaledDotProductAttention
from keras_s2s.layers.sinusoidal_position_encoding import SinusoidalPositionEncoding
from keras_s2s.layers.transformer_decoder import TransformerDecoder
from keras_s2s.layers.transformer_decoder_block import TransformerDecoderBlock
from keras_s2s.layers.transformer_encoder import TransformerEncoder
from keras_s2s.layers.transformer_encoder_block import TransformerEncoderBlock
