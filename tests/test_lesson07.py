"""Lesson 07: sgd_step and train_neuron are judged truthfully (banks of mistakes and correct variants),
the learning-rate question accepts exactly the learning rates that converge within the budget, and the
lesson's figures, words and numbers hold."""

import copy

import numpy as np
import pytest
from lesson_common import learner_copy
from lesson_support import (
    cell_source,
    cells_before,
    check_output,
    mistake_problems,
    run_all_bindings,
    solution_outputs,
    variant_problems,
)

from nnlib import make_blobs, neuron_gradients, train_neuron
from nnlib.check import check, check_answer
from nnlib.exercises import get_exercise, get_question
from nnlib.exercises.lesson07 import LR_BUDGET, LR_TARGET, LR_WINDOW, float64_result, in_place_update
from nnlib.mlp import Dense
from nnlib.optim import sgd_step


def test_reference_passes(capsys):
    result = check("sgd_step", learner_copy(sgd_step))
    assert result
    assert "sgd_step: all 8 checks passed" in capsys.readouterr().out


def test_reference_is_pure():
    rng = np.random.default_rng(0)
    params = [Dense(rng.normal(size=(3, 2)), rng.normal(size=2))]
    grads = [Dense(rng.normal(size=(3, 2)), rng.normal(size=2))]
    before = copy.deepcopy(params)
    new = sgd_step(params, grads, 0.1)
    np.testing.assert_array_equal(params[0].W, before[0].W)
    np.testing.assert_array_equal(params[0].b, before[0].b)
    np.testing.assert_allclose(new[0].W, before[0].W - 0.1 * grads[0].W)


# Known-wrong implementations, each a realistic slip.


def _not_implemented(params, grads, lr):
    raise NotImplementedError("Exercise sgd_step: ...")


def _in_place_new_list(params, grads, lr):
    new = []
    for p, g in zip(params, grads, strict=True):
        W, b = p.W, p.b
        W -= lr * g.W  # W is p.W: this changes the caller's array
        b -= lr * g.b
        new.append(Dense(W, b))
    return new


def _empty(params, grads, lr):
    return []


def _normalised(params, grads, lr):  # divides by the gradient's norm: NaN for zero gradients
    with np.errstate(invalid="ignore", divide="ignore"):
        return [Dense(p.W - lr * g.W / np.linalg.norm(g.W), p.b - lr * g.b / np.linalg.norm(g.b))
                for p, g in zip(params, grads, strict=True)]


# Known-wrong implementations beyond the registry's bank (which test_every_mistake_of_the_bank... runs).
@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (_not_implemented, ("sgd_step: not implemented yet",)),
        (_in_place_new_list, ("changed its input params",)),
        (_empty, ("the result is empty; return a list of 2 Dense(W, b)",)),
        (_normalised, ("likely cause: the step is",)),
    ],
)
def test_mistakes_are_caught(wrong, fragments, capsys):
    result = check("sgd_step", wrong)
    out = capsys.readouterr().out
    assert not result
    for fragment in fragments:
        assert fragment in out, out


def test_nan_output_is_named(capsys):
    def nan_for_zero_grads(params, grads, lr):
        out = []
        for p, g in zip(params, grads, strict=True):
            scale = 1.0 if np.any(g.W) else np.nan  # passes every case but the zero-gradient one
            out.append(Dense(p.W - lr * g.W * scale, p.b - lr * g.b * scale))
        return out

    assert not check("sgd_step", nan_for_zero_grads)
    out = capsys.readouterr().out
    assert "case 6 'zero gradients: nothing moves'" in out
    assert "your result contains NaN" in out


def test_cases_cover_the_edge_cases():
    cases = get_exercise("sgd_step").cases()
    lrs = [c.args[2] for c in cases]
    assert min(lrs) <= 1e-3 and max(lrs) >= 10
    assert any(len(c.args[0]) >= 3 for c in cases)  # several layers
    assert any(p.W.shape[0] != p.W.shape[1] for c in cases for p in c.args[0])  # non-square W
    assert any(c.args[0][0].W.dtype == np.float32 for c in cases)
    shared = [c for c in cases if len(c.args[0]) == 2 and c.args[0][0] is c.args[0][1]]
    assert len(shared) == 1
    # deepcopy (what check does before calling) keeps the two entries one object
    copied = copy.deepcopy(shared[0].args)
    assert copied[0][0] is copied[0][1]


