"""Data: corpus loaders, synthetic tasks and the tf.data training pipeline.

Loaders return a pair of equal-length lists `(sources, targets)` of `str`;
`make_dataset` turns such lists into batches for `Seq2Seq.fit`. Data may
use the tokenizers of `keras_s2s.text`; it imports no layer, model,
decoding, export or training code (its sharding policy is an argument).
"""

from keras_s2s.data.epoch_dataset import count_batches, make_epochs
from keras_s2s.data.loaders import load_parallel, load_tsv, read_lines, split_pairs
from keras_s2s.data.multi30k import multi30k
from keras_s2s.data.pipeline import DEFAULT_BUCKET_BOUNDARIES, make_dataset, padding_fraction
from keras_s2s.data.synthetic import DATE_FORMATS, dates, format_date, reverse
