"""Shared fixtures for the nnlib test suite."""

from __future__ import annotations

import numpy as np
import pytest


def centered_gradient(f, x, h=1e-6):
    """Centered finite-difference gradient of a scalar f at x, written independently of nnlib.

    Works on a float64 copy; the caller's array is never touched.
    """
    x = np.array(x, dtype=np.float64)  # a copy
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views of the copy
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = float(f(x))
        flat[i] = old - h
        down = float(f(x))
        flat[i] = old
        gflat[i] = (up - down) / (2 * h)
    return grad


@pytest.fixture
def numgrad():
    """The independent numerical gradient ``numgrad(f, x, h=1e-6)``."""
    return centered_gradient


@pytest.fixture
def rng():
    """A fresh seeded generator for every test (deterministic, order-independent)."""
    return np.random.default_rng(1234)


@pytest.fixture
def agg():
    """Switch matplotlib to the non-interactive Agg backend and close every figure afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")
