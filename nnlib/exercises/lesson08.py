"""Exercises and concept questions of lesson 08, layer backprop.

Each exercise lists its known mistakes (f(Z) where f'(Z) belongs, dZ @ W without
the transpose, db taken from one row or along the wrong axis, a forgotten one-hot
or 1/N, ...) and correct variants in other styles, written as a learner would
write them: self-contained functions using only numpy and the exercise's
prerequisites, so that the grader can run them in its sandbox.

``mse_loss_backward`` is the gradient the learner derives with nothing printed:
it is graded like CS231n grades its layers, by a gradient check against finite
differences of ``mse_loss`` (``verify``), not by comparison with a formula.
"""

from __future__ import annotations

import numpy as np

from nnlib.activations import (
    ACTIVATIONS,
    identity_derivative,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    tanh,
    tanh_derivative,
)
from nnlib.exercises import Case, Exercise, Mistake, Question, Variant
from nnlib.gradcheck import gradient_check
from nnlib.layers import DenseCache, activation_backward, dense_backward
from nnlib.losses import mse_loss, mse_loss_backward, softmax_cross_entropy_backward

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
        _activation_case(rng, "float32 input (tanh)", "tanh", (4, 2), dtype=np.float32),
    ]


def _activation_hidden_cases(rng):
    return [
        _activation_case(rng, "relu, 16 × 8", "relu", (16, 8)),
        _activation_case(rng, "float32 sigmoid", "sigmoid", (3, 5), dtype=np.float32),
        _activation_case(rng, "float32 relu", "relu", (2, 2), dtype=np.float32),
    ]


_ACTIVATION_CHAIN = "dL/dZ = dL/dA · f'(Z), entry by entry"


def multiplies_by_f(dA, Z, activation):
    f, _ = ACTIVATIONS[activation]
    return dA * f(Z)


def f_prime_alone(dA, Z, activation):
    _, f_prime = ACTIVATIONS[activation]
    return f_prime(Z)


def adds_instead(dA, Z, activation):
    _, f_prime = ACTIVATIONS[activation]
    return dA + f_prime(Z)


def f_prime_at_the_output(dA, Z, activation):
    f, f_prime = ACTIVATIONS[activation]
    return dA * f_prime(f(Z))


def output_formula_on_z(dA, Z, activation):
    _, f_prime = ACTIVATIONS[activation]
    if activation == "sigmoid":
        return dA * Z * (1 - Z)  # σ(1 - σ) with Z where σ(Z) belongs
    if activation == "tanh":
        return dA * (1 - Z**2)
    return dA * f_prime(Z)


def relu_one_at_the_kink(dA, Z, activation):
    _, f_prime = ACTIVATIONS[activation]
    if activation == "relu":
        return dA * (Z >= 0)
    return dA * f_prime(Z)


def tanh_without_the_square(dA, Z, activation):
    _, f_prime = ACTIVATIONS[activation]
    if activation == "tanh":
        return dA * (1 - np.tanh(Z))
    return dA * f_prime(Z)


def sign_flipped_activation(dA, Z, activation):
    _, f_prime = ACTIVATIONS[activation]
    return -dA * f_prime(Z)


def matrix_product(dA, Z, activation):
    _, f_prime = ACTIVATIONS[activation]
    return dA @ f_prime(Z).T


def naive_sigmoid_derivative(dA, Z, activation):
    _, f_prime = ACTIVATIONS[activation]
    if activation == "sigmoid":
        e = np.exp(-Z)  # overflows to inf for Z below about -709: inf / inf is NaN
        return dA * e / (1 + e) ** 2
    return dA * f_prime(Z)


