"""Exercises and concept questions of lesson 02, activation functions.

The exercises with stability cases are ``strict_float``: the learner's function
runs with numpy's overflow turned into an error. ``1 / (1 + np.exp(-z))``
returns the right numbers at z = -1000, but only after ``np.exp(1000)``
overflowed with a RuntimeWarning; the learner sees ``FloatingPointError:
overflow encountered in exp`` on their own line instead of a pass. Underflow
(``np.exp(-1000)`` is 0.0) is harmless and stays allowed.
"""

import numpy as np

from nnlib.activations import (
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    tanh,
    tanh_derivative,
)
from nnlib.exercises import Case, Exercise, Mistake, Question

#: z of the stability cases: exp(±1000) and exp(±1e4) overflow float64 (the limit is about 709.78)
_HUGE = ((-1e4, -1000.0, -30.0, 0.0), (30.0, 1000.0, 1e4, -745.0))
_STABILITY = "z = ±1000 and ±1e4: exp must not overflow"


def _elementwise_cases(rng, kink=False, float32_scale=3.0, stability=_STABILITY):
    """Cases shared by every elementwise activation and derivative.

    ``kink`` adds exact zeros, where ReLU's derivative is 0 by our convention.
    """
    cases = [
        Case("3x4 ordinary values", (rng.normal(size=(3, 4)) * 3,)),
        Case("1-D input", (rng.normal(size=5) * 3,)),
        Case("batch of 1", (rng.normal(size=(1, 4)) * 3,)),
    ]
    if kink:
        cases.append(Case("zeros: the kink at z = 0, where we choose f'(0) = 0", (np.zeros((2, 3)),)))
        mixed = rng.normal(size=(3, 5))
        mixed[:, ::2] = 0.0
        cases.append(Case("exact zeros mixed with other values (f'(0) = 0)", (mixed,)))
    else:
        cases.append(Case("zeros", (np.zeros((2, 3)),)))
    cases += [
        Case(stability, (np.array(_HUGE),)),
        # away from 0, where float32 rounding of a different but correct formula stays below rtol
        Case("float32 stays float32",
             ((rng.uniform(0.5, float32_scale, size=(2, 3)) * rng.choice([-1, 1], size=(2, 3)))
              .astype(np.float32),)),
    ]
    return cases


def _sigmoid_cases(rng):
    return _elementwise_cases(rng)


def _tanh_cases(rng):
    return _elementwise_cases(rng)


def _relu_cases(rng):
    return _elementwise_cases(rng, stability="large magnitudes ±1000 and ±1e4")


def _derivative_cases(rng):
    # float32: |z| <= 1.5, where 1 - tanh(z)^2 is not a difference of two nearly equal numbers
    return _elementwise_cases(rng, float32_scale=1.5)


def _relu_derivative_cases(rng):
    return _elementwise_cases(rng, kink=True, stability="large magnitudes ±1000 and ±1e4")


def _softmax_cases(rng):
    return [
        Case("4 examples, 3 classes (each row sums to 1)", (rng.normal(size=(4, 3)) * 2,)),
        Case("1-D input: one vector of scores", (rng.normal(size=5) * 2,)),
        Case("batch of 1", (rng.normal(size=(1, 6)) * 2,)),
        Case("axis=0: softmax down each column", (rng.normal(size=(3, 5)) * 2,), {"axis": 0}),
        Case("3-D input, axis=1", (rng.normal(size=(2, 4, 3)) * 2,), {"axis": 1}),
        Case("logits of 1000 and ±1e4: exp must not overflow (shift by the max)",
             (np.array([[1000.0, 999.0, 990.0], [-1e4, 1000.0, 0.0]]),)),
        Case("rows on very different scales: shift each row by its own max",
             (np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0], [1.0, 2.0, 3.0]]),)),
        Case("equal logits: a uniform distribution", (np.full((2, 4), 7.0),)),
        Case("float32 stays float32", ((rng.normal(size=(3, 4)) * 2).astype(np.float32),)),
    ]


