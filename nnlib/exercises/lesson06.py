"""Exercises and concept questions of lesson 06, backpropagation in a sigmoid neuron.

The known mistakes of ``neuron_gradients`` (a forgotten 1/N, y - a instead of
a - y, X @ dz instead of X.T @ dz, z used in place of a = σ(z), an extra
σ'(z) factor) are listed as small functions (``Exercise.mistakes``); ``check()``
names the one a wrong result matches.
"""

from __future__ import annotations

import numpy as np

from nnlib.activations import sigmoid
from nnlib.exercises import Case, Exercise, Mistake, Question
from nnlib.losses import binary_cross_entropy
from nnlib.neuron import neuron_gradients


def _labels(rng, n):
    y = rng.integers(0, 2, size=n).astype(np.float64)
    y[0], y[-1] = 0.0, 1.0  # both classes, whatever the seed (when n > 1)
    return y


def _neuron_cases(rng):
    def case(name, n, d, scale=1.0, y=None):
        X = rng.normal(size=(n, d))
        return Case(name, (X, _labels(rng, n) if y is None else y, rng.normal(size=d) * scale,
                           float(rng.normal())))

    return [
        case("3 examples, 3 features (square X, so that X @ dz runs)", 3, 3),
        case("8 examples, 2 features", 8, 2),
        case("batch of 1 (y = 1)", 1, 4, y=np.ones(1)),
        case("one feature, 5 examples", 5, 1),
        _large_z_case(rng),
        Case("zero weights and bias: a = 0.5 everywhere", (rng.normal(size=(4, 2)), _labels(rng, 4),
                                                            np.zeros(2), 0.0)),
        case("all labels 1", 5, 3, y=np.ones(5)),
    ]


def _large_z_case(rng):
    """Weights scaled so that max |z| is exactly 20: saturated, yet 1 - a stays > 0 in float64."""
    X, w, b = rng.normal(size=(6, 3)), rng.normal(size=3), float(rng.normal())
    scale = 20.0 / np.max(np.abs(X @ w + b))
    return Case("confidently wrong and right: |z| up to 20", (X, _labels(rng, 6), w * scale, b * scale))


def _neuron_hidden_cases(rng):
    return [
        Case("64 examples, 10 features", (rng.normal(size=(64, 10)), _labels(rng, 64),
                                          rng.normal(size=10), 0.3)),
        Case("2 examples, 7 features", (rng.normal(size=(2, 7)), np.array([1.0, 0.0]),
                                        rng.normal(size=7), -1.0)),
    ]


def _forward(X, y, w, b):
    a = sigmoid(X @ w + b)
    return a, binary_cross_entropy(a, y)


def _forgot_mean(X, y, w, b):
    a, loss = _forward(X, y, w, b)
    return loss, X.T @ (a - y), float(np.sum(a - y))


def _sign_flipped(X, y, w, b):
    a, loss = _forward(X, y, w, b)
    dz = (y - a) / len(y)
    return loss, X.T @ dz, float(dz.sum())


def _no_transpose(X, y, w, b):
    a, loss = _forward(X, y, w, b)
    dz = (a - y) / len(y)
    return loss, X @ dz, float(dz.sum())


def _z_for_a(X, y, w, b):
    z = X @ w + b
    _, loss = _forward(X, y, w, b)
    dz = (z - y) / len(y)
    return loss, X.T @ dz, float(dz.sum())


def _extra_sigmoid_derivative(X, y, w, b):
    a, loss = _forward(X, y, w, b)
    dz = (a - y) * a * (1 - a) / len(y)
    return loss, X.T @ dz, float(dz.sum())


def _db_mean(X, y, w, b):
    a, loss = _forward(X, y, w, b)
    dz = (a - y) / len(y)
    return loss, X.T @ dz, float(dz.mean())


def _db_not_summed(X, y, w, b):
    a, loss = _forward(X, y, w, b)
    dz = (a - y) / len(y)
    return loss, X.T @ dz, dz


def _summed_loss(X, y, w, b):
    a, loss = _forward(X, y, w, b)
    dz = (a - y) / len(y)
    return loss * len(y), X.T @ dz, float(dz.sum())


_NEURON_MISTAKES = (
    Mistake("every gradient is N times too large: you forgot the 1/N. L is the mean over the batch, "
            "so dL/dz = (a - y) / N", _forgot_mean),
    Mistake("the sign is flipped: dL/dz = a - y, not y - a (a step along -dL/dw would then go uphill)",
            _sign_flipped),
    Mistake("X @ dz multiplies from the wrong side: each weight sums x_ij · dz_i over the examples i, "
            "which is X.T @ dz (shape (D,))", _no_transpose),
    Mistake("you used z where a = sigmoid(z) belongs: dL/dz = (a - y) / N", _z_for_a),
    Mistake("you multiplied by σ'(z) = a(1 - a) again: it already cancelled against dL/da, "
            "which leaves dL/dz = (a - y) / N", _extra_sigmoid_derivative),
    Mistake("db must be one number: b is added to every z_i, so its gradient sums dz over the batch "
            "(db = dz.sum())", _db_not_summed),
    Mistake("db is the mean of dz, so you divided by N twice: db = sum of dz_i = sum of (a - y) / N",
            _db_mean),
    Mistake("the loss is summed over the batch; it must be the mean (binary_cross_entropy does it)",
            _summed_loss),
)

EXERCISES = (
    Exercise(
        id="neuron_gradients",
        lesson="06",
        task="return (loss, dw, db) of a sigmoid neuron with the mean BCE loss over the batch",
        reference=neuron_gradients,
        make_cases=_neuron_cases,
        hidden_cases=_neuron_hidden_cases,
        arg_names=("X", "y", "w", "b"),
        prerequisites=("sigmoid", "binary_cross_entropy"),
        mistakes=_NEURON_MISTAKES,
        hints=(
            "Run the forward pass first (z, a and the loss), then go backward from "
            "dL/dz = (a - y) / N: the sigmoid's derivative has already cancelled.",
            "z = X @ w + b and a = sigmoid(z) have shape (N,); the loss is binary_cross_entropy(a, y). "
            "With dz = (a - y) / N, every weight's gradient sums x_ij · dz_i over the examples: X.T @ dz, "
            "shape (D,). b is added to every z_i, so db = dz.sum().",
            "a = sigmoid(X @ w + b); dz = (a - y) / len(y); "
            "return binary_cross_entropy(a, y), X.T @ dz, float(dz.sum())",
        ),
    ),
)

QUESTIONS = (
    Question(
        id="q06_1",
        lesson="06",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "0.5 is the sum (0.9 - 0) + (0.6 - 1) = 0.5. The loss is the mean over the batch, so "
            "each dL/dz_i carries a 1/N: divide by N = 2.",
            "b": "dL/db = Σ (a_i - y_i) / N = (0.9 - 0.4) / 2 = 0.25. It is positive, so gradient descent "
            "lowers b: the confidently wrong first example outweighs the second.",
            "c": "That is Σ (y_i - a_i) / N, with the sign flipped. dL/dz = a - y: the first example "
            "predicts 0.9 for a 0, so it pushes dL/db up.",
            "d": "(0.9 + 0.4) / 2 adds the sizes of the errors. Gradients keep their signs: the second "
            "example's -0.4 partly cancels the first one's +0.9.",
        },
    ),
)
