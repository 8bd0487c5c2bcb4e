"""Lesson 02 (activations): the checks catch realistic mistakes with the right message."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # must come before pyplot is imported

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest

from nnlib import check, check_answer
from nnlib.activations import sigmoid as ref_sigmoid
from nnlib.activations import tanh as ref_tanh
from nnlib.exercises import EXERCISES, QUESTIONS
from nnlib.widgets.activation_explorer import SATURATED, activation_explorer, plot_activation

IDS = ("sigmoid", "tanh", "relu", "softmax", "sigmoid_derivative", "tanh_derivative", "relu_derivative")
SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "02_activations.ipynb"
STRICT = {"sigmoid", "tanh", "softmax", "sigmoid_derivative", "tanh_derivative"}
OVERFLOW = "raised FloatingPointError: overflow encountered in exp"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def run(exercise_id, fn, capsys):
    result = check(exercise_id, fn)
    return result, capsys.readouterr().out


# --------------------------------------------------------------------------- the registry


def test_lesson02_registers_its_exercises_and_question():
    assert {ex.id for ex in EXERCISES.values() if ex.lesson == "02"} == set(IDS)
    assert "q02_1" in QUESTIONS


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_passes(exercise_id, capsys):
    result, out = run(exercise_id, EXERCISES[exercise_id].reference, capsys)
    assert result, out
    assert out.strip() == f"{exercise_id}: all {result.total} checks passed"


@pytest.mark.parametrize("exercise_id", IDS)
def test_cases_are_deterministic_and_cover_edges(exercise_id):
    ex = EXERCISES[exercise_id]
    first, second = ex.cases(), ex.cases()
    assert [c.name for c in first] == [c.name for c in second]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.args[0], b.args[0])
    names = " ".join(c.name for c in first)
    assert "float32" in names and "1-D" in names and "batch of 1" in names
    assert any(np.abs(c.args[0]).max() >= 1e4 for c in first)
    assert EXERCISES[exercise_id].strict_float == (exercise_id in STRICT)


# --------------------------------------------------------------------------- the overflow-checked input


def test_check_leaves_numpy_global_error_state_alone():
    before = np.geterr()
    check("sigmoid", lambda z: 1 / (1 + np.exp(-z)), quiet=True)
    assert np.geterr() == before


def test_underflow_is_allowed_in_strict_exercises(capsys):
    def sigmoid_via_abs(z):  # exp(-1000) underflows to 0.0: harmless, and must pass
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    assert check("sigmoid", sigmoid_via_abs)


# --------------------------------------------------------------------------- known-wrong implementations

WRONG = {
    "sigmoid": [
        ("naive 1/(1+exp(-z))", lambda z: 1 / (1 + np.exp(-z)), [OVERFLOW, "exp must not overflow",
                                                                  "only ever call np.exp on -|z|"]),
        ("naive exp(z)/(1+exp(z))", lambda z: np.exp(z) / (1 + np.exp(z)), [OVERFLOW]),
        ("wrong sign", lambda z: ref_sigmoid(-z), ["case 1 '3x4 ordinary values'", "first mismatch",
                                                  "likely cause: the sign of the exponent is flipped"]),
        ("float32 becomes float64", lambda z: ref_sigmoid(z).astype(np.float64),
         ["float32 stays float32", "expected dtype float32, got float64"]),
        ("mutates its input", lambda z: ref_sigmoid(np.negative(z, out=z) * -1), ["changed its input z"]),
    ],
    "tanh": [
        ("naive formula", lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
         [OVERFLOW, "Divide the numerator and the denominator"]),
        ("no abs: overflows for negative z", lambda z: (1 - np.exp(-2 * z)) / (1 + np.exp(-2 * z)),
         [OVERFLOW]),
        ("2 sigma(z) - 1: the 2 inside is missing", lambda z: 2 * ref_sigmoid(z) - 1,
         ["first mismatch", "likely cause: the 2 inside is missing"]),
        ("the sigmoid instead", ref_sigmoid, ["first mismatch", "likely cause: this is the sigmoid"]),
        ("doubled", lambda z: 2 * ref_tanh(z), ["likely cause: every value is doubled"]),
    ],
    "relu": [
        ("np.max reduces instead of comparing", lambda z: np.max(z, 0),
         ["expected shape (3, 4), got (4,)"]),
        ("absolute value", np.abs, ["first mismatch", "likely cause: negative values became positive"]),
        ("sets negatives to 0 in place", lambda z: _relu_in_place(z), ["changed its input z"]),
        ("float32 becomes float64", lambda z: np.maximum(z, 0).astype(float),
         ["expected dtype float32, got float64"]),
        ("returns a list", lambda z: np.maximum(z, 0).tolist(), ["expected a single array or number"]),
    ],
    "softmax": [
        ("naive: no shift", lambda z, axis=-1: _softmax_no_shift(z, axis),
         [OVERFLOW, "logits of 1000", "shift by the max first"]),
        ("one global max for all rows", lambda z, axis=-1: _softmax_global_max(z, axis),
         ["rows on very different scales", "invalid value encountered in divide"]),
        ("sums over the whole array", lambda z, axis=-1: _softmax_total(z),
         ["case 1 '4 examples, 3 classes", "first mismatch", "divided by the sum over the whole array"]),
        ("ignores axis", lambda z, axis=-1: _softmax(z, -1), ["axis=0: softmax down each column",
                                                              "first mismatch", "pass axis to max and sum"]),
        ("forgets keepdims", lambda z, axis=-1: _softmax_no_keepdims(z, axis),
         ["raised ValueError: operands could not be broadcast"]),
        ("hard-codes axis=1", lambda z, axis=-1: _softmax(z, 1), ["1-D input", "raised AxisError"]),
    ],
    "sigmoid_derivative": [
        ("naive exp(-z)/(1+exp(-z))^2", lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, [OVERFLOW]),
        ("sigma(z) instead of its derivative", ref_sigmoid, ["first mismatch", "this is σ(z) itself"]),
        ("1 - sigma^2 (the tanh rule)", lambda z: 1 - ref_sigmoid(z) ** 2,
         ["first mismatch", "is tanh's rule"]),
        ("doubled", lambda z: 2 * ref_sigmoid(z) * (1 - ref_sigmoid(z)),
         ["likely cause: every value is doubled"]),
    ],
    "tanh_derivative": [
        ("1 - tanh (square missing)", lambda z: 1 - ref_tanh(z), ["first mismatch", "the square is missing"]),
        ("1 / cosh^2 overflows", lambda z: 1 / np.cosh(z) ** 2,
         ["raised FloatingPointError: overflow encountered in cosh"]),
        ("1 - z^2", lambda z: 1 - z * z, ["first mismatch", "was applied to z itself"]),
        ("wrong sign", lambda z: ref_tanh(z) ** 2 - 1, ["likely cause: every value has the wrong sign"]),
    ],
    "relu_derivative": [
        ("z >= 0: 1 at the kink", lambda z: (z >= 0).astype(z.dtype),
         ["zeros: the kink at z = 0", "expected 0, got 1", "not z >= 0"]),
        ("float32 becomes float64", lambda z: (z > 0).astype(float), ["expected dtype float32, got float64"]),
        ("returns booleans", lambda z: z > 0, ["expected dtype float64, got bool"]),
        ("np.sign: -1 for negative z", np.sign, ["first mismatch", "expected 0, got -1", "(np.sign?)"]),
        ("relu instead of its derivative", lambda z: np.maximum(z, 0),
         ["first mismatch", "this is relu(z) itself"]),
    ],
}


def _relu_in_place(z):
    z[z < 0] = 0
    return z


def _softmax(z, axis):
    exps = np.exp(z - z.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)


def _softmax_no_shift(z, axis):
    exps = np.exp(z)
    return exps / exps.sum(axis=axis, keepdims=True)


def _softmax_global_max(z, axis):
    exps = np.exp(z - z.max())
    return exps / exps.sum(axis=axis, keepdims=True)


def _softmax_total(z):
    exps = np.exp(z - z.max())
    return exps / exps.sum()


def _softmax_no_keepdims(z, axis):
    exps = np.exp(z - z.max(axis=axis))
    return exps / exps.sum(axis=axis)


@pytest.mark.parametrize(
    ("exercise_id", "label", "fn", "fragments"),
    [(ex_id, label, fn, fragments) for ex_id, wrongs in WRONG.items() for label, fn, fragments in wrongs],
    ids=[f"{ex_id}-{label}" for ex_id, wrongs in WRONG.items() for label, _, _ in wrongs],
)
def test_known_wrong_implementation_is_caught(exercise_id, label, fn, fragments, capsys):
    result, out = run(exercise_id, fn, capsys)
    assert not result, f"{label} passed check"
    for fragment in fragments:
        assert fragment in out, f"{label}: {fragment!r} not in\n{out}"
    assert "Traceback" not in out


@pytest.mark.parametrize("exercise_id", IDS)
def test_at_least_four_known_wrong_implementations(exercise_id):
    assert len(WRONG[exercise_id]) >= 4


def test_naive_softmax_fails_even_on_a_converted_copy_of_z(capsys):
    """Overflow raises wherever it happens in the learner's call, whatever array type they use."""
    result, out = run("softmax", lambda z, axis=-1: _softmax_no_shift(np.array(z, copy=True), axis), capsys)
    assert not result
    assert "raised FloatingPointError: overflow encountered in exp" in out


