"""Lesson 04, loss functions: check() catches the usual wrong losses and names them; the widget redraws."""

import copy

import numpy as np
import pytest

from nnlib import binary_cross_entropy, check, check_answer, mse_loss, softmax, softmax_cross_entropy
from nnlib.check import judge_case
from nnlib.exercises import get_exercise
from nnlib.judge import flatten_output

LESSON_IDS = ("mse_loss", "binary_cross_entropy", "softmax_cross_entropy")


def run(exercise_id, fn, capsys):
    result = check(exercise_id, fn)
    return result, capsys.readouterr().out


def verdict(ex, case, received):
    """What check() prints about one case's result: None when it passes."""
    failure = judge_case(ex, case, received)
    return failure and f"{failure.message}\n  likely cause: {failure.hint}"


@pytest.mark.parametrize("exercise_id", LESSON_IDS)
def test_reference_passes_every_case_and_every_hidden_case(exercise_id, capsys):
    ex = get_exercise(exercise_id)
    assert ex.lesson == "04"
    result, out = run(exercise_id, ex.reference, capsys)
    assert result and out == f"{exercise_id}: all {result.total} checks passed\n"
    for case in ex.cases(seed=7, hidden=True):  # the grader's seeds and extra cases
        received = flatten_output(ex.reference(*copy.deepcopy(case.args)))
        assert judge_case(ex, case, received) is None, case.name


# --------------------------------------------------------------------------- #
# mse_loss
# --------------------------------------------------------------------------- #


def mse_mutates(y_pred, y):
    y_pred -= y
    return float(np.mean(y_pred**2))


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (lambda y_pred, y: float(np.sum((y_pred - y) ** 2)),
         ["case 1 '8 predictions", "likely cause: you summed the squared errors"]),
        (lambda y_pred, y: float(np.mean((y_pred.reshape(-1, 1) - y) ** 2)),
         ["broadcast to an (N, N) table"]),
        (lambda y_pred, y: float(np.mean((y_pred.squeeze() - y) ** 2)),  # fine for (N,), not for (N, 1)
         ["case 2 'a column of 6 predictions", "broadcast to an (N, N) table"]),
        (lambda y_pred, y: (y_pred - y) ** 2, ["expected shape (), got (8,)", "a loss is a single number"]),
        (lambda y_pred, y: float(np.mean(y_pred - y)), ["the errors are not squared"]),
        (lambda y_pred, y: float(np.sqrt(np.mean((y_pred - y) ** 2))), ["root of the MSE (RMSE)"]),
        (lambda y_pred, y: float(np.sum((y_pred - y) ** 2) / len(y)),
         ["case 3 '3 outputs per example", "you divided by N = len(y) only"]),
        (lambda y_pred, y: [float(np.mean((y_pred - y) ** 2))],
         ["expected a single array or number, got a list"]),
        (mse_mutates, ["changed its input y_pred"]),
    ],
)
def test_wrong_mse_is_caught_and_named(wrong, fragments, capsys):
    result, out = run("mse_loss", wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


# --------------------------------------------------------------------------- #
# binary_cross_entropy
# --------------------------------------------------------------------------- #


def bce_naive(p, y):
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_clipped(p, y):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def bce_exact_but_safe(p, y):
    p_true = np.where(y == 1, p, 1 - p)
    return float(-np.mean(np.log(p_true)))


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (bce_naive, ["p = 1 where y = 1", "expected 0, got nan", "contains NaN"]),
        (lambda p, y: float(-np.mean(y * np.log(p))), ["only the y·log p term"]),
        (lambda p, y: float(np.mean(np.log(np.where(y == 1, p, 1 - p)))), ["the minus sign is missing"]),
        (lambda p, y: float(-np.sum(np.log(np.where(y == 1, p, 1 - p)))), ["you summed over the batch"]),
        (lambda p, y: float(-np.mean(np.log(np.where(y == 1, 1 - p, p)))), ["p and 1 - p are swapped"]),
        (lambda p, y: float(-np.mean(np.log10(np.where(y == 1, p, 1 - p)))), ["log base 10"]),
        (bce_clipped, ["expected 0, got 1e-07", "off by a tiny amount", "np.clip"]),
    ],
)
def test_wrong_bce_is_caught_and_named(wrong, fragments, capsys):
    with np.errstate(divide="ignore", invalid="ignore"):
        result, out = run("binary_cross_entropy", wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


def test_bce_is_zero_not_nan_when_certain_and_right(capsys):
    result, _ = run("binary_cross_entropy", bce_exact_but_safe, capsys)
    assert result
    assert bce_exact_but_safe(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
    assert binary_cross_entropy(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0


# --------------------------------------------------------------------------- #
# softmax_cross_entropy
# --------------------------------------------------------------------------- #


def sce_naive(z, labels):
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels]))


