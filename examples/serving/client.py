"""A small TF Serving client for a keras_s2s SavedModel.

The request builders are separate from the senders, so a request can be
built, inspected and tested without a server:

- `rest_body(texts, signature_name, columnar)` → the JSON body (a dict) for
  `POST http://HOST:8501/v1/models/NAME:predict`;
- `grpc_request(texts, model_name, signature_name)` → a
  `tensorflow_serving.apis.predict_pb2.PredictRequest` for port 8500;
- `send_rest(url, body)` (urllib) and `send_grpc(host_port, request)` (grpc)
  send them; `translations_from_rest` / `translations_from_grpc` read the
  answers.

For `signature_name="serving_default"`, `texts` are sentences (`str`, or
`bytes`: bytes that are not UTF-8 go as `{"b64": ...}` in JSON). For
`signature_name="translate_ids"`, `texts` are rows of token ids (lists of
ints with [START]=2 ... [END]=3; they are 0-padded to the longest row,
since a batch is a rectangle), sent as int32.

Command line (see README.md)::

    python client.py --model reverse "a b c" "d e f"                  # REST
    python client.py --model reverse --grpc localhost:8500 "a b c"    # gRPC
    python client.py --model reverse --signature translate_ids --ids "2 5 6 3"
    python client.py --model reverse --dry-run "a b c"   # print the request only
"""

import argparse
import base64
import json
import sys
import urllib.request

SERVING_DEFAULT = "serving_default"
TRANSLATE_IDS = "translate_ids"
# Signature name → (input name, TensorFlow dtype name, rank).
SIGNATURE_INPUTS = {
    SERVING_DEFAULT: ("text", "string", 1),
    TRANSLATE_IDS: ("source_ids", "int32", 2),
}


def _input_spec(signature_name):
    if signature_name not in SIGNATURE_INPUTS:
        raise ValueError(
            f"`signature_name` must be one of {sorted(SIGNATURE_INPUTS)}. "
            f"Received: signature_name={signature_name!r}"
        )
    return SIGNATURE_INPUTS[signature_name]


def _check_texts(texts):
    if isinstance(texts, (str, bytes)):
        raise ValueError(f"`texts` must be a list of strings, not one string. Received: texts={texts!r}")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, (str, bytes)):
            raise ValueError(f"`texts` must hold str or bytes. Received: texts[{i}]={text!r}")
    return texts


def pad_ids(rows):
    """Rows of token ids → a rectangular list of lists, 0-padded on the right."""
    rows = [[int(i) for i in row] for row in rows]
    width = max((len(row) for row in rows), default=0)
    return [row + [0] * (width - len(row)) for row in rows]


def _json_string(text):
    """A JSON value for one string tensor element (TF Serving's b64 rule)."""
    if isinstance(text, str):
        return text
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(text).decode("ascii")}


def rest_body(texts, signature_name=SERVING_DEFAULT, columnar=False):
    """The JSON body of a TF Serving REST `:predict` call.

    Args:
        texts: sentences (`serving_default`) or rows of ids (`translate_ids`).
        signature_name: `"serving_default"` or `"translate_ids"`.
        columnar: the `{"inputs": {name: [...]}}` format instead of the row
            format `{"instances": [{name: ...}, ...]}`.

    Returns:
        A JSON-serializable dict.
    """
    name, _, _ = _input_spec(signature_name)
    if signature_name == SERVING_DEFAULT:
        values = [_json_string(t) for t in _check_texts(texts)]
    else:
        values = pad_ids(texts)
    body = {"signature_name": signature_name}
    if columnar:
        body["inputs"] = {name: values}
    else:
        body["instances"] = [{name: value} for value in values]
    return body


def _tensor_proto(signature_name, texts):
    from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

    if signature_name == SERVING_DEFAULT:
        texts = [t.encode("utf-8") if isinstance(t, str) else t for t in _check_texts(texts)]
        dims, dtype = [len(texts)], types_pb2.DT_STRING
    else:
        rows = pad_ids(texts)
        dims, dtype = [len(rows), len(rows[0]) if rows else 0], types_pb2.DT_INT32
    shape = tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims]
    )
    proto = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape)
    if signature_name == SERVING_DEFAULT:
        proto.string_val.extend(texts)
    else:
        proto.int_val.extend(i for row in rows for i in row)
    return proto


