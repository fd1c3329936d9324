"""dynamic_decode: the loop contract, graph modes, SavedModel and LiteRT."""

import numpy as np
import pytest
import tensorflow as tf
from decoding_fakes import END, GARDEN_PATH, LOOP, SHORT, START, A, B, C, TableStep, random_program, tiny_rnn

from keras_s2s.decoding import (
    BeamSearch,
    DecodingStrategy,
    GreedySearch,
    Sampling,
    dynamic_decode,
)
from keras_s2s.decoding import get as keras_s2s_get

H = 5  # hidden size of the tiny RNN


def rnn_inputs(batch=3, source=4, seed=1):
    rng = np.random.default_rng(seed)
    keys = rng.normal(size=(batch, source, H)).astype(np.float32)
    lengths = rng.integers(1, source + 1, size=batch)
    mask = np.arange(source)[None, :] < lengths[:, None]
    h0 = rng.normal(size=(batch, H)).astype(np.float32)
    return keys, mask, h0


def rnn_decoder(strategy, known_width=False, sentence_memory=False):
    """A tf.function decode: unknown batch, source length and max_length.

    `known_width`: pass `attention_size` (the source length), as
    `Seq2Seq.generate` and the exporters do. `sentence_memory`: the step
    reads one memory row per sentence (`dynamic_decode(sentence_memory=True)`).
    """
    step_fn = tiny_rnn(sentence_memory=sentence_memory)

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, H], tf.float32, name="keys"),
            tf.TensorSpec([None, None], tf.bool, name="mask"),
            tf.TensorSpec([None, H], tf.float32, name="h0"),
            tf.TensorSpec([], tf.int32, name="max_length"),
        ]
    )
    def decode(keys, mask, h0, max_length):
        t0 = tf.zeros([tf.shape(h0)[0], 1])
        memory = {"keys": keys, "mask": mask}
        width = tf.shape(keys)[1] if known_width else None
        return dynamic_decode(
            step_fn,
            (h0, t0),
            memory,
            strategy,
            max_length=max_length,
            attention_size=width,
            sentence_memory=sentence_memory,
        )

    return decode


def test_output_contract_and_early_stop():
    step = TableStep(GARDEN_PATH, SHORT)
    state, memory = step.initial([0, 1], width=5)
    out = dynamic_decode(step, state, memory, "greedy", max_length=8)
    assert set(out) == {"ids", "scores", "attention"}
    assert out["ids"].shape == (2, 3) and out["ids"].dtype == tf.int32  # L = 3 < 8
    assert out["scores"].shape == (2,) and out["scores"].dtype == tf.float32
    assert out["attention"].shape == (2, 3, 5) and out["attention"].dtype == tf.float32
    np.testing.assert_array_equal(np.asarray(out["ids"]), [[A, C, END], [B, END, 0]])


def test_max_length_caps_the_steps():
    step = TableStep(LOOP)
    state, memory = step.initial([0, 0], width=4)
    out = dynamic_decode(step, state, memory, GreedySearch(), max_length=4)
    np.testing.assert_array_equal(np.asarray(out["ids"]), [[A] * 4] * 2)
    assert len(step.calls) == 4


@pytest.mark.parametrize("max_length", [None, 0, -2, 2.5, "3", tf.constant(0)])
def test_bad_max_length(max_length):
    step = TableStep(SHORT)
    state, memory = step.initial([0], width=3)
    with pytest.raises(ValueError, match="Received: max_length="):
        dynamic_decode(step, state, memory, "greedy", max_length=max_length)


def test_unknown_strategy():
    step = TableStep(SHORT)
    state, memory = step.initial([0], width=3)
    with pytest.raises(ValueError, match="Received: strategy='beem'"):
        dynamic_decode(step, state, memory, "beem", max_length=3)


def test_dynamic_max_length_in_tf_function():
    decode = rnn_decoder(GreedySearch())
    keys, mask, h0 = rnn_inputs()
    full = decode(keys, mask, h0, tf.constant(6))
    cut = decode(keys, mask, h0, tf.constant(2))
    assert cut["ids"].shape[1] == min(2, full["ids"].shape[1])
    np.testing.assert_array_equal(np.asarray(cut["ids"]), np.asarray(full["ids"])[:, :2])
    empty = decode(keys, mask, h0, tf.constant(0))  # dynamic 0: nothing runs
    assert empty["ids"].shape == (3, 0) and empty["attention"].shape == (3, 0, 0)


