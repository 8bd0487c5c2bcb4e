"""Exercises and concept questions of lesson 04, loss functions.

A loss is one number, so the judge's generic diagnosis (which compares the
ratio or the offset of many entries) has little to go on: any wrong number is
"a constant factor" away from the right one. Each exercise here therefore
lists the mistakes learners actually make (``Exercise.mistakes``), and
``check()`` names the one a wrong result matches ("you summed the squared
errors; the loss is their mean").
"""

from __future__ import annotations

import numpy as np

from nnlib.activations import sigmoid, softmax
from nnlib.exercises import Case, Exercise, Mistake, Question
from nnlib.losses import binary_cross_entropy, mse_loss, softmax_cross_entropy

# --------------------------------------------------------------------------- #
# mse_loss
# --------------------------------------------------------------------------- #


def _mse_cases(rng):
    y = rng.normal(size=(5, 2))
    return [
        Case("8 predictions, shape (N,)", (rng.normal(size=8), rng.normal(size=8)), batch_size=8),
        Case("a column of 6 predictions, shape (N, 1)", (rng.normal(size=(6, 1)), rng.normal(size=(6, 1)))),
        Case("3 outputs per example: mean over all N·D = 12 numbers",
             (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))),
        Case("batch of 1", (rng.normal(size=(1, 1)), rng.normal(size=(1, 1)))),
        Case("perfect predictions: loss 0", (y, y.copy())),
        Case("large magnitudes (±1e3)", (rng.normal(size=(3, 2)) * 1e3, rng.normal(size=(3, 2)) * 1e3)),
    ]


def _mse_hidden_cases(rng):
    return [
        Case("50 predictions, shape (N,)", (rng.normal(size=50), rng.normal(size=50)), batch_size=50),
        Case("2 examples, 10 outputs", (rng.normal(size=(2, 10)), rng.normal(size=(2, 10)))),
    ]


_MSE_MISTAKES = (
    Mistake("you summed the squared errors; the loss is their mean: divide by the number of elements "
            "(np.mean does it)", lambda y_pred, y: np.sum((y_pred - y) ** 2)),
    Mistake("you divided by N = len(y) only; MSE averages over all N·D elements (y.size), so it does "
            "not grow with the number of outputs", lambda y_pred, y: np.sum((y_pred - y) ** 2) / len(y)),
    Mistake("(N, 1) and (N,) broadcast to an (N, N) table of every prediction minus every target: "
            "keep y_pred and y the same shape (no reshape, no squeeze)",
            lambda y_pred, y: np.mean((np.reshape(y_pred, (-1, 1)) - np.reshape(y, -1)) ** 2)),
    Mistake("the errors are not squared, so positive and negative errors cancel out",
            lambda y_pred, y: np.mean(y_pred - y)),
    Mistake("you averaged first and squared the mean error; square each error, then average",
            lambda y_pred, y: np.mean(y_pred - y) ** 2),
    Mistake("that is the mean absolute error: square the errors instead of taking |·|",
            lambda y_pred, y: np.mean(np.abs(y_pred - y))),
    Mistake("that is the root of the MSE (RMSE): drop the square root",
            lambda y_pred, y: np.sqrt(np.mean((y_pred - y) ** 2))),
    Mistake("you computed ½·MSE; this course's MSE has no ½ in front",
            lambda y_pred, y: 0.5 * np.mean((y_pred - y) ** 2)),
    Mistake("a loss is a single number, but you returned one squared error per element: average them "
            "(np.mean) and return a float", lambda y_pred, y: (y_pred - y) ** 2),
)


# --------------------------------------------------------------------------- #
# binary_cross_entropy
# --------------------------------------------------------------------------- #


def _labels01(rng, n):
    return rng.integers(0, 2, size=n).astype(np.float64)


