"""Is the input pipeline fast enough? Tokenize+batch rate vs train-step rate.

Measures, on Multi30k train (German → English) by default:

1. sentences/s through `keras_s2s.data.make_dataset` (shuffle, in-graph
   tokenization, length bucketing, padding, prefetch), with and without
   bucketing, over one full pass after a warm-up pass;
2. the padding fraction of those batches, and how many distinct batch
   shapes an epoch has (`model.fit` compiles once per shape), with and
   without bucketing;
3. sentences/s of `model.fit` train steps of a default
   `keras_s2s.models.Seq2Seq(source_vocab_size, target_vocab_size)` compiled
   with `model.compile()`, on batches from the same pipeline (timed on the
   second pass over the same batches, so XLA compilation of each new batch
   shape is excluded).

The pipeline is not the bottleneck when (1) is well above (3).

    python benchmarks/data_pipeline.py            # full run, see docs/data_pipeline.md
    python benchmarks/data_pipeline.py --quick    # a few seconds, smoke test
"""

import argparse
import os
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_s2s import data, text  # noqa: E402
from keras_s2s.files import write_json  # noqa: E402
from keras_s2s.models import Seq2Seq  # noqa: E402


def default_data_dir():
    return os.environ.get("KERAS_S2S_DATA") or str(REPO.parent / "shared" / "data")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus",
        choices=["multi30k", "reverse"],
        default="multi30k",
        help="Multi30k train de→en, or the synthetic reverse task",
    )
    parser.add_argument(
        "--data-dir",
        default=default_data_dir(),
        help="data root or multi30k folder (default: $KERAS_S2S_DATA or ../shared/data)",
    )
    parser.add_argument("--limit", type=int, default=None, help="use only the first N sentence pairs")
    parser.add_argument("--tokenizer", choices=["subword", "word"], default="subword")
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--train-batches", type=int, default=30, help="batches timed through model.fit")
    parser.add_argument(
        "--quick", action="store_true", help="tiny run: 512 pairs, vocab 500, 3 train batches"
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.limit = min(args.limit or 512, 512)
        args.vocab_size = min(args.vocab_size, 500)
        args.train_batches = min(args.train_batches, 3)
    return args


def load_corpus(args):
    if args.corpus == "reverse":
        sources, targets = data.reverse(args.limit or 20000, seed=0)
        return sources, targets, "reverse (synthetic)"
    sources, targets = data.multi30k("train", source="de", target="en", data_dir=args.data_dir)
    if args.limit:
        sources, targets = sources[: args.limit], targets[: args.limit]
    return sources, targets, "Multi30k train de→en"


def train_tokenizers(args, sources, targets):
    if args.tokenizer == "word":
        return (
            text.WordTokenizer.train(sources, vocab_size=args.vocab_size, language="de"),
            text.WordTokenizer.train(targets, vocab_size=args.vocab_size, language="en"),
        )
    return (
        text.SubwordTokenizer.train(sources, vocab_size=args.vocab_size, language="de"),
        text.SubwordTokenizer.train(targets, vocab_size=args.vocab_size, language="en"),
    )


def pipeline_rate(dataset):
    """Sentences/s over one full pass, after one warm-up pass (tracing)."""
    for _ in dataset:
        pass
    count, start = 0, time.perf_counter()
    for _, target_out in dataset:
        count += int(target_out.shape[0])
    return count / (time.perf_counter() - start), count


def distinct_shapes(dataset):
    """Distinct (source, target) batch shapes in one epoch (XLA compiles each)."""
    return len({(tuple(x["source_ids"].shape), tuple(y.shape)) for x, y in dataset})


def train_rate(dataset, source_vocab_size, target_vocab_size, num_batches):
    """Sentences/s of `model.fit` steps (second epoch over the same batches)."""
    batches = list(dataset.take(num_batches))
    spec = dataset.element_spec

    def generate():
        yield from batches

    fixed = tf.data.Dataset.from_generator(generate, output_signature=spec).repeat()
    times = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            times.append(time.perf_counter())

        def on_epoch_end(self, epoch, logs=None):
            times[-1] = time.perf_counter() - times[-1]

    model = Seq2Seq(source_vocab_size, target_vocab_size)
    model.compile()
    model.fit(
        fixed, epochs=2, steps_per_epoch=len(batches), shuffle=False, verbose=0, callbacks=[EpochTimer()]
    )
    sentences = sum(int(y.shape[0]) for _, y in batches)
    return sentences / times[1], sentences, times[0]


def main(argv=None):
    args = parse_args(argv)
    sources, targets, name = load_corpus(args)
    start = time.perf_counter()
    src_tok, tgt_tok = train_tokenizers(args, sources, targets)
    tok_seconds = time.perf_counter() - start
    print(
        f"corpus: {name}, {len(sources)} pairs; {args.tokenizer} tokenizers, "
        f"vocab {src_tok.vocab_size} / {tgt_tok.vocab_size} "
        f"(learned in {tok_seconds:.1f} s)"
    )

    results = {
        "corpus": name,
        "pairs": len(sources),
        "tokenizer": args.tokenizer,
        "source_vocab_size": src_tok.vocab_size,
        "target_vocab_size": tgt_tok.vocab_size,
        "batch_size": args.batch_size,
    }
    for bucket in (True, False):
        ds = data.make_dataset(
            sources, targets, src_tok, tgt_tok, batch_size=args.batch_size, bucket_by_length=bucket, seed=0
        )
        rate, _ = pipeline_rate(ds)
        padding = data.padding_fraction(ds)
        shapes = distinct_shapes(ds)
        key = "bucketed" if bucket else "unbucketed"
        results[f"pipeline_sentences_per_s_{key}"] = rate
        results[f"padding_fraction_{key}"] = padding
        results[f"distinct_batch_shapes_{key}"] = shapes
        print(
            f"pipeline ({key}): {rate:,.0f} sentences/s, padding fraction "
            f"{padding:.3f}, {shapes} distinct batch shapes per epoch"
        )

    ds = data.make_dataset(sources, targets, src_tok, tgt_tok, batch_size=args.batch_size, seed=0)
    rate, sentences, first_epoch = train_rate(ds, src_tok.vocab_size, tgt_tok.vocab_size, args.train_batches)
    results["train_sentences_per_s"] = rate
    results["train_timed_sentences"] = sentences
    print(
        f"train step (Seq2Seq defaults, model.fit): {rate:,.0f} sentences/s "
        f"({sentences} sentences; first pass with compilation {first_epoch:.1f} s)"
    )
    ratio = results["pipeline_sentences_per_s_bucketed"] / rate
    results["pipeline_over_train"] = ratio
    verdict = "not the bottleneck" if ratio > 1 else "THE BOTTLENECK"
    print(f"pipeline / train = {ratio:.1f}x: the input pipeline is {verdict}")
    if args.json:
        write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
