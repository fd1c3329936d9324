"""Smoke test: benchmarks/backends.py --quick runs on all three backends and prints its table."""

import json
import re

import pytest
from benchmark_runner import run_benchmark


@pytest.mark.slow  # three backend processes with their compilations: over a minute on 2 cores
def test_quick_run_prints_a_row_per_task_and_backend(tmp_path):
    out = tmp_path / "results.json"
    stdout = run_benchmark("backends", ["--quick", "--json", str(out)])
    assert "| task | backend | rate | unit | vs tensorflow |" in stdout
    rows = re.findall(r"^\| (fit|greedy b\d+|beam 4 b\d+) \| ([a-z]+)[^|]* \| ([\d.]+) \|", stdout, re.M)
    assert {(task, backend) for task, backend, _ in rows} == {
        (task, backend)
        for task in ("fit", "greedy b1", "greedy b64", "beam 4 b1", "beam 4 b64")
        for backend in ("tensorflow", "jax", "torch")
    }
    assert all(float(rate) > 0 for _, _, rate in rows)
    results = json.loads(out.read_text())
    agree = results["greedy_ids_agree"]  # same weights, untrained: near ties may flip a few rows
    assert set(agree) == {"tensorflow", "jax", "torch"} and agree["jax"] >= 0.5 and agree["torch"] >= 0.5
