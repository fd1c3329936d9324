"""`train()`: fit a `Seq2Seq` or `Transformer` into a run directory, in four steps a reader can follow.

1. `_prepare`: check the directory, train or load the tokenizers, store
   the settings (a resume checks them against the stored ones).
2. `_datasets`: the epochs of the run, each in the order its number and the
   seed fix (`keras_s2s.data.make_epochs`), from where the run stands.
3. `model_factory.build_model`: the model and optimizer (a resume restores them from
   `backup/` inside `fit`).
4. `_fit`: `model.fit` with the callbacks that keep the run directory
   consistent at every moment; then what stopped it.
"""

import collections
import os
import shutil
import tempfile

import keras

from keras_s2s.data import count_batches, make_dataset, make_epochs
from keras_s2s.files import ensure_writable_dir
from keras_s2s.training import run_directory as rd
from keras_s2s.training.atomic_backup_and_restore import (
    AtomicBackupAndRestore,
    read_backup_metadata,
)
from keras_s2s.training.best_model_saver import BestModelSaver
from keras_s2s.training.distribute import (
    check_same_on_all_workers,
    multi_worker_fit,
    worker_info,
)
from keras_s2s.training.epoch_checkpoints import EpochCheckpoints
from keras_s2s.training.history_log import HistoryLog, read_history
from keras_s2s.training.model_factory import build_model
from keras_s2s.training.nan_guard import NaNGuard, after_nan
from keras_s2s.training.resumable_early_stopping import ResumableEarlyStopping, replay
from keras_s2s.training.run_budget import BudgetReached, RunBudget
from keras_s2s.training.sample_translations import SampleTranslations
from keras_s2s.training.settings import TrainSettings, fingerprint
from keras_s2s.training.training_data import build_tokenizers

TrainResult = collections.namedtuple(
    "TrainResult", ["model", "source_tokenizer", "target_tokenizer", "history", "stopped"]
)
TrainResult.__doc__ = """What `train` returns. `stopped`: why training ended: `"finished"`
(all epochs), `"early_stopping"`, `"budget"` (`max_steps` / `max_minutes`),
`"nan"`, or `"already_finished"` (a resume with nothing left to train)."""

_Progress = collections.namedtuple("_Progress", ["epoch", "steps_in_epoch", "step", "backup"])


