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
        capture_output=True,
        text=True,
        timeout=300,
        cwd="/",
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
    assert serving.structured_input_signature[1] == {"text": tf.TensorSpec([None], tf.string, name="text")}
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
    result = subprocess.run(
        [cli, "show", "--dir", path, "--all"], capture_output=True, text=True, timeout=300
    )
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


def test_overwrite_never_replaces_a_directory_that_is_not_an_export(exported, tmp_path, monkeypatch):
    translator, _ = exported
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.keras").write_bytes(b"weights")
    with pytest.raises(FileExistsError, match="no saved_model.pb"):
        translator.export_saved_model(run, overwrite=True)
    assert (run / "model.keras").read_bytes() == b"weights"
    with pytest.raises(FileExistsError, match="is a file, not an earlier export"):
        translator.export_saved_model(run / "model.keras", overwrite=True)
    assert (run / "model.keras").read_bytes() == b"weights"

    def saving(*args, **kwargs):
        raise RuntimeError("saving")

    earlier = tmp_path / "served" / "1"  # an earlier export may be replaced: the save is reached
    earlier.mkdir(parents=True)
    (earlier / "saved_model.pb").write_bytes(b"")
    monkeypatch.setattr(tf.saved_model, "save", saving)
    with pytest.raises(RuntimeError, match="saving"):
        translator.export_saved_model(earlier, overwrite=True)


def test_export_entry_point_and_bad_arguments(exported, tmp_path):
    translator, _ = exported
    with pytest.raises(ValueError, match="format='tfjs'"):
        keras_s2s.export.export(translator, tmp_path / "x", format="tfjs")
    with pytest.raises(ValueError, match="max_source_length=1"):
        keras_s2s.export.export(translator, tmp_path / "x", max_source_length=1)
    with pytest.raises(ValueError, match="max_source_length=0"):  # 0 is not "the default"
        keras_s2s.export.export(translator, tmp_path / "x", max_source_length=0)
    with pytest.raises(ValueError, match="max_target_length=0"):
        keras_s2s.export.export(translator, tmp_path / "x", max_target_length=0)
    assert not (tmp_path / "x").exists()


def test_n_best_from_the_saved_model(trained_reverse, tmp_path):
    # num_return_sequences = n > 1: (B, n) strings and scores, (B, n, L) ids,
    # the Translator's n best in its order.
    translator = keras_s2s.Translator(
        *trained_reverse, strategy=keras_s2s.decoding.BeamSearch(4, num_return_sequences=3), batch_size=4
    )
    sources = data.reverse(6, seed=41)[0]
    expected = translator.translate(sources)
    path = translator.export_saved_model(tmp_path / "m" / "1")
    loaded = tf.saved_model.load(path)
    out = loaded.signatures["serving_default"](text=tf.constant(sources))
    assert out["translation"].shape == (6, 3) and out["score"].shape == (6, 3)
    assert [[t.decode() for t in row] for row in out["translation"].numpy()] == expected["translation"]
    np.testing.assert_allclose(out["score"], expected["score"], atol=1e-5)
    source_ids = translator.source_tokenizer(sources)
    ids = loaded.signatures["translate_ids"](source_ids=source_ids)
    generated = translator.model.generate(source_ids, translator.strategy)
    assert ids["target_ids"].shape[:2] == (6, 3) and ids["attention"].shape[:2] == (6, 3)
    length = generated["ids"].shape[2]
    np.testing.assert_array_equal(ids["target_ids"][:, :, :length], generated["ids"])
    assert not ids["target_ids"].numpy()[:, :, length:].any()
    np.testing.assert_allclose(ids["score"], generated["scores"], atol=1e-5)


def test_per_request_max_length(exported, tmp_path):
    translator, path = exported
    loaded = tf.saved_model.load(path)
    options = loaded.signatures["translate_with_options"]
    sources = data.reverse(5, seed=43)[0]
    default = loaded.signatures["serving_default"](text=tf.constant(sources))["translation"].numpy()
    same = options(text=tf.constant(sources), max_length=tf.constant(0))["translation"].numpy()
    np.testing.assert_array_equal(same, default)
    capped = keras_s2s.Translator(
        translator.model,
        translator.source_tokenizer,
        translator.target_tokenizer,
        strategy="beam",
        max_length=3,
    )
    short = options(text=tf.constant(sources), max_length=tf.constant(3))["translation"].numpy()
    assert [t.decode() for t in short] == capped(sources)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"must be >= 0.*Received: max_length=-2"):
        options(text=tf.constant(sources), max_length=tf.constant(-2))
    # The SignatureDef records the default, so TF Serving may omit the input.
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        proto.ParseFromString(f.read())
    signature = proto.meta_graphs[0].signature_def["translate_with_options"]
    assert sorted(signature.inputs) == ["max_length", "text"]
    assert tf.make_ndarray(signature.defaults["max_length"]) == 0


