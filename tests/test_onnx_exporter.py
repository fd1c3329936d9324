"""ONNX export: the whole search in one graph, ONNX Runtime == Keras token for token."""

import json
import pathlib

import numpy as np
import pytest

import keras_s2s
from keras_s2s import data
from keras_s2s.decoding import BeamSearch

ort = pytest.importorskip("onnxruntime", reason="ONNX export tests need the [onnx] extra")
pytest.importorskip("tf2onnx", reason="ONNX export tests need the [onnx] extra")

SENTENCES = data.reverse(32, seed=23)[0]


def _session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _run(session, source_ids):
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"source_ids": np.asarray(source_ids, np.int32)})))


@pytest.fixture(scope="module", params=["greedy", "beam"])
def exported(request, trained_reverse, tmp_path_factory):
    strategy = "greedy" if request.param == "greedy" else BeamSearch(beam_size=4)
    translator = keras_s2s.Translator(*trained_reverse, strategy=strategy)
    path = tmp_path_factory.mktemp(f"onnx_{request.param}") / "reverse.onnx"
    return translator, translator.export_onnx(path)


def test_onnx_runtime_gives_the_keras_tokens(exported):
    translator, path = exported
    session = _session(path)
    assert [i.name for i in session.get_inputs()] == ["source_ids"]
    assert sorted(o.name for o in session.get_outputs()) == ["attention", "score", "target_ids"]
    source_ids = translator.source_tokenizer(SENTENCES).numpy()  # (B, S)
    keras_out = translator.model.generate(source_ids, translator.strategy)
    onnx_out = _run(session, source_ids)
    np.testing.assert_array_equal(onnx_out["target_ids"], keras_out["ids"])
    np.testing.assert_allclose(onnx_out["score"], keras_out["scores"], atol=1e-4)
    np.testing.assert_allclose(onnx_out["attention"], keras_out["attention"], atol=1e-4)
    # One sentence at a time, unpadded (as an app calls it): the same tokens.
    row = source_ids[:1, : int(np.sum(source_ids[0] != 0))]
    single = _run(session, row)["target_ids"][0]
    np.testing.assert_array_equal(single, onnx_out["target_ids"][0, : len(single)])


def test_out_of_vocabulary_ids_read_as_unknown_and_files_beside(exported):
    translator, path = exported
    session = _session(path)
    source_ids = translator.source_tokenizer(SENTENCES[:4]).numpy()
    bad = source_ids.copy()
    bad[:, 1] = [10_000, -5, 10_000, 999]  # out of range: [UNK]
    unknown = source_ids.copy()
    unknown[:, 1] = 1
    np.testing.assert_array_equal(_run(session, bad)["target_ids"], _run(session, unknown)["target_ids"])
    stem = pathlib.Path(path).with_suffix("")
    meta = json.loads(stem.with_suffix(".json").read_text())
    assert meta["opset"] == 17 and meta["files"]["model"] == "reverse.onnx"
    vocab = stem.with_suffix(".target_vocab.txt").read_text(encoding="utf-8").splitlines()
    assert vocab == translator.target_tokenizer.vocabulary


def test_transformer_beam_search_exports_to_onnx(trained_transformer, tmp_path):
    translator = keras_s2s.Translator(*trained_transformer, strategy=BeamSearch(beam_size=3))
    session = _session(translator.export_onnx(tmp_path / "transformer.onnx"))
    source_ids = translator.source_tokenizer(SENTENCES[:12]).numpy()
    keras_out = translator.model.generate(source_ids, translator.strategy)
    onnx_out = _run(session, source_ids)
    np.testing.assert_array_equal(onnx_out["target_ids"], keras_out["ids"])
    np.testing.assert_allclose(onnx_out["score"], keras_out["scores"], atol=1e-4)


def test_refusals_before_anything_is_written(trained_reverse, tmp_path):
    sampling = keras_s2s.Translator(*trained_reverse, strategy="sampling")
    with pytest.raises(ValueError, match="Received: strategy=Sampling"):
        sampling.export_onnx(tmp_path / "s.onnx")
    with pytest.raises(ValueError, match="replace_unknown"):
        keras_s2s.Translator(*trained_reverse, replace_unknown=True).export_onnx(tmp_path / "r.onnx")
    (tmp_path / "taken.json").write_text("{}")
    with pytest.raises(FileExistsError, match="taken.json"):
        keras_s2s.Translator(*trained_reverse, strategy="greedy").export_onnx(tmp_path / "taken.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.json"]
    assert keras_s2s.export.FORMATS == ("saved_model", "litert", "onnx")
