"""Runs a benchmark script as a subprocess for the smoke tests."""

import os
import pathlib
import subprocess
import sys

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


def run_benchmark(name, args, **env):
    """Runs `benchmarks/<name>.py args...`, asserts exit 0, returns stdout."""
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{name}.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **env),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout
