"""Beam search's step 0 on one row per sentence against the tiled step 0, in one process.

`BeamSearch` runs step 0 on one row per sentence and widens the batch to
`B·K` rows by its parents (`DecodingStrategy.expands_after_first_step`,
CTranslate2's `expand_after_first_step`); before, the batch was tiled to
`B·K` rows first and step 0 computed `K - 1` copies of every sentence. This
script times both with `model.generate(..., return_attention=False)` on one
trained run directory and real sentences: the tiled variant is a `BeamSearch`
subclass that sets the attribute to False. Every round times one pass over
the batches per variant, the order alternating between rounds, so that the
machine's drift hits both alike; it prints sentences/s (fastest round and
median), expanded / tiled, and whether the ids are equal (they must be).

    python benchmarks/beam_first_step.py --model saved_models/multi30k_de_en --rounds 9
    python benchmarks/beam_first_step.py --quick       # a few sentences (smoke test)
"""

import argparse
import os
import pathlib
import statistics
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import real_sentences  # noqa: E402  (benchmarks/real_sentences.py)
from decoding import TiledBeamSearch, one_pass, ours, run_all  # noqa: E402  (benchmarks/decoding.py)

from keras_s2s.decoding import BeamSearch  # noqa: E402
from keras_s2s.files import write_json  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    real_sentences.add_arguments(parser)
    parser.set_defaults(model=str(REPO / "saved_models" / "multi30k_de_en"))
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument("--batch-sizes", default="1,64", help="comma-separated (default 1,64)")
    parser.add_argument("--sentences", type=int, default=256, help="sentences per pass at batch sizes > 1")
    parser.add_argument("--batch1-sentences", type=int, default=48, help="sentences per pass at batch size 1")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (each times both variants)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 8 sentences, batch sizes 1 and 4, 2 rounds"
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.sentences, args.batch1_sentences, args.rounds = 8, 2, 2
        args.batch_sizes = "1,4"
    try:
        args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    except ValueError:
        parser.error(f"--batch-sizes must be comma-separated integers. Received: {args.batch_sizes!r}")
    if not args.batch_sizes or min(args.batch_sizes) < 1:
        parser.error(f"--batch-sizes must be positive. Received: {args.batch_sizes}")
    for name in ("rounds", "beam_size", "sentences", "batch1_sentences"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(args, name)}")
    if not (pathlib.Path(args.model) / "settings.json").is_file():
        parser.error(f"--model must be a run directory (with settings.json). Received: {args.model}")
    return args


def time_variants(fns, batches, rounds):
    """Seconds per pass of each variant (already traced for every batch shape),
    `rounds` rounds, the order alternating."""
    seconds = {name: [] for name in fns}
    names = list(fns)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            seconds[name].append(one_pass(fns[name], batches))
    return seconds


def main(argv=None):
    args = parse_args(argv)
    model, source_tokenizer, _, info = real_sentences.load(args)
    fns = {
        "tiled": ours(model, TiledBeamSearch(args.beam_size)),
        "expanded": ours(model, BeamSearch(args.beam_size)),
    }
    print(
        f"model: {args.model}, {info['parameters']:,} parameters; beam {args.beam_size}; {args.rounds} rounds"
    )
    print("| batch | sentences | tiled sent/s | expanded sent/s | expanded / tiled | same ids |")
    print("|---:|---:|---:|---:|---:|---|")
    rows = []
    for batch_size in args.batch_sizes:
        count = args.batch1_sentences if batch_size == 1 else args.sentences
        sources = real_sentences.read_sources(args, max(batch_size, count))
        sources = sources[: len(sources) - len(sources) % batch_size]
        batches = [source_tokenizer(sources[i : i + batch_size]) for i in range(0, len(sources), batch_size)]
        ids = {name: run_all(fn, batches) for name, fn in fns.items()}  # traces every shape
        same = all(np.array_equal(a, b) for a, b in zip(ids["tiled"], ids["expanded"]))
        seconds = time_variants(fns, batches, args.rounds)
        row = {"batch_size": batch_size, "sentences": len(sources), "same_ids": same}
        for name, values in seconds.items():
            row[f"{name}_fastest"] = len(sources) / min(values)
            row[f"{name}_median"] = len(sources) / statistics.median(values)
        rows.append(row)
        print(
            f"| {batch_size} | {len(sources)} | {row['tiled_fastest']:.1f} ({row['tiled_median']:.1f}) "
            f"| {row['expanded_fastest']:.1f} ({row['expanded_median']:.1f}) "
            f"| {row['expanded_fastest'] / row['tiled_fastest']:.3f}x "
            f"({row['expanded_median'] / row['tiled_median']:.3f}x) | {'yes' if same else 'NO'} |"
        )
    print("sentences/s: fastest round (median)")
    if args.json:
        write_json(args.json, {**info, "beam_size": args.beam_size, "rounds": args.rounds, "rows": rows})
    return 0 if all(row["same_ids"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
