"""Exercises and concept questions of lesson 11, the health of a network in training.

``init_mlp`` returns random weights, so it has no unique answer: its verifier
checks the structure exactly and the *statistics* of each large weight matrix
(mean, standard deviation, normal shape) against the init's formula, and names
the formula the learner used when it is a known wrong one (the wrong fan, a
variance used as a standard deviation, ...).
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np

from nnlib.exercises import Case, Exercise, Mistake, Question
from nnlib.layers import DenseCache
from nnlib.mlp import Dense, dead_relu_fraction, gradient_norms, init_mlp

# --------------------------------------------------------------------------- #
# init_mlp
# --------------------------------------------------------------------------- #

#: Layers with at least this many weights get their statistics checked.
_STATS_MIN_SIZE = 10_000
#: Largest accepted relative error of the sample std. For n >= 10,000 normal draws the
#: sample std has a relative standard error of 1/sqrt(2n) <= 0.7 %, so 3 % is > 4 sigma.
_STD_RTOL = 0.03


def _init_mlp_cases(rng):
    def case(name, sizes, **kwargs):
        # Each case gets its own generator, derived from the seed: the learner draws from it.
        return Case(name, (sizes, np.random.default_rng(rng.integers(2**32))), kwargs)

    return [
        case("he, sizes (400, 100): fan_in 400 differs from fan_out 100", (400, 100), init="he"),
        case("xavier, sizes (400, 100)", (400, 100), init="xavier"),
        case("he, 3 layers (120, 300, 200, 10)", (120, 300, 200, 10), init="he"),
        case("xavier, sizes (100, 300, 50)", (100, 300, 50), init="xavier"),
        case("default init is he, sizes (250, 60)", (250, 60)),
        case("normal with weight_std=0.05, sizes (200, 80)", (200, 80), init="normal", weight_std=0.05),
        case("normal with the default std 0.01, sizes (150, 100)", (150, 100), init="normal"),
        case("a tiny net (2, 3, 1): shapes and zero biases", (2, 3, 1), init="he"),
    ]


def _target_std(sizes_pair, init, weight_std):
    fan_in, fan_out = sizes_pair
    if init == "he":
        return math.sqrt(2 / fan_in), "sqrt(2 / D_in)"
    if init == "xavier":
        return math.sqrt(2 / (fan_in + fan_out)), "sqrt(2 / (D_in + D_out))"
    std = 0.01 if weight_std is None else weight_std
    return std, f"weight_std = {std:g}"


def _wrong_stds(fan_in, fan_out, init, weight_std):
    """(std, explanation) of the usual wrong formulas for this init."""
    he, xavier = math.sqrt(2 / fan_in), math.sqrt(2 / (fan_in + fan_out))
    common = [
        (1.0, "std 1: rng.normal(size=...) was not scaled by the init's std"),
        (0.01, "std 0.01, the default of init='normal', not the formula of init=" + repr(init)),
    ]
    if init == "he":
        return [
            (math.sqrt(2 / fan_out), f"He with the wrong fan: you used fan_out = D_out = {fan_out}; "
             f"He uses fan_in = D_in = {fan_in}, the number of inputs each unit sums"),
            (2 / fan_in, "you used the variance 2 / D_in as the standard deviation: take its square root"),
            (math.sqrt(1 / fan_in), "sqrt(1 / D_in) is missing He's factor 2 (which makes up for ReLU "
             "zeroing half of its inputs)"),
            (xavier, "that is Xavier's std sqrt(2 / (D_in + D_out)); He is sqrt(2 / D_in)"),
            *common,
        ]
    if init == "xavier":
        return [
            (he, "that is He's std sqrt(2 / D_in); Xavier averages both fans: sqrt(2 / (D_in + D_out))"),
            (math.sqrt(2 / fan_out), "Xavier with only fan_out; it uses both fans: sqrt(2 / (D_in + D_out))"),
            (2 / (fan_in + fan_out), "you used the variance 2 / (D_in + D_out) as the standard deviation: "
             "take its square root"),
            (math.sqrt(1 / (fan_in + fan_out)), "sqrt(1 / (D_in + D_out)) is missing Xavier's factor 2"),
            (math.sqrt(6 / (fan_in + fan_out)), "sqrt(6 / (D_in + D_out)) is the *limit* a of the uniform "
             "Xavier variant U(-a, a), not the std of the normal one"),
            (math.sqrt(1 / fan_in), "sqrt(1 / D_in) uses one fan only; Xavier is sqrt(2 / (D_in + D_out))"),
            *common,
        ]
    std = 0.01 if weight_std is None else weight_std
    wrong = [(std**2, "you used weight_std as the variance; it is the standard deviation")]
    if weight_std is not None and weight_std != 0.01:
        wrong.append((0.01, f"std 0.01: the weight_std={weight_std:g} you were given was ignored"))
    return [*wrong, (1.0, common[0][1])]


def _layer_count(received: dict) -> int:
    return len({int(m.group(1)) for k in received if (m := re.match(r"\[(\d+)\]", k))})


def _verify_init_mlp(case: Case, received: dict) -> str | None:
    sizes = [int(s) for s in case.args[0]]
    init = case.kwargs.get("init", "he")
    weight_std = case.kwargs.get("weight_std")
    n_layers = len(sizes) - 1
    keys = list(received)
    if keys and all(re.fullmatch(r"\[\d+\]\[[01]\]", k) for k in keys):
        return "each layer must be Dense(W, b) (so that .W and .b work), not a plain tuple or list"
    if keys and all(re.fullmatch(r"\[\d+\]", k) for k in keys):
        return "each layer must be Dense(W, b); you returned one array per layer (only W?)"
    if _layer_count(received) != n_layers or any(not re.fullmatch(r"\[\d+\]\.(W|b)", k) for k in keys):
        return (f"expected a list of {n_layers} Dense(W, b), one per pair of consecutive sizes "
                f"{tuple(sizes)}; got parts {sorted(keys)[:4]}")
    for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        W, b = received[f"[{layer}].W"], received[f"[{layer}].b"]
        if W.shape != (fan_in, fan_out):
            if W.shape == (fan_out, fan_in):
                return (f"layer {layer}: W has shape {W.shape} = (D_out, D_in), transposed; W must be "
                        f"(D_in, D_out) = {(fan_in, fan_out)} so that X @ W works")
            return f"layer {layer}: W must have shape (D_in, D_out) = {(fan_in, fan_out)}; got {W.shape}"
        if W.dtype != np.float64:
            return f"layer {layer}: W must be float64; got dtype {W.dtype}"
        if b.shape != (fan_out,):
            return f"layer {layer}: b must have shape (D_out,) = ({fan_out},); got {b.shape}"
        if b.dtype != np.float64:
            return f"layer {layer}: b must be float64; got dtype {b.dtype}"
        if np.any(b != 0):
            return f"layer {layer}: b must start at zero (np.zeros(D_out)); got b[0] = {b.flat[0]:.4g}"
        if not np.all(np.isfinite(W)):
            return f"layer {layer}: W contains NaN or inf"
        if W.size < _STATS_MIN_SIZE:
            continue  # too few draws for a sharp test of the statistics
        message = _check_statistics(layer, W, fan_in, fan_out, init, weight_std)
        if message:
            return message
    return None


def _check_statistics(layer, W, fan_in, fan_out, init, weight_std) -> str:
    target, formula = _target_std((fan_in, fan_out), init, weight_std)
    mean, std = float(W.mean()), float(W.std())
    where = f"layer {layer} (D_in={fan_in}, D_out={fan_out})"
    if W.max() == W.min():
        return f"{where}: every weight is {mean:.4g}; draw them at random: rng.normal(0.0, std, size=...)"
    # The sample mean of n draws has standard error std/sqrt(n) < 0.01 std here: 0.1 std is far out.
    if abs(mean) > 0.1 * std:
        return (f"{where}: the weights have mean {mean:.4g}, but should be centred on 0 (std {std:.4g}): "
                "use rng.normal(0.0, std, size=(D_in, D_out))")
    if abs(std / target - 1) > _STD_RTOL:
        for wrong, why in _wrong_stds(fan_in, fan_out, init, weight_std):
            if abs(std / wrong - 1) <= _STD_RTOL:
                return (f"{where}: the weights' standard deviation is {std:.4g}, expected {formula} = "
                        f"{target:.4g} for init={init!r}\n  likely cause: {why}")
        return (f"{where}: the weights' standard deviation is {std:.4g}, {std / target:.3g} times the "
                f"expected {formula} = {target:.4g} for init={init!r}")
    # A normal distribution has kurtosis E[(w - mean)^4] / std^4 = 3; a uniform one has 1.8.
    kurtosis = float(np.mean((W - mean) ** 4) / std**4)
    if abs(kurtosis - 3) > 0.3:
        shape = "uniform" if kurtosis < 2.2 else "not normal"
        return (f"{where}: the std is right but the weights do not look normally distributed (kurtosis "
                f"{kurtosis:.2f}, a normal has 3; {shape}?): draw them with rng.normal(0.0, std, size=...)")
    return ""


# --------------------------------------------------------------------------- #
# gradient_norms
# --------------------------------------------------------------------------- #


def _grads(rng, sizes, w_scale=1.0, b_scale=1.0):
    return [
        Dense(rng.normal(size=(d_in, d_out)) * w_scale, rng.normal(size=d_out) * b_scale)
        for d_in, d_out in itertools.pairwise(sizes)
    ]


def _gradient_norms_cases(rng):
    zero_layer = _grads(rng, (4, 3, 5, 2))
    zero_layer[1] = Dense(np.zeros((3, 5)), rng.normal(size=5))
    return [
        Case("3 layers 4-5-3-2", (_grads(rng, (4, 5, 3, 2)),)),
        Case("1 layer 6-3", (_grads(rng, (6, 3)),)),
        Case("db much larger than dW (db is not part of the norm)", (_grads(rng, (5, 4, 3), 0.1, 50.0),)),
        Case("a layer whose dW is all zero (norm 0)", (zero_layer,)),
        Case("vanishing: tiny gradients ~1e-8", (_grads(rng, (8, 6, 4), 1e-8, 1e-8),)),
        Case("large gradients ~1e3", (_grads(rng, (3, 7, 2), 1e3, 1e3),)),
        Case("deep: 6 layers of width 8", (_grads(rng, (8,) * 7),)),
    ]


_NOT_AN_ARRAY = "return one ndarray with one number per layer, e.g. np.array(values), not a list"


def _bug_includes_db(grads):
    return np.array([np.sqrt(np.sum(g.W**2) + np.sum(g.b**2)) for g in grads])


def _bug_squared(grads):
    return np.array([np.sum(g.W**2) for g in grads])


def _bug_spectral(grads):
    return np.array([np.linalg.norm(g.W, 2) for g in grads])


def _bug_rms(grads):
    return np.array([np.sqrt(np.mean(g.W**2)) for g in grads])


def _bug_max_abs(grads):
    return np.array([np.max(np.abs(g.W)) for g in grads])


def _bug_sum_abs(grads):
    return np.array([np.sum(np.abs(g.W)) for g in grads])


def _bug_norms_reversed(grads):
    return gradient_norms(grads)[::-1]


_GRADIENT_NORMS_MISTAKES = (
    Mistake("the norm includes db; it is the norm of the weight gradient dW only", _bug_includes_db),
    Mistake("this is the squared norm: take the square root of the sum of squares", _bug_squared),
    Mistake("np.linalg.norm(dW, 2) of a matrix is its largest singular value (the spectral norm); the "
            "Frobenius norm is np.linalg.norm(dW), or np.sqrt(np.sum(dW ** 2))", _bug_spectral),
    Mistake("this is the root *mean* square; the norm sums the squares: np.sqrt(np.sum(dW ** 2))",
            _bug_rms),
    Mistake("this is the largest |entry|; the norm is np.sqrt(np.sum(dW ** 2))", _bug_max_abs),
    Mistake("this is the sum of |entries| (an L1 norm); use np.sqrt(np.sum(dW ** 2))", _bug_sum_abs),
    Mistake("the norms are in reverse order: the first entry belongs to the first layer",
            _bug_norms_reversed),
    Mistake(_NOT_AN_ARRAY, lambda grads: list(gradient_norms(grads))),
)


# --------------------------------------------------------------------------- #
# dead_relu_fraction
# --------------------------------------------------------------------------- #


def _caches_from_z(zs, x0):
    """DenseCache per layer, consistent with a ReLU net: each layer's X is relu of the Z below."""
    caches, X = [], x0
    for Z in zs:
        caches.append(DenseCache(X, Z))
        X = np.maximum(Z, 0)
    return caches


