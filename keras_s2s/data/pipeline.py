"""tf.data pipeline from sentence pairs to padded id batches for `model.fit`."""

import numpy as np
import tensorflow as tf

from keras_s2s.data.sharding import shard_policy

#: Default bucket boundaries (in tokens, [START]/[END] included): steps of 4
#: up to 64, then wider. A batch never mixes lengths from two buckets.
DEFAULT_BUCKET_BOUNDARIES = tuple(range(8, 65, 4)) + (80, 96, 128, 192, 256, 384, 512)


def _check_positive_int(name, value, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"`{name}` must be a positive int{' or None' if allow_none else ''}. Received: {name}={value!r}"
        )


#: tf.data traces its functions with autograph; these are plain TF ops (no
#: Python control flow on tensors), so it only slowed tracing down.
_plain = tf.autograph.experimental.do_not_convert


def _ragged_ids(tokenizer, texts):
    """Tokenizer output as ragged int32 `(B, None)`, trailing padding removed."""
    ids = tokenizer(texts)
    if not isinstance(ids, tf.RaggedTensor):
        ids = tf.RaggedTensor.from_tensor(ids, padding=0)
    return tf.cast(ids, tf.int32)


def make_dataset(
    source_texts,
    target_texts,
    source_tokenizer,
    target_tokenizer,
    batch_size=64,
    shuffle=True,
    bucket_by_length=True,
    max_source_length=None,
    max_target_length=None,
    bucket_boundaries=DEFAULT_BUCKET_BOUNDARIES,
    seed=None,
    tokenize_batch_size=1024,
    auto_shard_policy="data",
):
    """Builds the training `tf.data.Dataset` for a `Seq2Seq` model.

    Pipeline: sentence pairs → shuffle (the whole corpus, reshuffled every
    epoch) → tokenize in chunks of `tokenize_batch_size` (graph mode,
    parallel) → drop pairs longer than `max_source_length` /
    `max_target_length` → split the target → batch (by length bucket, or
    plain) with 0-padding → prefetch.

    With the target tokenized as `[START] y1 ... yn [END]`, `target_ids` is
    `[START] y1 ... yn` and `target_out_ids` is `y1 ... yn [END]` (teacher
    forcing); both are padded with 0 to the longest in the batch.

    With `bucket_by_length=True`, pairs are grouped by
    `max(len(source_ids), len(target_ids))` into the buckets of
    `bucket_boundaries` and each batch comes from one bucket, which cuts the
    padding (see `padding_fraction`); the last batch of each bucket may be
    smaller than `batch_size`.

    Args:
        source_texts: list of `str` (or 1-D string tensor / array).
        target_texts: list of `str`, same length.
        source_tokenizer: a keras_s2s tokenizer (or any layer mapping `(B,)`
            strings to 0-padded or ragged int ids).
        target_tokenizer: same, for the target side.
        batch_size: pairs per batch.
        shuffle: shuffle the pairs (before tokenizing) every epoch.
        bucket_by_length: batch pairs of similar length together.
        max_source_length: drop pairs whose `source_ids` are longer (in
            tokens, [START]/[END] included); `None` keeps all.
        max_target_length: drop pairs whose tokenized target (with [START]
            and [END]) is longer; `None` keeps all.
        bucket_boundaries: increasing lengths separating the buckets.
        seed: shuffle seed (`None`: different every run).
        tokenize_batch_size: how many sentences are tokenized per call.
        auto_shard_policy: how `tf.distribute` splits the data over workers
            (`keras_s2s.data.sharding.shard_policy`). `"data"` (default): the
            sentences are in memory, so every worker runs this pipeline and
            keeps its share of each global batch; with `shuffle`, give the
            same `seed` on every worker. `None` leaves TensorFlow's AUTO
            (FILE, which fails here, then DATA with a warning).

    Returns:
        `tf.data.Dataset` of `({"source_ids": (B, S) int32,
        "target_ids": (B, T) int32}, target_out_ids (B, T) int32)`.
    """
    boundaries = _check_arguments(
        source_texts,
        target_texts,
        batch_size,
        tokenize_batch_size,
        max_source_length,
        max_target_length,
        bucket_by_length,
        bucket_boundaries,
    )
    n = len(source_texts)
    ds = tf.data.Dataset.from_tensor_slices(
        (
            tf.constant(list(source_texts), dtype=tf.string, shape=[n]),
            tf.constant(list(target_texts), dtype=tf.string, shape=[n]),
        )
    )
    if shuffle:
        ds = ds.shuffle(max(n, 1), seed=seed, reshuffle_each_iteration=True)
    ds = batch_pairs(
        ds,
        source_tokenizer,
        target_tokenizer,
        batch_size,
        bucket_by_length,
        max_source_length,
        max_target_length,
        boundaries,
        tokenize_batch_size,
    )
    ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds if auto_shard_policy is None else shard_policy(ds, auto_shard_policy)


