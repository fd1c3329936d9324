"""Normalize human-written dates ("mardi 25 janvier 2005", "jan 25, 2005") to ISO.

    python examples/date_normalization.py               # ~2 minutes on 2 cores
    python examples/date_normalization.py --quick       # a smoke run

A character-level model with additive (Bahdanau) attention; prints a few
translations and writes the attention heat map of the first one.
"""

import argparse

import keras_s2s
from keras_s2s import data, text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--pairs", type=int, default=20000)
    parser.add_argument("--plot", default="date_attention.png")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.pairs = 1, 2000

    sources, targets = data.dates(args.pairs, seed=0)
    src_tok = text.CharTokenizer.train(sources, lowercase=True)
    tgt_tok = text.CharTokenizer.train(targets)
    dataset = data.make_dataset(sources, targets, src_tok, tgt_tok, batch_size=64)

    model = keras_s2s.models.Seq2Seq(
        src_tok.vocab_size, tgt_tok.vocab_size, embedding_dim=32, units=64, attention="additive"
    )
    model.compile()
    model.fit(dataset, epochs=args.epochs, verbose=2)

    translator = keras_s2s.Translator(model, src_tok, tgt_tok, strategy="greedy")
    test = ["mardi 25 janvier 2005", "jan 25, 2005", "25/01/05", "Tuesday 25 January 2005"]
    result = translator.translate(test)
    for source, iso in zip(test, result["translation"]):
        print(f"{source:<28} -> {iso}")
    keras_s2s.plot_attention(result, args.plot)
    print(f"attention heat map: {args.plot}")
    return result


if __name__ == "__main__":
    main()
