"""The pairs and tokenizers of a run, as its `TrainSettings` describe them."""

import numpy as np

from keras_s2s import data, text

TOKENIZERS = {
    "subword": text.SubwordTokenizer,
    "word": text.WordTokenizer,
    "char": text.CharTokenizer,
}


def load_training_data(settings):
    """`(train_pairs, val_pairs)` from the files named in `settings.data`.

    Reads `source`/`target` (or `tsv`, `tsv_reverse` for Other → English),
    keeps a seeded random sample of `max_pairs` pairs (before the
    validation split, so a small run also validates on little), then takes
    the validation pairs from `val_source`/`val_target` or splits off
    `val_split` of the pairs. Invalid UTF-8 follows `encoding_errors`.

    Args:
        settings: a `TrainSettings`.

    Returns:
        `((sources, targets), (val_sources, val_targets) or None)`.

    Raises:
        ValueError: data missing or given twice; FileNotFoundError;
            UnicodeDecodeError (with the file, line and byte offset).
    """
    where = settings.data
    errors = settings.encoding_errors
    if where.get("tsv") and (where.get("source") or where.get("target")):
        raise ValueError("Give either --tsv or --source/--target, not both.")
    if where.get("tsv"):
        english, other = data.load_tsv(where["tsv"], errors=errors)
        pairs = (other, english) if where.get("tsv_reverse") else (english, other)
    elif where.get("source") and where.get("target"):
        pairs = data.load_parallel(where["source"], where["target"], errors=errors)
    else:
        raise ValueError("Training data is missing: give --source and --target, or --tsv.")
    if bool(where.get("val_source")) != bool(where.get("val_target")):
        raise ValueError("Give both --val-source and --val-target.")
    pairs = sample_pairs(pairs, settings.max_pairs, settings.seed)
    if where.get("val_source"):
        return pairs, data.load_parallel(where["val_source"], where["val_target"], errors=errors)
    if settings.val_split > 0:
        train_pairs, val_pairs, _ = data.split_pairs(
            *pairs, val=settings.val_split, test=0.0, seed=settings.seed
        )
        return train_pairs, val_pairs
    return pairs, None


def sample_pairs(pairs, max_pairs, seed=0):
    """A seeded random sample of `max_pairs` pairs, in their original order."""
    sources, targets = pairs
    if max_pairs is None or max_pairs >= len(sources):
        return list(sources), list(targets)
    keep = np.sort(np.random.default_rng(seed).choice(len(sources), max_pairs, replace=False))
    return [sources[i] for i in keep], [targets[i] for i in keep]


def build_tokenizers(sources, targets, kind="subword", vocab_size=8000, lowercase=False):
    """Trains one tokenizer per side (`kind`: `"subword"`, `"word"` or `"char"`)."""
    if kind not in TOKENIZERS:
        raise ValueError(f"`tokenizer` must be one of {sorted(TOKENIZERS)}. Received: tokenizer={kind!r}")
    cls = TOKENIZERS[kind]
    size = None if kind == "char" else vocab_size
    return (
        cls.train(sources, vocab_size=size, lowercase=lowercase),
        cls.train(targets, vocab_size=size, lowercase=lowercase),
    )
