"""Exercises and concept questions of lesson 08, layer backprop.

Gradients are arrays, so the judge's generic diagnosis already recognises most
bugs (doubled, wrong sign, transposed, N times too small, one axis too many).
The known mistakes below name the rest: f(Z) where f'(Z) belongs, dZ @ W
without the transpose, db taken from one row or along the wrong axis, a
forgotten one-hot or 1/N.
"""

from __future__ import annotations

import numpy as np

from nnlib.activations import ACTIVATIONS, softmax
from nnlib.exercises import Case, Exercise, Mistake, Question
from nnlib.layers import DenseCache, activation_backward, dense_backward
from nnlib.losses import softmax_cross_entropy_backward

# --------------------------------------------------------------------------- #
# activation_backward
# --------------------------------------------------------------------------- #


def _activation_case(rng, name, activation, shape, scale=2.0, dtype=np.float64):
    dA = rng.normal(size=shape).astype(dtype)
    Z = (rng.normal(size=shape) * scale).astype(dtype)
    return Case(name, (dA, Z, activation))


def _activation_cases(rng):
    kink = np.array([[0.0, 1.5, -2.0], [0.0, -0.5, 3.0]])
    return [
        _activation_case(rng, "relu, 4 examples × 3 units", "relu", (4, 3)),
        _activation_case(rng, "sigmoid, 5 × 2", "sigmoid", (5, 2)),
        _activation_case(rng, "tanh, 3 × 4", "tanh", (3, 4)),
        _activation_case(rng, "identity, 2 × 5", "identity", (2, 5)),
        Case("relu at the kink Z = 0 (ReLU'(0) = 0 in this course)", (rng.normal(size=(2, 3)), kink, "relu")),
        _activation_case(rng, "batch of 1, sigmoid", "sigmoid", (1, 4)),
        _activation_case(rng, "sigmoid saturated, |Z| up to 1e4", "sigmoid", (3, 3), scale=5e3),
        _activation_case(rng, "tanh saturated, |Z| up to 1e4", "tanh", (3, 3), scale=5e3),
        _activation_case(rng, "float32 stays float32 (tanh)", "tanh", (4, 2), dtype=np.float32),
    ]


def _activation_hidden_cases(rng):
    return [
        _activation_case(rng, "relu, 16 × 8", "relu", (16, 8)),
        _activation_case(rng, "float32 sigmoid", "sigmoid", (3, 5), dtype=np.float32),
        _activation_case(rng, "float32 relu", "relu", (2, 2), dtype=np.float32),
    ]


def _f(activation):
    return ACTIVATIONS[activation][0]


def _f_prime(activation):
    return ACTIVATIONS[activation][1]


def _derivative_of_output(Z, activation):
    """σ(1 - σ) or 1 - tanh² written with Z in place of the output: a classic slip."""
    return {"sigmoid": Z * (1 - Z), "tanh": 1 - Z * Z}[activation]


def _relu_only(activation, value):
    """``value`` for ReLU; for other activations the mistake does not apply (the judge skips it)."""
    if activation != "relu":
        raise ValueError("this mistake only concerns relu")
    return value


_ACTIVATION_MISTAKES = (
    Mistake("you multiplied by f(Z), the activation itself; the chain rule needs its derivative f'(Z)",
            lambda dA, Z, activation: dA * _f(activation)(Z)),
    Mistake("you returned f'(Z) alone: multiply it by the upstream gradient dA (the chain rule)",
            lambda dA, Z, activation: _f_prime(activation)(Z)),
    Mistake("you added dA and f'(Z); the chain rule multiplies them, elementwise",
            lambda dA, Z, activation: dA + _f_prime(activation)(Z)),
    Mistake("f' was evaluated at A = f(Z); it takes the pre-activation Z itself",
            lambda dA, Z, activation: dA * _f_prime(activation)(_f(activation)(Z))),
    Mistake("you used the formula of f' in terms of the output, σ(1 - σ) or 1 - tanh², but put Z "
            "where σ(Z) or tanh(Z) belongs: compute f(Z) first (or call the *_derivative function)",
            lambda dA, Z, activation: dA * _derivative_of_output(Z, activation)),
    Mistake("at Z = 0 exactly ReLU has a kink; this course takes ReLU'(0) = 0, so use Z > 0, not Z >= 0",
            lambda dA, Z, activation: _relu_only(activation, dA * (Z >= 0))),
)


# --------------------------------------------------------------------------- #
# dense_backward
# --------------------------------------------------------------------------- #


def _dense_case(rng, name, n, d_in, d_out, dtype=np.float64):
    X = rng.normal(size=(n, d_in))
    W = rng.normal(size=(d_in, d_out))
    b = rng.normal(size=d_out)
    dZ = rng.normal(size=(n, d_out))
    X, W, b, dZ = (a.astype(dtype) for a in (X, W, b, dZ))
    return Case(name, (dZ, DenseCache(X, X @ W + b), W))


