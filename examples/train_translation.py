"""Train a German→English translator on Multi30k with plain `model.fit`.

    python examples/train_translation.py --epochs 12            # the full run
    python examples/train_translation.py --quick                # a 1-minute smoke run

Reads Multi30k from --data-dir (default: ../shared/data/multi30k, else
$KERAS_S2S_DATA, else downloads the official files with keras.utils.get_file).
"""

import argparse

import keras

import keras_s2s
from keras_s2s import data, text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--vocab-size", type=int, default=5000)
    parser.add_argument("--attention", default="additive")
    parser.add_argument("--quick", action="store_true", help="tiny model on 2,000 pairs, 1 epoch")
    parser.add_argument("--save", default=None, help="write the model here (.keras)")
    args = parser.parse_args(argv)

    train_src, train_tgt = data.multi30k("train", data_dir=args.data_dir)
    val_src, val_tgt = data.multi30k("val", data_dir=args.data_dir)
    if args.quick:
        train_src, train_tgt, val_src, val_tgt = (
            train_src[:2000],
            train_tgt[:2000],
            val_src[:200],
            val_tgt[:200],
        )
        args.units, args.vocab_size, args.epochs = 32, 1000, 1

    # 1. Tokenizers (tensorflow-text WordPiece) learned from the training text.
    src_tok = text.SubwordTokenizer.train(train_src, vocab_size=args.vocab_size, lowercase=True)
    tgt_tok = text.SubwordTokenizer.train(train_tgt, vocab_size=args.vocab_size, lowercase=True)

    # 2. tf.data pipelines: ({"source_ids", "target_ids"}, target_out_ids), bucketed by length.
    train_ds = data.make_dataset(train_src, train_tgt, src_tok, tgt_tok, batch_size=64)
    val_ds = data.make_dataset(val_src, val_tgt, src_tok, tgt_tok, batch_size=64, shuffle=False)

    # 3. The model, compiled with its defaults, trained with plain fit.
    model = keras_s2s.models.Seq2Seq(
        src_tok.vocab_size,
        tgt_tok.vocab_size,
        embedding_dim=args.units,
        units=args.units,
        dropout=0.3,
        attention=args.attention,
    )
    model.compile()
    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=args.epochs,
        callbacks=[keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)],
    )

    # 4. Translate with beam search.
    translator = keras_s2s.Translator(model, src_tok, tgt_tok, strategy="beam")
    for source, translation in zip(val_src[:3], translator(val_src[:3])):
        print(f"{source}\n  -> {translation}")
    if args.save:
        model.save(args.save)
    return translator


if __name__ == "__main__":
    main()
