"""LiteRT export: builtin ops only, and the same tokens as the SavedModel."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

import keras_s2s
from keras_s2s import data
from keras_s2s.decoding import BeamSearch

SENTENCES = data.reverse(50, seed=31)[0]


@pytest.fixture(scope="module", params=["greedy", "beam"])
def exported(request, trained_reverse, tmp_path_factory):
    strategy = "greedy" if request.param == "greedy" else BeamSearch(beam_size=4)
    translator = keras_s2s.Translator(*trained_reverse, strategy=strategy)
    root = tmp_path_factory.mktemp(request.param)
    tflite = translator.export_litert(root / "reverse.tflite")
    saved = translator.export_saved_model(root / "saved" / "1")
    return translator, root, tflite, saved


def _litert(path):
    return Interpreter(model_path=str(path))


def test_only_builtin_ops(exported):
    _, _, tflite, _ = exported
    ops = {op["op_name"] for op in _litert(tflite)._get_ops_details()}
    assert "WHILE" in ops
    assert not [op for op in ops if op.startswith("Flex") or op in ("CUSTOM", "DELEGATE")], ops


def test_same_tokens_as_the_saved_model_on_50_sentences(exported):
    translator, _, tflite, saved = exported
    source_ids = translator.source_tokenizer(SENTENCES).numpy()  # (50, S)
    runner = _litert(tflite).get_signature_runner("translate_ids")
    lite = runner(source_ids=source_ids)
    serving = tf.saved_model.load(saved).signatures["translate_ids"](source_ids=source_ids)
    np.testing.assert_array_equal(lite["target_ids"], serving["target_ids"])
    np.testing.assert_allclose(lite["score"], serving["score"], atol=1e-4)
    np.testing.assert_allclose(lite["attention"], serving["attention"], atol=1e-4)
    # One sentence at a time (as an app calls it) gives the same tokens too.
    for i in range(3):
        row = source_ids[i : i + 1, : int(np.sum(source_ids[i] != 0))]
        single = runner(source_ids=row)["target_ids"][0]
        np.testing.assert_array_equal(single, lite["target_ids"][i, : len(single)])


def test_signature_and_files_beside_the_model(exported):
    translator, root, tflite, _ = exported
    signature = _litert(tflite).get_signature_list()["translate_ids"]
    assert signature["inputs"] == ["source_ids"]
    assert sorted(signature["outputs"]) == ["attention", "score", "target_ids"]
    vocab = (root / "target_vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocab == translator.target_tokenizer.vocabulary
    assert (root / "source_vocab.txt").read_text(encoding="utf-8").splitlines()[:4] == [
        "[PAD]", "[UNK]", "[START]", "[END]"
    ]
    meta = json.loads((root / "reverse.json").read_text())
    assert meta["max_source_length"] == 128 and meta["max_target_length"] == 266
    # Shipped files are readable as the umask allows (not 0600 from a temporary file).
    mask = os.umask(0o022)
    os.umask(mask)
    for name in ("reverse.tflite", "reverse.json", "source_vocab.txt", "target_vocab.txt"):
        assert (root / name).stat().st_mode & 0o777 == 0o666 & ~mask, name


def test_plain_python_vocabulary_lookup_reproduces_the_translator(exported):
    translator, root, tflite, _ = exported
    vocab_in = {t: i for i, t in enumerate((root / "source_vocab.txt").read_text().splitlines())}
    vocab_out = (root / "target_vocab.txt").read_text().splitlines()
    runner = _litert(tflite).get_signature_runner("translate_ids")
    for sentence, expected in zip(SENTENCES[:5], translator(SENTENCES[:5])):
        ids = [2] + [vocab_in.get(w, 1) for w in sentence.split()] + [3]
        out = runner(source_ids=np.array([ids], np.int32))["target_ids"][0]
        words = []
        for i in out:  # up to [END]; [UNK] is written as such, like detokenize
            if i == 3:
                break
            words.append(vocab_out[i])
        assert " ".join(words) == expected


def test_quantized_variants_convert_and_mostly_agree(trained_reverse, tmp_path):
    translator = keras_s2s.Translator(*trained_reverse, strategy="greedy")
    source_ids = translator.source_tokenizer(SENTENCES[:20]).numpy()
    results, sizes = {}, {}
    for quantization in (None, "dynamic", "float16"):
        path = translator.export_litert(tmp_path / f"{quantization}.tflite", quantization=quantization)
        sizes[quantization] = (tmp_path / f"{quantization}.tflite").stat().st_size
        ops = {op["op_name"] for op in _litert(path)._get_ops_details()}
        assert not [op for op in ops if op.startswith("Flex") or op == "CUSTOM"]
        runner = _litert(path).get_signature_runner("translate_ids")
        results[quantization] = runner(source_ids=source_ids)["target_ids"]
    assert sizes["dynamic"] < 0.6 * sizes[None] and sizes["float16"] < 0.8 * sizes[None]
    for quantization in ("dynamic", "float16"):
        a, b = results[None], results[quantization]
        n = min(a.shape[1], b.shape[1])
        agree = np.mean(np.all(a[:, :n] == b[:, :n], axis=1))
        assert agree >= 0.8, (quantization, agree)


def test_bad_arguments_and_overwrite(trained_reverse, tmp_path):
    translator = keras_s2s.Translator(*trained_reverse, strategy="greedy")
    with pytest.raises(ValueError, match="quantization='int4'"):
        translator.export_litert(tmp_path / "m.tflite", quantization="int4")
    sampling = keras_s2s.Translator(*trained_reverse, strategy="sampling")
    with pytest.raises(ValueError, match="strategy=Sampling"):
        sampling.export_litert(tmp_path / "m.tflite")
    (tmp_path / "m.tflite").write_bytes(b"old")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        translator.export_litert(tmp_path / "m.tflite")
    assert (tmp_path / "m.tflite").read_bytes() == b"old"
