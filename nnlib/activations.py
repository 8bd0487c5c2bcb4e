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

Lesson 02's other exercises live here too: :func:`collapse_linear` (why a network
needs a nonlinearity), :func:`softmax_jacobian` (softmax's derivative) and
:func:`two_class_logit` (a two-class softmax is a sigmoid of the difference).
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

    Notes
    -----
    Dividing by :math:`e^{|z|}` leaves only :math:`u = e^{-2|z|} \le 1`, so nothing
    overflows: :math:`\tanh(z) = \operatorname{sign}(z)\,(1 - u) / (1 + u)`. Near 0, though,
    ``1 - u`` subtracts two nearly equal numbers and loses the relative precision
    (z = 1e-17 would give 0). ``np.expm1(x)`` computes :math:`e^x - 1` to full precision for
    tiny x, so with :math:`m = \operatorname{expm1}(-2|z|) = u - 1`:
    :math:`\tanh(z) = \operatorname{sign}(z)\,(-m) / (2 + m)`, accurate to a few units in the
    last place for every z.
    """
    z = as_float_array("tanh", "z", z)
    m = np.expm1(-2 * np.abs(z))  # u - 1, in (-1, 0]: exact near 0, cannot overflow
    return np.sign(z) * -m / (2 + m)


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


def softmax_jacobian(z):
    r"""The Jacobian of softmax for one vector of scores: :math:`J_{ij} = \partial s_i / \partial z_j`.

    .. math:: J_{ij} = s_i (\delta_{ij} - s_j), \qquad J = \operatorname{diag}(s) - s s^\top,
        \quad s = \operatorname{softmax}(z)

    J is symmetric, and each row (and column) sums to 0: the probabilities always sum
    to 1, so no change of z can change their sum.

    Parameters
    ----------
    z : array_like, (C,) the scores of one example

    Returns
    -------
    ndarray, (C, C), same float dtype as ``z``
    """
    z = as_float_array("softmax_jacobian", "z", z)
    if z.ndim != 1:
        raise ValueError("softmax_jacobian: z must be 1-D, the C scores of one example; "
                         f"got z.shape={z.shape}" + (". For a batch, take one row at a time: z[n]"
                                                     if z.ndim == 2 else ""))
    s = softmax(z)  # (C,)
    return np.diag(s) - np.outer(s, s)  # (C, C)


def two_class_logit(z):
    r"""The one logit d with :math:`\sigma(d) = \operatorname{softmax}(z)_1` for two-class scores z.

    .. math:: \operatorname{softmax}(z)_1 = \frac{e^{z_1}}{e^{z_0} + e^{z_1}}
        = \frac{1}{1 + e^{-(z_1 - z_0)}} = \sigma(z_1 - z_0), \qquad d = z_1 - z_0

    Parameters
    ----------
    z : array_like, (N, 2) the scores of class 0 and class 1 for N examples

    Returns
    -------
    ndarray, (N,), same float dtype as ``z``
    """
    z = as_float_array("two_class_logit", "z", z)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError("two_class_logit: z must have shape (N, 2), two scores per example; "
                         f"got z.shape={z.shape}" + (". For a single example use z.reshape(1, -1)"
                                                     if z.shape == (2,) else ""))
    return z[:, 1] - z[:, 0]


def collapse_linear(W1, b1, W2, b2):
    r"""The one linear layer ``(W, b)`` that computes what two stacked linear layers compute.

    .. math:: (X W_1 + b_1) W_2 + b_2 = X \underbrace{W_1 W_2}_{W} + \underbrace{b_1 W_2 + b_2}_{b}

    Without an activation between them, layers add no power: this is why networks need one.

    Parameters
    ----------
    W1 : (D_in, H);  b1 : (H,);  W2 : (H, D_out);  b2 : (D_out,)

    Returns
    -------
    (W, b) : ((D_in, D_out), (D_out,)) arrays, in the inputs' float dtype
    """
    fn = "collapse_linear"
    W1, b1 = as_float_array(fn, "W1", W1), as_float_array(fn, "b1", b1)
    W2, b2 = as_float_array(fn, "W2", W2), as_float_array(fn, "b2", b2)
    for name, arr, ndim in (("W1", W1, 2), ("b1", b1, 1), ("W2", W2, 2), ("b2", b2, 1)):
        if arr.ndim != ndim:
            raise ValueError(f"{fn}: {name} must be {ndim}-D; got {name}.shape={arr.shape}")
    if not (W1.shape[1] == b1.shape[0] == W2.shape[0] and W2.shape[1] == b2.shape[0]):
        raise ValueError(f"{fn}: need W1 (D_in, H), b1 (H,), W2 (H, D_out), b2 (D_out,); got W1.shape="
                         f"{W1.shape}, b1.shape={b1.shape}, W2.shape={W2.shape}, b2.shape={b2.shape}")
    return W1 @ W2, b1 @ W2 + b2  # (D_in, D_out), (D_out,)


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
