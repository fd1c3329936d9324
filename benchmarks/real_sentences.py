"""The `--model RUN_DIR` / `--test-source FILE` options of the speed benchmarks.

`benchmarks/decoding.py` and `benchmarks/inference.py` time a model trained
on a synthetic task by default; with `--model` they load a trained run
directory (e.g. `saved_models/multi30k_de_en`) and decode real sentences in
file order, whose lengths vary as a server's requests do. Imports nothing
heavy: each script imports it after setting its environment.
"""

import os
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[1]


def default_test_source():
    """The shared Multi30k test set (German side): `$KERAS_S2S_DATA` or `../shared/data`."""
    root = os.environ.get("KERAS_S2S_DATA") or REPO.parent / "shared" / "data"
    return pathlib.Path(root) / "multi30k" / "test_2016_flickr.de.gz"


def add_arguments(parser):
    """Adds `--model` and `--test-source` to an `argparse` parser."""
    parser.add_argument(
        "--model",
        metavar="RUN_DIR",
        default=None,
        help="a trained run directory (e.g. saved_models/multi30k_de_en) decoding real sentences "
        "(--test-source, in file order) instead of a model trained here on a synthetic task",
    )
    parser.add_argument(
        "--test-source",
        default=str(default_test_source()),
        help="with --model: source sentences, one a line (default: the shared Multi30k test_2016_flickr.de.gz)",
    )


def load(args):
    """`(model, source_tokenizer, target_tokenizer, info)` of `args.model`.

    Raises:
        SystemExit: the test source file does not exist.
    """
    from keras_s2s.training.run_directory import load_run

    if not os.path.exists(args.test_source):
        raise SystemExit(
            f"--test-source {args.test_source} does not exist (set KERAS_S2S_DATA or pass a file)"
        )
    model, source_tokenizer, target_tokenizer, settings = load_run(args.model)
    info = {
        "run_directory": os.path.abspath(args.model),
        "test_source": str(args.test_source),
        "parameters": int(model.count_params()),
        "settings": settings.get("model", {}),
    }
    return model, source_tokenizer, target_tokenizer, info


def read_sources(args, count):
    """The first `count` sentences of `--test-source` (fewer if the file is shorter)."""
    from keras_s2s.data.loaders import read_lines

    return read_lines(args.test_source)[:count]
