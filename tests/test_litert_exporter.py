"""LiteRT export: builtin ops only, and the same tokens as the SavedModel."""

import json
import os
import re

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

import keras_s2s
from keras_s2s import data
from keras_s2s.decoding import BeamSearch
from keras_s2s.export import litert_exporter
from keras_s2s.export.litert_exporter import litert_paths

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
    vocab = (root / "reverse.target_vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocab == translator.target_tokenizer.vocabulary
    assert (root / "reverse.source_vocab.txt").read_text(encoding="utf-8").splitlines()[:4] == [
        "[PAD]",
        "[UNK]",
        "[START]",
        "[END]",
    ]
    assert not (root / "source_vocab.txt").exists() and not (root / "target_vocab.txt").exists()
    meta = json.loads((root / "reverse.json").read_text())
    assert meta["max_source_length"] == 128 and meta["max_target_length"] == 266
    assert meta["files"] == {
        "model": "reverse.tflite",
        "source_vocab": "reverse.source_vocab.txt",
        "target_vocab": "reverse.target_vocab.txt",
        "metadata": "reverse.json",
    }
    assert litert_paths(tflite) == {role: str(root / name) for role, name in meta["files"].items()}
    # Shipped files are readable as the umask allows (not 0600 from a temporary file).
    mask = os.umask(0o022)
    os.umask(mask)
    for name in meta["files"].values():
        assert (root / name).stat().st_mode & 0o777 == 0o666 & ~mask, name


def test_plain_python_vocabulary_lookup_reproduces_the_translator(exported):
    translator, root, tflite, _ = exported
    vocab_in = {t: i for i, t in enumerate((root / "reverse.source_vocab.txt").read_text().splitlines())}
    vocab_out = (root / "reverse.target_vocab.txt").read_text().splitlines()
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


def test_out_of_range_and_negative_ids_are_read_as_unk(exported):
    translator, _, tflite, _ = exported
    source_ids = translator.source_tokenizer(SENTENCES[:6]).numpy()  # (6, S)
    bad = source_ids.copy()
    bad[0, 2] = translator.source_tokenizer.vocab_size + 7  # one id past the vocabulary
    bad[3, 1] = -4  # and one negative id
    unk = source_ids.copy()
    unk[0, 2] = unk[3, 1] = 1  # [UNK]
    runner = _litert(tflite).get_signature_runner("translate_ids")
    out = runner(source_ids=bad)  # before: RuntimeError ... gather index out of bounds
    expected = runner(source_ids=unk)
    for name in ("target_ids", "score", "attention"):
        np.testing.assert_array_equal(out[name], expected[name], err_msg=name)
    # Only the bad ids changed: the other rows are as without them.
    clean = runner(source_ids=source_ids)["target_ids"]
    np.testing.assert_array_equal(out["target_ids"][[1, 2, 4, 5]], clean[[1, 2, 4, 5]])


def test_the_interpreter_error_text_grows_with_every_failed_call(exported):
    # The LiteRT runtime behaviour docs/export.md warns about (and
    # examples/tflite_inference.py.LiteRTModel works around).
    _, _, tflite, _ = exported
    runner = _litert(tflite).get_signature_runner("translate_ids")
    lengths = []
    for _ in range(3):
        with pytest.raises(RuntimeError) as error:
            runner(source_ids=np.zeros((1, 0), np.int32))  # width 0 fails in XNNPack
        lengths.append(len(str(error.value)))
    assert lengths[0] < lengths[1] < lengths[2] and lengths[2] >= 3 * lengths[0] - 3, lengths
    assert runner(source_ids=np.array([[2, 5, 3]], np.int32))["target_ids"].shape[0] == 1


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


def _tiny_char_translator():
    """An untrained char-level translator: other vocabularies than the reverse model's."""
    sources, targets = data.dates(50, seed=0)
    source_tokenizer = keras_s2s.text.CharTokenizer.train(sources)
    target_tokenizer = keras_s2s.text.CharTokenizer.train(targets)
    model = keras_s2s.models.Seq2Seq(
        source_tokenizer.vocab_size, target_tokenizer.vocab_size, embedding_dim=8, units=8
    )
    model(
        {
            "source_ids": source_tokenizer(sources[:2]).numpy(),
            "target_ids": target_tokenizer(targets[:2]).numpy(),
        }
    )
    return keras_s2s.Translator(model, source_tokenizer, target_tokenizer, strategy="greedy")


def test_two_models_in_one_folder_keep_their_own_vocabularies(trained_reverse, tmp_path):
    words = keras_s2s.Translator(*trained_reverse, strategy="greedy")
    chars = _tiny_char_translator()
    words.export_litert(tmp_path / "words.tflite")
    chars.export_litert(tmp_path / "chars.tflite")
    for name, translator in (("words", words), ("chars", chars)):
        for side in ("source", "target"):
            tokens = (tmp_path / f"{name}.{side}_vocab.txt").read_text(encoding="utf-8").split("\n")
            assert tokens[:-1] == getattr(translator, f"{side}_tokenizer").vocabulary, (name, side)
        meta = json.loads((tmp_path / f"{name}.json").read_text())
        assert meta["source_tokenizer"]["class_name"] == type(translator.source_tokenizer).__name__
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{n}{suffix}"
        for n in ("words", "chars")
        for suffix in (".tflite", ".json", ".source_vocab.txt", ".target_vocab.txt")
    )
    # overwrite=True replaces all four files of one model, and only those.
    (tmp_path / "chars.target_vocab.txt").write_text("stale\n", encoding="utf-8")
    before = (tmp_path / "words.source_vocab.txt").stat().st_mtime_ns
    chars.export_litert(tmp_path / "chars.tflite", overwrite=True)
    assert (tmp_path / "chars.target_vocab.txt").read_text(encoding="utf-8").split("\n")[:-1] == (
        chars.target_tokenizer.vocabulary
    )
    assert (tmp_path / "words.source_vocab.txt").stat().st_mtime_ns == before


