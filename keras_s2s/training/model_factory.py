"""The model a run's settings describe: its architecture, compiled with its recipe.

`build_model` makes a `Seq2Seq` or a `Transformer` from `TrainSettings`
and compiles it with Adam (clipnorm 1), the run's label smoothing and its
learning rate, constant or the warmup + inverse-square-root schedule.
Imports models and optimizers; never the CLI.
"""

import contextlib

import keras

from keras_s2s.models import Seq2Seq, Transformer
from keras_s2s.optimizers import InverseSquareRootSchedule
from keras_s2s.training.dtype_policy import global_dtype_policy


def build_model(settings, source_tokenizer, target_tokenizer, strategy):
    """The settings' architecture, compiled with Adam (clipnorm 1) and their recipe.

    With `settings.mixed_precision` the layers are built under Keras'
    `mixed_<dtype>` policy (they keep it; the global policy is restored), so
    `fit` computes in the 16-bit dtype on float32 weights, and a float16 run
    gets Keras' loss scaling. `run_directory.save_model` rebuilds the model
    from its config under the float32 policy: `model.keras` is float32.
    """
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    policy = f"mixed_{settings.mixed_precision}" if settings.mixed_precision else None
    with scope, global_dtype_policy(policy):
        cls = Transformer if settings.architecture == "transformer" else Seq2Seq
        model = cls(source_tokenizer.vocab_size, target_tokenizer.vocab_size, **settings.model)
        optimizer = keras.optimizers.Adam(learning_rate(settings), clipnorm=1.0)
        model.compile(optimizer=optimizer, label_smoothing=settings.label_smoothing)
    return model


def learning_rate(settings):
    """A constant rate, or the warmup + inverse-square-root schedule peaking at it."""
    if settings.warmup_steps is None:
        return settings.learning_rate or 1e-3
    model_dim = settings.model["embedding_dim"]
    scale = 1.0
    if settings.learning_rate:  # the schedule's peak, at step warmup_steps, is the given rate
        scale = settings.learning_rate / (model_dim**-0.5 * settings.warmup_steps**-0.5)
    return InverseSquareRootSchedule(model_dim, warmup_steps=settings.warmup_steps, scale=scale)
