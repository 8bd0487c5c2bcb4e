"""Lesson 02 (activations): references, banks, the accuracy checks demand, the lesson's numbers, Run All."""

from __future__ import annotations

import math
import re
from decimal import Decimal, getcontext

import matplotlib

matplotlib.use("Agg")  # must come before pyplot is imported

import matplotlib.pyplot as plt
import numpy as np
import pytest
from lesson_runs import (  # noqa: F401 (numpy_state_and_figures: a fixture)
    as_cell,
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

import nnlib
from nnlib import check, check_answer
from nnlib.activations import (
    collapse_linear,
    sigmoid,
    sigmoid_derivative,
    softmax,
    softmax_jacobian,
    tanh,
    tanh_derivative,
    two_class_logit,
)
from nnlib.exercises import EXERCISES, QUESTIONS
from nnlib.widgets.activation_explorer import (
    SATURATED,
    activation_explorer,
    plot_activation,
    saturation_label,
)

IDS = ("collapse_linear", "sigmoid", "tanh", "relu", "sigmoid_derivative", "tanh_derivative",
       "relu_derivative", "softmax", "softmax_jacobian", "two_class_logit")
ELEMENTWISE = ("sigmoid", "tanh", "relu", "sigmoid_derivative", "tanh_derivative", "relu_derivative")
STRICT = {"sigmoid", "tanh", "softmax", "sigmoid_derivative", "tanh_derivative", "softmax_jacobian"}
MISTAKES, VARIANTS = bank_params("02")

getcontext().prec = 60


def exact_tanh(z: float) -> float:
    """tanh(z) to 60 digits, rounded to float64: the truth the float formulas are measured against."""
    if z == 0:
        return 0.0
    e = (Decimal(-2) * abs(Decimal(z))).exp()  # e^(-2|z|) > 0
    one_minus = -(Decimal(-2) * abs(Decimal(z))).exp() + 1 if abs(z) > 1e-20 else 2 * abs(Decimal(z))
    return math.copysign(float(one_minus / (1 + e)), z)


def exact_sigmoid(z: float) -> Decimal:
    return 1 / (1 + (-Decimal(z)).exp())


def sigmoid_rel_error(z: float) -> float:
    """Relative error of nnlib's sigmoid at z, against the exact value (not a float64 rounding of it)."""
    exact = exact_sigmoid(z)
    return float(abs(Decimal(float(sigmoid(np.array(z)))) - exact) / exact)


pytestmark = pytest.mark.usefixtures("numpy_state_and_figures")


# --------------------------------------------------------------------------- the registry


def test_lesson02_registers_its_exercises_in_notebook_order_and_its_questions():
    assert [ex.id for ex in EXERCISES.values() if ex.lesson == "02"] == list(IDS)
    assert {q for q, question in QUESTIONS.items() if question.lesson == "02"} == {"q02_1", "q02_2", "q02_3",
                                                                                   "q02_4"}
    assert {ex.id for ex in EXERCISES.values() if ex.strict_float and ex.lesson == "02"} == STRICT


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_passes(exercise_id):
    assert_reference_passes(exercise_id)


@pytest.mark.parametrize("exercise_id", ELEMENTWISE)
def test_elementwise_cases_are_deterministic_and_cover_edges(exercise_id):
    ex = EXERCISES[exercise_id]
    first, second = ex.cases(), ex.cases()
    for a, b in zip(first, second, strict=True):
        assert a.name == b.name
        np.testing.assert_array_equal(a.args[0], b.args[0])
    names = " ".join(c.name for c in first)
    assert "float32" in names and "1-D" in names and "batch of 1" in names
    assert any(np.abs(c.args[0]).max() >= 1e4 for c in first)


def test_tanh_cases_include_tiny_z_and_demand_relative_accuracy():
    ex = EXERCISES["tanh"]
    z = np.concatenate([np.ravel(c.args[0]) for c in ex.cases()])
    tiny = np.abs(z[(z != 0) & (np.abs(z) <= 1e-3)])
    assert tiny.min() <= 1e-17 and tiny.max() >= 1e-5 and len(tiny) >= 6
    assert ex.atol == 0.0 and ex.rtol == 1e-7


def test_derivative_cases_reach_beyond_small_z():
    for exercise_id in ("sigmoid_derivative", "tanh_derivative"):
        cases = {c.name: c.args[0] for c in EXERCISES[exercise_id].cases()}
        float32 = cases["float32 stays float32"]
        assert float32.dtype == np.float32 and np.abs(float32).max() > 6
        small = cases["|z| from 2 to 12, where the slope is small"]
        assert np.abs(small).min() >= 2 and np.abs(small).max() > 8


# --------------------------------------------------------------------------- the banks


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_has_a_full_bank(exercise_id):
    assert_full_bank(exercise_id)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # non-strict exercises let a mistake's NaN warn
@pytest.mark.parametrize(("exercise_id", "mistake"), MISTAKES,
                         ids=[f"{e}-{m.fn.__name__}" for e, m in MISTAKES])
def test_known_mistake_is_caught_with_its_own_message(exercise_id, mistake):
    assert_mistake_caught(exercise_id, mistake)


@pytest.mark.parametrize(("exercise_id", "variant"), VARIANTS,
                         ids=[f"{e}-{v.fn.__name__}" for e, v in VARIANTS])
def test_correct_variant_passes(exercise_id, variant):
    assert_variant_passes(exercise_id, variant)


def _relu_in_place(z):
    return np.maximum(z, 0, out=z)


def _relu_python_max(z):
    return max(0, z)


def _relu_as_list(z):
    return np.maximum(z, 0).tolist()


def _sigmoid_derivative_naive_sigmoid(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


def _tanh_derivative_sech(z):
    return 1 / np.cosh(z) ** 2


def _relu_derivative_integers(z):
    return (z > 0).astype(int)


#: Slips that the runner reports itself (an exception, an overflow on the way to right values, a
#: changed input, a wrong type): the judge never sees an output to name, so they are not in the bank.
RUNNER_CAUGHT = [
    ("relu", _relu_in_place, "your function changed its input z"),
    ("relu", _relu_python_max, "raised ValueError: The truth value of an array"),
    ("relu", _relu_as_list, "expected a single array or number"),
    ("sigmoid_derivative", _sigmoid_derivative_naive_sigmoid,
     "raised FloatingPointError: overflow encountered in exp"),
    ("tanh_derivative", _tanh_derivative_sech, "raised FloatingPointError: overflow encountered in cosh"),
    ("relu_derivative", _relu_derivative_integers, "expected dtype float64, got int64"),
]


@pytest.mark.parametrize(("exercise_id", "fn", "fragment"), RUNNER_CAUGHT,
                         ids=[f"{e}-{f.__name__}" for e, f, _ in RUNNER_CAUGHT])
def test_slips_the_runner_reports_are_caught(exercise_id, fn, fragment):
    passed, out = check_output(exercise_id, fn)
    assert not passed and fragment in out, out
    assert "Traceback" not in out


def test_relu_derivative_reversed_mask_gets_its_own_cause():
    passed, out = check_output("relu_derivative", lambda z: z < 0)
    assert not passed and "likely cause: the mask is reversed (z < 0?)" in out, out
    assert "constant factor" not in out


def test_check_leaves_numpy_global_error_state_alone():
    before = np.geterr()
    for fn in (lambda z: 1 / (1 + np.exp(-z)), as_cell("sigmoid", EXERCISES["sigmoid"].mistakes[4].fn)):
        check("sigmoid", fn, quiet=True)
        assert np.geterr() == before


def test_underflow_is_allowed_in_strict_exercises():
    def sigmoid_via_abs(z):  # exp(-1000) underflows to 0.0: harmless, and must pass
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    assert check("sigmoid", sigmoid_via_abs, quiet=True)


def test_naive_softmax_fails_even_on_a_converted_copy_of_z():
    """Overflow raises wherever it happens in the learner's call, whatever array type they use."""
    def naive(z, axis=-1):
        e = np.exp(np.array(z, copy=True))
        return e / e.sum(axis=axis, keepdims=True)

    passed, out = check_output("softmax", naive)
    assert not passed and "raised FloatingPointError: overflow encountered in exp" in out


# --------------------------------------------------------------------------- nnlib's tanh is accurate


def test_tanh_is_accurate_to_a_few_ulps_everywhere_including_tiny_z(rng):
    z = np.concatenate([[1e-300, -1e-17, 3e-12, -1e-10, 2e-8, 1e-5, -1e-3, 0.5, -3.0, 19.0, 40.0],
                        rng.normal(0, 0.1, 300), rng.normal(0, 3, 300)])
    exact = np.array([exact_tanh(v) for v in z])
    rel = np.abs(tanh(z) - exact) / np.maximum(np.abs(exact), np.finfo(float).tiny)
    assert rel.max() <= 4 * np.finfo(float).eps


def test_tanh_float32_near_zero_keeps_its_relative_precision(rng):
    z = rng.normal(0, 0.1, 2000).astype(np.float32)
    exact = np.array([exact_tanh(float(v)) for v in z])
    got = tanh(z)
    assert got.dtype == np.float32
    assert np.max(np.abs(got - exact) / np.abs(exact)) < 4e-7  # a few float32 ulps (eps = 1.2e-7)


def test_the_old_tanh_formula_loses_digits_near_zero_as_the_lesson_says():
    def old(z):
        u = np.exp(-2 * np.abs(z))
        return np.sign(z) * (1 - u) / (1 + u)

    assert old(np.array([1e-17]))[0] == 0.0  # "returns 0 instead of 1e-17"
    rel = abs(old(np.array([1e-10]))[0] - 1e-10) / 1e-10
    assert 1e-9 < rel < 1e-5  # "keeps only about 6 or 7 of its 16 digits"
    assert tanh(np.array([1e-17]))[0] == 1e-17
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_array_equal(tanh(np.array([-1e4, -1000.0, 1000.0, 1e4])), [-1, -1, 1, 1])


def test_two_sigma_of_2z_minus_1_fails_the_tanh_check_too():
    passed, out = check_output("tanh", lambda z: 2 * sigmoid(2 * z) - 1)
    assert not passed and "tiny |z|" in out and "np.expm1" in out, out


# --------------------------------------------------------------------------- the new references


def test_softmax_jacobian_matches_finite_differences_and_its_properties(rng):
    z = rng.normal(size=5) * 2
    J = softmax_jacobian(z)
    h = 1e-6
    numeric = np.stack([(softmax(z + h * e) - softmax(z - h * e)) / (2 * h) for e in np.eye(5)], axis=1)
    np.testing.assert_allclose(J, numeric, atol=1e-9)
    np.testing.assert_allclose(J, J.T, atol=0)
    np.testing.assert_allclose(J.sum(axis=1), 0, atol=1e-15)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.all(np.isfinite(softmax_jacobian(np.array([1000.0, -1e4, 999.0]))))
    assert softmax_jacobian(z.astype(np.float32)).dtype == np.float32


def test_softmax_jacobian_refuses_a_batch():
    with pytest.raises(ValueError, match=r"softmax_jacobian: z must be 1-D.*take one row at a time"):
        softmax_jacobian(np.zeros((2, 3)))


def test_two_class_logit_is_the_logit_of_softmax_class_one(rng):
    z = rng.normal(size=(50, 2)) * 4
    np.testing.assert_allclose(sigmoid(two_class_logit(z)), softmax(z, axis=1)[:, 1], rtol=1e-12)
    np.testing.assert_allclose(two_class_logit(z + 100.0), two_class_logit(z), atol=1e-12)
    with pytest.raises(ValueError, match=r"two_class_logit: z must have shape \(N, 2\).*z.reshape\(1, -1\)"):
        two_class_logit(np.zeros(2))


def test_collapse_linear_equals_two_layers(rng):
    X = rng.normal(size=(7, 3))
    W1, b1, W2, b2 = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=2)
    W, b = collapse_linear(W1, b1, W2, b2)
    np.testing.assert_allclose(X @ W + b, (X @ W1 + b1) @ W2 + b2)
    with pytest.raises(ValueError, match=r"collapse_linear: need W1 \(D_in, H\)"):
        collapse_linear(W1, b1, W2.T, b2)


def test_the_lesson_02_references_are_exported():
    for name in ("collapse_linear", "softmax_jacobian", "two_class_logit", "signed_distance", "line_through"):
        assert name in nnlib.__all__ and getattr(nnlib, name).__module__.startswith("nnlib.")


# --------------------------------------------------------------------------- the numbers the lesson claims


def test_overflow_and_underflow_limits_of_the_sigmoid_section():
    assert round(math.log(np.finfo(np.float64).max), 2) == 709.78
    assert sigmoid_rel_error(-700.0) < 1e-15 and sigmoid_rel_error(-708.0) < 1e-15
    assert sigmoid_rel_error(-730.0) > 1e-8 and sigmoid_rel_error(-740.0) > 1e-4  # subnormal: fewer digits
    assert sigmoid(np.array(-746.0)) == 0.0 and 0 < exact_sigmoid(-746.0) < Decimal("5e-324")
    assert np.exp(-708.0) > np.finfo(np.float64).tiny > np.exp(-709.0)  # subnormal below about -708


def test_saturation_numbers():
    peak = sigmoid_derivative(np.array(0.0))
    assert peak == 0.25
    assert round(float(sigmoid_derivative(np.array(3.0)) / peak), 2) == 0.18  # "18 % of the largest slope"
    assert round(float(sigmoid_derivative(np.array(5.0)) / peak), 3) == 0.027
    assert round(float(sigmoid_derivative(np.array(3.0))), 3) == 0.045
    assert round(float(sigmoid_derivative(np.array(5.0))), 4) == 0.0066
    assert round(float(tanh_derivative(np.array(5.0))), 5) == 0.00018
    assert f"{0.25 ** 10:.0e}" == "1e-06"


def test_grey_regions_begin_where_the_lesson_says():
    z = np.linspace(0, 6, 60001)
    for f_prime, edge in ((sigmoid_derivative, 4.4), (tanh_derivative, 2.2)):
        first_grey = z[np.argmax(f_prime(z) < SATURATED * f_prime(np.array(0.0)))]
        assert round(first_grey, 1) == edge


def test_taught_derivative_formulas_meet_the_absolute_slack():
    z64 = np.linspace(-40, 40, 80001)
    u = np.exp(-np.abs(z64))
    u2 = np.exp(-2 * np.abs(z64))
    s, t = sigmoid(z64), tanh(z64)
    assert np.abs(s * (1 - s) - u / (1 + u) ** 2).max() < 1e-15
    assert np.abs((1 - t * t) - 4 * u2 / (1 + u2) ** 2).max() < 1e-15
    z32 = np.linspace(-12, 12, 24001).astype(np.float32)
    s32 = sigmoid(z32)
    sigmoid_truth = sigmoid(z32.astype(np.float64)) * sigmoid(-z32.astype(np.float64))
    assert np.abs((s32 * (1 - s32)).astype(np.float64) - sigmoid_truth).max() < 4e-7
    t32 = tanh(z32)
    truth = 1 - np.tanh(z32.astype(np.float64)) ** 2
    abs_error = np.abs((1 - t32 * t32).astype(np.float64) - truth)
    assert 1e-7 < abs_error.max() < 4e-7  # "below 4·10⁻⁷ in float32"
    near6 = np.abs(np.abs(z32) - 6) < 0.05
    rel6 = np.median(abs_error[near6] / truth[near6])
    assert 1e-3 < rel6 < 3e-2  # "at |z| = 6 keeps only about 2" digits


def test_nonlinearity_figure_numbers():
    fig_rng = np.random.default_rng(1)  # as in the lesson's cell
    V1, c1 = fig_rng.normal(size=(1, 8)), fig_rng.normal(size=8)
    V2, _ = fig_rng.normal(size=(8, 1)), fig_rng.normal(size=1)
    switch, slope_change = -c1 / V1[0], np.abs(V1[0] * V2[:, 0])
    assert np.sum(np.abs(switch) < 3) == 8
    assert np.sum(slope_change < 0.05) == 2
    assert np.min(np.diff(np.sort(switch))) < 0.05  # "two switch points almost coincide"


def test_gelu_and_silu_ranges_in_the_table():
    x = np.linspace(-5, 0, 50001)
    gelu = 0.5 * x * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    silu = x * sigmoid(x)
    assert round(gelu.min(), 2) == -0.17 and round(silu.min(), 2) == -0.28


def test_lesson_02_promise_about_lesson_04_is_true():
    text = " ".join(cells_by_id("solutions", "02_activations")["where-used"].source.split())
    assert "in lesson 04 you write `sigmoid_cross_entropy(z, y)`" in text and "np.logaddexp" in text
    z, y = np.array([-1000.0, -3.0, 0.0, 2.5, 1000.0]), np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = nnlib.sigmoid_cross_entropy(z, y)
    assert loss == pytest.approx(np.mean(np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y)))
    moderate = z[1:4]
    assert nnlib.sigmoid_cross_entropy(moderate, y[1:4]) == pytest.approx(
        nnlib.binary_cross_entropy(sigmoid(moderate), y[1:4]))


