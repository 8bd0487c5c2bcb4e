"""Functions that exercise cases pass as arguments (``numerical_derivative(f, x)``...).

Numpy only, imports nothing from nnlib: the grader hands them to its sandbox by
source, like the case arrays, so every callable in a case is either a numpy
function or defined here.
"""

import numpy as np


def cubic(x):
    """f(x) = x³ - 2x + 1, so f'(x) = 3x² - 2 and f''(x) = 6x."""
    return x**3 - 2 * x + 1


def softplus(x):
    """f(x) = log(1 + eˣ), whose derivative is the sigmoid."""
    return np.log1p(np.exp(x))