def test_checkpoint_holds_the_model_weights_and_no_optimizer_state(exported, trained_reverse):
    _, path = exported
    model = trained_reverse[0]
    assert model.optimizer is not None and model.optimizer.variables  # trained: Adam slots exist
    reader = tf.train.load_checkpoint(os.path.join(path, "variables", "variables"))
    saved = {
        k: v for k, v in reader.get_variable_to_shape_map().items() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"
    }
    assert not [k for k in saved if "optimizer" in k]
    assert sum(int(np.prod(s)) for s in saved.values()) == sum(int(np.prod(w.shape)) for w in model.weights)


def test_export_is_readable_by_other_users_as_the_umask_allows(exported):
    # A model server often runs as another user: the version directory must not stay 0700.
    _, path = exported
    mask = os.umask(0o022)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o777 & ~mask
    assert os.stat(os.path.join(path, "saved_model.pb")).st_mode & 0o444 & ~mask == 0o444 & ~mask


def test_signatures_reject_inputs_of_another_rank(exported):
    # A loaded signature (and TF Serving) does not enforce the declared shape:
    # a scalar or a 2-D batch used to be tokenized and decoded anyway.
    _, path = exported
    loaded = tf.saved_model.load(path)
    serving = loaded.signatures["serving_default"]
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"batch of sentences.*rank 1\). Received: rank 0, shape \[\]"
    ):
        serving(text=tf.constant("a b c"))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"rank 1\). Received: rank 2, shape \[1 2\]"):
        serving(text=tf.constant([["a b", "c d"]]))
    ids = loaded.signatures["translate_ids"]
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"\(batch, length\) \(rank 2\). Received: rank 1, shape \[4\]"
    ):
        ids(source_ids=tf.constant([2, 5, 6, 3]))
    assert serving(text=tf.constant(["a b c"]))["translation"].shape == (1,)


@pytest.fixture(scope="module")
def untrained():
    """A tiny untrained model: it rarely emits [END], so rows run to their length cap."""
    import keras

    from keras_s2s import text
    from keras_s2s.models import Seq2Seq

    keras.utils.set_random_seed(3)
    tokenizer = text.WordTokenizer.train(data.reverse(200, seed=0)[0])
    model = Seq2Seq(tokenizer.vocab_size, tokenizer.vocab_size, embedding_dim=8, units=8)
    return model, tokenizer, tokenizer


def test_large_batches_decode_in_slices_of_the_translators_batch_size(untrained, tmp_path):
    # The graph decodes `batch_size` sentences at a time (bounded memory), each
    # slice trimmed to its own width, so the default cap 2 * S + 10 is the
    # Translator's per batch: "b c" (width 4) stops at 18 tokens, not at the
    # 38 of the whole batch's width 14.
    translator = keras_s2s.Translator(*untrained, strategy="greedy", batch_size=2)
    texts = ["a", "b c", "a b c d e f g h i j k l", "c d e f g h i j k l m n", "d e"]
    expected = translator.translate(texts)
    assert [len(t) for t in expected["target_tokens"]][1] == 18  # hits its slice's cap
    path = translator.export_saved_model(tmp_path / "m" / "1")
    loaded = tf.saved_model.load(path)
    out = loaded.signatures["serving_default"](text=tf.constant(texts))
    assert [t.decode() for t in out["translation"].numpy()] == expected["translation"]
    np.testing.assert_allclose(out["score"], expected["score"], atol=1e-5)
    source_ids = translator.source_tokenizer(texts)  # (5, 14)
    ids = loaded.signatures["translate_ids"](source_ids=source_ids)
    assert ids["target_ids"].shape == (5, 38) and ids["attention"].shape == (5, 38, 14)
    vocabulary = translator.target_tokenizer.vocabulary
    for i, (tokens, attention) in enumerate(zip(expected["target_tokens"], expected["attention"])):
        row = ids["target_ids"].numpy()[i]
        assert [vocabulary[t] for t in row[: len(tokens)]] == tokens and not row[len(tokens) :].any()
        t, s = attention.shape
        np.testing.assert_allclose(ids["attention"].numpy()[i, :t, :s], attention, atol=1e-5)
    with open(os.path.join(path, "assets.extra.json")) as f:
        assert json.load(f)["batch_size"] == 2