def test_the_promised_lesson_04_exercises_exist():
    assert EXERCISES["sigmoid_cross_entropy"].lesson == "04"
    assert EXERCISES["softmax_cross_entropy"].lesson == "04"


# --------------------------------------------------------------------------- the notebook


def _tolerance_phrase(ex) -> list[str]:
    exponent = round(math.log10(ex.rtol))
    if ex.atol == 0:
        return [f"$10^{{{exponent}}}$ **relative**", "no absolute slack"]
    return [f"$10^{{{exponent}}}$ relative or $10^{{{round(math.log10(ex.atol))}}}$ absolute"]


#: The markdown cell that introduces each exercise and says what its check demands
TASK_CELLS = {"collapse_linear": "why-nonlinearity", "sigmoid": "stable-sigmoid-text", "tanh": "task-tanh",
              "relu": "relu-text", "sigmoid_derivative": "derivatives-text",
              "tanh_derivative": "derivatives-text", "relu_derivative": "derivatives-text",
              "softmax": "stable-softmax-text",
              "softmax_jacobian": "jacobian-text", "two_class_logit": "two-class-text"}


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_lesson_says_what_each_check_demands(exercise_id):
    text = " ".join(cells_by_id("solutions", "02_activations")[TASK_CELLS[exercise_id]].source.split())
    assert f"`{exercise_id}`" in text
    for phrase in _tolerance_phrase(EXERCISES[exercise_id]):
        assert phrase in text, (exercise_id, phrase)
    assert "dtype" in text or "must stay `float32`" in text, exercise_id
    if EXERCISES[exercise_id].strict_float:
        assert "overflow" in text, exercise_id


