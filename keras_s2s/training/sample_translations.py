"""`SampleTranslations`: after each epoch, a few validation sentences translated."""

import keras


class SampleTranslations(keras.callbacks.Callback):
    """Prints greedy translations of a few sentences next to their references.

    What the loss does not show: whether the model already translates, and
    how (copying, repeating, stopping early). Greedy decoding with the
    model's own `generate`, the same path `keras-s2s translate` uses. The
    lines are printed when the next epoch begins (or training ends), so
    they follow the progress bar's line of the epoch instead of cutting it.

    Args:
        sources, references: lists of `str` (validation pairs).
        source_tokenizer, target_tokenizer: the run's tokenizers.
        print_fn: where the lines go.
    """

    def __init__(self, sources, references, source_tokenizer, target_tokenizer, print_fn=print):
        super().__init__()
        self.sources = list(sources)
        self.references = list(references)
        self.source_tokenizer = source_tokenizer
        self.target_tokenizer = target_tokenizer
        self.print_fn = print_fn
        self._pending = None

    def on_epoch_end(self, epoch, logs=None):
        if self.sources:
            self._pending = self._lines(epoch)

    def on_epoch_begin(self, epoch, logs=None):
        self._flush()

    def on_train_end(self, logs=None):
        self._flush()

    def _flush(self):
        if self._pending:
            self.print_fn(self._pending)
        self._pending = None

    def _lines(self, epoch):
        from keras_s2s.translator import Translator

        translator = Translator(self.model, self.source_tokenizer, self.target_tokenizer, strategy="greedy")
        hypotheses = translator(self.sources)
        lines = [f"Epoch {epoch + 1}, greedy translations of validation sentences:"]
        for source, hypothesis, reference in zip(self.sources, hypotheses, self.references):
            lines += [f"  source:     {source}", f"  model:      {hypothesis}", f"  reference:  {reference}"]
        return "\n".join(lines)
