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
    decoder = AttentionDecoder(
        target_vocab,
        32,
        units,
        cell="lstm",
        num_layers=2,
        attention=MultiplicativeAttention("general", scale=True),
        input_feeding=True,
    )
    encoder_outputs, encoder_state = encoder(source_ids)
    logits = decoder(target_ids, encoder_outputs, encoder_state)
    model = keras.Model({"source_ids": source_ids, "target_ids": target_ids}, logits)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
        metrics=[keras_s2s.models.MaskedTokenAccuracy()],
    )
    return model, encoder, decoder


def greedy(encoder, decoder, source_ids, max_length):
    """Greedy decoding with the trained decoder's step function."""
    encoder_outputs, encoder_state = encoder(source_ids)
    memory = decoder.prepare_memory(encoder_outputs, source_ids != 0)
    return keras_s2s.decoding.dynamic_decode(
        decoder.step, decoder.initial_state(encoder_state), memory, "greedy", max_length=max_length
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    n = 1000 if args.quick else 6000
    sources, targets = data.reverse(n, seed=0)
    src_tok, tgt_tok = text.WordTokenizer.train(sources), text.WordTokenizer.train(targets)
    dataset = data.make_dataset(sources, targets, src_tok, tgt_tok, batch_size=64)
    model, encoder, decoder = build(src_tok.vocab_size, tgt_tok.vocab_size)
    history = model.fit(dataset, epochs=16 if args.quick else args.epochs, verbose=2)

    test_src, test_tgt = data.reverse(50, seed=99)
    out = greedy(encoder, decoder, src_tok(test_src), max_length=16)
    predictions = [p.decode() for p in tgt_tok.detokenize(out["ids"]).numpy()]
    for s, p, t in list(zip(test_src, predictions, test_tgt))[:5]:
        print(f"{s}\n  -> {p}   (reference: {t})")
    return {
        "losses": [float(x) for x in history.history["loss"]],
        "exact_match": float(np.mean([p == t for p, t in zip(predictions, test_tgt)])),
        "token_accuracy": float(np.mean([_token_accuracy(p, t) for p, t in zip(predictions, test_tgt)])),
    }


def _token_accuracy(prediction, reference):
    """Share of reference positions holding the right token."""
    predicted, wanted = prediction.split(), reference.split()
    return sum(a == b for a, b in zip(predicted, wanted)) / len(wanted)


if __name__ == "__main__":
    tf.get_logger().setLevel("ERROR")
    main()
