"""A dense (fully connected) layer: forward (lesson 03) and backward (lesson 08).

Shapes, batch first::

    X : (N, D_in)    W : (D_in, D_out)    b : (D_out,)
    Z = X @ W + b    : (N, D_out)         A = f(Z) : (N, D_out)

Forward functions return ``(output, cache)``; the cache is a NamedTuple holding
exactly what the backward pass needs. Backward functions take the upstream
gradient (dL/d output) and return one gradient per input, shaped like it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlib._validate import as_float_array, require_ndim, require_same_shape
from nnlib.activations import get_activation


class DenseCache(NamedTuple):
    """What :func:`dense_backward` and :func:`activation_backward` need from the forward pass."""

    X: np.ndarray  #: (N, D_in) the layer's input
    Z: np.ndarray  #: (N, D_out) the pre-activation X @ W + b


def _check_dense(fn: str, X, W, b):
    X = as_float_array(fn, "X", X)
    W = as_float_array(fn, "W", W)
    b = as_float_array(fn, "b", b)
    require_ndim(fn, "X", X, 2, "(N, D_in)")
    require_ndim(fn, "W", W, 2, "(D_in, D_out)")
    if X.shape[1] != W.shape[0]:
        raise ValueError(
            f"{fn}: X.shape[1] must equal W.shape[0] (D_in); got X.shape={X.shape}, W.shape={W.shape}"
        )
    if b.shape != (W.shape[1],):
        raise ValueError(
            f"{fn}: b must have shape (D_out,) = ({W.shape[1]},); got b.shape={b.shape}"
        )
    return X, W, b


def dense_preactivation(X, W, b):
    r"""Pre-activations of a layer for a batch: :math:`Z = XW + b`.

    Row n of Z holds the pre-activations of every neuron for example n:
    :math:`Z_{nj} = \sum_i X_{ni} W_{ij} + b_j` (b is broadcast over the rows).

    Parameters
    ----------
    X : (N, D_in);  W : (D_in, D_out);  b : (D_out,)

    Returns
    -------
    Z : ndarray (N, D_out)
    """
    X, W, b = _check_dense("dense_preactivation", X, W, b)
    return X @ W + b


def dense_forward(X, W, b, activation="relu"):
    r"""Forward pass of a dense layer: :math:`Z = XW + b`, :math:`A = f(Z)`.

    Parameters
    ----------
    X : (N, D_in);  W : (D_in, D_out);  b : (D_out,)
    activation : {"relu", "sigmoid", "tanh", "identity"}

    Returns
    -------
    A : ndarray (N, D_out)
    cache : DenseCache(X, Z)
    """
    f, _ = get_activation("dense_forward", activation)
    X, W, b = _check_dense("dense_forward", X, W, b)
    Z = X @ W + b  # (N, D_out)
    return f(Z), DenseCache(X, Z)


def activation_backward(dA, Z, activation):
    r"""Backward through an elementwise activation: :math:`dZ = dA \odot f'(Z)`.

    Parameters
    ----------
    dA : (N, D) upstream gradient dL/dA;  Z : (N, D) the pre-activation from the cache
    activation : name of f

    Returns
    -------
    dZ : ndarray (N, D)
    """
    _, f_prime = get_activation("activation_backward", activation)
    dA = as_float_array("activation_backward", "dA", dA)
    Z = as_float_array("activation_backward", "Z", Z)
    require_same_shape("activation_backward", "dA", dA, "Z", Z)
    if activation == "identity":  # f'(z) = 1: the gradient passes through unchanged
        return dA.copy()
    return dA * f_prime(Z)


def _check_dense_backward(fn: str, dZ, cache, W):
    """Return dZ, cache.X and W as float arrays whose shapes fit, or raise."""
    if not isinstance(cache, DenseCache):
        raise TypeError(
            f"{fn}: cache must be the DenseCache returned by dense_forward; got {type(cache).__name__}"
        )
    dZ = as_float_array(fn, "dZ", dZ)
    X = as_float_array(fn, "cache.X", cache.X)
    Z = as_float_array(fn, "cache.Z", cache.Z)
    W = as_float_array(fn, "W", W)
    require_same_shape(fn, "dZ", dZ, "cache.Z", Z)
    require_ndim(fn, "dZ", dZ, 2, "(N, D_out)")
    require_ndim(fn, "cache.X", X, 2, "(N, D_in)")
    if W.shape != (X.shape[1], dZ.shape[1]):
        raise ValueError(
            f"{fn}: W must have shape (D_in, D_out) = {(X.shape[1], dZ.shape[1])}; got W.shape={W.shape}"
        )
    return dZ, X, W


def dense_backward(dZ, cache, W, *, input_grad=True):
    r"""Backward pass of :math:`Z = XW + b` given the upstream gradient dZ = dL/dZ.

    .. math::
        dX = dZ\,W^\top \;(N, D_{in}), \qquad
        dW = X^\top dZ \;(D_{in}, D_{out}), \qquad
        db = \textstyle\sum_n dZ_{n,:} \;(D_{out},)

    db sums over the batch because the same b was added to every row.

    Parameters
    ----------
    dZ : (N, D_out);  cache : DenseCache from :func:`dense_forward`;  W : (D_in, D_out)
    input_grad : bool, keyword-only. ``False`` skips dX and returns ``None`` in its
        place: the first layer's input is the data, whose gradient nobody needs
        (for 784 inputs it would cost a third of the backward pass).

    Returns
    -------
    dX, dW, db
    """
    dZ, X, W = _check_dense_backward("dense_backward", dZ, cache, W)
    return _dense_backward(dZ, X, W, input_grad)


def _dense_backward(dZ, X, W, input_grad=True):
    """The math of :func:`dense_backward`, for callers that have checked the shapes (mlp_backward)."""
    # dW = X.T @ dZ. For one example (N = 1) that is an outer product, which numpy's matmul
    # computes without BLAS, several times slower than the same products by broadcasting.
    dW = X.T * dZ if len(X) == 1 else X.T @ dZ  # (D_in, D_out)
    db = dZ.sum(axis=0)  # (D_out,)
    dX = dZ @ W.T if input_grad else None  # (N, D_in)
    return dX, dW, db
