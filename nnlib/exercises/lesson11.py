"""Exercises and concept questions of lesson 11, the health of a network in training.

``init_mlp`` returns random weights, so it has no unique answer: it runs in a harness
(``case_functions.init_runs``) that calls it from ``rng``, from a copy of ``rng`` (the same
seed) and from another seed; its verifier checks the structure exactly, the *statistics* of
each large weight matrix (mean, standard deviation, normal shape) against the init's formula,
naming the formula the learner used when it is a known wrong one (the wrong fan, a variance
used as a standard deviation, ...), and that the draws come from the generator it was given:
the same seed gives the same layers, another seed other layers, and the caller's generator
moves on.

``overfit_settings`` returns the learning rate and weight scale the learner found for
overfitting 20 digits with a 5-layer net; its verifier trains that net and says how the
settings fail (the signal vanishes, the weights are too large, the ReLUs die, too slow).

Every mistake and correct variant below is a self-contained function that uses numpy and the
exercise's prerequisites only, as a learner writes it.
"""

from __future__ import annotations

import copy
import itertools
import math
import re

import numpy as np

from nnlib.debugging import TINY_STEPS, TINY_TARGET, overfit_settings, tiny_overfit
from nnlib.exercises import Case, Exercise, Mistake, Question, Variant
from nnlib.exercises.case_functions import init_runs, without_arguments
from nnlib.exercises.lesson10 import _part
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
        # Each case gets its own generator, derived from the seed: the learner draws from it. The
        # harness also calls the function with another generator, other_rng.
        seed, other = (int(s) for s in rng.integers(2**32, size=2))
        return Case(name, (sizes, np.random.default_rng(seed)),
                    {**kwargs, "other_rng": np.random.default_rng(other)})

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
    """The layers of the first call, then the three properties of drawing from rng."""
    params = _part(received, "params")
    message = _verify_layers(case, params)
    if message:
        return message
    if _part(received, "again").keys() != params.keys() or not all(
            np.array_equal(v, _part(received, "again")[k]) for k, v in params.items()):
        return ("the same seed gave other weights: draw every weight from the rng you are given "
                "(rng.normal(...)), so that a seed always gives the same network; np.random.* and a "
                "generator without a seed are not reproducible")
    other = _part(received, "other")
    if other.keys() == params.keys() and all(np.array_equal(v, other[k]) for k, v in params.items()):
        return ("another seed gave the same weights: draw from the rng argument, not from a generator of "
                "your own with a fixed seed (such as np.random.default_rng(0))")
    next_draw = received.get("['next_draw']")
    if next_draw is not None and float(next_draw) == float(copy.deepcopy(case.args[1]).random()):
        return ("your init_mlp never drew from the rng it was given (a copy of it?): draw from rng itself, "
                "so that two calls with one generator give two different networks")
    return None


def _verify_layers(case: Case, received: dict) -> str | None:
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


# Known mistakes of init_mlp, each a whole init with one slip.


