"""`dynamic_decode`: one graph loop that drives any decoding strategy."""

import numpy as np
from keras import ops, tree

from keras_s2s.decoding import backend
from keras_s2s.decoding.history import append_step, gather_hypotheses, in_step_order
from keras_s2s.decoding.registry import get
from keras_s2s.decoding.row_retirement import enough_leaving, retire, retire_memory, save_rows


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
    fixed_length=False,
    sentence_memory=False,
    return_attention=True,
):
    """Decode token by token with a step function in a single `ops.while_loop`.

    At step `t` the loop calls

        logits, state, attention = step_fn(token_ids, state, memory)

    with `token_ids` `(N,)` int32 the previous output ([START] at `t = 0`,
    [END] for rows that already finished), lets `strategy` choose the next
    tokens from `logits` `(N, V)`, reorders the state and the histories by the
    strategy's parent rows (beam search), and writes the tokens and attention
    rows into fixed-size buffers `(N, max_length)` / `(N, max_length, S)`.
    A row stops at [END]: after it its ids are 0 and its attention rows are 0.
    The loop ends once every row has finished or after `max_length` steps, and
    the buffers are sliced to the `L` steps actually run. The rows of a
    sentence that needs no more steps (`strategy.rows_done`) leave the decode
    once a quarter of the active rows have (`row_retirement.py`): the step
    function then sees fewer rows (`N` shrinks) and the same rows of state
    and memory; not under JAX or XLA, nor for sampling (rows are frozen).

    Written once in `keras.ops`, it runs on every Keras backend: under
    TensorFlow the loop is a `tf.while_loop` whose graph uses only TFLite
    builtin ops (no TensorArray / TensorList, no random ops outside
    `Sampling`), so a decode traced in a `tf.function` exports to a
    SavedModel and converts to a LiteRT model; under JAX a `lax.while_loop`
    (fixed shapes: `max_length` must be a Python int, and the attention
    width is found from an abstract first step when `attention_size` is not
    given); under PyTorch a Python loop. `decoding/backend.py` holds the few
    backend-specific pieces.

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
            `attention` `(N, S)` (or `None`). A state axis that starts at
            size 0 may grow from step to step (a key/value cache), except
            where `backend.fixed_shapes()` (JAX, XLA).
        initial_state: nested structure of tensors `(B, ...)`, the decoder
            state before step 0.
        memory: nested structure of tensors `(B, ...)` (encoder outputs,
            precomputed keys, source mask). Beam search tiles it once to
            `(B*K, ...)` (unless `sentence_memory`); it is gathered only when
            sentences leave.
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
            width from the start and keeps one shape through the loop (no
            padding op per step; static shapes under JAX and XLA).
        fixed_length: keep the buffers' `max_length` steps and return the
            steps run as `"length"` (static shapes, for `jax.jit`).
        sentence_memory: the step function reads `memory` with one row per
            sentence while it decodes `N = B·K` rows: decode row `n` uses
            memory row `n // K` (`BaseAttention.attend` does, for a rank-2
            query). Beam search then never tiles the memory: each step
            reads `K` times less of it, and LiteRT's `WHILE` loop copies `K`
            times less per step. Where rows may leave, step 0 then runs on
            one row per sentence and its parents widen the state to `N`
            rows (`DecodingStrategy.expands_after_first_step`).
        return_attention: keep every step's attention weights (default).
            False: `"attention"` is `(B, [n,] L, 0)` and the loop keeps no
            attention history (a strategy that reads the weights still gets
            them), which saves a buffer copy per step.

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
    initial_state = tree.map_structure(ops.convert_to_tensor, initial_state)
    memory = tree.map_structure(ops.convert_to_tensor, memory)
    if batch_size is None:
        batch_size = _infer_batch_size(memory, initial_state)
    if not isinstance(batch_size, int):
        batch_size = ops.cast(batch_size, "int32")

    if strategy.needs_attention and attention_size is None:
        raise ValueError(
            f"{type(strategy).__name__} reads the attention weights (its coverage penalty) and "
            "needs their width: pass `attention_size` (the source length). Received: attention_size=None"
        )
    initialize_kwargs = {"attention_size": attention_size} if strategy.needs_attention else {}
    drops_rows = strategy.drops_finished_rows and not fixed_length and backend.can_drop_rows()
    # Step 0 on one row per sentence, its parents widening it to `N` rows
    # (beam search: the beams are copies until then; CTranslate2's
    # `expand_after_first_step` on CPUs).
    expands = sentence_memory and drops_rows and strategy.expands_after_first_step
    expand_kwargs = {"expand_at_first_step": True} if expands else {}
    state, tiled, num_rows, loop_state = strategy.initialize(
        batch_size, initial_state, () if sentence_memory else memory, **initialize_kwargs, **expand_kwargs
    )
    memory = memory if sentence_memory else tiled
    first_rows = batch_size if expands else num_rows  # active rows at step 0
    if not return_attention:  # a (N, max_length, 0) history that no step writes
        attention_size = 0
    # Rows per memory row: what a sentence leaving the decode removes from `memory`.
    rows_per_memory_row = _rows_per_sentence(num_rows, batch_size) if sentence_memory else 1
    tokens = ops.full((first_rows,), start_id, dtype="int32")  # (A,) next input
    if attention_size is None and backend.name() == "jax":
        # JAX: fixed shapes; the width is read off an abstract first step.
        attention_size = 0 if num_rows == 0 else backend.attention_width(step_fn, tokens, state, memory)
    known_width = attention_size is not None
    width = attention_size if known_width else 0
    column_shape = _column_shape(num_rows, width) if known_width else None  # (N, S), a loop constant
    finished = ops.zeros((first_rows,), "bool")  # (A,)
    # The active rows: at first all N (or one per sentence, `expands`).
    # `rows` (A,) is the buffer row (of `ids`, `attention`, `sources`,
    # `saved`) of each after the step; with `drops_rows` a sentence's rows
    # leave once it is done (row_retirement.py).
    rows = ops.arange(num_rows, dtype="int32")  # (A,)
    # The final values of every buffer row, as if none had run (`saved` below).
    initial = (ops.zeros((num_rows,), "bool"), loop_state)
    if expands:
        initial = (initial[0], strategy.initialize(batch_size, (), (), **initialize_kwargs)[3])
    loop_vars = (
        ops.convert_to_tensor(0, "int32"),  # t
        tokens,  # (A,)
        state,  # (A, ...)
        finished,  # (A,)
        ops.zeros((num_rows, max_length), "int32"),  # (N, max_length) ids
        ops.zeros((num_rows, max_length, width), "float32"),  # (N, max_length, S)
        loop_state,  # (A, ...)
        rows,  # (A,)
        memory,  # (A, ...)
        initial,  # saved: the final values of the rows that left, (N, ...)
    )

    # Beam search: instead of reordering the whole `(N, max_length, S)`
    # attention history at every step, row n of `attention` holds what decode
    # row n computed at each step, and `sources` `(N, max_length)` (cheap
    # ints, reordered like `ids`) says which row of `attention` holds step t of
    # hypothesis n (-1: finished before t, attention 0). Gathered once at the
    # end, it gives exactly the reordered history.
    if getattr(strategy, "reorders_rows", False) and return_attention:
        loop_vars += (ops.full((num_rows, max_length), -1, dtype="int32"),)
    all_rows = rows  # (N,) the identity reordering of the buffers

    def cond(t, tokens, state, finished, *_):
        return ops.logical_and(t < max_length, ops.any(ops.logical_not(finished)))

    def segment(t, tokens, state, finished, ids, attention, loop_state, rows, memory, saved, *sources):
        """Steps until enough rows are done (or the end), then drops those rows."""

        def step(t, tokens, state, finished, ids, attention, loop_state, rows, memory, leaving, *sources):
            logits, new_state, step_attention = step_fn(tokens, state, memory)
            logits = ops.cast(logits, "float32")  # (A, V)
            new_state = tree.pack_sequence_as(  # same nesting and dtypes as state
                state,
                [ops.cast(new, old.dtype) for new, old in zip(tree.flatten(new_state), tree.flatten(state))],
            )
            logits = strategy.process_logits(t, logits, end_id)  # (A, V) min_length
            step_kwargs = dict(expand_kwargs)
            if strategy.needs_attention:
                if step_attention is None:
                    raise ValueError(
                        f"{type(strategy).__name__} reads the attention weights (its coverage penalty), "
                        "but the step function returns none (a decoder without attention). Received: attention=None"
                    )
                step_kwargs["attention"] = ops.cast(step_attention, "float32")
            new_tokens, parents, loop_state = strategy.step(
                t, logits, finished, loop_state, end_id, **step_kwargs
            )
            new_tokens = ops.cast(new_tokens, "int32")
            step_attention = step_attention if return_attention else None
            column = ops.stack([rows, ops.zeros_like(rows) + t], axis=1)  # (A, 2) = [row, t]: step t's cells
            # The buffer rows of the rows that computed this step: `rows`, but
            # the first `B` of them at an expanding step 0.
            computed = rows[: ops.shape(finished)[0]] if expands else rows  # (A,)
            written = computed  # (A,) the buffer row whose step-t attention each row continues
            attention_rows = computed  # (A,) the buffer rows that store this step's attention
            if parents is not None:  # (A,) active row that each new row continues

                def reorder(x):
                    return backend.take_rows(x, parents)

                new_state = tree.map_structure(reorder, new_state)
                finished = reorder(finished)  # (A,)
                written = reorder(computed)  # (A,)
                # (N,) the buffer row each buffer row continues (itself if inactive)
                buffer_parents = (
                    ops.scatter_update(all_rows, column[:, :1], written) if drops_rows else written
                )
                ids = backend.take_rows(ids, buffer_parents)  # (N, max_length)
                if sources:
                    sources = (backend.take_rows(sources[0], buffer_parents),)  # (N, max_length)
                elif return_attention:  # a strategy without `reorders_rows`: reorder it all
                    attention = backend.take_rows(attention, buffer_parents)  # (N, max_length, S)
                    if step_attention is not None:
                        step_attention = reorder(step_attention)  # (A, S)
                        attention_rows = rows  # (A,) stored with the rows that continue them
            emitted = ops.where(finished, 0, new_tokens)  # (A,)
            ids = ops.scatter_update(ids, column, emitted)  # (N, max_length)
            if sources:  # step t of hypothesis `rows[a]` was computed at buffer row `written[a]`
                sources = (ops.scatter_update(sources[0], column, ops.where(finished, -1, written)),)
            if step_attention is not None:
                step_attention = ops.cast(step_attention, "float32")  # (A, S)
                if not sources:
                    step_attention = ops.where(ops.expand_dims(finished, 1), 0.0, step_attention)
                if not known_width:  # TensorFlow and PyTorch only (see `backend.while_loop`)
                    grow = ops.shape(step_attention)[1] - ops.shape(attention)[2]
                    attention = ops.pad(attention, [[0, 0], [0, 0], [0, grow]])
                attention = append_step(  # (N, max_length, S)
                    attention, step_attention, attention_rows if drops_rows else None, column_shape
                )
            finished = ops.logical_or(finished, ops.equal(emitted, end_id))  # (A,)
            # Whole sentences that need no more steps (beam search: nothing left to gain).
            done = strategy.rows_done(finished, loop_state, max_length)  # (A,)
            finished = ops.logical_or(finished, done)  # (A,) their live rows are frozen
            tokens = ops.where(finished, end_id, emitted)  # (A,)
            return (
                t + 1,
                tokens,
                new_state,
                finished,
                ids,
                attention,
                loop_state,
                rows,
                memory,
                done,
                *sources,
            )

        def stepping(t, tokens, state, finished, ids, attention, loop_state, rows, memory, leaving, *sources):
            running = cond(t, tokens, state, finished)
            return (
                ops.logical_and(running, ops.logical_not(enough_leaving(leaving))) if drops_rows else running
            )

        # Memory and rows are loop variables, not captures: the TFLite
        # converter segfaulted on the captured form (greedy search).
        leaving = ops.zeros_like(finished)  # (A,) rows of done sentences, from the last step
        t, tokens, state, finished, ids, attention, loop_state, rows, memory, leaving, *sources = (
            backend.while_loop(
                stepping,
                step,
                (t, tokens, state, finished, ids, attention, loop_state, rows, memory, leaving, *sources),
                growing=growing,
            )
        )
        if drops_rows:
            memory = retire_memory(leaving, memory, rows_per_memory_row)
            rows, (tokens, state, finished, loop_state), saved = retire(
                leaving, rows, (tokens, state, finished, loop_state), saved, (finished, loop_state)
            )
        return (t, tokens, state, finished, ids, attention, loop_state, rows, memory, saved, *sources)

    growing = () if known_width else (5,)
    if drops_rows:  # segments until every row has left
        outputs = backend.while_loop(cond, segment, loop_vars, growing=growing)
    else:  # one segment: the loop runs to the end
        outputs = segment(*loop_vars)
    t, _, _, finished, ids, attention, loop_state, rows, _, saved, *sources = outputs
    if drops_rows:  # (N, ...) every row's final values
        if expands:  # a loop that never ran (a max_length of 0): one row per sentence, at its first
            active = ops.shape(finished)[0]
            spread = ops.shape(rows)[0] // ops.maximum(active, 1)  # 1 once it ran, else K
            rows = backend.take_rows(rows, ops.arange(active, dtype="int32") * spread)  # (A,)
        finished, loop_state = save_rows(saved, rows, (finished, loop_state))
    attention = in_step_order(attention, t)  # (N, max_length, S)
    if fixed_length:  # keep the buffers' max_length steps (static shapes, jax.jit)
        if sources:
            attention = gather_hypotheses(attention, sources[0])
        out = dict(strategy.finalize(ids, attention, finished, loop_state, batch_size))
        out["length"] = t
        return out
    ids = ids[:, :t]  # (N, L)
    attention = attention[:, :t]  # (N, L, S)
    if sources:
        attention = gather_hypotheses(attention, sources[0][:, :t])
    return strategy.finalize(ids, attention, finished, loop_state, batch_size)


def slice_steps(outputs):
    """Cuts a `fixed_length=True` decode to the `L = outputs["length"]` steps run.

    `ids` `(..., max_length)` → `(..., L)`, `attention` `(..., max_length, S)`
    → `(..., L, S)`; `"length"` is dropped. Eager (L becomes a shape).
    """
    outputs = dict(outputs)
    length = int(ops.convert_to_numpy(outputs.pop("length")))
    outputs["ids"] = outputs["ids"][..., :length]
    outputs["attention"] = outputs["attention"][..., :length, :]
    return outputs


def _validate_max_length(max_length):
    """A positive Python int, or a scalar int32 tensor (checked if its value is known)."""
    if max_length is None:
        raise ValueError(
            "`max_length` is required (the caller picks it, e.g. from the source "
            "length). Received: max_length=None"
        )
    if isinstance(max_length, (int, np.integer)) and not isinstance(max_length, bool):
        if max_length < 1:
            raise ValueError(f"`max_length` must be >= 1. Received: max_length={max_length}")
        return int(max_length)
    if backend.is_tensor(max_length):
        static = backend.static_value(max_length)
        if static is not None and np.size(static) == 1 and int(np.reshape(static, ())) < 1:
            raise ValueError(f"`max_length` must be >= 1. Received: max_length={int(np.reshape(static, ()))}")
        if backend.name() == "jax":  # the buffers' length is a static shape
            if static is None:
                raise ValueError(
                    "On the JAX backend `max_length` must be known when tracing (a Python int): "
                    f"it is the length of the decode's buffers. Received: max_length={max_length!r}"
                )
            return int(np.reshape(static, ()))
        return ops.cast(ops.reshape(max_length, ()), "int32")
    raise ValueError(f"`max_length` must be a positive integer. Received: max_length={max_length!r}")


def _column_shape(num_rows, width):
    """`(N, S)` of one history column: a tuple of ints, else an int32 tensor."""
    if isinstance(num_rows, int) and isinstance(width, int):
        return (num_rows, width)
    return ops.stack([ops.cast(num_rows, "int32"), ops.cast(width, "int32")])


def _rows_per_sentence(num_rows, batch_size):
    """`num_rows // batch_size`: Python arithmetic on static (or JAX symbolic) sizes, 0 for an empty batch."""
    if ops.is_tensor(num_rows) or ops.is_tensor(batch_size):
        return num_rows // ops.maximum(batch_size, 1)
    if isinstance(batch_size, int) and batch_size == 0:
        return 0
    return num_rows // batch_size


def _infer_batch_size(memory, initial_state):
    for tensor in tree.flatten(memory) + tree.flatten(initial_state):
        shape = getattr(tensor, "shape", None)
        rank = getattr(shape, "rank", None) if shape is not None and hasattr(shape, "rank") else len(shape)
        if rank is None or rank >= 1:
            return ops.shape(tensor)[0]
    raise ValueError(
        "Cannot infer the batch size: `memory` and `initial_state` hold no "
        "tensor with a batch dimension. Pass `batch_size`. Received: batch_size=None"
    )
