"""Training that survives faults: atomic backups, exact resume, NaN stops.

Keras 3.15's `BackupAndRestore` writes `latest.weights.h5` in place and then
`training_metadata.json`: a kill during the first write leaves a corrupt
file, a kill between the two a weights file one backup ahead of its epoch.
A mid-epoch backup (`save_freq=N`) restores the weights but restarts the
epoch from its first batch, so a resumed run trains more steps than an
uninterrupted one. Under `MultiWorkerMirroredStrategy` every worker writes
the same files. `AtomicBackupAndRestore` fixes those four points.
"""

import json
import math
import os
import shutil

import keras
import numpy as np

from keras_s2s.distribute import check_same_on_all_workers, worker_info
from keras_s2s.export.atomic import atomic_path
from keras_s2s.run_directory import MODEL_FILE

METADATA_FILE = "training_metadata.json"


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` with atomic backups and exact mid-epoch resume.

    - Atomic: the weights (model and optimizer) go to a temporary file that
      is flushed to disk and renamed `ckpt-<step>.weights.h5`; then
      `training_metadata.json`, which names that file, replaces the old one
      the same way (one `os.replace`). That rename is the one commit point:
      a kill at any moment leaves the previous complete backup; older files
      are removed only after it.
    - Exact resume: restoring a mid-epoch backup skips the batches of that
      epoch that were already trained (their data is read, not trained on),
      so the resumed run trains the same number of steps and epochs as an
      uninterrupted one. The skipped batches are those of a fresh shuffle,
      not the interrupted epoch's own order.
    - Never backs up non-finite weights: after a NaN the backup still holds
      the last good training state, and it is kept (not deleted) at the end.
    - Multi-worker: only the chief writes; every worker restores from
      `backup_dir` (which must be storage every worker can read) and the
      workers check that they restored the same step.

    Args:
        backup_dir: directory for the backup (used by nothing else).
        save_freq: `"epoch"` or a number of batches between backups.
        delete_checkpoint: delete the backup when training ends normally.
        strategy: the `tf.distribute.Strategy` the model was built under.
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True, strategy=None):
        super().__init__(backup_dir, save_freq=save_freq, delete_checkpoint=delete_checkpoint)
        self.strategy = strategy
        self.is_chief = worker_info(strategy)["is_chief"]
        self.restored = None  # the metadata restored from, if any
        self.non_finite = False
        self._epoch = 0
        self._steps_in_epoch = 0
        self._skip = 0

    # --- restore -------------------------------------------------------
    def on_train_begin(self, logs=None):
        metadata = read_backup_metadata(self.backup_dir)
        if metadata is not None and "weights" not in metadata:
            super().on_train_begin(logs)  # a backup written by Keras itself
            metadata = None
        elif metadata is not None:
            weights = os.path.join(self.backup_dir, metadata["weights"])
            if self.model.optimizer is not None and not self.model.optimizer.built:
                self.model.optimizer.build(self.model.trainable_variables)
            try:
                self.model.load_weights(weights)
            except Exception as error:
                raise RuntimeError(f"The backup {weights} could not be loaded: {error}") from None
            self.model._initial_epoch = metadata["epoch"]
            self._skip = metadata.get("steps_in_epoch", 0)
        if self.is_chief and os.path.isdir(self.backup_dir):
            self._remove_all_but(metadata)  # what a kill left half-written
        self.restored = metadata
        step = self._iterations()
        check_same_on_all_workers(self.strategy, [step, self._skip], "the restored training step")
        if self._skip:
            self._skip_trained_batches()

    def _skip_trained_batches(self):
        """Wraps `train_function` so the first `self._skip` calls only read a batch."""
        model = self.model
        if getattr(model, "steps_per_execution", 1) != 1:
            self._skip = 0  # cannot skip exactly; Keras' behaviour (replay the epoch)
            return
        train_function = model.train_function

        def skipping(iterator):
            if self._skip > 0:
                self._skip -= 1
                next(iterator)
                if self._skip == 0:
                    model.train_function = train_function
                return {}
            return train_function(iterator)

        model.train_function = skipping

    def _remove_all_but(self, metadata):
        keep = {METADATA_FILE, metadata["weights"]} if metadata else set()
        for name in os.listdir(self.backup_dir):
            if name not in keep:
                _remove(os.path.join(self.backup_dir, name))

    # --- save ----------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._steps_in_epoch = 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps_in_epoch = batch + 1
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.non_finite = True
        if self._skip == 0 and logs:  # not while replaying skipped batches
            super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._epoch, self._steps_in_epoch = epoch + 1, 0
        self._batches_seen_since_last_saving = 0
        self._save_model()  # also with save_freq=N: epochs always end backed up

    def _save_model(self):
        if not self.is_chief or self.non_finite:
            return
        if not all(np.isfinite(w).all() for w in self.model.get_weights()):
            self.non_finite = True
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        step = self._iterations()
        name = f"ckpt-{step}.weights.h5"
        _replace(os.path.join(self.backup_dir, name), self.model.save_weights)
        metadata = {
            "epoch": self._epoch, "steps_in_epoch": self._steps_in_epoch,
            "step": step, "weights": name,
        }

        def write_metadata(tmp):
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(metadata, f)

        _replace(os.path.join(self.backup_dir, METADATA_FILE), write_metadata)
        _fsync(self.backup_dir)  # the renames themselves reach the disk
        self._remove_all_but(metadata)

    def on_train_end(self, logs=None):
        if self.is_chief and not self.non_finite:
            super().on_train_end(logs)

    def _iterations(self):
        optimizer = self.model.optimizer
        return int(optimizer.iterations.numpy()) if optimizer is not None else 0


class NaNGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss and says so clearly.

    `stopped_at` is `(epoch, batch)` once it stopped training, else None.
    """

    def __init__(self, print_fn=print):
        super().__init__()
        self.print_fn = print_fn
        self.stopped_at = None
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss) and self.stopped_at is None:
            self.stopped_at = (self.epoch, batch)
            self.model.stop_training = True
            self.print_fn(
                f"Training stopped: the loss became {loss} at epoch {self.epoch + 1}, "
                f"batch {batch + 1}. Nothing non-finite was saved; lower the learning "
                "rate or check the data."
            )


class SetLearningRate(keras.callbacks.Callback):
    """Sets the learning rate after a backup (which holds the old one) is restored."""

    def __init__(self, learning_rate):
        super().__init__()
        self.learning_rate = learning_rate

    def on_train_begin(self, logs=None):
        self.model.optimizer.learning_rate = self.learning_rate


class LogSteps(keras.callbacks.Callback):
    """Adds `steps` (optimizer steps done so far) to the epoch logs."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and self.model.optimizer is not None:
            logs["steps"] = int(self.model.optimizer.iterations.numpy())


def trim_history(history_csv, epochs):
    """Drops the rows of epochs `>= epochs` from a `CSVLogger` file, atomically.

    On resume, the epochs after the backup are trained again: their old rows go.

    Args:
        history_csv: the CSV path (nothing happens if it does not exist).
        epochs: the number of epochs to keep.
    """
    if not os.path.exists(history_csv):
        return
    with open(history_csv, newline="", encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    kept = lines[:1] + [line for line in lines[1:] if _epoch_of(line) < epochs]
    if kept != lines:
        with atomic_path(history_csv, overwrite=True, is_dir=False) as tmp:
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                f.writelines(kept)


def _epoch_of(line):
    try:  # a row cut short by a kill is dropped
        return int(line.split(",", 1)[0]) if line.endswith("\n") else math.inf
    except ValueError:
        return math.inf


def after_nan(output_dir, backup):
    """The message on where the last good state is after a NaN stop.

    Args:
        output_dir: the run directory.
        backup: `read_backup_metadata` of its backup, or None.

    Returns:
        str.
    """
    kept = []
    if os.path.exists(os.path.join(output_dir, MODEL_FILE)):
        kept.append(f"{os.path.join(output_dir, MODEL_FILE)} is the best model so far")
    if backup is not None:
        where = (f"epoch {backup['epoch'] + 1}, batch {backup['steps_in_epoch']}"
                 if backup["steps_in_epoch"] else f"end of epoch {backup['epoch']}")
        kept.append(
            f"backup/ holds the last good training state ({where}, step {backup['step']})"
        )
    if not kept:
        return "No epoch finished with a finite loss: nothing was kept."
    return "; ".join(kept) + ". Continue with --resume and a lower --learning-rate."


def read_backup_metadata(backup_dir):
    """The metadata of the backup in `backup_dir`, or None when there is none.

    Args:
        backup_dir: an `AtomicBackupAndRestore` (or Keras) backup directory.

    Returns:
        dict with `"epoch"` (epochs completed), `"steps_in_epoch"` (batches
        trained in the epoch after them), `"step"` (optimizer iterations) and
        `"weights"` (the file name), or None.
    """
    path = os.path.join(backup_dir, METADATA_FILE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)  # replaced atomically: never half-written


def _replace(path, write):
    """Writes `path` through `write(tmp)`, then one atomic rename over the old file."""
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".tmp-{os.getpid()}-{name}")  # keeps the suffix Keras wants
    try:
        write(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)
