"""GRU/LSTM recurrences with the input projection taken out of the time loop.

A Keras `GRUCell` / `LSTMCell` computes `x_t · W + h_{t-1} · U` at every
step. `x_t · W` does not depend on the recurrence, so for a whole sequence it
is one `(B·T, E) × (E, G·u)` matmul (`G` = 3 gates for GRU, 4 for LSTM) done
before the loop; the loop is then left with `h_{t-1} · U` and the gates:

    X = x · W + b_x                      (B, T, G·u), once        (hoisted)
    GRU  (Cho et al. 2014; Keras' reset_after=True convention):
        [r_z; r_r; r_h] = h_{t-1} · U + b_h
        z = σ(X_z + r_z),  r = σ(X_r + r_r)
        h_t = z ⊙ h_{t-1} + (1 − z) ⊙ tanh(X_h + r ⊙ r_h)
    LSTM (Hochreiter & Schmidhuber 1997):
        [i; f; g; o] = X_t + h_{t-1} · U
        c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g),  h_t = σ(o) ⊙ tanh(c_t)

The functions read the cell's own weights (`kernel`, `recurrent_kernel`,
`bias`) and activations, so the math is the cell's: `project_inputs`
followed by `recurrent_step` equals `cell(x_t, states)` (the tests check it
against Keras, forward and backward). `keras.ops` only; no TensorFlow.
"""

import functools

import keras
from keras import ops


def can_hoist(cell, training):
    """Whether `cell` runs here: a GRUCell/LSTMCell without active dropout.

    Input dropout draws a mask per sequence that the cell applies inside its
    call; with dropout active in training the caller keeps Keras' own loop.
    """
    kind = type(cell).__name__
    if kind not in ("GRUCell", "LSTMCell") or not cell.use_bias:
        return False
    if kind == "GRUCell" and not cell.reset_after:
        return False
    return not (training and (cell.dropout > 0 or cell.recurrent_dropout > 0))


def project_inputs(cell, x, kernel=None):
    """`x · W + b_x`: the input side of every gate, for all steps at once.

    Args:
        cell: a built `GRUCell` or `LSTMCell`.
        x: float `(..., E)`, e.g. `(B, T, E)` or `(B, E)`.
        kernel: optional slice of rows of `cell.kernel` matching `x`'s last
            axis (input feeding projects the embedding rows on their own).

    Returns:
        `(..., G·u)` in `x`'s dtype.
    """
    kernel = ops.cast(cell.kernel if kernel is None else kernel, x.dtype)  # (E, G·u)
    projected = ops.matmul(x, kernel)  # (..., G·u)
    bias = ops.cast(cell.bias, x.dtype)
    if type(cell).__name__ == "GRUCell":
        bias = bias[0]  # (3u,) input bias; bias[1] is the recurrent one
    return projected + bias


def recurrent_step(cell, projected, states):
    """One step of the recurrence given the step's projected input.

    Args:
        cell: the cell whose `project_inputs` made `projected`.
        projected: `(B, G·u)`, `X_t`.
        states: `[h]` (GRU) or `[h, c]` (LSTM), each `(B, u)`.

    Returns:
        `(h_t, new_states)`, as `cell(x_t, states)`.
    """
    h = states[0]  # (B, u)
    inner = ops.matmul(h, ops.cast(cell.recurrent_kernel, h.dtype))  # (B, G·u)
    if type(cell).__name__ == "GRUCell":
        inner = inner + ops.cast(cell.bias, h.dtype)[1]  # (B, 3u)
        x_z, x_r, x_h = ops.split(projected, 3, axis=-1)  # (B, u) each
        r_z, r_r, r_h = ops.split(inner, 3, axis=-1)
        z = cell.recurrent_activation(x_z + r_z)
        r = cell.recurrent_activation(x_r + r_r)
        candidate = cell.activation(x_h + r * r_h)  # (B, u)
        h = z * h + (1 - z) * candidate
        return h, [h]
    i, f, g, o = ops.split(projected + inner, 4, axis=-1)  # (B, u) each
    c = cell.recurrent_activation(f) * states[1] + cell.recurrent_activation(i) * cell.activation(g)
    h = cell.recurrent_activation(o) * cell.activation(c)  # (B, u)
    return h, [h, c]