@pytest.mark.parametrize("exercise_id", ["collapse_linear", "softmax", "softmax_jacobian", "two_class_logit"])
def test_the_lesson_states_the_number_of_cases(exercise_id):
    text = " ".join(cells_by_id("solutions", "02_activations")[TASK_CELLS[exercise_id]].source.split())
    assert f"`check` runs {len(EXERCISES[exercise_id].cases())} cases" in text


def test_stubs_and_docstrings_say_what_not_how():
    lesson = cells_by_id("lessons", "02_activations")
    giveaways = ("np.expm1", "np.exp(-np.abs", "np.maximum", "z.max(", "np.diag", "np.outer", "W1 @ W2",
                 "z[:, 1] - z[:, 0]", "s * (1 - s)", "1 - t")
    for exercise_id in IDS:
        source = lesson[f"exercise-{exercise_id}"].source
        for code in giveaways:
            assert code not in source, (exercise_id, code)
        assert "shifted by the max" not in EXERCISES[exercise_id].task


def test_the_derivation_of_collapse_linear_is_left_to_the_learner():
    text = cells_by_id("lessons", "02_activations")["why-nonlinearity"].source
    assert "W^{(1)}W^{(2)}" not in text and "b^{(1)}W^{(2)} + b^{(2)}" not in text