_ACTIVATION_MISTAKES = (
    Mistake("you multiplied by f(Z), the activation itself; the chain rule needs its derivative f'(Z)",
            multiplies_by_f),
    Mistake("you returned f'(Z) alone: multiply it by the upstream gradient dA (the chain rule)",
            f_prime_alone),
    Mistake("you added dA and f'(Z); the chain rule multiplies them: " + _ACTIVATION_CHAIN, adds_instead),
    Mistake("f' was evaluated at A = f(Z); it takes the pre-activation Z itself", f_prime_at_the_output),
    Mistake("you used the formula of f' in terms of the output, σ(1 - σ) or 1 - tanh², but put Z "
            "where σ(Z) or tanh(Z) belongs: compute f(Z) first (or call the *_derivative function)",
            output_formula_on_z),
    Mistake("at Z = 0 exactly ReLU has a kink; this course takes ReLU'(0) = 0, so use Z > 0, not Z >= 0",
            relu_one_at_the_kink),
    Mistake("tanh'(Z) = 1 - tanh(Z)², the square is missing", tanh_without_the_square),
    Mistake("the sign is flipped: " + _ACTIVATION_CHAIN + ", with no minus", sign_flipped_activation),
    Mistake("@ is a matrix product; the chain rule here is elementwise (each A[n, j] depends on Z[n, j] "
            "alone): use *", matrix_product),
    Mistake("e^(-Z) overflows for large negative Z and inf / inf is NaN: write σ'(Z) as σ(Z)(1 - σ(Z)) "
            "with a stable sigmoid (or use sigmoid_derivative)", naive_sigmoid_derivative),
)


def explicit_formulas(dA, Z, activation):
    if activation == "relu":
        return np.where(Z > 0, dA, 0)
    if activation == "sigmoid":
        s = sigmoid(Z)
        return dA * s * (1 - s)
    if activation == "tanh":
        t = tanh(Z)
        return dA * (1 - t * t)
    return dA.copy()


def derivative_functions_by_name(dA, Z, activation):
    derivatives = {"relu": relu_derivative, "sigmoid": sigmoid_derivative, "tanh": tanh_derivative,
                   "identity": identity_derivative}
    return derivatives[activation](Z) * dA


def sigmoid_times_mirror(dA, Z, activation):
    if activation == "sigmoid":
        return dA * sigmoid(Z) * sigmoid(-Z)  # σ(z)(1 - σ(z)) = σ(z)σ(-z)
    _, f_prime = ACTIVATIONS[activation]
    return np.multiply(dA, f_prime(Z))


def loop_filling_zeros(dA, Z, activation):
    _, f_prime = ACTIVATIONS[activation]
    dZ = np.zeros(Z.shape)  # float64, also for float32 input
    for n in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            dZ[n, j] = dA[n, j] * f_prime(Z[n, j])
    return dZ


def identity_returns_da(dA, Z, activation):
    if activation == "identity":
        return dA  # f' = 1: the upstream gradient itself
    _, f_prime = ACTIVATIONS[activation]
    return dA * f_prime(Z)


def relu_mask_float64(dA, Z, activation):
    if activation == "relu":
        return dA * np.where(Z > 0, 1.0, 0.0)  # float64 mask: a float64 result for float32 input
    _, f_prime = ACTIVATIONS[activation]
    return dA * f_prime(Z)


_ACTIVATION_VARIANTS = (
    Variant("explicit formulas per activation with np.where", explicit_formulas),
    Variant("the lesson 02 *_derivative functions looked up by name", derivative_functions_by_name),
    Variant("σ'(z) = σ(z)σ(-z), np.multiply", sigmoid_times_mirror),
    Variant("a loop over the entries filling np.zeros (float64 result)", loop_filling_zeros),
    Variant("identity returns dA itself", identity_returns_da),
    Variant("ReLU mask np.where(Z > 0, 1.0, 0.0) (float64 for float32 input)", relu_mask_float64),
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
        _dense_case(rng, "float32 input", 4, 3, 2, dtype=np.float32),
    ]


def _dense_hidden_cases(rng):
    return [
        _dense_case(rng, "32 examples, 8 inputs → 5 units", 32, 8, 5),
        _dense_case(rng, "float32, 7 examples, 2 inputs → 6 units", 7, 2, 6, dtype=np.float32),
    ]


_SHARED_BY_ROWS = "b is added to every row of Z, so its gradient adds up the rows of dZ: dZ.sum(axis=0)"


def dx_without_transpose(dZ, cache, W):
    return dZ @ W, cache.X.T @ dZ, dZ.sum(axis=0)


def dw_divided_by_n(dZ, cache, W):
    return dZ @ W.T, cache.X.T @ dZ / len(dZ), dZ.sum(axis=0)


def db_first_row(dZ, cache, W):
    return dZ @ W.T, cache.X.T @ dZ, dZ[0]


