"""Dropping finished sentences from a running decode (batch compaction).

CTranslate2's CPU trick, in a graph that TF Serving and builtin-only LiteRT
run: once a sentence needs no more steps (greedy: it emitted [END]; beam
search: no live hypothesis can beat its finished ones), its rows leave the
decode, so the step function, the strategy and the bookkeeping of the
following steps run on the sentences still being translated only. The loop
variables of the active rows shrink (`GATHER` of the kept rows, the encoder
memory included); the id / attention histories stay at full size, indexed by
each active row's buffer row, and the final strategy state of a leaving row
is saved at full size for `finalize`. The decode runs in segments: an inner
loop steps until at least a quarter of the active rows are done (or the
end), then the outer loop drops them with one gather, so no step pays for a
conditional (TFLite's `IF` copies its inputs, the memory included).

Shapes that change between steps are not possible everywhere: under JAX and
under XLA (`jit_compile=True`) every loop variable keeps its shape, and the
rows of finished sentences are only frozen (marked finished), which gives the
same tokens. `dynamic_decode` picks with `backend.can_drop_rows()`.
"""

from keras import ops, tree

from keras_s2s.decoding import backend

LEAVE_DENOMINATOR = 4


def save_rows(saved, rows, values):
    """`saved[rows[a]] = values[a]` for every leaf: `(N, ...)` ← `(A, ...)`."""
    index = ops.expand_dims(rows, 1)  # (A, 1)
    return tree.map_structure(lambda full, part: ops.scatter_update(full, index, part), saved, values)


def enough_leaving(done):
    """Whether the done rows are worth a gather: at least 1 / LEAVE_DENOMINATOR of them.

    Dropping rows copies the active rows' state and memory once; rows left
    in place only cost their share of each step (frozen, fed [END]).
    """
    num_done = ops.sum(ops.cast(done, "int32"))
    return ops.logical_and(num_done > 0, num_done * LEAVE_DENOMINATOR >= ops.shape(done)[0])


def retire(done, rows, active, saved, saving):
    """Drops the rows in `done`, first saving `saving` of every active row.

    Args:
        done: `(A,)` bool, rows that need no more steps (whole sentences).
        rows: `(A,)` int32, the buffer row of each active row.
        active: nested structure of `(A, ...)` tensors, kept rows only after.
        saved: nested structure of `(N, ...)` tensors, the final values by
            buffer row (same structure as `saving`).
        saving: nested structure of `(A, ...)` tensors to save.

    Returns:
        `(rows, active, saved)`: `(A',)`, `(A', ...)` and `(N, ...)`.
    """
    kept = backend.true_indices(ops.logical_not(done))  # (A',) int32

    def keep(x):
        return backend.take_rows(x, kept)  # (A', ...)

    return keep(rows), tree.map_structure(keep, active), save_rows(saved, rows, saving)


def retire_memory(done, memory, rows_per_memory_row=1):
    """The memory rows of the sentences that stay.

    Args:
        done: `(A,)` bool, the active rows that leave (whole sentences, whose
            rows are consecutive).
        memory: nested structure of `(A / rows_per_memory_row, ...)` tensors.
        rows_per_memory_row: `K`, int or scalar int tensor: 1 when every
            decode row has its own memory row, the beam size when a
            sentence's `K` rows share one (`dynamic_decode(sentence_memory=True)`).

    Returns:
        `memory` with the kept rows only.
    """
    leaving = done[::rows_per_memory_row]  # (M,) a sentence's first row speaks for it
    kept = backend.true_indices(ops.logical_not(leaving))  # (M',) int32
    return tree.map_structure(lambda x: backend.take_rows(x, kept), memory)
