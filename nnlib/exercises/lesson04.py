"""Exercises and concept questions of lesson 04, loss functions.

A loss is one number, so the judge's generic diagnosis (which compares the
ratio or the offset of many entries) has little to go on: any wrong number is
"a constant factor" away from the right one. Each exercise here therefore
lists the mistakes learners actually make (``Exercise.mistakes``), and
``check()`` names the one a wrong result matches ("you summed the squared
errors; the loss is their mean"), and correct variants in other styles
(``Exercise.variants``), which must pass. Bank functions are self-contained, as
a learner would write them (numpy, builtins and the exercise's prerequisites).
"""

from __future__ import annotations

import numpy as np

from nnlib.activations import sigmoid, softmax
from nnlib.exercises import Case, Exercise, Mistake, Question, Variant
from nnlib.losses import binary_cross_entropy, mse_loss, sigmoid_cross_entropy, softmax_cross_entropy

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


# mse_loss: known mistakes


def _mse_summed(y_pred, y):
    return np.sum((y_pred - y) ** 2)


def _mse_over_rows(y_pred, y):
    return np.sum((y_pred - y) ** 2) / len(y)


def _mse_broadcast(y_pred, y):
    return np.mean((np.reshape(y_pred, (-1, 1)) - np.reshape(y, -1)) ** 2)


def _mse_not_squared(y_pred, y):
    return np.mean(y_pred - y)


def _mse_square_of_mean(y_pred, y):
    return np.mean(y_pred - y) ** 2


def _mse_absolute(y_pred, y):
    return np.mean(np.abs(y_pred - y))


def _mse_root(y_pred, y):
    return np.sqrt(np.mean((y_pred - y) ** 2))


def _mse_half(y_pred, y):
    return 0.5 * np.mean((y_pred - y) ** 2)


def _mse_per_element(y_pred, y):
    return (y_pred - y) ** 2


_MSE_MISTAKES = (
    Mistake("you summed the squared errors; the loss is their mean: divide by the number of elements "
            "(np.mean does it)", _mse_summed),
    Mistake("you divided by N = len(y) only; MSE averages over all N·D elements (y.size), so it does "
            "not grow with the number of outputs", _mse_over_rows),
    Mistake("(N, 1) and (N,) broadcast to an (N, N) table of every prediction minus every target: "
            "keep y_pred and y the same shape (no reshape, no squeeze)", _mse_broadcast),
    Mistake("the errors are not squared, so positive and negative errors cancel out", _mse_not_squared),
    Mistake("you averaged first and squared the mean error; square each error, then average",
            _mse_square_of_mean),
    Mistake("that is the mean absolute error: square the errors instead of taking |·|", _mse_absolute),
    Mistake("that is the root of the MSE (RMSE): drop the square root", _mse_root),
    Mistake("you computed ½·MSE; this course's MSE has no ½ in front", _mse_half),
    Mistake("a loss is a single number, but you returned one squared error per element: average them "
            "(np.mean) and return a float", _mse_per_element),
)


# mse_loss: correct variants


def _mse_square(y_pred, y):
    return float(np.square(y_pred - y).mean())


def _mse_sum_over_size(y_pred, y):
    errors = y_pred - y
    return float((errors * errors).sum() / errors.size)


def _mse_loop(y_pred, y):
    total, count = 0.0, 0
    for predicted, target in zip(np.ravel(y_pred), np.ravel(y), strict=True):
        total += (predicted - target) ** 2
        count += 1
    return total / count


def _mse_dot(y_pred, y):
    d = (y_pred - y).ravel()
    return float(d @ d / d.size)


def _mse_numpy_scalar(y_pred, y):
    return np.average((y_pred - y) ** 2)


_MSE_VARIANTS = (
    Variant("np.square and the array's .mean()", _mse_square),
    Variant("the sum of squares over the number of elements", _mse_sum_over_size),
    Variant("a loop over the flattened elements", _mse_loop),
    Variant("a dot product of the flattened errors with themselves", _mse_dot),
    Variant("np.average, returning a numpy float64", _mse_numpy_scalar),
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
        Case("certain and wrong: p = 0 where y = 1 (the loss is inf, as the math says)",
             (np.array([0.0, 0.4, 0.7]), np.array([1.0, 1.0, 0.0])), batch_size=3),
    ]


