"""Trains a tiny model on another backend: `python tests/backend_worker.py ARCH OUT`.

Run by tests/test_cross_backend_export.py with `KERAS_BACKEND` set to `jax` or
`torch`. Trains a seeded tiny `Seq2Seq` (ARCH `rnn`) or `Transformer`
(ARCH `transformer`) on the reverse task with plain `model.fit`, writes
`OUT/model.keras` and the tokenizers (a run directory), and `OUT/decoded.npz`:
the source ids and what `generate` returns for them, greedy and beam, on
this backend.
"""

import os
import sys

import keras
import numpy as np

from keras_s2s import data, text
from keras_s2s.decoding import BeamSearch
from keras_s2s.models import Seq2Seq, Transformer
from keras_s2s.training import run_directory

ARCH, OUT = sys.argv[1], sys.argv[2]
SENTENCES = data.reverse(16, seed=77)[0]
STRATEGIES = {"greedy": "greedy", "beam": BeamSearch(beam_size=3, length_penalty=0.6)}


def main():
    keras.utils.set_random_seed(3)
    sources, targets = data.reverse(1500, seed=5)
    source_tokenizer = text.WordTokenizer.train(sources)
    target_tokenizer = text.WordTokenizer.train(targets)
    src, tgt = np.asarray(source_tokenizer(sources)), np.asarray(target_tokenizer(targets))
    sizes = (source_tokenizer.vocab_size, target_tokenizer.vocab_size)
    if ARCH == "rnn":
        model = Seq2Seq(*sizes, embedding_dim=16, units=32, cell="lstm", attention="multiplicative")
    else:
        model = Transformer(*sizes, embedding_dim=16, num_layers=1, num_heads=2, feedforward_dim=32)
    model.compile()
    epochs = 3 if ARCH == "rnn" else 10
    model.fit(
        {"source_ids": src, "target_ids": tgt[:, :-1]}, tgt[:, 1:], batch_size=50, epochs=epochs, verbose=0
    )
    run_directory.save_model(OUT, model)
    run_directory.save_tokenizers(OUT, source_tokenizer, target_tokenizer)
    source_ids = np.asarray(source_tokenizer(SENTENCES))  # (B, S)
    arrays = {"source_ids": source_ids, "backend": np.asarray(keras.backend.backend())}
    for name, strategy in STRATEGIES.items():
        out = model.generate(source_ids, strategy)
        for key, value in out.items():
            arrays[f"{name}_{key}"] = keras.ops.convert_to_numpy(value)
    np.savez(os.path.join(OUT, "decoded.npz"), **arrays)


if __name__ == "__main__":
    main()
