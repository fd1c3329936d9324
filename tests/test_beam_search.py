"""BeamSearch driven by hand-made step functions (no model)."""

import itertools
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
    V,
    program,
    random_program,
)
from keras import ops

from keras_s2s.decoding import BeamSearch, GreedySearch, dynamic_decode, get


def decode(strategy, programs, tables=(GARDEN_PATH,), max_length=3, width=None):
    step = TableStep(*tables)
    state, memory = step.initial(programs, width=width or max_length)
    return dynamic_decode(step, state, memory, strategy, max_length=max_length), step


@pytest.mark.backends
def test_beam_beats_greedy_on_garden_path():
    greedy, _ = decode(GreedySearch(), [0])
    beam, _ = decode(BeamSearch(beam_size=2, length_penalty=0.0), [0])
    np.testing.assert_array_equal(np.asarray(greedy["ids"]), [[A, C, END]])
    np.testing.assert_allclose(np.asarray(greedy["scores"]), [math.log(0.32)], rtol=1e-5)
    np.testing.assert_array_equal(np.asarray(beam["ids"]), [[B, END, 0]])
    np.testing.assert_allclose(np.asarray(beam["scores"]), [math.log(0.36)], rtol=1e-5)


@pytest.mark.backends
def test_finished_beam_kept_with_frozen_score_and_end_masking():
    """[b, END] finishes at step 1 and survives step 2 unchanged, although the
    table's row after [END] prefers `a` (0.99): it is only padded."""
    out, _ = decode(BeamSearch(2, 0.0, num_return_sequences=2), [0], max_length=10)
    assert out["ids"].shape == (1, 2, 3)  # all beams finished after 3 steps
    np.testing.assert_array_equal(np.asarray(out["ids"]), [[[B, END, 0], [A, C, END]]])
    np.testing.assert_allclose(np.asarray(out["scores"]), [[math.log(0.36), math.log(0.32)]], rtol=1e-5)
    att = np.asarray(out["attention"])  # (1, 2, 3, 10): history of fed tokens
    np.testing.assert_array_equal(att[0, 0, :, :3], [[START, 0, 0], [START, B, 0], [0, 0, 0]])
    np.testing.assert_array_equal(att[0, 1, :, :3], [[START, 0, 0], [START, A, 0], [START, A, C]])


@pytest.mark.backends
@pytest.mark.parametrize(
    "alpha, winner",
    [(0.0, [B, END, 0]), (0.6, [B, END, 0]), (1.0, [A, C, END])],
)
def test_gnmt_length_penalty_changes_winner(alpha, winner):
    """score = log P / ((5 + |Y|) / 6) ** alpha, |Y| counting [END]:
    [b, END]:    log 0.36 / (7/6)^a  ->  -1.0217, -0.9314, -0.8757
    [a, c, END]: log 0.32 / (8/6)^a  ->  -1.1394, -0.9587, -0.8546"""
    out, _ = decode(BeamSearch(2, alpha, num_return_sequences=2), [0])
    short = math.log(0.36) / (7 / 6) ** alpha
    long = math.log(0.32) / (8 / 6) ** alpha
    np.testing.assert_array_equal(np.asarray(out["ids"])[0, 0], winner)
    np.testing.assert_allclose(np.asarray(out["scores"])[0], sorted([short, long], reverse=True), rtol=1e-5)


@pytest.mark.backends
def test_num_return_sequences_sorted_and_distinct():
    out, _ = decode(BeamSearch(3, 0.6, num_return_sequences=3), [0, 1], (GARDEN_PATH, SHORT))
    ids, scores = np.asarray(out["ids"]), np.asarray(out["scores"])
    assert ids.shape[:2] == (2, 3) and scores.shape == (2, 3)
    assert out["attention"].shape[:3] == (2, 3, ids.shape[2])
    assert np.all(np.diff(scores, axis=1) <= 0)  # best first
    for b in range(2):  # step 0 has one live beam: no duplicate hypotheses
        assert len({tuple(row) for row in ids[b]}) == 3


def test_beam_size_one_equals_greedy():
    tables = tuple(random_program(seed) for seed in range(3))
    greedy, _ = decode("greedy", [0, 1, 2, 1], tables, max_length=7)
    for alpha in (0.0, 0.6):
        beam, _ = decode(BeamSearch(1, alpha), [0, 1, 2, 1], tables, max_length=7)
        np.testing.assert_array_equal(np.asarray(beam["ids"]), np.asarray(greedy["ids"]))
        np.testing.assert_array_equal(np.asarray(beam["attention"]), np.asarray(greedy["attention"]))
    beam, _ = decode(BeamSearch(1, 0.0), [0, 1, 2, 1], tables, max_length=7)
    np.testing.assert_allclose(np.asarray(beam["scores"]), np.asarray(greedy["scores"]), rtol=1e-5)


