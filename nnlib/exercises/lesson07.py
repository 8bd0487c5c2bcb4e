"""Exercises and concept questions of lesson 07, gradient descent.

``sgd_step`` (one update of a list of layers) and ``train_neuron`` (the
gradient-descent loop), each with its known mistakes and correct variants in
other styles, written as a learner would write them: self-contained functions
using only numpy and the exercise's prerequisites, so that the grader can run
them in its sandbox. ``q07_2`` asks for a learning rate read off loss curves; its
accepted window is where training converges within the budget (measured, see
``LR_WINDOW``).
"""

from __future__ import annotations

import copy
import itertools

import numpy as np

from nnlib.exercises import Case, Exercise, Mistake, Question, Variant
from nnlib.exercises.case_functions import training_run
from nnlib.judge import agree_flat, compare_flat, diagnose, flatten_output
from nnlib.mlp import Dense
from nnlib.neuron import neuron_gradients, train_neuron
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
    cases.append(Case("float32 params and grads", (params, grads, 0.1)))
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
    in-place update in the weight-sharing case. Like the default comparison after
    issue 14, it passes right values in another float dtype (float64 for float32).
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
    if mismatch is None or agree_flat(expected, received, _RTOL, _ATOL):
        return None  # right values; a float64 result for float32 parameters is right too (issue 14)
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


# --------------------------------------------------------------------------- #
# sgd_step: known mistakes and correct variants, as a learner writes them
# --------------------------------------------------------------------------- #


def step_uphill(params, grads, lr):
    return [Dense(p.W + lr * g.W, p.b + lr * g.b) for p, g in zip(params, grads, strict=True)]


def step_without_lr(params, grads, lr):
    return [Dense(p.W - g.W, p.b - g.b) for p, g in zip(params, grads, strict=True)]


def step_with_lr_twice(params, grads, lr):
    return [Dense(p.W - lr * lr * g.W, p.b - lr * lr * g.b) for p, g in zip(params, grads, strict=True)]


def bias_not_updated(params, grads, lr):
    return [Dense(p.W - lr * g.W, p.b) for p, g in zip(params, grads, strict=True)]


def bias_stepped_with_dW(params, grads, lr):
    return [Dense(p.W - lr * g.W, p.b - lr * g.W) for p, g in zip(params, grads, strict=True)]


def plain_tuples(params, grads, lr):
    return [(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, grads, strict=True)]


def in_place_update(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        p.W[...] -= lr * g.W  # changes the caller's arrays
        p.b[...] -= lr * g.b
    return params


def first_layer_only(params, grads, lr):
    p, g = params[0], grads[0]
    return [Dense(p.W - lr * g.W, p.b - lr * g.b)]


def one_dense_returned(params, grads, lr):
    for p, g in zip(params, grads, strict=True):
        new = Dense(p.W - lr * g.W, p.b - lr * g.b)
    return new


def grads_in_reverse_order(params, grads, lr):
    return [Dense(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, reversed(grads), strict=True)]


_SGD_MISTAKES = (
    Mistake("W + lr * dW climbs", step_uphill, expect="the step has the wrong sign"),
    Mistake("W - dW", step_without_lr, expect="the step ignores the learning rate"),
    Mistake("lr * lr * dW", step_with_lr_twice, expect="the step is multiplied by lr twice"),
    Mistake("b left as it was", bias_not_updated, expect="params[0].b came back unchanged"),
    Mistake("b - lr * dW", bias_stepped_with_dW, expect="the new b has the shape of W"),
    Mistake("(W, b) tuples", plain_tuples, expect="plain tuples or lists (W, b), not Dense(W, b)"),
    Mistake("W -= lr * dW on the caller's arrays", in_place_update, expect="changed its input params"),
    Mistake("only the first layer", first_layer_only,
            expect="expected a list of 2 layers (one Dense(W, b) per layer in params), got 1"),
    Mistake("the last Dense, not a list", one_dense_returned,
            expect="the result is a single layer; return a list of Dense(W, b)"),
    Mistake("grads paired with the wrong layers", grads_in_reverse_order, expect="raised ValueError"),
)


def loop_appending(params, grads, lr):
    new_params = []
    for layer, grad in zip(params, grads, strict=True):
        new_params.append(Dense(W=layer.W - lr * grad.W, b=layer.b - lr * grad.b))
    return new_params


def tuple_of_layers(params, grads, lr):
    return tuple(Dense(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, grads, strict=True))


def replace_fields(params, grads, lr):
    return [p._replace(W=p.W - lr * g.W, b=p.b - lr * g.b) for p, g in zip(params, grads, strict=True)]


def in_place_on_copies(params, grads, lr):
    result = []
    for p, g in zip(params, grads, strict=True):
        W, b = p.W.copy(), p.b.copy()
        W -= lr * g.W  # in place, but on a copy: params stays as it was
        b -= lr * g.b
        result.append(Dense(W, b))
    return result


def indices_and_subtract(params, grads, lr):
    return [Dense(np.subtract(params[i].W, lr * grads[i].W), np.subtract(params[i].b, lr * grads[i].b))
            for i in range(len(params))]


def fields_zipped(params, grads, lr):
    return [Dense(*[value - lr * grad for value, grad in zip(p, g, strict=True)])
            for p, g in zip(params, grads, strict=True)]


def float64_result(params, grads, lr):
    return [Dense(np.array(p.W - lr * g.W, dtype=np.float64), np.array(p.b - lr * g.b, dtype=np.float64))
            for p, g in zip(params, grads, strict=True)]


_SGD_VARIANTS = (
    Variant("a loop appending to a new list, keyword arguments", loop_appending),
    Variant("a tuple of Dense instead of a list", tuple_of_layers),
    Variant("NamedTuple._replace", replace_fields),
    Variant("-= on copies of the arrays", in_place_on_copies),
    Variant("indices and np.subtract", indices_and_subtract),
    Variant("the fields of each Dense zipped with its gradient's", fields_zipped),
    Variant("float64 result for float32 parameters (dtype only)", float64_result),
)


# --------------------------------------------------------------------------- #
# train_neuron: the gradient-descent loop
# --------------------------------------------------------------------------- #


def _neuron_data(rng, n, d, scale=1.0):
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0).astype(np.float64)
    y[0], y[-1] = 0.0, 1.0  # both classes
    return X, y, rng.normal(size=d) * scale, float(rng.normal())