def _dense_cases(rng):
    return [
        _dense_case(rng, "5 examples, 3 inputs → 3 units (square W)", 5, 3, 3),
        _dense_case(rng, "4 examples, 3 inputs → 2 units", 4, 3, 2),
        _dense_case(rng, "batch of 1, 4 inputs → 3 units", 1, 4, 3),
        _dense_case(rng, "2 examples, 6 inputs → 5 units", 2, 6, 5),
        _dense_case(rng, "one input feature, 3 examples → 4 units", 3, 1, 4),
        _dense_case(rng, "one unit (D_out = 1), 6 examples, 2 inputs", 6, 2, 1),
        _dense_case(rng, "float32 stays float32", 4, 3, 2, dtype=np.float32),
    ]


def _dense_hidden_cases(rng):
    return [
        _dense_case(rng, "32 examples, 8 inputs → 5 units", 32, 8, 5),
        _dense_case(rng, "float32, 7 examples, 2 inputs → 6 units", 7, 2, 6, dtype=np.float32),
    ]


def _dense_with(dX=None, dW=None, db=None):
    """A mistake in one of the three gradients, the other two right."""

    def wrong(dZ, cache, W):
        right = (dZ @ W.T, cache.X.T @ dZ, dZ.sum(axis=0))
        return tuple(r if w is None else w(dZ, cache, W) for r, w in zip(right, (dX, dW, db), strict=True))

    return wrong


_DENSE_MISTAKES = (
    Mistake("dX = dZ @ W misses the transpose: dX = dZ @ W.T, so that (N, D_out) @ (D_out, D_in) "
            "gives (N, D_in)", _dense_with(dX=lambda dZ, cache, W: dZ @ W)),
    Mistake("you divided dW by N: the upstream dZ already carries the loss's 1/N, so dW = X.T @ dZ",
            _dense_with(dW=lambda dZ, cache, W: cache.X.T @ dZ / len(dZ))),
    Mistake("db = dZ[0] uses the first example only: b is added to every row of Z, so every row's "
            "gradient counts: sum over axis 0", _dense_with(db=lambda dZ, cache, W: dZ[0])),
    Mistake("db has one row per example: b is shared by all N rows, so sum dZ over the batch (axis=0)",
            _dense_with(db=lambda dZ, cache, W: dZ)),
    Mistake("db is the mean over the batch; the upstream dZ already carries the loss's 1/N, so "
            "db = dZ.sum(axis=0)", _dense_with(db=lambda dZ, cache, W: dZ.mean(axis=0))),
    Mistake("db was summed over axis 1 (the units); sum over axis 0 (the examples) to keep one number "
            "per unit", _dense_with(db=lambda dZ, cache, W: dZ.sum(axis=1))),
    Mistake("db was summed over everything into one number; keep one entry per unit: dZ.sum(axis=0)",
            _dense_with(db=lambda dZ, cache, W: dZ.sum())),
)


# --------------------------------------------------------------------------- #
# softmax_cross_entropy_backward
# --------------------------------------------------------------------------- #


def _logits_case(rng, name, n, c, scale=2.0, dtype=np.float64):
    return Case(name, ((rng.normal(size=(n, c)) * scale).astype(dtype), rng.integers(0, c, size=n)))


def _softmax_backward_cases(rng):
    return [
        _logits_case(rng, "4 examples, 3 classes", 4, 3),
        _logits_case(rng, "batch of 1, 5 classes", 1, 5),
        Case("a single class (C = 1): the gradient is 0",
             (rng.normal(size=(3, 1)), np.zeros(3, dtype=np.int64))),
        Case("logits ±1000 (stability: shift by the row max)",
             (np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [1000.0, 1000.0, -1000.0]]),
              np.array([0, 2, 1]))),
        Case("all logits 0 (every class 1/C)", (np.zeros((3, 4)), np.array([0, 3, 3]))),
        _logits_case(rng, "2 examples, 7 classes", 2, 7),
        _logits_case(rng, "float32 stays float32", 5, 3, dtype=np.float32),
    ]


def _softmax_backward_hidden_cases(rng):
    return [
        _logits_case(rng, "20 examples, 10 classes", 20, 10),
        _logits_case(rng, "large logits (±600)", 4, 3, scale=300.0),
    ]


def _onehot(labels, c):
    return np.eye(c)[labels]


