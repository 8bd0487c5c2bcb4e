"""Lesson 08, layer backprop: check() catches the usual wrong backward passes and names the bug, the
banks hold, mse_loss_backward is graded by a gradient check, and the lesson's numbers and figures hold."""

import copy

import numpy as np
import pytest
from lesson_common import learner_copy
from lesson_support import (
    NOISE_DIGITS,
    ROOT,
    cell_source,
    cells_before,
    check_output,
    mistake_problems,
    run_all_bindings,
    solution_outputs,
    variant_problems,
)

from nnlib import (
    ACTIVATIONS,
    check,
    check_answer,
    dense_backward,
    dense_forward,
    gradient_check,
    load_digits,
    mse_loss_backward,
    numerical_gradient,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)
from nnlib.check import judge_case
from nnlib.exercises import get_exercise
from nnlib.judge import flatten_output

LESSON_IDS = ("activation_backward", "dense_backward", "softmax_cross_entropy_backward")
ALL_IDS = (*LESSON_IDS, "mse_loss_backward")


def run(exercise_id, fn, capsys):
    result = check(exercise_id, fn)
    return result, capsys.readouterr().out


def verdict(ex, case, received):
    """What check() prints about one case's result: None when it passes."""
    failure = judge_case(ex, case, received)
    return failure and f"{failure.message}\n  likely cause: {failure.hint}"


def assert_caught(exercise_id, wrong, fragments, capsys):
    with np.errstate(all="ignore"):  # the overflow cases warn, as they would for a learner
        result, out = run(exercise_id, wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out


@pytest.mark.parametrize("exercise_id", LESSON_IDS)
def test_reference_passes_every_case_and_every_hidden_case(exercise_id, capsys):
    ex = get_exercise(exercise_id)
    assert ex.lesson == "08"
    result, out = run(exercise_id, learner_copy(ex.reference), capsys)
    assert result and out == f"{exercise_id}: all {result.total} checks passed\n"
    for case in ex.cases(seed=7, hidden=True):  # the grader's seeds and extra cases
        received = flatten_output(ex.reference(*copy.deepcopy(case.args)))
        assert judge_case(ex, case, received) is None, case.name


def test_cases_cover_every_activation_batch_of_one_and_float32():
    cases = get_exercise("activation_backward").cases()
    assert {c.args[2] for c in cases} == set(ACTIVATIONS)
    assert any(c.args[0].shape[0] == 1 for c in cases)
    assert any(c.args[0].dtype == np.float32 for c in cases)
    kink = next(c for c in cases if "kink" in c.name)
    assert np.any(kink.args[1] == 0)


def test_dense_cases_have_non_square_layers_with_n_different():
    shapes = [(c.args[1].X.shape[0], *c.args[2].shape) for c in get_exercise("dense_backward").cases()]
    assert any(len({n, d_in, d_out}) == 3 for n, d_in, d_out in shapes)
    assert shapes[0][1] == shapes[0][2] != shapes[0][0]  # first: square W, so dZ @ W runs and is named
    assert (1, 4, 3) in shapes


# --------------------------------------------------------------------------- #
# activation_backward
# --------------------------------------------------------------------------- #


def f_of(activation):
    return ACTIVATIONS[activation][0]


def f_prime_of(activation):
    return ACTIVATIONS[activation][1]


def naive_sigmoid_backward(dA, Z, activation):
    if activation != "sigmoid":
        return dA * f_prime_of(activation)(Z)
    e = np.exp(-Z)  # overflows for Z < -709
    return dA * e / (1 + e) ** 2


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (lambda dA, Z, a: dA * f_of(a)(Z), ["likely cause: you multiplied by f(Z), the activation itself"]),
        (lambda dA, Z, a: dA * (Z >= 0) if a == "relu" else dA * f_prime_of(a)(Z),
         ["case 5 \"relu at the kink", "ReLU'(0) = 0, so use Z > 0, not Z >= 0"]),
        (lambda dA, Z, a: 2 * dA * f_prime_of(a)(Z), ["every value is doubled"]),
        (lambda dA, Z, a: -dA * f_prime_of(a)(Z), ["likely cause: the sign is flipped"]),
        (lambda dA, Z, a: f_prime_of(a)(Z), ["you returned f'(Z) alone"]),
        (lambda dA, Z, a: dA * f_prime_of(a)(f_of(a)(Z)),
         ["case 2 'sigmoid", "f' was evaluated at A = f(Z)"]),
        (lambda dA, Z, a: dA * (Z * (1 - Z)) if a == "sigmoid" else dA * f_prime_of(a)(Z),
         ["the formula of f' in terms of the output"]),
        (lambda dA, Z, a: dA @ f_prime_of(a)(Z).T, ["expected shape (4, 3), got (4, 4)"]),
        (naive_sigmoid_backward, ["case 7 'sigmoid saturated", "e^(-Z) overflows for large negative Z"]),
    ],
)
def test_wrong_activation_backward_is_caught_and_named(wrong, fragments, capsys):
    assert_caught("activation_backward", wrong, fragments, capsys)