def _bug_fan_out(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        if init == "he":
            std = np.sqrt(2 / d_out)  # the wrong fan
        elif init == "xavier":
            std = np.sqrt(2 / (d_in + d_out))
        else:
            std = 0.01 if weight_std is None else weight_std
        params.append(Dense(rng.normal(0.0, std, size=(d_in, d_out)), np.zeros(d_out)))
    return params


def _bug_transposed(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, weight_std or 0.01)
        params.append(Dense(rng.normal(0.0, std, size=(d_out, d_in)), np.zeros(d_out)))
    return params


def _bug_variance_as_std(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        variance = {"he": 2 / d_in, "xavier": 2 / (d_in + d_out)}.get(init, (weight_std or 0.01) ** 2)
        params.append(Dense(rng.normal(0.0, variance, size=(d_in, d_out)), np.zeros(d_out)))
    return params


def _bug_uniform_limit(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        if init == "xavier":
            std = np.sqrt(6 / (d_in + d_out))  # the limit of the uniform variant
        elif init == "he":
            std = np.sqrt(2 / d_in)
        else:
            std = 0.01 if weight_std is None else weight_std
        params.append(Dense(rng.normal(0.0, std, size=(d_in, d_out)), np.zeros(d_out)))
    return params


def _bug_uniform_draws(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, weight_std or 0.01)
        limit = np.sqrt(3) * std  # the right std, but a uniform distribution
        params.append(Dense(rng.uniform(-limit, limit, size=(d_in, d_out)), np.zeros(d_out)))
    return params


def _bug_not_centred(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, weight_std or 0.01)
        params.append(Dense(rng.random((d_in, d_out)) * std, np.zeros(d_out)))  # all positive
    return params


def _bug_random_bias(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, weight_std or 0.01)
        params.append(Dense(rng.normal(0.0, std, size=(d_in, d_out)), rng.normal(0.0, std, size=d_out)))
    return params


def _bug_plain_tuple_layers(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, weight_std or 0.01)
        params.append((rng.normal(0.0, std, size=(d_in, d_out)), np.zeros(d_out)))
    return params


def _bug_float32(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, weight_std or 0.01)
        W = rng.normal(0.0, std, size=(d_in, d_out)).astype(np.float32)
        params.append(Dense(W, np.zeros(d_out, dtype=np.float32)))
    return params


def _bug_ignores_weight_std(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, 0.01)
        params.append(Dense(rng.normal(0.0, std, size=(d_in, d_out)), np.zeros(d_out)))
    return params


def _bug_one_layer_short(sizes, rng, init="he", weight_std=None):
    params = []
    for i in range(len(sizes) - 2):  # one pair too few
        d_in, d_out = sizes[i], sizes[i + 1]
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, weight_std or 0.01)
        params.append(Dense(rng.normal(0.0, std, size=(d_in, d_out)), np.zeros(d_out)))
    return params


def _bug_global_numpy_random(sizes, rng, init="he", weight_std=None):
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, weight_std or 0.01)
        params.append(Dense(np.random.normal(0.0, std, size=(d_in, d_out)), np.zeros(d_out)))  # noqa: NPY002
    return params


def _bug_own_fixed_seed(sizes, rng, init="he", weight_std=None):
    mine = np.random.default_rng(0)
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, weight_std or 0.01)
        params.append(Dense(mine.normal(0.0, std, size=(d_in, d_out)), np.zeros(d_out)))
    return params


def _bug_copy_of_the_generator(sizes, rng, init="he", weight_std=None):
    import copy

    draws = copy.deepcopy(rng)  # the caller's generator never moves on
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        std = {"he": np.sqrt(2 / d_in), "xavier": np.sqrt(2 / (d_in + d_out))}.get(init, weight_std or 0.01)
        params.append(Dense(draws.normal(0.0, std, size=(d_in, d_out)), np.zeros(d_out)))
    return params


_INIT_MLP_MISTAKES = (
    Mistake("He with fan_out", _bug_fan_out,
            "He with the wrong fan: you used fan_out = D_out = 100; He uses fan_in = D_in = 400"),
    Mistake("W transposed", _bug_transposed, "W has shape (100, 400) = (D_out, D_in), transposed"),
    Mistake("the variance used as the std", _bug_variance_as_std,
            "you used the variance 2 / D_in as the standard deviation"),
    Mistake("Xavier's uniform limit as the std", _bug_uniform_limit,
            "is the *limit* a of the uniform Xavier"),
    Mistake("uniform draws", _bug_uniform_draws, "do not look normally distributed (kurtosis 1.8"),
    Mistake("rng.random, not centred", _bug_not_centred, "should be centred on 0"),
    Mistake("random biases", _bug_random_bias, "b must start at zero"),
    Mistake("plain tuples", _bug_plain_tuple_layers, "not a plain tuple or list"),
    Mistake("float32 weights", _bug_float32, "W must be float64; got dtype float32"),
    Mistake("weight_std ignored", _bug_ignores_weight_std, "the weight_std=0.05 you were given was ignored"),
    Mistake("one layer short", _bug_one_layer_short, "expected a list of 1 Dense(W, b)"),
    Mistake("np.random instead of rng", _bug_global_numpy_random, "the same seed gave other weights"),
    Mistake("an own np.random.default_rng(0)", _bug_own_fixed_seed, "another seed gave the same weights"),
    Mistake("a copy of rng", _bug_copy_of_the_generator, "never drew from the rng it was given"),
)


