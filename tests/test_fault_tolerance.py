"""Nothing lost on faults: SIGKILL mid-epoch, kills during a backup, NaN, lost workers."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import keras
import multi_worker_helpers as cluster
import numpy as np
import pytest
import tensorflow as tf
from seq2seq_data import reverse_task

from keras_s2s import cli, data
from keras_s2s.models import Seq2Seq
from keras_s2s.training import AtomicBackupAndRestore, read_backup_metadata, trim_history
from keras_s2s.training.run_directory import load_run, read_json

TINY = [
    "--tokenizer",
    "word",
    "--embedding-dim",
    "16",
    "--units",
    "32",
    "--batch-size",
    "16",
    "--dropout",
    "0",
    "--quiet",
]


def _files(tmp_path, n=600):
    sources, targets = data.reverse(n, seed=0)
    (tmp_path / "train.src").write_text("\n".join(sources) + "\n")
    (tmp_path / "train.tgt").write_text("\n".join(targets) + "\n")
    return ["--source", str(tmp_path / "train.src"), "--target", str(tmp_path / "train.tgt")]


def _history(run):
    """`[(epoch, steps)]` from history.csv."""
    rows = (run / "history.csv").read_text().splitlines()
    header = rows[0].split(",")
    return [(int(r.split(",")[0]), int(r.split(",")[header.index("steps")])) for r in rows[1:]]


def _rows(run):
    """history.csv as a list of `{column: float}`."""
    lines = (run / "history.csv").read_text().splitlines()
    header = lines[0].split(",")
    return [dict(zip(header, map(float, line.split(",")))) for line in lines[1:]]


def _assert_same_rows(rows, expected):
    assert [sorted(r) for r in rows] == [sorted(r) for r in expected]
    for row, want in zip(rows, expected):
        for key, value in want.items():
            assert row[key] == pytest.approx(value, rel=1e-5, abs=1e-6), (key, row, want)


def _metadata_shows(run, epoch):
    """A backup in the middle of `epoch` (0-based) exists."""
    meta = read_backup_metadata(str(run / "backup"))
    return meta is not None and meta["epoch"] == epoch and meta["steps_in_epoch"] > 0


def _backed_up_model(run):
    """A compiled model of the run's settings with the backup's weights loaded."""
    settings = read_json(run / "settings.json")
    model, _, _, _ = load_run(str(run)) if (run / "model.keras").exists() else (None,) * 4
    if model is None:
        sources = json.loads((run / "source_tokenizer.json").read_text())["config"]["vocabulary"]
        targets = json.loads((run / "target_tokenizer.json").read_text())["config"]["vocabulary"]
        model = Seq2Seq(len(sources), len(targets), **settings["model"])
    model.compile()
    model.optimizer.build(model.trainable_variables)
    meta = read_backup_metadata(str(run / "backup"))
    model.load_weights(str(run / "backup" / meta["weights"]))
    return model, meta


def _check_every_file_loads(run):
    """Every committed file in the run directory reads back; only hidden temp entries may not."""
    for path in run.rglob("*"):
        if any(part.startswith(".") for part in path.relative_to(run).parts):
            assert ".tmp-" in str(path), path  # an uncommitted temporary, never read
            continue
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.name == "model.keras":
            assert zipfile.is_zipfile(path)
    if (run / "model.keras").exists():
        load_run(str(run))
    if (run / "backup").exists():
        model, meta = _backed_up_model(run)
        assert int(model.optimizer.iterations.numpy()) == meta["step"]


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_sigkill_mid_epoch_then_resume_trains_like_an_uninterrupted_run(tmp_path):
    args = [*_files(tmp_path), *TINY, "--epochs", "3", "--backup-every", "4"]
    reference = tmp_path / "uninterrupted"
    assert cli.main(["train", *args, "--output-dir", str(reference)]) == 0
    expected = _history(reference)
    steps_per_epoch = expected[0][1]
    assert expected == [(e, (e + 1) * steps_per_epoch) for e in range(3)]

    run = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "keras_s2s.cli", "train", *args, "--output-dir", str(run)],
        cwd=cluster.REPO,
        env={**os.environ, **cluster.QUIET},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert cluster.wait_for(lambda: _metadata_shows(run, epoch=1), [proc], timeout=240)
        proc.send_signal(signal.SIGKILL)  # in epoch 2 (1-based), a few batches after a backup
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        cluster.stop([proc])
    killed_at = read_backup_metadata(str(run / "backup"))
    assert 0 < killed_at["steps_in_epoch"] < steps_per_epoch
    _check_every_file_loads(run)

    assert cli.main(["train", *args, "--output-dir", str(run), "--resume"]) == 0
    assert _history(run) == expected  # same epochs, same optimizer steps: none replayed
    # Exact: the same data order, RNG, optimizer and running metrics as never killed.
    _assert_same_rows(_rows(run), _rows(reference))
    resumed, reference_model = load_run(str(run))[0], load_run(str(reference))[0]
    for a, b in zip(resumed.get_weights(), reference_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert read_backup_metadata(str(run / "backup"))["epoch"] == 3  # kept: --epochs N continues
    assert not [p for p in run.iterdir() if p.name.startswith(".")]
    _check_every_file_loads(run)


KILL_DURING_SAVE = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np, tensorflow as tf, keras
    sys.path.insert(0, "tests")
    from seq2seq_data import reverse_task
    from keras_s2s.training import atomic_backup_and_restore as fault_tolerance
    from keras_s2s.models import Seq2Seq

    backup_dir, point = sys.argv[1], int(sys.argv[2])
    calls = []
    real_fsync = fault_tolerance._fsync
    def fsync(path):  # 3 per backup: weights temp, metadata temp, directory
        calls.append(path)
        if len(calls) == 6 + point:  # the 3rd backup, cut short
            with open(path, "r+b") as f:
                f.truncate(os.path.getsize(path) // 2)
            os.kill(os.getpid(), signal.SIGKILL)
        real_fsync(path)
    fault_tolerance._fsync = fsync
    x, y = reverse_task(96, seed=0)
    model = Seq2Seq(20, 20, embedding_dim=8, units=16)
    model.compile()
    callback = fault_tolerance.AtomicBackupAndRestore(backup_dir, save_freq=2)
    model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(16), epochs=1, verbose=0,
              callbacks=[callback])
    """
)


