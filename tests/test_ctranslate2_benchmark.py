"""benchmarks/ctranslate2_convert.py and benchmarks/ctranslate2.py: a keras_s2s Transformer in CTranslate2."""

import importlib.util
import json
import pathlib
import re

import keras
import numpy as np
import pytest
from benchmark_runner import run_benchmark

from keras_s2s import data, text
from keras_s2s.decoding import BeamSearch, GreedySearch
from keras_s2s.models import Transformer

ctranslate2 = pytest.importorskip(
    "ctranslate2", reason="ctranslate2 is a benchmark extra (pip install .[bench])"
)

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
END_ID = 3


def load_converter():
    """benchmarks/ctranslate2_convert.py by path: benchmarks/ on sys.path would shadow ctranslate2."""
    spec = importlib.util.spec_from_file_location(
        "ctranslate2_convert", BENCHMARKS / "ctranslate2_convert.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


convert = load_converter()


def reverse_task(pairs=2000, seed=0):
    sources, targets = data.reverse(pairs, seed=seed)
    return sources, targets, text.WordTokenizer.train(sources), text.WordTokenizer.train(targets)


def tiny_transformer(source_tokenizer, target_tokenizer, tie_embeddings=True, seed=0):
    keras.utils.set_random_seed(seed)
    model = Transformer(
        source_tokenizer.vocab_size,
        target_tokenizer.vocab_size,
        embedding_dim=32,
        num_layers=2,
        num_heads=4,
        feedforward_dim=64,
        dropout=0.0,
        tie_embeddings=tie_embeddings,
        output_bias="zeros",
    )
    model({"source_ids": np.ones((1, 3), np.int32), "target_ids": np.ones((1, 2), np.int32)})
    # A visible output bias, so a lost `logits_bias` shows in the log-probabilities.
    model.decoder.logits_bias.assign(np.linspace(-1, 1, target_tokenizer.vocab_size).astype("float32"))
    return model


def ct2_translator(model, source_tokenizer, target_tokenizer, directory, compute_type="float32"):
    path = convert.convert(model, source_tokenizer, target_tokenizer, directory)
    return ctranslate2.Translator(path, compute_type=compute_type, intra_threads=1)


def ct2_ids(translator, source_ids, source_tokenizer, target_tokenizer, beam_size=1, max_length=None):
    token_to_id = {token: i for i, token in enumerate(target_tokenizer.vocabulary)}
    results = translator.translate_batch(
        convert.source_tokens(source_ids, source_tokenizer.vocabulary),
        beam_size=beam_size,
        length_penalty=0.0,
        max_decoding_length=max_length or 2 * source_ids.shape[1] + 10,  # model.generate's default
        min_decoding_length=0,
        return_end_token=True,
    )
    return convert.target_ids([r.hypotheses[0] for r in results], token_to_id)


def rows(ids):
    """Each row up to and including its first [END] (or its non-padding), as a tuple."""
    out = []
    for row in np.asarray(ids):
        ends = np.flatnonzero(row == END_ID)
        out.append(tuple(row[: ends[0] + 1] if len(ends) else row[row != 0]))
    return out


@pytest.fixture(scope="module")
def task():
    """`(sources, targets, source_tokenizer, target_tokenizer)` of 200 reverse-task pairs."""
    return reverse_task(200)


@pytest.fixture(scope="module")
def random_model(task):
    """A random-weight tiny Transformer (tied embeddings) for `task`'s tokenizers."""
    return tiny_transformer(task[2], task[3])


@pytest.mark.parametrize("tie_embeddings", [True, False])
def test_converted_model_scores_targets_like_keras(tmp_path, task, random_model, tie_embeddings):
    sources, targets, source_tokenizer, target_tokenizer = task
    model = random_model if tie_embeddings else tiny_transformer(source_tokenizer, target_tokenizer, False)
    translator = ct2_translator(model, source_tokenizer, target_tokenizer, tmp_path / "ct2")
    source_ids = source_tokenizer(sources[:6]).numpy()  # (6, S), rows of different lengths
    target_ids = target_tokenizer(targets[:6]).numpy()  # (6, T) [START] y [END]
    logits = model({"source_ids": source_ids, "target_ids": target_ids[:, :-1]}).numpy()  # (6, T-1, V)
    peak = logits.max(-1, keepdims=True)
    log_probs = logits - peak - np.log(np.sum(np.exp(logits - peak), -1, keepdims=True))  # log_softmax
    vocabulary = target_tokenizer.vocabulary
    target_tokens = [[vocabulary[i] for i in row if i > END_ID] for row in target_ids]
    scored = translator.score_batch(
        convert.source_tokens(source_ids, source_tokenizer.vocabulary), target_tokens
    )
    for row, result in enumerate(scored):
        n = len(target_tokens[row]) + 1  # the words and [END]
        expected = np.take_along_axis(log_probs[row, :n], target_ids[row, 1 : n + 1, None], axis=-1)[:, 0]
        np.testing.assert_allclose(result.log_probs, expected, atol=1e-4)


@pytest.mark.slow  # tracing generate: over 10 s on 2 cores; `make test-slow` runs it
def test_random_model_greedy_tokens_equal_keras(tmp_path, task, random_model):
    sources, _, source_tokenizer, target_tokenizer = task
    translator = ct2_translator(random_model, source_tokenizer, target_tokenizer, tmp_path / "ct2")
    source_ids = source_tokenizer(sources[:8]).numpy()
    # A random model rarely emits [END]: 12 tokens, both sides, keep the test short.
    expected = random_model.generate(source_ids, GreedySearch(), max_length=12)["ids"].numpy()
    got = ct2_ids(translator, source_ids, source_tokenizer, target_tokenizer, max_length=12)
    assert rows(got) == rows(expected)


def test_source_tokens_strip_start_end_and_padding():
    vocabulary = ["[PAD]", "[UNK]", "[START]", "[END]", "a", "b"]
    assert convert.source_tokens(np.array([[2, 4, 5, 3], [2, 5, 3, 0]]), vocabulary) == [["a", "b"], ["b"]]
    ids = convert.target_ids([["a", "[END]"], ["b", "a", "b"]], {t: i for i, t in enumerate(vocabulary)})
    np.testing.assert_array_equal(ids, [[4, 3, 0], [5, 4, 5]])


def test_refuses_a_vocabulary_that_does_not_fit(task, random_model):
    _, _, source_tokenizer, target_tokenizer = task
    model = random_model
    short = source_tokenizer.vocabulary[:-1]
    with pytest.raises(ValueError, match=f"source vocabulary has {len(short)} tokens"):
        convert.transformer_spec(model, short, target_tokenizer.vocabulary)
    with pytest.raises(ValueError, match="must start with"):
        convert.transformer_spec(model, ["x"] + source_tokenizer.vocabulary[1:], target_tokenizer.vocabulary)


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_trained_model_greedy_and_beam_tokens_equal_keras(tmp_path):
    sources, targets, source_tokenizer, target_tokenizer = reverse_task(2000)
    model = tiny_transformer(source_tokenizer, target_tokenizer)
    model.compile()
    source_ids = source_tokenizer(sources).numpy()
    target_ids = target_tokenizer(targets).numpy()
    model.fit(
        {"source_ids": source_ids, "target_ids": target_ids[:, :-1]},
        target_ids[:, 1:],
        batch_size=64,
        epochs=3,
        verbose=0,
    )
    translator = ct2_translator(model, source_tokenizer, target_tokenizer, tmp_path / "ct2")
    test_sources, _ = data.reverse(24, seed=7)
    test_ids = source_tokenizer(test_sources).numpy()
    greedy = model.generate(test_ids, GreedySearch())["ids"].numpy()
    assert rows(ct2_ids(translator, test_ids, source_tokenizer, target_tokenizer)) == rows(greedy)
    # Both rank beams by the log-probability sum with length_penalty=0.
    beam = model.generate(test_ids, BeamSearch(4, length_penalty=0.0))["ids"].numpy()
    assert rows(ct2_ids(translator, test_ids, source_tokenizer, target_tokenizer, beam_size=4)) == rows(beam)


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_quick_benchmark_run_prints_every_runtime(tmp_path):
    pytest.importorskip("ai_edge_litert")
    from keras_s2s.files import write_json
    from keras_s2s.training.run_directory import save_model, save_tokenizers

    sources, _, source_tokenizer, target_tokenizer = reverse_task(200)
    run = tmp_path / "run"
    run.mkdir()
    save_tokenizers(str(run), source_tokenizer, target_tokenizer)
    save_model(str(run), tiny_transformer(source_tokenizer, target_tokenizer))
    write_json(str(run / "settings.json"), {"architecture": "transformer", "lowercase": False})
    test_source = tmp_path / "test.txt"
    test_source.write_text("".join(s + "\n" for s in sources[:12]))
    out = tmp_path / "results.json"
    stdout = run_benchmark(
        "ctranslate2", ["--model", run, "--test-source", test_source, "--quick", "--json", out]
    )
    assert re.search(r"machine: .*\d+ cores", stdout)
    assert "| strategy | batch | runtime | sentences/s | p50 ms | vs CT2 float32 | same as Keras |" in stdout
    results = json.loads(out.read_text())
    assert {(r["strategy"], r["batch"]) for r in results["rows"]} == {
        (s, b) for s in ("greedy", "beam 4") for b in (1, 4)
    }
    for row in results["rows"]:
        assert "error" not in row, row
        assert row["sentences_per_second"] > 0
        if row["runtime"] in ("keras", "saved_model", "litert_float32"):
            assert row["identical_to_keras"] == 1.0, row  # the exporters' contract
    for row in results["rows"]:
        if row["runtime"] == "ct2_float32" and row["strategy"] == "greedy":
            assert row["identical_to_keras"] == 1.0, row
    assert "goal LiteRT float32 >= 0.5x CTranslate2 float32 at batch 1" in stdout


def test_perf_summary_keeps_the_library_samples_and_names_their_leaves(tmp_path):
    spec = importlib.util.spec_from_file_location("perf_summary", BENCHMARKS / "perf_summary.py")
    perf_summary = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(perf_summary)
    lambda_frame = (
        "std::_Function_handler<void (int, long), tflite::reference_ops::StridedSlice<int>"
        "(tflite::RuntimeShape const&)::{lambda(int, long)#1}>::_M_invoke+0x1f"
    )
    script = (
        "python 1 1.0: 1 cpu-clock:\n"
        f"\t    10 {lambda_frame} (/x/libpywrap_litert_common.so)\n"
        "\t    20 tflite::ops::builtin::strided_slice::EvalImpl+0x2 (/x/libpywrap_litert_common.so)\n"
        "\n"
        "python 1 1.1: 1 cpu-clock:\n"
        "\t    30 __memmove_avx_unaligned_erms+0x3 (/usr/lib/libc.so.6)\n"
        "\t    40 tflite::Subgraph::InvokeImpl+0x4 (/x/libpywrap_litert_common.so)\n"
        "\n"
        "python 1 1.2: 1 cpu-clock:\n"
        "\t    50 _PyEval_EvalFrameDefault+0x5 (/usr/lib/libpython3.11.so)\n"
    )
    chains = list(perf_summary.samples(script.splitlines(keepends=True)))
    assert len(chains) == 3
    assert (
        perf_summary.short(chains[0][0][0]) == "tflite::reference_ops::StridedSlice<int> (per-element lambda)"
    )
    assert perf_summary.caller(chains[0], "libpywrap_litert_common.so") == (
        "tflite::ops::builtin::strided_slice::EvalImpl"
    )
    assert perf_summary.caller(chains[1], "libpywrap_litert_common.so") == "tflite::Subgraph::InvokeImpl"
