"""Lesson 06, backprop in a neuron: check() names the usual mistakes of neuron_gradients."""

import copy

import numpy as np
import pytest

from nnlib import Value, binary_cross_entropy, check, check_answer, gradient_check, neuron_gradients, sigmoid
from nnlib.check import judge_case
from nnlib.exercises import get_exercise, get_question
from nnlib.judge import flatten_output


def run(fn, capsys):
    result = check("neuron_gradients", fn)
    return result, capsys.readouterr().out


def test_reference_passes_every_case_and_every_hidden_case(capsys):
    ex = get_exercise("neuron_gradients")
    assert ex.lesson == "06" and set(ex.prerequisites) == {"sigmoid", "binary_cross_entropy"}
    result, out = run(ex.reference, capsys)
    assert result and out == f"neuron_gradients: all {result.total} checks passed\n"
    for seed in (7, 8, 9):  # the grader's seeds and extra cases
        for case in ex.cases(seed=seed, hidden=True):
            received = flatten_output(ex.reference(*copy.deepcopy(case.args)))
            assert np.all(np.isfinite(received["[0]"])), case.name  # |z| <= 20 keeps the loss finite
            assert judge_case(ex, case, received) is None, case.name


def forward(X, y, w, b):
    a = sigmoid(X @ w + b)
    return a, binary_cross_entropy(a, y)


def forgot_mean(X, y, w, b):
    a, loss = forward(X, y, w, b)
    dz = a - y
    return loss, X.T @ dz, dz.sum()


def sign_flip(X, y, w, b):
    a, loss = forward(X, y, w, b)
    dz = (y - a) / len(y)
    return loss, X.T @ dz, dz.sum()


def no_transpose(X, y, w, b):
    a, loss = forward(X, y, w, b)
    dz = (a - y) / len(y)
    return loss, X @ dz, dz.sum()


def db_not_summed(X, y, w, b):
    a, loss = forward(X, y, w, b)
    dz = (a - y) / len(y)
    return loss, X.T @ dz, dz


def z_for_a(X, y, w, b):
    z = X @ w + b
    _, loss = forward(X, y, w, b)
    dz = (z - y) / len(y)
    return loss, X.T @ dz, dz.sum()


def extra_sigmoid_derivative(X, y, w, b):
    a, loss = forward(X, y, w, b)
    dz = (a - y) * a * (1 - a) / len(y)
    return loss, X.T @ dz, dz.sum()


def dw_as_column(X, y, w, b):
    a, loss = forward(X, y, w, b)
    dz = (a - y) / len(y)
    return loss, (X.T @ dz).reshape(-1, 1), dz.sum()


def only_gradients(X, y, w, b):
    a, _ = forward(X, y, w, b)
    dz = (a - y) / len(y)
    return X.T @ dz, dz.sum()


def updates_w_in_place(X, y, w, b):
    a, loss = forward(X, y, w, b)
    dz = (a - y) / len(y)
    w -= 0.1 * (X.T @ dz)  # an SGD step inside the gradient function changes the caller's w
    return loss, X.T @ dz, dz.sum()


def exp_overflow_loss(X, y, w, b):
    z = X @ w + b
    with np.errstate(all="ignore"):
        a = 1 / (1 + np.exp(-z))
        loss = -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))
    dz = (a - y) / len(y)
    return loss, X.T @ dz, dz.sum()


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (forgot_mean, ["case 1 '3 examples, 3 features", "output[1]: first mismatch at index 0",
                       "likely cause: every gradient is N times too large: you forgot the 1/N"]),
        (sign_flip, ["likely cause: the sign is flipped: dL/dz = a - y, not y - a"]),
        (no_transpose, ["case 1 '3 examples, 3 features (square X, so that X @ dz runs)'",
                        "likely cause: X @ dz multiplies from the wrong side"]),
        (db_not_summed, ["output[2]: expected shape (), got (3,)", "likely cause: db must be one number"]),
        (z_for_a, ["likely cause: you used z where a = sigmoid(z) belongs"]),
        (extra_sigmoid_derivative, ["likely cause: you multiplied by σ'(z) = a(1 - a) again"]),
        (dw_as_column, ["output[1]: expected shape (3,), got (3, 1) (same number of entries"]),
        (only_gradients, ["expected 3 parts in the result, got 2"]),
        (updates_w_in_place, ["your function changed its input w (first at index (0,))"]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_neuron_gradients_mistakes_are_named(wrong, fragments, capsys):
    result, out = run(wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


def test_a_naive_but_correct_implementation_passes(capsys):
    """Writing the BCE out by hand is fine as long as |z| stays moderate (the cases keep |z| <= 20)."""
    assert run(exp_overflow_loss, capsys)[0]


def test_neuron_gradients_agrees_with_the_value_engine_and_a_gradient_check():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(5, 2)), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    w, b = rng.normal(size=2), 0.3
    loss, dw, db = neuron_gradients(X, y, w, b)
    ws, bv = [Value(float(v)) for v in w], Value(b)
    total = Value(0.0)
    for row, label in zip(X, y, strict=True):
        a = sum((wj * float(xj) for wj, xj in zip(ws, row, strict=True)), bv).sigmoid()
        total = total - (a.log() if label == 1 else (1 - a).log())
    mean = total / len(y)
    mean.backward()
    assert loss == pytest.approx(mean.data, rel=1e-12)
    np.testing.assert_allclose(dw, [v.grad for v in ws], rtol=1e-10)
    assert db == pytest.approx(bv.grad, rel=1e-10)
    theta = np.append(w, b)
    report = gradient_check(lambda t: binary_cross_entropy(sigmoid(X @ t[:-1] + t[-1]), y), theta,
                            np.append(dw, db))
    assert report.ok


# --------------------------------------------------------------------------- #
# the concept question
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [("a", "divide by N = 2"), ("c", "with the sign flipped"), ("d", "Gradients keep their signs")],
)
def test_q06_1_wrong_answers_explain_why(answer, fragment, capsys):
    assert not check_answer("q06_1", answer)
    out = capsys.readouterr().out
    assert out.startswith("q06_1: not quite.") and fragment in out


def test_q06_1_right_answer_is_the_formula(capsys):
    assert check_answer("q06_1", "b")
    assert "q06_1: correct." in capsys.readouterr().out
    a, y = np.array([0.9, 0.6]), np.array([0.0, 1.0])
    assert np.sum(a - y) / len(y) == pytest.approx(0.25)
    assert set(get_question("q06_1").feedback) == {"a", "b", "c", "d"}
