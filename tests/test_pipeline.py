"""Tests for keras_s2s.data.make_dataset and padding_fraction."""

import numpy as np
import pytest
import tensorflow as tf
from shared_data import MULTI30K, needs_multi30k

from keras_s2s.data import DEFAULT_BUCKET_BOUNDARIES, make_dataset, multi30k, padding_fraction
from keras_s2s.text import WordTokenizer

SYMBOLS = [f"w{i}" for i in range(10)]


def variable_length_pairs(n=600, seed=0):
    """Sentences of 1..40 words; the target is the source reversed."""
    rng = np.random.default_rng(seed)
    sources = [" ".join(rng.choice(SYMBOLS, size=rng.integers(1, 41))) for _ in range(n)]
    return sources, [" ".join(s.split()[::-1]) for s in sources]


@pytest.fixture(scope="module")
def tok():
    return WordTokenizer(SYMBOLS)  # w0 → 4, ..., w9 → 13


def test_exact_batch_without_shuffle_or_buckets(tok):
    ds = make_dataset(
        ["w0 w1", "w2"], ["w3", "w4 w5 w6"], tok, tok, batch_size=2, shuffle=False, bucket_by_length=False
    )
    spec = ds.element_spec
    assert spec[0]["source_ids"].dtype == spec[0]["target_ids"].dtype == spec[1].dtype == tf.int32
    assert spec[1].shape.as_list() == [None, None]
    ((inputs, target_out),) = list(ds)
    assert inputs["source_ids"].numpy().tolist() == [[2, 4, 5, 3], [2, 6, 3, 0]]
    assert inputs["target_ids"].numpy().tolist() == [[2, 7, 0, 0], [2, 8, 9, 10]]
    assert target_out.numpy().tolist() == [[7, 3, 0, 0], [8, 9, 10, 3]]


def test_every_pair_once_and_teacher_forcing_shift(tok):
    sources, targets = variable_length_pairs()
    ds = make_dataset(sources, targets, tok, tok, batch_size=32, seed=1)
    seen = []
    for inputs, target_out in ds:
        t_in, t_out = inputs["target_ids"].numpy(), target_out.numpy()
        assert t_in.shape == t_out.shape and (t_in[:, 0] == 2).all()
        lengths = (t_out != 0).sum(axis=1)
        assert (t_out[np.arange(len(t_out)), lengths - 1] == 3).all()  # ends with [END]
        shifted = t_in[:, 1:] != 0  # target_ids[1:] == target_out_ids[:-1]
        np.testing.assert_array_equal(t_in[:, 1:][shifted], t_out[:, :-1][shifted])
        seen += [tuple(r[r > 0]) for r in inputs["source_ids"].numpy()]
    expected = [tuple(r[r > 0]) for r in tok(sources).numpy()]
    assert sorted(seen) == sorted(expected)


def test_bucketing_lowers_padding(tok):
    sources, targets = variable_length_pairs()
    plain = make_dataset(sources, targets, tok, tok, batch_size=32, seed=0, bucket_by_length=False)
    bucketed = make_dataset(sources, targets, tok, tok, batch_size=32, seed=0)
    assert padding_fraction(plain) > 0.3
    assert padding_fraction(bucketed) < 0.1
    for inputs, target_out in bucketed:  # every batch comes from one bucket
        lengths = np.maximum(
            (inputs["source_ids"].numpy() != 0).sum(axis=1), (target_out.numpy() != 0).sum(axis=1)
        )
        buckets = np.searchsorted(DEFAULT_BUCKET_BOUNDARIES, lengths, side="right")
        assert len(set(buckets.tolist())) == 1


def test_length_filtering(tok):
    sources, targets = variable_length_pairs()
    ds = make_dataset(sources, targets, tok, tok, max_source_length=12, max_target_length=10)
    kept = sum(int(tf.shape(y)[0]) for _, y in ds)
    assert kept == sum(len(s.split()) + 2 <= 10 for s in sources)
    for inputs, target_out in ds:
        assert inputs["source_ids"].shape[1] <= 12 and target_out.shape[1] <= 9


def test_shuffle_is_seeded_and_reshuffles_each_epoch(tok):
    sources, targets = variable_length_pairs(200)
    first = lambda ds: next(iter(ds))[0]["source_ids"].numpy().tolist()  # noqa: E731
    ds = make_dataset(sources, targets, tok, tok, batch_size=8, seed=3, bucket_by_length=False)
    again = make_dataset(sources, targets, tok, tok, batch_size=8, seed=3, bucket_by_length=False)
    assert first(ds) == first(again)
    assert first(ds) != first(ds)  # a new order every epoch
    ordered = make_dataset(sources, targets, tok, tok, batch_size=8, shuffle=False, bucket_by_length=False)
    np.testing.assert_array_equal(next(iter(ordered))[0]["source_ids"], tok(sources[:8]))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"target_texts": ["a"]}, r"len\(source_texts\)=2, len\(target_texts\)=1"),
        ({"batch_size": 0}, "Received: batch_size=0"),
        ({"max_source_length": -1}, "Received: max_source_length=-1"),
        ({"bucket_boundaries": [8, 8]}, r"Received: bucket_boundaries=\[8, 8\]"),
        ({"source_texts": "w0 w1"}, "not a single string"),
    ],
)
def test_bad_arguments(tok, kwargs, message):
    args = {
        "source_texts": ["w0", "w1"],
        "target_texts": ["w1", "w0"],
        "source_tokenizer": tok,
        "target_tokenizer": tok,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        make_dataset(**args)


@needs_multi30k
def test_multi30k_val_bucketing_halves_padding():
    de, en = multi30k("val", data_dir=MULTI30K)
    src = WordTokenizer.train(de, language="de")
    tgt = WordTokenizer.train(en)
    plain = padding_fraction(make_dataset(de, en, src, tgt, seed=0, bucket_by_length=False))
    bucketed = padding_fraction(make_dataset(de, en, src, tgt, seed=0))
    assert plain > 0.4 and bucketed < 0.2 and bucketed < plain / 2
