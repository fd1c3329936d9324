"""One model, three Keras backends: `fit` and `generate` speed on TensorFlow, JAX and PyTorch.

The same `Seq2Seq` (bidirectional GRU encoder, additive attention, GRU
decoder) is trained and decoded on each backend, with the same weights:
a TensorFlow process writes one `.keras` file and every backend loads it
(a `.keras` file reads on every backend). A backend is chosen once per
process, so each runs in its own long-lived worker process (this file with
`--worker BACKEND`); the workers build, load and warm up (traces, JIT
compilations) first, then the driver asks them in turn for timed rounds,
interleaved (`--repeats` rounds of every task on every backend), so load
from other processes hits all backends alike. The fastest round is
reported (the median is in the JSON); ratios are against TensorFlow in the
same run.

Tasks, on synthetic fixed-shape ids (no padding, so every backend sees the
same shapes):

* `fit`: `model.fit` on `--fit-steps` batches of `(B, S)` sources and
  `(B, T)` targets, one epoch per call; target tokens/s = `B * T * steps / s`.
  Each backend's default compile: TensorFlow `tf.function` (Keras' "auto"
  XLA choice), JAX `jax.jit`, PyTorch eager.
* `generate`: `model.generate(source_ids, strategy, max_length)`, greedy and
  beam 4 (GNMT length penalty 0.6), at batch 1 and 64; sentences/s over
  `--calls` calls. TensorFlow runs a traced `tf.function` (and, as an extra
  row, `jit_compile=True`), JAX a `jax.jit` per shape, PyTorch the eager loop.
  The greedy ids of every backend are compared with TensorFlow's (the model
  is untrained: near-tied logits may flip a token under another backend's
  float rounding; tests/test_cross_backend_export.py checks trained models).

    python benchmarks/backends.py                # full run, see docs/benchmarks.md
    python benchmarks/backends.py --quick        # smoke test
    python benchmarks/backends.py --json out.json
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")
GENERATE = [("greedy", 1), ("greedy", 64), ("beam 4", 1), ("beam 4", 64)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vocab-size", type=int, default=4000)
    parser.add_argument("--embedding-dim", type=int, default=128)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64, help="fit batch size")
    parser.add_argument("--source-length", type=int, default=20)
    parser.add_argument(
        "--target-length", type=int, default=20, help="fit target length, generate max_length"
    )
    parser.add_argument("--fit-steps", type=int, default=10, help="fit steps per timed round")
    parser.add_argument("--calls", type=int, default=5, help="generate calls per timed round")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved timed rounds")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--quick", action="store_true", help="tiny model, one round: a smoke test")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    if backends[0] != "tensorflow" or not set(backends) <= set(BACKENDS):
        parser.error(f"--backends: tensorflow first (the ratios' baseline), then some of {BACKENDS[1:]}")
    if args.quick:
        args.vocab_size, args.embedding_dim, args.units = 200, 16, 32
        args.fit_steps, args.calls, args.repeats = 2, 1, 1
        args.source_length = args.target_length = 8
    return args


# === Worker: one backend per process ===
def worker(args):
    """Answers the driver's commands on stdin with one JSON line each."""
    os.environ["KERAS_BACKEND"] = args.worker
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(REPO))
    import keras
    import numpy as np

    import keras_s2s  # noqa: F401  (registers the model for loading)
    from keras_s2s.decoding import BeamSearch

    model = keras.models.load_model(args.model)
    rng = np.random.default_rng(0)
    n, s, t, v = args.batch_size * args.fit_steps, args.source_length, args.target_length, args.vocab_size
    x = {
        "source_ids": rng.integers(4, v, (n, s)).astype("int32"),
        "target_ids": rng.integers(4, v, (n, t)).astype("int32"),
    }
    y = rng.integers(4, v, (n, t)).astype("int32")
    sources = {b: rng.integers(4, v, (b, s)).astype("int32") for _, b in GENERATE}
    strategies = {"greedy": "greedy", "beam 4": BeamSearch(beam_size=4, length_penalty=0.6)}

    def fit():
        model.fit(x, y, batch_size=args.batch_size, epochs=1, shuffle=False, verbose=0)

    def generate(name, batch, jit=False):
        out = model.generate(sources[batch], strategies[name], max_length=t, jit_compile=jit)
        return keras.ops.convert_to_numpy(out["ids"])

    tasks = {"fit": fit}
    for name, batch in GENERATE:
        tasks[f"{name} b{batch}"] = lambda name=name, batch=batch: generate(name, batch)
        if args.worker == "tensorflow":
            tasks[f"{name} b{batch} xla"] = lambda name=name, batch=batch: generate(name, batch, True)
    ids = generate("greedy", 64)  # before `fit` changes the weights: the same on every backend
    model.compile()
    for task in tasks.values():  # warm up: traces and compilations
        task()
    _answer({"ready": list(tasks), "greedy_ids": ids.tolist()})
    for line in sys.stdin:
        name = line.strip()
        calls = 1 if name == "fit" else args.calls
        start = time.perf_counter()
        for _ in range(calls):
            tasks[name]()
        _answer({"task": name, "seconds": (time.perf_counter() - start) / calls})