@pytest.mark.parametrize("point", [1, 2], ids=["in_weights_write", "in_metadata_write"])
def test_a_kill_while_writing_a_backup_leaves_the_previous_one(tmp_path, point):
    backup = tmp_path / "backup"
    result = subprocess.run(
        [sys.executable, "-c", KILL_DURING_SAVE, str(backup), str(point)],
        cwd=cluster.REPO,
        env={**os.environ, **cluster.QUIET},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]
    meta = read_backup_metadata(str(backup))
    assert {k: v for k, v in meta.items() if k != "state"} == {
        "epoch": 0,
        "steps_in_epoch": 4,
        "step": 4,
        "weights": "ckpt-4.weights.h5",
    }
    leftovers = sorted(p.name for p in backup.iterdir())  # the cut-short write is still there
    assert any(name.startswith(".") or name == "ckpt-6.weights.h5" for name in leftovers)
    # A new run restores step 4, skips the 4 trained batches, cleans up, trains to 6.
    x, y = reverse_task(96, seed=0)
    model = Seq2Seq(20, 20, embedding_dim=8, units=16)
    model.compile()
    callback = AtomicBackupAndRestore(str(backup), save_freq=2)
    model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(16), epochs=1, verbose=0, callbacks=[callback])
    assert callback.restored["step"] == 4
    assert int(model.optimizer.iterations.numpy()) == 6
    assert not backup.exists()  # training ended: the backup is deleted


class _Crash(Exception):
    pass


class _Interrupt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if self.model.optimizer.iterations.numpy() == 6 + 5:  # epoch 2, batch 5
            raise _Crash


@pytest.mark.parametrize("callback", ["keras_s2s", "keras"])
def test_model_fit_users_resume_mid_epoch_with_the_same_step_count(tmp_path, callback):
    """6 batches an epoch, 3 epochs, interrupted in epoch 2 after a backup at its batch 4."""
    x, y = reverse_task(96, seed=0)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    make = {
        "keras_s2s": lambda: AtomicBackupAndRestore(str(tmp_path / "backup"), save_freq=2),
        "keras": lambda: keras.callbacks.BackupAndRestore(str(tmp_path / "backup"), save_freq=2),
    }[callback]
    model = Seq2Seq(20, 20, embedding_dim=8, units=16)
    model.compile()
    with pytest.raises(_Crash):
        model.fit(dataset, epochs=3, verbose=0, callbacks=[make(), _Interrupt()])
    model = Seq2Seq(20, 20, embedding_dim=8, units=16)
    model.compile()
    history = model.fit(dataset, epochs=3, verbose=0, callbacks=[make()])
    assert history.epoch == [1, 2]
    steps = int(model.optimizer.iterations.numpy())
    # keras_s2s: exactly 18 = 3 x 6; Keras 3.15 replays epoch 2 from its first batch: 18 + 4.
    assert steps == (18 if callback == "keras_s2s" else 22)


