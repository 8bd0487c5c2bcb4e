"""Lesson 01 (and 00's question): the reference passes, known-wrong implementations are caught."""

import numpy as np
import pytest

from nnlib.check import check, check_answer
from nnlib.exercises import get_exercise, get_question
from nnlib.layers import dense_preactivation
from nnlib.neuron import preactivation

# --------------------------------------------------------------------------- #
# preactivation
# --------------------------------------------------------------------------- #


def test_preactivation_reference_passes(capsys):
    result = check("preactivation", preactivation)
    assert result
    assert "preactivation: all 6 checks passed" in capsys.readouterr().out


def _not_implemented(x, w, b):
    raise NotImplementedError("Exercise preactivation: ...")


def _no_sum(x, w, b):
    return x * w + b  # elementwise products, never added up


def _as_list(x, w, b):
    return [float(x @ w + b)]


def _bias_indexed(x, w, b):
    return float(x @ w + b[0])  # treats the scalar bias as an array


def _mutates_x(x, w, b):
    x *= w  # in place: changes the caller's x
    return float(x.sum() + b)


def _bias_subtracted(x, w, b):
    return float(x @ w - b)


def _column_vector(x, w, b):
    return x @ w.reshape(-1, 1) + b  # shape (1,), not a number


def _forgot_bias(x, w, b):
    return float(x @ w)


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (_not_implemented, "preactivation: not implemented yet"),
        (_no_sum, "likely cause: the products w_i x_i are never added up"),
        (_as_list, "expected a single array or number, got a list or tuple of 1 item"),
        (_bias_indexed, "raised TypeError"),
        (_mutates_x, "your function changed its input x"),
        (_column_vector, "expected shape (), got (1,)"),
        (_bias_subtracted, "likely cause: the bias is subtracted"),
        (_forgot_bias, "likely cause: the bias is missing: add b after the weighted sum"),
    ],
)
def test_preactivation_mistakes_are_caught(wrong, fragment, capsys):
    result = check("preactivation", wrong)
    out = capsys.readouterr().out
    assert not result
    assert fragment in out, out


def test_forgotten_bias_passes_only_the_zero_bias_cases(capsys):
    result = check("preactivation", _forgot_bias)
    assert (result.passed, result.total) == (1, 6)  # "all zeros" has b = 0
    assert "case 1 '3 inputs'" in capsys.readouterr().out


# --------------------------------------------------------------------------- #
# dense_preactivation
# --------------------------------------------------------------------------- #


def test_dense_preactivation_reference_passes(capsys):
    assert check("dense_preactivation", dense_preactivation)
    assert "dense_preactivation: all 8 checks passed" in capsys.readouterr().out


def _transposed(X, W, b):
    return W.T @ X.T + b[:, None]  # (D_out, N)


def _dense_forgot_bias(X, W, b):
    return X @ W


def _to_float64(X, W, b):
    return X.astype(np.float64) @ W.astype(np.float64) + b


def _elementwise(X, W, b):
    return X * W + b


def _bias_summed(X, W, b):
    return X @ W + b.sum()


def _dense_mutates(X, W, b):
    X -= X.mean(axis=0)  # "normalising" the caller's X in place
    return X @ W + b


def _dense_not_implemented(X, W, b):
    raise NotImplementedError("Exercise dense_preactivation: ...")


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (_transposed, ("expected shape (4, 2), got (2, 4) (transposed?)",
                       "likely cause: Z is transposed: batch first")),
        (_dense_forgot_bias, ("1 of 8 checks passed", "first mismatch at index (0, 0)",
                              "likely cause: the bias is missing")),
        (_to_float64, ("case 8 'float32 stays float32'", "expected dtype float32, got float64",
                       "likely cause: the result was converted to float64")),
        (_elementwise, ("raised ValueError", "operands could not be broadcast")),
        (_bias_summed, ("first mismatch at index (0, 0)", "all biases were summed into one number")),
        (_dense_mutates, ("your function changed its input X",)),
        (_dense_not_implemented, ("dense_preactivation: not implemented yet",)),
    ],
)
def test_dense_preactivation_mistakes_are_caught(wrong, fragments, capsys):
    result = check("dense_preactivation", wrong)
    out = capsys.readouterr().out
    assert not result
    for fragment in fragments:
        assert fragment in out, out


def test_dense_preactivation_has_a_square_case_and_float32_case():
    # A transpose of a square W has the right shape: only a square case catches it by value.
    cases = get_exercise("dense_preactivation").cases()
    assert any(c.args[1].shape[0] == c.args[1].shape[1] > 1 for c in cases)
    assert any(c.args[0].dtype == np.float32 for c in cases)


def test_square_transpose_is_caught(capsys):
    def w_transposed(X, W, b):
        return X @ W.T + b if W.shape[0] == W.shape[1] else X @ W + b

    assert not check("dense_preactivation", w_transposed)
    out = capsys.readouterr().out
    assert "square W" in out and "likely cause: W is used transposed" in out


# --------------------------------------------------------------------------- #
# concept questions q00_1 (lesson 00) and q01_1
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("question_id", ["q00_1", "q01_1"])
def test_question_right_answer_is_accepted(question_id, capsys):
    q = get_question(question_id)
    assert check_answer(question_id, q.answer)
    assert f"{question_id}: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("question_id", "choice", "fragment"),
    [
        ("q00_1", "a", "quietly run nnlib's reference instead of yours"),
        ("q00_1", "c", "check is deterministic"),
        ("q00_1", "d", "copying them skips the part where you learn"),
        ("q01_1", "a", "The bias is not scaled"),
        ("q01_1", "b", "it cannot rotate"),
        ("q01_1", "d", "passes through the origin only when b = 0"),
    ],
)
def test_question_wrong_choice_explains_why(question_id, choice, fragment, capsys):
    assert not check_answer(question_id, choice)
    out = capsys.readouterr().out
    assert out.startswith(f"{question_id}: not quite.")
    assert fragment in out


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


def test_no_answer_yet(capsys):
    assert not check_answer("q00_1", None)
    assert "q00_1: no answer yet" in capsys.readouterr().out
