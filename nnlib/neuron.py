"""One neuron: its pre-activation (lesson 01) and its gradients (lessons 06-07).

A neuron with weights w and bias b computes the pre-activation z = w·x + b and
then an activation a = f(z). With the sigmoid and binary cross-entropy the
gradient of the loss with respect to z is simply a - y.
"""

from __future__ import annotations

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


def _check_neuron(fn: str, X, y, w, b):
    X = as_float_array(fn, "X", X)
    y = as_float_array(fn, "y", y)
    w = as_float_array(fn, "w", w)
    require_ndim(fn, "X", X, 2, "(N, D)")
    require_ndim(fn, "w", w, 1, "(D,)")
    if X.shape[1] != w.shape[0]:
        raise ValueError(
            f"{fn}: X.shape[1] must equal w.shape[0] (D); got X.shape={X.shape}, w.shape={w.shape}"
        )
    if y.shape != (X.shape[0],):
        raise ValueError(f"{fn}: y must have shape (N,) = ({X.shape[0]},); got y.shape={y.shape}")
    require_examples(fn, "X", X)
    require_unit_interval(fn, "y", y)
    b = as_float_array(fn, "b", b)  # refuses strings and None, like every other input
    if b.ndim != 0:
        raise ValueError(f"{fn}: b must be a scalar; got b.shape={b.shape}")
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