def _train_case(rng, name, n, d, lr, epochs, zero_start=False):
    X, y, w, b = _neuron_data(rng, n, d)
    if zero_start:
        w, b = np.zeros(d), 0.0
    return Case(name, (X, y, w, b), {"lr": lr, "epochs": epochs})


def _train_cases(rng):
    return [
        _train_case(rng, "8 examples, 2 features, lr=0.5, 5 epochs", 8, 2, 0.5, 5),
        _train_case(rng, "one epoch: a single step", 6, 3, 1.0, 1),
        _train_case(rng, "20 examples, 3 features, lr=2, 25 epochs", 20, 3, 2.0, 25),
        Case("batch of 1 (y = 1), lr=0.1, 3 epochs", (np.array([[0.5, -1.0]]), np.ones(1),
                                                     np.array([0.2, 0.3]), -0.1), {"lr": 0.1, "epochs": 3}),
        _train_case(rng, "start at w = 0, b = 0, lr=1, 10 epochs", 10, 2, 1.0, 10, zero_start=True),
        _train_case(rng, "small steps: lr=0.01, 4 epochs", 7, 1, 0.01, 4),
    ]


def _train_hidden_cases(rng):
    return [
        _train_case(rng, "50 examples, 4 features, lr=0.3, 40 epochs", 50, 4, 0.3, 40),
        _train_case(rng, "lr=5, 12 epochs", 15, 2, 5.0, 12),
    ]


