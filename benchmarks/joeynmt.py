"""Time to quality: keras_s2s against JoeyNMT on Multi30k De→En.

JoeyNMT (PyPI `joeynmt`, PyTorch) is the toolkit people pick for exactly
this model: a bidirectional-GRU encoder, Bahdanau (MLP) attention and a
Luong-style GRU decoder (h̃_t = tanh(W_c [c_t; h_t]), no input feeding), the
architecture of `keras_s2s.models.Seq2Seq(attention="additive")`. Both are
trained here on the same Multi30k task 1 files, lowercased, with a subword
vocabulary of `--vocab-size` per side (keras_s2s: its WordPiece; JoeyNMT:
SentencePiece BPE, its recommended tokenizer), embeddings 256, 256 units per
GRU (per direction in the encoder), dropout 0.3, Adam 1e-3, gradient-norm
clipping 1, batches of 64 sentences, the loss averaged over target tokens,
`--threads` threads (TensorFlow intra/inter-op pools; `torch.set_num_threads`).

Every `--every` steps each toolkit translates test_2016_flickr with its own
beam search (beam 4, GNMT length penalty α 0.6, up to 100 tokens), and the
detokenized output is scored the same way for both: sacreBLEU, lowercased,
against the raw references. The training clock stops while it evaluates, so
`train_seconds` is wall-clock training time only (vocabulary learning is
reported apart). A run stops at the first evaluation reaching the highest
of `--targets` or after `--max-minutes` of training; the result is the
training time to each target and the ratio keras_s2s / JoeyNMT.

JoeyNMT 2.3.0 pins `protobuf<3.21`, which TensorFlow 2.21 cannot import, so
it lives in its own virtual environment (`benchmarks/requirements-joeynmt.txt`):
this script runs itself there with `--worker joeynmt` (no TensorFlow), and
only sacrebleu and the standard library are imported at the top of this file.

    python3 -m venv .venv-joeynmt && .venv-joeynmt/bin/pip install -r benchmarks/requirements-joeynmt.txt
    python benchmarks/joeynmt.py --json docs/joeynmt.json
    python benchmarks/joeynmt.py --quick   # smoke test
"""

import argparse
import gzip
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

