"""The bottleneck: quality vs source length, with and without attention.

The shape of Bahdanau et al. 2015, Fig. 2: an encoder-decoder that passes the
source through one fixed-size vector (`attention=None`, Cho et al. 2014)
degrades as sentences get longer; with attention it does not.

Task: the synthetic copy-reverse task (`keras_s2s.data.reverse`), sources of
`--min-length`..`--max-length` symbols (default 5..64) over `--symbols`
symbols; ids are the symbols' indices + 4 (0-3 are the special tokens), the
targets `[START] reversed [END]`.

Models: `keras_s2s.models.Seq2Seq(attention=None | "additive" |
"multiplicative" | "scaled_dot")`, bi-GRU encoder, GRU decoder. Same parameter
budget: the additive model at `--units` is the reference; every other model's
`units` is the multiple of 8 whose parameter count is closest to it (printed;
within ~10%). Same training budget: `--steps` Adam steps of `--batch-size`
pairs each, on the same batches in the same order (training pairs are
bucketed by length, so a batch holds similar lengths).

Scored on `--test` held-out pairs, decoded greedily with `model.generate`:
exact match (the whole reversed sequence right) and token accuracy (positions
where the output equals the reference, over the reference length) per bucket
of source length. The table is printed, and with `--plot` saved as a PNG.

    python benchmarks/bottleneck.py --plot docs/bottleneck.png   # see docs/bottleneck.md
    python benchmarks/bottleneck.py --quick                      # smoke test
"""

import argparse
import os
import pathlib
import platform
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_s2s import data  # noqa: E402
from keras_s2s.data.synthetic import reverse_symbols  # noqa: E402
from keras_s2s.files import write_json  # noqa: E402
from keras_s2s.models import Seq2Seq  # noqa: E402

START_ID, END_ID = 2, 3
ATTENTIONS = (None, "additive", "multiplicative", "scaled_dot")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--min-length", type=int, default=5)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--train-pairs", type=int, default=40000)
    parser.add_argument("--test", type=int, default=600)
    parser.add_argument("--embedding-dim", type=int, default=32)
    parser.add_argument("--units", type=int, default=96, help="units of the additive model")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=600, help="training steps per model")
    parser.add_argument("--bucket-width", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="PNG", help="save the accuracy-vs-length plot here")
    parser.add_argument("--quick", action="store_true", help="tiny run for the smoke test")
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    if args.quick:
        args.max_length, args.train_pairs, args.test = 24, 512, 40
        args.embedding_dim, args.units, args.steps, args.batch_size = 8, 16, 4, 16
    return args


# === data ===


def to_ids(sequences, width, symbols):
    vocab = {s: i + 4 for i, s in enumerate(reverse_symbols(symbols))}
    out = np.zeros((len(sequences), width), np.int32)
    for row, sequence in enumerate(sequences):
        ids = [vocab[s] for s in sequence.split()]
        out[row, : len(ids)] = ids
    return out


def make_pairs(n, seed, args):
    sources, targets = data.reverse(
        n, seed=seed, min_length=args.min_length, max_length=args.max_length, vocab_size=args.symbols
    )
    source_ids = to_ids(sources, args.max_length, args.symbols)
    body = to_ids(targets, args.max_length, args.symbols)
    lengths = (source_ids != 0).sum(1)
    target = np.zeros((n, args.max_length + 2), np.int32)
    target[:, 0] = START_ID
    target[:, 1:-1] = body
    target[np.arange(n), lengths + 1] = END_ID
    return source_ids, target, lengths


def training_batches(args):
    """The same list of (x, y) batches for every model, bucketed by length."""
    source, target, lengths = make_pairs(args.train_pairs, args.seed, args)
    order = np.argsort(lengths + np.random.default_rng(args.seed).random(len(lengths)))
    batches = []
    for i in range(0, len(order) - args.batch_size + 1, args.batch_size):
        idx = order[i : i + args.batch_size]
        s = int(lengths[idx].max())
        batches.append(
            ({"source_ids": source[idx, :s], "target_ids": target[idx, : s + 1]}, target[idx, 1 : s + 2])
        )
    rng = np.random.default_rng(args.seed + 1)
    return [batches[i] for i in rng.permutation(len(batches))]


# === models ===


def build(attention, units, args):
    return Seq2Seq(
        args.symbols + 4, args.symbols + 4, embedding_dim=args.embedding_dim, units=units, attention=attention
    )


def matched_units(build_fn, reference, max_units):
    """The multiple of 8 whose model `build_fn(units)` has the parameter count
    closest to `reference`, searched up to `max_units`; returns `(units, count)`."""
    best = None
    for units in range(8, max_units + 8, 8):
        count = build_fn(units).count_params()
        if best is None or abs(count - reference) < abs(best[1] - reference):
            best = (units, count)
        if count > reference:
            break
    return best


def train(model, batches, steps):
    model.compile()
    # The output-bias prior needs one fit over labels; keep it for every model alike.
    start = time.perf_counter()
    losses = []
    for step in range(steps):
        x, y = batches[step % len(batches)]
        if step == 0:
            model.fit(x, y, batch_size=len(y), epochs=1, verbose=0)
            continue
        losses.append(float(model.train_on_batch(x, y)[0]))
    return time.perf_counter() - start, losses


