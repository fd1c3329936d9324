"""Export benchmark: artifact sizes, batch-1 latency, quantization agreement.

One run, one trained model. A `Seq2Seq` (bi-GRU encoder, additive
attention) is trained for a fixed wall-clock time on the synthetic `dates`
task (`keras_s2s.data.dates`, `CharTokenizer` on both sides), then, for
greedy and beam search (beam 4):

1. exported as a SavedModel (`translator.export_saved_model`) and as LiteRT
   float32 / dynamic-range (int8 weights) / float16 `.tflite` files; their
   sizes on disk (the SavedModel as its whole directory);
2. every held-out sentence is translated at batch 1 by each runtime —
   Keras `model.generate`, the SavedModel's `translate_ids` signature
   (`tf.saved_model.load`), and the three `.tflite` files in
   `ai_edge_litert.interpreter.Interpreter` — interleaved sentence by
   sentence (so machine load hits all runtimes alike) after a warm-up; the
   p50 / p95 per-sentence latency in ms and the ratio to Keras;
3. the token agreement of every runtime with LiteRT float32 on the same
   sentences: matching positions / positions, over each pair of outputs up
   to and including [END] (the longer one counts), and the fraction of
   sentences with identical outputs.

Tokenization is outside the timings (every runtime gets the same ids).

    python benchmarks/export.py                 # ~4 min on 2 CPU cores, see docs/export.md
    python benchmarks/export.py --quick         # smoke test, about a minute
    python benchmarks/export.py --json out.json
"""

import argparse
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # tf.saved_model.save's harmless table_initializer warning

import keras_s2s  # noqa: E402
from keras_s2s import data, text  # noqa: E402
from keras_s2s.decoding import BeamSearch, GreedySearch  # noqa: E402
from keras_s2s.files import write_json  # noqa: E402
from keras_s2s.models import Seq2Seq  # noqa: E402
from keras_s2s.training import TimeBudget  # noqa: E402

END_ID = 3
QUANTIZATIONS = (None, "dynamic", "float16")
RUNTIMES = ("keras", "saved_model", "litert_float32", "litert_dynamic", "litert_float16")
LABELS = {
    "keras": "Keras model.generate",
    "saved_model": "SavedModel translate_ids",
    "litert_float32": "LiteRT float32",
    "litert_dynamic": "LiteRT dynamic (int8 w)",
    "litert_float16": "LiteRT float16",
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--train-seconds", type=float, default=120.0, help="wall-clock training budget (default 120)"
    )
    parser.add_argument("--train-pairs", type=int, default=20000)
    parser.add_argument(
        "--sentences", type=int, default=500, help="held-out sentences timed (batch 1) and compared"
    )
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls per runtime")
    parser.add_argument(
        "--threads", type=int, default=None, help="LiteRT interpreter threads (default: the runtime's choice)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out-dir", default=None, help="keep the exported artifacts here (default: a temporary directory)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 8 s of training, 12 sentences, small model"
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.train_seconds = min(args.train_seconds, 8.0)
        args.train_pairs = min(args.train_pairs, 4000)
        args.sentences = min(args.sentences, 12)
        args.embedding_dim = min(args.embedding_dim, 32)
        args.units = min(args.units, 64)
        args.warmup = min(args.warmup, 2)
    return args


def machine():
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    from importlib.metadata import version

    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "git": commit,
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else -1.0,
        "platform": f"{platform.system()} {platform.machine()}",
        "cpu": cpu,
        "cores": cores,
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "ai_edge_litert": version("ai-edge-litert"),
    }


def train(args):
    keras.utils.set_random_seed(args.seed)
    sources, targets = data.dates(args.train_pairs, seed=args.seed)
    source_tokenizer = text.CharTokenizer.train(sources)
    target_tokenizer = text.CharTokenizer.train(targets)
    src = source_tokenizer(sources).numpy()
    tgt = target_tokenizer(targets).numpy()
    model = Seq2Seq(
        source_tokenizer.vocab_size,
        target_tokenizer.vocab_size,
        embedding_dim=args.embedding_dim,
        units=args.units,
        attention="additive",
    )
    model.compile()
    budget = TimeBudget(args.train_seconds)
    start = time.perf_counter()
    history = model.fit(
        {"source_ids": src, "target_ids": tgt[:, :-1]},
        tgt[:, 1:],
        batch_size=64,
        epochs=10_000,
        verbose=0,
        callbacks=[budget],
    )
    info = {
        "task": "dates (CharTokenizer both sides)",
        "train_pairs": args.train_pairs,
        "train_seconds": time.perf_counter() - start,
        "train_steps": budget.steps,
        "batch_size": 64,
        "final_token_accuracy": float(history.history[next(k for k in history.history if "acc" in k)][-1]),
        "parameters": int(model.count_params()),
        "embedding_dim": args.embedding_dim,
        "units": args.units,
        "source_vocab_size": source_tokenizer.vocab_size,
        "target_vocab_size": target_tokenizer.vocab_size,
    }
    return model, source_tokenizer, target_tokenizer, info


