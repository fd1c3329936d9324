"""Everything a training run is made of, in one object stored as `settings.json`.

The CLI builds a `TrainSettings` from its flags, `train()` runs it, the run
directory stores it. Resuming compares what the user asks for now with what
the run was started with: the settings that define the run (data,
tokenizer, model, batch size, seed) must not change; those that only bound
or steer it (epochs, learning rate, patience, budgets, backups, samples) may.
"""

import dataclasses
import hashlib

MODEL_DEFAULTS = {
    "embedding_dim": 256,
    "units": 256,
    "cell": "gru",
    "bidirectional": True,
    "num_layers": 1,
    "dropout": 0.2,
    "attention": "additive",
    "input_feeding": False,
}
#: The `Transformer` keyword arguments of `--architecture transformer`.
TRANSFORMER_DEFAULTS = {
    "embedding_dim": 256,
    "num_layers": 3,
    "num_heads": 4,
    "feedforward_dim": 1024,
    "dropout": 0.1,
    "tie_embeddings": True,
}
#: The model keyword arguments of each architecture, with their defaults.
ARCHITECTURES = {"rnn": MODEL_DEFAULTS, "transformer": TRANSFORMER_DEFAULTS}
DATA_KEYS = ("source", "target", "tsv", "tsv_reverse", "val_source", "val_target", "val_split")
#: Settings that define a run: a resume that changes one is refused.
FIXED = (
    "architecture",
    "tokenizer",
    "vocab_size",
    "lowercase",
    "model",
    "batch_size",
    "seed",
    "max_train_tokens",
    "max_pairs",
    "val_split",
    "encoding_errors",
    "warmup_steps",
    "mixed_precision",
)
#: The flag of each setting, for messages.
FLAGS = {
    "tokenizer": "--tokenizer",
    "vocab_size": "--vocab-size",
    "lowercase": "--lowercase",
    "batch_size": "--batch-size",
    "seed": "--seed",
    "max_train_tokens": "--max-train-tokens",
    "max_pairs": "--max-pairs",
    "val_split": "--val-split",
    "encoding_errors": "--encoding-errors",
    "epochs": "--epochs",
    "learning_rate": "--learning-rate",
    "patience": "--patience",
    "backup_every": "--backup-every",
    "max_steps": "--max-steps",
    "max_minutes": "--max-minutes",
    "samples": "--samples",
    "embedding_dim": "--embedding-dim",
    "units": "--units",
    "cell": "--cell",
    "bidirectional": "--unidirectional",
    "num_layers": "--layers",
    "dropout": "--dropout",
    "attention": "--attention",
    "input_feeding": "--input-feeding",
    "architecture": "--architecture",
    "num_heads": "--heads",
    "feedforward_dim": "--feedforward-dim",
    "tie_embeddings": "--untied-embeddings",
    "warmup_steps": "--warmup-steps",
    "label_smoothing": "--label-smoothing",
    "keep_checkpoints": "--keep-checkpoints",
    "mixed_precision": "--mixed-precision",
}
#: `--mixed-precision` values: the compute dtype under Keras' `mixed_*` policy.
MIXED_PRECISION = ("bfloat16", "float16")


_MISMATCH = (
    "The run was started with other settings; --resume continues a run "
    "as it was started (use a new --output-dir for new settings): "
)


class SettingsMismatch(ValueError):
    """A resume asked for a run different from the one in the directory."""


