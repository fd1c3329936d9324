"""What holds on every Keras backend: layers, models, `fit`, `.keras` files, `generate`.

Marked `backends`: `make test` runs this file (and the other tests marked so)
under TensorFlow, JAX and PyTorch. Tiny models, so that each backend's run
stays short; the depth is in the per-module tests, run on TensorFlow.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops
from seq2seq_data import reverse_task

from keras_s2s import data, text
from keras_s2s.decoding import BeamSearch, Sampling
from keras_s2s.layers import AdditiveAttention, MultiplicativeAttention, ScaledDotProductAttention
from keras_s2s.models import Seq2Seq, Transformer

pytestmark = pytest.mark.backends

ATTENTIONS = {
    "additive": lambda: AdditiveAttention(8),
    "general": lambda: MultiplicativeAttention(),
    "dot_scaled": lambda: MultiplicativeAttention(score="dot", scale=True),
    "scaled_dot_2_heads": lambda: ScaledDotProductAttention(num_heads=2, key_dim=4),
}

MODELS = {
    "gru_additive": lambda: Seq2Seq(20, 20, embedding_dim=16, units=16),
    "lstm_luong_input_feeding": lambda: Seq2Seq(
        20, 20, embedding_dim=16, units=16, cell="lstm", attention="multiplicative", input_feeding=True
    ),
    "no_attention": lambda: Seq2Seq(20, 20, embedding_dim=16, units=16, attention=None),
    "transformer": lambda: Transformer(
        20, 20, embedding_dim=16, num_layers=1, num_heads=2, feedforward_dim=32
    ),
}


def _np(x):
    return ops.convert_to_numpy(x)


@pytest.mark.parametrize("name", sorted(ATTENTIONS))
def test_attention_weights_are_a_distribution_over_the_unmasked_keys(name):
    rng = np.random.default_rng(0)
    query = rng.normal(size=(2, 3, 8)).astype("float32")  # (B, T, D)
    value = rng.normal(size=(2, 5, 8)).astype("float32")  # (B, S, D)
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)  # (B, S)
    layer = ATTENTIONS[name]()
    context, weights = layer(query, value, value_mask=mask, return_attention_scores=True)
    weights = _np(weights)  # (B, [H,] T, S)
    assert _np(context).shape == (2, 3, 8) and weights.shape[-2:] == (3, 5)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert np.all(weights[1, ..., 3:] == 0.0)  # masked keys get exactly 0
    clone = type(layer).from_config(layer.get_config())
    clone(query, value, value_mask=mask)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(_np(clone(query, value, value_mask=mask)), _np(context), atol=1e-6)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fit_save_load_and_generate(name, tmp_path):
    keras.utils.set_random_seed(0)
    x, y = reverse_task(64, seed=0)
    model = MODELS[name]()
    model.compile()
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    small = {k: v[:4] for k, v in x.items()}
    np.testing.assert_allclose(_np(loaded(small)), _np(model(small)), atol=1e-6)
    source_ids = x["source_ids"][:3]  # (3, 12)
    greedy = loaded.generate(source_ids, "greedy", max_length=6)
    ids, scores, attention = (_np(greedy[k]) for k in ("ids", "scores", "attention"))
    assert ids.dtype == np.int32 and ids.shape[0] == 3 and ids.shape[1] <= 6
    assert scores.shape == (3,) and attention.shape == (3, ids.shape[1], 12)
    np.testing.assert_array_equal(_np(model.generate(source_ids, "greedy", max_length=6)["ids"]), ids)
    lean = loaded.generate(source_ids, "greedy", max_length=6, return_attention=False)  # no history
    np.testing.assert_array_equal(_np(lean["ids"]), ids)
    assert _np(lean["attention"]).shape == (3, ids.shape[1], 0)
    beam = loaded.generate(source_ids, BeamSearch(beam_size=3, num_return_sequences=2), max_length=6)
    assert _np(beam["ids"]).shape[:2] == (3, 2) and _np(beam["scores"]).shape == (3, 2)
    assert _np(beam["attention"]).shape[:2] == (3, 2) and _np(beam["attention"]).shape[-1] == 12
    empty = loaded.generate(source_ids[:0], "greedy", max_length=6)  # no rows: nothing decoded
    assert _np(empty["ids"]).shape == (0, 0) and _np(empty["attention"]).shape == (0, 0, 12)
    first = _np(loaded.generate(source_ids, Sampling(seed=5), max_length=6)["ids"])
    np.testing.assert_array_equal(
        _np(loaded.generate(source_ids, Sampling(seed=5), max_length=6)["ids"]), first
    )


def test_fit_on_a_tf_data_pipeline_of_tokenizer_ids():
    """tf-text tokenizers on every backend: their ids feed `fit` through `tf.data`."""
    keras.utils.set_random_seed(0)
    sources, targets = data.reverse(96, seed=2)
    source_tokenizer, target_tokenizer = text.WordTokenizer.train(sources), text.WordTokenizer.train(targets)
    src, tgt = np.asarray(source_tokenizer(sources)), np.asarray(target_tokenizer(targets))  # (N, S), (N, T)
    dataset = tf.data.Dataset.from_tensor_slices(({"source_ids": src, "target_ids": tgt[:, :-1]}, tgt[:, 1:]))
    model = Seq2Seq(source_tokenizer.vocab_size, target_tokenizer.vocab_size, embedding_dim=8, units=8)
    model.compile()
    history = model.fit(dataset.batch(32), epochs=2, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2 and np.all(np.isfinite(history.history["loss"]))


def test_a_tiny_model_learns_to_reverse():
    keras.utils.set_random_seed(1)
    x, y = reverse_task(1200, vocab_size=10, min_len=3, max_len=5, seed=0)
    model = Seq2Seq(10, 10, embedding_dim=16, units=32)
    model.compile()
    model.fit(x, y, batch_size=40, epochs=6, verbose=0)
    x_val, y_val = reverse_task(100, vocab_size=10, min_len=3, max_len=5, seed=1)
    out = _np(model.generate(x_val["source_ids"], "greedy", max_length=6)["ids"])  # (100, L)
    width = out.shape[1]
    exact = np.all(out == y_val[:, :width], axis=1) & np.all(y_val[:, width:] == 0, axis=1)
    assert exact.mean() > 0.8, exact.mean()
