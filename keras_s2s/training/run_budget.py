"""`RunBudget`: stop a run after `max_steps` optimizer steps or `max_minutes`."""

import time

import keras


class BudgetReached(Exception):
    """Raised out of `fit` to stop between two batches (the trainer backs up)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class RunBudget(keras.callbacks.Callback):
    """Ends training once the run made `max_steps` steps or this call ran `max_minutes`.

    Checked after every batch. On an epoch's last batch it lets the epoch
    end normally (validation, history row, backup); elsewhere it raises
    `BudgetReached` so that no partial epoch is logged as a whole one; the
    trainer then backs up the state after that batch, from which
    `--resume` continues exactly.

    Args:
        max_steps: total optimizer steps of the run (None: no limit).
        max_minutes: wall-clock minutes of this call (None: no limit).
    """

    def __init__(self, max_steps=None, max_minutes=None):
        super().__init__()
        self.max_steps = max_steps
        self.max_minutes = max_minutes
        self.reason = None

    def on_train_begin(self, logs=None):
        self.start = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        if not logs:  # a batch a resumed run skipped (already trained)
            return
        reason = self._reached()
        if reason is None:
            return
        self.reason = reason
        steps = (self.params or {}).get("steps")
        if steps and batch + 1 >= steps:
            self.model.stop_training = True  # the epoch ends as usual
        else:
            raise BudgetReached(reason)

    def _reached(self):
        step = int(self.model.optimizer.iterations.numpy())
        if self.max_steps is not None and step >= self.max_steps:
            return f"--max-steps {self.max_steps} reached"
        minutes = (time.monotonic() - self.start) / 60
        if self.max_minutes is not None and minutes >= self.max_minutes:
            return f"--max-minutes {self.max_minutes:g} reached"
        return None