import sacrebleu

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))  # keras_s2s from this checkout (imported by the keras_s2s side only)
SYSTEMS = ("keras_s2s", "joeynmt")
SPLITS = {"train": "train", "test": "test_2016_flickr"}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("KERAS_S2S_DATA", str(DEFAULT_DATA)))
    parser.add_argument(
        "--systems", default=",".join(SYSTEMS), help="comma-separated, from " + ", ".join(SYSTEMS)
    )
    parser.add_argument("--joeynmt-python", default=str(REPO / ".venv-joeynmt" / "bin" / "python"))
    parser.add_argument("--vocab-size", type=int, default=5000)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--embedding-dim", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--every", type=int, default=300, help="steps between evaluations")
    parser.add_argument("--targets", default="30,35", help="lowercased BLEU targets")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="training-time cap per system")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-pairs", type=int, help="use the first N training pairs")
    parser.add_argument("--test-pairs", type=int, help="score the first N test pairs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="OUT", help="results, written after every system")
    parser.add_argument(
        "--continue", dest="resume", action="store_true", help="keep systems already in --json"
    )
    parser.add_argument("--quick", action="store_true", help="tiny run for the smoke test")
    parser.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--work-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.train_pairs, args.test_pairs, args.vocab_size = 300, 40, 300
        args.units, args.embedding_dim, args.batch_size, args.every = 16, 16, 32, 5
        args.targets, args.max_minutes = "30", 0.05
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if not args.systems or not set(args.systems) <= set(SYSTEMS):
        parser.error(f"--systems takes names from {list(SYSTEMS)}. Received: {args.systems}")
    args.targets = sorted(float(t) for t in str(args.targets).split(","))
    if args.resume and not args.json:
        parser.error("--continue needs --json")
    return args


# === shared by both interpreters ===


# Both interpreters read and score through these: the worker cannot import keras_s2s
# (its package imports TensorFlow), so `keras_s2s.data.multi30k` and
# `keras_s2s.cli.evaluation.score` are not available there.


def read_lines(path, limit=None):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    return lines[:limit]


def load(args):
    directory = pathlib.Path(args.data_dir) / "multi30k"
    if not directory.is_dir():
        raise SystemExit(f"Multi30k is not in {directory}: pass --data-dir (see ../shared/data/README)")
    limits = {"train": args.train_pairs, "test": args.test_pairs}
    return {
        split: tuple(read_lines(directory / f"{name}.{lang}.gz", limits[split]) for lang in ("de", "en"))
        for split, name in SPLITS.items()
    }


def lowercased_bleu(hypotheses, references):
    """sacreBLEU (13a tokenization) of detokenized output, lowercased."""
    return sacrebleu.metrics.BLEU(lowercase=True).corpus_score(list(hypotheses), [list(references)]).score


class TimeToQuality:
    """A training clock that stops while the model is evaluated.

    `after_step(step)` is called after every optimizer step; every `every`
    steps it reads the training time (wall clock since `start()` minus every
    evaluation so far), runs `evaluate()` (→ BLEU) and records both. It
    returns True when training should stop: the highest target is reached or
    the training time passed `max_seconds`.
    """

    def __init__(self, evaluate, every, targets, max_seconds, clock=time.perf_counter):
        self.evaluate, self.every, self.targets = evaluate, every, sorted(targets)
        self.max_seconds, self.clock = max_seconds, clock
        self.evaluations = []
        self._started = self._excluded = None

    def start(self):
        self._started, self._excluded = self.clock(), 0.0

    def train_seconds(self):
        return self.clock() - self._started - self._excluded

    def after_step(self, step):
        if step % self.every:
            return False
        seconds = self.train_seconds()
        begin = self.clock()
        bleu = float(self.evaluate())
        spent = self.clock() - begin
        self._excluded += spent
        self.evaluations.append({"step": step, "train_seconds": seconds, "bleu": bleu, "eval_seconds": spent})
        print(f"step {step}: {seconds:.0f} s of training, BLEU (lc) {bleu:.2f}", flush=True)
        return bleu >= self.targets[-1] or seconds >= self.max_seconds

    def time_to(self, target):
        """Training seconds at the first evaluation with BLEU >= target (None: not reached)."""
        return next((e["train_seconds"] for e in self.evaluations if e["bleu"] >= target), None)

    def result(self):
        return {
            "evaluations": self.evaluations,
            "time_to": {f"{t:g}": self.time_to(t) for t in self.targets},
        }


def worker_args(args, work_dir):
    """The flags that give the worker (`--worker joeynmt`) this run's settings."""
    keep = ("data_dir", "vocab_size", "units", "embedding_dim", "batch_size", "every", "max_minutes")
    keep += ("threads", "train_pairs", "test_pairs", "seed")
    flags = [f"--{k.replace('_', '-')}={getattr(args, k)}" for k in keep if getattr(args, k) is not None]
    targets = ",".join(f"{t:g}" for t in args.targets)
    return [*flags, f"--targets={targets}", f"--work-dir={work_dir}"]


# === keras_s2s (this interpreter) ===


def run_keras_s2s(args, splits):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    import tensorflow as tf

    from keras_s2s.data import make_dataset
    from keras_s2s.decoding import BeamSearch
    from keras_s2s.models import Seq2Seq
    from keras_s2s.training import build_tokenizers
    from keras_s2s.translator import Translator

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    begin = time.perf_counter()
    source_tokenizer, target_tokenizer = build_tokenizers(
        *splits["train"], kind="subword", vocab_size=args.vocab_size, lowercase=True
    )
    vocab_seconds = time.perf_counter() - begin
    model = Seq2Seq(
        source_tokenizer.vocab_size,
        target_tokenizer.vocab_size,
        embedding_dim=args.embedding_dim,
        units=args.units,
        attention="additive",
        dropout=0.3,
    )
    model.compile()  # Adam 1e-3, clipnorm 1, token-averaged cross-entropy
    train = make_dataset(
        *splits["train"], source_tokenizer, target_tokenizer, batch_size=args.batch_size, seed=args.seed
    )
    translator = Translator(
        model, source_tokenizer, target_tokenizer, strategy=BeamSearch(4, length_penalty=0.6)
    )
    sources, references = splits["test"]
    tracker = TimeToQuality(
        lambda: lowercased_bleu(translator(sources), references),
        args.every,
        args.targets,
        args.max_minutes * 60,
    )

    class Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if tracker.after_step(int(self.model.optimizer.iterations.numpy())):
                self.model.stop_training = True

    # The clock covers all of `fit`: also its first pass over the targets, which sets
    # the output bias to their log-prior (`output_bias="prior"`).
    tracker.start()
    model.fit(train, epochs=1000, verbose=0, callbacks=[Stop()])
    return {
        "params": int(model.count_params()),
        "vocab": [source_tokenizer.vocab_size, target_tokenizer.vocab_size],
        "vocab_seconds": vocab_seconds,
        "tokenizer": "WordPiece (keras_s2s SubwordTokenizer), lowercased",
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        **tracker.result(),
    }


# === the comparison ===


def run_system(system, args, splits, work_dir):
    if system == "keras_s2s":
        return run_keras_s2s(args, splits)
    out = pathlib.Path(work_dir) / f"{system}.json"
    command = [args.joeynmt_python, __file__, f"--worker={system}", *worker_args(args, work_dir)]
    if not os.path.exists(args.joeynmt_python):
        raise SystemExit(
            f"--joeynmt-python {args.joeynmt_python} does not exist: see this script's docstring"
        )
    subprocess.run(command, check=True)
    return json.loads(out.read_text())


def report(results, targets):
    lines = [
        "| system | parameters | vocabulary | " + " | ".join(f"time to {t:g} BLEU" for t in targets) + " |"
    ]
    lines.append("|---|---:|---|" + "---:|" * len(targets))
    for name, r in results["systems"].items():
        times = [r["time_to"].get(f"{t:g}") for t in targets]
        cells = [f"{s:.0f} s" if s is not None else "not reached" for s in times]
        lines.append(
            f"| {name} | {r['params']:,} | {r['vocab'][0]} / {r['vocab'][1]} | " + " | ".join(cells) + " |"
        )
    systems = results["systems"]
    if set(SYSTEMS) <= set(systems):
        for t in targets:
            ours, theirs = (systems[s]["time_to"].get(f"{t:g}") for s in SYSTEMS)
            if ours is not None and theirs is not None:
                lines.append(f"time to {t:g} BLEU, keras_s2s / JoeyNMT: {ours / theirs:.2f}x (goal <= 0.7x)")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    splits = load(args)
    if args.worker:  # inside the JoeyNMT interpreter, benchmarks/ first on sys.path
        from joeynmt_worker import run_joeynmt

        result = run_joeynmt(args, splits, TimeToQuality, lowercased_bleu)
        pathlib.Path(args.work_dir, f"{args.worker}.json").write_text(json.dumps(result))
        return
    results = {"systems": {}}
    if args.resume and os.path.exists(args.json):
        results = json.loads(pathlib.Path(args.json).read_text())
    results["config"] = {
        k: v for k, v in vars(args).items() if k not in ("json", "resume", "worker", "work_dir")
    }
    results["machine"] = {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    with tempfile.TemporaryDirectory() as work_dir:
        for system in args.systems:
            if system in results["systems"]:
                print(f"{system}: kept from {args.json}", flush=True)
                continue
            print(f"{system}: training (load average {os.getloadavg()[0]:.1f})", flush=True)
            results["systems"][system] = {"load_average_at_start": list(os.getloadavg())}
            results["systems"][system].update(run_system(system, args, splits, work_dir))
            if args.json:
                from keras_s2s.files import write_json  # atomic (temp + rename)

                write_json(args.json, results)
    print(report(results, args.targets))


if __name__ == "__main__":
    main()
