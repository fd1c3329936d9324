"""Start, watch and stop local worker processes for the tf.distribute tests.

Every process is started here, on 127.0.0.1 ports picked free, bounded in time
and killed by `stop` (call it in a `finally`).
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
QUIET = {"TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": "tensorflow", "PYTHONUNBUFFERED": "1"}


def free_ports(n):
    """`n` distinct free TCP ports on 127.0.0.1 (held open until all are picked)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_configs(ports):
    """One `TF_CONFIG` (JSON) per worker of a cluster on `ports`."""
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return [
        json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}) for i in range(len(ports))
    ]


def start(argv, configs, log_dir, tag="run", env=None):
    """Starts one `python argv...` per TF_CONFIG; output to `log_dir/<tag>-<i>.log`."""
    procs = []
    for i, config in enumerate(configs):
        log = open(pathlib.Path(log_dir) / f"{tag}-{i}.log", "w")
        procs.append(
            subprocess.Popen(
                [sys.executable, *argv],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **QUIET, **(env or {}), "TF_CONFIG": config},
            )
        )
        log.close()
    return procs


def wait(procs, timeout):
    """Waits for every process (all within `timeout` s); returns their exit codes."""
    deadline = time.monotonic() + timeout
    return [p.wait(timeout=max(deadline - time.monotonic(), 1)) for p in procs]


def wait_for(condition, procs, timeout, interval=0.01):
    """Polls `condition()` until true; False if a process ended or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(p.poll() is None for p in procs):
        try:
            if condition():
                return True
        except (OSError, ValueError, KeyError):
            pass  # a file being written; look again
        time.sleep(interval)
    return False


def stop(procs):
    """SIGKILLs whichever of `procs` still run, and reaps them."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
    for p in procs:
        p.wait(timeout=30)


def log_tail(log_dir, tag, n=2, chars=3000):
    return "\n".join(
        f"--- {tag}-{i}.log\n" + (pathlib.Path(log_dir) / f"{tag}-{i}.log").read_text()[-chars:]
        for i in range(n)
    )
