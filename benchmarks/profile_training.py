"""Where a training step's time goes: TensorFlow op times of `fit` steps, by op type and by layer.

Builds one variant of `benchmarks/training.py` (same shapes, same synthetic
batches, same compile), fits `--warmup` steps, then records `--steps` fit
steps with `tf.profiler` and sums the recorded op durations from the trace
(`*.xplane.pb`, the TensorFlow executor's compute threads) per op type and per
layer scope, per step. Op durations are summed over the two compute threads,
so the total exceeds the wall-clock step time wherever ops ran side by side,
and ops that wait for a core read longer than they would alone: read the
tables as shares, not as absolute costs.

    python benchmarks/profile_training.py --impl keras_s2s --kind additive
    python benchmarks/profile_training.py --impl builtin --kind additive --top 20
    python benchmarks/profile_training.py --quick     # smoke test
"""

import argparse
import collections
import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tensorflow as tf  # noqa: E402
import training  # noqa: E402  (benchmarks/training.py: the variants and their data)

#: Trace events that wrap other ops (the executor's and XLA's), not ops.
WRAPPERS = {"Process", "Start", "ExecuteAsyncOnStream", "BlockUntilReady", "ThreadpoolListener::StartRegion"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--impl", choices=["keras_s2s", "builtin"], default="keras_s2s")
    parser.add_argument("--kind", choices=training.KINDS, default="additive")
    parser.add_argument("--input-feeding", action="store_true")
    parser.add_argument("--steps", type=int, default=3, help="profiled fit steps")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--top", type=int, default=15, help="rows per table")
    parser.add_argument("--quick", action="store_true", help="training.py's tiny sizes, for the smoke test")
    args = parser.parse_args(argv)
    if args.input_feeding and args.impl != "keras_s2s":
        parser.error("--input-feeding is a keras_s2s variant")
    return args


def op_times(trace_dir):
    """`{(op type, layer scope): microseconds}` summed over the trace's compute threads."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    (path,) = pathlib.Path(trace_dir).rglob("*.xplane.pb")
    space = xplane_pb2.XSpace()
    space.ParseFromString(path.read_bytes())
    times = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name  # "scope/…/op_name:OpType"
                scope, _, op = name.rpartition(":")
                if op in WRAPPERS or not op:
                    continue
                times[(op, _layer(scope))] += event.duration_ps / 1e6
    return times


def _layer(scope):
    """The layer an op belongs to: the scope's parts after the model's name, gradients marked."""
    parts = [p for p in scope.split("/") if p and p != "StatefulPartitionedCall"]
    gradient = parts[:1] == ["gradient_tape"]
    parts = parts[1:] if gradient else parts
    layer = "/".join(parts[1:3]) if len(parts) > 2 else "/".join(parts) or "(step)"
    return f"{layer} (backward)" if gradient else layer


def main(argv=None):
    args = parse_args(argv)
    bench = training.parse_args(["--quick"] if args.quick else [])
    variant = dict(
        name=args.impl,
        impl=args.impl,
        kind=args.kind,
        input_feeding=args.input_feeding,
        bf16=False,
        jit=False,
    )
    model = training.build(variant, bench)
    data = training.dataset(bench)
    model.fit(data, steps_per_epoch=args.warmup, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=args.steps, epochs=1, verbose=0)
    step_ms = (time.perf_counter() - start) / args.steps * 1e3
    with tempfile.TemporaryDirectory() as trace_dir:
        tf.profiler.experimental.start(trace_dir)
        model.fit(data, steps_per_epoch=args.steps, epochs=1, verbose=0)
        tf.profiler.experimental.stop()
        times = op_times(trace_dir)
    per_step = {key: us / args.steps / 1e3 for key, us in times.items()}  # ms per step
    total = sum(per_step.values())
    print(f"{variant['name']} {args.kind}{' +input feeding' if args.input_feeding else ''}: ", end="")
    print(f"{step_ms:.0f} ms per fit step unprofiled, {total:.0f} ms of op time per step (2 threads)")
    for title, index in (("op type", 0), ("layer", 1)):
        sums = collections.Counter()
        for key, ms in per_step.items():
            sums[key[index]] += ms
        print(f"\n| {title} | ms / step | share |\n|---|---:|---:|")
        for name, ms in sums.most_common(args.top):
            print(f"| {name} | {ms:.1f} | {ms / total:.0%} |")


if __name__ == "__main__":
    main()
