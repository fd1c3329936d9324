"""The `keras-s2s` argument parser: plain argparse, importable without TensorFlow.

`keras-s2s --help` (and every argument error) is answered from here alone,
in a fraction of a second, by the launcher `keras_s2s_cli`, which loads
this file without importing the package (and so TensorFlow).

`train` flags default to None, meaning "not given": a new run fills in
`TRAIN_DEFAULTS`, a resumed run its own stored settings, and a resumed run
given a setting that differs from its own is refused.
"""

import argparse

ATTENTIONS = ["additive", "multiplicative", "scaled_dot", "none"]
BACKENDS = ["tensorflow", "jax", "torch"]
MIXED_PRECISION = ["bfloat16", "float16"]

#: Defaults of `train` (shown in --help; `TrainSettings` holds the same).
TRAIN_DEFAULTS = {
    "tokenizer": "subword",
    "vocab_size": 8000,
    "attention": "additive",
    "cell": "gru",
    "embedding_dim": 256,
    "units": 256,
    "layers": 1,
    "dropout": 0.2,
    "epochs": 10,
    "batch_size": 64,
    "seed": 0,
    "val_split": 0.05,
    "samples": 3,
    "encoding_errors": "strict",
}


#: The decoding flags' defaults (a SavedModel decodes as exported: `commands` names the flags given otherwise).
DECODING_DEFAULTS = {
    "strategy": "beam",
    "beam_size": 4,
    "length_penalty": 0.6,
    "coverage_penalty": 0.0,
    "min_length": 0,
    "temperature": 1.0,
    "top_k": None,
    "top_p": None,
    "seed": None,
}


def _add_decoding(parser, default=DECODING_DEFAULTS["strategy"]):
    group = parser.add_argument_group("decoding")
    group.add_argument(
        "--strategy",
        choices=["greedy", "beam", "sampling"],
        default=default,
        help=f"search strategy (default: {default})",
    )
    group.add_argument(
        "--beam-size", type=int, default=DECODING_DEFAULTS["beam_size"], help="beam width (default: 4)"
    )
    group.add_argument(
        "--length-penalty",
        type=float,
        default=DECODING_DEFAULTS["length_penalty"],
        help="GNMT length penalty alpha, 0 = none (default: 0.6)",
    )
    group.add_argument(
        "--coverage-penalty",
        type=float,
        default=DECODING_DEFAULTS["coverage_penalty"],
        metavar="BETA",
        help="beam search: GNMT coverage penalty beta, 0 = none (default: 0; GNMT used 0.2)",
    )
    group.add_argument(
        "--min-length",
        type=int,
        default=DECODING_DEFAULTS["min_length"],
        metavar="N",
        help="no [END] before N target tokens (default: 0)",
    )
    group.add_argument(
        "--temperature",
        type=float,
        default=DECODING_DEFAULTS["temperature"],
        help="sampling: divides the logits (default: 1.0)",
    )
    group.add_argument(
        "--top-k", type=int, default=None, metavar="K", help="sampling: among the K most likely tokens only"
    )
    group.add_argument(
        "--top-p",
        type=float,
        default=None,
        metavar="P",
        help="sampling: nucleus, the most likely tokens holding probability P",
    )
    group.add_argument("--seed", type=int, default=None, help="sampling: seed, for reproducible draws")
    group.add_argument(
        "--replace-unknown",
        action="store_true",
        help="copy the most attended source word for each [UNK] (run directories and SavedModel exports)",
    )
    group.add_argument(
        "--max-length",
        type=int,
        default=None,
        metavar="N",
        help="generate at most N target tokens (default: 2 x source length + 10)",
    )


def _default(name):
    return f" (default: {TRAIN_DEFAULTS[name]})"


