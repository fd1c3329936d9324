"""CTranslate2 vs keras_s2s: sentences/s and p50 latency of one trained Transformer.

CTranslate2 (PyPI `ctranslate2`) is what people use to serve small
Transformers fast on CPUs. This script loads a trained keras_s2s
`Transformer` run directory (`keras-s2s train --architecture transformer`),
converts its weights into a CTranslate2 model with CTranslate2's Python
model-spec API (`benchmarks/ctranslate2_convert.py`), and times, on the
same tokenized Multi30k test_2016_flickr German sentences:

* `keras`: `model.generate(ids, strategy)` (the traced `tf.function` that
  `Translator` calls);
* `saved_model`: `Translator.export_saved_model`, its `translate_ids`
  signature (`tf.saved_model.load`);
* `litert_float32`, `litert_dynamic`: `Translator.export_litert` with
  `quantization=None` / `"dynamic"` (int8 weights, float activations) in
  `ai_edge_litert.interpreter.Interpreter`;
* `ct2_float32`, `ct2_int8`: `ctranslate2.Translator(compute_type=...)`,
  `translate_batch`.

Everyone gets the same ids and returns ids: the keras_s2s runtimes take the
`(B, S)` int32 ids; CTranslate2 takes the same ids as its token strings
(prepared before the clock starts; the converted model adds [START] and
[END] as our tokenizer does), and its output strings are mapped back to ids
after the clock stops. Tokenization and detokenization are outside every
timing. Every runtime decodes at most `2 * S + 10` tokens ([END] included;
`S` = the batch's padded source width, [START]/[END] included), the
keras_s2s default, and may end at step 0 (CTranslate2's
`min_decoding_length=0`).

For greedy and beam search (beam 4) and each batch size (default 1 and 32),
the sentences are cut into batches in file order (each batch trimmed to its
longest source), and every runtime translates every batch, interleaved batch
by batch after an untimed warm-up, so load from other processes hits all
runtimes alike. Threads: `--threads` (default 2) for TensorFlow (intra- and
inter-op pools), LiteRT (`num_threads`) and CTranslate2
(`intra_threads`, with `inter_threads=1`).

Beam search: `BeamSearch(beam_size=4, length_penalty=L)` against
`translate_batch(beam_size=4, length_penalty=L)` with `L = 0` by default:
both then rank hypotheses by their log-probability sum, the one ranking the
two implement alike (keras_s2s's length penalty is GNMT's
`((5 + |Y|) / 6)^α`, CTranslate2's `|Y|^α`). The searches still differ
(CTranslate2 refills its beam from 2K candidates when a hypothesis
finishes, keras_s2s keeps finished ones in the beam, as tfa.seq2seq did),
so beam agreement is reported, not required.

Reported per strategy / batch size / runtime: sentences/s (sentences ÷ summed
batch latency), p50 latency per batch call, sentences/s relative to
CTranslate2 float32 measured in the same run, and the fraction of sentences
whose output equals Keras's token for token (up to [END]).

`--profile` replaces the table by a split of greedy decoding time into the
first step (encoder, one decoder step, call overhead: a decode stopped after
one token) and each further decoder step, per runtime and batch size (see
`profile`); docs/benchmarks.md, "Where the time goes", has the figures and a
`perf` profile read with benchmarks/perf_summary.py.

    python benchmarks/ctranslate2.py --model runs/tf_de_en --json docs/ctranslate2.json
    python benchmarks/ctranslate2.py --model runs/tf_de_en --profile --profile-max-length 200
    python benchmarks/ctranslate2.py --model RUN_DIR --quick     # smoke test
"""

import argparse
import os
import pathlib
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
# This file shares its name with the package it benchmarks: `python
# benchmarks/ctranslate2.py` puts benchmarks/ first on sys.path, where
# `import ctranslate2` would find this script. Move that entry last.
sys.path[:] = [p for p in sys.path if pathlib.Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(REPO))
sys.path.append(str(HERE))

