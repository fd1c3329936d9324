"""Sampling driven by hand-made step functions (no model)."""

import math

import numpy as np
import pytest
import tensorflow as tf
from decoding_fakes import END, START, A, B, TableStep, program, random_program

from keras_s2s.decoding import Sampling, dynamic_decode, get

TABLES = tuple(random_program(seed, steps=5, scale=1.0) for seed in (21, 22))
PROGRAMS = [0, 1] * 16  # 32 rows


def sample(strategy, programs=PROGRAMS, tables=TABLES, max_length=6):
    step = TableStep(*tables)
    state, memory = step.initial(programs, width=max_length)
    return dynamic_decode(step, state, memory, strategy, max_length=max_length)


@pytest.mark.backends
def test_reproducible_by_seed():
    first = sample(Sampling(seed=7))
    again = sample(Sampling(seed=7))
    other = sample(Sampling(seed=8))
    np.testing.assert_array_equal(np.asarray(first["ids"]), np.asarray(again["ids"]))
    np.testing.assert_array_equal(np.asarray(first["scores"]), np.asarray(again["scores"]))
    assert not np.array_equal(np.asarray(first["ids"]), np.asarray(other["ids"]))
    # Rows running the same program draw independently.
    assert len({tuple(r) for r in np.asarray(first["ids"])[0::2]}) > 1


def test_same_draws_in_tf_function():
    expected = sample(Sampling(temperature=0.8, top_k=4, seed=3))
    step = TableStep(*TABLES)
    state, memory = step.initial(PROGRAMS, width=6)
    run = tf.function(
        lambda s, m: dynamic_decode(step, s, m, Sampling(temperature=0.8, top_k=4, seed=3), max_length=6)
    )
    got = run(state, memory)
    np.testing.assert_array_equal(np.asarray(got["ids"]), np.asarray(expected["ids"]))
    np.testing.assert_allclose(np.asarray(got["scores"]), np.asarray(expected["scores"]), rtol=1e-6)


def test_top_k_one_equals_greedy():
    greedy = sample("greedy")
    top1 = sample(Sampling(top_k=1, seed=0))
    np.testing.assert_array_equal(np.asarray(top1["ids"]), np.asarray(greedy["ids"]))
    np.testing.assert_allclose(np.asarray(top1["scores"]), np.asarray(greedy["scores"]), rtol=1e-6)


def test_small_temperature_approaches_greedy():
    greedy = sample("greedy")
    cold = sample(Sampling(temperature=1e-4, seed=1))
    np.testing.assert_array_equal(np.asarray(cold["ids"]), np.asarray(greedy["ids"]))


@pytest.mark.backends
def test_top_k_restricts_support():
    """Every token drawn with top_k=2 is one of the 2 most likely after the
    token fed (the fake is first-order per step)."""
    out = sample(Sampling(top_k=2, seed=5))
    ids = np.asarray(out["ids"])
    for row, prog in zip(ids, PROGRAMS):
        fed = START
        for t, token in enumerate(row):
            if token == 0:
                break
            best2 = np.argsort(-TABLES[prog][min(t, 4), fed])[:2]
            assert token in best2
            fed = token


def test_frequencies_follow_the_softmax_and_scores_are_untempered():
    table = program({START: {A: 0.7, B: 0.3}, A: {END: 1.0}, B: {END: 1.0}})
    out = sample(Sampling(seed=11), programs=[0] * 2000, tables=(table,), max_length=3)
    ids = np.asarray(out["ids"])
    assert ids.shape == (2000, 2)  # every row ends at step 1: early stop
    assert set(ids[:, 1]) == {END}
    assert abs(np.mean(ids[:, 0] == A) - 0.7) < 0.04
    expected = np.where(ids[:, 0] == A, math.log(0.7), math.log(0.3))
    np.testing.assert_allclose(np.asarray(out["scores"]), expected, rtol=1e-5)
    # A temperature changes the draws, not what a score means.
    hot = sample(Sampling(temperature=3.0, seed=11), [0] * 500, (table,), 3)
    expected = np.where(np.asarray(hot["ids"])[:, 0] == A, math.log(0.7), math.log(0.3))
    np.testing.assert_allclose(np.asarray(hot["scores"]), expected, rtol=1e-5)


def test_unseeded_runs():
    out = sample(Sampling())
    assert out["ids"].shape[0] == len(PROGRAMS)


def test_empty_batch():
    out = sample(Sampling(seed=1), programs=[])
    assert out["ids"].shape == (0, 0) and out["scores"].shape == (0,)
    assert out["attention"].shape == (0, 0, 0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"temperature": 0}, "Received: temperature=0"),
        ({"temperature": -1.0}, "Received: temperature=-1.0"),
        ({"temperature": float("inf")}, "Received: temperature=inf"),
        ({"top_k": 0}, "Received: top_k=0"),
        ({"top_k": 1.5}, "Received: top_k=1.5"),
        ({"seed": "x"}, "Received: seed='x'"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Sampling(**kwargs)


def test_config_round_trip():
    strategy = Sampling(temperature=0.5, top_k=10, seed=42)
    config = strategy.get_config()
    assert config == {"temperature": 0.5, "top_k": 10, "top_p": None, "seed": 42, "min_length": 0}
    assert Sampling.from_config(config) == strategy
    assert get({"class_name": "keras_s2s>Sampling", "config": config}) == strategy
    assert get("sampling") == Sampling()


NUCLEUS = program({START: {A: 0.5, B: 0.3, END: 0.15, START: 0.05}, A: {END: 1.0}, B: {END: 1.0}})


@pytest.mark.backends
def test_top_p_keeps_the_smallest_set_reaching_p():
    # Mass ranked above a, b, [END]: 0, 0.5, 0.8: top_p=0.7 keeps {a, b}.
    out = sample(Sampling(top_p=0.7, seed=4), programs=[0] * 64, tables=(NUCLEUS,), max_length=3)
    first = set(np.asarray(out["ids"])[:, 0].tolist())
    assert first == {A, B}
    everything = sample(Sampling(seed=4), programs=[0] * 64, tables=(NUCLEUS,), max_length=3)
    assert END in set(np.asarray(everything["ids"])[:, 0].tolist())  # reachable without top_p


def test_tiny_top_p_is_greedy_and_top_p_one_changes_nothing():
    greedy = sample("greedy")
    np.testing.assert_array_equal(sample(Sampling(top_p=1e-6, seed=2))["ids"], greedy["ids"])
    np.testing.assert_array_equal(sample(Sampling(top_p=1.0, seed=2))["ids"], sample(Sampling(seed=2))["ids"])


def test_top_p_combines_with_top_k_and_temperature():
    # top_k=2 first ({a, b}), then top_p=0.5 of the renormalized {a: .625, b: .375}: {a}.
    out = sample(Sampling(top_k=2, top_p=0.5, temperature=1.0, seed=1), programs=[0] * 32, tables=(NUCLEUS,))
    assert set(np.asarray(out["ids"])[:, 0].tolist()) == {A}
    again = sample(Sampling(top_k=2, top_p=0.5, seed=1), programs=[0] * 32, tables=(NUCLEUS,))
    np.testing.assert_array_equal(out["ids"], again["ids"])


def test_min_length_holds_on_every_sampled_row():
    out = sample(Sampling(seed=3, min_length=3), max_length=8)
    for row in np.asarray(out["ids"]).tolist():
        assert END not in row[:3]


@pytest.mark.parametrize("top_p", [0, 1.5, True, "0.9"])
def test_bad_top_p(top_p):
    with pytest.raises(ValueError, match=f"Received: top_p={top_p!r}"):
        Sampling(top_p=top_p)
