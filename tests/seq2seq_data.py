"""Tiny synthetic id-level tasks shared by the model tests."""

import numpy as np

START, END = 2, 3


def reverse_task(n, vocab_size=20, min_len=8, max_len=12, seed=0):
    """Copy-reverse over ids 4..vocab_size-1: `({"source_ids", "target_ids"}, target_out)`."""
    rng = np.random.default_rng(seed)
    source = np.zeros((n, max_len), "int32")
    target_in = np.zeros((n, max_len + 1), "int32")
    target_out = np.zeros((n, max_len + 1), "int32")
    for i, length in enumerate(rng.integers(min_len, max_len + 1, size=n)):
        tokens = rng.integers(4, vocab_size, size=length)
        source[i, :length] = tokens
        target_in[i, 0] = START
        target_in[i, 1 : length + 1] = tokens[::-1]
        target_out[i, :length] = tokens[::-1]
        target_out[i, length] = END
    return {"source_ids": source, "target_ids": target_in}, target_out