# --------------------------------------------------------------------------- #
# dense_backward
# --------------------------------------------------------------------------- #


def dense(dX=None, dW=None, db=None):
    """A learner's dense_backward with one of the three gradients replaced."""

    def backward(dZ, cache, W):
        X = cache.X
        right = {"dX": dZ @ W.T, "dW": X.T @ dZ, "db": dZ.sum(axis=0)}
        for name, wrong in (("dX", dX), ("dW", dW), ("db", db)):
            if wrong is not None:
                right[name] = wrong(dZ, X, W)
        return right["dX"], right["dW"], right["db"]

    return backward


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (dense(dX=lambda dZ, X, W: dZ @ W), ["output[0]", "dX = dZ @ W misses the transpose"]),
        (dense(dW=lambda dZ, X, W: dZ.T @ X),
         ["output[1]", "dW = dZ.T @ X is the transpose of the gradient"]),
        (dense(db=lambda dZ, X, W: dZ.mean(axis=0)), ["output[2]", "db is the mean over the batch"]),
        (dense(db=lambda dZ, X, W: dZ), ["expected shape (3,), got (5, 3)", "b is shared by all N rows"]),
        (dense(db=lambda dZ, X, W: dZ[0]), ["db = dZ[0] uses the first example only"]),
        (dense(db=lambda dZ, X, W: dZ.sum(axis=1)), ["expected shape (3,), got (5,)", "summed over axis 1"]),
        (dense(dW=lambda dZ, X, W: 2 * X.T @ dZ), ["output[1]", "every value is doubled"]),
        (dense(dX=lambda dZ, X, W: -dZ @ W.T), ["output[0]", "every value has the wrong sign"]),
        (dense(dW=lambda dZ, X, W: X.T @ dZ / len(X)), ["you divided dW by N"]),
        (lambda dZ, cache, W: (dZ @ W.T, cache.X.T @ dZ), ["output has 2 items; expected 3"]),
    ],
)
def test_wrong_dense_backward_is_caught_and_named(wrong, fragments, capsys):
    assert_caught("dense_backward", wrong, fragments, capsys)


def test_a_transposed_dw_on_a_non_square_layer_is_a_shape_error(capsys):
    ex = get_exercise("dense_backward")
    case = ex.cases()[1]  # 4 examples, 3 inputs -> 2 units
    dZ, cache, W = case.args
    message = verdict(ex, case, flatten_output((dZ @ W.T, dZ.T @ cache.X, dZ.sum(axis=0))))
    assert "expected shape (3, 2), got (2, 3) (transposed?)" in message
    assert "dW = dZ.T @ X is the transpose of the gradient" in message


# --------------------------------------------------------------------------- #
# softmax_cross_entropy_backward
# --------------------------------------------------------------------------- #


