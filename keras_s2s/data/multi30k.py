"""The Multi30k (task 1) English-German-French-Czech image-caption corpus."""

import os

import keras

from keras_s2s.data.loaders import load_parallel

BASE_URL = "https://github.com/multi30k/dataset/raw/master/data/task1/raw/"
SPLITS = {"train": "train", "val": "val", "test": "test_2016_flickr"}
FILE_STEMS = (
    "train",
    "val",
    "test_2016_flickr",
    "test_2017_flickr",
    "test_2017_mscoco",
    "test_2018_flickr",
)
LANGUAGES = ("en", "de", "fr", "cs")
ENV_VAR = "KERAS_S2S_DATA"
#: SHA-256 of the files of splits train/val/test in en/de/fr, checked by
#: `get_file` on download (computed from copies of BASE_URL's files). Other
#: files (Czech, the 2017/2018 tests) download unchecked.
SHA256 = {
    "train.en.gz": "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
    "train.de.gz": "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
    "train.fr.gz": "622e75069e9f4c577425c4f277116ce66e63a2401c0a2312d90073cb12379a3c",
    "val.en.gz": "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
    "val.de.gz": "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
    "val.fr.gz": "ca3106f1a72390591d25f6c45cb4cd39dec4cd3f123e099748a3ce5256c160e9",
    "test_2016_flickr.en.gz": "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
    "test_2016_flickr.de.gz": "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
    "test_2016_flickr.fr.gz": "6d326e188d259fb1d04ac19eae3af956559b3a0b93d7635e56c90987c40c8b90",
}


def multi30k_dir(data_dir=None):
    """The folder `multi30k` reads from.

    Args:
        data_dir: a folder holding the Multi30k files, or a data root with an
            existing `multi30k/` subfolder. `None`: `$KERAS_S2S_DATA/multi30k`
            if the variable (a data root) is set, else the Keras datasets folder
            `$KERAS_HOME/datasets/multi30k` (`~/.keras/datasets/multi30k`).

    Returns:
        The folder as a `str` (it may not exist yet).
    """
    if data_dir is None:
        root = os.environ.get(ENV_VAR)
        if root:  # a data root: always its multi30k/ subfolder
            return os.path.join(os.path.abspath(os.path.expanduser(root)), "multi30k")
        keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
        return os.path.join(keras_home, "datasets", "multi30k")
    data_dir = os.path.abspath(os.path.expanduser(os.fspath(data_dir)))
    nested = os.path.join(data_dir, "multi30k")
    return nested if os.path.isdir(nested) else data_dir


def _file(directory, stem, language):
    """Path of `<stem>.<language>.gz`, downloaded with `get_file` if missing."""
    fname = f"{stem}.{language}.gz"
    path = os.path.join(directory, fname)
    if os.path.isfile(path):
        return path
    return keras.utils.get_file(
        fname=fname,
        origin=BASE_URL + fname,
        cache_subdir=directory,
        file_hash=SHA256.get(fname),
        hash_algorithm="sha256",
    )


def multi30k(split, source="de", target="en", data_dir=None):
    """Loads a split of Multi30k task 1 (Elliott et al. 2016) as sentence pairs.

    Files `<stem>.<lang>.gz` are read from `multi30k_dir(data_dir)`; a missing
    file is downloaded there from the official repository (GitHub
    multi30k/dataset, `data/task1/raw/`) with `keras.utils.get_file`.
    Sentences are raw (cased, untokenized); terms: non-commercial research
    and educational use (derived from Flickr30K).

    >>> de, en = multi30k("train")  # 29,000 pairs
    >>> de, en = multi30k("test", data_dir="../shared/data")  # 1,000 pairs

    Args:
        split: `"train"` (29,000 pairs), `"val"` (1,014), `"test"` (= the
            `"test_2016_flickr"` file, 1,000) or a file stem of `FILE_STEMS`.
        source: source language, one of `"en"`, `"de"`, `"fr"`, `"cs"`.
        target: target language, different from `source`.
        data_dir: see `multi30k_dir`.

    Returns:
        `(sources, targets)`: two lists of `str` of equal length.
    """
    stem = SPLITS.get(split, split)
    if stem not in FILE_STEMS:
        raise ValueError(
            f"`split` must be one of {sorted(SPLITS)} or {FILE_STEMS}. Received: split={split!r}"
        )
    for name, language in (("source", source), ("target", target)):
        if language not in LANGUAGES:
            raise ValueError(f"`{name}` must be one of {LANGUAGES}. Received: {name}={language!r}")
    if source == target:
        raise ValueError(f"`source` and `target` must differ. Received: source={source!r}, target={target!r}")
    directory = multi30k_dir(data_dir)
    return load_parallel(_file(directory, stem, source), _file(directory, stem, target))
