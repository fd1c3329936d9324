"""Epochs that can be re-created exactly: the data order of epoch e is a function of (seed, e).

`make_dataset(shuffle=True)` reshuffles on every pass over the dataset, so
the order of epoch e depends on how many passes this process has made: a
run restarted at epoch 3 would see epoch 0's order again. `make_epochs`
derives each epoch's permutation from a stateless random op seeded by
`(seed, e)`, so a resumed run trains on the very batches, in the very
order, that the uninterrupted run did (`keras_s2s.training` resumes this
way; a `model.fit` user with `BackupAndRestore` can do the same).
"""

import tensorflow as tf

from keras_s2s.data.pipeline import (
    DEFAULT_BUCKET_BOUNDARIES,
    _check_arguments,
    _plain,
    batch_pairs,
)
from keras_s2s.data.sharding import shard_policy


def make_epochs(
    source_texts,
    target_texts,
    source_tokenizer,
    target_tokenizer,
    epochs,
    start_epoch=0,
    seed=0,
    batch_size=64,
    bucket_by_length=True,
    max_source_length=None,
    max_target_length=None,
    bucket_boundaries=DEFAULT_BUCKET_BOUNDARIES,
    tokenize_batch_size=1024,
    auto_shard_policy="data",
):
    """The batches of epochs `start_epoch … epochs - 1`, one after the other.

    Epoch e is the corpus permuted by `argsort(stateless_uniform(seed=(seed, e)))`
    and then batched exactly like `make_dataset` (tokenize, filter, bucket,
    pad); buckets never carry pairs over from one epoch into the next. Give
    `model.fit` the matching `steps_per_epoch=count_batches(...)` and
    `initial_epoch=start_epoch`.

    Args:
        source_texts, target_texts: lists of `str` of the same length.
        source_tokenizer, target_tokenizer: keras_s2s tokenizers.
        epochs: int, one past the last epoch to produce.
        start_epoch: int, the first epoch to produce.
        seed: int, the data-order seed (the same on every worker).
        batch_size, bucket_by_length, max_source_length, max_target_length,
        bucket_boundaries, tokenize_batch_size, auto_shard_policy: as in
            `make_dataset`.

    Returns:
        `tf.data.Dataset` of `({"source_ids", "target_ids"}, target_out_ids)`.
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
    for name, value in (("epochs", epochs), ("start_epoch", start_epoch), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"`{name}` must be an int >= 0. Received: {name}={value!r}")
    n = len(source_texts)
    sources = tf.constant(list(source_texts), dtype=tf.string, shape=[n])  # (N,)
    targets = tf.constant(list(target_texts), dtype=tf.string, shape=[n])  # (N,)

    @_plain
    def one_epoch(epoch):
        order = epoch_order(n, seed, epoch)  # (N,)
        pairs = tf.data.Dataset.from_tensor_slices(order).map(
            lambda i: (tf.gather(sources, i), tf.gather(targets, i))
        )
        return batch_pairs(
            pairs,
            source_tokenizer,
            target_tokenizer,
            batch_size,
            bucket_by_length,
            max_source_length,
            max_target_length,
            boundaries,
            tokenize_batch_size,
        )

    ds = tf.data.Dataset.range(start_epoch, max(epochs, start_epoch)).flat_map(one_epoch)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds if auto_shard_policy is None else shard_policy(ds, auto_shard_policy)


def epoch_order(n, seed, epoch):
    """The permutation of `range(n)` that epoch `epoch` visits, int32 `(n,)`."""
    key = tf.stack([tf.cast(seed, tf.int64), tf.cast(epoch, tf.int64)])  # (2,)
    return tf.argsort(tf.random.stateless_uniform([n], seed=key), stable=True)  # (n,)


def count_batches(dataset):
    """The number of batches in one pass over `dataset` (reads it once).

    Args:
        dataset: a finite `tf.data.Dataset` (one epoch of `make_dataset` or
            `make_epochs(epochs=e + 1, start_epoch=e)`).

    Returns:
        int.
    """
    return int(dataset.reduce(tf.constant(0, tf.int64), _plain(lambda count, _: count + 1)).numpy())
