import numpy as np
import pytest

from keras_s2s.decoding.validation import validate_positive_int


def test_accepts_positive_ints_and_optionally_none():
    assert validate_positive_int("beam_size", np.int64(4)) == 4
    assert type(validate_positive_int("beam_size", np.int64(4))) is int
    assert validate_positive_int("top_k", None, allow_none=True) is None


@pytest.mark.parametrize(
    "value, match",
    [
        (0, "must be >= 1. Received: beam_size=0"),
        (True, "integer. Received: beam_size=True"),
        (2.0, "beam_size=2.0"),
        (None, "beam_size=None"),
    ],
)
def test_rejects_what_is_not_a_positive_int(value, match):
    with pytest.raises(ValueError, match=match):
        validate_positive_int("beam_size", value)
