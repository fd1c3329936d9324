"""Tests for keras_s2s.text.vocabulary (special tokens, files, counting)."""

import collections
import os

import pytest
import tensorflow as tf

from keras_s2s.text import vocabulary as v


def test_special_tokens_and_ids():
    assert v.SPECIAL_TOKENS == ("[PAD]", "[UNK]", "[START]", "[END]")
    assert (v.PAD_ID, v.UNK_ID, v.START_ID, v.END_ID) == (0, 1, 2, 3)


def test_validate_prepends_specials_and_decodes_bytes():
    assert v.validate_vocabulary([b"a", "b"]) == ["[PAD]", "[UNK]", "[START]", "[END]", "a", "b"]
    full = list(v.SPECIAL_TOKENS) + ["x"]
    assert v.validate_vocabulary(full) == full


@pytest.mark.parametrize(
    "vocab,message",
    [
        (["a", "a"], "duplicate token='a' at index 5"),
        (["a", "[END]"], r"duplicate token='\[END\]' at index 5"),
        (["a", ""], "token='' at index 5"),
        (["a\nb"], "token='a\\\\nb' at index 4"),
        ([3], "Received: token=3"),
    ],
)
def test_validate_rejects_bad_tokens(vocab, message):
    with pytest.raises(ValueError, match=message):
        v.validate_vocabulary(vocab)


def test_write_read_round_trip_keeps_space_token(tmp_path):
    vocab = list(v.SPECIAL_TOKENS) + [" ", "é", "##ing", "😀"]
    path = tmp_path / "sub" / "vocab.txt"
    v.write_vocabulary(vocab, path)
    assert path.read_bytes() == "\n".join(vocab).encode() + b"\n"
    assert v.read_vocabulary(path) == vocab
    # Atomic: no temporary file left behind.
    assert os.listdir(path.parent) == ["vocab.txt"]


def test_read_missing_or_empty_file(tmp_path):
    with pytest.raises(ValueError, match="not found. Received: path="):
        v.read_vocabulary(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="empty"):
        v.read_vocabulary(tmp_path / "empty.txt")


def test_text_batches_accepts_lists_and_datasets():
    batches = list(v.text_batches(["a", "b", "c"], batch_size=2))
    assert [b.numpy().tolist() for b in batches] == [[b"a", b"b"], [b"c"]]
    ds = tf.data.Dataset.from_tensor_slices(["a", "b", "c"])
    assert sum(int(tf.size(b)) for b in v.text_batches(ds)) == 3
    assert sum(int(tf.size(b)) for b in v.text_batches(ds.batch(2))) == 3


def test_text_batches_rejects_single_string_and_tuple_dataset():
    with pytest.raises(ValueError, match="not a single string"):
        list(v.text_batches("hello"))
    ds = tf.data.Dataset.from_tensor_slices((["a"], ["b"]))
    with pytest.raises(ValueError, match="element_spec"):
        list(v.text_batches(ds))


def test_vocabulary_from_counts_order_cut_and_min_frequency():
    counts = collections.Counter({"b": 3, "a": 3, "c": 1, "[UNK]": 9})
    assert v.vocabulary_from_counts(counts) == list(v.SPECIAL_TOKENS) + ["a", "b", "c"]
    assert v.vocabulary_from_counts(counts, vocab_size=5)[4:] == ["a"]
    assert v.vocabulary_from_counts(counts, min_frequency=2)[4:] == ["a", "b"]
