"""A multi-layer perceptron: a list of dense layers (lessons 03, 09, 11).

``params`` is a list of ``Dense(W, b)``, one per layer; gradients come back as
the same structure, ``Dense(dW, db)``. Hidden layers share one activation;
the output layer has its own (``"identity"`` gives logits for a loss).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from nnlib._validate import as_float_array, require_choice, require_int, require_ndim
from nnlib.activations import get_activation
from nnlib.layers import DenseCache, activation_backward, dense_backward, dense_forward
from nnlib.losses import get_loss


class Dense(NamedTuple):
    """Parameters of one dense layer (or their gradients, ``Dense(dW, db)``)."""

    W: np.ndarray  #: (D_in, D_out)
    b: np.ndarray  #: (D_out,)


INITS = ("he", "xavier", "normal")


def init_mlp(sizes, rng, init="he", weight_std=None):
    r"""Random initial parameters for an MLP with layer widths ``sizes``.

    Weights are drawn from :math:`\mathcal N(0, \sigma^2)` with

    ========  ===============================================  ======================
    init      :math:`\sigma`                                    keeps stable
    ========  ===============================================  ======================
    he        :math:`\sqrt{2 / D_{in}}`                          ReLU activations
    xavier    :math:`\sqrt{2 / (D_{in} + D_{out})}`              tanh/sigmoid
    normal    ``weight_std`` (default 0.01)                     nothing: for comparison
    ========  ===============================================  ======================

    Biases start at zero.

    Parameters
    ----------
    sizes : sequence of int, e.g. (64, 64, 10) = input width, hidden width(s), output width
    rng : np.random.Generator
    init : {"he", "xavier", "normal"}
    weight_std : float, only for ``init="normal"``

    Returns
    -------
    list of Dense(W (D_in, D_out), b (D_out,)), float64, one per layer
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"init_mlp: rng must be a np.random.Generator such as np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )
    require_choice("init_mlp", "init", init, INITS)
    if weight_std is not None and init != "normal":
        raise ValueError(f"init_mlp: weight_std is only used with init='normal'; got init={init!r}")
    sizes = [require_int("init_mlp", f"sizes[{i}]", s, 1) for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"init_mlp: sizes needs at least 2 widths (input, output); got {sizes}")
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        if init == "he":
            std = np.sqrt(2 / fan_in)
        elif init == "xavier":
            std = np.sqrt(2 / (fan_in + fan_out))
        else:
            std = 0.01 if weight_std is None else weight_std
        params.append(Dense(rng.normal(0.0, std, size=(fan_in, fan_out)), np.zeros(fan_out)))
    return params


def _check_params(fn: str, params):
    if not isinstance(params, list | tuple) or len(params) == 0:
        raise TypeError(f"{fn}: params must be a non-empty list of Dense(W, b); got {params!r:.80}")
    for i, layer in enumerate(params):
        if not (isinstance(layer, tuple) and len(layer) == 2):
            raise TypeError(f"{fn}: params[{i}] must be Dense(W, b); got {type(layer).__name__}")
    return [Dense(*layer) for layer in params]


def mlp_forward(X, params, hidden="relu", output="identity"):
    r"""Forward pass through every layer: :math:`A^{(l)} = f_l(A^{(l-1)} W^{(l)} + b^{(l)})`.

    Parameters
    ----------
    X : (N, D_0) inputs
    params : list of Dense, layer l has W (D_{l-1}, D_l)
    hidden : activation of every hidden layer
    output : activation of the last layer ("identity" returns logits)

    Returns
    -------
    out : ndarray (N, D_L)
    caches : list of DenseCache, one per layer, for :func:`mlp_backward`
    """
    params = _check_params("mlp_forward", params)
    get_activation("mlp_forward", hidden)
    get_activation("mlp_forward", output)
    A = as_float_array("mlp_forward", "X", X)
    require_ndim("mlp_forward", "X", A, 2, "(N, D_0)")  # name mlp_forward, not dense_forward
    caches = []
    for i, (W, b) in enumerate(params):
        activation = output if i == len(params) - 1 else hidden
        A, cache = dense_forward(A, W, b, activation)  # (N, D_i)
        caches.append(cache)
    return A, caches


