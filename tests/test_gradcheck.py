"""Numerical derivatives and gradient_check (lessons 05, 06, 09): hand values and diagnoses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from nnlib import (
    GradCheckReport,
    gradient_check,
    numerical_derivative,
    numerical_gradient,
    rel_error,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from nnlib.gradcheck import DEFAULT_H, DEFAULT_TOL, KINK_TOL

# --------------------------------------------------------------------------- #
# numerical_derivative / numerical_gradient / rel_error by hand


def test_design_constants():
    assert (DEFAULT_H, DEFAULT_TOL, KINK_TOL) == (1e-5, 1e-7, 1e-5)


def test_numerical_derivative_hand_values():
    # centered: ((x + h)^3 - (x - h)^3) / 2h = 3x^2 + h^2 -> 3.01 at x = 1, h = 0.1
    # (a forward difference would give 3.31)
    assert numerical_derivative(lambda x: x**3, 1.0, h=0.1) == pytest.approx(3.01, rel=1e-12)
    assert numerical_derivative(lambda x: x**2, 3.0) == pytest.approx(6.0, rel=1e-9)
    assert numerical_derivative(math.sin, 0.0) == pytest.approx(1.0, rel=1e-9)
    assert type(numerical_derivative(math.exp, 0.0)) is float


def test_numerical_derivative_refuses_bad_input():
    with pytest.raises(TypeError, match="numerical_derivative"):
        numerical_derivative(math.exp, np.array([1.0]))
    with pytest.raises(ValueError, match="h must be"):
        numerical_derivative(math.exp, 1.0, h=0.0)


def test_numerical_gradient_hand_values():
    x = np.array([2.0, 3.0, 4.0])
    g = numerical_gradient(lambda t: t[0] * t[1] + t[2] ** 2, x)
    assert_allclose(g, [3.0, 2.0, 8.0], rtol=1e-9)
    # sum(x^3) with h = 0.1: 3x^2 + h^2, elementwise, shape kept
    x2 = np.array([[1.0, 2.0], [-1.0, 0.0]])
    g2 = numerical_gradient(lambda t: np.sum(t**3), x2, h=0.1)
    assert g2.shape == (2, 2)
    assert_allclose(g2, [[3.01, 12.01], [3.01, 0.01]], rtol=1e-12)


def test_numerical_gradient_of_a_0d_array():
    assert_allclose(numerical_gradient(lambda t: float(t) ** 2, np.array(1.5)), 3.0, rtol=1e-9)


def test_numerical_gradient_perturbs_a_copy():
    x = np.array([1.0, 2.0, 3.0])
    x.flags.writeable = False  # any in-place perturbation of the caller's array would raise
    seen = []
    g = numerical_gradient(lambda t: (seen.append(t is x), float(np.sum(t**2)))[1], x)
    assert_allclose(g, 2 * x, rtol=1e-9)
    assert seen and not any(seen)
    assert_array_equal(x, [1.0, 2.0, 3.0])


def test_numerical_gradient_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float32))


def test_rel_error_hand_values():
    assert rel_error(1.0, 3.0) == 0.5  # |1 - 3| / (1 + 3)
    assert rel_error([2.0, -2.0], [2.0, 2.0]) == 1.0  # opposite signs: the maximum, 1
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error(0.0, 0.0) == 0.0  # the 1e-12 floor: no 0/0
    assert rel_error([1.0, 0.0], [1.0, 1e-13]) == pytest.approx(0.1)  # 1e-13 / 1e-12
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    assert type(rel_error(1.0, 2.0)) is float
    with pytest.raises(ValueError, match="rel_error"):
        rel_error(np.zeros(2), np.zeros(3))


# --------------------------------------------------------------------------- #
# gradient_check on a real loss: W -> softmax_cross_entropy(X W + b, labels)


@pytest.fixture
def layer():
    rng = np.random.default_rng(21)
    N, D = 5, 3  # N = 5: "mean instead of sum" is a factor 1/5, not the 1/2 of "half"
    X = rng.normal(size=(N, D))
    W = rng.normal(size=(D, D))  # square, so a transposed dW has the right shape
    b = rng.normal(size=D)
    labels = rng.integers(0, D, size=N)

    def loss_W(t):
        return softmax_cross_entropy(X @ t + b, labels)

    def loss_b(t):
        return softmax_cross_entropy(X @ W + t, labels)

    dlogits = softmax_cross_entropy_backward(X @ W + b, labels)
    return {"W": W, "b": b, "loss_W": loss_W, "loss_b": loss_b, "dW": X.T @ dlogits, "dlogits": dlogits}


def test_gradient_check_passes_correct_gradients(layer):
    for x, f, g in ((layer["W"], layer["loss_W"], layer["dW"]), (layer["b"], layer["loss_b"], None)):
        g = layer["dlogits"].sum(axis=0) if g is None else g
        report = gradient_check(f, x, g)
        assert isinstance(report, GradCheckReport)
        assert report.ok and bool(report) and report.hint == ""
        assert report.max_rel_error < 1e-7 and report.tol == DEFAULT_TOL


DIAGNOSES = [  # bug in dW -> words the hint must contain
    ("doubled", "2x the numeric one: is a term counted twice"),
    ("halved", "half"),
    ("zero", "all zero"),
    ("sign", "wrong sign"),
    ("transposed", "transpose"),
    ("scaled", "constant factor"),
    ("nan", "NaN or inf"),
    ("noise", "not a simple pattern"),
]


@pytest.mark.parametrize(("bug", "expected"), DIAGNOSES, ids=[d[0] for d in DIAGNOSES])
def test_gradient_check_diagnoses_wrong_dW(layer, bug, expected):
    dW = layer["dW"]
    wrong = {
        "doubled": 2 * dW,
        "halved": 0.5 * dW,
        "zero": np.zeros_like(dW),
        "sign": -dW,
        "transposed": dW.T,
        "scaled": 3.7 * dW,
        "nan": np.where(np.arange(dW.size).reshape(dW.shape) == 4, np.nan, dW),
        "noise": dW + np.array([[0.3, 0, 0], [0, 0, -0.2], [0, 0, 0]]),
    }[bug]
    assert not np.allclose(wrong, dW)
    report = gradient_check(layer["loss_W"], layer["W"], wrong)
    assert not report.ok and not bool(report)
    assert expected in report.hint, report.hint
    assert expected in str(report)


def test_bias_gradient_not_summed_over_the_batch(layer):
    report = gradient_check(layer["loss_b"], layer["b"], layer["dlogits"])  # (N, D) instead of (D,)
    assert not report.ok
    assert "summed over the batch" in report.hint
    assert "summed over the batch" in str(report)


def test_bias_gradient_mean_instead_of_sum(layer):
    report = gradient_check(layer["loss_b"], layer["b"], layer["dlogits"].mean(axis=0))
    assert not report.ok
    assert "constant factor" in report.hint
    assert "0.2x" in report.hint  # 1/N with N = 5


def test_transposed_shape_non_square():
    rng = np.random.default_rng(2)
    X, W = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))

    def f(t):
        return float(np.sum((X @ t) ** 2))

    dW = X.T @ (2 * X @ W)
    assert gradient_check(f, W, dW).ok
    report = gradient_check(f, W, dW.T)
    assert not report.ok and "transpose" in report.hint
    assert report.hint in str(report)


def test_function_that_ignores_x():
    report = gradient_check(lambda t: 1.0, np.ones(3), np.ones(3))
    assert not report.ok and "depend on x" in report.hint


def test_gradient_check_report_text(layer, capsys):
    wrong = 2 * layer["dW"]
    report = gradient_check(layer["loss_W"], layer["W"], wrong)
    print(report)
    out = capsys.readouterr().out
    i = report.worst_index
    assert len(i) == 2 and all(isinstance(k, int) for k in i)
    assert report.analytic_value == wrong[i]
    numeric = numerical_gradient(layer["loss_W"], layer["W"])
    assert report.numeric_value == pytest.approx(numeric[i], rel=1e-12)
    expected_error = abs(wrong[i] - numeric[i]) / (abs(wrong[i]) + abs(numeric[i]))
    assert report.max_rel_error == pytest.approx(expected_error)
    assert "FAILED" in out
    assert f"max relative error {report.max_rel_error:.2e}" in out
    assert f"at index {i}" in out
    assert f"{report.analytic_value:+.6e}" in out and f"{report.numeric_value:+.6e}" in out
    assert f"hint: {report.hint}" in out


def test_gradient_check_report_text_when_passing(layer):
    text = str(gradient_check(layer["loss_W"], layer["W"], layer["dW"]))
    assert text.startswith("gradient check passed") and "hint" not in text


def test_gradient_check_never_modifies_x(layer):
    W = layer["W"].copy()
    W.flags.writeable = False
    seen = []

    def f(t):
        seen.append(t is W)
        return layer["loss_W"](t)

    gradient_check(f, W, 2 * layer["dW"])
    assert_array_equal(W, layer["W"])
    assert seen and not any(seen)


def test_gradient_check_refuses_float32(layer):
    with pytest.raises(TypeError, match="float64") as err:
        gradient_check(layer["loss_W"], layer["W"].astype(np.float32), layer["dW"])
    assert "gradient_check" in str(err.value) and "float32" in str(err.value)


def test_gradient_check_tolerances():
    # a gradient 1e-6 off (relative) fails the smooth tolerance, passes the kink tolerance
    x = np.array([1.0, 2.0])

    def f(t):
        return float(np.sum(t**2))

    slightly_off = 2 * x * (1 + 2e-6)
    assert not gradient_check(f, x, slightly_off).ok
    assert gradient_check(f, x, slightly_off, tol=KINK_TOL).ok
    with pytest.raises(ValueError, match="tol"):
        gradient_check(f, x, 2 * x, tol=0.0)


def test_tiny_entries_are_judged_against_the_largest():
    # d/dx1 of x1^3 at 1e-7 is 3e-14, far below the finite-difference noise of the large entry
    x = np.array([1.0, 1e-7])

    def f(t):
        return float(1e3 * t[0] ** 2 + t[1] ** 3)

    report = gradient_check(f, x, np.array([2e3, 3e-14]))
    assert report.ok, str(report)