def _bce_hidden_cases(rng):
    return [
        Case("40 examples", (sigmoid(rng.normal(size=40) * 3), _labels01(rng, 40)), batch_size=40),
        Case("every y = 1, some p = 1", (np.array([1.0, 0.3, 1.0]), np.ones(3)), batch_size=3),
        Case("certain and wrong: p = 1 where y = 0", (np.array([0.2, 1.0]), np.array([0.0, 0.0])),
             batch_size=2),
    ]


# binary_cross_entropy: known mistakes


def _bce_no_minus(p, y):
    return np.mean(np.log(np.where(y == 1, p, 1 - p)))


def _bce_positive_term_only(p, y):
    return -np.mean(np.where(y == 1, np.log(p), 0.0))


def _bce_negative_term_only(p, y):
    return -np.mean(np.where(y == 0, np.log(1 - p), 0.0))


def _bce_summed(p, y):
    return -np.sum(np.log(np.where(y == 1, p, 1 - p)))


def _bce_swapped(p, y):
    return -np.mean(np.log(np.where(y == 1, 1 - p, p)))


def _bce_log10(p, y):
    return -np.mean(np.log10(np.where(y == 1, p, 1 - p)))


def _bce_log2(p, y):
    return -np.mean(np.log2(np.where(y == 1, p, 1 - p)))


def _bce_naive(p, y):
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _bce_nan_to_num(p, y):
    return -np.mean(np.nan_to_num(y * np.log(p)) + np.nan_to_num((1 - y) * np.log(1 - p)))