def train(
    output_dir,
    train_pairs,
    val_pairs=None,
    settings=None,
    resume=False,
    strategy=None,
    verbose=1,
    print_fn=print,
):
    """Trains a `Seq2Seq` or `Transformer` with `model.fit` and writes everything to `output_dir`.

    `output_dir` gets `model.keras` (best validation loss), the tokenizers,
    `settings.json`, `history.csv` (one row per epoch, with `steps`, the
    optimizer steps done), TensorBoard logs in `logs/` and `backup/`, the
    latest training state (weights, optimizer, RNG, running metrics, epoch
    and step). `resume=True` continues from it after a crash, a kill, a
    budget stop or Ctrl-C, with the same weights and history as a run that
    was never interrupted; a finished run continues when `settings.epochs`
    (or `max_steps`) is larger than what it did. `model.keras`,
    `settings.json`, `history.csv`, the tokenizers and the backup are
    written atomically. A NaN loss stops training; `model.keras` and
    `backup/` then keep the last good state.

    With a multi-worker `strategy`, every worker runs this with the same
    arguments and data; only the chief writes `output_dir` (the others write
    to a temporary directory), and `output_dir` must be storage every worker
    reads for `resume` (see docs/distributed.md).

    Args:
        output_dir: the run directory.
        train_pairs: `(sources, targets)` lists of str.
        val_pairs: optional `(sources, targets)` for validation, early
            stopping, the best model and the sample translations.
        settings: a `TrainSettings` (default: its defaults).
        resume: continue the run in `output_dir`; refused if the settings
            that define the run (data, tokenizer, model, batch size, seed)
            differ from the stored ones.
        strategy: a `tf.distribute.Strategy` to build and train under.
        verbose: `model.fit`'s progress bar (0: none).
        print_fn: where messages go.

    Returns:
        A `TrainResult` `(model, source_tokenizer, target_tokenizer, history,
        stopped)`.
    """
    settings = settings or TrainSettings()
    keras.utils.set_random_seed(settings.seed)
    worker = worker_info(strategy)
    if settings.max_minutes is not None and worker["num_workers"] > 1:
        raise ValueError(
            "--max-minutes would stop the workers at different steps; use --max-steps "
            f"with several workers. Received: max_minutes={settings.max_minutes}"
        )
    settings.data_fingerprint = {"train": fingerprint(train_pairs), "val": fingerprint(val_pairs)}
    source_tokenizer, target_tokenizer = _prepare(output_dir, settings, train_pairs, resume, strategy, worker)
    progress = _progress(output_dir, settings, resume, print_fn)
    done = _finished(output_dir, settings, progress, val_pairs)
    if done:
        print_fn(done)
        return TrainResult(None, source_tokenizer, target_tokenizer, None, "already_finished")
    train_data, steps_per_epoch, val_data = _datasets(
        settings, train_pairs, val_pairs, source_tokenizer, target_tokenizer, progress.epoch
    )
    model = build_model(settings, source_tokenizer, target_tokenizer, strategy)
    if not resume and worker["is_chief"]:  # the model accepted the settings: the run starts
        rd.save_tokenizers(output_dir, source_tokenizer, target_tokenizer)
        rd.write_settings(output_dir, settings)
    if progress.backup is None and progress.step:
        _continue_without_backup(output_dir, model, progress, print_fn)
    # Only the chief writes the run directory; other workers write a scratch copy.
    write_dir = (
        output_dir if worker["is_chief"] else tempfile.mkdtemp(prefix=f"keras_s2s_worker{worker['task_id']}_")
    )
    try:
        history, stopped = _fit(
            model,
            settings,
            output_dir,
            write_dir,
            train_data,
            steps_per_epoch,
            val_data,
            val_pairs,
            (source_tokenizer, target_tokenizer),
            progress,
            strategy,
            verbose,
            print_fn,
        )
    finally:
        if write_dir != output_dir:
            shutil.rmtree(write_dir, ignore_errors=True)
    if stopped == "early_stopping" and os.path.exists(os.path.join(output_dir, rd.MODEL_FILE)):
        model.set_weights(rd.load_model(os.path.join(output_dir, rd.MODEL_FILE)).get_weights())
    return TrainResult(model, source_tokenizer, target_tokenizer, history, stopped)


# === 1. Directory, tokenizers, settings ===
def _prepare(output_dir, settings, train_pairs, resume, strategy, worker):
    if resume:
        if not os.path.isdir(output_dir) or not rd.holds_run(output_dir):
            raise rd.RunDirectoryError(
                f"{output_dir} holds no run to resume; drop --resume to start a new one."
            )
        stored = rd.read_settings(output_dir)
        differences = settings.differences(stored) + _data_differences(settings, stored)
        if differences:
            raise rd.RunDirectoryError(
                f"{output_dir} was trained with other settings or data; --resume continues "
                "a run as it was started (use a new --output-dir instead): " + "; ".join(differences)
            )
        source_tokenizer, target_tokenizer = rd.load_tokenizers(output_dir)
    else:
        if worker["is_chief"]:
            ensure_writable_dir(output_dir)  # before the (long) tokenizer training
            if rd.holds_run(output_dir):
                raise rd.RunDirectoryError(
                    f"{output_dir} already holds a run; pass --resume to continue it "
                    "or choose a new output directory."
                )
        if settings.epochs < 1:
            raise ValueError(f"A new run needs `epochs` >= 1. Received: epochs={settings.epochs}")
        source_tokenizer, target_tokenizer = build_tokenizers(
            *train_pairs,
            kind=settings.tokenizer,
            vocab_size=settings.vocab_size,
            lowercase=settings.lowercase,
        )
        # A new run's files are written once its model is built (in `train`):
        # settings the model refuses leave no run behind that blocks a retry.
    if resume and worker["is_chief"]:
        rd.write_settings(output_dir, settings)
    check_same_on_all_workers(
        strategy,
        "\n".join(source_tokenizer.vocabulary + ["|"] + target_tokenizer.vocabulary),
        "the tokenizer vocabularies",
    )
    return source_tokenizer, target_tokenizer


