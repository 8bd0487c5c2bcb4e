"""Lesson 05, the chain rule: check() names the usual mistakes, the banks hold, the learner's part of the
Value engine is judged on bare nodes, Run All never shadows a learner's function, the lesson's claims are
recomputed; the backprop stepper is right and redraws."""

import copy
import inspect
import math

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
    near_solution_leaks,
    shadowing_problems,
)

from nnlib import Value, check, check_answer, topological_order
from nnlib.check import judge_case
from nnlib.exercises import EXERCISES, get_exercise, get_question
from nnlib.exercises.lesson05 import (
    _nd_fixed_step,
    _nd_forward,
    _nd_over_h,
    _nd_precedence,
    _nd_reversed,
    f_gradients_reference,
    value_mul_backward,
    value_tanh_backward,
)
from nnlib.judge import flatten_output

SOLUTION = ROOT / "solutions" / "05_chain_rule.ipynb"
LESSON = ROOT / "lessons" / "05_chain_rule.ipynb"

LESSON_IDS = ("numerical_derivative", "multiply_backward", "max_backward", "value_mul_backward",
              "value_tanh_backward", "topological_order", "f_gradients")


def run(exercise_id, fn, capsys):
    result = check(exercise_id, fn)
    return result, capsys.readouterr().out


@pytest.mark.parametrize("exercise_id", LESSON_IDS)
def test_reference_passes_every_case_and_every_hidden_case(exercise_id, capsys):
    ex = get_exercise(exercise_id)
    assert ex.lesson == "05"
    result, out = run(exercise_id, learner_copy(ex.reference), capsys)
    assert result and out == f"{exercise_id}: all {result.total} checks passed\n"
    for seed in (7, 8):  # the grader's seeds and extra cases
        for case in ex.cases(seed=seed, hidden=True):
            received = flatten_output(ex.target(ex.reference)(*copy.deepcopy(case.args), **dict(case.kwargs)))
            assert judge_case(ex, case, received) is None, case.name


# --------------------------------------------------------------------------- #
# numerical_derivative
# --------------------------------------------------------------------------- #












def returns_a_list(f, x, h=1e-5):
    return [(f(x + h) - f(x - h)) / (2 * h)]


