"""Training into a run directory: tokenizers, model.fit, checkpoints, resume."""

import math
import os
import shutil
import tempfile
import time

import keras
import numpy as np

from keras_s2s import data, text
from keras_s2s.fault_tolerance import (
    AtomicBackupAndRestore,
    LogSteps,
    NaNGuard,
    SetLearningRate,
    after_nan,
    read_backup_metadata,
    trim_history,
)
from keras_s2s.distribute import check_same_on_all_workers, multi_worker_fit, worker_info
from keras_s2s.models import Seq2Seq
from keras_s2s.run_directory import (
    MODEL_FILE,
    SETTINGS_FILE,
    RunDirectoryError,
    load_model,
    load_tokenizers,
    read_json,
    save_model,
    save_tokenizers,
    write_json,
)

TOKENIZERS = {
    "subword": text.SubwordTokenizer,
    "word": text.WordTokenizer,
    "char": text.CharTokenizer,
}
MODEL_KEYS = (
    "embedding_dim", "units", "cell", "bidirectional", "num_layers", "dropout",
    "attention", "input_feeding",
)


class BestModelSaver(keras.callbacks.Callback):
    """Saves `model.keras` atomically whenever `monitor` improves (never on NaN)."""

    def __init__(self, directory, monitor="val_loss"):
        super().__init__()
        self.directory = directory
        self.monitor = monitor
        self.best = _best_logged(os.path.join(directory, "history.csv"), monitor)

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor, (logs or {}).get("loss"))
        if value is not None and np.isfinite(value) and value < self.best:
            self.best = float(value)
            save_model(self.directory, self.model)


class TimeBudget(keras.callbacks.Callback):
    """Stops `fit` once `seconds` of wall-clock time have passed.

    Checked after every batch; `steps` counts the batches run.
    """

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.steps = 0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.perf_counter() - self.start >= self.seconds:
            self.model.stop_training = True


def build_tokenizers(sources, targets, kind="subword", vocab_size=8000, lowercase=False):
    """Trains one tokenizer per side."""
    if kind not in TOKENIZERS:
        raise ValueError(f"`tokenizer` must be one of {sorted(TOKENIZERS)}. Received: tokenizer={kind!r}")
    cls = TOKENIZERS[kind]
    size = None if kind == "char" else vocab_size
    return (
        cls.train(sources, vocab_size=size, lowercase=lowercase),
        cls.train(targets, vocab_size=size, lowercase=lowercase),
    )


