"""The base class of the encoder/decoder models: compile, fit, generate."""

import keras
import numpy as np
from keras import ops

from keras_s2s import decoding
from keras_s2s.decoding.validation import validate_max_length
from keras_s2s.models import compiled_generate
from keras_s2s.models.label_smoothed_cross_entropy import LabelSmoothedCrossEntropy
from keras_s2s.models.masked_cross_entropy import MaskedCrossEntropy
from keras_s2s.models.masked_token_accuracy import MaskedTokenAccuracy
from keras_s2s.models.output_prior import is_tf_dataset, target_log_prior

OUTPUT_BIAS = ("prior", "zeros")

PAD_ID = 0


def check_output_bias(output_bias):
    """Raises a Keras-style ValueError unless `output_bias` is in `OUTPUT_BIAS`."""
    if output_bias not in OUTPUT_BIAS:
        raise ValueError(f"`output_bias` must be one of {OUTPUT_BIAS}. Received: output_bias={output_bias!r}")


class EncoderDecoderModel(keras.Model):
    """What `Seq2Seq` and `Transformer` share: training defaults and decoding.

    A subclass is a functional model (keras-hub style): its `__init__`
    creates `self.encoder` and `self.decoder`, calls
    `super().__init__(inputs={"source_ids", "target_ids"}, outputs=logits)`
    and sets `source_vocab_size`, `target_vocab_size` and `output_bias`
    (`"prior"` or `"zeros"`). The decoder provides the step-function
    interface of `keras_s2s.decoding` (`prepare_memory(encoder_outputs,
    source_mask)`, `step(token_ids, state, memory)`); the subclass says how
    its decoder starts (`_initial_decoder_state`) and where its logits' bias
    is (`_output_bias_variable`), and may override `_encode`.

    This class gives both models the same `compile()` defaults (Adam with
    gradient-norm clipping, cross-entropy that ignores padding, optionally
    label-smoothed, masked token accuracy), the same `fit` (the output-bias
    prior), and the same `generate` / `decode_encoded` path that the
    SavedModel and LiteRT exporters reuse.

    Everything here is written in `keras.ops` and runs on the TensorFlow,
    JAX and PyTorch backends; only how `generate` compiles its decode
    depends on the backend (`models/compiled_generate.py`).
    """

    def __setattr__(self, name, value):
        # PyTorch backend: a subclass creates its layers before the functional
        # `super().__init__` (keras-hub style), when `torch.nn.Module` cannot
        # register a sub-module yet. The functional graph tracks those layers,
        # so a plain attribute is enough until then (keras-hub's workaround).
        if keras.backend.backend() == "torch" and "_modules" not in self.__dict__:
            return object.__setattr__(self, name, value)
        return super().__setattr__(name, value)

    # --- what a subclass provides ------------------------------------
    def _encode(self, source_ids):
        """`(encoder_outputs, encoder_state)` in inference mode (default: the encoder's call)."""
        return self.encoder(source_ids, training=False)

    def _initial_decoder_state(self, source_ids, encoder_state, max_length):
        """The decoder's state before [START], for `decode_encoded`."""
        raise NotImplementedError

    def _output_bias_variable(self):
        """The `(target_vocab_size,)` bias of the logits, set by `initialize_output_bias`."""
        raise NotImplementedError

    # --- training -------------------------------------------------------
    def compile(self, optimizer="default", loss="default", metrics="default", label_smoothing=0.0, **kwargs):
        """Configures training; with no arguments: Adam (lr 1e-3, clipnorm 1),
        cross-entropy that ignores padding, masked token accuracy.

        Args:
            optimizer, loss, metrics: as `keras.Model.compile`; `"default"`
                gives the defaults above.
            label_smoothing: float in `[0, 1)`, for the default loss: the
                cross-entropy against `(1 - ε) · onehot(y) + ε / V`
                (`LabelSmoothedCrossEntropy`), padding still ignored. 0 (the
                default) keeps the plain cross-entropy (`MaskedCrossEntropy`).
            **kwargs: the other `keras.Model.compile` arguments.
        """
        if (
            isinstance(label_smoothing, bool)
            or not isinstance(label_smoothing, (int, float))
            or not 0.0 <= label_smoothing < 1.0
        ):
            raise ValueError(
                f"`label_smoothing` must be a float in [0, 1). Received: label_smoothing={label_smoothing!r}"
            )
        if label_smoothing and loss != "default":
            raise ValueError(
                "`label_smoothing` configures the default loss; pass a smoothed loss "
                "yourself (e.g. keras_s2s.models.LabelSmoothedCrossEntropy) instead. "
                f"Received: label_smoothing={label_smoothing!r}, loss={loss!r}"
            )
        if optimizer == "default":
            optimizer = keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)
        if loss == "default" and label_smoothing:
            loss = LabelSmoothedCrossEntropy(label_smoothing=float(label_smoothing), ignore_class=PAD_ID)
        elif loss == "default":
            loss = MaskedCrossEntropy(ignore_class=PAD_ID)
        if metrics == "default":
            metrics = [MaskedTokenAccuracy(pad_id=PAD_ID)]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`; first sets the output bias (`output_bias="prior"`)
        and builds the compiled metrics, so that a backup restored at an epoch's
        start (`AtomicBackupAndRestore`) can set their running values."""
        if self.output_bias == "prior" and self._untrained():
            self.initialize_output_bias(x if y is None else y)
        self._build_compiled_metrics(x, y)
        return super().fit(x, y, *args, **kwargs)

    def _build_compiled_metrics(self, x, y):
        """Keras' symbolic build (what `fit` runs under a strategy): creates the
        metrics from one batch's shapes and computes nothing."""
        compiled = getattr(self, "_compile_metrics", None)
        if compiled is None or compiled.built or getattr(self, "_distribute_strategy", None) is not None:
            return  # under a strategy, `fit` builds them itself
        if is_tf_dataset(x):
            batch = next(iter(x))  # its own iterator: fit's data order is untouched
            if keras.backend.backend() != "tensorflow":  # TensorFlow tensors -> NumPy
                batch = keras.tree.map_structure(np.asarray, batch)
        elif x is not None and y is not None:
            batch = (x, y)
        else:
            return  # a generator or PyDataset: Keras builds while tracing
        self._symbolic_build(data_batch=batch)

    def initialize_output_bias(self, targets):
        """Sets the logits' bias to log p(token) of `targets`.

        Without it, real-text training can lock into a unigram model (see
        `keras_s2s.models.output_prior`). `fit` calls this on an untrained
        model; call it yourself when you train with a custom loop.

        Args:
            targets: int target ids `(N, T)` or a `tf.data.Dataset` of
                `(inputs, target_out_ids)` batches.

        Returns:
            True if the bias was set, False if `targets` could not be read.
        """
        prior = target_log_prior(targets, self.target_vocab_size)
        if prior is None:
            return False
        self._output_bias_variable().assign(prior)
        return True

    def _untrained(self):
        optimizer = getattr(self, "optimizer", None)
        if optimizer is not None and int(ops.convert_to_numpy(optimizer.iterations)) > 0:
            return False
        return not np.any(ops.convert_to_numpy(self._output_bias_variable()) != 0)

    def compile_from_config(self, config):
        """Restores the compile settings saved in a `.keras` file."""
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if getattr(self, "optimizer", None) is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    # --- decoding -------------------------------------------------------
    def generate(
        self, source_ids, strategy="greedy", max_length=None, jit_compile=False, return_attention=True
    ):
        """Decodes translations of `source_ids` token by token.

        The encoder runs once; the decoder's source-side attention memory
        is prepared once per sentence; then `keras_s2s.decoding` drives the
        same decoder layer that `fit` trained, one `step` at a time, in a
        single graph loop.

        Args:
            source_ids: int `(B, S)`, 0-padded source ids.
            strategy: `"greedy"`, `"beam"`, `"sampling"`, a config dict or a
                strategy instance (`GreedySearch()`, `BeamSearch(...)`, ...).
            max_length: int, the most tokens generated ([END] included);
                default `2 * S + 10`.
            jit_compile: compile the decode with XLA (TensorFlow backend): the
                same tokens, 1.7–5.6x faster on CPU (docs/decoding.md), one
                compilation (~1 s) per new input shape `(B, S)`. Worth it for
                fixed shapes or many calls of one shape; off by default because
                servers see many source lengths. JAX always compiles (one
                `jax.jit` compilation per `(B, S)` and `max_length`); PyTorch
                decodes eagerly. See docs/backends.md.
            return_attention: keep every step's attention weights (default).
                False: `"attention"` is `(B, L, 0)` (`(B, n, L, 0)` for n
                best) and the decode keeps no attention history (one buffer
                copy less per step).

        Returns:
            dict with `"ids"` int32 `(B, L)`, `"scores"` float32 `(B,)` and
            `"attention"` float32 `(B, L, S)`; with beam search and
            `num_return_sequences=n > 1`: `(B, n, L)`, `(B, n)`,
            `(B, n, L, S)`.
        """
        strategy = decoding.get(strategy)
        source_ids = self._check_source_ids(source_ids)
        validate_max_length(max_length)
        if compiled_generate.in_tf_graph():  # inside a user's tf.function: trace the decode
            if max_length is None:
                max_length = compiled_generate.default_max_length_tensor(source_ids)
            max_length = ops.cast(max_length, "int32")
            return self._generate(source_ids, max_length, strategy, return_attention=return_attention)
        return compiled_generate.generate(
            self, strategy, source_ids, max_length, jit_compile, return_attention
        )

    def _generate(self, source_ids, max_length, strategy, fixed_length=False, return_attention=True):
        encoder_outputs, encoder_state = self._encode(source_ids)
        return self.decode_encoded(
            source_ids,
            encoder_outputs,
            encoder_state,
            strategy,
            max_length,
            fixed_length=fixed_length,
            return_attention=return_attention,
        )

    def decode_encoded(
        self,
        source_ids,
        encoder_outputs,
        encoder_state,
        strategy,
        max_length,
        fixed_length=False,
        return_attention=True,
    ):
        """Decodes from an encoding of `source_ids` (graph-mode building block).

        `generate` passes the Keras encoder's outputs; the exporters pass
        `encoder.encode_stepwise(source_ids)` (for an RNN the same encoder
        run cell by cell). Both then share this path. `fixed_length` (a
        jitted JAX decode) and `return_attention`: see
        `keras_s2s.decoding.dynamic_decode`.
        """
        memory = self.decoder.prepare_memory(encoder_outputs, ops.not_equal(source_ids, 0))
        state = self._initial_decoder_state(source_ids, encoder_state, max_length)
        return decoding.dynamic_decode(
            self.decoder.step,
            state,
            memory,
            strategy,
            max_length=max_length,
            attention_size=ops.shape(source_ids)[1],
            fixed_length=fixed_length,
            sentence_memory=True,  # the decoders attend through BaseAttention.attend
            return_attention=return_attention,
        )

    def _compiled_generate(self, strategy, jit_compile=False, return_attention=True):
        """The cached compiled decode of `strategy` (a `tf.function` under TensorFlow;
        benchmarks/decoding.py reads its tracing count)."""
        return compiled_generate.function(self, decoding.get(strategy), jit_compile, return_attention)

    def _check_source_ids(self, source_ids):
        source_ids = ops.convert_to_tensor(source_ids)
        dtype = keras.backend.standardize_dtype(source_ids.dtype)
        if "int" not in dtype:
            raise ValueError(f"`source_ids` must be integer token ids. Received: source_ids.dtype={dtype}")
        try:
            rank = len(source_ids.shape)
        except ValueError:  # a TensorFlow tensor of unknown rank
            rank = None
        if rank != 2:
            shape = tuple(source_ids.shape) if rank is not None else None
            raise ValueError(
                f"`source_ids` must have shape (batch, length). Received: source_ids.shape={shape}"
            )
        self._check_id_values(source_ids)
        return ops.cast(source_ids, "int32")

    def _check_id_values(self, source_ids):
        """Ids in `[0, source_vocab_size)` and at least one column, where the values are known
        (eager calls; a traced graph checks nothing: its embedding lookup fails on its own)."""
        if compiled_generate.in_tf_graph():
            return
        try:
            values = np.asarray(ops.convert_to_numpy(source_ids))
        except Exception:  # a symbolic tensor (a JAX tracer)  # noqa: BLE001
            return
        if values.shape[0] and not values.shape[1]:
            raise ValueError(
                "`source_ids` must hold at least one token per sentence (a 0-length source). "
                f"Received: source_ids.shape={values.shape}"
            )
        if values.size and (values.min() < 0 or values.max() >= self.source_vocab_size):
            raise ValueError(
                f"`source_ids` must be ids in [0, {self.source_vocab_size}) (the source vocabulary; 0 is "
                f"padding). Received: min={values.min()}, max={values.max()}"
            )

    @classmethod
    def from_config(cls, config):
        return cls(**config)
