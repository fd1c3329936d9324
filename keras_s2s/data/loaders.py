"""Loaders for parallel text files and a seeded train/val/test split.

Every loader returns a pair of equal-length Python lists `(sources, targets)`.
Files are read as UTF-8. A byte sequence that is not valid UTF-8 stops the
load with the file, the line and the byte offset (`errors="strict"`, the
default), so a wrongly encoded corpus never trains silently on U+FFFD;
`errors="replace"` opts into replacing such bytes with U+FFFD.
"""

import gzip
import os
import zipfile

import numpy as np


def _read_bytes(path):
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"Expected a text file, got a directory. Received: path={path!r}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such file. Received: path={path!r}")
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":  # gzip magic, whatever the file name says
        data = gzip.decompress(data)
    return data


ENCODING_ERRORS = ("strict", "replace")


class CorpusEncodingError(UnicodeDecodeError):
    """A corpus file is not valid UTF-8; the message names file, line and offset."""

    def __str__(self):
        return self.reason


def utf8_error_position(data, error):
    """`(line, column)` of a `UnicodeDecodeError` of `data`: line from 1, the byte's offset in it from 0."""
    line = data.count(b"\n", 0, error.start) + 1
    column = error.start - (data.rfind(b"\n", 0, error.start) + 1)
    return line, column


def _decode(data, path, errors):
    """`data` as text; invalid UTF-8 raises with its line and byte offset."""
    if errors not in ENCODING_ERRORS:
        raise ValueError(f"`errors` must be one of {ENCODING_ERRORS}. Received: errors={errors!r}")
    try:
        return data.decode("utf-8", errors=errors)
    except UnicodeDecodeError as error:
        offset = error.start
        line, column = utf8_error_position(data, error)
        bad = data[error.start : error.end].hex(" ")
        raise CorpusEncodingError(
            "utf-8",
            data,
            error.start,
            error.end,
            f"{os.fspath(path)} is not valid UTF-8: line {line}, byte offset {offset} "
            f"(byte {column} of the line): {bad} ({error.reason}). Convert the file "
            'to UTF-8, or replace such bytes with U+FFFD (errors="replace", '
            "keras-s2s train --encoding-errors replace)",
        ) from None


def _split_lines(data, path="<bytes>", errors="strict"):
    """Splits on "\\n" only (never on U+2028 & co, which would misalign)."""
    text = _decode(data, path, errors)
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def read_lines(path, errors="strict"):
    """Reads one sentence a line from a plain or gzip-compressed text file.

    Args:
        path: file path; gzip is detected from the content, not the name.
        errors: `"strict"` (invalid UTF-8 raises `UnicodeDecodeError` naming
            the file, line and byte offset) or `"replace"` (U+FFFD).

    Returns:
        `list` of `str` without line endings (empty lines kept, so that
        aligned files stay aligned).
    """
    return _split_lines(_read_bytes(path), path, errors)


def load_parallel(source_path, target_path, errors="strict"):
    """Loads a parallel corpus: line i of one file translates line i of the other.

    Args:
        source_path: source-language file, plain or `.gz`.
        target_path: target-language file, plain or `.gz`.
        errors: what invalid UTF-8 does, see `read_lines`.

    Returns:
        `(sources, targets)`: two lists of `str` of equal length.

    Raises:
        FileNotFoundError: if a file is missing.
        UnicodeDecodeError: a file is not valid UTF-8 (with `errors="strict"`).
        ValueError: if the files have different numbers of lines (the message
            names both files and both counts).
    """
    sources = read_lines(source_path, errors)
    targets = read_lines(target_path, errors)
    if len(sources) != len(targets):
        raise ValueError(
            "Parallel files must have the same number of lines. Received: "
            f"source_path={os.fspath(source_path)!r} with {len(sources)} lines, "
            f"target_path={os.fspath(target_path)!r} with {len(targets)} lines"
        )
    return sources, targets


