"""The `keras-s2s` console script: quiet, and fast where it can be.

TensorFlow's C++ logging (oneDNN, CUDA notices) goes to errors only unless
`TF_CPP_MIN_LOG_LEVEL` is set: the level must be set before TensorFlow is
imported, which importing `keras_s2s` does. Some start-up lines ignore that
level (absl logs "before absl::InitializeLog()", such as "Could not find
cuda drivers" and "failed call to cuInit"), so while TensorFlow is imported
and its devices are listed, the C-level stderr is sent to /dev/null; set
`TF_CPP_MIN_LOG_LEVEL=0` or `1` to see them. The arguments are parsed first
by `keras_s2s/cli/parser.py`, loaded by path without importing the package,
so `--help` and argument errors answer at once, without TensorFlow.
"""

import contextlib
import importlib.util
import os
import sys


def _parser_module():
    package = importlib.util.find_spec("keras_s2s")  # locates it without importing it
    path = os.path.join(package.submodule_search_locations[0], "cli", "parser.py")
    spec = importlib.util.spec_from_file_location("_keras_s2s_cli_parser", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _quiet_stderr():
    """Sends file descriptor 2 to /dev/null inside the block (Python's own errors stay)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def main(argv=None):
    """Parses `argv`, then runs the command (importing TensorFlow only now)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = _parser_module().build_parser().parse_args(argv)
    # The backend is chosen before Keras is imported (docs/backends.md); an
    # export writes a TensorFlow graph, so it always runs on TensorFlow.
    if getattr(args, "backend", None):
        os.environ["KERAS_BACKEND"] = args.backend
    elif args.command == "export":
        os.environ["KERAS_BACKEND"] = "tensorflow"
    quiet = os.environ["TF_CPP_MIN_LOG_LEVEL"] not in ("0", "1")
    with _quiet_stderr() if quiet else contextlib.nullcontext():
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe logs here
    from keras_s2s.cli import main as run

    return run(args=args)


if __name__ == "__main__":
    sys.exit(main())
