"""Tests for keras_s2s.data.loaders."""

import gzip
import zipfile

import pytest
from shared_data import ANKI

from keras_s2s.data import load_parallel, load_tsv, read_lines, split_pairs
from keras_s2s.data.loaders import CorpusEncodingError


def test_load_parallel_plain_and_gzip(tmp_path):
    src = tmp_path / "a.de"
    src.write_bytes("Ein Hund.\r\n\nZwei\u2028Katzen\n".encode())
    tgt = tmp_path / "a.en.gz"
    tgt.write_bytes(gzip.compress(b"A dog.\n\nTwo cats"))
    assert load_parallel(src, tgt) == (["Ein Hund.", "", "Zwei\u2028Katzen"], ["A dog.", "", "Two cats"])


def test_gzip_detected_by_content_and_bad_bytes_named_or_replaced_on_request(tmp_path):
    path = tmp_path / "no_suffix"
    path.write_bytes(gzip.compress(b"ok\n\xff bad\n"))
    with pytest.raises(CorpusEncodingError) as info:
        read_lines(path)  # U+FFFD never slips into a vocabulary unasked
    assert str(info.value).startswith(
        f"{path} is not valid UTF-8: line 2, byte offset 3 (byte 0 of the line): ff"
    )
    assert "--encoding-errors replace" in str(info.value)
    assert read_lines(path, errors="replace") == ["ok", "\ufffd bad"]


def test_bad_encoding_errors_value_is_named(tmp_path):
    (tmp_path / "a.txt").write_text("x\n")
    with pytest.raises(ValueError, match="Received: errors='ignore'"):
        read_lines(tmp_path / "a.txt", errors="ignore")


def test_load_parallel_unequal_counts_names_files_and_counts(tmp_path):
    (tmp_path / "s.txt").write_text("a\nb\nc\n")
    (tmp_path / "t.txt").write_text("x\ny\n")
    with pytest.raises(ValueError) as info:
        load_parallel(tmp_path / "s.txt", tmp_path / "t.txt")
    message = str(info.value)
    assert "s.txt' with 3 lines" in message and "t.txt' with 2 lines" in message


def test_load_parallel_missing_file(tmp_path):
    (tmp_path / "s.txt").write_text("a\n")
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        load_parallel(tmp_path / "s.txt", tmp_path / "nope.txt")
    with pytest.raises(IsADirectoryError, match="got a directory"):
        load_parallel(tmp_path / "s.txt", tmp_path)


def test_load_tsv_ignores_extra_columns_and_blank_lines(tmp_path):
    path = tmp_path / "spa.txt"
    path.write_text("Go.\tVe.\tCC-BY 2.0 (France)\n\nHi.\tHola.\n")
    assert load_tsv(path) == (["Go.", "Hi."], ["Ve.", "Hola."])


def test_load_tsv_zip_member_choice(tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x/_about.txt", "about")
        archive.writestr("x/a.txt", "One.\tUno.\n")
    assert load_tsv(path) == (["One."], ["Uno."])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("x/b.txt", "Two.\tDos.\n")
    with pytest.raises(ValueError, match="pass `member=`"):
        load_tsv(path)
    assert load_tsv(path, member="x/b.txt") == (["Two."], ["Dos."])
    with pytest.raises(ValueError, match="Received: member='x/c.txt'"):
        load_tsv(path, member="x/c.txt")


def test_load_tsv_line_without_tab(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("Go.\tVe.\nno tab here\n")
    with pytest.raises(ValueError, match="line 2 of .*bad.tsv.*'no tab here'"):
        load_tsv(path)


@pytest.mark.skipif(not ANKI.is_file(), reason=f"Anki spa-eng.zip not found at {ANKI}")
def test_load_anki_spa_eng():
    english, spanish = load_tsv(ANKI)
    assert len(english) == len(spanish) == 118964
    assert (english[0], spanish[0]) == ("Go.", "Ve.")


def test_split_pairs_is_seeded_disjoint_and_complete():
    sources = [f"s{i}" for i in range(100)]
    targets = [f"t{i}" for i in range(100)]
    train, val, test = split_pairs(sources, targets, val=0.1, test=5, seed=7)
    assert (len(train[0]), len(val[0]), len(test[0])) == (85, 10, 5)
    assert sorted(train[0] + val[0] + test[0]) == sorted(sources)
    for part in (train, val, test):
        assert [s[1:] for s in part[0]] == [t[1:] for t in part[1]]  # aligned
    assert split_pairs(sources, targets, val=0.1, test=5, seed=7) == (train, val, test)
    assert split_pairs(sources, targets, val=0.1, test=5, seed=8)[1] != val


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"val": 1.5}, r"Received: val=1.5"),
        ({"test": -2}, r"Received: test=-2"),
        ({"val": 6, "test": 5}, r"exceed the 10 pairs"),
        ({"val": "10%"}, r"Received: val='10%'"),
    ],
)
def test_split_pairs_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        split_pairs(list("abcdefghij"), list("abcdefghij"), **kwargs)


def test_split_pairs_unequal_lengths():
    with pytest.raises(ValueError, match=r"len\(sources\)=2, len\(targets\)=1"):
        split_pairs(["a", "b"], ["x"])
