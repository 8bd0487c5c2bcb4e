"""Loss functions and their gradients (lessons 04 and 08).

Every loss is a *mean* and returns a Python float: MSE averages over all
elements, the cross-entropies over the N examples of the batch. Classification
labels are integer class ids, never one-hot rows.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from nnlib._validate import (
    as_float_array,
    as_labels,
    require_examples,
    require_ndim,
    require_same_shape,
    require_unit_interval,
)
from nnlib.activations import sigmoid, softmax


def mse_loss(y_pred, y) -> float:
    r"""Mean squared error :math:`L = \frac{1}{M}\sum_i (\hat y_i - y_i)^2` over all M elements.

    Parameters
    ----------
    y_pred, y : array_like of the same shape (no broadcasting: (N,) vs (N, 1) is an error)

    Returns
    -------
    float
    """
    y_pred = as_float_array("mse_loss", "y_pred", y_pred)
    y = as_float_array("mse_loss", "y", y)
    require_same_shape("mse_loss", "y_pred", y_pred, "y", y)
    require_examples("mse_loss", "y_pred", y_pred)
    return float(np.mean((y_pred - y) ** 2))


def mse_loss_backward(y_pred, y):
    r""":math:`\partial L / \partial \hat y = 2 (\hat y - y) / M`, shaped like ``y_pred``, in its dtype."""
    y_pred = as_float_array("mse_loss_backward", "y_pred", y_pred)
    y = as_float_array("mse_loss_backward", "y", y)
    require_same_shape("mse_loss_backward", "y_pred", y_pred, "y", y)
    require_examples("mse_loss_backward", "y_pred", y_pred)
    y = y.astype(y_pred.dtype, copy=False)  # float64 targets must not turn a float32 net's gradient float64
    return 2 * (y_pred - y) / y_pred.size


def binary_cross_entropy(p, y) -> float:
    r"""Binary cross-entropy of probabilities, averaged over the batch.

    .. math:: L = -\frac{1}{N}\sum_i \big[y_i \log p_i + (1 - y_i)\log(1 - p_i)\big]

    Parameters
    ----------
    p : array_like, (N,) probabilities in [0, 1] (e.g. sigmoid outputs)
    y : array_like, (N,) targets in [0, 1] (usually 0 or 1)

    Returns
    -------
    float. A term whose coefficient is 0 counts as 0, so p = 1 with y = 1 gives
    loss 0 (not NaN); p = 0 with y = 1 gives ``inf``, as the math says.
    """
    p = as_float_array("binary_cross_entropy", "p", p)
    y = as_float_array("binary_cross_entropy", "y", y)
    require_same_shape("binary_cross_entropy", "p", p, "y", y)
    require_examples("binary_cross_entropy", "p", p)
    require_unit_interval("binary_cross_entropy", "y", y)
    if p.size and (np.isnan(p).any() or p.min() < 0 or p.max() > 1):
        raise ValueError(
            "binary_cross_entropy: p must be probabilities in [0, 1]; "
            f"got min={p.min()}, max={p.max()}. For raw scores (logits) use sigmoid_cross_entropy"
        )
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) where its coefficient is 0
        pos = np.where(y > 0, y * np.log(p), 0.0)
        neg = np.where(y < 1, (1 - y) * np.log1p(-p), 0.0)
    return float(-np.mean(pos + neg)) + 0.0  # + 0.0 turns -0.0 into 0.0


def sigmoid_cross_entropy(z, y) -> float:
    r"""Binary cross-entropy computed from logits z, stably.

    Equal to ``binary_cross_entropy(sigmoid(z), y)`` but written as

    .. math:: \ell_i = \max(z_i, 0) - z_i y_i + \log(1 + e^{-|z_i|})

    which never overflows and never takes log(0), even for z = ±1000.

    Parameters
    ----------
    z : array_like, (N,) logits
    y : array_like, (N,) targets in [0, 1]
    """
    z = as_float_array("sigmoid_cross_entropy", "z", z)
    y = as_float_array("sigmoid_cross_entropy", "y", y)
    require_same_shape("sigmoid_cross_entropy", "z", z, "y", y)
    require_examples("sigmoid_cross_entropy", "z", z)
    require_unit_interval("sigmoid_cross_entropy", "y", y)
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def sigmoid_cross_entropy_backward(z, y):
    r""":math:`\partial L / \partial z = (\sigma(z) - y) / N` (N = z.size), shaped like ``z``, same dtype."""
    z = as_float_array("sigmoid_cross_entropy_backward", "z", z)
    y = as_float_array("sigmoid_cross_entropy_backward", "y", y)
    require_same_shape("sigmoid_cross_entropy_backward", "z", z, "y", y)
    require_examples("sigmoid_cross_entropy_backward", "z", z)
    require_unit_interval("sigmoid_cross_entropy_backward", "y", y)
    y = y.astype(z.dtype, copy=False)  # float64 targets must not turn a float32 net's gradient float64
    return (sigmoid(z) - y) / z.size


def _check_logits(fn: str, logits, labels):
    logits = as_float_array(fn, "logits", logits)
    require_ndim(fn, "logits", logits, 2, "(N, C)")
    labels = as_labels(fn, labels, logits.shape[0], logits.shape[1])
    require_examples(fn, "logits", logits)
    return logits, labels


def softmax_cross_entropy(logits, labels) -> float:
    r"""Softmax cross-entropy of logits with integer labels, averaged over the batch.

    .. math::
        L = \frac{1}{N}\sum_i \Big[\log \sum_j e^{z_{ij}} - z_{i, y_i}\Big]

    Parameters
    ----------
    logits : array_like, (N, C) raw class scores
    labels : array_like of int, (N,) class ids in [0, C)

    Returns
    -------
    float. For uniform logits the loss is exactly ln C.

    Notes
    -----
    The log-sum-exp is computed after subtracting each row's maximum, so no
    exponent exceeds 0 and no softmax probability is rounded to log(0).
    """
    logits, labels = _check_logits("softmax_cross_entropy", logits, labels)
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C), row max is 0
    log_sum_exp = np.log(np.exp(shifted).sum(axis=1))  # (N,)
    correct = shifted[np.arange(len(labels)), labels]  # (N,)
    return float((log_sum_exp - correct).sum()) / len(labels)  # the mean over the batch


def softmax_cross_entropy_backward(logits, labels):
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the logits.

    .. math:: \frac{\partial L}{\partial z} = \frac{1}{N}\big(\mathrm{softmax}(z) - \mathrm{onehot}(y)\big)

    Returns an array shaped like ``logits`` (N, C).
    """
    logits, labels = _check_logits("softmax_cross_entropy_backward", logits, labels)
    n = logits.shape[0]
    grad = softmax(logits, axis=1)  # (N, C), a new array we may write into
    grad[np.arange(n), labels] -= 1
    grad /= n  # in place: grad is ours, and a copy would cost as much as the rest
    return grad