def sce_backward(subtract_columns=False, divide=True, sign=1):
    def backward(logits, labels):
        n = len(labels)
        p = softmax(logits, axis=1)
        if subtract_columns:
            p[:, labels] -= 1
        else:
            p[np.arange(n), labels] -= 1
        return sign * p / (n if divide else 1)

    return backward


def sce_backward_naive(logits, labels):
    e = np.exp(logits)
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def sce_backward_mutates(logits, labels):
    logits -= logits.max(axis=1, keepdims=True)
    return sce_backward()(logits, labels)


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (sce_backward(divide=False), ["case 1 '4 examples, 3 classes'", "you forgot the 1/N"]),
        (sce_backward(sign=-1), ["likely cause: the sign is flipped"]),
        (lambda logits, labels: softmax(logits, axis=1) / len(labels), ["the one-hot is missing"]),
        (sce_backward(subtract_columns=True), ["p[:, labels] -= 1 subtracts 1 in whole columns"]),
        (sce_backward_naive, ["case 4 'logits ±1000", "exp(logits) overflowed (inf / inf is NaN)"]),
        (sce_backward_mutates, ["changed its input logits"]),
        (lambda logits, labels: (softmax(logits, axis=1) - np.eye(logits.shape[1])[labels]) / logits.shape[1],
         ["you divided by C, the number of classes"]),
    ],
)
def test_wrong_softmax_ce_backward_is_caught_and_named(wrong, fragments, capsys):
    assert_caught("softmax_cross_entropy_backward", wrong, fragments, capsys)


# --------------------------------------------------------------------------- #
# the judge names every registered mistake
# --------------------------------------------------------------------------- #


# --------------------------------------------------------------------------- #
# the concept question
# --------------------------------------------------------------------------- #


def test_question_right_answer(capsys):
    assert check_answer("q08_1", "b")
    assert "q08_1: correct. b_j is added to Z[n, j] for every example n" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ("a", "The 1/N of the loss is already inside dZ"),
        ("c", "db has b's shape, (D_out,), not Z's (N, D_out)"),
        ("D", "An average would divide by N a second time"),
    ],
)
def test_question_wrong_answers_explain_why(answer, fragment, capsys):
    assert not check_answer("q08_1", answer)
    out = capsys.readouterr().out
    assert out.startswith("q08_1: not quite.") and fragment in out


# --------------------------------------------------------------------------- #
# the shapes diagram
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(("n", "d_in", "d_out"), [(4, 3, 2), (1, 1, 1), (8, 1, 5)])
def test_diagram_draws_one_cell_per_number(n, d_in, d_out, agg):
    from matplotlib.patches import Rectangle

    from nnlib.widgets.shapes_diagram import draw_backward_shapes

    ax = draw_backward_shapes(n, d_in, d_out)
    cells = sum(isinstance(p, Rectangle) for p in ax.patches)
    dx_row = n * d_in + n * d_out + d_out * d_in  # dX = dZ @ W.T
    dw_row = d_in * d_out + d_in * n + n * d_out  # dW = X.T @ dZ
    db_row = d_out + n * d_out  # db = sum over the rows of dZ
    assert cells == dx_row + dw_row + db_row
    texts = [t.get_text() for t in ax.texts]
    assert f"(N, D_in)\n({n}, {d_in})" in texts and f"(D_out,)\n({d_out},)" in texts
    assert {"dX = dZ @ W.T", "dW = X.T @ dZ", "db = dZ.sum(axis=0)"} <= set(texts)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0}, ValueError, r"n must be in \[1, 8\]; got n=0"),
        ({"d_out": 9}, ValueError, r"d_out must be in \[1, 8\]"),
        ({"d_in": 2.0}, TypeError, "d_in must be an int"),
    ],
)
def test_diagram_rejects_bad_sizes(kwargs, error, message, agg):
    from nnlib.widgets.shapes_diagram import draw_backward_shapes

    with pytest.raises(error, match=message):
        draw_backward_shapes(**kwargs)


