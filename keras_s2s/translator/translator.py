"""Strings in, strings out: tokenizers + model + decoding strategy."""

import keras
import numpy as np
import tensorflow as tf

from keras_s2s import decoding
from keras_s2s.decoding.validation import validate_max_length
from keras_s2s.text.unknown_replacement import replace_unknown
from keras_s2s.text.vocabulary import END_ID, PAD_ID


class Translator:
    """Translates text with a trained `Seq2Seq` or `Transformer` model.

    The source text is tokenized in graph (tensorflow-text), decoded with
    the chosen strategy (`model.generate`) and detokenized; the attention
    weights of every returned hypothesis come along.

    Args:
        model: a trained `keras_s2s.models.Seq2Seq` or `Transformer` (any
            `EncoderDecoderModel`).
        source_tokenizer: the tokenizer of the model's source side.
        target_tokenizer: the tokenizer of the model's target side.
        strategy: `"beam"` (default, `BeamSearch()`), `"greedy"`,
            `"sampling"`, a config dict or a strategy instance.
        max_length: int or None, the most target tokens generated; default
            `2 * source length + 10`.
        replace_unknown: bool, replace each output `[UNK]` by the source token
            it attended to most (Luong et al. 2015b, "Addressing the rare word
            problem"); subword markers (`##`) of that token are dropped.
        batch_size: int, sentences decoded at a time.

    Example:
    ```python
    translator = keras_s2s.Translator(model, src_tok, tgt_tok, strategy="beam")
    translator(["ein hund läuft"])  # ["a dog runs"]
    ```
    """

    def __init__(
        self,
        model,
        source_tokenizer,
        target_tokenizer,
        strategy="beam",
        max_length=None,
        replace_unknown=False,
        batch_size=64,
    ):
        if not hasattr(model, "generate"):
            raise ValueError(
                "`model` must be a keras_s2s Seq2Seq or Transformer model (with `generate`). "
                f"Received: model={type(model).__name__}"
            )
        _check_vocab("source", source_tokenizer, model.source_vocab_size)
        _check_vocab("target", target_tokenizer, model.target_vocab_size)
        validate_max_length(max_length)
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive int. Received: batch_size={batch_size!r}")
        self.model = model
        self.source_tokenizer = source_tokenizer
        self.target_tokenizer = target_tokenizer
        self.strategy = decoding.get(strategy)
        self.max_length = max_length
        self.replace_unknown = bool(replace_unknown)
        self.batch_size = batch_size

    def __call__(self, texts):
        """Translates a list of strings; returns a list of strings."""
        return self.translate(texts)["translation"]

    def translate(self, texts):
        """Translates `texts` and returns everything the decoder produced.

        Args:
            texts: a list (or tuple / 1-D array) of `str` or UTF-8 `bytes`.

        Returns:
            dict of lists, one entry per input sentence:
            `"translation"` (str; a list of `n` str with
            `num_return_sequences=n > 1`), `"score"` (float; list of `n`),
            `"source_tokens"` (list of str, `[START]`/`[END]` included),
            `"target_tokens"` (list of str up to and including `[END]`),
            `"attention"` (`np.ndarray` `(len(target_tokens),
            len(source_tokens))`, of the best hypothesis).

        Raises:
            ValueError: `texts` is a single string, holds something else
                than str / bytes, or a text that is not valid UTF-8 (the
                error names its index and the first bad byte); nothing is
                translated then.
        """
        texts = _check_texts(texts)
        keys = ("translation", "score", "source_tokens", "target_tokens", "attention")
        result = {key: [] for key in keys}
        for start in range(0, len(texts), self.batch_size):
            batch = self._translate_batch(texts[start : start + self.batch_size])
            for key in keys:
                result[key].extend(batch[key])
        return result

    def _translate_batch(self, texts):
        source_ids = self.source_tokenizer(tf.constant(texts, tf.string))  # (B, S)
        out = _generate(self.model, source_ids, self.strategy, self.max_length)
        ids, attention = out["ids"], out["attention"]  # (B, [n,] L), (B, [n,] L, S)
        if self.replace_unknown:
            translation = replace_unknown(
                ids, attention, source_ids, self.source_tokenizer, self.target_tokenizer
            )
        else:
            translation = self.target_tokenizer.detokenize(ids)  # (B, [n])
        best_ids = ids[:, 0] if ids.shape.rank == 3 else ids  # (B, L)
        best_attention = attention[:, 0] if ids.shape.rank == 3 else attention
        source_tokens = self.source_tokenizer.ids_to_tokens(source_ids).numpy()
        target_tokens = self.target_tokenizer.ids_to_tokens(best_ids).numpy()
        best_ids, best_attention = best_ids.numpy(), best_attention.numpy()
        batch = {"translation": [], "score": [], "source_tokens": [], "target_tokens": [], "attention": []}
        for i, source in enumerate(source_ids.numpy()):
            s = int(np.sum(source != PAD_ID))
            t = _target_length(best_ids[i])
            batch["translation"].append(_to_str(translation[i].numpy()))
            batch["score"].append(_to_float(out["scores"][i]))
            batch["source_tokens"].append([_to_str(x) for x in source_tokens[i][:s]])
            batch["target_tokens"].append([_to_str(x) for x in target_tokens[i][:t]])
            batch["attention"].append(best_attention[i, :t, :s])
        return batch

    def export_saved_model(self, path, **kwargs):
        """Writes a TF Serving SavedModel; see `keras_s2s.export.export_saved_model`."""
        from keras_s2s.export import export_saved_model

        return export_saved_model(self, path, **kwargs)

    def export_litert(self, path, quantization=None, **kwargs):
        """Writes a builtin-ops `.tflite` model; see `keras_s2s.export.export_litert`."""
        from keras_s2s.export import export_litert

        return export_litert(self, path, quantization=quantization, **kwargs)

    def export_onnx(self, path, **kwargs):
        """Writes an `.onnx` model (ids in, ids out); see `keras_s2s.export.export_onnx`."""
        from keras_s2s.export import export_onnx

        return export_onnx(self, path, **kwargs)


