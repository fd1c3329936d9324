"""Contract tests shared by the three tokenizers (keras_s2s.text.BaseTokenizer)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_s2s.text import CharTokenizer, SubwordTokenizer, WordTokenizer

CORPUS = ["A dog runs.", "Dogs run!", "a cat, a dog", "the dog sleeps"]
VOCABS = {  # Fixed vocabularies, so expected ids are known by hand.
    WordTokenizer: ["a", "dog", ".", "runs"],
    CharTokenizer: ["a", " ", "d", "o", "g", "."],
    SubwordTokenizer: ["a", "dog", "d", "##o", "##g", "##s", "."],
}
# "a dog." and "a dogs" under each vocabulary (without [START]/[END]).
EXPECTED = {
    WordTokenizer: ([4, 5, 6], [4, 1]),
    CharTokenizer: ([4, 5, 6, 7, 8, 9], [4, 5, 6, 7, 8, 1]),
    SubwordTokenizer: ([4, 5, 10], [4, 5, 9]),  # dogs = dog ##s
}
CLASSES = list(VOCABS)


@pytest.fixture(params=CLASSES, ids=lambda c: c.__name__)
def cls(request):
    return request.param


def make(cls, **kwargs):
    return cls(vocabulary=VOCABS[cls], **kwargs)


def test_special_ids_dense_padding_and_ragged(cls):
    tok = make(cls)
    dot, dogs = EXPECTED[cls]
    assert tok.vocabulary[:4] == ["[PAD]", "[UNK]", "[START]", "[END]"]
    assert tok.vocab_size == 4 + len(VOCABS[cls])
    ids = tok(tf.constant(["a dog.", "a dogs", ""]))
    width = 2 + max(len(dot), len(dogs))
    pad = lambda x: x + [0] * (width - len(x))  # noqa: E731
    assert ids.dtype == tf.int32
    assert ids.numpy().tolist() == [pad([2] + dot + [3]), pad([2] + dogs + [3]), pad([2, 3])]
    ragged = make(cls, ragged=True)(["a dog.", "a dogs", ""])
    assert isinstance(ragged, tf.RaggedTensor)
    assert ragged.to_list() == [[2] + dot + [3], [2] + dogs + [3], [2, 3]]
    # A scalar gives one 1-D sequence; (B, 1) input is squeezed.
    assert tok(tf.constant("a dog.")).numpy().tolist() == [2] + dot + [3]
    assert tok(tf.constant([["a dog."]])).numpy().tolist() == [[2] + dot + [3]]


def test_max_length_truncates_but_keeps_end(cls):
    tok = make(cls, max_length=3)
    dot, _ = EXPECTED[cls]
    assert tok(["a dog.", ""]).numpy().tolist() == [[2, dot[0], 3], [2, 3, 0]]


def test_detokenize_stops_at_end_ignores_padding_and_nests(cls):
    tok = make(cls)
    dot, _ = EXPECTED[cls]
    seq = [2] + dot + [3]
    garbage = [3, dot[0], 0, 2]  # after [END]: ignored
    assert tok.detokenize(tf.constant([seq + garbage])).numpy().tolist() == [b"a dog."]
    assert tok.detokenize(dot + [0, 0]).numpy() == b"a dog."  # no [START]/[END]
    beams = tok.detokenize(np.array([[seq, [2, 3, 0, 0, 0, 0, 0, 0][: len(seq)]]]))
    assert beams.shape == (1, 2) and beams.numpy().tolist() == [[b"a dog.", b""]]
    ragged = tok.detokenize(tf.ragged.constant([seq, [2, 3]], dtype=tf.int64))
    assert ragged.numpy().tolist() == [b"a dog.", b""]


def test_detokenize_empty_shapes(cls):
    tok = make(cls)
    assert tok.detokenize(tf.zeros([2, 0], tf.int32)).numpy().tolist() == [b"", b""]
    assert tok.detokenize(tf.zeros([0, 5], tf.int32)).shape == (0,)
    assert tok.detokenize(tf.zeros([2, 3, 0], tf.int32)).shape == (2, 3)


def test_unknown_and_out_of_range_ids_render_as_unk(cls):
    tok = make(cls)
    assert tok.detokenize([[1, 4], [999, -1]]).numpy().tolist()[1] in (b"[UNK] [UNK]", b"[UNK][UNK]")
    assert tok.ids_to_tokens([[2, 4, 3, 999]]).numpy().tolist() == [
        [b"[START]", VOCABS[cls][0].encode(), b"[END]", b"[UNK]"]
    ]


def test_tokens_to_text_joins_with_the_tokenizer_rule(cls):
    joined = make(cls).tokens_to_text([["a", "dog", "."], []]).numpy().tolist()
    assert (
        joined
        == {
            WordTokenizer: [b"a dog.", b""],
            CharTokenizer: [b"adog.", b""],
            SubwordTokenizer: [b"a dog.", b""],
        }[cls]
    )
    assert make(cls).tokens_to_text(tf.ragged.constant([["d", "##o"]])).numpy().tolist() == [
        {WordTokenizer: b"d ##o", CharTokenizer: b"d##o", SubwordTokenizer: b"do"}[cls]
    ]


def test_round_trip_equals_normalized_text(cls):
    tok = cls.train(CORPUS)
    texts = CORPUS + ["  A   dog\truns. ", ""]
    assert tok.detokenize(tok(texts)).numpy().tolist() == tok.normalize(texts).numpy().tolist()
    assert tok.normalize(["  A   dog\truns. "]).numpy().tolist() == [b"A dog runs."]


def test_train_accepts_tf_data(cls):
    from_list = cls.train(CORPUS)
    from_ds = cls.train(tf.data.Dataset.from_tensor_slices(CORPUS))
    assert from_ds.vocabulary == from_list.vocabulary


def test_serialize_config_and_vocabulary_file(cls, tmp_path):
    tok = make(cls, lowercase=True, max_length=7)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(tok))
    assert type(clone) is cls and clone.get_config() == tok.get_config()
    path = tmp_path / "vocab.txt"
    tok.save_vocabulary(path)
    loaded = cls.from_vocabulary_file(path, lowercase=True, max_length=7)
    assert loaded.vocabulary == tok.vocabulary
    assert cls(vocabulary=str(path)).vocabulary == tok.vocabulary
    np.testing.assert_array_equal(loaded(["A DOG."]), tok(["A DOG."]))


def test_keras_file_round_trip(cls, tmp_path):
    tok = make(cls)
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, tok(inputs))
    model.save(tmp_path / "tok.keras")
    restored = keras.models.load_model(tmp_path / "tok.keras")
    texts = tf.constant(["a dog.", "a dogs", ""])
    np.testing.assert_array_equal(restored(texts), model(texts))


def test_graph_mode_in_tf_data_tf_function_and_saved_model(cls, tmp_path):
    tok = make(cls)
    expected = tok(["a dog.", "a dogs"]).numpy()
    ds = tf.data.Dataset.from_tensor_slices(["a dog.", "a dogs"]).batch(2).map(tok)
    np.testing.assert_array_equal(next(iter(ds)), expected)
    per_example = tf.data.Dataset.from_tensor_slices(["a dog."]).map(tok)
    assert next(iter(per_example)).numpy().tolist() == expected[0][expected[0] > 0].tolist()

    module = tf.Module()
    module.tok = tok
    module.tokenize = tf.function(lambda s: tok(s), input_signature=[tf.TensorSpec([None], tf.string)])
    module.detokenize = tf.function(
        lambda i: tok.detokenize(i), input_signature=[tf.TensorSpec([None, None], tf.int32)]
    )
    tf.saved_model.save(module, str(tmp_path / "sm"))
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    ids = loaded.tokenize(tf.constant(["a dog.", "a dogs"]))
    np.testing.assert_array_equal(ids, expected)
    assert loaded.detokenize(ids).numpy().tolist()[0] == b"a dog."
    # Only TensorFlow / TF-Text kernels: no Python ops inside the graph.
    ops = set()
    for fn in (module.tokenize, module.detokenize):
        graph = fn.get_concrete_function().graph.as_graph_def()
        ops |= {n.op for n in graph.node}
        ops |= {n.op for f in graph.library.function for n in f.node_def}
    assert not ops & {"PyFunc", "EagerPyFunc", "PyFuncStateless"}


def test_untrained_and_bad_arguments_raise(cls):
    with pytest.raises(ValueError, match="has no vocabulary"):
        cls()(["a"])
    with pytest.raises(ValueError, match="Received: max_length=1"):
        cls(max_length=1)
    with pytest.raises(ValueError, match="Received: normalization='NFX'"):
        cls(normalization="NFX")
    with pytest.raises(ValueError, match="Received: vocab_size=-3"):
        cls.train(CORPUS, vocab_size=-3)
    with pytest.raises(ValueError, match="Received: min_frequency=0"):
        cls.train(CORPUS, min_frequency=0)
    with pytest.raises(ValueError, match=r"Received: inputs.shape=\(1, 2\)"):
        make(cls)(tf.constant([["a", "b"]]))
    with pytest.raises(ValueError, match="must be integers"):
        make(cls).detokenize(tf.constant([[1.0]]))
