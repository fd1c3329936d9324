"""examples/serving/client.py builds requests that the exported signatures accept.

No server and no network: the requests are checked against the loaded
SavedModel's signatures (names, dtypes, shapes), then fed to them the way TF
Serving decodes them, and the answers are compared with the Translator.
`send_rest` / `send_grpc` are exercised against in-process fakes.
"""

import base64
import importlib.util
import io
import json
import pathlib

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_text  # noqa: F401  (the SavedModel's tokenizer ops)
from tensorflow_serving.apis import predict_pb2

import keras_s2s
from keras_s2s import data

REPO = pathlib.Path(__file__).resolve().parents[1]
SOURCES = data.reverse(12, seed=41)[0]


def _load_client():
    spec = importlib.util.spec_from_file_location(
        "serving_client", REPO / "examples" / "serving" / "client.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


client = _load_client()


@pytest.fixture(scope="module")
def served(trained_reverse, tmp_path_factory):
    translator = keras_s2s.Translator(*trained_reverse, strategy="beam")
    path = tmp_path_factory.mktemp("saved_models") / "reverse" / "1"
    translator.export_saved_model(path)
    return translator, tf.saved_model.load(str(path))


def _ids_rows(translator, sentences):
    """Token ids per sentence, without padding (as an app would hold them)."""
    ids = translator.source_tokenizer(sentences).numpy()
    return [row[row != 0].tolist() for row in ids]


def _detokenize(translator, target_ids):
    return [t.decode() for t in translator.target_tokenizer.detokenize(target_ids).numpy()]


# ---------------------------------------------------------------- fake server
def _decode_json_value(value):
    """TF Serving's JSON rule for string tensors: {"b64": ...} is raw bytes."""
    if isinstance(value, dict):
        assert set(value) == {"b64"}
        return base64.b64decode(value["b64"])
    if isinstance(value, list):
        return [_decode_json_value(v) for v in value]
    return value


def _inputs_from_rest(signature, body):
    """Maps a REST body onto the signature's named inputs (row or columnar format)."""
    specs = signature.structured_input_signature[1]
    if "instances" in body:
        assert "inputs" not in body
        for row in body["instances"]:
            assert set(row) == set(specs)
        columns = {name: [row[name] for row in body["instances"]] for name in specs}
    else:
        assert set(body["inputs"]) == set(specs)
        columns = body["inputs"]
    tensors = {}
    for name, spec in specs.items():
        tensors[name] = tf.constant(_decode_json_value(columns[name]), dtype=spec.dtype)
        assert spec.shape.is_compatible_with(tensors[name].shape), (name, tensors[name].shape)
    return tensors


def _rest_answer(loaded, body):
    signature = loaded.signatures[body.get("signature_name", "serving_default")]
    out = signature(**_inputs_from_rest(signature, body))
    as_json = {
        k: [x.decode() if isinstance(x, bytes) else x for x in v.numpy().tolist()] for k, v in out.items()
    }
    if "instances" in body:
        n = len(body["instances"])
        return {"predictions": [{k: v[i] for k, v in as_json.items()} for i in range(n)]}
    return {"outputs": as_json}


def _inputs_from_grpc(signature, request):
    specs = signature.structured_input_signature[1]
    assert set(request.inputs) == set(specs)
    tensors = {}
    for name, spec in specs.items():
        proto = request.inputs[name]
        assert tf.as_dtype(proto.dtype) == spec.dtype, (name, proto.dtype)
        array = tf.make_ndarray(proto)
        assert spec.shape.is_compatible_with(array.shape), (name, array.shape)
        tensors[name] = tf.constant(array, dtype=spec.dtype)
    return tensors


# ----------------------------------------------------------------------- gRPC
def test_grpc_text_request_matches_serving_default(served):
    translator, loaded = served
    request = client.grpc_request(SOURCES, "reverse")
    assert isinstance(request, predict_pb2.PredictRequest)
    assert request.model_spec.name == "reverse"
    assert request.model_spec.signature_name == "serving_default"
    assert not request.model_spec.HasField("version")
    signature = loaded.signatures["serving_default"]
    inputs = _inputs_from_grpc(signature, request)
    assert inputs["text"].shape == (len(SOURCES),)
    out = signature(**inputs)
    assert [t.decode() for t in out["translation"].numpy()] == translator(SOURCES)


def test_grpc_ids_request_matches_translate_ids(served, trained_reverse):
    translator, loaded = served
    rows = _ids_rows(translator, SOURCES)
    request = client.grpc_request(rows, "reverse", signature_name="translate_ids", version=1)
    assert request.model_spec.signature_name == "translate_ids"
    assert request.model_spec.version.value == 1
    signature = loaded.signatures["translate_ids"]
    inputs = _inputs_from_grpc(signature, request)
    expected_ids = translator.source_tokenizer(SOURCES)
    np.testing.assert_array_equal(inputs["source_ids"], expected_ids)  # 0-padded like the tokenizer
    out = signature(**inputs)
    expected = trained_reverse[0].generate(expected_ids, translator.strategy)
    np.testing.assert_array_equal(out["target_ids"], expected["ids"])
    assert _detokenize(translator, out["target_ids"]) == translator(SOURCES)


def test_send_grpc_and_read_the_answer(served, monkeypatch):
    translator, loaded = served
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    calls = []

    class FakeChannel:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    class FakeStub:  # does what the model server does with a PredictRequest
        def __init__(self, channel):
            assert isinstance(channel, FakeChannel)

        def Predict(self, request, timeout=None):
            calls.append((request.model_spec.name, timeout))
            signature = loaded.signatures[request.model_spec.signature_name]
            out = signature(**_inputs_from_grpc(signature, request))
            response = predict_pb2.PredictResponse()
            for name, value in out.items():
                response.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
            return response

    monkeypatch.setattr(grpc, "insecure_channel", lambda target: FakeChannel())
    monkeypatch.setattr(prediction_service_pb2_grpc, "PredictionServiceStub", FakeStub)
    response = client.send_grpc("localhost:8500", client.grpc_request(SOURCES[:3], "reverse"), timeout=5)
    rows = client.translations_from_grpc(response)
    assert [r["translation"] for r in rows] == translator(SOURCES[:3])
    assert all(isinstance(r["score"], float) for r in rows)
    assert calls == [("reverse", 5)]


# ----------------------------------------------------------------------- REST
@pytest.mark.parametrize("columnar", [False, True])
def test_rest_text_body_matches_serving_default(served, columnar):
    translator, loaded = served
    body = client.rest_body(SOURCES, columnar=columnar)
    body = json.loads(json.dumps(body))  # what goes over the wire
    assert body["signature_name"] == "serving_default"
    assert ("inputs" in body) == columnar and ("instances" in body) != columnar
    if columnar:
        assert body["inputs"] == {"text": SOURCES}
    else:
        assert body["instances"] == [{"text": s} for s in SOURCES]
    answer = _rest_answer(loaded, body)
    assert [r["translation"] for r in client.translations_from_rest(answer)] == translator(SOURCES)


@pytest.mark.parametrize("columnar", [False, True])
def test_rest_ids_body_matches_translate_ids(served, columnar):
    translator, loaded = served
    rows = _ids_rows(translator, SOURCES)
    body = json.loads(json.dumps(client.rest_body(rows, "translate_ids", columnar=columnar)))
    assert body["signature_name"] == "translate_ids"
    signature = loaded.signatures["translate_ids"]
    inputs = _inputs_from_rest(signature, body)
    assert inputs["source_ids"].dtype == tf.int32
    np.testing.assert_array_equal(inputs["source_ids"], translator.source_tokenizer(SOURCES))
    answer = _rest_answer(loaded, body)
    target_ids = [r["target_ids"] for r in client.translations_from_rest(answer)]
    assert _detokenize(translator, target_ids) == translator(SOURCES)


def test_rest_bytes_that_are_not_utf8_go_as_b64(served):
    _, loaded = served
    texts = ["a b c", "é d".encode(), b"a \xff b"]
    body = client.rest_body(texts)
    assert body["instances"][1] == {"text": "é d"}
    assert body["instances"][2] == {"text": {"b64": base64.b64encode(b"a \xff b").decode()}}
    rest = client.translations_from_rest(_rest_answer(loaded, json.loads(json.dumps(body))))
    grpc_out = loaded.signatures["serving_default"](
        **_inputs_from_grpc(loaded.signatures["serving_default"], client.grpc_request(texts, "reverse"))
    )
    assert [r["translation"] for r in rest] == [t.decode() for t in grpc_out["translation"].numpy()]


def test_send_rest_posts_json_and_reads_the_answer(served, monkeypatch):
    translator, loaded = served
    sent = []

    class FakeResponse(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout=None):  # does what the model server does
        sent.append((request.full_url, request.get_method(), request.get_header("Content-type"), timeout))
        answer = _rest_answer(loaded, json.loads(request.data.decode("utf-8")))
        return FakeResponse(json.dumps(answer).encode())

    monkeypatch.setattr(client.urllib.request, "urlopen", fake_urlopen)
    url = client.rest_url("localhost:8501", "reverse")
    assert url == "http://localhost:8501/v1/models/reverse:predict"
    assert client.rest_url("h:1", "m", version=3) == "http://h:1/v1/models/m/versions/3:predict"
    answer = client.send_rest(url, client.rest_body(SOURCES[:4], columnar=True), timeout=7)
    assert [r["translation"] for r in client.translations_from_rest(answer)] == translator(SOURCES[:4])
    assert sent == [(url, "POST", "application/json", 7)]


# ------------------------------------------------------------ arguments / CLI
def test_bad_arguments():
    with pytest.raises(ValueError, match="signature_name='nope'"):
        client.rest_body(["a"], signature_name="nope")
    with pytest.raises(ValueError, match="not one string"):
        client.grpc_request("a b c", "m")
    with pytest.raises(ValueError, match=r"texts\[1\]=3"):
        client.rest_body(["a", 3])
    assert client.pad_ids([[2, 5, 3], [2, 3]]) == [[2, 5, 3], [2, 3, 0]]


def test_cli_dry_run_prints_the_requests(capsys):
    assert client.main(["--model", "reverse", "--dry-run", "a b c", "d e"]) == 0
    url, body = capsys.readouterr().out.strip().split("\n", 1)
    assert url == "POST http://localhost:8501/v1/models/reverse:predict"
    assert json.loads(body) == client.rest_body(["a b c", "d e"])
    assert client.main(["--model", "reverse", "--ids", "--columnar", "--dry-run", "2 5 6 3", "2 7 3"]) == 0
    body = json.loads(capsys.readouterr().out.strip().split("\n", 1)[1])
    assert body == {"signature_name": "translate_ids", "inputs": {"source_ids": [[2, 5, 6, 3], [2, 7, 3, 0]]}}
    assert client.main(["--model", "reverse", "--grpc", "localhost:8500", "--dry-run", "a b c"]) == 0
    out = capsys.readouterr().out
    assert 'name: "reverse"' in out and 'signature_name: "serving_default"' in out and "DT_STRING" in out
