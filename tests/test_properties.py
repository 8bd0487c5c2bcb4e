"""Property tests (hypothesis) for activations and losses.

Numerical warnings are errors here: ``np.errstate(... = "raise")`` turns overflow,
division by zero and invalid operations into FloatingPointError, and
``warnings.simplefilter("error")`` does the same for any warning. Underflow
(e^-10000 rounding to 0) is exact to the precision of the result and ignored by
numpy by default, so it is left alone.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnlib import (
    ACTIVATIONS,
    binary_cross_entropy,
    mse_loss,
    relu,
    sigmoid,
    sigmoid_cross_entropy,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)

FAST = settings(max_examples=40, deadline=None, database=None)


@contextlib.contextmanager
def strict_numerics():
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


def floats(bound, width=64):
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=width)


def arrays(bound=1e4, dtype=np.float64, shape=None):
    shape = shape if shape is not None else hnp.array_shapes(min_dims=1, max_dims=2, max_side=6)
    width = 32 if dtype == np.float32 else 64
    return hnp.arrays(dtype, shape, elements=floats(bound, width))


def matrices(bound=50.0):
    shape = hnp.array_shapes(min_dims=2, max_dims=2, max_side=6)
    return hnp.arrays(np.float64, shape, elements=floats(bound))


# --------------------------------------------------------------------------- #
# sigmoid


@FAST
@given(arrays())
def test_sigmoid_in_unit_interval(z):
    with strict_numerics():
        s = sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    small = np.abs(z) < 30
    assert np.all((s[small] > 0) & (s[small] < 1))


@FAST
@given(arrays())
def test_sigmoid_symmetry(z):
    with strict_numerics():
        assert np.allclose(sigmoid(-z), 1 - sigmoid(z), rtol=0, atol=1e-15)


@FAST
@given(arrays(bound=700))
def test_sigmoid_is_monotone(z):
    z = np.sort(z.ravel())
    assert np.all(np.diff(sigmoid(z)) >= 0)


# --------------------------------------------------------------------------- #
# softmax


@FAST
@given(matrices(bound=1e4))
def test_softmax_rows_are_distributions(z):
    with strict_numerics():
        s = softmax(z)
    assert np.all(s >= 0)
    assert np.allclose(s.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    rows = np.arange(len(z))
    assert np.array_equal(s[rows, z.argmax(axis=1)], s.max(axis=1))  # the largest logit wins


@FAST
@given(matrices(), st.data())
def test_softmax_is_shift_invariant(z, data):
    shift = data.draw(hnp.arrays(np.float64, (z.shape[0], 1), elements=floats(1e3)))
    with strict_numerics():
        assert np.allclose(softmax(z + shift), softmax(z), rtol=1e-9, atol=1e-11)


# --------------------------------------------------------------------------- #
# relu


@FAST
@given(arrays())
def test_relu_is_idempotent_and_nonnegative(z):
    r = relu(z)
    assert np.array_equal(relu(r), r)
    assert np.all(r >= 0)
    assert np.array_equal(r[z > 0], z[z > 0])


# --------------------------------------------------------------------------- #
# every activation and derivative: finite and warning-free for |z| <= 1e4


@FAST
@given(st.sampled_from(sorted(ACTIVATIONS)), st.sampled_from([np.float32, np.float64]), st.data())
def test_activations_finite_and_warning_free(name, dtype, data):
    z = data.draw(arrays(dtype=dtype))
    f, df = ACTIVATIONS[name]
    with strict_numerics():
        a, d = f(z), df(z)
    assert a.dtype == dtype and d.dtype == dtype
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d))
    assert np.all(d >= 0)  # all four are non-decreasing


@FAST
@given(st.sampled_from(sorted(ACTIVATIONS)), hnp.arrays(np.float64, st.integers(1, 8), elements=floats(20)))
def test_derivative_matches_centered_difference(name, z):
    f, df = ACTIVATIONS[name]
    z = np.where(np.abs(z) < 1e-3, 0.5, z)  # keep ReLU off its kink
    h = 1e-6
    assert np.allclose(df(z), (f(z + h) - f(z - h)) / (2 * h), rtol=1e-6, atol=1e-9)


@FAST
@given(matrices(bound=1e4))
def test_softmax_finite_and_warning_free_float32(z):
    with strict_numerics():
        s = softmax(z.astype(np.float32))
    assert s.dtype == np.float32 and np.all(np.isfinite(s))


# --------------------------------------------------------------------------- #
# losses


@FAST
@given(st.data())
def test_losses_are_nonnegative(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=6))
    unit = hnp.arrays(np.float64, shape, elements=st.floats(0, 1))
    p, y = data.draw(unit), data.draw(unit)
    z = data.draw(arrays(bound=1e4, shape=shape))
    y_pred = data.draw(arrays(bound=1e3, shape=shape))
    with strict_numerics():
        assert mse_loss(y_pred, z) >= 0
        assert sigmoid_cross_entropy(z, y) >= 0
    bce = binary_cross_entropy(p, y)  # may be +inf where p = 0 and y > 0: still >= 0
    assert bce >= 0


@FAST
@given(matrices(bound=1e4), st.data())
def test_softmax_cross_entropy_nonnegative_and_its_gradient(logits, data):
    n, c = logits.shape
    labels = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    with strict_numerics():
        loss = softmax_cross_entropy(logits, labels)
        grad = softmax_cross_entropy_backward(logits, labels)
    assert math.isfinite(loss) and loss >= 0
    assert np.allclose(grad.sum(axis=1), 0, atol=1e-12)


@FAST
@given(st.integers(1, 6), st.integers(1, 12), floats(1e4), st.data())
def test_softmax_cross_entropy_of_uniform_logits_is_ln_c(n, c, value, data):
    labels = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    with strict_numerics():
        loss = softmax_cross_entropy(np.full((n, c), value), labels)
    assert math.isclose(loss, math.log(c), rel_tol=1e-12, abs_tol=1e-15)


@FAST
@given(hnp.arrays(np.float64, st.integers(1, 10), elements=st.sampled_from([0.0, 1.0])))
def test_bce_is_zero_when_certain_and_right(y):
    with strict_numerics():
        loss = binary_cross_entropy(y.copy(), y)
    assert loss == 0.0 and math.isfinite(loss)
    assert math.copysign(1.0, loss) == 1.0  # +0.0, not -0.0


@FAST
@given(hnp.arrays(np.float64, st.integers(1, 8), elements=floats(10)), st.data())
def test_sigmoid_cross_entropy_equals_bce_of_sigmoid(z, data):
    # |z| <= 10: beyond that log(1 - sigmoid(z)) loses digits to cancellation, which is
    # exactly why sigmoid_cross_entropy exists
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.floats(0, 1)))
    from_logits, from_probs = sigmoid_cross_entropy(z, y), binary_cross_entropy(sigmoid(z), y)
    assert math.isclose(from_logits, from_probs, rel_tol=1e-9, abs_tol=1e-9)