def directory_size(path):
    return sum(p.stat().st_size for p in pathlib.Path(path).rglob("*") if p.is_file())


def until_end(ids):
    """Token ids up to and including the first [END] (or all non-padding)."""
    ids = np.asarray(ids).reshape(-1)
    ends = np.flatnonzero(ids == END_ID)
    return ids[: ends[0] + 1] if len(ends) else ids[ids != 0]


def agreement(outputs, reference):
    """(token agreement, identical-sentence rate) of `outputs` with `reference`."""
    matches = positions = identical = 0
    for a, b in zip(outputs, reference):
        n = min(len(a), len(b))
        matches += int(np.sum(a[:n] == b[:n]))
        positions += max(len(a), len(b))
        identical += int(len(a) == len(b) and np.array_equal(a, b))
    return matches / max(positions, 1), identical / max(len(reference), 1)


def export_all(translator, directory):
    """SavedModel + the three .tflite files → (paths, sizes in bytes, export seconds)."""
    paths, sizes, seconds = {}, {}, {}
    start = time.perf_counter()
    paths["saved_model"] = translator.export_saved_model(os.path.join(directory, "saved_model", "1"))
    seconds["saved_model"] = time.perf_counter() - start
    sizes["saved_model"] = directory_size(paths["saved_model"])
    for quantization in QUANTIZATIONS:
        name = f"litert_{quantization or 'float32'}"
        start = time.perf_counter()
        paths[name] = translator.export_litert(
            os.path.join(directory, f"{name}.tflite"), quantization=quantization
        )
        seconds[name] = time.perf_counter() - start
        sizes[name] = os.path.getsize(paths[name])
    return paths, sizes, seconds


def runners(model, strategy, paths, threads):
    """Runtime name → function(int32 (1, S) ids) → (1, L) target ids as numpy."""
    from ai_edge_litert.interpreter import Interpreter

    signature = tf.saved_model.load(paths["saved_model"]).signatures["translate_ids"]
    functions = {
        "keras": lambda ids: model.generate(ids, strategy)["ids"].numpy(),
        "saved_model": lambda ids: signature(source_ids=tf.constant(ids))["target_ids"].numpy(),
    }
    for name in RUNTIMES[2:]:
        runner = Interpreter(model_path=paths[name], num_threads=threads).get_signature_runner(
            "translate_ids"
        )
        functions[name] = lambda ids, runner=runner: runner(source_ids=ids)["target_ids"]
    return functions


def measure(functions, sentences_ids, warmup):
    """Interleaved batch-1 runs → per runtime: latencies (ms) and outputs."""
    for ids in sentences_ids[:warmup]:
        for function in functions.values():
            function(ids)
    latencies = {name: [] for name in functions}
    outputs = {name: [] for name in functions}
    for ids in sentences_ids:
        for name, function in functions.items():
            start = time.perf_counter()
            out = function(ids)
            latencies[name].append(1000 * (time.perf_counter() - start))
            outputs[name].append(until_end(out[0]))
    return latencies, outputs


