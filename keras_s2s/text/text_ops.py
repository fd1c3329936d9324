"""Graph-mode string operations shared by the tokenizers.

Everything here uses TensorFlow and TensorFlow-Text ops only (no
`tf.py_function`), so it traces into `tf.data` pipelines, `tf.function`s and
SavedModels that stock TF Serving runs.

Normalization (`normalize_text`):
1. bytes that are not valid UTF-8 are replaced by U+FFFD (never an error);
2. Unicode normalization (`"NFKC"` by default, `None` to skip);
3. optional lowercasing (full Unicode, `tf.strings.lower(encoding="utf-8")`);
4. every run of whitespace (ASCII and Unicode separators) becomes one space,
   leading and trailing whitespace is removed.

Joining (`join_tokens`) undoes word and punctuation splitting "the way the
language writes it". For every language: a suffix piece (`##ing`) attaches to
the piece before it; `.`, `,` and `:` between two digits join both sides
(`3.5`, `10:30`); `.` between single letters joins both sides (`J.P.`,
`e.g.`); `'`, `’`, `-` and `/` join both sides (`l'homme`,
`T-shirt`, `25/01/05`); straight double quotes alternate opening / closing.
Then, per language:

| language | no space before | no space after |
|---|---|---|
| `"en"`, `"es"` | `. , ! ? ; : ) ] } % …` `”` | `( [ { ¿ ¡ $ £ #` `“ ‘` |
| `"de"` | `. , ! ? ; : ) ] } % …` `“ ‘` | `( [ { ¿ ¡ $ £ #` `„ ‚` |
| `"fr"` | `. , ) ] } …` `”` | `( [ { ¿ ¡ $ £ #` `“ ‘` |

French keeps the space before `! ? ; : %` and inside `« »`, as French
typography does. `language=None` joins every token with one space (suffix
pieces still attach).
"""

import re

import tensorflow as tf
import tensorflow_text as tf_text

WHITESPACE_REGEX = r"[[:space:]\p{Z}]+"
PUNCTUATION_REGEX = r"[\p{P}\p{S}]"
NORMALIZATION_FORMS = ("NFC", "NFKC", "NFD", "NFKD")

_COMMON_OPEN = "([{¿¡$£#"
_EN_CLOSE = ".,!?;:)]}%…"
_LANGUAGES = {
    "en": {"open": _COMMON_OPEN + "“‘", "close": _EN_CLOSE + "”"},
    "es": {"open": _COMMON_OPEN + "“‘", "close": _EN_CLOSE + "”"},
    "de": {"open": _COMMON_OPEN + "„‚", "close": _EN_CLOSE + "“‘"},
    "fr": {"open": _COMMON_OPEN + "“‘", "close": ".,)]}…”"},
}
LANGUAGES = tuple(sorted(_LANGUAGES))
_JOIN_BOTH = "'’-/"
_DIGIT_SEPARATORS = ".,:"
_TOGGLE_QUOTES = '"'


def _char_class(chars):
    return "[" + "".join(re.escape(c) for c in chars) + "]"


def normalize_text(texts, normalization="NFKC", lowercase=False):
    """Normalizes a string tensor (see the module docstring for the steps).

    Args:
        texts: `tf.string` tensor of any shape.
        normalization: one of `"NFC"`, `"NFKC"`, `"NFD"`, `"NFKD"` or `None`.
        lowercase: whether to lowercase.

    Returns:
        A `tf.string` tensor of the same shape.
    """
    texts = tf.strings.unicode_transcode(texts, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD)
    if normalization:
        texts = tf_text.normalize_utf8(texts, normalization)
    if lowercase:
        texts = tf.strings.lower(texts, encoding="utf-8")
    texts = tf.strings.regex_replace(texts, WHITESPACE_REGEX, " ")
    return tf.strings.strip(texts)


