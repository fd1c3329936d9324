"""Inference speed: sentences/s and p50/p95 latency per runtime, batch 1 and 64.

One `Seq2Seq` (bi-GRU encoder, additive attention) is trained for a fixed
time on the synthetic `dates` task with the training code of
`benchmarks/export.py` (its `train`), exported with its `export_all`
(SavedModel + LiteRT float32 / dynamic / float16, one set per strategy) and
run with its `runners`: Keras `model.generate`, the SavedModel's
`translate_ids` signature (`tf.saved_model.load`), and the three `.tflite`
files in `ai_edge_litert.interpreter.Interpreter`.

For greedy and beam search (beam 4) and each batch size, the held-out
sentences are cut into batches (0-padded to the longest in the batch; the
exported signatures take `(None, None)` ids); every runtime translates every
batch, interleaved batch by batch (so load from other processes hits all
runtimes alike) after an untimed warm-up pass over the first batches.
Reported: sentences/s (sentences / summed batch latency), p50 / p95 latency
per batch call in ms, and sentences/s relative to Keras. A runtime that fails
at a batch size is reported as n/a with the reason. Tokenization is outside
the timings.

    python benchmarks/inference.py               # full run, see docs/benchmarks.md
    python benchmarks/inference.py --quick       # smoke test
    python benchmarks/inference.py --json out.json
    python benchmarks/inference.py --model saved_models/multi30k_de_en   # real sentences
"""

import argparse
import os
import pathlib
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import export as export_benchmark  # noqa: E402  (benchmarks/export.py; sets env and logging)
import numpy as np  # noqa: E402
import real_sentences  # noqa: E402  (benchmarks/real_sentences.py)

import keras_s2s  # noqa: E402
from keras_s2s import data  # noqa: E402
from keras_s2s.decoding import BeamSearch, GreedySearch  # noqa: E402
from keras_s2s.files import write_json  # noqa: E402

RUNTIMES = export_benchmark.RUNTIMES
LABELS = export_benchmark.LABELS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    real_sentences.add_arguments(parser)
    parser.add_argument(
        "--runtimes", default=",".join(RUNTIMES), help="comma-separated subset of " + ",".join(RUNTIMES)
    )
    parser.add_argument("--strategies", default="greedy,beam", help="comma-separated subset of greedy,beam")
    parser.add_argument("--train-seconds", type=float, default=60.0)
    parser.add_argument("--train-pairs", type=int, default=20000)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument("--batch-sizes", default="1,64")
    parser.add_argument(
        "--batches", type=int, default=6, help="timed batches per (strategy, batch size, runtime)"
    )
    parser.add_argument("--batch1-batches", type=int, default=48, help="timed batches at batch size 1")
    parser.add_argument("--warmup", type=int, default=2, help="untimed batches first")
    parser.add_argument("--threads", type=int, default=2, help="LiteRT num_threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny run for the smoke test")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    if args.quick:
        args.train_seconds, args.train_pairs = 3.0, 512
        args.embedding_dim, args.units = 16, 32
        args.batch_sizes, args.batches, args.batch1_batches, args.warmup = "1,8", 2, 3, 1
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    args.runtimes = [r for r in args.runtimes.split(",") if r]
    unknown = sorted(set(args.runtimes) - set(RUNTIMES))
    if unknown or "keras" not in args.runtimes:
        parser.error(
            f"--runtimes: one or more of {','.join(RUNTIMES)}, keras included (the baseline). Received: {unknown or args.runtimes}"
        )
    args.strategies = [s for s in args.strategies.split(",") if s]
    if not args.strategies or set(args.strategies) - {"greedy", "beam"}:
        parser.error(f"--strategies: greedy and/or beam. Received: {args.strategies}")
    return args


def test_sources(args, needed):
    """`needed` source sentences: real ones with `--model`, else held-out dates."""
    if args.model:
        sources = real_sentences.read_sources(args, needed)
        if len(sources) < needed:
            raise SystemExit(f"--test-source {args.test_source}: {len(sources)} sentences, {needed} needed")
        return sources[:needed]
    return data.dates(needed, seed=args.seed + 1000)[0]


def batches_of(ids, batch_size, count, offset=0):
    """`count` batches of `batch_size` rows, each trimmed to its longest row."""
    out = []
    for i in range(count):
        rows = ids[offset + i * batch_size : offset + (i + 1) * batch_size]
        width = int((rows != 0).sum(axis=1).max())
        out.append(np.ascontiguousarray(rows[:, :width]).astype(np.int32))
    return out


