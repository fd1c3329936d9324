"""Smoke test: benchmarks/training.py --quick runs and prints its tables."""

import json
import re

import pytest
from benchmark_runner import run_benchmark


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_quick_run_prints_throughput_ratios_and_mfu(tmp_path):
    out = tmp_path / "results.json"
    stdout = run_benchmark("training", ["--quick", "--json", str(out)])

    assert re.search(r"machine: .*\d+ CPUs", stdout)
    assert "TensorFlow " in stdout
    assert re.search(r"matmul peak: float32 [\d.]+ GFLOP/s", stdout)
    assert "| variant | params | target tokens/s | MFU |" in stdout
    for kind in ("additive", "multiplicative", "scaled_dot"):
        for impl in ("keras_s2s", "builtin"):
            assert re.search(rf"^\| {impl} {kind} \| [\d,]+ \| [\d,]+ \| [\d.]+% \|$", stdout, re.M), kind
        assert re.search(rf"^\| {kind}: keras_s2s / built-in \| [\d.]+x \|$", stdout, re.M)
    assert re.search(r"^\| additive: input feeding on / off \(keras_s2s\) \| [\d.]+x \|$", stdout, re.M)
    # bf16 and XLA: a ratio, or n/a with the reason in the variant table.
    for what in ("bf16 / float32", "XLA on / off"):
        assert re.search(rf"^\| additive: {what} \(keras_s2s\) \| ([\d.]+x|n/a) \|$", stdout, re.M), what

    results = json.loads(out.read_text())
    assert results["machine"]["cpu_count"] >= 1
    assert results["matmul_peak_flops"]["float32"] > 0
    names = {row["name"] for row in results["rows"]}
    assert {
        "keras_s2s additive",
        "builtin additive",
        "keras_s2s additive +input feeding",
        "keras_s2s additive bf16",
        "keras_s2s additive XLA",
    } <= names
    for row in results["rows"]:
        if "error" not in row:
            assert row["tokens_per_second"] > 0 and 0 < row["mfu"]
            assert len(row["round_seconds"]) == results["config"]["repeats"]
    for flops in results["flops"].values():
        assert flops["train_flops_per_target_token"] > 6 * flops["params_non_embedding"] / 2