def test_np_tanh_is_accepted(capsys):
    result, out = run("tanh", np.tanh, capsys)
    assert result, out


def test_other_stable_formulas_are_accepted(capsys):
    assert run("tanh", lambda z: 2 * ref_sigmoid(2 * z) - 1, capsys)[0]
    assert run("sigmoid", lambda z: np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))),
                                             np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z)))), capsys)[0]
    assert run("relu", lambda z: z * (z > 0), capsys)[0]


# --------------------------------------------------------------------------- concept question


def test_question_right_answer(capsys):
    assert check_answer("q02_1", "b")
    assert capsys.readouterr().out.startswith("q02_1: correct.")


@pytest.mark.parametrize("choice", ["a", "c", "d"])
def test_question_wrong_answers_explain_why(choice, capsys):
    assert not check_answer("q02_1", choice)
    out = capsys.readouterr().out
    assert out.startswith("q02_1: not quite.")
    assert QUESTIONS["q02_1"].feedback[choice] in out


def test_question_feedback_is_specific():
    feedback = QUESTIONS["q02_1"].feedback
    assert "0.25^10" in feedback["a"] and "output layer" in feedback["c"] and "collapse" in feedback["d"]


# --------------------------------------------------------------------------- the notebook's hints


def _norm(text):
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


