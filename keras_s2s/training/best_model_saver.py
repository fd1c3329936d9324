"""`BestModelSaver`: `model.keras` always holds the best epoch so far."""

import math

import keras
import numpy as np

from keras_s2s.training.run_directory import save_model


class BestModelSaver(keras.callbacks.Callback):
    """Saves `model.keras` atomically whenever `monitor` improves (never on NaN).

    Args:
        directory: the run directory.
        monitor: the epoch log to minimize (falls back to `loss`).
        history: earlier rows of `history.csv` (resume): the best value in
            them is the one to beat.
    """

    def __init__(self, directory, monitor="val_loss", history=()):
        super().__init__()
        self.directory = directory
        self.monitor = monitor
        self.best = best_logged(history, monitor)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        value = logs.get(self.monitor, logs.get("loss"))
        if value is not None and np.isfinite(value) and value < self.best:
            self.best = float(value)
            save_model(self.directory, self.model)


def best_logged(rows, monitor):
    """The lowest finite `monitor` in history rows, else inf."""
    values = []
    for row in rows:
        try:
            values.append(float(row[monitor]))
        except (KeyError, TypeError, ValueError):
            continue
    finite = [v for v in values if math.isfinite(v)]
    return min(finite) if finite else math.inf