def _dead_relu_cases(rng):
    n = 5
    z1 = rng.normal(size=(n, 6))
    z1[:, 1] = -np.abs(rng.normal(size=n))  # dead: negative for every example
    z1[:, 3] = 0.0  # dead: exactly 0 gives relu 0 and relu' 0
    z1[:, 4] = -np.abs(rng.normal(size=n))
    z1[2, 4] = 0.7  # alive: positive for one example only
    z1[:, 5] = np.abs(rng.normal(size=n)) + 0.1  # alive everywhere
    z2 = rng.normal(size=(n, 4))
    z2[:, 0] = -1.0
    out = -np.abs(rng.normal(size=(n, 3)))  # the output layer, all <= 0: it must not count
    planted = _caches_from_z([z1, z2, out], rng.normal(size=(n, 3)))

    alive = _caches_from_z([np.abs(rng.normal(size=(4, 5))) + 0.1, rng.normal(size=(4, 2))],
                           rng.normal(size=(4, 3)))

    bias_z = rng.normal(size=(6, 8)) - 100.0  # a huge negative bias: every unit is dead
    all_dead = _caches_from_z([bias_z, rng.normal(size=(6, 4)), rng.normal(size=(6, 2))],
                              rng.normal(size=(6, 3)))

    one = _caches_from_z([rng.normal(size=(1, 7)), rng.normal(size=(1, 3))], rng.normal(size=(1, 2)))

    z_mixed = rng.normal(size=(8, 10))
    z_mixed[:, :4] = -np.abs(z_mixed[:, :4])  # 4 dead units of 10
    z_mixed[0, :2] = 0.0
    z_mixed[:, 9] = 0.0  # a whole column exactly 0: dead
    z_row = rng.normal(size=(8, 6))
    z_row[3, :] = -1.0  # one example where every unit is off; the units stay alive
    mixed = _caches_from_z([z_mixed, z_row, rng.normal(size=(8, 4)), rng.normal(size=(8, 2))],
                           rng.normal(size=(8, 5)))

    return [
        Case("2 hidden layers + output, some units dead by construction", (planted,)),
        Case("1 hidden layer, no dead unit", (alive,)),
        Case("huge negative bias: every unit of layer 1 dead", (all_dead,)),
        Case("batch of 1: a unit is dead when its only z <= 0", (one,)),
        Case("3 hidden layers of 10, 6, 4 units; a unit exactly at 0", (mixed,)),
    ]


