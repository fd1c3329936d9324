"""Label-smoothed cross-entropy over logits that ignores padding."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_s2s")
class LabelSmoothedCrossEntropy(keras.losses.Loss):
    """Cross-entropy against smoothed labels, padding ignored.

        q = (1 - ε) · onehot(y) + ε / V
        loss_t = -Σ_k q_k log softmax(z_t)_k
               = (1 - ε) · (-log p(y_t)) + ε · mean_k(-log p(k))

    averaged over the target tokens `y_t ≠ ignore_class` (Szegedy et al.
    2016, "Rethinking the Inception Architecture", §7; used with ε = 0.1 by
    Vaswani et al. 2017, §5.4). `keras.losses.SparseCategoricalCrossentropy`
    takes no `label_smoothing`; this is its smoothed counterpart with the
    `CategoricalCrossentropy(label_smoothing=ε)` convention (ε spread over all
    `V` classes), computed from the logits in float32 without one-hot labels.
    With ε = 0 it equals `SparseCategoricalCrossentropy(from_logits=True,
    ignore_class=ignore_class)`.

    Args:
        label_smoothing: float in `[0, 1)`, ε.
        ignore_class: int or None, the label whose tokens are left out of the
            loss and of the average (padding, 0).
        reduction, name, dtype: as for `keras.losses.Loss`.

    Call arguments:
        y_true: int labels `(B, T)`.
        y_pred: logits `(B, T, V)`.
        sample_weight: optional `(B, T)` or `(B,)` weights.

    Returns:
        The mean loss over the non-ignored tokens (a scalar with the default
        reduction).
    """

    def __init__(
        self,
        label_smoothing=0.1,
        ignore_class=0,
        reduction="sum_over_batch_size",
        name="label_smoothed_cross_entropy",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if (
            isinstance(label_smoothing, bool)
            or not isinstance(label_smoothing, (int, float))
            or not 0.0 <= label_smoothing < 1.0
        ):
            raise ValueError(
                f"`label_smoothing` must be a float in [0, 1). Received: label_smoothing={label_smoothing!r}"
            )
        if ignore_class is not None and (not isinstance(ignore_class, int) or isinstance(ignore_class, bool)):
            raise ValueError(
                f"`ignore_class` must be an int or None. Received: ignore_class={ignore_class!r}"
            )
        self.label_smoothing = float(label_smoothing)
        self.ignore_class = ignore_class

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None:
            return super().__call__(y_true, y_pred, sample_weight=sample_weight)
        # The ignored tokens leave the average as in Keras' masked losses: a
        # 0/1 weight, scaled by tokens / real tokens where the reduction
        # divides by the number of tokens.
        valid = ops.cast(ops.not_equal(ops.cast(y_true, "int32"), self.ignore_class), "float32")  # (B, T)
        if self.reduction in ("sum_over_batch_size", "mean"):
            total = ops.cast(ops.size(valid), "float32")
            valid = valid * ops.divide_no_nan(total, ops.sum(valid))  # (B, T)
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            while len(sample_weight.shape) < len(valid.shape):
                sample_weight = ops.expand_dims(sample_weight, -1)  # (B,) -> (B, 1)
            valid = valid * sample_weight  # (B, T)
        return super().__call__(y_true, y_pred, sample_weight=valid)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")  # (B, T)
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)  # (B, T, V)
        if self.ignore_class is not None:
            y_true = ops.where(ops.equal(y_true, self.ignore_class), 0, y_true)  # a valid index
        picked = ops.take_along_axis(log_probs, ops.expand_dims(y_true, -1), axis=-1)[..., 0]  # (B, T)
        smoothing = ops.mean(log_probs, axis=-1)  # (B, T)
        eps = self.label_smoothing
        return -((1.0 - eps) * picked + eps * smoothing)  # (B, T), weighted in __call__

    def get_config(self):
        base_config = super().get_config()
        config = {"label_smoothing": self.label_smoothing, "ignore_class": self.ignore_class}
        return {**base_config, **config}
