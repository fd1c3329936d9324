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


#: The largest `max_length`: a decode counts its steps in int32.
MAX_INT32 = 2**31 - 1


def validate_max_length(max_length):
    """Return `max_length` unchanged if None or an int in `[1, 2**31 - 1]`; Keras-style ValueError otherwise.

    The check of `generate`, `Translator` and the CLI's SavedModel
    translator (a larger value would wrap around in the int32 step count).
    """
    if max_length is not None and (
        isinstance(max_length, bool) or not isinstance(max_length, int) or not 1 <= max_length <= MAX_INT32
    ):
        raise ValueError(
            f"`max_length` must be a positive int (at most 2**31 - 1) or None. Received: max_length={max_length!r}"
        )
    return max_length


def validate_min_length(min_length):
    """Return `min_length` as an int; Keras-style ValueError unless it is >= 0."""
    if (
        isinstance(min_length, (bool, np.bool_))
        or not isinstance(min_length, (int, np.integer))
        or min_length < 0
    ):
        raise ValueError(f"`min_length` must be an integer >= 0. Received: min_length={min_length!r}")
    return int(min_length)
