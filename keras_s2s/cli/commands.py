"""What each `keras-s2s` subcommand does (the parser lives in `parser.py`)."""

import os
import sys
import time

from keras_s2s.training.run_directory import MODEL_FILE, RunDirectoryError

#: `train` flags → `TrainSettings` names (model keys go into `settings.model`).
_TRAIN_OPTIONS = {
    "source": "source",
    "target": "target",
    "tsv": "tsv",
    "tsv_reverse": "tsv_reverse",
    "val_source": "val_source",
    "val_target": "val_target",
    "val_split": "val_split",
    "max_pairs": "max_pairs",
    "max_train_tokens": "max_train_tokens",
    "encoding_errors": "encoding_errors",
    "tokenizer": "tokenizer",
    "vocab_size": "vocab_size",
    "lowercase": "lowercase",
    "attention": "attention",
    "cell": "cell",
    "embedding_dim": "embedding_dim",
    "units": "units",
    "layers": "num_layers",
    "unidirectional": "bidirectional",
    "dropout": "dropout",
    "input_feeding": "input_feeding",
    "architecture": "architecture",
    "heads": "num_heads",
    "feedforward_dim": "feedforward_dim",
    "untied_embeddings": "tie_embeddings",
    "warmup_steps": "warmup_steps",
    "label_smoothing": "label_smoothing",
    "keep_checkpoints": "keep_checkpoints",
    "mixed_precision": "mixed_precision",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "learning_rate": "learning_rate",
    "patience": "patience",
    "seed": "seed",
    "max_steps": "max_steps",
    "max_minutes": "max_minutes",
    "samples": "samples",
    "backup_every": "backup_every",
}


def _strategy(args):
    from keras_s2s.decoding import BeamSearch, GreedySearch, Sampling

    if args.strategy == "greedy":
        return GreedySearch(min_length=args.min_length)
    if args.strategy == "sampling":
        return Sampling(
            temperature=args.temperature,
            top_k=args.top_k,
            top_p=args.top_p,
            seed=args.seed,
            min_length=args.min_length,
        )
    return BeamSearch(
        beam_size=args.beam_size,
        length_penalty=args.length_penalty,
        coverage_penalty=args.coverage_penalty,
        min_length=args.min_length,
    )


def load_translator(path, args, allow_saved_model=True, purpose=None):
    """A `Translator` for a run directory, or a `SavedModelTranslator`."""
    from keras_s2s.cli.saved_model_translator import SavedModelTranslator
    from keras_s2s.training.run_directory import latest_saved_model, load_run
    from keras_s2s.translator import Translator

    if not os.path.exists(path):
        raise FileNotFoundError(f"--model {path} does not exist.")
    saved_model = latest_saved_model(path) if os.path.isdir(path) else None
    if saved_model and not os.path.exists(os.path.join(path, MODEL_FILE)):
        if not allow_saved_model:
            raise RunDirectoryError(
                f"--model {path} is a SavedModel; {purpose} needs a training run directory "
                "(model.keras and the tokenizers), the one the SavedModel was exported from."
            )
        _note_fixed_decoding(args, saved_model)
        return SavedModelTranslator(saved_model, max_length=getattr(args, "max_length", None))
    model, source_tokenizer, target_tokenizer, _ = load_run(path)
    return Translator(
        model,
        source_tokenizer,
        target_tokenizer,
        strategy=_strategy(args),
        max_length=args.max_length,
        replace_unknown=getattr(args, "replace_unknown", False),
    )


def _note_fixed_decoding(args, saved_model):
    """Says which given decoding flags a SavedModel ignores (its strategy is fixed at export)."""
    from keras_s2s.cli.parser import DECODING_DEFAULTS

    given = [name for name, default in DECODING_DEFAULTS.items() if getattr(args, name, default) != default]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        print(
            f"keras-s2s: note: {flags} {'do' if len(given) > 1 else 'does'} not apply to the SavedModel "
            f"{saved_model}: it decodes as it was "
            "exported (export it again to change that, or pass its run directory).",
            file=sys.stderr,
        )


