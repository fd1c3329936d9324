"""Smoke test: benchmarks/data_pipeline.py --quick runs and reports its figures."""

import json

import pytest
from benchmark_runner import run_benchmark
from shared_data import DATA, MULTI30K


@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_quick_run_reports_rates_and_padding(tmp_path):
    # Multi30k when available, else the synthetic task (no download ever).
    has_multi30k = (MULTI30K / "train.de.gz").is_file()
    corpus = "multi30k" if has_multi30k else "reverse"
    out = tmp_path / "results.json"
    stdout = run_benchmark(
        "data_pipeline",
        ["--quick", "--corpus", corpus, "--limit", "256", "--train-batches", "2", "--json", str(out)],
        KERAS_S2S_DATA=str(DATA),
    )
    assert "pipeline (bucketed):" in stdout
    assert "train step (Seq2Seq defaults, model.fit):" in stdout
    results = json.loads(out.read_text())
    assert results["pairs"] == 256
    assert results["source_vocab_size"] <= 500
    for key in (
        "pipeline_sentences_per_s_bucketed",
        "pipeline_sentences_per_s_unbucketed",
        "train_sentences_per_s",
    ):
        assert results[key] > 0
    assert results["distinct_batch_shapes_bucketed"] >= 1
    assert 0 <= results["padding_fraction_bucketed"] < results["padding_fraction_unbucketed"] < 1
    assert results["pipeline_over_train"] == (
        results["pipeline_sentences_per_s_bucketed"] / results["train_sentences_per_s"]
    )
