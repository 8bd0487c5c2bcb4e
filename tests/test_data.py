"""Tests for nnlib.data: toy generators, train_test_split and the shipped digits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnlib.data import load_digits, make_blobs, make_moons, make_spiral, train_test_split, xor

REPO_ROOT = Path(__file__).resolve().parents[1]

# Each generator called with small, valid arguments and a given rng.
GENERATORS = {
    "make_moons": lambda rng: make_moons(101, 0.1, rng),
    "make_spiral": lambda rng: make_spiral(40, 3, rng),
    "make_blobs": lambda rng: make_blobs(30, [[0.0, 0.0], [3.0, 3.0]], 1.0, rng),
}

# First image of sklearn.datasets.load_digits() (a "0"), flattened; copied once
# from scikit-learn 1.9.1 so the test does not need scikit-learn.
FIRST_DIGIT = [
    0, 0, 5, 13, 9, 1, 0, 0,
    0, 0, 13, 15, 10, 15, 5, 0,
    0, 3, 15, 2, 0, 11, 8, 0,
    0, 4, 12, 0, 0, 8, 8, 0,
    0, 5, 8, 0, 0, 9, 8, 0,
    0, 4, 11, 0, 1, 12, 7, 0,
    0, 2, 14, 5, 10, 12, 0, 0,
    0, 0, 6, 13, 10, 0, 0, 0,
]  # fmt: skip


# --------------------------------------------------------------------------- #
# xor
# --------------------------------------------------------------------------- #


def test_xor_is_the_truth_table():
    X, y = xor()
    assert X.dtype == np.float64 and X.shape == (4, 2)
    assert y.dtype == np.int64 and y.shape == (4,)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    # The label really is x1 XOR x2.
    np.testing.assert_array_equal(y, X[:, 0].astype(int) ^ X[:, 1].astype(int))


def test_xor_returns_fresh_arrays():
    X, y = xor()
    X[0, 0] = 99.0
    y[0] = 7
    X_again, y_again = xor()
    assert X_again[0, 0] == 0.0 and y_again[0] == 0


# --------------------------------------------------------------------------- #
# What every generator promises
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_is_deterministic_for_a_seed(name):
    X1, y1 = GENERATORS[name](np.random.default_rng(42))
    X2, y2 = GENERATORS[name](np.random.default_rng(42))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_differs_between_seeds(name):
    X1, _ = GENERATORS[name](np.random.default_rng(1))
    X2, _ = GENERATORS[name](np.random.default_rng(2))
    assert not np.allclose(X1, X2)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_advances_the_rng(name):
    # Two calls on one rng must give two different samples, not the same one twice.
    rng = np.random.default_rng(0)
    X1, _ = GENERATORS[name](rng)
    X2, _ = GENERATORS[name](rng)
    assert not np.allclose(X1, X2)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_dtypes_and_shapes(name):
    X, y = GENERATORS[name](np.random.default_rng(0))
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert X.ndim == 2 and y.shape == (X.shape[0],)
    assert np.all(np.isfinite(X))
    assert y.min() == 0


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("bad_rng", [0, None, np.random.RandomState(0)])
def test_generator_refuses_anything_but_a_generator(name, bad_rng):
    pattern = (
        rf"{name}: rng must be a numpy\.random\.Generator, e\.g\. rng=np\.random\.default_rng\(0\)"
    )
    with pytest.raises(TypeError, match=pattern):
        GENERATORS[name](bad_rng)


# --------------------------------------------------------------------------- #
# make_moons
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("n", [2, 3, 100, 101])
def test_moons_shapes_and_balance(n):
    X, y = make_moons(n, 0.1, np.random.default_rng(0))
    assert X.shape == (n, 2) and y.shape == (n,)
    np.testing.assert_array_equal(np.bincount(y, minlength=2), [n // 2, n - n // 2])


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = make_moons(200, 0.0, np.random.default_rng(0))
    upper, lower = X[y == 0], X[y == 1]
    # Upper moon: unit half circle around (0, 0) with y >= 0.
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    # Lower moon: unit half circle around (1, 0.5) with y <= 0.5.
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_moons_noise_moves_points_by_about_noise():
    rng = np.random.default_rng(0)
    X, y = make_moons(4000, 0.2, rng)
    upper = X[y == 0]
    distance_to_circle = np.hypot(upper[:, 0], upper[:, 1]) - 1.0
    # The radial error of a 2-D Gaussian step with std 0.2 has std close to 0.2.
    assert 0.17 < distance_to_circle.std() < 0.23


def test_moons_are_shuffled():
    _, y = make_moons(100, 0.1, np.random.default_rng(0))
    # Unshuffled data would be 50 zeros then 50 ones.
    assert 0 < y[:50].sum() < 50


# --------------------------------------------------------------------------- #
# make_spiral
# --------------------------------------------------------------------------- #


def test_spiral_shapes_and_class_blocks():
    X, y = make_spiral(50, 4, np.random.default_rng(0))
    assert X.shape == (200, 2)
    np.testing.assert_array_equal(y, np.repeat(np.arange(4), 50))


def test_spiral_noise_only_changes_the_angle():
    X, y = make_spiral(30, 3, np.random.default_rng(0), noise=0.5)
    for k in range(3):
        radius = np.hypot(X[y == k, 0], X[y == k, 1])
        np.testing.assert_allclose(radius, np.linspace(0.0, 1.0, 30), atol=1e-12)


def test_spiral_without_noise_follows_the_cs231n_formula():
    X, _ = make_spiral(5, 2, np.random.default_rng(0), noise=0.0)
    r = np.linspace(0.0, 1.0, 5)
    theta = 4.0 + np.linspace(0.0, 4.0, 5)  # second arm
    np.testing.assert_allclose(X[5:], np.column_stack([r * np.sin(theta), r * np.cos(theta)]))


def test_spiral_with_one_point_per_class():
    X, y = make_spiral(1, 2, np.random.default_rng(0))
    np.testing.assert_array_equal(X, np.zeros((2, 2)))  # radius 0
    np.testing.assert_array_equal(y, [0, 1])


# --------------------------------------------------------------------------- #
# make_blobs
# --------------------------------------------------------------------------- #


def test_blobs_are_centred_on_their_centers():
    centers = np.array([[-2.0, 0.0, 1.0], [2.0, 1.0, -1.0], [0.0, 5.0, 0.0]])
    X, y = make_blobs(2000, centers, 0.5, np.random.default_rng(0))
    assert X.shape == (6000, 3)
    np.testing.assert_array_equal(y, np.repeat(np.arange(3), 2000))
    for k, center in enumerate(centers):
        np.testing.assert_allclose(X[y == k].mean(axis=0), center, atol=0.05)
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.5, atol=0.05)


def test_blobs_with_zero_std_sit_on_the_centers():
    X, y = make_blobs(3, [[1, 2], [3, 4]], 0, np.random.default_rng(0))
    np.testing.assert_array_equal(X, [[1, 2], [1, 2], [1, 2], [3, 4], [3, 4], [3, 4]])
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1, 1])
    assert X.dtype == np.float64


def test_blobs_do_not_modify_centers():
    centers = np.array([[0.0, 0.0], [1.0, 1.0]])
    make_blobs(5, centers, 1.0, np.random.default_rng(0))
    np.testing.assert_array_equal(centers, [[0.0, 0.0], [1.0, 1.0]])


# --------------------------------------------------------------------------- #
# Bad arguments to the generators
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda rng: make_moons(1, 0.1, rng), ValueError, "make_moons: n must be >= 2; got n=1"),
        (
            lambda rng: make_moons(2.5, 0.1, rng),
            TypeError,
            "make_moons: n must be an int; got float 2.5",
        ),
        (lambda rng: make_moons(True, 0.1, rng), TypeError, "n must be an int; got bool True"),
        (
            lambda rng: make_moons(10, -0.1, rng),
            ValueError,
            "make_moons: noise must be >= 0; got noise=-0.1",
        ),
        (
            lambda rng: make_moons(10, float("nan"), rng),
            ValueError,
            "noise must be finite; got noise=nan",
        ),
        (
            lambda rng: make_moons(10, "0.1", rng),
            TypeError,
            "noise must be a real number; got str '0.1'",
        ),
        (
            lambda rng: make_spiral(0, 3, rng),
            ValueError,
            "make_spiral: n_per_class must be >= 1; got n_per_class=0",
        ),
        (
            lambda rng: make_spiral(10, 1, rng),
            ValueError,
            "make_spiral: n_classes must be >= 2; got n_classes=1",
        ),
        (
            lambda rng: make_spiral(10, 3.0, rng),
            TypeError,
            "n_classes must be an int; got float 3.0",
        ),
        (
            lambda rng: make_spiral(10, 3, rng, noise=-1),
            ValueError,
            "noise must be >= 0; got noise=-1",
        ),
        (
            lambda rng: make_blobs(0, [[0, 0]], 1.0, rng),
            ValueError,
            "make_blobs: n_per_class must be >= 1; got n_per_class=0",
        ),
        (
            lambda rng: make_blobs(5, [0, 0], 1.0, rng),
            ValueError,
            "make_blobs: centers must have shape (C, D) with C >= 1 and D >= 1, one row per class; "
            "got centers.shape=(2,)",
        ),
        (
            lambda rng: make_blobs(5, np.zeros((0, 2)), 1.0, rng),
            ValueError,
            "got centers.shape=(0, 2)",
        ),
        (
            lambda rng: make_blobs(5, [[0, 0], [1]], 1.0, rng),
            ValueError,
            "make_blobs: centers must be a (C, D) table of numbers",
        ),
        (
            lambda rng: make_blobs(5, [["a", "b"]], 1.0, rng),
            TypeError,
            "make_blobs: centers must hold real numbers; got dtype=<U1",
        ),
        (
            lambda rng: make_blobs(5, [[0, np.inf]], 1.0, rng),
            ValueError,
            "centers must be finite; got centers=[[0.0, inf]]",
        ),
        (
            lambda rng: make_blobs(5, [[0, 0]], -0.5, rng),
            ValueError,
            "make_blobs: std must be >= 0; got std=-0.5",
        ),
    ],
)
def test_generators_reject_bad_arguments(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call(np.random.default_rng(0))


# --------------------------------------------------------------------------- #
# train_test_split
# --------------------------------------------------------------------------- #


def _numbered_rows(n: int) -> tuple[np.ndarray, np.ndarray]:
    """X whose row i is (i, 10 i) and y = i, so every row can be traced after the split."""
    ids = np.arange(n)
    return np.column_stack([ids, 10 * ids]).astype(np.float64), ids


@pytest.mark.parametrize(
    ("n", "test_fraction", "n_test"),
    [
        (10, 0.3, 3),
        (10, 0.5, 5),
        (100, 0.2, 20),
        (7, 0.25, 2),
        (2, 0.5, 1),
        (10, 0.9, 9),
        (10, 0.25, 2),
    ],
)
def test_split_sizes(n, test_fraction, n_test):
    X, y = _numbered_rows(n)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_fraction, np.random.default_rng(0)
    )
    assert X_test.shape == (n_test, 2) and y_test.shape == (n_test,)
    assert X_train.shape == (n - n_test, 2) and y_train.shape == (n - n_test,)


def test_split_uses_every_row_exactly_once():
    X, y = _numbered_rows(50)
    _, _, y_train, y_test = train_test_split(X, y, 0.3, np.random.default_rng(0))
    assert not set(y_train.tolist()) & set(y_test.tolist())
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_test])), np.arange(50))


def test_split_keeps_rows_paired_with_labels():
    X, y = _numbered_rows(50)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.3, np.random.default_rng(0))
    np.testing.assert_array_equal(X_train[:, 0], y_train)
    np.testing.assert_array_equal(X_test[:, 0], y_test)
    np.testing.assert_array_equal(X_train[:, 1], 10 * y_train)


def test_split_is_random_but_deterministic():
    X, y = _numbered_rows(50)
    first = train_test_split(X, y, 0.3, np.random.default_rng(0))
    again = train_test_split(X, y, 0.3, np.random.default_rng(0))
    other = train_test_split(X, y, 0.3, np.random.default_rng(1))
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[3], other[3])
    # Shuffled, not just the last 15 rows.
    assert not np.array_equal(np.sort(first[3]), np.arange(35, 50))


def test_split_does_not_touch_or_share_the_inputs():
    X, y = _numbered_rows(20)
    X_before, y_before = X.copy(), y.copy()
    parts = train_test_split(X, y, 0.25, np.random.default_rng(0))
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    for part in parts:
        assert not np.shares_memory(part, X) and not np.shares_memory(part, y)
    parts[0][:] = -1.0  # writing into an output must not reach the input
    np.testing.assert_array_equal(X, X_before)


def test_split_keeps_dtypes_and_extra_dimensions():
    images = np.arange(10 * 8 * 8, dtype=np.uint8).reshape(10, 8, 8)
    labels = np.arange(10, dtype=np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        images, labels, 0.2, np.random.default_rng(0)
    )
    assert X_train.shape == (8, 8, 8) and X_test.shape == (2, 8, 8)
    assert X_train.dtype == np.uint8 and y_train.dtype == y_test.dtype == np.int64
    np.testing.assert_array_equal(X_test[:, 0, 0], images[y_test, 0, 0])


def test_split_accepts_lists():
    X_train, X_test, y_train, y_test = train_test_split(
        [[0, 0], [1, 1], [2, 2], [3, 3]], [0, 1, 2, 3], 0.5, np.random.default_rng(0)
    )
    assert isinstance(X_train, np.ndarray) and X_test.shape == (2, 2)
    np.testing.assert_array_equal(X_train[:, 0], y_train)
    np.testing.assert_array_equal(X_test[:, 1], y_test)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (
            (np.zeros((10, 2)), np.zeros(9), 0.2),
            ValueError,
            "train_test_split: X and y must have the same number of rows (N); "
            "got X.shape=(10, 2), y.shape=(9,)",
        ),
        ((np.float64(1.0), np.zeros(1), 0.2), ValueError, "got X.shape=(), y.shape=(1,)"),
        (
            (np.zeros((10, 2)), np.zeros(10), 0.0),
            ValueError,
            "train_test_split: test_fraction must be in (0, 1); got test_fraction=0.0",
        ),
        (
            (np.zeros((10, 2)), np.zeros(10), 1.0),
            ValueError,
            "test_fraction must be in (0, 1); got test_fraction=1.0",
        ),
        ((np.zeros((10, 2)), np.zeros(10), -0.2), ValueError, "got test_fraction=-0.2"),
        (
            (np.zeros((10, 2)), np.zeros(10), "0.2"),
            TypeError,
            "test_fraction must be a real number; got str '0.2'",
        ),
        (
            (np.zeros((10, 2)), np.zeros(10), 0.01),
            ValueError,
            "train_test_split: both sets need at least 1 example, but N=10 and "
            "test_fraction=0.01 give 0 test and 10 training examples",
        ),
        (
            (np.zeros((10, 2)), np.zeros(10), 0.99),
            ValueError,
            "give 10 test and 0 training examples",
        ),
        ((np.zeros((1, 2)), np.zeros(1), 0.5), ValueError, "N=1"),
    ],
)
def test_split_rejects_bad_arguments(args, error, message):
    with pytest.raises(error, match=re.escape(message)):
        train_test_split(*args, np.random.default_rng(0))


def test_split_refuses_a_seed_instead_of_a_generator():
    with pytest.raises(TypeError, match=r"train_test_split: rng .*default_rng\(0\); got int 0"):
        train_test_split(np.zeros((10, 2)), np.zeros(10), 0.2, 0)


# --------------------------------------------------------------------------- #
# load_digits
# --------------------------------------------------------------------------- #


def test_digits_shape_dtype_and_range():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 16.0
    np.testing.assert_array_equal(X, np.round(X))  # whole pixel counts, not yet scaled


def test_digits_has_about_180_examples_of_each_digit():
    _, y = load_digits()
    counts = np.bincount(y)
    assert len(counts) == 10
    assert np.all((170 <= counts) & (counts <= 190)), counts


def test_digits_content_matches_the_published_data():
    X, y = load_digits()
    np.testing.assert_array_equal(X[0], FIRST_DIGIT)
    assert y[0] == 0
    np.testing.assert_array_equal(y[:10], np.arange(10))
    assert X.sum() == 561718.0 and y.sum() == 8070


def test_digits_are_a_fresh_copy_each_time():
    X, y = load_digits()
    X /= 16.0
    y[:] = 0
    X_again, y_again = load_digits()
    assert X_again.max() == 16.0 and y_again[1] == 1


def test_nnlib_data_never_imports_sklearn():
    code = (
        "import sys\nimport nnlib.data\nnnlib.data.load_digits()\nprint('sklearn' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
