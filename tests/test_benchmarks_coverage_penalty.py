"""Smoke test: benchmarks/coverage_penalty.py on a few Multi30k test sentences."""

import json

import pytest
from benchmark_runner import run_benchmark
from shared_data import DATA, needs_multi30k


@needs_multi30k
@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_a_few_sentences_give_both_runs_and_counts(tmp_path):
    out = tmp_path / "coverage.json"
    stdout = run_benchmark(
        "coverage_penalty", ["--limit", "6", "--beta", "0.2", "--data-dir", DATA, "--json", out]
    )
    assert "translations changed by the penalty:" in stdout
    results = json.loads(out.read_text())
    assert set(results["runs"]) == {"0.0", "0.2"}
    for run in results["runs"].values():
        counts = run["counts"]
        assert 0 <= counts["dropped"] <= counts["source_pieces"] and counts["source_pieces"] > 0
        assert 0 <= run["metrics"]["bleu_lowercase"] <= 100
        assert sum(b["sentences"] for b in run["by_length_counts"]) == 6
