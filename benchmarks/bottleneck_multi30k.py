"""The bottleneck on real data: Multi30k De→En BLEU by source length.

Part (a) of the bottleneck experiment (part (b), the synthetic task, is
`bottleneck.py`): the shape of Bahdanau et al. 2015, Fig. 2 on Multi30k task 1
German→English, test_2016_flickr bucketed by the number of words in the German
sentence.

Models: `keras_s2s.models.Seq2Seq(attention=None | "additive" |
"multiplicative" | "scaled_dot")`, bi-GRU encoder, GRU decoder, and
`keras_s2s.models.Transformer` (`transformer`: 3 + 3 pre-LN layers, 4 heads,
feed-forward 4d, dropout 0.1), subword vocabularies (lowercased WordPiece,
`--vocab-size` per side). Same parameter budget: the additive model at
`--units` is the reference, every other model gets the multiple of 8 `units`
(the Transformer: `d`) whose parameter count is closest (printed). Same
training budget: `--epochs` epochs of `model.fit` over the same 29,000 pairs in
the same order (`make_dataset`, one seed); the RNNs with the default
`compile()` (Adam 1e-3, clipnorm 1), the Transformer with the recipe it needs
(Adam β2 0.98, clipnorm 1, warmup + inverse-square-root schedule peaking after
`--warmup-steps`, label smoothing 0.1); the weights after the last epoch are
scored.

Scored with sacreBLEU (lowercased BLEU and chrF; the models write lowercase)
on the detokenized greedy and beam-`--beam-size` translations, overall and per
bucket of `--boundaries`. Results are written to `--json` after every model, so
an interrupted run continues with `--continue` (models already in the JSON are
not retrained).

    python benchmarks/bottleneck_multi30k.py --tokenizers saved_models/multi30k_de_en \\
        --json docs/bottleneck_multi30k.json --plot docs/bottleneck_multi30k.png
    python benchmarks/bottleneck_multi30k.py --quick   # smoke test (needs the data)
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
import tensorflow as tf  # noqa: E402
from bottleneck import ATTENTIONS, matched_units, save_figure  # noqa: E402

from keras_s2s import data  # noqa: E402
from keras_s2s.cli.evaluation import score, score_by_length  # noqa: E402
from keras_s2s.decoding import BeamSearch, GreedySearch  # noqa: E402
from keras_s2s.files import write_json  # noqa: E402
from keras_s2s.models import Seq2Seq, Transformer  # noqa: E402
from keras_s2s.optimizers import InverseSquareRootSchedule  # noqa: E402
from keras_s2s.training import build_tokenizers  # noqa: E402
from keras_s2s.training.run_directory import load_tokenizers, read_json  # noqa: E402
from keras_s2s.translator import Translator  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data"
NAMES = [a or "none" for a in ATTENTIONS] + ["transformer"]  # None is the no-attention model


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("KERAS_S2S_DATA", str(DEFAULT_DATA)),
        help="data root holding multi30k/ (default ../shared/data)",
    )
    parser.add_argument(
        "--tokenizers", metavar="RUN_DIR", help="reuse a run directory's tokenizers instead of training them"
    )
    parser.add_argument("--vocab-size", type=int, default=5000)
    parser.add_argument("--embedding-dim", type=int, default=256)
    parser.add_argument("--units", type=int, default=256, help="units of the additive model")
    parser.add_argument("--dropout", type=float, default=0.3, help="RNN dropout (the Transformer's: 0.1)")
    parser.add_argument("--warmup-steps", type=int, default=800, help="the Transformer's schedule")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument(
        "--boundaries", default="8,10,12,14,16,20", help="source-length bucket edges in German words"
    )
    parser.add_argument("--train-pairs", type=int, help="use the first N training pairs")
    parser.add_argument("--test-pairs", type=int, help="score the first N test pairs")
    parser.add_argument(
        "--attentions",
        default="none,additive,multiplicative,scaled_dot",
        help=f"the models to train (comma-separated, from {NAMES})",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="OUT", help="results file, written after every model")
    parser.add_argument(
        "--continue",
        dest="resume",
        action="store_true",
        help="keep the models already in --json and train the rest",
    )
    parser.add_argument("--plot", metavar="PNG")
    parser.add_argument("--quick", action="store_true", help="tiny run for the smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.train_pairs, args.test_pairs, args.vocab_size = 400, 120, 300
        args.embedding_dim, args.units, args.epochs, args.batch_size = 16, 16, 1, 32
    args.boundaries = tuple(int(b) for b in args.boundaries.split(","))
    args.attentions = [a.strip() for a in args.attentions.split(",")]
    if not args.attentions or not set(args.attentions) <= set(NAMES):
        parser.error(f"--attentions takes names from {NAMES}. Received: {args.attentions}")
    if args.resume and not args.json:
        parser.error("--continue needs --json")
    return args


# === data ===


def load(args):
    directory = os.path.join(args.data_dir, "multi30k")
    if not os.path.isdir(directory):
        raise SystemExit(f"Multi30k is not in {directory}: pass --data-dir (see ../shared/data/README)")
    splits = {s: data.multi30k(s, "de", "en", data_dir=directory) for s in ("train", "val", "test")}
    limits = {"train": args.train_pairs, "test": args.test_pairs}
    return {s: (de[: limits.get(s)], en[: limits.get(s)]) for s, (de, en) in splits.items()}


def tokenizers(pairs, args):
    if args.tokenizers:
        return load_tokenizers(args.tokenizers)
    return build_tokenizers(*pairs["train"], kind="subword", vocab_size=args.vocab_size, lowercase=True)


# === one model ===


def build(attention, units, vocab, args):
    if attention == "transformer":  # `units` is d
        return Transformer(*vocab, embedding_dim=units, num_layers=3, num_heads=4, feedforward_dim=4 * units)
    return Seq2Seq(
        *vocab, embedding_dim=args.embedding_dim, units=units, attention=attention, dropout=args.dropout
    )


def compile_model(model, args):
    if not isinstance(model, Transformer):
        return model.compile()
    schedule = InverseSquareRootSchedule(model.decoder.embedding_dim, warmup_steps=args.warmup_steps)
    optimizer = keras.optimizers.Adam(schedule, beta_2=0.98, epsilon=1e-9, clipnorm=1.0)
    return model.compile(optimizer=optimizer, label_smoothing=0.1)


def train(model, pairs, source_tokenizer, target_tokenizer, args):
    keras.utils.set_random_seed(args.seed)  # the same batches, in the same order, per model
    train_data, val_data = (
        data.make_dataset(
            *pairs[split],
            source_tokenizer,
            target_tokenizer,
            batch_size=args.batch_size,
            shuffle=split == "train",
            seed=args.seed,
        )
        for split in ("train", "val")
    )
    compile_model(model, args)
    start = time.perf_counter()
    history = model.fit(train_data, validation_data=val_data, epochs=args.epochs, verbose=2)
    steps = int(model.optimizer.iterations.numpy())
    return time.perf_counter() - start, steps, history.history


def evaluate(model, pairs, source_tokenizer, target_tokenizer, args):
    sources, references = pairs["test"]
    scores = {}
    for name, strategy in (("greedy", GreedySearch()), ("beam", BeamSearch(args.beam_size))):
        translator = Translator(model, source_tokenizer, target_tokenizer, strategy=strategy)
        hypotheses = translator(sources)
        scores[name] = {
            "overall": score(hypotheses, references),
            "buckets": [
                {"bucket": label, **metrics}
                for label, metrics in score_by_length(sources, hypotheses, references, args.boundaries)
            ],
            "examples": [
                {"source": s, "reference": r, "hypothesis": h}
                for s, r, h in longest(sources, references, hypotheses)
            ],
        }
    return scores


def longest(sources, references, hypotheses, n=3):
    order = sorted(range(len(sources)), key=lambda i: -len(sources[i].split()))[:n]
    return [(sources[i], references[i], hypotheses[i]) for i in order]


# === the experiment ===


def run(args):
    pairs = load(args)
    source_tokenizer, target_tokenizer = tokenizers(pairs, args)
    vocab = (source_tokenizer.vocab_size, target_tokenizer.vocab_size)
    reference = build("additive", args.units, vocab, args).count_params()
    results = read_json(args.json) if args.resume and os.path.exists(args.json) else {"models": []}
    results.update(
        {
            "machine": {
                "cpu_count": os.cpu_count(),
                "tensorflow": tf.__version__,
                "keras": keras.__version__,
                "python": platform.python_version(),
            },
            "config": {
                **{k: v for k, v in vars(args).items() if k not in ("json", "resume")},
                "train_pairs": len(pairs["train"][0]),
                "test_pairs": len(pairs["test"][0]),
                "vocab": list(vocab),
            },
        }
    )
    results["reference_params"] = reference  # the additive model at --units
    done = {m["attention"] for m in results["models"]}
    for attention in [*ATTENTIONS, "transformer"]:
        name = attention or "none"
        if name not in args.attentions:
            continue
        if name in done:
            print(f"attention={name}: kept from {args.json}", flush=True)
            continue
        if attention == "additive":
            units, params = args.units, reference
        else:
            units, params = matched_units(
                lambda u: build(attention, u, vocab, args), reference, 2 * args.units
            )
        keras.utils.set_random_seed(args.seed)
        model = build(attention, units, vocab, args)
        print(f"attention={name}: units {units}, {params:,} params", flush=True)
        load_average = list(os.getloadavg())  # other jobs on the machine slow `train_seconds`
        seconds, steps, history = train(model, pairs, source_tokenizer, target_tokenizer, args)
        scores = evaluate(model, pairs, source_tokenizer, target_tokenizer, args)
        results["models"].append(
            {
                "attention": name,
                "units": units,
                "params": int(params),
                "steps": steps,
                "train_seconds": seconds,
                "load_average_at_start": load_average,
                "val_loss": history["val_loss"],
                **scores,
            }
        )
        results["models"].sort(key=lambda m: NAMES.index(m["attention"]))
        print(
            f"attention={name}: {steps} steps in {seconds:.0f} s, val loss "
            f"{history['val_loss'][-1]:.3f}, beam BLEU (lc) "
            f"{scores['beam']['overall']['bleu_lowercase']:.2f}",
            flush=True,
        )
        if args.json:
            write_json(args.json, results)
    print_tables(results)
    if args.plot:
        plot(results, args.plot)
    return results


def print_tables(results):
    c = results["config"]
    print(
        f"\nMulti30k de->en: {c['train_pairs']} training pairs, {c['epochs']} epochs x batch "
        f"{c['batch_size']}, test_2016_flickr ({c['test_pairs']} sentences), lowercased "
        f"sacreBLEU; {results['machine']['cpu_count']} CPUs, TensorFlow "
        f"{results['machine']['tensorflow']}"
    )
    reference = results["reference_params"]
    print(
        "\n| attention | units | params | vs additive | steps | train s | val loss | "
        "BLEU greedy | BLEU beam | chrF beam |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in results["models"]:
        greedy, beam = m["greedy"]["overall"], m["beam"]["overall"]
        print(
            f"| {m['attention']} | {m['units']} | {m['params']:,} | "
            f"{m['params'] / reference:.2f}x | {m['steps']} | {m['train_seconds']:.0f} | "
            f"{m['val_loss'][-1]:.3f} | {greedy['bleu_lowercase']:.2f} | "
            f"{beam['bleu_lowercase']:.2f} | {beam['chrf_lowercase']:.2f} |"
        )
    for strategy in ("beam", "greedy"):
        buckets = results["models"][0][strategy]["buckets"]
        print(f"\nBLEU (lowercased, {strategy}) by source length in words")
        print("| attention | " + " | ".join(f"{b['bucket']} ({b['sentences']})" for b in buckets) + " |")
        print("|---|" + "---:|" * len(buckets))
        for m in results["models"]:
            print(
                f"| {m['attention']} | "
                + " | ".join(f"{b['bleu_lowercase']:.2f}" for b in m[strategy]["buckets"])
                + " |"
            )
    print("\nBLEU (beam) by source length relative to the model's own overall BLEU")
    print("| attention | " + " | ".join(b["bucket"] for b in buckets) + " |")
    print("|---|" + "---:|" * len(buckets))
    for m in results["models"]:
        print(f"| {m['attention']} | " + " | ".join(f"{ratio:.2f}" for ratio in relative_bleu(m)) + " |")


def relative_bleu(model):
    """Beam BLEU per bucket / the model's overall beam BLEU (1.0 = no length effect)."""
    overall = model["beam"]["overall"]["bleu_lowercase"]
    return [b["bleu_lowercase"] / overall if overall else 0.0 for b in model["beam"]["buckets"]]


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    panels = (
        ("BLEU (lowercased, beam)", lambda m: [b["bleu_lowercase"] for b in m["beam"]["buckets"]]),
        ("BLEU / the model's overall BLEU", relative_bleu),
    )
    for (label, values), axis in zip(panels, axes):
        for m in results["models"]:
            buckets = m["beam"]["buckets"]
            axis.plot(
                range(len(buckets)),
                values(m),
                marker="o",
                label=f"{m['attention']} ({m['params'] / 1e6:.2f}M params)",
            )
            axis.set_xticks(range(len(buckets)), [f"{b['bucket']}\n({b['sentences']})" for b in buckets])
        axis.set_xlabel("German source length in words (sentences)")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
    save_figure(
        figure,
        axes,
        f"Multi30k de->en test_2016_flickr, {results['config']['epochs']} epochs per model",
        path,
    )


def main(argv=None):
    return run(parse_args(argv))


if __name__ == "__main__":
    main()
