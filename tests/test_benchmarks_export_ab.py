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
    assert results["strategies"] == ["greedy"] and results["threads"] == 2
    for row in results["rows"]:
        assert row["A_fastest"] > 0 and row["B_fastest"] > 0 and row["same_ids"] is True


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
    assert "--model must be a run directory" in _refused("--a", ".", "--model", tmp_path)
    assert "--json: the folder of" in _refused("--a", ".", "--json", tmp_path / "missing" / "out.json")


def test_each_side_exports_with_its_own_tree(tmp_path):
    # A tree whose keras_s2s cannot be imported: the export child must fail on it,
    # not fall back to the installed keras_s2s.
    fake = tmp_path / "tree" / "keras_s2s"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise SystemExit("fake tree imported")\n')
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "export_ab.py"),
            "--export",
            fake.parent,
            "m",
            tmp_path,
            "greedy",
            "2",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "fake tree imported" in proc.stderr


def test_timing_alternates_the_sides_and_reports_fastest_median_and_ids(monkeypatch):
    import pathlib
    import types

    import numpy as np

    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import export_ab

    # One batch of one sentence; each call to a side's runner is one pass of
    # the scripted duration (the first call is the warm-up).
    durations = {"A": [0.0, 3.0, 1.0, 2.0], "B": [0.0, 2.0, 2.0, 4.0]}
    clock = {"now": 0.0}
    calls = []

    def fake_runners(folder, runtimes, threads):
        side = folder.parent.name

        def run(ids):
            calls.append(side)
            clock["now"] += durations[side].pop(0)
            return np.array([[7, 2]]) if side == "A" else np.array([[7, 3]])

        return {"litert": run}

    monkeypatch.setattr(export_ab, "runners", fake_runners)
    monkeypatch.setattr(export_ab, "time", types.SimpleNamespace(perf_counter=lambda: clock["now"]))
    args = types.SimpleNamespace(runtimes=["litert"], threads=1, rounds=3)
    exports = {"A": pathlib.Path("A"), "B": pathlib.Path("B")}
    (row,) = export_ab.time_strategy(exports, "greedy", [np.zeros((1, 4), "int32")], args)
    assert calls == ["A", "B", "A", "B", "B", "A", "A", "B"]  # warm-up, then A first, B first, A first
    assert row["A_fastest"] == 1.0 and row["B_fastest"] == 0.5 and row["ratio"] == 0.5
    assert row["A_median"] == 0.5 and row["B_median"] == 0.5 and row["ratio_median"] == 1.0
    assert row["same_ids"] is False
