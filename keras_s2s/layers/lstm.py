"""`LSTM`: Keras' LSTM with the input projection out of the time loop."""

import keras

from keras_s2s.layers.recurrence import ProjectedInputsMixin


@keras.saving.register_keras_serializable(package="keras_s2s")
class LSTM(ProjectedInputsMixin, keras.layers.LSTM):
    """A `keras.layers.LSTM` that projects the inputs of all steps before its loop.

    X = x · W + b_x for every step in one matmul `(B·T, E) × (E, 4u)`, then
    the loop computes only h_{t-1} · U and the gates
    (`layers.recurrence.recurrent_step`). Same weights (`cell.kernel`,
    `cell.recurrent_kernel`, `cell.bias`: names and shapes unchanged), same
    outputs, masking and `go_backwards` semantics as `LSTM`, so weights
    saved from a `LSTM` load into it and the other way round. Where Keras
    has a faster loop of its own (cuDNN on a GPU) or the cell has active
    dropout, it runs `LSTM`'s loop.

    The class is named like Keras' own on purpose: Keras keys the weights
    of a layer in a list (`rnn_layers`) by its class name, so `.keras` files
    written when the encoder and decoder held `keras.layers.LSTM` load
    unchanged.

    Args and call arguments: those of `keras.layers.LSTM`.
    """
