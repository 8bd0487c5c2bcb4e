"""Numerical derivatives and gradient checking (lessons 05, 06 and 09).

A centered difference (f(x + h) - f(x - h)) / 2h has error O(h^2), against O(h)
for the one-sided (f(x + h) - f(x)) / h, so with h = 1e-5 in float64 it agrees
with a correct analytic gradient to about 1e-9 relative error.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from nnlib._validate import as_float_array, require_positive

DEFAULT_H = 1e-5
DEFAULT_TOL = 1e-7  # smooth functions in float64
KINK_TOL = 1e-5  # ReLU nets: an input within h of a kink costs accuracy


def numerical_derivative(f, x, h=DEFAULT_H) -> float:
    r"""Centered finite-difference derivative of a scalar function of one number.

    .. math:: f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}

    Parameters
    ----------
    f : callable float -> float;  x : float;  h : float > 0, the step

    Returns
    -------
    float
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"numerical_derivative: x must be a number; got {type(x).__name__}")
    h = require_positive("numerical_derivative", "h", h)
    return float((f(x + h) - f(x - h)) / (2 * h))


def _require_float64(fn: str, x) -> np.ndarray:
    x = as_float_array(fn, "x", x)
    if x.dtype != np.float64:
        raise TypeError(
            f"{fn}: x must be float64; got dtype={x.dtype}. In {x.dtype} the rounding error of "
            f"f(x + h) - f(x - h) swamps the derivative: use x.astype(np.float64)"
        )
    return x


def numerical_gradient(f, x, h=DEFAULT_H):
    r"""Centered finite-difference gradient of a scalar function of an array.

    For each index i: :math:`\partial f / \partial x_i \approx (f(x + h e_i) - f(x - h e_i)) / 2h`.

    Parameters
    ----------
    f : callable ndarray -> float, e.g. ``lambda W: loss(W)``
    x : float64 array of any shape; never modified (a copy is perturbed)
    h : float > 0

    Returns
    -------
    ndarray shaped like ``x``
    """
    x = _require_float64("numerical_gradient", x).copy()  # perturb a copy, never the caller's
    h = require_positive("numerical_gradient", "h", h)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a, b) -> float:
    r"""Largest elementwise relative error :math:`\max_i |a_i - b_i| / \max(|a_i| + |b_i|, 10^{-12})`."""
    a = as_float_array("rel_error", "a", a)
    b = as_float_array("rel_error", "b", b)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: a and b must have the same shape; got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


class GradCheckReport(NamedTuple):
    """Result of :func:`gradient_check`; ``print(report)`` explains it."""

    ok: bool
    max_rel_error: float
    worst_index: tuple
    analytic_value: float
    numeric_value: float
    tol: float
    hint: str

    def __bool__(self):
        return self.ok

    def summary(self, bound: float) -> str:
        """The verdict with the error stated as a bound: ``passed: max relative error < 1e-08 ...``.

        A correct gradient's relative error is rounding noise whose digits differ from one machine
        to the next; a notebook whose outputs are committed prints this instead of ``str(report)``.
        A failed check, or an error not below ``bound``, gives the full report. A ``bound`` at or above
        the tolerance says only that the error is below the tolerance.
        """
        bound = require_positive("GradCheckReport.summary", "bound", bound)
        if not (self.ok and self.max_rel_error < bound):
            return str(self)
        if bound >= self.tol:
            return f"gradient check passed: max relative error below the tolerance {self.tol:.0e}"
        return f"gradient check passed: max relative error < {bound:.0e} (tolerance {self.tol:.0e})"

    def __str__(self):
        verdict = "passed" if self.ok else "FAILED"
        if math.isnan(self.analytic_value):  # a shape mismatch: there is no entry to show
            return f"gradient check FAILED: {self.hint}"
        lines = [
            f"gradient check {verdict}: max relative error {self.max_rel_error:.2e} "
            f"(tolerance {self.tol:.0e}) at index {self.worst_index}",
            f"  analytic {self.analytic_value:+.6e}   numeric {self.numeric_value:+.6e}",
        ]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def _close(ratio: float, target: float) -> bool:
    return abs(ratio - target) <= 0.05 * abs(target)


