"""Where a decoding step's time goes: the Transformer against the RNN, at equal steps.

Both models have the sizes of the Multi30k runs (vocabulary 8000, d = units =
256; the Transformer 3 layers, 4 heads, feed-forward 1024), random weights and
`output_bias="zeros"`, so no sentence ends early: every decode runs exactly
`--max-length` steps and the times compare per step. Batch 64 of random
sources of `--source-length` ids.

1. `generate` per step, greedy and beam 4, with and without XLA
   (`jit_compile=True`), Transformer / RNN ratio.
2. The Transformer's `decoder.step` taken apart, each piece alone in a
   `tf.function` loop of `--max-length` iterations: the whole step, the three
   blocks (self-attention over the key/value cache, cross-attention,
   feed-forward), the output projection, the embedding; at `N` = 64 rows
   (greedy) and 256 (beam 4 x 64), with the decoder's fixed key/value
   buffers (`initial_state(rows, max_length)`, the layout of JAX and XLA
   decodes; a TensorFlow `generate` without XLA grows its caches one position
   a step instead, so (1) without XLA is not the sum of these pieces).

    python benchmarks/decoding_cost.py
    python benchmarks/decoding_cost.py --quick
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
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_s2s.decoding import BeamSearch  # noqa: E402
from keras_s2s.models import Seq2Seq, Transformer  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--source-length", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=42, help="decode steps (2 * 16 + 10)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.vocab_size, args.dim, args.max_length, args.repeats = 500, 32, 8, 1
    return args


def models(args):
    keras.utils.set_random_seed(0)
    v, d = args.vocab_size, args.dim
    built = {
        "RNN": Seq2Seq(v, v, embedding_dim=d, units=d, output_bias="zeros"),
        "Transformer": Transformer(
            v, v, embedding_dim=d, num_layers=3, num_heads=4, feedforward_dim=4 * d, output_bias="zeros"
        ),
    }
    for model in built.values():
        model({"source_ids": np.ones((1, 3), "int32"), "target_ids": np.ones((1, 3), "int32")})
    return built


def best_ms(fn, repeats):
    fn()  # trace / compile
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def generate_per_step(args, built):
    rng = np.random.default_rng(0)
    source = rng.integers(4, args.vocab_size, (args.batch_size, args.source_length)).astype("int32")
    rows = []
    for strategy_name, strategy in (("greedy", "greedy"), ("beam 4", BeamSearch(beam_size=4))):
        for jit in (False, True):
            ms = {}
            for name, model in built.items():

                def run(model=model):
                    return model.generate(source, strategy, max_length=args.max_length, jit_compile=jit)

                ms[name] = best_ms(run, args.repeats) / args.max_length
            rows.append((strategy_name, jit, ms["RNN"], ms["Transformer"]))
    print("| strategy | XLA | RNN ms/step | Transformer ms/step | Transformer / RNN |")
    print("|---|---|---|---|---|")
    for strategy_name, jit, rnn, transformer in rows:
        print(
            f"| {strategy_name} | {'yes' if jit else 'no'} | {rnn:.2f} | {transformer:.2f} | {transformer / rnn:.2f}x |"
        )


def step_parts(args, decoder, rows):
    """ms per step of each piece of the Transformer's step, at `rows` decoding rows."""
    steps, d = args.max_length, args.dim
    memory = decoder.prepare_memory(tf.random.normal([rows, args.source_length, d]))
    tokens = tf.fill([rows], 2)

    def blocks(state, x):
        keys, values = [], []
        for i, block in enumerate(decoder.blocks):
            cache = (state["keys"][i], state["values"][i])
            block_memory = (memory["keys"][i], memory["values"][i])
            x, (k, v), _ = block.step(
                x, cache, block_memory, memory["source_mask"], position=state["position"]
            )
            keys.append(k)
            values.append(v)
        return {"position": state["position"] + 1, "keys": keys, "values": values}, x[0, 0]

    pieces = {
        "whole step": lambda state, x: (lambda o: (o[1], o[0][0, 0]))(decoder.step(tokens, state, memory)),
        "3 blocks": blocks,
        "output projection": lambda state, x: (state, decoder._logits(x)[0, 0]),
        "embedding": lambda state, x: (
            state,
            decoder._embed(tokens[:, None], state["position"][:, None])[0, 0, 0],
        ),
    }
    result = {}
    for name, piece in pieces.items():

        @tf.function
        def loop(piece=piece):
            state, total = decoder.initial_state(rows, steps), tf.zeros([])
            x = tf.random.normal([rows, d])
            for _ in tf.range(steps):
                state, value = piece(state, x)
                total += value
            return total

        result[name] = best_ms(loop, args.repeats) / steps
    return result


def main(argv=None):
    args = parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; TensorFlow {tf.__version__}")
    print(
        f"vocab {args.vocab_size}, d {args.dim}, batch {args.batch_size}, source {args.source_length} ids, "
        f"{args.max_length} steps"
    )
    built = models(args)
    generate_per_step(args, built)
    print()
    greedy, beam = args.batch_size, 4 * args.batch_size
    print(f"| Transformer step piece | ms/step, {greedy} rows | ms/step, {beam} rows |")
    print("|---|---|---|")
    parts = {rows: step_parts(args, built["Transformer"].decoder, rows) for rows in (greedy, beam)}
    for name in parts[greedy]:
        print(f"| {name} | {parts[greedy][name]:.2f} | {parts[beam][name]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
