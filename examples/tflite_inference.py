"""Run an exported LiteRT model the way a mobile app would: no TensorFlow.

    keras-s2s export --model runs/my_model --format litert --output model/m.tflite
    python examples/tflite_inference.py model/m.tflite "ein hund läuft"

Only `ai_edge_litert` and numpy. The files written beside `m.tflite` are
all this needs: `m.source_vocab.txt` / `m.target_vocab.txt` (one token a
line, the line number is the id) and `m.json` (the tokenizers' settings).
`Tokenizer` re-implements the keras_s2s tokenizers (`keras_s2s.text`) in
plain Python, rule for rule, so it gives the same ids and the same text:

- normalize: Unicode normalization (NFKC by default), optional lowercasing,
  every run of whitespace (ASCII `\\t\\n\\v\\f\\r `, Unicode `Z*`) becomes one
  space, leading and trailing spaces are removed;
- split (word, subword): on spaces, and every punctuation or symbol
  character (Unicode categories `P*` and `S*`) is a word of its own;
  WordPiece then splits a word longest piece first (`##` marks a piece that
  continues a word); a word that cannot be built from the pieces, or longer
  than `max_bytes_per_word` UTF-8 bytes, is one [UNK]; char: one id per
  code point (TensorFlow's lowercasing and TF-Text's splitting also drop
  everything from a NUL character on; so does this);
- join (detokenize): the `language` rules of `keras_s2s/text/text_ops.py`.

Python's `unicodedata` (Unicode 14.0 in Python 3.11) is older than the
tables inside TensorFlow, so characters assigned after 2021 can be
classified differently; every character of Multi30k agrees (tested).
"""

import argparse
import json
import os
import re
import unicodedata

import numpy as np
from ai_edge_litert.interpreter import Interpreter

PAD, UNK, START, END = 0, 1, 2, 3
UNK_TOKEN = "[UNK]"
SUFFIX_INDICATOR = "##"

# RE2's `[[:space:]\p{Z}]` (keras_s2s.text.text_ops.WHITESPACE_REGEX).
_WHITESPACE = "\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WHITESPACE_RUN = re.compile(f"[{_WHITESPACE}]+")
_DIGITS = frozenset("0123456789")  # RE2's [0-9]: ASCII digits only

# Joining rules (keras_s2s.text.text_ops): no space after `open`, none
# before `close`; `_JOIN_BOTH` joins both sides; straight quotes alternate.
_COMMON_OPEN = "([{¿¡$£#"
_EN_CLOSE = ".,!?;:)]}%…"
_LANGUAGES = {
    "en": {"open": _COMMON_OPEN + "“‘", "close": _EN_CLOSE + "”"},
    "es": {"open": _COMMON_OPEN + "“‘", "close": _EN_CLOSE + "”"},
    "de": {"open": _COMMON_OPEN + "„‚", "close": _EN_CLOSE + "“‘"},
    "fr": {"open": _COMMON_OPEN + "“‘", "close": ".,)]}…”"},
}
_JOIN_BOTH = "'’-/"
_DIGIT_SEPARATORS = ".,:"
_TOGGLE_QUOTE = '"'
TOKENIZERS = ("SubwordTokenizer", "WordTokenizer", "CharTokenizer")


def read_vocabulary(path):
    """Reads a keras_s2s vocabulary file.

    Split on `"\\n"` only: `str.splitlines()` would also split on U+2028 and
    other characters that can be tokens.

    Args:
        path: the vocabulary file (UTF-8, one token a line).

    Returns:
        A list of tokens; the index is the id.
    """
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def normalize(text, normalization="NFKC", lowercase=False):
    """`BaseTokenizer.normalize` in plain Python.

    Args:
        text: `str`, or UTF-8 `bytes` (invalid bytes become U+FFFD).
        normalization: `"NFKC"`, `"NFC"`, `"NFKD"`, `"NFD"` or None.
        lowercase: lowercase (full Unicode case mapping).

    Returns:
        The normalized `str`.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if normalization:
        text = unicodedata.normalize(normalization, text)
    if lowercase:  # TensorFlow's lowercasing ends the string at a NUL character
        text = text.split("\x00", 1)[0].lower()
    return _WHITESPACE_RUN.sub(" ", text).strip(" ")


def is_punctuation(char):
    """Whether `char` is in RE2's `[\\p{P}\\p{S}]` (split off as a word)."""
    return unicodedata.category(char)[0] in "PS"


