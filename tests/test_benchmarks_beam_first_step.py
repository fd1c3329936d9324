"""Smoke test: benchmarks/beam_first_step.py --quick times both step-0 variants on the shipped model."""

import json
import re
import subprocess
import sys

import pytest
from benchmark_runner import BENCHMARKS, run_benchmark
from shared_data import needs_multi30k


@needs_multi30k
@pytest.mark.slow  # ~20 s on 2 cores: loads the shipped model, traces two decodes per batch shape
def test_quick_run_gives_the_same_ids_both_ways(tmp_path):
    out = tmp_path / "first_step.json"
    stdout = run_benchmark("beam_first_step", ["--quick", "--json", out])
    rows = re.findall(
        r"^\| (\d+) \| (\d+) \| [\d.]+ \([\d.]+\) \| [\d.]+ \([\d.]+\) \| [\d.]+x \([\d.]+x\) \| (yes|NO) \|$",
        stdout,
        re.M,
    )
    assert rows == [("1", "2", "yes"), ("4", "8", "yes")]
    results = json.loads(out.read_text())
    assert results["beam_size"] == 4 and results["rounds"] == 2
    for row in results["rows"]:
        assert row["tiled_fastest"] > 0 and row["expanded_fastest"] > 0 and row["same_ids"] is True


def _refused(*args):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "beam_first_step.py"), *map(str, args)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    return proc.stderr


def test_bad_arguments_are_refused(tmp_path):
    assert "--batch-sizes must be comma-separated integers" in _refused("--batch-sizes", "a,b")
    assert "--batch-sizes must be positive" in _refused("--batch-sizes", "0")
    assert "--rounds must be >= 1" in _refused("--rounds", "0")
    assert "--model must be a run directory" in _refused("--model", tmp_path)
