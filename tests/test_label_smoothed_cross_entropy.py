"""LabelSmoothedCrossEntropy and `compile(label_smoothing=...)` for both models."""

import math

import keras
import numpy as np
import pytest
from seq2seq_data import reverse_task

import keras_s2s  # noqa: F401  (registers the serializables)
from keras_s2s.models import LabelSmoothedCrossEntropy, MaskedCrossEntropy, Seq2Seq, Transformer

LOGITS = np.array([[[2.0, 0.0, 1.0], [0.0, 0.0, 0.0]], [[1.0, 3.0, 0.0], [0.5, 0.5, 2.0]]], "float32")
LABELS = np.array([[2, 0], [1, 2]], "int32")  # (B, T); one padding token


def _hand_loss(eps):
    """Mean over the 3 real tokens of -Σ_k q_k log p_k, q = (1-ε) onehot + ε/3."""
    total = 0.0
    for (b, t), y in np.ndenumerate(LABELS):
        if y == 0:
            continue
        z = LOGITS[b, t]
        log_p = z - math.log(sum(math.exp(v) for v in z))
        total += -sum(((1 - eps) * (k == y) + eps / 3) * log_p[k] for k in range(3))
    return total / 3


def test_hand_computed_value_with_padding_ignored():
    assert float(LabelSmoothedCrossEntropy(0.1)(LABELS, LOGITS)) == pytest.approx(_hand_loss(0.1), rel=1e-6)
    # A worked number: token (0,0): log p = z - log(e^2 + 1 + e) = [-0.4076, -2.4076, -1.4076];
    # loss = 0.9 * 1.4076 + 0.1 * mean(0.4076, 2.4076, 1.4076) = 1.40761.
    one = LabelSmoothedCrossEntropy(0.1)(LABELS[:1, :1], LOGITS[:1, :1])
    assert float(one) == pytest.approx(1.40761, abs=1e-4)


# With ε = 0 it equals Keras' masked sparse loss: tests/test_masked_cross_entropy.py.


def test_all_padding_gives_zero_not_nan_and_no_ignore_class_counts_it():
    assert float(LabelSmoothedCrossEntropy(0.1)(np.zeros((2, 2), "int32"), LOGITS)) == 0.0
    plain = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    np.testing.assert_allclose(
        LabelSmoothedCrossEntropy(0.0, ignore_class=None)(LABELS, LOGITS), plain(LABELS, LOGITS), rtol=1e-6
    )


def test_bad_arguments_and_serialization():
    for bad in (1.0, -0.1, "0.1", True):
        with pytest.raises(ValueError, match=f"label_smoothing={bad!r}"):
            LabelSmoothedCrossEntropy(bad)
    with pytest.raises(ValueError, match="ignore_class='pad'"):
        LabelSmoothedCrossEntropy(0.1, ignore_class="pad")
    loss = LabelSmoothedCrossEntropy(0.2, ignore_class=5)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert (clone.label_smoothing, clone.ignore_class) == (0.2, 5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Seq2Seq(20, 20, embedding_dim=8, units=8),
        lambda: Transformer(20, 20, embedding_dim=8, num_layers=1, num_heads=2, feedforward_dim=8),
    ],
    ids=["seq2seq", "transformer"],
)
def test_compile_label_smoothing_for_both_models(make, tmp_path):
    x, y = reverse_task(8, seed=3)
    model = make()
    model.compile(label_smoothing=0.1)
    assert isinstance(model.loss, LabelSmoothedCrossEntropy) and model.loss.ignore_class == 0
    logits = np.asarray(model(x))  # (B, T, V)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_p, y[..., None], -1)[..., 0]
    expected = -(0.9 * picked + 0.1 * log_p.mean(-1))[y != 0].mean()
    loss, _ = model.evaluate(x, y, batch_size=8, verbose=0)
    assert loss == pytest.approx(expected, rel=1e-4)
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(restored.loss, LabelSmoothedCrossEntropy) and restored.loss.label_smoothing == 0.1
    model.compile()  # 0 keeps the plain masked cross-entropy
    assert type(model.loss) is MaskedCrossEntropy and model.loss.ignore_class == 0
    with pytest.raises(ValueError, match="label_smoothing=1.5"):
        model.compile(label_smoothing=1.5)
    with pytest.raises(ValueError, match="label_smoothing=0.1, loss='mse'"):
        model.compile(loss="mse", label_smoothing=0.1)