def train_options(args):
    """The `TrainSettings` options the user gave (None = not given)."""
    options = {}
    for flag, name in _TRAIN_OPTIONS.items():
        value = getattr(args, flag)
        if value is None:
            continue
        if flag in ("unidirectional", "untied_embeddings"):
            value = not value
        elif flag == "attention" and value == "none":
            value = None
        options[name] = value
    return options


def train(args):
    import tensorflow as tf

    from keras_s2s.training import TrainSettings, get_strategy, load_training_data
    from keras_s2s.training import train as run_training
    from keras_s2s.training.run_directory import read_settings

    options = train_options(args)
    if args.resume:
        if not os.path.isdir(args.output_dir):
            raise RunDirectoryError(
                f"--output-dir {args.output_dir} does not exist, so there is no run to "
                "resume; drop --resume to start a new run there."
            )
        settings = TrainSettings.from_options(options, stored=read_settings(args.output_dir))
    else:
        settings = TrainSettings.from_options(options)  # the defaults: `TRAIN_DEFAULTS`
    if settings.tokenizer == "char" and "vocab_size" in options:
        print(
            "keras-s2s: note: --vocab-size does not apply to --tokenizer char (one id per character seen).",
            file=sys.stderr,
        )
    strategy = get_strategy(args.distribute)
    train_pairs, val_pairs = load_training_data(settings)
    start = time.monotonic()
    print(
        ("Resuming" if args.resume else "Training")
        + f" on {len(train_pairs[0])} pairs"
        + (f", validating on {len(val_pairs[0])}" if val_pairs else "")
        + f" -> {args.output_dir}"
    )
    try:
        result = run_training(
            args.output_dir,
            train_pairs,
            val_pairs,
            settings,
            resume=args.resume,
            strategy=strategy,
            verbose=_verbosity(args.quiet),
        )
    except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError) as error:
        if args.distribute != "multi_worker":
            raise
        print(
            f"keras-s2s train: error: lost a worker ({type(error).__name__}). Restart every "
            "worker with the same TF_CONFIG and --resume to continue from the backup.",
            file=sys.stderr,
        )
        return 1
    if result.stopped == "nan":
        print("keras-s2s train: error: the loss became NaN; training stopped (see above).", file=sys.stderr)
        return 1
    if result.stopped != "already_finished":
        print(
            f"Done in {time.monotonic() - start:.0f}s ({result.stopped.replace('_', ' ')}): "
            f"{os.path.join(args.output_dir, MODEL_FILE)}"
        )
    return 0


def _verbosity(quiet):
    """A progress bar on a terminal, one line per epoch in a log file, or nothing."""
    if quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


def translate(args):
    translator = load_translator(args.model, args)
    sentences = args.sentences or _stdin_lines()
    for translation in translator(sentences):
        print(translation)


