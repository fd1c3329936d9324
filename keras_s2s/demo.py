"""The demo job: train a small attention model on a synthetic task, decode it."""

import time

import keras
import numpy as np

from keras_s2s import data, text
from keras_s2s.models import Seq2Seq


class TimeLimit(keras.callbacks.Callback):
    """Stops training at the end of the epoch in which `seconds` ran out."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        if time.monotonic() - self.start > self.seconds:
            self.model.stop_training = True


def run_demo(seconds=60, epochs=30, attention="additive", print_fn=print):
    """Trains on the copy-reverse task for about `seconds` and prints translations.

    Returns:
        dict with the held-out exact-match rate and token accuracy.
    """
    sources, targets = data.reverse(8000, seed=0)
    source_tokenizer = text.WordTokenizer.train(sources)
    target_tokenizer = text.WordTokenizer.train(targets)
    src = source_tokenizer(sources).numpy()  # (N, S) [START] x [END]
    tgt = target_tokenizer(targets).numpy()  # (N, T) [START] y [END]
    x, y = {"source_ids": src, "target_ids": tgt[:, :-1]}, tgt[:, 1:]

    model = Seq2Seq(
        source_tokenizer.vocab_size,
        target_tokenizer.vocab_size,
        embedding_dim=32,
        units=64,
        attention=attention,
    )
    model.compile()
    print_fn(f"Training a {attention}-attention Seq2Seq on the reverse task (~{seconds}s)")
    model.fit(x, y, batch_size=64, epochs=epochs, validation_split=0.05,
              callbacks=[TimeLimit(seconds)], verbose=2)

    test_sources, test_targets = data.reverse(200, seed=12345)
    out = model.generate(source_tokenizer(test_sources))
    predictions = [s.decode() for s in target_tokenizer.detokenize(out["ids"]).numpy()]
    exact = float(np.mean([p == t for p, t in zip(predictions, test_targets)]))
    for source, prediction, target in list(zip(test_sources, predictions, test_targets))[:5]:
        mark = "ok " if prediction == target else "ERR"
        print_fn(f"[{mark}] {source}\n      -> {prediction}")
    print_fn(f"Held-out exact match (greedy): {exact:.1%} of {len(test_sources)} sentences")
    return {"exact_match": exact}
