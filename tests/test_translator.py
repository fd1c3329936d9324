import numpy as np
import pytest

import keras_s2s
from keras_s2s import data
from keras_s2s.decoding import BeamSearch


@pytest.fixture(scope="module")
def pieces(trained_reverse):
    return trained_reverse


def test_translates_strings_to_strings(pieces):
    translator = keras_s2s.Translator(*pieces, strategy="greedy")
    sources, targets = data.reverse(30, seed=5)
    translations = translator(sources)
    assert isinstance(translations, list) and len(translations) == 30
    assert all(isinstance(t, str) for t in translations)
    no_q = [i for i, t in enumerate(targets) if "q" not in t]
    assert np.mean([translations[i] == targets[i] for i in no_q]) > 0.5


def test_translate_returns_aligned_tokens_scores_and_attention(pieces):
    translator = keras_s2s.Translator(*pieces, strategy="beam")
    sources, _ = data.reverse(5, seed=6)
    result = translator.translate(sources)
    for i, source in enumerate(sources):
        src_tokens, tgt_tokens = result["source_tokens"][i], result["target_tokens"][i]
        assert src_tokens == ["[START]", *source.split(), "[END]"]
        assert tgt_tokens[-1] == "[END]"
        assert result["attention"][i].shape == (len(tgt_tokens), len(src_tokens))
        np.testing.assert_allclose(result["attention"][i].sum(-1), 1.0, atol=1e-5)
        assert isinstance(result["score"][i], float) and result["score"][i] <= 0
        expected = " ".join(t for t in tgt_tokens if t != "[END]")
        assert result["translation"][i] == expected


def test_n_best_lists(pieces):
    translator = keras_s2s.Translator(*pieces, strategy=BeamSearch(4, num_return_sequences=3))
    result = translator.translate(["a b c d e f g h"])
    assert len(result["translation"][0]) == 3 and len(result["score"][0]) == 3
    assert result["score"][0] == sorted(result["score"][0], reverse=True)


def test_replace_unknown_copies_the_attended_source_token(pieces):
    sources, targets = data.reverse(200, seed=8)
    with_q = [i for i, t in enumerate(targets) if "q" in t][:20]
    sources = [sources[i] for i in with_q]
    targets = [targets[i] for i in with_q]
    plain = keras_s2s.Translator(*pieces, strategy="greedy")(sources)
    replaced = keras_s2s.Translator(*pieces, strategy="greedy", replace_unknown=True)(sources)
    assert np.mean(["[UNK]" in p for p in plain]) >= 0.8  # "q" is not in the target vocabulary
    assert sum("[UNK]" in r for r in replaced) == 0
    assert (
        np.mean([r == t for r, t in zip(replaced, targets)])
        > np.mean([p == t for p, t in zip(plain, targets)]) + 0.3
    )


def test_empty_list_gives_empty_result(pieces):
    translator = keras_s2s.Translator(*pieces)
    assert translator([]) == []
    assert translator.translate([])["attention"] == []


def test_bad_input_is_rejected(pieces):
    model, src, tgt = pieces
    translator = keras_s2s.Translator(model, src, tgt)
    with pytest.raises(ValueError, match="not a single string"):
        translator("a b c")
    with pytest.raises(ValueError, match=r"texts\[1\]=3"):
        translator(["a b", 3])
    with pytest.raises(ValueError, match=r"`texts\[1\]` is not valid UTF-8: byte 2 is b'\\xff'"):
        translator([b"a b", b"a \xff b"])
    with pytest.raises(ValueError, match=r"`texts\[0\]` is not valid UTF-8: character 2"):
        translator([b"a \xff b".decode("utf-8", "surrogateescape")])
    with pytest.raises(ValueError, match="max_length=True"):
        keras_s2s.Translator(model, src, tgt, max_length=True)
    with pytest.raises(ValueError, match="batch_size=True"):
        keras_s2s.Translator(model, src, tgt, batch_size=True)
    with pytest.raises(ValueError, match="max_length=0"):
        keras_s2s.Translator(model, src, tgt, max_length=0)
    with pytest.raises(ValueError, match="beam_size=0"):
        keras_s2s.Translator(model, src, tgt, strategy=BeamSearch(beam_size=0))
    with pytest.raises(ValueError, match="does not fit"):
        keras_s2s.Translator(model, tgt, keras_s2s.text.WordTokenizer(vocabulary=[str(i) for i in range(99)]))


def test_odd_inputs_never_fail_the_batch(pieces):
    translator = keras_s2s.Translator(*pieces, strategy="greedy")
    odd = ["", "   ", "😀 émoji 中文", "a " * 3000, "é".encode()]
    translations = translator(odd)
    assert len(translations) == len(odd) and all(isinstance(t, str) for t in translations)
    # bytes that are not UTF-8 are named, not translated into noise
    with pytest.raises(ValueError, match=r"`texts\[5\]` is not valid UTF-8"):
        translator(odd + [b"\xff\xfe bad bytes"])


def test_plot_attention_writes_a_png(pieces, tmp_path):
    translator = keras_s2s.Translator(*pieces, strategy="greedy")
    result = translator.translate(["a b c d e f g h i"])
    path = keras_s2s.plot_attention(result, tmp_path / "sub" / "attention.png")
    content = (tmp_path / "sub" / "attention.png").read_bytes()
    assert content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) > 5000
    assert str(path).endswith("attention.png")
    assert list((tmp_path / "sub").iterdir()) == [tmp_path / "sub" / "attention.png"]
    with pytest.raises(ValueError, match="without"):
        keras_s2s.plot_attention({"attention": []}, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"ending in .png. Received: path='.*a.txt'"):
        keras_s2s.plot_attention(result, tmp_path / "a.txt")
    assert not (tmp_path / "a.txt").exists()
    assert translator(iter(["a b c", "b c d"])) == translator(["a b c", "b c d"])  # any iterable of texts