def _diagnose(analytic: np.ndarray, numeric: np.ndarray) -> str:
    """Name the bug class from the pattern of the mismatch (both arrays have one shape)."""
    scale = np.max(np.abs(numeric))
    if scale == 0:
        return "the numeric gradient is zero everywhere: does f depend on x at all?"
    if not np.any(analytic):
        return "the analytic gradient is all zero: was it never accumulated (+=) or never returned?"
    if analytic.ndim == 2 and analytic.shape[0] == analytic.shape[1] and analytic.shape[0] > 1:
        if np.allclose(analytic.T, numeric, rtol=1e-5, atol=1e-8 * scale):
            return "the analytic gradient is the transpose of the numeric one: check X.T @ dZ vs dZ.T @ X"
    big = np.abs(numeric) > 1e-3 * scale  # ratios of tiny entries are noise
    ratios = analytic[big] / numeric[big]
    ratio = float(np.median(ratios))
    if np.allclose(ratios, ratio, rtol=0.05):
        if _close(ratio, -1):
            return "the analytic gradient has the wrong sign: a step along -grad would go uphill"
        if _close(ratio, 2):
            return "the analytic gradient is 2x the numeric one: is a term counted twice?"
        if _close(ratio, 0.5):
            return "the analytic gradient is half the numeric one: is a contribution missing (x used twice)?"
        if not _close(ratio, 1):
            return (
                f"the analytic gradient is {ratio:.4g}x the numeric one everywhere: a constant factor "
                "is off (a missing or extra 1/N, or a mean where a sum belongs?)"
            )
    return "the error is not a simple pattern: check each step of the chain rule for this input"


def gradient_check(f, x, analytic, h=DEFAULT_H, tol=DEFAULT_TOL) -> GradCheckReport:
    """Compare an analytic gradient with centered finite differences.

    Parameters
    ----------
    f : callable ndarray -> float, the loss as a function of ``x`` alone
    x : float64 array, the point at which to check; never modified
    analytic : array, your gradient of f at x; must have x's shape
    h : float, finite-difference step (1e-5)
    tol : float, largest acceptable relative error: 1e-7 for smooth functions,
        ``KINK_TOL`` (1e-5) for nets with ReLU

    Returns
    -------
    GradCheckReport with ``ok``, ``max_rel_error``, ``worst_index`` (the first entry with the largest
    error, up to rounding, so that a constant factor always reports the first entry), the two
    values there, and a ``hint`` naming the likely bug when it fails. The
    relative error of entry i is ``|a_i - n_i| / max(|a_i| + |n_i|, floor)``
    where the floor is the larger of 1e-3 times the largest ``|a_j| + |n_j|`` and
    the rounding noise of a centered difference divided by ``tol``
    (``eps * |f(x)| / (h * tol)``): near-zero entries are judged against that
    size, so finite-difference noise cannot fail a correct gradient.
    """
    x = _require_float64("gradient_check", x)
    tol = require_positive("gradient_check", "tol", tol)
    analytic = as_float_array("gradient_check", "analytic", analytic)
    numeric = numerical_gradient(f, x, h)
    if analytic.shape != x.shape:
        if analytic.ndim == 2 and analytic.shape == x.shape[::-1]:
            hint = f"analytic has shape {analytic.shape}, the transpose of x's {x.shape}: transposed?"
        elif analytic.ndim == x.ndim + 1 and analytic.shape[1:] == x.shape:
            hint = (
                f"analytic has shape {analytic.shape} but x has {x.shape}: a parameter shared by "
                "every example (like a bias) must have its gradient summed over the batch, axis=0"
            )
        else:
            hint = f"analytic has shape {analytic.shape} but x has shape {x.shape}"
        return GradCheckReport(False, math.inf, (), math.nan, math.nan, tol, hint)
    if not np.all(np.isfinite(analytic)):
        i = tuple(int(k) for k in np.argwhere(~np.isfinite(analytic))[0])
        return GradCheckReport(False, math.inf, i, float(analytic[i]), float(numeric[i]), tol,
                               "the analytic gradient contains NaN or inf")
    total = np.abs(analytic) + np.abs(numeric)
    # rounding in f(x ± h) leaves noise of about eps·|f(x)|/h in every numeric entry: an
    # entry smaller than noise/tol cannot be checked to tol, so it is judged against that size
    noise = np.finfo(np.float64).eps * max(abs(float(f(x.copy()))), 1.0) / h
    floor = max(1e-3 * float(total.max(initial=0.0)), noise / tol, 1e-12)
    errors = np.abs(analytic - numeric) / np.maximum(total, floor)
    # The worst entry is the first whose error is the largest up to rounding: when a constant
    # factor is off, every entry has the same error, and noise alone must not pick the index.
    max_err = float(errors.max()) if x.size else 0.0
    worst = np.unravel_index(int(np.argmax(errors >= max_err * (1 - 1e-6))), x.shape) if x.size else ()
    worst = tuple(int(k) for k in worst)
    ok = max_err < tol
    return GradCheckReport(
        ok,
        max_err,
        worst,
        float(analytic[worst]) if x.size else 0.0,
        float(numeric[worst]) if x.size else 0.0,
        tol,
        "" if ok else _diagnose(analytic, numeric),
    )
