"""Smoke test: benchmarks/decoding_cost.py --quick runs and prints both tables."""

import re

import pytest
from benchmark_runner import run_benchmark


@pytest.mark.slow  # ~30 s on 2 cores
def test_quick_run_prints_per_step_costs():
    stdout = run_benchmark("decoding_cost", ["--quick"])
    rows = re.findall(
        r"^\| (greedy|beam 4) \| (yes|no) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+)x \|$", stdout, re.M
    )
    assert {(s, x) for s, x, *_ in rows} == {(s, x) for s in ("greedy", "beam 4") for x in ("yes", "no")}
    for _, _, rnn, transformer, ratio in rows:
        assert float(rnn) > 0 and abs(float(transformer) / float(rnn) - float(ratio)) < 0.01 + 0.01 * float(
            ratio
        )
    pieces = re.findall(
        r"^\| (whole step|3 blocks|output projection|embedding) \| ([\d.]+) \| ([\d.]+) \|$", stdout, re.M
    )
    assert [p[0] for p in pieces] == ["whole step", "3 blocks", "output projection", "embedding"]
