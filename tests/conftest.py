import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pathlib  # noqa: E402

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Same seed, same numbers: trained-model tests do not depend on thread timing.
tf.config.experimental.enable_op_determinism()

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
    yield


@pytest.fixture(scope="session")
def trained_reverse():
    """A small additive-attention model trained ~15 s on the reverse task.

    The target vocabulary lacks the symbol "q", so references with "q"
    contain [UNK] (used by the `replace_unknown` tests). Trained to roughly
    95% token accuracy: good, not perfect, so search strategies can differ.
    """
    import numpy as np

    from keras_s2s import data, text
    from keras_s2s.models import Seq2Seq

    keras.utils.set_random_seed(7)
    sources, targets = data.reverse(4000, seed=0)
    source_tokenizer = text.WordTokenizer.train(sources)
    target_tokenizer = text.WordTokenizer(vocabulary=[t for t in source_tokenizer.vocabulary if t != "q"])
    src = source_tokenizer(sources).numpy()
    tgt = target_tokenizer(targets).numpy()
    model = Seq2Seq(source_tokenizer.vocab_size, target_tokenizer.vocab_size, embedding_dim=32, units=64)
    model.compile()
    model.fit({"source_ids": src, "target_ids": tgt[:, :-1]}, tgt[:, 1:], batch_size=64, epochs=4, verbose=0)
    assert np.isfinite(
        model.evaluate({"source_ids": src[:64], "target_ids": tgt[:64, :-1]}, tgt[:64, 1:], verbose=0)[0]
    )
    return model, source_tokenizer, target_tokenizer


@pytest.fixture(scope="session")
def trained_transformer():
    """A seeded tiny Transformer trained ~30 s on the reverse task (default compile).

    Reaches ~0.999 teacher-forced token accuracy and exact greedy
    reversals; shared by the Transformer model and export tests.
    """
    from keras_s2s import data, text
    from keras_s2s.models import Transformer

    keras.utils.set_random_seed(0)
    sources, targets = data.reverse(4000, seed=0)
    source_tokenizer = text.WordTokenizer.train(sources)
    target_tokenizer = text.WordTokenizer.train(targets)
    src, tgt = source_tokenizer(sources).numpy(), target_tokenizer(targets).numpy()
    model = Transformer(
        source_tokenizer.vocab_size,
        target_tokenizer.vocab_size,
        embedding_dim=32,
        num_layers=2,
        num_heads=4,
        feedforward_dim=64,
        dropout=0.0,
    )
    model.compile()
    model.fit({"source_ids": src, "target_ids": tgt[:, :-1]}, tgt[:, 1:], batch_size=64, epochs=6, verbose=0)
    return model, source_tokenizer, target_tokenizer