@pytest.fixture(scope="module")
def solution_cells():
    return {cell.get("id"): cell for cell in nbformat.read(SOLUTION, as_version=4).cells}


@pytest.mark.parametrize("exercise_id", IDS)
def test_notebook_hints_are_the_registry_hints(exercise_id, solution_cells):
    cells = solution_cells
    assert cells[f"check-{exercise_id}"].source == f'check("{exercise_id}", {exercise_id})'
    hints = cells[f"hints-{exercise_id}"].source
    for hint in EXERCISES[exercise_id].hints:
        assert _norm(hint) in _norm(hints)


# --------------------------------------------------------------------------- the widget


def test_plot_activation_marks_the_input_and_shades_saturation():
    ax_f, ax_df = plot_activation("sigmoid", z0=2.0)
    assert ax_f.get_title() == "sigmoid: f(2.00) = 0.8808"
    assert ax_df.get_title() == "sigmoid': f'(2.00) = 0.1050"
    assert ax_df.get_legend().get_texts()[0].get_text() == f"f'(z) < {SATURATED}"
    marker = ax_df.lines[-1]
    assert marker.get_xdata()[0] == 2.0
    assert marker.get_ydata()[0] == pytest.approx(0.104994, abs=1e-6)


def test_plot_activation_rejects_unknown_names():
    with pytest.raises(ValueError, match="name must be one of"):
        plot_activation("softplus")
    with pytest.raises(TypeError, match="must be a pair"):
        plot_activation("mine", functions={"mine": np.tanh})


def test_explorer_redraws_when_the_slider_or_dropdown_moves():
    box = activation_explorer(name="sigmoid", z0=0.0)
    (dropdown, slider), readout, out = box.children[0].children, box.children[1], box.children[2]
    assert readout.value.startswith("<code>sigmoid(0.00) = 0.5000</code>")
    first_png = out.outputs[0]["data"]["image/png"]

    slider.value = -5.0
    assert "sigmoid(-5.00) = 0.0067" in readout.value and "saturated" in readout.value
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
