"""Vocabulary helpers: special tokens, validation, files and counting.

A vocabulary is a Python list of token strings; the token's index is its id.
Every keras_s2s vocabulary starts with the four special tokens
`[PAD]` (0), `[UNK]` (1), `[START]` (2) and `[END]` (3).

Vocabulary files are UTF-8, one token per line, in id order, each line ended
by `"\\n"` (a token may be a single space, for `CharTokenizer`, so lines are
never stripped).
"""

import collections
import os
import tempfile

import numpy as np
import tensorflow as tf

PAD, UNK, START, END = "[PAD]", "[UNK]", "[START]", "[END]"
SPECIAL_TOKENS = (PAD, UNK, START, END)
PAD_ID, UNK_ID, START_ID, END_ID = 0, 1, 2, 3


def validate_vocabulary(vocabulary):
    """Returns `vocabulary` as a list of str that starts with the special tokens.

    The special tokens are prepended when the list does not already start
    with them.

    Args:
        vocabulary: iterable of `str` (or UTF-8 `bytes`).

    Returns:
        A new `list` of `str`.

    Raises:
        ValueError: on an empty token, a token containing a newline, a
            duplicate token or a special token out of its place.
    """
    tokens = [t.decode("utf-8") if isinstance(t, bytes) else t for t in vocabulary]
    for token in tokens:
        if not isinstance(token, str):
            raise ValueError(f"Vocabulary tokens must be strings. Received: token={token!r}")
    if tuple(tokens[:4]) != SPECIAL_TOKENS:
        tokens = list(SPECIAL_TOKENS) + tokens
    seen = set()
    for index, token in enumerate(tokens):
        if not token or "\n" in token:
            raise ValueError(
                "Vocabulary tokens must be non-empty and contain no newline. "
                f"Received: token={token!r} at index {index}"
            )
        if token in seen:
            raise ValueError(
                "Vocabulary tokens must be unique (special tokens come first, "
                f"once). Received: duplicate token={token!r} at index {index}"
            )
        seen.add(token)
    return tokens


def write_vocabulary(vocabulary, path):
    """Writes `vocabulary` to `path` atomically (temporary file + `os.replace`).

    Args:
        vocabulary: list of `str`.
        path: destination file path.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(prefix=".vocab-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(token + "\n" for token in vocabulary))
            f.flush()
            os.fsync(f.fileno())
        mask = os.umask(0o022)
        os.umask(mask)
        os.chmod(tmp_path, 0o666 & ~mask)  # mkstemp makes it 0600; ship it readable
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def read_vocabulary(path):
    """Reads a vocabulary file written by `write_vocabulary`.

    Args:
        path: file path.

    Returns:
        `list` of `str`, one token per line.

    Raises:
        ValueError: if the file does not exist or is empty.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"Vocabulary file not found. Received: path={path!r}")
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if not text:
        raise ValueError(f"Vocabulary file is empty. Received: path={path!r}")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def text_batches(texts, batch_size=1024):
    """Yields `tf.string` tensors of shape `(batch,)` from `texts`.

    Args:
        texts: a list / tuple / numpy array of strings, a 1-D string tensor, or
            a `tf.data.Dataset` whose elements are string scalars or vectors.
        batch_size: number of strings per yielded batch.

    Raises:
        ValueError: if `texts` is a single string or a dataset of other
            elements.
    """
    if isinstance(texts, (str, bytes)):
        raise ValueError(
            "`texts` must be a list of strings or a tf.data.Dataset of "
            f"strings, not a single string. Received: texts={texts[:50]!r}"
        )
    if isinstance(texts, tf.data.Dataset):
        spec = texts.element_spec
        if not isinstance(spec, tf.TensorSpec) or spec.dtype != tf.string:
            raise ValueError(
                "`texts` must be a tf.data.Dataset of tf.string scalars or "
                f"vectors. Received: element_spec={spec}"
            )
        if spec.shape.rank == 0:
            texts = texts.batch(batch_size)
        elif spec.shape.rank != 1:
            raise ValueError(
                f"`texts` dataset elements must be scalars or vectors. Received: element_spec={spec}"
            )
        yield from texts
        return
    texts = list(np.asarray(texts, dtype=object).reshape([-1]))
    for i, text in enumerate(texts):
        if not isinstance(text, (str, bytes)):
            raise ValueError(f"`texts` must hold strings only. Received: texts[{i}]={text!r}")
    for i in range(0, len(texts), batch_size):
        yield tf.constant(texts[i : i + batch_size], dtype=tf.string)


def count_units(split_fn, texts):
    """Counts the units (words, characters) `split_fn` makes of `texts`.

    Args:
        split_fn: callable mapping a `(B,)` string tensor to a ragged
            `(B, None)` string tensor.
        texts: anything `text_batches` accepts.

    Returns:
        `collections.Counter` mapping `str` unit to its count.
    """
    counts = collections.Counter()
    for batch in text_batches(texts):
        counts.update(split_fn(batch).flat_values.numpy().tolist())
    return collections.Counter({unit.decode("utf-8"): count for unit, count in counts.items()})


def vocabulary_from_counts(counts, vocab_size=None, min_frequency=1):
    """Builds a vocabulary of the most frequent units.

    Args:
        counts: mapping `str` unit to count.
        vocab_size: maximum size including the 4 special tokens, or `None`.
        min_frequency: units seen fewer times are left out.

    Returns:
        `list` of `str`: special tokens, then units by decreasing count (ties
        in code point order).
    """
    units = [(unit, n) for unit, n in counts.items() if n >= min_frequency and unit not in SPECIAL_TOKENS]
    units.sort(key=lambda item: (-item[1], item[0]))
    if vocab_size is not None:
        units = units[: vocab_size - len(SPECIAL_TOKENS)]
    return list(SPECIAL_TOKENS) + [unit for unit, _ in units]
