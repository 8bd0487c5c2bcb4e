"""The train steps being compared: nnlib, the fused numpy reference, and PyTorch (if installed)."""

from __future__ import annotations

import numpy as np

import nnlib
from benchmarks.fused import fused_train_step


def make_problem(sizes, batch, dtype, seed=0):
    rng = np.random.default_rng(seed)
    params = [nnlib.Dense(p.W.astype(dtype), p.b.astype(dtype)) for p in nnlib.init_mlp(sizes, rng)]
    X = rng.normal(size=(batch, sizes[0])).astype(dtype)
    labels = rng.integers(0, sizes[-1], size=batch)
    return params, X, labels


def nnlib_step(params, X, labels, lr=0.01):
    def step():
        _, grads = nnlib.loss_and_gradients(params, X, labels)
        return nnlib.sgd_step(params, grads, lr)

    return step


def fused_step(params, X, labels, lr=0.01):
    Ws = [p.W for p in params]
    bs = [p.b for p in params]
    return lambda: fused_train_step(Ws, bs, X, labels, lr)


def torch_step(params, X, labels, lr=0.01):
    """The same net in torch.nn with torch.optim.SGD, or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    layers = []
    for i, p in enumerate(params):
        linear = torch.nn.Linear(*p.W.shape, dtype=torch.float64 if p.W.dtype == np.float64 else torch.float32)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(p.W.T.copy()))
            linear.bias.copy_(torch.from_numpy(p.b))
        layers.append(linear)
        if i < len(params) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
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
