"""Activation functions and their derivatives (lesson 02).

Every function is elementwise (softmax works along one axis), accepts any
array shape, preserves float32/float64, and is finite and warning-free for
inputs as large as |z| = 1e4.

=========  =====================================  ===============================
name       f(z)                                   f'(z)
=========  =====================================  ===============================
sigmoid    1 / (1 + e^{-z})                       f(z) (1 - f(z))
tanh       (e^z - e^{-z}) / (e^z + e^{-z})        1 - f(z)^2
relu       max(0, z)                              1 if z > 0 else 0
identity   z                                      1
=========  =====================================  ===============================
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from nnlib._validate import as_float_array


def sigmoid(z):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, elementwise.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    ndarray, same shape and float dtype as ``z``, values in [0, 1].

    Notes
    -----
    ``np.exp(-z)`` overflows for z < -709. We only ever exponentiate
    :math:`-|z| \le 0`, using :math:`\sigma(z) = e^{z} / (1 + e^{z})` for z < 0.
    """
    z = as_float_array("sigmoid", "z", z)
    e = np.exp(-np.abs(z))  # in (0, 1]: cannot overflow
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def tanh(z):
    r"""Hyperbolic tangent :math:`\tanh(z) = (e^z - e^{-z}) / (e^z + e^{-z})`, elementwise.

    Returns an array of the same shape and float dtype as ``z``, values in [-1, 1].
    ``np.tanh`` is already stable for large |z|.
    """
    z = as_float_array("tanh", "z", z)
    return np.tanh(z)


def relu(z):
    r"""Rectified linear unit :math:`\max(0, z)`, elementwise; same shape and dtype as ``z``."""
    z = as_float_array("relu", "z", z)
    return np.maximum(z, 0)


def identity(z):
    """Identity activation f(z) = z (used for output logits); returns a new float array equal to ``z``."""
    return as_float_array("identity", "z", z).copy()  # a copy: never hand back the caller's array


def softmax(z, axis=-1):
    r"""Softmax along ``axis``: :math:`s_i = e^{z_i} / \sum_j e^{z_j}`.

    Parameters
    ----------
    z : array_like, e.g. (N, C) logits
    axis : int, default -1 (each row is one example's scores)

    Returns
    -------
    ndarray, same shape and float dtype as ``z``; entries in [0, 1] summing to 1 along ``axis``.

    Notes
    -----
    Softmax does not change when a constant is added to every z_i, so we
    subtract the maximum first: the largest exponent becomes e^0 = 1 and
    nothing overflows, even for logits of 1000.
    """
    z = as_float_array("softmax", "z", z)
    if z.ndim == 0:
        raise ValueError("softmax: z must have at least 1 dimension; got a scalar")
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid_derivative(z):
    r"""Derivative of the sigmoid, :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`, elementwise.

    Largest (0.25) at z = 0; close to 0 for |z| > 5: the sigmoid *saturates*.
    """
    s = sigmoid(z)
    return s * (1 - s)


def tanh_derivative(z):
    r"""Derivative of tanh, :math:`1 - \tanh^2(z)`, elementwise (1 at z = 0)."""
    t = tanh(z)
    return 1 - t * t


def relu_derivative(z):
    """Derivative of ReLU: 1 where z > 0, else 0 (we choose 0 at the kink z = 0)."""
    z = as_float_array("relu_derivative", "z", z)
    return (z > 0).astype(z.dtype)


def identity_derivative(z):
    """Derivative of the identity: an array of ones shaped like ``z``."""
    z = as_float_array("identity_derivative", "z", z)
    return np.ones_like(z)


#: Activation name -> (f, f'). Read-only, so no code can swap an entry by accident.
ACTIVATIONS = MappingProxyType(
    {
        "sigmoid": (sigmoid, sigmoid_derivative),
        "tanh": (tanh, tanh_derivative),
        "relu": (relu, relu_derivative),
        "identity": (identity, identity_derivative),
    }
)


def get_activation(fn: str, name):
    """Return ``(f, f')`` for an activation name, or raise a ValueError listing the names."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        names = ", ".join(repr(n) for n in ACTIVATIONS)
        hint = " (softmax belongs to the loss: use 'identity' logits)" if name == "softmax" else ""
        raise ValueError(f"{fn}: activation must be one of {names}; got {name!r}{hint}")
    return ACTIVATIONS[name]