def _bce_cases(rng):
    return [
        Case("8 examples", (sigmoid(rng.normal(size=8) * 2), _labels01(rng, 8)), batch_size=8),
        Case("batch of 1, y = 1", (np.array([0.7]), np.array([1.0])), batch_size=1),
        Case("every y = 0", (sigmoid(rng.normal(size=5)), np.zeros(5)), batch_size=5),
        Case("certain and right: p = 1 where y = 1, p = 0 where y = 0 (loss 0, not NaN)",
             (np.array([1.0, 0.0, 1.0, 0.0]), np.array([1.0, 0.0, 1.0, 0.0])), batch_size=4),
        Case("some p exactly 0 or 1 (matching y), the rest in between",
             (np.array([1.0, 0.25, 0.0, 0.9, 0.6]), np.array([1.0, 0.0, 0.0, 1.0, 0.0])), batch_size=5),
        Case("confident: p within 1e-12 of 0 or 1",
             (np.array([1e-12, 1 - 1e-12, 0.5, 1e-12]), np.array([1.0, 0.0, 1.0, 0.0])), batch_size=4),
    ]


def _bce_hidden_cases(rng):
    return [
        Case("40 examples", (sigmoid(rng.normal(size=40) * 3), _labels01(rng, 40)), batch_size=40),
        Case("every y = 1, some p = 1", (np.array([1.0, 0.3, 1.0]), np.ones(3)), batch_size=3),
    ]


def _clipped_bce(eps):
    def bce(p, y):
        p = np.clip(p, eps, 1 - eps)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    return bce


def _epsilon_bce(eps):
    return lambda p, y: -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))


def _xlogy(coefficient, p):
    """coefficient * log(p), with 0 wherever the coefficient is 0 (as the reference does)."""
    return np.where(coefficient > 0, coefficient * np.log(p), 0.0)


_BCE_MISTAKES = (
    Mistake("the minus sign is missing: log p ≤ 0, so the loss -[y log p + (1 - y) log(1 - p)] is ≥ 0",
            lambda p, y: np.mean(_xlogy(y, p) + _xlogy(1 - y, 1 - p))),
    Mistake("only the y·log p term: examples with y = 0 then cost nothing; add (1 - y)·log(1 - p)",
            lambda p, y: -np.mean(_xlogy(y, p))),
    Mistake("only the (1 - y)·log(1 - p) term: examples with y = 1 then cost nothing; add y·log p",
            lambda p, y: -np.mean(_xlogy(1 - y, 1 - p))),
    Mistake("you summed over the batch; the loss is the mean: divide by N (np.mean does it)",
            lambda p, y: -np.sum(_xlogy(y, p) + _xlogy(1 - y, 1 - p))),
    Mistake("p and 1 - p are swapped: p is the probability of class 1, so y = 1 pairs with log p",
            lambda p, y: -np.mean(_xlogy(y, 1 - p) + _xlogy(1 - y, p))),
    Mistake("that is log base 10: cross-entropy uses the natural log, np.log",
            lambda p, y: -np.mean(_xlogy(y, p) + _xlogy(1 - y, 1 - p)) / np.log(10)),
    Mistake("that is log base 2: cross-entropy uses the natural log, np.log",
            lambda p, y: -np.mean(_xlogy(y, p) + _xlogy(1 - y, 1 - p)) / np.log(2)),
    *(Mistake("your loss is off by a tiny amount (or more, where p is within 1e-7 of 0 or 1): an epsilon "
              "such as np.clip(p, 1e-7, 1 - 1e-7) or log(p + 1e-7) changes it. Compute it exactly: take "
              "the log only of the probability given to the true class (see hint 3)", fn)
      for eps in (1e-7, 1e-8) for fn in (_clipped_bce(eps), _epsilon_bce(eps))),
)


# --------------------------------------------------------------------------- #
# softmax_cross_entropy
# --------------------------------------------------------------------------- #


def _logits_case(rng, name, n, c, scale=2.0):
    return Case(name, (rng.normal(size=(n, c)) * scale, rng.integers(0, c, size=n)))


