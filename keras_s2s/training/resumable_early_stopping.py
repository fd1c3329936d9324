"""`ResumableEarlyStopping`: early stopping that remembers the epochs before a resume."""

import keras


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """`EarlyStopping` (minimizing `monitor`) whose count survives a resume.

    Keras' callback starts counting from zero in every `fit`, so a run
    resumed after epoch 5 of patience 3 could train 3 more epochs without
    improving. This one replays the monitor values of the epochs already
    in `history.csv` first, so the resumed run stops at the same epoch as
    the uninterrupted one. The best weights are not kept in memory:
    `model.keras` holds them (`BestModelSaver`).

    Args:
        monitor: the epoch log to minimize.
        patience: epochs without improvement before stopping.
        history: earlier rows of `history.csv` (dicts of strings).
    """

    def __init__(self, monitor="val_loss", patience=0, history=()):
        super().__init__(monitor=monitor, patience=patience, mode="min")
        self.history_rows = list(history)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.wait, self.best, self.best_epoch = replay(self.history_rows, self.monitor)

    @property
    def exhausted(self):
        """Whether the replayed history already ran out of patience."""
        return bool(self.history_rows) and self.wait >= self.patience


def replay(rows, monitor):
    """`(wait, best, best_epoch)` after the epochs of `rows`, as `EarlyStopping` counts."""
    wait, best, best_epoch = 0, None, 0
    for row in rows:
        try:
            value = float(row[monitor])
        except (KeyError, TypeError, ValueError):
            continue
        wait += 1
        if best is None or value < best:
            wait, best, best_epoch = 0, value, int(row["epoch"])
    return wait, best, best_epoch
