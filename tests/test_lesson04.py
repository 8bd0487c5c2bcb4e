"""Lesson 04, loss functions: check() catches the usual wrong losses and names them, the banks hold, Run All
never shadows a learner's function, the numbers the lesson claims are recomputed; the widget redraws."""

import copy

import nbformat
import numpy as np
import pytest
from lesson_common import learner_copy
from lesson_runs_b import (
    ROOT,
    bank_report,
    figure_problems,
    fresh_lesson_run,
    hint_problems,
    shadowing_problems,
)

from nnlib import (
    binary_cross_entropy,
    check,
    check_answer,
    load_digits,
    mse_loss,
    sigmoid,
    sigmoid_cross_entropy,
    softmax,
    softmax_cross_entropy,
)
from nnlib.check import judge_case
from nnlib.exercises import EXERCISES, get_exercise
from nnlib.judge import flatten_output

LESSON_IDS = ("mse_loss", "binary_cross_entropy", "sigmoid_cross_entropy", "softmax_cross_entropy")
SOLUTION = ROOT / "solutions" / "04_loss_functions.ipynb"
LESSON = ROOT / "lessons" / "04_loss_functions.ipynb"


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
    result, out = run(exercise_id, learner_copy(ex.reference), capsys)
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
    with np.errstate(divide="ignore"):  # log(0) = -inf where p is certain and wrong: the right answer
        return float(-np.mean(np.log(p_true)))


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (bce_naive, ["p = 1 where y = 1", "expected 0, got nan", "0 · (-inf) is NaN"]),
        (lambda p, y: float(-np.mean(y * np.log(p))), ["only the y·log p term"]),
        (lambda p, y: float(np.mean(np.log(np.where(y == 1, p, 1 - p)))), ["the minus sign is missing"]),
        (lambda p, y: float(-np.sum(np.log(np.where(y == 1, p, 1 - p)))), ["you summed over the batch"]),
        (lambda p, y: float(-np.mean(np.log(np.where(y == 1, 1 - p, p)))), ["p and 1 - p are swapped"]),
        (lambda p, y: float(-np.mean(np.log10(np.where(y == 1, p, 1 - p)))), ["log base 10"]),
        (bce_clipped, ["expected 0, got 1e-07", "replaces the exact answer", "np.clip"]),
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


def sce_wrong_axis(z, labels):  # runs when labels < N <= C: the first case is square
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
        (sce_naive, ["case 5 'logits ±1000", "got inf", "e^1000 overflowed", "Shift each row by its max"]),
        (sce_log_softmax, ["case 5 'logits ±1000", "got inf", "never take log(softmax(z))"]),
        (sce_columns, ["picks whole columns"]),
        (sce_onehot_mean, ["averaged over all N·C entries"]),
        (sce_forgot_lse, ["you need log Σ_j e^(z_j - m) too", "not just m"]),
        (sce_forgot_lse_unshifted, ["the log-sum-exp term is missing"]),
        (sce_wrong_axis, ["case 1 '4 examples, 4 classes", "likely cause: the labels index the wrong axis"]),
        (sce_sum, ["you summed over the batch"]),
        (sce_sign, ["the sign is flipped"]),
        (sce_take, ["np.take(z, labels) indexes the flattened array"]),
        (lambda z, labels: 42.0, ["expected 2.", "got 42"]),
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


# --------------------------------------------------------------------------- #
# the banks; issue 14's BCE items
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("exercise_id", LESSON_IDS)
def test_bank_mistakes_are_named_and_variants_pass_from_their_source(exercise_id):
    ex = EXERCISES[exercise_id]
    assert len(ex.mistakes) >= 8 and len(ex.variants) >= 5
    problems = bank_report(exercise_id)
    assert not problems, "\n\n".join(problems)


def bce_nan_to_num(p, y):
    return float(-np.mean(np.nan_to_num(y * np.log(p)) + np.nan_to_num((1 - y) * np.log(1 - p))))


def test_nan_to_num_of_the_naive_terms_fails_on_certain_and_wrong(capsys):
    with np.errstate(divide="ignore", invalid="ignore"):
        result, out = run("binary_cross_entropy", bce_nan_to_num, capsys)
    assert not result
    assert "case 7 'certain and wrong: p = 0 where y = 1" in out and "expected inf, got 5.99" in out
    assert "likely cause: np.nan_to_num turns log 0 = -inf into -1.8e308" in out


def test_certain_and_wrong_demands_inf_as_the_lesson_says():
    all_cases = get_exercise("binary_cross_entropy").cases(hidden=True)
    cases = [c for c in all_cases if "certain and wrong" in c.name]
    assert len(cases) == 2
    for case in cases:
        assert binary_cross_entropy(*case.args) == np.inf
    p, y = cases[0].args
    assert np.any((p == 0) & (y == 1))


# --------------------------------------------------------------------------- #
# numbers the lesson claims
# --------------------------------------------------------------------------- #


def test_sigmoid_rounds_to_one_from_z_about_36_7_and_to_zero_below_about_minus_745():
    assert sigmoid(np.array([36.7]))[0] < 1.0 and sigmoid(np.array([36.8]))[0] == 1.0
    assert sigmoid(np.array([-745.0]))[0] > 0.0 and sigmoid(np.array([-746.0]))[0] == 0.0