def test_export_honours_the_translators_max_length(trained_reverse, tmp_path):
    translator = keras_s2s.Translator(*trained_reverse, strategy="greedy", max_length=5)
    sources = data.reverse(6, seed=23)[0]
    expected = translator.translate(sources)
    assert max(len(t) for t in expected["target_tokens"]) == 5  # the cap bites
    path = keras_s2s.export.export(translator, tmp_path / "m" / "1")
    loaded = tf.saved_model.load(path)
    out = loaded.signatures["serving_default"](text=tf.constant(sources))
    assert [t.decode() for t in out["translation"].numpy()] == expected["translation"]
    source_ids = translator.source_tokenizer(sources)
    assert loaded.signatures["translate_ids"](source_ids=source_ids)["target_ids"].shape == (6, 5)
    with open(os.path.join(path, "assets.extra.json")) as f:
        meta = json.load(f)
    assert meta["max_length"] == 5 and meta["max_target_length"] == 5
    # The graph the LiteRT exporter converts (one decode, no slices) shares the cap.
    lite_graph = keras_s2s.export.TranslationModule(translator)
    assert lite_graph.batch_size is None
    np.testing.assert_array_equal(
        lite_graph.translate_ids(source_ids)["target_ids"],
        loaded.signatures["translate_ids"](source_ids=source_ids)["target_ids"],
    )


def test_replace_unknown_gives_the_translators_strings(trained_reverse, tmp_path):
    # The target vocabulary lacks "q": each "q" of a source must come back
    # copied from the source, in TF Serving as in Python; n-best too.
    sources = [s for s in data.reverse(200, seed=47)[0] if "q" in s.split()][:6]
    assert sources
    for strategy in ("greedy", keras_s2s.decoding.BeamSearch(3, num_return_sequences=2)):
        copying = keras_s2s.Translator(
            *trained_reverse, strategy=strategy, replace_unknown=True, batch_size=4
        )
        expected = copying.translate(sources)["translation"]
        plain = keras_s2s.Translator(*trained_reverse, strategy=strategy, batch_size=4)(sources)
        assert expected != plain and "[UNK]" in str(plain)  # the replacement matters here
        name = "greedy" if strategy == "greedy" else "beam"
        path = copying.export_saved_model(tmp_path / name / "1")
        served = tf.saved_model.load(path).signatures["serving_default"](text=tf.constant(sources))
        got = served["translation"].numpy().tolist()
        got = [t.decode() if isinstance(t, bytes) else [x.decode() for x in t] for t in got]
        assert got == expected
        with open(os.path.join(path, "assets.extra.json")) as f:
            assert json.load(f)["replace_unknown"] is True


def test_translator_settings_an_export_cannot_honour_are_refused(trained_reverse, tmp_path):
    copying = keras_s2s.Translator(*trained_reverse, strategy="greedy", replace_unknown=True)
    with pytest.raises(ValueError, match=r"returns ids.*Received: replace_unknown=True"):
        keras_s2s.export.export(copying, tmp_path / "litert" / "1", format="litert")
    capped = keras_s2s.Translator(*trained_reverse, strategy="greedy", max_length=5)
    with pytest.raises(ValueError, match=r"Received: max_target_length=9, max_length=5"):
        capped.export_saved_model(tmp_path / "capped" / "1", max_target_length=9)
    assert not list(tmp_path.iterdir())


def test_seeded_nucleus_sampling_gives_the_translators_strings(trained_reverse, tmp_path):
    strategy = keras_s2s.decoding.Sampling(temperature=1.5, top_p=0.9, seed=11, min_length=2)
    translator = keras_s2s.Translator(*trained_reverse, strategy=strategy)
    sources = data.reverse(8, seed=53)[0]
    expected = translator(sources)
    assert expected != keras_s2s.Translator(*trained_reverse, strategy="greedy")(sources)  # it samples
    path = translator.export_saved_model(tmp_path / "m" / "1")
    served = tf.saved_model.load(path).signatures["serving_default"](text=tf.constant(sources))
    assert [t.decode() for t in served["translation"].numpy()] == expected


@pytest.mark.parametrize("replace_unknown", [False, True])
def test_the_strings_signature_keeps_attention_only_for_replace_unknown(untrained, replace_unknown):
    """`translate_text` decodes ids only unless `replace_unknown` reads the weights; traced without autograph."""
    from keras_s2s.export.translation_module import TranslationModule

    translator = keras_s2s.Translator(*untrained, strategy="beam", replace_unknown=replace_unknown)
    module = TranslationModule(translator)
    decode, asked = module.decode, []

    def spy(source_ids, requested=None, with_attention=True):
        asked.append(with_attention)
        return decode(source_ids, requested, with_attention)

    module.decode = spy
    module.translate_text.get_concrete_function()
    assert asked == [replace_unknown]
    ids = tf.constant(untrained[1](data.reverse(6, seed=4)[0]))
    lean, full = decode(ids, None, False), decode(ids, None, True)
    assert "attention" not in lean and full["attention"].shape[:2] == full["ids"].shape
    np.testing.assert_array_equal(lean["ids"], full["ids"])
    np.testing.assert_allclose(lean["scores"], full["scores"], atol=1e-6)
    assert not any(f._autograph for f in (module.translate_text, module.translate_ids))