def evaluate(model, args):
    source, target, lengths = make_pairs(args.test, args.seed + 10_000, args)
    references = target[:, 1:]
    predictions = []
    for i in range(0, args.test, 100):
        rows = source[i : i + 100]
        width = int((rows != 0).sum(1).max())
        ids = model.generate(rows[:, :width], strategy="greedy", max_length=args.max_length + 2)[
            "ids"
        ].numpy()
        predictions.extend(ids)
    exact, accuracy = [], []
    for prediction, reference, n in zip(predictions, references, lengths):
        ref = reference[: n + 1]  # the reversed sequence + [END]
        hyp = np.zeros(n + 1, np.int32)
        hyp[: min(len(prediction), n + 1)] = prediction[: n + 1]
        exact.append(bool(np.array_equal(hyp, ref)))
        accuracy.append(float(np.mean(hyp[:n] == ref[:n])))
    return lengths, np.array(exact), np.array(accuracy)


def buckets(args):
    edges = list(range(args.min_length, args.max_length + 1, args.bucket_width))
    return [(low, min(low + args.bucket_width - 1, args.max_length)) for low in edges]


def run(args):
    keras.utils.set_random_seed(args.seed)
    batches = training_batches(args)
    reference = build("additive", args.units, args).count_params()
    results = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average": list(os.getloadavg()),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "python": platform.python_version(),
        },
        "config": {k: v for k, v in vars(args).items() if k != "json"},
        "models": [],
    }
    for attention in ATTENTIONS:
        if attention == "additive":
            units, params = args.units, reference
        else:
            units, params = matched_units(lambda u: build(attention, u, args), reference, 4 * args.units)
        keras.utils.set_random_seed(args.seed)
        model = build(attention, units, args)
        seconds, losses = train(model, batches, args.steps)
        lengths, exact, accuracy = evaluate(model, args)
        per_bucket = []
        for low, high in buckets(args):
            members = (lengths >= low) & (lengths <= high)
            if members.any():
                per_bucket.append(
                    {
                        "bucket": f"{low}-{high}",
                        "sentences": int(members.sum()),
                        "exact_match": float(exact[members].mean()),
                        "token_accuracy": float(accuracy[members].mean()),
                    }
                )
        name = attention or "none"
        results["models"].append(
            {
                "attention": name,
                "units": units,
                "params": int(params),
                "train_seconds": seconds,
                "steps": args.steps,
                "final_loss": float(np.mean(losses[-20:])) if losses else None,
                "exact_match": float(exact.mean()),
                "token_accuracy": float(accuracy.mean()),
                "buckets": per_bucket,
            }
        )
        print(
            f"trained attention={name}: units {units}, {params:,} params, {args.steps} steps "
            f"in {seconds:.0f} s, token accuracy {accuracy.mean():.3f}",
            flush=True,
        )
    print_tables(results)
    if args.plot:
        plot(results, args.plot)
    if args.json:
        write_json(args.json, results)
    return results


def print_tables(results):
    c, m = results["config"], results["machine"]
    print(
        f"\nreverse task: {c['symbols']} symbols, lengths {c['min_length']}-{c['max_length']}, "
        f"{c['steps']} steps x batch {c['batch_size']} per model, {c['test']} test pairs, "
        f"greedy; {m['cpu_count']} CPUs (shared), TensorFlow {m['tensorflow']}"
    )
    print("\n| attention | units | params | vs additive | train s | token acc. | exact match |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    reference = next(r["params"] for r in results["models"] if r["attention"] == "additive")
    for r in results["models"]:
        print(
            f"| {r['attention']} | {r['units']} | {r['params']:,} | "
            f"{r['params'] / reference:.2f}x | {r['train_seconds']:.0f} | "
            f"{r['token_accuracy']:.3f} | {r['exact_match']:.3f} |"
        )
    labels = [b["bucket"] for b in results["models"][0]["buckets"]]
    for metric in ("token_accuracy", "exact_match"):
        print(f"\n{metric.replace('_', ' ')} by source length")
        print("| attention | " + " | ".join(labels) + " |")
        print("|---|" + "---:|" * len(labels))
        for r in results["models"]:
            values = {b["bucket"]: b[metric] for b in r["buckets"]}
            print(
                f"| {r['attention']} | "
                + " | ".join(f"{values[label]:.3f}" if label in values else "-" for label in labels)
                + " |"
            )


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for metric, axis in zip(("token_accuracy", "exact_match"), axes):
        for r in results["models"]:
            x = [np.mean([int(v) for v in b["bucket"].split("-")]) for b in r["buckets"]]
            axis.plot(
                x,
                [b[metric] for b in r["buckets"]],
                marker="o",
                label=f"{r['attention']} ({r['params'] / 1e3:.0f}k params)",
            )
        axis.set_xlabel("source length (symbols)")
        axis.set_ylabel(metric.replace("_", " "))
        axis.set_ylim(-0.02, 1.02)
        axis.grid(alpha=0.3)
    c = results["config"]
    save_figure(figure, axes, f"reverse task, {c['steps']} steps x {c['batch_size']} per model, greedy", path)


def save_figure(figure, axes, title, path):
    """Legend on the first panel, the title, and the PNG written atomically."""
    from keras_s2s.files import atomic_path

    axes[0].legend()
    figure.suptitle(title)
    figure.tight_layout()
    with atomic_path(path, overwrite=True, is_dir=False) as tmp:
        figure.savefig(tmp, dpi=100, format="png")


def main(argv=None):
    return run(parse_args(argv))


if __name__ == "__main__":
    main()