def test_at_z_36_one_minus_p_is_two_to_the_minus_52_and_the_loss_36_04():
    p = sigmoid(np.array([36.0]))[0]
    assert 1 - p == 2.0**-52 and 1 - 1 / (1 + np.exp(-36.0)) != np.exp(-36.0) / (1 + np.exp(-36.0))
    assert np.exp(-36.0) / (1 + np.exp(-36.0)) == pytest.approx(2.3e-16, rel=0.01)
    assert f"{-np.log(1 - p):.2f}" == "36.04" and f"{np.logaddexp(0, 36.0):.2f}" == "36.00"


def test_bce_from_logits_equals_bce_of_the_sigmoid_where_it_does_not_round():
    z = np.linspace(-5, 5, 41)  # further out, the loss through p loses digits, as the lesson shows
    y = (np.arange(41) % 2).astype(float)
    assert sigmoid_cross_entropy(z, y) == pytest.approx(binary_cross_entropy(sigmoid(z), y), rel=1e-12)
    np.testing.assert_allclose(np.logaddexp(0, z) - y * z,  # the lesson's simplification
                               y * np.log1p(np.exp(-z)) + (1 - y) * np.log1p(np.exp(z)), rtol=1e-12)
    assert sigmoid_cross_entropy(np.array([40.0]), np.array([0.0])) == pytest.approx(40.0)


def test_what_the_lesson_says_of_epsilons():
    """log(p + eps) changes every loss; clipping only those within eps of 0 or 1, capped at 16.1."""
    p = np.array([0.3, 0.7, 0.05])
    y = np.array([1.0, 0.0, 1.0])
    exact = binary_cross_entropy(p, y)
    clipped = np.clip(p, 1e-7, 1 - 1e-7)
    assert np.array_equal(clipped, p)  # clipping leaves these alone
    assert -np.mean(y * np.log(p + 1e-7) + (1 - y) * np.log(1 - p + 1e-7)) != exact
    assert -np.log(1 + 1e-7) < 0  # a certain, right prediction gets a negative loss with log(p + eps)
    assert f"{-np.log(1e-7):.1f}" == "16.1"


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    return X / 16.0, y


def _loss_along(digits, digit, w):
    X, y = digits
    logits = np.zeros((len(X), 10))
    logits[:, digit] = w * X[:, 36]
    return softmax_cross_entropy(logits, y)


def test_the_slices_of_the_loss_surface_bottom_out_where_the_lesson_says(digits):
    ws = np.linspace(-20, 4, 241)
    zero, one = ([_loss_along(digits, d, w) for w in ws] for d in (0, 1))
    assert ws[int(np.argmin(one))] == pytest.approx(0.4, abs=0.1)  # in view, "near w = 0.4"
    assert ws[int(np.argmin(zero))] == pytest.approx(-11, abs=0.5)  # "near w = -11", out of view
    in_view = (ws >= -4) & (ws <= 4)
    assert np.all(np.diff(np.array(zero)[in_view]) > 0)  # the class-0 slice falls all the way to the left
    X, y = digits
    assert int(np.sum(X[y == 0, 36] > 0)) == 4 and int(np.sum(y == 0)) == 178
    assert np.all(X[y == 1, 36] > 0)  # every 1 has pixel 36 inked


# --------------------------------------------------------------------------- #
# the notebook: hints, Run All, figures
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def solution_cells():
    return {cell.get("id"): cell for cell in nbformat.read(SOLUTION, as_version=4).cells}


def test_notebook_hints_are_the_registry_hints():
    assert hint_problems(SOLUTION, LESSON_IDS) == []


def test_the_lesson_no_longer_calls_the_probability_form_the_clean_way(solution_cells):
    text = " ".join(c.source for c in solution_cells.values() if c.cell_type == "markdown")
    assert "the clean way" not in text and "changes every loss a little" not in text
    assert "sigmoid_cross_entropy" in text and "np.logaddexp(0, t)" in text


@pytest.fixture(scope="module")
def fresh_run():
    with fresh_lesson_run(LESSON) as run:
        yield run


def test_after_run_all_every_exercise_name_is_still_the_learners_own(fresh_run):
    assert shadowing_problems(fresh_run, LESSON, LESSON_IDS) == []


def test_demonstration_cells_say_whose_function_ran(fresh_run, solution_cells):
    demos = {"use-sigmoid_cross_entropy": ["sigmoid_cross_entropy", "binary_cross_entropy"],
             "ln-c-demo": ["softmax_cross_entropy"]}
    for cell_id, names in demos.items():
        committed = "".join(o.get("text", "") for o in solution_cells[cell_id].outputs)
        for name in names:
            assert f"nnlib's {name}" in fresh_run.printed[cell_id], cell_id
            assert f"your {name}" in committed and "nnlib's" not in committed, cell_id


def test_every_figure_has_a_title_and_axis_labels(fresh_run):
    assert len(fresh_run.figures) == 6
    assert figure_problems(fresh_run) == []


def test_stubs_and_the_text_before_them_say_what_to_compute_not_the_code():
    from lesson_runs_b import near_solution_leaks

    assert near_solution_leaks(LESSON, LESSON_IDS) == []
