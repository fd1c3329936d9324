"""Smoke test: benchmarks/export_ab.py --quick exports this tree twice and times the two exports."""

import json
import re
import subprocess
import sys

import pytest
from benchmark_runner import BENCHMARKS, run_benchmark


@pytest.mark.slow  # ~30 s on 2 cores: two export processes
def test_quick_run_compares_two_exports_of_the_same_tree(tmp_path):
    out = tmp_path / "ab.json"
    stdout = run_benchmark("export_ab", ["--quick", "--json", out])
    rows = re.findall(
        r"^\| greedy \| (saved_model|litert) \| [\d.]+ \([\d.]+\) \| [\d.]+ \([\d.]+\) "
        r"\| [\d.]+x \([\d.]+x\) \| (yes|NO) \|$",
        stdout,
        re.M,
    )
    assert rows == [("saved_model", "yes"), ("litert", "yes")]  # one tree: the same ids
    results = json.loads(out.read_text())
    assert results["a"] == results["b"] and results["sentences"] == 4 and results["rounds"] == 2
    for row in results["rows"]:  # unrounded
        assert row["A_fastest"] > 0 and row["same_ids"] is True
        assert row["ratio"] == pytest.approx(row["B_fastest"] / row["A_fastest"])


def _refused(*args):
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "export_ab.py"), *map(str, args)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    return proc.stderr


def test_bad_arguments_are_refused(tmp_path):
    assert "--a is required" in _refused()
    assert "--a must be a keras_s2s source tree" in _refused("--a", tmp_path)
    assert "--strategies must name greedy and/or beam" in _refused("--a", ".", "--strategies", "nucleus")
    assert "--runtimes must name saved_model and/or litert" in _refused("--a", ".", "--runtimes", "onnx")
    assert "--rounds must be >= 1" in _refused("--a", ".", "--rounds", "0")
