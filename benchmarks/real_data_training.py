"""Training on real text, whole pipeline: `keras-s2s train`'s recipe vs the TensorFlow NMT tutorial's.

On Multi30k train (German -> English, from `../shared/data` or `--data-dir`),
both sides train the same architecture at the same size (bidirectional GRU
encoder, additive attention, GRU decoder; embedding and units `--units`,
vocabularies of `--vocab-size` per side) with plain `model.fit` from text:

* keras_s2s: what `keras-s2s train` runs: subword tokenizers
  (tensorflow-text WordPiece, `build_tokenizers`), `keras_s2s.data.make_epochs`
  (in-graph tokenization, length bucketing, padding to the batch's longest),
  `keras_s2s.models.Seq2Seq` with its default `compile()`;
* tutorial: the TensorFlow "NMT with attention" recipe: `TextVectorization`
  (lowercase, punctuation stripped, word level, `[START]`/`[END]` added),
  shuffled `padded` batches without bucketing, the model of Keras built-in
  layers from `benchmarks/training.py` (`builtin_model`), same compile.

Each side runs `--steps` batches of 64 pairs per timed round (the pipeline
included: `fit` pulls from the live `tf.data` pipeline), after a warm-up of
the same batches (so the traces of each batch shape exist); rounds are
interleaved, the fastest is reported. Rates count the pairs and the target
tokens that are not padding (each side in its own tokens: subwords vs
words, so pairs/s is the comparable figure) and the padding fraction of the
target batches.

    python benchmarks/real_data_training.py          # see docs/benchmarks.md
    python benchmarks/real_data_training.py --quick  # smoke test on 640 pairs
"""

import argparse
import os
import pathlib
import re
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from training import builtin_model, compile_like_seq2seq  # noqa: E402

from keras_s2s.data import make_epochs, multi30k  # noqa: E402
from keras_s2s.models import Seq2Seq  # noqa: E402
from keras_s2s.training.training_data import build_tokenizers  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--pairs", type=int, default=29000, help="training pairs used (tokenizers, batches)")
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--units", type=int, default=256, help="embedding and GRU units")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=40, help="batches per timed round")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.pairs, args.vocab_size, args.units, args.steps, args.repeats = 640, 500, 32, 4, 1
    return args


# === The two recipes ===
def keras_s2s_recipe(args, sources, targets):
    source_tokenizer, target_tokenizer = build_tokenizers(sources, targets, "subword", args.vocab_size)
    data = make_epochs(
        sources, targets, source_tokenizer, target_tokenizer, epochs=1, seed=0, batch_size=args.batch_size
    )
    model = Seq2Seq(
        source_tokenizer.vocab_size,
        target_tokenizer.vocab_size,
        embedding_dim=args.units,
        units=args.units,
        attention="additive",
    )
    model.compile()
    return model, data.take(args.steps)


def tutorial_recipe(args, sources, targets):
    def standardize(text):  # the tutorial's: lowercase, keep letters and .?!,¿, mark the ends
        text = tf.strings.lower(text)
        text = tf.strings.regex_replace(text, "[^ a-zäöüß.?!,¿]", "")
        text = tf.strings.regex_replace(text, "[.?!,¿]", r" \0 ")
        return tf.strings.join(["[START]", tf.strings.strip(text), "[END]"], separator=" ")

    vectorizers = []
    for texts in (sources, targets):
        layer = keras.layers.TextVectorization(
            max_tokens=args.vocab_size, standardize=standardize, ragged=True
        )
        layer.adapt(tf.constant(texts))
        vectorizers.append(layer)
    source_layer, target_layer = vectorizers

    def to_ids(source, target):
        target_ids = target_layer(target)  # (B, None) ragged
        inputs = {
            "source_ids": source_layer(source).to_tensor(),
            "target_ids": target_ids[:, :-1].to_tensor(),
        }
        return inputs, target_ids[:, 1:].to_tensor()

    data = tf.data.Dataset.from_tensor_slices((sources, targets))
    data = data.shuffle(len(sources), seed=0, reshuffle_each_iteration=False).batch(args.batch_size)
    data = data.map(to_ids, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    size = argparse.Namespace(units=args.units, embedding_dim=args.units, vocab_size=args.vocab_size)
    model = builtin_model("additive", size)
    compile_like_seq2seq(model, "auto")
    return model, data.take(args.steps)


# === Measuring ===
def count(data):
    """(pairs, non-padding target tokens, target padding fraction) of the batches."""
    pairs = tokens = cells = 0
    for _, labels in data:
        labels = labels.numpy()
        pairs += labels.shape[0]
        tokens += int(np.sum(labels != 0))
        cells += labels.size
    return pairs, tokens, 1.0 - tokens / cells


def main(argv=None):
    args = parse_args(argv)
    sources, targets = multi30k("train", data_dir=args.data_dir)
    sources, targets = sources[: args.pairs], targets[: args.pairs]
    keras.utils.set_random_seed(0)
    recipes = {"keras_s2s": keras_s2s_recipe(args, sources, targets)}
    recipes["tutorial"] = tutorial_recipe(args, sources, targets)
    counts = {name: count(data) for name, (_, data) in recipes.items()}
    for model, data in recipes.values():
        model.fit(data, epochs=1, verbose=0)  # warm-up: every batch shape traced
    times = {name: [] for name in recipes}
    for _ in range(args.repeats):
        for name, (model, data) in recipes.items():
            start = time.perf_counter()
            model.fit(data, epochs=1, verbose=0)
            times[name].append(time.perf_counter() - start)
    cpu = re.sub(
        r"\s+", " ", pathlib.Path("/proc/cpuinfo").read_text().split("model name")[1].split("\n")[0][3:]
    )
    print(f"machine: {cpu}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(
        f"Multi30k De->En, {len(sources)} pairs, vocab {args.vocab_size}, units {args.units}, {args.steps} batches"
    )
    print("| recipe | pairs/s | non-padding target tokens/s | target padding | vs tutorial (pairs/s) |")
    print("|---|---|---|---|---|")
    best = {name: min(t) for name, t in times.items()}
    base = counts["tutorial"][0] / best["tutorial"]
    for name in recipes:
        pairs, tokens, padding = counts[name]
        rate = pairs / best[name]
        print(f"| {name} | {rate:.1f} | {tokens / best[name]:.0f} | {padding:.1%} | {rate / base:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
