"""Strings in, strings out: the `Translator` and the plot of what it attended to.

`translator.py` holds `Translator` (tokenizers + model + decoding strategy);
`attention_plot.py` draws its attention weights as a heat map. This package
may import models, text, decoding and export; it must not import training
or the CLI.
"""

from keras_s2s.translator.attention_plot import plot_attention
from keras_s2s.translator.translator import Translator