def _read_tsv_bytes(path, member):
    path = os.fspath(path)
    if not zipfile.is_zipfile(path):
        return _read_bytes(path)
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        if member is None:
            candidates = [
                n for n in names if n.endswith((".txt", ".tsv")) and not os.path.basename(n).startswith("_")
            ]
            if len(candidates) != 1:
                raise ValueError(
                    "Cannot tell which file of the zip archive to read; pass "
                    f"`member=`. Received: path={path!r} with members {names}"
                )
            member = candidates[0]
        if member not in names:
            raise ValueError(
                f"No member {member!r} in {path!r}. Members: {names}. Received: member={member!r}"
            )
        return archive.read(member)


def load_tsv(path, member=None, errors="strict"):
    """Loads tab-separated pairs in the Anki format `English<TAB>Other[<TAB>...]`.

    Column 1 is English, column 2 the other language (Spanish in
    `spa-eng.zip`); further columns (attribution) are ignored; blank lines are
    skipped. `path` may be plain text, `.gz`, or a `.zip` archive such as the
    Anki `spa-eng.zip` (then the one `.txt`/`.tsv` member not starting with
    `_` is read, or `member`).

    Args:
        path: file path.
        member: file inside a zip archive, e.g. `"spa-eng/spa.txt"`.
        errors: what invalid UTF-8 does, see `read_lines`.

    Returns:
        `(english, other)`: two lists of `str` of equal length. For
        Other → English translation use `other` as sources.

    Raises:
        FileNotFoundError: if `path` is missing.
        ValueError: on a line with fewer than two columns (the message names
            the file and the line number).
    """
    english, other = [], []
    where = os.fspath(path) if member is None else f"{os.fspath(path)}:{member}"
    lines = _split_lines(_read_tsv_bytes(path, member), where, errors)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            raise ValueError(
                "Each line must be `English<TAB>Other`. Received: line "
                f"{number} of {os.fspath(path)!r}: {line[:80]!r}"
            )
        english.append(columns[0])
        other.append(columns[1])
    return english, other


def _count(name, value, total):
    """A split size given as a fraction of `total` or a number of pairs."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"`{name}` must be a fraction in [0, 1) or a count. Received: {name}={value!r}")
    if isinstance(value, (float, np.floating)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"`{name}` as a fraction must be in [0, 1). Received: {name}={value}")
        return int(round(value * total))
    if value < 0:
        raise ValueError(f"`{name}` must be >= 0. Received: {name}={value}")
    return int(value)


def split_pairs(sources, targets, val=0.1, test=0.1, seed=0):
    """Shuffles pairs with `seed` and cuts them into train, validation and test.

    >>> train, val, test = split_pairs(english, spanish, val=0.1, test=0.1)
    >>> train_en, train_es = train

    Args:
        sources: list of `str`.
        targets: list of `str`, same length.
        val: validation size, a fraction in `[0, 1)` (float) or a count (int).
        test: test size, a fraction or a count.
        seed: random seed; the same inputs and seed give the same split.

    Returns:
        `((train_sources, train_targets), (val_sources, val_targets),
        (test_sources, test_targets))`, lists of `str`.

    Raises:
        ValueError: if the lists differ in length or `val + test` exceeds it.
    """
    if len(sources) != len(targets):
        raise ValueError(
            "`sources` and `targets` must have the same length. Received: "
            f"len(sources)={len(sources)}, len(targets)={len(targets)}"
        )
    total = len(sources)
    n_val, n_test = _count("val", val, total), _count("test", test, total)
    if n_val + n_test > total:
        raise ValueError(
            f"`val` + `test` ({n_val} + {n_test} pairs) exceed the {total} "
            f"pairs. Received: val={val}, test={test}"
        )
    order = np.random.default_rng(seed).permutation(total)
    parts = np.split(order, [total - n_val - n_test, total - n_test])
    return tuple(([sources[i] for i in part], [targets[i] for i in part]) for part in parts)