def _bce_clipped(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _bce_epsilon(p, y):
    return -np.mean(y * np.log(p + 1e-7) + (1 - y) * np.log(1 - p + 1e-7))


_BCE_MISTAKES = (
    Mistake("the minus sign is missing: log p ≤ 0, so the loss -[y log p + (1 - y) log(1 - p)] is ≥ 0",
            _bce_no_minus),
    Mistake("only the y·log p term: examples with y = 0 then cost nothing; add (1 - y)·log(1 - p)",
            _bce_positive_term_only),
    Mistake("only the (1 - y)·log(1 - p) term: examples with y = 1 then cost nothing; add y·log p",
            _bce_negative_term_only),
    Mistake("you summed over the batch; the loss is the mean: divide by N (np.mean does it)", _bce_summed),
    Mistake("p and 1 - p are swapped: p is the probability of class 1, so y = 1 pairs with log p",
            _bce_swapped),
    Mistake("that is log base 10: cross-entropy uses the natural log, np.log", _bce_log10),
    Mistake("that is log base 2: cross-entropy uses the natural log, np.log", _bce_log2),
    Mistake("where p equals y the unused term is 0 · log 0, and in numpy log 0 = -inf and 0 · (-inf) is "
            "NaN: take the log only of the probability given to the true class (see hint 2)", _bce_naive),
    Mistake("np.nan_to_num turns log 0 = -inf into -1.8e308, so a certain and wrong prediction (p = 0 "
            "with y = 1) costs a finite number instead of inf: take the log only of the probability "
            "given to the true class, and let it be -inf where that probability is 0", _bce_nan_to_num),
    Mistake("np.clip(p, 1e-7, 1 - 1e-7) replaces the exact answer where p is within 1e-7 of 0 or 1 "
            "(a certain, right prediction then costs 1e-7, a wrong one at most 16.1): compute it exactly, "
            "taking the log only of the probability given to the true class", _bce_clipped),
    Mistake("log(p + 1e-7) changes every example's loss a little (more where p is near 0 or 1, and a "
            "certain, right prediction gets a negative loss): compute it exactly, taking the log only of "
            "the probability given to the true class", _bce_epsilon),
)


# binary_cross_entropy: correct variants


def _bce_true_class(p, y):
    p_true = np.where(y == 1, p, 1 - p)
    return float(-np.mean(np.log(p_true)))


def _bce_distance(p, y):
    return float(-np.mean(np.log(np.abs(1 - y - p))))  # |1 - y - p| is p for y = 1, 1 - p for y = 0


def _bce_masks(p, y):
    positives = np.log(p[y == 1]).sum()
    negatives = np.log1p(-p[y == 0]).sum()
    return float(-(positives + negatives) / len(p))


def _bce_loop(p, y):
    total = 0.0
    for p_n, y_n in zip(p, y, strict=True):
        q = p_n if y_n == 1 else 1 - p_n
        total += -np.log(q) if q > 0 else np.inf
    return total / len(p)


def _bce_both_logs(p, y):
    with np.errstate(divide="ignore"):
        terms = np.where(y == 1, np.log(p), np.log(1 - p))  # the unused log may be -inf: it is dropped
    return float(-terms.mean())


def _bce_choose(p, y):
    return float(-np.log(np.choose(y.astype(int), [1 - p, p])).mean())


_BCE_VARIANTS = (
    Variant("the probability of the true class with np.where, then its log", _bce_true_class),
    Variant("|1 - y - p|, which is the probability of the true class", _bce_distance),
    Variant("boolean masks for each class, log1p(-p) for the negatives", _bce_masks),
    Variant("a loop over the examples, inf written out", _bce_loop),
    Variant("both logs computed, np.where keeping the used one", _bce_both_logs),
    Variant("np.choose with the labels as indices", _bce_choose),
)


# --------------------------------------------------------------------------- #
# sigmoid_cross_entropy: BCE from logits
# --------------------------------------------------------------------------- #


def _sigmoid_ce_cases(rng):
    return [
        Case("8 logits, labels 0 and 1", (rng.normal(size=8) * 2, _labels01(rng, 8)), batch_size=8),
        Case("z = 0: every example costs ln 2", (np.zeros(4), np.array([0.0, 1.0, 1.0, 0.0])), batch_size=4),
        Case("batch of 1, y = 1", (np.array([1.5]), np.array([1.0])), batch_size=1),
        Case("confident and right: z = ±40", (np.array([40.0, -40.0, 35.0]), np.array([1.0, 0.0, 1.0])),
             batch_size=3),
        Case("confident and wrong: z = 40 with y = 0 (σ(40) rounds to 1.0, the loss is 40)",
             (np.array([40.0, -38.0, 2.0]), np.array([0.0, 1.0, 1.0])), batch_size=3),
        Case("logits ±1000 (e^1000 overflows)",
             (np.array([1000.0, -1000.0, 1000.0, -1000.0]), np.array([1.0, 0.0, 0.0, 1.0])), batch_size=4),
        Case("20 examples, logits up to about ±30", (rng.normal(size=20) * 10, _labels01(rng, 20)),
             batch_size=20),
    ]


def _sigmoid_ce_hidden_cases(rng):
    return [
        Case("50 examples", (rng.normal(size=50) * 4, _labels01(rng, 50)), batch_size=50),
        Case("every y = 1, very negative logits", (np.array([-50.0, -700.0, -3.0]), np.ones(3)),
             batch_size=3),
    ]


# sigmoid_cross_entropy: known mistakes (prerequisite: sigmoid)


def _sce_through_sigmoid(z, y):
    p = sigmoid(z)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _sce_clipped_sigmoid(z, y):
    p = np.clip(sigmoid(z), 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _sce_sign(z, y):
    return np.mean(np.maximum(z, 0) + z * y + np.log1p(np.exp(-np.abs(z))))


def _sce_no_abs(z, y):
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-z)))


def _sce_no_max(z, y):
    return np.mean(-z * y + np.log1p(np.exp(-np.abs(z))))


def _sce_labels_swapped(z, y):
    return np.mean(np.maximum(z, 0) - z * (1 - y) + np.log1p(np.exp(-np.abs(z))))


def _sce_log_not_log1p(z, y):
    return np.mean(np.maximum(z, 0) - z * y + np.log(np.exp(-np.abs(z))))


def _sce_summed(z, y):
    return np.sum(np.logaddexp(0, z) - z * y)


def _sce_ignores_labels(z, y):
    return np.mean(np.logaddexp(0, z))


def _sce_per_example(z, y):
    return np.logaddexp(0, z) - z * y