def _bug_includes_output(caches):
    return np.array([np.mean(np.all(c.Z <= 0, axis=0)) for c in caches])


def _bug_strict(caches):
    return np.array([np.mean(np.all(c.Z < 0, axis=0)) for c in caches[:-1]])


def _bug_any(caches):
    return np.array([np.mean(np.any(c.Z <= 0, axis=0)) for c in caches[:-1]])


def _bug_wrong_axis(caches):
    return np.array([np.mean(np.all(c.Z <= 0, axis=1)) for c in caches[:-1]])


def _bug_zero_outputs(caches):
    return np.array([np.mean(c.Z <= 0) for c in caches[:-1]])


def _bug_counts(caches):
    return np.array([np.sum(np.all(c.Z <= 0, axis=0)) for c in caches[:-1]])


def _bug_skips_first(caches):
    return np.array([np.mean(np.all(c.Z <= 0, axis=0)) for c in caches[1:]])


_DEAD_RELU_MISTAKES = (
    Mistake("the output layer was counted; it has no ReLU: skip the last cache (caches[:-1])",
            _bug_includes_output),
    Mistake("the first hidden layer was skipped; skip only the last (output) cache: caches[:-1]",
            _bug_skips_first),
    Mistake("a unit with Z exactly 0 is dead too (ReLU gives 0 and, in nnlib, ReLU' = 0 there): "
            "test Z <= 0, not Z < 0", _bug_strict),
    Mistake("a unit is dead only if Z <= 0 for *every* example (np.all over the batch), not for some",
            _bug_any),
    Mistake("np.all over axis=1 asks whether an *example* has every unit off; a unit is a column of Z: "
            "use axis=0", _bug_wrong_axis),
    Mistake("this is the fraction of zero outputs (over examples and units), not of dead units: first "
            "find the units with Z <= 0 for every example (np.all(..., axis=0)), then average",
            _bug_zero_outputs),
    Mistake("these are counts of dead units; divide by the number of units (np.mean instead of np.sum)",
            _bug_counts),
    Mistake(_NOT_AN_ARRAY, lambda caches: list(dead_relu_fraction(caches))),
)


