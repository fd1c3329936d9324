"""`SavedModelTranslator`: `keras-s2s translate/evaluate` with an exported SavedModel."""


class SavedModelTranslator:
    """Translates with an exported SavedModel (`serving_default` signature).

    The decoding strategy is the one the model was exported with; the
    `--strategy` flags of the command do not apply. `max_length` goes to
    the `translate_with_options` signature (exports that have it). An
    n-best export (`translation` `(B, n)`) gives its best hypothesis.

    Args:
        path: a SavedModel directory (a version directory of
            `saved_models/<name>/<version>`).
        max_length: None (the export's cap) or the most target tokens.
    """

    def __init__(self, path, max_length=None):
        import tensorflow as tf
        import tensorflow_text  # noqa: F401  (registers the tokenizer ops)

        from keras_s2s.decoding.validation import validate_max_length

        validate_max_length(max_length)
        self.path = path
        signatures = tf.saved_model.load(path).signatures
        self.max_length = max_length
        if max_length is not None and "translate_with_options" not in signatures:
            raise ValueError(
                f"{path} was exported before per-request lengths existed (no translate_with_options "
                f"signature); export it again or drop --max-length. Received: max_length={max_length}"
            )
        name = "serving_default" if max_length is None else "translate_with_options"
        self.signature = signatures[name]

    def __call__(self, texts):
        import tensorflow as tf

        if not texts:
            return []
        inputs = {"text": tf.constant(texts, tf.string)}
        if self.max_length is not None:
            inputs["max_length"] = tf.constant(self.max_length, tf.int32)
        translation = self.signature(**inputs)["translation"].numpy()
        if translation.ndim == 2:  # n best per sentence, best first
            translation = translation[:, 0]
        return [t.decode("utf-8") for t in translation]
