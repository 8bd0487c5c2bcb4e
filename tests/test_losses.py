"""Losses and their gradients (lessons 04 and 08): hand values, stability, gradient checks."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from nnlib import (
    LOSSES,
    binary_cross_entropy,
    gradient_check,
    mse_loss,
    mse_loss_backward,
    sigmoid,
    sigmoid_cross_entropy,
    sigmoid_cross_entropy_backward,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from nnlib.losses import get_loss

LN3 = math.log(3)


# --------------------------------------------------------------------------- #
# MSE


def test_mse_hand_values():
    assert mse_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0])) == 2.0  # (0 + 4) / 2
    # a mean over *all* elements, not over rows: (1 + 4 + 9 + 16) / 4
    assert mse_loss(np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2))) == 7.5


def test_mse_backward_hand_values():
    # dL/dy_pred = 2 (y_pred - y) / M with M = 2
    assert_array_equal(mse_loss_backward(np.array([1.0, 2.0]), np.array([1.0, 4.0])), [0.0, -2.0])
    g = mse_loss_backward(np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2)))
    assert_array_equal(g, [[0.5, 1.0], [1.5, 2.0]])


def test_mse_refuses_broadcasting():
    with pytest.raises(ValueError, match=r"y_pred.shape=\(4,\), y.shape=\(4, 1\)"):
        mse_loss(np.zeros(4), np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"mse_loss_backward"):
        mse_loss_backward(np.zeros((4, 1)), np.zeros(4))


# --------------------------------------------------------------------------- #
# binary cross-entropy on probabilities, and on logits


def test_bce_hand_values():
    assert binary_cross_entropy(np.array([0.5]), np.array([1.0])) == pytest.approx(math.log(2), rel=1e-15)
    # -(ln 0.8 + ln 0.6) / 2
    expected = -(math.log(0.8) + math.log(0.6)) / 2
    assert binary_cross_entropy(np.array([0.8, 0.4]), np.array([1.0, 0.0])) == pytest.approx(expected, 1e-14)


def test_bce_at_the_ends():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert binary_cross_entropy(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
        assert binary_cross_entropy(np.array([0.0]), np.array([1.0])) == math.inf


def test_bce_refuses_non_probabilities():
    with pytest.raises(ValueError, match="sigmoid_cross_entropy") as err:
        binary_cross_entropy(np.array([0.5, 1.5]), np.array([1.0, 0.0]))
    assert "max=1.5" in str(err.value)
    with pytest.raises(ValueError, match="binary_cross_entropy"):
        binary_cross_entropy(np.array([np.nan]), np.array([1.0]))


def test_sigmoid_cross_entropy_hand_values():
    assert sigmoid_cross_entropy(np.array([0.0]), np.array([1.0])) == pytest.approx(math.log(2), rel=1e-15)
    # a confident right answer costs nothing; a confident wrong one costs |z|
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sigmoid_cross_entropy(np.array([1000.0]), np.array([1.0])) == 0.0
        assert sigmoid_cross_entropy(np.array([-1000.0]), np.array([1.0])) == 1000.0
        assert sigmoid_cross_entropy(np.array([1000.0]), np.array([0.0])) == 1000.0


def test_sigmoid_cross_entropy_equals_bce_of_sigmoid(rng):
    z = rng.normal(scale=3, size=20)
    y = rng.uniform(size=20)
    assert sigmoid_cross_entropy(z, y) == pytest.approx(binary_cross_entropy(sigmoid(z), y), rel=1e-12)


def test_sigmoid_cross_entropy_backward_hand_values():
    # (sigma(z) - y) / N = ((0.5 - 1) / 2, (0.5 - 0) / 2)
    assert_array_equal(sigmoid_cross_entropy_backward(np.zeros(2), np.array([1.0, 0.0])), [-0.25, 0.25])


# --------------------------------------------------------------------------- #
# softmax cross-entropy


def test_softmax_cross_entropy_hand_values():
    logits = np.array([[0.0, LN3]])  # softmax = (1/4, 3/4)
    assert softmax_cross_entropy(logits, np.array([1])) == pytest.approx(-math.log(0.75), rel=1e-14)
    assert softmax_cross_entropy(logits, np.array([0])) == pytest.approx(math.log(4), rel=1e-14)
    # a mean over the batch
    both = np.array([[0.0, LN3], [0.0, LN3]])
    expected = (-math.log(0.75) + math.log(4)) / 2
    assert softmax_cross_entropy(both, np.array([1, 0])) == pytest.approx(expected, rel=1e-14)


def test_softmax_cross_entropy_of_uniform_logits_is_ln_c():
    for c in (2, 3, 10):
        logits = np.full((4, c), 7.5)
        assert softmax_cross_entropy(logits, np.arange(4) % c) == pytest.approx(math.log(c), rel=1e-15)


def test_softmax_cross_entropy_is_stable():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1])) == pytest.approx(1000.0)
        assert softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([0])) == 0.0
        assert softmax_cross_entropy(np.array([[-1000.0, -1000.0]]), np.array([0])) == pytest.approx(
            math.log(2)
        )


def test_softmax_cross_entropy_backward_hand_values():
    # (softmax - onehot) / N
    g = softmax_cross_entropy_backward(np.array([[0.0, LN3]]), np.array([0]))
    assert_allclose(g, [[-0.75, 0.75]], rtol=1e-14)
    g2 = softmax_cross_entropy_backward(np.array([[0.0, LN3], [LN3, 0.0]]), np.array([0, 0]))
    assert_allclose(g2, [[-0.375, 0.375], [-0.125, 0.125]], rtol=1e-14)


def test_labels_may_be_a_list_of_ints():
    logits = np.array([[0.0, LN3], [LN3, 0.0]])
    assert softmax_cross_entropy(logits, [1, 0]) == softmax_cross_entropy(logits, np.array([1, 0]))


def test_losses_return_python_floats(rng):
    z = rng.normal(size=(3, 2))
    values = [
        mse_loss(z, z + 1),
        binary_cross_entropy(sigmoid(z), np.ones_like(z)),
        sigmoid_cross_entropy(z, np.ones_like(z)),
        softmax_cross_entropy(z, np.array([0, 1, 1])),
    ]
    assert all(type(v) is float for v in values)


# --------------------------------------------------------------------------- #
# registry


def test_losses_registry():
    assert set(LOSSES) == {"softmax_cross_entropy", "sigmoid_cross_entropy", "mse"}
    assert LOSSES["mse"] == (mse_loss, mse_loss_backward)
    assert LOSSES["softmax_cross_entropy"] == (softmax_cross_entropy, softmax_cross_entropy_backward)
    with pytest.raises(ValueError, match="loss_and_gradients") as err:
        get_loss("loss_and_gradients", "cross_entropy")
    for name in LOSSES:
        assert repr(name) in str(err.value)


# --------------------------------------------------------------------------- #
# gradients against finite differences (nnlib's checker and an independent one)


def _loss_cases(rng):
    y_pred = rng.normal(size=(5, 3))
    y_reg = rng.normal(size=(5, 3))
    z = rng.normal(scale=2, size=(6, 1))
    y_bin = rng.integers(0, 2, size=(6, 1)).astype(float)
    logits = rng.normal(scale=2, size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    return {
        "mse": (lambda t: mse_loss(t, y_reg), y_pred, mse_loss_backward(y_pred, y_reg)),
        "sigmoid_ce": (
            lambda t: sigmoid_cross_entropy(t, y_bin),
            z,
            sigmoid_cross_entropy_backward(z, y_bin),
        ),
        "softmax_ce": (
            lambda t: softmax_cross_entropy(t, labels),
            logits,
            softmax_cross_entropy_backward(logits, labels),
        ),
    }


@pytest.mark.parametrize("case", ["mse", "sigmoid_ce", "softmax_ce"])
def test_loss_backward_gradient_check(case, rng, numgrad):
    f, x, analytic = _loss_cases(rng)[case]
    report = gradient_check(f, x, analytic)
    assert report.ok, str(report)
    assert_allclose(analytic, numgrad(f, x), rtol=1e-6, atol=1e-9)


def test_softmax_cross_entropy_backward_rows_sum_to_zero(rng):
    g = softmax_cross_entropy_backward(rng.normal(size=(6, 5)), rng.integers(0, 5, size=6))
    assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)
    assert np.all(g[g < 0] >= -1 / 6)  # only the true class is pushed up, by at most 1/N
