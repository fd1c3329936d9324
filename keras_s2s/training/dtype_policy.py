"""A scope in which Keras' global dtype policy is another one."""

import contextlib

import keras


@contextlib.contextmanager
def global_dtype_policy(name):
    """Sets Keras' global dtype policy to `name` inside the block, then restores it.

    Layers built inside keep the policy they were built with. `name=None`
    leaves the policy as it is.
    """
    if name is None:
        yield
        return
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)