def split_words(text, split_punctuation=True):
    """`text_ops.split_words` for one normalized string.

    Args:
        text: a normalized `str`.
        split_punctuation: make every punctuation / symbol character a word.

    Returns:
        A list of words (never empty strings).
    """
    text = text.split("\x00", 1)[0]  # TF-Text's regex_split stops at a NUL character
    if not split_punctuation:
        return [word for word in _WHITESPACE_RUN.split(text) if word]
    words, word = [], []
    for char in text:
        if _WHITESPACE_RUN.fullmatch(char) or is_punctuation(char):
            if word:
                words.append("".join(word))
                word = []
            if not _WHITESPACE_RUN.fullmatch(char):
                words.append(char)
        else:
            word.append(char)
    if word:
        words.append("".join(word))
    return words


def join_tokens(tokens, language="en", suffix_indicator=None):
    """`text_ops.join_tokens` for one sequence of token strings.

    Args:
        tokens: list of `str` (special tokens already removed).
        language: `"en"`, `"de"`, `"fr"`, `"es"` or None (single spaces).
        suffix_indicator: `"##"` for subword tokens, None for words.

    Returns:
        The joined `str`.
    """
    n = len(tokens)
    is_suffix = [
        bool(suffix_indicator) and t.startswith(suffix_indicator) and len(t) > len(suffix_indicator)
        for t in tokens
    ]
    text = [t[len(suffix_indicator) :] if s else t for t, s in zip(tokens, is_suffix)]
    attach = list(is_suffix)
    if language is not None:
        rules = _LANGUAGES[language]
        is_open = [len(t) == 1 and t in rules["open"] for t in tokens]
        is_close = [len(t) == 1 and t in rules["close"] for t in tokens]
        is_both = [len(t) == 1 and t in _JOIN_BOTH for t in tokens]
        quotes = 0
        opening_quote, closing_quote = [False] * n, [False] * n
        for i, t in enumerate(tokens):
            if t == _TOGGLE_QUOTE:
                quotes += 1
                opening_quote[i], closing_quote[i] = quotes % 2 == 1, quotes % 2 == 0
        ends_digit = [t[-1:] in _DIGITS for t in tokens]
        starts_digit = [t[:1] in _DIGITS for t in tokens]
        digit_sep = [
            len(t) == 1
            and t in _DIGIT_SEPARATORS
            and 0 < i < n - 1
            and ends_digit[i - 1]
            and starts_digit[i + 1]
            for i, t in enumerate(tokens)
        ]
        # A single letter that is a whole word (not followed by a ## piece).
        letter = [
            len(t) == 1 and unicodedata.category(t)[0] == "L" and not (i + 1 < n and is_suffix[i + 1])
            for i, t in enumerate(tokens)
        ]
        initial_sep = [
            t == "." and 0 < i < n - 1 and letter[i - 1] and letter[i + 1] for i, t in enumerate(tokens)
        ]
        for i in range(n):
            after_previous = i > 0 and (
                is_open[i - 1]
                or is_both[i - 1]
                or opening_quote[i - 1]
                or digit_sep[i - 1]
                or initial_sep[i - 1]
            )
            attach[i] = (
                attach[i] or is_close[i] or is_both[i] or closing_quote[i] or (digit_sep[i] or after_previous)
            )
    return "".join(("" if i == 0 or attach[i] else " ") + t for i, t in enumerate(text))