_SIGMOID_CE_MISTAKES = (
    Mistake("σ(z) rounds to exactly 1.0 for z above about 37 (and to 0 below about -745), so log(1 - σ(z)) "
            "or log σ(z) is log 0 = -inf although the loss is finite: compute it from z, without forming "
            "σ(z): log σ(z) = -log(1 + e^(-z)), and np.logaddexp(0, t) computes log(1 + e^t) safely",
            _sce_through_sigmoid),
    Mistake("clipping σ(z) to [1e-7, 1 - 1e-7] caps every example's loss at 16.1 (-log 1e-7) and charges "
            "1e-7 for a certain, right answer: compute the loss from z with np.logaddexp, no clipping",
            _sce_clipped_sigmoid),
    Mistake("the sign of z·y is flipped: the loss is max(z, 0) - z·y + log(1 + e^(-|z|))", _sce_sign),
    Mistake("log(1 + e^(-z)) overflows and is wrong for negative z: the stable form uses |z|, "
            "max(z, 0) - z·y + log(1 + e^(-|z|))", _sce_no_abs),
    Mistake("max(z, 0) is missing: log(1 + e^z) = max(z, 0) + log(1 + e^(-|z|))", _sce_no_max),
    Mistake("the labels are swapped: the y·z term comes from log σ(z) for y = 1, so it is - z·y, "
            "not - z·(1 - y)", _sce_labels_swapped),
    Mistake("log(e^(-|z|)) is just -|z|: the term is log(1 + e^(-|z|)), np.log1p(np.exp(-np.abs(z)))",
            _sce_log_not_log1p),
    Mistake("you summed over the batch; the loss is the mean over the N examples (np.mean)", _sce_summed),
    Mistake("the labels are ignored: log(1 + e^z) is the loss of y = 0 only; subtract z·y",
            _sce_ignores_labels),
    Mistake("a loss is a single number, but you returned one loss per example: average them (np.mean) "
            "and return a float", _sce_per_example),
)


# sigmoid_cross_entropy: correct variants


def _sce_logaddexp(z, y):
    return float(np.mean(np.logaddexp(0, z) - z * y))


def _sce_max_log1p(z, y):
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def _sce_per_label(z, y):
    return float(np.mean(np.where(y == 1, np.logaddexp(0, -z), np.logaddexp(0, z))))


def _sce_loop(z, y):
    total = 0.0
    for z_n, y_n in zip(z.tolist(), y.tolist(), strict=True):
        total += max(z_n, 0.0) - z_n * y_n + np.log1p(np.exp(-abs(z_n)))
    return total / len(z)


def _sce_log_sigmoids(z, y):
    log_p = -np.logaddexp(0, -z)  # log σ(z)
    log_not_p = -np.logaddexp(0, z)  # log(1 - σ(z))
    return float(-np.mean(y * log_p + (1 - y) * log_not_p))


def _sce_by_sign(z, y):
    with np.errstate(over="ignore"):  # the branch np.where drops may overflow; the kept one never does
        terms = np.where(z >= 0, z * (1 - y) + np.log1p(np.exp(-z)), -z * y + np.log1p(np.exp(z)))
    return float(terms.mean())


_SIGMOID_CE_VARIANTS = (
    Variant("np.logaddexp(0, z) - z·y", _sce_logaddexp),
    Variant("max(z, 0) - z·y + log1p(e^(-|z|))", _sce_max_log1p),
    Variant("a softplus chosen per label with np.where", _sce_per_label),
    Variant("a loop over the examples with Python floats", _sce_loop),
    Variant("log σ(z) and log(1 - σ(z)) from logaddexp, in the BCE formula", _sce_log_sigmoids),
    Variant("a stable formula per sign of z, both branches computed", _sce_by_sign),
)


# --------------------------------------------------------------------------- #
# softmax_cross_entropy
# --------------------------------------------------------------------------- #


def _logits_case(rng, name, n, c, scale=2.0):
    return Case(name, (rng.normal(size=(n, c)) * scale, rng.integers(0, c, size=n)))


