"""One neuron and one dense layer (lessons 01, 03, 06, 08): hand values and gradient checks."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from nnlib import (
    DenseCache,
    activation_backward,
    dense_backward,
    dense_forward,
    dense_preactivation,
    gradient_check,
    neuron_gradients,
    preactivation,
    sigmoid,
    train_neuron,
)

# 2x2 integer case used throughout (float arrays holding small integers)
X2 = np.array([[1.0, 2.0], [0.0, 1.0]])
W2 = np.array([[5.0, 6.0], [7.0, 8.0]])
B2 = np.array([1.0, -1.0])
DZ2 = np.array([[1.0, 2.0], [3.0, 4.0]])


# --------------------------------------------------------------------------- #
# pre-activations


def test_preactivation_hand_value():
    # 1*4 + 2*5 + 3*6 - 10 = 22
    z = preactivation(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]), -10.0)
    assert z == 22.0 and type(z) is float


def test_preactivation_accepts_lists_and_ints():
    assert preactivation([1, -1], [3, 2], 1) == 2.0


def test_dense_preactivation_hand_values():
    # X @ W = [[1*5 + 2*7, 1*6 + 2*8], [7, 8]] = [[19, 22], [7, 8]]; + b
    assert_array_equal(dense_preactivation(X2, W2, B2), [[20.0, 21.0], [8.0, 7.0]])


def test_dense_preactivation_rows_are_single_neurons(rng):
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    Z = dense_preactivation(X, W, b)
    for n in range(4):
        for j in range(2):
            assert Z[n, j] == pytest.approx(preactivation(X[n], W[:, j], b[j]), rel=1e-12)


# --------------------------------------------------------------------------- #
# dense forward


def test_dense_forward_hand_values():
    b = np.array([-19.0, -21.0])  # Z = [[19, 22], [7, 8]] + b = [[0, 1], [-12, -13]]
    A, cache = dense_forward(X2, W2, b, "relu")
    assert_array_equal(cache.Z, [[0.0, 1.0], [-12.0, -13.0]])
    assert_array_equal(A, [[0.0, 1.0], [0.0, 0.0]])
    assert_array_equal(cache.X, X2)


FORMULAS = [
    ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
    ("tanh", np.tanh),
    ("relu", lambda z: np.maximum(z, 0)),
    ("identity", lambda z: z),
]


@pytest.mark.parametrize(("activation", "f"), FORMULAS, ids=[a for a, _ in FORMULAS])
def test_dense_forward_applies_the_activation(activation, f, rng):
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    A, cache = dense_forward(X, W, b, activation)
    assert_allclose(cache.Z, X @ W + b, rtol=1e-14)
    assert_allclose(A, f(X @ W + b), rtol=1e-14)


def test_dense_forward_default_is_relu():
    A, _ = dense_forward(X2, W2, np.array([-19.0, -21.0]))
    assert_array_equal(A, [[0.0, 1.0], [0.0, 0.0]])


def test_dense_cache_is_a_named_tuple():
    _, cache = dense_forward(X2, W2, B2, "identity")
    assert isinstance(cache, DenseCache) and isinstance(cache, tuple)
    assert DenseCache._fields == ("X", "Z")


# --------------------------------------------------------------------------- #
# backward, by hand


def test_dense_backward_hand_values():
    cache = DenseCache(X2, X2 @ W2 + B2)
    dX, dW, db = dense_backward(DZ2, cache, W2)
    # dX = dZ W^T = [[1*5 + 2*6, 1*7 + 2*8], [3*5 + 4*6, 3*7 + 4*8]]
    assert_array_equal(dX, [[17.0, 23.0], [39.0, 53.0]])
    # dW = X^T dZ = [[1, 0], [2, 1]] @ [[1, 2], [3, 4]]   (not symmetric: a transpose would show)
    assert_array_equal(dW, [[1.0, 2.0], [5.0, 8.0]])
    # db sums dZ over the batch
    assert_array_equal(db, [4.0, 6.0])


def test_activation_backward_hand_values():
    dA = np.array([[1.0, 2.0], [3.0, 4.0]])
    Z = np.array([[-1.0, 2.0], [0.0, 5.0]])
    assert_array_equal(activation_backward(dA, Z, "relu"), [[0.0, 2.0], [0.0, 4.0]])
    assert_array_equal(activation_backward(dA, Z, "identity"), dA)
    zero = np.zeros((2, 2))
    assert_array_equal(activation_backward(dA, zero, "sigmoid"), dA * 0.25)
    assert_array_equal(activation_backward(dA, zero, "tanh"), dA)


def test_dense_backward_refuses_a_positional_tuple():
    with pytest.raises(TypeError, match="DenseCache"):
        dense_backward(DZ2, (X2, X2 @ W2), W2)


# --------------------------------------------------------------------------- #
# backward, against finite differences


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
def test_activation_backward_gradient_check(activation, rng, numgrad):
    from nnlib.activations import ACTIVATIONS

    f = ACTIVATIONS[activation][0]
    Z = rng.normal(size=(4, 3))
    Z[np.abs(Z) < 0.05] += 0.2  # keep ReLU away from its kink
    dA = rng.normal(size=(4, 3))

    def loss(t):
        return float(np.sum(dA * f(t)))

    dZ = activation_backward(dA, Z, activation)
    report = gradient_check(loss, Z, dZ)
    assert report.ok, str(report)
    assert_allclose(dZ, numgrad(loss, Z), rtol=1e-6, atol=1e-9)


def test_dense_backward_gradient_check(rng, numgrad):
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    dZ = rng.normal(size=(5, 4))  # L = sum(dZ * Z), so dL/dZ = dZ
    _, cache = dense_forward(X, W, b, "identity")
    dX, dW, db = dense_backward(dZ, cache, W)

    def loss(X_, W_, b_):
        return float(np.sum(dZ * (X_ @ W_ + b_)))

    checks = {
        "dX": (lambda t: loss(t, W, b), X, dX),
        "dW": (lambda t: loss(X, t, b), W, dW),
        "db": (lambda t: loss(X, W, t), b, db),
    }
    for name, (f, x, analytic) in checks.items():
        report = gradient_check(f, x, analytic)
        assert report.ok, f"{name}: {report}"
        assert_allclose(analytic, numgrad(f, x), rtol=1e-6, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_dense_layer_with_activation_gradient_check(activation, rng):
    """Forward + activation_backward + dense_backward chained, against the whole layer's loss."""
    X, W, b = rng.normal(size=(6, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    G = rng.normal(size=(6, 2))

    def loss(W_):
        A, _ = dense_forward(X, W_, b, activation)
        return float(np.sum(G * A))

    _, cache = dense_forward(X, W, b, activation)
    _, dW, _ = dense_backward(activation_backward(G, cache.Z, activation), cache, W)
    tol = 1e-5 if activation == "relu" else 1e-7
    report = gradient_check(loss, W, dW, tol=tol)
    assert report.ok, str(report)


# --------------------------------------------------------------------------- #
# one sigmoid neuron with BCE


def test_neuron_gradients_hand_values():
    # w = 0, b = 0 -> a = 1/2 everywhere, loss = ln 2, dL/dz = (a - y) / N = -1/4 each
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    loss, dw, db = neuron_gradients(X, np.array([1.0, 1.0]), np.zeros(2), 0.0)
    assert loss == pytest.approx(math.log(2), rel=1e-15)
    assert_allclose(dw, [-0.25, -0.5], rtol=1e-15)  # X^T dz
    assert db == -0.5 and type(db) is float


def test_neuron_gradients_gradient_check(rng, numgrad):
    X = rng.normal(size=(7, 3))
    y = rng.integers(0, 2, size=7).astype(float)
    w, b = rng.normal(size=3), 0.3
    _, dw, db = neuron_gradients(X, y, w, b)

    def f_w(t):
        return neuron_gradients(X, y, t, b)[0]

    def f_b(t):
        return neuron_gradients(X, y, w, float(t))[0]

    report = gradient_check(f_w, w, dw)
    assert report.ok, str(report)
    assert_allclose(dw, numgrad(f_w, w), rtol=1e-6, atol=1e-10)
    report_b = gradient_check(f_b, np.array(b), np.array(db))
    assert report_b.ok, str(report_b)
    assert db == pytest.approx(float(numgrad(f_b, np.array(b))), rel=1e-6)


def test_train_neuron_reduces_the_loss():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 0.0, 0.0, 1.0])  # AND: linearly separable
    w, b, losses = train_neuron(X, y, np.zeros(2), 0.0, lr=1.0, epochs=200)
    assert len(losses) == 200
    assert losses[0] == pytest.approx(math.log(2))
    assert all(later <= earlier for earlier, later in itertools.pairwise(losses))
    assert losses[-1] < 0.2
    assert_array_equal((sigmoid(X @ w + b) > 0.5).astype(float), y)