def test_demonstrations_compute_what_they_print():
    _, printed = run_all("solutions", "02_activations", skip=("explorer-widget",))
    assert "two linear layers == X @ W + b: True" in printed["collapse-demo"]
    assert "with a ReLU in between:         False" in printed["collapse-demo"]
    assert printed["nonlinearity-figure"].strip() == (
        "switch points in the plotted range: 8 of 8; of these, 2 change the slope by less than 0.05")
    assert "(1 - u) / (1 + u)    = 0\n" in printed["tanh-digits"]
    assert "-m / (2 + m)         = 1e-17" in printed["tanh-digits"]
    assert "J agrees with finite differences (to 1e-8): True" in printed["jacobian-figure"]
    assert "sigmoid(d) == softmax(z)[:, 1] for all 200: True" in printed["two-class-figure"]


def test_run_all_of_the_lesson_never_rebinds_a_learner_name_and_says_whose_function_ran():
    namespace, printed = run_all("lessons", "02_activations", skip=("explorer-widget",))
    assert shadowing_report(namespace) == {exercise_id: "learner" for exercise_id in IDS}
    for exercise_id in IDS:
        result = check(exercise_id, namespace[exercise_id], quiet=True)
        assert not result and result.failure.kind == "not implemented", exercise_id
    for cell_id in ("collapse-demo", "three-figure", "saturation-table", "softmax-figure", "jacobian-figure",
                    "two-class-figure"):
        assert ": nnlib's reference" in printed[cell_id] and ": yours" not in printed[cell_id], cell_id


