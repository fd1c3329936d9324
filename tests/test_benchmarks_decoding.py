"""Smoke test: benchmarks/decoding.py --quick runs and prints its comparison."""

import json
import re

import pytest
from benchmark_runner import run_benchmark


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_quick_run_prints_ratios_and_equal_greedy_tokens(tmp_path):
    pytest.importorskip("keras_hub")  # optional benchmark dependency (.[bench])
    out = tmp_path / "results.json"
    stdout = run_benchmark("decoding", ["--quick", "--json", str(out)])

    # The machine and versions are printed.
    assert re.search(r"machine: .*\d+ CPUs", stdout)
    assert "TensorFlow " in stdout

    # The table: a header and one row per (strategy, batch) with a ratio.
    assert re.search(r"\| strategy \| batch \| keras_s2s sent/s \| keras-hub sent/s \| ratio \|", stdout)
    rows = re.findall(r"^\| (greedy|beam 4) +\| +(\d+) +\|.*?\| +([\d.]+)x \|", stdout, re.M)
    assert {(name, int(batch)) for name, batch, _ in rows} == {
        ("greedy", 1),
        ("beam 4", 1),
        ("greedy", 4),
        ("beam 4", 4),
    }
    assert all(float(ratio) > 0 for _, _, ratio in rows)

    # Same model, same argmax: greedy tokens are identical.
    line = re.search(r"^greedy agreement.*$", stdout, re.M)
    assert line and line.group(0).endswith("all tokens equal"), stdout[-2000:]

    results = json.loads(out.read_text())
    assert results["cpu_count"] >= 1 and results["tensorflow"]
    assert len(results["rows"]) == 4
    for row in results["rows"]:
        assert row["keras_s2s"] > 0 and row["keras_hub"] > 0
        assert row["ratio"] == row["keras_s2s"] / row["keras_hub"]
    greedy = results["agreement"]["greedy"]
    assert greedy["identical"] == greedy["total"] > 0


@pytest.mark.slow  # about a minute on 2 cores
@pytest.mark.parametrize(
    "run, kind", [("multi30k_de_en", "Seq2Seq("), ("multi30k_de_en_transformer", "Transformer(")]
)
def test_model_option_decodes_real_sentences_with_the_shipped_model(tmp_path, run, kind):
    pytest.importorskip("keras_hub")  # optional benchmark dependency (.[bench])
    import pathlib

    repo = pathlib.Path(__file__).resolve().parents[1]
    source = repo.parent / "shared" / "data" / "multi30k" / "test_2016_flickr.de.gz"
    if not source.exists():
        pytest.skip(f"the shared Multi30k data is not here: {source}")
    out = tmp_path / "results.json"
    args = ["--model", str(repo / "saved_models" / run), "--test-source", str(source)]
    args += ["--no-xla", "--batch-sizes", "4", "--sentences", "8", "--repeats", "1", "--json", str(out)]
    stdout = run_benchmark("decoding", args)
    assert run in stdout and kind in stdout
    results = json.loads(out.read_text())
    assert results["task"] == "real sentences" and results["parameters"] > 1_000_000
    assert {row["batch"] for row in results["rows"]} == {4}
    greedy = results["agreement"]["greedy"]
    assert greedy["identical"] == greedy["total"] == 8  # same model, same argmax
