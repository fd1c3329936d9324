"""A Transformer through the Translator's exporters: Keras == SavedModel == LiteRT."""

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter, OpResolverType

import keras_s2s
from keras_s2s import data
from keras_s2s.decoding import BeamSearch

SENTENCES = data.reverse(24, seed=41)[0]


@pytest.fixture(scope="module", params=["greedy", "beam"])
def exported(request, trained_transformer, tmp_path_factory):
    strategy = "greedy" if request.param == "greedy" else BeamSearch(beam_size=3)
    translator = keras_s2s.Translator(*trained_transformer, strategy=strategy)
    root = tmp_path_factory.mktemp(f"transformer_{request.param}")
    saved = translator.export_saved_model(root / "saved" / "1")
    tflite = translator.export_litert(root / "reverse.tflite")
    return translator, tf.saved_model.load(saved), tflite


def test_keras_saved_model_and_litert_give_the_same_tokens(exported):
    translator, saved, tflite = exported
    interpreter = Interpreter(model_path=str(tflite))
    source_ids = translator.source_tokenizer(SENTENCES).numpy()  # (B, S)
    keras_out = translator.model.generate(source_ids, translator.strategy)
    serving = saved.signatures["translate_ids"](source_ids=tf.constant(source_ids))
    lite = interpreter.get_signature_runner("translate_ids")(source_ids=source_ids)
    np.testing.assert_array_equal(serving["target_ids"], keras_out["ids"])
    np.testing.assert_array_equal(lite["target_ids"], keras_out["ids"])
    np.testing.assert_allclose(serving["score"], keras_out["scores"], atol=1e-4)
    np.testing.assert_allclose(lite["score"], keras_out["scores"], atol=1e-4)
    np.testing.assert_allclose(lite["attention"], keras_out["attention"], atol=1e-4)
    # The strings signature gives the Translator's strings.
    text = saved.signatures["serving_default"](text=tf.constant(SENTENCES))["translation"].numpy()
    assert [t.decode() for t in text] == translator(SENTENCES)
    # It really translates: most sentences come out reversed.
    reversed_ = [" ".join(s.split()[::-1]) for s in SENTENCES]
    assert np.mean([t == r for t, r in zip(translator(SENTENCES), reversed_)]) > 0.8


def test_one_sentence_at_a_time_as_an_app_calls_litert(exported):
    translator, _, tflite = exported
    runner = Interpreter(model_path=str(tflite)).get_signature_runner("translate_ids")
    for sentence in SENTENCES[:3]:
        row = translator.source_tokenizer([sentence]).numpy()
        expected = translator.model.generate(row, translator.strategy)["ids"].numpy()
        np.testing.assert_array_equal(runner(source_ids=row)["target_ids"], expected)


def test_the_litert_model_has_builtin_ops_only(exported):
    _, _, tflite = exported
    # Without the default XNNPACK delegate, which shows as DELEGATE nodes.
    interpreter = Interpreter(
        model_path=str(tflite), experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert "WHILE" in ops
    assert not [op for op in ops if op.startswith("Flex") or op in ("CUSTOM", "DELEGATE")], ops
