"""Recurrent layer speed: keras_s2s.layers.GRU (input projections hoisted) vs keras.layers.GRU.

Both layers wrapped in `Bidirectional`, the same weights, one `tf.function`
each computing the forward pass and the gradients of `sum(outputs)` on the
same batch `(B, T, E)` (all tokens real). The two are timed in interleaved
rounds of `--steps` calls; the ratio of the fastest rounds and of the
medians is printed (load from other processes hits both alike).

    python benchmarks/rnn_layer.py                   # batch 64, 32 steps, 256 units
    python benchmarks/rnn_layer.py --cell lstm --rounds 12
"""

import argparse
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_s2s import layers  # noqa: E402


def train_step(layer, x, mask):
    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x, mask=mask))
        return tape.gradient(loss, layer.trainable_variables)

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", choices=["gru", "lstm"], default="gru")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--length", type=int, default=32)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--steps", type=int, default=3, help="calls per timed round")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    x = np.random.default_rng(0).random((args.batch_size, args.length, args.units), dtype="float32")
    mask = np.ones(x.shape[:2], bool)
    classes = {"gru": (keras.layers.GRU, layers.GRU), "lstm": (keras.layers.LSTM, layers.LSTM)}[args.cell]
    built = []
    for cls in classes:
        layer = keras.layers.Bidirectional(cls(args.units, return_sequences=True))
        layer.build(x.shape)
        built.append(layer)
    built[1].set_weights(built[0].get_weights())
    steps = [train_step(layer, x, mask) for layer in built]
    for step in steps:
        step()  # trace
    times = ([], [])
    for _ in range(args.rounds):
        for step, seconds in zip(steps, times):
            start = time.perf_counter()
            for _ in range(args.steps):
                step()
            seconds.append(time.perf_counter() - start)
    keras_best, ours_best = min(times[0]), min(times[1])
    print(f"load {os.getloadavg()}, {args.cell} B={args.batch_size} T={args.length} u={args.units}")
    print(
        f"keras.layers.{args.cell.upper()}: {keras_best:.3f} s, keras_s2s.layers.{args.cell.upper()}: {ours_best:.3f} s"
    )
    print(
        f"speedup: {keras_best / ours_best:.2f}x (fastest rounds), "
        f"{np.median(times[0]) / np.median(times[1]):.2f}x (medians)"
    )


if __name__ == "__main__":
    main()