def sce_log_softmax(z, labels):  # softmax is stable, but its log is not: log(0) = -inf
    return float(-np.mean(np.log(softmax(z, axis=1)[np.arange(len(labels)), labels])))


def _shifted_lse(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted, np.log(np.exp(shifted).sum(axis=1))


def sce_columns(z, labels):
    shifted, lse = _shifted_lse(z)
    return float(np.mean(lse - shifted[:, labels]))


def sce_onehot_mean(z, labels):
    shifted, lse = _shifted_lse(z)
    onehot = np.eye(z.shape[1])[labels]
    return float(np.mean(onehot * (lse[:, None] - shifted)))


def sce_forgot_lse(z, labels):
    shifted, _ = _shifted_lse(z)
    return float(np.mean(-shifted[np.arange(len(labels)), labels]))


def sce_forgot_lse_unshifted(z, labels):
    return float(np.mean(-z[np.arange(len(labels)), labels]))


def sce_wrong_axis(z, labels):  # runs when N <= C
    shifted, lse = _shifted_lse(z)
    return float(np.mean(lse - shifted[labels, np.arange(len(labels))]))


def sce_sum(z, labels):
    shifted, lse = _shifted_lse(z)
    return float(np.sum(lse - shifted[np.arange(len(labels)), labels]))


def sce_sign(z, labels):
    shifted, lse = _shifted_lse(z)
    return float(np.mean(shifted[np.arange(len(labels)), labels] - lse))


def sce_take(z, labels):
    shifted, lse = _shifted_lse(z)
    return float(np.mean(lse - np.take(shifted, labels)))


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (sce_naive, ["case 4 'logits ±1000", "got inf", "e^1000 overflowed", "Shift each row by its max"]),
        (sce_log_softmax, ["case 4 'logits ±1000", "got inf", "never take log(softmax(z))"]),
        (sce_columns, ["picks whole columns"]),
        (sce_onehot_mean, ["averaged over all N·C entries"]),
        (sce_forgot_lse, ["you need log Σ_j e^(z_j - m) too", "not just m"]),
        (sce_forgot_lse_unshifted, ["the log-sum-exp term is missing"]),
        (sce_wrong_axis,
         ["raised IndexError: index 3 is out of bounds for axis 1 with size 3", "in your code"]),
        (sce_sum, ["you summed over the batch"]),
        (sce_sign, ["the sign is flipped"]),
        (sce_take, ["np.take(z, labels) indexes the flattened array"]),
        (lambda z, labels: 42.0, ["expected 1.", "got 42"]),
    ],
)
def test_wrong_softmax_ce_is_caught_and_named(wrong, fragments, capsys):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result, out = run("softmax_cross_entropy", wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


def test_a_single_number_is_never_called_a_constant_factor_off(capsys):
    """Any wrong number is a constant factor from the right one: the generic hint would mislead."""
    _, out = run("softmax_cross_entropy", lambda z, labels: 42.0, capsys)
    assert "constant factor" not in out and "same constant" not in out
    assert "likely cause" not in out


def test_softmax_ce_edge_cases_of_the_reference():
    assert softmax_cross_entropy(np.zeros((3, 10)), np.array([0, 4, 9])) == pytest.approx(np.log(10))
    assert softmax_cross_entropy(np.array([[5.0], [-3.0]]), np.array([0, 0])) == 0.0
    assert np.isfinite(softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1])))


