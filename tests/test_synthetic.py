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
    assert reverse(1, seed=0, min_length=3, max_length=3, vocab_size=5) == (["e d c"], ["c d e"])


def test_reverse_bad_args():
    with pytest.raises(ValueError, match="Received: n=-1"):
        reverse(-1)
    with pytest.raises(ValueError, match="min_length=5, max_length=4"):
        reverse(3, min_length=5, max_length=4)


def test_dates_exact_values_and_determinism():
    from keras_s2s.data import dates

    assert dates(2, seed=0) == (
        ["miércoles 24 de enero de 2035", "Sunday 11 February 2001"],
        ["2035-01-24", "2001-02-11"],
    )
    assert dates(100, seed=5) == dates(100, seed=5)
    sources, targets = dates(2000, seed=1)
    assert all(len(t) == 10 and t[4] == t[7] == "-" for t in targets)
    assert all("1950-01-01" <= t <= "2049-12-31" for t in targets)


def test_dates_every_format_matches_the_issue_examples():
    import datetime

    from keras_s2s.data import DATE_FORMATS, format_date

    day = datetime.date(2005, 1, 25)
    written = {name: format_date(day, name) for name in DATE_FORMATS}
    assert written == {
        "en_long": "Tuesday 25 January 2005",
        "en_us": "January 25, 2005",
        "en_short": "jan 25, 2005",
        "en_day_first": "25 Jan 2005",
        "numeric_yy": "25/01/05",
        "numeric_slash": "25/1/2005",
        "fr_long": "mardi 25 janvier 2005",
        "fr": "le 25 janvier 2005",
        "de_long": "Dienstag, 25. Januar 2005",
        "de_numeric": "25.01.2005",
        "es_long": "martes 25 de enero de 2005",
        "es": "25 de enero de 2005",
    }
    assert format_date(datetime.date(1999, 3, 1), "fr") == "le 1er mars 1999"


def test_dates_format_subset_and_errors():
    from keras_s2s.data import dates

    sources, targets = dates(20, seed=2, formats=["numeric_yy"])
    for s, t in zip(sources, targets):
        assert s == f"{t[8:]}/{t[5:7]}/{t[2:4]}"
    with pytest.raises(ValueError, match="Received: formats=\\['iso'\\]"):
        dates(3, formats=["iso"])
    with pytest.raises(ValueError, match="Received: n=2.5"):
        dates(2.5)
