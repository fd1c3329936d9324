"""The demo job: dates → ISO with additive attention, plotted and exported."""

import os
import time

import numpy as np
import tensorflow as tf

from keras_s2s import data, text
from keras_s2s.models import Seq2Seq
from keras_s2s.training import TimeBudget
from keras_s2s.translator import Translator, plot_attention


def train_dates_model(seconds, n=20000, epochs=40, print_fn=print):
    """A character-level additive-attention model for the dates task."""
    sources, targets = data.dates(n, seed=0)
    source_tokenizer = text.CharTokenizer.train(sources, lowercase=True)
    target_tokenizer = text.CharTokenizer.train(targets)
    train_data = data.make_dataset(
        sources, targets, source_tokenizer, target_tokenizer, batch_size=64, seed=0
    )
    model = Seq2Seq(
        source_tokenizer.vocab_size,
        target_tokenizer.vocab_size,
        embedding_dim=32,
        units=64,
        attention="additive",
    )
    model.compile()
    print_fn(f"Training an additive-attention Seq2Seq on {n} dates for ~{seconds:.0f}s")
    model.fit(train_data, epochs=epochs, callbacks=[TimeBudget(seconds)], verbose=2)
    return model, source_tokenizer, target_tokenizer


def run_demo(seconds=120.0, output_dir="saved_models", n_test=200, print_fn=print):
    """Trains, translates, plots, exports SavedModel + LiteRT, checks both.

    Returns:
        dict with `exact_match` (greedy, held-out), `saved_model_match`,
        `litert_match` (fraction of test sentences whose exported output
        equals the Keras output) and `exports_match` (both are 1.0).
    """
    start = time.monotonic()
    model, source_tokenizer, target_tokenizer = train_dates_model(seconds, print_fn=print_fn)
    translator = Translator(model, source_tokenizer, target_tokenizer, strategy="greedy")
    test_sources, test_targets = data.dates(n_test, seed=12345)
    result = translator.translate(test_sources)
    predictions = result["translation"]
    exact = float(np.mean([p == t for p, t in zip(predictions, test_targets)]))
    for source, prediction, target in list(zip(test_sources, predictions, test_targets))[:6]:
        mark = "ok " if prediction == target else "ERR"
        print_fn(f"[{mark}] {source:<38} -> {prediction}")
    print_fn(f"Held-out exact match (greedy): {exact:.1%} of {n_test} dates")

    os.makedirs(output_dir, exist_ok=True)
    png = plot_attention(result, os.path.join(output_dir, "dates_attention.png"))
    print_fn(f"Attention heat map of '{test_sources[0]}': {png}")

    saved = translator.export_saved_model(os.path.join(output_dir, "dates", "1"), overwrite=True)
    serving = tf.saved_model.load(saved).signatures["serving_default"]
    served = [t.decode() for t in serving(text=tf.constant(test_sources))["translation"].numpy()]
    saved_match = float(np.mean([a == b for a, b in zip(served, predictions)]))
    print_fn(f"SavedModel {saved}: {saved_match:.1%} of translations equal the Keras model's")

    tflite = translator.export_litert(
        os.path.join(output_dir, "dates_litert", "dates.tflite"), overwrite=True
    )
    litert_match = _litert_agreement(tflite, translator, test_sources)
    print_fn(f"LiteRT {tflite}: {litert_match:.1%} of token sequences equal the Keras model's")
    ok = saved_match == 1.0 and litert_match == 1.0
    print_fn(f"Demo {'passed' if ok else 'FAILED'} in {time.monotonic() - start:.0f}s")
    return {
        "exact_match": exact,
        "saved_model_match": saved_match,
        "litert_match": litert_match,
        "exports_match": ok,
    }


def _litert_agreement(path, translator, sentences):
    from ai_edge_litert.interpreter import Interpreter

    source_ids = translator.source_tokenizer(sentences).numpy()
    runner = Interpreter(model_path=path).get_signature_runner("translate_ids")
    lite = runner(source_ids=source_ids)["target_ids"]
    keras_ids = translator.model.generate(source_ids, translator.strategy)["ids"].numpy()
    n = max(lite.shape[1], keras_ids.shape[1])
    pad = lambda a: np.pad(a, [(0, 0), (0, n - a.shape[1])])  # noqa: E731
    return float(np.mean(np.all(pad(lite) == pad(keras_ids), axis=1)))
