"""Compose your own encoder/decoder from keras_s2s layers with the functional API.

    python examples/custom_model_functional_api.py [--quick]

Here: a 2-layer LSTM encoder, Luong "general" attention with a learned scale,
and a decoder with input feeding, trained on the copy-reverse task. Decoding
reuses the decoder's own `step` through `keras_s2s.decoding.dynamic_decode`.
"""

import argparse

import keras
import numpy as np
import tensorflow as tf

import keras_s2s
from keras_s2s import data, text
from keras_s2s.layers import AttentionDecoder, MultiplicativeAttention, RNNEncoder


def build(source_vocab, target_vocab, units=64):
    source_ids = keras.Input((None,), dtype="int32", name="source_ids")
    target_ids = keras.Input((None,), dtype="int32", name="target_ids")
    encoder = RNNEncoder(source_vocab, 32, units, cell="lstm", num_layers=2)
    decoder = AttentionDecoder(target_vocab, 32, units, cell="lstm", num_layers=2,
                               attention=MultiplicativeAttention("general", scale=True),
                               input_feeding=True)
    encoder_outputs, encoder_state = encoder(source_ids)
    logits = decoder(target_ids, encoder_outputs, encoder_state)
    model = keras.Model({"source_ids": source_ids, "target_ids": target_ids}, logits)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
        metrics=[keras_s2s.models.MaskedTokenAccuracy()],
    )
    return model, encoder, decoder


def greedy(encoder, decoder, source_ids, max_length):
    """Greedy decoding with the trained decoder's step function."""
    encoder_outputs, encoder_state = encoder(source_ids)
    memory = decoder.prepare_memory(encoder_outputs, source_ids != 0)
    return keras_s2s.decoding.dynamic_decode(
        decoder.step, decoder.initial_state(encoder_state), memory, "greedy",
        max_length=max_length)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n = 1000 if args.quick else 6000
    sources, targets = data.reverse(n, seed=0)
    src_tok, tgt_tok = text.WordTokenizer.train(sources), text.WordTokenizer.train(targets)
    dataset = data.make_dataset(sources, targets, src_tok, tgt_tok, batch_size=64)
    model, encoder, decoder = build(src_tok.vocab_size, tgt_tok.vocab_size)
    model.fit(dataset, epochs=1 if args.quick else args.epochs, verbose=2)

    test_src, test_tgt = data.reverse(5, seed=99)
    out = greedy(encoder, decoder, src_tok(test_src), max_length=16)
    predictions = tgt_tok.detokenize(out["ids"]).numpy()
    for s, p, t in zip(test_src, predictions, test_tgt):
        print(f"{s}\n  -> {p.decode()}   (reference: {t})")
    return float(np.mean([p.decode() == t for p, t in zip(predictions, test_tgt)]))


if __name__ == "__main__":
    tf.get_logger().setLevel("ERROR")
    main()