def grpc_request(texts, model_name, signature_name=SERVING_DEFAULT, version=None):
    """A `PredictRequest` for TF Serving's gRPC `PredictionService/Predict`.

    Args:
        texts: sentences (`serving_default`, sent as DT_STRING `[B]`) or rows
            of ids (`translate_ids`, sent as DT_INT32 `[B, S]`, 0-padded).
        model_name: the served name (`MODEL_NAME` of the server).
        signature_name: `"serving_default"` or `"translate_ids"`.
        version: int, a version to pin; None serves the latest.

    Returns:
        `tensorflow_serving.apis.predict_pb2.PredictRequest`.
    """
    from tensorflow_serving.apis import predict_pb2

    name, _, _ = _input_spec(signature_name)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature_name
    if version is not None:
        request.model_spec.version.value = int(version)
    request.inputs[name].CopyFrom(_tensor_proto(signature_name, texts))
    return request


def rest_url(host_port, model_name, version=None):
    """`http://HOST:PORT/v1/models/NAME[/versions/N]:predict`."""
    url = f"http://{host_port}/v1/models/{model_name}"
    if version is not None:
        url += f"/versions/{int(version)}"
    return url + ":predict"


def send_rest(url, body, timeout=60):
    """POSTs `body` (a dict) as JSON to `url`; returns the decoded JSON answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def send_grpc(host_port, request, timeout=60):
    """Sends `request` to `PredictionService/Predict` at `host_port` (insecure channel)."""
    import grpc
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    with grpc.insecure_channel(host_port) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        return stub.Predict(request, timeout=timeout)


def translations_from_rest(answer):
    """The REST answer (row or columnar format) → list of per-sentence dicts."""
    if "predictions" in answer:
        return list(answer["predictions"])
    outputs = answer["outputs"]
    names = sorted(outputs)
    return [dict(zip(names, values)) for values in zip(*(outputs[n] for n in names))]


def translations_from_grpc(response):
    """A `PredictResponse` → list of per-sentence dicts of Python values."""
    import tensorflow as tf

    outputs = {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}
    rows = []
    for i in range(len(next(iter(outputs.values())))):
        row = {}
        for name, values in outputs.items():
            value = values[i]
            row[name] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value.tolist()
        rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description="Translate with a keras_s2s model on TF Serving.")
    parser.add_argument("texts", nargs="*", help="sentences (or, with --ids, rows of ids)")
    parser.add_argument("--model", required=True, help="served model name (MODEL_NAME)")
    parser.add_argument("--rest", default="localhost:8501", help="REST host:port (default)")
    parser.add_argument("--grpc", default=None, help="use gRPC at host:port (e.g. localhost:8500)")
    parser.add_argument("--signature", default=SERVING_DEFAULT, choices=sorted(SIGNATURE_INPUTS))
    parser.add_argument(
        "--ids",
        action="store_true",
        help="texts are space-separated token ids (implies --signature translate_ids)",
    )
    parser.add_argument("--columnar", action="store_true", help='REST: {"inputs": ...} format')
    parser.add_argument("--version", type=int, default=None, help="pin a model version")
    parser.add_argument("--dry-run", action="store_true", help="print the request, send nothing")
    args = parser.parse_args(argv)
    signature = TRANSLATE_IDS if args.ids else args.signature
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin]
    if signature == TRANSLATE_IDS:
        texts = [[int(i) for i in t.split()] for t in texts]
    if args.grpc:
        request = grpc_request(texts, args.model, signature, args.version)
        if args.dry_run:
            print(request)
            return 0
        rows = translations_from_grpc(send_grpc(args.grpc, request))
    else:
        body = rest_body(texts, signature, columnar=args.columnar)
        url = rest_url(args.rest, args.model, args.version)
        if args.dry_run:
            print(f"POST {url}\n{json.dumps(body, ensure_ascii=False)}")
            return 0
        rows = translations_from_rest(send_rest(url, body))
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
