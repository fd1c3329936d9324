"""`NaNGuard`: stop at the first non-finite loss and say where the last good state is."""

import os

import keras
import numpy as np

from keras_s2s.training.run_directory import MODEL_FILE


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
        where = (
            f"epoch {backup['epoch'] + 1}, batch {backup['steps_in_epoch']}"
            if backup["steps_in_epoch"]
            else f"end of epoch {backup['epoch']}"
        )
        kept.append(f"backup/ holds the last good training state ({where}, step {backup['step']})")
    if not kept:
        return "No epoch finished with a finite loss: nothing was kept."
    return "; ".join(kept) + ". Continue with --resume and a lower --learning-rate."
