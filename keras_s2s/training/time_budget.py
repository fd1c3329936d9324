"""A callback that stops `fit` after a wall-clock budget (demo, benchmarks)."""

import time

import keras


class TimeBudget(keras.callbacks.Callback):
    """Stops `fit` once `seconds` of wall-clock time have passed.

    Checked after every batch; `steps` counts the batches run. The epoch
    in progress ends normally (Keras runs its epoch end), so this suits
    experiments with a time budget; `keras-s2s train --max-minutes` stops
    at a batch boundary instead and can be resumed exactly.

    Args:
        seconds: float, the budget.
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
