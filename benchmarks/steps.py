"""The train steps being compared: nnlib, the fused numpy reference, and PyTorch (if installed).

Each ``*_step`` returns a function that takes one SGD step and keeps the new
parameters for the next call, as a training loop does. (Throwing the new
parameters away after each step instead makes glibc return the freed memory to
the OS and fault it back in on the next step: a cost of the benchmark, not of
the library.)
"""

from __future__ import annotations

import numpy as np

import nnlib
from benchmarks.fused import fused_train_step


def make_problem(sizes, batch, dtype, seed=0):
    """He-initialised parameters of an MLP with widths ``sizes``, and a random batch: (params, X, labels)."""
    rng = np.random.default_rng(seed)
    params = [nnlib.Dense(p.W.astype(dtype), p.b.astype(dtype)) for p in nnlib.init_mlp(sizes, rng)]
    X = rng.normal(size=(batch, sizes[0])).astype(dtype)
    labels = rng.integers(0, sizes[-1], size=batch)
    return params, X, labels


def nnlib_step(params, X, labels, lr=0.01):
    """``loss_and_gradients`` + ``sgd_step``: the train step of ``nnlib.train``."""

    def step():
        nonlocal params
        _, grads = nnlib.loss_and_gradients(params, X, labels)
        params = nnlib.sgd_step(params, grads, lr)

    return step


def fused_step(params, X, labels, lr=0.01):
    """The hand-fused numpy step of :mod:`benchmarks.fused` on the same parameters."""
    Ws = [p.W for p in params]
    bs = [p.b for p in params]

    def step():
        nonlocal Ws, bs
        Ws, bs, _ = fused_train_step(Ws, bs, X, labels, lr)

    return step


def torch_model(params):
    """The same MLP as ``torch.nn.Sequential`` of Linear and ReLU layers, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    dtype = torch.float64 if params[0].W.dtype == np.float64 else torch.float32
    layers = []
    for i, p in enumerate(params):
        linear = torch.nn.Linear(*p.W.shape, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(p.W.T.copy()))
            linear.bias.copy_(torch.from_numpy(p.b))
        layers.append(linear)
        if i < len(params) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def torch_step(params, X, labels, lr=0.01):
    """The same net in torch.nn with torch.optim.SGD (in place), or None when torch is not installed."""
    model = torch_model(params)
    if model is None:
        return None
    import torch

    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.from_numpy(X)
    y = torch.from_numpy(labels)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    return step