def scan_recurrence(cell, projected, initial_state, mask=None, go_backwards=False, zero_output_for_mask=True):
    """Runs `recurrent_step` over the time axis in Keras' own RNN loop.

    The loop is the one `keras.layers.RNN` runs (`keras.src.backend.rnn`:
    `tf.while_loop` on TensorFlow, `lax.scan` on JAX, a Python loop on
    PyTorch), so masking (masked steps keep the states and output 0, or the
    previous output with `zero_output_for_mask=False`) and `go_backwards`
    (outputs in processing order) are exactly Keras'; only the step is
    lighter. Keras 3.15 exposes that loop under `keras.src` only; the
    dependency is pinned to 3.15.x.

    Args:
        cell: the cell.
        projected: `(B, T, G·u)`, from `project_inputs`.
        initial_state: list of `(B, u)` tensors.
        mask: bool `(B, T)` or None.
        go_backwards: bool.
        zero_output_for_mask: bool.

    Returns:
        `(last_output (B, u), outputs (B, T, u), final_states)`.
    """
    from keras.src import backend  # the loop behind keras.layers.RNN

    def step(x_t, states):  # (B, G·u), [(B, u)]
        return recurrent_step(cell, x_t, list(states))

    states = [ops.cast(s, projected.dtype) for s in initial_state]
    return backend.rnn(
        step,
        projected,
        states,
        go_backwards=go_backwards,
        mask=mask,
        input_length=projected.shape[1],
        zero_output_for_mask=zero_output_for_mask,
        return_all_outputs=True,
    )


def scan_steps(step, inputs, initial_state):
    """Runs `step` over the time axis of `inputs` in Keras' RNN loop, unmasked.

    For steps that are not a single cell (input feeding's decoder step):
    the loop of `scan_recurrence`, which on TensorFlow is a `tf.while_loop`
    with `maximum_iterations` (XLA needs it for the gradient's stacks, where
    `keras.ops.scan` fails under `jit_compile=True`) and pipelined
    iterations, keeping the carry in loop variables (`ops.scan` keeps it in a
    TensorArray it reads and rewrites every step).

    Args:
        step: `(x_t, states) -> (outputs_t, new_states)`; `outputs_t` may be
            nested, `new_states` a tuple like `states`.
        inputs: `(B, T, ·)`.
        initial_state: tuple of `(B, ·)` tensors.

    Returns:
        `(last_outputs, outputs, final_states)`, `outputs` nested like
        `outputs_t`, each `(B, T, ·)`.
    """
    from keras.src import backend  # the loop behind keras.layers.RNN

    return backend.rnn(
        step, inputs, tuple(initial_state), input_length=inputs.shape[1], return_all_outputs=True
    )


def hoisting_applies(layer, training):
    """Whether a `GRU`/`LSTM` layer should run `scan_recurrence`.

    Not where Keras has a faster loop of its own: on a GPU (cuDNN, which
    already does the projection in one call) or with `use_cudnn=True`, with
    `unroll=True`, or with a cell configuration `can_hoist` does not cover.
    """
    if layer.use_cudnn is True or layer.unroll or not can_hoist(layer.cell, training):
        return False
    return not _accelerator_visible()


@functools.cache
def _accelerator_visible():
    """Whether Keras sees a GPU (asked once per process)."""
    if keras.backend.backend() == "torch":  # keras.distribution is JAX/TensorFlow only
        from keras.src.backend.torch.core import get_device

        return get_device() != "cpu"
    from keras import distribution

    try:
        return bool(distribution.list_devices("gpu"))
    except RuntimeError:  # JAX without a GPU platform
        return False


class ProjectedInputsMixin:
    """`inner_loop` for `GRU`/`LSTM` subclasses: `scan_recurrence` where it applies."""

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not hoisting_applies(self, training):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        n_states = 2 if type(self.cell).__name__ == "LSTMCell" else 1
        projected = project_inputs(self.cell, sequences)  # (B, T, G·u)
        return scan_recurrence(
            self.cell,
            projected,
            states[:n_states],
            mask,
            go_backwards=self.go_backwards,
            zero_output_for_mask=self.zero_output_for_mask,
        )
