"""`HistoryLog`: `history.csv`, one row per finished epoch, rewritten atomically.

Keras' `CSVLogger` appends in place: a kill mid-write leaves a cut row, and
on resume the epochs after the backup are trained again and logged twice.
`HistoryLog` keeps the rows in memory and replaces the whole file (temp +
rename) after each epoch, before the epoch's backup is written, so after a
kill at any moment the file holds every epoch the backup holds and at most
one more, which `trim_history` drops on resume.
"""

import csv
import io
import math
import os

import keras

from keras_s2s.files import write_text


class HistoryLog(keras.callbacks.Callback):
    """Writes `epoch, <metrics…>, steps` rows to a CSV file after every epoch.

    Also puts `steps` (optimizer steps done so far) into the epoch logs, so
    TensorBoard and later callbacks see it. Columns are those of the first
    row (as `CSVLogger`), `epoch` first.

    Args:
        path: the CSV file.
        keep_epochs: on resume, the rows of epochs `< keep_epochs` already
            in `path` are kept (the rest are trained again); 0 starts anew.
    """

    def __init__(self, path, keep_epochs=0):
        super().__init__()
        self.path = path
        self.keep_epochs = keep_epochs
        self.rows = []

    def on_train_begin(self, logs=None):
        self.rows = [row for row in read_history(self.path) if int(row["epoch"]) < self.keep_epochs]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        if self.model.optimizer is not None:
            logs["steps"] = int(self.model.optimizer.iterations.numpy())
        self.rows.append({"epoch": epoch, **logs})
        write_text(self.path, _to_csv(self.rows))


def read_history(path):
    """The rows of a history file as dicts of strings (`[]` if there is none).

    A last row cut short (no line end) is dropped.
    """
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines(keepends=True)
    complete = [line for line in lines if line.endswith("\n")]
    return [row for row in csv.DictReader(io.StringIO("".join(complete))) if _valid(row)]


def trim_history(history_csv, epochs):
    """Drops the rows of epochs `>= epochs` from a history file, atomically.

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
        write_text(history_csv, "".join(kept))


def _to_csv(rows):
    columns = ["epoch"] + sorted(k for k in rows[0] if k != "epoch")
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _format(row.get(k, "")) for k in columns})
    return out.getvalue()


def _format(value):
    if isinstance(value, float) or hasattr(value, "dtype"):
        return repr(float(value)) if math.isfinite(float(value)) else str(float(value))
    return value


def _valid(row):
    try:
        int(row["epoch"])
        return True
    except (KeyError, TypeError, ValueError):
        return False


def _epoch_of(line):
    try:  # a row cut short by a kill is dropped
        return int(line.split(",", 1)[0]) if line.endswith("\n") else math.inf
    except ValueError:
        return math.inf
