"""SavedModel for stock TensorFlow Serving (strings in, strings out)."""

import json
import os

import tensorflow as tf

from keras_s2s.export.atomic import atomic_path
from keras_s2s.export.translation_module import TranslationModule


def export_saved_model(
    translator, path, overwrite=False, max_source_length=None, max_target_length=None
):
    """Writes `translator` as a SavedModel that TF Serving serves.

    Use the TF Serving layout `saved_models/<name>/<version>` for `path`
    (the version a positive integer directory). Signatures:

    - `serving_default`: `text` string `[None]` → `translation` string
      `[None]`, `score` float32 `[None]`;
    - `translate_ids`: `source_ids` int32 `[None, None]` → `target_ids` int32
      `[None, None]`, `score` float32 `[None]`, `attention` float32
      `[None, None, None]`.

    The graph holds only TensorFlow and TensorFlow Text ops: it loads with
    `tf.saved_model.load` (after `import tensorflow_text`) where keras_s2s is
    not installed. The decoding strategy (greedy or beam) is the
    translator's, fixed at export time. Written atomically.

    Args:
        translator: a `keras_s2s.Translator`.
        path: the export directory.
        overwrite: replace an existing directory.
        max_source_length, max_target_length: see `TranslationModule`.

    Returns:
        The export path.
    """
    module = TranslationModule(translator, max_source_length, max_target_length)
    check_exportable(translator)
    signatures = {
        "serving_default": module.translate_text.get_concrete_function(),
        "translate_ids": module.translate_ids.get_concrete_function(),
    }
    with atomic_path(path, overwrite=overwrite) as tmp:
        tf.saved_model.save(module, tmp, signatures=signatures)
        with open(os.path.join(tmp, "assets.extra.json"), "w") as f:
            json.dump(export_metadata(translator, module), f, indent=2)
    return os.fspath(path)


def check_exportable(translator):
    """Clear errors for what cannot be exported."""
    model = translator.model
    if not model.built or not model.weights:
        raise ValueError(f"The model is not built; train or call it before exporting. Received: model={model.name}")
    for side in ("source", "target"):
        tokenizer = getattr(translator, f"{side}_tokenizer")
        if getattr(tokenizer, "_vocabulary", None) is None:
            raise ValueError(
                f"The {side} tokenizer has no vocabulary; train it first. "
                f"Received: {side}_tokenizer={tokenizer.name}"
            )


def export_metadata(translator, module):
    """What a client needs to know: limits, strategy, special ids."""
    import keras_s2s

    return {
        "keras_s2s_version": keras_s2s.__version__,
        "strategy": {"class_name": type(translator.strategy).__name__, "config": translator.strategy.get_config()},
        "max_source_length": module.max_source_length,
        "max_target_length": module.max_target_length,
        "special_ids": {"[PAD]": 0, "[UNK]": 1, "[START]": 2, "[END]": 3},
        "model": translator.model.get_config(),
        "source_tokenizer": _tokenizer_settings(translator.source_tokenizer),
        "target_tokenizer": _tokenizer_settings(translator.target_tokenizer),
    }


def _tokenizer_settings(tokenizer):
    """How an app must prepare text for the vocabulary files (no vocabulary)."""
    config = tokenizer.get_config()
    settings = {k: v for k, v in config.items() if k not in ("vocabulary", "name", "trainable", "dtype")}
    return {"class_name": type(tokenizer).__name__, **settings}