import ctranslate2_convert  # noqa: E402  (benchmarks/ctranslate2_convert.py)
import export as export_benchmark  # noqa: E402  (benchmarks/export.py; sets env and logging)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

RUNTIMES = ("keras", "saved_model", "litert_float32", "litert_dynamic", "ct2_float32", "ct2_int8")
LABELS = {
    "keras": "keras_s2s generate",
    "saved_model": "SavedModel translate_ids",
    "litert_float32": "LiteRT float32",
    "litert_dynamic": "LiteRT dynamic int8",
    "ct2_float32": "CTranslate2 float32",
    "ct2_int8": "CTranslate2 int8",
}
BASELINE = "ct2_float32"
PROFILED = ("keras", "litert_float32", "litert_dynamic", "ct2_float32", "ct2_int8")
END_ID = 3
GOAL = 0.5  # LiteRT float32 / CTranslate2 float32 at batch 1


def default_test_source():
    root = os.environ.get("KERAS_S2S_DATA") or REPO.parent / "shared" / "data"
    return pathlib.Path(root) / "multi30k" / "test_2016_flickr.de.gz"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, metavar="RUN_DIR", help="a Transformer run directory")
    parser.add_argument(
        "--test-source",
        default=str(default_test_source()),
        help="source sentences, one a line (default: the shared Multi30k test_2016_flickr.de.gz)",
    )
    parser.add_argument(
        "--sentences", type=int, default=512, help="test sentences timed, the file's first N (default 512)"
    )
    parser.add_argument("--batch-sizes", default="1,32", help="comma-separated (default 1,32)")
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument(
        "--length-penalty",
        type=float,
        default=0.0,
        help="beam search length penalty on both sides (default 0: rank by log-probability)",
    )
    parser.add_argument("--threads", type=int, default=2, help="threads for every runtime (default 2)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed batches per runtime first")
    parser.add_argument("--out-dir", default=None, help="keep the exported artifacts here")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of the table: split greedy decoding time into the first step (encoder, one "
        "decoder step, call overhead) and each further decoder step, per runtime and batch size",
    )
    parser.add_argument(
        "--profile-runtimes",
        default="keras,litert_float32,ct2_float32",
        help=f"with --profile: comma-separated, of {','.join(PROFILED)} (default keras,litert_float32,ct2_float32)",
    )
    parser.add_argument(
        "--profile-max-length",
        type=int,
        default=None,
        metavar="M",
        help="with --profile: also time each LiteRT runtime exported from Translator(max_length=M), "
        "whose key/value cache buffers have M positions (default: none)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke test: 12 sentences, batch 1 and 4")
    parser.add_argument("--json", default=None, metavar="OUT", help="also write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.sentences = min(args.sentences, 12)
        args.warmup = min(args.warmup, 1)
        if args.batch_sizes == "1,32":
            args.batch_sizes = "1,4"
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
    if not args.batch_sizes or min(args.batch_sizes) < 1:
        parser.error("--batch-sizes must be positive integers")
    if args.sentences < max(args.batch_sizes):
        parser.error(f"--sentences ({args.sentences}) must be at least the largest batch size")
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    args.profile_runtimes = [r.strip() for r in args.profile_runtimes.split(",") if r.strip()]
    unknown = sorted(set(args.profile_runtimes) - set(PROFILED))
    if unknown or not args.profile_runtimes:
        parser.error(f"--profile-runtimes: unknown {unknown}; choose from {','.join(PROFILED)}")
    return args


def configure_threads(threads):
    """TensorFlow's pools: set before the runtime starts (the first op)."""
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def load(model_dir):
    from keras_s2s.training.run_directory import load_run

    model, source_tokenizer, target_tokenizer, settings = load_run(model_dir)
    if type(model).__name__ != "Transformer":
        raise SystemExit(
            f"--model {model_dir}: a {type(model).__name__} run; CTranslate2 takes the Transformer only"
        )
    return model, source_tokenizer, target_tokenizer, settings


# ------------------------------------------------------------------ batches
class Batch:
    """One batch in every runtime's form: ids `(B, S)` int32, CTranslate2 tokens, max length."""

    def __init__(self, ids, source_vocabulary):
        self.ids = np.ascontiguousarray(ids, np.int32)  # (B, S)
        self.tokens = ctranslate2_convert.source_tokens(self.ids, source_vocabulary)
        self.max_length = 2 * self.ids.shape[1] + 10  # keras_s2s's default, [END] included

    def __len__(self):
        return self.ids.shape[0]


def make_batches(ids, batch_size, source_vocabulary):
    """Consecutive batches of `batch_size` rows, each trimmed to its longest row."""
    batches = []
    for start in range(0, len(ids) - batch_size + 1, batch_size):
        rows = ids[start : start + batch_size]
        width = int((rows != 0).sum(axis=1).max())
        batches.append(Batch(rows[:, :width], source_vocabulary))
    return batches


def until_end(row):
    """A row of ids up to and including the first [END] (or its non-padding)."""
    row = np.asarray(row).reshape(-1)
    ends = np.flatnonzero(row == END_ID)
    return row[: ends[0] + 1] if len(ends) else row[row != 0]


# ------------------------------------------------------------------ runtimes
def export_artifacts(translator, directory):
    """SavedModel and the float32 / dynamic-range .tflite files → {runtime: path}."""
    paths = {"saved_model": translator.export_saved_model(os.path.join(directory, "saved_model", "1"))}
    for quantization in (None, "dynamic"):
        name = f"litert_{quantization or 'float32'}"
        paths[name] = translator.export_litert(os.path.join(directory, f"{name}.tflite"), quantization)
    return paths


def keras_runners(model, strategy, paths, threads):
    """Runtime → (call(batch) → raw output, to_ids(raw) → (B, L) ids); the call is what is timed."""
    from ai_edge_litert.interpreter import Interpreter

    signature = tf.saved_model.load(paths["saved_model"]).signatures["translate_ids"]
    same = lambda out: out  # noqa: E731
    runners = {
        "keras": (lambda b: model.generate(b.ids, strategy)["ids"].numpy(), same),
        "saved_model": (
            lambda b: signature(source_ids=tf.constant(b.ids))["target_ids"].numpy(),
            same,
        ),
    }
    for name in ("litert_float32", "litert_dynamic"):
        runner = Interpreter(model_path=paths[name], num_threads=threads).get_signature_runner(
            "translate_ids"
        )
        runners[name] = (lambda b, runner=runner: runner(source_ids=b.ids)["target_ids"], same)
    return runners


def ct2_runners(ct2_dir, target_vocabulary, threads, beam_size, length_penalty):
    """CTranslate2 float32 and int8 translators, same decoding settings as keras_s2s."""
    import ctranslate2

    token_to_id = {token: i for i, token in enumerate(target_vocabulary)}

    def to_ids(results):
        return ctranslate2_convert.target_ids([r.hypotheses[0] for r in results], token_to_id)

    runners = {}
    for compute_type in ("float32", "int8"):
        translator = ctranslate2.Translator(
            ct2_dir, device="cpu", compute_type=compute_type, intra_threads=threads, inter_threads=1
        )

        def call(batch, translator=translator, max_length=None):
            return translator.translate_batch(
                batch.tokens,
                beam_size=beam_size,
                length_penalty=length_penalty,
                max_decoding_length=max_length or batch.max_length,
                min_decoding_length=0,
                return_end_token=True,
            )

        runners[f"ct2_{compute_type}"] = (call, to_ids)
    return runners


def measure(runners, batches, warmup_batches):
    """Interleaved runs → per runtime: latencies (ms) and the output rows (ids up to [END])."""
    errors = {}
    for batch in warmup_batches:
        for name, (call, _) in runners.items():
            try:
                call(batch)
            except Exception as error:  # noqa: BLE001 - reported as n/a
                errors[name] = f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
    latencies = {name: [] for name in runners}
    outputs = {name: [] for name in runners}
    for batch in batches:
        for name, (call, to_ids) in runners.items():
            if name in errors:
                continue
            start = time.perf_counter()
            raw = call(batch)
            latencies[name].append(1000 * (time.perf_counter() - start))
            outputs[name].extend(until_end(row) for row in to_ids(raw))
    return latencies, outputs, errors


def identical(outputs, reference):
    return float(np.mean([len(a) == len(b) and np.array_equal(a, b) for a, b in zip(outputs, reference)]))


# ----------------------------------------------------------------------- run
def run(args):
    configure_threads(args.threads)
    from keras_s2s.data.loaders import read_lines
    from keras_s2s.files import write_json

    model, source_tokenizer, target_tokenizer, settings = load(args.model)
    machine = export_benchmark.machine()
    from importlib.metadata import version

    machine["ctranslate2"] = version("ctranslate2")
    texts = read_lines(args.test_source)[: args.sentences]
    ids = source_tokenizer(texts).numpy()  # (N, S) 0-padded, [START] … [END]
    results = {
        "command": "python benchmarks/ctranslate2.py "
        + " ".join(sys.argv[1:] if __name__ == "__main__" else []),
        "machine": machine,
        "model": {
            "run_directory": os.path.abspath(args.model),
            "parameters": int(model.count_params()),
            **{k: getattr(model, k) for k in ("embedding_dim", "num_layers", "num_heads", "feedforward_dim")},
            "source_vocab_size": model.source_vocab_size,
            "target_vocab_size": model.target_vocab_size,
            "lowercase": bool(settings.get("lowercase")),  # the tokenizers lowercase themselves
        },
        "test_source": str(args.test_source),
        "sentences": len(texts),
        "source_tokens_mean": float((ids != 0).sum(axis=1).mean()),
        "threads": args.threads,
        "beam_size": args.beam_size,
        "length_penalty": args.length_penalty,
        "rows": [],
    }
    print_header(results)

    with tempfile.TemporaryDirectory() as tmp:
        root = args.out_dir or tmp
        start = time.perf_counter()
        ct2_dir = ctranslate2_convert.convert(
            model, source_tokenizer, target_tokenizer, os.path.join(root, "ctranslate2"), overwrite=True
        )
        results["ct2_convert_seconds"] = time.perf_counter() - start
        if args.profile:
            results["profile"] = profile(args, model, source_tokenizer, target_tokenizer, ids, ct2_dir, root)
        else:
            compare(args, model, source_tokenizer, target_tokenizer, ids, ct2_dir, root, results)
    results["load_average_end"] = round(os.getloadavg()[0], 2)
    if args.profile:
        print_profile(results)
    else:
        print_table(results)
    if args.json:
        write_json(args.json, results)
    return results


def compare(args, model, source_tokenizer, target_tokenizer, ids, ct2_dir, root, results):
    """The main table: every runtime, greedy and beam, every batch size, interleaved."""
    import keras_s2s
    from keras_s2s.decoding import BeamSearch, GreedySearch

    strategies = {
        "greedy": GreedySearch(),
        f"beam {args.beam_size}": BeamSearch(args.beam_size, length_penalty=args.length_penalty),
    }
    ct2_beams = {"greedy": 1, f"beam {args.beam_size}": args.beam_size}
    for label, strategy in strategies.items():
        translator = keras_s2s.Translator(model, source_tokenizer, target_tokenizer, strategy=strategy)
        start = time.perf_counter()
        paths = export_artifacts(translator, os.path.join(root, label.replace(" ", "")))
        results.setdefault("export_seconds", {})[label] = time.perf_counter() - start
        runners = keras_runners(model, strategy, paths, args.threads)
        runners.update(
            ct2_runners(
                ct2_dir, target_tokenizer.vocabulary, args.threads, ct2_beams[label], args.length_penalty
            )
        )
        for batch_size in args.batch_sizes:
            batches = make_batches(ids, batch_size, source_tokenizer.vocabulary)
            latencies, outputs, errors = measure(runners, batches, batches[: args.warmup])
            results["rows"] += table_rows(label, batch_size, latencies, outputs, errors)


def profile(args, model, source_tokenizer, target_tokenizer, ids, ct2_dir, root):
    """Greedy decoding time = first step + (steps - 1) × per further step, per runtime.

    Each runtime decodes every batch twice, interleaved with the others:
    in full, and stopped after one token (`max_length=1`: `generate`'s
    argument, a LiteRT model exported from `Translator(max_length=1)`,
    CTranslate2's `max_decoding_length=1`). The one-token run is the fixed
    cost (encoder, cross-attention keys and values, one decoder step, the
    call's own overhead); the rest, divided by the decoder steps beyond
    the first (the loop runs until every row has emitted [END]: the
    batch's longest output), is the cost of one decoder step.

    Returns:
        A list of rows: batch, runtime, ms per batch, first step ms, ms per
        further step, mean decoder steps per batch.
    """
    import keras_s2s
    from keras_s2s.decoding import GreedySearch

    greedy = GreedySearch()
    pairs = {}  # runtime -> (full call, one-token call, to_ids)
    same = lambda out: out  # noqa: E731
    if "keras" in args.profile_runtimes:
        pairs["keras"] = (
            lambda b: model.generate(b.ids, greedy)["ids"].numpy(),
            lambda b: model.generate(b.ids, greedy, max_length=1)["ids"].numpy(),
            same,
        )
    litert = [r for r in args.profile_runtimes if r.startswith("litert_")]
    if litert:
        from ai_edge_litert.interpreter import Interpreter

        for name in litert:
            quantization = None if name == "litert_float32" else "dynamic"
            calls = []
            lengths = (None, 1, args.profile_max_length) if args.profile_max_length else (None, 1)
            for max_length in lengths:
                translator = keras_s2s.Translator(
                    model, source_tokenizer, target_tokenizer, strategy=greedy, max_length=max_length
                )
                path = translator.export_litert(
                    os.path.join(root, f"profile_{name}_{max_length or 'full'}.tflite"), quantization
                )
                runner = Interpreter(model_path=path, num_threads=args.threads).get_signature_runner(
                    "translate_ids"
                )
                calls.append(lambda b, runner=runner: runner(source_ids=b.ids)["target_ids"])
            pairs[name] = (calls[0], calls[1], same)
            if args.profile_max_length:  # the same one-token model: the first step does not depend on M
                pairs[f"{name}@{args.profile_max_length}"] = (calls[2], calls[1], same)
    ct2 = [r for r in args.profile_runtimes if r.startswith("ct2_")]
    if ct2:
        runners = ct2_runners(ct2_dir, target_tokenizer.vocabulary, args.threads, 1, 0.0)
        for name in ct2:
            call, to_ids = runners[name]
            pairs[name] = (call, lambda b, call=call: call(b, max_length=1), to_ids)
    rows = []
    for batch_size in args.batch_sizes:
        batches = make_batches(ids, batch_size, source_tokenizer.vocabulary)
        for batch in batches[: args.warmup]:
            for full, one, _ in pairs.values():
                full(batch)
                one(batch)
        times = {name: {"full": [], "one": [], "steps": []} for name in pairs}
        for batch in batches:
            for name, (full, one, to_ids) in pairs.items():
                start = time.perf_counter()
                raw = full(batch)
                times[name]["full"].append(1000 * (time.perf_counter() - start))
                start = time.perf_counter()
                one(batch)
                times[name]["one"].append(1000 * (time.perf_counter() - start))
                times[name]["steps"].append(max(len(until_end(row)) for row in to_ids(raw)))
        for name in pairs:
            full, one = np.array(times[name]["full"]), np.array(times[name]["one"])
            steps = np.array(times[name]["steps"])
            rows.append(
                {
                    "batch": batch_size,
                    "runtime": name,
                    "batch_ms": float(full.mean()),
                    "first_step_ms": float(one.mean()),
                    "per_step_ms": float((full - one).sum() / max(int((steps - 1).sum()), 1)),
                    "steps": float(steps.mean()),
                    "batches": len(batches),
                }
            )
    return rows


def table_rows(label, batch_size, latencies, outputs, errors):
    rows = []
    baseline = None
    if BASELINE not in errors and latencies[BASELINE]:
        baseline = 1000 * batch_size * len(latencies[BASELINE]) / sum(latencies[BASELINE])
    for name in RUNTIMES:
        row = {"strategy": label, "batch": batch_size, "runtime": name}
        if name in errors:
            row["error"] = errors[name]
        else:
            lat = latencies[name]
            rate = 1000 * batch_size * len(lat) / sum(lat)
            row.update(
                sentences_per_second=rate,
                p50_ms=float(np.percentile(lat, 50)),
                p95_ms=float(np.percentile(lat, 95)),
                batches=len(lat),
                identical_to_keras=identical(outputs[name], outputs["keras"])
                if "keras" not in errors
                else None,
            )
            if baseline:
                row["vs_ct2_float32"] = rate / baseline
        rows.append(row)
    return rows


def print_header(results):
    m, model = results["machine"], results["model"]
    print(
        f"model: {model['run_directory']}: Transformer(d={model['embedding_dim']}, "
        f"layers={model['num_layers']}, heads={model['num_heads']}, ff={model['feedforward_dim']}), "
        f"{model['parameters']:,} parameters, vocab {model['source_vocab_size']} / {model['target_vocab_size']}"
    )
    print(
        f"test: {results['sentences']} sentences of {results['test_source']} "
        f"(mean {results['source_tokens_mean']:.1f} source tokens with [START]/[END])"
    )
    print(
        f"machine: {m['platform']}, {m['cpu']}, {m['cores']} cores (load average {m['load_average']:.1f} at "
        f"start); TF {m['tensorflow']}, Keras {m['keras']}, ai-edge-litert {m['ai_edge_litert']}, "
        f"ctranslate2 {m['ctranslate2']}; keras_s2s {m['git'] or 'unknown commit'}; "
        f"{results['threads']} threads per runtime"
    )


def print_table(results):
    print()
    print("| strategy | batch | runtime | sentences/s | p50 ms | vs CT2 float32 | same as Keras |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for r in results["rows"]:
        if "error" in r:
            print(f"| {r['strategy']} | {r['batch']} | {LABELS[r['runtime']]} | n/a ({r['error']}) | | | |")
            continue
        vs = f"{r['vs_ct2_float32']:.2f}x" if "vs_ct2_float32" in r else "n/a"
        same = "n/a" if r["identical_to_keras"] is None else f"{r['identical_to_keras']:.3f}"
        print(
            f"| {r['strategy']} | {r['batch']} | {LABELS[r['runtime']]} | "
            f"{r['sentences_per_second']:.1f} | {r['p50_ms']:.1f} | {vs} | {same} |"
        )
    print(f"\nload average at the end: {results['load_average_end']:.1f}")
    for r in results["rows"]:
        if r["runtime"] == "litert_float32" and r["batch"] == 1 and "vs_ct2_float32" in r:
            verdict = "met" if r["vs_ct2_float32"] >= GOAL else "NOT met"
            print(
                f"goal LiteRT float32 >= {GOAL}x CTranslate2 float32 at batch 1, {r['strategy']}: "
                f"{r['vs_ct2_float32']:.2f}x, {verdict}"
            )


def profile_label(runtime):
    name, _, max_length = runtime.partition("@")
    return f"{LABELS[name]}, max_length={max_length}" if max_length else LABELS[name]


def print_profile(results):
    print()
    print("greedy decoding time = first step + (steps - 1) x per further step (means per batch call)")
    print("| batch | runtime | ms per batch | first step ms | ms per further step | decoder steps |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in results["profile"]:
        print(
            f"| {r['batch']} | {profile_label(r['runtime'])} | {r['batch_ms']:.1f} | {r['first_step_ms']:.1f} | "
            f"{r['per_step_ms']:.2f} | {r['steps']:.1f} |"
        )
    print(f"\nload average at the end: {results['load_average_end']:.1f}")


def main(argv=None):
    return run(parse_args(argv))


if __name__ == "__main__":
    main()
