"""The TF Serving SavedModel: signatures, self-containment, ops, atomic writes."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

import keras_s2s
from keras_s2s import data

FORBIDDEN_OPS = {"PyFunc", "PyFuncStateless", "EagerPyFunc"}


@pytest.fixture(scope="module")
def exported(trained_reverse, tmp_path_factory):
    translator = keras_s2s.Translator(*trained_reverse, strategy="beam")
    path = tmp_path_factory.mktemp("serving") / "reverse" / "1"
    translator.export_saved_model(path)
    return translator, str(path)


def _run_without_keras_s2s(script, *args):
    """Runs `script` where `import keras_s2s` fails, from a directory outside the repo."""
    prelude = "import sys\nsys.modules['keras_s2s'] = None\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(script), *args],
        capture_output=True, text=True, timeout=300, cwd="/",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_loads_and_translates_where_keras_s2s_is_not_importable(exported):
    translator, path = exported
    sources, _ = data.reverse(20, seed=21)
    expected = translator(sources)
    served = _run_without_keras_s2s(
        """
        import json, tensorflow as tf, tensorflow_text  # TF Serving links TF Text
        try:
            import keras_s2s
            raise SystemExit("keras_s2s must not be importable here")
        except ImportError:
            pass
        model = tf.saved_model.load(sys.argv[1])
        out = model.signatures["serving_default"](text=tf.constant(json.loads(sys.argv[2])))
        print(json.dumps([t.decode() for t in out["translation"].numpy()]))
        """,
        path,
        json.dumps(sources),
    )
    assert served == expected


def test_signatures_match_the_contract(exported):
    _, path = exported
    loaded = tf.saved_model.load(path)
    serving = loaded.signatures["serving_default"]
    assert serving.structured_input_signature[1] == {
        "text": tf.TensorSpec([None], tf.string, name="text")
    }
    assert {k: (v.dtype, v.shape.as_list()) for k, v in serving.structured_outputs.items()} == {
        "translation": (tf.string, [None]),
        "score": (tf.float32, [None]),
    }
    ids = loaded.signatures["translate_ids"]
    assert ids.structured_input_signature[1] == {
        "source_ids": tf.TensorSpec([None, None], tf.int32, name="source_ids")
    }
    assert {k: (v.dtype, v.shape.rank) for k, v in ids.structured_outputs.items()} == {
        "target_ids": (tf.int32, 2),
        "score": (tf.float32, 1),
        "attention": (tf.float32, 3),
    }


def test_translate_ids_equals_generate(exported, trained_reverse):
    translator, path = exported
    model, source_tokenizer, _ = trained_reverse
    source_ids = source_tokenizer(data.reverse(16, seed=22)[0])
    out = tf.saved_model.load(path).signatures["translate_ids"](source_ids=source_ids)
    expected = model.generate(source_ids, translator.strategy)
    np.testing.assert_array_equal(out["target_ids"], expected["ids"])
    np.testing.assert_allclose(out["score"], expected["scores"], atol=1e-5)
    np.testing.assert_allclose(out["attention"], expected["attention"], atol=1e-5)


def test_saved_model_cli_lists_both_signatures(exported):
    _, path = exported
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    result = subprocess.run([cli, "show", "--dir", path, "--all"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "signature_def['serving_default']" in result.stdout
    assert "signature_def['translate_ids']" in result.stdout


def test_graph_uses_only_tensorflow_and_tensorflow_text_ops(exported):
    _, path = exported
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    graph = proto.meta_graphs[0].graph_def
    ops = {node.op for node in graph.node}
    for function in graph.library.function:
        ops |= {node.op for node in function.node_def}
    ops -= {f.signature.name for f in graph.library.function}  # calls of graph functions
    assert not ops & FORBIDDEN_OPS
    # Sort the ops into TensorFlow core and TensorFlow Text (nothing else).
    split = _run_without_keras_s2s(
        """
        import json, tensorflow as tf
        from tensorflow.python.framework import op_def_registry
        ops = json.loads(sys.argv[1])
        core = [op for op in ops if op_def_registry.get(op) is not None]
        import tensorflow_text
        text = [op for op in ops if op not in core and op_def_registry.get(op) is not None]
        print(json.dumps({"core": core, "text": text}))
        """,
        json.dumps(sorted(ops)),
    )
    assert sorted(split["core"] + split["text"]) == sorted(ops)
    assert split["text"], "tokenization should use TensorFlow Text ops"


def test_odd_inputs_never_fail_the_batch(exported):
    _, path = exported
    serving = tf.saved_model.load(path).signatures["serving_default"]
    odd = [b"", b"   ", "😀 émoji 中文".encode(), ("a " * 2500).encode(), b"\xff\xfe bad bytes", b"a b c"]
    out = serving(text=tf.constant(odd))
    assert out["translation"].shape == (6,) and out["score"].shape == (6,)
    assert np.all(np.isfinite(out["score"].numpy()))
    assert serving(text=tf.constant([], tf.string))["translation"].shape == (0,)


def test_overlong_input_is_truncated_to_max_source_length(trained_reverse, tmp_path):
    translator = keras_s2s.Translator(*trained_reverse, strategy="greedy")
    path = translator.export_saved_model(tmp_path / "m" / "1", max_source_length=6)
    ids = tf.saved_model.load(path).signatures["translate_ids"]
    long = translator.source_tokenizer(["a b c d e f g h i j"])  # 12 ids
    cut = translator.source_tokenizer(["a b c d"])  # [START] a b c d [END]: 6 ids
    np.testing.assert_array_equal(ids(source_ids=long)["target_ids"], ids(source_ids=cut)["target_ids"])
    assert ids(source_ids=long)["attention"].shape[-1] == 6


def test_existing_directory_needs_overwrite_and_failures_leave_nothing(exported, tmp_path, monkeypatch):
    translator, _ = exported
    target = tmp_path / "model" / "1"
    target.mkdir(parents=True)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        translator.export_saved_model(target)

    def broken_save(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", broken_save)
    with pytest.raises(RuntimeError, match="disk full"):
        translator.export_saved_model(tmp_path / "other" / "1")
    assert list((tmp_path / "other").iterdir()) == []
    with pytest.raises(RuntimeError, match="disk full"):
        translator.export_saved_model(target, overwrite=True)
    assert target.exists() and sorted(p.name for p in (tmp_path / "model").iterdir()) == ["1"]


def test_export_entry_point_and_bad_arguments(exported, tmp_path):
    translator, _ = exported
    with pytest.raises(ValueError, match="format='onnx'"):
        keras_s2s.export.export(translator, tmp_path / "x", format="onnx")
    with pytest.raises(ValueError, match="max_source_length=1"):
        keras_s2s.export.export(translator, tmp_path / "x", max_source_length=1)
    n_best = keras_s2s.Translator(
        translator.model, translator.source_tokenizer, translator.target_tokenizer,
        strategy=keras_s2s.decoding.BeamSearch(4, num_return_sequences=2),
    )
    with pytest.raises(ValueError, match="num_return_sequences=2"):
        n_best.export_saved_model(tmp_path / "y")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_checkpoint_holds_the_model_weights_and_no_optimizer_state(exported, trained_reverse):
    _, path = exported
    model = trained_reverse[0]
    assert model.optimizer is not None and model.optimizer.variables  # trained: Adam slots exist
    reader = tf.train.load_checkpoint(os.path.join(path, "variables", "variables"))
    saved = {k: v for k, v in reader.get_variable_to_shape_map().items() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"}
    assert not [k for k in saved if "optimizer" in k]
    assert sum(int(np.prod(s)) for s in saved.values()) == sum(int(np.prod(w.shape)) for w in model.weights)


def test_export_is_readable_by_other_users_as_the_umask_allows(exported):
    # A model server often runs as another user: the version directory must not stay 0700.
    _, path = exported
    mask = os.umask(0o022)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o777 & ~mask
    assert os.stat(os.path.join(path, "saved_model.pb")).st_mode & 0o444 & ~mask == 0o444 & ~mask
