"""Synthetic seq2seq tasks, deterministic by seed."""

import datetime

import numpy as np


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (value < minimum):
        raise ValueError(f"`{name}` must be an int >= {minimum}. Received: {name}={value!r}")


def reverse_symbols(vocab_size=20):
    """The symbols of the `reverse` task: `"a"`, ..., `"z"`, `"aa"`, `"ab"`, ...

    Args:
        vocab_size: number of symbols.

    Returns:
        `list` of `vocab_size` distinct lowercase strings.
    """
    _check_count("vocab_size", vocab_size, 1)
    symbols = []
    for i in range(vocab_size):
        name = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            name = chr(ord("a") + r) + name
        symbols.append(name)
    return symbols


def reverse(n, seed=0, min_length=8, max_length=12, vocab_size=20):
    """Copy-reverse task: a random symbol sequence and the same reversed.

    >>> reverse(1, seed=0)  # (["l e d ..."], ["... d e l"])

    Args:
        n: number of pairs.
        seed: random seed; the same arguments always give the same pairs.
        min_length: shortest sequence (in symbols).
        max_length: longest sequence (in symbols).
        vocab_size: number of distinct symbols (`reverse_symbols(vocab_size)`).

    Returns:
        `(sources, targets)`: two lists of `n` strings of space-separated
        symbols, `targets[i]` being `sources[i]` reversed.
    """
    _check_count("n", n, 0)
    _check_count("min_length", min_length, 1)
    _check_count("max_length", max_length, 1)
    if max_length < min_length:
        raise ValueError(
            "`max_length` must be >= `min_length`. "
            f"Received: min_length={min_length}, max_length={max_length}"
        )
    symbols = np.array(reverse_symbols(vocab_size), dtype=object)
    rng = np.random.default_rng(seed)
    sources, targets = [], []
    for _ in range(n):
        length = int(rng.integers(min_length, max_length + 1))
        sequence = list(symbols[rng.integers(0, vocab_size, size=length)])
        sources.append(" ".join(sequence))
        targets.append(" ".join(reversed(sequence)))
    return sources, targets


_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
_WEEKDAYS = {  # Monday first, as datetime.date.weekday()
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
}


def _fields(d):
    """Format fields of a `datetime.date` in every language."""
    fields = {
        "d": d.day,
        "dd": f"{d.day:02d}",
        "mm": f"{d.month:02d}",
        "m": d.month,
        "yyyy": d.year,
        "yy": f"{d.year % 100:02d}",
    }
    for lang in _MONTHS:
        fields[f"month_{lang}"] = _MONTHS[lang][d.month - 1]
        fields[f"weekday_{lang}"] = _WEEKDAYS[lang][d.weekday()]
    fields["mon"] = _MONTHS["en"][d.month - 1][:3].lower()
    fields["Mon"] = _MONTHS["en"][d.month - 1][:3]
    fields["d_fr"] = "1er" if d.day == 1 else str(d.day)
    return fields


# Name → format string; every one names day, month and year unambiguously
# (numeric formats are always day first; two-digit years mean 1950-2049).
DATE_FORMATS = {
    "en_long": "{weekday_en} {d} {month_en} {yyyy}",  # Tuesday 25 January 2005
    "en_us": "{month_en} {d}, {yyyy}",  # January 25, 2005
    "en_short": "{mon} {d}, {yyyy}",  # jan 25, 2005
    "en_day_first": "{d} {Mon} {yyyy}",  # 25 Jan 2005
    "numeric_yy": "{dd}/{mm}/{yy}",  # 25/01/05
    "numeric_slash": "{d}/{m}/{yyyy}",  # 25/1/2005
    "fr_long": "{weekday_fr} {d} {month_fr} {yyyy}",  # mardi 25 janvier 2005
    "fr": "le {d_fr} {month_fr} {yyyy}",  # le 1er mars 2005
    "de_long": "{weekday_de}, {d}. {month_de} {yyyy}",  # Dienstag, 25. Januar 2005
    "de_numeric": "{dd}.{mm}.{yyyy}",  # 25.01.2005
    "es_long": "{weekday_es} {d} de {month_es} de {yyyy}",  # martes 25 de enero de 2005
    "es": "{d} de {month_es} de {yyyy}",  # 25 de enero de 2005
}


def format_date(date, format_name):
    """Writes `date` (a `datetime.date`) in the format `DATE_FORMATS[format_name]`."""
    if format_name not in DATE_FORMATS:
        raise ValueError(
            f"`format_name` must be one of {sorted(DATE_FORMATS)}. Received: format_name={format_name!r}"
        )
    return DATE_FORMATS[format_name].format(**_fields(date))


def dates(n, seed=0, formats=None):
    """Date normalization task: a human-written date → its ISO form.

    Dates are uniform over 1950-01-01 .. 2049-12-31 (weekday names are
    right), each written in a format drawn uniformly from `formats`:
    English, French, German and Spanish words, or day-first numbers.

    >>> dates(2, seed=0)
    (['miércoles 24 de enero de 2035', 'Sunday 11 February 2001'],
     ['2035-01-24', '2001-02-11'])

    Args:
        n: number of pairs.
        seed: random seed; the same arguments always give the same pairs.
        formats: names of `DATE_FORMATS` to draw from; `None` = all.

    Returns:
        `(sources, targets)`: lists of `n` strings; `targets[i]` is
        `YYYY-MM-DD`.
    """
    _check_count("n", n, 0)
    names = sorted(DATE_FORMATS) if formats is None else list(formats)
    if not names:
        raise ValueError(f"`formats` must not be empty. Received: formats={formats!r}")
    for name in names:
        if name not in DATE_FORMATS:
            raise ValueError(
                f"Unknown date format. Expected one of {sorted(DATE_FORMATS)}. Received: formats={formats!r}"
            )
    first = datetime.date(1950, 1, 1)
    span = (datetime.date(2049, 12, 31) - first).days + 1
    rng = np.random.default_rng(seed)
    sources, targets = [], []
    for _ in range(n):
        date = first + datetime.timedelta(days=int(rng.integers(0, span)))
        sources.append(format_date(date, names[int(rng.integers(0, len(names)))]))
        targets.append(date.isoformat())
    return sources, targets
