"""A multi-layer perceptron: a list of dense layers (lessons 03, 09, 11).

``params`` is a list of ``Dense(W, b)``, one per layer; gradients come back as
the same structure, ``Dense(dW, db)``. Hidden layers share one activation;
the output layer has its own (``"identity"`` gives logits for a loss).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from nnlib._validate import (
    as_float_array,
    is_float_array,
    require_choice,
    require_int,
    require_ndim,
    require_positive,
    require_same_shape,
)
from nnlib.activations import ACTIVATIONS, get_activation
from nnlib.layers import DenseCache, _dense_backward
from nnlib.losses import _loss_and_gradient, get_loss


class Dense(NamedTuple):
    """Parameters of one dense layer (or their gradients, ``Dense(dW, db)``)."""

    W: np.ndarray  #: (D_in, D_out)
    b: np.ndarray  #: (D_out,)


INITS = ("he", "xavier", "normal")


def init_mlp(sizes, rng, init="he", weight_std=None):
    r"""Random initial parameters for an MLP with layer widths ``sizes``.

    Weights are drawn from :math:`\mathcal N(0, \sigma^2)` with

    ========  ===============================================  ==================================
    init      :math:`\sigma`                                    made for
    ========  ===============================================  ==================================
    he        :math:`\sqrt{2 / D_{in}}`                          ReLU (it zeroes half of its inputs)
    xavier    :math:`\sqrt{2 / (D_{in} + D_{out})}`              tanh (zero-centred, f'(0) = 1)
    normal    ``weight_std`` (default 0.01)                     nothing: for comparison
    ========  ===============================================  ==================================

    Xavier (Glorot) assumes an activation that is zero-centred with slope 1 at 0: tanh. The
    sigmoid is neither (mean 1/2, slope 1/4), and its gradients still vanish with Xavier.

    Biases start at zero.

    Parameters
    ----------
    sizes : sequence of int, e.g. (64, 64, 10) = input width, hidden width(s), output width
    rng : np.random.Generator
    init : {"he", "xavier", "normal"}
    weight_std : float > 0, only for ``init="normal"``

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
    if weight_std is not None:
        weight_std = require_positive("init_mlp", "weight_std", weight_std)
    if isinstance(sizes, str | bytes) or not hasattr(sizes, "__iter__"):
        raise TypeError(
            f"init_mlp: sizes must be a sequence of layer widths such as (64, 32, 10); "
            f"got {type(sizes).__name__} {sizes!r:.60}"
        )
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
    X = _check_inputs("mlp_forward", X, params)
    return _mlp_forward(X, params, hidden, output)


def _mlp_forward(X, params, hidden, output):
    """The loop of :func:`mlp_forward`, for callers that have checked every argument."""
    A = X
    caches = []
    for i, (W, b) in enumerate(params):
        f, _ = ACTIVATIONS[output if i == len(params) - 1 else hidden]
        Z = A @ W + b  # (N, D_{i+1}): dense_forward, without its checks (i counts from 0)
        caches.append(DenseCache(A, Z))
        A = f(Z)
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
    The first layer's :math:`dA^{(0)}`, the gradient of the data X, is not needed and not computed.

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
    caches = _check_caches("mlp_backward", caches, params)
    dout = as_float_array("mlp_backward", "dout", dout)
    require_same_shape("mlp_backward", "dout", dout, "caches[-1].Z", caches[-1].Z)
    return _mlp_backward(dout, caches, params, hidden, output)


def _mlp_backward(dout, caches, params, hidden, output):
    """The loop of :func:`mlp_backward`, for callers that have checked every argument."""
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        activation = output if i == len(params) - 1 else hidden
        _, f_prime = ACTIVATIONS[activation]
        X, Z = caches[i]
        # activation_backward, then dense_backward, without their checks
        dZ = dA if activation == "identity" else dA * f_prime(Z)  # (N, D_i); identity: f'(z) = 1
        dA, dW, db = _dense_backward(dZ, X, params[i].W, input_grad=i > 0)  # dA (N, D_{i-1}); layer 0: None
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
    get_loss("loss_and_gradients", loss)
    params = _check_params("loss_and_gradients", params)
    get_activation("loss_and_gradients", hidden)
    X = _check_inputs("loss_and_gradients", X, params)
    # What mlp_forward, the loss, its backward and mlp_backward compute, with every check done
    # once (above; y in the loss): the caches are our own, and the loss shares its softmax.
    logits, caches = _mlp_forward(X, params, hidden, "identity")
    value, dout = _loss_and_gradient(loss, logits, y)  # loss(logits, y), loss_backward(logits, y)
    grads = _mlp_backward(dout, caches, params, hidden, "identity")
    return value, grads


def gradient_norms(grads):
    r"""Euclidean (Frobenius) norm of each layer's weight gradient, :math:`\lVert dW^{(l)}\rVert`.

    Returns an ndarray (L,), one norm per layer, first layer first.
    """
    grads = _check_params("gradient_norms", grads, "grads")
    return np.array([np.sqrt(np.sum(g.W**2)) for g in grads])


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
        Z = as_float_array("dead_relu_fraction", f"caches[{i}].Z", cache.Z)
        require_ndim("dead_relu_fraction", f"caches[{i}].Z", Z, 2, "(N, D)")
        fractions.append(np.mean(np.all(Z <= 0, axis=0)))
    return np.array(fractions, dtype=np.float64)


# --------------------------------------------------------------------------- #
# Argument checks. They run on every call of the training loop, so they only
# look at types and shapes, and they never copy an array that is fine already.


def _check_params(fn: str, params, name="params"):
    """Return ``params`` as a list of Dense of float arrays, or raise naming the bad layer.

    ``name="grads"`` makes the messages speak of grads[i].dW and grads[i].db.
    """
    if not isinstance(params, list | tuple) or len(params) == 0:
        raise TypeError(f"{fn}: {name} must be a non-empty list of Dense(W, b); got {params!r:.80}")
    w_name, b_name = ("dW", "db") if name == "grads" else ("W", "b")
    checked = []
    for i, layer in enumerate(params):
        if not (isinstance(layer, tuple) and len(layer) == 2):
            raise TypeError(f"{fn}: {name}[{i}] must be Dense(W, b); got {type(layer).__name__}")
        W, b = layer
        if not (type(layer) is Dense and is_float_array(W) and is_float_array(b)):  # a tuple, lists, ints
            layer = Dense(as_float_array(fn, f"{name}[{i}].{w_name}", W),
                          as_float_array(fn, f"{name}[{i}].{b_name}", b))
        checked.append(layer)
    return checked


def _check_layer_shapes(fn: str, params, n_inputs: int, inputs: str = "X.shape[1]") -> None:
    """Raise unless each layer's W and b fit the output width of the layer before.

    ``n_inputs`` is the width of the network's input, called ``inputs`` in messages.
    """
    width = n_inputs  # the width of the previous layer's output
    for i, (W, b) in enumerate(params):
        if W.ndim != 2:
            raise ValueError(
                f"{fn}: params[{i}].W must be 2-D (D_in, D_out); got params[{i}].W.shape={W.shape}"
            )
        if W.shape[0] != width:
            source = inputs if i == 0 else f"the width of layer {i - 1}'s output"
            raise ValueError(
                f"{fn}: params[{i}].W.shape[0] must equal {source} ({width}); "
                f"got params[{i}].W.shape={W.shape}"
            )
        if b.shape != (W.shape[1],):
            raise ValueError(
                f"{fn}: params[{i}].b must have shape (D_out,) = ({W.shape[1]},); "
                f"got params[{i}].b.shape={b.shape}"
            )
        width = W.shape[1]


def _check_inputs(fn: str, X, params):
    """Return X as a float array (N, D_0) that fits ``params`` (checked by _check_params), or raise."""
    X = as_float_array(fn, "X", X)
    require_ndim(fn, "X", X, 2, "(N, D_0)")
    _check_layer_shapes(fn, params, X.shape[1])
    return X


def _check_caches(fn: str, caches, params):
    """Return the caches as a list of DenseCache of float arrays that fit ``params``, or raise."""
    if not isinstance(caches, list | tuple) or not all(isinstance(c, DenseCache) for c in caches):
        seq = isinstance(caches, list | tuple)
        kinds = [type(c).__name__ for c in caches] if seq else type(caches).__name__
        raise TypeError(f"{fn}: caches must be the list of DenseCache from mlp_forward; got {kinds}")
    if len(caches) != len(params):
        raise ValueError(f"{fn}: need one cache per layer; got {len(caches)} caches for {len(params)} layers")
    checked = []
    for i, cache in enumerate(caches):
        X, Z = cache
        if not (is_float_array(X) and is_float_array(Z)):  # lists, ints
            cache = DenseCache(as_float_array(fn, f"caches[{i}].X", X),
                               as_float_array(fn, f"caches[{i}].Z", Z))
        checked.append(cache)
    require_ndim(fn, "caches[0].X", checked[0].X, 2, "(N, D_0)")
    n, n_inputs = checked[0].X.shape
    _check_layer_shapes(fn, params, n_inputs, "caches[0].X.shape[1]")
    for i, ((X, Z), (W, _)) in enumerate(zip(checked, params, strict=True)):
        if X.shape != (n, W.shape[0]) or Z.shape != (n, W.shape[1]):
            raise ValueError(
                f"{fn}: caches[{i}] must fit params[{i}].W.shape={W.shape} with N={n} examples, "
                f"X (N, D_in) and Z (N, D_out); got caches[{i}].X.shape={X.shape}, "
                f"caches[{i}].Z.shape={Z.shape}"
            )
    return checked
