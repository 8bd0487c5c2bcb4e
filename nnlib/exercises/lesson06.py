"""Exercises and concept questions of lesson 06, backpropagation in a sigmoid neuron.

The known mistakes of ``neuron_gradients`` (``Exercise.mistakes``) and the correct
variants in other styles (``Exercise.variants``) are written as a learner would
write them: each a self-contained function that uses only numpy and the
exercise's prerequisites (``sigmoid``, ``binary_cross_entropy``), so that the
grader can run it in its sandbox.
"""

from __future__ import annotations

import numpy as np

from nnlib.activations import sigmoid
from nnlib.exercises import Case, Exercise, Mistake, Question, Variant
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


# --------------------------------------------------------------------------- #
# Known mistakes, as a learner writes them (self-contained: numpy and the prerequisites only)
# --------------------------------------------------------------------------- #


def db_without_mean(X, y, w, b):
    a = sigmoid(X @ w + b)
    dw = X.T @ (a - y) / len(y)
    db = np.sum(a - y)  # the 1/N forgotten here only
    return binary_cross_entropy(a, y), dw, float(db)


def dw_without_mean(X, y, w, b):
    a = sigmoid(X @ w + b)
    dw = X.T @ (a - y)  # the 1/N forgotten here only
    db = np.sum(a - y) / len(y)
    return binary_cross_entropy(a, y), dw, float(db)


def forgot_mean(X, y, w, b):
    a = sigmoid(X @ w + b)
    dz = a - y
    return binary_cross_entropy(a, y), X.T @ dz, float(dz.sum())


def sign_flipped(X, y, w, b):
    a = sigmoid(X @ w + b)
    dz = (y - a) / len(y)
    return binary_cross_entropy(a, y), X.T @ dz, float(dz.sum())


def no_transpose(X, y, w, b):
    a = sigmoid(X @ w + b)
    dz = (a - y) / len(y)
    return binary_cross_entropy(a, y), X @ dz, float(dz.sum())


def z_for_a(X, y, w, b):
    z = X @ w + b
    a = sigmoid(z)
    dz = (z - y) / len(y)
    return binary_cross_entropy(a, y), X.T @ dz, float(dz.sum())


def extra_sigmoid_derivative(X, y, w, b):
    a = sigmoid(X @ w + b)
    dz = (a - y) * a * (1 - a) / len(y)
    return binary_cross_entropy(a, y), X.T @ dz, float(dz.sum())


def db_not_summed(X, y, w, b):
    a = sigmoid(X @ w + b)
    dz = (a - y) / len(y)
    return binary_cross_entropy(a, y), X.T @ dz, dz


def db_mean(X, y, w, b):
    a = sigmoid(X @ w + b)
    dz = (a - y) / len(y)
    return binary_cross_entropy(a, y), X.T @ dz, float(dz.mean())


def dw_mean_of_contributions(X, y, w, b):
    a = sigmoid(X @ w + b)
    dz = (a - y) / len(y)
    dw = np.mean(X * dz[:, None], axis=0)  # dz already holds the 1/N
    return binary_cross_entropy(a, y), dw, float(dz.sum())


def summed_loss(X, y, w, b):
    a = sigmoid(X @ w + b)
    dz = (a - y) / len(y)
    return binary_cross_entropy(a, y) * len(y), X.T @ dz, float(dz.sum())


def loss_arguments_swapped(X, y, w, b):
    a = sigmoid(X @ w + b)
    dz = (a - y) / len(y)
    with np.errstate(divide="ignore"):
        loss = binary_cross_entropy(y, a)
    return loss, X.T @ dz, float(dz.sum())


_N_TIMES = "it must be the mean over the batch like the loss: dL/dz_i = (a_i - y_i) / N for every i"

