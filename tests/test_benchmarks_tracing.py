"""Smoke test: benchmarks/tracing.py --quick runs, prints its table and writes its JSON."""

import json
import re

import pytest
from benchmark_runner import run_benchmark


@pytest.mark.slow  # ~30 s on 2 cores: four fresh processes
def test_quick_run_times_both_variants_on_the_same_graph(tmp_path):
    out = tmp_path / "tracing.json"
    stdout = run_benchmark("tracing", ["--quick", "--json", out])
    rows = re.findall(
        r"^\| tiny \| (greedy|beam) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+)x \| \d+ / \d+ \| (\d+) \|$",
        stdout,
        re.M,
    )
    assert [r[0] for r in rows] == ["greedy", "beam"]
    results = json.loads(out.read_text())
    assert results["rounds"] == 1
    for row in results["rows"]:  # unrounded
        assert row["shipped_first_s"] > 0
        assert row["ratio"] == pytest.approx(row["autograph_first_s"] / row["shipped_first_s"])
    # One op count per row: the two variants traced the same graph.
    assert [len(r["graph_ops"]) for r in results["rows"]] == [1, 1]


def test_bad_strategies_are_refused():
    import subprocess
    import sys

    from benchmark_runner import BENCHMARKS

    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "tracing.py"), "--strategies", "nucleus"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "--strategies must name greedy and/or beam" in proc.stderr