def exhaustive(table, max_length, alpha):
    """All hypotheses of a (T, V, V) log-prob table, best normalized first."""
    log_probs = table - np.log(np.exp(table).sum(-1, keepdims=True))
    hyps = []
    for length in range(1, max_length + 1):
        for ys in itertools.product(range(V), repeat=length):
            if END in ys[:-1] or (length < max_length and ys[-1] != END):
                continue
            fed = (START,) + ys[:-1]
            lp = sum(log_probs[min(t, len(table) - 1), fed[t], y] for t, y in enumerate(ys))
            hyps.append((lp / ((5 + length) / 6) ** alpha, ys))
    return sorted(hyps, reverse=True)


@pytest.mark.parametrize("alpha", [0.0, 0.6])
def test_wide_beam_equals_exhaustive_search(alpha):
    """With K >= V^(max_length-1) no prefix is pruned: the top n are exact."""
    table = random_program(7, scale=1.5)
    out, _ = decode(BeamSearch(V * V, alpha, num_return_sequences=5), [0], (table,), max_length=3)
    expected = exhaustive(table, 3, alpha)[:5]
    for j, (score, ys) in enumerate(expected):
        row = list(ys) + [0] * (3 - len(ys))
        np.testing.assert_array_equal(np.asarray(out["ids"])[0, j], row)
        np.testing.assert_allclose(np.asarray(out["scores"])[0, j], score, rtol=1e-4)


@pytest.mark.backends
def test_state_and_history_follow_parent_beam():
    """The fake's state records the tokens it was fed; returned as attention,
    row t of every hypothesis must read [START] + ids[:t] (until [END])."""
    tables = (random_program(11, steps=6, scale=1.0), random_program(12, steps=6, scale=1.0))
    out, _ = decode(BeamSearch(4, 0.6, 4), [0, 1], tables, max_length=6)
    ids, att = np.asarray(out["ids"]), np.asarray(out["attention"])
    for b, j in itertools.product(range(2), range(4)):
        seq = list(ids[b, j])
        stop = seq.index(END) + 1 if END in seq else len(seq)
        for t in range(len(seq)):
            expected = [START] + seq[:t] if t < stop else []
            expected = expected + [0] * (att.shape[-1] - len(expected))
            np.testing.assert_array_equal(att[b, j, t], expected)