def no_h_parameter(f, x):
    return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (_nd_forward, ["0 of 7 checks passed", "case 1 'sin at x =",
                     "likely cause: that is the one-sided difference (f(x + h) - f(x)) / h"]),
        (_nd_over_h, ["likely cause: x + h and x - h are 2h apart: divide by 2 * h, not by h"]),
        (_nd_precedence, ["likely cause: operator precedence: a / 2 * h is (a / 2) * h"]),
        (_nd_reversed, ["likely cause: the difference is the wrong way round"]),
        (_nd_fixed_step, ["case 2 'sin at x = 1, a large step h = 0.5'",
                      "likely cause: you ignored the argument h"]),
        (returns_a_list, ["expected a single array or number, got a list or tuple of 1 item"]),
        (no_h_parameter, ["raised TypeError", "unexpected keyword argument 'h'"]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_numerical_derivative_mistakes_are_named(wrong, fragments, capsys):
    result, out = run("numerical_derivative", wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


def test_numerical_derivative_accepts_equivalent_centered_formulas(capsys):
    assert run("numerical_derivative", lambda f, x, h=1e-5: (f(x + h) - f(x - h)) / 2 / h, capsys)[0]
    assert run("numerical_derivative", lambda f, x, h=1e-5: 0.5 * (f(x + h) - f(x - h)) / h, capsys)[0]


# --------------------------------------------------------------------------- #
# multiply_backward
# --------------------------------------------------------------------------- #


def multiply_mutates(dz, x, y):
    dy = dz * x
    dz *= y  # in place: on an array this changes the caller's dz
    return dz, dy


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (lambda dz, x, y: (dz * x, dz * y),
         ["case 1 'scalars dz = 2, x = 3, y = -4' failed", "output[0]: first mismatch: expected -8, got 6",
          "likely cause: the inputs are not swapped"]),
        (lambda dz, x, y: (y, x), ["likely cause: you forgot the upstream gradient"]),
        (lambda dz, x, y: (dz * y, dz * y),
         ["likely cause: you returned the same gradient twice: dy = dz * x"]),
        (lambda dz, x, y: (dz, dz), ["likely cause: that distributes dz unchanged like the add gate"]),
        (lambda dz, x, y: (-dz * y, -dz * x), ["likely cause: the sign is wrong"]),
        (lambda dz, x, y: (np.sum(dz * y), np.sum(dz * x)),
         ["case 2 'arrays of shape (5,)'", "output[0]: expected shape (5,), got ()"]),
        (lambda dz, x, y: dz * y, ["expected a structure with parts ['[0]', '[1]'], got a single array"]),
        (multiply_mutates, ["case 2 'arrays of shape (5,)'", "your function changed its input dz"]),
    ],
)
def test_multiply_backward_mistakes_are_named(wrong, fragments, capsys):
    result, out = run("multiply_backward", wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


def test_multiply_backward_in_float64_for_float32_input_passes_with_a_note(capsys):
    """The values are right: dtype alone is no mistake (issue 14); the note says nnlib keeps float32."""
    def in_float64(dz, x, y):
        return np.asarray(dz * y, dtype=float), np.asarray(dz * x, dtype=float)

    result, out = run("multiply_backward", in_float64, capsys)
    assert result, out
    assert "note: " in out and "float32" in out, out


# --------------------------------------------------------------------------- #
# max_backward
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (lambda dz, x, y: (np.where(x >= y, dz, 0.0), np.where(y >= x, dz, 0.0)),
         ["case 3 'a tie x = y = 3: the gradient goes to x' failed",
          "likely cause: on a tie (x == y) you sent dz to both inputs"]),
        (lambda dz, x, y: (np.where(x > y, dz, 0.0), np.where(y > x, dz, 0.0)),
         ["case 3 'a tie", "likely cause: on a tie (x == y) neither input got the gradient"]),
        (lambda dz, x, y: (np.where(x > y, dz, 0.0), np.where(x > y, 0.0, dz)),
         ["likely cause: on a tie (x == y) x got no gradient"]),
        (lambda dz, x, y: ((x >= y) * 1.0, (x < y) * 1.0),
         ["case 1 'scalars, x wins", "likely cause: you returned the 0/1 mask of the winner"]),
        (lambda dz, x, y: (dz, dz), ["likely cause: that distributes dz to both inputs like the add gate"]),
        (lambda dz, x, y: (np.where(x >= y, 0.0, dz), np.where(x >= y, dz, 0.0)),
         ["likely cause: the gradient went to the input that lost"]),
        (lambda dz, x, y: (np.where(x >= y, dz * x, 0.0), np.where(x >= y, 0.0, dz * y)),
         ["likely cause: you multiplied dz by the inputs' values"]),
        (lambda dz, x, y: (x >= y, x < y), ["wrong type: [0] is True, not a number or an array"]),
        (lambda dz, x, y: ((x >= y).astype(float) * dz, (x < y).astype(float) * dz),
         ["raised AttributeError", "in your code, line"]),
    ],
)
def test_max_backward_mistakes_are_named(wrong, fragments, capsys):
    result, out = run("max_backward", wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


# --------------------------------------------------------------------------- #
# f_gradients: L = (x·y + x)²
# --------------------------------------------------------------------------- #


def q(x, y):
    return x * y + x


@pytest.mark.parametrize(
    ("wrong", "fragment"),
    [
        (lambda x, y: (2 * q(x, y) * y, 2 * q(x, y) * x), "you followed only the one through x·y"),
        (lambda x, y: (2 * q(x, y), 2 * q(x, y) * x), "you followed only the direct one (+ x)"),
        (lambda x, y: (y + 1, x), "you forgot the outer derivative dL/dq = 2q"),
        (lambda x, y: (q(x, y) * (y + 1), q(x, y) * x), "the factor 2 is missing"),
        (lambda x, y: (2 * q(x, y) * x, 2 * q(x, y) * (y + 1)), "dL/dx and dL/dy are swapped"),
        (lambda x, y: (2 * q(x, y) * (y + 1), 2 * q(x, y) * y), "∂(x·y)/∂y = x (the other input), not y"),
        (lambda x, y: 2 * q(x, y) * (y + 1), "expected a structure with parts ['[0]', '[1]']"),
        (lambda x, y: (Value(x), Value(y)), "wrong type: [0] is a Value"),
    ],
)
def test_f_gradients_mistakes_are_named(wrong, fragment, capsys):
    result, out = run("f_gradients", wrong, capsys)
    assert not result
    assert fragment in out, out


def test_f_gradients_reference_is_the_hand_derivation():
    for x, y in [(2.0, 4.0), (-1.5, 0.5), (0.3, -7.0)]:
        qq = x * y + x
        assert f_gradients_reference(x, y) == pytest.approx((2 * qq * (y + 1), 2 * qq * x), rel=1e-12)


# --------------------------------------------------------------------------- #
# the concept question
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [("a", "as if it were an add gate"), ("c", "forgets to swap"), ("d", "treats every gate as an add gate")],
)
def test_q05_1_wrong_answers_explain_why(answer, fragment, capsys):
    assert not check_answer("q05_1", answer)
    out = capsys.readouterr().out
    assert out.startswith("q05_1: not quite.") and fragment in out