def _answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


# === Driver ===
def make_model(args, path):
    """Writes the benchmark model (TensorFlow backend, seeded) to `path`."""
    code = (
        "import keras, numpy as np; from keras_s2s.models import Seq2Seq; "
        "keras.utils.set_random_seed(0); "
        f"m = Seq2Seq({args.vocab_size}, {args.vocab_size}, embedding_dim={args.embedding_dim}, "
        f"units={args.units}, output_bias='zeros'); "
        "m({'source_ids': np.ones((1, 3), 'int32'), 'target_ids': np.ones((1, 3), 'int32')}); "
        f"m.save({str(path)!r})"
    )
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, check=True)


def start_workers(args, model_path, backends, workers):
    """Starts one worker per backend into `workers` (the caller stops them)."""
    for backend in backends:  # one at a time: warm-ups do not overlap
        cmd = [sys.executable, __file__, "--worker", backend, "--model", str(model_path)]
        cmd += _forwarded(args)
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        workers[backend] = (proc, None)
        workers[backend] = (proc, _read(proc, backend))


def _forwarded(args):
    names = ("vocab_size", "batch_size", "source_length", "target_length", "fit_steps", "calls")
    return [f"--{n.replace('_', '-')}={getattr(args, n)}" for n in names]


def _read(proc, backend):
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"the {backend} worker exited ({proc.wait()}); run it with --worker to see why")
    return json.loads(line)


def run(args):
    backends = [b for b in args.backends.split(",") if b]
    workers = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            model_path = pathlib.Path(tmp) / "model.keras"
            make_model(args, model_path)
            start_workers(args, model_path, backends, workers)
        tasks = {b: ready["ready"] for b, (_, ready) in workers.items()}
        times = {b: {task: [] for task in tasks[b]} for b in backends}
        for _ in range(args.repeats):
            for task in tasks[backends[0]]:
                for backend in backends:
                    if task in tasks[backend]:
                        proc, _ = workers[backend]
                        proc.stdin.write(task + "\n")
                        proc.stdin.flush()
                        times[backend][task].append(_read(proc, backend)["seconds"])
    finally:
        for proc, _ in workers.values():
            proc.stdin.close()
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    reference = np.asarray(workers[backends[0]][1]["greedy_ids"])
    agree = {b: _rows_equal(np.asarray(ready["greedy_ids"]), reference) for b, (_, ready) in workers.items()}
    return report(args, backends, times, agree)


def _rows_equal(ids, reference):
    """The fraction of rows (sentences) with the same greedy ids."""
    if ids.shape != reference.shape:
        width = max(ids.shape[1], reference.shape[1])
        ids, reference = (np.pad(a, ((0, 0), (0, width - a.shape[1]))) for a in (ids, reference))
    return float(np.mean(np.all(ids == reference, axis=1)))


def report(args, backends, times, agree):
    tokens = args.batch_size * args.fit_steps * args.target_length
    rows = []
    for task in times[backends[0]]:
        for backend in backends:
            seconds = times[backend].get(task)
            if not seconds:
                continue
            best = min(seconds)
            if task == "fit":
                rate, unit = tokens / best, "target tokens/s"
            else:
                batch = int(task.split(" b")[1].split()[0])
                rate, unit = batch / best, "sentences/s"
            rows.append({"task": task, "backend": backend, "rate": rate, "unit": unit, "seconds": seconds})
    base = {r["task"]: r["rate"] for r in rows if r["backend"] == backends[0]}  # "... xla" rows too
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"model: Seq2Seq GRU additive, vocab {args.vocab_size}, embedding {args.embedding_dim}, "
        f"units {args.units}; S = {args.source_length}, T = max_length = {args.target_length}"
    )
    print("| task | backend | rate | unit | vs tensorflow |")
    print("|---|---|---|---|---|")
    for r in rows:
        key = r["task"].replace(" xla", "")
        label = r["backend"] + (" (jit_compile=True)" if "xla" in r["task"] else "")
        ratio = r["rate"] / base[key]
        r["vs_tensorflow"] = ratio
        print(f"| {key} | {label} | {r['rate']:.1f} | {r['unit']} | {ratio:.2f}x |")
    print(
        "greedy batch 64, sentences with the same ids as on TensorFlow: "
        + ", ".join(f"{b} {agree[b]:.0%}" for b in backends)
        + " (an untrained model's logits are near ties, so float rounding can flip a token)"
    )
    return {
        "args": vars(args),
        "rows": rows,
        "greedy_ids_agree": agree,
        "load_average_end": os.getloadavg()[0],
    }


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    results = run(args)
    if args.json:
        sys.path.insert(0, str(REPO))
        from keras_s2s.files import write_json

        write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