def test_expanding_step_0_takes_each_sentence_k_best_tokens():
    """`step(..., expand_at_first_step=True)` at t = 0: one row per sentence
    in, its K best tokens out as the K beams, all parented by that row."""
    probs = np.array([[0.1, 0.4, 0.2, 0.3], [0.25, 0.25, 0.25, 0.25]], np.float32)
    strategy = BeamSearch(3)
    _, _, num_rows, loop_state = strategy.initialize(2, (), (), expand_at_first_step=True)
    assert num_rows == 6 and tuple(loop_state["log_probs"].shape) == (2,)
    tokens, parents, loop_state = strategy.step(
        tf.constant(0), tf.math.log(probs), tf.zeros([2], tf.bool), loop_state, END, expand_at_first_step=True
    )
    np.testing.assert_array_equal(tokens, [1, 3, 2, 0, 1, 2])  # ties to the lower token
    np.testing.assert_array_equal(parents, [0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(loop_state["log_probs"], np.log([0.4, 0.3, 0.2] + [0.25] * 3), rtol=1e-6)
    np.testing.assert_array_equal(loop_state["lengths"], [1] * 6)
    # From step 1 on it ranks the K beams of each sentence together, as without expanding.
    logits = tf.math.log(tf.tile(probs[:1], [6, 1]))  # (6, V)
    finished = tf.zeros([6], tf.bool)
    expanded = strategy.step(tf.constant(1), logits, finished, loop_state, END, expand_at_first_step=True)
    plain = strategy.step(tf.constant(1), logits, finished, loop_state, END)
    for got, want in zip(tf.nest.flatten(expanded), tf.nest.flatten(plain)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.backends
def test_equal_beams_rank_by_the_lower_token_on_every_backend():
    """Uniform probabilities at step 0: every candidate ties, and the K beams
    are the K lowest tokens in order on TensorFlow, JAX and PyTorch alike."""
    strategy = BeamSearch(4)
    _, _, _, loop_state = strategy.initialize(2, (), ())  # (8,) rows, beam 0 live
    logits = ops.zeros((8, 8))  # (N, V) all equal
    tokens, parents, _ = strategy.step(0, logits, ops.zeros((8,), "bool"), loop_state, END)
    np.testing.assert_array_equal(ops.convert_to_numpy(tokens), [0, 1, 2, 3] * 2)
    np.testing.assert_array_equal(ops.convert_to_numpy(parents), [0] * 4 + [4] * 4)


def test_memory_tiled_once_and_gathered_only_when_a_sentence_leaves():
    # SHORT's sentence is done after step 1, GARDEN_PATH's after step 2
    # ([b, END] beats every live beam); LOOP never ends.
    step = TableStep(GARDEN_PATH, SHORT, LOOP)
    state, memory = step.initial([2, 0, 1], width=6)
    out = dynamic_decode(step, state, memory, BeamSearch(3), max_length=6)
    programs = [np.asarray(call[1]["program"]).tolist() for call in step.calls]
    assert programs == [[2, 2, 2, 0, 0, 0, 1, 1, 1]] * 2 + [[2, 2, 2, 0, 0, 0]] + [[2, 2, 2]] * 3
    memories = [call[1]["program"] for call in step.calls]
    assert memories[1] is memories[0] and memories[4] is memories[3] and memories[5] is memories[3]
    np.testing.assert_array_equal(np.asarray(out["ids"])[1:], [[B, END, 0, 0, 0, 0]] * 2)


def test_in_tf_function_with_unknown_batch():
    tables = (random_program(3), random_program(4))
    expected, step = decode(BeamSearch(3, 0.6, 2), [0, 1, 1], tables, max_length=5)
    state, memory = step.initial([0, 1, 1], width=5)

    @tf.function(
        input_signature=[
            {"t": tf.TensorSpec([None, 1]), "hist": tf.TensorSpec([None, None])},
            {"program": tf.TensorSpec([None], tf.int32)},
        ]
    )
    def run(state, memory):
        return dynamic_decode(step, state, memory, BeamSearch(3, 0.6, 2), max_length=5)

    got = run(state, memory)
    for key in ("ids", "attention"):
        np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(expected[key]))
    np.testing.assert_allclose(np.asarray(got["scores"]), np.asarray(expected["scores"]), rtol=1e-6)


def test_empty_batch():
    out, step = decode(BeamSearch(3, num_return_sequences=2), [], max_length=4)
    assert out["ids"].shape == (0, 2, 0) and out["ids"].dtype == tf.int32
    assert out["scores"].shape == (0, 2)
    assert out["attention"].shape == (0, 2, 0, 0)
    assert step.calls == []
    out, _ = decode(BeamSearch(3), [], max_length=4)
    assert out["ids"].shape == (0, 0) and out["scores"].shape == (0,)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"beam_size": 0}, "Received: beam_size=0"),
        ({"beam_size": 2.5}, "Received: beam_size=2.5"),
        ({"beam_size": 2, "num_return_sequences": 3}, "Received: num_return_sequences=3"),
        ({"num_return_sequences": 0}, "Received: num_return_sequences=0"),
        ({"length_penalty": -1.0}, "Received: length_penalty=-1.0"),
        ({"length_penalty": float("inf")}, "Received: length_penalty=inf"),
        ({"coverage_penalty": float("inf")}, "Received: coverage_penalty=inf"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BeamSearch(**kwargs)


def test_config_round_trip():
    strategy = BeamSearch(5, 1.0, 2)
    config = strategy.get_config()
    assert config == {
        "beam_size": 5,
        "length_penalty": 1.0,
        "num_return_sequences": 2,
        "coverage_penalty": 0.0,
        "min_length": 0,
    }
    assert BeamSearch.from_config(config) == strategy
    assert get({"class_name": "BeamSearch", "config": config}) == strategy
    assert get("beam") == BeamSearch()
    assert get("Beam_Search") == BeamSearch()
    assert get(BeamSearch) == BeamSearch()
    assert get({"name": "beam", "beam_size": 5, "length_penalty": 1.0}) == BeamSearch(5, 1.0)
    import keras

    assert get(keras.saving.serialize_keras_object(strategy)) == strategy
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(strategy)) == strategy


def _coverage_step():
    """First-order table plus an attention row per fed token over S = 2.

    [a, END] (P = 0.55) attends [.5, .5] then [.9, .1]: coverage [1.4, .6];
    [b, END] (P = 0.45) attends [.5, .5] twice: coverage [1, 1].
    """
    table = tf.constant(program({START: {A: 0.55, B: 0.45}, A: {END: 1.0}, B: {END: 1.0}})[0])  # (V, V)
    rows = np.full([V, 2], 0.5, np.float32)
    rows[A] = [0.9, 0.1]
    attention = tf.constant(rows)  # (V, 2)

    def step(token_ids, state, memory):
        return tf.gather(table, token_ids), state + 1.0, tf.gather(attention, token_ids)

    return step


