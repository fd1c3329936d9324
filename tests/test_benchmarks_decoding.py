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
