"""`dynamic_decode`: one graph loop that drives any decoding strategy."""

import numpy as np
import tensorflow as tf

from keras_s2s.decoding.registry import get


def dynamic_decode(
    step_fn,
    initial_state,
    memory,
    strategy="greedy",
    batch_size=None,
    max_length=None,
    start_id=2,
    end_id=3,
    attention_size=None,
):
    """Decode token by token with a step function in a single `tf.while_loop`.

    At step `t` the loop calls

        logits, state, attention = step_fn(token_ids, state, memory)

    with `token_ids` `(N,)` int32 the previous output ([START] at `t = 0`,
    [END] for rows that already finished), lets `strategy` choose the next
    tokens from `logits` `(N, V)`, reorders the state and the histories by the
    strategy's parent rows (beam search), and writes the tokens and attention
    rows into fixed-size buffers `(N, max_length)` / `(N, max_length, S)`.
    A row stops at [END]: after it its ids are 0 and its attention rows are 0.
    The loop ends once every row has finished or after `max_length` steps, and
    the buffers are sliced to the `L` steps actually run.

    The graph uses only TFLite builtin ops (no TensorArray / TensorList, no
    random ops outside `Sampling`), so a decode traced in a `tf.function`
    exports to a SavedModel and converts to a LiteRT model.

    Shapes: `V` (vocabulary) and `S` (source length) are discovered from the
    step outputs at run time, nothing is declared up front: the attention
    buffer starts with `S = 0` columns and is padded to the width of the first
    step's attention. A `step_fn` may return `attention=None` (a decoder without
    attention), giving `attention` of shape `(B, L, 0)`. With `B = 0` or a
    (dynamic) `max_length` of 0 nothing is called and the outputs are empty
    with `L = 0` and `S = 0`.

    Args:
        step_fn: callable `(token_ids, state, memory) -> (logits, state,
            attention)`; `token_ids` int32 `(N,)`, `state` a nested structure of
            float tensors `(N, ...)`, `memory` a nested structure of tensors
            `(N, ...)` constant over the steps, `logits` `(N, V)`,
            `attention` `(N, S)` (or `None`).
        initial_state: nested structure of tensors `(B, ...)`, the decoder
            state before step 0.
        memory: nested structure of tensors `(B, ...)` (encoder outputs,
            precomputed keys, source mask). Beam search tiles it once to
            `(B*K, ...)`; it is never gathered again.
        strategy: a `DecodingStrategy`, a name (`"greedy"`, `"beam"`,
            `"sampling"`) or a config dict, see `keras_s2s.decoding.get`.
        batch_size: `B`, int or scalar int tensor. Default: the leading
            dimension of the first tensor in `memory` (else `initial_state`).
        max_length: required; the maximal number of generated tokens,
            [END] included. A positive int or a scalar int32 tensor.
        start_id: the [START] id fed at step 0.
        end_id: the [END] id.
        attention_size: `S`, int or scalar int tensor, when the caller knows
            it (the source length). The attention buffer then has its final
            width from the start and keeps one shape through the loop, which
            the TFLite `WHILE` kernel needs (a buffer that grows inside the
            loop converts, but the converted model fails at run time).

    Returns:
        A dict with `"ids"` int32 `(B, L)` (without [START], with [END] when
        produced, 0 after it), `"scores"` float32 `(B,)` and `"attention"`
        float32 `(B, L, S)`; `L <= max_length` is the number of steps run.
        Beam search with `num_return_sequences = n > 1` gives `(B, n, L)`,
        `(B, n)` and `(B, n, L, S)`, best hypothesis first.

    Raises:
        ValueError: if `max_length` is missing or not a positive integer, or
            the strategy is unknown.
    """
    strategy = get(strategy)
    max_length = _validate_max_length(max_length)
    initial_state = tf.nest.map_structure(tf.convert_to_tensor, initial_state)
    memory = tf.nest.map_structure(tf.convert_to_tensor, memory)
    if batch_size is None:
        batch_size = _infer_batch_size(memory, initial_state)
    batch_size = tf.cast(batch_size, tf.int32)

    if strategy.needs_attention:
        if attention_size is None:
            raise ValueError(
                f"{type(strategy).__name__} reads the attention weights (its coverage penalty) and "
                "needs their width: pass `attention_size` (the source length). Received: attention_size=None"
            )
        state, memory, num_rows, loop_state = strategy.initialize(
            batch_size, initial_state, memory, attention_size=attention_size
        )
    else:
        state, memory, num_rows, loop_state = strategy.initialize(batch_size, initial_state, memory)
    width = 0 if attention_size is None else attention_size
    loop_vars = (
        tf.constant(0, tf.int32),  # t
        tf.fill([num_rows], tf.constant(start_id, tf.int32)),  # (N,) next input
        state,
        tf.zeros([num_rows], tf.bool),  # (N,) finished
        tf.zeros([num_rows, max_length], tf.int32),  # (N, max_length) ids
        tf.zeros([num_rows, max_length, width], tf.float32),  # (N, max_length, S)
        loop_state,
    )

    # Beam search: instead of reordering the whole `(N, max_length, S)`
    # attention history at every step, row n of `attention` holds what decode
    # row n computed at each step, and `sources` `(N, max_length)` (cheap
    # ints, reordered like `ids`) says which row of `attention` holds step t of
    # hypothesis n (-1: finished before t, attention 0). Gathered once at the
    # end, it gives exactly the reordered history.
    if getattr(strategy, "reorders_rows", False):
        loop_vars += (tf.zeros([num_rows, max_length], tf.int32),)
    known_width = attention_size is not None
    # (N, 2) = [n, 0]; histories are written with a scatter of the N cells of
    # step t (a select over the whole (N, max_length, S) buffer was most of
    # the loop's bookkeeping time at batch 64).
    row_index = tf.stack([tf.range(num_rows), tf.zeros([num_rows], tf.int32)], axis=1)

    def cond(t, tokens, state, finished, ids, attention, loop_state, *sources):
        running = tf.logical_and(t < max_length, tf.reduce_any(tf.logical_not(finished)))
        stop = strategy.should_stop(t, finished, loop_state, max_length)  # beam: nothing left to gain
        return running if stop is None else tf.logical_and(running, tf.logical_not(stop))

    def body(t, tokens, state, finished, ids, attention, loop_state, *sources):
        logits, new_state, step_attention = step_fn(tokens, state, memory)
        logits = tf.cast(logits, tf.float32)  # (N, V)
        new_state = tf.nest.pack_sequence_as(  # same nesting and dtypes as state
            state,
            [tf.cast(new, old.dtype) for new, old in zip(tf.nest.flatten(new_state), tf.nest.flatten(state))],
        )
        logits = strategy.process_logits(t, logits, end_id)  # (N, V) min_length
        if strategy.needs_attention:
            if step_attention is None:
                raise ValueError(
                    f"{type(strategy).__name__} reads the attention weights (its coverage penalty), "
                    "but the step function returns none (a decoder without attention). Received: attention=None"
                )
            new_tokens, parents, loop_state = strategy.step(
                t, logits, finished, loop_state, end_id, attention=tf.cast(step_attention, tf.float32)
            )
        else:
            new_tokens, parents, loop_state = strategy.step(t, logits, finished, loop_state, end_id)
        column = row_index + tf.stack([0, t])  # (N, 2) = [n, t]: step t's cells
        if parents is not None:  # (N,) row that each new row continues

            def reorder(x):
                return tf.gather(x, parents)

            new_state = tf.nest.map_structure(reorder, new_state)
            finished = reorder(finished)  # (N,)
            ids = reorder(ids)  # (N, max_length)
            if not sources:  # a strategy without `reorders_rows`: reorder it all
                attention = reorder(attention)  # (N, max_length, S)
                if step_attention is not None:
                    step_attention = reorder(step_attention)  # (N, S)
        emitted = tf.where(finished, 0, new_tokens)  # (N,)
        ids = tf.tensor_scatter_nd_update(ids, column, emitted)  # (N, max_length)
        if sources:  # step t of row n was computed by decode row `rows[n]`
            rows = row_index[:, 0] if parents is None else parents  # (N,)
            rows = tf.where(finished, -1, rows)  # (N,) -1: finished, attention 0
            previous = sources[0] if parents is None else tf.gather(sources[0], parents)
            sources = (tf.tensor_scatter_nd_update(previous, column, rows),)
        if step_attention is not None:
            step_attention = tf.cast(step_attention, tf.float32)  # (N, S)
            if not sources:
                step_attention = tf.where(tf.expand_dims(finished, 1), 0.0, step_attention)
            if not known_width:
                grow = tf.shape(step_attention)[1] - tf.shape(attention)[2]
                attention = tf.pad(attention, [[0, 0], [0, 0], [0, grow]])
            attention = tf.tensor_scatter_nd_update(  # (N, max_length, S)
                attention, column, step_attention
            )
        finished = tf.logical_or(finished, tf.equal(emitted, end_id))  # (N,)
        tokens = tf.where(finished, end_id, emitted)  # (N,)
        return (t + 1, tokens, new_state, finished, ids, attention, loop_state, *sources)

    invariants = tf.nest.map_structure(_relaxed_shape, loop_vars)
    invariants = invariants[:5] + (tf.TensorShape([None, None, None]),) + invariants[6:]
    t, _, _, finished, ids, attention, loop_state, *sources = tf.while_loop(
        cond, body, loop_vars, shape_invariants=invariants
    )
    ids = ids[:, :t]  # (N, L)
    attention = attention[:, :t]  # (N, L, S)
    if sources:
        attention = _gather_history(attention, sources[0][:, :t])
    return strategy.finalize(ids, attention, finished, loop_state, batch_size)


