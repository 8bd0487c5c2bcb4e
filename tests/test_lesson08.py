"""Lesson 08, layer backprop: check() catches the usual wrong backward passes and names the bug."""

import copy

import numpy as np
import pytest

from nnlib import ACTIVATIONS, check, check_answer, softmax
from nnlib.check import judge_case
from nnlib.exercises import get_exercise
from nnlib.judge import flatten_output

LESSON_IDS = ("activation_backward", "dense_backward", "softmax_cross_entropy_backward")


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
    result, out = run(exercise_id, ex.reference, capsys)
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


def float64_backward(dA, Z, activation):
    return dA.astype(np.float64) * f_prime_of(activation)(Z.astype(np.float64))


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (lambda dA, Z, a: dA * f_of(a)(Z), ["likely cause: you multiplied by f(Z), the activation itself"]),
        (lambda dA, Z, a: dA * (Z >= 0) if a == "relu" else dA * f_prime_of(a)(Z),
         ["case 5 \"relu at the kink", "ReLU'(0) = 0, so use Z > 0, not Z >= 0"]),
        (lambda dA, Z, a: 2 * dA * f_prime_of(a)(Z), ["every value is doubled"]),
        (lambda dA, Z, a: -dA * f_prime_of(a)(Z), ["every value has the wrong sign"]),
        (lambda dA, Z, a: f_prime_of(a)(Z), ["you returned f'(Z) alone"]),
        (lambda dA, Z, a: dA * f_prime_of(a)(f_of(a)(Z)),
         ["case 2 'sigmoid", "f' was evaluated at A = f(Z)"]),
        (lambda dA, Z, a: dA * (Z * (1 - Z)) if a == "sigmoid" else dA * f_prime_of(a)(Z),
         ["the formula of f' in terms of the output"]),
        (lambda dA, Z, a: dA @ f_prime_of(a)(Z).T, ["expected shape (4, 3), got (4, 4)"]),
        (naive_sigmoid_backward, ["case 7 'sigmoid saturated", "contains NaN"]),
        (float64_backward, ["case 9 'float32 stays float32 (tanh)'", "expected dtype float32, got float64"]),
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
         ["output[1]", "your result equals the transpose of the expected"]),
        (dense(db=lambda dZ, X, W: dZ.mean(axis=0)), ["output[2]", "db is the mean over the batch"]),
        (dense(db=lambda dZ, X, W: dZ), ["expected shape (3,), got (5, 3)", "b is shared by all N rows"]),
        (dense(db=lambda dZ, X, W: dZ[0]), ["db = dZ[0] uses the first example only"]),
        (dense(db=lambda dZ, X, W: dZ.sum(axis=1)), ["expected shape (3,), got (5,)", "summed over axis 1"]),
        (dense(dW=lambda dZ, X, W: 2 * X.T @ dZ), ["output[1]", "every value is doubled"]),
        (dense(dX=lambda dZ, X, W: -dZ @ W.T), ["output[0]", "every value has the wrong sign"]),
        (dense(dW=lambda dZ, X, W: X.T @ dZ / len(X)), ["you divided dW by N"]),
        (lambda dZ, cache, W: (dZ @ W.T, cache.X.T @ dZ), ["expected 3 parts in the result, got 2"]),
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
    assert "the shape is transposed" in message


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
        (sce_backward(sign=-1), ["every value has the wrong sign"]),
        (lambda logits, labels: softmax(logits, axis=1) / len(labels), ["the one-hot is missing"]),
        (sce_backward(subtract_columns=True), ["p[:, labels] -= 1 subtracts 1 in whole columns"]),
        (sce_backward_naive, ["case 4 'logits ±1000", "contains NaN"]),
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


def test_layer_flow_labels_every_gradient_with_its_shape(agg):
    from nnlib.widgets.shapes_diagram import draw_layer_flow

    texts = {t.get_text() for t in draw_layer_flow().texts}
    for label in ("X\n(N, D_in)", "dX\n(N, D_in)", "dZ\n(N, D_out)", "dW (D_in, D_out)", "db (D_out,)",
                  "dZ = dA ⊙ f'(Z)", "dX = dZ Wᵀ"):
        assert label in texts


def test_shapes_explorer_redraws_when_a_slider_moves(agg):
    from nnlib.widgets.shapes_diagram import shapes_explorer

    box = shapes_explorer(n=1, d_in=2, d_out=1)  # small: drawing is the slow part
    sliders, out = box.children
    assert [s.value for s in sliders.children] == [1, 2, 1]
    first_png = out.outputs[0]["data"]["image/png"]
    sliders.children[2].value = 2  # D_out
    assert len(out.outputs) == 1 and out.outputs[0]["data"]["image/png"] != first_png
