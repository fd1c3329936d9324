"""Data: corpus loaders, synthetic tasks and the tf.data training pipeline.

Loaders return a pair of equal-length lists `(sources, targets)` of `str`;
`make_dataset` turns such lists into batches for `Seq2Seq.fit`.
"""

from keras_s2s.data.epoch_dataset import count_batches
from keras_s2s.data.epoch_dataset import make_epochs
from keras_s2s.data.loaders import load_parallel
from keras_s2s.data.loaders import load_tsv
from keras_s2s.data.loaders import read_lines
from keras_s2s.data.loaders import split_pairs
from keras_s2s.data.multi30k import multi30k
from keras_s2s.data.pipeline import DEFAULT_BUCKET_BOUNDARIES
from keras_s2s.data.pipeline import make_dataset
from keras_s2s.data.pipeline import padding_fraction
from keras_s2s.data.synthetic import DATE_FORMATS
from keras_s2s.data.synthetic import dates
from keras_s2s.data.synthetic import format_date
from keras_s2s.data.synthetic import reverse
