"""Tests for keras_s2s.text.WordTokenizer."""

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from keras_s2s.text import WordTokenizer

CORPUS = ["A dog runs.", "A cat sleeps.", "The dog sleeps!", "a dog"]


@pytest.fixture(scope="module")
def tok():
    return WordTokenizer.train(CORPUS)


def test_train_orders_by_frequency_then_code_point(tok):
    assert tok.vocabulary == [
        "[PAD]",
        "[UNK]",
        "[START]",
        "[END]",
        "dog",
        ".",
        "A",
        "sleeps",
        "!",
        "The",
        "a",
        "cat",
        "runs",
    ]
    assert tok.vocab_size == 13


def test_tokenize_pads_with_zero_and_wraps_start_end(tok):
    ids = tok(["A dog sleeps.", "zebra"])
    assert ids.dtype == tf.int32
    np.testing.assert_array_equal(ids.numpy(), [[2, 6, 4, 7, 5, 3], [2, 1, 3, 0, 0, 0]])


def test_detokenize_round_trip_and_stops_at_end(tok):
    text = tok.detokenize(tok(["A dog sleeps.", "The dog sleeps!"]))
    assert text.numpy().tolist() == [b"A dog sleeps.", b"The dog sleeps!"]
    # Decoder output: [END] then padding / garbage after it.
    assert tok.detokenize([[2, 6, 4, 3, 4, 0], [4, 12, 3, 0, 0, 0]]).numpy().tolist() == [
        b"A dog",
        b"dog runs",
    ]


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


def test_edge_cases_have_defined_ids():
    tok = WordTokenizer(["a", "dog", ".", "😀", "собака", "\ufffd"], ragged=True)
    texts = ["", "\t \n", "a 😀dog", "dog собака 狗", b"dog \xff\xfe", "a " * 5000]
    ids = tok(texts).to_list()
    assert ids[:5] == [
        [2, 3],
        [2, 3],
        [2, 4, 7, 5, 3],  # emoji is a word of its own
        [2, 5, 8, 1, 3],  # mixed scripts split on whitespace, unknown → [UNK]
        [2, 5, 9, 9, 3],  # each invalid byte → U+FFFD (a symbol word)
    ]
    assert ids[5] == [2] + [4] * 5000 + [3]
    assert tok.detokenize(tok(texts[2:4])).numpy().tolist() == [
        "a 😀 dog".encode(),
        "dog собака [UNK]".encode(),
    ]


@pytest.mark.parametrize(
    "language,text",
    [
        ("de", "Ein Mann sagt: „Hallo!“"),
        ("fr", "Un homme dit : « Bonjour » !"),
        ("es", "¿Dónde está el perro?"),
    ],
)
def test_language_joining(language, text):
    tok = WordTokenizer.train([text], language=language)
    assert tok.detokenize(tok([text])).numpy()[0].decode() == text


def test_language_none_and_no_punctuation_split():
    tok = WordTokenizer.train(["a, b."], language=None)
    assert tok.detokenize(tok(["a, b."])).numpy().tolist() == [b"a , b ."]
    tok = WordTokenizer.train(["a, b."], split_punctuation=False)
    assert tok.vocabulary[4:] == ["a,", "b."]
    with pytest.raises(ValueError, match="Received: language='klingon'"):
        WordTokenizer(language="klingon")
    with pytest.raises(ValueError, match="Received: split_punctuation='yes'"):
        WordTokenizer(split_punctuation="yes")


def test_lowercase():
    tok = WordTokenizer.train(["The Dog"], lowercase=True)
    assert tok.vocabulary[4:] == ["dog", "the"]
    assert tok(["THE DOG"]).numpy().tolist() == [[2, 5, 4, 3]]


_ANY_BYTES_TOK = WordTokenizer(["a", "dog", "."])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=30), min_size=1, max_size=4))
def test_arbitrary_bytes_never_crash(texts):
    ids = _ANY_BYTES_TOK(tf.constant(texts, dtype=tf.string)).numpy()
    for row in ids:
        n = int((row != 0).sum())
        assert row[0] == 2 and row[n - 1] == 3 and (row[n:] == 0).all()
        assert ((row[1 : n - 1] == 1) | (row[1 : n - 1] >= 4)).all()
    text = _ANY_BYTES_TOK.detokenize(ids).numpy()
    assert text.shape == (len(texts),)