def train(
    output_dir,
    train_pairs,
    val_pairs=None,
    tokenizer="subword",
    vocab_size=8000,
    lowercase=False,
    model_config=None,
    epochs=10,
    batch_size=64,
    learning_rate=None,
    patience=None,
    max_length=None,
    resume=False,
    strategy=None,
    backup_every=None,
    seed=0,
    verbose=1,
    print_fn=print,
):
    """Trains a `Seq2Seq` with `model.fit` and writes everything to `output_dir`.

    `output_dir` gets `model.keras` (best validation loss), the tokenizers,
    `settings.json`, `history.csv` (with `steps`, the optimizer steps done),
    TensorBoard logs in `logs/` and, while training runs, a `backup/` that
    `resume=True` continues from after a crash or kill
    (`AtomicBackupAndRestore`: model, optimizer, epoch and, with
    `backup_every`, the step within the epoch). Every file is written
    atomically. A NaN loss stops training; `model.keras` and `backup/` then
    keep the last good state.

    With a multi-worker `strategy`, every worker runs this with the same
    arguments and data; only the chief writes `output_dir` (the others write
    to a temporary directory), and `output_dir` must be storage every worker
    reads for `resume` (see docs/distributed.md).

    Args:
        output_dir: the run directory.
        train_pairs: `(sources, targets)` lists of str.
        val_pairs: optional `(sources, targets)` for validation / early stopping.
        tokenizer: `"subword"`, `"word"` or `"char"`.
        vocab_size: per-side vocabulary size (not for `"char"`).
        lowercase: lowercase the text in the tokenizers.
        model_config: `Seq2Seq` keyword arguments (see `MODEL_KEYS`).
        epochs, batch_size: training settings (`batch_size` is the global
            batch, split over the replicas of `strategy`).
        learning_rate: Adam's learning rate; `None`: 1e-3, or when resuming
            the run's own. Given with `resume`, it replaces the backed-up one.
        patience: early-stopping patience in epochs (needs `val_pairs`).
        max_length: drop training pairs longer than this many tokens.
        resume: continue the run in `output_dir`.
        strategy: a `tf.distribute.Strategy` to build and train under
            (see `keras_s2s.distribute.get_strategy`).
        backup_every: back up every this many batches (and at every epoch
            end); `None`: at epoch ends only.
        seed: random seed (also the data order: the same on every worker).

    Returns:
        `(model, source_tokenizer, target_tokenizer, history)`.
    """
    keras.utils.set_random_seed(seed)
    model_config = dict(model_config or {})
    unknown = set(model_config) - set(MODEL_KEYS)
    if unknown:
        raise ValueError(f"Unknown model settings {sorted(unknown)}; expected some of {MODEL_KEYS}.")
    worker = worker_info(strategy)
    settings_path = os.path.join(output_dir, SETTINGS_FILE)
    if resume:
        settings = read_json(settings_path)
        source_tokenizer, target_tokenizer = load_tokenizers(output_dir)
        model_config = settings["model"]
        if learning_rate is not None and worker["is_chief"]:
            write_json(settings_path, {**settings, "learning_rate": learning_rate})
    else:
        if worker["is_chief"] and (
            os.path.exists(os.path.join(output_dir, MODEL_FILE)) or os.path.exists(settings_path)
        ):
            raise RunDirectoryError(
                f"{output_dir} already holds a run; pass --resume to continue it "
                "or choose a new output directory."
            )
        source_tokenizer, target_tokenizer = build_tokenizers(
            *train_pairs, kind=tokenizer, vocab_size=vocab_size, lowercase=lowercase
        )
        settings = {
            "tokenizer": tokenizer,
            "vocab_size": vocab_size,
            "lowercase": lowercase,
            "model": model_config,
            "epochs": epochs,
            "batch_size": batch_size,
            "learning_rate": learning_rate or 1e-3,
            "max_length": max_length,
            "seed": seed,
        }
        if worker["is_chief"]:
            save_tokenizers(output_dir, source_tokenizer, target_tokenizer)
            write_json(settings_path, settings)
    check_same_on_all_workers(
        strategy, "\n".join(source_tokenizer.vocabulary + ["|"] + target_tokenizer.vocabulary),
        "the tokenizer vocabularies",
    )

    datasets = [
        data.make_dataset(
            *pairs, source_tokenizer, target_tokenizer, batch_size=batch_size,
            shuffle=shuffle, seed=seed, max_source_length=max_length,
            max_target_length=max_length, auto_shard_policy="data",
        )
        for pairs, shuffle in ((train_pairs, True), (val_pairs, False))
        if pairs is not None
    ]
    train_data, val_data = datasets[0], (datasets[1] if len(datasets) > 1 else None)

    scope = strategy.scope() if strategy is not None else _null_scope()
    with scope:
        model = Seq2Seq(source_tokenizer.vocab_size, target_tokenizer.vocab_size, **model_config)
        rate = learning_rate or settings.get("learning_rate") or 1e-3
        model.compile(optimizer=keras.optimizers.Adam(rate, clipnorm=1.0))
    # Only the chief writes the run directory; other workers write a scratch copy.
    write_dir = output_dir if worker["is_chief"] else tempfile.mkdtemp(
        prefix=f"keras_s2s_worker{worker['task_id']}_"
    )
    backup = os.path.join(output_dir, "backup")
    best = os.path.join(write_dir, MODEL_FILE)
    restored = read_backup_metadata(backup) if resume else None
    if resume and restored is None and os.path.exists(os.path.join(output_dir, MODEL_FILE)):
        # The run finished (or stopped early): continue from its best model.
        model.set_weights(load_model(os.path.join(output_dir, MODEL_FILE)).get_weights())
    history_csv = os.path.join(write_dir, "history.csv")
    if restored is not None and worker["is_chief"]:
        trim_history(history_csv, restored["epoch"])  # epochs the backup does not hold
    nan_guard = NaNGuard(print_fn)
    backup_callback = AtomicBackupAndRestore(
        backup, save_freq=backup_every or "epoch", strategy=strategy
    )
    # Order matters at epoch ends: the history row is written before the backup.
    callbacks = [
        LogSteps(),
        nan_guard,
        BestModelSaver(write_dir, "val_loss" if val_data is not None else "loss"),
        keras.callbacks.CSVLogger(history_csv, append=resume),
        keras.callbacks.TensorBoard(os.path.join(write_dir, "logs"), write_graph=False),
    ]
    if patience and val_data is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
        )
    callbacks.append(backup_callback)
    if resume and learning_rate is not None:
        callbacks.append(SetLearningRate(learning_rate))
    try:
        with multi_worker_fit(model):
            history = model.fit(
                train_data, validation_data=val_data, epochs=epochs, callbacks=callbacks,
                verbose=verbose,
            )
        if nan_guard.stopped_at is None and not os.path.exists(best):
            save_model(write_dir, model)
    finally:
        if write_dir != output_dir:
            shutil.rmtree(write_dir, ignore_errors=True)
    if nan_guard.stopped_at is not None and worker["is_chief"]:
        print_fn(after_nan(output_dir, read_backup_metadata(backup)))
    return model, source_tokenizer, target_tokenizer, history


def _best_logged(history_csv, monitor):
    """Best `monitor` value in an earlier run's history (resume), else inf."""
    import csv

    try:
        with open(history_csv, newline="") as f:
            values = [float(row[monitor]) for row in csv.DictReader(f) if row.get(monitor)]
    except (OSError, ValueError, KeyError):
        return math.inf
    finite = [v for v in values if np.isfinite(v)]
    return min(finite) if finite else math.inf


class _null_scope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
