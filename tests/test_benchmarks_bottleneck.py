"""Smoke test: benchmarks/bottleneck.py --quick runs and prints its tables and plot."""

import json
import re

import pytest
from benchmark_runner import run_benchmark

ATTENTIONS = ("none", "additive", "multiplicative", "scaled_dot")


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_quick_run_prints_parameter_matched_models_and_length_buckets(tmp_path):
    out, png = tmp_path / "results.json", tmp_path / "bottleneck.png"
    stdout = run_benchmark("bottleneck", ["--quick", "--json", str(out), "--plot", str(png)])
    assert "| attention | units | params | vs additive | train s | token acc. | exact match |" in stdout
    for name in ATTENTIONS:
        assert re.search(
            rf"^\| {name} \| \d+ \| [\d,]+ \| [\d.]+x \| \d+ \| [\d.]+ \| [\d.]+ \|$", stdout, re.M
        ), name
    assert "token accuracy by source length" in stdout
    assert "exact match by source length" in stdout
    assert re.search(r"^\| attention \| 5-14 \| 15-24 \|$", stdout, re.M)
    assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"

    results = json.loads(out.read_text())
    assert [m["attention"] for m in results["models"]] == list(ATTENTIONS)
    steps = {m["steps"] for m in results["models"]}
    assert len(steps) == 1  # same training budget
    for model in results["models"]:
        assert 0 <= model["token_accuracy"] <= 1 and 0 <= model["exact_match"] <= 1
        assert [b["bucket"] for b in model["buckets"]] == ["5-14", "15-24"]
        assert sum(b["sentences"] for b in model["buckets"]) == results["config"]["test"]
