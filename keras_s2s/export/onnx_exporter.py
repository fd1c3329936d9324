"""ONNX model for ONNX Runtime: ids in, ids out, the whole search in the graph."""

import copy
import os
import tempfile

import tensorflow as tf

from keras_s2s.decoding import Sampling
from keras_s2s.export.graph_checks import check_translator_settings, unknown_out_of_range
from keras_s2s.export.litert_exporter import (
    check_targets,
    litert_paths,
    source_vocab_size,
    write_model_files,
)
from keras_s2s.export.saved_model_exporter import check_exportable, export_metadata
from keras_s2s.export.translation_module import TranslationModule

#: ONNX opset of the exported model (ONNX Runtime 1.17+ runs it).
OPSET = 17


def export_onnx(translator, path, overwrite=False, max_source_length=None, max_target_length=None):
    """Converts `translator` to an `.onnx` model with the decode loop inside.

    The same graph as the LiteRT model (`TranslationModule.translate_ids`):
    input `source_ids` int32 `[B, S]`, outputs `target_ids` int32 `[B, L]`,
    `score` float32 `[B]`, `attention` float32 `[B, L, S]`; the encoder,
    the greedy or beam search and its `tf.while_loop` all become ONNX ops
    (the loop an ONNX `Loop`), so one `InferenceSession.run` translates a
    batch. Source ids outside the vocabulary are read as [UNK]. Beside the
    model go the same files as beside a LiteRT model (`litert_paths`):
    `<stem>.source_vocab.txt`, `<stem>.target_vocab.txt` and `<stem>.json`.

    The converter is tf2onnx (`pip install "keras-s2s[onnx]"`), the one
    Keras 3.15 itself uses for `model.export(format="onnx")`; it freezes
    the weights without lowering the loop to TF1 control flow, which it
    could not convert.

    Args:
        translator: a `keras_s2s.Translator` (greedy or beam search).
        path: the `.onnx` file to write.
        overwrite: replace existing files (model, vocabularies, metadata).
        max_source_length, max_target_length: see `TranslationModule`.

    Returns:
        The path of the `.onnx` file.

    Raises:
        ValueError: a sampling strategy, `replace_unknown`, an untrained
            model or tokenizer, or a backend other than TensorFlow.
        ImportError: tf2onnx is not installed.
        FileExistsError: one of the files exists and `overwrite` is False.
    """
    if isinstance(translator.strategy, Sampling):
        raise ValueError(
            "ONNX export supports greedy and beam search (the sampling draws use "
            "TensorFlow's stateless random ops). Received: strategy=Sampling"
        )
    check_translator_settings(translator, max_target_length, strings_out=False)
    check_exportable(translator)
    tf2onnx = _import_tf2onnx()
    targets = litert_paths(path)
    check_targets(targets, overwrite)  # before the conversion
    module = TranslationModule(translator, max_source_length, max_target_length, strings_out=False)
    # tf2onnx cannot convert the nested loops of a decode that drops finished
    # sentences (an ONNX Loop node without its 'axis' attribute): this graph
    # keeps every row to the end, which gives the same tokens.
    module.strategy = copy.copy(module.strategy)
    module.strategy.drops_finished_rows = False
    vocab_size = source_vocab_size(translator)

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="source_ids")], autograph=False)
    def translate_ids(source_ids):
        return module.translate_ids(unknown_out_of_range(source_ids, vocab_size))

    with tempfile.TemporaryDirectory() as tmp:
        onnx_file = os.path.join(tmp, "model.onnx")
        tf2onnx.convert.from_function(
            translate_ids, input_signature=translate_ids.input_signature, opset=OPSET, output_path=onnx_file
        )
        with open(onnx_file, "rb") as f:
            content = f.read()
    metadata = export_metadata(translator, module)
    metadata["opset"] = OPSET
    write_model_files(targets, translator, metadata, content, overwrite)
    return os.fspath(path)


def _import_tf2onnx():
    try:
        import tf2onnx
    except ImportError as error:
        raise ImportError(
            'ONNX export needs tf2onnx: pip install "keras-s2s[onnx]" (tf2onnx, onnx, onnxruntime).'
        ) from error
    # Keras' own fixes for tf2onnx on NumPy 2 (what `model.export(format="onnx")` applies).
    from keras.src.export.tf2onnx_lib import patch_tf2onnx

    patch_tf2onnx()
    return tf2onnx