# Conceptual slips that give plain wrong numbers (overflow, dtype and shape slips are
# reported by check() itself). Stable formulas, so that only the slip differs.
_SIGMOID_MISTAKES = (
    Mistake("the sign of the exponent is flipped: this is σ(-z); σ(z) = 1 / (1 + e^(-z)) is near 1 for "
            "large positive z", lambda z: sigmoid(-z)),
)
_TANH_MISTAKES = (
    Mistake("this is the sigmoid σ(z), which lies in (0, 1); tanh lies in (-1, 1): "
            "tanh(z) = (e^z - e^(-z)) / (e^z + e^(-z))", sigmoid),
    Mistake("the 2 inside is missing: tanh(z) = 2 σ(2z) - 1, not 2 σ(z) - 1", lambda z: 2 * sigmoid(z) - 1),
)
_RELU_MISTAKES = (
    Mistake("negative values became positive (|z|?): ReLU replaces them by 0, max(0, z)", np.abs),
)
_SOFTMAX_MISTAKES = (
    Mistake("the exponentials were divided by the sum over the whole array; each row (each slice along "
            "axis) must sum to 1: exps.sum(axis=axis, keepdims=True)",
            lambda z, axis=-1: softmax(z.reshape(-1)).reshape(z.shape)),
    Mistake("softmax was taken along the last axis whatever axis was asked for: pass axis to max and sum",
            lambda z, axis=-1: softmax(z, axis=-1)),
)
_SIGMOID_DERIVATIVE_MISTAKES = (
    Mistake("this is σ(z) itself, not its slope: σ'(z) = σ(z) (1 - σ(z))", sigmoid),
    Mistake("1 - σ(z)² is tanh's rule (1 - tanh²); the sigmoid's is σ(z) (1 - σ(z))",
            lambda z: 1 - sigmoid(z) ** 2),
    Mistake("s (1 - s) was applied to z itself: compute s = sigmoid(z) first, then s * (1 - s)",
            lambda z: z * (1 - z)),
)
_TANH_DERIVATIVE_MISTAKES = (
    Mistake("the square is missing: tanh'(z) = 1 - tanh(z)², not 1 - tanh(z)", lambda z: 1 - tanh(z)),
    Mistake("1 - t² was applied to z itself: compute t = tanh(z) first, then 1 - t * t",
            lambda z: 1 - z * z),
)
_RELU_DERIVATIVE_MISTAKES = (
    Mistake("negative z gave -1 (np.sign?): the slope of max(0, z) is 0 for z < 0", np.sign),
    Mistake("this is relu(z) itself, not its slope: 1 where z > 0, else 0", relu),
)