def _softmax_ce_cases(rng):
    return [
        _logits_case(rng, "4 examples, 4 classes (square: a swapped index would go unnoticed by the shapes)",
                     4, 4),
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


# softmax_cross_entropy: known mistakes (prerequisite: softmax)


def _sce_log_of_softmax(logits, labels):
    return -np.mean(np.log(softmax(logits, axis=1)[np.arange(len(labels)), labels]))


def _sce_batch_sum(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return np.sum(lse - logits[np.arange(len(labels)), labels])


def _sce_flipped(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return np.mean(logits[np.arange(len(labels)), labels] - lse)


def _sce_onehot_mean(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return np.mean(np.eye(logits.shape[1])[labels] * (lse[:, None] - logits))


def _sce_columns(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return np.mean(lse[:, None] - logits[:, labels])


def _sce_rows_and_columns_swapped(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return np.mean(lse - logits[labels, np.arange(len(labels))])


def _sce_swapped_after_shift(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1))
    return np.mean(lse - shifted[labels, np.arange(len(labels))])


def _sce_take(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return np.mean(lse - np.take(logits, labels))


def _sce_take_after_shift(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1))
    return np.mean(lse - np.take(shifted, labels))


def _sce_no_log_sum_exp(logits, labels):
    return -np.mean(logits[np.arange(len(labels)), labels])


def _sce_only_the_max(logits, labels):
    return np.mean(logits.max(axis=1) - logits[np.arange(len(labels)), labels])


def _sce_wrong_axis(logits, labels):
    m = logits.max(axis=0, keepdims=True)
    lse = m[0] + np.log(np.exp(logits - m).sum(axis=0))  # (C,): one per class, not per example
    return np.mean(lse[labels] - logits[np.arange(len(labels)), labels])


_SOFTMAX_CE_MISTAKES = (
    Mistake("the loss came out inf: e^1000 overflowed, or a probability underflowed to 0 before the log "
            "(log 0 = -inf). Shift each row by its max and use log-sum-exp; never take log(softmax(z))",
            _sce_log_of_softmax),
    Mistake("you summed over the batch; the loss is the mean over the N examples (np.mean)", _sce_batch_sum),
    Mistake("the sign is flipped: the loss is log Σ_j e^z_j - z_y = -log softmax(z)_y, which is ≥ 0",
            _sce_flipped),
    Mistake("you averaged over all N·C entries of the one-hot table; sum over the classes, then average "
            "over the N examples only", _sce_onehot_mean),
    Mistake("z[:, labels] picks whole columns (an N×N table), not one entry per row: the score of "
            "example n's true class is z[n, labels[n]], i.e. z[np.arange(N), labels]", _sce_columns),
    Mistake("the labels index the wrong axis: the score of example n's true class is z[n, labels[n]], "
            "i.e. z[np.arange(N), labels]", _sce_rows_and_columns_swapped),
    Mistake("the labels index the wrong axis: the score of example n's true class is z[n, labels[n]], "
            "i.e. z[np.arange(N), labels]", _sce_swapped_after_shift),
    Mistake("np.take(z, labels) indexes the flattened array (the first row only): use "
            "z[np.arange(N), labels]", _sce_take),
    Mistake("np.take(z, labels) indexes the flattened array (the first row only): use "
            "z[np.arange(N), labels]", _sce_take_after_shift),
    Mistake("the log-sum-exp term is missing: -z_y alone is not -log softmax(z)_y", _sce_no_log_sum_exp),
    Mistake("after shifting by the max m you need log Σ_j e^(z_j - m) too: log Σ_j e^z_j = m + log Σ_j "
            "e^(z_j - m), not just m", _sce_only_the_max),
    Mistake("the softmax runs over the wrong axis: each row (axis=1) holds one example's class scores",
            _sce_wrong_axis),
)


# softmax_cross_entropy: correct variants


def _sce_shifted(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_sum_exp = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_sum_exp - shifted[np.arange(len(labels)), labels]))


def _sce_row_loop(logits, labels):
    total = 0.0
    for row, label in zip(logits, labels, strict=True):
        m = row.max()
        total += m + np.log(np.sum(np.exp(row - m))) - row[label]
    return total / len(labels)


def _sce_log_softmax_onehot(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # stable log-softmax
    onehot = np.zeros_like(logits)
    onehot[np.arange(len(labels)), labels] = 1.0
    return float(-(onehot * log_probs).sum() / len(labels))


def _sce_take_along_axis(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    log_sum_exp = m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    picked = np.take_along_axis(logits, labels[:, None], axis=1)
    return float(np.mean(log_sum_exp - picked))


def _sce_logaddexp_reduce(logits, labels):
    log_sum_exp = np.logaddexp.reduce(logits, axis=1)  # pairwise, never overflows
    return float(np.mean(log_sum_exp - logits[np.arange(len(labels)), labels]))


_SOFTMAX_CE_VARIANTS = (
    Variant("shift by the row max, log-sum-exp, pick with fancy indexing", _sce_shifted),
    Variant("a loop over the rows", _sce_row_loop),
    Variant("a stable log-softmax times a one-hot table", _sce_log_softmax_onehot),
    Variant("np.take_along_axis and keepdims everywhere", _sce_take_along_axis),
    Variant("np.logaddexp.reduce for the log-sum-exp", _sce_logaddexp_reduce),
)


EXERCISES = (
    Exercise(
        id="mse_loss",
        lesson="04",
        task="return the mean squared error over all elements, as a float",
        reference=mse_loss,
        make_cases=_mse_cases,
        hidden_cases=_mse_hidden_cases,
        arg_names=("y_pred", "y"),
        mistakes=_MSE_MISTAKES,
        variants=_MSE_VARIANTS,
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
        task="return the BCE averaged over the batch, as a float: 0 (not NaN) where p equals y, "
             "inf where p = 0 and y = 1",
        reference=binary_cross_entropy,
        make_cases=_bce_cases,
        hidden_cases=_bce_hidden_cases,
        arg_names=("p", "y"),
        mistakes=_BCE_MISTAKES,
        variants=_BCE_VARIANTS,
        hints=(
            "For each example only one term is alive: -log p when y = 1, -log(1 - p) when y = 0. "
            "Average over the batch. Where p equals y the loss must be 0: but 0 * log(0) is NaN in numpy.",
            "Avoid multiplying a log(0) = -inf by 0. With 0/1 labels, first pick the probability given "
            "to the true class with np.where(y == 1, p, 1 - p), then take -np.log of it and the mean. "
            "Where that probability is 0, the log is -inf and the loss inf: leave it so.",
            "p_true = np.where(y == 1, p, 1 - p); return float(-np.mean(np.log(p_true)))",
        ),
    ),
    Exercise(
        id="sigmoid_cross_entropy",
        lesson="04",
        task="return the BCE of the logits z averaged over the batch, as a float, computed from z "
             "without forming sigmoid(z)",
        reference=sigmoid_cross_entropy,
        make_cases=_sigmoid_ce_cases,
        hidden_cases=_sigmoid_ce_hidden_cases,
        arg_names=("z", "y"),
        prerequisites=("sigmoid",),
        mistakes=_SIGMOID_CE_MISTAKES,
        variants=_SIGMOID_CE_VARIANTS,
        hints=(
            "Work with z itself, never with σ(z): above z ≈ 37, σ(z) rounds to 1.0 and log(1 - σ(z)) "
            "becomes log 0. Write log σ(z) and log(1 - σ(z)) in terms of z, as the lesson derives.",
            "log σ(z) = -log(1 + e^(-z)) and log(1 - σ(z)) = -log(1 + e^z), and np.logaddexp(0, t) "
            "computes log(1 + e^t) without overflow. Per example the loss y·log(1 + e^(-z)) + "
            "(1 - y)·log(1 + e^z) simplifies to log(1 + e^z) - y·z.",
            "return float(np.mean(np.logaddexp(0, z) - y * z))",
        ),
    ),
    Exercise(
        id="softmax_cross_entropy",
        lesson="04",
        task="return the softmax cross-entropy averaged over the batch, as a float, stable for any logits",
        reference=softmax_cross_entropy,
        make_cases=_softmax_ce_cases,
        hidden_cases=_softmax_ce_hidden_cases,
        arg_names=("logits", "labels"),
        prerequisites=("softmax",),
        mistakes=_SOFTMAX_CE_MISTAKES,
        variants=_SOFTMAX_CE_VARIANTS,
        hints=(
            "Per example, the loss is log Σ_j e^(z_j) - z_y. Subtracting the row's maximum m from every "
            "logit lowers both terms by m, so their difference, the loss, stays the same; and then no "
            "exponent is above 0, so exp cannot overflow, even at 1000.",
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