def _add_train(sub):
    p = sub.add_parser(
        "train",
        help="train a model with model.fit into a run directory",
        description="Train a Seq2Seq (RNN) or Transformer model into --output-dir. With --resume, flags that are "
        "not given keep the run's own values; flags that would change the run (data, "
        "tokenizer, model, batch size, seed) are refused.",
    )
    data = p.add_argument_group("data")
    data.add_argument("--source", help="source file, one sentence a line (.gz ok)")
    data.add_argument("--target", help="target file, aligned line by line with --source")
    data.add_argument("--tsv", help="tab-separated pairs, Anki format English<TAB>Other (.zip ok)")
    data.add_argument(
        "--tsv-reverse",
        action="store_true",
        default=None,
        help="with --tsv: translate the 2nd column into the 1st",
    )
    data.add_argument("--val-source", help="validation source file")
    data.add_argument("--val-target", help="validation target file")
    data.add_argument(
        "--val-split",
        type=float,
        default=None,
        help="fraction held out for validation without --val-*" + _default("val_split"),
    )
    data.add_argument(
        "--max-pairs",
        type=int,
        default=None,
        metavar="N",
        help="train on a seeded random sample of N pairs (before the validation split)",
    )
    data.add_argument(
        "--max-train-tokens",
        type=int,
        default=None,
        metavar="N",
        help="drop training pairs with more than N tokens on a side",
    )
    data.add_argument(
        "--encoding-errors",
        choices=["strict", "replace"],
        default=None,
        help="invalid UTF-8: stop with file/line/offset, or replace with U+FFFD"
        + _default("encoding_errors"),
    )
    tok = p.add_argument_group("tokenizer")
    tok.add_argument(
        "--tokenizer",
        choices=["subword", "word", "char"],
        default=None,
        help="tokenizer kind" + _default("tokenizer"),
    )
    tok.add_argument(
        "--vocab-size",
        type=int,
        default=None,
        help="vocabulary size per side, not for char" + _default("vocab_size"),
    )
    tok.add_argument("--lowercase", action="store_true", default=None, help="lowercase all text")
    model = p.add_argument_group("model")
    model.add_argument(
        "--architecture",
        choices=["rnn", "transformer"],
        default=None,
        help="rnn: Seq2Seq (GRU/LSTM + attention); transformer: Vaswani et al. 2017 (default: rnn)",
    )
    model.add_argument(
        "--attention",
        choices=ATTENTIONS,
        default=None,
        help="attention kind; none = fixed context vector" + _default("attention"),
    )
    model.add_argument(
        "--cell", choices=["gru", "lstm"], default=None, help="recurrent cell" + _default("cell")
    )
    model.add_argument(
        "--embedding-dim", type=int, default=None, help="token embedding size" + _default("embedding_dim")
    )
    model.add_argument(
        "--units",
        type=int,
        default=None,
        help="recurrent units (per direction in the encoder)" + _default("units"),
    )
    model.add_argument(
        "--layers",
        type=int,
        default=None,
        help="layers in encoder and decoder (default: 1; transformer: 3)",
    )
    model.add_argument("--heads", type=int, default=None, help="transformer: attention heads (default: 4)")
    model.add_argument(
        "--feedforward-dim", type=int, default=None, help="transformer: feed-forward width (default: 1024)"
    )
    model.add_argument(
        "--untied-embeddings",
        action="store_true",
        default=None,
        help="transformer: an output projection of its own (default: tied to the target embedding)",
    )
    model.add_argument(
        "--unidirectional",
        action="store_true",
        default=None,
        help="forward-only encoder (default: bidirectional)",
    )
    model.add_argument(
        "--dropout", type=float, default=None, help="dropout rate (default: 0.2; transformer: 0.1)"
    )
    model.add_argument("--input-feeding", action="store_true", default=None, help="Luong input feeding")
    fit = p.add_argument_group("training")
    fit.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="train until N epochs are done in all (with --resume: continues to N)" + _default("epochs"),
    )
    fit.add_argument(
        "--batch-size", type=int, default=None, help="sentence pairs per batch" + _default("batch_size")
    )
    fit.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="Adam learning rate; with --warmup-steps the schedule's peak "
        "(default: 1e-3, or the schedule's own; with --resume: the run's own)",
    )
    fit.add_argument(
        "--warmup-steps",
        type=int,
        default=None,
        metavar="N",
        help="warmup + inverse-square-root schedule (Vaswani eq. 3) peaking after N steps",
    )
    fit.add_argument(
        "--keep-checkpoints",
        type=int,
        default=None,
        metavar="N",
        help="keep the last N epochs' weights in checkpoints/ (for keras-s2s average)",
    )
    fit.add_argument(
        "--mixed-precision",
        choices=MIXED_PRECISION,
        default=None,
        help="train under Keras' mixed_<dtype> policy (float32 weights; model.keras stays float32); "
        "bfloat16 pays off on CPUs with AMX or a GPU",
    )
    fit.add_argument(
        "--label-smoothing", type=float, default=None, metavar="EPS", help="label smoothing (default: 0)"
    )
    fit.add_argument(
        "--patience",
        type=int,
        default=None,
        help="early stopping after N epochs without val_loss improvement",
    )
    fit.add_argument(
        "--seed", type=int, default=None, help="seed of weights, dropout and data order" + _default("seed")
    )
    fit.add_argument(
        "--max-steps",
        type=int,
        default=None,
        metavar="N",
        help="stop once the run made N optimizer steps in all (resumable)",
    )
    fit.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        metavar="M",
        help="stop this call after M minutes (resumable)",
    )
    fit.add_argument(
        "--samples",
        type=int,
        default=None,
        metavar="N",
        help="validation sentences translated after each epoch, 0 = off" + _default("samples"),
    )
    fit.add_argument("--output-dir", required=True, help="run directory (model, tokenizers, logs)")
    fit.add_argument(
        "--resume", action="store_true", help="continue the run in --output-dir where it stopped"
    )
    fit.add_argument(
        "--backup-every",
        type=int,
        default=None,
        metavar="N",
        help="also back up every N batches, not only at epoch ends",
    )
    fit.add_argument(
        "--distribute",
        choices=["none", "mirrored", "multi_worker"],
        default="none",
        help="tf.distribute strategy; multi_worker reads TF_CONFIG (default: none)",
    )
    fit.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="Keras backend to train on (default: $KERAS_BACKEND, else tensorflow); "
        "the run directory is read by every backend (docs/backends.md)",
    )
    fit.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser():
    """The `keras-s2s` parser (subcommands train, translate, evaluate, export, attention, demo)."""
    parser = argparse.ArgumentParser(
        prog="keras-s2s", description="Sequence-to-sequence models with attention for Keras 3."
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback of every error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train(sub)

    p = sub.add_parser("translate", help="translate sentences (arguments or stdin)")
    p.add_argument("--model", required=True, help="a run directory or a SavedModel")
    p.add_argument("sentences", nargs="*", help="sentences; read from stdin when none")
    _add_decoding(p)

    p = sub.add_parser("evaluate", help="sacreBLEU BLEU and chrF against references")
    p.add_argument("--model", required=True, help="a run directory or a SavedModel")
    p.add_argument("--source", required=True, help="source sentences, one a line")
    p.add_argument("--reference", required=True, help="reference translations, aligned")
    p.add_argument("--by-length", action="store_true", help="also score per source-length bucket")
    p.add_argument("--hypotheses", help="write the translations to this file")
    p.add_argument("--json", help="write the scores to this JSON file")
    _add_decoding(p)

    p = sub.add_parser(
        "export",
        help="write a TF Serving SavedModel, a LiteRT model or an ONNX model",
        description="Exports run on the TensorFlow backend whatever KERAS_BACKEND says "
        "(a model trained on JAX or PyTorch loads there unchanged).",
    )
    p.add_argument("--model", required=True, help="a run directory")
    p.add_argument(
        "--format",
        choices=["saved_model", "litert", "onnx"],
        default="saved_model",
        help="export format (default: saved_model)",
    )
    p.add_argument(
        "--output",
        required=True,
        help="saved_models/<name>/<version> (saved_model), <name>.tflite (litert) or <name>.onnx (onnx)",
    )
    p.add_argument(
        "--quantization",
        choices=["none", "dynamic", "float16"],
        default="none",
        help="LiteRT weight quantization (default: none)",
    )
    p.add_argument(
        "--max-source-length",
        type=int,
        default=None,
        metavar="N",
        help="longest source in tokens the export accepts; longer ones are cut (default: 128)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing export")
    _add_decoding(p)

    p = sub.add_parser("attention", help="write the attention heat map of one sentence")
    p.add_argument("--model", required=True, help="a run directory (not a SavedModel)")
    p.add_argument("sentence", help="the source sentence")
    p.add_argument("--output", default="attention.png", help="PNG file (default: attention.png)")
    _add_decoding(p)

    p = sub.add_parser(
        "average",
        help="average the last N epoch checkpoints of a run into a new run directory",
        description="Averages the weights kept by train --keep-checkpoints (Vaswani et al. 2017) "
        "and writes a run directory (model.keras, tokenizers, settings) that translate, "
        "evaluate, export and attention read like any other.",
    )
    p.add_argument("--model", required=True, help="a run directory trained with --keep-checkpoints")
    p.add_argument("--last", type=int, default=5, metavar="N", help="checkpoints to average (default: 5)")
    p.add_argument("--output-dir", required=True, help="the new run directory")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --output-dir")

    p = sub.add_parser("demo", help="train on the dates task, translate, plot, export, check")
    p.add_argument(
        "--seconds", type=float, default=120.0, help="training time budget in seconds (default: 120)"
    )
    p.add_argument(
        "--output-dir", default="saved_models", help="where the artifacts go (default: saved_models)"
    )
    return parser