EXERCISES = (
    Exercise(
        id="init_mlp",
        lesson="11",
        task="return a list of Dense(W, b): W ~ N(0, std²) of shape (D_in, D_out) with the init's std, "
        "b = zeros",
        reference=init_mlp,
        make_cases=_init_mlp_cases,
        arg_names=("sizes", "rng"),
        prerequisites=("Dense",),
        verify=_verify_init_mlp,
        hints=(
            "One Dense(W, b) per pair of consecutive widths (D_in, D_out); only the standard deviation "
            "of W depends on `init`.",
            "He: std = sqrt(2 / D_in); Xavier: std = sqrt(2 / (D_in + D_out)); normal: weight_std, or "
            "0.01 when it is None. W = rng.normal(0.0, std, size=(D_in, D_out)), b = np.zeros(D_out).",
            "params = []; for d_in, d_out in zip(sizes[:-1], sizes[1:]): std = np.sqrt(2 / d_in) if "
            "init == 'he' else np.sqrt(2 / (d_in + d_out)) if init == 'xavier' else (0.01 if weight_std "
            "is None else weight_std); params.append(Dense(rng.normal(0.0, std, size=(d_in, d_out)), "
            "np.zeros(d_out))). return params",
        ),
    ),
    Exercise(
        id="gradient_norms",
        lesson="11",
        task="return an ndarray (L,): the Frobenius norm of each layer's dW, first layer first",
        reference=gradient_norms,
        make_cases=_gradient_norms_cases,
        arg_names=("grads",),
        mistakes=_GRADIENT_NORMS_MISTAKES,
        hints=(
            "One number per layer: how big is that layer's weight gradient as a whole? "
            "Square every entry of dW, add them up, take the square root.",
            "For each g in grads, g.W is dW; np.sqrt(np.sum(g.W ** 2)) (or np.linalg.norm(g.W) with its "
            "default, the Frobenius norm) is its norm. Collect them in an ndarray.",
            "return np.array([np.sqrt(np.sum(g.W ** 2)) for g in grads])",
        ),
    ),
    Exercise(
        id="dead_relu_fraction",
        lesson="11",
        task="return an ndarray (L-1,): per hidden layer, the fraction of units with Z <= 0 for every "
        "example",
        reference=dead_relu_fraction,
        make_cases=_dead_relu_cases,
        arg_names=("caches",),
        prerequisites=("DenseCache",),
        mistakes=_DEAD_RELU_MISTAKES,
        hints=(
            "A unit is a column of Z (N, D). It is dead on this batch when its whole column is <= 0. "
            "The last cache is the output layer: skip it.",
            "For each cache in caches[:-1]: np.all(cache.Z <= 0, axis=0) is a boolean (D,) that marks "
            "the dead units; its mean is the fraction.",
            "return np.array([np.mean(np.all(c.Z <= 0, axis=0)) for c in caches[:-1]])",
        ),
    ),
)

QUESTIONS = (
    Question(
        id="q11_1",
        lesson="11",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "A larger learning rate scales every layer's step by the same factor: the last layers, "
            "whose gradients are thousands of times larger, would diverge long before the first layers "
            "moved. The ratio between layers is the problem, not the overall size.",
            "b": "Going back through a sigmoid layer multiplies the gradient by σ'(Z) ≤ 1/4 (and by Wᵀ, "
            "whose Xavier scale keeps it near 1): after k layers the signal has shrunk by about 4^k. "
            "ReLU (derivative 1 where active) with He init keeps the layers' gradients comparable.",
            "c": "There is no ReLU in this network, so no unit can be dead. A dead unit also gives exactly "
            "zero gradient for its own column, not a steady shrinking layer after layer.",
            "d": "The initial loss tells you whether the outputs start sensible (≈ ln C); it says nothing "
            "about how the gradient changes from one layer to the next.",
        },
    ),
)
