"""The `keras-s2s` command."""

import argparse
import sys


def _demo(args):
    from keras_s2s.demo import run_demo

    run_demo(seconds=args.seconds, attention=args.attention)
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-s2s",
        description="Sequence-to-sequence models with attention for Keras 3.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train a small model on a synthetic task and decode it")
    demo.add_argument("--seconds", type=float, default=60.0, help="training time budget")
    demo.add_argument(
        "--attention",
        default="additive",
        choices=["additive", "multiplicative", "scaled_dot", "none"],
    )
    demo.set_defaults(func=_demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if getattr(args, "attention", None) == "none":
        args.attention = None
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