def run(args):
    info = {
        "machine": machine(),
        "command": "python benchmarks/export.py " + " ".join(sys.argv[1:] if __name__ == "__main__" else []),
    }
    model, source_tokenizer, target_tokenizer, info["training"] = train(args)
    t = info["training"]
    print(
        f"model: Seq2Seq(embedding_dim={t['embedding_dim']}, units={t['units']}, bi-GRU, "
        f"additive attention), {t['parameters']:,} parameters; task {t['task']}, vocab "
        f"{t['source_vocab_size']} / {t['target_vocab_size']}"
    )
    print(
        f"trained {t['train_seconds']:.0f} s ({t['train_steps']} steps of 64 pairs), "
        f"final token accuracy {t['final_token_accuracy']:.3f}"
    )
    m = info["machine"]
    print(
        f"machine: {m['platform']}, {m['cpu']}, {m['cores']} cores (load average "
        f"{m['load_average']:.1f} at start); TF {m['tensorflow']}, Keras {m['keras']}, "
        f"ai-edge-litert {m['ai_edge_litert']}; keras_s2s {m['git'] or 'unknown commit'}"
    )

    sources, targets = data.dates(args.sentences, seed=args.seed + 1000)
    ids = source_tokenizer(sources).numpy()
    sentences_ids = [row[row != 0][None, :].astype(np.int32) for row in ids]  # (1, S) each
    references = [until_end(r) for r in target_tokenizer(targets).numpy()[:, 1:]]

    strategies = {"greedy": GreedySearch(), f"beam{args.beam_size}": BeamSearch(args.beam_size)}
    results = {
        **info,
        "sentences": args.sentences,
        "litert_threads": args.threads,
        "sizes_bytes": {},
        "export_seconds": {},
        "latency_ms": {},
        "agreement": {},
        "exact_match_with_reference": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out_dir or tmp
        for label, strategy in strategies.items():
            translator = keras_s2s.Translator(model, source_tokenizer, target_tokenizer, strategy=strategy)
            paths, sizes, seconds = export_all(translator, os.path.join(root, label))
            results["sizes_bytes"][label] = sizes
            results["export_seconds"][label] = seconds
            functions = runners(model, strategy, paths, args.threads)
            latencies, outputs = measure(functions, sentences_ids, args.warmup)
            keras_p50 = float(np.percentile(latencies["keras"], 50))
            keras_p95 = float(np.percentile(latencies["keras"], 95))
            results["latency_ms"][label], results["agreement"][label] = {}, {}
            for name in RUNTIMES:
                p50 = float(np.percentile(latencies[name], 50))
                p95 = float(np.percentile(latencies[name], 95))
                results["latency_ms"][label][name] = {
                    "p50": p50,
                    "p95": p95,
                    "p50_over_keras": p50 / keras_p50,
                    "p95_over_keras": p95 / keras_p95,
                }
                tokens, identical = agreement(outputs[name], outputs["litert_float32"])
                results["agreement"][label][name] = {"tokens": tokens, "sentences": identical}
            results["exact_match_with_reference"][label] = agreement(outputs["keras"], references)[1]
    print_tables(results)
    if args.json:
        write_json(args.json, results)
    return results


def print_tables(results):
    sizes = results["sizes_bytes"]
    labels = list(sizes)
    print("\nSizes on disk (bytes; SavedModel = whole directory)")
    print(f"{'artifact':<26}" + "".join(f"{label:>14}" for label in labels) + f"{'vs float32':>12}")
    for name in ("saved_model",) + tuple(f"litert_{q or 'float32'}" for q in QUANTIZATIONS):
        row = f"{'SavedModel' if name == 'saved_model' else LABELS[name]:<26}"
        row += "".join(f"{sizes[label][name]:>14,}" for label in labels)
        ratio = sizes[labels[0]][name] / sizes[labels[0]]["litert_float32"]
        print(row + f"{ratio:>11.2f}x")
    n = results["sentences"]
    print(f"\nLatency per sentence at batch 1 (ms, {n} sentences) and agreement with LiteRT float32")
    header = (
        f"{'strategy':<9}{'runtime':<26}{'p50':>8}{'p95':>8}{'p50/Keras':>11}"
        f"{'p95/Keras':>11}{'token agr.':>12}{'identical':>11}"
    )
    print(header)
    print("-" * len(header))
    for label in labels:
        for name in RUNTIMES:
            lat = results["latency_ms"][label][name]
            agr = results["agreement"][label][name]
            print(
                f"{label:<9}{LABELS[name]:<26}{lat['p50']:>8.2f}{lat['p95']:>8.2f}"
                f"{lat['p50_over_keras']:>10.2f}x{lat['p95_over_keras']:>10.2f}x"
                f"{agr['tokens']:>12.4f}{agr['sentences']:>11.3f}"
            )
    exact = ", ".join(f"{k} {v:.3f}" for k, v in results["exact_match_with_reference"].items())
    print(f"\nexact match of the Keras output with the reference dates: {exact}")


def main(argv=None):
    return run(parse_args(argv))


if __name__ == "__main__":
    main()