def _ok_pairwise_and_match(sizes, rng, init="he", weight_std=None):
    import itertools

    params = []
    for d_in, d_out in itertools.pairwise(sizes):
        match init:
            case "he":
                std = (2 / d_in) ** 0.5
            case "xavier":
                std = (2 / (d_in + d_out)) ** 0.5
            case _:
                std = 0.01 if weight_std is None else weight_std
        params.append(Dense(W=rng.normal(loc=0.0, scale=std, size=(d_in, d_out)), b=np.zeros(d_out)))
    return params


def _ok_standard_normal_scaled(sizes, rng, init="he", weight_std=None):
    def std_of(d_in, d_out):
        if init == "he":
            return np.sqrt(2.0 / d_in)
        if init == "xavier":
            return np.sqrt(2.0 / (d_in + d_out))
        return 0.01 if weight_std is None else weight_std

    pairs = zip(sizes, sizes[1:], strict=False)  # noqa: RUF007 (as learners write it)
    return [Dense(std_of(a, b) * rng.standard_normal((a, b)), np.zeros(b)) for a, b in pairs]


def _ok_child_generator(sizes, rng, init="he", weight_std=None):
    child = np.random.default_rng(rng.integers(2**63))  # seeded from rng
    params = []
    for i in range(len(sizes) - 1):
        d_in, d_out = int(sizes[i]), int(sizes[i + 1])
        variance = 2 / d_in if init == "he" else 2 / (d_in + d_out) if init == "xavier" else None
        std = np.sqrt(variance) if variance is not None else (weight_std if weight_std is not None else 0.01)
        params.append(Dense(child.normal(0, std, (d_in, d_out)), np.zeros((d_out,))))
    return params


def _ok_math_and_while(sizes, rng, init="he", weight_std=None):
    import math

    params, i = [], 0
    while i + 1 < len(sizes):
        fan_in, fan_out = sizes[i], sizes[i + 1]
        std = {"he": math.sqrt(2 / fan_in), "xavier": math.sqrt(2 / (fan_in + fan_out)),
               "normal": 0.01 if weight_std is None else weight_std}[init]
        params.append(Dense(rng.normal(size=(fan_in, fan_out)) * std, np.zeros(fan_out, dtype=np.float64)))
        i += 1
    return params


def _ok_zeros_like(sizes, rng, init="he", weight_std=None):
    layers = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):  # noqa: RUF007 (as learners write it)
        W = np.zeros((d_in, d_out))
        if init == "he":
            W += rng.normal(0.0, np.sqrt(2 / d_in), size=W.shape)
        elif init == "xavier":
            W += rng.normal(0.0, np.sqrt(2 / (d_in + d_out)), size=W.shape)
        else:
            W += rng.normal(0.0, 0.01 if weight_std is None else weight_std, size=W.shape)
        layers.append(Dense(W, np.zeros_like(W[0])))
    return layers


_INIT_MLP_VARIANTS = (
    Variant("itertools.pairwise, a match statement, keyword arguments", _ok_pairwise_and_match),
    Variant("rng.standard_normal scaled by the std, a list comprehension", _ok_standard_normal_scaled),
    Variant("a child generator seeded from rng", _ok_child_generator),
    Variant("math.sqrt, a dict of stds, a while loop", _ok_math_and_while),
    Variant("draws added to zeros, b from np.zeros_like", _ok_zeros_like),
)


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
    return np.array([np.sqrt(np.sum(g.W**2)) for g in grads])[::-1]


def _bug_norms_as_list(grads):
    return [float(np.sqrt(np.sum(g.W**2))) for g in grads]


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
    Mistake(_NOT_AN_ARRAY, _bug_norms_as_list),
)


def _ok_linalg_norm(grads):
    return np.array([np.linalg.norm(g.W) for g in grads])


def _ok_norms_loop(grads):
    import math

    norms = np.zeros(len(grads))
    for i, (dW, _) in enumerate(grads):
        norms[i] = math.sqrt(float((dW * dW).sum()))
    return norms


def _ok_norms_einsum(grads):
    return np.array([np.sqrt(np.einsum("ij,ij->", g.W, g.W)) for g in grads])


def _ok_norms_ravel_dot(grads):
    return np.sqrt(np.array([g.W.ravel() @ g.W.ravel() for g in grads]))