def split_words(texts, split_punctuation=True):
    """Splits normalized text on whitespace and, optionally, punctuation.

    Every punctuation or symbol character (Unicode classes P and S, which
    include emoji) becomes a word of its own.

    Args:
        texts: `tf.string` tensor of shape `(B,)`.
        split_punctuation: whether punctuation and symbols are split off.

    Returns:
        `tf.RaggedTensor` of strings, shape `(B, None)`.
    """
    if split_punctuation:
        return tf_text.regex_split(texts, WHITESPACE_REGEX + "|" + PUNCTUATION_REGEX, PUNCTUATION_REGEX)
    return tf_text.regex_split(texts, WHITESPACE_REGEX)


def _shift(x, k):
    """`y[i] = x[i - k]` with `False` for `i < k` (1-D boolean)."""
    return tf.concat([tf.zeros([k], tf.bool), x], axis=0)[: tf.size(x)]


def _match(strings, pattern):
    return tf.strings.regex_full_match(strings, "(?s)" + pattern)


def join_tokens(tokens, language="en", suffix_indicator=None):
    """Joins token strings into text, undoing word and punctuation splitting.

    Args:
        tokens: `tf.RaggedTensor` of strings, shape `(B, None)`.
        language: a key of `LANGUAGES` or `None` (plain single spaces).
        suffix_indicator: prefix that marks a subword continuation (`"##"`),
            or `None` when tokens are whole words.

    Returns:
        `tf.string` tensor of shape `(B,)`.
    """
    flat = tokens.flat_values
    row_ids = tokens.value_rowids()
    starts = tokens.row_starts()
    position = tf.range(tf.size(flat, out_type=tf.int64)) - tf.gather(starts, row_ids)
    is_first = tf.equal(position, 0)
    attach = tf.zeros_like(is_first)
    text = flat
    if suffix_indicator:
        prefix = re.escape(suffix_indicator)
        is_suffix = _match(flat, prefix + ".+")
        text = tf.where(is_suffix, tf.strings.regex_replace(flat, "^" + prefix, ""), flat)
        attach = attach | is_suffix
    if language is not None:
        rules = _LANGUAGES[language]
        is_open = _match(flat, _char_class(rules["open"]))
        is_close = _match(flat, _char_class(rules["close"]))
        is_both = _match(flat, _char_class(_JOIN_BOTH))
        # Straight quotes: odd occurrences in a row open, even ones close.
        is_quote = _match(flat, _char_class(_TOGGLE_QUOTES))
        quote_count = tf.cumsum(tf.cast(is_quote, tf.int64))
        before_row = tf.gather(tf.concat([[0], quote_count], 0), starts)
        nth_quote = quote_count - tf.gather(before_row, row_ids)
        opening_quote = is_quote & tf.equal(nth_quote % 2, 1)
        closing_quote = is_quote & tf.equal(nth_quote % 2, 0)
        # Separators between digits: 3.5, 1,000, 10:30.
        is_sep = _match(flat, _char_class(_DIGIT_SEPARATORS))
        ends_digit = _match(flat, ".*[0-9]")
        starts_digit = _match(flat, "[0-9].*")
        next_starts_digit = tf.concat([starts_digit[1:], [False]], 0)
        row_length = tf.gather(tokens.row_lengths(), row_ids)
        has_next = position + 1 < row_length
        digit_sep = is_sep & ~is_first & _shift(ends_digit, 1) & next_starts_digit & has_next
        # Initials: a period between single-letter words (J.P., U.S.A., e.g.).
        letter = _match(flat, r"\p{L}")
        if suffix_indicator:  # a letter followed by a piece of its word is no initial
            letter = letter & ~(tf.concat([is_suffix[1:], [False]], 0) & has_next)
        next_letter = tf.concat([letter[1:], [False]], 0)
        initial_sep = _match(flat, r"\.") & ~is_first & _shift(letter, 1) & next_letter & has_next
        attach = attach | (
            is_close
            | is_both
            | closing_quote
            | digit_sep
            | _shift(is_open | is_both | opening_quote | digit_sep | initial_sep, 1)
        )
    separator = tf.where(is_first | attach, "", " ")
    pieces = tf.strings.join([separator, text])
    return tf.strings.unsorted_segment_join(pieces, row_ids, num_segments=tokens.nrows())
