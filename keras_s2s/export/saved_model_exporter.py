"""SavedModel for stock TensorFlow Serving (strings in, strings out)."""

import json
import os

import keras
import tensorflow as tf

from keras_s2s.export.graph_checks import check_translator_settings
from keras_s2s.export.translation_module import TranslationModule
from keras_s2s.files import atomic_path


def export_saved_model(translator, path, overwrite=False, max_source_length=None, max_target_length=None):
    """Writes `translator` as a SavedModel that TF Serving serves.

    Use the TF Serving layout `saved_models/<name>/<version>` for `path`
    (the version a positive integer directory). Signatures:

    - `serving_default`: `text` string `[None]` → `translation` string
      `[None]`, `score` float32 `[None]`;
    - `translate_ids`: `source_ids` int32 `[None, None]` → `target_ids` int32
      `[None, None]`, `score` float32 `[None]`, `attention` float32
      `[None, None, None]`;
    - `translate_with_options`: `text` and `max_length` int32 `[]` (0, the
      default TF Serving fills in when a request omits it: the export's
      cap; N > 0: at most N target tokens, up to `max_target_length`) →
      as `serving_default`.

    Beam search with `num_return_sequences = n > 1` gives the `n` best per
    sentence: `translation` / `score` `[None, n]`, `target_ids`
    `[None, n, None]`, `attention` `[None, n, None, None]`, best first.

    The graph holds only TensorFlow and TensorFlow Text ops: it loads with
    `tf.saved_model.load` (after `import tensorflow_text`) where keras_s2s is
    not installed. It decodes as `translator.translate` does, with the
    translator's settings fixed at export time: its strategy (greedy, beam
    or sampling), its `max_length` (the target length cap) and its
    `batch_size` (sentences decoded at a time inside the graph, which also
    bounds the memory of a large request) and `replace_unknown` (each [UNK]
    of the strings output replaced by the most attended source token, as
    the Translator does). An input of another rank than the signature's fails the call
    with an error naming the received rank and shape. Written atomically.

    Args:
        translator: a `keras_s2s.Translator`.
        path: the export directory.
        overwrite: replace an existing directory.
        max_source_length, max_target_length: see `TranslationModule`
            (`max_target_length` defaults to the translator's `max_length`).

    Returns:
        The export path.

    Raises:
        ValueError: an untrained model or tokenizer, a bad limit, or a `max_target_length`
            that contradicts the translator's `max_length`.
        FileExistsError: `path` exists and `overwrite` is False, or it is
            a directory with other files than a SavedModel's (a run
            directory, say), which `overwrite` never deletes.
    """
    check_exportable(translator)
    module = TranslationModule(
        translator, max_source_length, max_target_length, batch_size=translator.batch_size
    )
    signatures = {
        "serving_default": module.translate_text.get_concrete_function(),
        "translate_ids": module.translate_ids.get_concrete_function(),
        # The tf.function itself, not a concrete function: its default
        # `max_length` is recorded in the SignatureDef, so TF Serving fills
        # it in when a request leaves it out.
        "translate_with_options": module.with_options_function(),
    }
    _check_replaceable(path, overwrite)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tf.saved_model.save(module, tmp, signatures=signatures)
        with open(os.path.join(tmp, "assets.extra.json"), "w") as f:
            json.dump(export_metadata(translator, module), f, indent=2)
    return os.fspath(path)


def check_exportable(translator):
    """Clear errors for what cannot be exported (before anything is written).

    Args:
        translator: a `keras_s2s.Translator`.

    Raises:
        ValueError: a backend other than TensorFlow, an unbuilt model, a
            tokenizer without vocabulary, or a Translator setting the export
            cannot honour (`replace_unknown`).
    """
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            "Exporting writes a TensorFlow graph and needs the TensorFlow backend: load "
            "the `.keras` file in a process started with KERAS_BACKEND=tensorflow (a "
            "model trained on JAX or PyTorch loads there unchanged; see "
            f"docs/backends.md). Received: KERAS_BACKEND={keras.backend.backend()!r}"
        )
    check_translator_settings(translator)
    model = translator.model
    if not model.built or not model.weights:
        raise ValueError(
            f"The model is not built; train or call it before exporting. Received: model={model.name}"
        )
    for side in ("source", "target"):
        tokenizer = getattr(translator, f"{side}_tokenizer")
        if getattr(tokenizer, "_vocabulary", None) is None:
            raise ValueError(
                f"The {side} tokenizer has no vocabulary; train it first. "
                f"Received: {side}_tokenizer={tokenizer.name}"
            )


def export_metadata(translator, module):
    """What a client needs to know: limits, strategy, special ids.

    `max_length` is the translator's fixed target cap (None: `min(2 * S +
    10, max_target_length)`); `batch_size`, present for a SavedModel, the
    sentences decoded at a time inside the graph.
    """
    import keras_s2s

    metadata = {
        "keras_s2s_version": keras_s2s.__version__,
        "strategy": {
            "class_name": type(translator.strategy).__name__,
            "config": translator.strategy.get_config(),
        },
        "max_source_length": module.max_source_length,
        "max_target_length": module.max_target_length,
        "max_length": module.max_length,
        "replace_unknown": module.replace_unknown,
        "special_ids": {"[PAD]": 0, "[UNK]": 1, "[START]": 2, "[END]": 3},
        "model": translator.model.get_config(),
        "source_tokenizer": _tokenizer_settings(translator.source_tokenizer),
        "target_tokenizer": _tokenizer_settings(translator.target_tokenizer),
    }
    if module.batch_size is not None:
        metadata["batch_size"] = module.batch_size
    return metadata


def _tokenizer_settings(tokenizer):
    """How an app must prepare text for the vocabulary files (no vocabulary)."""
    config = tokenizer.get_config()
    settings = {k: v for k, v in config.items() if k not in ("vocabulary", "name", "trainable", "dtype")}
    return {"class_name": type(tokenizer).__name__, **settings}


def _check_replaceable(path, overwrite):
    """`overwrite` replaces an earlier SavedModel (or an empty directory) only."""
    path = os.path.abspath(os.fspath(path))
    if overwrite and os.path.lexists(path) and not os.path.isdir(path):
        raise FileExistsError(
            f"{path} is a file, not an earlier export; overwrite=True replaces an earlier SavedModel "
            f"directory only. Received: path={os.fspath(path)!r}, overwrite=True"
        )
    if not overwrite or not os.path.isdir(path) or not os.listdir(path):
        return
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise FileExistsError(
            f"{path} is a directory that holds no SavedModel (no saved_model.pb); overwrite=True replaces "
            "an earlier export only, never other files. Choose another path. "
            f"Received: path={os.fspath(path)!r}, overwrite=True"
        )