def test_coverage_penalty_prefers_the_hypothesis_that_covers_the_source():
    step = _coverage_step()
    state = tf.zeros([1, 1])
    plain = dynamic_decode(step, state, (), BeamSearch(2, 0.0), max_length=3, attention_size=2)
    assert np.asarray(plain["ids"]).tolist() == [[A, END]]
    np.testing.assert_allclose(plain["scores"], [math.log(0.55)], rtol=1e-5)
    covered = BeamSearch(2, 0.0, num_return_sequences=2, coverage_penalty=1.0)
    out = dynamic_decode(step, state, (), covered, max_length=3, attention_size=2)
    assert np.asarray(out["ids"]).tolist() == [[[B, END], [A, END]]]
    # cp = beta * sum_i log(min(c_i, 1)): 0 for [1, 1], log(0.6) for [1.4, 0.6].
    np.testing.assert_allclose(out["scores"], [[math.log(0.45), math.log(0.55) + math.log(0.6)]], rtol=1e-5)


def test_coverage_penalty_leaves_never_attended_positions_out():
    # The padding column of a (B, S) batch gets exactly 0 weight: no log(0).
    step = _coverage_step()

    def padded(token_ids, state, memory):
        logits, state, attention = step(token_ids, state, memory)
        return logits, state, tf.pad(attention, [[0, 0], [0, 1]])  # (N, 3), last column 0

    out = dynamic_decode(
        padded, tf.zeros([1, 1]), (), BeamSearch(2, 0.0, coverage_penalty=1.0), max_length=3, attention_size=3
    )
    assert np.asarray(out["ids"]).tolist() == [[B, END]]
    np.testing.assert_allclose(out["scores"], [math.log(0.45)], rtol=1e-5)


def test_coverage_penalty_needs_attention_and_its_width():
    step = _coverage_step()
    strategy = BeamSearch(2, coverage_penalty=0.2)
    with pytest.raises(ValueError, match="pass `attention_size`.*Received: attention_size=None"):
        dynamic_decode(step, tf.zeros([1, 1]), (), strategy, max_length=3)

    def no_attention(token_ids, state, memory):
        logits, state, _ = step(token_ids, state, memory)
        return logits, state, None

    with pytest.raises(ValueError, match=r"a decoder without attention\). Received: attention=None"):
        dynamic_decode(no_attention, tf.zeros([1, 1]), (), strategy, max_length=3, attention_size=2)
    with pytest.raises(ValueError, match="Received: coverage_penalty=-0.1"):
        BeamSearch(coverage_penalty=-0.1)


@pytest.mark.parametrize("min_length", [0, 2, 3])
def test_min_length_delays_end(min_length):
    out, _ = decode(BeamSearch(3, 0.0, min_length=min_length), [0], tables=(SHORT,), max_length=6)
    ids = np.asarray(out["ids"])[0].tolist()
    first_end = ids.index(END) if END in ids else len(ids)  # SHORT loops on [UNK] once b, a are used
    assert first_end >= min_length
    if min_length == 0:
        assert ids[:2] == [B, END]  # the unconstrained best


@pytest.mark.parametrize("beam_args", [(3, 0.6, 1), (4, 1.0, 2), (2, 0.0, 1), (3, 0.6, 1, 0.3)], ids=str)
def test_early_stop_returns_what_running_to_the_end_returns(beam_args, monkeypatch):
    # Random time-dependent tables: with the bound check, every token, score
    # and attention row equals the run without it; only the padding is shorter.
    programs = [0, 1, 2, 3, 4, 2, 1]
    step = TableStep(*(random_program(seed, steps=8, scale=2.0) for seed in range(5)))
    state, memory = step.initial(programs, width=12)
    strategy = BeamSearch(*beam_args)
    early = dynamic_decode(step, state, memory, strategy, max_length=12, attention_size=12)

    def all_ended(self, finished, *args):  # no bound check: a sentence ends when all its beams did
        ended = tf.reduce_all(tf.reshape(finished, (-1, self.beam_size)), axis=1)  # (B,)
        return tf.repeat(ended, self.beam_size)  # (N,)

    monkeypatch.setattr(BeamSearch, "rows_done", all_ended)
    full = dynamic_decode(step, state, memory, strategy, max_length=12, attention_size=12)
    length = early["ids"].shape[-1]
    assert length <= full["ids"].shape[-1]
    np.testing.assert_array_equal(early["ids"], full["ids"][..., :length])
    assert not np.asarray(full["ids"])[..., length:].any()
    np.testing.assert_allclose(early["scores"], full["scores"], rtol=1e-6)
    np.testing.assert_allclose(early["attention"], full["attention"][..., :length, :], atol=1e-6)


def test_early_stop_saves_steps_when_a_finished_beam_cannot_be_beaten():
    # SHORT: [b, END] (P = .54) finishes at step 1; the live a-beams fall far
    # below it, so the loop stops long before max_length.
    step = TableStep(SHORT)
    state, memory = step.initial([0], width=20)
    out = dynamic_decode(step, state, memory, BeamSearch(3, 0.6), max_length=20)
    assert np.asarray(out["ids"]).tolist() == [[B, END]]
    assert len(step.calls) <= 3