def test_explorer_text_matches_the_widget():
    text = normalised(cells_by_id("solutions", "02_activations")["explorer-text"].source)
    assert f"below {SATURATED * 100:.0f} % of its largest value" in text
    assert "18 %" in text and "2.7 %" in text and "|z| > 4.4" in text and "|z| > 2.2" in text


# --------------------------------------------------------------------------- concept questions


@pytest.mark.parametrize("question_id", ["q02_1", "q02_2", "q02_3", "q02_4"])
def test_question_right_answer(question_id, capsys):
    assert check_answer(question_id, QUESTIONS[question_id].answer)
    assert capsys.readouterr().out.startswith(f"{question_id}: correct.")


@pytest.mark.parametrize(("question_id", "choice"),
                         [("q02_1", c) for c in "acd"] + [("q02_2", c) for c in "abd"]
                         + [("q02_4", c) for c in "acd"])
def test_question_wrong_answers_explain_why(question_id, choice, capsys):
    assert not check_answer(question_id, choice)
    out = capsys.readouterr().out
    assert out.startswith(f"{question_id}: not quite.")
    assert QUESTIONS[question_id].feedback[choice] in out


def test_question_feedback_is_specific():
    feedback = QUESTIONS["q02_1"].feedback
    assert "0.25^10" in feedback["a"] and "output layer" in feedback["c"] and "collapse" in feedback["d"]
    assert "dead ReLU" in feedback["b"] and "never saturates" not in feedback["b"]


