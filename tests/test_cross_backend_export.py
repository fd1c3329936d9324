"""Train on JAX or PyTorch, serve from TensorFlow: the `.keras` file exports unchanged.

A subprocess trains with `KERAS_BACKEND=jax` or `torch` (tests/backend_worker.py)
and decodes there; this TensorFlow process loads its `.keras` file, exports a
SavedModel (and, greedy, a LiteRT model) through the Translator, and they give
the tokens `generate` gave on the training backend. JAX trains the Transformer
(seconds), PyTorch the RNN (its eager `fit` is the slowest here).
"""

import importlib.util
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from backend_marks import tensorflow_only

import keras_s2s
from keras_s2s.decoding import BeamSearch
from keras_s2s.training import run_directory

WORKER = pathlib.Path(__file__).with_name("backend_worker.py")
STRATEGIES = {"greedy": "greedy", "beam": BeamSearch(beam_size=3, length_penalty=0.6)}

pytestmark = tensorflow_only  # this process exports; the subprocess trains elsewhere


@pytest.fixture(scope="module", params=[("jax", "transformer"), ("torch", "rnn")], ids=str)
def trained_elsewhere(request, tmp_path_factory):
    backend, arch = request.param
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (the [test] extra installs it)")
    out = tmp_path_factory.mktemp(f"{backend}_{arch}")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    run = subprocess.run(
        [sys.executable, str(WORKER), arch, str(out)], env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-3000:]
    decoded = dict(np.load(out / "decoded.npz"))
    assert str(decoded["backend"]) == backend
    model = run_directory.load_model(str(out / "model.keras"))
    return model, run_directory.load_tokenizers(str(out)), decoded, out


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_saved_model_and_litert_give_the_training_backends_tokens(trained_elsewhere, name, tmp_path):
    model, tokenizers, decoded, _ = trained_elsewhere
    translator = keras_s2s.Translator(model, *tokenizers, strategy=STRATEGIES[name])
    source_ids = decoded["source_ids"]  # (B, S)
    want = decoded[f"{name}_ids"]
    assert np.mean(want[:, 0] > 3) > 0.5  # it learned something: most rows start with a word
    serving = tf.saved_model.load(translator.export_saved_model(tmp_path / "saved" / "1"))
    got = serving.signatures["translate_ids"](source_ids=tf.constant(source_ids))
    np.testing.assert_array_equal(got["target_ids"].numpy(), want)
    np.testing.assert_allclose(got["score"].numpy(), decoded[f"{name}_scores"], atol=1e-4)
    if name == "greedy":  # (LiteRT == SavedModel for beam search: tests/test_litert_exporter.py)
        lite = Interpreter(model_path=translator.export_litert(tmp_path / "model.tflite"))
        runner = lite.get_signature_runner("translate_ids")
        np.testing.assert_array_equal(runner(source_ids=source_ids)["target_ids"], want)
    # ... and so does generate, now on TensorFlow.
    np.testing.assert_array_equal(model.generate(source_ids, STRATEGIES[name])["ids"].numpy(), want)
