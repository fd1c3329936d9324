"""benchmarks/joeynmt.py: the time-to-quality clock, the worker's command line, smoke runs."""

import importlib.util
import json
import pathlib

import pytest
from benchmark_runner import run_benchmark
from shared_data import DATA, needs_multi30k

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
JOEYNMT_PYTHON = BENCHMARKS.parent / ".venv-joeynmt" / "bin" / "python"


def load(name):
    """A benchmark module by path (benchmarks/joeynmt.py on sys.path would shadow joeynmt)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load("joeynmt")
worker = load("joeynmt_worker")


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_clock_stops_while_evaluating_and_reports_time_to_each_target():
    clock = FakeClock()
    scores = iter([12.0, 31.0, 36.0])

    def evaluate():
        clock.now += 50.0  # evaluation time: not training time
        return next(scores)

    tracker = bench.TimeToQuality(evaluate, every=100, targets=[35, 30], max_seconds=1e9, clock=clock)
    tracker.start()
    stops = []
    for step in range(1, 301):
        clock.now += 1.0  # one second per training step
        stops.append(tracker.after_step(step))
    assert [e["step"] for e in tracker.evaluations] == [100, 200, 300]
    assert [e["train_seconds"] for e in tracker.evaluations] == [100.0, 200.0, 300.0]
    assert [e["eval_seconds"] for e in tracker.evaluations] == [50.0, 50.0, 50.0]
    assert stops.index(True) == 299  # stops at the evaluation reaching 35, not at 30
    assert tracker.result()["time_to"] == {"30": 200.0, "35": 300.0}


def test_the_clock_stops_training_after_max_seconds_and_marks_targets_not_reached():
    clock = FakeClock()
    tracker = bench.TimeToQuality(lambda: 5.0, every=10, targets=[30], max_seconds=25, clock=clock)
    tracker.start()
    for step in range(1, 100):
        clock.now = float(step)
        if tracker.after_step(step):
            break
    assert step == 30  # the first evaluation at or past 25 s of training
    assert tracker.time_to(30) is None


def test_the_worker_gets_the_same_settings():
    args = bench.parse_args(
        ["--every", "250", "--targets", "35,30", "--units", "128", "--train-pairs", "900"]
    )
    worker_args = bench.parse_args([*bench.worker_args(args, "/tmp/work"), "--worker", "joeynmt"])
    for name in ("data_dir", "vocab_size", "units", "embedding_dim", "batch_size", "every", "targets"):
        assert getattr(worker_args, name) == getattr(args, name), name
    assert (worker_args.max_minutes, worker_args.train_pairs, worker_args.work_dir) == (
        60.0,
        900,
        "/tmp/work",
    )


def test_joeynmt_config_is_the_keras_s2s_model_and_search():
    args = bench.parse_args(["--every", "250"])
    config = worker.joeynmt_config(args, pathlib.Path("/tmp/work"))
    encoder, decoder = config["model"]["encoder"], config["model"]["decoder"]
    assert (encoder["rnn_type"], encoder["bidirectional"], encoder["hidden_size"]) == ("gru", True, 256)
    assert (decoder["attention"], decoder["input_feeding"], decoder["hidden_size"]) == (
        "bahdanau",
        False,
        256,
    )
    assert (config["testing"]["beam_size"], config["testing"]["beam_alpha"]) == (4, 0.6)
    training = config["training"]
    assert (training["optimizer"], training["learning_rate"], training["clip_grad_norm"]) == (
        "adam",
        1e-3,
        1.0,
    )
    assert (training["batch_size"], training["validation_freq"]) == (64, 250)
    assert config["data"]["src"]["lowercase"] and config["data"]["trg"]["lowercase"]


def test_bad_systems_are_refused():
    with pytest.raises(SystemExit):
        bench.parse_args(["--systems", "fairseq"])


@needs_multi30k
@pytest.mark.slow  # trains twice on Multi30k subsets
def test_quick_run_trains_both_and_continues(tmp_path):
    out = tmp_path / "joeynmt.json"
    systems = "keras_s2s,joeynmt" if JOEYNMT_PYTHON.exists() else "keras_s2s"
    stdout = run_benchmark("joeynmt", ["--quick", "--data-dir", DATA, "--systems", systems, "--json", out])
    assert "| system | parameters | vocabulary | time to 30 BLEU |" in stdout
    results = json.loads(out.read_text())
    for system in systems.split(","):
        evaluations = results["systems"][system]["evaluations"]
        assert evaluations and evaluations[0]["step"] == 5
    again = run_benchmark(
        "joeynmt", ["--quick", "--data-dir", DATA, "--systems", systems, "--json", out, "--continue"]
    )
    assert "keras_s2s: kept from" in again