def db_not_reduced(dZ, cache, W):
    return dZ @ W.T, cache.X.T @ dZ, dZ


def db_mean_over_batch(dZ, cache, W):
    return dZ @ W.T, cache.X.T @ dZ, dZ.mean(axis=0)


def db_over_units(dZ, cache, W):
    return dZ @ W.T, cache.X.T @ dZ, dZ.sum(axis=1)


def db_one_number(dZ, cache, W):
    return dZ @ W.T, cache.X.T @ dZ, dZ.sum()


def dw_transposed(dZ, cache, W):
    return dZ @ W.T, dZ.T @ cache.X, dZ.sum(axis=0)


def dw_from_z(dZ, cache, W):
    return dZ @ W.T, cache.Z.T @ dZ, dZ.sum(axis=0)


def dw_and_dx_swapped(dZ, cache, W):
    return cache.X.T @ dZ, dZ @ W.T, dZ.sum(axis=0)


_DENSE_MISTAKES = (
    Mistake("dX = dZ @ W misses the transpose: dX = dZ @ W.T, so that (N, D_out) @ (D_out, D_in) "
            "gives (N, D_in)", dx_without_transpose),
    Mistake("you divided dW by N: the upstream dZ already carries the loss's 1/N, so dW = X.T @ dZ",
            dw_divided_by_n),
    Mistake("db = dZ[0] uses the first example only: " + _SHARED_BY_ROWS, db_first_row),
    Mistake("db has one row per example: b is shared by all N rows, so sum dZ over the batch (axis=0)",
            db_not_reduced),
    Mistake("db is the mean over the batch; the upstream dZ already carries the loss's 1/N, so "
            "db = dZ.sum(axis=0)", db_mean_over_batch),
    Mistake("db was summed over axis 1 (the units); sum over axis 0 (the examples) to keep one number "
            "per unit", db_over_units),
    Mistake("db was summed over everything into one number; keep one entry per unit: dZ.sum(axis=0)",
            db_one_number),
    Mistake("dW = dZ.T @ X is the transpose of the gradient: dW has W's shape (D_in, D_out), which "
            "X.T @ dZ gives", dw_transposed),
    Mistake("dW was built from cache.Z, the layer's output; W multiplies the input, so dW = X.T @ dZ "
            "with X = cache.X", dw_from_z),
    Mistake("dX and dW are swapped: return them in the order (dX, dW, db), dX shaped like X and dW like W",
            dw_and_dx_swapped),
)


def einsum_everything(dZ, cache, W):
    return (np.einsum("nk,ik->ni", dZ, W), np.einsum("ni,nk->ik", cache.X, dZ),
            np.einsum("nk->k", dZ))


def loops_over_examples(dZ, cache, W):
    X = cache.X
    dX, dW, db = np.zeros_like(X), np.zeros_like(W), np.zeros_like(dZ[0])
    for n in range(len(X)):
        dX[n] = W @ dZ[n]
        dW += np.outer(X[n], dZ[n])
        db += dZ[n]
    return dX, dW, db


def ones_vector_for_db(dZ, cache, W):
    return dZ @ W.T, cache.X.T @ dZ, np.ones(len(dZ)) @ dZ  # float64 db for float32 dZ


def transposed_products(dZ, cache, W):
    return (W @ dZ.T).T, np.dot(cache.X.T, dZ), dZ.T.sum(axis=1)


def list_and_matmul(dZ, cache, W):
    X, _ = cache
    return [np.matmul(dZ, W.T), np.matmul(X.T, dZ), np.sum(dZ, axis=0)]


def sum_of_outer_products(dZ, cache, W):
    X = cache.X
    dW = sum(np.outer(x_n, dz_n) for x_n, dz_n in zip(X, dZ, strict=True))
    return dZ @ W.T, dW, dZ.sum(axis=0)


_DENSE_VARIANTS = (
    Variant("np.einsum for all three", einsum_everything),
    Variant("a loop over the examples, accumulating into np.zeros_like", loops_over_examples),
    Variant("db = np.ones(N) @ dZ (float64 for float32 input)", ones_vector_for_db),
    Variant("(W @ dZ.T).T, np.dot and dZ.T.sum(axis=1)", transposed_products),
    Variant("a list, np.matmul, the cache unpacked", list_and_matmul),
    Variant("dW as a sum of outer products", sum_of_outer_products),
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
        _logits_case(rng, "float32 logits", 5, 3, dtype=np.float32),
    ]


