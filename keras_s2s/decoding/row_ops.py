"""Row operations the strategies share, built from TFLite builtin ops.

`tile_rows` expands a batch of sentences to their decoding rows (beam
search: `B → B*K`); `take_along_rows` picks one value per row; `row_top_k`
is `top_k` over wide rows (a vocabulary) at a fraction of its cost. Written
in `keras.ops` (every backend); imports only `decoding.backend`.
"""

import math

from keras import ops

from keras_s2s.decoding.backend import take_rows, top_k

#: Rows narrower than this go straight to `backend.top_k` in `row_top_k`.
TWO_STAGE_MIN_WIDTH = 256


def tile_rows(x, multiplier):
    """Repeat every row `multiplier` times consecutively.

    `(B, ...)` → `(B * multiplier, ...)`, rows `b*m .. b*m + m - 1` equal
    `x[b]`. One `GATHER` of the rows `n // multiplier` (TFLite builtins):
    LiteRT runs `BROADCAST_TO` in its per-element reference kernel, which
    tiling the encoder memory of a batch-64 beam search made 13% of the
    decode's time (`perf` of `benchmarks/inference.py`'s model).

    Args:
        x: a tensor of rank >= 1.
        multiplier: int, the copies of each row.

    Returns:
        `(B * multiplier, ...)`, the dtype of `x`.
    """
    x = ops.convert_to_tensor(x)
    rows = ops.arange(ops.shape(x)[0] * multiplier, dtype="int32")  # (B*m,)
    return take_rows(x, ops.floor_divide(rows, multiplier))  # (B*m, ...)


def take_along_rows(values, indices):
    """`values[n, indices[n]]` for `values` `(N, V)` and `indices` `(N,)`.

    Returns:
        `(N,)`, the dtype of `values`.
    """
    picked = ops.take_along_axis(values, ops.expand_dims(ops.cast(indices, "int32"), 1), axis=1)  # (N, 1)
    return picked[:, 0]  # (N,)


def log_max_softmax(logits, max_columns):
    """`log_softmax(logits)[n, max_columns[n]]` for the column of each row's maximum.

    At the maximum `l_max` of a row,

        log_softmax(l)_max = -log Σ_v exp(l_v - l_max) = log softmax(l)_max

    and `softmax(l)_max >= 1 / V` never underflows, so one softmax (a
    single fused kernel: oneDNN's in TensorFlow, `SOFTMAX` in LiteRT) and
    a gather of `N` values replace the subtract, exp and sum passes over
    `(N, V)`: per call in a TensorFlow loop at `V = 5000` on 2 CPU cores,
    359 → 187 µs at `N = 128`, 711 → 342 µs at 256, 29 → 34 µs at 4. Any other
    column's log-probability follows as `(l_v - l_max) + log_max_softmax`.

    Args:
        logits: `(N, V)` float.
        max_columns: `(N,)` int, a column of each row's maximum.

    Returns:
        `(N,)`, the dtype of `logits`.
    """
    probs = ops.softmax(logits, axis=-1)  # (N, V)
    # One flat GATHER, not `take_along_rows`: Keras' take_along_axis traces 26
    # ops here (two BROADCAST_TO) against 7, at every decoding step.
    vocab = logits.shape[-1] if logits.shape[-1] is not None else ops.shape(logits)[1]
    flat = ops.arange(ops.shape(logits)[0], dtype="int32") * vocab + ops.cast(max_columns, "int32")  # (N,)
    return ops.log(take_rows(ops.reshape(probs, (-1,)), flat))  # (N,)


def row_top_k(values, k):
    """The `k` largest entries of every row, exactly as `ops.top_k(values, k)`.

    Same values and columns, sorted descending, ties to the lower column.
    `top_k` over a `(N, V)` vocabulary costs several passes over it on CPU;
    for wide rows (static `V >= 256`) this takes two stages instead: the
    maxima of `V / c` chunks of `c ≈ √V` columns (one pass), the `k` chunks
    with the largest maxima (their columns ascending), and `top_k` over those
    `k·c` entries. Every top-k entry lies in one of those chunks: a chunk
    left out has `k` chunks at least as large before it, hence `k` entries.
    A `V` with no divisor near `√V` is padded with -inf columns at the end.

    Args:
        values: `(N, V)` float.
        k: int, `1 <= k <= V`.

    Returns:
        `(top_values (N, k), top_columns (N, k) int32)`.
    """
    width = values.shape[-1]
    chunk = _chunk_size(width)
    if width is None or width < TWO_STAGE_MIN_WIDTH or width // chunk < k:
        top_values, columns = top_k(values, k)
        return top_values, ops.cast(columns, "int32")
    # Few, lean ops: at batch 1 their count, not their size, is the cost.
    pad = -width % chunk
    if pad:
        values = ops.pad(values, [[0, 0], [0, pad]], constant_values=float("-inf"))  # (N, V')
    num_chunks = (width + pad) // chunk
    chunks = ops.reshape(values, (-1, chunk))  # (N * V'/c, c), row n*V'/c + j = chunk j of row n
    maxima = ops.reshape(ops.max(chunks, axis=1), (-1, num_chunks))  # (N, V'/c)
    best = top_k(maxima, k)[1]  # (N, k) chunks with the largest maxima, ties to the lower
    best = -ops.top_k(-best, k=k)[0]  # (N, k) ascending: ties go to the lower column
    row = ops.expand_dims(ops.arange(ops.shape(best)[0], dtype=best.dtype), 1)  # (N, 1)
    candidates = take_rows(chunks, best + row * num_chunks)  # (N, k, c)
    top_values, position = top_k(ops.reshape(candidates, (-1, k * chunk)), k)  # (N, k)
    # column = best[n, position // c] * c + position % c
    chunk_of = take_rows(ops.reshape(best, (-1,)), position // chunk + row * k)  # (N, k)
    return top_values, ops.cast(chunk_of * chunk + position % chunk, "int32")


def _chunk_size(width):
    """A divisor of `width` near `√width` (within a factor 2), else round(√width)."""
    if width is None or width < 4:
        return 1
    root = math.sqrt(width)
    divisors = [d for d in range(max(2, int(root / 2)), int(2 * root) + 1) if width % d == 0]
    return min(divisors, key=lambda d: abs(d - root)) if divisors else round(root)
