"""Where a LiteRT run spends its time: leaf functions of `perf script` samples inside LiteRT.

Reads the text of `perf script` (a `perf record -g` profile) and keeps the
samples whose call chain passes through one library (default LiteRT's
`libpywrap_litert_common.so`): the interpreter's own work, its XNNPACK
kernels, and the libc copies it calls, while the Python, TensorFlow and
conversion work of the same process drop out. Prints the share of each leaf
function among those samples.

    perf record -F 499 -g -o litert.data -- python benchmarks/ctranslate2.py \\
        --model runs/tf_de_en --profile --profile-runtimes litert_float32 --batch-sizes 32
    perf script -i litert.data | python benchmarks/perf_summary.py --top 12
"""

import argparse
import collections
import re
import sys

LAMBDA = re.compile(r"std::_Function_handler<[^(]*\(int, long\), (tflite::reference_ops::\w+<\w+>)\(.*")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library", default="libpywrap_litert_common.so", help="keep samples through this")
    parser.add_argument("--top", type=int, default=15, help="leaf functions printed (default 15)")
    parser.add_argument(
        "--callers",
        action="store_true",
        help="also split each leaf by its nearest caller in the library (thread-pool frames skipped)",
    )
    return parser.parse_args(argv)


def samples(lines):
    """Call chains (leaf first) of `perf script` text: one list of (symbol, library) per sample."""
    chain = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if chain:
                yield chain
            chain = []
        elif line.startswith(("\t", " ")):
            match = re.match(r"\s*[0-9a-f]+ (.*) \((.*)\)$", line)
            if match:
                chain.append((match.group(1), match.group(2)))
    if chain:
        yield chain


def short(symbol):
    """`symbol` without its offset, a reference kernel's per-element lambda named after its kernel."""
    symbol = re.sub(r"\+0x[0-9a-f]+$", "", symbol)
    match = LAMBDA.match(symbol)
    return f"{match.group(1)} (per-element lambda)" if match else symbol


SKIPPED_CALLERS = ("std::_Function_handler", "pthreadpool", "thread_", "xnn_run_operator", "xnn_compute")


def caller(chain, library):
    """The nearest recorded frame above the leaf inside `library` that is not thread-pool plumbing.

    "?" when there is none (a thread-pool worker's sample). Frame-pointer
    chains can miss frames of functions built without them, so this is
    the nearest *recorded* caller.
    """
    leaf = short(chain[0][0]).split(" (")[0]
    for symbol, where in chain[1:]:
        name = short(symbol)
        if library in where and not symbol.startswith(SKIPPED_CALLERS) and name != leaf:
            return name
    return "?"


def main(argv=None):
    args = parse_args(argv)
    counts = collections.Counter()
    callers = collections.defaultdict(collections.Counter)
    total = kept = 0
    for chain in samples(sys.stdin):
        total += 1
        if any(args.library in library for _, library in chain):
            kept += 1
            leaf = short(chain[0][0])
            counts[leaf] += 1
            callers[leaf][caller(chain, args.library)] += 1
    if not kept:
        raise SystemExit(f"no sample passes through {args.library} ({total} samples read)")
    print(f"{kept} of {total} samples pass through {args.library}; leaf functions among them:")
    for symbol, count in counts.most_common(args.top):
        print(f"{100 * count / kept:6.1f}%  {symbol[:140]}")
        if args.callers:
            for name, n in callers[symbol].most_common(3):
                print(f"{'':8}{100 * n / kept:6.1f}%  from {name[:120]}")


if __name__ == "__main__":
    main()
