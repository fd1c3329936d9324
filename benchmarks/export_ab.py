"""Two keras_s2s source trees' exports of one model, timed against each other (A/B).

A change to the decode is judged by the exports it produces. This script
exports one trained run directory with the code of tree A and with the code
of tree B (each in a fresh process that imports `keras_s2s` from that tree:
`Translator.export_saved_model` and `export_litert`, float32, per strategy,
`--batch-size` rows at a time), then loads both exports into one process and
decodes the same real sentences with each: every round each side makes one
pass over the batches, the side that goes first alternating between rounds.
It prints sentences/s per side (fastest round and median), B / A, and
whether the two exports return the same ids. Runtimes: the SavedModel's
`translate_ids` signature (TensorFlow) and the `.tflite` file's
`translate_ids` in `ai_edge_litert` (`--threads` threads, XNNPACK).
Tokenization is outside the timings (tree A's source tokenizer, once; the
timing process loads the tokenizers, not the model).

Timing both exports in one process, interleaved, is what makes a few percent
visible on a shared machine whose speed drifts by more than that within an
hour (docs/benchmarks.md, "The machine"): two exports of the same tree read
0.96-1.06x in one run (docs/benchmarks.md, "Two exports against each other").

    git worktree add /tmp/base HEAD~1
    python benchmarks/export_ab.py --a /tmp/base --b . --model saved_models/multi30k_de_en
    python benchmarks/export_ab.py --a /tmp/base --b . --model saved_models/multi30k_de_en_transformer \\
        --strategies beam --rounds 3
    python benchmarks/export_ab.py --quick      # this tree against itself, a few sentences (smoke test)
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import real_sentences

REPO = pathlib.Path(__file__).resolve().parents[1]
RUNTIMES = ("saved_model", "litert")
SIDES = ("A", "B")
QUICK_SENTENCES = (
    "Ein Mann fährt auf einem Fahrrad.",
    "Zwei Hunde spielen im Schnee.",
    "Eine Frau liest ein Buch im Park.",
    "Kinder spielen am Strand.",
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", default=None, help="source tree A (e.g. a `git worktree` of the base commit)")
    parser.add_argument("--b", default=str(REPO), help="source tree B (default: this tree)")
    parser.add_argument(
        "--model", default=str(REPO / "saved_models" / "multi30k_de_en"), help="run directory"
    )
    parser.add_argument(
        "--test-source",
        default=str(real_sentences.default_test_source()),
        help="source sentences, one a line (default: the shared Multi30k test_2016_flickr.de.gz)",
    )
    parser.add_argument("--strategies", default="greedy,beam", help="comma-separated subset of greedy,beam")
    parser.add_argument(
        "--runtimes", default=",".join(RUNTIMES), help="comma-separated subset of saved_model,litert"
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--sentences", type=int, default=256, help="test sentences per pass")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes per side and runtime")
    parser.add_argument("--threads", type=int, default=2, help="LiteRT num_threads")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: this tree against itself, greedy, 4 built-in sentences in batches of 2, "
        "2 rounds (--a, --b, --strategies, --batch-size, --sentences and --rounds are not read)",
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument(
        "--export", nargs=5, metavar=("TREE", "MODEL", "OUT", "STRATEGIES", "BATCH"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.export:
        return args
    args.strategies = [s for s in args.strategies.split(",") if s]
    if not args.strategies or set(args.strategies) - {"greedy", "beam"}:
        parser.error(f"--strategies must name greedy and/or beam. Received: {args.strategies}")
    args.runtimes = [r for r in args.runtimes.split(",") if r]
    if not args.runtimes or set(args.runtimes) - set(RUNTIMES):
        parser.error(f"--runtimes must name saved_model and/or litert. Received: {args.runtimes}")
    for name in ("batch_size", "sentences", "rounds", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(args, name)}")
    if args.quick:
        args.a, args.b, args.strategies = str(REPO), str(REPO), ["greedy"]
        args.batch_size, args.sentences, args.rounds = 2, len(QUICK_SENTENCES), 2
    if args.a is None:
        parser.error("--a is required (a keras_s2s source tree; --quick compares this tree with itself)")
    for side in ("a", "b"):
        tree = pathlib.Path(getattr(args, side)).resolve()
        if not (tree / "keras_s2s" / "__init__.py").is_file():
            parser.error(
                f"--{side} must be a keras_s2s source tree. Received: {tree} (no keras_s2s/__init__.py)"
            )
        setattr(args, side, str(tree))
    if not os.path.isfile(os.path.join(args.model, "settings.json")):
        parser.error(f"--model must be a run directory (with settings.json). Received: {args.model}")
    args.model = os.path.abspath(args.model)
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        parser.error(f"--json: the folder of {args.json} does not exist")
    if not args.quick and not os.path.exists(args.test_source):
        parser.error(f"--test-source {args.test_source} does not exist (set KERAS_S2S_DATA or pass a file)")
    return args


# ------------------------------------------------------- one side's exports
def import_tree(tree):
    """`keras_s2s` imported from `tree` (first on `sys.path`); refuses a copy from elsewhere."""
    sys.path.insert(0, tree)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras_s2s

    imported = pathlib.Path(keras_s2s.__file__).resolve()
    if pathlib.Path(tree).resolve() not in imported.parents:  # an installed copy shadowed the tree
        raise SystemExit(f"keras_s2s was imported from {imported}, not from {tree}")
    return keras_s2s


def export(tree, model_dir, out, strategies, batch_size):
    """In a fresh process: exports `model_dir` with `tree`'s keras_s2s, one folder per strategy."""
    keras_s2s = import_tree(tree)
    from keras_s2s.decoding import BeamSearch, GreedySearch
    from keras_s2s.training.run_directory import load_run

    model, source_tokenizer, target_tokenizer, _ = load_run(model_dir)
    for name in strategies.split(","):
        strategy = BeamSearch(beam_size=4) if name == "beam" else GreedySearch()
        translator = keras_s2s.Translator(
            model, source_tokenizer, target_tokenizer, strategy=strategy, batch_size=int(batch_size)
        )
        translator.export_saved_model(os.path.join(out, name, "saved_model", "1"))
        translator.export_litert(os.path.join(out, name, "model.tflite"))


