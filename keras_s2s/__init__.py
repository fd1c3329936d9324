"""keras_s2s: sequence-to-sequence models with attention for Keras 3.

Importing the package registers every layer, model and tokenizer with
Keras' serialization, so `keras.models.load_model("model.keras")` needs
nothing more than `import keras_s2s`.
"""

__version__ = "0.1.0"

from keras_s2s import data, decoding, export, layers, models, optimizers, text  # noqa: E402
from keras_s2s.models import Seq2Seq, Transformer  # noqa: E402
from keras_s2s.translator import Translator, plot_attention  # noqa: E402
