"""The `keras-s2s` command: train, translate, evaluate, export, attention, demo."""

import argparse
import sys

ATTENTIONS = ["additive", "multiplicative", "scaled_dot", "none"]


def _add_decoding(parser, default="beam"):
    parser.add_argument("--strategy", choices=["greedy", "beam"], default=default)
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument("--length-penalty", type=float, default=0.6, help="GNMT alpha")
    parser.add_argument("--max-length", type=int, default=None, help="most target tokens")


def _add_train(sub):
    p = sub.add_parser("train", help="train a model with model.fit into an output directory")
    data = p.add_argument_group("data")
    data.add_argument("--source", help="source file, one sentence a line (.gz ok)")
    data.add_argument("--target", help="target file, aligned with --source")
    data.add_argument("--tsv", help="tab-separated pairs (Anki format: English<TAB>other)")
    data.add_argument("--tsv-reverse", action="store_true", help="translate the 2nd column into the 1st")
    data.add_argument("--val-source", help="validation source file")
    data.add_argument("--val-target", help="validation target file")
    data.add_argument("--val-split", type=float, default=0.05, help="held-out fraction without --val-*")
    data.add_argument("--max-length", type=int, default=None, help="drop longer pairs (tokens)")
    tok = p.add_argument_group("tokenizer")
    tok.add_argument("--tokenizer", choices=["subword", "word", "char"], default="subword")
    tok.add_argument("--vocab-size", type=int, default=8000)
    tok.add_argument("--lowercase", action="store_true")
    model = p.add_argument_group("model")
    model.add_argument("--attention", choices=ATTENTIONS, default="additive")
    model.add_argument("--cell", choices=["gru", "lstm"], default="gru")
    model.add_argument("--embedding-dim", type=int, default=256)
    model.add_argument("--units", type=int, default=256)
    model.add_argument("--layers", type=int, default=1)
    model.add_argument("--unidirectional", action="store_true", help="forward-only encoder")
    model.add_argument("--dropout", type=float, default=0.2)
    model.add_argument("--input-feeding", action="store_true")
    fit = p.add_argument_group("training")
    fit.add_argument("--epochs", type=int, default=10)
    fit.add_argument("--batch-size", type=int, default=64)
    fit.add_argument("--learning-rate", type=float, default=None,
                     help="Adam learning rate (default 1e-3; with --resume: the run's own)")
    fit.add_argument("--patience", type=int, default=None, help="early stopping (epochs)")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--output-dir", required=True, help="run directory (model, tokenizers, logs)")
    fit.add_argument("--resume", action="store_true", help="continue an interrupted run")
    fit.add_argument("--backup-every", type=int, default=None, metavar="N",
                     help="also back up every N batches, not only at epoch ends")
    fit.add_argument(
        "--distribute", choices=["none", "mirrored", "multi_worker"], default="none",
        help="tf.distribute strategy (multi_worker reads TF_CONFIG)",
    )
    fit.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-s2s", description="Sequence-to-sequence models with attention for Keras 3."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train(sub)

    p = sub.add_parser("translate", help="translate sentences (arguments or stdin)")
    p.add_argument("--model", required=True, help="a training output directory or a SavedModel")
    p.add_argument("sentences", nargs="*", help="sentences; read from stdin when none")
    p.add_argument("--replace-unknown", action="store_true", help="copy attended source words for [UNK]")
    _add_decoding(p)

    p = sub.add_parser("evaluate", help="sacreBLEU BLEU and chrF against references")
    p.add_argument("--model", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--reference", required=True)
    p.add_argument("--by-length", action="store_true", help="also per source-length bucket")
    p.add_argument("--hypotheses", help="write the translations to this file")
    p.add_argument("--json", help="write the scores to this JSON file")
    _add_decoding(p)

    p = sub.add_parser("export", help="write a TF Serving SavedModel or a LiteRT model")
    p.add_argument("--model", required=True, help="a training output directory")
    p.add_argument("--format", choices=["saved_model", "litert"], default="saved_model")
    p.add_argument("--output", required=True, help="saved_models/<name>/<version> or <name>.tflite")
    p.add_argument("--quantization", choices=["none", "dynamic", "float16"], default="none")
    p.add_argument("--max-source-length", type=int, default=None)
    p.add_argument("--overwrite", action="store_true")
    _add_decoding(p)

    p = sub.add_parser("attention", help="write the attention heat map of one sentence")
    p.add_argument("--model", required=True, help="a training output directory")
    p.add_argument("sentence")
    p.add_argument("--output", default="attention.png")
    _add_decoding(p)

    p = sub.add_parser("demo", help="train on the dates task, translate, plot, export, check")
    p.add_argument("--seconds", type=float, default=120.0, help="training time budget")
    p.add_argument("--output-dir", default="saved_models", help="where the artifacts go")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from keras_s2s import commands

    try:
        return getattr(commands, args.command)(args) or 0
    except commands.USER_ERRORS as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"keras-s2s {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"keras-s2s {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