def predict(X, params, hidden="relu"):
    """Predicted class ids: the argmax of the logits, or logit > 0 for a single output.

    Returns an int64 array of shape (N,).
    """
    logits, _ = mlp_forward(X, params, hidden)
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).astype(np.int64)
    return logits.argmax(axis=1)


def mlp_backward(dout, caches, params, hidden="relu", output="identity"):
    r"""Backward pass from the output to the first layer.

    For l = L, ..., 1:  :math:`dZ^{(l)} = dA^{(l)} \odot f_l'(Z^{(l)})`, then
    :func:`dense_backward` gives :math:`dW^{(l)}`, :math:`db^{(l)}` and
    :math:`dA^{(l-1)} = dZ^{(l)} W^{(l)\top}`, the upstream gradient of the layer below.

    Parameters
    ----------
    dout : (N, D_L) gradient of the loss with respect to the network's output
    caches : list of DenseCache from :func:`mlp_forward`
    params : list of Dense, the same used in the forward pass
    hidden, output : the activations used in the forward pass

    Returns
    -------
    grads : list of Dense(dW, db), shaped like ``params``
    """
    params = _check_params("mlp_backward", params)
    get_activation("mlp_backward", hidden)
    get_activation("mlp_backward", output)
    if not isinstance(caches, list | tuple) or not all(isinstance(c, DenseCache) for c in caches):
        seq = isinstance(caches, list | tuple)
        kinds = [type(c).__name__ for c in caches] if seq else type(caches).__name__
        raise TypeError(f"mlp_backward: caches must be the list of DenseCache from mlp_forward; got {kinds}")
    if len(caches) != len(params):
        raise ValueError(
            f"mlp_backward: need one cache per layer; got {len(caches)} caches for {len(params)} layers"
        )
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        activation = output if i == len(params) - 1 else hidden
        dZ = activation_backward(dA, caches[i].Z, activation)  # (N, D_i)
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)  # dA: (N, D_{i-1})
        grads[i] = Dense(dW, db)
    return grads


def loss_and_gradients(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    """Forward pass, loss and backward pass of an MLP whose output layer gives logits.

    Parameters
    ----------
    params : list of Dense;  X : (N, D_0)
    y : targets: (N,) integer labels for "softmax_cross_entropy", (N, D_L) values for
        "mse", (N, 1) values in [0, 1] for "sigmoid_cross_entropy"
    loss : name of the loss;  hidden : activation of the hidden layers

    Returns
    -------
    loss_value : float
    grads : list of Dense(dW, db), shaped like ``params``
    """
    loss_fn, loss_backward = get_loss("loss_and_gradients", loss)
    logits, caches = mlp_forward(X, params, hidden, output="identity")
    value = loss_fn(logits, y)
    grads = mlp_backward(loss_backward(logits, y), caches, params, hidden, output="identity")
    return value, grads


def gradient_norms(grads):
    r"""Euclidean (Frobenius) norm of each layer's weight gradient, :math:`\lVert dW^{(l)}\rVert`.

    Returns an ndarray (L,), one norm per layer, first layer first.
    """
    grads = _check_params("gradient_norms", grads)
    return np.array([np.sqrt(np.sum(as_float_array("gradient_norms", "dW", g.W) ** 2)) for g in grads])


def dead_relu_fraction(caches):
    """Fraction of *dead* ReLU units in each hidden layer.

    A unit is dead on a batch when its pre-activation is <= 0 for every example:
    its output and its gradient are then 0, so it cannot learn.

    Parameters
    ----------
    caches : list of DenseCache from :func:`mlp_forward`; the last (output) layer is skipped

    Returns
    -------
    ndarray (L - 1,) of fractions in [0, 1]
    """
    if not isinstance(caches, list | tuple) or not all(isinstance(c, DenseCache) for c in caches):
        raise TypeError("dead_relu_fraction: caches must be the list of DenseCache from mlp_forward")
    fractions = []
    for i, cache in enumerate(caches[:-1]):
        require_ndim("dead_relu_fraction", f"caches[{i}].Z", cache.Z, 2, "(N, D)")
        fractions.append(np.mean(np.all(cache.Z <= 0, axis=0)))
    return np.array(fractions, dtype=np.float64)
