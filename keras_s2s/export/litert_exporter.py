"""LiteRT (TFLite) model for mobile: builtin ops only."""

import os
import tempfile

import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import (
    convert_variables_to_constants_v2,
)

from keras_s2s import files
from keras_s2s.decoding import Sampling
from keras_s2s.export.graph_checks import check_translator_settings, unknown_out_of_range
from keras_s2s.export.saved_model_exporter import check_exportable, export_metadata
from keras_s2s.export.translation_module import TranslationModule

QUANTIZATIONS = (None, "dynamic", "float16")
VOCABULARY_SUFFIXES = {"source": ".source_vocab.txt", "target": ".target_vocab.txt"}


def litert_paths(path):
    """The files `export_litert(translator, path)` writes, by role.

    All are named after the model file, so several models share a folder:
    `<stem>.tflite` (or whatever `path` is), `<stem>.source_vocab.txt`,
    `<stem>.target_vocab.txt` and `<stem>.json`.

    Args:
        path: the `.tflite` file.

    Returns:
        A dict with the absolute paths under `"model"`, `"source_vocab"`,
        `"target_vocab"` and `"metadata"`.
    """
    path = os.path.abspath(os.fspath(path))
    stem = os.path.splitext(path)[0]
    return {
        "model": path,
        "source_vocab": stem + VOCABULARY_SUFFIXES["source"],
        "target_vocab": stem + VOCABULARY_SUFFIXES["target"],
        "metadata": stem + ".json",
    }


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
    Source ids outside `[0, source_vocab_size)` are read as [UNK] inside the
    graph (a bad id never fails the call). Tokenization stays outside (its
    string ops would need Flex): the vocabularies are written beside the
    model as `<stem>.source_vocab.txt` / `<stem>.target_vocab.txt` (one
    token per line, the line number is the id), with `<stem>.json` holding
    the limits, the special ids and the tokenizer settings (see
    `litert_paths`).

    Every target file is checked before the (slow) conversion: the folder
    must be creatable and writable, and with `overwrite=False` none of the
    four files may exist. Each file is written atomically, the `.tflite`
    last.

    How: the encoder runs through `encoder.encode_stepwise` (an RNN cell by
    cell, no TensorList ops; a Transformer's inference-mode call), the
    decoder steps with fixed-size buffers (a Transformer's key/value cache
    included), the weights are frozen into constants before conversion (a saved
    module's resource variables convert to wrong numbers or fail), and the
    frozen function is converted under the signature name.

    Args:
        translator: a `keras_s2s.Translator` (greedy or beam search).
        path: the `.tflite` file to write.
        quantization: None (float32), `"dynamic"` (int8 weights) or
            `"float16"` (float16 weights).
        overwrite: replace existing files (model, vocabularies, metadata).
        max_source_length, max_target_length: see `TranslationModule`.

    Returns:
        The path of the `.tflite` file.

    Raises:
        ValueError: a bad `quantization`, a sampling strategy, or an
            untrained model or tokenizer.
        FileExistsError: one of the files exists and `overwrite` is False
            (the message starts with that file's path).
        PermissionError / NotADirectoryError: the folder cannot be written.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(
            f"`quantization` must be one of {QUANTIZATIONS}. Received: quantization={quantization!r}"
        )
    if isinstance(translator.strategy, Sampling):
        raise ValueError(
            "LiteRT export supports greedy and beam search (TFLite has no "
            "stateless random ops). Received: strategy=Sampling"
        )
    check_translator_settings(translator, max_target_length, strings_out=False)  # before touching a file
    check_exportable(translator)
    targets = litert_paths(path)
    check_targets(targets, overwrite)  # before the slow conversion
    module = TranslationModule(translator, max_source_length, max_target_length, strings_out=False)
    content = _convert(module, quantization, source_vocab_size(translator))
    metadata = export_metadata(translator, module)
    metadata["quantization"] = quantization
    write_model_files(targets, translator, metadata, content, overwrite)
    return os.fspath(path)


def check_targets(targets, overwrite):
    """Raises before anything is written if one target may not be written."""
    for target in targets.values():
        files.check_writable(target, overwrite)


def write_model_files(targets, translator, metadata, content, overwrite):
    """Writes an ids-in model and its companions (`litert_paths` names), each atomically.

    The vocabularies (one token per line), the metadata (with the file
    names added) and the model `content` last, so a model file on disk
    always has its companions.
    """
    metadata = {**metadata, "files": {role: os.path.basename(p) for role, p in targets.items()}}
    check_targets(targets, overwrite)  # nothing appeared while converting
    for side in ("source", "target"):
        tokens = getattr(translator, f"{side}_tokenizer").vocabulary
        files.write_text(targets[f"{side}_vocab"], "".join(t + "\n" for t in tokens))
    files.write_json(targets["metadata"], metadata)
    files.write_bytes(targets["model"], content, overwrite=overwrite)


def source_vocab_size(translator):
    """Rows of the source embedding: ids at or above it are out of range."""
    size = getattr(translator.model, "source_vocab_size", None)
    return int(size) if size else translator.source_tokenizer.vocab_size


def _convert(module, quantization, source_vocab_size):
    concrete = module.translate_ids.get_concrete_function()
    # Functional `While`s keep their shape invariants (the Transformer's caches
    # grow one position a step); lowered to Switch/Merge, the converter would
    # functionalize them again from the first iteration's shapes and fail.
    frozen = convert_variables_to_constants_v2(concrete, lower_control_flow=False)
    names = sorted(concrete.structured_outputs)  # flat outputs come key-sorted

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="source_ids")], autograph=False)
    def translate_ids(source_ids):
        return dict(zip(names, frozen(unknown_out_of_range(source_ids, source_vocab_size))))

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
