"""Training into a run directory: tokenizers, model.fit, checkpoints, resume."""

import math
import os
import time

import keras
import numpy as np

from keras_s2s import data, text
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


class NaNGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss and says so clearly."""

    def __init__(self, print_fn=print):
        super().__init__()
        self.print_fn = print_fn
        self.stopped_at = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.stopped_at = batch
            self.model.stop_training = True
            self.print_fn(
                f"Training stopped: the loss became {loss} at batch {batch}. The "
                "last good model (best validation loss) is kept; lower the "
                "learning rate or check the data."
            )


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
    learning_rate=1e-3,
    patience=None,
    max_length=None,
    resume=False,
    strategy=None,
    seed=0,
    verbose=1,
    print_fn=print,
):
    """Trains a `Seq2Seq` with `model.fit` and writes everything to `output_dir`.

    `output_dir` gets `model.keras` (best validation loss), the tokenizers,
    `settings.json`, `history.csv`, TensorBoard logs in `logs/` and, while
    training runs, a `backup/` that `resume=True` continues from after a
    crash or kill (`keras.callbacks.BackupAndRestore`: model, optimizer and
    epoch). Every file is written atomically.

    Args:
        output_dir: the run directory.
        train_pairs: `(sources, targets)` lists of str.
        val_pairs: optional `(sources, targets)` for validation / early stopping.
        tokenizer: `"subword"`, `"word"` or `"char"`.
        vocab_size: per-side vocabulary size (not for `"char"`).
        lowercase: lowercase the text in the tokenizers.
        model_config: `Seq2Seq` keyword arguments (see `MODEL_KEYS`).
        epochs, batch_size, learning_rate: training settings.
        patience: early-stopping patience in epochs (needs `val_pairs`).
        max_length: drop training pairs longer than this many tokens.
        resume: continue the run in `output_dir`.
        strategy: a `tf.distribute.Strategy` to build and train under.
        seed: random seed.

    Returns:
        `(model, source_tokenizer, target_tokenizer, history)`.
    """
    keras.utils.set_random_seed(seed)
    model_config = dict(model_config or {})
    unknown = set(model_config) - set(MODEL_KEYS)
    if unknown:
        raise ValueError(f"Unknown model settings {sorted(unknown)}; expected some of {MODEL_KEYS}.")
    settings_path = os.path.join(output_dir, SETTINGS_FILE)
    if resume:
        settings = read_json(settings_path)
        source_tokenizer, target_tokenizer = load_tokenizers(output_dir)
        model_config = settings["model"]
    else:
        if os.path.exists(os.path.join(output_dir, MODEL_FILE)) or os.path.exists(settings_path):
            raise RunDirectoryError(
                f"{output_dir} already holds a run; pass --resume to continue it "
                "or choose a new output directory."
            )
        source_tokenizer, target_tokenizer = build_tokenizers(
            *train_pairs, kind=tokenizer, vocab_size=vocab_size, lowercase=lowercase
        )
        save_tokenizers(output_dir, source_tokenizer, target_tokenizer)
        settings = {
            "tokenizer": tokenizer,
            "vocab_size": vocab_size,
            "lowercase": lowercase,
            "model": model_config,
            "epochs": epochs,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "max_length": max_length,
            "seed": seed,
        }
        write_json(settings_path, settings)

    datasets = [
        data.make_dataset(
            *pairs, source_tokenizer, target_tokenizer, batch_size=batch_size,
            shuffle=shuffle, seed=seed, max_source_length=max_length,
            max_target_length=max_length,
        )
        for pairs, shuffle in ((train_pairs, True), (val_pairs, False))
        if pairs is not None
    ]
    train_data, val_data = datasets[0], (datasets[1] if len(datasets) > 1 else None)

    scope = strategy.scope() if strategy is not None else _null_scope()
    with scope:
        model = Seq2Seq(source_tokenizer.vocab_size, target_tokenizer.vocab_size, **model_config)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0))
    backup = os.path.join(output_dir, "backup")
    best = os.path.join(output_dir, MODEL_FILE)
    if resume and not os.path.isdir(backup) and os.path.exists(best):
        # The run finished (or stopped early): continue from its best model.
        model.set_weights(load_model(best).get_weights())
    nan_guard = NaNGuard(print_fn)
    callbacks = [
        keras.callbacks.BackupAndRestore(backup),
        nan_guard,
        BestModelSaver(output_dir, "val_loss" if val_data is not None else "loss"),
        keras.callbacks.CSVLogger(os.path.join(output_dir, "history.csv"), append=resume),
        keras.callbacks.TensorBoard(os.path.join(output_dir, "logs"), write_graph=False),
    ]
    if patience and val_data is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
        )
    history = model.fit(
        train_data, validation_data=val_data, epochs=epochs, callbacks=callbacks, verbose=verbose
    )
    if nan_guard.stopped_at is None and not os.path.exists(best):
        save_model(output_dir, model)
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
