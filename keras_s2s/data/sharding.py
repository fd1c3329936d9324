"""How `tf.distribute` splits a dataset over workers (its auto-shard policy)."""

import tensorflow as tf

AUTO_SHARD_POLICIES = {
    "auto": tf.data.experimental.AutoShardPolicy.AUTO,
    "data": tf.data.experimental.AutoShardPolicy.DATA,
    "file": tf.data.experimental.AutoShardPolicy.FILE,
    "off": tf.data.experimental.AutoShardPolicy.OFF,
}


def shard_policy(dataset, policy="data"):
    """`dataset` with its auto-shard policy for multi-worker training set.

    `"data"`: every worker runs the whole pipeline and keeps its share of
    each global batch; right for in-memory data (`make_dataset`), and it
    needs the same shuffle seed on every worker. `"file"`: each worker reads
    its own subset of the input files; right for a pipeline that starts from
    many files (`TextLineDataset`, `TFRecordDataset`), needs at least as many
    files as workers. `"auto"`: TensorFlow tries FILE, falls back to DATA.

    Args:
        dataset: a `tf.data.Dataset`.
        policy: `"auto"`, `"data"`, `"file"`, `"off"` or an `AutoShardPolicy`.

    Returns:
        The dataset with the option set.
    """
    if isinstance(policy, str):
        if policy not in AUTO_SHARD_POLICIES:
            raise ValueError(
                f"`auto_shard_policy` must be one of {sorted(AUTO_SHARD_POLICIES)}. Received: {policy!r}"
            )
        policy = AUTO_SHARD_POLICIES[policy]
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = policy
    return dataset.with_options(options)