def _softmax_backward_hidden_cases(rng):
    return [
        _logits_case(rng, "20 examples, 10 classes", 20, 10),
        _logits_case(rng, "large logits (±600)", 4, 3, scale=300.0),
    ]


def forgot_the_mean(logits, labels):
    p = softmax(logits, axis=1)
    p[np.arange(len(labels)), labels] -= 1
    return p


def onehot_missing(logits, labels):
    return softmax(logits, axis=1) / len(labels)


def whole_columns(logits, labels):
    p = softmax(logits, axis=1)
    p[:, labels] -= 1
    return p / len(labels)


def divided_by_classes(logits, labels):
    p = softmax(logits, axis=1)
    p[np.arange(len(labels)), labels] -= 1
    return p / logits.shape[1]


def softmax_over_the_batch(logits, labels):
    p = softmax(logits, axis=0)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def onehot_minus_softmax(logits, labels):
    p = softmax(logits, axis=1)
    p[np.arange(len(labels)), labels] -= 1
    return -p / len(labels)


def unshifted_exp(logits, labels):
    e = np.exp(logits)  # overflows for logits above about 709: inf / inf is NaN
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def onehot_not_divided(logits, labels):
    p = softmax(logits, axis=1) / len(labels)
    p[np.arange(len(labels)), labels] -= 1
    return p


def label_ids_subtracted(logits, labels):
    return (softmax(logits, axis=1) - labels[:, None]) / len(labels)


def divided_by_every_entry(logits, labels):
    p = softmax(logits, axis=1)
    p[np.arange(len(labels)), labels] -= 1
    return p / logits.size


_SOFTMAX_BACKWARD_MISTAKES = (
    Mistake("you forgot the 1/N: the loss is a mean over the N examples, so divide softmax - onehot by N",
            forgot_the_mean),
    Mistake("the one-hot is missing: the gradient is (softmax(z) - onehot(y)) / N; subtract 1 at each "
            "row's true class", onehot_missing),
    Mistake("p[:, labels] -= 1 subtracts 1 in whole columns; subtract it once per row, at the true "
            "class only: p[np.arange(N), labels] -= 1", whole_columns),
    Mistake("you divided by C, the number of classes; the loss averages over the N examples: divide by N",
            divided_by_classes),
    Mistake("the softmax runs over the wrong axis: each row (axis=1) holds one example's class scores",
            softmax_over_the_batch),
    Mistake("the sign is flipped: it is softmax minus one-hot (the true class gets S - 1 <= 0), "
            "not one-hot minus softmax", onehot_minus_softmax),
    Mistake("exp(logits) overflowed (inf / inf is NaN): use the stable softmax, or shift each row by "
            "its max before np.exp", unshifted_exp),
    Mistake("the -1 of the one-hot needs the 1/N too: subtract the one-hot first, then divide "
            "everything by N", onehot_not_divided),
    Mistake("you subtracted the label id itself from every class; subtract 1 at the true class of "
            "each row only (a one-hot row)", label_ids_subtracted),
    Mistake("you divided by N·C, the number of entries; the loss is a mean over the N examples only: "
            "divide by N", divided_by_every_entry),
)


def eye_rows_onehot(logits, labels):
    onehot = np.eye(logits.shape[1])[labels]  # float64, also for float32 logits
    return (softmax(logits, axis=1) - onehot) / len(labels)


def loop_over_rows(logits, labels):
    grad = softmax(logits, axis=1)
    for n, label in enumerate(labels):
        grad[n, label] -= 1
    return grad / len(labels)


