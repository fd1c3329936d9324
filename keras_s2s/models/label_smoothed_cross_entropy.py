"""Label-smoothed cross-entropy over logits that ignores padding."""

import keras
from keras import ops

from keras_s2s.models.masked_cross_entropy import MaskedCrossEntropy


@keras.saving.register_keras_serializable(package="keras_s2s")
class LabelSmoothedCrossEntropy(MaskedCrossEntropy):
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
    With ε = 0 it equals `MaskedCrossEntropy` and
    `SparseCategoricalCrossentropy(from_logits=True, ignore_class=ignore_class)`.

    Args:
        label_smoothing: float in `[0, 1)`, ε.
        ignore_class: int or None, the label whose tokens are left out of the
            loss and of the average (padding, 0).
        reduction, name, dtype: as for `keras.losses.Loss`.

    Call arguments and returns: as `MaskedCrossEntropy` (its subclass, with
    the same masking and averaging).
    """

    def __init__(
        self,
        label_smoothing=0.1,
        ignore_class=0,
        reduction="sum_over_batch_size",
        name="label_smoothed_cross_entropy",
        dtype=None,
    ):
        super().__init__(ignore_class=ignore_class, reduction=reduction, name=name, dtype=dtype)
        if (
            isinstance(label_smoothing, bool)
            or not isinstance(label_smoothing, (int, float))
            or not 0.0 <= label_smoothing < 1.0
        ):
            raise ValueError(
                f"`label_smoothing` must be a float in [0, 1). Received: label_smoothing={label_smoothing!r}"
            )
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        y_true = self._valid_labels(y_true)  # (B, T)
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)  # (B, T, V)
        picked = ops.take_along_axis(log_probs, ops.expand_dims(y_true, -1), axis=-1)[..., 0]  # (B, T)
        smoothing = ops.mean(log_probs, axis=-1)  # (B, T)
        eps = self.label_smoothing
        return -((1.0 - eps) * picked + eps * smoothing)  # (B, T), weighted in __call__

    def get_config(self):
        base_config = super().get_config()
        config = {"label_smoothing": self.label_smoothing}
        return {**base_config, **config}