EXERCISES = (
    Exercise(
        id="sigmoid",
        strict_float=True,
        lesson="02",
        task="return 1 / (1 + exp(-z)) elementwise without overflow, same shape and dtype",
        reference=sigmoid,
        make_cases=_sigmoid_cases,
        arg_names=("z",),
        rtol=1e-6,  # float32 case
        mistakes=_SIGMOID_MISTAKES,
        hints=(
            "np.exp(1000) overflows to inf (numpy warns, and check() counts that as a failure), "
            "so never exponentiate a large positive number: only ever call np.exp on -|z|, "
            "which is <= 0.",
            "With u = np.exp(-np.abs(z)): for z >= 0, σ(z) = 1 / (1 + u); for z < 0, "
            "σ(z) = u / (1 + u). np.where(condition, a, b) picks a or b elementwise.",
            "u = np.exp(-np.abs(z)); return np.where(z >= 0, 1 / (1 + u), u / (1 + u))",
        ),
    ),
    Exercise(
        id="tanh",
        strict_float=True,
        lesson="02",
        task="return (exp(z) - exp(-z)) / (exp(z) + exp(-z)) elementwise without overflow",
        reference=tanh,
        make_cases=_tanh_cases,
        arg_names=("z",),
        rtol=1e-6,  # float32 case
        mistakes=_TANH_MISTAKES,
        hints=(
            "As written, the formula overflows at z = 1000 (e^1000 is inf, and inf / inf is NaN). "
            "Divide the numerator and the denominator by e^|z|, so that only e^(-2|z|) <= 1 remains.",
            "tanh is odd: tanh(z) = sign(z) * tanh(|z|), and tanh(|z|) = (1 - u) / (1 + u) with "
            "u = np.exp(-2 * np.abs(z)). (Also true: tanh(z) = 2 σ(2z) - 1, with your stable sigmoid.)",
            "u = np.exp(-2 * np.abs(z)); return np.sign(z) * (1 - u) / (1 + u)",
        ),
    ),
    Exercise(
        id="relu",
        lesson="02",
        task="return max(0, z) elementwise, same shape and dtype",
        reference=relu,
        make_cases=_relu_cases,
        arg_names=("z",),
        mistakes=_RELU_MISTAKES,
        hints=(
            "Keep each positive value and replace each negative value by 0. Careful: np.max reduces "
            "an array to its largest entry; you want the elementwise maximum.",
            "np.maximum(a, b) compares two arrays (or an array and a number) entry by entry and keeps "
            "the larger; it returns a new array and keeps z's dtype.",
            "return np.maximum(z, 0)",
        ),
    ),
    Exercise(
        id="softmax",
        strict_float=True,
        lesson="02",
        task="return exp(z) / sum(exp(z)) along axis, shifted by the max so nothing overflows",
        reference=softmax,
        make_cases=_softmax_cases,
        arg_names=("z",),
        rtol=1e-6,  # float32 case
        mistakes=_SOFTMAX_MISTAKES,
        hints=(
            "Softmax is unchanged when the same number is subtracted from every score along the axis: "
            "shift by the max first (z - z.max(...)), so the largest exponent is e^0 = 1 and "
            "np.exp cannot overflow.",
            "Use z.max(axis=axis, keepdims=True) and exps.sum(axis=axis, keepdims=True): keepdims keeps "
            "the reduced axis with length 1, so the result broadcasts against z for any axis and for "
            "1-D input.",
            "exps = np.exp(z - z.max(axis=axis, keepdims=True)); "
            "return exps / exps.sum(axis=axis, keepdims=True)",
        ),
    ),
    Exercise(
        id="sigmoid_derivative",
        strict_float=True,
        lesson="02",
        task="return σ'(z) = σ(z) (1 - σ(z)) elementwise",
        reference=sigmoid_derivative,
        make_cases=_derivative_cases,
        arg_names=("z",),
        prerequisites=("sigmoid",),
        rtol=1e-6,  # float32 case
        mistakes=_SIGMOID_DERIVATIVE_MISTAKES,
        hints=(
            "The sigmoid's derivative can be written with the sigmoid itself, and you have just "
            "written a sigmoid that never overflows: reuse it.",
            "Compute s = sigmoid(z) once; σ'(z) = s (1 - s). It is 1/4 at z = 0 and tiny for |z| > 5.",
            "s = sigmoid(z); return s * (1 - s)",
        ),
    ),
    Exercise(
        id="tanh_derivative",
        strict_float=True,
        lesson="02",
        task="return 1 - tanh(z)**2 elementwise",
        reference=tanh_derivative,
        make_cases=_derivative_cases,
        arg_names=("z",),
        prerequisites=("tanh",),
        rtol=1e-6,  # float32 case
        mistakes=_TANH_DERIVATIVE_MISTAKES,
        hints=(
            "Like the sigmoid's, tanh's derivative is a function of tanh(z) itself, and your tanh "
            "never overflows (1 / cosh(z)**2 is correct on paper, but cosh(1000) overflows).",
            "Compute t = tanh(z) once; tanh'(z) = 1 - t². It is 1 at z = 0 and tiny for |z| > 3.",
            "t = tanh(z); return 1 - t * t",
        ),
    ),
    Exercise(
        id="relu_derivative",
        lesson="02",
        task="return 1 where z > 0 and 0 elsewhere (also at z = 0), in z's dtype",
        reference=relu_derivative,
        make_cases=_relu_derivative_cases,
        arg_names=("z",),
        mistakes=_RELU_DERIVATIVE_MISTAKES,
        hints=(
            "The slope of max(0, z) is 1 for z > 0 and 0 for z < 0. At the kink z = 0 there is no "
            "derivative; by our convention f'(0) = 0, so the test is z > 0, not z >= 0.",
            "The comparison z > 0 gives a boolean array; .astype(z.dtype) turns True/False into "
            "1.0/0.0 and keeps float32 input float32.",
            "return (z > 0).astype(z.dtype)",
        ),
    ),
)


QUESTIONS = (
    Question(
        id="q02_1",
        lesson="02",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "A probability matters at the output of a binary classifier, not in hidden layers. And "
            "there the sigmoid hurts: σ'(z) <= 1/4 scales the learning signal at every layer, so the "
            "sigmoid factors alone shrink it at least 4-fold per layer (10 layers: 0.25^10 ≈ 1e-6).",
            "b": "A ReLU passes the learning signal of an active unit on unchanged (f'(z) = 1 for z > 0) "
            "and never saturates for large z; it is also the cheapest to compute. That is why it is the "
            "default for hidden layers.",
            "c": "Softmax belongs to the output layer of a multi-class classifier: it turns scores into "
            "probabilities that sum to 1. Hidden units have no reason to sum to 1, and tying them "
            "together makes each unit's output depend on all the others.",
            "d": "Its derivative is 1, but without a nonlinearity the 10 layers collapse into one linear "
            "layer (section 1): the network could only ever draw straight decision boundaries.",
        },
    ),
)