def softmax_by_hand(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def boolean_onehot(logits, labels):
    onehot = labels[:, None] == np.arange(logits.shape[1])  # (N, C) of True/False
    return (softmax(logits, axis=1) - onehot) / logits.shape[0]


def put_along_axis(logits, labels):
    p = softmax(logits, axis=1)
    rows = labels.reshape(-1, 1)
    np.put_along_axis(p, rows, np.take_along_axis(p, rows, axis=1) - 1, axis=1)
    return p / len(p)


def add_at(logits, labels):
    p = softmax(logits, axis=1).copy()
    np.add.at(p, (np.arange(len(labels)), labels), -1)
    return p * (1.0 / len(labels))


_SOFTMAX_BACKWARD_VARIANTS = (
    Variant("one-hot from np.eye(C)[labels] (float64 for float32 logits)", eye_rows_onehot),
    Variant("a loop over the rows", loop_over_rows),
    Variant("the softmax by hand, shifted by each row's max", softmax_by_hand),
    Variant("a boolean one-hot labels[:, None] == np.arange(C)", boolean_onehot),
    Variant("np.put_along_axis", put_along_axis),
    Variant("np.add.at, times 1/N", add_at),
)


# --------------------------------------------------------------------------- #
# mse_loss_backward: derived by the learner, graded by gradient_check
# --------------------------------------------------------------------------- #


def _mse_case(rng, name, shape, scale=1.0):
    return Case(name, (rng.normal(size=shape) * scale, rng.normal(size=shape) * scale))


def _mse_cases(rng):
    same = rng.normal(size=(3, 2))
    return [
        _mse_case(rng, "4 examples, 3 outputs", (4, 3)),
        _mse_case(rng, "1-D: 6 predictions", (6,)),
        _mse_case(rng, "one output column (5, 1)", (5, 1)),
        _mse_case(rng, "batch of 1, 4 outputs", (1, 4)),
        Case("predictions equal to the targets: the gradient is 0", (same, same.copy())),
        _mse_case(rng, "large errors (values around ±100)", (3, 5), scale=100.0),
        _mse_case(rng, "square (3, 3)", (3, 3)),
    ]


def _mse_hidden_cases(rng):
    return [_mse_case(rng, "16 examples, 2 outputs", (16, 2)),
            _mse_case(rng, "2 examples, 5 outputs", (2, 5))]


def _mse_ratio_cause(shape, ratio: float) -> str:
    """Name the slip behind a gradient that is ``ratio`` times the true one everywhere, or ''."""
    size = int(np.prod(shape))
    rows, cols = (shape[0], size // shape[0]) if len(shape) > 1 else (size, 1)
    for value, cause in (
        (-1.0, "the sign is flipped: the derivative of (ŷ - y)² with respect to ŷ is +2(ŷ - y)"),
        (0.5, "the factor 2 is missing: the derivative of u² is 2u"),
        (size, f"no mean: L averages over all M = {size} entries, so each entry's gradient carries a 1/M"),
        (cols, f"you divided by the {rows} rows only: the mean of mse_loss runs over all M = {size} "
               "entries; divide by y_pred.size"),
        (rows, f"you divided by the {cols} columns only: the mean runs over all M = {size} entries; "
               "divide by y_pred.size"),
        (1 / size, f"you divided by M = {size} twice"),
    ):
        if value != 1 and np.isclose(ratio, value, rtol=1e-6):
            return cause
    return ""


def _verify_mse_backward(case: Case, received: dict) -> str | None:
    """Grade the learner's dL/dŷ with a gradient check of mse_loss (no reference formula is used)."""
    y_pred, y = case.args
    if set(received) != {""}:
        return (f"expected one array shaped like y_pred {y_pred.shape}, got a tuple or list of "
                f"{len({k.split(']')[0] for k in received})} parts")
    grad = received[""]
    if grad.shape != y_pred.shape:
        if grad.ndim == 0:
            return (f"the result is a single number; dL/dŷ has one entry per entry of y_pred, shape "
                    f"{y_pred.shape} (a gradient has the shape of what it is the gradient of)")
        summed = grad.shape == y_pred.shape[1:] or grad.shape == y_pred.shape[:1]
        return (f"the gradient must have y_pred's shape {y_pred.shape}; got {grad.shape}"
                + (": every entry of y_pred gets its own derivative, nothing is summed or averaged away"
                   if summed else ""))
    report = gradient_check(lambda p: mse_loss(p, y), np.array(y_pred, dtype=np.float64),
                            grad.astype(np.float64))
    if report.ok:
        return None
    what = (f"gradient check against finite differences of mse_loss failed: relative error "
            f"{report.max_rel_error:.3g} at index {report.worst_index} (yours {report.analytic_value:+.6g}, "
            f"numeric {report.numeric_value:+.6g})")
    diff = np.asarray(y_pred, dtype=np.float64) - y
    big = np.abs(diff) > 1e-6 * np.max(np.abs(diff))
    exact = 2 * diff / diff.size
    cause = ""
    if big.any():
        ratios = grad[big] / exact[big]
        if np.allclose(ratios, ratios[0], rtol=1e-6):
            cause = _mse_ratio_cause(y_pred.shape, float(ratios[0]))
        elif np.allclose(grad[big] / diff[big] ** 2, (grad[big] / diff[big] ** 2)[0], rtol=1e-6):
            cause = ("you squared the difference: the derivative of u² is 2u, so (ŷ - y) stays to "
                     "the first power")
    return f"{what}\n  likely cause: {cause or report.hint}"


def forgot_the_two(y_pred, y):
    return (y_pred - y) / y_pred.size


def divided_by_rows(y_pred, y):
    return 2 * (y_pred - y) / len(y_pred)


def divided_by_columns(y_pred, y):
    return 2 * (y_pred - y) / y_pred.shape[-1]


def no_mean_at_all(y_pred, y):
    return 2 * (y_pred - y)


def target_minus_prediction(y_pred, y):
    return 2 * (y - y_pred) / y_pred.size


def difference_squared(y_pred, y):
    return (y_pred - y) ** 2 / y_pred.size


def returns_the_loss(y_pred, y):
    return np.mean((y_pred - y) ** 2)


def summed_over_the_batch(y_pred, y):
    return np.sum(2 * (y_pred - y), axis=0) / y_pred.size


def mean_taken_twice(y_pred, y):
    return 2 * (y_pred - y) / y_pred.size / y_pred.size


_MSE_MISTAKES = (
    Mistake("forgot the 2", forgot_the_two, expect="the factor 2 is missing"),
    Mistake("divided by N only", divided_by_rows, expect="you divided by the 4 rows only"),
    Mistake("divided by D only", divided_by_columns, expect="you divided by the 3 columns only"),
    Mistake("no 1/M", no_mean_at_all, expect="no mean: L averages over all M = 12 entries"),
    Mistake("y - ŷ", target_minus_prediction, expect="the sign is flipped"),
    Mistake("(ŷ - y)²", difference_squared, expect="you squared the difference"),
    Mistake("the loss, not its gradient", returns_the_loss, expect="the result is a single number"),
    Mistake("summed over the batch", summed_over_the_batch,
            expect="nothing is summed or averaged away"),
    Mistake("divided by M twice", mean_taken_twice, expect="you divided by M = 12 twice"),
)


def size_of_y_pred(y_pred, y):
    return 2 * (y_pred - y) / y_pred.size


def product_of_the_shape(y_pred, y):
    return (y_pred - y) * (2 / np.prod(y_pred.shape))


def loop_over_entries(y_pred, y):
    grad = np.zeros_like(y_pred)
    m = y_pred.size
    for index in np.ndindex(y_pred.shape):
        grad[index] = 2 * (y_pred[index] - y[index]) / m
    return grad


def multiply_and_divide(y_pred, y):
    return np.multiply(2.0, np.subtract(y_pred, y)) / len(y_pred.ravel())


def mean_of_a_scaled_copy(y_pred, y):
    diff = y_pred - y
    return 2 * diff / np.ones_like(diff).sum()


_MSE_VARIANTS = (
    Variant("2 (ŷ - y) / y_pred.size", size_of_y_pred),
    Variant("times 2 / np.prod(shape)", product_of_the_shape),
    Variant("a loop over np.ndindex", loop_over_entries),
    Variant("np.multiply, np.subtract, len of the raveled array", multiply_and_divide),
    Variant("the number of entries counted with np.ones_like", mean_of_a_scaled_copy),
)

EXERCISES = (
    Exercise(
        id="activation_backward",
        lesson="08",
        task="return dL/dZ (shape (N, D)) given the upstream dL/dA and the pre-activation Z, for the "
             "activation named by activation",
        reference=activation_backward,
        make_cases=_activation_cases,
        hidden_cases=_activation_hidden_cases,
        arg_names=("dA", "Z", "activation"),
        prerequisites=("ACTIVATIONS", "sigmoid", "tanh", "relu", "identity", "sigmoid_derivative",
                       "tanh_derivative", "relu_derivative", "identity_derivative"),
        mistakes=_ACTIVATION_MISTAKES,
        variants=_ACTIVATION_VARIANTS,
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
        task="return (dX, dW, db) of Z = X @ W + b given dZ, with the shapes of X, W and b "
             "(X = cache.X)",
        reference=dense_backward,
        make_cases=_dense_cases,
        hidden_cases=_dense_hidden_cases,
        arg_names=("dZ", "cache", "W"),
        mistakes=_DENSE_MISTAKES,
        variants=_DENSE_VARIANTS,
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
        task="return the gradient of the mean softmax cross-entropy with respect to the logits, shape (N, C)",
        reference=softmax_cross_entropy_backward,
        make_cases=_softmax_backward_cases,
        hidden_cases=_softmax_backward_hidden_cases,
        arg_names=("logits", "labels"),
        prerequisites=("softmax",),
        mistakes=_SOFTMAX_BACKWARD_MISTAKES,
        variants=_SOFTMAX_BACKWARD_VARIANTS,
        hints=(
            "Steps 1 to 3 give the three pieces of ∂L/∂Z[n, k]: the 1/N of the mean, the softmax "
            "probability S[n, k] from the log-sum-exp, and -1 where k is the true class of row n. Add them "
            "up for every entry.",
            "p = softmax(logits, axis=1) is a new (N, C) array; subtract 1 at (n, labels[n]) for every "
            "row n with fancy indexing p[np.arange(N), labels], then divide by N.",
            "N = len(labels); p = softmax(logits, axis=1); p[np.arange(N), labels] -= 1; return p / N",
        ),
    ),
    Exercise(
        id="mse_loss_backward",
        lesson="08",
        task="return dL/dy_pred of L = mse_loss(y_pred, y), shaped like y_pred",
        reference=mse_loss_backward,
        make_cases=_mse_cases,
        hidden_cases=_mse_hidden_cases,
        arg_names=("y_pred", "y"),
        verify=_verify_mse_backward,
        mistakes=_MSE_MISTAKES,
        variants=_MSE_VARIANTS,
        hints=(
            "Write L = (1/M) Σ_i (ŷ_i - y_i)² over all M entries of y_pred, and differentiate with "
            "respect to one entry ŷ_k: only one term of the sum contains it.",
            "d/dŷ_k of (ŷ_k - y_k)² is 2(ŷ_k - y_k) (chain rule), and the 1/M of the mean stays. "
            "M is the number of entries, y_pred.size, not the number of rows.",
            "return 2 * (y_pred - y) / y_pred.size",
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
    Question(
        id="q08_2",
        lesson="08",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="c",
        feedback={
            "a": "dZ @ X.T multiplies (32, 256) by (784, 32): the inner sizes 256 and 784 do not match, so "
            "numpy raises. The shape rule points elsewhere: dW must be (784, 256), like W.",
            "b": "dZ.T @ X is (256, 32) @ (32, 784) = (256, 784): the shape of W.T, not of W. It holds the "
            "right numbers, transposed; W - lr * dW would not even broadcast.",
            "c": "X.T @ dZ is (784, 32) @ (32, 256) = (784, 256), W's shape, and its entry (i, k) is "
            "Σ_n X[n, i] dZ[n, k]: the sum over the 32 examples that uses W[i, k].",
            "d": "The shape (784, 256) is right, but dZ already holds the loss's 1/32: dividing again makes "
            "every step 32 times too small.",
        },
    ),
    Question(
        id="q08_3",
        lesson="08",
        kind="number",
        answer=-0.15,
        tol=0.005,
        feedback={
            "correct": "dZ[0, 0] = (S[0, 0] - 1) / N = (0.7 - 1) / 2 = -0.15: negative, so gradient descent "
            "raises the true class's logit; the other two entries of the row are 0.2 / 2 and 0.1 / 2, and "
            "the row sums to 0.",
            "low": "too low: the true class gets (S - 1) / N with S = 0.7 and N = 2. -0.3 would forget the "
            "1/N of the mean.",
            "high": "too high: the true class gets S - 1, not S (0.35 = 0.7 / 2 forgets the one-hot), and "
            "the whole row is divided by N = 2.",
        },
    ),
)
