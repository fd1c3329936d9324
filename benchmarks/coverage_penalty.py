"""The GNMT coverage penalty on Multi30k: BLEU, dropped and repeated words by length.

The shipped De→En model (`saved_models/multi30k_de_en`) translates
test_2016_flickr with beam search twice in one run, `coverage_penalty=0`
and `coverage_penalty=--beta` (same beam size and length penalty), and both
are scored with sacreBLEU (cased and lowercased BLEU, chrF), overall and by
the number of words of the German sentence.

Dropped and repeated source words are read from the attention weights of
each returned translation: for every source piece (the WordPiece tokens
between [START] and [END]) the weight it received, summed over the target
steps, is its coverage. A piece with coverage < 0.5 counts as dropped (less
than half attended), > 1.5 as repeated (attended as if translated twice).
Beside them, an attention-free count: target tokens equal to the token
before them (a stutter such as "a a dog").

    python benchmarks/coverage_penalty.py                 # ~5 min on 2 CPU cores
    python benchmarks/coverage_penalty.py --limit 100     # smoke test
"""

import argparse
import json
import os
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

from keras_s2s import data  # noqa: E402
from keras_s2s.cli.evaluation import score, score_by_length  # noqa: E402
from keras_s2s.decoding import BeamSearch  # noqa: E402
from keras_s2s.training.run_directory import load_run  # noqa: E402
from keras_s2s.translator import Translator  # noqa: E402

BOUNDARIES = (10, 20, 30)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(REPO / "saved_models" / "multi30k_de_en"))
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--beta", type=float, default=0.2, help="the coverage penalty compared with 0")
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument("--length-penalty", type=float, default=0.6)
    parser.add_argument("--limit", type=int, default=None, help="the first N test sentences only")
    parser.add_argument("--json", help="write the figures to this file")
    return parser.parse_args(argv)


def coverage_counts(result):
    """(dropped, repeated, source pieces, stutters) of one translation."""
    attention = np.asarray(result["attention"])  # (L, S) with S counting [START], [END]
    coverage = attention.sum(axis=0)[1:-1]  # (S - 2,) the real pieces
    tokens = result["target_tokens"]
    stutters = sum(a == b for a, b in zip(tokens, tokens[1:]))
    return int((coverage < 0.5).sum()), int((coverage > 1.5).sum()), int(coverage.size), stutters


def by_length(sources, rows):
    """Summed counts per bucket of German word counts (the buckets of `score_by_length`)."""
    edges = [0, *BOUNDARIES]
    buckets = []
    for i, low in enumerate(edges):
        high = edges[i + 1] if i + 1 < len(edges) else None
        picked = [
            r
            for s, r in zip(sources, rows)
            if low <= len(s.split()) and (high is None or len(s.split()) < high)
        ]
        if picked:
            label = f"{low}-{high - 1}" if high is not None else f"{low}+"
            buckets.append({"bucket": label, "sentences": len(picked), **_named(np.sum(picked, axis=0))})
    return buckets


def _named(total):
    dropped, repeated, pieces, stutters = (int(x) for x in total)
    return {"dropped": dropped, "repeated": repeated, "source_pieces": pieces, "stutters": stutters}


def run(args):
    model, source_tokenizer, target_tokenizer, _ = load_run(args.model)
    pairs = data.multi30k("test", "de", "en", data_dir=os.path.join(args.data_dir, "multi30k"))
    sources, references = pairs
    if args.limit:
        sources, references = sources[: args.limit], references[: args.limit]
    results = {"config": {**vars(args), "sentences": len(sources)}, "runs": {}}
    for beta in (0.0, args.beta):
        strategy = BeamSearch(args.beam_size, args.length_penalty, coverage_penalty=beta)
        translator = Translator(model, source_tokenizer, target_tokenizer, strategy=strategy)
        start = time.perf_counter()
        out = translator.translate(sources)
        seconds = time.perf_counter() - start
        hypotheses = out["translation"]
        rows = [
            coverage_counts({"attention": a, "target_tokens": t})
            for a, t in zip(out["attention"], out["target_tokens"])
        ]
        results["runs"][str(beta)] = {
            "seconds": seconds,
            "metrics": score(hypotheses, references),
            "by_length_bleu": [
                {"bucket": label, **m}
                for label, m in score_by_length(sources, hypotheses, references, BOUNDARIES)
            ],
            "counts": _named(np.sum(rows, axis=0)),
            "by_length_counts": by_length(sources, rows),
            "changed": None,
            "hypotheses": hypotheses,
        }
    plain, covered = (results["runs"][str(b)] for b in (0.0, args.beta))
    covered["changed"] = sum(a != b for a, b in zip(plain["hypotheses"], covered["hypotheses"]))
    return results


def print_tables(results):
    config = results["config"]
    print(
        f"Multi30k de->en test_2016_flickr, {config['sentences']} sentences, beam {config['beam_size']}, "
        f"length penalty {config['length_penalty']}"
    )
    print(
        f"{'beta':>5} {'BLEU':>6} {'BLEU lc':>8} {'chrF':>6} {'dropped':>8} {'repeated':>9} {'stutters':>9} {'s':>6}"
    )
    for beta, run_ in results["runs"].items():
        m, c = run_["metrics"], run_["counts"]
        print(
            f"{float(beta):>5.2f} {m['bleu']:>6.2f} {m['bleu_lowercase']:>8.2f} {m['chrf']:>6.2f} "
            f"{c['dropped']:>8} {c['repeated']:>9} {c['stutters']:>9} {run_['seconds']:>6.1f}"
        )
    changed = results["runs"][str(config["beta"])]["changed"]
    print(f"translations changed by the penalty: {changed} of {config['sentences']}")
    print("\nBy German sentence length (lowercased BLEU; dropped / repeated source pieces)")
    for beta, run_ in results["runs"].items():
        cells = [
            f"{b['bucket']}: {bl['bleu_lowercase']:.1f} ({b['dropped']}/{b['repeated']} of {b['source_pieces']})"
            for b, bl in zip(run_["by_length_counts"], run_["by_length_bleu"])
        ]
        print(f"beta {float(beta):.2f}  " + "   ".join(cells))


def main(argv=None):
    args = parse_args(argv)
    results = run(args)
    print_tables(results)
    if args.json:
        for run_ in results["runs"].values():
            run_.pop("hypotheses")
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
