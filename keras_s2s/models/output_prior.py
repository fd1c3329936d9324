"""The log unigram prior of the training targets, to initialize the output bias.

Why: with zero logit biases, the only fast way for a freshly initialized
model to produce the unigram distribution (the first thing it learns) is to
push every hidden unit towards a constant ±1 pattern: Adam moves each of the
`units` kernel entries of a logit by the learning rate per step, the bias
only by one. On real text (thousands of target types) this saturates the
recurrent states and the `tanh` of the attentional layer h̃ = tanh(W_c[c; h])
within ~50 steps, its gradient vanishes, and the model stays a unigram model
(loss ≈ unigram entropy) for good. Starting the bias at log p(y) removes the
pressure ("init well", Karpathy 2019; the usual practice for output layers
of skewed classification problems).
"""

import numpy as np

PAD_ID = 0


def target_log_prior(targets, vocab_size, max_batches=200):
    """log p(token) over the target ids, add-one smoothed, padding excluded.

    Args:
        targets: int array `(N, T)`, or a `tf.data.Dataset` of `(inputs,
            target_ids[, sample_weight])` batches (the first `max_batches`
            are read).
        vocab_size: int, the output vocabulary size `V`.

    Returns:
        float32 `(V,)`, or None when `targets` is of a kind that cannot be
        read without consuming it (a Python generator).
    """
    counts = np.zeros(vocab_size, np.float64)
    if is_tf_dataset(targets):
        for element in targets.take(max_batches):
            if not isinstance(element, tuple) or len(element) < 2:
                return None
            _add(counts, np.asarray(element[1]))
    elif hasattr(targets, "__array__") or isinstance(targets, (list, tuple)):
        try:
            ids = np.asarray(targets)
        except (TypeError, ValueError):
            return None
        _add(counts, ids)
    else:
        return None
    counts[PAD_ID] = 0.0
    smoothed = counts + 1.0
    return np.log(smoothed / smoothed.sum()).astype("float32")  # (V,)


def _add(counts, ids):
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"Targets must be integer token ids. Received: dtype={ids.dtype}")
    ids = ids.ravel()
    ids = ids[(ids >= 0) & (ids < len(counts))]
    counts += np.bincount(ids, minlength=len(counts))[: len(counts)]


def is_tf_dataset(x):
    """Whether `x` is a `tf.data.Dataset`, told without importing TensorFlow
    (Keras takes one on every backend; a JAX or PyTorch user need not have
    TensorFlow loaded)."""
    return any(
        cls.__name__ == "DatasetV2" and cls.__module__.startswith("tensorflow.") for cls in type(x).__mro__
    )