def test_layer_flow_labels_every_gradient_with_its_shape_and_draws_dw_db_out_of_dz(agg):
    from matplotlib.patches import FancyBboxPatch

    from nnlib.widgets.shapes_diagram import draw_layer_flow

    ax = draw_layer_flow()
    texts = {t.get_text(): t for t in ax.texts}
    for label in ("X\n(N, D_in)", "dX\n(N, D_in)", "dZ\n(N, D_out)", "dW (D_in, D_out)", "db (D_out,)",
                  "activation_backward\n(reads Z)", "dense_backward\n(reads W)", "(reads X)"):
        assert label in texts, label
    # issue 17: no formula of this lesson's exercises is printed in the figure above them
    assert not [t for t in texts if "Wᵀ" in t or "Xᵀ" in t or "f'(Z)" in t]
    assert ax.get_title()
    # the arrows into dW and db start at the dZ box (not at dX, nor on the dZ -> dX arrow)
    boxes = {texts[k].get_position(): p for p in ax.patches if isinstance(p, FancyBboxPatch)
             for k in texts if p.contains_point(ax.transData.transform(texts[k].get_position()))}
    dz_box = next(p for pos, p in boxes.items() if pos == texts["dZ\n(N, D_out)"].get_position())
    x0, y0, width = dz_box.get_x(), dz_box.get_y(), dz_box.get_width()
    into = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None and a.xy[1] < y0]
    starts = [a.xyann for a in into]
    assert len(starts) == 2, starts
    for sx, sy in starts:
        assert x0 <= sx <= x0 + width and abs(sy - y0) < 0.1  # at the bottom edge of dZ's box


def test_shapes_explorer_redraws_when_a_slider_moves(agg):
    from nnlib.widgets.shapes_diagram import shapes_explorer

    box = shapes_explorer(n=1, d_in=2, d_out=1)  # small: drawing is the slow part
    sliders, out = box.children
    assert [s.value for s in sliders.children] == [1, 2, 1]
    first_png = out.outputs[0]["data"]["image/png"]
    sliders.children[2].value = 2  # D_out
    assert len(out.outputs) == 1 and out.outputs[0]["data"]["image/png"] != first_png


# --------------------------------------------------------------------------- #
# the banks (issue 14)
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("exercise_id", ALL_IDS)
def test_every_mistake_of_the_bank_is_caught_with_its_own_message(exercise_id):
    ex = get_exercise(exercise_id)
    assert len(ex.mistakes) >= 8
    messages = [m.expect for m in ex.mistakes] if ex.verify else [m.cause for m in ex.mistakes]
    assert len(set(messages)) == len(messages)
    assert mistake_problems(exercise_id) == []


@pytest.mark.parametrize("exercise_id", ALL_IDS)
def test_every_correct_variant_of_the_bank_passes(exercise_id):
    assert len(get_exercise(exercise_id).variants) >= 5
    assert variant_problems(exercise_id) == []


@pytest.mark.parametrize(("exercise_id", "style"), [
    ("dense_backward", "db = np.ones(N) @ dZ (float64 for float32 input)"),
    ("softmax_cross_entropy_backward", "one-hot from np.eye(C)[labels] (float64 for float32 logits)"),
    ("activation_backward", "a loop over the entries filling np.zeros (float64 result)"),
])
def test_the_dtype_only_variants_of_issue_14_are_in_the_bank(exercise_id, style):
    assert style in [v.style for v in get_exercise(exercise_id).variants]


# --------------------------------------------------------------------------- #
# mse_loss_backward: derived with nothing printed, graded by a gradient check
# --------------------------------------------------------------------------- #


def test_mse_loss_backward_is_graded_against_finite_differences_not_a_formula():
    ex = get_exercise("mse_loss_backward")
    assert ex.lesson == "08" and ex.verify is not None
    assert check("mse_loss_backward", learner_copy(mse_loss_backward), quiet=True)
    passed, out = check_output("mse_loss_backward", lambda y_pred, y: (y_pred - y) / y_pred.size)
    assert not passed
    assert "gradient check against finite differences of mse_loss failed" in out
    assert "likely cause: the factor 2 is missing" in out

    def roundabout(y_pred, y):  # right numbers by another road: only the numbers are judged
        rows = [np.eye(y_pred.size)[k] * (y_pred.ravel()[k] - y.ravel()[k]) for k in range(y_pred.size)]
        return np.sum(rows, axis=0).reshape(y_pred.shape) * 2 / y_pred.size

    assert check("mse_loss_backward", roundabout, quiet=True)