@pytest.mark.parametrize("strategy", ["greedy", Sampling(seed=1)])
def test_empty_batch(strategy):
    step = TableStep(SHORT)
    state, memory = step.initial([], width=3)
    out = dynamic_decode(step, state, memory, strategy, max_length=3)
    assert out["ids"].shape == (0, 0) and out["ids"].dtype == tf.int32
    assert out["scores"].shape == (0,) and out["attention"].shape == (0, 0, 0)
    assert step.calls == []


def test_nested_state_no_attention_and_explicit_batch_size():
    """Any state nesting works (a step may return lists for tuples); a step
    without attention gives (B, L, 0); memory may be empty given batch_size."""

    def step_fn(token_ids, state, memory):
        (h,), count = state
        logits = tf.one_hot(tf.fill(tf.shape(token_ids), END), 7) * 5.0  # (N, V)
        return logits, [[h + 1.0], count + 1.0], None

    state = ((tf.zeros([2, 3]),), tf.zeros([2]))
    out = dynamic_decode(step_fn, state, (), "beam", batch_size=2, max_length=4)
    # The best beam ends at once; the others stay live but cannot beat it
    # (BeamSearch.rows_done), so the loop stops after one step.
    np.testing.assert_array_equal(np.asarray(out["ids"]), [[END], [END]])
    assert out["attention"].shape == (2, 1, 0)
    with pytest.raises(ValueError, match="Received: batch_size=None"):
        dynamic_decode(step_fn, (), (), "greedy", max_length=4)


@pytest.mark.parametrize(
    "strategy", [GreedySearch(), BeamSearch(3, 0.6), BeamSearch(3, 0.6, 2, 0.3)], ids=str
)
@pytest.mark.parametrize("in_graph", [False, True], ids=["eager", "tf.function"])
def test_finished_sentences_leave_the_decode_and_nothing_changes(strategy, in_graph, monkeypatch):
    """Rows of a done sentence stop costing steps; ids, scores and attention
    equal those of a decode that keeps every row to the end."""
    hand = [np.repeat(table, 8, axis=0) for table in (GARDEN_PATH, SHORT, LOOP)]  # (8, V, V) each
    tables = hand + [random_program(seed, steps=8, scale=2.0) for seed in range(3)]
    programs = [0, 3, 1, 4, 2, 5, 1]
    rows_per_call = {}

    def run(drops):
        monkeypatch.setattr(type(strategy), "drops_finished_rows", drops)
        step = TableStep(*tables)
        state, memory = step.initial(programs, width=10)
        decode = lambda s, m: dynamic_decode(step, s, m, strategy, max_length=10, attention_size=10)  # noqa: E731
        out = (tf.function(decode) if in_graph else decode)(state, memory)
        rows_per_call[drops] = [call[0].shape[0] for call in step.calls]  # None when traced
        return out

    kept, dropped = run(False), run(True)
    for key in ("ids", "scores", "attention"):
        np.testing.assert_array_equal(np.asarray(dropped[key]), np.asarray(kept[key]), err_msg=key)
    if not in_graph:  # eager: one call per step, with the rows still decoding
        rows = rows_per_call[True]
        assert rows[0] == len(programs) * getattr(strategy, "beam_size", 1)
        assert rows == sorted(rows, reverse=True) and rows[-1] < rows[0]
        assert len(set(rows_per_call[False])) == 1


def test_float16_logits_and_state():
    step = TableStep(GARDEN_PATH)
    state, memory = step.initial([0], width=3)

    def half(*args):  # a mixed-precision step: float16 logits and state
        logits, state, attention = step(*args)
        state = tf.nest.map_structure(lambda x: tf.cast(x, tf.float16), state)
        return tf.cast(logits, tf.float16), state, attention

    run = tf.function(lambda s, m: dynamic_decode(half, s, m, BeamSearch(2, 0.0), max_length=3))
    out = run(state, memory)  # graph mode: the loop checks dtypes
    np.testing.assert_array_equal(np.asarray(out["ids"]), [[B, END, 0]])
    assert out["scores"].dtype == tf.float32