def test_shared_layer_case_names_an_in_place_update():
    # Even where mutation of nested inputs goes unnoticed (a grader without that check), the case
    # holding one layer object twice exposes an in-place update, with a message that says so.
    from nnlib.judge import flatten_output

    ex = get_exercise("sgd_step")
    case = next(c for c in ex.cases() if len(c.args[0]) == 2 and c.args[0][0] is c.args[0][1])
    received = flatten_output(in_place_update(*copy.deepcopy(case.args)))
    message = ex.verify(case, received)
    assert message.startswith("your function changed its input params (an in-place update")
    assert ex.verify(case, flatten_output(sgd_step(*copy.deepcopy(case.args)))) is None


def test_cases_are_deterministic():
    ex = get_exercise("sgd_step")
    first, second = ex.cases(), ex.cases()
    for a, b in zip(first, second, strict=True):
        assert a.name == b.name
        for pa, pb in zip(a.args[0], b.args[0], strict=True):
            np.testing.assert_array_equal(pa.W, pb.W)


# --------------------------------------------------------------------------- #
# concept question q07_1
# --------------------------------------------------------------------------- #


def test_question_right_answer(capsys):
    assert check_answer("q07_1", get_question("q07_1").answer)
    assert "q07_1: correct." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("choice", "fragment"),
    [
        ("a", "More epochs repeat the same too-large steps"),
        ("c", "A larger η makes each step overshoot further"),
        ("d", "With a flipped sign every update climbs"),
    ],
)
def test_question_wrong_choices(choice, fragment, capsys):
    assert not check_answer("q07_1", choice)
    out = capsys.readouterr().out
    assert out.startswith("q07_1: not quite.")
    assert fragment in out


def test_parabola_regimes_stated_in_the_lesson():
    # w_{t+1} - 3 = (1 - 2 lr)(w_t - 3): converges for lr < 1, bounces at lr = 1, diverges above.
    from nnlib.widgets.learning_rate_explorer import descend_quadratic

    np.testing.assert_allclose(descend_quadratic(0.0, 0.75, 3), [0.0, 4.5, 2.25, 3.375])
    np.testing.assert_allclose(descend_quadratic(0.0, 0.5, 1), [0.0, 3.0])
    np.testing.assert_allclose(descend_quadratic(0.0, 1.0, 4), [0.0, 6.0, 0.0, 6.0, 0.0])
    assert abs(descend_quadratic(0.0, 1.05, 40)[-1] - 3) > 10
    assert abs(descend_quadratic(0.0, 0.02, 20)[-1] - 3) > 1  # crawls: still far after 20 steps


def test_a_float64_result_for_float32_parameters_is_right():
    """Issue 14: dtype alone is not a mistake (the values are right)."""
    assert check("sgd_step", float64_result, quiet=True)


# --------------------------------------------------------------------------- #
# the banks (issue 14): every mistake named, every correct variant passes
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("exercise_id", ["sgd_step", "train_neuron"])
def test_every_mistake_of_the_bank_is_caught_with_its_own_message(exercise_id):
    ex = get_exercise(exercise_id)
    assert len(ex.mistakes) >= 8
    messages = [m.expect for m in ex.mistakes] if ex.verify else [m.cause for m in ex.mistakes]
    assert len(set(messages)) == len(messages)
    assert mistake_problems(exercise_id) == []


@pytest.mark.parametrize("exercise_id", ["sgd_step", "train_neuron"])
def test_every_correct_variant_of_the_bank_passes(exercise_id):
    assert len(get_exercise(exercise_id).variants) >= 5
    assert variant_problems(exercise_id) == []


# --------------------------------------------------------------------------- #
# train_neuron: the gradient-descent loop the learner writes
# --------------------------------------------------------------------------- #


def test_train_neuron_reference_passes_every_case_and_the_cases_cover_the_edges():
    ex = get_exercise("train_neuron")
    assert ex.lesson == "07" and check("train_neuron", learner_copy(train_neuron), quiet=True)
    cases = ex.cases(hidden=True)
    epochs = [c.kwargs["epochs"] for c in cases]
    assert 1 in epochs and max(epochs) >= 25
    assert any(c.args[0].shape[0] == 1 for c in cases)
    assert any(not np.any(c.args[2]) and c.args[3] == 0 for c in cases)  # a start at w = 0, b = 0
    assert cases[0].kwargs["epochs"] >= 3  # the first case tells apart the off-by-one and restart mistakes