def _softmax_ce_cases(rng):
    return [
        _logits_case(rng, "4 examples, 3 classes", 4, 3),
        _logits_case(rng, "batch of 1, 5 classes", 1, 5),
        Case("a single class (C = 1): the loss is 0", (rng.normal(size=(3, 1)), np.zeros(3, dtype=np.int64))),
        # Row 0 is confidently wrong: its loss is 2000, and log(softmax) gives log(0) = -inf there.
        Case("logits ±1000 (stability: shift by the row max)",
             (np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [1000.0, 1000.0, -1000.0]]),
              np.array([1, 2, 1]))),
        Case("all logits 0: the loss is ln C = ln 10", (np.zeros((3, 10)), np.array([0, 4, 9]))),
        _logits_case(rng, "2 examples, 7 classes", 2, 7),
        _logits_case(rng, "32 examples, 10 classes", 32, 10),
    ]


def _softmax_ce_hidden_cases(rng):
    return [
        _logits_case(rng, "6 examples, 4 classes, large logits", 6, 4, scale=300.0),
        _logits_case(rng, "1 example, 2 classes", 1, 2),
    ]


def _log_sum_exp(z):
    """log Σ_j e^{z_nj} per row, stable (the right half of every mistake below)."""
    m = z.max(axis=1)
    return m + np.log(np.exp(z - m[:, None]).sum(axis=1))


def _unshifted(z):
    return z


def _shifted(z):
    """The logits minus their row max: wrong indexing gives other numbers on these than on z."""
    return z - z.max(axis=1, keepdims=True)


def _picked(z, labels):
    return z[np.arange(len(labels)), labels]


_SOFTMAX_CE_MISTAKES = (
    Mistake("the loss came out inf: e^1000 overflowed, or a probability underflowed to 0 before the log "
            "(log 0 = -inf). Shift each row by its max and use log-sum-exp; never take log(softmax(z))",
            lambda z, labels: -np.mean(np.log(softmax(z, axis=1)[np.arange(len(labels)), labels]))),
    Mistake("you summed over the batch; the loss is the mean over the N examples (np.mean)",
            lambda z, labels: np.sum(_log_sum_exp(z) - _picked(z, labels))),
    Mistake("the sign is flipped: the loss is log Σ_j e^z_j - z_y = -log softmax(z)_y, which is ≥ 0",
            lambda z, labels: np.mean(_picked(z, labels) - _log_sum_exp(z))),
    Mistake("you averaged over all N·C entries of the one-hot table; sum over the classes, then average "
            "over the N examples only",
            lambda z, labels: np.mean(np.eye(z.shape[1])[labels] * (_log_sum_exp(z)[:, None] - z))),
    Mistake("z[:, labels] picks whole columns (an N×N table), not one entry per row: the score of "
            "example n's true class is z[n, labels[n]], i.e. z[np.arange(N), labels]",
            lambda z, labels: np.mean(_log_sum_exp(z)[:, None] - z[:, labels])),
    *(Mistake("the labels index the wrong axis: the score of example n's true class is z[n, labels[n]], "
              "i.e. z[np.arange(N), labels]",
              lambda z, labels, s=s: np.mean(_log_sum_exp(s(z)) - s(z)[labels, np.arange(len(labels))]))
      for s in (_unshifted, _shifted)),
    *(Mistake("np.take(z, labels) indexes the flattened array (the first row only): use "
              "z[np.arange(N), labels]",
              lambda z, labels, s=s: np.mean(_log_sum_exp(s(z)) - np.take(s(z), labels)))
      for s in (_unshifted, _shifted)),
    Mistake("the log-sum-exp term is missing: -z_y alone is not -log softmax(z)_y",
            lambda z, labels: -np.mean(_picked(z, labels))),
    Mistake("after shifting by the max m you need log Σ_j e^(z_j - m) too: log Σ_j e^z_j = m + log Σ_j "
            "e^(z_j - m), not just m", lambda z, labels: np.mean(z.max(axis=1) - _picked(z, labels))),
    Mistake("the softmax runs over the wrong axis: each row (axis=1) holds one example's class scores",
            lambda z, labels: np.mean(_log_sum_exp(z.T)[labels] - _picked(z, labels))),
)