def test_custom_strategy_hooks():
    """A strategy implements only `step`: the loop does the rest."""

    class Second(DecodingStrategy):
        def step(self, t, logits, finished, loop_state, end_id):
            ranked = tf.math.top_k(logits, k=2).indices[:, 1]  # runner-up token
            return tf.where(t >= 2, end_id, ranked), None, loop_state

    step = TableStep(GARDEN_PATH)
    state, memory = step.initial([0], width=4)
    out = dynamic_decode(step, state, memory, Second(), max_length=5)
    np.testing.assert_array_equal(np.asarray(out["ids"]), [[B, A, END]])
    np.testing.assert_array_equal(np.asarray(out["scores"]), [0.0])


def test_saved_model_round_trip(tmp_path):
    module = tf.Module()
    module.greedy = rnn_decoder(GreedySearch())
    module.beam = rnn_decoder(BeamSearch(3, 0.6, num_return_sequences=2))
    keys, mask, h0 = rnn_inputs()
    expected = {name: getattr(module, name)(keys, mask, h0, 8) for name in ("greedy", "beam")}
    tf.saved_model.save(module, str(tmp_path / "decode"))
    loaded = tf.saved_model.load(str(tmp_path / "decode"))
    for name, want in expected.items():
        got = getattr(loaded, name)(keys, mask, h0, tf.constant(8))
        np.testing.assert_array_equal(np.asarray(got["ids"]), np.asarray(want["ids"]))
        np.testing.assert_allclose(np.asarray(got["scores"]), np.asarray(want["scores"]))


@pytest.mark.parametrize("strategy", [GreedySearch(), BeamSearch(3, 0.6), BeamSearch(3, 1.0, 2)], ids=str)
@pytest.mark.parametrize("known_width", [False, True], ids=["grown", "attention_size"])
def test_litert_builtins_only_same_ids(strategy, known_width):
    """Converts with TFLITE_BUILTINS only (no Flex/custom ops) and runs in the
    LiteRT interpreter: ids equal the TF ones, for two batch sizes, with the
    dynamic L (rows finish before max_length)."""
    from ai_edge_litert.interpreter import Interpreter

    decode = rnn_decoder(strategy, known_width)
    module = tf.Module()
    module.decode = decode
    converter = tf.lite.TFLiteConverter.from_concrete_functions([decode.get_concrete_function()], module)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    runner = Interpreter(model_content=converter.convert()).get_signature_runner()
    for batch, source in ((3, 4), (2, 6)):
        keys, mask, h0 = rnn_inputs(batch, source, seed=batch)
        want = decode(keys, mask, h0, tf.constant(10))
        got = runner(keys=keys, mask=mask, h0=h0, max_length=np.array(10, np.int32))
        assert want["ids"].shape[-1] < 10  # the loop stopped early
        np.testing.assert_array_equal(got["ids"], np.asarray(want["ids"]))
        np.testing.assert_allclose(got["scores"], np.asarray(want["scores"]), atol=1e-5)
        np.testing.assert_allclose(got["attention"], np.asarray(want["attention"]), atol=1e-5)


@pytest.mark.backends
@pytest.mark.parametrize("strategy", ["greedy", BeamSearch(3, 0.6, 3), Sampling(seed=4)], ids=str)
def test_padding_invariants_on_random_tables(strategy):
    """Whatever the strategy: ids are 0 after the first [END], attention
    rows are 0 after it, L <= max_length, and L < max_length only if every
    hypothesis ended; scores are finite."""
    from decoding_fakes import random_program

    step = TableStep(*(random_program(seed, scale=1.0) for seed in range(4)))
    state, memory = step.initial([0, 1, 2, 3, 0, 1], width=12)
    out = dynamic_decode(step, state, memory, strategy, max_length=12)
    ids = np.asarray(out["ids"]).reshape(-1, out["ids"].shape[-1])
    att = np.asarray(out["attention"]).reshape(ids.shape + (12,))
    assert ids.shape[1] <= 12
    assert np.all(np.isfinite(np.asarray(out["scores"])))
    for row, rows_att in zip(ids, att):
        ended = np.flatnonzero(row == END)
        if ids.shape[1] < 12:
            assert ended.size > 0
        if ended.size:
            assert np.all(row[ended[0] + 1 :] == 0)
            assert np.all(rows_att[ended[0] + 1 :] == 0)
            assert np.all(rows_att[: ended[0] + 1, 0] == START)


