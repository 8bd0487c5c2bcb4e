"""Exercises and concept questions of lesson 07, gradient descent."""

from __future__ import annotations

import copy
import itertools

import numpy as np

from nnlib.exercises import Case, Exercise, Question
from nnlib.judge import compare_flat, diagnose, flatten_output
from nnlib.mlp import Dense
from nnlib.optim import sgd_step

# float32 cases: W - lr * dW computed in another (equally valid) order may differ in the last bit.
_RTOL, _ATOL = 1e-6, 1e-10
_SHARED = "the same layer object twice in params: an in-place update (W -= ...) changes both"


def _layers(rng, sizes, dtype=np.float64):
    """Random params and grads for layer widths ``sizes``, e.g. (3, 4, 2) -> two layers."""
    params, grads = [], []
    for d_in, d_out in itertools.pairwise(sizes):
        for target in (params, grads):
            target.append(Dense(rng.normal(size=(d_in, d_out)).astype(dtype),
                                rng.normal(size=d_out).astype(dtype)))
    return params, grads


def _sgd_step_cases(rng):
    cases = []
    for name, sizes, lr in (
        ("two layers 3 -> 4 -> 2, lr=0.1", (3, 4, 2), 0.1),
        ("one neuron with 2 inputs (W is 2x1), lr=0.5", (2, 1), 0.5),
        ("three layers 5 -> 3 -> 6 -> 2 (non-square W), lr=0.05", (5, 3, 6, 2), 0.05),
        ("small learning rate 0.001", (4, 3), 0.001),
        ("large learning rate 10 (no clipping)", (2, 3, 1), 10.0),
    ):
        params, grads = _layers(rng, sizes)
        cases.append(Case(name, (params, grads, lr)))
    params, _ = _layers(rng, (3, 2, 2))
    zeros = [Dense(np.zeros_like(p.W), np.zeros_like(p.b)) for p in params]
    cases.append(Case("zero gradients: nothing moves", (params, zeros, 0.1)))
    params, grads = _layers(rng, (3, 4, 2), dtype=np.float32)
    cases.append(Case("float32 params and grads stay float32", (params, grads, 0.1)))
    # Weight sharing: deepcopy keeps the two entries one object, so an in-place update hits it twice.
    (layer,), _ = _layers(rng, (3, 2))
    grads = [Dense(rng.normal(size=(3, 2)), rng.normal(size=2)) for _ in range(2)]
    cases.append(Case(_SHARED, ([layer, layer], grads, 0.1)))
    return cases


def _sgd_step_hidden_cases(rng):
    cases = []
    for name, sizes, lr in (("four layers 6 -> 5 -> 4 -> 3 -> 2, lr=0.01", (6, 5, 4, 3, 2), 0.01),
                            ("a wide layer 64 -> 10, lr=0.2", (64, 10), 0.2)):
        params, grads = _layers(rng, sizes)
        cases.append(Case(name, (params, grads, lr)))
    return cases


def _in_place_result(params, grads, lr) -> dict:
    """What an implementation that updates ``params`` in place returns (flattened)."""
    params = copy.deepcopy(params)  # keeps shared layers shared
    for p, g in zip(params, grads, strict=True):
        p.W[...] -= lr * g.W
        p.b[...] -= lr * g.b
    return flatten_output(params)


def _step_cause(params, grads, lr, path: str, received: dict) -> str:
    """Name the mistake from how the received step W_new - W compares with -lr * dW."""
    layer, name = int(path[1:path.index("]")]), path[path.index("]") + 2:]
    before = np.asarray(getattr(params[layer], name), dtype=np.float64)
    grad = np.asarray(getattr(grads[layer], name), dtype=np.float64)
    if received[path].dtype != getattr(params[layer], name).dtype:
        return (f"keep the parameters' dtype ({getattr(params[layer], name).dtype}): "
                f"{name} - lr * d{name} already has it; do not convert with astype or np.array(..., dtype=)")
    got = received[path].astype(np.float64)
    if got.shape != before.shape:
        if name == "b" and got.shape == np.shape(params[layer].W):
            return "the new b has the shape of W: b goes with its own gradient g.b (db), not g.W"
        return (f"each new array must keep the shape of its parameter: "
                f"params[{layer}].{name} is {before.shape}")
    step, wanted = got - before, -lr * grad
    where = f"params[{layer}].{name}"
    if not np.any(step):
        return f"{where} came back unchanged: update it too ({name} - lr * d{name})"
    if not np.any(wanted) or not np.all(np.isfinite(step)):
        return ""  # zero gradients or NaN: no step to compare with; diagnose() names NaN/inf
    big = np.abs(wanted) > 1e-6 * np.max(np.abs(wanted))
    ratios = step[big] / wanted[big]
    ratio = float(np.median(ratios))
    if not np.allclose(ratios, ratio, rtol=1e-3) or np.isclose(ratio, 1.0):
        return ""
    for value, cause in (
        (-1.0, "the step has the wrong sign: gradient descent moves opposite the gradient, "
               f"{name} - lr * d{name}"),
        (1 / lr, "the step ignores the learning rate: multiply the gradient by lr"),
        (lr, "the step is multiplied by lr twice"),
    ):
        if np.isclose(ratio, value, rtol=1e-3):
            return cause
    return f"the step is {ratio:.4g} times -lr * d{name}"


