"""Time to the first translation: the compiled decode traced with and without autograph.

`model.generate` traces one `tf.function` per strategy on its first call (and
`export_saved_model` / `export_litert` trace theirs). The decode is written in
`keras.ops` with explicit `while` loops and no Python control flow on
tensors, so keras_s2s traces it with `autograph=False`; autograph would
first rewrite the source of every function the trace reaches (the decoding
loop, the strategies, the layers' step code) and then trace the rewritten
code, giving the same graph. This script measures what that saves: for each
model and strategy, a fresh Python process loads the model and times its
first decode of one sentence (tracing included) and the second (a warm
call), once with the shipped `model.generate` (autograph off) and once with
the same function traced by `tf.function(..., autograph=True)`, in
alternating order over `--rounds` rounds (fresh processes: autograph caches
its conversions per process). Both variants trace the same graph: the table
counts its ops (one number when they agree).

    python benchmarks/tracing.py                        # the two shipped models
    python benchmarks/tracing.py --model saved_models/multi30k_de_en --rounds 3
    python benchmarks/tracing.py --quick                # a tiny untrained model (smoke test)
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
MODELS = ("saved_models/multi30k_de_en", "saved_models/multi30k_de_en_transformer")
VARIANTS = ("shipped", "autograph")
SENTENCES = ("Ein Mann fährt auf einem Fahrrad.", "Zwei Hunde spielen im Schnee.")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", metavar="RUN_DIR", help="run directory (repeatable)")
    parser.add_argument("--strategies", default="greedy,beam", help="comma-separated subset of greedy,beam")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per variant")
    parser.add_argument("--quick", action="store_true", help="a tiny untrained Seq2Seq, one round")
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--child", nargs=3, metavar=("MODEL", "STRATEGY", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.strategies = [s for s in args.strategies.split(",") if s]
    if not args.strategies or set(args.strategies) - {"greedy", "beam"}:
        parser.error(f"--strategies must name greedy and/or beam. Received: {args.strategies}")
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1. Received: {args.rounds}")
    if args.quick:
        args.model, args.rounds = ["tiny"], 1
    args.model = args.model or [str(REPO / m) for m in MODELS]
    return args


# --------------------------------------------------------------- one process
def child(model_dir, strategy_name, variant):
    """Loads the model, decodes two sentences; prints `{"first": s, "second": s}` as JSON."""
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import tensorflow as tf

    from keras_s2s.decoding import BeamSearch, GreedySearch
    from keras_s2s.models import compiled_generate

    model, ids = _model_and_ids(model_dir)
    strategy = BeamSearch(beam_size=4) if strategy_name == "beam" else GreedySearch()
    if variant == "shipped":

        def decode(x):
            return model.generate(x, strategy)["ids"]

    else:  # the same function, traced with autograph (tf.function's default)
        shipped = compiled_generate.function(model, strategy)
        traced = tf.function(shipped.python_function, input_signature=shipped.input_signature, autograph=True)

        def decode(x):
            return traced(tf.constant(x), tf.constant(0))["ids"]

    times = []
    for x in ids:
        start = time.perf_counter()
        decode(x).numpy()
        times.append(time.perf_counter() - start)
    function = compiled_generate.function(model, strategy) if variant == "shipped" else traced
    print(json.dumps({"first": times[0], "second": times[1], "ops": _graph_ops(function)}))


def _graph_ops(function):
    """The number of ops in the traced decode, its loop bodies included (the same for both variants)."""
    graph = function.get_concrete_function().graph.as_graph_def()
    return len(graph.node) + sum(len(f.node_def) for f in graph.library.function)


def _model_and_ids(model_dir):
    """`(model, [ids (1, S), ids (1, S)])`: a run directory, or a tiny model for `tiny`."""
    import numpy as np

    if model_dir == "tiny":
        from keras_s2s.models import Seq2Seq

        model = Seq2Seq(30, 30, embedding_dim=16, units=32)
        x = np.random.default_rng(0).integers(4, 30, size=(2, 1, 7)).astype("int32")
        model({"source_ids": x[0], "target_ids": x[0]})
        return model, list(x)
    from keras_s2s.training.run_directory import load_run

    model, source_tokenizer, _, _ = load_run(model_dir)
    return model, [source_tokenizer([s]).numpy() for s in SENTENCES]


# ------------------------------------------------------------------- driver
def run_child(model, strategy, variant):
    command = [sys.executable, __file__, "--child", model, strategy, variant]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        child(*args.child)
        return None
    rows = []
    for model in args.model:
        for strategy in args.strategies:
            runs = {variant: [] for variant in VARIANTS}
            for i in range(args.rounds):  # alternating order
                for variant in VARIANTS if i % 2 == 0 else VARIANTS[::-1]:
                    runs[variant].append(run_child(model, strategy, variant))
            row = {"model": pathlib.Path(model).name, "strategy": strategy}
            for variant in VARIANTS:
                row[f"{variant}_first_s"] = statistics.median(r["first"] for r in runs[variant])
                row[f"{variant}_second_ms"] = 1000 * statistics.median(r["second"] for r in runs[variant])
            row["ratio"] = row["autograph_first_s"] / row["shipped_first_s"]
            row["graph_ops"] = sorted({r["ops"] for variant in VARIANTS for r in runs[variant]})
            rows.append(row)
    print(
        f"first decode of one sentence (tracing included), median of {args.rounds} fresh processes "
        "per variant; ratio = with autograph / shipped (> 1: the shipped trace is faster)\n"
    )
    print(
        "| model | strategy | shipped first s | autograph first s | ratio "
        "| warm call ms (shipped / autograph) | graph ops (both) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['model']} | {r['strategy']} | {r['shipped_first_s']:.2f} | {r['autograph_first_s']:.2f} "
            f"| {r['ratio']:.2f}x | {r['shipped_second_ms']:.0f} / {r['autograph_second_ms']:.0f} "
            f"| {' / '.join(map(str, r['graph_ops']))} |"
        )
    results = {"rounds": args.rounds, "rows": rows}
    if args.json:
        from keras_s2s.files import write_json  # atomic (temp + rename)

        write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
