"""The attention base layer: masking, softmax, dropout and the weighted sum."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_s2s")
class BaseAttention(keras.layers.Layer):
    """Base class of the attention layers: everything but the score function.

    A subclass computes raw scores only. The base layer turns them into
    weights and a context vector:

        weights = softmax(score(q, k))  over unmasked source positions
        context = sum_j weights_j * v_j

    Work that depends only on the source (the key projection `W_k k` of
    additive attention, `W k` of Luong's "general" score, the head
    projections of multi-head attention) is done by `prepare_memory`, once
    per source sentence; `attend` then scores any number of queries against
    that memory. `call` is exactly `attend(query, *prepare_memory(...))`, so
    a decoder that prepares the memory once and calls `attend` at every step
    runs the same computation as the teacher-forced call.

    Subclasses implement `build`, `project_keys(key)` (default: identity),
    `project_values(value)` (default: identity), `score(query, keys)` and,
    optionally, `project_output(context)`.

    Args:
        dropout: float in `[0, 1)`, fraction of the attention weights dropped
            during training.
        **kwargs: base layer keyword arguments (`name`, `dtype`, ...).

    Call arguments:
        query: `(B, Tq, dq)`, or `(B, dq)` for a single decoder step.
        value: `(B, Tv, dv)`.
        key: optional `(B, Tv, dk)`; defaults to `value`.
        query_mask: optional bool `(B, Tq)` (or `(B,)` for a rank-2
            query); masked query rows get zero context and zero weights.
        value_mask: optional bool `(B, Tv)`, `True` where the query may
            attend. Both masks are filled in implicitly from Keras masks
            (e.g. `Embedding(mask_zero=True)`) in the functional API.
        return_attention_scores: bool, also return the weights.
        training: bool, whether dropout is applied.
        query_positions: optional int `(B, Tq)` (or `(B,)` for a rank-2
            query), the absolute position of each query among the keys,
            for a layer with a causal mask: query i may attend key j iff
            `j <= query_positions[i]`. Default `0 … Tq-1`, i.e. the
            queries are the first `Tq` keys. A decoder that steps with a
            key/value cache passes the step's position, since a mask built
            from a one-step query's length would hide all but the first key.
            A layer without a causal mask refuses it.

    Returns:
        context `(B, Tq, dv)` (or `(B, dv)`), and with
        `return_attention_scores=True` also the weights `(B, Tq, Tv)` (or
        `(B, Tv)`; `(B, H, Tq, Tv)` for multi-head attention). Weight rows
        sum to 1 over unmasked positions and are exactly 0 where masked; a
        fully masked row gives zero weights and zero context, never NaN.
    """

    def __init__(self, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"`dropout` must be a float in [0, 1). Received: dropout={dropout!r}")
        self.dropout = float(dropout)
        self.supports_masking = True
        self._dropout_layer = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)

    # --- hooks for subclasses -------------------------------------------
    def project_keys(self, key):
        """Source-side key transform, computed once per source: `(B, Tv, ·)`."""
        return key

    def project_values(self, value):
        """Source-side value transform, computed once per source."""
        return value

    def score(self, query, keys):
        """Raw scores `(B, Tq, Tv)` (or `(B, H, Tq, Tv)`) of `query` `(B, Tq, dq)`."""
        raise NotImplementedError

    def step_score(self, query, keys):
        """Raw scores of the queries of one decoding step (`attend` with a rank-2 query).

        Same shapes as `score`, which it defaults to; a subclass whose
        `score` has a custom gradient gives plain ops here (decoding loops
        are saved to SavedModels, and TensorFlow cannot save a custom
        gradient inside a `while` body).
        """
        return self.score(query, keys)

    def project_output(self, context):
        """Maps the weighted sum to the output; identity unless multi-head."""
        return context

    # --- the shared computation ------------------------------------------
    def prepare_memory(self, value, key=None):
        """Source-side work done once per source sentence.

        Returns:
            `(keys, values)`: the projected keys and values that `attend`
            scores queries against.
        """
        key = value if key is None else key
        self._check_rank(value, 3, "value")
        self._check_rank(key, 3, "key")
        return self.project_keys(key), self.project_values(value)

    def attend(
        self,
        query,
        keys,
        values,
        query_mask=None,
        value_mask=None,
        return_attention_scores=False,
        training=None,
        query_positions=None,
    ):
        """Attends `query` to a memory made by `prepare_memory`.

        A rank-2 query `(N, dq)` is one decoding step of `N` rows. The
        memory may have fewer rows, `M` with `N = M·K` (beam search keeps one
        memory row per sentence for its `K` hypotheses): row `n` then attends
        memory row `n // K`, its sentence's `K` rows being that memory row's
        `K` query positions.
        """
        single_step = len(query.shape) == 2
        if single_step:
            memory_shape = ops.shape(values)  # (M, [H,] Tv, dv)
            memory_rows, width = memory_shape[0], memory_shape[-2]  # M, Tv
            per_row = _ratio(query, memory_rows)  # K = N / M
            query = ops.reshape(query, (memory_rows, per_row, query.shape[-1]))  # (M, K, dq)
            if query_mask is not None:
                query_mask = ops.reshape(query_mask, (memory_rows, per_row))  # (M, K)
            if query_positions is not None:
                query_positions = ops.reshape(query_positions, (memory_rows, per_row))  # (M, K)
            scores = self.step_score(query, keys)  # (M, [H,] K, Tv)
        else:
            self._check_rank(query, 3, "query")
            scores = self.score(query, keys)  # (B, [H,] Tq, Tv)
        weights = self._masked_softmax(scores, query_mask, value_mask, query_positions)
        dropped = self._dropout_layer(weights, training=training)
        context = ops.matmul(dropped, values)  # (B, [H,] Tq, dv)
        context = self.project_output(context)  # (B, Tq, dv)
        if query_mask is not None:
            q = ops.cast(query_mask, context.dtype)  # (B, Tq)
            context = context * ops.expand_dims(q, -1)  # (B, Tq, dv)
        if single_step:
            context = ops.reshape(context, (-1, context.shape[-1]))  # (N, dv)
            if len(weights.shape) == 4:  # (M, H, K, Tv) → (N, H, Tv)
                weights = ops.transpose(weights, (0, 2, 1, 3))  # (M, K, H, Tv)
            weights = ops.reshape(weights, (-1, *weights.shape[2:-1], width))  # (N, [H,] Tv)
        if return_attention_scores:
            return context, weights
        return context

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        return_attention_scores=False,
        training=None,
        query_positions=None,
    ):
        keys, values = self.prepare_memory(value, key)
        return self.attend(
            query,
            keys,
            values,
            query_mask=query_mask,
            value_mask=value_mask,
            return_attention_scores=return_attention_scores,
            training=training,
            query_positions=query_positions,
        )

    def compute_mask(self, query, previous_mask=None, **kwargs):
        return previous_mask

    # --- helpers -----------------------------------------------------------
    def _masked_softmax(self, scores, query_mask, value_mask, query_positions=None):
        """Softmax over the last axis in float32; exactly 0 where masked."""
        scores = ops.cast(scores, "float32")
        mask = self._combined_mask(scores, query_mask, value_mask, query_positions)
        if mask is not None:
            scores = ops.where(mask, scores, -1e9)
        weights = ops.softmax(scores, axis=-1)
        if mask is not None:
            # A fully masked row would be uniform: zero it (and every masked
            # entry) exactly.
            weights = weights * ops.cast(mask, weights.dtype)
        return ops.cast(weights, self.compute_dtype)

    def _combined_mask(self, scores, query_mask, value_mask, query_positions=None):
        """Bool mask broadcastable to `scores` `(B, [H,] Tq, Tv)`, or None."""
        heads = len(scores.shape) == 4
        mask = None
        if value_mask is not None:
            mask = ops.expand_dims(ops.cast(value_mask, "bool"), 1)  # (B,1,Tv)
        if query_mask is not None:
            q = ops.expand_dims(ops.cast(query_mask, "bool"), -1)  # (B,Tq,1)
            mask = q if mask is None else ops.logical_and(mask, q)
        causal = self._causal_mask(scores, query_positions)
        if causal is None and query_positions is not None:
            raise ValueError(
                f"{self.__class__.__name__} has no causal mask: `query_positions` only "
                "places the queries of a causal mask (use_causal_mask=True). "
                f"Received: query_positions.shape={tuple(query_positions.shape)}"
            )
        if causal is not None:
            mask = causal if mask is None else ops.logical_and(mask, causal)
        if mask is not None and heads:
            mask = ops.expand_dims(mask, 1)  # (B, 1, Tq, Tv)
        return mask

    def _causal_mask(self, scores, query_positions=None):
        """Causal mask `(1 or B, Tq, Tv)`, or None when not causal.

        `query_positions` (int `(B, Tq)` or None) are the queries' absolute
        positions among the keys; None stands for `0 … Tq-1`.
        """
        return None

    def _check_rank(self, x, rank, name):
        if len(x.shape) != rank:
            raise ValueError(
                f"{self.__class__.__name__} expects `{name}` of rank {rank}. "
                f"Received: {name}.shape={tuple(x.shape)}"
            )

    def get_config(self):
        base_config = super().get_config()
        config = {"dropout": self.dropout}
        return {**base_config, **config}


def _ratio(query, memory_rows):
    """`N // M` for the reshape of `query` `(N, dq)`: Python arithmetic on static
    (or JAX symbolic) sizes, 0 for an empty batch; -1 where a size is known at run
    time only (TensorFlow infers it, an empty batch included, with no extra op)."""
    rows = query.shape[0]
    if rows is None or ops.is_tensor(memory_rows):
        return -1
    if isinstance(memory_rows, int) and memory_rows == 0:
        return 0
    return rows // memory_rows
