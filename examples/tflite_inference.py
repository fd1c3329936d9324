"""Run an exported LiteRT model the way a mobile app would: no TensorFlow.

    keras-s2s export --model runs/my_model --format litert --output model/m.tflite
    python examples/tflite_inference.py model/m.tflite "ein hund läuft"

Only `ai_edge_litert` and numpy: the vocabulary files written beside the
.tflite map words to ids and back in plain Python (whitespace + punctuation
split; WordPiece `##` pieces are matched greedily, longest first).
"""

import argparse
import json
import os
import re
import unicodedata

import numpy as np
from ai_edge_litert.interpreter import Interpreter

PAD, UNK, START, END = 0, 1, 2, 3


class Vocabulary:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.tokens = f.read().splitlines()
        self.ids = {t: i for i, t in enumerate(self.tokens)}

    def encode(self, sentence, lowercase=False):
        sentence = unicodedata.normalize("NFKC", sentence)
        sentence = sentence.lower() if lowercase else sentence
        ids = [START]
        for word in re.findall(r"\w+|[^\w\s]", sentence):
            ids.extend(self._wordpiece(word))
        return ids + [END]

    def _wordpiece(self, word):
        if word in self.ids:
            return [self.ids[word]]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    start = end
                    break
            else:
                return [UNK]
        return pieces

    def decode(self, ids):
        words = []
        for i in ids:
            if i == END:
                break
            token = self.tokens[i] if 0 <= i < len(self.tokens) else "[UNK]"
            if token.startswith("##") and words:
                words[-1] += token[2:]
            elif i not in (PAD, START):
                words.append(token)
        return re.sub(r" ([.,!?;:])", r"\1", " ".join(words))


def translate(model_path, sentences):
    directory = os.path.dirname(os.path.abspath(model_path))
    source, target = (Vocabulary(os.path.join(directory, f"{side}_vocab.txt")) for side in ("source", "target"))
    meta_path = os.path.splitext(model_path)[0] + ".json"
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
    settings = meta.get("source_tokenizer", {})
    if settings.get("class_name", "SubwordTokenizer") not in ("SubwordTokenizer", "WordTokenizer"):
        raise SystemExit(f"this example reads word and subword vocabularies; got {settings['class_name']}")
    lowercase = settings.get("lowercase", False)
    runner = Interpreter(model_path=model_path).get_signature_runner("translate_ids")
    results = []
    for sentence in sentences:
        ids = np.array([source.encode(sentence, lowercase)], np.int32)
        out = runner(source_ids=ids)
        results.append((target.decode(out["target_ids"][0]), float(out["score"][0])))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("sentences", nargs="+")
    args = parser.parse_args(argv)
    for sentence, (translation, score) in zip(args.sentences, translate(args.model, args.sentences)):
        print(f"{sentence}\n  -> {translation}  (score {score:.3f})")


if __name__ == "__main__":
    main()