def test_mse_loss_backward_names_shape_mistakes():
    passed, out = check_output("mse_loss_backward", lambda y_pred, y: (2 * (y_pred - y) / y_pred.size, 0))
    assert not passed
    assert "expected one array shaped like y_pred (4, 3), got a tuple or list of 2 parts" in out
    passed, out = check_output("mse_loss_backward", lambda y_pred, y: 2 * (y_pred - y).T / y_pred.size)
    assert not passed and "the gradient must have y_pred's shape (4, 3); got (3, 4)" in out


def test_the_mse_cases_tell_the_ratio_mistakes_apart():
    first = get_exercise("mse_loss_backward").cases()[0]
    n, d = first.args[0].shape
    assert len({n, d, n * d, 2}) == 4  # rows, columns, entries and the factor 2 all differ


def test_nothing_in_the_lesson_prints_the_mse_gradient_before_the_exercise():
    text = "\n".join(c.source for c in cells_before("08", "exercise-mse_loss_backward"))
    for answer in ("2 * (y_pred - y)", "2(\\hat y - y)", "2 (\\hat y - y)", "/ y_pred.size"):
        assert answer not in text, answer
    stub = cell_source("08", "exercise-mse_loss_backward", folder="lessons")
    assert "raise NotImplementedError" in stub and "2 *" not in stub


# --------------------------------------------------------------------------- #
# stubs and tasks give the task and the shapes, not the formula (issue 17)
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(("exercise_id", "answers"), [
    ("activation_backward", ("dA * f'(Z)", "f_prime(Z)", "dA * f")),
    ("dense_backward", ("W.T", "X.T", "dZ @", "summed over the batch")),
    ("softmax_cross_entropy_backward", ("onehot", "softmax(logits) -", "/ N")),
])
def test_stub_and_task_do_not_print_the_answer(exercise_id, answers):
    ex = get_exercise(exercise_id)
    stub = cell_source("08", f"exercise-{exercise_id}", folder="lessons")
    for answer in answers:
        assert answer not in stub and answer not in ex.task, answer
    assert "shape" in ex.task


def test_the_shapes_diagram_and_the_db_argument_come_after_the_dense_exercise():
    ids = [c.get("id") for c in cells_before("08", "exercise-dense_backward")]
    assert "shapes-figure" not in ids and "db-demo" not in ids
    text = "\n".join(c.source for c in cells_before("08", "exercise-softmax_cross_entropy_backward"))
    assert "\\operatorname{softmax}(Z) - Y" not in text  # the derivation's result follows the exercise


# --------------------------------------------------------------------------- #
# the new concept questions
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(("answer", "fragment"), [
    ("a", "the inner sizes 256 and 784 do not match"), ("b", "the shape of W.T, not of W"),
    ("d", "dZ already holds the loss's 1/32"),
])
def test_q08_2_wrong_answers_explain_the_shapes(answer, fragment, capsys):
    assert not check_answer("q08_2", answer)
    assert fragment in capsys.readouterr().out


def test_q08_2_shapes_are_what_the_feedback_says():
    X, dZ = np.zeros((32, 784)), np.zeros((32, 256))
    assert (X.T @ dZ).shape == (784, 256) and (dZ.T @ X).shape == (256, 784)
    with pytest.raises(ValueError):
        np.matmul(dZ, X.T)
    assert check_answer("q08_2", "c")