def _ok_norms_fro(grads):
    return np.array([np.linalg.norm(g.W, "fro") for g in grads], dtype=np.float64)


_GRADIENT_NORMS_VARIANTS = (
    Variant("np.linalg.norm with its default", _ok_linalg_norm),
    Variant("a loop with math.sqrt, unpacking (dW, db)", _ok_norms_loop),
    Variant("np.einsum for the sum of squares", _ok_norms_einsum),
    Variant("the dot product of the flattened dW with itself", _ok_norms_ravel_dot),
    Variant("np.linalg.norm(dW, 'fro')", _ok_norms_fro),
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


def _bug_fractions_as_list(caches):
    return [float(np.mean(np.all(c.Z <= 0, axis=0))) for c in caches[:-1]]


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
    Mistake(_NOT_AN_ARRAY, _bug_fractions_as_list),
)


def _ok_from_the_next_input(caches):
    # relu(Z) <= 0 exactly when Z <= 0, and caches[i + 1].X = relu(caches[i].Z): also right.
    return np.array([np.mean(np.all(caches[i + 1].X <= 0, axis=0)) for i in range(len(caches) - 1)])


def _ok_never_positive(caches):
    return np.array([1.0 - np.mean(np.any(c.Z > 0, axis=0)) for c in caches[:-1]])


def _ok_column_max(caches):
    return np.array([float(np.sum(c.Z.max(axis=0) <= 0)) / c.Z.shape[1] for c in caches[:-1]])


def _ok_loop_over_units(caches):
    fractions = []
    for _, Z in caches[:len(caches) - 1]:
        dead = 0
        for j in range(Z.shape[1]):
            if (Z[:, j] <= 0).all():
                dead += 1
        fractions.append(dead / Z.shape[1])
    return np.array(fractions)


def _ok_count_nonzero(caches):
    hidden = caches[:-1]
    return np.array([np.count_nonzero(~(c.Z > 0).any(axis=0)) / c.Z.shape[-1] for c in hidden],
                    dtype=np.float64)


_DEAD_RELU_VARIANTS = (
    Variant("measured on the next layer's input, relu(Z)", _ok_from_the_next_input),
    Variant("1 - the fraction of units positive for some example", _ok_never_positive),
    Variant("the column maximum <= 0", _ok_column_max),
    Variant("a loop over the units", _ok_loop_over_units),
    Variant("np.count_nonzero of the dead mask", _ok_count_nonzero),
)


# --------------------------------------------------------------------------- #
# overfit_settings
# --------------------------------------------------------------------------- #

_LN10 = math.log(10)


def _overfit_cases(rng):
    return [Case(f"the 5-layer net, initial weights from seed {seed}", (seed,)) for seed in range(4)]


def _overfit_hidden_cases(rng):
    return [Case(f"the 5-layer net, initial weights from seed {seed}", (seed,)) for seed in (4, 5)]


def _verify_overfit_settings(case, received):
    parts = [received[k] for k in sorted(received)]
    if len(parts) != 2 or any(p.size != 1 for p in parts) or sorted(received) not in (["[0]", "[1]"],
                                                                                     [""]):
        if list(received) == [""] and received[""].shape == (2,):
            parts = list(received[""])
        else:
            return "return a pair of two numbers: (lr, weight_std)"
    lr, weight_std = (float(np.asarray(p).reshape(-1)[0]) for p in parts)
    for name, value in (("lr", lr), ("weight_std", weight_std)):
        if not (math.isfinite(value) and value > 0):
            return f"{name} must be a finite number > 0; got {name}={value:g}"
    seed = case.args[0]
    report = tiny_overfit(lr, weight_std, seed=seed)
    losses = report.losses
    said = (f"with lr={lr:g}, weight_std={weight_std:g}, the loss went from {losses[0]:.4g} to "
            f"{losses[-1]:.4g} in {TINY_STEPS} steps (training accuracy {report.accuracy:.2f})")
    if report.overfits:
        return None
    if losses[0] > 2 * _LN10:
        return (f"{said}: the initial loss is far above ln 10 = {_LN10:.3f}: the weights are too large, each "
                "layer multiplies the signal by about weight_std · sqrt(D_in) = "
                f"{weight_std * math.sqrt(32):.2g}"
                " and the logits start huge and confidently wrong; take a smaller weight_std")
    if not math.isfinite(losses[-1]) or losses[-1] > 1.5 * losses[0]:
        return f"{said}: the loss blew up: the learning rate is too large"
    if report.dead >= 0.9:
        return (f"{said}: {report.dead:.0%} of a hidden layer's ReLUs died: steps that large threw the "
                "weights where Z <= 0 for every example; take a smaller lr")
    if report.first_layer_norm < 1e-4:
        return (f"{said}: the signal vanishes through the 5 layers: with weight_std={weight_std:g} each "
                "layer "
                f"multiplies it by about {weight_std * math.sqrt(32):.2g} (weight_std · sqrt(D_in)), so the "
                f"first layer's gradient is {report.first_layer_norm:.1e} and nothing learns; take the std "
                "that keeps the signal's size, about sqrt(2 / D_in)")
    return (f"{said}: not memorised yet (the check asks for a loss below {TINY_TARGET} and every one of the "
            "20 right): the steps are too small, try a larger lr")