def _verify_sgd_step(case: Case, received: dict) -> str | None:
    """Compare with the reference like check() does, with feedback about the step itself.

    Used instead of the default comparison to (1) name plain tuples (W, b) returned
    in place of Dense(W, b), (2) name the mistake from the step W_new - W
    (wrong sign, lr ignored, a parameter left unchanged), and (3) recognise an
    in-place update in the weight-sharing case.
    """
    params, grads, lr = case.args
    expected = flatten_output(sgd_step(*copy.deepcopy(case.args)))
    as_tuples = {k.replace(".W", "[0]").replace(".b", "[1]"): v for k, v in expected.items()}
    if set(received) == set(as_tuples) and set(received) != set(expected):
        return ("the result holds plain tuples or lists (W, b), not Dense(W, b): later code reads "
                "layer.W and layer.b, so build each layer with Dense(new_W, new_b)")
    layers = {k[: k.index("]") + 1] for k in received if k.startswith("[")}
    if "#len" in received:
        return f"the result is empty; return a list of {len(params)} Dense(W, b), one per layer"
    if not layers:
        what = "a single layer" if any(k.startswith(".") for k in received) else "one array or number"
        return f"the result is {what}; return a list of Dense(W, b), one per layer"
    if len(layers) != len(params):
        return (f"expected a list of {len(params)} layers (one Dense(W, b) per layer in params), "
                f"got {len(layers)}")
    mismatch = compare_flat(expected, received, _RTOL, _ATOL)
    if mismatch is None:
        return None
    if case.name == _SHARED and compare_flat(_in_place_result(params, grads, lr), received,
                                             _RTOL, _ATOL) is None:
        return ("your function changed its input params (an in-place update such as W -= lr * dW): "
                "both entries are one layer object, so it moved twice. Return new arrays instead: "
                "Dense(W - lr * dW, b - lr * db)")
    cause = ""
    if mismatch.path in expected and mismatch.path in received and mismatch.path.startswith("["):
        cause = _step_cause(params, grads, lr, mismatch.path, received)
    cause = cause or diagnose(expected, received, mismatch.path)
    return mismatch.what + (f"\n  likely cause: {cause}" if cause else "")


EXERCISES = (
    Exercise(
        id="sgd_step",
        lesson="07",
        task="return a new list of Dense(W - lr * dW, b - lr * db), one per layer, without changing params",
        reference=sgd_step,
        make_cases=_sgd_step_cases,
        hidden_cases=_sgd_step_hidden_cases,
        arg_names=("params", "grads", "lr"),
        prerequisites=("Dense",),
        rtol=_RTOL,
        atol=_ATOL,
        verify=_verify_sgd_step,
        hints=(
            "Every parameter array moves a small step opposite its own gradient; params[i] goes with "
            "grads[i]. Build new arrays and leave params as it was.",
            "Loop over zip(params, grads): each layer p has p.W and p.b, its gradient g has g.W (dW) and "
            "g.b (db). Append Dense(new_W, new_b) to a new list. Avoid -=, which changes p.W itself.",
            "return [Dense(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, grads)]",
        ),
    ),
)

QUESTIONS = (
    Question(
        id="q07_1",
        lesson="07",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "More epochs repeat the same too-large steps: a loss that jumps up and down and trends "
            "upwards will keep doing so, or blow up.",
            "b": "The loss falls on some steps and rises on others, higher and higher: the steps go "
            "downhill but overshoot the valley, like η > 1 on the parabola. A smaller η (say 10 times "
            "smaller) makes each step land on the near side.",
            "c": "A larger η makes each step overshoot further: the jumps grow and the loss diverges "
            "sooner.",
            "d": "With the wrong sign every step climbs and the loss rises on every epoch. Here it "
            "falls on some epochs: the direction is right, the steps are too long.",
        },
    ),
)