def test_q08_3_is_the_softmax_gradient_of_the_question(capsys):
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]]))  # row 0's softmax is (0.7, 0.2, 0.1)
    dZ = softmax_cross_entropy_backward(logits, np.array([0, 2]))
    assert dZ[0, 0] == pytest.approx(-0.15)
    assert check_answer("q08_3", -0.15) and check_answer("q08_3", "-0.15")
    capsys.readouterr()
    assert not check_answer("q08_3", -0.3) and "would forget the 1/N" in capsys.readouterr().out
    assert not check_answer("q08_3", 0.35) and "forgets the one-hot" in capsys.readouterr().out


# --------------------------------------------------------------------------- #
# numbers of the prose, machine-independent outputs, figures, Run All
# --------------------------------------------------------------------------- #


def _digits_layer(seed=8):
    X_digits, y_digits = load_digits()
    X, y = X_digits[:200] / 16.0, y_digits[:200]
    W0, b0 = 0.01 * np.random.default_rng(seed).normal(size=(64, 10)), np.zeros(10)
    logits, cache = dense_forward(X, W0, b0, "identity")
    _, dW, _ = dense_backward(softmax_cross_entropy_backward(logits, y), cache, W0)
    return X, y, W0, b0, dW


def test_the_noise_floor_numbers_of_section_6():
    X, y, W0, b0, dW = _digits_layer()

    def loss(W):
        return softmax_cross_entropy(X @ W + b0, y)

    L = loss(W0)
    noise_over_tol = np.finfo(np.float64).eps * L / 1e-5 / 1e-7
    total = np.abs(dW) + np.abs(numerical_gradient(loss, W0))
    assert L == pytest.approx(2.3, abs=0.05)
    assert noise_over_tol == pytest.approx(5e-4, rel=0.05)
    assert 1e-3 * total.max() == pytest.approx(1.3e-4, abs=0.05e-4)
    assert int(np.sum(total < noise_over_tol)) == 148 and dW.size == 640
    assert "148 of the 640 entries" in cell_source("08", "together-gradcheck-text")
    text = solution_outputs("08")
    assert "loss before the step: 2.3029" in text and "loss after one step:  2.0405" in text


def test_the_whole_layer_check_passes_at_the_default_tolerance_with_margin():
    """The lesson prints 'passed' for a check near the noise: it must pass with margin for other draws too."""
    errors = []
    for seed in (8, 0, 1, 2):
        X, y, W0, _, dW = _digits_layer(seed)  # b0 = 0
        report = gradient_check(lambda W, X=X, y=y: softmax_cross_entropy(X @ W, y), W0, dW)
        errors.append(report.max_rel_error)
    assert max(errors) < 0.75e-7, errors


def test_no_printed_number_of_the_solution_is_rounding_noise():
    text = solution_outputs("08")
    assert text.count("max relative error < 1e-08") >= 8
    assert not NOISE_DIGITS.search(text), NOISE_DIGITS.search(text)


def test_gradient_check_cells_are_compared_by_nbval():
    """They print bounds now, so no gradient-check cell hides its output from nbval."""
    import nbformat

    nb = nbformat.read(next((ROOT / "solutions").glob("08_*.ipynb")), as_version=4)
    ignored = [c.id for c in nb.cells if "nbval-ignore-output" in c.metadata.get("tags", [])]
    assert ignored == ["shapes-widget"]


@pytest.mark.parametrize("cell_id", ["activation-figure", "softmax-backward-figure"])
def test_every_figure_has_labels_and_a_title(cell_id):
    source = cell_source("08", cell_id)
    assert "set_ylabel" in source and "set_xlabel" in source
    assert "set_title" in source or "suptitle" in source


def test_run_all_of_the_lesson_leaves_no_learner_name_bound_to_the_reference(tmp_path):
    report, cells = run_all_bindings("08", tmp_path)
    assert report == {ex_id: {"bound": True, "reference": False, "demo": True} for ex_id in ALL_IDS}
    outputs = "".join(o.get("text", "") for c in cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert ("with nnlib's reference for softmax_cross_entropy_backward, activation_backward, dense_backward"
            in outputs)
    assert "nnlib's mse_loss_backward: gradient check passed" in outputs