def test_q02_3_answer_holds(rng):
    for C in (1, 2, 5):
        J = softmax_jacobian(rng.normal(size=C) * 3)
        np.testing.assert_allclose(J.sum(axis=1), 0, atol=1e-15)
    assert not check_answer("q02_3", 0.25)


def test_q02_4_claim_holds(rng):
    # two softmax neurons (w0, b0), (w1, b1) give class 1 the same probability as one sigmoid neuron
    X, w0, w1, b0, b1 = rng.normal(size=(9, 3)), rng.normal(size=3), rng.normal(size=3), 0.3, -1.2
    scores = np.stack([X @ w0 + b0, X @ w1 + b1], axis=1)
    np.testing.assert_allclose(softmax(scores, axis=1)[:, 1], sigmoid(X @ (w1 - w0) + (b1 - b0)))


# --------------------------------------------------------------------------- the widget


def test_plot_activation_marks_the_input_and_shades_relative_saturation():
    ax_f, ax_df = plot_activation("sigmoid", z0=2.0)
    assert ax_f.get_title() == "sigmoid: f(2.00) = 0.8808"
    assert ax_df.get_title() == "sigmoid': f'(2.00) = 0.1050"
    assert ax_df.get_legend().get_texts()[0].get_text() == saturation_label() == "f'(z) < 5% of its max"
    marker = ax_df.lines[-1]
    assert marker.get_xdata()[0] == 2.0
    assert marker.get_ydata()[0] == pytest.approx(0.104994, abs=1e-6)
    grey = ax_df.collections[0].get_paths()[0].vertices[:, 0]
    assert round(grey.max(), 1) == -4.4  # the left grey band ends at z = -4.4 for the sigmoid