def _stdin_lines():
    """The lines of standard input, which must be UTF-8 (the error names the line and byte)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream (embedding, tests)
        return [line.rstrip("\r\n") for line in sys.stdin]
    data = buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        from keras_s2s.data.loaders import utf8_error_position

        line, column = utf8_error_position(data, error)
        raise ValueError(
            f"standard input is not valid UTF-8: line {line}, byte offset {column} in the line is "
            f"{data[error.start : error.end].hex(' ')} ({error.reason}). Nothing was translated; "
            "convert the input to UTF-8 (e.g. with iconv)."
        ) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def evaluate(args):
    from keras_s2s.cli import evaluation
    from keras_s2s.data import read_lines
    from keras_s2s.files import check_writable, write_json, write_text

    sources, references = read_lines(args.source), read_lines(args.reference)
    if len(sources) != len(references):
        raise ValueError(
            f"{args.source} has {len(sources)} lines but {args.reference} has "
            f"{len(references)}; they must be aligned line by line."
        )
    if not sources:
        raise ValueError(f"{args.source} holds no sentences: there is nothing to translate and score.")
    for flag, path in (("--hypotheses", args.hypotheses), ("--json", args.json)):
        if path and os.path.isdir(path):
            raise IsADirectoryError(f"{flag} {path} is a directory; give a file name.")
        if path:
            check_writable(path, overwrite=True)  # before the translation, not after it
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
            print(
                f"{label:>12}  {bucket['sentences']:>9}  {bucket['bleu']:5.2f}  "
                f"{bucket['bleu_lowercase']:7.2f}  {bucket['chrf']:5.2f}"
            )
    if args.hypotheses:
        write_text(args.hypotheses, "".join(h + "\n" for h in hypotheses))
    if args.json:
        write_json(args.json, result)
    return 0


def export(args):
    from keras_s2s.export import export as run_export

    if args.quantization != "none" and args.format != "litert":
        raise ValueError(
            f"--quantization applies to --format litert only. Received: --format {args.format} "
            f"--quantization {args.quantization}"
        )
    from keras_s2s.export.litert_exporter import litert_paths

    targets = [args.output] if args.format == "saved_model" else list(litert_paths(args.output).values())
    _check_output_spares_run(args.model, targets)
    translator = load_translator(args.model, args, allow_saved_model=False, purpose="export")
    kwargs = {"overwrite": args.overwrite, "max_source_length": args.max_source_length}
    if args.format == "litert":
        kwargs["quantization"] = None if args.quantization == "none" else args.quantization
    try:
        path = run_export(translator, args.output, format=args.format, **kwargs)
    except FileExistsError as error:
        if args.overwrite:  # not a plain "exists": what --overwrite may not replace
            raise
        raise FileExistsError(
            f"{_existing(error, args.output)} already exists; pass --overwrite to replace it."
        ) from None
    print(f"Wrote {path}")


def _check_output_spares_run(model, outputs, flag="--output"):
    """No path about to be written may replace an entry of the run (`run_entry_hit`)."""
    from keras_s2s.training.run_directory import run_entry_hit

    for path in outputs:
        entry = run_entry_hit(model, path)
        if entry is not None:
            raise ValueError(
                f"{flag} would replace {entry}, part of the run being read ({model}). Choose a path "
                f"outside it, or a new one inside it. Received: {flag} {path}"
            )


def attention(args):
    from keras_s2s.translator import plot_attention

    translator = load_translator(args.model, args, allow_saved_model=False, purpose="an attention plot")
    result = translator.translate([args.sentence])
    print(result["translation"][0])
    print(f"Wrote {plot_attention(result, args.output)}")


def average(args):
    import shutil

    from keras_s2s.files import atomic_path
    from keras_s2s.training import run_directory as rd
    from keras_s2s.training.epoch_checkpoints import average_checkpoints, checkpoint_paths

    if not isinstance(args.last, int) or args.last < 1:
        raise ValueError(f"--last must be an int >= 1. Received: last={args.last!r}")
    _check_output_spares_run(args.model, [args.output_dir], flag="--output-dir")
    model, _, _, _ = rd.load_run(args.model)
    paths = checkpoint_paths(args.model)
    if len(paths) < args.last:
        raise rd.RunDirectoryError(
            f"--model {args.model} keeps {len(paths)} epoch checkpoint(s) in checkpoints/, fewer than "
            f"--last {args.last}; train it with --keep-checkpoints N (N >= {args.last})."
        )
    model = average_checkpoints(model, paths[-args.last :])
    try:
        with atomic_path(args.output_dir, overwrite=args.overwrite) as tmp:
            for name in (rd.SOURCE_TOKENIZER_FILE, rd.TARGET_TOKENIZER_FILE, rd.SETTINGS_FILE):
                shutil.copy(os.path.join(args.model, name), os.path.join(tmp, name))
            rd.save_model(tmp, model)
    except FileExistsError:
        raise FileExistsError(f"{args.output_dir} already exists; pass --overwrite to replace it.") from None
    epochs = ", ".join(os.path.basename(p).split(".")[0] for p in paths[-args.last :])
    print(f"Wrote {args.output_dir}: the mean of {epochs}")


def demo(args):
    from keras_s2s.cli.demo import run_demo

    report = run_demo(seconds=args.seconds, output_dir=args.output_dir)
    return 0 if report["exports_match"] else 1


def _existing(error, default):
    """The path a `FileExistsError` is about (its message starts with it)."""
    text = str(error)
    return text.split(" already exists", 1)[0] if " already exists" in text else default