EXERCISES = (
    Exercise(
        id="mse_loss",
        lesson="04",
        task="return the mean of (y_pred - y)**2 over all elements, as a float",
        reference=mse_loss,
        make_cases=_mse_cases,
        hidden_cases=_mse_hidden_cases,
        arg_names=("y_pred", "y"),
        mistakes=_MSE_MISTAKES,
        hints=(
            "Square each error y_pred - y, then average all of them: every element counts once, "
            "however many examples and outputs there are.",
            "Subtract, square elementwise (** 2), take np.mean over the whole array, convert with float(). "
            "Do not reshape: y_pred and y already have the same shape.",
            "return float(np.mean((y_pred - y) ** 2))",
        ),
    ),
    Exercise(
        id="binary_cross_entropy",
        lesson="04",
        task="return -mean(y log p + (1 - y) log(1 - p)) as a float; 0, not NaN, when p = y",
        reference=binary_cross_entropy,
        make_cases=_bce_cases,
        hidden_cases=_bce_hidden_cases,
        arg_names=("p", "y"),
        mistakes=_BCE_MISTAKES,
        hints=(
            "For each example only one term is alive: -log p when y = 1, -log(1 - p) when y = 0. "
            "Average over the batch. Where p equals y the loss must be 0: but 0 * log(0) is NaN in numpy.",
            "Avoid multiplying a log(0) = -inf by 0. With 0/1 labels, first pick the probability given "
            "to the true class with np.where(y == 1, p, 1 - p), then take -np.log of it and the mean.",
            "p_true = np.where(y == 1, p, 1 - p); return float(-np.mean(np.log(p_true)))",
        ),
    ),
    Exercise(
        id="softmax_cross_entropy",
        lesson="04",
        task="return mean over rows of logsumexp(z_n) - z_n[label_n] as a float, shifting by the row max",
        reference=softmax_cross_entropy,
        make_cases=_softmax_ce_cases,
        hidden_cases=_softmax_ce_hidden_cases,
        arg_names=("logits", "labels"),
        prerequisites=("softmax",),
        mistakes=_SOFTMAX_CE_MISTAKES,
        hints=(
            "Per example, the loss is log Σ_j e^(z_j) - z_y. Subtracting the row's maximum from every "
            "logit first changes neither term's difference, and keeps exp from overflowing at 1000.",
            "shifted = logits - logits.max(axis=1, keepdims=True) has shape (N, C); the log-sum-exp is "
            "np.log(np.exp(shifted).sum(axis=1)), shape (N,); the true-class scores are "
            "shifted[np.arange(N), labels], shape (N,). Average their difference.",
            "shifted = logits - logits.max(axis=1, keepdims=True); "
            "lse = np.log(np.exp(shifted).sum(axis=1)); "
            "return float(np.mean(lse - shifted[np.arange(len(labels)), labels]))",
        ),
    ),
)

QUESTIONS = (
    Question(
        id="q04_1",
        lesson="04",
        kind="number",
        answer=float(np.log(10)),
        tol=0.01,
        feedback={
            "correct": "ln 10 ≈ 2.303: with all logits equal, softmax gives every class 1/10, and the loss "
            "is -ln(1/10) = ln 10 for every example, so the mean is ln 10 too. A fresh classifier whose "
            "loss is far from this has a bug or too-large initial weights.",
            "low": "With all logits equal, each of the 10 classes gets probability 1/10, and the loss is "
            "-ln(probability of the true class). log10(10) = 1 is the wrong logarithm: use the natural log.",
            "high": "The loss is -ln(probability of the true class), and with all logits equal that "
            "probability is 1/10 for every example: -ln(0.1). It is not the number of classes itself.",
        },
    ),
)
