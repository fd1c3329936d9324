"""Exporters: a SavedModel for TF Serving, a LiteRT model for mobile, an ONNX model.

One small exporter per format behind `export(...)`; all three write the graph of
`TranslationModule`, which encodes with the encoder's `encode_stepwise` and
decodes with the model's `decode_encoded`. Export reads no private
attributes and imports neither the training code nor the CLI.
"""

from keras_s2s.export.litert_exporter import export_litert
from keras_s2s.export.onnx_exporter import export_onnx
from keras_s2s.export.saved_model_exporter import export_saved_model
from keras_s2s.export.translation_module import TranslationModule

FORMATS = ("saved_model", "litert", "onnx")


def export(translator, path, format="saved_model", **kwargs):
    """Exports `translator` to `path` in `format` (`"saved_model"`, `"litert"` or `"onnx"`).

    Keyword arguments go to `export_saved_model` / `export_litert` /
    `export_onnx` (`overwrite`, `max_source_length`, `max_target_length`,
    and for LiteRT `quantization`).
    """
    if format == "saved_model":
        return export_saved_model(translator, path, **kwargs)
    if format == "litert":
        return export_litert(translator, path, **kwargs)
    if format == "onnx":
        return export_onnx(translator, path, **kwargs)
    raise ValueError(f"`format` must be one of {FORMATS}. Received: format={format!r}")