def test_nan_loss_stops_training_and_keeps_the_last_good_model(tmp_path, capsys):
    run = tmp_path / "run"
    args = [*_files(tmp_path, n=300), *TINY, "--output-dir", str(run)]
    assert cli.main(["train", *args, "--epochs", "1"]) == 0
    good = hashlib.sha256((run / "model.keras").read_bytes()).hexdigest()
    capsys.readouterr()
    # Continue with a learning rate so large that the second step gives NaN.
    assert (
        cli.main(
            ["train", *args, "--epochs", "2", "--resume", "--learning-rate", "1e38", "--backup-every", "1"]
        )
        == 1
    )
    out, err = capsys.readouterr()
    steps = _history(run)[0][1]  # the resumed run continues the step count
    assert "Training stopped: the loss became nan at epoch 2, batch 2." in out
    assert "model.keras is the best model so far" in out
    assert f"(epoch 2, batch 1, step {steps + 1})" in out
    assert err.strip() == "keras-s2s train: error: the loss became NaN; training stopped (see above)."
    assert hashlib.sha256((run / "model.keras").read_bytes()).hexdigest() == good
    model, source_tokenizer, _, _ = load_run(str(run))
    ids = source_tokenizer(tf.constant(["a b c d e f g h"]))
    logits = model({"source_ids": ids, "target_ids": ids[:, :-1]})
    assert np.isfinite(logits.numpy()).all()
    # The backup is kept and holds the last finite state (one step in), never NaN.
    backed_up, meta = _backed_up_model(run)
    assert meta["step"] == steps + 1
    assert all(np.isfinite(w).all() for w in backed_up.get_weights())
    assert (run / "history.csv").read_text().splitlines()[-1].split(",")[1] == "nan"


def test_trim_history_drops_epochs_to_redo_and_rows_cut_short(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("epoch,loss,steps\n0,2.5,10\n1,2.1,20\n2,1.9,30\n3,1.")
    trim_history(str(path), 2)
    assert path.read_text() == "epoch,loss,steps\n0,2.5,10\n1,2.1,20\n"
    trim_history(str(tmp_path / "missing.csv"), 1)  # nothing to do


CHECK_SAME = textwrap.dedent(
    """
    import sys
    from keras_s2s.training import distribute
    strategy = distribute.get_strategy("multi_worker")
    task = distribute.worker_info(strategy)["task_id"]
    distribute.check_same_on_all_workers(strategy, [114, 3], "the restored training step")
    try:
        distribute.check_same_on_all_workers(strategy, [114 + task, 3], "the restored training step")
    except RuntimeError as error:
        print("REFUSED:", error)
    """
)


def test_workers_that_restored_different_steps_refuse_to_train(tmp_path):
    """What stops a restarted job whose workers do not see the same backup/."""
    configs = cluster.tf_configs(cluster.free_ports(2))
    procs = cluster.start(["-c", CHECK_SAME], configs, tmp_path, "worker")
    try:
        codes = cluster.wait(procs, timeout=240)
    finally:
        cluster.stop(procs)
    assert codes == [0, 0], cluster.log_tail(tmp_path, "worker")
    for i in range(2):
        assert (
            "REFUSED: The workers disagree on the restored training step"
            in (tmp_path / f"worker-{i}.log").read_text()
        )


@pytest.mark.slow  # ~70 s: two 2-process jobs
def test_multi_worker_job_resumes_from_the_backup_after_a_worker_is_killed(tmp_path):
    """2 workers (TF_CONFIG on 127.0.0.1); worker 1 SIGKILLed mid-epoch; same job restarted."""
    run = tmp_path / "run"
    argv = [
        "-m",
        "keras_s2s.cli",
        "train",
        *_files(tmp_path),
        *TINY,
        "--epochs",
        "2",
        "--backup-every",
        "4",
        "--distribute",
        "multi_worker",
        "--output-dir",
        str(run),
    ]
    configs = cluster.tf_configs(cluster.free_ports(2))
    procs = cluster.start(argv, configs, tmp_path, "first")
    try:
        assert cluster.wait_for(lambda: _metadata_shows(run, epoch=1), procs, timeout=240), cluster.log_tail(
            tmp_path, "first"
        )
        procs[1].send_signal(signal.SIGKILL)
        # The chief's next all-reduce fails (connection reset): it exits by itself.
        assert procs[0].wait(timeout=120) == 1
        assert "lost a worker" in (tmp_path / "first-0.log").read_text()
    finally:
        cluster.stop(procs)
    killed_at = read_backup_metadata(str(run / "backup"))
    _check_every_file_loads(run)

    procs = cluster.start([*argv, "--resume"], configs, tmp_path, "restarted")
    try:
        codes = cluster.wait(procs, timeout=240)
    finally:
        cluster.stop(procs)
    assert codes == [0, 0], cluster.log_tail(tmp_path, "restarted")
    history = _history(run)
    steps_per_epoch = history[0][1]
    assert killed_at["step"] == steps_per_epoch + killed_at["steps_in_epoch"]
    assert history == [(0, steps_per_epoch), (1, 2 * steps_per_epoch)]  # as if never killed
    assert read_backup_metadata(str(run / "backup"))["epoch"] == 2
    _check_every_file_loads(run)


def test_replacing_a_file_is_one_rename_so_it_never_goes_missing(tmp_path, monkeypatch):
    """model.keras, settings.json, history.csv: a kill can never leave the path absent."""
    from keras_s2s import files as atomic

    path = tmp_path / "settings.json"
    path.write_text("old")
    targets, real_replace = [], os.replace
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (targets.append(b), real_replace(a, b))[1])
    with atomic.atomic_path(path, overwrite=True, is_dir=False) as tmp:
        with open(tmp, "w") as f:
            f.write("new")
    assert path.read_text() == "new" and targets == [str(path)]
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]
