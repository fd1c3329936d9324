"""tf.distribute: strategies, sharding, and training equal to one device.

The multi-device tests run in subprocesses (`distribute_worker.py`): logical
CPU devices must be configured before TensorFlow starts, and a
`MultiWorkerMirroredStrategy` needs one process per worker.
"""

import json
import subprocess
import sys

import multi_worker_helpers as cluster
import pytest
import tensorflow as tf

from keras_s2s import data, text
from keras_s2s.training import distribute

POLICY = tf.data.experimental.AutoShardPolicy


def test_get_strategy_by_name():
    assert distribute.get_strategy(None) is None and distribute.get_strategy("none") is None
    strategy = distribute.get_strategy("mirrored")
    assert isinstance(strategy, tf.distribute.MirroredStrategy)
    assert strategy.num_replicas_in_sync == len(tf.config.list_logical_devices("CPU"))
    with pytest.raises(ValueError, match="'parameter_server'"):
        distribute.get_strategy("parameter_server")
    assert distribute.worker_info(None)["is_chief"]
    assert distribute.worker_info(strategy) == {
        "task_type": None,
        "task_id": 0,
        "num_workers": 1,
        "is_chief": True,
    }


def test_in_memory_data_is_sharded_by_data_and_files_by_file():
    sources, targets = data.reverse(20, seed=0)
    tokenizer = text.WordTokenizer.train(sources)
    dataset = data.make_dataset(sources, targets, tokenizer, tokenizer, batch_size=4)
    assert dataset.options().experimental_distribute.auto_shard_policy == POLICY.DATA
    lines = tf.data.TextLineDataset(["a.txt", "b.txt"])
    by_file = distribute.shard_policy(lines, "file")
    assert by_file.options().experimental_distribute.auto_shard_policy == POLICY.FILE
    untouched = data.make_dataset(sources, targets, tokenizer, tokenizer, auto_shard_policy=None)
    assert untouched.options().experimental_distribute.auto_shard_policy == POLICY.AUTO
    with pytest.raises(ValueError, match="auto_shard_policy"):
        distribute.shard_policy(lines, "rows")


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_mirrored_strategy_matches_one_device(tmp_path):
    """2 logical CPUs vs 1 device: same seed, same order, same global batch (32), 16 steps."""
    out = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "tests/distribute_worker.py", "mirrored", str(out)],
        cwd=cluster.REPO,
        capture_output=True,
        text=True,
        timeout=240,
        env={**cluster.os.environ, **cluster.QUIET},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["replicas"] == 2
    fixed, variable = report["fixed_length"], report["variable_length"]
    assert fixed["steps"] == [16, 16]
    # Equal token counts per replica: the same computation up to summation
    # order (measured: loss 2.4e-7, weights 6e-8).
    assert fixed["loss_diff"] < 1e-5 and fixed["weight_diff"] < 1e-5
    # Variable lengths: each replica averages the loss over its own tokens, so
    # replicas with fewer tokens weigh more (measured: loss 1.6e-3, weights 2.8e-3).
    assert variable["loss_diff"] < 1e-2 and variable["weight_diff"] < 1e-2


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_multi_worker_shards_data_and_matches_one_device(tmp_path):
    """Two worker processes on 127.0.0.1 (TF_CONFIG), one replica each."""
    out = tmp_path / "report.json"
    procs = cluster.start(
        ["tests/distribute_worker.py", "multi_worker", str(out)],
        cluster.tf_configs(cluster.free_ports(2)),
        tmp_path,
        "worker",
    )
    try:
        codes = cluster.wait(procs, timeout=240)
    finally:
        cluster.stop(procs)
    assert codes == [0, 0], cluster.log_tail(tmp_path, "worker")
    chief, other = json.loads(out.read_text()), json.loads((tmp_path / "report.json.1").read_text())
    assert chief["worker"]["is_chief"] and not other["worker"]["is_chief"]
    assert chief["replicas"] == 2 and chief["worker"]["num_workers"] == 2
    # make_dataset (shuffled, seed 5) split by DATA: disjoint halves, nothing lost.
    assert not set(chief["rows"]) & set(other["rows"])
    assert len(chief["rows"]) + len(other["rows"]) == 200 == len(set(chief["rows"] + other["rows"]))
    # Keras 3.15 alone fails (keras-team/keras#20329); multi_worker_fit fixes it.
    assert "PerReplica" in chief["keras_alone"], chief["keras_alone"]
    fixed = chief["fixed_length"]
    assert fixed["steps"] == [16, 16]
    assert fixed["loss_diff"] < 1e-5 and fixed["weight_diff"] < 1e-5  # measured 2.4e-7, 6e-8


def _train_files(tmp_path, n=400):
    sources, targets = data.reverse(n, seed=0)
    (tmp_path / "train.src").write_text("\n".join(sources) + "\n")
    (tmp_path / "train.tgt").write_text("\n".join(targets) + "\n")
    return ["--source", str(tmp_path / "train.src"), "--target", str(tmp_path / "train.tgt")]


TINY = [
    "--tokenizer",
    "word",
    "--embedding-dim",
    "16",
    "--units",
    "32",
    "--batch-size",
    "32",
    "--dropout",
    "0",
    "--quiet",
    "--epochs",
    "2",
]


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_cli_train_multi_worker_writes_one_run_directory(tmp_path):
    """`keras-s2s train --distribute multi_worker` on two workers, one --output-dir."""
    run = tmp_path / "run"
    argv = [
        "-m",
        "keras_s2s.cli",
        "train",
        *_train_files(tmp_path),
        *TINY,
        "--distribute",
        "multi_worker",
        "--output-dir",
        str(run),
    ]
    procs = cluster.start(argv, cluster.tf_configs(cluster.free_ports(2)), tmp_path, "worker")
    try:
        codes = cluster.wait(procs, timeout=240)
    finally:
        cluster.stop(procs)
    assert codes == [0, 0], cluster.log_tail(tmp_path, "worker")
    rows = (run / "history.csv").read_text().splitlines()
    assert rows[0].split(",")[:4] == ["epoch", "loss", "masked_accuracy", "steps"]
    assert [r.split(",")[0] for r in rows[1:]] == ["0", "1"]  # written once, by the chief
    assert {p.name for p in run.iterdir()} == {
        "backup",
        "history.csv",
        "logs",
        "model.keras",
        "settings.json",
        "source_tokenizer.json",
        "target_tokenizer.json",
    }


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_cli_train_mirrored(tmp_path):
    from keras_s2s import cli

    run = tmp_path / "run"
    assert (
        cli.main(
            [
                "train",
                *_train_files(tmp_path, n=200),
                *TINY,
                "--distribute",
                "mirrored",
                "--output-dir",
                str(run),
            ]
        )
        == 0
    )
    assert len((run / "history.csv").read_text().splitlines()) == 3
