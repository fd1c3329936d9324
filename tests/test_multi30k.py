"""Tests for keras_s2s.data.multi30k (reads ../shared/data, never downloads)."""

import gzip
import os

import keras
import pytest
from shared_data import DATA, needs_multi30k

from keras_s2s.data import multi30k
from keras_s2s.data.multi30k import BASE_URL, SHA256, multi30k_dir


@pytest.fixture
def no_download(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError(f"unexpected download: {kwargs.get('origin')}")

    monkeypatch.setattr(keras.utils, "get_file", fail)


@needs_multi30k
@pytest.mark.parametrize(
    "split,size", [("train", 29000), ("val", 1014), ("test", 1000), ("test_2016_flickr", 1000)]
)
def test_split_sizes(split, size, no_download):
    de, en = multi30k(split, data_dir=DATA)
    assert len(de) == len(en) == size


@needs_multi30k
def test_first_pair_and_languages(no_download):
    de, en = multi30k("train", data_dir=DATA / "multi30k")
    assert de[0] == "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche."
    assert en[0] == "Two young, White males are outside near many bushes."
    fr, en2 = multi30k("val", source="fr", target="en", data_dir=DATA)
    assert fr[0].startswith("Un groupe d'hommes") and en2[0].startswith("A group of men")


@needs_multi30k
def test_env_var_is_used(monkeypatch, no_download):
    monkeypatch.setenv("KERAS_S2S_DATA", str(DATA))
    assert multi30k_dir() == str(DATA / "multi30k")
    assert len(multi30k("test")[0]) == 1000


def test_env_var_root_always_means_its_multi30k_subfolder(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_S2S_DATA", str(tmp_path))
    assert multi30k_dir() == str(tmp_path / "multi30k")  # even before it exists
    assert multi30k_dir(tmp_path) == str(tmp_path)  # explicit folder, no subfolder


def test_default_dir_is_keras_datasets(monkeypatch, tmp_path):
    monkeypatch.delenv("KERAS_S2S_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert multi30k_dir() == os.path.join(str(tmp_path), "datasets", "multi30k")


def test_missing_files_are_fetched_with_get_file(monkeypatch, tmp_path):
    calls = []

    def fake_get_file(fname, origin, cache_subdir, file_hash, hash_algorithm):
        calls.append((fname, origin, cache_subdir, file_hash, hash_algorithm))
        path = os.path.join(cache_subdir, fname)
        with open(path, "wb") as f:
            f.write(gzip.compress(f"{fname} line\n".encode()))
        return path

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    (tmp_path / "val.de.gz").write_bytes(gzip.compress(b"schon da\n"))
    assert multi30k("val", data_dir=tmp_path) == (["schon da"], ["val.en.gz line"])
    assert calls == [("val.en.gz", BASE_URL + "val.en.gz", str(tmp_path), SHA256["val.en.gz"], "sha256")]


@needs_multi30k
def test_the_hashes_are_those_of_the_real_files():
    import hashlib

    for name, digest in SHA256.items():
        assert hashlib.sha256((DATA / "multi30k" / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"split": "dev"}, "Received: split='dev'"),
        ({"split": "val", "source": "es"}, "Received: source='es'"),
        ({"split": "val", "source": "en", "target": "en"}, "source='en', target='en'"),
    ],
)
def test_bad_arguments(kwargs, message, no_download):
    with pytest.raises(ValueError, match=message):
        multi30k(**kwargs)
