"""MaskedCrossEntropy: Keras' masked sparse cross-entropy, value and gradients, for less work."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from seq2seq_data import reverse_task

from keras_s2s.models import LabelSmoothedCrossEntropy, MaskedCrossEntropy, Seq2Seq, masked_cross_entropy

LOGITS = np.array([[[2.0, 0.0, 1.0], [0.0, 0.0, 0.0]], [[1.0, 3.0, 0.0], [0.5, 0.5, 2.0]]], "float32")
LABELS = np.array([[2, 0], [1, 2]], "int32")  # (B, T); one padding token


def test_hand_computed_value_with_padding_ignored():
    expected = 0.0
    for (b, t), y in np.ndenumerate(LABELS):
        if y:
            z = LOGITS[b, t]
            expected += math.log(sum(math.exp(v) for v in z)) - z[y]
    assert float(MaskedCrossEntropy()(LABELS, LOGITS)) == pytest.approx(expected / 3, rel=1e-6)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none", "mean_with_sample_weight"])
@pytest.mark.parametrize(
    "make",
    [MaskedCrossEntropy, lambda **kwargs: LabelSmoothedCrossEntropy(0.0, **kwargs)],
    ids=["masked", "label_smoothed_0"],
)
def test_value_equals_keras_masked_sparse_loss(make, reduction):
    ours = make(reduction=reduction)
    keras_loss = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=0, reduction=reduction
    )
    weights = np.array([[1.0, 2.0], [0.5, 3.0]], "float32")
    for sample_weight in (None, weights):
        np.testing.assert_allclose(
            ours(LABELS, LOGITS, sample_weight=sample_weight),
            keras_loss(LABELS, LOGITS, sample_weight=sample_weight),
            rtol=1e-6,
        )


def test_gradient_equals_keras_and_padded_logits_get_none():
    rng = np.random.default_rng(0)
    logits = tf.constant(rng.normal(size=(3, 5, 7)).astype("float32"))
    labels = rng.integers(1, 7, (3, 5)).astype("int32")
    labels[1, 3:] = 0
    keras_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)

    @tf.function  # the training step's context: the XLA-compiled core inside a graph
    def value_and_gradient(loss):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            value = loss(labels, logits)
        return value, tape.gradient(value, logits)

    ours, ours_grad = value_and_gradient(MaskedCrossEntropy())
    expected, expected_grad = value_and_gradient(keras_loss)
    assert float(ours) == pytest.approx(float(expected), rel=1e-6)
    np.testing.assert_allclose(ours_grad, expected_grad, atol=1e-7)
    np.testing.assert_array_equal(ours_grad.numpy()[1, 3:], 0.0)


def test_all_padding_gives_zero_and_no_ignore_class_counts_every_token():
    assert float(MaskedCrossEntropy()(np.zeros((2, 2), "int32"), LOGITS)) == 0.0
    plain = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    np.testing.assert_allclose(
        MaskedCrossEntropy(ignore_class=None)(LABELS, LOGITS), plain(LABELS, LOGITS), rtol=1e-6
    )


def test_tensorflow_core_is_xla_compiled():
    core = masked_cross_entropy._xla_sparse_cross_entropy()
    assert core._jit_compile  # what the tf.function was made with
    labels = np.array([[1, 2]], "int32")
    np.testing.assert_allclose(
        masked_cross_entropy.sparse_cross_entropy(labels, LOGITS[:1]),
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels, LOGITS[:1]),
        rtol=1e-6,
    )


def test_bad_ignore_class_and_serialization():
    for bad in ("pad", 1.5, True):
        with pytest.raises(ValueError, match=f"ignore_class={bad!r}"):
            MaskedCrossEntropy(ignore_class=bad)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(MaskedCrossEntropy(5)))
    assert type(clone) is MaskedCrossEntropy and clone.ignore_class == 5


def test_default_compile_trains_and_round_trips(tmp_path):
    x, y = reverse_task(16, seed=1)
    model = Seq2Seq(20, 20, embedding_dim=8, units=8)
    model.compile()
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    logits = np.asarray(model(x))
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_p, y[..., None], -1)[..., 0][y != 0].mean()
    loss, _ = model.evaluate(x, y, batch_size=16, verbose=0)
    assert loss == pytest.approx(expected, rel=1e-4)
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    assert type(restored.loss) is MaskedCrossEntropy
