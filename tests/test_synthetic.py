"""Tests for keras_s2s.data.synthetic."""

import pytest

from keras_s2s.data import reverse


def test_reverse_is_deterministic_and_reversed():
    sources, targets = reverse(50, seed=3)
    assert (sources, targets) == reverse(50, seed=3)
    assert sources != reverse(50, seed=4)[0]
    for s, t in zip(sources, targets):
        assert t.split() == s.split()[::-1]
        assert 8 <= len(s.split()) <= 12
    symbols = {w for s in sources for w in s.split()}
    assert symbols <= set("abcdefghijklmnopqrst") and len(symbols) == 20


def test_reverse_exact_first_pair():
    assert reverse(1, seed=0, min_length=3, max_length=3, vocab_size=5) == (
        ["e d c"], ["c d e"])


def test_reverse_bad_args():
    with pytest.raises(ValueError, match="Received: n=-1"):
        reverse(-1)
    with pytest.raises(ValueError, match="min_length=5, max_length=4"):
        reverse(3, min_length=5, max_length=4)
