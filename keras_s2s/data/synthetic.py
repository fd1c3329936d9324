"""Synthetic seq2seq tasks, deterministic by seed."""

import numpy as np


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (
        value < minimum
    ):
        raise ValueError(
            f"`{name}` must be an int >= {minimum}. Received: {name}={value!r}"
        )


def reverse_symbols(vocab_size=20):
    """The symbols of the `reverse` task: `"a"`, ..., `"z"`, `"aa"`, `"ab"`, ...

    Args:
        vocab_size: number of symbols.

    Returns:
        `list` of `vocab_size` distinct lowercase strings.
    """
    _check_count("vocab_size", vocab_size, 1)
    symbols = []
    for i in range(vocab_size):
        name = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            name = chr(ord("a") + r) + name
        symbols.append(name)
    return symbols


def reverse(n, seed=0, min_length=8, max_length=12, vocab_size=20):
    """Copy-reverse task: a random symbol sequence and the same reversed.

    >>> reverse(1, seed=0)  # (["l e d ..."], ["... d e l"])

    Args:
        n: number of pairs.
        seed: random seed; the same arguments always give the same pairs.
        min_length: shortest sequence (in symbols).
        max_length: longest sequence (in symbols).
        vocab_size: number of distinct symbols (`reverse_symbols(vocab_size)`).

    Returns:
        `(sources, targets)`: two lists of `n` strings of space-separated
        symbols, `targets[i]` being `sources[i]` reversed.
    """
    _check_count("n", n, 0)
    _check_count("min_length", min_length, 1)
    _check_count("max_length", max_length, 1)
    if max_length < min_length:
        raise ValueError(
            "`max_length` must be >= `min_length`. "
            f"Received: min_length={min_length}, max_length={max_length}"
        )
    symbols = np.array(reverse_symbols(vocab_size), dtype=object)
    rng = np.random.default_rng(seed)
    sources, targets = [], []
    for _ in range(n):
        length = int(rng.integers(min_length, max_length + 1))
        sequence = list(symbols[rng.integers(0, vocab_size, size=length)])
        sources.append(" ".join(sequence))
        targets.append(" ".join(reversed(sequence)))
    return sources, targets