def _bug_tiny_weights():
    return 0.3, 0.01


def _bug_defaults_of_normal():
    return 0.01, 0.01


def _bug_too_large_steps():
    return 3.0, 0.2


def _bug_huge_weights():
    return 0.3, 1.0


def _bug_too_small_steps():
    return 0.01, 0.2


def _bug_negative_lr():
    return -0.3, 0.2


def _bug_zero_std():
    return 0.3, 0.0


def _bug_one_number():
    return 0.3


def _bug_three_numbers():
    return 0.3, 0.2, 150


_OVERFIT_MISTAKES = (
    Mistake("weights of std 0.01", _bug_tiny_weights, "the signal vanishes through the 5 layers"),
    Mistake("the defaults of a first try", _bug_defaults_of_normal, "the signal vanishes"),
    Mistake("lr 3", _bug_too_large_steps, "ReLUs died"),
    Mistake("weights of std 1", _bug_huge_weights, "the initial loss is far above ln 10"),
    Mistake("lr 0.01", _bug_too_small_steps, "not memorised yet"),
    Mistake("a negative lr", _bug_negative_lr, "lr must be a finite number > 0"),
    Mistake("std 0", _bug_zero_std, "weight_std must be a finite number > 0"),
    Mistake("one number", _bug_one_number, "return a pair of two numbers"),
    Mistake("three numbers", _bug_three_numbers, "return a pair of two numbers"),
)


def _ok_he_like():
    return 0.3, 0.2


def _ok_small_lr_larger_std():
    return 0.1, 0.25


def _ok_he_of_the_hidden_layers():
    return 0.2, float(np.sqrt(2 / 32))


def _ok_a_list():
    return [0.2, 0.3]


def _ok_an_array():
    return np.array([0.3, 0.22])


_OVERFIT_VARIANTS = (
    Variant("lr 0.3, std 0.2", _ok_he_like),
    Variant("lr 0.1, std 0.25", _ok_small_lr_larger_std),
    Variant("He's std of a 32-wide layer, as a numpy float", _ok_he_of_the_hidden_layers),
    Variant("a list", _ok_a_list),
    Variant("a numpy array of two", _ok_an_array),
)