def _generate(model, source_ids, strategy, max_length):
    """`model.generate` on TensorFlow source ids; TensorFlow tensors out on every backend.

    Strings are TensorFlow's job on every backend (the tokenizers are
    tensorflow-text): under JAX or PyTorch the ids cross to the model as
    NumPy and the outputs come back the same way.
    """
    if keras.backend.backend() == "tensorflow":
        return model.generate(source_ids, strategy, max_length)
    out = model.generate(source_ids.numpy(), strategy, max_length)
    return {key: tf.constant(keras.ops.convert_to_numpy(value)) for key, value in out.items()}


def _check_texts(texts):
    if isinstance(texts, (str, bytes)):
        raise ValueError(
            "`texts` must be a list of strings, not a single string; wrap it "
            f"in a list. Received: texts={texts!r}"
        )
    if not hasattr(texts, "__len__"):  # a generator or iterator of texts
        texts = list(texts)
    texts = list(np.asarray(texts, dtype=object).reshape(-1)) if len(texts) else []
    for i, text in enumerate(texts):
        if not isinstance(text, (str, bytes)):
            raise ValueError(f"`texts` must contain only str or bytes. Received: texts[{i}]={text!r}")
        _check_utf8(i, text)
    return texts


def _check_utf8(i, text):
    """`bytes` must be UTF-8, and a `str` encodable as UTF-8 (no lone surrogates)."""
    try:
        text.decode("utf-8") if isinstance(text, bytes) else text.encode("utf-8")
    except UnicodeError as error:
        what = "byte" if isinstance(text, bytes) else "character"
        bad = text[error.start : error.end]
        raise ValueError(
            f"`texts[{i}]` is not valid UTF-8: {what} {error.start} is {bad!r} ({error.reason}; a str with a "
            "lone surrogate comes from bytes decoded with errors='surrogateescape'). Decode the text as "
            f"UTF-8, or replace such bytes with U+FFFD. Received: texts[{i}]={text[:80]!r}"
        ) from None


def _check_vocab(side, tokenizer, model_vocab_size):
    size = getattr(tokenizer, "vocab_size", None)
    if size is None or size > model_vocab_size:
        raise ValueError(
            f"The {side} tokenizer's vocabulary ({size} tokens) does not fit the "
            f"model's {side} vocabulary of {model_vocab_size}. "
            f"Received: {side}_tokenizer={type(tokenizer).__name__}"
        )


def _target_length(ids):
    """Tokens up to and including the first [END] (or all non-padding)."""
    ends = np.flatnonzero(ids == END_ID)
    return int(ends[0]) + 1 if len(ends) else int(np.sum(ids != PAD_ID))


def _to_str(x):
    if isinstance(x, np.ndarray):
        return [_to_str(v) for v in x]
    return x.decode("utf-8") if isinstance(x, bytes) else str(x)


def _to_float(x):
    x = np.asarray(x)
    return float(x) if x.ndim == 0 else [float(v) for v in x]