def batch_pairs(
    ds,
    source_tokenizer,
    target_tokenizer,
    batch_size,
    bucket_by_length,
    max_source_length,
    max_target_length,
    bucket_boundaries,
    tokenize_batch_size,
):
    """Tokenizes, filters and batches a dataset of `(source, target)` strings.

    The part of `make_dataset` after the shuffle (arguments as there,
    already checked); `make_epochs` runs it once per epoch.
    """

    @_plain
    def tokenize(sources, targets):
        return (
            _ragged_ids(source_tokenizer, sources),
            _ragged_ids(target_tokenizer, targets),
        )

    ds = ds.batch(tokenize_batch_size).map(tokenize, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.unbatch()
    if max_source_length is not None or max_target_length is not None:
        max_s = max_source_length or np.iinfo(np.int32).max
        max_t = max_target_length or np.iinfo(np.int32).max
        ds = ds.filter(_plain(lambda s, t: (tf.size(s) <= max_s) & (tf.size(t) <= max_t)))
    ds = ds.map(
        _plain(lambda s, t: ({"source_ids": s, "target_ids": t[:-1]}, t[1:])),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    padding = ({"source_ids": 0, "target_ids": 0}, 0)
    if not bucket_by_length:
        return ds.padded_batch(batch_size, padding_values=padding)
    return ds.bucket_by_sequence_length(
        element_length_func=_plain(lambda x, y: tf.maximum(tf.size(x["source_ids"]), tf.size(y))),
        bucket_boundaries=list(bucket_boundaries),
        bucket_batch_sizes=[batch_size] * (len(bucket_boundaries) + 1),
        padding_values=padding,
    )


def _check_arguments(
    source_texts,
    target_texts,
    batch_size,
    tokenize_batch_size,
    max_source_length,
    max_target_length,
    bucket_by_length,
    bucket_boundaries,
):
    """Raises for bad `make_dataset` arguments; returns the bucket boundaries."""
    if isinstance(source_texts, str) or isinstance(target_texts, str):
        raise ValueError("`source_texts` and `target_texts` must be lists of strings, not a single string.")
    if len(source_texts) != len(target_texts):
        raise ValueError(
            "`source_texts` and `target_texts` must have the same length. "
            f"Received: len(source_texts)={len(source_texts)}, "
            f"len(target_texts)={len(target_texts)}"
        )
    _check_positive_int("batch_size", batch_size)
    _check_positive_int("tokenize_batch_size", tokenize_batch_size)
    _check_positive_int("max_source_length", max_source_length, allow_none=True)
    _check_positive_int("max_target_length", max_target_length, allow_none=True)
    boundaries = [int(b) for b in bucket_boundaries]
    if bucket_by_length and (
        not boundaries or any(b <= a for a, b in zip(boundaries, boundaries[1:])) or boundaries[0] < 1
    ):
        raise ValueError(
            "`bucket_boundaries` must be a non-empty, strictly increasing list "
            f"of positive ints. Received: bucket_boundaries={bucket_boundaries!r}"
        )
    return boundaries


def padding_fraction(dataset, max_batches=None):
    """Fraction of positions that are padding in a `make_dataset` dataset.

    Counts the 0 ids of `source_ids` and `target_out_ids` over all their
    positions (`target_ids` pads exactly like `target_out_ids`).

    Args:
        dataset: a dataset as returned by `make_dataset`.
        max_batches: only look at this many batches (`None`: all).

    Returns:
        `float` in `[0, 1)`.
    """
    pad = total = 0
    if max_batches is not None:
        dataset = dataset.take(max_batches)
    for inputs, target_out in dataset:
        for ids in (inputs["source_ids"], target_out):
            pad += int(tf.reduce_sum(tf.cast(tf.equal(ids, 0), tf.int64)))
            total += int(tf.size(ids))
    return pad / total if total else 0.0