@dataclasses.dataclass
class TrainSettings:
    """The settings of one training run.

    Attributes:
        data: where the pairs come from (`source`/`target` files or a `tsv`,
            `tsv_reverse`, `val_source`/`val_target`, `val_split`); a resume
            without data flags reads them from here.
        architecture: `"rnn"` (`Seq2Seq`) or `"transformer"` (`Transformer`).
        tokenizer, vocab_size, lowercase: the tokenizers trained on the data.
        model: the model's keyword arguments (`ARCHITECTURES[architecture]`
            keys: `MODEL_DEFAULTS` or `TRANSFORMER_DEFAULTS`).
        epochs: train until this many epochs are done (a total, not a count
            for this call).
        batch_size, learning_rate, patience, seed: as `model.fit` / Adam /
            early stopping take them (`learning_rate=None`: 1e-3).
        max_train_tokens: drop training pairs with more tokens on a side.
        max_pairs: train on a seeded random sample of this many pairs.
        encoding_errors: `"strict"` or `"replace"` for invalid UTF-8.
        backup_every: back up every this many batches (and at epoch ends).
        max_steps: stop once the run has made this many optimizer steps.
        max_minutes: stop this call after so many minutes (resumable).
        samples: validation sentences translated after every epoch.
        warmup_steps: None (a constant learning rate) or the warmup of the
            inverse-square-root schedule (Vaswani et al. 2017, eq. 3), whose
            peak, reached at `warmup_steps`, is `learning_rate` (default
            the schedule's own `d_model**-0.5 * warmup_steps**-0.5`).
        label_smoothing: float in `[0, 1)` for the loss.
        keep_checkpoints: None, or keep the weights of the last N epochs in
            `checkpoints/` (for `keras-s2s average`).
        mixed_precision: None (float32), `"bfloat16"` or `"float16"`: train
            under Keras' `mixed_<dtype>` policy (float32 weights, the layers
            compute in the 16-bit dtype). Only training: `model.keras` is
            saved float32, so translating and exporting are unchanged. Fixed
            for the run: float16 wraps the optimizer in Keras' loss scaling,
            whose state a resume under another policy could not restore.
        data_fingerprint: filled in by `train()`: pair counts and SHA-256
            of the training and validation pairs, checked on resume.
    """

    data: dict = dataclasses.field(default_factory=dict)
    architecture: str = "rnn"
    tokenizer: str = "subword"
    vocab_size: int = 8000
    lowercase: bool = False
    model: dict = dataclasses.field(default_factory=lambda: dict(MODEL_DEFAULTS))
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = None
    patience: int = None
    seed: int = 0
    max_train_tokens: int = None
    max_pairs: int = None
    val_split: float = 0.05
    encoding_errors: str = "strict"
    backup_every: int = None
    max_steps: int = None
    max_minutes: float = None
    samples: int = 3
    warmup_steps: int = None
    label_smoothing: float = 0.0
    keep_checkpoints: int = None
    mixed_precision: str = None
    data_fingerprint: dict = None

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"--architecture must be one of {sorted(ARCHITECTURES)}. Received: architecture={self.architecture!r}"
            )
        defaults = ARCHITECTURES[self.architecture]
        unknown = sorted(set(self.model) - set(defaults))
        if unknown:
            flags = ", ".join(FLAGS.get(key, key) for key in unknown)
            raise ValueError(
                f"{flags} do(es) not apply to --architecture {self.architecture}; it takes "
                f"{', '.join(sorted(FLAGS.get(k, k) for k in defaults))}. Received: model={self.model!r}"
            )
        self.model = {**defaults, **self.model}
        if self.warmup_steps is not None and (
            isinstance(self.warmup_steps, bool)
            or not isinstance(self.warmup_steps, int)
            or self.warmup_steps < 1
        ):
            raise ValueError(
                f"--warmup-steps must be an int >= 1. Received: warmup_steps={self.warmup_steps!r}"
            )
        if not isinstance(self.label_smoothing, (int, float)) or not 0 <= self.label_smoothing < 1:
            raise ValueError(
                f"--label-smoothing must be in [0, 1). Received: label_smoothing={self.label_smoothing!r}"
            )
        for name in (
            "epochs",
            "batch_size",
            "patience",
            "max_pairs",
            "max_train_tokens",
            "backup_every",
            "max_steps",
            "keep_checkpoints",
            "samples",
        ):
            value = getattr(self, name)
            minimum = 0 if name in ("epochs", "samples") else 1
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < minimum
            ):
                raise ValueError(f"{FLAGS[name]} must be an int >= {minimum}. Received: {name}={value!r}")
        for name in ("learning_rate", "max_minutes"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{FLAGS[name]} must be > 0. Received: {name}={value!r}")
        if self.mixed_precision is not None and self.mixed_precision not in MIXED_PRECISION:
            raise ValueError(
                f"--mixed-precision must be one of {MIXED_PRECISION}. "
                f"Received: mixed_precision={self.mixed_precision!r}"
            )
        if self.encoding_errors not in ("strict", "replace"):
            raise ValueError(
                "--encoding-errors must be 'strict' or 'replace'. "
                f"Received: encoding_errors={self.encoding_errors!r}"
            )

    # --- building and merging ---------------------------------------------
    @classmethod
    def from_options(cls, options, stored=None):
        """Settings from `options` (only what the user gave), over `stored`.

        Args:
            options: dict of setting names (and `MODEL_DEFAULTS` keys, and
                `DATA_KEYS`) to values; absent = not given.
            stored: the run's `TrainSettings` when resuming, else None
                (then the defaults fill in).

        Raises:
            SettingsMismatch: resuming, and a given setting that defines
                the run differs from the stored one; the message names each
                flag with both values.
        """
        base = stored if stored is not None else cls()
        fields = dataclasses.asdict(base)
        model = dict(fields["model"])
        data = dict(fields["data"])
        given = dict(options)
        architecture = given.get("architecture", base.architecture)
        if architecture != base.architecture:
            if stored is not None:  # its model settings would not even apply
                raise SettingsMismatch(_MISMATCH + _describe("architecture", base.architecture, architecture))
            model = {}  # a new run of another architecture starts from its own defaults
        model_keys = set(MODEL_DEFAULTS) | set(TRANSFORMER_DEFAULTS)
        for key in list(given):
            if key in model_keys:
                model[key] = given.pop(key)
            elif key in DATA_KEYS and key != "val_split":
                data[key] = given.pop(key)
        unknown = set(given) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"Unknown settings {sorted(unknown)}.")
        settings = cls(**{**fields, **given, "model": model, "data": data})
        if stored is not None:
            differences = settings.differences(stored)
            if differences:
                raise SettingsMismatch(_MISMATCH + "; ".join(differences))
        return settings

    def differences(self, other):
        """Each setting that defines the run and differs: `"--units: 32 in the run, 64 now"`."""
        found = []
        for name in FIXED:
            mine, theirs = getattr(self, name), getattr(other, name)
            if name == "model":
                found += [
                    _describe(key, theirs.get(key), value)
                    for key, value in mine.items()
                    if theirs.get(key) != value
                ]
            elif mine != theirs:
                found.append(_describe(name, theirs, mine))
        if self.warmup_steps is not None and self.learning_rate != other.learning_rate:
            # The schedule (and its peak) is compiled into the run's optimizer.
            found.append(
                _describe("learning_rate", other.learning_rate, self.learning_rate) + " (the schedule's peak)"
            )
        return found

    # --- storage ----------------------------------------------------------
    def to_json(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, config):
        """Reads `settings.json`, also as written by keras_s2s 0.1 (`max_length`)."""
        config = dict(config)
        if "max_length" in config:
            config["max_train_tokens"] = config.pop("max_length")
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in known})


def fingerprint(pairs):
    """`{"pairs": n, "sha256": ...}` of `(sources, targets)`, or None for None."""
    if pairs is None:
        return None
    digest = hashlib.sha256()
    for side in pairs:
        for text in side:
            digest.update(text.encode("utf-8", "surrogatepass") + b"\n")
        digest.update(b"\x00")
    return {"pairs": len(pairs[0]), "sha256": digest.hexdigest()}


def _describe(name, old, new):
    flag = FLAGS.get(name, name)
    if name == "bidirectional":
        return f"{flag}: {'off' if old else 'on'} in the run, {'off' if new else 'on'} now"
    if name == "attention":
        old, new = old or "none", new or "none"
    return f"{flag}: {old!r} in the run, {new!r} now"
