"""Training speed: keras_s2s Seq2Seq vs the same model built from Keras built-ins.

For each attention kind, two models of the same architecture are trained with
plain `model.fit` on the same synthetic batches (random token ids, fixed
shape `(B, S)` / `(B, T)`, no padding, so every run sees the same shapes):

* keras_s2s: `keras_s2s.models.Seq2Seq(..., attention=kind, output_bias="zeros")`
  with the default `compile()` (Adam lr 1e-3 clipnorm 1, cross-entropy that
  ignores padding, masked token accuracy);
* built-in: what a user writes from the TensorFlow NMT tutorial, only Keras
  layers: Embedding(mask_zero) + Bidirectional(GRU) encoder, a Dense(tanh)
  bridge from the concatenated final states, a GRU decoder started from it,
  attention with Dense projections (`additive`: keras.layers.AdditiveAttention
  over Dense-projected query and keys; `multiplicative`: keras.layers.Attention
  with Dense-projected keys (Luong "general"); `scaled_dot`:
  keras.layers.MultiHeadAttention(num_heads=1, key_dim=units)), then
  concat [context; h] + Dense(units, tanh) + Dense(vocab); same compile.

Also: keras_s2s with input feeding (`input_feeding=True`), both sides under the
`mixed_bfloat16` policy and both sides with `jit_compile=True` (XLA), for the
`--extra-kinds` kinds (default additive).

Timing: every model is built and fitted for `--warmup` steps first (traces /
compiles), then the variants are timed in interleaved rounds (`--repeats`
rounds of `--steps` fit steps each; load from the other processes on a shared
machine hits all variants alike); the fastest round is reported as target
tokens per second (`B * T * steps / seconds`; on a shared 2-core machine a
round that loses a core to another process takes about twice as long, so
the minimum is the least distorted figure; the median is in the JSON).
Ratios are taken between the figures of the same run.

Model FLOPs utilization (MFU): training FLOPs per target token are estimated
analytically as 6 x (weights multiplied per token): the encoder's and
decoder's non-embedding weights (the encoder's scaled by S/T, since it runs
per source token), plus the attention's S-dependent terms (scores and the
weighted sum over S positions), i.e. 2 FLOPs per multiply-add, x3 for forward
+ backward. Embedding lookups and elementwise ops are not counted. MFU =
achieved FLOPs/s / peak, where the peak is the fastest of 20 timed `tf.matmul`
of two N x N float32 (bfloat16 for the bf16 rows) matrices, measured in the
same run on the same machine, before and after the models (the best of both).

    python benchmarks/training.py                 # full run, see docs/benchmarks.md
    python benchmarks/training.py --quick         # smoke test (< 60 s)
    python benchmarks/training.py --json out.json
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
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_s2s.files import write_json  # noqa: E402
from keras_s2s.models import MaskedTokenAccuracy, Seq2Seq  # noqa: E402

KINDS = ("additive", "multiplicative", "scaled_dot")
START_ID = 2


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--source-length", type=int, default=32)
    parser.add_argument("--target-length", type=int, default=32)
    parser.add_argument("--vocab-size", type=int, default=4000)
    parser.add_argument("--embedding-dim", type=int, default=128)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--steps", type=int, default=5, help="fit steps per timed round")
    parser.add_argument("--warmup", type=int, default=3, help="untimed fit steps per model")
    parser.add_argument(
        "--repeats", type=int, default=7, help="timed rounds; the fastest is reported (median in the JSON)"
    )
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument(
        "--extra-kinds", default="additive", help="kinds also run with input feeding / bf16 / XLA"
    )
    parser.add_argument("--no-bf16", action="store_true")
    parser.add_argument("--no-jit", action="store_true")
    parser.add_argument("--matmul-size", type=int, default=2048)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the smoke test")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.batch_size, args.source_length, args.target_length = 8, 8, 8
        args.vocab_size, args.embedding_dim, args.units = 64, 16, 16
        args.steps, args.warmup, args.repeats, args.matmul_size = 2, 1, 1, 256
    args.kinds = [k for k in args.kinds.split(",") if k]
    args.extra_kinds = [k for k in args.extra_kinds.split(",") if k]
    return args


def machine():
    model = platform.processor() or "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "cpu": model,
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        "bf16_instructions": sorted(flags & {"avx512_bf16", "amx_bf16"}),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
    }


# === data ===


def synthetic_batch(args, seed=0):
    """Random full-length ids (4 .. V-1): fixed shape, no padding."""
    rng = np.random.default_rng(seed)
    b, s, t, v = args.batch_size, args.source_length, args.target_length, args.vocab_size
    source = rng.integers(4, v, (b, s), dtype=np.int32)
    labels = rng.integers(4, v, (b, t), dtype=np.int32)
    target_in = np.concatenate([np.full((b, 1), START_ID, np.int32), labels[:, :-1]], 1)
    return {"source_ids": source, "target_ids": target_in}, labels


def dataset(args):
    x, y = synthetic_batch(args)
    return tf.data.Dataset.from_tensors((x, y)).repeat()


# === models ===


def builtin_model(kind, args):
    """The same architecture from Keras built-in layers only (NMT-tutorial style)."""
    layers, u, v, e = keras.layers, args.units, args.vocab_size, args.embedding_dim
    source_ids = keras.Input((None,), dtype="int32", name="source_ids")
    target_ids = keras.Input((None,), dtype="int32", name="target_ids")
    x = layers.Embedding(v, e, mask_zero=True)(source_ids)
    memory, forward, backward = layers.Bidirectional(layers.GRU(u, return_sequences=True, return_state=True))(
        x
    )
    state = layers.Dense(u, activation="tanh")(layers.Concatenate()([forward, backward]))
    y = layers.Embedding(v, e, mask_zero=True)(target_ids)
    h = layers.GRU(u, return_sequences=True)(y, initial_state=state)
    if kind == "additive":
        query = layers.Dense(u, use_bias=False)(h)
        keys = layers.Dense(u, use_bias=False)(memory)
        context = layers.AdditiveAttention()([query, memory, keys])
    elif kind == "multiplicative":
        keys = layers.Dense(u, use_bias=False)(memory)
        context = layers.Attention()([h, memory, keys])
    elif kind == "scaled_dot":
        context = layers.MultiHeadAttention(num_heads=1, key_dim=u)(h, memory, memory)
    else:
        raise ValueError(kind)
    attentional = layers.Dense(u, activation="tanh", use_bias=False)(layers.Concatenate()([context, h]))
    logits = layers.Dense(v, dtype="float32")(attentional)
    return keras.Model({"source_ids": source_ids, "target_ids": target_ids}, logits)


def compile_like_seq2seq(model, jit):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
        metrics=[MaskedTokenAccuracy(pad_id=0)],
        jit_compile=jit,
    )


def build(variant, args):
    """A compiled model for `variant` (a dict: impl, kind, input_feeding, bf16, jit)."""
    policy = keras.mixed_precision.dtype_policy()
    if variant["bf16"]:
        keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        if variant["impl"] == "keras_s2s":
            model = Seq2Seq(
                args.vocab_size,
                args.vocab_size,
                embedding_dim=args.embedding_dim,
                units=args.units,
                attention=variant["kind"],
                input_feeding=variant["input_feeding"],
                output_bias="zeros",
            )
            model.compile(jit_compile=variant["jit"])
        else:
            model = builtin_model(variant["kind"], args)
            compile_like_seq2seq(model, variant["jit"])
    finally:
        keras.mixed_precision.set_dtype_policy(policy)
    return model


def variants(args):
    out = []

    def add(impl, kind, input_feeding=False, bf16=False, jit=False):
        name = f"{impl} {kind}"
        name += " +input feeding" if input_feeding else ""
        name += " bf16" if bf16 else ""
        name += " XLA" if jit else ""
        out.append(dict(name=name, impl=impl, kind=kind, input_feeding=input_feeding, bf16=bf16, jit=jit))

    for kind in args.kinds:
        add("keras_s2s", kind)
        add("builtin", kind)
    for kind in args.extra_kinds:
        add("keras_s2s", kind, input_feeding=True)
        if not args.no_bf16:
            add("keras_s2s", kind, bf16=True)
            add("builtin", kind, bf16=True)
        if not args.no_jit:
            add("keras_s2s", kind, jit=True)
            add("builtin", kind, jit=True)
    return out


# === FLOPs ===


def _count(weights, skip_embeddings=True):
    return int(sum(np.prod(w.shape) for w in weights if not (skip_embeddings and "embedding" in w.path)))


def flops_per_target_token(kind, args, input_feeding=False):
    """Analytic training FLOPs per target token (see the module docstring)."""
    model = Seq2Seq(
        args.vocab_size,
        args.vocab_size,
        embedding_dim=args.embedding_dim,
        units=args.units,
        attention=kind,
        input_feeding=input_feeding,
        output_bias="zeros",
    )
    s, t, u = args.source_length, args.target_length, args.units
    encoder = _count(model.encoder.weights)
    decoder = _count(model.decoder.weights)
    attention = _count(model.decoder.attention.weights) if model.decoder.attention else 0
    # The source-side attention projections (keys, values) run once per source token.
    source_side = {"additive": 2 * u * u, "multiplicative": 2 * u * u, "scaled_dot": 2 * (2 * u * u)}[kind]
    per_token_weights = encoder * s / t + (decoder - source_side) + source_side * s / t
    value_dim = 2 * u
    score_dim = {"additive": u, "multiplicative": 2 * u, "scaled_dot": u}[kind]
    context_dim = u if kind == "scaled_dot" else value_dim
    attention_macs = s * (score_dim + context_dim)  # scores + weighted sum, per target token
    forward = 2 * (per_token_weights + attention_macs)
    return {
        "params_total": int(model.count_params()),
        "params_non_embedding": encoder + decoder,
        "attention_params": attention,
        "train_flops_per_target_token": 3 * forward,
    }


def matmul_peak(n, dtype, repeats=20):
    a = tf.random.normal((n, n), dtype=tf.float32)
    b = tf.random.normal((n, n), dtype=tf.float32)
    a, b = tf.cast(a, dtype), tf.cast(b, dtype)
    matmul = tf.function(lambda x, y: tf.matmul(x, y))
    matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def measure_peaks(args, previous=None):
    previous = previous or {}
    peaks = {"float32": max(matmul_peak(args.matmul_size, tf.float32), previous.get("float32", 0.0))}
    try:
        peaks["bfloat16"] = max(matmul_peak(args.matmul_size, tf.bfloat16), previous.get("bfloat16", 0.0))
    except Exception as error:  # noqa: BLE001 - reported, MFU of bf16 rows uses float32
        peaks["bfloat16_error"] = str(error)[:200]
    return peaks


# === run ===


def run(args):
    keras.utils.set_random_seed(0)
    results = {
        "machine": machine(),
        "config": {
            k: getattr(args, k)
            for k in (
                "batch_size",
                "source_length",
                "target_length",
                "vocab_size",
                "embedding_dim",
                "units",
                "steps",
                "warmup",
                "repeats",
                "quick",
            )
        },
    }
    data = dataset(args)
    peaks = measure_peaks(args)
    tokens = args.batch_size * args.target_length * args.steps
    items = []
    for variant in variants(args):
        item = dict(variant)
        try:
            model = build(variant, args)
            start = time.perf_counter()
            model.fit(data, steps_per_epoch=args.warmup, epochs=1, verbose=0)
            item["warmup_seconds"] = time.perf_counter() - start
            item["params"] = int(model.count_params())
            item["model"] = model
            item["times"] = []
        except Exception as error:  # noqa: BLE001 - reported as n/a
            item["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        items.append(item)
        print(
            f"built {item['name']}"
            + (
                f" (n/a: {item['error']})"
                if "error" in item
                else f" ({item['warmup_seconds']:.1f} s warm-up)"
            ),
            flush=True,
        )
    for _ in range(args.repeats):
        for item in items:
            if "model" not in item:
                continue
            start = time.perf_counter()
            item["model"].fit(data, steps_per_epoch=args.steps, epochs=1, verbose=0)
            item["times"].append(time.perf_counter() - start)
    # Before the models and after them: the best of both (the machine is shared).
    peaks = measure_peaks(args, peaks)
    results["matmul_peak_flops"] = peaks
    flops = {}
    rows = []
    for item in items:
        row = {k: item[k] for k in ("name", "impl", "kind", "input_feeding", "bf16", "jit")}
        if "error" in item:
            row["error"] = item["error"]
            rows.append(row)
            continue
        key = (item["kind"], item["input_feeding"])
        if key not in flops:
            flops[key] = flops_per_target_token(item["kind"], args, item["input_feeding"])
        # The fastest round: on a shared 2-core machine a round either has the
        # cores to itself or loses one to another process (then it takes ~2x),
        # so the minimum is the measurement least distorted by the others.
        seconds = min(item["times"])
        row.update(
            params=item["params"],
            seconds_per_round=seconds,
            tokens_per_second=tokens / seconds,
            round_seconds=item["times"],
            median_tokens_per_second=tokens / statistics.median(item["times"]),
        )
        peak = peaks.get("bfloat16" if item["bf16"] else "float32", peaks["float32"])
        row["mfu"] = row["tokens_per_second"] * flops[key]["train_flops_per_target_token"] / peak
        rows.append(row)
    results["rows"] = rows
    results["flops"] = {f"{k[0]}{' +input feeding' if k[1] else ''}": v for k, v in flops.items()}
    results["ratios"] = ratios(rows)
    return results


def ratios(rows):
    by_name = {r["name"]: r for r in rows if "tokens_per_second" in r}

    def ratio(a, b):
        if a in by_name and b in by_name:
            return by_name[a]["tokens_per_second"] / by_name[b]["tokens_per_second"]
        return None

    out = []
    names = [r["name"] for r in rows]
    for r in rows:
        impl, kind = r["impl"], r["kind"]
        base = f"{impl} {kind}"
        if r["name"] == base and impl == "keras_s2s":
            out.append((f"{kind}: keras_s2s / built-in", ratio(base, f"builtin {kind}")))
        elif r["input_feeding"]:
            out.append((f"{kind}: input feeding on / off (keras_s2s)", ratio(r["name"], base)))
        elif r["bf16"]:
            out.append((f"{kind}: bf16 / float32 ({impl})", ratio(r["name"], base)))
        elif r["jit"]:
            out.append((f"{kind}: XLA on / off ({impl})", ratio(r["name"], base)))
    for kind in {r["kind"] for r in rows}:
        for suffix in (" bf16", " XLA"):
            a, b = f"keras_s2s {kind}{suffix}", f"builtin {kind}{suffix}"
            if a in names and b in names:
                out.append((f"{kind}{suffix}: keras_s2s / built-in", ratio(a, b)))
    return [{"what": w, "ratio": v, "error": None if v is not None else "n/a"} for w, v in out]


def print_tables(results):
    m = results["machine"]
    c = results["config"]
    print(
        f"machine: {m['cpu']}, {m['cpu_count']} CPUs (shared), load {m['load_average']}, "
        f"bf16 instructions: {', '.join(m['bf16_instructions']) or 'none'}"
    )
    print(f"TensorFlow {m['tensorflow']}, Keras {m['keras']}, Python {m['python']}")
    print(
        f"shape: batch {c['batch_size']}, source {c['source_length']}, target "
        f"{c['target_length']}, vocab {c['vocab_size']}, embedding {c['embedding_dim']}, "
        f"units {c['units']}; fastest of {c['repeats']} rounds x {c['steps']} steps"
    )
    peaks = results["matmul_peak_flops"]
    print(
        "matmul peak: "
        + ", ".join(f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in peaks.items() if not k.endswith("error"))
    )
    print()
    print("| variant | params | target tokens/s | MFU |")
    print("|---|---:|---:|---:|")
    for r in results["rows"]:
        if "error" in r:
            print(f"| {r['name']} | n/a | n/a ({r['error']}) | n/a |")
        else:
            print(
                f"| {r['name']} | {r['params']:,} | {r['tokens_per_second']:,.0f} | {100 * r['mfu']:.1f}% |"
            )
    print()
    print("| ratio (same run) | value |")
    print("|---|---:|")
    for r in results["ratios"]:
        value = "n/a" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        print(f"| {r['what']} | {value} |")
    print()
    print("| model (keras_s2s) | params | non-embedding | train FLOPs / target token |")
    print("|---|---:|---:|---:|")
    for name, f in results["flops"].items():
        print(
            f"| {name} | {f['params_total']:,} | {f['params_non_embedding']:,} | "
            f"{f['train_flops_per_target_token'] / 1e6:.2f} M |"
        )


def main(argv=None):
    args = parse_args(argv)
    results = run(args)
    print_tables(results)
    if args.json:
        write_json(args.json, results)


if __name__ == "__main__":
    main()
