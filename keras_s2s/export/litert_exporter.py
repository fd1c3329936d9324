"""LiteRT (TFLite) model for mobile: builtin ops only."""

import json
import os
import tempfile

import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import (
    convert_variables_to_constants_v2,
)

from keras_s2s.export.atomic import atomic_path
from keras_s2s.export.saved_model_exporter import check_exportable, export_metadata
from keras_s2s.export.translation_module import TranslationModule

QUANTIZATIONS = (None, "dynamic", "float16")


def export_litert(
    translator,
    path,
    quantization=None,
    overwrite=False,
    max_source_length=None,
    max_target_length=None,
):
    """Converts `translator` to a `.tflite` model with TFLite builtin ops only.

    Signature `translate_ids`: `source_ids` int32 `[B, S]` → `target_ids`
    int32 `[B, L]`, `score` float32 `[B]`, `attention` float32 `[B, L, S]`.
    Tokenization stays outside (its string ops would need Flex): the source
    and target vocabularies are written beside the model as
    `source_vocab.txt` / `target_vocab.txt` (one token per line, the line
    number is the id), with `<name>.json` holding the limits and special ids.

    How: the encoder runs cell by cell (`stepwise_encode`, no TensorList
    ops), the weights are frozen into constants before conversion (a saved
    module's resource variables convert to wrong numbers or fail), and the
    frozen function is converted under the signature name.

    Args:
        translator: a `keras_s2s.Translator` (greedy or beam search).
        path: the `.tflite` file to write (atomically).
        quantization: None (float32), `"dynamic"` (int8 weights) or
            `"float16"` (float16 weights).
        overwrite: replace existing files.
        max_source_length, max_target_length: see `TranslationModule`.

    Returns:
        The path of the `.tflite` file.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(
            f"`quantization` must be one of {QUANTIZATIONS}. "
            f"Received: quantization={quantization!r}"
        )
    if type(translator.strategy).__name__ == "Sampling":
        raise ValueError(
            "LiteRT export supports greedy and beam search (TFLite has no "
            "stateless random ops). Received: strategy=Sampling"
        )
    check_exportable(translator)
    module = TranslationModule(translator, max_source_length, max_target_length)
    content = _convert(module, quantization)
    directory = os.path.dirname(os.path.abspath(os.fspath(path)))
    with atomic_path(path, overwrite=overwrite, is_dir=False) as tmp:
        with open(tmp, "wb") as f:
            f.write(content)
    for side in ("source", "target"):
        vocab_path = os.path.join(directory, f"{side}_vocab.txt")
        getattr(translator, f"{side}_tokenizer").save_vocabulary(vocab_path)
    metadata = export_metadata(translator, module)
    metadata["quantization"] = quantization
    stem = os.path.splitext(os.path.abspath(os.fspath(path)))[0]
    with atomic_path(stem + ".json", overwrite=True, is_dir=False) as tmp:
        with open(tmp, "w") as f:
            json.dump(metadata, f, indent=2)
    return os.fspath(path)


def _convert(module, quantization):
    concrete = module.translate_ids.get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)
    names = sorted(concrete.structured_outputs)  # flat outputs come key-sorted

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="source_ids")])
    def translate_ids(source_ids):
        return dict(zip(names, frozen(source_ids)))

    holder = tf.Module()  # no variables: everything is a constant now
    with tempfile.TemporaryDirectory() as tmp:
        tf.saved_model.save(holder, tmp, signatures={"translate_ids": translate_ids})
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=["translate_ids"])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantization is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantization == "float16":
            converter.target_spec.supported_types = [tf.float16]
        return converter.convert()
