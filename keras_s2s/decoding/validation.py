"""Argument checks of the strategies' constructors (Keras-style errors).

Plain Python; imports nothing else from keras_s2s.
"""

import numpy as np


def validate_positive_int(name, value, allow_none=False):
    """Return `value` as an int; Keras-style ValueError unless it is >= 1.

    Args:
        name: the argument's name, for the message.
        value: what the caller passed.
        allow_none: accept (and return) None.

    Raises:
        ValueError: `Received: beam_size=0` and the like.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"`{name}` must be an integer. Received: {name}={value!r}")
    if value < 1:
        raise ValueError(f"`{name}` must be >= 1. Received: {name}={value!r}")
    return int(value)


def validate_min_length(min_length):
    """Return `min_length` as an int; Keras-style ValueError unless it is >= 0."""
    if (
        isinstance(min_length, (bool, np.bool_))
        or not isinstance(min_length, (int, np.integer))
        or min_length < 0
    ):
        raise ValueError(f"`min_length` must be an integer >= 0. Received: min_length={min_length!r}")
    return int(min_length)
