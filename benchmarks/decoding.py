"""Decoding speed: keras_s2s strategies vs keras-hub samplers on one model.

With `--model` the run directory may hold a `Seq2Seq` or a `Transformer`.

Trains one small `keras_s2s.models.Seq2Seq` on the synthetic dates task
(character tokenizers) for a fixed time, then decodes the same test batches

* with keras_s2s: `model.generate(source_ids, strategy, return_attention=False)`
  (a cached `tf.function` per strategy; `GreedySearch()` and
  `BeamSearch(beam_size=4)`; ids only, as the samplers return: no attention
  history, see "Since: ids only" in docs/decoding.md),
* with keras-hub: `keras_hub.samplers.GreedySampler()` /
  `BeamSampler(num_beams=4)` driving the same model's `decoder.step` through a
  `next(prompt, cache, index)` adapter, inside a `tf.function` that also runs
  the same encoder,

and prints sentences/s (median of `--repeats` timed passes over the test set,
after one untimed warm-up pass that traces / compiles every shape; the passes
of all variants are interleaved so that load from other processes hits them
alike) with the ratio ours / keras-hub. Both sides stop once every row has
produced [END] and use the same `max_length = 2 * S + 10` (`S` = padded source
length).

Also reported: keras-hub with `jit_compile=True` (XLA) and ours with XLA,
"n/a" with the reason when a variant does not compile; whether greedy ids are
token for token equal (they must be: same model, same argmax); how often the
best beam agrees (keras-hub ranks by the raw log-probability and keeps
extending finished beams, keras_s2s freezes finished beams and applies the
GNMT length penalty, so beam agreement is reported, not required).

keras-hub is an optional benchmark dependency (`pip install -e ".[bench]"`).

    python benchmarks/decoding.py --repeats 9     # full run, see docs/decoding.md
    python benchmarks/decoding.py --quick         # < 60 s smoke test
    python benchmarks/decoding.py --loop-overhead # dynamic_decode's own cost only
"""

import argparse
import os
import pathlib
import platform
import statistics
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import real_sentences  # noqa: E402  (benchmarks/real_sentences.py)
import tensorflow as tf  # noqa: E402

from keras_s2s import data, decoding, text  # noqa: E402
from keras_s2s.decoding.decoding_strategy import serializable  # noqa: E402
from keras_s2s.files import write_json  # noqa: E402
from keras_s2s.models import Seq2Seq, Transformer  # noqa: E402
from keras_s2s.training import TimeBudget  # noqa: E402