class FullReorderBeamSearch(BeamSearch):
    """BeamSearch on the generic path: every history reordered at every step."""

    reorders_rows = False  # subclassing registers nothing: "beam" stays BeamSearch


@pytest.mark.parametrize("known_width", [False, True])
@pytest.mark.parametrize("beam", [(1, 0.0, 1), (3, 0.6, 1), (4, 1.0, 3)], ids=str)
def test_beam_attention_fast_path_is_exact(beam, known_width):
    """`reorders_rows=True` (row sources gathered once at the end) gives
    bit-identical ids, scores and attention to reordering the whole
    attention history at every step, in eager mode and in a tf.function."""
    from decoding_fakes import random_program

    step = TableStep(*(random_program(seed, steps=6, scale=2.0) for seed in range(5)))
    state, memory = step.initial([0, 1, 2, 3, 4, 2, 1], width=9)
    kwargs = {"max_length": 9, "attention_size": 9 if known_width else None}
    assert BeamSearch.reorders_rows and not FullReorderBeamSearch.reorders_rows
    assert type(keras_s2s_get("beam")) is BeamSearch
    for run in (lambda f: f(), lambda f: tf.function(f)()):
        fast = run(lambda: dynamic_decode(step, state, memory, BeamSearch(*beam), **kwargs))
        slow = run(lambda: dynamic_decode(step, state, memory, FullReorderBeamSearch(*beam), **kwargs))
        for key in ("ids", "scores", "attention"):
            np.testing.assert_array_equal(np.asarray(fast[key]), np.asarray(slow[key]))
    ids = np.asarray(fast["ids"]).reshape(-1, fast["ids"].shape[-1])
    assert np.any(ids == END) and np.any(ids == 0)  # some beams ended early


@pytest.mark.parametrize(
    "strategy", [GreedySearch(), BeamSearch(3), BeamSearch(3, coverage_penalty=0.2)], ids=str
)
def test_sentence_memory_decodes_as_the_tiled_memory(strategy):
    """One memory row per sentence gives the same ids, scores and attention.

    Sentences finish at different steps, so rows leave the decode (their
    memory rows with them) in several segments.
    """
    tiled = rnn_decoder(strategy, known_width=True)
    shared = rnn_decoder(strategy, known_width=True, sentence_memory=True)
    for seed in range(4):
        keys, mask, h0 = rnn_inputs(batch=9, source=6, seed=seed)
        expected = tiled(keys, mask, h0, tf.constant(12))
        out = shared(keys, mask, h0, tf.constant(12))
        np.testing.assert_array_equal(out["ids"], expected["ids"])
        np.testing.assert_allclose(out["scores"], expected["scores"], rtol=1e-6)
        np.testing.assert_allclose(out["attention"], expected["attention"], atol=1e-6)


def test_beam_search_runs_step_0_on_one_row_per_sentence():
    """With one memory row per sentence, step 0 sees one row per sentence (its
    K beams are copies until then) and step 1 all `N = B·K` rows; the decode
    equals the tiled one (the test above)."""
    inner = tiny_rnn(sentence_memory=True)
    calls = []

    def step_fn(token_ids, state, memory):
        calls.append(int(token_ids.shape[0]))
        return inner(token_ids, state, memory)

    keys, mask, h0 = rnn_inputs(batch=3, source=4)
    state, memory = (h0, tf.zeros([3, 1])), {"keys": keys, "mask": mask}
    out = dynamic_decode(step_fn, state, memory, BeamSearch(4), max_length=6, sentence_memory=True)
    assert calls[:2] == [3, 12]
    expected = dynamic_decode(tiny_rnn(), state, memory, BeamSearch(4), max_length=6)
    np.testing.assert_array_equal(out["ids"], expected["ids"])
    np.testing.assert_allclose(out["scores"], expected["scores"], rtol=1e-6)


