"""`Seq2Seq.generate` on a trained model: search properties and graph use."""

import numpy as np
import pytest
import tensorflow as tf

from keras_s2s import data
from keras_s2s.decoding import BeamSearch, GreedySearch


@pytest.fixture(scope="module")
def setup(trained_reverse):
    model, source_tokenizer, _ = trained_reverse
    sources, _ = data.reverse(40, seed=99)
    return model, source_tokenizer(sources).numpy()


def test_beam_size_one_equals_greedy(setup):
    model, src = setup
    greedy = model.generate(src, GreedySearch(), max_length=14)
    beam = model.generate(src, BeamSearch(beam_size=1, length_penalty=0.0), max_length=14)
    np.testing.assert_array_equal(beam["ids"], greedy["ids"])
    np.testing.assert_allclose(beam["scores"], greedy["scores"], atol=1e-4)
    np.testing.assert_allclose(beam["attention"], greedy["attention"], atol=1e-6)


def test_beam_finds_at_least_the_greedy_log_probability(setup):
    model, src = setup
    greedy = model.generate(src, "greedy", max_length=14)
    beam = model.generate(src, BeamSearch(beam_size=4, length_penalty=0.0), max_length=14)
    assert np.all(beam["scores"].numpy() >= greedy["scores"].numpy() - 1e-4)


def test_batched_equals_one_by_one(setup):
    model, src = setup
    for strategy in (GreedySearch(), BeamSearch(beam_size=3)):
        batched = model.generate(src[:6], strategy, max_length=14)
        for i in range(6):
            length = int(np.sum(src[i] != 0))
            single = model.generate(src[i : i + 1, :length], strategy, max_length=14)
            n = single["ids"].shape[1]
            np.testing.assert_array_equal(batched["ids"][i, :n], single["ids"][0])
            assert np.all(batched["ids"].numpy()[i, n:] == 0)
            np.testing.assert_allclose(batched["scores"][i], single["scores"][0], atol=1e-4)
            np.testing.assert_allclose(
                batched["attention"][i, :n, :length], single["attention"][0], atol=1e-5
            )


def test_attention_rows_are_distributions_until_end(setup):
    model, src = setup
    out = model.generate(src, "beam", max_length=14)
    ids, attention = out["ids"].numpy(), out["attention"].numpy()
    live = (np.cumsum(ids == 3, axis=1) - (ids == 3)) == 0  # up to and including [END]
    sums = attention.sum(-1)
    np.testing.assert_allclose(sums[live], 1.0, atol=1e-5)
    assert np.all(sums[~live] == 0)
    assert np.all(attention[:, :, :][np.broadcast_to((src == 0)[:, None, :], attention.shape)] == 0)


def test_generate_inside_tf_function(setup):
    model, src = setup
    fn = tf.function(lambda x: model.generate(x, "greedy", max_length=14)["ids"])
    np.testing.assert_array_equal(fn(tf.constant(src)), model.generate(src, "greedy", max_length=14)["ids"])


def test_default_max_length_follows_the_source_length(setup):
    model, src = setup
    out = model.generate(src[:2, :5])  # truncated sources: 2 * 5 + 10 tokens at most
    assert out["ids"].shape[1] <= 20


def test_xla_decoding_gives_the_same_tokens(setup):
    model, src = setup
    for strategy in ("greedy", BeamSearch(beam_size=3)):
        plain = model.generate(src[:8], strategy, max_length=14)
        xla = model.generate(src[:8], strategy, max_length=14, jit_compile=True)
        np.testing.assert_array_equal(xla["ids"], plain["ids"])
        np.testing.assert_allclose(xla["scores"], plain["scores"], atol=1e-4)


def test_a_new_sampling_seed_reuses_the_compiled_decode(setup):
    """The seed is an input of the traced function, not part of its cache key."""
    from keras_s2s.decoding import Sampling

    model, src = setup
    model.__dict__.pop("_generate_functions", None)
    outputs = {
        seed: model.generate(src[:8], Sampling(seed=seed), max_length=14)["ids"].numpy() for seed in range(6)
    }
    (function,) = model._generate_functions.values()
    assert function.experimental_get_tracing_count() == 1
    assert len({o.tobytes() for o in outputs.values()}) > 1  # the seed still matters
    # The tensor seed draws exactly what a seed baked into a graph draws.
    baked = tf.function(lambda ids: model.generate(ids, Sampling(seed=4), max_length=14))
    np.testing.assert_array_equal(baked(tf.constant(src[:8]))["ids"], outputs[4])
    again = model.generate(src[:8], Sampling(seed=4), max_length=14)["ids"].numpy()
    np.testing.assert_array_equal(again, outputs[4])


def test_ids_only_decoding_gives_the_same_ids(setup):
    """`return_attention=False`: the same ids and scores, `(B, L, 0)` attention; also traced inside a tf.function."""
    model, src = setup
    traced = tf.function(lambda ids: model.generate(ids, "beam", return_attention=False))
    for strategy in (GreedySearch(), BeamSearch(beam_size=3)):
        full = model.generate(src, strategy, max_length=14)
        out = model.generate(src, strategy, max_length=14, return_attention=False)
        np.testing.assert_array_equal(out["ids"], full["ids"])
        np.testing.assert_allclose(out["scores"], full["scores"], atol=1e-5)
        assert tuple(out["attention"].shape) == tuple(full["attention"].shape[:2]) + (0,)
    in_graph = traced(tf.constant(src))
    np.testing.assert_array_equal(in_graph["ids"], model.generate(src, "beam")["ids"])
    assert in_graph["attention"].shape[-1] == 0


def test_the_compiled_decode_is_traced_without_autograph(setup):
    """Plain `keras.ops` and explicit loops: autograph would only slow tracing (benchmarks/tracing.py)."""
    model, _ = setup
    for strategy in ("greedy", "beam"):
        for return_attention in (True, False):
            assert model._compiled_generate(strategy, return_attention=return_attention)._autograph is False
