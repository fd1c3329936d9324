"""`run_layer_test`: the checks every keras_s2s layer must pass, in one place.

Modelled on Keras' own `testing.TestCase.run_layer_test`: a layer test file
calls it once per configuration instead of hand-rolling the same config,
serialization, symbolic-call and mixed-precision checks. What the helper
cannot know (hand-computed numbers, masking semantics, errors) stays in the
layer's own test file.

The checks:
1. config round trip: `from_config(get_config())` gives an equal config;
2. eager call == symbolic call: the layer inside a functional model (with
   `keras.Input`s of the inputs' dtypes and unknown batch/time sizes) gives
   the eager call's numbers and output shapes (and masks flow from inputs
   whose `mask_zero` embedding the caller put in front);
3. `.keras` round trip: that model saved and reloaded gives the same numbers;
4. mixed precision (`mixed_float16`, `mixed_bfloat16`): the weights stay
   float32, the first output is in the compute dtype (or the dtype the
   caller names), no NaN, and the
   numbers are close to the float32 layer with the same weights.
"""

import keras
import numpy as np

POLICIES = {"mixed_float16": 2e-2, "mixed_bfloat16": 1e-1}


def run_layer_test(
    make_layer,
    inputs,
    call_kwargs=None,
    expected_output_shapes=None,
    mixed_precision=True,
    mixed_precision_tolerance=None,
    mixed_precision_output_dtype=None,
    tmp_path=None,
    atol=1e-6,
):
    """Runs the shared checks on the layer `make_layer(**kw)` builds.

    Args:
        make_layer: callable `(**kwargs) -> layer`; it is called with
            `dtype=policy` for the mixed-precision checks, so it must pass
            keyword arguments on to the layer's constructor.
        inputs: list of the layer's positional call arguments, each a NumPy
            array or a list of them (a decoder's initial state).
        call_kwargs: dict of extra (non-tensor) call arguments.
        expected_output_shapes: optional list of the flattened outputs'
            shapes, checked against the eager call.
        mixed_precision: run the mixed-precision checks.
        mixed_precision_tolerance: dict policy -> atol (default `POLICIES`).
        mixed_precision_output_dtype: the dtype of the first output under a
            mixed policy; default the compute dtype (`"float32"` for a layer
            that returns logits in float32 on purpose, as Keras advises).
        tmp_path: a folder for the `.keras` round trip (pytest's `tmp_path`);
            None skips that check.
        atol: tolerance of the float32 comparisons.

    Returns:
        The flattened eager outputs (NumPy arrays), for further checks.
    """
    call_kwargs = dict(call_kwargs or {})
    layer = make_layer()
    eager = _flat(layer(*inputs, **call_kwargs))
    if expected_output_shapes is not None:
        assert [o.shape for o in eager] == [tuple(s) for s in expected_output_shapes], (
            f"output shapes {[o.shape for o in eager]} != {expected_output_shapes}"
        )

    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config, "get_config() does not survive from_config()"

    model = _functional_model(layer, inputs, call_kwargs)
    symbolic = _flat(model(inputs))
    for e, s in zip(eager, symbolic, strict=True):
        np.testing.assert_allclose(s, e, atol=atol, err_msg="symbolic call != eager call")

    if tmp_path is not None:
        path = tmp_path / f"{layer.name}.keras"
        model.save(path)
        restored = keras.models.load_model(path)
        for e, r in zip(symbolic, _flat(restored(inputs)), strict=True):
            np.testing.assert_allclose(r, e, atol=atol, err_msg=".keras round trip changed the outputs")

    if mixed_precision:
        tolerances = mixed_precision_tolerance or POLICIES
        for policy, tol in tolerances.items():
            dtype = mixed_precision_output_dtype or policy.split("_")[1]
            _check_policy(make_layer, layer, inputs, call_kwargs, eager, policy, tol, dtype)
    return eager


def _functional_model(layer, inputs, call_kwargs):
    symbolic_inputs = keras.tree.map_structure(_symbolic_input, inputs)
    outputs = layer(*symbolic_inputs, **call_kwargs)
    return keras.Model(symbolic_inputs, keras.tree.flatten(outputs))


def _symbolic_input(x):
    """A `keras.Input` like `x` with the batch and time sizes unknown.

    The time axis is axis 1 of ids `(B, T)` and of features `(B, T, D)`; a
    feature vector `(B, D)` keeps its depth (layers build weights from it).
    """
    x = np.asarray(x)
    shape = list(x.shape[1:])
    if x.ndim >= 3 or (x.ndim == 2 and np.issubdtype(x.dtype, np.integer)):
        shape[0] = None
    return keras.Input(tuple(shape), dtype=str(x.dtype))


def _check_policy(make_layer, reference, inputs, call_kwargs, expected, policy, tol, dtype):
    layer = make_layer(dtype=policy)
    layer(*inputs, **call_kwargs)  # builds the weights
    assert all(w.dtype == "float32" for w in layer.weights), f"{policy}: weights must stay float32"
    layer.set_weights(reference.get_weights())
    outputs = keras.tree.flatten(layer(*inputs, **call_kwargs))
    assert keras.backend.standardize_dtype(outputs[0].dtype) == dtype, (
        f"{policy}: the first output is {outputs[0].dtype}, expected {dtype}"
    )
    for o, e in zip(_flat(outputs), expected, strict=True):
        assert not np.isnan(o).any(), f"{policy}: NaN in the outputs"
        np.testing.assert_allclose(o, e, atol=tol, err_msg=f"{policy} outputs differ from float32")


def _flat(outputs):
    return [
        np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(o, "float32")))
        for o in keras.tree.flatten(outputs)
    ]