def test_q05_1_right_answer(capsys):
    assert check_answer("q05_1", "B")
    assert "q05_1: correct." in capsys.readouterr().out
    assert set(get_question("q05_1").feedback) == {"a", "b", "c", "d"}


def test_q05_1_answer_is_what_the_gates_compute():
    """q = x·y, L = max(q, z) at x = 3, y = -2, z = 1: the answer b is (0, 0, 1)."""
    x, y, z = Value(3.0), Value(-2.0), Value(1.0)
    qv = x * y
    # max(q, z) through Value: z + relu(q - z) equals max(q, z)
    loss = z + (qv - z).relu()
    loss.backward()
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 1.0)
    assert get_question("q05_1").answer == "b"


# --------------------------------------------------------------------------- #
# the backprop stepper
# --------------------------------------------------------------------------- #


def graphs():
    """Small graphs covering every operation of Value, and a value used three times."""
    x, y, z, w = Value(2.0, label="x"), Value(-3.0, label="y"), Value(4.0, label="z"), Value(-2.0, label="w")
    q = x * y
    q.label = "q"
    r = q + z
    r.label = "r"
    root = r * w
    root.label = "L"
    yield "(x*y + z)*w", root, (x, y, z, w)
    a = Value(3.0, label="x")
    yield "x*x + x", (a * a + a), (a,)
    b, c = Value(0.7, label="b"), Value(-1.3, label="c")
    every = (b * c).tanh() + (b / c).exp() - (b**2).log() + c.sigmoid() * b.relu() - 3
    yield "every operation", every, (b, c)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_stepper_gradients_equal_value_backward_and_leave_the_graph_alone(index):
    from nnlib.widgets.backprop_stepper import backprop_steps

    name, root, leaves = list(graphs())[index]
    steps = backprop_steps(root)
    assert all(leaf.grad == 0.0 for leaf in leaves), "backprop_steps must not touch the graph"
    final = steps[-1].grad
    root.backward()
    for leaf in leaves:
        assert math.isclose(final[id(leaf)], leaf.grad, rel_tol=1e-12, abs_tol=1e-15), (name, leaf.label)
    phases = [s.phase for s in steps]
    n_ops = sum(1 for node in root.topological_order() if node._prev)
    assert phases == ["start"] + ["forward"] * n_ops + ["backward"] * (n_ops + 1)