def test_plot_activation_rejects_unknown_names():
    with pytest.raises(ValueError, match="name must be one of"):
        plot_activation("softplus")
    with pytest.raises(TypeError, match="must be a pair"):
        plot_activation("mine", functions={"mine": np.tanh})


def test_explorer_redraws_when_the_slider_or_dropdown_moves():
    box = activation_explorer(name="sigmoid", z0=0.0)
    (dropdown, slider), readout, out = box.children[0].children, box.children[1], box.children[2]
    assert readout.value.startswith("<code>sigmoid(0.00) = 0.5000</code>")
    assert "(100% of its largest slope)" in readout.value
    first_png = out.outputs[0]["data"]["image/png"]

    slider.value = 3.0
    assert "(18% of its largest slope)" in readout.value and "saturated" not in readout.value
    slider.value = -5.0
    assert "sigmoid(-5.00) = 0.0067" in readout.value and "(saturated)" in readout.value
    assert out.outputs[0]["data"]["image/png"] != first_png
    assert len(out.outputs) == 1  # replaced, not appended

    dropdown.value = "relu"
    assert "relu'(-5.00) = 0.0000" in readout.value
    slider.value = 0.0
    assert "relu'(0.00) = 0.0000" in readout.value  # our convention at the kink
    assert plt.get_fignums() == []  # every redraw closed its figure


def test_explorer_uses_the_functions_it_is_given():
    mine = {"double": (lambda z: 2 * z, lambda z: np.full_like(z, 2.0))}
    box = activation_explorer(mine, name="double", z0=1.5)
    assert "double(1.50) = 3.0000" in box.children[1].value


def test_notebook_figures_have_labels_and_titles():
    source = "\n".join(cell.source for cell in cells_by_id("solutions", "02_activations").values()
                       if cell.cell_type == "code" and "plt.show()" in cell.source
                       and "plot_activation" not in cell.source)
    assert len(re.findall(r"set_xlabel", source)) >= 5
    assert len(re.findall(r"set_ylabel", source)) >= 5
    assert len(re.findall(r"set_title", source)) >= 5