class Tokenizer:
    """A keras_s2s tokenizer (`SubwordTokenizer`, `WordTokenizer`, `CharTokenizer`) in plain Python.

    Args:
        vocabulary: list of tokens (the id is the index), special tokens first.
        class_name: the keras_s2s tokenizer class the settings come from.
        lowercase, normalization, max_length: as the keras_s2s tokenizer.
        language, max_bytes_per_word, split_punctuation: as the keras_s2s
            tokenizer (where the class has them).
        **ignored: other settings of the exported config (`ragged`, ...).
    """

    def __init__(
        self,
        vocabulary,
        class_name="SubwordTokenizer",
        lowercase=False,
        normalization="NFKC",
        max_length=None,
        language="en",
        max_bytes_per_word=100,
        split_punctuation=True,
        **ignored,
    ):
        if class_name not in TOKENIZERS:
            raise ValueError(f"`class_name` must be one of {TOKENIZERS}. Received: class_name={class_name!r}")
        self.tokens = list(vocabulary)
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.class_name = class_name
        self.lowercase = lowercase
        self.normalization = normalization
        self.max_length = max_length
        self.language = language
        self.max_bytes_per_word = max_bytes_per_word
        self.split_punctuation = split_punctuation

    @classmethod
    def from_export(cls, vocabulary_path, settings):
        """A tokenizer from an exported vocabulary file and its `<stem>.json` settings.

        Args:
            vocabulary_path: `<stem>.source_vocab.txt` or `<stem>.target_vocab.txt`.
            settings: `meta["source_tokenizer"]` or `meta["target_tokenizer"]`.

        Returns:
            A `Tokenizer`.
        """
        return cls(read_vocabulary(vocabulary_path), **settings)

    def encode(self, sentence):
        """Text → ids `[START] ... [END]`, as `tok([sentence])[0]` (unpadded).

        Args:
            sentence: `str` (or UTF-8 `bytes`).

        Returns:
            A list of int ids.
        """
        text = normalize(sentence, self.normalization, self.lowercase)
        if self.class_name == "CharTokenizer":
            ids = [self.ids.get(char, UNK) for char in text]
        elif self.class_name == "WordTokenizer":
            ids = [self.ids.get(w, UNK) for w in split_words(text, self.split_punctuation)]
        else:
            ids = [i for word in split_words(text) for i in self._wordpiece(word)]
        if self.max_length is not None:
            ids = ids[: self.max_length - 2]
        return [START] + ids + [END]

    def _wordpiece(self, word):
        """WordPiece, longest piece first (what `FastWordpieceTokenizer` computes)."""
        if len(word.encode("utf-8")) > self.max_bytes_per_word:
            return [UNK]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else SUFFIX_INDICATOR + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    start = end
                    break
            else:
                return [UNK]  # one piece is missing: the whole word is unknown
        return pieces

    def decode(self, ids):
        """Ids → text, as `tok.detokenize(ids)`.

        Stops at the first [END], skips [PAD] and [START], writes [UNK] (and
        any id outside the vocabulary) as `[UNK]`, then joins the tokens with
        the tokenizer's rule.

        Args:
            ids: a sequence of int ids (one row of `target_ids`).

        Returns:
            The text as `str`.
        """
        tokens = []
        for i in (int(i) for i in ids):
            if i == END:
                break
            if i not in (PAD, START):
                tokens.append(self.tokens[i] if 0 <= i < len(self.tokens) else UNK_TOKEN)
        if self.class_name == "CharTokenizer":
            return "".join(tokens)
        suffix = SUFFIX_INDICATOR if self.class_name == "SubwordTokenizer" else None
        return join_tokens(tokens, self.language, suffix)