def run_export(tree, model_dir, out, strategies, batch_size):
    command = [
        sys.executable,
        __file__,
        "--export",
        tree,
        model_dir,
        out,
        ",".join(strategies),
        str(batch_size),
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"exporting with {tree} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


# ------------------------------------------------------------------ timing
def source_batches(args):
    """Tree A's source tokenizer over the test sentences: a list of int32 `(b, S)` arrays."""
    import_tree(args.a)  # also registers the tensorflow-text ops the SavedModels hold
    from keras_s2s.training.run_directory import load_tokenizers

    source_tokenizer, _ = load_tokenizers(args.model)
    if args.quick:
        lines = list(QUICK_SENTENCES)
    else:
        lines = real_sentences.read_sources(args, args.sentences)
    step = args.batch_size
    return [source_tokenizer(lines[i : i + step]).numpy() for i in range(0, len(lines), step)]


def runners(folder, runtimes, threads):
    """`{runtime: ids (b, S) -> target ids}` for one side's export of one strategy."""
    import tensorflow as tf

    out = {}
    if "saved_model" in runtimes:
        signature = tf.saved_model.load(str(folder / "saved_model" / "1")).signatures["translate_ids"]
        out["saved_model"] = lambda ids: signature(source_ids=tf.constant(ids))["target_ids"].numpy()
    if "litert" in runtimes:
        from ai_edge_litert.interpreter import Interpreter

        runner = Interpreter(
            model_path=str(folder / "model.tflite"), num_threads=threads
        ).get_signature_runner("translate_ids")
        out["litert"] = lambda ids: runner(source_ids=ids)["target_ids"]
    return out


def time_strategy(exports, strategy, batches, args):
    """Rows `{strategy, runtime, A/B sentences/s, ratio, same_ids}` for one strategy."""
    import numpy as np

    run = {side: runners(exports[side] / strategy, args.runtimes, args.threads) for side in SIDES}
    for side in SIDES:  # warm-up: first calls allocate and plan
        for fn in run[side].values():
            for batch in batches[:2]:
                fn(batch)
    sentences = sum(len(b) for b in batches)
    rows = []
    for runtime in args.runtimes:
        seconds = {side: [] for side in SIDES}
        ids = {}
        for i in range(args.rounds):
            for side in SIDES if i % 2 == 0 else SIDES[::-1]:  # alternating order
                start = time.perf_counter()
                ids[side] = [run[side][runtime](batch) for batch in batches]
                seconds[side].append(time.perf_counter() - start)
        row = {"strategy": strategy, "runtime": runtime}
        for side in SIDES:
            row[f"{side}_fastest"] = sentences / min(seconds[side])
            row[f"{side}_median"] = sentences / statistics.median(seconds[side])
        row["ratio"] = row["B_fastest"] / row["A_fastest"]
        row["ratio_median"] = row["B_median"] / row["A_median"]
        row["same_ids"] = all(np.array_equal(a, b) for a, b in zip(ids["A"], ids["B"]))
        rows.append(row)
    return rows


def main(argv=None):
    args = parse_args(argv)
    if args.export:
        export(*args.export)
        return None
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with tempfile.TemporaryDirectory() as tmp:
        exports = {side: pathlib.Path(tmp) / side for side in SIDES}
        export_s = {
            side: run_export(
                getattr(args, side.lower()), args.model, str(exports[side]), args.strategies, args.batch_size
            )
            for side in SIDES
        }
        batches = source_batches(args)
        rows = [
            row for strategy in args.strategies for row in time_strategy(exports, strategy, batches, args)
        ]
    sentences = sum(len(b) for b in batches)
    print(f"A: {args.a}\nB: {args.b}\nmodel: {args.model}")
    print(
        f"{sentences} sentences in batches of {args.batch_size}; sentences/s, fastest (median) of "
        f"{args.rounds} alternating passes; LiteRT num_threads={args.threads}; "
        f"export s (every strategy, process start included): A {export_s['A']:.1f}, B {export_s['B']:.1f}\n"
    )
    print("| strategy | runtime | A sent/s | B sent/s | B / A | same ids |")
    print("|---|---|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['strategy']} | {r['runtime']} | {r['A_fastest']:.1f} ({r['A_median']:.1f}) "
            f"| {r['B_fastest']:.1f} ({r['B_median']:.1f}) | {r['ratio']:.3f}x ({r['ratio_median']:.3f}x) "
            f"| {'yes' if r['same_ids'] else 'NO'} |"
        )
    results = {
        "a": args.a,
        "b": args.b,
        "model": args.model,
        "test_source": "built-in (--quick)" if args.quick else os.path.abspath(args.test_source),
        "strategies": args.strategies,
        "runtimes": args.runtimes,
        "threads": args.threads,
        "batch_size": args.batch_size,
        "sentences": sentences,
        "rounds": args.rounds,
        "export_s": export_s,
        "rows": rows,
    }
    if args.json:
        from keras_s2s.files import write_json  # tree A's (imported by `source_batches`): atomic

        write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