def _loss_and_gradient(name: str, y_pred, y):
    """``(loss(y_pred, y), loss_backward(y_pred, y))`` for ``(loss, loss_backward) = LOSSES[name]``.

    The same numbers, but softmax cross-entropy computes its softmax (max, exp, sum)
    and checks its labels once instead of twice: a small net's train step gets ~15% faster.
    """
    if name != "softmax_cross_entropy":
        loss, loss_backward = LOSSES[name]
        return loss(y_pred, y), loss_backward(y_pred, y)
    logits, labels = _check_logits("softmax_cross_entropy", y_pred, y)
    n = len(labels)
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, C), as in softmax_cross_entropy
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)  # (N, 1)
    loss = float((np.log(total[:, 0]) - shifted[rows, labels]).sum()) / n
    grad = exp / total  # softmax(logits), as in softmax_cross_entropy_backward
    grad[rows, labels] -= 1
    grad /= n
    return loss, grad


#: Loss name -> (loss(y_pred, y), gradient with respect to y_pred).
LOSSES = MappingProxyType(
    {
        "softmax_cross_entropy": (softmax_cross_entropy, softmax_cross_entropy_backward),
        "sigmoid_cross_entropy": (sigmoid_cross_entropy, sigmoid_cross_entropy_backward),
        "mse": (mse_loss, mse_loss_backward),
    }
)


def get_loss(fn: str, name):
    """Return ``(loss, loss_backward)`` for a loss name, or raise a ValueError listing the names."""
    if not isinstance(name, str) or name not in LOSSES:
        names = ", ".join(repr(n) for n in LOSSES)
        raise ValueError(f"{fn}: loss must be one of {names}; got {name!r}")
    return LOSSES[name]
