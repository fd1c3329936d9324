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


def main(argv=None):
    args = parse_args(argv)
    counts = collections.Counter()
    total = kept = 0
    for chain in samples(sys.stdin):
        total += 1
        if any(args.library in library for _, library in chain):
            kept += 1
            counts[short(chain[0][0])] += 1
    if not kept:
        raise SystemExit(f"no sample passes through {args.library} ({total} samples read)")
    print(f"{kept} of {total} samples pass through {args.library}; leaf functions among them:")
    for symbol, count in counts.most_common(args.top):
        print(f"{100 * count / kept:6.1f}%  {symbol[:140]}")


if __name__ == "__main__":
    main()
