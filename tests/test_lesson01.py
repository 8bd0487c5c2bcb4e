"""Lesson 01 (and 00's question): references, banks of mistakes and variants, claims, figures, Run All."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from lesson_runs import (  # noqa: F401 (numpy_state_and_figures: a fixture)
    assert_full_bank,
    assert_mistake_caught,
    assert_reference_passes,
    assert_variant_passes,
    bank_params,
    cells_by_id,
    check_output,
    normalised,
    numpy_state_and_figures,
    run_all,
    shadowing_report,
)

from nnlib import line_through, signed_distance
from nnlib.check import check, check_answer
from nnlib.exercises import EXERCISES, get_exercise, get_question
from nnlib.neuron import preactivation
from nnlib.widgets.neuron_playground import draw_neuron_diagram, draw_neuron_plane

IDS = ("preactivation", "dense_preactivation", "signed_distance", "line_through")
MISTAKES, VARIANTS = bank_params("01")


pytestmark = pytest.mark.usefixtures("numpy_state_and_figures")


def test_lesson01_registers_its_exercises_in_notebook_order():
    assert [ex.id for ex in EXERCISES.values() if ex.lesson == "01"] == list(IDS)


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_passes(exercise_id):
    assert_reference_passes(exercise_id)


# --------------------------------------------------------------------------- the banks


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_has_a_full_bank(exercise_id):
    assert_full_bank(exercise_id)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # a mistake that divides by ‖w‖ = 0 warns
@pytest.mark.parametrize(("exercise_id", "mistake"), MISTAKES,
                         ids=[f"{e}-{m.fn.__name__}" for e, m in MISTAKES])
def test_known_mistake_is_caught_with_its_own_message(exercise_id, mistake):
    assert_mistake_caught(exercise_id, mistake)


@pytest.mark.parametrize(("exercise_id", "variant"), VARIANTS,
                         ids=[f"{e}-{v.fn.__name__}" for e, v in VARIANTS])
def test_correct_variant_passes(exercise_id, variant):
    assert_variant_passes(exercise_id, variant)


# --------------------------------------------------------------------------- preactivation


def _not_implemented(x, w, b):
    raise NotImplementedError("Exercise preactivation: ...")


def _as_list(x, w, b):
    return [float(x @ w + b)]


def _bias_indexed(x, w, b):
    return float(x @ w + b[0])  # treats the scalar bias as an array


def _mutates_x(x, w, b):
    x *= w  # in place: changes the caller's x
    return float(x.sum() + b)


def _column_vector(x, w, b):
    return x @ w.reshape(-1, 1) + b  # shape (1,), not a number


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (_not_implemented, "preactivation: not implemented yet"),
        (_as_list, "expected a single array or number, got a list or tuple of 1 item"),
        (_bias_indexed, "raised TypeError"),
        (_mutates_x, "your function changed its input x"),
        (_column_vector, "expected shape (), got (1,)"),
    ],
)
def test_preactivation_slips_outside_the_bank_are_caught(wrong, fragment):
    passed, out = check_output("preactivation", wrong)
    assert not passed and fragment in out, out


def test_forgotten_bias_passes_only_the_zero_bias_case():
    no_bias = get_exercise("preactivation").mistakes[0].fn
    result = check("preactivation", no_bias, quiet=True)
    assert (result.passed, result.total) == (1, 6)  # "all zeros" has b = 0
    assert result.failure.case.name == "3 inputs"


# --------------------------------------------------------------------------- dense_preactivation


def test_dense_preactivation_has_a_square_case_and_float32_case():
    # A transpose of a square W has the right shape: only a square case catches it by value.
    cases = get_exercise("dense_preactivation").cases()
    assert any(c.args[1].shape[0] == c.args[1].shape[1] > 1 for c in cases)
    assert any(c.args[0].dtype == np.float32 for c in cases)


def test_square_transpose_is_caught():
    def w_transposed(X, W, b):
        return X @ W.T + b if W.shape[0] == W.shape[1] else X @ W + b

    passed, out = check_output("dense_preactivation", w_transposed)
    assert not passed and "square W" in out and "likely cause: W is used transposed" in out


def test_dense_preactivation_elementwise_product_is_caught():
    def elementwise(X, W, b):
        return X * W + b

    passed, out = check_output("dense_preactivation", elementwise)
    assert not passed and "raised ValueError" in out and "operands could not be broadcast" in out, out


def test_dense_preactivation_mutating_x_is_caught():
    def normalises_in_place(X, W, b):
        X -= X.mean(axis=0)
        return X @ W + b

    passed, out = check_output("dense_preactivation", normalises_in_place)
    assert not passed and "your function changed its input X" in out


# --------------------------------------------------------------------------- signed_distance


def test_signed_distance_by_hand():
    # w = (3, 4), b = -5: ‖w‖ = 5; (3, 4) has z = 20, the origin z = -5, (1, 0.5) lies on the line
    X = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.5]])
    np.testing.assert_allclose(signed_distance(X, np.array([3.0, 4.0]), -5.0), [4.0, -1.0, 0.0], atol=1e-15)


def test_signed_distance_times_norm_is_z_and_keeps_float32(rng):
    X, w = rng.normal(size=(6, 3)), rng.normal(size=3)
    np.testing.assert_allclose(signed_distance(X, w, 0.7) * np.linalg.norm(w), X @ w + 0.7)
    out = signed_distance(X.astype(np.float32), w.astype(np.float32), 0.7)
    assert out.dtype == np.float32 and out.shape == (6,)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((np.ones((2, 2)), np.zeros(2), 1.0), ValueError, "w must not be all zeros"),
        ((np.ones(2), np.ones(2), 1.0), ValueError, r"X must be 2-D .* X.reshape\(1, -1\)"),
        ((np.ones((2, 3)), np.ones(2), 1.0), ValueError, r"X.shape\[1\] must equal w.shape\[0\]"),
        ((np.ones((2, 2)), np.ones(2), np.ones(2)), ValueError, "b must be a scalar"),
        ((np.ones((2, 2)), "w", 1.0), TypeError, "signed_distance: w must be"),
    ],
)
def test_signed_distance_refuses_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        signed_distance(*args)


# --------------------------------------------------------------------------- line_through


def test_line_through_by_hand():
    # p = (0, 0) -> q = (2, 0) walks along the x1 axis: the left is x2 > 0, so w = (0, 1), b = 0
    w, b = line_through(np.array([0.0, 0.0]), np.array([2.0, 0.0]))
    np.testing.assert_array_equal(w, [0.0, 1.0])
    assert b == 0.0 and not np.signbit(b) and isinstance(b, float)


def test_line_through_passes_through_both_points_with_unit_w_and_z_positive_on_the_left(rng):
    for _ in range(20):
        p, q = rng.normal(size=2) * 3, rng.normal(size=2) * 3
        w, b = line_through(p, q)
        assert np.isclose(np.linalg.norm(w), 1.0)
        assert abs(w @ p + b) < 1e-12 and abs(w @ q + b) < 1e-12
        d = q - p
        left = p + np.array([-d[1], d[0]])  # a quarter turn counterclockwise from p's direction
        assert w @ left + b > 0


def test_line_through_refuses_equal_points_and_other_shapes():
    with pytest.raises(ValueError, match="line_through: p and q must be two different points"):
        line_through(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"line_through: q must be a point of the plane, shape \(2,\)"):
        line_through(np.zeros(2), np.zeros(3))


# --------------------------------------------------------------------------- concept questions


@pytest.mark.parametrize("question_id", ["q00_1", "q01_1", "q01_2"])
def test_question_right_answer_is_accepted(question_id, capsys):
    q = get_question(question_id)
    assert check_answer(question_id, q.answer)
    assert f"{question_id}: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("question_id", "answer", "fragment"),
    [
        ("q00_1", "a", "quietly run nnlib's reference instead of yours"),
        ("q00_1", "c", "check is deterministic"),
        ("q00_1", "d", "copying them skips the part where you learn"),
        ("q01_1", "a", "The bias is not scaled"),
        ("q01_1", "b", "it cannot rotate"),
        ("q01_1", "d", "passes through the origin only when b = 0"),
        ("q01_2", 0.8, "not by ‖w‖² = 25"),  # z / ‖w‖²
        ("q01_2", 20, "That is z"),
    ],
)
def test_question_wrong_answer_explains_why(question_id, answer, fragment, capsys):
    assert not check_answer(question_id, answer)
    out = capsys.readouterr().out
    assert out.startswith(f"{question_id}: not quite") and fragment in out, out


def test_question_feedback_covers_every_choice():
    for question_id, lesson in (("q00_1", "00"), ("q01_1", "01")):
        q = get_question(question_id)
        assert q.lesson == lesson
        assert set(q.feedback) == set(q.choices) == {"a", "b", "c", "d"}
        assert q.answer in q.choices


def test_q01_1_claims_hold_numerically():
    # Doubling w halves the distance of the line z = 0 from the origin and doubles the slope of z.
    w, b = np.array([1.0, 2.0]), -2.0
    distance = abs(b) / np.linalg.norm(w)
    assert np.isclose(abs(b) / np.linalg.norm(2 * w), distance / 2)
    foot = -b * (2 * w) / np.linalg.norm(2 * w) ** 2
    assert np.isclose(preactivation(foot, 2 * w, b), 0.0)
    unit = w / np.linalg.norm(w)
    assert np.isclose(preactivation(foot + unit, 2 * w, b), 2 * np.linalg.norm(w))


def test_q01_2_answer_and_feedback_numbers_hold():
    w, b, x = np.array([3.0, 4.0]), -5.0, np.array([[3.0, 4.0]])
    q = get_question("q01_2")
    assert preactivation(x[0], w, b) == 20 and np.linalg.norm(w) == 5
    assert signed_distance(x, w, b)[0] == pytest.approx(q.answer)
    assert "20 / 5 = 4" in q.feedback["correct"]


def test_no_answer_yet(capsys):
    assert not check_answer("q00_1", None)
    assert "q00_1: no answer yet" in capsys.readouterr().out


# --------------------------------------------------------------------------- the notebook


def test_the_lesson_says_what_each_check_demands():
    cells = cells_by_id("solutions", "01_single_neuron")
    for exercise_id in IDS:
        text = normalised(cells[f"task-{exercise_id}"].source)
        assert f"check runs {len(EXERCISES[exercise_id].cases())} cases" in text, exercise_id
        rtol = EXERCISES[exercise_id].rtol
        assert f"within $10^{{{int(np.log10(rtol))}}}$ relative" in text, exercise_id
    assert "must keep the inputs' dtype" in normalised(cells["task-dense_preactivation"].source)
    assert "must stay float32" in normalised(cells["task-signed_distance"].source)
    assert "‖w‖ = 1" in cells["task-line_through"].source.replace("\\lVert w \\rVert", "‖w‖")


def test_stubs_and_docstrings_say_what_not_how():
    lesson = cells_by_id("lessons", "01_single_neuron")
    for exercise_id in IDS:
        source = lesson[f"exercise-{exercise_id}"].source
        for code in ("X @ W", "x @ w", "np.linalg.norm", "q - p", "-d[1]"):
            assert code not in source, (exercise_id, code)


def test_demonstrations_compute_what_they_print():
    _, printed = run_all("solutions", "01_single_neuron", skip=("playground",))
    assert "(preactivation: yours)" in printed["preactivation-demo"]
    assert "(signed_distance: yours)" in printed["distance-demo"]
    lines = printed["distance-demo"].splitlines()
    assert lines[0] == "x = [1. 1.]: distance +0.4472, times ‖w‖ = +1.0000 = z = +1.0000"
    assert "z(p) = +0.0000, z(q) = +0.0000" in printed["line-demo"]


def test_run_all_of_the_lesson_never_rebinds_a_learner_name_and_says_whose_function_ran():
    namespace, printed = run_all("lessons", "01_single_neuron", skip=("playground",))
    report = shadowing_report(namespace)
    assert report == {exercise_id: "learner" for exercise_id in IDS}
    for exercise_id in IDS:  # the check cell still sees the learner's (unwritten) function
        result = check(exercise_id, namespace[exercise_id], quiet=True)
        assert not result and result.failure.kind == "not implemented"
    for cell_id in ("preactivation-demo", "batch-demo", "geometry-numbers", "distance-demo", "line-demo"):
        assert ": nnlib's reference" in printed[cell_id], cell_id  # "(preactivation: nnlib's reference)"
        assert ": yours" not in printed[cell_id], cell_id


# --------------------------------------------------------------------------- the figures


def _overlapping_texts(ax):
    """Pairs of visible, non-empty texts of ``ax`` whose rendered boxes intersect."""
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    texts = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:]
            if box_a.overlaps(box_b)]


def test_neuron_plane_puts_the_distance_in_the_title_and_the_arrow_beside_the_dashed_segment():
    _fig, ax = plt.subplots(figsize=(4, 3.4))
    draw_neuron_plane([1.0, 2.0], -2.0, probe=(1.0, 1.0), ax=ax, colorbar=False)
    assert ax.get_title() == f"w = (1.0, 2.0), b = -2.0\ndashed: |b|/‖w‖ = {2 / np.sqrt(5):.2f}"
    dashed = next(line for line in ax.lines if line.get_linestyle() == "--")
    foot = np.array([dashed.get_xdata()[1], dashed.get_ydata()[1]])
    arrow = next(a for a in ax.texts if hasattr(a, "arrow_patch") and a.arrow_patch is not None)
    start = np.asarray(arrow.xyann)
    w_unit = np.array([1.0, 2.0]) / np.sqrt(5)
    assert abs(start @ np.array([1.0, 2.0]) - 2.0) < 1e-12  # the arrow starts on the line z = 0
    # ... one unit beside the foot, so it does not run on top of the dashed segment (which is along w)
    assert np.isclose(abs((start - foot) @ np.array([-w_unit[1], w_unit[0]])), 1.0)
    assert _overlapping_texts(ax) == []


def test_neuron_plane_marks_points():
    _fig, ax = plt.subplots(figsize=(4, 3.4))
    w, b = line_through(np.array([-2.0, -1.0]), np.array([1.5, 0.5]))
    draw_neuron_plane(w, b, ax=ax, points=[("p", (-2.0, -1.0)), ("q", (1.5, 0.5))])
    assert {"p", "q"} <= {t.get_text() for t in ax.texts}
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    assert _overlapping_texts(ax) == []


def test_neuron_diagram_labels_do_not_overlap():
    _fig, ax = plt.subplots(figsize=(5.5, 2.8))
    draw_neuron_diagram([1.0, 2.0, -1.0], [0.5, -0.25, 1.0], 0.1, ax=ax)
    assert ax.get_title().startswith("z = w·x + b")
    assert _overlapping_texts(ax) == []
