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


def training_run(fn, env, *args, **kwargs):
    """Harness of ``train_neuron``: call ``fn`` and return its ``(w, b, losses)`` as float64 arrays.

    The lesson asks for the final w, the final b and the loss before each step; whether
    they come back as arrays, lists, tuples or numpy scalars is the learner's choice.
    """
    out = fn(*args, **kwargs)
    if not isinstance(out, tuple | list) or len(out) != 3:
        what = f"a {type(out).__name__} of {len(out)} items" if isinstance(out, tuple | list) else \
            f"a {type(out).__name__}"
        raise TypeError(f"the result must be (w, b, losses), 3 items; got {what}")
    w, b, losses = out
    return tuple(np.asarray(part, dtype=np.float64) for part in (w, b, losses))
