"""Token accuracy that ignores padding."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_s2s")
class MaskedTokenAccuracy(keras.metrics.Mean):
    """Fraction of non-padding target tokens whose argmax prediction is right.

    accuracy = Σ_t [y_t ≠ pad] · [argmax ŷ_t = y_t] / Σ_t [y_t ≠ pad]

    Args:
        pad_id: int, the padding id excluded from the count (default 0).
        name: str, the metric name.

    Call arguments (`update_state`):
        y_true: int `(B, T)`.
        y_pred: logits or probabilities `(B, T, V)`.
    """

    def __init__(self, pad_id=0, name="masked_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.pad_id = pad_id

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")  # (B, T)
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "int32")  # (B, T)
        mask = ops.cast(ops.not_equal(y_true, self.pad_id), "float32")  # (B, T)
        if sample_weight is not None:
            mask = mask * ops.cast(sample_weight, "float32")
        correct = ops.cast(ops.equal(predicted, y_true), "float32")  # (B, T)
        return super().update_state(correct, sample_weight=mask)

    def get_config(self):
        return {**super().get_config(), "pad_id": self.pad_id}
