"""SavedModel memory: resident memory per batch size and over many batch shapes.

A small `Seq2Seq` (bi-GRU encoder, additive attention) is trained briefly on
the synthetic `reverse` task (sources of 1-60 symbols, `WordTokenizer`),
exported with beam search (beam 4) as a SavedModel, and then measured in
fresh processes that only `import tensorflow, tensorflow_text` and
`tf.saved_model.load` it (as TF Serving would, no keras_s2s):

1. peak: for each batch size, a new process loads the model, calls
   `serving_default` once with that many sentences, and reports its resident
   memory after loading, after the call, and its peak (`VmHWM`);
2. growth: one process calls `serving_default` 60 times, each call with a
   new (batch size, source length) combination, and reports the resident
   memory every 10 calls (a server sees a new shape at nearly every call).

Resident memory is read from `/proc/self/status` (`VmRSS`, `VmHWM`; Linux).

    python benchmarks/saved_model_memory.py              # ~3 min on 2 CPU cores
    python benchmarks/saved_model_memory.py --quick      # smoke test
    python benchmarks/saved_model_memory.py --saved-model saved_models/x/1  # an existing export
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
BATCH_SIZES = (1, 64, 256, 1000)
GROWTH_CALLS = 60

CHILD = r"""
import json, sys
import numpy as np
import tensorflow as tf
import tensorflow_text  # noqa: F401  (TF Serving links TF Text)


def memory():
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024  # MB
    return fields


def sentences(rng, batch, length):
    symbols = [chr(ord("a") + i) for i in range(20)]
    rows = []
    for i in range(batch):
        n = length if i == 0 else int(rng.integers(1, length + 1))
        rows.append(" ".join(rng.choice(symbols, n)))
    return rows


mode, path = sys.argv[1], sys.argv[2]
serving = tf.saved_model.load(path).signatures["serving_default"]
rng = np.random.default_rng(0)
loaded = memory()["VmRSS"]
if mode == "peak":
    batch = int(sys.argv[3])
    out = serving(text=tf.constant(sentences(rng, batch, 60)))
    assert out["translation"].shape == (batch,)
    print(json.dumps({"batch": batch, "loaded": loaded, "after": memory()["VmRSS"], "peak": memory()["VmHWM"]}))
else:
    calls = int(sys.argv[3])
    serving(text=tf.constant(sentences(rng, 4, 10)))  # warm-up
    trace = [memory()["VmRSS"]]
    shapes = [(int(b), int(s)) for b, s in zip(rng.integers(1, 129, calls), rng.integers(4, 61, calls))]
    for i, (batch, length) in enumerate(shapes, 1):
        serving(text=tf.constant(sentences(rng, batch, length)))
        if i % 10 == 0 or i == calls:
            trace.append(memory()["VmRSS"])
    print(json.dumps({"loaded": loaded, "trace": trace, "peak": memory()["VmHWM"]}))
"""


def train_and_export(path, epochs):
    """Trains the small reverse model briefly and exports it (beam 4)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    sys.path.insert(0, str(REPO))
    import keras

    import keras_s2s
    from keras_s2s import data, text
    from keras_s2s.models import Seq2Seq

    keras.utils.set_random_seed(0)
    sources, targets = data.reverse(2000, seed=0, min_length=1, max_length=60)
    tokenizer = text.WordTokenizer.train(sources)
    model = Seq2Seq(tokenizer.vocab_size, tokenizer.vocab_size, embedding_dim=64, units=128)
    model.compile()
    src, tgt = tokenizer(sources).numpy(), tokenizer(targets).numpy()
    model.fit(
        {"source_ids": src, "target_ids": tgt[:, :-1]}, tgt[:, 1:], batch_size=64, epochs=epochs, verbose=0
    )
    translator = keras_s2s.Translator(model, tokenizer, tokenizer, strategy="beam")
    translator.export_saved_model(path)
    return translator


def agreement(translator, path, n):
    """Sentences of `n` (1-60 symbols) the SavedModel translates exactly as the Translator."""
    import tensorflow as tf

    from keras_s2s import data

    sources, _ = data.reverse(n, seed=1, min_length=1, max_length=60)
    served = tf.saved_model.load(path).signatures["serving_default"](text=tf.constant(sources))
    served = [t.decode() for t in served["translation"].numpy()]
    return sum(a == b for a, b in zip(served, translator(sources)))


def run_child(*args):
    result = subprocess.run(
        [sys.executable, "-c", CHILD, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd="/",
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saved-model", help="measure this export instead of training one")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs of the small model")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=list(BATCH_SIZES))
    parser.add_argument("--calls", type=int, default=GROWTH_CALLS, help="calls of the growth run")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 epoch, batches 1 and 8, 10 calls")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.batch_sizes, args.calls = 1, [1, 8], 10
    with tempfile.TemporaryDirectory() as tmp:
        path, translator = args.saved_model, None
        if path is None:
            path = os.path.join(tmp, "reverse", "1")
            translator = train_and_export(path, args.epochs)
            params = translator.model.count_params()
            print(f"model: Seq2Seq(embedding_dim=64, units=128), {params:,} parameters, beam 4")
        print(
            "\nPeak resident memory per batch size (MB; a fresh process per batch, sources of 1-60 symbols)"
        )
        print(f"{'batch':>6} {'loaded':>8} {'after call':>11} {'peak':>8}")
        peaks = []
        for batch in args.batch_sizes:
            row = run_child("peak", path, batch)
            peaks.append(row)
            print(f"{batch:>6} {row['loaded']:>8.0f} {row['after']:>11.0f} {row['peak']:>8.0f}")
        growth = run_child("growth", path, args.calls)
        print(f"\nResident memory over {args.calls} calls, each a new (batch 1-128, length 4-60) shape (MB)")
        print("after calls: " + " ".join(f"{i * 10:>5}" for i in range(len(growth["trace"]))))
        print("RSS (MB):    " + " ".join(f"{v:>5.0f}" for v in growth["trace"]))
        print(f"peak {growth['peak']:.0f} MB, loaded {growth['loaded']:.0f} MB")
        same = None
        if translator is not None:
            n = max(args.batch_sizes)
            same = agreement(translator, path, n)
            print(f"\nserving_default == Translator.translate on {same} of {n} sentences (one batch of {n})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"peak": peaks, "growth": growth, "identical_to_translator": same}, f, indent=2)


if __name__ == "__main__":
    main()
