"""nnlib.gates: the backward of the add, multiply and max gates (lesson 05)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnlib.gates import add_backward, max_backward, multiply_backward

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def test_add_routes_the_gradient_unchanged_to_both_inputs():
    assert add_backward(2.5) == (2.5, 2.5)
    dz = np.array([[1.0, -2.0], [3.0, 0.5]])
    dx, dy = add_backward(dz)
    np.testing.assert_array_equal(dx, dz)
    np.testing.assert_array_equal(dy, dz)


def test_add_returns_two_separate_copies():
    dz = np.array([1.0, 2.0])
    dx, dy = add_backward(dz)
    dx += 10  # a caller accumulating into dx must not change dy, nor dz
    np.testing.assert_array_equal(dy, [1.0, 2.0])
    np.testing.assert_array_equal(dz, [1.0, 2.0])


def test_multiply_swaps_the_inputs():
    assert multiply_backward(1.0, 2.0, -3.0) == (-3.0, 2.0)
    assert multiply_backward(2.0, 3.0, -4.0) == (-8.0, 6.0)


def test_max_switches_the_gradient_to_the_winner_and_ties_go_to_x():
    assert max_backward(2.0, 1.0, 4.0) == (0.0, 2.0)
    assert max_backward(2.0, 5.0, 1.0) == (2.0, 0.0)
    assert max_backward(2.0, 3.0, 3.0) == (2.0, 0.0)
    dx, dy = max_backward(np.array([1.0, 2.0, 3.0]), np.array([0.0, 5.0, 1.0]), np.array([1.0, 5.0, -1.0]))
    np.testing.assert_array_equal(dx, [0.0, 2.0, 3.0])
    np.testing.assert_array_equal(dy, [1.0, 0.0, 0.0])


def test_scalars_give_python_floats():
    for out in (*add_backward(1.0), *multiply_backward(1, 2, 3), *max_backward(1.0, 2, 3)):
        assert type(out) is float


@pytest.mark.parametrize("gate", ["multiply", "max"])
def test_gradients_match_finite_differences(gate, numgrad):
    """L = sum(c * f(x, y)) has dL/dz = c; away from ties the gates give dL/dx and dL/dy."""
    rng = np.random.default_rng(5)
    x, y, c = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    gates = {"multiply": (np.multiply, multiply_backward), "max": (np.maximum, max_backward)}
    forward, backward = gates[gate]
    dx, dy = backward(c, x, y)
    np.testing.assert_allclose(dx, numgrad(lambda t: np.sum(c * forward(t, y)), x), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dy, numgrad(lambda t: np.sum(c * forward(x, t)), y), rtol=1e-6, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, (5,), elements=finite), arrays(np.float64, (5,), elements=finite),
       arrays(np.float64, (5,), elements=st.integers(-2, 2).map(float)))
def test_max_conserves_the_gradient_even_on_ties(dz, x, y):
    x = np.where(np.arange(5) % 2 == 0, y, x)  # ties at even positions
    dx, dy = max_backward(dz, x, y)
    np.testing.assert_array_equal(dx + dy, dz)  # exactly one input gets dz, the other 0
    assert np.all((dx == 0) | (dy == 0))


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, (2, 3), elements=finite), arrays(np.float64, (2, 3), elements=finite),
       arrays(np.float64, (2, 3), elements=finite))
def test_multiply_is_elementwise_dz_times_the_other_input(dz, x, y):
    dx, dy = multiply_backward(dz, x, y)
    np.testing.assert_array_equal(dx, dz * y)
    np.testing.assert_array_equal(dy, dz * x)


@pytest.mark.parametrize("backward", [multiply_backward, max_backward])
def test_float32_stays_float32_and_inputs_are_not_changed(backward):
    rng = np.random.default_rng(0)
    args = tuple(rng.normal(size=(2, 3)).astype(np.float32) for _ in range(3))
    before = tuple(a.copy() for a in args)
    dx, dy = backward(*args)
    assert dx.dtype == dy.dtype == np.float32 and dx.shape == dy.shape == (2, 3)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert add_backward(args[0])[0].dtype == np.float32
    scalars = backward(np.float32(1.5), np.float32(2.0), np.float32(-1.0))
    assert all(type(s) is np.float32 for s in scalars)  # numpy float32 scalars stay float32


def test_integer_arrays_become_float64():
    dx, _ = multiply_backward(np.arange(3), np.arange(3), np.arange(3))
    assert dx.dtype == np.float64
    np.testing.assert_array_equal(dx, [0.0, 1.0, 4.0])


@pytest.mark.parametrize("backward", [multiply_backward, max_backward])
def test_shapes_must_agree(backward):
    name = backward.__name__
    with pytest.raises(ValueError, match=rf"{name}: dz, x, y must all have the same shape .* "
                                         r"got dz.shape=\(3,\), x.shape=\(2,\), y.shape=\(3,\)"):
        backward(np.ones(3), np.ones(2), np.ones(3))


def test_bad_types_are_refused_with_the_function_name():
    with pytest.raises(TypeError, match="multiply_backward: x must be a number or an array"):
        multiply_backward(1.0, "2", 3.0)
    with pytest.raises(TypeError, match="max_backward: dz must be a number or an array of numbers; got bool"):
        max_backward(True, 1.0, 2.0)
    with pytest.raises(TypeError, match="add_backward: dz must hold real numbers"):
        add_backward(np.array(["a"]))
