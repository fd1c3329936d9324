"""A training run directory: model, tokenizers, settings, history, backup.

```
run/
  model.keras                 best model (validation loss), no optimizer state
  source_tokenizer.json       tokenizers (Keras configs, vocabulary included)
  target_tokenizer.json
  settings.json               `TrainSettings`
  history.csv                 one row per finished epoch
  backup/                     the latest training state (resume continues it)
  logs/                       TensorBoard
```
"""

import json
import os
import zipfile

import keras

from keras_s2s.files import atomic_path, write_json
from keras_s2s.training.dtype_policy import global_dtype_policy
from keras_s2s.training.epoch_checkpoints import CHECKPOINT_DIR
from keras_s2s.training.settings import TrainSettings

MODEL_FILE = "model.keras"
SOURCE_TOKENIZER_FILE = "source_tokenizer.json"
TARGET_TOKENIZER_FILE = "target_tokenizer.json"
SETTINGS_FILE = "settings.json"
HISTORY_FILE = "history.csv"
BACKUP_DIR = "backup"
LOGS_DIR = "logs"  # TensorBoard's


class RunDirectoryError(ValueError):
    """A run directory (or a file in it) is missing or unreadable."""


def read_settings(directory):
    """The `TrainSettings` stored in a run directory."""
    path = os.path.join(directory, SETTINGS_FILE)
    config = read_json(path)
    if not isinstance(config, dict):
        raise RunDirectoryError(
            f"{path} is corrupt: it must hold a JSON object of settings. Received: {type(config).__name__}"
        )
    try:
        return TrainSettings.from_json(config)
    except (TypeError, ValueError) as error:
        raise RunDirectoryError(f"{path} is corrupt: {_root_cause(error)}") from None


def write_settings(directory, settings):
    write_json(os.path.join(directory, SETTINGS_FILE), settings.to_json())


#: What `train` writes into a run directory (besides `model.keras`, the settings and tokenizers).
RUN_ENTRIES = (
    MODEL_FILE,
    SOURCE_TOKENIZER_FILE,
    TARGET_TOKENIZER_FILE,
    SETTINGS_FILE,
    HISTORY_FILE,
    BACKUP_DIR,
    CHECKPOINT_DIR,
    LOGS_DIR,
)


def run_entry_hit(directory, path):
    """The entry of the run in `directory` that writing `path` would replace, else None.

    `path` replaces an entry when it is that entry, holds it (the run
    directory itself, or a folder above it) or lies inside it (a file in
    `backup/`). A new path elsewhere inside the run directory (an export
    folder) replaces nothing.
    """
    run = os.path.realpath(directory)
    target = os.path.realpath(path)
    for name in RUN_ENTRIES:
        entry = os.path.join(run, name)
        if (
            target == entry
            or entry.startswith(target.rstrip(os.sep) + os.sep)
            or target.startswith(entry + os.sep)
        ):
            return entry
    return None


