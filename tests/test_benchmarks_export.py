"""Smoke test: benchmarks/export.py --quick runs and reports sizes, latency and agreement."""

import json

import pytest
from benchmark_runner import run_benchmark

RUNTIMES = ["keras", "saved_model", "litert_float32", "litert_dynamic", "litert_float16"]


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_quick_run_prints_the_table_and_writes_json(tmp_path):
    out = tmp_path / "results.json"
    stdout = run_benchmark(
        "export",
        [
            "--quick",
            "--train-seconds",
            "3",
            "--sentences",
            "6",
            "--json",
            str(out),
            "--out-dir",
            str(tmp_path / "artifacts"),
        ],
    )
    assert "Sizes on disk (bytes; SavedModel = whole directory)" in stdout
    assert "Latency per sentence at batch 1 (ms, 6 sentences)" in stdout
    for label in ("SavedModel", "LiteRT float32", "LiteRT dynamic (int8 w)", "LiteRT float16"):
        assert label in stdout
    table = [line.split() for line in stdout.splitlines() if line.startswith(("greedy ", "beam4 "))]
    assert len(table) == 10  # 2 strategies x 5 runtimes
    assert {row[0] for row in table} == {"greedy", "beam4"}

    results = json.loads(out.read_text())
    assert results["sentences"] == 6
    assert results["machine"]["cores"] >= 1 and results["machine"]["tensorflow"]
    assert results["training"]["train_steps"] > 0
    for label in ("greedy", "beam4"):
        sizes = results["sizes_bytes"][label]
        assert set(sizes) == {"saved_model", "litert_float32", "litert_dynamic", "litert_float16"}
        # Weight compression is structural, not a timing: it must hold on any machine.
        assert sizes["litert_dynamic"] < sizes["litert_float16"] < sizes["litert_float32"]
        latency = results["latency_ms"][label]
        assert set(latency) == set(RUNTIMES)
        for name in RUNTIMES:
            assert 0 < latency[name]["p50"] <= latency[name]["p95"]
            assert latency[name]["p50_over_keras"] == latency[name]["p50"] / latency["keras"]["p50"]
            agreement = results["agreement"][label][name]
            assert 0 <= agreement["sentences"] <= 1 and 0 <= agreement["tokens"] <= 1
        assert results["agreement"][label]["litert_float32"] == {"tokens": 1.0, "sentences": 1.0}
    # The artifacts were kept where asked, in the layouts the exporters promise.
    artifacts = tmp_path / "artifacts" / "greedy"
    assert (artifacts / "saved_model" / "1" / "saved_model.pb").is_file()
    assert (artifacts / "litert_float16.tflite").is_file() and (
        artifacts / "litert_float16.target_vocab.txt"
    ).is_file()
