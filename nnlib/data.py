"""Small datasets for the course: toy 2-D problems and the 8x8 handwritten digits.

Every generator takes an explicit ``rng`` (a ``np.random.Generator``) instead of
using a hidden global seed, so a lesson can say ``rng = np.random.default_rng(0)``
once and get the same data on every run. All functions return

- ``X``: float64 array of shape (N, D), one example per row;
- ``y``: int64 array of shape (N,), class ids 0, 1, ..., C - 1.

Nothing here downloads anything: the digits ship inside the package as
``nnlib/datasets/digits.npz`` (see ``nnlib/datasets/README.md``).

Examples
--------
>>> import numpy as np
>>> from nnlib.data import make_moons, train_test_split
>>> rng = np.random.default_rng(0)
>>> X, y = make_moons(200, noise=0.1, rng=rng)
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, 0.25, rng)
>>> X_train.shape, X_test.shape
((150, 2), (50, 2))
"""

from __future__ import annotations

import numbers
from importlib.resources import files

import numpy as np

__all__ = [
    "load_digits",
    "make_blobs",
    "make_moons",
    "make_spiral",
    "train_test_split",
    "xor",
]

# Angle (radians) that each spiral arm sweeps; also the offset between arms.
# These are the constants of the CS231n spiral, kept so results match those notes.
_SPIRAL_TURN = 4.0


# --------------------------------------------------------------------------- #
# Argument checks. Each raises TypeError for a wrong type and ValueError for a
# wrong value, naming the function, the rule and what was actually passed.
# --------------------------------------------------------------------------- #


def _check_rng(fn: str, rng) -> np.random.Generator:
    # The legacy np.random.RandomState and integer seeds are refused on purpose:
    # one kind of random source everywhere keeps the lessons reproducible.
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{fn}: rng must be a numpy.random.Generator, e.g. rng=np.random.default_rng(0); "
            f"got {type(rng).__name__} {rng!r}"
        )
    return rng


def _check_int(fn: str, name: str, value, minimum: int) -> int:
    # bool is a subclass of int, but make_moons(True, ...) is surely a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: {name} must be an int; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}; got {name}={value}")
    return int(value)


