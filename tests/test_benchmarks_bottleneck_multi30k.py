"""Smoke test: benchmarks/bottleneck_multi30k.py --quick runs, prints and resumes."""

import json

import pytest
from benchmark_runner import run_benchmark
from shared_data import DATA, needs_multi30k

ATTENTIONS = ["none", "additive", "multiplicative", "scaled_dot"]


@needs_multi30k
@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_quick_run_scores_parameter_matched_models_by_length_and_continues(tmp_path):
    out, png = tmp_path / "results.json", tmp_path / "bottleneck.png"
    args = ["--quick", "--data-dir", DATA, "--json", out]
    stdout = run_benchmark("bottleneck_multi30k", [*args, "--plot", png])
    assert "| attention | units | params | vs additive | steps | train s | val loss |" in stdout
    assert "BLEU (lowercased, beam) by source length in words" in stdout
    assert png.read_bytes()[:4] == b"\x89PNG"

    results = json.loads(out.read_text())
    models = results["models"]
    assert [m["attention"] for m in models] == ATTENTIONS
    assert len({m["steps"] for m in models}) == 1  # the same training budget
    reference = models[1]["params"]
    assert all(abs(m["params"] / reference - 1) < 0.1 for m in models)  # the same parameter budget
    for m in models:
        for strategy in ("greedy", "beam"):
            buckets = m[strategy]["buckets"]
            assert sum(b["sentences"] for b in buckets) == results["config"]["test_pairs"] == 120
            assert buckets[0]["bucket"] == "0-7" and buckets[-1]["bucket"] == "20+"
            assert 0 <= m[strategy]["overall"]["bleu_lowercase"] <= 100

    # --continue keeps what the JSON holds: dropping one model retrains only that one.
    results["models"] = [m for m in models if m["attention"] != "scaled_dot"]
    out.write_text(json.dumps(results))
    stdout = run_benchmark("bottleneck_multi30k", [*args, "--continue"])
    assert stdout.count("kept from") == 3
    assert "attention=scaled_dot: units" in stdout
    resumed = json.loads(out.read_text())["models"]
    assert [m["attention"] for m in resumed] == ATTENTIONS
    assert resumed[0] == models[0]


def test_unknown_attention_name_is_a_usage_error(capsys):
    import sys

    from benchmark_runner import BENCHMARKS

    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bottleneck_multi30k
    finally:
        sys.path.remove(str(BENCHMARKS))
    with pytest.raises(SystemExit) as exit_info:
        bottleneck_multi30k.parse_args(["--attentions", "none,luong"])
    assert exit_info.value.code == 2
    assert "Received: ['none', 'luong']" in capsys.readouterr().err
    assert bottleneck_multi30k.parse_args(["--attentions", "none"]).attentions == ["none"]
