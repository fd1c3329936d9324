"""Smoke test: benchmarks/profile_training.py --quick traces fit steps and prints its tables."""

import re

import pytest
from benchmark_runner import run_benchmark


@pytest.mark.slow  # a TensorFlow process, two models' warm-up and a trace; `make test-slow` runs it
@pytest.mark.parametrize("impl", ["keras_s2s", "builtin"])
def test_quick_profile_prints_op_and_layer_tables(impl):
    stdout = run_benchmark("profile_training", ["--quick", "--impl", impl, "--steps", "2"])
    assert re.search(rf"^{impl} additive: \d+ ms per fit step unprofiled, \d+ ms of op time", stdout, re.M)
    assert "| op type | ms / step | share |" in stdout and "| layer | ms / step | share |" in stdout
    rows = re.findall(r"^\| (.+?) \| ([\d.]+) \| (\d+)% \|$", stdout, re.M)
    assert any("MatMul" in name for name, _, _ in rows)
    assert any("(backward)" in name for name, _, _ in rows)