@pytest.mark.parametrize("num_return_sequences, max_length", [(1, 5), (4, 5), (6, 1)])
def test_step_0_on_one_row_with_fewer_tokens_than_beams(num_return_sequences, max_length):
    """V = 4 < K = 6: step 0's one row still gives 6 beams, the last two dead
    (-inf) with the tokens the tiled decode's dead beams offer, and the results
    agree (after one step the dead beams are returned too, n = 6)."""
    keys, mask, h0 = rnn_inputs(batch=3, source=4, seed=2)
    state, memory = (h0, tf.zeros([3, 1])), {"keys": keys, "mask": mask}
    strategy = BeamSearch(6, num_return_sequences=num_return_sequences)
    out = dynamic_decode(
        tiny_rnn(vocab=4, sentence_memory=True),
        state,
        memory,
        strategy,
        max_length=max_length,
        sentence_memory=True,
    )
    expected = dynamic_decode(tiny_rnn(vocab=4), state, memory, strategy, max_length=max_length)
    np.testing.assert_array_equal(out["ids"], expected["ids"])
    np.testing.assert_allclose(out["scores"], expected["scores"], rtol=1e-6)
    assert np.isfinite(np.asarray(out["scores"])[..., :4]).all()


class _OlderBeamSearch(BeamSearch):
    """A subclass written before `expand_at_first_step`: its hooks do not take it."""

    def step(self, t, logits, finished, loop_state, end_id, attention=None):
        return super().step(t, logits, finished, loop_state, end_id, attention=attention)


@pytest.mark.parametrize("strategy", [_OlderBeamSearch(3, 0.6, 2), FullReorderBeamSearch(3, 0.6, 2)], ids=str)
def test_beam_search_subclasses_decode_with_one_memory_row_per_sentence(strategy):
    """A subclass that overrides `step` keeps the tiled step 0 (no unexpected
    keyword); one without `reorders_rows` stores each step's reordered
    attention with the rows that continue it. Both decode as `BeamSearch`."""
    assert (
        not _OlderBeamSearch().expands_after_first_step and FullReorderBeamSearch().expands_after_first_step
    )
    keys, mask, h0 = rnn_inputs(batch=4, source=5, seed=3)
    expected = rnn_decoder(BeamSearch(3, 0.6, 2), known_width=True, sentence_memory=True)(
        keys, mask, h0, tf.constant(8)
    )
    out = rnn_decoder(strategy, known_width=True, sentence_memory=True)(keys, mask, h0, tf.constant(8))
    np.testing.assert_array_equal(out["ids"], expected["ids"])
    np.testing.assert_allclose(out["scores"], expected["scores"], rtol=1e-6)
    np.testing.assert_allclose(out["attention"], expected["attention"], atol=1e-6)


def test_step_0_on_one_row_when_no_step_runs():
    """A dynamic max_length of 0: no step runs, and the expanded decode still
    returns every sentence's n hypotheses as the tiled one does (0, then -inf)."""
    keys, mask, h0 = rnn_inputs(batch=3, source=4)
    strategy = BeamSearch(3, num_return_sequences=2)
    out = rnn_decoder(strategy, known_width=True, sentence_memory=True)(keys, mask, h0, tf.constant(0))
    expected = rnn_decoder(strategy, known_width=True)(keys, mask, h0, tf.constant(0))
    assert out["ids"].shape == (3, 2, 0) and out["attention"].shape == (3, 2, 0, 4)
    np.testing.assert_array_equal(out["scores"], expected["scores"])
    np.testing.assert_array_equal(out["scores"], [[0.0, -np.inf]] * 3)