def test_stepper_texts_spell_out_the_chain_rule():
    from nnlib.widgets.backprop_stepper import backprop_steps

    _, root, _ = next(graphs())
    texts = [s.text for s in backprop_steps(root)]
    assert texts[0] == "inputs: x = 2, y = -3, z = 4, w = -2"
    assert texts[1] == "q = x · y = 2 · (-3) = -6"
    assert texts[4] == "seed: dL/dL = 1"
    assert texts[-1] == ("dL/dx = dL/dq · ∂q/∂x = dL/dq · y = (-2) · (-3) = 6\n"
                         "dL/dy = dL/dq · ∂q/∂y = dL/dq · x = (-2) · 2 = -4")


def test_stepper_shows_accumulation_for_a_value_used_twice():
    from nnlib.widgets.backprop_stepper import backprop_steps

    x = Value(3.0, label="x")
    qq = x * x
    qq.label = "q"
    root = qq + x
    root.label = "L"
    last = backprop_steps(root)[-1].text.split("\n")
    assert last == ["dL/dx += dL/dq · ∂q/∂x = dL/dq · x = 1 · 3 = 3   (dL/dx is now 4)",
                    "dL/dx += dL/dq · ∂q/∂x = dL/dq · x = 1 · 3 = 3   (dL/dx is now 7)"]


def test_stepper_widget_redraws_on_the_slider_and_the_buttons(agg):
    from nnlib.widgets.backprop_stepper import backprop_stepper

    _, root, _ = next(graphs())
    box = backprop_stepper(root)
    prev_button, slider, next_button = box.children[0].children
    out = box.children[1]
    first = out.outputs[0]["data"]["image/png"]
    assert slider.value == 0 and slider.max == 7
    slider.value = 5
    fifth = out.outputs[0]["data"]["image/png"]
    assert len(out.outputs) == 1 and fifth != first
    next_button.click()
    assert slider.value == 6 and out.outputs[0]["data"]["image/png"] != fifth
    for _ in range(5):
        next_button.click()
    assert slider.value == 7  # stops at the last step
    prev_button.click()
    assert slider.value == 6


def test_drawing_functions_draw_and_refuse_bad_arguments(agg):
    from nnlib.widgets.backprop_stepper import backprop_steps, draw_backprop_step, draw_gate

    _, root, _ = next(graphs())
    steps = backprop_steps(root)
    ax = draw_backprop_step(steps, 6)
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("dL/d") for t in texts) and ax.get_title() == "step 6 of 7: backward"
    assert any("grad ?" in t for t in texts) and any("grad -2" in t for t in texts)
    with pytest.raises(ValueError, match=r"draw_backprop_step: k must be in \[0, 7\]; got k=8"):
        draw_backprop_step(steps, 8)
    _, gate_ax = agg.subplots()
    draw_gate(gate_ax, "max", 2.0, -1.0, 3.0)
    assert gate_ax.get_title() == "max: routes dz to the winner"
    assert {"3", "0"} <= {t.get_text() for t in gate_ax.texts}  # the winner gets 3, the loser 0
    with pytest.raises(ValueError, match="draw_gate: gate must be one of 'add', 'multiply', 'max'"):
        draw_gate(gate_ax, "min", 1.0, 2.0, 1.0)
    with pytest.raises(TypeError, match="backprop_steps: root must be a Value; got float"):
        backprop_steps(1.0)


# --------------------------------------------------------------------------- #
# the banks; issue 14's items for numerical_derivative and max_backward
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("exercise_id", LESSON_IDS)
def test_bank_mistakes_are_named_and_variants_pass_from_their_source(exercise_id):
    ex = EXERCISES[exercise_id]
    assert len(ex.mistakes) >= 8 and len(ex.variants) >= 5
    problems = bank_report(exercise_id)
    assert not problems, "\n\n".join(problems)