def holds_run(directory):
    """Whether `directory` already holds (the start of) a training run."""
    return any(
        os.path.exists(os.path.join(directory, name)) for name in (MODEL_FILE, SETTINGS_FILE, BACKUP_DIR)
    )


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise RunDirectoryError(f"{path} is missing.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunDirectoryError(f"{path} is corrupt (not valid JSON: {error}).") from None


def save_tokenizers(directory, source_tokenizer, target_tokenizer):
    """Stores both tokenizers (their Keras configs, vocabulary included)."""
    os.makedirs(directory, exist_ok=True)
    for name, tokenizer in (
        (SOURCE_TOKENIZER_FILE, source_tokenizer),
        (TARGET_TOKENIZER_FILE, target_tokenizer),
    ):
        write_json(os.path.join(directory, name), keras.saving.serialize_keras_object(tokenizer))


def load_tokenizers(directory):
    """Reads the tokenizers written by `save_tokenizers`."""
    tokenizers = []
    for name in (SOURCE_TOKENIZER_FILE, TARGET_TOKENIZER_FILE):
        config = read_json(os.path.join(directory, name))
        path = os.path.join(directory, name)
        if not isinstance(config, dict) or "class_name" not in config:
            raise RunDirectoryError(
                f"{path} is not a keras_s2s tokenizer (no serialized Keras object in it). "
                f"Received: {type(config).__name__}"
            )
        try:
            tokenizer = keras.saving.deserialize_keras_object(config)
        except Exception as error:
            raise RunDirectoryError(
                f"{path} is not a valid keras_s2s tokenizer: {_root_cause(error)}"
            ) from None
        if not hasattr(tokenizer, "vocab_size") or not callable(tokenizer):
            raise RunDirectoryError(
                f"{path} is not a keras_s2s tokenizer. Received: class_name={config['class_name']!r}"
            )
        tokenizers.append(tokenizer)
    return tuple(tokenizers)


def _root_cause(error):
    """The first line of the innermost error (Keras wraps a constructor's own in two generic ones)."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def save_model(directory, model):
    """Saves the weights and config of `model` as `model.keras`, atomically.

    The model is rebuilt from its config under the float32 policy, so a model
    trained under a `mixed_*` policy is saved float32 (its weights are float32
    already). The optimizer state is left out (it would triple the file for Adam):
    resuming an interrupted run uses the `backup/` of `BackupAndRestore`,
    which keeps it.
    """
    path = os.path.join(directory, MODEL_FILE)
    with global_dtype_policy("float32"):  # a model trained mixed is saved float32
        clone = model.__class__.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    with atomic_path(path, overwrite=True, is_dir=False) as tmp:
        clone.save(tmp)


def load_model(path):
    """Loads a `.keras` model with a clear error for a missing or corrupt file."""
    import keras_s2s  # noqa: F401  (registers the serializables)

    if not os.path.exists(path):
        raise RunDirectoryError(f"{path} is missing.")
    if not zipfile.is_zipfile(path):
        raise RunDirectoryError(f"{path} is corrupt (not a .keras zip archive).")
    try:
        return keras.models.load_model(path)
    except Exception as error:
        raise RunDirectoryError(f"{path} could not be loaded: {error}") from None


def load_run(directory):
    """Loads `(model, source_tokenizer, target_tokenizer, settings)` from a run directory.

    Raises:
        RunDirectoryError: the directory or one of its files is missing or corrupt.
    """
    if not os.path.isdir(directory):
        raise RunDirectoryError(f"{directory} is not a directory.")
    source_tokenizer, target_tokenizer = load_tokenizers(directory)
    model = load_model(os.path.join(directory, MODEL_FILE))
    # `train` (whose runs hold settings.json) sizes the model by its tokenizers:
    # there, any difference is a damaged file. (A run directory put together by
    # hand may pad the model's vocabulary; `Translator` checks that it fits.)
    made_by_train = os.path.exists(os.path.join(directory, SETTINGS_FILE))
    for side, tokenizer, name in (
        ("source", source_tokenizer, SOURCE_TOKENIZER_FILE),
        ("target", target_tokenizer, TARGET_TOKENIZER_FILE),
    ):
        expected = getattr(model, f"{side}_vocab_size", None)
        if made_by_train and expected is not None and tokenizer.vocab_size != expected:
            raise RunDirectoryError(
                f"{os.path.join(directory, name)} holds {tokenizer.vocab_size} tokens but "
                f"the model was trained with {expected}: the tokenizer file does not belong to this model "
                "(damaged or replaced)."
            )
    settings_path = os.path.join(directory, SETTINGS_FILE)
    settings = read_json(settings_path) if os.path.exists(settings_path) else {}
    return model, source_tokenizer, target_tokenizer, settings


def is_saved_model(directory):
    return os.path.isfile(os.path.join(directory, "saved_model.pb"))


def latest_saved_model(directory):
    """`directory` if it is a SavedModel, else its highest numeric version subdirectory."""
    if is_saved_model(directory):
        return directory
    versions = (
        [
            int(name)
            for name in os.listdir(directory)
            if name.isdigit() and is_saved_model(os.path.join(directory, name))
        ]
        if os.path.isdir(directory)
        else []
    )
    return os.path.join(directory, str(max(versions))) if versions else None