def test_train_neuron_results_in_any_containers_are_judged_by_their_values():
    mine = learner_copy(train_neuron)  # (check() refuses a function that calls nnlib's reference)

    def arrays_and_tuple(X, y, w, b, *, lr, epochs):
        w, b, losses = mine(X, y, w, b, lr=lr, epochs=epochs)
        return [np.array(w), np.array([b])[0], tuple(losses)]

    assert check("train_neuron", arrays_and_tuple, quiet=True)


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda X, y, w, b, *, lr, epochs: train_neuron(X, y, w, b, lr=lr, epochs=epochs)[:2],
         "the result must be (w, b, losses), 3 items; got a tuple of 2 items"),
        (lambda X, y, w, b, *, lr, epochs: train_neuron(X, y, w, b, lr=lr, epochs=epochs)[2],
         "the result must be (w, b, losses), 3 items; got a list of"),
        (lambda X, y, w, b, *, lr, epochs: None,
         "the result must be (w, b, losses), 3 items; got a NoneType"),
    ],
)
def test_train_neuron_with_a_wrong_structure_says_what_to_return(wrong, fragment):
    passed, out = check_output("train_neuron", wrong)
    assert not passed and fragment in out, out


def test_train_neuron_that_updates_the_callers_w_in_place_is_caught():
    def in_place(X, y, w, b, *, lr, epochs):
        losses = []
        for _ in range(epochs):
            loss, dw, db = neuron_gradients(X, y, w, b)
            losses.append(loss)
            w -= lr * dw  # changes the caller's array
            b = b - lr * db
        return w, b, losses

    passed, out = check_output("train_neuron", in_place)
    assert not passed and "your function changed its input w" in out


def test_the_lesson_trains_with_the_learners_loop_and_prints_what_the_prose_says():
    text = solution_outputs("07")
    assert "your train_neuron, lr = 0.5:" in text
    assert "after 100 epochs: w = [2.2952 1.5646], b = -0.0448, training accuracy 95%" in text
    assert "your sgd_step and your train_neuron agree on one step: True" in text


# --------------------------------------------------------------------------- #
# choosing η: q07_2 accepts exactly the learning rates that converge within the budget
# --------------------------------------------------------------------------- #


def _blobs():
    X, y = make_blobs(50, centers=[[-1.5, -1.0], [1.5, 1.0]], std=1.0, rng=np.random.default_rng(0))
    return X, y, np.array([-1.0, 2.0]), 1.0


def _loss_after_budget(lr):
    X, y, w0, b0 = _blobs()
    w, b, _ = train_neuron(X, y, w0, b0, lr=lr, epochs=LR_BUDGET)
    return neuron_gradients(X, y, w, b)[0]


def _edge(inside, outside):
    """Bisect the edge of the window between a learning rate inside it and one outside."""
    for _ in range(40):
        middle = (inside + outside) / 2
        inside, outside = (middle, outside) if _loss_after_budget(middle) < LR_TARGET else (inside, middle)
    return inside


def test_the_accepted_window_is_where_training_meets_the_goal_within_the_budget():
    low, high = _edge(5.0, 1.0), _edge(5.0, 20.0)
    assert LR_WINDOW[0] == pytest.approx(low, abs=2e-4) and LR_WINDOW[0] >= low
    assert LR_WINDOW[1] == pytest.approx(high, abs=2e-4) and LR_WINDOW[1] <= high
    for lr in np.linspace(*LR_WINDOW, 15):  # one window, no gap: every η in it converges in time
        assert _loss_after_budget(lr) < LR_TARGET, lr
    q = get_question("q07_2")
    assert q.answer - q.tol >= low and q.answer + q.tol <= high
    assert round(high / low) == 4 and "a window of a factor 4" in q.feedback["correct"]
    assert check_answer("q07_2", LR_WINDOW[0]) and check_answer("q07_2", LR_WINDOW[1])
    assert not check_answer("q07_2", low - 0.01) and not check_answer("q07_2", high + 0.01)


@pytest.mark.parametrize(("answer", "side", "fragment"),
                         [(0.5, "low", "is still above 0.14 after 10 epochs"), (50, "high", "overshoot")])
def test_q07_2_feedback_says_which_side(answer, side, fragment, capsys):
    assert not check_answer("q07_2", answer)
    out = capsys.readouterr().out
    assert f"is too {side}" in out and fragment in out


