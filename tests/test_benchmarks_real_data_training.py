"""Smoke test: benchmarks/real_data_training.py --quick on Multi30k from ../shared/data."""

import re

import pytest
from benchmark_runner import run_benchmark
from shared_data import DATA, needs_multi30k


@needs_multi30k
@pytest.mark.slow  # ~30 s: tokenizer training, two models, real text
def test_quick_run_prints_both_recipes():
    stdout = run_benchmark("real_data_training", ["--quick", "--data-dir", str(DATA)])
    rows = re.findall(
        r"^\| (keras_s2s|tutorial) \| ([\d.]+) \| (\d+) \| ([\d.]+)% \| ([\d.]+)x \|$", stdout, re.M
    )
    assert [r[0] for r in rows] == ["keras_s2s", "tutorial"]
    assert all(float(r[1]) > 0 and 0 <= float(r[3]) < 100 for r in rows)
    assert rows[1][4] == "1.00"
