"""One process of the tf.distribute tests: `python tests/distribute_worker.py MODE OUT`.

MODE `mirrored`: 2 logical CPU devices, `MirroredStrategy` vs one device.
MODE `multi_worker`: one worker of a `TF_CONFIG` cluster (started by the test):
how `make_dataset` shards, Keras' own failure, then MWMS vs one device.
Writes a JSON report to OUT (the chief's; other workers write OUT.<task id>).
"""

import json
import os
import sys

import numpy as np
import tensorflow as tf

MODE, OUT = sys.argv[1], sys.argv[2]
if MODE == "mirrored":
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
tf.config.experimental.enable_op_determinism()

import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seq2seq_data import reverse_task  # noqa: E402

from keras_s2s import data, text  # noqa: E402
from keras_s2s.models import Seq2Seq  # noqa: E402
from keras_s2s.training import distribute  # noqa: E402

GLOBAL_BATCH, EPOCHS = 32, 2


def train(strategy, min_len, fix=False):
    """Per-step losses and final weights; same seed, data order and global batch."""
    x, y = reverse_task(256, min_len=min_len, max_len=12, seed=0)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH)
    dataset = distribute.shard_policy(dataset, "data")
    keras.utils.set_random_seed(0)
    with strategy.scope() if strategy else tf.distribute.get_strategy().scope():
        model = Seq2Seq(20, 20, embedding_dim=8, units=16)  # dropout 0
        model.compile()
    losses = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: losses.append(float(logs["loss"]))
    )
    if fix:
        with distribute.multi_worker_fit(model):
            model.fit(dataset, epochs=EPOCHS, verbose=0, callbacks=[record])
    else:
        model.fit(dataset, epochs=EPOCHS, verbose=0, callbacks=[record])
    weights = np.concatenate([w.ravel() for w in model.get_weights()])
    return np.array(losses), weights, int(model.optimizer.iterations.numpy())


def compare(strategy, min_len, fix=False):
    losses, weights, steps = train(strategy, min_len, fix)
    single_losses, single_weights, single_steps = train(None, min_len)
    return {
        "steps": [steps, single_steps],
        "loss_diff": float(np.max(np.abs(losses - single_losses))),
        "weight_diff": float(np.max(np.abs(weights - single_weights))),
        "final_loss": [float(losses[-1]), float(single_losses[-1])],
    }


def seen_rows(strategy):
    """The source rows of `make_dataset` batches this worker trains on, one epoch."""
    sources, targets = data.reverse(200, seed=3, min_length=4, max_length=12)
    tokenizer = text.WordTokenizer.train(sources + targets)
    dataset = data.make_dataset(sources, targets, tokenizer, tokenizer, batch_size=16, seed=5)
    rows = []
    for inputs, _ in strategy.experimental_distribute_dataset(dataset):
        for local in strategy.experimental_local_results(inputs["source_ids"]):
            rows += [" ".join(str(t) for t in row if t) for row in local.numpy().tolist()]
    return rows


report = {}
if MODE == "mirrored":
    strategy = distribute.get_strategy("mirrored")
    report["replicas"] = strategy.num_replicas_in_sync
    report["fixed_length"] = compare(strategy, min_len=12)
    report["variable_length"] = compare(strategy, min_len=4)
else:
    strategy = distribute.get_strategy("multi_worker")
    info = distribute.worker_info(strategy)
    report["worker"] = info
    report["replicas"] = strategy.num_replicas_in_sync
    report["rows"] = seen_rows(strategy)
    try:  # Keras 3.15 on its own (the bug multi_worker_fit works around)
        train(strategy, min_len=12)
        report["keras_alone"] = "ok"
    except Exception as error:  # noqa: BLE001
        report["keras_alone"] = f"{type(error).__name__}: {str(error)[:200]}"
    if info["is_chief"]:
        report["fixed_length"] = compare(strategy, min_len=12, fix=True)
    else:
        train(strategy, min_len=12, fix=True)  # the other half of every step
        OUT = f"{OUT}.{info['task_id']}"
with open(OUT, "w") as f:
    json.dump(report, f)
