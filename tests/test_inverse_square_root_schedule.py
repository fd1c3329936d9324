"""InverseSquareRootSchedule: hand-computed rates, config, a compiled model's .keras file."""

import keras
import numpy as np
import pytest
from seq2seq_data import reverse_task

import keras_s2s
from keras_s2s.optimizers import InverseSquareRootSchedule


def test_hand_computed_rates():
    schedule = InverseSquareRootSchedule(model_dim=256, warmup_steps=4000)
    # lr(s) = 256^-0.5 * min(s^-0.5, s * 4000^-1.5), s = iterations + 1.
    assert float(schedule(0)) == pytest.approx(1 / 16 * 1 / 4000**1.5, rel=1e-5)  # 2.4705e-07
    assert float(schedule(3999)) == pytest.approx(1 / 16 / 4000**0.5, rel=1e-5)  # the peak, 9.882e-4
    assert float(schedule(15999)) == pytest.approx(1 / 16 / 16000**0.5, rel=1e-5)  # half the peak
    assert float(schedule(1999)) == pytest.approx(0.5 / 16 / 4000**0.5, rel=1e-5)  # half-way up
    scaled = InverseSquareRootSchedule(64, warmup_steps=100, scale=2.0)
    assert float(scaled(99)) == pytest.approx(2.0 / 8 / 10, rel=1e-5)  # 2 * 64^-0.5 * 100^-0.5
    rates = np.array([float(schedule(s)) for s in range(0, 20000, 500)])
    peak = int(np.argmax(rates))
    assert np.all(np.diff(rates[: peak + 1]) > 0) and np.all(np.diff(rates[peak:]) < 0)


def test_config_round_trip_and_bad_arguments():
    schedule = InverseSquareRootSchedule(128, warmup_steps=10, scale=0.5)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(clone, InverseSquareRootSchedule) and clone.get_config() == schedule.get_config()
    for kwargs, match in (
        (dict(model_dim=0), "model_dim=0"),
        (dict(model_dim=8, warmup_steps=2.5), "warmup_steps=2.5"),
        (dict(model_dim=8, scale=0), "scale=0"),
        (dict(model_dim=8, scale="1"), "scale='1'"),
    ):
        with pytest.raises(ValueError, match=match):
            InverseSquareRootSchedule(**kwargs)


def test_a_model_compiled_with_it_round_trips_through_a_keras_file(tmp_path):
    x, y = reverse_task(64, seed=8)
    model = keras_s2s.models.Transformer(
        20, 20, embedding_dim=8, num_layers=1, num_heads=2, feedforward_dim=8, dropout=0.0
    )
    schedule = InverseSquareRootSchedule(8, warmup_steps=20)
    model.compile(optimizer=keras.optimizers.Adam(schedule, beta_2=0.98, clipnorm=1.0), label_smoothing=0.1)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert float(model.optimizer.learning_rate) == pytest.approx(float(schedule(4)), rel=1e-6)
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    saved_rate = restored.optimizer.get_config()["learning_rate"]
    assert saved_rate["registered_name"] == "keras_s2s>InverseSquareRootSchedule"
    assert saved_rate["config"] == schedule.get_config()
    assert restored.optimizer.clipnorm == 1.0 and int(restored.optimizer.iterations) == 4
    assert float(restored.optimizer.learning_rate) == pytest.approx(float(schedule(4)), rel=1e-6)
    np.testing.assert_array_equal(restored(x), model(x))
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-5)
