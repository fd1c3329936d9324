"""The Transformer model: learning, generate, compile/fit defaults, saving, Translator."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_s2s
from keras_s2s import data
from keras_s2s.decoding import BeamSearch, GreedySearch, Sampling
from keras_s2s.models import EncoderDecoderModel, LabelSmoothedCrossEntropy, Seq2Seq, Transformer

TINY = dict(embedding_dim=16, num_layers=2, num_heads=2, feedforward_dim=32)


@pytest.fixture(scope="module")
def trained(trained_transformer):
    return trained_transformer


def _validation(trained, n=200):
    model, source_tokenizer, target_tokenizer = trained
    sources, targets = data.reverse(n, seed=1)
    return source_tokenizer(sources).numpy(), target_tokenizer(targets).numpy()


def test_learns_the_reverse_task(trained):
    model = trained[0]
    src, tgt = _validation(trained)
    _, accuracy = model.evaluate({"source_ids": src, "target_ids": tgt[:, :-1]}, tgt[:, 1:], verbose=0)
    assert accuracy > 0.95  # reached 0.999
    # Free-running greedy decoding with the cache, not just teacher forcing.
    out = model.generate(src[:100], max_length=14)
    ids = out["ids"].numpy()
    expected = tgt[:100, 1 : 1 + ids.shape[1]]
    assert np.mean(np.all(ids == expected, axis=1)) > 0.8  # reached 1.0
    assert np.mean((ids == expected)[expected != 0]) > 0.95


def test_greedy_decoding_equals_the_teacher_forced_argmax_and_scores(trained):
    model = trained[0]
    src, _ = _validation(trained, 16)
    out = model.generate(src, "greedy", max_length=14)
    ids = out["ids"].numpy()  # (B, L)
    target_in = np.concatenate([np.full((16, 1), 2, "int32"), ids[:, :-1]], axis=1)
    logits = model({"source_ids": src, "target_ids": target_in})  # (B, L, V)
    live = (np.cumsum(ids == 3, axis=1) - (ids == 3)) == 0  # up to and including [END]
    np.testing.assert_array_equal(np.argmax(logits, -1)[live], ids[live])
    log_probs = tf.nn.log_softmax(logits).numpy()
    picked = np.take_along_axis(log_probs, ids[..., None], -1)[..., 0]
    np.testing.assert_allclose((picked * live).sum(1), out["scores"], atol=1e-4)


def test_generate_greedy_beam_and_sampling_return_the_seq2seq_dict(trained):
    model = trained[0]
    src, _ = _validation(trained, 6)
    src = src[:, :-1]  # a padded last column in some rows
    greedy = model.generate(src, GreedySearch(), max_length=14)
    assert set(greedy) == {"ids", "scores", "attention"}
    length = greedy["ids"].shape[1]
    assert greedy["ids"].dtype == tf.int32 and greedy["ids"].shape[0] == 6 and length <= 14
    assert greedy["scores"].shape == (6,) and greedy["attention"].shape == (6, length, src.shape[1])
    beam1 = model.generate(src, BeamSearch(beam_size=1, length_penalty=0.0), max_length=14)
    np.testing.assert_array_equal(beam1["ids"], greedy["ids"])
    np.testing.assert_allclose(beam1["attention"], greedy["attention"], atol=1e-5)
    beams = model.generate(src, BeamSearch(beam_size=3, num_return_sequences=2), max_length=14)
    assert beams["ids"].shape[:2] == (6, 2) and beams["scores"].shape == (6, 2)
    assert beams["attention"].shape[:2] == (6, 2) and beams["attention"].shape[-1] == src.shape[1]
    sampled = model.generate(src, Sampling(temperature=0.5, seed=3), max_length=14)
    np.testing.assert_array_equal(
        sampled["ids"], model.generate(src, Sampling(temperature=0.5, seed=3), max_length=14)["ids"]
    )
    assert sampled["scores"].shape == (6,)
    # The attention: the last block's cross-attention, a distribution over the
    # real source tokens up to [END], zero on padding and after [END].
    ids, attention = greedy["ids"].numpy(), greedy["attention"].numpy()
    live = (np.cumsum(ids == 3, axis=1) - (ids == 3)) == 0
    np.testing.assert_allclose(attention.sum(-1)[live], 1.0, atol=1e-5)
    assert np.all(attention.sum(-1)[~live] == 0)
    assert np.all(attention[np.broadcast_to((src == 0)[:, None, :], attention.shape)] == 0)


def test_xla_decoding_and_a_traced_generate_give_the_same_tokens(trained):
    model = trained[0]
    src, _ = _validation(trained, 8)
    for strategy in ("greedy", BeamSearch(beam_size=3)):
        plain = model.generate(src, strategy, max_length=14)
        xla = model.generate(src, strategy, max_length=14, jit_compile=True)
        np.testing.assert_array_equal(xla["ids"], plain["ids"])
        np.testing.assert_allclose(xla["scores"], plain["scores"], atol=1e-4)
    traced = tf.function(lambda x: model.generate(x, "greedy")["ids"])(tf.constant(src))
    np.testing.assert_array_equal(traced, model.generate(src)["ids"])


def test_a_plain_graph_decode_grows_its_caches_and_xla_keeps_fixed_buffers(monkeypatch):
    model = Transformer(12, 12, **TINY)
    layouts = []
    initial_state = model.decoder.initial_state

    def recording(batch_size, max_length):
        state = initial_state(batch_size, max_length)
        layouts.append("fixed" if "position" in state else f"growing from {state['keys'][0].shape[2]}")
        return state

    monkeypatch.setattr(model.decoder, "initial_state", recording)
    src = np.array([[4, 5, 6, 3], [7, 8, 3, 0]], "int32")
    plain = model.generate(src, BeamSearch(beam_size=2), max_length=5)
    xla = model.generate(src, BeamSearch(beam_size=2), max_length=5, jit_compile=True)
    assert layouts == ["growing from 0", "fixed"]
    np.testing.assert_array_equal(plain["ids"], xla["ids"])


def test_translator_takes_a_transformer_unchanged(trained):
    translator = keras_s2s.Translator(*trained, strategy="beam")
    sources, targets = data.reverse(20, seed=5)
    result = translator.translate(sources)
    assert np.mean([t == r for t, r in zip(result["translation"], targets)]) > 0.8
    attention = result["attention"][0]
    assert attention.shape == (len(result["target_tokens"][0]), len(result["source_tokens"][0]))
    np.testing.assert_allclose(attention.sum(-1), 1.0, atol=1e-5)


def test_keras_file_round_trip_gives_identical_outputs(tmp_path):
    keras.utils.set_random_seed(1)
    src = np.array([[2, 5, 6, 7, 3, 0], [2, 9, 3, 0, 0, 0]], "int32")
    tgt = np.array([[2, 7, 6, 5], [2, 9, 0, 0]], "int32")
    for config in ({}, dict(tie_embeddings=False, num_heads=1, dropout=0.2)):
        model = Transformer(12, 14, **{**TINY, **config})
        expected = model({"source_ids": src, "target_ids": tgt})
        model.save(tmp_path / "t.keras")
        restored = keras.models.load_model(tmp_path / "t.keras")
        assert isinstance(restored, Transformer) and restored.get_config() == model.get_config()
        np.testing.assert_array_equal(restored({"source_ids": src, "target_ids": tgt}), expected)
        if not config:  # one decode is enough to see that the cache path reloads too
            np.testing.assert_array_equal(
                restored.generate(src, max_length=6)["ids"], model.generate(src, max_length=6)["ids"]
            )


def test_config_round_trip_and_architecture():
    model = Transformer(30, 40, embedding_dim=16, num_layers=3, num_heads=4, feedforward_dim=24, dropout=0.3)
    config = model.get_config()
    assert Transformer.from_config(config).get_config() == config
    assert config["num_layers"] == 3 and config["tie_embeddings"] is True and config["output_bias"] == "prior"
    assert isinstance(model, EncoderDecoderModel) and isinstance(Seq2Seq(5, 5, 4, 4), EncoderDecoderModel)
    assert sorted(model.input) == ["source_ids", "target_ids"]
    assert len(model.encoder.blocks) == len(model.decoder.blocks) == 3
    attention = model.decoder.blocks[0].cross_attention
    assert isinstance(attention, keras_s2s.layers.ScaledDotProductAttention) and attention.num_heads == 4
    # Tied: the target embedding is the output projection; one (V, d) matrix fewer.
    untied = Transformer(
        30, 40, embedding_dim=16, num_layers=3, num_heads=4, feedforward_dim=24, tie_embeddings=False
    )
    assert untied.count_params() == model.count_params() + 40 * 16


def test_default_compile_fit_and_the_output_prior():
    keras.utils.set_random_seed(2)
    src = np.random.randint(4, 12, size=(64, 7)).astype("int32")
    tgt = np.concatenate([np.full((64, 1), 2), src[:, ::-1], np.zeros((64, 2))], axis=1).astype("int32")
    tgt[:32, 5:] = 0  # padded targets
    x, y = {"source_ids": src, "target_ids": tgt[:, :-1]}, tgt[:, 1:]
    model = Transformer(12, 12, **TINY)
    model.compile(run_eagerly=True)  # the defaults; eager: no traced train step for 8 steps
    assert isinstance(model.optimizer, keras.optimizers.Adam) and model.optimizer.clipnorm == 1.0
    logits = model(x)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits).numpy()
    loss, accuracy = model.evaluate(x, y, batch_size=64, verbose=0)
    assert loss == pytest.approx(ce[y != 0].mean(), rel=1e-4)
    assert accuracy == pytest.approx((np.argmax(logits, -1) == y)[y != 0].mean(), abs=1e-6)
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    bias = model.decoder.logits_bias.numpy()
    assert bias[0] < bias[3] < 0 and bias[5] > bias[3]  # log unigram prior, [PAD] not counted
    assert history.history["loss"][1] < history.history["loss"][0]
    plain = Transformer(12, 12, output_bias="zeros", **TINY)
    # Eagerly: one more traced train step would cost seconds for nothing.
    plain.compile(optimizer=keras.optimizers.SGD(0.0), label_smoothing=0.1, run_eagerly=True)
    assert isinstance(plain.loss, LabelSmoothedCrossEntropy) and plain.loss.label_smoothing == 0.1
    plain.fit({k: v[:8] for k, v in x.items()}, y[:8], epochs=1, verbose=0)
    assert np.all(plain.decoder.logits_bias.numpy() == 0)


@pytest.mark.parametrize("policy, atol", [("mixed_bfloat16", 0.1), ("mixed_float16", 0.01)])
def test_mixed_precision_greedy_decoding_equals_the_teacher_forced_argmax(policy, atol):
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        model = Transformer(20, 20, **TINY)
        assert model.decoder.compute_dtype == policy.split("_")[-1]
        source = np.random.RandomState(0).randint(4, 20, size=(8, 7)).astype("int32")
        out = model.generate(source, "greedy", max_length=6)
        ids = out["ids"].numpy()
        target_in = np.concatenate([np.full((8, 1), 2, "int32"), ids[:, :-1]], axis=1)
        logits = model({"source_ids": source, "target_ids": target_in}).numpy()  # (B, L, V)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert logits.dtype == np.float32
    live = (np.cumsum(ids == 3, axis=1) - (ids == 3)) == 0  # up to and including [END]
    live &= np.cumsum(ids == 0, axis=1) == 0  # teacher forcing masks an emitted [PAD]
    assert live.sum() > 20
    np.testing.assert_array_equal(np.argmax(logits, -1)[live], ids[live])
    # The step reads its cache and weights in the compute dtype where the call
    # is autocast: the same tokens, scores within the policy's rounding.
    log_probs = tf.nn.log_softmax(logits).numpy()
    picked = np.take_along_axis(log_probs, ids[..., None], -1)[..., 0]  # (B, L)
    whole = live.sum(1) == np.sum(ids != 0, axis=1)
    np.testing.assert_allclose((picked * live).sum(1)[whole], out["scores"].numpy()[whole], atol=atol)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(output_bias="uniform"), "output_bias='uniform'"),
        (dict(embedding_dim=10, num_heads=3), "Received: num_heads=3, embedding_dim=10"),
        (dict(dropout=1), "dropout=1"),
        (dict(tie_embeddings=None), "tie_embeddings=None"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Transformer(10, 10, **{**TINY, **kwargs})


def test_generate_errors_name_the_bad_value():
    model = Transformer(10, 10, **TINY)
    with pytest.raises(ValueError, match="max_length=0"):
        model.generate(np.ones((1, 3), "int32"), max_length=0)
    with pytest.raises(ValueError, match="source_ids.dtype=float32"):
        model.generate(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match="encoder_state with 1 tensors"):
        model.decode_encoded(
            tf.ones((1, 3), tf.int32), tf.zeros((1, 3, 16)), [tf.zeros((1, 16))], "greedy", 4
        )
