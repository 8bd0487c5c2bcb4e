"""Input checks shared by every public function.

Each check raises ``TypeError`` (wrong type or dtype) or ``ValueError`` (wrong
shape or value) with a message that names the calling function, the rule that
was broken and the values that were observed, e.g.::

    dense_forward: X.shape[1] must equal W.shape[0] (D_in); got X.shape=(32, 784), W.shape=(256, 10)

The checks are deliberately cheap (shape and dtype tests, one min/max scan for
labels) because they run on every call in the training loop.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def is_float_array(x) -> bool:
    """True for a float32/float64 ndarray, which :func:`as_float_array` returns unchanged."""
    return isinstance(x, np.ndarray) and x.dtype.kind == "f"


def as_float_array(fn: str, name: str, x) -> np.ndarray:
    """Return ``x`` as a floating-point array without copying float input.

    Floating dtypes (float32, float64) are preserved; integer and boolean input
    becomes float64. Anything else (strings, objects, complex) is a TypeError.
    """
    if isinstance(x, np.ndarray):
        arr = x
    else:
        if isinstance(x, str | bytes) or x is None:
            raise TypeError(f"{fn}: {name} must be a number or an array of numbers; got {x!r}")
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as err:  # ragged nested lists
            raise TypeError(f"{fn}: {name} must be a rectangular array of numbers; {err}") from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "iub":
        return arr.astype(np.float64)
    raise TypeError(
        f"{fn}: {name} must hold real numbers; got dtype={arr.dtype}"
        + (" (did you pass a list of arrays of different lengths?)" if kind == "O" else "")
    )


def require_ndim(fn: str, name: str, arr: np.ndarray, ndim: int, what: str = "") -> None:
    """Raise ValueError unless ``arr.ndim == ndim``; suggest a reshape for 1-D → 2-D."""
    if arr.ndim == ndim:
        return
    rule = f"{fn}: {name} must be {ndim}-D{' ' + what if what else ''}; got {name}.shape={arr.shape}"
    if ndim == 2 and arr.ndim == 1:
        rule += f". For a single example use {name}.reshape(1, -1)"
    raise ValueError(rule)


def require_same_shape(fn: str, name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise ValueError unless two arrays have exactly the same shape (no broadcasting)."""
    if a.shape != b.shape:
        raise ValueError(
            f"{fn}: {name_a} and {name_b} must have the same shape; "
            f"got {name_a}.shape={a.shape}, {name_b}.shape={b.shape}"
        )


def require_finite(fn: str, name: str, arr: np.ndarray) -> None:
    """Raise ValueError if ``arr`` holds NaN or infinity, naming the first bad index."""
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{fn}: {name} must be finite; got {name}[{bad}]={arr[bad]}")


def require_examples(fn: str, name: str, arr: np.ndarray) -> None:
    """Raise ValueError if ``arr`` is empty: a mean over N = 0 examples is undefined."""
    if arr.size == 0:
        raise ValueError(f"{fn}: need at least one example; got {name}.shape={arr.shape}")


def require_unit_interval(fn: str, name: str, arr: np.ndarray) -> None:
    """Raise ValueError unless every entry is in [0, 1] (NaN is not), naming the first bad index."""
    if arr.size and not (arr.min() >= 0 and arr.max() <= 1):  # min() is NaN if any entry is NaN
        bad = tuple(int(i) for i in np.argwhere(~((arr >= 0) & (arr <= 1)))[0])
        where = f"[{', '.join(map(str, bad))}]" if bad else ""
        raise ValueError(f"{fn}: {name} must be in [0, 1]; got {name}{where}={arr[bad]}")


def as_labels(fn: str, labels, n: int, n_classes: int) -> np.ndarray:
    """Return ``labels`` as an integer array of shape (n,) with values in [0, n_classes).

    Float labels are refused (TypeError), even when they hold whole numbers, so
    that a one-hot matrix or a probability vector passed by mistake is caught.
    """
    arr = np.asarray(labels)
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        bad = int(np.flatnonzero(np.isnan(arr.ravel()))[0])
        raise ValueError(f"{fn}: labels must be integer class ids; got NaN at flat index {bad}")
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{fn}: labels must be integer class ids (0 .. C-1); got dtype={arr.dtype}. "
            "Use labels.astype(int) for whole-number floats, or labels.argmax(axis=1) for one-hot rows"
        )
    if arr.shape != (n,):
        raise ValueError(
            f"{fn}: labels must have shape (N,) = ({n},), one class id per row; got labels.shape={arr.shape}"
        )
    if n and (arr.min() < 0 or arr.max() >= n_classes):
        bad = int(np.flatnonzero((arr < 0) | (arr >= n_classes))[0])
        raise ValueError(
            f"{fn}: labels must be in [0, C) with C={n_classes} classes; "
            f"got labels[{bad}]={int(arr[bad])}"
        )
    return arr


def require_positive(fn: str, name: str, value) -> float:
    """Return ``value`` as float if it is a finite real number > 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number; got {type(value).__name__} {value!r}")
    if not (value > 0 and math.isfinite(value)):  # NaN > 0 is False
        raise ValueError(f"{fn}: {name} must be a finite number > 0; got {name}={value}")
    return float(value)


def require_int(fn: str, name: str, value, minimum: int) -> int:
    """Return ``value`` if it is an int >= minimum, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an int; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}; got {name}={value}")
    return int(value)


def require_choice(fn: str, name: str, value, choices) -> None:
    """Raise ValueError unless ``value`` is one of ``choices`` (listed in the message)."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{fn}: {name} must be one of {options}; got {name}={value!r}")
