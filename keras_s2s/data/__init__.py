"""Data loaders, synthetic tasks and tf.data pipelines."""

from keras_s2s.data.synthetic import reverse