def _gather_history(attention, sources):
    """`out[n, t] = attention[sources[n, t], t]`, 0 where `sources[n, t] < 0`.

    Args:
        attention: `(N, L, S)` float32, row n = what decode row n computed.
        sources: `(N, L)` int32, the row holding step t of hypothesis n.

    Returns:
        `(N, L, S)` float32. TFLite builtins only (TRANSPOSE, RESHAPE, GATHER).
    """
    shape = tf.shape(attention)  # (3,)
    num_rows, length, width = shape[0], shape[1], shape[2]
    time_major = tf.reshape(  # (L*N, S), row t*N + n
        tf.transpose(attention, [1, 0, 2]), tf.stack([length * num_rows, width])
    )
    steps = tf.expand_dims(tf.range(length) * num_rows, 0)  # (1, L)
    flat = steps + tf.maximum(sources, 0)  # (N, L)
    picked = tf.gather(time_major, flat)  # (N, L, S)
    return tf.where(tf.expand_dims(sources >= 0, 2), picked, 0.0)


def _validate_max_length(max_length):
    """A positive Python int, or a scalar int32 tensor (checked if constant)."""
    if max_length is None:
        raise ValueError(
            "`max_length` is required (the caller picks it, e.g. from the source "
            "length). Received: max_length=None"
        )
    if isinstance(max_length, (int, np.integer)) and not isinstance(max_length, bool):
        if max_length < 1:
            raise ValueError(f"`max_length` must be >= 1. Received: max_length={max_length}")
        return int(max_length)
    if isinstance(max_length, (tf.Tensor, tf.Variable, np.ndarray)):
        max_length = tf.cast(tf.reshape(max_length, []), tf.int32)
        static = tf.get_static_value(max_length)
        if static is not None and static < 1:
            raise ValueError(f"`max_length` must be >= 1. Received: max_length={int(static)}")
        return max_length
    raise ValueError(f"`max_length` must be a positive integer. Received: max_length={max_length!r}")


def _infer_batch_size(memory, initial_state):
    for tensor in tf.nest.flatten(memory) + tf.nest.flatten(initial_state):
        if tensor.shape.rank is None or tensor.shape.rank >= 1:
            return tf.shape(tensor)[0]
    raise ValueError(
        "Cannot infer the batch size: `memory` and `initial_state` hold no "
        "tensor with a batch dimension. Pass `batch_size`. Received: batch_size=None"
    )


def _relaxed_shape(tensor):
    """Loop-invariant shape: the leading (row) dimension may change."""
    shape = tensor.shape
    if shape.rank is None or shape.rank == 0:
        return shape
    return tf.TensorShape([None]).concatenate(shape[1:])