EXERCISES = (
    Exercise(
        id="init_mlp",
        lesson="11",
        task="return one Dense(W, b) per pair of consecutive sizes: W drawn from rng with the init's "
        "standard deviation, b zeros",
        reference=init_mlp,
        make_cases=_init_mlp_cases,
        arg_names=("sizes", "rng"),
        prerequisites=("Dense",),
        verify=_verify_init_mlp,
        harness=init_runs,
        mistakes=_INIT_MLP_MISTAKES,
        variants=_INIT_MLP_VARIANTS,
        hints=(
            "One Dense(W, b) per pair of consecutive widths (D_in, D_out); only the standard deviation "
            "of W depends on `init`. Section 1 derived the *variance* each init needs; the std is its "
            "square root.",
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
        variants=_GRADIENT_NORMS_VARIANTS,
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
        variants=_DEAD_RELU_VARIANTS,
        hints=(
            "A unit is a column of Z (N, D). It is dead on this batch when its whole column is <= 0. "
            "The last cache is the output layer: skip it.",
            "For each cache in caches[:-1]: np.all(cache.Z <= 0, axis=0) is a boolean (D,) that marks "
            "the dead units; its mean is the fraction.",
            "return np.array([np.mean(np.all(c.Z <= 0, axis=0)) for c in caches[:-1]])",
        ),
    ),
    Exercise(
        id="overfit_settings",
        lesson="11",
        task="return the (lr, weight_std) you found that make the 5-layer net memorise its 20 digits",
        reference=overfit_settings,
        make_cases=_overfit_cases,
        hidden_cases=_overfit_hidden_cases,
        verify=_verify_overfit_settings,
        harness=without_arguments,
        mistakes=_OVERFIT_MISTAKES,
        variants=_OVERFIT_VARIANTS,
        hints=(
            "Run tiny_overfit(lr, weight_std) for a few settings and look at where the loss goes: stuck at "
            "ln 10, exploding, dying, or falling. Fix the weight scale first, then the learning rate.",
            "A weight std that keeps the signal's size through a ReLU layer of 32 inputs is He's, "
            "sqrt(2 / 32) = 0.25; with it, try learning rates between 0.05 and 1.",
            "For example: return 0.3, 0.2 (std 0.2, close to He's, and a moderate learning rate)",
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
            "b": "Going back through a sigmoid layer multiplies the gradient by σ'(Z) ≤ 1/4, and Xavier's "
            "weights, made for f'(0) = 1, do not make up for it: after k layers the signal has shrunk by "
            "about 4^k. A ReLU zeroes about half of the entries instead, and He's factor 2 makes up for "
            "exactly that, so a ReLU net with He init keeps its layers' gradients comparable.",
            "c": "There is no ReLU in this network, so no unit can be dead. A dead unit also gives exactly "
            "zero gradient for its own column, not a steady shrinking layer after layer.",
            "d": "The initial loss tells you whether the outputs start sensible; it says nothing about how "
            "the gradient changes from one layer to the next.",
        },
    ),
    Question(
        id="q11_2",
        lesson="11",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="c",
        feedback={
            "a": "Unscaled inputs show before the first step, as an initial loss far above ln 10; run A "
            "starts at 2.71, in the range a fresh He-initialized net starts at. Its test accuracy is "
            "the symptom: at chance, however its training goes.",
            "b": "A learning rate that kills the ReLUs leaves the units dead and the net unable to overfit "
            "even 20 examples; run A's units stay alive and it memorises its 20 examples perfectly.",
            "c": "Right: run A starts normally and memorises 20 of its examples like a healthy run, but its "
            "test accuracy stays at chance (0.10 for ten classes) or below. A network can memorise any "
            "labels; only new images show that these labels do not belong to their images. Looking at a "
            "batch, images beside their labels, catches it before any training.",
            "d": "Its training accuracy rises, but its test accuracy stays at chance (about 0.1 for ten "
            "classes): what it learned does not hold for new images. Something is wrong.",
        },
    ),
    Question(
        id="q11_3",
        lesson="11",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "Mispaired labels would still let the net memorise 20 examples (section 5 showed it does, "
            "shuffled labels or not); run B cannot, and its units are dead.",
            "b": "Right: run B starts normally (initial loss 2.43), but it cannot even memorise 20 examples, "
            "and after training every unit of its hidden layer is dead. Its learning rate threw the weights "
            "where Z <= 0 for every example; a smaller one fixes it.",
            "c": "Unscaled inputs show before the first step, as an initial loss far above ln 10; run B's is "
            "2.43.",
            "d": "Run B cannot memorise 20 examples and its test accuracy is at chance: it is broken.",
        },
    ),
    Question(
        id="q11_4",
        lesson="11",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="a",
        feedback={
            "a": "Right: C's initial loss is far above ln 10 before a single step: its pixels run from 0 to "
            "16, so the logits start large and confidently wrong. Its units then die too, but that follows "
            "from the first symptom: fix the first thing that goes wrong first.",
            "b": "Mispaired labels do not change the initial loss: it would start near ln 10. C's starts far "
            "above.",
            "c": "C's ReLUs do die, but look at the initial loss first: it is far above ln 10 before any "
            "step, which no learning rate can cause. The dead units follow from the huge first steps.",
            "d": "C's loss starts far above ln 10 and its accuracy stays at chance: it is broken.",
        },
    ),
)
