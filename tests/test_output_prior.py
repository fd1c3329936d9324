import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from seq2seq_data import reverse_task
from shared_data import MULTI30K, needs_multi30k

from keras_s2s.models import Seq2Seq
from keras_s2s.models.output_prior import target_log_prior


def test_log_prior_is_add_one_smoothed_and_ignores_padding():
    targets = np.array([[4, 4, 5, 3, 0, 0], [4, 3, 0, 0, 0, 0]])
    prior = target_log_prior(targets, vocab_size=6)
    counts = np.array([0, 0, 0, 2, 3, 1]) + 1  # [PAD] not counted
    np.testing.assert_allclose(prior, np.log(counts / counts.sum()), rtol=1e-6)
    dataset = tf.data.Dataset.from_tensor_slices(({"x": targets}, targets)).batch(1)
    np.testing.assert_allclose(target_log_prior(dataset, 6), prior, rtol=1e-6)
    assert target_log_prior(iter([]), 6) is None
    with pytest.raises(ValueError, match="dtype=float"):
        target_log_prior(np.zeros((2, 2)), 6)


def test_first_fit_sets_the_bias_later_fits_do_not():
    x, y = reverse_task(64, seed=1)
    model = Seq2Seq(20, 20, embedding_dim=8, units=8)
    model.compile()
    model.fit(x, y, epochs=1, verbose=0)
    bias = model.decoder.output_layer.bias.numpy()
    assert bias[0] < bias[3] < 0 and math.isclose(np.exp(bias).sum(), 1.0, rel_tol=0.1)
    model.decoder.output_layer.bias.assign(np.zeros(20, "float32"))
    model.fit(x, y, epochs=1, verbose=0)  # trained already: left alone
    assert np.abs(model.decoder.output_layer.bias.numpy()).max() < 0.05


def test_zeros_keeps_the_plain_initialization():
    x, y = reverse_task(32, seed=1)
    model = Seq2Seq(20, 20, embedding_dim=8, units=8, output_bias="zeros")
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    model.fit(x, y, epochs=1, verbose=0)
    assert np.all(model.decoder.output_layer.bias.numpy() == 0)
    with pytest.raises(ValueError, match="output_bias='uniform'"):
        Seq2Seq(20, 20, output_bias="uniform")


@needs_multi30k
def test_real_text_learns_past_the_unigram_plateau():
    """Regression: with zero biases, Multi30k training locked at unigram loss (≈5.2)."""
    from keras_s2s import data, text

    src, tgt = data.multi30k("train", data_dir=str(MULTI30K))
    src, tgt = src[:4000], tgt[:4000]
    src_tok = text.WordTokenizer.train(src, vocab_size=2000, lowercase=True)
    tgt_tok = text.WordTokenizer.train(tgt, vocab_size=2000, lowercase=True)
    dataset = data.make_dataset(src, tgt, src_tok, tgt_tok, batch_size=64, seed=0)
    model = Seq2Seq(src_tok.vocab_size, tgt_tok.vocab_size, embedding_dim=32, units=32)
    model.compile()
    history = model.fit(dataset, epochs=3, verbose=0)
    assert history.history["loss"][-1] < 4.4, history.history["loss"]
