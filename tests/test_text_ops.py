"""Tests for keras_s2s.text.text_ops (normalization, splitting, joining)."""

import pytest
import tensorflow as tf

from keras_s2s.text import text_ops


def _strings(t):
    return [s.decode("utf-8") for s in t.numpy().tolist()]


def test_normalize_nfkc_whitespace_lowercase_and_bad_bytes():
    texts = tf.constant(["  Ｆｕｌｌ\u00a0width\t\n ", "ÄÖÜ Straße", b"ok\xff\xfe", "", " \u3000 "])
    assert _strings(text_ops.normalize_text(texts)) == ["Full width", "ÄÖÜ Straße", "ok\ufffd\ufffd", "", ""]
    assert _strings(text_ops.normalize_text(texts, lowercase=True))[:2] == ["full width", "äöü straße"]
    # NFC keeps full-width letters, None keeps everything but whitespace.
    assert _strings(text_ops.normalize_text(texts[:1], "NFC")) == ["Ｆｕｌｌ width"]


def test_split_words_isolates_punctuation_symbols_and_emoji():
    words = text_ops.split_words(tf.constant(["l'homme, 3.5$ 😀ok", ""]))
    assert words.to_list() == [[b"l", b"'", b"homme", b",", b"3", b".", b"5", b"$", "😀".encode(), b"ok"], []]
    words = text_ops.split_words(tf.constant(["l'homme, ok"]), split_punctuation=False)
    assert words.to_list() == [[b"l'homme,", b"ok"]]


@pytest.mark.parametrize(
    "language,text",
    [
        ("en", 'A man (in blue) says: "Hi!" It\'s 3.5 km, at 10:30; 50% off?'),
        ("en", "A T-shirt, 25/01/05 and $5... ok."),
        ("en", "J.P. Morgan, e.g. the U.S.A. and me."),
        ("de", "Er sagt: „Hallo“ und trägt ein „Giants“-Trikot."),
        ("fr", "Il dit : « Bonjour » ! L'homme a 50 % ; vraiment ? Oui."),
        ("es", "¿Qué tal? ¡Muy bien!"),
    ],
)
def test_join_undoes_split_for_language(language, text):
    words = text_ops.split_words(tf.constant([text]))
    assert _strings(text_ops.join_tokens(words, language)) == [text]


def test_join_language_none_and_suffix_pieces():
    tokens = tf.ragged.constant([["un", "##believ", "##able", "!"], [], ["a"]])
    assert _strings(text_ops.join_tokens(tokens, None, "##")) == ["unbelievable !", "", "a"]
    assert _strings(text_ops.join_tokens(tokens, "en", "##")) == ["unbelievable!", "", "a"]


def test_join_quotes_alternate_within_each_row():
    tokens = tf.ragged.constant([['"', "a", '"'], ["b", '"', "c", '"', "d"]])
    assert _strings(text_ops.join_tokens(tokens, "en")) == ['"a"', 'b "c" d']


def test_join_initials_do_not_see_the_next_rows_suffix_piece():
    batch = tf.ragged.constant([["a", ".", "b"], ["##s"]])
    alone = tf.ragged.constant([["a", ".", "b"]])
    joined = _strings(text_ops.join_tokens(batch, "en", suffix_indicator="##"))
    assert joined[0] == _strings(text_ops.join_tokens(alone, "en", suffix_indicator="##"))[0]
    assert joined == ["a.b", "s"]


def test_join_digit_separator_does_not_leak_across_rows():
    tokens = tf.ragged.constant([["5"], [":", "30"]])
    assert _strings(text_ops.join_tokens(tokens, "fr")) == ["5", ": 30"]


@pytest.mark.parametrize(
    "language,text,joined",
    [
        ("en", "plan a. b", "plan a.b"),
        ("en", "now ... what", "now... what"),
        ("en", "a 4' wall", "a 4'wall"),
        ("de", "Obst- und Gemüse", "Obst-und Gemüse"),
    ],
)
def test_join_documented_ambiguities(language, text, joined):
    words = text_ops.split_words(tf.constant([text]))
    assert _strings(text_ops.join_tokens(words, language)) == [joined]