_NEURON_MISTAKES = (
    Mistake("db is N times too large, dw is right: you divided dw's sum by N but not db's; "
            + _N_TIMES, db_without_mean),
    Mistake("dw is N times too large, db is right: you divided db's sum by N but not dw's; "
            + _N_TIMES, dw_without_mean),
    Mistake("dw and db are both N times too large: you forgot the 1/N of the mean; " + _N_TIMES,
            forgot_mean),
    Mistake("the sign is flipped: dL/dz = a - y, not y - a (a step along -dL/dw would then go uphill)",
            sign_flipped),
    Mistake("X @ dz multiplies from the wrong side: each weight sums x_ij · dz_i over the examples i, "
            "which is X.T @ dz (shape (D,))", no_transpose),
    Mistake("you used z where a = sigmoid(z) belongs: dL/dz = (a - y) / N", z_for_a),
    Mistake("you multiplied by σ'(z) = a(1 - a) again: it already cancelled against dL/da, "
            "which leaves dL/dz = (a - y) / N", extra_sigmoid_derivative),
    Mistake("db must be one number: b is added to every z_i, so its gradient sums dz over the batch "
            "(db = dz.sum())", db_not_summed),
    Mistake("db is the mean of dz, so you divided by N twice: db = sum of dz_i = sum of (a - y) / N",
            db_mean),
    Mistake("dw is N times too small: you averaged the contributions x_i · dz_i, but dz_i = (a_i - y_i) / N "
            "already holds the 1/N; sum them (X.T @ dz)", dw_mean_of_contributions),
    Mistake("the loss is summed over the batch; it must be the mean (binary_cross_entropy does it)",
            summed_loss),
    Mistake("the loss has its arguments swapped: binary_cross_entropy(p, y) takes the predicted "
            "probabilities a first, the labels second", loss_arguments_swapped),
)


# --------------------------------------------------------------------------- #
# Correct variants in other styles
# --------------------------------------------------------------------------- #


def loop_over_examples(X, y, w, b):
    n, d = X.shape
    dw, db, total = np.zeros(d), 0.0, 0.0
    for i in range(n):
        a_i = sigmoid(X[i] @ w + b)
        total += -(y[i] * np.log(a_i) + (1 - y[i]) * np.log(1 - a_i))
        dw += (a_i - y[i]) * X[i] / n
        db += (a_i - y[i]) / n
    return total / n, dw, db


def einsum_and_means(X, y, w, b):
    a = sigmoid(np.einsum("nd,d->n", X, w) + b)
    err = a - y
    return binary_cross_entropy(a, y), np.mean(err[:, None] * X, axis=0), np.mean(err)


def loss_from_logits(X, y, w, b):
    z = X @ w + b
    loss = np.mean(np.logaddexp(0, z) - y * z)  # -log σ(z) = log(1 + e^-z), written stably
    dz = (sigmoid(z) - y) / X.shape[0]
    return loss, np.dot(dz, X), dz.sum()


def naive_formulas(X, y, w, b):
    a = 1 / (1 + np.exp(-(X @ w + b)))
    loss = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))
    dw = X.T.dot(a - y) / len(X)
    return loss, dw, np.sum(a - y) / len(X)


def list_result(X, y, w, b):
    a = sigmoid(X @ w + b)
    dz = (a - y) / len(y)
    return [binary_cross_entropy(a, y), np.sum(X * dz[:, None], axis=0), np.sum(dz)]


def chain_rule_spelled_out(X, y, w, b):
    z = X @ w + b
    a = sigmoid(z)
    dL_da = (-y / a + (1 - y) / (1 - a)) / len(y)  # finite: |z| stays moderate in the cases
    dL_dz = dL_da * a * (1 - a)
    return binary_cross_entropy(a, y), X.T @ dL_dz, float(np.sum(dL_dz))


_NEURON_VARIANTS = (
    Variant("a loop over the examples, accumulating into np.zeros", loop_over_examples),
    Variant("np.einsum for z and means of the per-example terms", einsum_and_means),
    Variant("the loss from the logits with np.logaddexp, gradient as np.dot(dz, X)", loss_from_logits),
    Variant("the sigmoid and the loss written out by hand with np.exp and np.log", naive_formulas),
    Variant("a list [loss, dw, db] with numpy scalars", list_result),
    Variant("the chain rule spelled out: dL/da times σ'(z), without the cancellation",
            chain_rule_spelled_out),
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
        variants=_NEURON_VARIANTS,
        hints=(
            "Run the forward pass first (z, a and the loss), then go backward from "
            "dL/dz_i = (a_i - y_i) / N (section 2): the sigmoid's derivative has already cancelled. "
            "w_j and b are used by every example: their gradients add up the contributions of all N.",
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
