"""What each `keras-s2s` subcommand does (the parser lives in `cli.py`)."""

import json
import os
import sys
import time
import zipfile

from keras_s2s.run_directory import RunDirectoryError

# Mistakes a user can make: one line on stderr and exit code 1, no traceback.
USER_ERRORS = (
    ValueError, FileNotFoundError, FileExistsError, IsADirectoryError,
    NotADirectoryError, PermissionError, UnicodeDecodeError, zipfile.BadZipFile,
    RunDirectoryError, ImportError,
)


def _strategy(args):
    from keras_s2s.decoding import BeamSearch, GreedySearch

    if args.strategy == "greedy":
        return GreedySearch()
    return BeamSearch(beam_size=args.beam_size, length_penalty=args.length_penalty)


class SavedModelTranslator:
    """Translates with an exported SavedModel (`serving_default` signature)."""

    def __init__(self, path):
        import tensorflow as tf
        import tensorflow_text  # noqa: F401  (registers the tokenizer ops)

        self.path = path
        self.signature = tf.saved_model.load(path).signatures["serving_default"]

    def __call__(self, texts):
        import tensorflow as tf

        if not texts:
            return []
        out = self.signature(text=tf.constant(texts, tf.string))
        return [t.decode("utf-8") for t in out["translation"].numpy()]


def load_translator(path, args, allow_saved_model=True):
    """A `Translator` for a run directory, or a `SavedModelTranslator`."""
    from keras_s2s.run_directory import latest_saved_model, load_run
    from keras_s2s.translator import Translator

    if not os.path.exists(path):
        raise FileNotFoundError(f"--model {path} does not exist.")
    saved_model = latest_saved_model(path) if os.path.isdir(path) else None
    if saved_model and allow_saved_model and not os.path.exists(os.path.join(path, "model.keras")):
        return SavedModelTranslator(saved_model)
    model, source_tokenizer, target_tokenizer, _ = load_run(path)
    return Translator(
        model, source_tokenizer, target_tokenizer, strategy=_strategy(args),
        max_length=args.max_length, replace_unknown=getattr(args, "replace_unknown", False),
    )


def _pairs(source, target):
    from keras_s2s import data

    return data.load_parallel(source, target)


def train(args):
    import math

    import tensorflow as tf

    from keras_s2s import data
    from keras_s2s.distribute import get_strategy
    from keras_s2s.training import train as run_training

    if args.tsv and (args.source or args.target):
        raise ValueError("Give either --tsv or --source/--target, not both.")
    if args.tsv:
        english, other = data.load_tsv(args.tsv)
        pairs = (other, english) if args.tsv_reverse else (english, other)
    elif args.source and args.target:
        pairs = _pairs(args.source, args.target)
    else:
        raise ValueError("Training data is missing: give --source and --target, or --tsv.")
    if bool(args.val_source) != bool(args.val_target):
        raise ValueError("Give both --val-source and --val-target.")
    if args.val_source:
        train_pairs, val_pairs = pairs, _pairs(args.val_source, args.val_target)
    elif args.val_split > 0:
        train_pairs, val_pairs, _ = data.split_pairs(
            *pairs, val=args.val_split, test=0.0, seed=args.seed
        )
    else:
        train_pairs, val_pairs = pairs, None
    if args.backup_every is not None and args.backup_every < 1:
        raise ValueError(
            f"--backup-every must be a positive number of batches. Received: {args.backup_every}"
        )
    strategy = get_strategy(args.distribute)
    model_config = {
        "embedding_dim": args.embedding_dim, "units": args.units, "cell": args.cell,
        "bidirectional": not args.unidirectional, "num_layers": args.layers,
        "dropout": args.dropout, "input_feeding": args.input_feeding,
        "attention": None if args.attention == "none" else args.attention,
    }
    start = time.monotonic()
    print(f"Training on {len(train_pairs[0])} pairs"
          + (f", validating on {len(val_pairs[0])}" if val_pairs else "") + f" -> {args.output_dir}")
    try:
        *_, history = run_training(
            args.output_dir, train_pairs, val_pairs, tokenizer=args.tokenizer,
            vocab_size=args.vocab_size, lowercase=args.lowercase, model_config=model_config,
            epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
            patience=args.patience, max_length=args.max_length, resume=args.resume,
            strategy=strategy, backup_every=args.backup_every, seed=args.seed,
            verbose=0 if args.quiet else 1,
        )
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError) as error:
        if args.distribute != "multi_worker":
            raise
        print(f"keras-s2s train: error: lost a worker ({type(error).__name__}). Restart every "
              "worker with the same TF_CONFIG and --resume to continue from the backup.",
              file=sys.stderr)
        return 1
    losses = history.history.get("loss") or [0.0]
    if not math.isfinite(losses[-1]):
        print("keras-s2s train: error: the loss became NaN; training stopped (see above).",
              file=sys.stderr)
        return 1
    print(f"Done in {time.monotonic() - start:.0f}s: {os.path.join(args.output_dir, 'model.keras')}")


