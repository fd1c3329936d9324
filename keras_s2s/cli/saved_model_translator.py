"""`SavedModelTranslator`: `keras-s2s translate/evaluate` with an exported SavedModel."""


class SavedModelTranslator:
    """Translates with an exported SavedModel (`serving_default` signature).

    The decoding strategy is the one the model was exported with; the
    `--strategy` flags of the command do not apply.

    Args:
        path: a SavedModel directory (a version directory of
            `saved_models/<name>/<version>`).
    """

    def __init__(self, path):
        import tensorflow as tf
        import tensorflow_text  # noqa: F401  (registers the tokenizer ops)

        self.path = path
        self.signature = tf.saved_model.load(path).signatures["serving_default"]

    def __call__(self, texts):
        import tensorflow as tf

        if not texts:
            return []
        out = self.signature(text=tf.constant(texts, tf.string))
        return [t.decode("utf-8") for t in out["translation"].numpy()]
