"""`AtomicBackupAndRestore`: backups a kill cannot corrupt, and resume that is exact.

Keras 3.15's `BackupAndRestore` writes `latest.weights.h5` in place and then
`training_metadata.json`: a kill during the first write leaves a corrupt
file, a kill between the two a weights file one backup ahead of its epoch.
A mid-epoch backup (`save_freq=N`) restores the weights but restarts the
epoch from its first batch, so a resumed run trains more steps than an
uninterrupted one; and neither the dropout RNG nor the running epoch
metrics are saved, so even a resume at the right batch drifts. Under
`MultiWorkerMirroredStrategy` every worker writes the same files.
`AtomicBackupAndRestore` fixes those points.
"""

import json
import os
import shutil
import warnings

import keras
import numpy as np

from keras_s2s.training.distribute import check_same_on_all_workers, worker_info

METADATA_FILE = "training_metadata.json"


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` with atomic backups and exact mid-epoch resume.

    - Atomic: the weights (model and optimizer) go to a temporary file that
      is flushed to disk and renamed `ckpt-<step>.weights.h5`; then
      `training_metadata.json`, which names that file, replaces the old one
      the same way (one `os.replace`). That rename is the one commit point:
      a kill at any moment leaves the previous complete backup; older files
      are removed only after it.
    - Exact resume: the metadata also holds the state that `save_weights`
      leaves out, the dropout seed generators and the running values of the
      epoch's metrics (loss, accuracy). Restoring a mid-epoch backup sets
      them back and skips the batches of that epoch that were already
      trained (their data is read, not trained on). With data whose order
      is a function of the epoch (`keras_s2s.data.make_epochs`), the resumed
      run ends with the same weights and history as an uninterrupted one.
    - `save_now()` backs up at the current step (a budget stop, Ctrl-C).
    - Never backs up non-finite weights: after a NaN the backup still holds
      the last good training state, and it is kept (not deleted) at the end.
    - Multi-worker: only the chief writes; every worker restores from
      `backup_dir` (which must be storage every worker can read) and the
      workers check that they restored the same step.

    Args:
        backup_dir: directory for the backup (used by nothing else).
        save_freq: `"epoch"` or a number of batches between backups.
        delete_checkpoint: delete the backup when training ends normally
            (`keras_s2s.training` keeps it: it is how a finished run
            continues with more epochs).
        strategy: the `tf.distribute.Strategy` the model was built under.
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True, strategy=None):
        super().__init__(backup_dir, save_freq=save_freq, delete_checkpoint=delete_checkpoint)
        self.strategy = strategy
        self.is_chief = worker_info(strategy)["is_chief"]
        self.restored = None  # the metadata restored from, if any
        self.non_finite = False
        self._epoch = 0
        self._epoch_start_step = 0
        self._skip = 0
        self._pending_metrics = None

    # --- restore -------------------------------------------------------
    def on_train_begin(self, logs=None):
        metadata = read_backup_metadata(self.backup_dir)
        if metadata is not None and "weights" not in metadata:
            super().on_train_begin(logs)  # a backup written by Keras itself
            metadata = None
        elif metadata is not None:
            self._restore(metadata)
        if self.is_chief and os.path.isdir(self.backup_dir):
            self._remove_all_but(metadata)  # what a kill left half-written
        self.restored = metadata
        step = self.optimizer_steps()
        check_same_on_all_workers(self.strategy, [step, self._skip], "the restored training step")
        if self._skip:
            self._skip_trained_batches()

    def _restore(self, metadata):
        weights = os.path.join(self.backup_dir, metadata["weights"])
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        try:
            self.model.load_weights(weights)
        except Exception as error:
            raise RuntimeError(f"The backup {weights} could not be loaded: {error}") from None
        self.model._initial_epoch = metadata["epoch"]
        self._skip = metadata.get("steps_in_epoch", 0)
        state = metadata.get("state", {})
        _assign(_seed_variables(self.model), state.get("seeds"), "seed generator", weights)
        if self._skip:  # set after Keras resets the metrics at the epoch start
            self._pending_metrics = state.get("metrics")

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
        self._epoch_start_step = self.optimizer_steps() - self._skip
        if self._pending_metrics is not None:
            self._restore_metrics(self._pending_metrics)
            self._pending_metrics = None

    def _restore_metrics(self, values):
        variables = self.model.metrics_variables
        compiled = getattr(self.model, "_compile_metrics", None)
        if compiled is not None and not compiled.built and len(values) != len(variables):
            # Keras builds compiled metrics while tracing the first step, after
            # this point; `Seq2Seq.fit` builds them up front.
            warnings.warn(
                "The model's compiled metrics are not built before fit, so the resumed "
                "epoch's metrics average only the batches after the backup. Build them "
                "first (e.g. model.evaluate on one batch) for exact epoch metrics.",
                stacklevel=2,
            )
            return
        _assign(variables, values, "metric", self.backup_dir)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.non_finite = True
        if self._skip == 0 and logs:  # not while replaying skipped batches
            super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._epoch, self._epoch_start_step = epoch + 1, self.optimizer_steps()
        self._batches_seen_since_last_saving = 0
        self._save_model()  # also with save_freq=N: epochs always end backed up

    def save_now(self, every_worker=False):
        """Backs up the state after the last finished step (mid-epoch resumable).

        With several workers, every worker must call it at the same step
        (`every_worker=True`, a `max_steps` stop); a Ctrl-C reaches one
        worker only, so then it does nothing there.
        """
        if self._skip == 0 and (every_worker or worker_info(self.strategy)["num_workers"] == 1):
            self._save_model()

    def _save_model(self):
        if self.non_finite:
            return
        # Every worker reads the state: reading a metric (a sync-on-read
        # variable) is a collective under MultiWorkerMirroredStrategy.
        state = {
            "seeds": _values(_seed_variables(self.model)),
            "metrics": _values(self.model.metrics_variables),
        }
        if not self.is_chief:
            return
        if not all(np.isfinite(w).all() for w in self.model.get_weights()):
            self.non_finite = True
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        step = self.optimizer_steps()
        name = f"ckpt-{step}.weights.h5"
        _replace(os.path.join(self.backup_dir, name), self.model.save_weights)
        metadata = {
            "epoch": self._epoch,
            "steps_in_epoch": step - self._epoch_start_step,
            "step": step,
            "weights": name,
            "state": state,
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

    def optimizer_steps(self):
        """The optimizer steps taken so far (0 before the optimizer exists)."""
        optimizer = self.model.optimizer
        return int(optimizer.iterations.numpy()) if optimizer is not None else 0


def _seed_variables(model):
    """The model's variables that `save_weights` leaves out: its RNG states."""
    saved = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in saved]


def _values(variables):
    """JSON-ready values; float32 survives the round trip through repr exactly."""
    return [np.asarray(v.numpy()).tolist() for v in variables]


def _assign(variables, values, what, source):
    if values is None:
        return  # a backup written before this state was saved
    if len(values) != len(variables):
        raise RuntimeError(
            f"The backup {source} holds {len(values)} {what} values; the model has "
            f"{len(variables)}. It was written by a different model."
        )
    for variable, value in zip(variables, values):
        variable.assign(np.asarray(value, dtype=variable.dtype).reshape(variable.shape))


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