def five_point(f, x, h=1e-5):
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


def test_a_five_point_stencil_is_named_for_what_it_is_not_an_ignored_h(capsys):
    result, out = run("numerical_derivative", five_point, capsys)
    assert not result and "case 2 'sin at x = 1, a large step h = 0.5'" in out
    assert "likely cause: that is the five-point stencil" in out and "ignored the argument h" not in out


def split_ties(dz, x, y):
    tie = x == y
    return np.where(tie, dz / 2, np.where(x > y, dz, 0.0)), np.where(tie, dz / 2, np.where(y > x, dz, 0.0))


def test_split_ties_are_named_for_what_they_are_not_a_mask_without_dz(capsys):
    result, out = run("max_backward", split_ties, capsys)
    assert not result and "case 3 'a tie x = y = 3" in out
    assert "likely cause: on a tie you split dz between x and y (dz/2 each)" in out
    assert "0/1 mask" not in out


# --------------------------------------------------------------------------- #
# the learner's part of the Value engine
# --------------------------------------------------------------------------- #


def mul_rule_with_equals(out):
    a, b = out._prev
    a.grad = b.data * out.grad
    b.grad = a.data * out.grad


def test_the_plus_equals_lesson_is_hands_on(capsys):
    """With = instead of +=, the rule fails the case whose inputs already hold gradient, and says why."""
    result, out = run("value_mul_backward", mul_rule_with_equals, capsys)
    assert not result and "case 1 'out = a * b, a = 3, b = -2, out.grad = 1.5; a.grad and b.grad hold" in out
    assert "likely cause: = overwrote the gradient an input already had" in out
    cases = get_exercise("value_mul_backward").cases()
    assert any(case.args[2] == ("a", "a") for case in cases)  # a node used twice: out = a * a


def rule_leaning_on_nnlib(out):
    out._backward()  # nnlib's own closure, in a Value; the checks' bare nodes have none


def order_leaning_on_nnlib(root):
    return root.topological_order()


def test_the_engine_exercises_cannot_be_passed_with_nnlibs_own_code(capsys):
    for exercise_id, fn in (("value_mul_backward", rule_leaning_on_nnlib),
                            ("value_tanh_backward", rule_leaning_on_nnlib),
                            ("topological_order", order_leaning_on_nnlib)):
        result, out = run(exercise_id, fn, capsys)
        assert not result and "raised AttributeError" in out, out


def _backward_with(root, order, rules):
    """The lesson's backward_with_my_rules, with the given order and rules (op -> rule)."""
    nodes = order(root)
    for node in nodes:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(nodes):
        if node._op in rules:
            rules[node._op](node)
        else:
            node._backward()


@pytest.mark.parametrize("index", [0, 1, 2])
def test_the_references_of_the_engine_exercises_rebuild_value_backward(index):
    name, root, leaves = list(graphs())[index]
    rules = {"*": value_mul_backward, "tanh": value_tanh_backward}
    _backward_with(root, topological_order, rules)
    mine = [leaf.grad for leaf in leaves]
    root.zero_grad()
    root.backward()
    np.testing.assert_allclose(mine, [leaf.grad for leaf in leaves], rtol=1e-12, err_msg=name)


def test_topological_order_handles_a_graph_deeper_than_the_recursion_limit():
    x = Value(0.1)
    node = x
    for _ in range(5000):
        node = node.tanh()
    order = topological_order(node)
    assert order[0] is x and order[-1] is node and len(order) == 5001


# --------------------------------------------------------------------------- #
# claims of the lesson
# --------------------------------------------------------------------------- #


def test_the_code_shown_as_in_graph_py_is_graph_py(solution_cells):
    cell = solution_cells["value-graph"]
    assert cell.source == "print(inspect.getsource(Value.__add__))"
    shown = "".join(o.get("text", "") for o in cell.outputs)
    assert shown == inspect.getsource(Value.__add__) + "\n"