# --------------------------------------------------------------------------- #
# the judge names every registered mistake
# --------------------------------------------------------------------------- #


# --------------------------------------------------------------------------- #
# the concept question
# --------------------------------------------------------------------------- #


def test_question_accepts_ln_10(capsys):
    assert check_answer("q04_1", 2.303)
    assert check_answer("q04_1", float(np.log(10)))
    assert "q04_1: correct. ln 10 ≈ 2.303" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (1.0, "is too low. With all logits equal, each of the 10 classes gets probability 1/10"),
        (0.1, "log10(10) = 1 is the wrong logarithm"),
        (10, "is too high. The loss is -ln(probability of the true class)"),
        (2.4, "It is not the number of classes itself"),
    ],
)
def test_question_explains_wrong_numbers(answer, fragment, capsys):
    assert not check_answer("q04_1", answer)
    assert fragment in capsys.readouterr().out


def test_question_without_answer(capsys):
    assert not check_answer("q04_1", None)
    assert "no answer yet" in capsys.readouterr().out


# --------------------------------------------------------------------------- #
# the loss explorer
# --------------------------------------------------------------------------- #


@pytest.fixture
def line_data():
    x = np.linspace(-1, 1, 12)
    return x, 1.5 * x + 0.3 * np.random.default_rng(0).normal(size=12)


def test_loss_curve_is_lowest_at_the_least_squares_slope(line_data):
    from nnlib.widgets.loss_explorer import loss_curve

    x, y = line_data
    ws, losses = loss_curve(x, y, w_range=(-1, 4), num=2001)
    assert ws[np.argmin(losses)] == pytest.approx(np.sum(x * y) / np.sum(x * x), abs=2.5e-3)
    assert losses[0] == pytest.approx(mse_loss(-1 * x, y))


def test_static_figure_marks_the_current_loss(line_data, agg):
    from nnlib.widgets.loss_explorer import plot_fit_and_loss

    x, y = line_data
    ax_fit, ax_loss = plot_fit_and_loss(x, y, w=0.5)
    assert ax_fit.get_title() == f"MSE = {mse_loss(0.5 * x, y):.3f}"
    labels = ax_loss.get_legend_handles_labels()[1]
    assert labels == [f"current (0.5, {mse_loss(0.5 * x, y):.3g})"]


def test_explorer_redraws_with_the_given_loss_when_the_slider_moves(line_data, agg):
    from nnlib.widgets.loss_explorer import loss_explorer

    x, y = line_data
    calls = []

    def my_mse(y_pred, y_true):  # the learner's loss, passed in
        calls.append(1)
        return mse_loss(y_pred, y_true)

    box = loss_explorer(x, y, w0=0.5, loss_fn=my_mse)
    slider, readout, out = box.children
    first_png = out.outputs[0]["data"]["image/png"]
    assert f"MSE = {mse_loss(0.5 * x, y):.4f}" in readout.value
    n_calls = len(calls)
    assert n_calls > 200  # the readout, the title and the 201 points of the curve
    slider.value = 1.5
    assert f"MSE = {mse_loss(1.5 * x, y):.4f}" in readout.value
    assert len(out.outputs) == 1 and out.outputs[0]["data"]["image/png"] != first_png
    assert len(calls) == 2 * n_calls


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": np.zeros((3, 1)), "y": np.zeros(3)}, "x and y must be 1-D with the same length"),
        ({"w0": 9.0}, "w0 must lie in w_range"),
        ({"w_range": (2.0, 1.0)}, "w_range must be (low, high) with low < high"),
    ],
)
def test_explorer_rejects_bad_arguments(kwargs, message, line_data, agg):
    from nnlib.widgets.loss_explorer import loss_explorer

    x, y = line_data
    args = {"x": x, "y": y, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        loss_explorer(**args)
