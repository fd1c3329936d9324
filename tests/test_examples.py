"""Each example runs at a tiny setting (smoke tests)."""

import gzip
import importlib.util
import pathlib
import shutil

import numpy as np
import pytest
from conftest import REPO
from shared_data import MULTI30K, needs_multi30k

import keras_s2s


def _load(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_multi30k
@pytest.mark.slow  # over 40 s on 2 cores; `make test-slow` runs it
def test_train_translation_quick(tmp_path):
    translator = _load("train_translation").main(
        ["--quick", "--data-dir", str(MULTI30K), "--save", str(tmp_path / "m.keras")]
    )
    assert len(translator(["ein hund läuft."])) == 1
    assert (tmp_path / "m.keras").exists()


def test_date_normalization_quick(tmp_path):
    result = _load("date_normalization").main(["--quick", "--plot", str(tmp_path / "a.png")])
    assert len(result["translation"]) == 4
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"


def test_custom_model_functional_api_quick_learns():
    result = _load("custom_model_functional_api").main(["--quick"])
    assert result["losses"][-1] < 0.3 * result["losses"][0], result
    # 20 symbols: chance is ~0.05 per position. 16 epochs: exact match 1.00 / 0.78 / 0.92 /
    # 0.98 for seeds 0-3 (10 epochs gave 0.0-0.86: attention starts from ~1e-9 gradients).
    assert result["token_accuracy"] > 0.8, result
    assert result["exact_match"] > 0.5, result


@pytest.fixture(scope="module")
def reverse_tflite(trained_reverse, tmp_path_factory):
    """The reverse model exported for beam search: (translator, .tflite path)."""
    translator = keras_s2s.Translator(*trained_reverse, strategy="beam")
    return translator, translator.export_litert(tmp_path_factory.mktemp("lite") / "reverse.tflite")


def test_tflite_inference_matches_the_translator(reverse_tflite):
    translator, path = reverse_tflite
    sentences = keras_s2s.data.reverse(8, seed=77)[0]
    results = _load("tflite_inference").translate(path, sentences)
    assert [t for t, _ in results] == translator(sentences)
    assert all(np.isfinite(s) for _, s in results)


def test_tflite_inference_finds_the_vocabularies_by_the_old_names_too(reverse_tflite, tmp_path):
    translator, path = reverse_tflite
    example = _load("tflite_inference")
    folder = pathlib.Path(path).parent
    shutil.copy(path, tmp_path / "reverse.tflite")
    shutil.copy(folder / "reverse.json", tmp_path / "reverse.json")
    for side in ("source", "target"):  # as exports wrote them before the per-model names
        shutil.copy(folder / f"reverse.{side}_vocab.txt", tmp_path / f"{side}_vocab.txt")
    sentences = keras_s2s.data.reverse(3, seed=5)[0]
    assert [t for t, _ in example.translate(tmp_path / "reverse.tflite", sentences)] == translator(sentences)
    (tmp_path / "target_vocab.txt").unlink()
    with pytest.raises(FileNotFoundError, match="reverse.target_vocab.txt"):
        example.translate(tmp_path / "reverse.tflite", sentences)


def test_tflite_inference_runner_does_not_keep_the_error_history(reverse_tflite):
    translator, path = reverse_tflite
    model = _load("tflite_inference").LiteRTModel(path)
    messages = []
    for _ in range(4):
        with pytest.raises(RuntimeError, match=r"shape \(1, 0\)") as error:
            model(np.zeros((1, 0), np.int32))  # width 0: the interpreter fails
        messages.append(str(error.value))
    # A kept interpreter would repeat every earlier failure in each message.
    assert len(set(messages)) == 1, [len(m) for m in messages]
    assert messages[0].count("failed to prepare") == 1
    ids = translator.source_tokenizer(["a b c"]).numpy()
    expected = translator.model.generate(ids, translator.strategy)["ids"].numpy()[0]
    got = model(ids)["target_ids"][0]
    np.testing.assert_array_equal(got, expected[: len(got)])


# Hand-written: punctuation of every joining rule, umlauts, digits, quotes.
HAND_WRITTEN = {
    "de": [
        "Ein Hund läuft über die Straße.",
        "Zwei Männer (25 und 30 Jahre alt) spielen Fußball!",
        "„Schön“, sagt sie: Um 10:30 Uhr kostet es 3,50 €?",
        "Der Preis: 1.000 € – z.B. für Ärzte, Öfen & Übungen.",
        "Ein Mädchen im T-Shirt isst 2 Äpfel; ‚Ja‘ ruft er...",
    ],
    "en": [
        "A dog runs across the street.",
        "Two men (aged 25 and 30) play soccer!",
        '"Nice," she says: at 10:30 it costs $3.50?',
        "J.P. Morgan's T-shirt, e.g. 1,000 items / 50% off…",
        "A girl's café – “naïve” and ‘fun’; 2 people [left].",
    ],
    "fr": [
        "Un chien court dans la rue.",
        "Deux hommes (25 et 30 ans) jouent au football !",
        "« C'est beau », dit-elle : à 10:30 ça coûte 3,50 € ?",
        "L'élève a 1.000 livres ; où est l'hôpital ?",
        "Une fille âgée de 12 ans — 25/01/05 — mange.",
    ],
}


def _settings(tokenizer):
    """What the exporter writes to `<stem>.json` for a tokenizer."""
    config = tokenizer.get_config()
    skip = ("vocabulary", "name", "trainable", "dtype")
    return {"class_name": type(tokenizer).__name__, **{k: v for k, v in config.items() if k not in skip}}


def _assert_same_as_the_tokenizer(tokenizer, sentences, random_rows=200):
    """The example's plain-Python twin gives the tokenizer's ids and strings."""
    twin = _load("tflite_inference").Tokenizer(tokenizer.vocabulary, **_settings(tokenizer))
    ids = tokenizer(sentences).numpy()
    texts = [t.decode("utf-8") for t in tokenizer.detokenize(ids).numpy()]
    for sentence, row, text in zip(sentences, ids, texts):
        assert twin.encode(sentence) == [int(i) for i in row if i != 0], sentence
        assert twin.decode(row) == text, sentence
    # Arbitrary id sequences (as a decoder may produce them), out-of-range ids included.
    rows = np.random.default_rng(0).integers(-2, tokenizer.vocab_size + 3, size=(random_rows, 12))
    texts = [t.decode("utf-8") for t in tokenizer.detokenize(rows).numpy()]
    for row, text in zip(rows, texts):
        assert twin.decode(row) == text, [int(i) for i in row]


@pytest.mark.parametrize("language", sorted(HAND_WRITTEN))
@pytest.mark.parametrize("lowercase", [False, True])
def test_tflite_inference_tokenizes_hand_written_sentences_like_keras_s2s(language, lowercase):
    sentences = HAND_WRITTEN[language]
    odd = sentences + ["", "  Ｆｕｌｌ\u00a0width\u3000ﬁ ½ ²  ", "😀 İstanbul ΣΑΣ", "über" * 30, "a\x00b c"]
    for tokenizer in (
        keras_s2s.text.SubwordTokenizer.train(
            sentences[:3], vocab_size=120, lowercase=lowercase, language=language
        ),
        keras_s2s.text.WordTokenizer.train(sentences[:3], lowercase=lowercase, language=language),
        keras_s2s.text.WordTokenizer.train(sentences[:3], split_punctuation=False, max_length=6),
        keras_s2s.text.CharTokenizer.train(sentences[:3], lowercase=lowercase, normalization="NFC"),
    ):
        _assert_same_as_the_tokenizer(tokenizer, odd)


def test_tflite_inference_joins_every_punctuation_rule_like_keras_s2s():
    # Every token the joining rules know, in random orders, for every language.
    example = _load("tflite_inference")
    pool = list(".,:;!?()[]{}¿¡$£#“”‘’„‚'-/%…\"«»") + [
        "a",
        "J",
        "é",
        "1",
        "25",
        "x1",
        "1x",
        "hund",
        "läuft",
        "##s",
        "##5",
        "##a",
        "Straße",
    ]
    rows = [[pool[i] for i in row] for row in np.random.default_rng(3).integers(0, len(pool), size=(300, 10))]
    for language in ("en", "de", "fr", "es", None):
        tokenizer = keras_s2s.text.SubwordTokenizer(vocabulary=pool, language=language)
        batch = [t.decode("utf-8") for t in tokenizer.tokens_to_text(rows).numpy()]
        for k, tokens in enumerate(rows):
            expected = batch[k]
            if k + 1 < len(rows) and rows[k + 1][0].startswith("##"):
                # In a batch, `text_ops.join_tokens` lets the next row's first
                # token change this row's initials rule: join it alone.
                expected = tokenizer.tokens_to_text([tokens]).numpy()[0].decode("utf-8")
            assert example.join_tokens(tokens, language, "##") == expected, (language, tokens)


def _read_gz(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


@needs_multi30k
@pytest.mark.parametrize("language", ["de", "en"])
def test_tflite_inference_tokenizes_multi30k_like_keras_s2s(language):
    train, val, test = (
        _read_gz(MULTI30K / f"{split}.{language}.gz") for split in ("train", "val", "test_2016_flickr")
    )
    # val + test2016, plus the unseen training sentences with digits or rarer
    # punctuation (val alone has a single German sentence with a digit).
    rare = [s for s in train[3000:] if any(c.isdigit() or c in '"()!?;:' for c in s)]
    sentences = val + test + rare
    assert sum(any(c.isdigit() for c in s) for s in sentences) > 150
    assert sum(any(c in '"()!?;:' for c in s) for s in sentences) > 100
    assert sum(any(c in ",.-'" for c in s) for s in sentences) > 1500
    if language == "de":
        assert sum(any(c in "äöüßÄÖÜ" for c in s) for s in sentences) > 1300
    subword = keras_s2s.text.SubwordTokenizer.train(train[:3000], vocab_size=2000, language=language)
    _assert_same_as_the_tokenizer(subword, sentences)
    word = keras_s2s.text.WordTokenizer.train(
        train[:3000], vocab_size=3000, lowercase=True, language=language
    )
    _assert_same_as_the_tokenizer(word, sentences)
