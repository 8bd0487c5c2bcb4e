"""Lesson 07: sgd_step's reference passes, known-wrong implementations are caught with the right message."""

import copy

import numpy as np
import pytest

from nnlib.check import check, check_answer
from nnlib.exercises import get_exercise, get_question
from nnlib.mlp import Dense
from nnlib.optim import sgd_step


def test_reference_passes(capsys):
    result = check("sgd_step", sgd_step)
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


def test_a_tuple_of_dense_is_accepted(capsys):
    def as_tuple(params, grads, lr):
        return tuple(Dense(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, grads, strict=True))

    assert check("sgd_step", as_tuple)


# Known-wrong implementations, each a realistic slip.


def _not_implemented(params, grads, lr):
    raise NotImplementedError("Exercise sgd_step: ...")


def _ascent(params, grads, lr):
    return [Dense(p.W + lr * g.W, p.b + lr * g.b) for p, g in zip(params, grads, strict=True)]


def _no_lr(params, grads, lr):
    return [Dense(p.W - g.W, p.b - g.b) for p, g in zip(params, grads, strict=True)]


def _lr_twice(params, grads, lr):
    return [Dense(p.W - lr * lr * g.W, p.b - lr * lr * g.b) for p, g in zip(params, grads, strict=True)]


def _forgot_bias(params, grads, lr):
    return [Dense(p.W - lr * g.W, p.b) for p, g in zip(params, grads, strict=True)]


def _bias_with_dW(params, grads, lr):
    return [Dense(p.W - lr * g.W, p.b - lr * g.W) for p, g in zip(params, grads, strict=True)]


def _plain_tuples(params, grads, lr):
    return [(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, grads, strict=True)]


def _in_place_returns_params(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        p.W[...] -= lr * g.W
        p.b[...] -= lr * g.b
    return params


def _in_place_new_list(params, grads, lr):
    new = []
    for p, g in zip(params, grads, strict=True):
        W, b = p.W, p.b
        W -= lr * g.W  # W is p.W: this changes the caller's array
        b -= lr * g.b
        new.append(Dense(W, b))
    return new


def _to_float64(params, grads, lr):
    return [Dense(np.asarray(p.W - lr * g.W, dtype=np.float64), np.asarray(p.b - lr * g.b, dtype=np.float64))
            for p, g in zip(params, grads, strict=True)]


def _first_layer_only(params, grads, lr):
    p, g = params[0], grads[0]
    return [Dense(p.W - lr * g.W, p.b - lr * g.b)]


def _single_dense(params, grads, lr):
    p, g = params[0], grads[0]
    return Dense(p.W - lr * g.W, p.b - lr * g.b)


def _empty(params, grads, lr):
    return []


def _normalised(params, grads, lr):  # divides by the gradient's norm: NaN for zero gradients
    with np.errstate(invalid="ignore", divide="ignore"):
        return [Dense(p.W - lr * g.W / np.linalg.norm(g.W), p.b - lr * g.b / np.linalg.norm(g.b))
                for p, g in zip(params, grads, strict=True)]


def _grads_reversed(params, grads, lr):
    return [Dense(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, grads[::-1], strict=True)]


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (_not_implemented, ("sgd_step: not implemented yet",)),
        (_ascent, ("output[0].W: first mismatch", "likely cause: the step has the wrong sign")),
        (_no_lr, ("likely cause: the step ignores the learning rate",)),
        (_lr_twice, ("likely cause: the step is multiplied by lr twice",)),
        (_forgot_bias, ("output[0].b: first mismatch", "params[0].b came back unchanged")),
        (_bias_with_dW, ("output[0].b: expected shape (4,), got (3, 4)",
                         "the new b has the shape of W: b goes with its own gradient g.b")),
        (_plain_tuples, ("plain tuples or lists (W, b), not Dense(W, b)",)),
        (_in_place_returns_params, ("changed its input params",)),
        (_in_place_new_list, ("changed its input params",)),
        (_to_float64, ("case 7 'float32 params and grads stay float32'",
                       "expected dtype float32, got float64", "keep the parameters' dtype (float32)")),
        (_first_layer_only, ("expected a list of 2 layers (one Dense(W, b) per layer in params), got 1",)),
        (_single_dense, ("the result is a single layer; return a list of Dense(W, b)",)),
        (_empty, ("the result is empty; return a list of 2 Dense(W, b)",)),
        (_normalised, ("likely cause: the step is",)),
        (_grads_reversed, ("raised ValueError",)),
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
    received = flatten_output(_in_place_returns_params(*copy.deepcopy(case.args)))
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
        ("d", "With the wrong sign every step climbs"),
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
