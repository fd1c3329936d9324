"""GreedySearch driven by hand-made step functions (no model)."""

import math

import numpy as np
import pytest
import tensorflow as tf
from decoding_fakes import (
    END,
    GARDEN_PATH,
    LOOP,
    SHORT,
    START,
    A,
    B,
    C,
    TableStep,
    random_program,
)
from keras.backend import standardize_dtype

from keras_s2s.decoding import GreedySearch, dynamic_decode, get


@pytest.mark.backends
def test_argmax_and_per_row_stop():
    """Each row follows its argmax path and stops at its own [END]."""
    step = TableStep(GARDEN_PATH, SHORT, LOOP)
    state, memory = step.initial([0, 1, 2], width=6)
    out = dynamic_decode(step, state, memory, GreedySearch(), max_length=5)

    np.testing.assert_array_equal(
        np.asarray(out["ids"]),
        [
            [A, C, END, 0, 0],  # 0.5 * 0.8 * 0.8
            [B, END, 0, 0, 0],  # 0.6 * 0.9
            [A, A, A, A, A],  # never ends: cut at max_length
        ],
    )
    np.testing.assert_allclose(
        np.asarray(out["scores"]),
        [
            math.log(0.5 * 0.8 * 0.8),
            math.log(0.6 * 0.9),
            math.log(0.9 * 0.7**4),
        ],
        rtol=1e-5,
    )
    assert (
        standardize_dtype(out["ids"].dtype) == "int32" and standardize_dtype(out["scores"].dtype) == "float32"
    )


def test_attention_rows_zero_after_end():
    """Attention of step t is the step function's; rows after [END] are 0."""
    step = TableStep(GARDEN_PATH, SHORT)
    state, memory = step.initial([0, 1], width=4)
    out = dynamic_decode(step, state, memory, "greedy", max_length=4)
    att = np.asarray(out["attention"])
    assert att.shape == (2, 3, 4)  # L = 3 steps run, S = 4
    # The fake's attention is the history of tokens fed so far.
    np.testing.assert_array_equal(att[0], [[START, 0, 0, 0], [START, A, 0, 0], [START, A, C, 0]])
    np.testing.assert_array_equal(att[1], [[START, 0, 0, 0], [START, B, 0, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize("drops", [True, False], ids=["drops finished rows", "keeps them (JAX, XLA)"])
def test_feeds_previous_token_and_end_after_finishing(drops, monkeypatch):
    monkeypatch.setattr(GreedySearch, "drops_finished_rows", drops)
    step = TableStep(SHORT, LOOP)
    state, memory = step.initial([0, 1], width=4)
    out = dynamic_decode(step, state, memory, GreedySearch(), max_length=3)
    fed = [np.asarray(c[0]).tolist() for c in step.calls]
    # SHORT's row ends at step 1: it leaves the decode, or is fed [END].
    assert fed == [[START, START], [B, A], [A] if drops else [END, A]]
    np.testing.assert_array_equal(np.asarray(out["ids"]), [[B, END, 0], [A, A, A]])


def test_early_stop_when_all_finished():
    step = TableStep(SHORT, GARDEN_PATH)
    state, memory = step.initial([0, 1], width=20)
    out = dynamic_decode(step, state, memory, "greedy", max_length=20)
    assert out["ids"].shape == (2, 3)
    assert len(step.calls) == 3


@pytest.mark.backends
def test_ties_go_to_lowest_id():
    table = np.zeros([1, 7, 7], np.float32)  # uniform logits everywhere
    step = TableStep(table)
    state, memory = step.initial([0], width=2)
    out = dynamic_decode(step, state, memory, "greedy", max_length=2)
    np.testing.assert_array_equal(np.asarray(out["ids"]), [[0, 0]])
    np.testing.assert_allclose(np.asarray(out["scores"]), [2 * -math.log(7)], rtol=1e-6)


def test_in_tf_function_with_unknown_batch():
    step = TableStep(random_program(1), random_program(2))
    eager_state, eager_memory = step.initial([0, 1, 1, 0], width=6)
    expected = dynamic_decode(step, eager_state, eager_memory, "greedy", max_length=6)

    @tf.function(
        input_signature=[
            {"t": tf.TensorSpec([None, 1]), "hist": tf.TensorSpec([None, None])},
            {"program": tf.TensorSpec([None], tf.int32)},
        ]
    )
    def decode(state, memory):
        return dynamic_decode(step, state, memory, "greedy", max_length=6)

    got = decode(eager_state, eager_memory)
    np.testing.assert_array_equal(np.asarray(got["ids"]), np.asarray(expected["ids"]))
    np.testing.assert_allclose(np.asarray(got["scores"]), np.asarray(expected["scores"]))
    np.testing.assert_array_equal(np.asarray(got["attention"]), np.asarray(expected["attention"]))
    state, memory = step.initial([1], width=6)
    assert decode(state, memory)["ids"].shape[0] == 1  # same trace, new B


def test_config_and_get():
    strategy = GreedySearch()
    assert strategy.get_config() == {"min_length": 0}
    assert GreedySearch.from_config({}) == strategy
    assert isinstance(get("greedy"), GreedySearch)
    assert isinstance(get("GreedySearch"), GreedySearch)
    assert isinstance(get(None), GreedySearch)
    assert get(strategy) is strategy


def test_unknown_name_raises():
    with pytest.raises(ValueError, match="Received: strategy=.greedyy."):
        get("greedyy")
    with pytest.raises(ValueError, match="Received: strategy=3"):
        get(3)
    with pytest.raises(ValueError, match="Received: strategy="):
        get({"class_name": "Nucleus", "config": {}})


@pytest.mark.backends
def test_min_length_blocks_end_and_renormalizes():
    # Greedy takes a, c, [END]; with min_length=3 [END] is blocked at steps
    # 0-2 and the rest renormalizes: a (.5 / .9), c (.8 / .9), then c -> b
    # (.2 / .2: ~1), then b -> [END] (.9) once it is allowed.
    step = TableStep(GARDEN_PATH)
    state, memory = step.initial([0], width=6)
    out = dynamic_decode(step, state, memory, GreedySearch(min_length=3), max_length=6)
    assert np.asarray(out["ids"]).tolist() == [[A, C, B, END]]
    np.testing.assert_allclose(
        out["scores"], [math.log(0.5 / 0.9) + math.log(0.8 / 0.9) + math.log(0.9)], rtol=1e-5
    )
    unconstrained = dynamic_decode(step, state, memory, GreedySearch(min_length=0), max_length=6)
    assert np.asarray(unconstrained["ids"]).tolist() == [[A, C, END]]


@pytest.mark.parametrize("value", [-1, 1.5, True, None])
def test_bad_min_length(value):
    with pytest.raises(ValueError, match=f"Received: min_length={value!r}"):
        GreedySearch(min_length=value)
