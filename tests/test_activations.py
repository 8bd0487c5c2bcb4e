"""Activations and their derivatives (lesson 02): hand values, stability, gradient checks."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import nnlib
from nnlib import (
    ACTIVATIONS,
    identity,
    identity_derivative,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    tanh,
    tanh_derivative,
)
from nnlib.activations import get_activation

LN2, LN3 = math.log(2), math.log(3)


# --------------------------------------------------------------------------- #
# hand values a learner can check on paper


def test_sigmoid_hand_values():
    # sigma(0) = 1/2; sigma(ln 3) = 1 / (1 + 1/3) = 3/4; sigma(-ln 3) = 1/4
    assert_allclose(sigmoid(np.array([0.0, LN3, -LN3])), [0.5, 0.75, 0.25], rtol=1e-15)
    assert sigmoid(0.0) == 0.5


def test_sigmoid_derivative_hand_values():
    # sigma'(z) = sigma(z)(1 - sigma(z)): 1/4 at 0, 3/4 * 1/4 = 3/16 at +-ln 3
    assert_allclose(sigmoid_derivative(np.array([0.0, LN3, -LN3])), [0.25, 0.1875, 0.1875], rtol=1e-14)


def test_tanh_hand_values():
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 3/5; tanh is odd
    assert_allclose(tanh(np.array([0.0, LN2, -LN2])), [0.0, 0.6, -0.6], rtol=1e-14, atol=0)
    # tanh'(z) = 1 - tanh(z)^2: 1 at 0, 1 - 9/25 = 16/25 at ln 2
    assert_allclose(tanh_derivative(np.array([0.0, LN2, -LN2])), [1.0, 0.64, 0.64], rtol=1e-14)


def test_relu_and_derivative_hand_values():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    assert_array_equal(relu(z), [0.0, 0.0, 0.0, 0.5, 3.0])
    # the kink: the course chooses f'(0) = 0
    assert_array_equal(relu_derivative(z), [0.0, 0.0, 0.0, 1.0, 1.0])


def test_identity_and_derivative():
    z = np.array([[-2.0, 0.0], [1.5, 7.0]])
    assert_array_equal(identity(z), z)
    assert_array_equal(identity_derivative(z), np.ones((2, 2)))


def test_softmax_hand_values():
    # e^z = (1, 2, 3) -> (1/6, 2/6, 3/6)
    assert_allclose(softmax(np.log([1.0, 2.0, 3.0])), [1 / 6, 2 / 6, 3 / 6], rtol=1e-14)
    # each row separately (axis=-1 by default)
    z = np.array([[0.0, LN3], [LN3, 0.0]])
    assert_allclose(softmax(z), [[0.25, 0.75], [0.75, 0.25]], rtol=1e-14)


def test_softmax_axis():
    z = np.array([[0.0, 5.0], [LN3, -1.0]])
    s0 = softmax(z, axis=0)  # columns sum to 1
    assert_allclose(s0.sum(axis=0), [1.0, 1.0])
    assert_allclose(s0[:, 0], [0.25, 0.75], rtol=1e-14)
    assert not np.allclose(s0.sum(axis=1), 1.0)


def test_softmax_stable_for_large_logits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_allclose(softmax(np.array([1000.0, 1000.0])), [0.5, 0.5])
        assert_allclose(softmax(np.array([[1000.0, 1000.0 + LN3]])), [[0.25, 0.75]], rtol=1e-12)
        s = softmax(np.array([-1000.0, 0.0, 1000.0]))
    assert_array_equal(s, [0.0, 0.0, 1.0])


@pytest.mark.parametrize("z", [1000.0, -1000.0, 1e4, -1e4])
def test_saturating_activations_at_extremes(z):
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        s, t = sigmoid(np.array([z])), tanh(np.array([z]))
        ds, dt = sigmoid_derivative(np.array([z])), tanh_derivative(np.array([z]))
    assert s[0] == (1.0 if z > 0 else 0.0)
    assert t[0] == math.copysign(1.0, z)
    assert ds[0] == 0.0 and dt[0] == 0.0


def test_sigmoid_is_accurate_in_both_tails():
    # the e^z / (1 + e^z) branch keeps relative accuracy for very negative z
    assert_allclose(sigmoid(np.array([-40.0, -700.0])), [math.exp(-40), math.exp(-700)], rtol=1e-12)


def test_softmax_of_a_scalar_is_refused():
    with pytest.raises(ValueError, match="softmax"):
        softmax(3.0)


def test_integer_input_becomes_float64():
    for f in (sigmoid, tanh, relu, identity, sigmoid_derivative, tanh_derivative, relu_derivative):
        out = f(np.array([-1, 0, 2]))
        assert out.dtype == np.float64, f.__name__


def test_any_shape_is_elementwise(rng):
    z = rng.normal(size=(2, 3, 4))
    for name, (f, df) in ACTIVATIONS.items():
        assert f(z).shape == z.shape, name
        assert df(z).shape == z.shape, name
        assert_allclose(f(z)[1, 2], f(z[1, 2]), err_msg=name)


# --------------------------------------------------------------------------- #
# the registry


def test_activations_registry():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "identity"}
    assert ACTIVATIONS["relu"] == (relu, relu_derivative)
    assert ACTIVATIONS["sigmoid"] == (sigmoid, sigmoid_derivative)
    with pytest.raises(TypeError):
        ACTIVATIONS["relu"] = (tanh, tanh_derivative)  # read-only


def test_get_activation_lists_names():
    with pytest.raises(ValueError, match="dense_forward") as err:
        get_activation("dense_forward", "Relu")
    for name in ACTIVATIONS:
        assert repr(name) in str(err.value)
    assert "'Relu'" in str(err.value)
    with pytest.raises(ValueError, match="belongs to the loss"):
        get_activation("mlp_forward", "softmax")


# --------------------------------------------------------------------------- #
# derivatives against finite differences (float64, centered)

DERIVATIVES = [
    ("sigmoid", sigmoid, sigmoid_derivative),
    ("tanh", tanh, tanh_derivative),
    ("relu", relu, relu_derivative),
    ("identity", identity, identity_derivative),
]


@pytest.mark.parametrize(("name", "f", "df"), DERIVATIVES, ids=[d[0] for d in DERIVATIVES])
def test_derivative_matches_centered_differences(name, f, df):
    # points away from the ReLU kink, so the finite difference is exact up to rounding
    z = np.array([-3.0, -1.2, -0.3, 0.2, 0.9, 2.5])
    h = 1e-6
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    assert_allclose(df(z), numeric, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize(("name", "f", "df"), DERIVATIVES, ids=[d[0] for d in DERIVATIVES])
def test_derivative_with_gradient_check(name, f, df, rng):
    z = rng.normal(size=(3, 4))
    z[np.abs(z) < 0.05] = 0.5  # keep away from the kink
    dA = rng.normal(size=z.shape)
    report = nnlib.gradient_check(lambda t: float(np.sum(dA * f(t))), z, dA * df(z))
    assert report.ok, str(report)


def test_derivatives_are_not_each_others():
    # guards against a registry that pairs f with the wrong f'
    z = np.array([-0.7])
    values = {name: float(df(z)[0]) for name, (_, df) in ACTIVATIONS.items()}
    assert len(set(values.values())) == len(values)
