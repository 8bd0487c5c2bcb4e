"""Gradient descent (lesson 07)."""

from __future__ import annotations

from nnlib._validate import require_positive
from nnlib.mlp import Dense, _check_params


def sgd_step(params, grads, lr):
    r"""One step of gradient descent: :math:`\theta \leftarrow \theta - \eta\,\nabla_\theta L`.

    Pure: returns new parameters and leaves ``params`` unchanged.

    Parameters
    ----------
    params : list of Dense(W, b)
    grads : list of Dense(dW, db), shaped like ``params``
    lr : float > 0, the learning rate :math:`\eta`

    Returns
    -------
    list of Dense(W - lr * dW, b - lr * db)
    """
    lr = require_positive("sgd_step", "lr", lr)  # a Python float: float32 params stay float32
    params = _check_params("sgd_step", params)
    grads = _check_params("sgd_step", grads, "grads")
    if len(params) != len(grads):
        raise ValueError(
            f"sgd_step: need one gradient per layer; got {len(grads)} grads for {len(params)} layers"
        )
    new_params = []
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        if g.W.shape != p.W.shape or g.b.shape != p.b.shape:
            name, value, grad = ("W", p.W, g.W) if g.W.shape != p.W.shape else ("b", p.b, g.b)
            raise ValueError(
                f"sgd_step: grads[{i}].d{name} must have the shape of params[{i}].{name}; "
                f"got {grad.shape} vs {value.shape}"
            )
        new_params.append(Dense(p.W - lr * g.W, p.b - lr * g.b))
    return new_params
