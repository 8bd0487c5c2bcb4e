"""Lesson 09: mlp_backward and loss_and_gradients are judged truly (their banks of known mistakes and
correct variants, through check() and as the grader's sandbox rebuilds them), the cases cover what
the issue asked, the lesson's numbers are recomputed, and its demonstrations never rebind a name."""

import itertools

import numpy as np
import pytest
from lesson_checks import (
    assert_full_bank,
    assert_reference_passes,
    bank_params,
    check_output,
    figures_of,
    judge_bank_entry,
    rebinding_cells,
    unlabelled,
)

from nnlib.check import check_answer
from nnlib.data import load_digits
from nnlib.exercises import get_exercise, get_question
from nnlib.exercises.lesson09 import OVERFLOW_LOGIT
from nnlib.losses import LOSSES, softmax_cross_entropy_backward
from nnlib.mlp import gradient_norms, init_mlp, loss_and_gradients, mlp_backward, mlp_forward

EXERCISES = ("mlp_backward", "loss_and_gradients")


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_the_reference_passes_the_check_and_the_graders_cases(exercise_id):
    assert_reference_passes(exercise_id, seeds=(1, 2, 3))


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_each_exercise_has_a_full_bank(exercise_id):
    assert_full_bank(exercise_id)


@pytest.mark.parametrize(("exercise_id", "kind", "entry"), bank_params("09"))
def test_bank_entry(exercise_id, kind, entry):
    judge_bank_entry(exercise_id, kind, entry)


# -- mlp_backward ------------------------------------------------------------------------------


def test_mlp_backward_cases_cover_each_hidden_and_each_output_activation_separately():
    cases = get_exercise("mlp_backward").cases()
    assert {c.kwargs["hidden"] for c in cases} == {"relu", "tanh", "sigmoid", "identity"}
    assert {c.kwargs["output"] for c in cases} >= {"identity", "tanh", "sigmoid"}
    assert any(c.args[0].shape[0] == 1 for c in cases)
    assert {len(c.args[2]) for c in cases} == {1, 2, 3}


def test_the_tanh_and_sigmoid_cases_really_run_those_activations():
    """Each case's caches were made by the forward pass it names: its Z and next X agree through f."""
    from nnlib.activations import ACTIVATIONS

    for case in get_exercise("mlp_backward").cases():
        caches = case.args[1]
        f = ACTIVATIONS[case.kwargs["hidden"]][0]
        for below, above in itertools.pairwise(caches):
            np.testing.assert_allclose(above.X, f(below.Z))


def test_the_first_case_has_equal_widths_so_shape_slips_do_not_raise():
    params = get_exercise("mlp_backward").cases()[0].args[2]
    assert len({p.W.shape[0] for p in params} | {p.W.shape[1] for p in params}) == 1


@pytest.mark.parametrize(("bug", "fragment"), [
    ("_bug_derivative_at_a", "the derivative was taken at the layer's output A = f(Z)"),
    ("_bug_hidden_always_relu", "every hidden layer was treated as ReLU"),
])
def test_the_slips_that_passed_before_now_fail(bug, fragment):
    from nnlib.exercises import lesson09

    passed, out = check_output("mlp_backward", getattr(lesson09, bug))
    assert not passed and fragment in out, out


# -- loss_and_gradients ------------------------------------------------------------------------


def test_the_large_logits_case_is_above_the_overflow_point_of_exp():
    case = get_exercise("loss_and_gradients").cases()[-1]
    params, X, y = case.args
    logits, _ = mlp_forward(X, params, case.kwargs["hidden"])
    assert np.abs(logits).max() > OVERFLOW_LOGIT > np.log(np.finfo(np.float64).max)
    value, grads = loss_and_gradients(params, X, y, **case.kwargs)
    assert np.isfinite(value) and all(np.all(np.isfinite(g.W)) for g in grads)


def test_an_own_softmax_without_the_shift_fails_there():
    def naive(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
        logits, caches = mlp_forward(X, params, hidden, "identity")
        if loss != "softmax_cross_entropy":
            dout = LOSSES[loss][1](logits, y)
            return LOSSES[loss][0](logits, y), mlp_backward(dout, caches, params, hidden)
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        n = len(y)
        dout = probs.copy()
        dout[np.arange(n), y] -= 1
        return float(-np.log(probs[np.arange(n), y]).mean()), mlp_backward(dout / n, caches, params, hidden)

    with np.errstate(all="ignore"):
        passed, out = check_output("loss_and_gradients", naive)
    assert not passed and "case 8 'large logits" in out and "np.exp overflows" in out, out


def test_loss_and_gradients_cases_cover_the_three_losses():
    cases = get_exercise("loss_and_gradients").cases()
    assert {c.kwargs.get("loss", "softmax_cross_entropy") for c in cases} == set(LOSSES)


def test_the_stubs_say_what_to_compute_not_the_code():
    from lesson_checks import stubs

    for exercise_id, stub in stubs("09").items():
        for code in ("@", ".T", "np.", "LOSSES[", "dense_backward(", "activation_backward("):
            assert code not in stub, f"{exercise_id}: the stub shows {code!r}"


# -- the lesson's numbers ----------------------------------------------------------------------


def _digits_net_grads():
    X, y = load_digits()
    X = X / 16.0
    params = init_mlp([64, 32, 16, 10], np.random.default_rng(0))
    logits, caches = mlp_forward(X[:32], params)
    return mlp_backward(softmax_cross_entropy_backward(logits, y[:32]), caches, params)


def test_gradient_sizes_claimed_in_section_7():
    grads = _digits_net_grads()
    norms = gradient_norms(grads)
    np.testing.assert_allclose(norms, [0.62, 0.30, 0.16], atol=0.006)  # "from 0.62 to 0.16"
    assert 3.5 < norms[0] / norms[-1] < 4  # "by a factor of almost 4"
    rms = np.array([np.sqrt(np.mean(g.W**2)) for g in grads])
    assert 0.0130 <= rms.min() and rms.max() <= 0.0137 + 5e-5  # "an rms between 0.0130 and 0.0137"
    assert [g.W.size for g in grads] == [2048, 512, 160]


def test_the_lesson_states_the_noise_floor_of_the_gradient_check():
    import nbformat
    from lesson_checks import solution

    cells = nbformat.read(solution("09"), as_version=4).cells
    text = next(c.source for c in cells if c.id == "gradcheck-text")
    assert "noise floor" in text and r"\varepsilon \max(\lvert L \rvert, 1) / h" in text


# -- the notebook ------------------------------------------------------------------------------


def test_demonstrations_never_rebind_a_learners_function_name():
    assert rebinding_cells("09") == []


def test_every_figure_has_axis_labels_and_a_title():
    figures = figures_of("09")
    assert len(figures) >= 3
    assert {cell: unlabelled(f) for cell, f in figures if unlabelled(f)} == {}


# -- q09_1 ---------------------------------------------------------------------------------------


def test_q09_1():
    assert check_answer("q09_1", "b")
    q = get_question("q09_1")
    assert set(q.feedback) == set(q.choices)
    for choice in "acd":
        assert not check_answer("q09_1", choice)

