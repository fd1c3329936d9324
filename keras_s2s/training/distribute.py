"""tf.distribute for keras_s2s: strategies, workers, multi-worker fixes.

`get_strategy("mirrored" | "multi_worker")` builds the strategy that
`keras-s2s train --distribute` uses; `multi_worker_fit(model)` works around
two Keras 3.15 bugs that otherwise make `model.fit` fail under
`MultiWorkerMirroredStrategy` (see docs/distributed.md).
"""

import contextlib
import types
import zlib

import keras
import numpy as np
import tensorflow as tf

from keras_s2s.data.sharding import shard_policy  # noqa: F401  (re-exported)

STRATEGIES = ("none", "mirrored", "multi_worker")


def get_strategy(name=None, devices=None):
    """The `tf.distribute.Strategy` called `name`.

    Args:
        name: `None` or `"none"` (no strategy: one device), `"mirrored"`
            (`MirroredStrategy`: one process, several devices) or
            `"multi_worker"` (`MultiWorkerMirroredStrategy`: one process per
            machine, the cluster read from the `TF_CONFIG` environment
            variable; without it, a single worker).
        devices: for `"mirrored"`, the devices to mirror over. Default: every
            GPU, or every logical CPU device when there is no GPU (one unless
            `tf.config.set_logical_device_configuration` split the CPU).

    Returns:
        A strategy, or `None` for `"none"`.
    """
    if name in (None, "none"):
        return None
    if name in STRATEGIES and keras.backend.backend() != "tensorflow":
        raise ValueError(
            "tf.distribute strategies need the TensorFlow backend; train on JAX or "
            "PyTorch on one device (see docs/backends.md). Received: distribute="
            f"{name!r} with KERAS_BACKEND={keras.backend.backend()!r}"
        )
    if name == "mirrored":
        if devices is None:
            devices = [d.name for d in tf.config.list_logical_devices("GPU")] or [
                d.name for d in tf.config.list_logical_devices("CPU")
            ]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"`distribute` must be one of {STRATEGIES}. Received: {name!r}")


def is_multi_worker(strategy):
    """Whether `strategy` spans more than one worker process."""
    extended = getattr(strategy, "extended", None)
    return bool(getattr(extended, "_in_multi_worker_mode", lambda: False)())


def worker_info(strategy=None):
    """`{"task_type", "task_id", "num_workers", "is_chief"}` of this process.

    Args:
        strategy: a strategy, or `None` (a single process: the chief).

    Returns:
        dict; the chief is the one process that writes checkpoints and logs.
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if strategy is None or resolver is None or not is_multi_worker(strategy):
        return {"task_type": None, "task_id": 0, "num_workers": 1, "is_chief": True}
    spec = resolver.cluster_spec().as_dict()
    num_workers = sum(len(spec.get(job, [])) for job in ("chief", "worker"))
    return {
        "task_type": resolver.task_type,
        "task_id": resolver.task_id,
        "num_workers": num_workers,
        "is_chief": bool(strategy.extended.should_checkpoint),
    }


def check_same_on_all_workers(strategy, values, what):
    """Raises on every worker unless all workers hold the same `values`.

    A collective: every worker must call it, in the same order.

    Args:
        strategy: the strategy (nothing is checked unless multi-worker).
        values: a list of ints, or a str (compared by CRC32).
        what: what the values are, for the message.

    Raises:
        RuntimeError: the workers disagree.
    """
    if not is_multi_worker(strategy):
        return
    if isinstance(values, str):
        values = [zlib.crc32(values.encode("utf-8")), len(values)]
    # 16-bit pieces: sums of squares stay exact in float64.
    pieces = np.array([[int(v) >> s & 0xFFFF for s in (0, 16, 32, 48)] for v in values], "float64")
    per_replica = strategy.run(lambda: tf.constant(np.concatenate([pieces, pieces**2], 0)))
    total = strategy.reduce("SUM", per_replica, axis=None).numpy()
    n = strategy.num_replicas_in_sync
    sums, squares = total[: len(pieces)], total[len(pieces) :]
    if not np.array_equal(n * squares, sums**2):
        raise RuntimeError(
            f"The workers disagree on {what}; they must be given the same data and "
            "settings, and read the same backup directory (shared storage)."
        )


@contextlib.contextmanager
def multi_worker_fit(model):
    """Lets `model.fit` / `evaluate` run under `MultiWorkerMirroredStrategy`.

    Keras 3.15 fails there in two places (keras-team/keras#20329,
    tensorflow/tensorflow#72388): it all-reduces the first input batch to
    build the model ("Attempt to convert a value ({'source_ids': PerReplica
    ...") and reduces scalar logs along axis 0 ("Invalid reduction dimension
    0 for input with 0 dimensions"). Inside this block the model builds from
    this worker's own batch and scalar logs are averaged over the workers
    (what `MirroredStrategy` does). Nothing changes without a multi-worker
    strategy, and everything is restored on exit.

    Args:
        model: a Keras model created under the strategy's scope.
    """
    strategy = getattr(model, "distribute_strategy", None)  # TensorFlow backend only
    if strategy is None or not is_multi_worker(strategy):
        yield model
        return
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer

    original_reduce = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        def one(value):
            local = strategy.experimental_local_results(value)[0]
            if (
                reduction in ("auto", "mean")
                and getattr(local, "shape", None) is not None
                and (local.shape.rank == 0)
            ):
                return strategy.reduce("MEAN", value, axis=None)
            return original_reduce(value, strategy, reduction)

        return tree.map_structure(one, values)

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, it in iterator:
                data_batch = tree.map_structure(
                    lambda v: (
                        strategy.experimental_local_results(v)[0]
                        if isinstance(v, tf.distribute.DistributedValues)
                        else v
                    ),
                    next(it),
                )
                break
        with strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    trainer.reduce_per_replica = reduce_per_replica
    model._maybe_symbolic_build = types.MethodType(maybe_symbolic_build, model)
    try:
        yield model
    finally:
        trainer.reduce_per_replica = original_reduce
        del model._maybe_symbolic_build