def measure(functions, batches, warmup_batches):
    latencies = {name: [] for name in functions}
    errors = {}
    for batch in warmup_batches:
        for name, function in functions.items():
            try:
                function(batch)
            except Exception as error:  # noqa: BLE001 - reported as n/a
                errors[name] = f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
    for batch in batches:
        for name, function in functions.items():
            if name in errors:
                continue
            start = time.perf_counter()
            function(batch)
            latencies[name].append(1000 * (time.perf_counter() - start))
    return latencies, errors


def run(args):
    results = {"machine": export_benchmark.machine(), "litert_threads": args.threads}
    if args.model:
        model, source_tokenizer, target_tokenizer, results["model"] = real_sentences.load(args)
        t = results["model"]
        print(
            f"model: {args.model}, {type(model).__name__}({t['settings']}), {t['parameters']:,} "
            f"parameters; sentences: {args.test_source} in file order"
        )
    else:
        model, source_tokenizer, target_tokenizer, results["training"] = export_benchmark.train(args)
        t = results["training"]
        print(
            f"model: Seq2Seq(embedding_dim={t['embedding_dim']}, units={t['units']}, bi-GRU, "
            f"additive attention), {t['parameters']:,} parameters; task {t['task']}; trained "
            f"{t['train_seconds']:.0f} s ({t['train_steps']} steps), final token accuracy "
            f"{t['final_token_accuracy']:.3f}"
        )
    m = results["machine"]
    print(
        f"machine: {m['cpu']}, {m['cores']} CPUs (shared with other processes; load average "
        f"{m['load_average']:.1f} at start); TensorFlow {m['tensorflow']}, Keras {m['keras']}, "
        f"ai-edge-litert {m['ai_edge_litert']}; LiteRT num_threads={args.threads}"
    )

    needed = max(
        b * (n + args.warmup)
        for b, n in ((b, args.batch1_batches if b == 1 else args.batches) for b in args.batch_sizes)
    )
    ids = source_tokenizer(test_sources(args, needed)).numpy()
    strategies = {"greedy": GreedySearch(), f"beam {args.beam_size}": BeamSearch(args.beam_size)}
    strategies = {label: s for label, s in strategies.items() if label.split()[0] in args.strategies}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, strategy in strategies.items():
            translator = keras_s2s.Translator(model, source_tokenizer, target_tokenizer, strategy=strategy)
            paths, _, _ = export_benchmark.export_all(translator, os.path.join(tmp, label[:4]))
            functions = export_benchmark.runners(model, strategy, paths, args.threads)
            functions = {name: functions[name] for name in RUNTIMES if name in args.runtimes}
            for batch_size in args.batch_sizes:
                count = args.batch1_batches if batch_size == 1 else args.batches
                warm = batches_of(ids, batch_size, args.warmup)
                timed = batches_of(ids, batch_size, count, offset=batch_size * args.warmup)
                latencies, errors = measure(functions, timed, warm)
                keras_rate = None
                for name in functions:
                    row = {"strategy": label, "batch": batch_size, "runtime": name}
                    if name in errors:
                        row["error"] = errors[name]
                    else:
                        lat = latencies[name]
                        row.update(
                            sentences_per_second=1000 * batch_size * len(lat) / sum(lat),
                            p50_ms=float(np.percentile(lat, 50)),
                            p95_ms=float(np.percentile(lat, 95)),
                            batches=len(lat),
                        )
                        if name == "keras":
                            keras_rate = row["sentences_per_second"]
                        if keras_rate:
                            row["vs_keras"] = row["sentences_per_second"] / keras_rate
                    rows.append(row)
    results["rows"] = rows
    print_table(results)
    if args.json:
        write_json(args.json, results)
    return results


def print_table(results):
    print()
    print("| strategy | batch | runtime | sentences/s | p50 ms | p95 ms | vs Keras |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for r in results["rows"]:
        if "error" in r:
            print(
                f"| {r['strategy']} | {r['batch']} | {LABELS[r['runtime']]} | n/a "
                f"({r['error']}) | n/a | n/a | n/a |"
            )
            continue
        vs = f"{r['vs_keras']:.2f}x" if "vs_keras" in r else "n/a"
        print(
            f"| {r['strategy']} | {r['batch']} | {LABELS[r['runtime']]} | "
            f"{r['sentences_per_second']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {vs} |"
        )


def main(argv=None):
    return run(parse_args(argv))


if __name__ == "__main__":
    main()