@pytest.mark.parametrize("existing", ["m.source_vocab.txt", "m.target_vocab.txt", "m.json", "m.tflite"])
def test_an_existing_file_is_refused_before_converting_or_writing(
    trained_reverse, tmp_path, monkeypatch, existing
):
    def no_conversion(*args, **kwargs):
        pytest.fail("converted although the export was going to be refused")

    monkeypatch.setattr(litert_exporter, "_convert", no_conversion)
    translator = keras_s2s.Translator(*trained_reverse, strategy="greedy")
    (tmp_path / existing).write_text("old\n")
    message = f"^{re.escape(str(tmp_path / existing))} already exists.*overwrite=True"
    with pytest.raises(FileExistsError, match=message):
        translator.export_litert(tmp_path / "m.tflite")
    assert [p.name for p in tmp_path.iterdir()] == [existing]  # nothing else written
    assert (tmp_path / existing).read_text() == "old\n"


def test_an_unwritable_folder_is_refused_before_converting(trained_reverse, tmp_path, monkeypatch):
    def no_conversion(*args, **kwargs):
        pytest.fail("converted although the folder cannot be written")

    monkeypatch.setattr(litert_exporter, "_convert", no_conversion)
    translator = keras_s2s.Translator(*trained_reverse, strategy="greedy")
    (tmp_path / "a_file").write_text("")
    with pytest.raises(NotADirectoryError, match="a_file"):
        translator.export_litert(tmp_path / "a_file" / "m.tflite")
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]


def test_coverage_penalty_min_length_and_n_best_in_every_runtime(trained_reverse, tmp_path):
    # Keras generate == SavedModel == LiteRT (builtin ops only) with the knobs on.
    strategy = BeamSearch(beam_size=3, coverage_penalty=0.2, min_length=4, num_return_sequences=2)
    translator = keras_s2s.Translator(*trained_reverse, strategy=strategy)
    source_ids = translator.source_tokenizer(SENTENCES[:20]).numpy()  # (20, S)
    expected = translator.model.generate(source_ids, strategy, max_length=2 * source_ids.shape[1] + 10)
    ids = np.asarray(expected["ids"])  # (20, 2, L)
    assert ids.shape[:2] == (20, 2)
    tflite = translator.export_litert(tmp_path / "knobs.tflite")
    saved = translator.export_saved_model(tmp_path / "saved" / "1")
    interpreter = _litert(tflite)
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert not [op for op in ops if op.startswith("Flex") or op in ("CUSTOM", "DELEGATE")], ops
    lite = interpreter.get_signature_runner("translate_ids")(source_ids=source_ids)
    serving = tf.saved_model.load(saved).signatures["translate_ids"](source_ids=source_ids)
    np.testing.assert_array_equal(serving["target_ids"], ids)
    np.testing.assert_array_equal(lite["target_ids"], ids)
    np.testing.assert_allclose(lite["score"], expected["scores"], atol=1e-4)
    first_end = [list(row).index(3) if 3 in row else len(row) for row in ids.reshape(-1, ids.shape[2])]
    assert min(first_end) >= 4  # min_length held
