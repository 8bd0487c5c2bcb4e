"""Debugging a training run (lesson 11): checks to run before a long training, and runs with planted bugs.

- :func:`tiny_overfit` trains a deep net on 20 digits: a sound setup drives the training loss to
  about 0 within a couple of hundred steps; a broken one cannot, and how it fails says why.
- :func:`label_entropy` is the lowest loss a network can reach by predicting class frequencies
  alone: where a net whose hidden units all died gets stuck.
- :func:`planted_bug_runs` gives three training setups with one bug each, to diagnose.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nnlib._validate import as_labels
from nnlib.data import load_digits
from nnlib.losses import _loss_and_gradient
from nnlib.mlp import Dense, _mlp_backward, _mlp_forward, dead_relu_fraction, gradient_norms, init_mlp
from nnlib.training import accuracy

#: The deep net of the overfitting check: 64 inputs, four hidden ReLU layers of 32, 10 logits: 5 layers.
TINY_SIZES = (64, 32, 32, 32, 32, 10)
#: How many full-batch steps the overfitting check takes, and the loss it must get below.
TINY_STEPS, TINY_TARGET = 100, 0.05


def _digits_01():
    X, y = load_digits()
    return X / 16.0, y  # pixels in [0, 1]


def _positive(fn: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{fn}: {name} must be a number; got {type(value).__name__} {value!r:.40}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{fn}: {name} must be a finite number > 0; got {name}={value!r}")
    return value


class OverfitReport(NamedTuple):
    """What :func:`tiny_overfit` measured: the loss of every step, and the net's state at the end."""

    losses: list  #: the full-batch training loss before each step (len = steps), then after the last
    accuracy: float  #: training accuracy after the last step
    dead: float  #: the largest fraction of dead units in a hidden layer after training
    first_layer_norm: float  #: the norm of the first layer's weight gradient at initialization

    @property
    def overfits(self) -> bool:
        """True when the net memorised its examples: the last loss below TINY_TARGET, every one right."""
        return bool(math.isfinite(self.losses[-1]) and self.losses[-1] < TINY_TARGET and self.accuracy == 1.0)


def tiny_overfit(lr, weight_std, *, seed=0, steps=TINY_STEPS, n=20) -> OverfitReport:
    """Full-batch gradient descent of the 5-layer ReLU net :data:`TINY_SIZES` on the first ``n`` digits.

    Weights are drawn with ``init_mlp(TINY_SIZES, default_rng(seed), init="normal",
    weight_std=weight_std)``; the inputs are the pixels scaled to [0, 1].

    Parameters
    ----------
    lr : float > 0, the learning rate;  weight_std : float > 0, the std of every initial weight
    seed : int, the seed of the initialization;  steps : int >= 1;  n : int, how many digits

    Returns
    -------
    OverfitReport; a run that overflows stops early, with inf or NaN as its last loss
    """
    fn = "tiny_overfit"
    lr, weight_std = _positive(fn, "lr", lr), _positive(fn, "weight_std", weight_std)
    X, y = _digits_01()
    X, y = X[:n], y[:n]
    params = init_mlp(TINY_SIZES, np.random.default_rng(seed), init="normal", weight_std=weight_std)
    losses, first_norm = [], None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a diverging run is data here
        for _ in range(steps + 1):
            # loss_and_gradients and sgd_step, without their argument checks: they cost more than
            # the arithmetic for a net this small, and this runs in lesson 11 and in its check
            logits, caches = _mlp_forward(X, params, "relu", "identity")
            loss, dout = _loss_and_gradient("softmax_cross_entropy", logits, y)
            losses.append(float(loss))
            if len(losses) > steps or not math.isfinite(loss):
                break
            grads = _mlp_backward(dout, caches, params, "relu", "identity")
            if first_norm is None:
                first_norm = float(gradient_norms(grads)[0])
            params = [Dense(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, grads, strict=True)]
        finite = bool(np.all(np.isfinite(logits)))
    return OverfitReport(losses, accuracy(logits, y) if finite else 0.0,
                         float(dead_relu_fraction(caches).max()), first_norm)


def label_entropy(labels) -> float:
    r"""The entropy :math:`-\sum_c \pi_c \ln \pi_c` of the class frequencies :math:`\pi_c` of ``labels``.

    It is the lowest mean cross-entropy of a prediction that is the same for every example
    (the best such prediction is the frequencies themselves), so a network whose hidden
    units all died, and whose logits are its last biases, can get no lower.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"label_entropy: labels must be a non-empty 1-D array; got shape {labels.shape}")
    labels = as_labels("label_entropy", labels, len(labels), int(labels.max(initial=0)) + 1)
    frequencies = np.bincount(labels) / len(labels)
    frequencies = frequencies[frequencies > 0]
    return float(-np.sum(frequencies * np.log(frequencies)))


def overfit_settings():
    """nnlib's answer to lesson 11's exercise: a learning rate and a weight std that overfit 20 digits."""
    return 0.3, 0.2


class Run(NamedTuple):
    """One training setup: data, a starting network and the training settings."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    params: list
    lr: float
    epochs: int
    batch_size: int


#: The bug planted in each run of :func:`planted_bug_runs` (the lesson's questions ask for them).
PLANTED_BUGS = {"A": "mispaired labels", "B": "a learning rate that kills the ReLUs", "C": "unscaled inputs"}


def planted_bug_runs() -> dict[str, Run]:
    """Three setups for a 64-32-10 ReLU net on 600 training digits, each with one planted bug.

    Every run trains well apart from its bug: with it, one of lesson 11's checks (the initial
    loss, overfitting 20 examples, dead units, test accuracy against chance) goes wrong. Which
    bug is in which run is in :data:`PLANTED_BUGS`; find it with the checks first.
    """
    X, y = _digits_01()
    order = np.random.default_rng(11).permutation(len(X))
    train_rows, test_rows = order[:600], order[600:900]
    X_train, y_train, X_test, y_test = X[train_rows], y[train_rows], X[test_rows], y[test_rows]

    def start(seed):
        return [Dense(p.W.copy(), p.b.copy()) for p in init_mlp((64, 32, 10), np.random.default_rng(seed))]

    mispaired = np.random.default_rng(12).permutation(y_train)  # the labels of other images
    return {
        "A": Run(X_train, mispaired, X_test, y_test, start(1), lr=0.5, epochs=5, batch_size=32),
        "B": Run(X_train, y_train, X_test, y_test, start(2), lr=8.0, epochs=5, batch_size=32),
        "C": Run(X_train * 16, y_train, X_test * 16, y_test, start(3), lr=0.5, epochs=5, batch_size=32),
    }