def translate(args):
    translator = load_translator(args.model, args)
    sentences = args.sentences or [line.rstrip("\r\n") for line in sys.stdin]
    for translation in translator(sentences):
        print(translation)


def evaluate(args):
    from keras_s2s import evaluation
    from keras_s2s.data import read_lines

    sources, references = read_lines(args.source), read_lines(args.reference)
    if len(sources) != len(references):
        raise ValueError(
            f"{args.source} has {len(sources)} lines but {args.reference} has "
            f"{len(references)}; they must be aligned line by line."
        )
    translator = load_translator(args.model, args)
    start = time.monotonic()
    hypotheses = translator(sources)
    seconds = time.monotonic() - start
    result = evaluation.score(hypotheses, references)
    print(f"{result['sentences']} sentences, {args.strategy}, {seconds:.1f}s")
    print(f"BLEU {result['bleu']:.2f}  (lowercased {result['bleu_lowercase']:.2f})")
    print(f"chrF {result['chrf']:.2f}  (lowercased {result['chrf_lowercase']:.2f})")
    print(f"sacreBLEU: {result['signature']}")
    if args.by_length:
        result["by_length"] = {}
        print("source words  sentences  BLEU  BLEU(lc)  chrF")
        for label, bucket in evaluation.score_by_length(sources, hypotheses, references):
            result["by_length"][label] = bucket
            print(f"{label:>12}  {bucket['sentences']:>9}  {bucket['bleu']:5.2f}  "
                  f"{bucket['bleu_lowercase']:7.2f}  {bucket['chrf']:5.2f}")
    if args.hypotheses:
        _write_text(args.hypotheses, "".join(h + "\n" for h in hypotheses))
    if args.json:
        _write_text(args.json, json.dumps(result, indent=2))
    return 0


def export(args):
    from keras_s2s.export import export as run_export

    translator = load_translator(args.model, args, allow_saved_model=False)
    kwargs = {"overwrite": args.overwrite, "max_source_length": args.max_source_length}
    if args.format == "litert":
        kwargs["quantization"] = None if args.quantization == "none" else args.quantization
    path = run_export(translator, args.output, format=args.format, **kwargs)
    print(f"Wrote {path}")


def attention(args):
    from keras_s2s.plotting import plot_attention

    translator = load_translator(args.model, args, allow_saved_model=False)
    result = translator.translate([args.sentence])
    print(result["translation"][0])
    print(f"Wrote {plot_attention(result, args.output)}")


def demo(args):
    from keras_s2s.demo import run_demo

    report = run_demo(seconds=args.seconds, output_dir=args.output_dir)
    return 0 if report["exports_match"] else 1


def _write_text(path, content):
    from keras_s2s.export.atomic import atomic_path

    with atomic_path(path, overwrite=True, is_dir=False) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(content)
