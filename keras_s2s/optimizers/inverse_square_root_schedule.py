"""The Transformer's learning rate: linear warmup, then inverse square root decay."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_s2s")
class InverseSquareRootSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup followed by inverse-square-root decay.

        lr(s) = scale · model_dim^-0.5 · min(s^-0.5, s · warmup_steps^-1.5)

    with `s = optimizer.iterations + 1`, so the first update already has a
    non-zero rate (Vaswani et al., "Attention Is All You Need", NeurIPS 2017,
    eq. 3, where `scale = 1`). The rate rises linearly for `warmup_steps`
    updates to its peak `scale · (model_dim · warmup_steps)^-0.5` and then
    decays as `s^-0.5`. For `model_dim=256, warmup_steps=4000` the peak is
    about 9.9e-4.

    Args:
        model_dim: int, the Transformer's depth `d_model`
            (`embedding_dim`).
        warmup_steps: int, the updates until the peak.
        scale: positive number multiplying the whole curve.

    Example:
    ```python
    schedule = keras_s2s.optimizers.InverseSquareRootSchedule(256, warmup_steps=4000)
    optimizer = keras.optimizers.Adam(schedule, beta_2=0.98, epsilon=1e-9, clipnorm=1.0)
    model.compile(optimizer=optimizer, label_smoothing=0.1)
    ```
    """

    def __init__(self, model_dim, warmup_steps=4000, scale=1.0, name="inverse_square_root"):
        super().__init__()
        for arg, value in (("model_dim", model_dim), ("warmup_steps", warmup_steps)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"`{arg}` must be a positive int. Received: {arg}={value!r}")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise ValueError(f"`scale` must be a positive number. Received: scale={scale!r}")
        self.model_dim = model_dim
        self.warmup_steps = warmup_steps
        self.scale = float(scale)
        self.name = name

    def __call__(self, step):
        s = ops.cast(step, "float32") + 1.0  # the first update is s = 1
        decay = ops.rsqrt(s)  # s^-0.5
        warmup = s * float(self.warmup_steps) ** -1.5
        return self.scale * float(self.model_dim) ** -0.5 * ops.minimum(decay, warmup)

    def get_config(self):
        return {
            "model_dim": self.model_dim,
            "warmup_steps": self.warmup_steps,
            "scale": self.scale,
            "name": self.name,
        }
