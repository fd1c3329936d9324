"""Smoke test: benchmarks/inference.py --quick runs and prints its table."""

import json
import re

import pytest
from benchmark_runner import run_benchmark

RUNTIMES = (
    "Keras model.generate",
    "SavedModel translate_ids",
    "LiteRT float32",
    "LiteRT dynamic (int8 w)",
    "LiteRT float16",
)


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_quick_run_prints_rates_and_latencies_per_runtime(tmp_path):
    pytest.importorskip("ai_edge_litert")
    out = tmp_path / "results.json"
    stdout = run_benchmark("inference", ["--quick", "--json", str(out)])
    assert re.search(r"machine: .*\d+ CPUs", stdout)
    assert "| strategy | batch | runtime | sentences/s | p50 ms | p95 ms | vs Keras |" in stdout
    cells = set()
    for strategy, batch, runtime, rest in re.findall(
        r"^\| (greedy|beam 4) \| (\d+) \| ([^|]+?) \| (.*)$", stdout, re.M
    ):
        assert re.match(r"([\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+x|n/a .*) \|$", rest), rest
        cells.add((strategy, int(batch), runtime))
    assert cells == {(s, b, r) for s in ("greedy", "beam 4") for b in (1, 8) for r in RUNTIMES}

    results = json.loads(out.read_text())
    assert len(results["rows"]) == 2 * 2 * len(RUNTIMES)
    keras_rows = [r for r in results["rows"] if r["runtime"] == "keras"]
    assert all(r["sentences_per_second"] > 0 and r["p95_ms"] >= r["p50_ms"] > 0 for r in keras_rows)
