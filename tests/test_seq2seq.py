import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from seq2seq_data import reverse_task

import keras_s2s
from keras_s2s.models import Seq2Seq

SMALL = dict(embedding_dim=32, units=64)


def _train(attention, input_feeding=False, epochs=6, n=4000):
    keras.utils.set_random_seed(0)  # independent of the tests that ran before
    x, y = reverse_task(n, seed=0)
    model = Seq2Seq(20, 20, attention=attention, input_feeding=input_feeding, **SMALL)
    model.compile()
    history = model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
    return model, history


@pytest.mark.parametrize(
    "attention, input_feeding",
    [("additive", False), ("multiplicative", False), ("scaled_dot", False), ("additive", True)],
)
def test_learns_the_reverse_task(attention, input_feeding):
    model, _ = _train(attention, input_feeding)
    x_val, y_val = reverse_task(300, seed=1)
    _, accuracy = model.evaluate(x_val, y_val, verbose=0)
    assert accuracy > 0.95
    # Free-running greedy decoding, not just teacher forcing, gets it right.
    out = model.generate(x_val["source_ids"][:50], max_length=13)
    assert np.mean(np.all(out["ids"].numpy() == y_val[:50, : out["ids"].shape[1]], axis=1)) > 0.8


@pytest.fixture
def without_op_determinism():
    """Keras turns XLA off under op determinism, which conftest.py enables."""
    from tensorflow.python.framework import config

    config.disable_op_determinism()
    yield
    config.enable_op_determinism()


@pytest.mark.slow  # XLA compilation: 69-91 s on 2 cores, the slowest test of `make test`
def test_trains_under_xla(without_op_determinism):
    """`jit_compile=True` (Keras' "auto" on a GPU) trains, to the graph's losses.

    Input feeding's scan once ran in `keras.ops.scan`, whose `tf.while_loop`
    has no `maximum_iterations`: XLA refused its gradient ("XLA compilation
    requires a fixed tensor list size"). (The model without input feeding runs
    Keras' own RNN loop, also under `benchmarks/training.py`'s XLA rows; its
    compilation made a second case cost another minute of `make test`.)
    """
    x, y = reverse_task(256, seed=0)
    losses = []
    for jit_compile in (False, True):
        keras.utils.set_random_seed(0)
        model = Seq2Seq(20, 20, input_feeding=True, embedding_dim=8, units=16)
        model.compile(jit_compile=jit_compile)
        assert model.jit_compile == jit_compile
        history = model.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0)
        losses.append(history.history["loss"])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-3)


def test_no_attention_baseline_trains():
    x, y = reverse_task(2000, seed=0)
    model = Seq2Seq(20, 20, attention=None, **SMALL)
    model.compile()
    model.initialize_output_bias(y)  # what fit does first: the unigram prior
    prior_loss, _ = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    loss, _ = model.evaluate(x, y, verbose=0)
    assert loss < prior_loss - 0.3


def test_default_compile_ignores_padding():
    x, y = reverse_task(8, seed=3)
    model = Seq2Seq(20, 20, **SMALL)
    model.compile()
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    logits = model(x)
    mask = y != 0
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits).numpy()
    loss, accuracy = model.evaluate(x, y, batch_size=8, verbose=0)
    assert loss == pytest.approx(ce[mask].mean(), rel=1e-4)
    predicted = np.argmax(logits, -1)
    assert accuracy == pytest.approx((predicted == y)[mask].mean(), abs=1e-6)


def test_fit_on_tf_data():
    x, y = reverse_task(256, seed=4)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    model = Seq2Seq(20, 20, **SMALL)
    model.compile()
    history = model.fit(dataset, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


@pytest.mark.parametrize(
    "config",
    [
        dict(attention="additive"),
        dict(attention="scaled_dot", cell="lstm", num_layers=2, input_feeding=True),
        dict(attention=None, bidirectional=False),
        dict(attention=keras_s2s.layers.AdditiveAttention(16, normalize=True)),
    ],
    ids=["additive", "scaled_dot_lstm_feeding", "baseline", "layer_instance"],
)
def test_keras_file_round_trip(config, tmp_path):
    x, _ = reverse_task(4, seed=5)
    model = Seq2Seq(20, 21, embedding_dim=8, units=16, **config)
    expected = model(x)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored, Seq2Seq)
    np.testing.assert_array_equal(restored(x), expected)
    np.testing.assert_array_equal(
        restored.generate(x["source_ids"])["ids"], model.generate(x["source_ids"])["ids"]
    )


def test_generate_shapes_and_errors():
    x, _ = reverse_task(3, seed=6)
    model = Seq2Seq(20, 21, embedding_dim=8, units=16)
    out = model.generate(x["source_ids"], max_length=5)
    assert out["ids"].shape[0] == 3 and out["ids"].shape[1] <= 5
    assert out["attention"].shape[::2] == (3, 12) and out["scores"].shape == (3,)
    beams = model.generate(
        x["source_ids"], strategy=keras_s2s.decoding.BeamSearch(3, num_return_sequences=2), max_length=4
    )
    assert beams["ids"].shape[:2] == (3, 2)
    with pytest.raises(ValueError, match="max_length=0"):
        model.generate(x["source_ids"], max_length=0)
    with pytest.raises(ValueError, match="source_ids.dtype=float32"):
        model.generate(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"source_ids.shape=\(3,\)"):
        model.generate(np.zeros((3,), "int32"))
    with pytest.raises(ValueError, match=r"ids in \[0, 20\).*min=2, max=20"):
        model.generate(np.array([[2, 20, 3]]))  # one past the vocabulary
    with pytest.raises(ValueError, match="min=-1"):
        model.generate(np.array([[2, -1, 3]]))
    with pytest.raises(ValueError, match=r"max=4294967303"):  # not wrapped to id 7 by an int32 cast
        model.generate(np.array([[2, 2**32 + 7, 3]], "int64"))
    with pytest.raises(ValueError, match=r"at least one token.*shape=\(2, 0\)"):
        model.generate(np.zeros((2, 0), "int32"))
    with pytest.raises(ValueError, match="max_length=4294967298"):  # not wrapped to 2
        model.generate(x["source_ids"], max_length=2**32 + 2)
    assert model.generate(np.zeros((0, 3), "int32"))["ids"].shape[0] == 0  # an empty batch is fine


def test_builds_and_trains_under_mirrored_strategy():
    script = textwrap.dedent(
        """
        import json, sys
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        sys.path.insert(0, "tests")
        from keras_s2s.models import Seq2Seq
        from seq2seq_data import reverse_task
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        with strategy.scope():
            model = Seq2Seq(20, 20, embedding_dim=8, units=16)
            model.compile()
        x, y = reverse_task(128)
        history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
        print(json.dumps({"replicas": strategy.num_replicas_in_sync, "loss": history.history["loss"]}))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["loss"][1] < report["loss"][0]


def test_compiled_model_reloads_compiled_with_its_optimizer_state(tmp_path):
    x, y = reverse_task(64, seed=8)
    model = Seq2Seq(20, 20, embedding_dim=8, units=16)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-4))
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    assert restored.compiled
    assert float(restored.optimizer.learning_rate) == pytest.approx(5e-4)
    assert int(restored.optimizer.iterations) == int(model.optimizer.iterations)
    loss, accuracy = restored.evaluate(x, y, verbose=0)
    assert [loss, accuracy] == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-5)
