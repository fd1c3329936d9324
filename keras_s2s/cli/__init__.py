"""The `keras-s2s` command: train, translate, evaluate, export, attention, demo.

`parser.py` reads the arguments (without TensorFlow), `commands.py` does
the work, `demo.py` is the demo job. Errors a user can fix print one line
and exit with 1; anything else is a bug and prints its traceback (as does
every error with `--debug`). The CLI is the top of the import graph:
nothing else in keras_s2s imports it.
"""

import os
import sys
import traceback
import zipfile

from keras_s2s.cli.parser import build_parser

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None, args=None):
    """Runs `keras-s2s` with `argv` (default: `sys.argv[1:]`); returns the exit code."""
    args = args if args is not None else build_parser().parse_args(argv)
    backend = _check_backend(args)
    if backend:
        print(f"keras-s2s {args.command}: error: {backend}", file=sys.stderr)
        return 1
    from keras_s2s.cli import commands

    try:
        return getattr(commands, args.command)(args) or 0
    except KeyboardInterrupt:
        hint = (
            " (the training state is backed up: continue with --resume)" if (args.command == "train") else ""
        )
        print(f"keras-s2s {args.command}: interrupted{hint}", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001  (sorted into user errors and bugs)
        if _out_of_memory(error):
            if args.debug:
                traceback.print_exc()
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            hint = _MEMORY_HINTS.get(args.command, "")
            print(f"keras-s2s {args.command}: error: out of memory ({first[:200]}).{hint}", file=sys.stderr)
            return 1
        if args.debug or not is_user_error(error):
            traceback.print_exc()
            if not is_user_error(error):
                print(
                    f"keras-s2s {args.command}: internal error ({type(error).__name__}); "
                    "this is a bug in keras-s2s, please report it with the traceback "
                    "above.",
                    file=sys.stderr,
                )
                return 1
        text = str(error).strip()
        message = text.splitlines()[0] if text else type(error).__name__
        print(f"keras-s2s {args.command}: error: {message}", file=sys.stderr)
        return 1


#: What to lower after an out-of-memory error, per command.
_MEMORY_HINTS = {
    "train": (
        " Train again with a smaller --batch-size (or --max-train-tokens) into a new --output-dir, "
        "or delete this one: --resume keeps the run's batch size."
    ),
    "translate": " Use a smaller --beam-size or --max-length.",
    "evaluate": " Use a smaller --beam-size or --max-length.",
    "attention": " Use a smaller --beam-size or --max-length.",
    "export": " Use a smaller --beam-size or --max-source-length.",
}


def _out_of_memory(error):
    """A failed allocation: TensorFlow's `ResourceExhaustedError`, PyTorch's
    `OutOfMemoryError`, a JAX `RESOURCE_EXHAUSTED`, Python's `MemoryError`."""
    if isinstance(error, MemoryError) or type(error).__name__ in (
        "ResourceExhaustedError",
        "OutOfMemoryError",
    ):
        return True
    return type(error).__name__ == "XlaRuntimeError" and "RESOURCE_EXHAUSTED" in str(error)


def _check_backend(args):
    """The error message when `--backend` asks for another backend than the
    one Keras already runs (the backend is chosen once, at Keras' import)."""
    wanted = getattr(args, "backend", None)
    if not wanted:
        return None
    import keras

    if keras.backend.backend() == wanted:
        return None
    return (
        f"Keras already runs on {keras.backend.backend()!r} in this process; run "
        f"`keras-s2s` (the console script) or set KERAS_BACKEND={wanted} before Python "
        f"starts. Received: --backend {wanted}"
    )


def is_user_error(error):
    """Whether `error` is a mistake the user can fix (bad file, value, run directory).

    Files that are missing, unreadable or corrupt, invalid UTF-8, a missing
    optional package, and the `ValueError`s keras_s2s itself raises to name a
    bad value. A `ValueError` from inside TensorFlow or Keras is a bug.
    """
    from keras_s2s.training.run_directory import RunDirectoryError

    if isinstance(error, (OSError, UnicodeError, zipfile.BadZipFile, RunDirectoryError, ImportError)):
        return True
    if isinstance(error, ValueError):
        frames = traceback.extract_tb(error.__traceback__)
        return bool(frames) and os.path.abspath(frames[-1].filename).startswith(_PACKAGE)
    return False