def test_the_gate_nicknames_are_cs231ns(solution_cells):
    text = " ".join(c.source for c in solution_cells.values() if c.cell_type == "markdown")
    assert "add *distributes*, multiply *swaps*, max *routes*" in text
    for old in ("router", "swapper", "switch"):
        assert old not in text, old


def test_the_lesson_no_longer_says_exactly_like_pytorch(solution_cells):
    text = solution_cells["zero-grad-intro"].source
    assert "exactly like PyTorch" not in text
    assert "retain_graph=True" in text and "retain_grad()" in text


def test_pytorch_behaves_as_the_lesson_says():
    """Leaf .grad accumulates; a second backward through a freed graph raises; no .grad on intermediates."""
    torch = pytest.importorskip("torch")
    x = torch.tensor(1.5, requires_grad=True)
    y = torch.tensor(-0.5, requires_grad=True)
    q = x * y
    loss = (q + 1.0).tanh()
    loss.backward(retain_graph=True)
    first = x.grad.item()
    loss.backward()
    assert x.grad.item() == pytest.approx(2 * first)  # the leaves accumulate, as nnlib's do
    with pytest.warns(UserWarning, match="not a leaf"):
        assert q.grad is None  # nothing kept on an intermediate tensor
    again = (x * y + 1.0).tanh()
    again.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        again.backward()


def test_nnlib_backward_twice_doubles_the_leaves_but_resets_the_intermediate_nodes():
    x, y = Value(1.5), Value(-0.5)
    q = x * y
    loss = (q + 1.0).tanh()
    loss.backward()
    first_x, first_q = x.grad, q.grad
    loss.backward()
    assert x.grad == 2 * first_x and q.grad == first_q


# --------------------------------------------------------------------------- #
# the notebook: hints, stubs, Run All, figures
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def solution_cells():
    return {cell.get("id"): cell for cell in nbformat.read(SOLUTION, as_version=4).cells}


def test_notebook_hints_are_the_registry_hints():
    assert hint_problems(SOLUTION, LESSON_IDS) == []


def test_stubs_and_the_text_before_them_say_what_to_compute_not_the_code():
    assert near_solution_leaks(LESSON, LESSON_IDS) == []


@pytest.fixture(scope="module")
def fresh_run():
    with fresh_lesson_run(LESSON) as run:
        yield run


def test_after_run_all_every_exercise_name_is_still_the_learners_own(fresh_run):
    assert shadowing_problems(fresh_run, LESSON, LESSON_IDS) == []


def test_demonstration_cells_say_whose_function_ran(fresh_run, solution_cells):
    demos = {"numerical-derivative-demo": ["nnlib's numerical_derivative"],
             "gates-demo": ["nnlib multiply", "nnlib max"],
             "my-engine": ["topological_order: nnlib", "value_mul_backward: nnlib",
                           "value_tanh_backward: nnlib"],
             "f-gradients-demo": ["nnlib's f_gradients"]}
    for cell_id, words in demos.items():
        committed = "".join(o.get("text", "") for o in solution_cells[cell_id].outputs)
        for said in words:
            assert said in fresh_run.printed[cell_id], (cell_id, said)
            assert said.replace("nnlib's", "your").replace(": nnlib", ": yours").replace("nnlib ", "your ") \
                in committed, (cell_id, said)
    assert "by hand:" not in fresh_run.printed["f-gradients-demo"]


def test_the_engine_with_the_learners_pieces_agrees_with_nnlibs(solution_cells):
    lines = "".join(o.get("text", "") for o in solution_cells["my-engine"].outputs).splitlines()
    ours, nnlibs = (line.split(":", 1)[1] for line in lines[-2:])
    assert ours == nnlibs


def test_every_figure_has_a_title_and_axis_labels(fresh_run):
    assert len(fresh_run.figures) == 6
    assert figure_problems(fresh_run) == []