def _data_differences(settings, stored):
    found = []
    for part, name in (("train", "training"), ("val", "validation")):
        old = (stored.data_fingerprint or {}).get(part)
        new = (settings.data_fingerprint or {}).get(part)
        if stored.data_fingerprint is not None and old != new:
            counts = f"{old['pairs'] if old else 0} pairs in the run, {new['pairs'] if new else 0} now"
            same = " (same count, other text)" if old and new and old["pairs"] == new["pairs"] else ""
            found.append(f"the {name} data: {counts}{same}")
    return found


def _progress(output_dir, settings, resume, print_fn):
    """Where the run stands: epochs done, steps into the next, optimizer steps."""
    if not resume:
        return _Progress(0, 0, 0, None)
    backup = read_backup_metadata(os.path.join(output_dir, rd.BACKUP_DIR))
    if backup is not None and "weights" in backup:
        return _Progress(backup["epoch"], backup.get("steps_in_epoch", 0), backup["step"], backup)
    rows = read_history(os.path.join(output_dir, rd.HISTORY_FILE))
    step = int(float(rows[-1].get("steps") or 0)) if rows else 0
    return _Progress(len(rows), 0, step, None)


def _finished(output_dir, settings, progress, val_pairs):
    """The message for a run with nothing left to train, else None."""
    where = f"{output_dir}: the run is finished"
    if progress.epoch >= settings.epochs:
        return (
            f"{where}: {progress.epoch} of {settings.epochs} epochs done ({progress.step} "
            f"steps). Pass --epochs N with N > {progress.epoch} to train further."
        )
    if settings.max_steps is not None and progress.step >= settings.max_steps:
        return (
            f"{where}: {progress.step} steps done (--max-steps {settings.max_steps}). "
            "Pass a larger --max-steps to train further."
        )
    if settings.patience and val_pairs is not None and progress.steps_in_epoch == 0:
        rows = read_history(os.path.join(output_dir, rd.HISTORY_FILE))[: progress.epoch]
        wait, _, best_epoch = replay(rows, "val_loss")
        if rows and wait >= settings.patience:
            return (
                f"{where}: stopped early after epoch {progress.epoch} (no val_loss "
                f"improvement since epoch {best_epoch + 1}, --patience "
                f"{settings.patience}). Pass a larger --patience to train further."
            )
    return None


# === 2. Data ===
def _datasets(settings, train_pairs, val_pairs, source_tokenizer, target_tokenizer, start_epoch):
    kwargs = dict(
        batch_size=settings.batch_size,
        max_source_length=settings.max_train_tokens,
        max_target_length=settings.max_train_tokens,
        auto_shard_policy="data",
    )
    tokenizers = (source_tokenizer, target_tokenizer)
    first = make_epochs(*train_pairs, *tokenizers, epochs=1, seed=settings.seed, **kwargs)
    steps_per_epoch = count_batches(first)
    if steps_per_epoch == 0:
        raise ValueError(
            f"No training pairs are left to train on ({len(train_pairs[0])} given"
            + (f", --max-train-tokens {settings.max_train_tokens}" if settings.max_train_tokens else "")
            + ")."
        )
    train_data = make_epochs(
        *train_pairs,
        *tokenizers,
        epochs=settings.epochs,
        start_epoch=start_epoch,
        seed=settings.seed,
        **kwargs,
    )
    val_data = None
    if val_pairs is not None and len(val_pairs[0]):
        val_data = make_dataset(*val_pairs, *tokenizers, shuffle=False, **kwargs)
        # A known cardinality lets Keras restart validation every epoch
        # without an "input ran out of data" warning.
        val_data = val_data.apply(_assert_cardinality(count_batches(val_data)))
    return train_data, steps_per_epoch, val_data


def _assert_cardinality(n):
    import tensorflow as tf

    return tf.data.experimental.assert_cardinality(n)