def test_the_numbers_in_q07_2_and_the_choose_section_are_measured():
    feedback = " ".join(get_question("q07_2").feedback.values())
    for lr, shown in ((1.0, "0.170"), (10.0, "0.152"), (50.0, "0.556")):
        assert f"η = {lr:g} ends at {shown}" in feedback or f"η = {lr:g} at {shown}" in feedback
        assert f"{_loss_after_budget(lr):.3f}" == shown
    X, y, w0, b0 = _blobs()
    _, _, long_run = train_neuron(X, y, w0, b0, lr=5.0, epochs=400)
    assert min(long_run) == pytest.approx(0.126, abs=0.0005)  # "the best this neuron can do ... about 0.126"
    _, _, curve = train_neuron(X, y, w0, b0, lr=50.0, epochs=3)
    assert curve[1] > curve[0]  # η = 50: "the first step overshoots and the loss goes up"
    for lr in (0.05, 0.5, 50.0):  # "None of the three learning rates meets it"
        assert _loss_after_budget(lr) > LR_TARGET
    assert "tries = (0.05, 0.5, 50.0)" in cell_source("07", "choose-lr")


# --------------------------------------------------------------------------- #
# q07_1's feedback, steps not epochs on the parabola, figure colours, stubs, Run All
# --------------------------------------------------------------------------- #


def test_q07_1_feedback_no_longer_contradicts_the_parabola():
    feedback = get_question("q07_1").feedback
    # on the parabola, η > 1 makes the loss rise at every step: not the zigzag of the question
    assert "η > 1 on the parabola" not in feedback["b"] and "near side" not in feedback["b"]
    # a loss rising at every step is no proof of a flipped sign
    assert "a far too large η can do that too" in feedback["d"]
    from nnlib.widgets.learning_rate_explorer import descend_quadratic, quadratic_loss

    losses = quadratic_loss(descend_quadratic(0.0, 1.05, 10))
    assert np.all(np.diff(losses) > 0)  # η > 1: the loss rises at every step


def test_the_parabola_counts_steps_before_the_lesson_defines_an_epoch():
    before = cells_before("07", "neuron")[1:]  # after the title (whose objectives name epochs)
    text = "\n".join(c.source for c in before)
    assert "epoch" not in text.lower(), [c.id for c in before if "epoch" in c.source.lower()]
    assert "**Epochs.** An epoch is one pass over the whole training set" in cell_source("07", "neuron")


def test_each_path_has_the_colour_of_its_loss_curve(agg):
    from nnlib.widgets.learning_rate_explorer import (
        CURVE_COLORS,
        descend_quadratic,
        draw_loss_curves,
        draw_quadratic_path,
        quadratic_loss,
    )

    _, axes = agg.subplots(1, 4)
    curves = {}
    for k, lr in enumerate((0.02, 0.3, 1.05)):
        ws = descend_quadratic(0.0, lr, 20)
        draw_quadratic_path(ws, ax=axes[k], color=CURVE_COLORS[k])
        curves[f"η = {lr}"] = quadratic_loss(ws)
    draw_loss_curves(curves, ax=axes[3])
    for k in range(3):
        path = axes[k].lines[1]  # the parabola first, then the path
        assert path.get_color() == axes[3].lines[k].get_color() == CURVE_COLORS[k]
        assert CURVE_COLORS[k] not in [line.get_color() for line in axes[k].lines[2:]]  # w0 is drawn in black
    assert axes[3].get_xlabel() == "steps done"
    assert "color=CURVE_COLORS[k]" in cell_source("07", "three-rates-figure")


def test_the_sgd_step_stub_and_task_do_not_give_the_update_away():
    ex = get_exercise("sgd_step")
    stub = cell_source("07", "exercise-sgd_step", folder="lessons") + cell_source("07", "task-sgd_step")
    for answer in ("W - lr * dW", "lr * g", "- lr *"):
        assert answer not in stub and answer not in ex.task, answer
    assert "W - lr" in ex.hints[2]  # the near-solution lives in hint 3


def test_run_all_of_the_lesson_leaves_no_learner_name_bound_to_the_reference(tmp_path):
    report, cells = run_all_bindings("07", tmp_path)
    assert report == {"sgd_step": {"bound": True, "reference": False, "demo": True},
                      "train_neuron": {"bound": True, "reference": False, "demo": True}}
    outputs = "".join(o.get("text", "") for c in cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "nnlib's train_neuron, lr = 0.5:" in outputs and "nnlib's sgd_step, lr = 0.1:" in outputs
    assert "your sgd_step" not in outputs and "your train_neuron" not in outputs