_SOFTMAX_BACKWARD_MISTAKES = (
    Mistake("you forgot the 1/N: the loss is a mean over the N examples, so divide softmax - onehot by N",
            lambda z, labels: softmax(z, axis=1) - _onehot(labels, z.shape[1])),
    Mistake("the one-hot is missing: the gradient is (softmax(z) - onehot(y)) / N; subtract 1 at each "
            "row's true class", lambda z, labels: softmax(z, axis=1) / len(z)),
    Mistake("p[:, labels] -= 1 subtracts 1 in whole columns; subtract it once per row, at the true "
            "class only: p[np.arange(N), labels] -= 1",
            lambda z, labels: (softmax(z, axis=1) - np.isin(np.arange(z.shape[1]), labels)) / len(z)),
    Mistake("you divided by C, the number of classes; the loss averages over the N examples: divide by N",
            lambda z, labels: (softmax(z, axis=1) - _onehot(labels, z.shape[1])) / z.shape[1]),
    Mistake("the softmax runs over the wrong axis: each row (axis=1) holds one example's class scores",
            lambda z, labels: (softmax(z, axis=0) - _onehot(labels, z.shape[1])) / len(z)),
)

EXERCISES = (
    Exercise(
        id="activation_backward",
        lesson="08",
        task="return dZ = dA * f'(Z) elementwise, for the activation named by the string activation",
        reference=activation_backward,
        make_cases=_activation_cases,
        hidden_cases=_activation_hidden_cases,
        arg_names=("dA", "Z", "activation"),
        prerequisites=("ACTIVATIONS", "sigmoid", "tanh", "relu", "identity", "sigmoid_derivative",
                       "tanh_derivative", "relu_derivative", "identity_derivative"),
        mistakes=_ACTIVATION_MISTAKES,
        hints=(
            "Each A[n, j] depends only on Z[n, j], through f. So dL/dZ[n, j] is dL/dA[n, j] times the "
            "slope of f at Z[n, j]: one multiplication per entry, no sums.",
            "ACTIVATIONS[activation] is the pair (f, f_prime) of lesson 02; f_prime(Z) has Z's shape. "
            "Multiply it elementwise (*, not @) with dA.",
            "_, f_prime = ACTIVATIONS[activation]; return dA * f_prime(Z)",
        ),
    ),
    Exercise(
        id="dense_backward",
        lesson="08",
        task="return (dX, dW, db) = (dZ @ W.T, X.T @ dZ, dZ summed over the batch), X = cache.X",
        reference=dense_backward,
        make_cases=_dense_cases,
        hidden_cases=_dense_hidden_cases,
        arg_names=("dZ", "cache", "W"),
        mistakes=_DENSE_MISTAKES,
        hints=(
            "A gradient has the shape of what it is the gradient of: dX is (N, D_in) like X, dW is "
            "(D_in, D_out) like W, db is (D_out,) like b. Only one arrangement of dZ (N, D_out), W and X "
            "gives each shape.",
            "dX: (N, D_out) @ (D_out, D_in) needs W.T. dW: (D_in, N) @ (N, D_out) needs X.T. db: b was "
            "added to every row of Z, so add up the rows of dZ: a sum over axis 0.",
            "X = cache.X; return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)",
        ),
    ),
    Exercise(
        id="softmax_cross_entropy_backward",
        lesson="08",
        task="return (softmax(logits) - onehot(labels)) / N, shaped like logits (N, C)",
        reference=softmax_cross_entropy_backward,
        make_cases=_softmax_backward_cases,
        hidden_cases=_softmax_backward_hidden_cases,
        arg_names=("logits", "labels"),
        prerequisites=("softmax",),
        mistakes=_SOFTMAX_BACKWARD_MISTAKES,
        hints=(
            "Every class's logit gets pushed by its softmax probability; the true class also gets "
            "pulled by -1. Then the loss's mean over N examples divides everything by N.",
            "p = softmax(logits, axis=1) is a new (N, C) array; subtract 1 at (n, labels[n]) for every "
            "row n with fancy indexing p[np.arange(N), labels], then divide by N.",
            "N = len(labels); p = softmax(logits, axis=1); p[np.arange(N), labels] -= 1; return p / N",
        ),
    ),
)

QUESTIONS = (
    Question(
        id="q08_1",
        lesson="08",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "The 1/N of the loss is already inside dZ (the softmax cross-entropy backward divides by "
            "N); summing does not undo it. The sum has another reason: b is used N times.",
            "b": "b_j is added to Z[n, j] for every example n, so b_j influences the loss along N paths, one "
            "per row, and the chain rule adds the contributions: db_j = Σ_n dZ[n, j].",
            "c": "A gradient has the shape of what it is the gradient of: db has b's shape, (D_out,), "
            "not Z's (N, D_out). The sum over n is what takes it from one to the other.",
            "d": "An average would divide by N a second time: the loss's 1/N is already inside dZ. db is "
            "a plain sum because b is shared by all N rows.",
        },
    ),
)