START_ID, END_ID = 2, 3
BEAM_SIZE = 4
SOURCE_SPEC = tf.TensorSpec((None, None), tf.int32)  # like model.generate's


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--task",
        choices=["dates", "reverse"],
        default="dates",
        help="synthetic task: dates (character tokenizers) or reverse (word tokenizers)",
    )
    parser.add_argument("--batch-sizes", default="1,64", help="comma-separated batch sizes (default 1,64)")
    parser.add_argument(
        "--repeats", type=int, default=5, help="timed passes per cell; the median is reported"
    )
    parser.add_argument("--seconds", type=float, default=90.0, help="training time budget in seconds")
    parser.add_argument("--train-pairs", type=int, default=20000)
    parser.add_argument(
        "--sentences", type=int, default=256, help="test sentences per pass at batch sizes > 1"
    )
    parser.add_argument(
        "--batch1-sentences", type=int, default=64, help="test sentences per pass at batch size 1"
    )
    real_sentences.add_arguments(parser)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument(
        "--hub-cache",
        choices=["state", "state+memory"],
        default="state",
        help="what the keras-hub adapter puts in the sampler's cache: the "
        "decoder state only (the memory, one row per sentence, captured by "
        "`next`; the faster keras-hub setup) or the state and the attention "
        "memory (BeamSampler then tiles it and reorders it at every step)",
    )
    parser.add_argument("--no-xla", action="store_true", help="skip the XLA variants")
    parser.add_argument(
        "--tiled-first-step",
        action="store_true",
        help="keras_s2s's beam search with step 0 on all B*K rows, as before it ran on one row per "
        "sentence (benchmarks/beam_first_step.py), for A/B runs of the ratio",
    )
    parser.add_argument(
        "--loop-overhead",
        action="store_true",
        help="only time keras_s2s.decoding.dynamic_decode's own bookkeeping: a "
        "trivial step function (one small matmul), no model, no keras-hub",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: tiny model, 1 epoch, few sentences, batch 1,4"
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.train_pairs = min(args.train_pairs, 512)
        args.seconds = min(args.seconds, 5.0)
        args.embedding_dim, args.units = 16, 32
        args.sentences = min(args.sentences, 8)
        args.batch1_sentences = min(args.batch1_sentences, 2)
        args.repeats = min(args.repeats, 2)
        if args.batch_sizes == "1,64":
            args.batch_sizes = "1,4"
    args.batch_sizes = [int(b) for b in str(args.batch_sizes).split(",") if b.strip()]
    if not args.batch_sizes or min(args.batch_sizes) < 1:
        parser.error("--batch-sizes must be positive integers")
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args


# ----------------------------------------------------------------- the model
def load_model(args):
    """A trained run directory: `(model, source_tokenizer, info)`."""
    model, src_tok, _, info = real_sentences.load(args)
    if not isinstance(model, (Seq2Seq, Transformer)):
        raise SystemExit(
            f"--model {args.model}: a {type(model).__name__}; the keras-hub adapter drives a Seq2Seq or a Transformer"
        )
    info.update(source_vocab_size=src_tok.vocab_size, target_vocab_size=model.target_vocab_size)
    return model, src_tok, info


def load_task(task, n, seed):
    if task == "dates":
        return data.dates(n, seed=seed)
    return data.reverse(n, seed=seed)


def make_tokenizers(task, sources, targets):
    if task == "dates":
        return text.CharTokenizer.train(sources), text.CharTokenizer.train(targets)
    return text.WordTokenizer.train(sources), text.WordTokenizer.train(targets)


def train_model(args):
    keras.utils.set_random_seed(0)
    sources, targets = load_task(args.task, args.train_pairs, seed=0)
    src_tok, tgt_tok = make_tokenizers(args.task, sources, targets)
    dataset = data.make_dataset(sources, targets, src_tok, tgt_tok, batch_size=64, seed=0)
    model = Seq2Seq(
        src_tok.vocab_size, tgt_tok.vocab_size, embedding_dim=args.embedding_dim, units=args.units
    )
    model.compile()
    budget = TimeBudget(args.seconds)
    epochs = 1 if args.quick else 1000  # the time budget stops it
    start = time.perf_counter()
    history = model.fit(dataset, epochs=epochs, verbose=0, callbacks=[budget])
    seconds = time.perf_counter() - start
    accuracy = history.history["masked_accuracy"][-1]
    return (
        model,
        src_tok,
        tgt_tok,
        {
            "train_pairs": len(sources),
            "train_seconds": seconds,
            "train_batches": budget.steps,
            "train_epochs": len(history.history["loss"]),
            "train_token_accuracy": float(accuracy),
            "source_vocab_size": src_tok.vocab_size,
            "target_vocab_size": tgt_tok.vocab_size,
        },
    )


def test_batches(args, src_tok, batch_size):
    """Tokenized test batches `(B, S)` (each padded to its own longest)."""
    count = args.batch1_sentences if batch_size == 1 else args.sentences
    count = max(batch_size, count - count % batch_size)
    if args.model:  # real sentences in file order: lengths as a server sees them
        sources = real_sentences.read_sources(args, count)
        count = len(sources) - len(sources) % batch_size
        sources = sources[:count]
    else:
        sources, _ = load_task(args.task, count, seed=12345)
    batches = [src_tok(sources[i : i + batch_size]) for i in range(0, count, batch_size)]
    if args.quick:  # one source length: one XLA compilation per variant
        width = max(int(b.shape[1]) for b in batches)
        batches = [tf.pad(b, [[0, 0], [0, width - int(b.shape[1])]]) for b in batches]
    return batches


# ------------------------------------------------------------- the decoders
@serializable
class TiledBeamSearch(decoding.BeamSearch):
    """`BeamSearch` with step 0 on all `B·K` rows, as before it ran on one row per
    sentence (`--tiled-first-step`; `benchmarks/beam_first_step.py`)."""

    expands_after_first_step = False


def ours(model, strategy, jit=False):
    """keras_s2s: the public `model.generate` (ids only), or the same graph under XLA."""
    if not jit:
        return lambda source_ids: model.generate(source_ids, strategy, return_attention=False)["ids"]

    # Inside a tf.function, generate builds its graph in place (default
    # max_length 2 * S + 10, a compile-time constant under XLA).
    @tf.function(jit_compile=True, input_signature=[SOURCE_SPEC])
    def generate(source_ids):
        return model.generate(source_ids, strategy, return_attention=False)["ids"]

    return generate


def hub(model, sampler, jit=False, cache_memory=False):
    """keras-hub `sampler` driving `model.decoder.step`.

    The prompt is a `(B, max_length + 1)` buffer `[START, 0, 0, ...]`; at
    `index` the adapter feeds `prompt[:, index - 1]` to `decoder.step` and
    returns its logits, and the sampler writes the chosen token at `index`.
    The cache is the decoder state (a Seq2Seq's list of `(B, units)` tensors;
    a Transformer's key/value buffers of `max_length` positions, the fixed
    layout, since keras-hub's `while_loop` keeps every shape), and with
    `cache_memory` also the attention memory `(keys, values, mask)`.
    """

    # A dynamic batch dimension: BeamSampler's loop does not keep a static one.
    @tf.function(jit_compile=jit, input_signature=[SOURCE_SPEC])
    def generate(source_ids):
        batch = tf.shape(source_ids)[0]
        max_length = 2 * tf.shape(source_ids)[1] + 10
        encoder_outputs, encoder_state = model._encode(source_ids)  # what generate runs
        memory = model.decoder.prepare_memory(encoder_outputs, source_ids != 0)
        if isinstance(model, Transformer):
            state = model.decoder.initial_state(batch, max_length)  # dict, fixed buffers
            pack, unpack = dict, dict
        else:
            state = model.decoder.initial_state(encoder_state)  # list of (B, units)
            pack, unpack = tuple, list
        prompt = tf.concat([tf.fill([batch, 1], START_ID), tf.zeros([batch, max_length], tf.int32)], axis=1)
        mask = tf.concat([tf.ones([batch, 1], tf.bool), tf.zeros([batch, max_length], tf.bool)], axis=1)
        if cache_memory:
            cache = (pack(state), memory)

            def next(prompt, cache, index):
                state, memory = cache
                logits, state, _ = model.decoder.step(prompt[:, index - 1], unpack(state), memory)
                return logits, None, (pack(state), memory)
        else:
            # BeamSampler repeats the cache rows num_beams times consecutively
            # (ops.repeat), as keras_s2s lays out its beams: the decoder step
            # serves a sentence's rows from its one memory row (N = B·K rows,
            # B memory rows), so `next` captures the memory untiled.
            cache = pack(state)

            def next(prompt, cache, index):
                logits, state, _ = model.decoder.step(prompt[:, index - 1], unpack(cache), memory)
                return logits, None, pack(state)

        out = sampler(next, prompt, cache=cache, index=1, mask=mask, stop_token_ids=[END_ID])
        return out[:, 1:]

    return generate


def truncate_after_end(ids):
    """keras-hub keeps generating after [END]; zero everything after the first."""
    ids = np.asarray(ids)
    after = np.cumsum(np.cumsum(ids == END_ID, axis=1), axis=1) > 1  # past the first [END]
    return np.where(after, 0, ids)


def same_rows(a, b):
    """Per-row equality of two id matrices, right-padded with 0 to one width."""
    a, b = truncate_after_end(a), truncate_after_end(b)
    width = max(a.shape[1], b.shape[1])
    a = np.pad(a, [(0, 0), (0, width - a.shape[1])])
    b = np.pad(b, [(0, 0), (0, width - b.shape[1])])
    return np.all(a == b, axis=1)


# ----------------------------------------------------------------- timing
def run_all(fn, batches):
    return [np.asarray(fn(b)) for b in batches]


def one_pass(fn, batches):
    start = time.perf_counter()
    for b in batches:
        fn(b)[0, 0].numpy()  # wait for the result
    return time.perf_counter() - start


def measure(variants, batches, repeats):
    """Sentences/s of every variant on the same batches.

    Each variant first makes one untimed pass (tracing, XLA compilation of
    every shape; its outputs are returned). Then `repeats` rounds time one
    pass of every variant, interleaved (the order rotates each round) so that
    load from other processes hits all variants alike; the median is kept.
    A variant that raises is reported as `None` with the reason.

    Returns:
        `{name: (sentences_per_s or None, outputs or None, error or None)}`.
    """
    sentences = sum(int(b.shape[0]) for b in batches)
    outputs, errors, times = {}, {}, {}
    for name, fn in variants.items():
        try:
            outputs[name] = run_all(fn, batches)
            times[name] = []
        except Exception as error:  # noqa: BLE001 - report any compile failure
            message = str(error).strip().splitlines() or [""]
            errors[name] = f"{type(error).__name__}: {message[0][:160]}"
    names = list(times)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(one_pass(variants[name], batches))
    return {
        name: (
            sentences / statistics.median(times[name]) if name in times else None,
            outputs.get(name),
            errors.get(name),
        )
        for name in variants
    }


def fmt(value):
    return "n/a" if value is None else f"{value:,.1f}"


def fmt_ratio(a, b):
    return "n/a" if a is None or b is None else f"{a / b:.2f}x"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.platform()


def loop_overhead(repeats):
    """ms per `dynamic_decode` call with a trivial step: the loop's own cost.

    The step is one `(N, S) x (S, 32)` matmul whose logits force [END] at a
    fixed step, and a softmax as attention, so nearly all the time is the
    loop's bookkeeping (strategy, reordering, id / attention histories).
    """
    results = []
    vocab = 32
    for batch, source, steps in ((1, 35, 12), (64, 35, 12), (64, 50, 30)):
        rng = np.random.default_rng(0)
        weights = tf.constant(rng.normal(size=(source, vocab)).astype("float32"))
        memory = tf.constant(rng.normal(size=(batch, source)).astype("float32"))
        state = tf.zeros([batch, 1])
        end = tf.one_hot(END_ID, vocab) * 100.0

        def step(tokens, state, memory):
            force = tf.cast(state[:, :1] >= steps - 1, tf.float32)  # (N, 1)
            return memory @ weights + force * end, state + 1.0, tf.nn.softmax(memory)

        for name, strategy in (
            ("greedy", decoding.GreedySearch()),
            (f"beam {BEAM_SIZE}", decoding.BeamSearch(BEAM_SIZE)),
        ):
            fn = tf.function(
                lambda m, s, strategy=strategy: decoding.dynamic_decode(
                    step, s, m, strategy, max_length=2 * source + 10, attention_size=source
                )
            )
            fn(memory, state)
            times = []
            for _ in range(max(repeats, 7)):
                start = time.perf_counter()
                fn(memory, state)["ids"].numpy()
                times.append(time.perf_counter() - start)
            ms = 1e3 * statistics.median(times)
            results.append(
                {
                    "strategy": name,
                    "batch": batch,
                    "source_length": source,
                    "max_length": 2 * source + 10,
                    "steps": steps,
                    "ms": ms,
                }
            )
            print(
                f"  {name:7s} batch {batch:3d}, S={source}, max_length={2 * source + 10}, "
                f"{steps} steps: {ms:.2f} ms per decode",
                flush=True,
            )
    return results


def main(argv=None):
    args = parse_args(argv)
    cpus = os.cpu_count()
    machine = f"{platform.machine()}, {cpus} CPUs visible, {cpu_model()}"
    print(f"machine: {machine}")
    if args.loop_overhead:
        print(f"TensorFlow {tf.__version__}; dynamic_decode with a trivial step function:")
        results = {
            "machine": machine,
            "cpu_count": cpus,
            "tensorflow": tf.__version__,
            "loop_overhead": loop_overhead(args.repeats),
        }
        if args.json:
            write_json(args.json, results)
        return results

    import keras_hub  # optional dependency: pip install -e ".[bench]"

    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"keras-hub {keras_hub.__version__}, Python {platform.python_version()}, "
        f"devices: {[d.device_type for d in tf.config.list_logical_devices()]}"
    )

    if args.model:
        model, src_tok, info = load_model(args)
        print(
            f"model: {args.model}, {type(model).__name__}({info['settings']}), {info['parameters']:,} parameters, "
            f"vocab {info['source_vocab_size']} / {info['target_vocab_size']}; sentences: {args.test_source}"
        )
    else:
        model, src_tok, _, info = train_model(args)
        print(
            f"model: Seq2Seq(embedding_dim={args.embedding_dim}, units={args.units}, GRU, "
            f"additive attention), {args.task} task, vocab {info['source_vocab_size']} / "
            f"{info['target_vocab_size']}; trained {info['train_seconds']:.0f} s "
            f"({info['train_batches']} batches of 64), token accuracy "
            f"{info['train_token_accuracy']:.3f}"
        )

    strategies = {
        "greedy": (decoding.GreedySearch(), keras_hub.samplers.GreedySampler()),
        f"beam {BEAM_SIZE}": (
            (TiledBeamSearch if args.tiled_first_step else decoding.BeamSearch)(beam_size=BEAM_SIZE),
            keras_hub.samplers.BeamSampler(num_beams=BEAM_SIZE),
        ),
    }
    cache_memory = args.hub_cache == "state+memory"
    rows, agreement = [], {}
    for batch_size in args.batch_sizes:
        batches = test_batches(args, src_tok, batch_size)
        sentences = sum(int(b.shape[0]) for b in batches)
        for name, (strategy, sampler) in strategies.items():
            variants = {
                "keras_s2s": ours(model, strategy),
                "keras_hub": hub(model, sampler, cache_memory=cache_memory),
            }
            if not args.no_xla:
                variants["keras_s2s_xla"] = ours(model, strategy, jit=True)
                variants["keras_hub_xla"] = hub(model, sampler, jit=True, cache_memory=cache_memory)
            measured = measure(variants, batches, args.repeats)
            row = {"strategy": name, "batch": batch_size, "sentences": sentences}
            # Retracing check: each tf.function should be traced once (XLA still
            # compiles once per input shape, during the warm-up pass).
            functions = dict(variants, keras_s2s=model._compiled_generate(strategy, return_attention=False))
            row["traces"] = {key: int(fn.experimental_get_tracing_count()) for key, fn in functions.items()}
            for key, (value, _, error) in measured.items():
                row[key] = value
                if key.endswith("_xla"):
                    row[f"{key}_error"] = error
            row["ratio"] = row["keras_s2s"] / row["keras_hub"]
            rows.append(row)
            pairs = [
                (
                    "keras_s2s",
                    "keras_hub",
                    name if name == "greedy" else f"{name} (keras_s2s length_penalty=0.6 vs keras-hub)",
                )
            ]
            if not args.no_xla:  # XLA must not change the tokens either
                pairs += [
                    ("keras_s2s", "keras_s2s_xla", f"{name}: keras_s2s XLA vs not"),
                    ("keras_hub", "keras_hub_xla", f"{name}: keras-hub XLA vs not"),
                ]
            for a, b, label in pairs:
                if measured[a][1] is None or measured[b][1] is None:
                    continue
                equal = np.concatenate([same_rows(x, y) for x, y in zip(measured[a][1], measured[b][1])])
                counts = agreement.setdefault(label, [0, 0])
                counts[0] += int(equal.sum())
                counts[1] += int(equal.size)
            print(f"  measured {name}, batch {batch_size} ({sentences} sentences)", flush=True)

    # Beam agreement against keras_s2s without length penalty too (same ranking
    # as BeamSampler; finished beams still differ, see docs/decoding.md).
    batches = test_batches(args, src_tok, max(args.batch_sizes))
    plain = run_all(ours(model, decoding.BeamSearch(BEAM_SIZE, length_penalty=0.0)), batches)
    beam_hub = run_all(hub(model, strategies[f"beam {BEAM_SIZE}"][1], cache_memory=cache_memory), batches)
    equal = np.concatenate([same_rows(a, b) for a, b in zip(plain, beam_hub)])
    agreement[f"beam {BEAM_SIZE} (keras_s2s length_penalty=0 vs keras-hub)"] = [
        int(equal.sum()),
        int(equal.size),
    ]

    print()
    print(
        f"hub cache: {args.hub_cache}; sentences/s, median of {args.repeats} passes, "
        "warm-up excluded; ratio = keras_s2s / keras-hub (> 1: keras_s2s faster)"
        + ("; keras_s2s beam search with step 0 tiled (--tiled-first-step)" if args.tiled_first_step else "")
    )
    header = ["strategy", "batch", "keras_s2s sent/s", "keras-hub sent/s", "ratio"]
    if not args.no_xla:
        header += ["keras_s2s XLA", "keras-hub XLA", "ratio XLA"]
    table = [header]
    for row in rows:
        line = [
            row["strategy"],
            str(row["batch"]),
            fmt(row["keras_s2s"]),
            fmt(row["keras_hub"]),
            fmt_ratio(row["keras_s2s"], row["keras_hub"]),
        ]
        if not args.no_xla:
            line += [
                fmt(row["keras_s2s_xla"]),
                fmt(row["keras_hub_xla"]),
                fmt_ratio(row["keras_s2s_xla"], row["keras_hub_xla"]),
            ]
        table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in table[1:]:
        print(
            "| "
            + " | ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths)))
            + " |"
        )
    errors = {}
    for row in rows:
        for key in ("keras_s2s_xla_error", "keras_hub_xla_error"):
            if row.get(key):
                errors.setdefault((key, row[key]), []).append(f"{row['strategy']}/{row['batch']}")
    for (key, reason), cells in errors.items():
        who = "keras_s2s" if key.startswith("keras_s2s") else "keras-hub"
        print(f"{who} XLA n/a ({', '.join(cells)}): {reason}")
    traces = {}
    for row in rows:
        for key, count in row["traces"].items():
            traces[key] = max(traces.get(key, 0), count)
    print(
        "tf.function traces per function (max over cells): "
        + ", ".join(f"{key} {count}" for key, count in traces.items())
    )
    print()
    same, total = agreement["greedy"]
    verdict = "all tokens equal" if same == total else "TOKENS DIFFER"
    print(f"greedy agreement (keras_s2s vs keras-hub): {same}/{total} sentences identical, {verdict}")
    for name, (same, total) in agreement.items():
        if name != "greedy":
            print(f"{name} agreement: {same}/{total} identical ({100.0 * same / total:.1f}%)")

    results = {
        "machine": machine,
        "cpu_count": cpus,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "keras_hub": keras_hub.__version__,
        "command": " ".join(["python", "benchmarks/decoding.py"] + sys.argv[1:]),
        "task": "real sentences" if args.model else args.task,
        **({} if args.model else {"embedding_dim": args.embedding_dim, "units": args.units}),
        "hub_cache": args.hub_cache,
        "tiled_first_step": args.tiled_first_step,
        "repeats": args.repeats,
        **info,
        "rows": rows,
        "agreement": {k: {"identical": s, "total": t} for k, (s, t) in agreement.items()},
    }
    if args.json:
        write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