# === 3. Model ===
def _continue_without_backup(output_dir, model, progress, print_fn):
    """A run written before `backup/` was kept: its best model, a new optimizer."""
    model.set_weights(rd.load_model(os.path.join(output_dir, rd.MODEL_FILE)).get_weights())
    model.optimizer.build(model.trainable_variables)
    model.optimizer.iterations.assign(progress.step)
    print_fn(
        f"{output_dir} has no backup/ (written by an older keras_s2s): continuing from "
        "model.keras, the best model, with a new optimizer state."
    )


# === 4. Fit ===
def _fit(
    model,
    settings,
    output_dir,
    write_dir,
    train_data,
    steps_per_epoch,
    val_data,
    val_pairs,
    tokenizers,
    progress,
    strategy,
    verbose,
    print_fn,
):
    rows = read_history(os.path.join(output_dir, rd.HISTORY_FILE))[: progress.epoch]
    monitor = "val_loss" if val_data is not None else "loss"
    nan_guard = NaNGuard(print_fn)
    budget = RunBudget(settings.max_steps, settings.max_minutes)
    backup = AtomicBackupAndRestore(
        os.path.join(output_dir, rd.BACKUP_DIR),
        save_freq=settings.backup_every or "epoch",
        delete_checkpoint=False,
        strategy=strategy,
    )
    tensorboard = keras.callbacks.TensorBoard(os.path.join(write_dir, rd.LOGS_DIR), write_graph=False)
    # Order matters at epoch ends: the history row is written before the backup.
    callbacks = [
        nan_guard,
        HistoryLog(os.path.join(write_dir, rd.HISTORY_FILE), keep_epochs=progress.epoch),
        BestModelSaver(write_dir, monitor, rows),
        tensorboard,
    ]
    if settings.keep_checkpoints:  # for `keras-s2s average`
        callbacks.append(EpochCheckpoints(write_dir, settings.keep_checkpoints))
    if settings.samples and val_pairs is not None and worker_info(strategy)["is_chief"]:
        n = settings.samples
        callbacks.append(
            SampleTranslations(val_pairs[0][:n], val_pairs[1][:n], *tokenizers, print_fn=print_fn)
        )
    early_stopping = None
    if settings.patience and val_data is not None:
        early_stopping = ResumableEarlyStopping("val_loss", settings.patience, rows)
        callbacks.append(early_stopping)
    callbacks += [budget, backup]
    if settings.learning_rate is not None and settings.warmup_steps is None:  # a schedule stays the run's
        callbacks.append(_SetLearningRate(settings.learning_rate))
    stopped, history = "finished", None
    try:
        with multi_worker_fit(model):
            history = model.fit(
                train_data,
                validation_data=val_data,
                epochs=settings.epochs,
                initial_epoch=progress.epoch,
                steps_per_epoch=steps_per_epoch,
                shuffle=False,
                callbacks=callbacks,
                verbose=verbose,
            )
    except BudgetReached:
        backup.save_now(every_worker=True)  # max_steps: the same step on every worker
        tensorboard.on_train_end()
        stopped = "budget"
    except KeyboardInterrupt:
        backup.save_now()
        raise
    if budget.reason is not None:
        stopped = "budget"
        print_fn(
            f"Training stopped: {budget.reason} at step {backup.optimizer_steps()}. "
            "backup/ holds this state; continue with --resume."
        )
    if early_stopping is not None and early_stopping.stopped_epoch:
        stopped = "early_stopping"
    if nan_guard.stopped_at is not None:
        stopped = "nan"
        if worker_info(strategy)["is_chief"]:
            print_fn(after_nan(output_dir, read_backup_metadata(backup.backup_dir)))
    elif not os.path.exists(os.path.join(write_dir, rd.MODEL_FILE)):
        rd.save_model(write_dir, model)  # no epoch finished yet: keep what there is
    return history, stopped


class _SetLearningRate(keras.callbacks.Callback):
    """Sets the learning rate after a backup (which holds the old one) is restored."""

    def __init__(self, learning_rate):
        super().__init__()
        self.learning_rate = learning_rate

    def on_train_begin(self, logs=None):
        self.model.optimizer.learning_rate = self.learning_rate