class LiteRTModel:
    """The `translate_ids` signature of a `.tflite` file, safe to call forever.

    The LiteRT interpreter keeps the text of every failed call and puts all
    of it in the next error (a 67-character error had grown to 20,100
    characters at the 300th failure). After a failed call this runner drops
    the interpreter and loads a fresh one on the next call, so every error
    names only its own failure.

    Args:
        model_path: the `.tflite` file.
        num_threads: interpreter threads (None: LiteRT's default).
    """

    def __init__(self, model_path, num_threads=None):
        self.model_path = os.fspath(model_path)
        self.num_threads = num_threads
        self._runner = None

    def _load(self):
        interpreter = Interpreter(model_path=self.model_path, num_threads=self.num_threads)
        return interpreter.get_signature_runner("translate_ids")

    def __call__(self, source_ids):
        """Runs `translate_ids`.

        Args:
            source_ids: int ids `(B, S)`, rows 0-padded, each `[START] ... [END]`.

        Returns:
            A dict of numpy arrays: `target_ids` `(B, L)`, `score` `(B,)`,
            `attention` `(B, L, S)`.

        Raises:
            RuntimeError: the interpreter failed on this input (e.g. width 0);
                the message holds this failure only.
        """
        source_ids = np.asarray(source_ids, np.int32)
        if self._runner is None:
            self._runner = self._load()
        try:
            return self._runner(source_ids=source_ids)
        except RuntimeError as error:
            self._runner = None  # its error history would grow with every failure
            raise RuntimeError(
                f"LiteRT translate_ids failed on source_ids of shape {source_ids.shape}: {error}"
            ) from None


def export_files(model_path):
    """The vocabulary and settings files of an exported model.

    Looks for `<stem>.source_vocab.txt` / `<stem>.target_vocab.txt` (the names
    keras_s2s writes) and falls back to `source_vocab.txt` /
    `target_vocab.txt` in the same folder (the names of older exports).

    Args:
        model_path: the `.tflite` file.

    Returns:
        `(source_vocab_path, target_vocab_path, metadata_path)`.

    Raises:
        FileNotFoundError: naming the first missing file.
    """
    stem = os.path.splitext(os.path.abspath(os.fspath(model_path)))[0]
    directory = os.path.dirname(stem)
    found = []
    for side in ("source", "target"):
        candidates = [f"{stem}.{side}_vocab.txt", os.path.join(directory, f"{side}_vocab.txt")]
        path = next((p for p in candidates if os.path.isfile(p)), None)
        if path is None:
            raise FileNotFoundError(
                f"{candidates[0]} not found (the {side} vocabulary written beside the model)"
            )
        found.append(path)
    metadata = stem + ".json"
    if not os.path.isfile(metadata):
        raise FileNotFoundError(f"{metadata} not found (the settings written beside the model)")
    return found[0], found[1], metadata


def load(model_path):
    """Loads an exported model and its tokenizers.

    Args:
        model_path: the `.tflite` file.

    Returns:
        `(model, source_tokenizer, target_tokenizer)`: a `LiteRTModel` and two
        `Tokenizer`s.
    """
    source_path, target_path, metadata_path = export_files(model_path)
    with open(metadata_path, encoding="utf-8") as f:
        meta = json.load(f)
    source = Tokenizer.from_export(source_path, meta["source_tokenizer"])
    target = Tokenizer.from_export(target_path, meta["target_tokenizer"])
    return LiteRTModel(model_path), source, target


def translate(model_path, sentences):
    """Translates `sentences` one at a time, as an app would.

    Args:
        model_path: the `.tflite` file.
        sentences: list of `str`.

    Returns:
        A list of `(translation, score)` pairs.
    """
    model, source, target = load(model_path)
    results = []
    for sentence in sentences:
        out = model(np.array([source.encode(sentence)], np.int32))
        results.append((target.decode(out["target_ids"][0]), float(out["score"][0])))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("sentences", nargs="+")
    args = parser.parse_args(argv)
    for sentence, (translation, score) in zip(args.sentences, translate(args.model, args.sentences)):
        print(f"{sentence}\n  -> {translation}  (score {score:.3f})")


if __name__ == "__main__":
    main()
