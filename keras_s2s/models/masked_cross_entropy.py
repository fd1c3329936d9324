"""Cross-entropy over logits that ignores padding without touching the padded logits."""

import functools

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_s2s")
class MaskedCrossEntropy(keras.losses.Loss):
    """Sparse cross-entropy from logits, the tokens labelled `ignore_class` left out.

        loss_t = log Σ_k exp(z_tk) − z_t,y_t
        loss = Σ_t [y_t ≠ pad] · loss_t / Σ_t [y_t ≠ pad]

    The same value and gradients as `keras.losses.SparseCategoricalCrossentropy(
    from_logits=True, ignore_class=pad)`, for less work: Keras' masked form
    first zeroes the logits of the ignored tokens with a `where` over the
    whole `(B, T, V)` tensor (and its gradient with another); here only the
    `(B, T)` labels and weights are masked. On TensorFlow the per-token
    cross-entropy is one XLA-compiled function (forward and gradient, one
    compilation per batch shape): TensorFlow's own
    `sparse_softmax_cross_entropy_with_logits` kernel is about 2x slower on
    a CPU for a 4,000-word vocabulary (forward + gradient at 2048 tokens:
    30 ms against 15; docs/benchmarks.md). Elsewhere
    `keras.ops.sparse_categorical_crossentropy`.

    Args:
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
        self, ignore_class=0, reduction="sum_over_batch_size", name="masked_cross_entropy", dtype=None
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if ignore_class is not None and (not isinstance(ignore_class, int) or isinstance(ignore_class, bool)):
            raise ValueError(
                f"`ignore_class` must be an int or None. Received: ignore_class={ignore_class!r}"
            )
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
        labels = self._valid_labels(y_true)  # (B, T)
        return sparse_cross_entropy(labels, ops.cast(y_pred, "float32"))  # (B, T), weighted in __call__

    def _valid_labels(self, y_true):
        """int32 labels with the ignored ones replaced by 0, a valid index (weighted 0 in `__call__`)."""
        y_true = ops.cast(y_true, "int32")  # (B, T)
        if self.ignore_class is None:
            return y_true
        return ops.where(ops.equal(y_true, self.ignore_class), 0, y_true)

    def get_config(self):
        base_config = super().get_config()
        config = {"ignore_class": self.ignore_class}
        return {**base_config, **config}


def sparse_cross_entropy(labels, logits):
    """`log Σ_k exp(z_k) − z_y` per token: labels `(...)` int32, logits `(..., V)` float32."""
    if keras.backend.backend() == "tensorflow":
        return _xla_sparse_cross_entropy()(labels, logits)
    return ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)


@functools.cache
def _xla_sparse_cross_entropy():
    import tensorflow as tf

    @tf.function(jit_compile=True, reduce_retracing=True, autograph=False)
    def cross_entropy(labels, logits):
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)

    return cross_entropy