def _check_real(fn: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number; got {type(value).__name__} {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{fn}: {name} must be finite; got {name}={value}")
    return float(value)


def _check_nonnegative(fn: str, name: str, value) -> float:
    number = _check_real(fn, name, value)
    if number < 0:
        raise ValueError(f"{fn}: {name} must be >= 0; got {name}={value}")
    return number


# --------------------------------------------------------------------------- #
# Toy problems
# --------------------------------------------------------------------------- #


def xor() -> tuple[np.ndarray, np.ndarray]:
    """Return the four points of the XOR problem.

    XOR is the smallest problem that no single neuron (a linear classifier) can
    solve, and that one hidden layer can.

    Returns
    -------
    X : ndarray of float64, shape (4, 2)
        The corners of the unit square: (0, 0), (0, 1), (1, 0), (1, 1).
    y : ndarray of int64, shape (4,)
        ``x1 XOR x2``: [0, 1, 1, 0].

    Examples
    --------
    >>> X, y = xor()
    >>> X.shape, y.tolist()
    ((4, 2), [0, 1, 1, 0])
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def make_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sample two interleaving half circles ("moons") in the plane.

    Class 0 is the upper moon ``(cos t, sin t)`` and class 1 the lower moon
    ``(1 - cos t, 1 - sin t - 0.5)``, with ``t`` evenly spaced on [0, pi] (the
    same construction as scikit-learn's ``make_moons``). Gaussian noise is added
    to every coordinate and the rows are then shuffled.

    Parameters
    ----------
    n : int
        Total number of points, n >= 2. Class 0 gets ``n // 2`` points and
        class 1 the remaining ``n - n // 2``.
    noise : float
        Standard deviation of the Gaussian noise, noise >= 0. Around 0.1 the
        moons are cleanly separable by a curve; around 0.3 they overlap.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``.

    Returns
    -------
    X : ndarray of float64, shape (n, 2)
        Point coordinates, in shuffled order.
    y : ndarray of int64, shape (n,)
        Class ids, 0 or 1.

    Raises
    ------
    TypeError
        If ``n`` is not an int, ``noise`` not a real number or ``rng`` not a
        ``numpy.random.Generator``.
    ValueError
        If ``n < 2``, ``noise < 0`` or ``noise`` is not finite.

    Examples
    --------
    >>> X, y = make_moons(100, noise=0.1, rng=np.random.default_rng(0))
    >>> X.shape, np.bincount(y).tolist()
    ((100, 2), [50, 50])
    """
    fn = "make_moons"
    n = _check_int(fn, "n", n, minimum=2)
    noise = _check_nonnegative(fn, "noise", noise)
    rng = _check_rng(fn, rng)

    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    # The lower moon is the upper one rotated by pi and shifted so that each
    # moon's tip reaches into the other's hollow: no straight line separates them.
    lower = np.column_stack([1.0 - np.cos(t_lower), 1.0 - np.sin(t_lower) - 0.5])

    X = np.concatenate([upper, lower]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([np.zeros(n_upper, dtype=np.int64), np.ones(n_lower, dtype=np.int64)])

    # Shuffle so that any prefix of the data (e.g. a first mini-batch) has both classes.
    order = rng.permutation(n)
    return X[order], y[order]


def make_spiral(
    n_per_class: int,
    n_classes: int,
    rng: np.random.Generator,
    noise: float = 0.2,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample the spiral dataset from the Stanford CS231n notes.

    Each class is one arm of a spiral. Along arm ``k`` the radius grows evenly
    from 0 to 1 while the angle grows from ``4 k`` to ``4 k + 4`` radians; the
    angle (not the radius) is jittered with Gaussian noise::

        r     = linspace(0, 1, n_per_class)
        theta = 4 k + linspace(0, 4, n_per_class) + noise * standard_normal(n_per_class)
        X_k   = (r sin(theta), r cos(theta))

    The arms wind around each other, so a linear classifier scores little
    better than chance while a small network with one hidden layer does well.

    The rows are **not shuffled**: they come in class blocks, first the
    ``n_per_class`` points of class 0, then those of class 1, and so on. Use
    ``train_test_split`` (or ``rng.permutation``) before taking mini-batches.

    Parameters
    ----------
    n_per_class : int
        Number of points on each arm, n_per_class >= 1.
    n_classes : int
        Number of arms (= classes), n_classes >= 2.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``.
    noise : float, default 0.2
        Standard deviation, in radians, of the angle jitter; noise >= 0.

    Returns
    -------
    X : ndarray of float64, shape (n_per_class * n_classes, 2)
        Point coordinates, all inside the unit disc when ``noise`` is small.
    y : ndarray of int64, shape (n_per_class * n_classes,)
        Class ids in blocks: ``[0, ..., 0, 1, ..., 1, ..., C-1]``.

    Raises
    ------
    TypeError
        If a count is not an int, ``noise`` not a real number or ``rng`` not a
        ``numpy.random.Generator``.
    ValueError
        If ``n_per_class < 1``, ``n_classes < 2`` or ``noise < 0``.

    Examples
    --------
    >>> X, y = make_spiral(100, 3, rng=np.random.default_rng(0))
    >>> X.shape, y[:3].tolist(), y[-3:].tolist()
    ((300, 2), [0, 0, 0], [2, 2, 2])
    """
    fn = "make_spiral"
    n_per_class = _check_int(fn, "n_per_class", n_per_class, minimum=1)
    n_classes = _check_int(fn, "n_classes", n_classes, minimum=2)
    noise = _check_nonnegative(fn, "noise", noise)
    rng = _check_rng(fn, rng)

    radius = np.linspace(0.0, 1.0, n_per_class)
    sweep = np.linspace(0.0, _SPIRAL_TURN, n_per_class)
    arms = []
    for k in range(n_classes):
        theta = _SPIRAL_TURN * k + sweep + noise * rng.standard_normal(n_per_class)
        arms.append(np.column_stack([radius * np.sin(theta), radius * np.cos(theta)]))

    X = np.concatenate(arms)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    return X, y


def make_blobs(
    n_per_class: int,
    centers,
    std: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample one round Gaussian cloud ("blob") of points around each center.

    Class ``k`` is ``centers[k] + std * z`` with ``z`` standard normal in every
    coordinate. Blobs far apart relative to ``std`` are linearly separable: the
    easiest possible classification problem, good for a first single neuron.

    The rows are **not shuffled**: they come in class blocks, first the
    ``n_per_class`` points of class 0, then those of class 1, and so on.

    Parameters
    ----------
    n_per_class : int
        Number of points in each blob, n_per_class >= 1.
    centers : array_like, shape (C, D)
        One center per class: C >= 1 classes in D >= 1 dimensions, e.g.
        ``[[-1, 0], [1, 0]]`` for two blobs in the plane.
    std : float
        Standard deviation of every blob along every axis, std >= 0.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``.

    Returns
    -------
    X : ndarray of float64, shape (n_per_class * C, D)
        Point coordinates.
    y : ndarray of int64, shape (n_per_class * C,)
        Class ids in blocks: ``[0, ..., 0, 1, ..., 1, ..., C-1]``.

    Raises
    ------
    TypeError
        If ``n_per_class`` is not an int, ``centers`` does not hold real
        numbers, ``std`` is not a real number or ``rng`` not a
        ``numpy.random.Generator``.
    ValueError
        If ``n_per_class < 1``, ``centers`` is not a non-empty (C, D) table of
        finite numbers, or ``std < 0``.

    Examples
    --------
    >>> X, y = make_blobs(50, [[-2, 0], [2, 0]], std=0.5, rng=np.random.default_rng(0))
    >>> X.shape, np.bincount(y).tolist()
    ((100, 2), [50, 50])
    """
    fn = "make_blobs"
    n_per_class = _check_int(fn, "n_per_class", n_per_class, minimum=1)
    centers = _as_centers(fn, centers)
    std = _check_nonnegative(fn, "std", std)
    rng = _check_rng(fn, rng)

    n_classes, n_features = centers.shape
    # Repeating each center n_per_class times gives the class blocks directly.
    X = np.repeat(centers, n_per_class, axis=0)
    X = X + std * rng.standard_normal((n_classes * n_per_class, n_features))
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    return X, y


def _as_centers(fn: str, centers) -> np.ndarray:
    """Return ``centers`` as a float64 (C, D) array, or raise naming the problem."""
    try:
        arr = np.asarray(centers)
    except ValueError as err:  # ragged nested lists such as [[0, 0], [1]]
        raise ValueError(f"{fn}: centers must be a (C, D) table of numbers; {err}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{fn}: centers must hold real numbers; got dtype={arr.dtype}")
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(
            f"{fn}: centers must have shape (C, D) with C >= 1 and D >= 1, one row per class; "
            f"got centers.shape={arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{fn}: centers must be finite; got centers={arr.tolist()}")
    return arr.astype(np.float64)


# --------------------------------------------------------------------------- #
# Splitting
# --------------------------------------------------------------------------- #


def train_test_split(
    X,
    y,
    test_fraction: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split examples at random into a training set and a test set.

    The rows are put in a random order with ``rng.permutation``; the first
    ``round(N * test_fraction)`` of them form the test set and the rest the
    training set. Every row lands in exactly one of the two sets, and row ``i``
    of ``X`` stays paired with entry ``i`` of ``y``. The split is not stratified,
    so class proportions only match approximately.

    Parameters
    ----------
    X : array_like, shape (N, ...)
        Examples, one per row (e.g. (N, D) features or (N, 8, 8) images).
    y : array_like, shape (N, ...)
        Targets, one per row (e.g. (N,) class ids).
    test_fraction : float
        Fraction of the examples to hold out, 0 < test_fraction < 1. Python's
        ``round`` is used, so halves go to the nearest even count.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``.

    Returns
    -------
    X_train : ndarray, shape (N - N_test, ...)
    X_test : ndarray, shape (N_test, ...)
    y_train : ndarray, shape (N - N_test,)
    y_test : ndarray, shape (N_test,)
        New arrays with the dtypes of the inputs; ``X`` and ``y`` are not
        modified. ``N_test = round(N * test_fraction)``.

    Raises
    ------
    TypeError
        If ``test_fraction`` is not a real number or ``rng`` is not a
        ``numpy.random.Generator``.
    ValueError
        If ``X`` or ``y`` is a scalar, their lengths differ, ``test_fraction``
        is outside (0, 1), or the split would leave either side empty.

    Examples
    --------
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, 0.3, np.random.default_rng(0))
    >>> X_tr.shape, X_te.shape, y_tr.shape, y_te.shape
    ((7, 2), (3, 2), (7,), (3,))
    """
    fn = "train_test_split"
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"{fn}: X and y must be arrays with one row per example; "
            f"got X.shape={X.shape}, y.shape={y.shape}"
        )
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{fn}: X and y must have the same number of rows (N); "
            f"got X.shape={X.shape}, y.shape={y.shape}"
        )
    test_fraction = _check_real(fn, "test_fraction", test_fraction)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(
            f"{fn}: test_fraction must be in (0, 1); got test_fraction={test_fraction}"
        )
    rng = _check_rng(fn, rng)

    n = X.shape[0]
    n_test = round(n * test_fraction)
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"{fn}: both sets need at least 1 example, but N={n} and "
            f"test_fraction={test_fraction} give {n_test} test and {n - n_test} training examples"
        )

    order = rng.permutation(n)
    test_rows, train_rows = order[:n_test], order[n_test:]
    # Indexing with an integer array always copies, so the outputs never share
    # memory with the inputs: a lesson may normalise X_train in place safely.
    return X[train_rows], X[test_rows], y[train_rows], y[test_rows]


# --------------------------------------------------------------------------- #
# Real data
# --------------------------------------------------------------------------- #


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Load the 1797 handwritten digits (8x8 pixels) shipped with nnlib.

    This is the test set of the UCI "Optical Recognition of Handwritten Digits"
    data (E. Alpaydin and C. Kaynak, 1998; CC BY 4.0), identical to
    scikit-learn's ``load_digits()``. Each pixel counts how many of the 16
    pixels of a 4x4 block of the original 32x32 bitmap were ink, so pixel
    values are whole numbers from 0 (white) to 16 (black).

    The pixels are returned unscaled: divide by 16 to scale them to [0, 1]
    before training. The file is read from inside the installed package;
    nothing is downloaded.

    Returns
    -------
    X : ndarray of float64, shape (1797, 64)
        One image per row, flattened row by row; ``X[i].reshape(8, 8)`` gives
        the picture back. Values are whole numbers in [0, 16].
    y : ndarray of int64, shape (1797,)
        The digit shown in each image, 0 to 9 (about 180 of each).

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, y.shape, X.max()
    ((1797, 64), (1797,), np.float64(16.0))
    >>> X_scaled = X / 16.0
    """
    # files() finds the file both in a source checkout (editable install) and
    # inside an installed wheel, so lessons never depend on the working directory.
    resource = files("nnlib") / "datasets" / "digits.npz"
    with resource.open("rb") as handle, np.load(handle) as archive:
        # Read both arrays before the file closes; NpzFile loads lazily.
        images = archive["images"]
        labels = archive["labels"]
    # Stored as uint8 to keep the file small; widen so that arithmetic such as
    # X - X.mean() or y - 1 cannot silently wrap around.
    X = images.reshape(len(images), -1).astype(np.float64)
    y = labels.astype(np.int64)
    return X, y