def loss_recorded_after_the_step(X, y, w, b, *, lr, epochs):
    losses = []
    for _ in range(epochs):
        _, dw, db = neuron_gradients(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
        losses.append(neuron_gradients(X, y, w, b)[0])
    return w, b, losses


def one_step_too_many(X, y, w, b, *, lr, epochs):
    losses = []
    for _ in range(epochs + 1):
        loss, dw, db = neuron_gradients(X, y, w, b)
        losses.append(loss)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses


def one_step_too_few(X, y, w, b, *, lr, epochs):
    losses = [neuron_gradients(X, y, w, b)[0]]
    for _ in range(1, epochs):
        _, dw, db = neuron_gradients(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
        losses.append(neuron_gradients(X, y, w, b)[0])
    return w, b, losses


def climbs(X, y, w, b, *, lr, epochs):
    losses = []
    for _ in range(epochs):
        loss, dw, db = neuron_gradients(X, y, w, b)
        losses.append(loss)
        w, b = w + lr * dw, b + lr * db
    return w, b, losses


def ignores_lr(X, y, w, b, *, lr, epochs):
    losses = []
    for _ in range(epochs):
        loss, dw, db = neuron_gradients(X, y, w, b)
        losses.append(loss)
        w, b = w - dw, b - db
    return w, b, losses


def bias_never_moves(X, y, w, b, *, lr, epochs):
    losses = []
    for _ in range(epochs):
        loss, dw, _ = neuron_gradients(X, y, w, b)
        losses.append(loss)
        w = w - lr * dw
    return w, b, losses


def every_step_from_the_start(X, y, w, b, *, lr, epochs):
    losses = []
    for _ in range(epochs):
        loss, dw, db = neuron_gradients(X, y, w, b)
        losses.append(loss)
        new_w, new_b = w - lr * dw, b - lr * db
    return new_w, new_b, losses


def divides_by_n_again(X, y, w, b, *, lr, epochs):
    losses = []
    for _ in range(epochs):
        loss, dw, db = neuron_gradients(X, y, w, b)
        losses.append(loss)
        w, b = w - lr * dw / len(y), b - lr * db / len(y)
    return w, b, losses


def bias_gradient_after_moving_w(X, y, w, b, *, lr, epochs):
    losses = []
    for _ in range(epochs):
        loss, dw, _ = neuron_gradients(X, y, w, b)
        losses.append(loss)
        w = w - lr * dw
        _, _, db = neuron_gradients(X, y, w, b)  # the gradient at a point the step has left
        b = b - lr * db
    return w, b, losses


def returns_the_start(X, y, w, b, *, lr, epochs):
    w_now, b_now, losses = w, b, []
    for _ in range(epochs):
        loss, dw, db = neuron_gradients(X, y, w_now, b_now)
        losses.append(loss)
        w_now, b_now = w_now - lr * dw, b_now - lr * db
    return w, b, losses


_TRAIN_MISTAKES = (
    Mistake("each loss is recorded after its step: losses[t] must be the loss before step t, so that "
            "losses[0] is the loss of the starting w and b", loss_recorded_after_the_step),
    Mistake("one step too many: epochs full-batch epochs are exactly epochs steps, with one loss each",
            one_step_too_many),
    Mistake("one step too few (the loop starts at 1 or stops at epochs - 1): epochs steps, one loss "
            "before each", one_step_too_few),
    Mistake("the steps go uphill: gradient descent subtracts, w - lr * dw and b - lr * db",
            climbs),
    Mistake("the step ignores the learning rate: multiply each gradient by lr", ignores_lr),
    Mistake("b never moves: update it too, b - lr * db, in every step", bias_never_moves),
    Mistake("every step starts again from the initial w and b: assign the new values back "
            "(w = w - lr * dw) so that the next step starts where this one ended", every_step_from_the_start),
    Mistake("the step is N times too small: neuron_gradients already returns the gradient of the mean "
            "loss (its 1/N is inside dw and db); do not divide by N again", divides_by_n_again),
    Mistake("db is taken after w has moved: compute both gradients at the same point, one call of "
            "neuron_gradients per step, then update w and b together", bias_gradient_after_moving_w),
    Mistake("you returned the starting w and b: return the parameters after the last step",
            returns_the_start),
)


def while_loop(X, y, w, b, *, lr, epochs):
    losses, t = [], 0
    while t < epochs:
        loss, dw, db = neuron_gradients(X, y, w, b)
        losses.append(loss)
        w = w - lr * dw
        b = b - lr * db
        t += 1
    return w, b, losses


def losses_in_an_array(X, y, w, b, *, lr, epochs):
    losses = np.zeros(epochs)
    for t in range(epochs):
        losses[t], dw, db = neuron_gradients(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses


def with_sgd_step(X, y, w, b, *, lr, epochs):
    params = [Dense(w.reshape(-1, 1), np.array([b]))]
    losses = []
    for _ in range(epochs):
        loss, dw, db = neuron_gradients(X, y, params[0].W[:, 0], params[0].b[0])
        losses.append(loss)
        params = sgd_step(params, [Dense(dw.reshape(-1, 1), np.array([db]))], lr)
    return params[0].W[:, 0], params[0].b[0], losses


def parameters_in_a_list(X, y, w, b, *, lr, epochs):
    theta, losses = [w, b], []
    for _ in range(epochs):
        loss, *grads = neuron_gradients(X, y, *theta)
        losses.append(loss)
        theta = [value - lr * grad for value, grad in zip(theta, grads, strict=True)]
    return theta[0], theta[1], losses


def gradients_written_out(X, y, w, b, *, lr, epochs):
    losses = []
    for _ in range(epochs):
        a = 1 / (1 + np.exp(-(X @ w + b)))
        losses.append(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))
        dz = (a - y) / len(y)
        w, b = w - lr * (X.T @ dz), b - lr * dz.sum()
    return w, b, losses


def tuple_of_losses(X, y, w, b, *, lr, epochs):
    history = ()
    for _ in range(epochs):
        loss, dw, db = neuron_gradients(X, y, w, b)
        history += (loss,)
        w, b = w - lr * dw, b - lr * db
    return list(w), np.float64(b), history


_TRAIN_VARIANTS = (
    Variant("a while loop with a counter", while_loop),
    Variant("the losses in a preallocated np.zeros array", losses_in_an_array),
    Variant("the neuron stored as one Dense layer, updated with sgd_step", with_sgd_step),
    Variant("the parameters in a list, updated with a comprehension", parameters_in_a_list),
    Variant("the sigmoid, loss and gradients written out with numpy", gradients_written_out),
    Variant("w as a list, b as a numpy scalar, the losses as a tuple", tuple_of_losses),
)


EXERCISES = (
    Exercise(
        id="sgd_step",
        lesson="07",
        task="return a new list with one Dense per layer, each parameter moved one gradient-descent step; "
             "leave params unchanged",
        reference=sgd_step,
        make_cases=_sgd_step_cases,
        hidden_cases=_sgd_step_hidden_cases,
        arg_names=("params", "grads", "lr"),
        prerequisites=("Dense",),
        rtol=_RTOL,
        atol=_ATOL,
        verify=_verify_sgd_step,
        mistakes=_SGD_MISTAKES,
        variants=_SGD_VARIANTS,
        hints=(
            "Every parameter array moves a small step opposite its own gradient; params[i] goes with "
            "grads[i]. Build new arrays and leave params as it was.",
            "Loop over zip(params, grads): each layer p has p.W and p.b, its gradient g has g.W (dW) and "
            "g.b (db). Append Dense(new_W, new_b) to a new list. Avoid -=, which changes p.W itself.",
            "return [Dense(p.W - lr * g.W, p.b - lr * g.b) for p, g in zip(params, grads)]",
        ),
    ),
    Exercise(
        id="train_neuron",
        lesson="07",
        task="run epochs steps of full-batch gradient descent on the neuron; return (w, b, losses), "
             "losses[t] the loss before step t",
        reference=train_neuron,
        make_cases=_train_cases,
        hidden_cases=_train_hidden_cases,
        arg_names=("X", "y", "w", "b"),
        prerequisites=("neuron_gradients", "sgd_step", "Dense"),
        harness=training_run,
        mistakes=_TRAIN_MISTAKES,
        variants=_TRAIN_VARIANTS,
        hints=(
            "One epoch here is one step: compute the loss and the gradients at the current w and b, "
            "remember the loss, move w and b against their gradients. Repeat epochs times, each step "
            "starting where the previous one ended.",
            "neuron_gradients(X, y, w, b) returns (loss, dw, db) at the current point. In a loop of epochs "
            "iterations: append the loss to a list, then rebind w = w - lr * dw and b = b - lr * db "
            "(new arrays, so the caller's w stays as it was). Return w, b and the list.",
            "losses = []; for _ in range(epochs): loss, dw, db = neuron_gradients(X, y, w, b); "
            "losses.append(loss); w, b = w - lr * dw, b - lr * db; then return w, b, losses",
        ),
    ),
)


#: The learning rates with which ``train_neuron`` on lesson 07's blobs, from the lesson's poor start
#: w = (-1, 2), b = 1, ends LR_BUDGET epochs below LR_TARGET: a contiguous window, measured by
#: bisection (tests/test_lesson07.py re-measures it), rounded inwards in the 4th decimal.
LR_BUDGET, LR_TARGET = 10, 0.14
LR_WINDOW = (1.8811, 8.2373)

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
            "b": "The loss falls on some epochs but climbs on balance: the updates point downhill but are "
            "so long that they overshoot the valley and land higher up on the other side. Make η smaller "
            "(say 3 to 10 times) and look at the curve again.",
            "c": "A larger η makes each step overshoot further: the jumps grow and the loss diverges "
            "sooner.",
            "d": "With a flipped sign every update climbs, so the loss would rise on every epoch (a far too "
            "large η can do that too). Here it falls on every other epoch: the updates point the right "
            "way, they are too long.",
        },
    ),
    Question(
        id="q07_2",
        lesson="07",
        kind="number",
        answer=round((LR_WINDOW[0] + LR_WINDOW[1]) / 2, 5),
        tol=round((LR_WINDOW[1] - LR_WINDOW[0]) / 2, 5),
        feedback={
            "correct": f"within {LR_BUDGET} epochs your η brings the loss below {LR_TARGET}: every η from "
            f"about {LR_WINDOW[0]:.2g} to {LR_WINDOW[1]:.2g} does, a window of a factor 4. Below it the "
            "curve is still crawling down; above it the first steps overshoot.",
            "low": f"with an η this small the loss is still above {LR_TARGET} after {LR_BUDGET} epochs: its "
            "curve falls, but slowly (η = 1 ends at 0.170). Try a larger η.",
            "high": f"with an η this large the first steps overshoot, and after {LR_BUDGET} epochs the loss "
            f"is still above {LR_TARGET} (η = 10 ends at 0.152, η = 50 at 0.556). Try a smaller η.",
        },
    ),
)