@pytest.mark.parametrize("strategy", [GreedySearch(), BeamSearch(3, 0.6)], ids=str)
@pytest.mark.parametrize("in_graph", [False, True], ids=["eager", "tf.function"])
def test_a_state_axis_that_starts_empty_may_grow(strategy, in_graph):
    """A state of the tokens fed so far, `(N, t)`, extended each step (as the
    Transformer's caches are), decodes as the same history kept in a fixed
    `(N, max_length)` buffer written at step t; beam search reorders it."""
    table = tf.constant(np.random.default_rng(3).normal(size=(11, 7)).astype(np.float32) * 3.0)

    def logits_of(fed):  # (N, T) tokens fed so far, 0 past the end
        weights = tf.range(1, tf.shape(fed)[1] + 1, dtype=tf.float32)  # (T,)
        code = tf.cast(tf.reduce_sum(fed * weights, axis=1), tf.int32)  # (N,)
        return tf.gather(table, code % 11)  # (N, V)

    def growing(token_ids, state, memory):
        fed = tf.concat([state["fed"], tf.cast(token_ids, tf.float32)[:, None]], axis=1)  # (N, t+1)
        return logits_of(fed), {"fed": fed}, None

    def fixed(token_ids, state, memory):
        here = tf.equal(tf.range(6)[None, :], tf.cast(state["t"], tf.int32)[:, None])  # (N, M)
        fed = tf.where(here, tf.cast(token_ids, tf.float32)[:, None], state["fed"])  # (N, M)
        return logits_of(fed), {"fed": fed, "t": state["t"] + 1.0}, None

    def decode(batch):
        grown = dynamic_decode(
            growing, {"fed": tf.zeros([batch, 0])}, (), strategy, batch_size=batch, max_length=6
        )
        kept = dynamic_decode(
            fixed,
            {"fed": tf.zeros([batch, 6]), "t": tf.zeros([batch])},
            (),
            strategy,
            batch_size=batch,
            max_length=6,
        )
        return grown, kept

    if in_graph:  # an unknown batch: the growing axis is relaxed in tf.while_loop's invariants
        decode = tf.function(decode, input_signature=[tf.TensorSpec([], tf.int32)])
    grown, kept = decode(tf.constant(4))
    assert grown["ids"].shape[1] > 1  # more than one step ran
    np.testing.assert_array_equal(grown["ids"], kept["ids"])
    np.testing.assert_allclose(grown["scores"], kept["scores"], atol=1e-5)


@pytest.mark.parametrize(
    "strategy",
    [
        GreedySearch(),
        BeamSearch(3),
        BeamSearch(3, coverage_penalty=0.2),
        BeamSearch(3, num_return_sequences=2),
    ],
    ids=str,
)
def test_without_attention_no_history_is_kept_and_the_ids_do_not_change(strategy):
    """`return_attention=False`: the same ids and scores, `(…, L, 0)` attention, fewer ops.

    A coverage penalty still reads each step's weights.
    """
    step_fn = tiny_rnn(sentence_memory=True)

    def decode(keys, mask, h0, return_attention):
        return dynamic_decode(
            step_fn,
            (h0, tf.zeros([tf.shape(h0)[0], 1])),
            {"keys": keys, "mask": mask},
            strategy,
            max_length=12,
            attention_size=tf.shape(keys)[1],
            sentence_memory=True,
            return_attention=return_attention,
        )

    spec = [tf.TensorSpec([None, None, H]), tf.TensorSpec([None, None], tf.bool), tf.TensorSpec([None, H])]
    graphs = {flag: tf.function(lambda k, m, h, flag=flag: decode(k, m, h, flag)) for flag in (True, False)}
    for seed in range(3):
        keys, mask, h0 = rnn_inputs(batch=5, source=6, seed=seed)
        expected = decode(keys, mask, h0, True)
        for out in (decode(keys, mask, h0, False), graphs[False](keys, mask, h0)):
            np.testing.assert_array_equal(out["ids"], expected["ids"])
            np.testing.assert_allclose(out["scores"], expected["scores"], rtol=1e-6)
            assert out["attention"].shape == expected["attention"].shape[:-1] + (0,)

    def ops_traced(flag):  # the decode's ops, its loop bodies included
        graph = graphs[flag].get_concrete_function(*spec).graph.as_graph_def()
        return len(graph.node) + sum(len(f.node_def) for f in graph.library.function)

    assert ops_traced(False) < ops_traced(True)  # no history to write, reorder and gather
