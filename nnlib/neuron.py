"""One neuron: its pre-activation and its line (lesson 01) and its gradients (lessons 06-07).

A neuron with weights w and bias b computes the pre-activation z = w·x + b and
then an activation a = f(z). The inputs where z = 0 form a line (a hyperplane):
:func:`signed_distance` measures how far points are from it, :func:`line_through`
finds the neuron whose line passes through two given points. With the sigmoid and binary cross-entropy the
gradient of the loss with respect to z is simply a - y.
"""

from __future__ import annotations

import numpy as np

from nnlib._validate import (
    as_float_array,
    require_examples,
    require_int,
    require_ndim,
    require_positive,
    require_same_shape,
    require_unit_interval,
)
from nnlib.activations import sigmoid
from nnlib.losses import binary_cross_entropy


def preactivation(x, w, b) -> float:
    r"""Pre-activation of one neuron for one input: :math:`z = w \cdot x + b = \sum_i w_i x_i + b`.

    Parameters
    ----------
    x : array_like, (D,) one input
    w : array_like, (D,) weights
    b : float, bias

    Returns
    -------
    float
    """
    x = as_float_array("preactivation", "x", x)
    w = as_float_array("preactivation", "w", w)
    b = as_float_array("preactivation", "b", b)
    require_ndim("preactivation", "x", x, 1, "(D,)")
    require_same_shape("preactivation", "x", x, "w", w)
    if b.ndim != 0:
        raise ValueError(f"preactivation: b must be a scalar; got b.shape={b.shape}")
    return float(x @ w + b)


def signed_distance(X, w, b):
    r"""Signed distance of each point to the neuron's line (hyperplane) :math:`w \cdot x + b = 0`.

    .. math:: d(x) = \frac{w \cdot x + b}{\lVert w \rVert}

    positive on the side w points to, negative on the other, 0 on the line; so
    :math:`z = \lVert w \rVert\, d(x)`.

    Parameters
    ----------
    X : array_like, (N, D) one point per row
    w : array_like, (D,) weights, not all zero
    b : float, bias

    Returns
    -------
    ndarray, (N,), same float dtype as ``X``
    """
    fn = "signed_distance"
    X, w, b = _check_points_and_neuron(fn, X, w, b)
    norm = np.linalg.norm(w)
    if norm == 0:
        raise ValueError(f"{fn}: w must not be all zeros (then there is no line z = 0); got w={w.tolist()}")
    return ((X @ w + b) / norm).astype(X.dtype, copy=False)  # (N,)


def line_through(p, q):
    r"""The unit weights w and the bias b of the neuron whose line z = 0 passes through p and q.

    With :math:`d = q - p`, w is d turned a quarter turn counterclockwise and scaled to
    length 1, :math:`w = (-d_2, d_1) / \lVert d \rVert`, so z > 0 on the left when walking
    from p to q; and :math:`b = -w \cdot p`, so that z(p) = 0 (and z(q) = 0, since
    :math:`w \perp d`). Then z(x) is the signed distance of x to the line.

    Parameters
    ----------
    p, q : array_like, (2,) two different points of the plane

    Returns
    -------
    (w, b) : ((2,) ndarray, float)
    """
    fn = "line_through"
    p = as_float_array(fn, "p", p)
    q = as_float_array(fn, "q", q)
    for name, point in (("p", p), ("q", q)):
        if point.shape != (2,):
            raise ValueError(f"{fn}: {name} must be a point of the plane, shape (2,); "
                             f"got {name}.shape={point.shape}")
    d = q - p
    length = np.hypot(d[0], d[1])
    if length == 0:
        raise ValueError(f"{fn}: p and q must be two different points; got p = q = {p.tolist()}")
    w = np.array([-d[1], d[0]]) / length + 0.0  # (2,), perpendicular to d, length 1 (+ 0.0: no -0.0)
    return w, float(-(w @ p)) + 0.0


def _check_points_and_neuron(fn: str, X, w, b):
    """X (N, D) points, w (D,) weights and a scalar b, as float arrays; ValueError/TypeError otherwise."""
    X = as_float_array(fn, "X", X)
    w = as_float_array(fn, "w", w)
    require_ndim(fn, "X", X, 2, "(N, D)")
    require_ndim(fn, "w", w, 1, "(D,)")
    if X.shape[1] != w.shape[0]:
        raise ValueError(
            f"{fn}: X.shape[1] must equal w.shape[0] (D); got X.shape={X.shape}, w.shape={w.shape}"
        )
    b = as_float_array(fn, "b", b)  # refuses strings and None, like every other input
    if b.ndim != 0:
        raise ValueError(f"{fn}: b must be a scalar; got b.shape={b.shape}")
    return X, w, b


def _check_neuron(fn: str, X, y, w, b):
    X, w, b = _check_points_and_neuron(fn, X, w, b)
    y = as_float_array(fn, "y", y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"{fn}: y must have shape (N,) = ({X.shape[0]},); got y.shape={y.shape}")
    require_examples(fn, "X", X)
    require_unit_interval(fn, "y", y)
    return X, y, w, float(b)


def neuron_gradients(X, y, w, b):
    r"""Loss and gradients of a sigmoid neuron trained with binary cross-entropy.

    Forward: :math:`z = Xw + b`, :math:`a = \sigma(z)`,
    :math:`L = -\frac1N\sum_i [y_i\log a_i + (1-y_i)\log(1-a_i)]`.

    Backward: the sigmoid's derivative cancels the BCE's denominator, leaving

    .. math::
        \frac{\partial L}{\partial z_i} = \frac{a_i - y_i}{N}, \qquad
        \frac{\partial L}{\partial w} = X^\top \frac{\partial L}{\partial z}, \qquad
        \frac{\partial L}{\partial b} = \sum_i \frac{\partial L}{\partial z_i}

    Parameters
    ----------
    X : (N, D) inputs;  y : (N,) targets in {0, 1};  w : (D,) weights;  b : float bias

    Returns
    -------
    loss : float
    dw : ndarray (D,)
    db : float
    """
    X, y, w, b = _check_neuron("neuron_gradients", X, y, w, b)
    a = sigmoid(X @ w + b)  # (N,)
    loss = binary_cross_entropy(a, y)
    dz = (a - y) / len(y)  # (N,)
    return loss, X.T @ dz, float(dz.sum())


def train_neuron(X, y, w, b, *, lr, epochs):
    """Full-batch gradient descent on a sigmoid neuron with BCE.

    Parameters
    ----------
    X : (N, D);  y : (N,) in {0, 1};  w : (D,) initial weights;  b : float initial bias
    lr : float > 0, learning rate;  epochs : int >= 1, number of updates

    Returns
    -------
    w : ndarray (D,), b : float, losses : list of float (the loss *before* each update)
    """
    X, y, w, b = _check_neuron("train_neuron", X, y, w, b)
    lr = require_positive("train_neuron", "lr", lr)
    epochs = require_int("train_neuron", "epochs", epochs, 1)
    losses = []
    for _ in range(epochs):
        loss, dw, db = neuron_gradients(X, y, w, b)
        losses.append(loss)
        w, b = w - lr * dw, b - lr * db  # step opposite the gradient
    return w, b, losses
