"""Lesson 06, backprop in a neuron: check() names the usual mistakes of neuron_gradients, the bank of
mistakes and correct variants holds, gradient_check's report is machine-independent where the lesson
prints it, and the lesson's numbers and promises hold."""

import copy

import numpy as np
import pytest
from lesson_common import learner_copy
from lesson_support import (
    NOISE_DIGITS,
    cell_source,
    cells_before,
    check_output,
    mistake_problems,
    run_all_bindings,
    solution_outputs,
    variant_problems,
)

from nnlib import (
    Value,
    binary_cross_entropy,
    check,
    check_answer,
    gradient_check,
    neuron_gradients,
    numerical_gradient,
    sigmoid,
)
from nnlib.check import judge_case
from nnlib.exercises import get_exercise, get_question
from nnlib.judge import flatten_output


def run(fn, capsys):
    result = check("neuron_gradients", fn)
    return result, capsys.readouterr().out


def test_reference_passes_every_case_and_every_hidden_case(capsys):
    ex = get_exercise("neuron_gradients")
    assert ex.lesson == "06" and set(ex.prerequisites) == {"sigmoid", "binary_cross_entropy"}
    result, out = run(learner_copy(ex.reference), capsys)
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
                       "likely cause: dw and db are both N times too large: you forgot the 1/N"]),
        (sign_flip, ["likely cause: the sign is flipped: dL/dz = a - y, not y - a"]),
        (no_transpose, ["case 1 '3 examples, 3 features (square X, so that X @ dz runs)'",
                        "likely cause: X @ dz multiplies from the wrong side"]),
        (db_not_summed, ["output[2]: expected shape (), got (3,)", "likely cause: db must be one number"]),
        (z_for_a, ["likely cause: you used z where a = sigmoid(z) belongs"]),
        (extra_sigmoid_derivative, ["likely cause: you multiplied by σ'(z) = a(1 - a) again"]),
        (dw_as_column, ["output[1]: expected shape (3,), got (3, 1) (same number of entries"]),
        (only_gradients, ["output has 2 items; expected 3"]),
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


# --------------------------------------------------------------------------- #
# issue 14: a 1/N missing in db alone is named as such; the bank holds
# --------------------------------------------------------------------------- #


def db_without_the_mean(X, y, w, b):
    a = sigmoid(X @ w + b)
    return binary_cross_entropy(a, y), X.T @ (a - y) / len(y), float(np.sum(a - y))


def test_a_missing_mean_in_db_alone_is_not_blamed_on_every_gradient():
    passed, out = check_output("neuron_gradients", db_without_the_mean)
    assert not passed
    assert "output[2]" in out  # dw passed: the first wrong part is db
    assert "likely cause: db is N times too large, dw is right" in out
    assert "every gradient" not in out and "both" not in out


def test_every_mistake_of_the_bank_is_caught_with_its_own_message():
    ex = get_exercise("neuron_gradients")
    assert len(ex.mistakes) >= 8 and len({m.cause for m in ex.mistakes}) == len(ex.mistakes)
    assert mistake_problems("neuron_gradients") == []


def test_every_correct_variant_of_the_bank_passes():
    assert len(get_exercise("neuron_gradients").variants) >= 5
    assert variant_problems("neuron_gradients") == []


# --------------------------------------------------------------------------- #
# gradient_check's report: deterministic where the lesson prints it
# --------------------------------------------------------------------------- #


def _lesson_problem():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(20, 3))
    y = (X @ np.array([1.5, -2.0, 0.5]) > 0).astype(float)
    theta = np.append(0.5 * rng.normal(size=3), 0.1)

    def loss_of(t):
        return binary_cross_entropy(sigmoid(X @ t[:-1] + t[-1]), y)

    _, dw, db = neuron_gradients(X, y, theta[:-1], theta[-1])
    return loss_of, theta, np.append(dw, db)


def test_summary_states_a_bound_for_a_pass_and_the_full_report_otherwise():
    loss_of, theta, analytic = _lesson_problem()
    report = gradient_check(loss_of, theta, analytic)
    assert report.ok and report.max_rel_error < 1e-8
    assert report.summary(1e-8) == "gradient check passed: max relative error < 1e-08 (tolerance 1e-07)"
    assert report.summary(1e-7) == "gradient check passed: max relative error below the tolerance 1e-07"
    tight = report.max_rel_error / 10  # a bound the error does not meet: the full report, digits and all
    assert report.summary(tight) == str(report)
    failed = gradient_check(loss_of, theta, 2 * analytic)
    assert failed.summary(1e-8) == str(failed) and "FAILED" in str(failed)
    with pytest.raises(ValueError, match=r"GradCheckReport.summary: bound must be a finite number > 0"):
        report.summary(0.0)


