"""Tests for keras_s2s.text.CharTokenizer."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keras_s2s.data import dates
from keras_s2s.text import CharTokenizer


def test_train_counts_characters_space_included():
    tok = CharTokenizer.train(["ab a", "b"])
    assert tok.vocabulary == ["[PAD]", "[UNK]", "[START]", "[END]", "a", "b", " "]
    assert tok(["ba  ab", "c"]).numpy().tolist() == [[2, 5, 4, 6, 4, 5, 3], [2, 1, 3, 0, 0, 0, 0]]


def test_edge_cases():
    tok = CharTokenizer(["a", " ", "é", "😀", "\ufffd"], ragged=True)
    texts = ["", " \t\n", "e\u0301", "😀a", "👍🏽", b"a\xff", "a" * 3000]
    ids = tok(texts).to_list()
    assert ids[:6] == [
        [2, 3],
        [2, 3],
        [2, 6, 3],  # NFKC composes e + combining acute into é
        [2, 7, 4, 3],  # emoji: one code point, one id
        [2, 1, 1, 3],  # thumbs up + skin tone: two code points, unknown
        [2, 4, 8, 3],  # invalid byte → U+FFFD (in this vocabulary)
    ]
    assert len(ids[6]) == 3002
    assert tok.detokenize(tok(texts[:4])).numpy().tolist() == [b"", b"", "é".encode(), "😀a".encode()]


def test_dates_round_trip_and_mixed_scripts():
    sources, targets = dates(300, seed=1)
    tok = CharTokenizer.train(sources + targets + ["Привет 世界"])
    texts = sources + targets + ["Привет 世界"]
    assert tok.detokenize(tok(texts)).numpy().tolist() == [t.encode() for t in texts]


def test_max_length_and_lowercase():
    tok = CharTokenizer(["a", "b"], lowercase=True, max_length=4)
    assert tok(["ABBA", "B"]).numpy().tolist() == [[2, 4, 5, 3], [2, 5, 3, 0]]


def test_vocab_size_and_min_frequency():
    assert CharTokenizer.train(["aaab b"], vocab_size=6).vocabulary[4:] == ["a", "b"]
    assert CharTokenizer.train(["aaab b"], min_frequency=3).vocabulary[4:] == ["a"]
    with pytest.raises(ValueError, match="Received: vocab_size=3"):
        CharTokenizer.train(["a"], vocab_size=3)


_ROUND_TRIP_TOK = CharTokenizer(["a", "b", "é", " "])


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abé \t\n\u00a0", max_size=40))
def test_round_trip_property(text):
    ids = _ROUND_TRIP_TOK([text]).numpy()[0]
    assert ids[0] == 2 and ids[-1] == 3 and (ids[1:-1] >= 4).all()
    back = _ROUND_TRIP_TOK.detokenize(ids).numpy().decode()
    assert back == " ".join(text.split())  # whitespace runs → one space, stripped
