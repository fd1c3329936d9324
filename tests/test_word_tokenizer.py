"""Tests for keras_s2s.text.WordTokenizer."""

import numpy as np
import pytest
import tensorflow as tf

from keras_s2s.text import WordTokenizer

CORPUS = ["A dog runs.", "A cat sleeps.", "The dog sleeps!", "a dog"]


@pytest.fixture(scope="module")
def tok():
    return WordTokenizer.train(CORPUS)


def test_train_orders_by_frequency_then_code_point(tok):
    assert tok.vocabulary == [
        "[PAD]", "[UNK]", "[START]", "[END]",
        "dog", ".", "A", "sleeps", "!", "The", "a", "cat", "runs",
    ]
    assert tok.vocab_size == 13


def test_tokenize_pads_with_zero_and_wraps_start_end(tok):
    ids = tok(["A dog sleeps.", "zebra"])
    assert ids.dtype == tf.int32
    np.testing.assert_array_equal(
        ids.numpy(), [[2, 6, 4, 7, 5, 3], [2, 1, 3, 0, 0, 0]]
    )


def test_detokenize_round_trip_and_stops_at_end(tok):
    text = tok.detokenize(tok(["A dog sleeps.", "The dog sleeps!"]))
    assert text.numpy().tolist() == [b"A dog sleeps.", b"The dog sleeps!"]
    # Decoder output: [END] then padding / garbage after it.
    assert tok.detokenize([[2, 6, 4, 3, 4, 0], [4, 12, 3, 0, 0, 0]]).numpy().tolist() == [
        b"A dog", b"dog runs"]


def test_empty_and_whitespace_give_start_end(tok):
    np.testing.assert_array_equal(tok(["", "  \t\n "]).numpy(), [[2, 3], [2, 3]])


def test_vocab_size_and_min_frequency_honoured():
    tok = WordTokenizer.train(CORPUS, vocab_size=6)
    assert tok.vocabulary == ["[PAD]", "[UNK]", "[START]", "[END]", "dog", "."]
    tok = WordTokenizer.train(CORPUS, min_frequency=2)
    assert tok.vocabulary[4:] == ["dog", ".", "A", "sleeps"]


@pytest.mark.parametrize("bad", [-3, 4, 2.5])
def test_bad_vocab_size_raises(bad):
    with pytest.raises(ValueError, match=f"Received: vocab_size={bad}"):
        WordTokenizer.train(CORPUS, vocab_size=bad)