@pytest.mark.parametrize("factor", [2.0, -1.0, 20.0])
def test_a_constant_factor_reports_the_first_entry_whatever_the_noise(factor):
    """Every entry has the same error, up to rounding; the report must not let noise pick the index."""
    loss_of, theta, analytic = _lesson_problem()
    for jitter in (0.0, 1e-13, -1e-13):  # rounding-sized changes of the analytic gradient
        report = gradient_check(loss_of, theta, factor * analytic * (1 + jitter * np.arange(4)))
        assert not report.ok and report.worst_index == (0,)


def test_no_printed_number_of_the_solution_is_rounding_noise():
    """Issue 17, item 5: the committed outputs print a bound, never the noise digits of a passing check."""
    text = solution_outputs("06")
    assert "max relative error < 1e-08" in text
    assert not NOISE_DIGITS.search(text), NOISE_DIGITS.search(text)


def test_the_noise_floor_numbers_of_the_prose():
    """Section 5: for any loss up to 1 the noise floor is ~2.2e-4, below this gradient's 1e-3 s ~ 6.8e-4."""
    rng = np.random.default_rng(0)  # the lesson's first draws: X, the label noise, w0
    X = rng.normal(size=(20, 3))
    y = (X @ np.array([1.5, -2.0, 0.5]) + 0.5 * rng.normal(size=20) > 0).astype(float)
    w0, b0 = 0.5 * rng.normal(size=3), 0.1
    theta = np.append(w0, b0)

    def loss_of(t):
        return binary_cross_entropy(sigmoid(X @ t[:-1] + t[-1]), y)

    _, dw, db = neuron_gradients(X, y, w0, b0)
    analytic = np.append(dw, db)
    numeric = numerical_gradient(loss_of, theta)
    s = float(np.max(np.abs(analytic) + np.abs(numeric)))
    assert loss_of(theta) < 1
    assert 1e-3 * s == pytest.approx(6.8e-4, abs=0.05e-4)
    noise_floor = np.finfo(np.float64).eps * max(loss_of(theta), 1.0) / 1e-5 / 1e-7
    assert noise_floor == pytest.approx(2.2e-4, abs=0.05e-4)
    assert "6.8 \\cdot 10^{-4}" in cell_source("06", "gradcheck-intro")


def test_the_contributions_figure_reaches_the_gradient_the_prose_states():
    X6 = np.array([[1.0, 2.0], [2.0, 0.5], [-1.0, 1.0], [0.5, -1.5], [-2.0, -1.0], [1.5, 1.0]])
    y6 = np.array([1.0, 1.0, 0.0, 0.0, 0.0, 1.0])
    _, dw6, _ = neuron_gradients(X6, y6, np.array([1.0, -0.5]), 0.0)
    contributions = (sigmoid(X6 @ np.array([1.0, -0.5])) - y6)[:, None] * X6 / 6
    np.testing.assert_allclose(contributions.sum(axis=0), dw6)
    assert "your neuron_gradients: dL/dw = [-0.2264 -0.4182]   dL/db = +0.0375" in solution_outputs("06")


# --------------------------------------------------------------------------- #
# the exercise makes the learner derive; Run All never binds a learner's name to the reference
# --------------------------------------------------------------------------- #


def test_nothing_above_the_exercise_gives_the_batch_gradient_away():
    """Issue 17: the gradient formula is derived by the learner; it appears only after the exercise."""
    before = cells_before("06", "exercise-neuron_gradients")
    text = "\n".join(c.source + "".join(o.get("text", "") for o in c.get("outputs", [])) for c in before)
    for answer in ("X.T @", "X^\\top (a - y)", "X^\\top\\frac{a - y}", "dL/dw ="):
        assert answer not in text, answer
    exercise = cell_source("06", "exercise-neuron_gradients", folder="lessons")
    assert "X.T" not in exercise and "(a - y)" not in exercise


def test_run_all_of_the_lesson_leaves_no_learner_name_bound_to_the_reference(tmp_path):
    report, cells = run_all_bindings("06", tmp_path)
    assert report == {"neuron_gradients": {"bound": True, "reference": False, "demo": True}}
    outputs = "".join(o.get("text", "") for c in cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "(using nnlib's reference neuron_gradients until yours passes check)" in outputs
    assert "nnlib's neuron_gradients against the Value engine" in outputs  # says which one ran
    assert "your neuron_gradients" not in outputs
