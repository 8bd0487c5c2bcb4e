"""Exercises and concept questions of lesson 02, activation functions.

The exercises with stability cases are ``strict_float``: the learner's function
runs with numpy's overflow turned into an error. ``1 / (1 + np.exp(-z))``
returns the right numbers at z = -1000, but only after ``np.exp(1000)``
overflowed with a RuntimeWarning; the learner sees ``FloatingPointError:
overflow encountered in exp`` on their own line instead of a pass. Underflow
(``np.exp(-1000)`` is 0.0) is harmless and stays allowed.

What each check demands, as the lesson states next to each exercise:

- the result keeps z's shape and float dtype (float32 stays float32);
- nothing overflows for |z| up to 1e4 (the strict exercises);
- float64 values agree with the reference within ``rtol`` (relative) or ``atol``
  (absolute); float32 values within 1e-5 relative or 1e-6 absolute. ``tanh`` has
  ``atol = 0``: it must be accurate *relative* to tiny results too (z = 1e-17), which
  ``1 - e^(-2|z|)`` is not; the derivatives have ``atol = 1e-10``, which the taught
  formulas σ(1 - σ) and 1 - tanh² meet everywhere (measured in tests/test_lesson02.py).

Every known mistake and correct variant below is a module-level function written as a
learner would write it, using only numpy, Python and the exercise's prerequisites: the
bank test grades its source text in the grader's sandbox, where nothing else exists.
"""

import numpy as np

from nnlib.activations import (
    collapse_linear,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    softmax_jacobian,
    tanh,
    tanh_derivative,
    two_class_logit,
)
from nnlib.exercises import Case, Exercise, Mistake, Question, Variant

#: z of the stability cases: exp(±1000) and exp(±1e4) overflow float64 (the limit is about 709.78)
_HUGE = ((-1e4, -1000.0, -30.0, 0.0), (30.0, 1000.0, 1e4, -745.0))
_STABILITY = "z = ±1000 and ±1e4: exp must not overflow"
#: z of tanh's accuracy case: 1 - e^(-2|z|) has lost 4 to all 16 digits here
_TINY = ((1e-17, -3e-12, 1e-10, 2e-8), (-5e-6, 1e-300, -1e-3, 0.0))
OVERFLOW = "overflow encountered"  # what check() prints for a formula that overflows


def _signed(rng, low, high, shape, dtype=np.float64):
    return (rng.uniform(low, high, size=shape) * rng.choice([-1, 1], size=shape)).astype(dtype)


def _elementwise_cases(rng, kink=False, float32_high=3.0, stability=_STABILITY, extra=()):
    """Cases shared by every elementwise activation and derivative.

    ``kink`` adds exact zeros, where ReLU's derivative is 0 by our convention;
    ``extra`` (name, z) cases come last.
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
        Case("float32 stays float32", (_signed(rng, 0.05, float32_high, (2, 4), np.float32),)),
    ]
    return cases + [Case(name, (np.array(z),)) for name, z in extra]


def _sigmoid_cases(rng):
    return _elementwise_cases(rng)


def _tanh_cases(rng):
    return _elementwise_cases(rng, extra=[("tiny |z| from 1e-300 to 1e-3: accurate relative to tanh(z) ≈ z",
                                           _TINY)])


def _relu_cases(rng):
    return _elementwise_cases(rng, stability="large magnitudes ±1000 and ±1e4")


def _derivative_cases(rng):
    # float32 up to |z| = 8: σ(1 - σ) and 1 - tanh² lose relative digits there, but stay within 1e-6
    small_slopes = _signed(rng, 2.0, 12.0, (2, 5))
    return _elementwise_cases(rng, float32_high=8.0,
                              extra=[("|z| from 2 to 12, where the slope is small", small_slopes)])


def _relu_derivative_cases(rng):
    return _elementwise_cases(rng, kink=True, stability="large magnitudes ±1000 and ±1e4")


# --------------------------------------------------------------------------- sigmoid


def _sig_sign_flipped(z):
    u = np.exp(-np.abs(z))
    return np.where(z >= 0, u / (1 + u), 1 / (1 + u))


def _sig_naive(z):
    return 1 / (1 + np.exp(-z))


def _sig_naive_other_form(z):
    return np.exp(z) / (1 + np.exp(z))


def _sig_naive_errstate_silenced(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def _sig_naive_seterr_silenced(z):
    np.seterr(all="ignore")
    return 1 / (1 + np.exp(-z))


def _sig_of_abs(z):
    return 1 / (1 + np.exp(-np.abs(z)))


def _sig_one_missing(z):
    return 1 / np.exp(-z)


def _sig_tanh_without_half(z):
    return 0.5 * (1 + np.tanh(z))


def _sig_clipped_too_tightly(z):
    z = np.clip(z, -20, 20)
    return 1 / (1 + np.exp(-z))


_SIGMOID_MISTAKES = (
    Mistake("the sign of the exponent is flipped: this is σ(-z); σ(z) = 1 / (1 + e^(-z)) is near 1 for "
            "large positive z", _sig_sign_flipped),
    Mistake("1 / (1 + np.exp(-z)) overflows at z = -1000", _sig_naive, expect=OVERFLOW),
    Mistake("np.exp(z) / (1 + np.exp(z)) overflows at z = 1000", _sig_naive_other_form, expect=OVERFLOW),
    Mistake("np.errstate(over='ignore') hides the overflow instead of avoiding it: exponentiate only "
            "-|z| <= 0", _sig_naive_errstate_silenced, expect=OVERFLOW),
    Mistake("np.seterr(all='ignore') hides the overflow instead of avoiding it: exponentiate only "
            "-|z| <= 0", _sig_naive_seterr_silenced, expect=OVERFLOW),
    Mistake("for z < 0 this is σ(|z|) = 1 - σ(z): that branch needs e^(-|z|) / (1 + e^(-|z|))", _sig_of_abs),
    Mistake("the 1 + is missing: σ(z) = 1 / (1 + e^(-z)), not 1 / e^(-z)", _sig_one_missing),
    Mistake("the 1/2 inside is missing: σ(z) = (1 + tanh(z / 2)) / 2", _sig_tanh_without_half),
    Mistake("np.clip to ±20 changes the answer: σ(-30) ≈ 9e-14, but σ(-20) ≈ 2e-9; only e^(-|z|) "
            "avoids the overflow without changing any value", _sig_clipped_too_tightly),
)


def _sig_masks(z):
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1 + e)
    return out


def _sig_tanh(z):
    return 0.5 * (1 + np.tanh(z / 2))


def _sig_logaddexp(z):
    return np.exp(-np.logaddexp(0, -z))


def _sig_loop(z):
    import math

    values = []
    for zi in z.flat:
        if zi >= 0:
            values.append(1 / (1 + math.exp(-zi)))
        else:
            values.append(math.exp(zi) / (1 + math.exp(zi)))
    return np.array(values, dtype=z.dtype).reshape(z.shape)


def _sig_clipped_safely(z):
    z = np.clip(z, -700, 700)  # exp(700) is still finite, and σ(±700) rounds to 0 or 1 anyway
    return 1 / (1 + np.exp(-z))


def _sig_strict_greater(z):
    u = np.exp(-np.abs(z))
    return np.where(z > 0, 1 / (1 + u), u / (1 + u))


def _sig_float64(z):
    u = np.exp(-np.abs(z.astype(np.float64)))
    return np.where(z >= 0, 1 / (1 + u), u / (1 + u))


_SIGMOID_VARIANTS = (
    Variant("boolean masks filling np.empty_like", _sig_masks),
    Variant("(1 + tanh(z / 2)) / 2 with np.tanh", _sig_tanh),
    Variant("exp(-logaddexp(0, -z))", _sig_logaddexp),
    Variant("a loop with math.exp and both branches", _sig_loop),
    Variant("np.clip to ±700, then the textbook formula", _sig_clipped_safely),
    Variant("z > 0 instead of z >= 0 in np.where", _sig_strict_greater),
    Variant("float64 result for float32 input", _sig_float64),
)


# --------------------------------------------------------------------------- tanh

_CANCELS = ("near 0 this subtracts two nearly equal numbers (1 - e^(-2|z|), or 2σ(2z) - 1) and loses the "
            "relative precision: at z = 1e-17 it gives 0. Compute 1 - u as -np.expm1(-2|z|)")


def _tanh_is_sigmoid(z):
    return sigmoid(z)


def _tanh_two_missing(z):
    return 2 * sigmoid(z) - 1


def _tanh_loses_digits(z):
    u = np.exp(-2 * np.abs(z))
    return np.sign(z) * (1 - u) / (1 + u)


def _tanh_via_sigmoid(z):
    return 2 * sigmoid(2 * z) - 1


def _tanh_naive(z):
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))


def _tanh_no_abs(z):
    u = np.exp(-2 * z)
    return (1 - u) / (1 + u)


def _tanh_sign_lost(z):
    m = np.expm1(-2 * np.abs(z))
    return -m / (2 + m)


def _tanh_denominator_missing(z):
    return np.sign(z) * -np.expm1(-2 * np.abs(z))


def _tanh_sinh_over_cosh(z):
    return np.sinh(z) / np.cosh(z)


def _tanh_one_plus_m(z):
    m = np.expm1(-2 * np.abs(z))
    return np.sign(z) * -m / (1 + m)


_TANH_MISTAKES = (
    Mistake("this is the sigmoid σ(z), which lies in (0, 1); tanh lies in (-1, 1): "
            "tanh(z) = (e^z - e^(-z)) / (e^z + e^(-z))", _tanh_is_sigmoid),
    Mistake("this is tanh(z / 2): the 2 inside is missing, tanh(z) = 2 σ(2z) - 1 (and u = e^(-2|z|), "
            "not e^(-|z|))", _tanh_two_missing),
    Mistake(_CANCELS, _tanh_loses_digits),
    Mistake(_CANCELS, _tanh_via_sigmoid),
    Mistake("the textbook formula overflows at z = 1000 (inf / inf)", _tanh_naive, expect=OVERFLOW),
    Mistake("e^(-2z) without the absolute value overflows for z = -1000", _tanh_no_abs, expect=OVERFLOW),
    Mistake("the sign is lost: tanh is odd, tanh(-z) = -tanh(z); multiply tanh(|z|) by the sign of z",
            _tanh_sign_lost),
    Mistake("the denominator is missing: tanh(|z|) = (1 - u) / (1 + u), and -expm1(-2|z|) is only 1 - u",
            _tanh_denominator_missing),
    Mistake("np.sinh(z) / np.cosh(z) overflows at z = 1000", _tanh_sinh_over_cosh, expect=OVERFLOW),
    Mistake("with m = expm1(-2|z|) = u - 1, the denominator 1 + u is 2 + m, not 1 + m", _tanh_one_plus_m),
)


def _tanh_numpy(z):
    return np.tanh(z)


def _tanh_guarded_sign(z):
    sign = np.where(z == 0, 0.0, z / np.abs(z))
    m = np.expm1(-2 * np.abs(z))
    return (sign * -m / (2 + m)).astype(z.dtype)


def _tanh_where_odd(z):
    m = np.expm1(-2 * np.abs(z))
    t = -m / (2 + m)
    return np.where(z >= 0, t, -t)


def _tanh_series_near_zero(z):
    u = np.exp(-2 * np.abs(z))
    far = np.sign(z) * (1 - u) / (1 + u)
    return np.where(np.abs(z) < 1e-4, z - z**3 / 3, far)


def _tanh_loop(z):
    import math

    return np.array([math.tanh(v) for v in z.flat], dtype=z.dtype).reshape(z.shape)


def _tanh_clipped_sinh_cosh(z):
    z = np.clip(z, -20, 20)  # tanh(20) = 1 - 8e-18 rounds to 1.0, like tanh(1000)
    return np.sinh(z) / np.cosh(z)


def _tanh_float64(z):
    return np.tanh(z.astype(np.float64))


_TANH_VARIANTS = (
    Variant("np.tanh", _tanh_numpy),
    Variant("np.where(z == 0, 0, z / np.abs(z)) as the sign, with expm1", _tanh_guarded_sign),
    Variant("np.where(z >= 0, t, -t) for the odd symmetry", _tanh_where_odd),
    Variant("the series z - z³/3 below |z| = 1e-4, e^(-2|z|) above", _tanh_series_near_zero),
    Variant("a loop with math.tanh", _tanh_loop),
    Variant("np.clip to ±20, then sinh / cosh (accurate near 0)", _tanh_clipped_sinh_cosh),
    Variant("float64 result for float32 input", _tanh_float64),
)


# --------------------------------------------------------------------------- relu


def _relu_abs(z):
    return np.abs(z)


def _relu_max_reduces(z):
    return np.max(z, 0)


def _relu_mask_only(z):
    return z > 0


def _relu_negative_part(z):
    return np.minimum(z, 0)


def _relu_capped(z):
    return np.clip(z, 0, 6)


def _relu_leaky(z):
    return np.where(z > 0, z, 0.01 * z)


def _relu_squared(z):
    return np.maximum(z, 0) ** 2


def _relu_of_minus_z(z):
    return np.maximum(-z, 0)


_RELU_MISTAKES = (
    Mistake("negative values became positive (|z|?): ReLU replaces them by 0, max(0, z)", _relu_abs),
    Mistake("np.max(z, 0) is the largest entry of each column (a reduction): the elementwise maximum is "
            "np.maximum(z, 0)", _relu_max_reduces),
    Mistake("this is the mask z > 0 (True/False), the derivative's idea: ReLU keeps the value z itself "
            "where z > 0", _relu_mask_only),
    Mistake("the negative part was kept: ReLU keeps the positive part, max(0, z)", _relu_negative_part),
    Mistake("capped at 6 (ReLU6, from MobileNet): the course's ReLU has no upper limit, max(0, z)",
            _relu_capped),
    Mistake("this is a leaky ReLU (0.01 z for z < 0): the course's ReLU gives exactly 0 there", _relu_leaky),
    Mistake("this is the squared ReLU, max(0, z)²: ReLU keeps z itself where z > 0", _relu_squared),
    Mistake("max(0, -z) flips the sign: ReLU is max(0, z)", _relu_of_minus_z),
)


def _relu_times_mask(z):
    return z * (z > 0)


def _relu_half_sum(z):
    return (z + np.abs(z)) / 2


def _relu_where(z):
    return np.where(z > 0, z, 0)


def _relu_clip_method(z):
    return z.clip(min=0)


def _relu_copy_then_zero(z):
    out = z.copy()
    out[out < 0] = 0
    return out


def _relu_loop(z):
    out = np.zeros_like(z)
    for i, v in enumerate(z.flat):
        out.flat[i] = v if v > 0 else 0.0
    return out


def _relu_float64(z):
    return np.maximum(z, 0).astype(float)


_RELU_VARIANTS = (
    Variant("z * (z > 0)", _relu_times_mask),
    Variant("(z + |z|) / 2", _relu_half_sum),
    Variant("np.where(z > 0, z, 0)", _relu_where),
    Variant("z.clip(min=0)", _relu_clip_method),
    Variant("a copy with the negatives set to 0", _relu_copy_then_zero),
    Variant("a loop filling np.zeros_like", _relu_loop),
    Variant("float64 result for float32 input", _relu_float64),
)


# --------------------------------------------------------------------------- softmax


def _softmax_cases(rng):
    return [
        Case("4 examples, 3 classes (each row sums to 1)", (rng.normal(size=(4, 3)) * 2,)),
        Case("1-D input: one vector of scores", (rng.normal(size=5) * 2,)),
        Case("batch of 1", (rng.normal(size=(1, 6)) * 2,)),
        Case("axis=0: softmax down each column", (rng.normal(size=(3, 5)) * 2,), {"axis": 0}),
        Case("3-D input, axis=1", (rng.normal(size=(2, 4, 3)) * 2,), {"axis": 1}),
        Case("logits of 1000 and ±1e4: exp must not overflow",
             (np.array([[1000.0, 999.0, 990.0], [-1e4, 1000.0, 0.0]]),)),
        Case("rows on very different scales: each row needs its own shift",
             (np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0], [1.0, 2.0, 3.0]]),)),
        Case("equal logits: a uniform distribution", (np.full((2, 4), 7.0),)),
        Case("float32 stays float32", ((rng.normal(size=(3, 4)) * 2).astype(np.float32),)),
    ]


def _softmax_whole_array(z, axis=-1):
    exps = np.exp(z - z.max())
    return exps / exps.sum()


def _softmax_ignores_axis(z, axis=-1):
    exps = np.exp(z - z.max(axis=-1, keepdims=True))
    return exps / exps.sum(axis=-1, keepdims=True)


def _softmax_no_shift(z, axis=-1):
    exps = np.exp(z)
    return exps / exps.sum(axis=axis, keepdims=True)


def _softmax_global_max(z, axis=-1):
    exps = np.exp(z - z.max())
    return exps / exps.sum(axis=axis, keepdims=True)


def _softmax_no_keepdims(z, axis=-1):
    exps = np.exp(z - z.max(axis=axis))
    return exps / exps.sum(axis=axis)


def _softmax_axis_one(z, axis=-1):
    exps = np.exp(z - z.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def _softmax_not_normalised(z, axis=-1):
    return np.exp(z - z.max(axis=axis, keepdims=True))


def _softmax_shift_by_min(z, axis=-1):
    exps = np.exp(z - z.min(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)


def _softmax_log(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _softmax_no_exp(z, axis=-1):
    return z / z.sum(axis=axis, keepdims=True)


def _softmax_sum_other_axis(z, axis=-1):
    exps = np.exp(z - z.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=0, keepdims=True)


def _softmax_shift_numerator_only(z, axis=-1):
    return np.exp(z - z.max(axis=axis, keepdims=True)) / np.exp(z).sum(axis=axis, keepdims=True)


_SOFTMAX_MISTAKES = (
    Mistake("the exponentials were divided by the sum over the whole array; each row (each slice along "
            "axis) must sum to 1: sum along axis, with keepdims=True", _softmax_whole_array),
    Mistake("softmax was taken along the last axis whatever axis was asked for: pass axis to max and sum",
            _softmax_ignores_axis),
    Mistake("np.exp(z) overflows for logits of 1000", _softmax_no_shift, expect=OVERFLOW),
    Mistake("one max for the whole array leaves a row far below it at exp = 0 everywhere, and 0 / 0",
            _softmax_global_max),
    Mistake("without keepdims the reduced axis vanishes and the shapes do not broadcast",
            _softmax_no_keepdims, expect="operands could not be broadcast"),
    Mistake("axis=1 was hard-coded: a 1-D input has no axis 1", _softmax_axis_one, expect="raised AxisError"),
    Mistake("the exponentials were never normalised: divide them by their sum along axis",
            _softmax_not_normalised),
    Mistake("shifting by the min makes every exponent >= 0, and the largest overflows: shift by the max",
            _softmax_shift_by_min, expect=OVERFLOW),
    Mistake("this is log-softmax (z minus its log-sum-exp): exponentiate the shifted scores, then normalise",
            _softmax_log),
    Mistake("the exponential is missing: softmax normalises e^z, not z", _softmax_no_exp),
    Mistake("the sum runs along axis 0 while the max runs along axis: use the same axis for both",
            _softmax_sum_other_axis),
    Mistake("only the numerator was shifted: subtract the same max in the denominator too (then the "
            "e^(-max) cancels)", _softmax_shift_numerator_only),
)


def _softmax_logsumexp(z, axis=-1):
    m = z.max(axis=axis, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))
    return np.exp(z - lse)


def _softmax_moveaxis(z, axis=-1):
    last = np.moveaxis(z, axis, -1)
    exps = np.exp(last - last.max(axis=-1)[..., None])
    return np.moveaxis(exps / exps.sum(axis=-1)[..., None], -1, axis)


def _softmax_apply_along_axis(z, axis=-1):
    def one(v):
        e = np.exp(v - v.max())
        return e / e.sum()

    return np.apply_along_axis(one, axis, z)


def _softmax_functions(z, axis=-1):
    exps = np.exp(np.subtract(z, np.max(z, axis=axis, keepdims=True)))
    return np.divide(exps, np.sum(exps, axis=axis, keepdims=True))


def _softmax_multiply_by_inverse(z, axis=-1):
    exps = np.exp(z - np.amax(z, axis=axis, keepdims=True))
    return exps * (1 / exps.sum(axis=axis, keepdims=True))


def _softmax_float64(z, axis=-1):
    z = z.astype(np.float64)
    exps = np.exp(z - z.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)


_SOFTMAX_VARIANTS = (
    Variant("exp(z - logsumexp(z))", _softmax_logsumexp),
    Variant("np.moveaxis to the last axis and back", _softmax_moveaxis),
    Variant("np.apply_along_axis with a 1-D softmax", _softmax_apply_along_axis),
    Variant("np.subtract, np.max, np.divide", _softmax_functions),
    Variant("multiply by the inverse of the sum", _softmax_multiply_by_inverse),
    Variant("float64 result for float32 input", _softmax_float64),
)


# --------------------------------------------------------------------------- sigmoid_derivative


def _sd_is_sigmoid(z):
    return sigmoid(z)


def _sd_tanh_rule_on_sigmoid(z):
    return 1 - sigmoid(z) ** 2


def _sd_applied_to_z(z):
    return z * (1 - z)


def _sd_naive(z):
    return np.exp(-z) / (1 + np.exp(-z)) ** 2


def _sd_squared(z):
    s = sigmoid(z)
    return s * s


def _sd_one_minus_only(z):
    return 1 - sigmoid(z)


def _sd_tanh_rule(z):
    return 1 - np.tanh(z) ** 2


def _sd_constant_quarter(z):
    return np.full_like(z, 0.25)


_SIGMOID_DERIVATIVE_MISTAKES = (
    Mistake("this is σ(z) itself, not its slope: σ'(z) = σ(z) (1 - σ(z))", _sd_is_sigmoid),
    Mistake("1 - σ(z)² is tanh's rule (1 - tanh²) applied to σ; the sigmoid's is σ(z) (1 - σ(z))",
            _sd_tanh_rule_on_sigmoid),
    Mistake("s (1 - s) was applied to z itself: compute s = sigmoid(z) first, then s * (1 - s)",
            _sd_applied_to_z),
    Mistake("e^(-z) / (1 + e^(-z))² overflows at z = -1000", _sd_naive, expect=OVERFLOW),
    Mistake("σ(z)² is missing the factor 1 - σ(z): σ'(z) = σ(z) (1 - σ(z))", _sd_squared),
    Mistake("1 - σ(z) is only one factor: σ'(z) = σ(z) (1 - σ(z))", _sd_one_minus_only),
    Mistake("1 - tanh(z)² is the derivative of tanh, not of the sigmoid: σ'(z) = σ(z) (1 - σ(z))",
            _sd_tanh_rule),
    Mistake("1/4 is σ'(0), the largest slope; the slope changes with z: σ(z) (1 - σ(z))",
            _sd_constant_quarter),
)


def _sd_symmetric(z):
    return sigmoid(z) * sigmoid(-z)


def _sd_accurate_u(z):
    u = np.exp(-np.abs(z))
    return u / (1 + u) ** 2


def _sd_via_tanh(z):
    return 0.25 * (1 - np.tanh(z / 2) ** 2)


def _sd_s_minus_s_squared(z):
    s = sigmoid(z)
    return s - s**2


def _sd_logaddexp(z):
    return np.exp(-np.logaddexp(0, -z) - np.logaddexp(0, z))


def _sd_float64(z):
    s = sigmoid(z.astype(np.float64))
    return s * (1 - s)


_SIGMOID_DERIVATIVE_VARIANTS = (
    Variant("σ(z) σ(-z), using 1 - σ(z) = σ(-z)", _sd_symmetric),
    Variant("u / (1 + u)² with u = e^(-|z|)", _sd_accurate_u),
    Variant("(1 - tanh²(z / 2)) / 4 with np.tanh", _sd_via_tanh),
    Variant("s - s²", _sd_s_minus_s_squared),
    Variant("exp(-logaddexp(0, -z) - logaddexp(0, z))", _sd_logaddexp),
    Variant("float64 result for float32 input", _sd_float64),
)


# --------------------------------------------------------------------------- tanh_derivative


def _td_square_missing(z):
    return 1 - tanh(z)


def _td_applied_to_z(z):
    return 1 - z * z


def _td_sign_flipped(z):
    return tanh(z) ** 2 - 1


def _td_is_tanh(z):
    return tanh(z)


def _td_plus(z):
    return 1 + tanh(z) ** 2


def _td_sigmoid_rule(z):
    u = np.exp(-np.abs(z))
    s = np.where(z >= 0, 1 / (1 + u), u / (1 + u))
    return s * (1 - s)


def _td_square_of_difference(z):
    return (1 - tanh(z)) ** 2


def _td_tanh_of_square(z):
    return 1 - tanh(z**2)


_TANH_DERIVATIVE_MISTAKES = (
    Mistake("the square is missing: tanh'(z) = 1 - tanh(z)², not 1 - tanh(z)", _td_square_missing),
    Mistake("1 - t² was applied to z itself: compute t = tanh(z) first, then 1 - t * t", _td_applied_to_z),
    Mistake("the sign is flipped: tanh'(z) = 1 - tanh(z)², not tanh(z)² - 1", _td_sign_flipped),
    Mistake("this is tanh(z) itself, not its slope: tanh'(z) = 1 - tanh(z)²", _td_is_tanh),
    Mistake("1 + tanh(z)² has the wrong sign: tanh'(z) = 1 - tanh(z)²", _td_plus),
    Mistake("σ(z) (1 - σ(z)) is the sigmoid's derivative: tanh's is 1 - tanh(z)²", _td_sigmoid_rule),
    Mistake("(1 - tanh(z))² squares the difference: square tanh(z) first, 1 - tanh(z)²",
            _td_square_of_difference),
    Mistake("tanh(z²) squares z before tanh: square the result, 1 - tanh(z)²", _td_tanh_of_square),
)


def _td_factored(z):
    t = tanh(z)
    return (1 - t) * (1 + t)


def _td_clipped_sech(z):
    z = np.clip(z, -20, 20)  # 1 / cosh(20)² ≈ 2e-17: below the tolerance, like the true slope at 1000
    return 1 / np.cosh(z) ** 2


def _td_accurate_u(z):
    u = np.exp(-2 * np.abs(z))
    return 4 * u / (1 + u) ** 2


def _td_numpy_tanh(z):
    return 1 - np.tanh(z) ** 2


def _td_loop(z):
    import math

    return np.array([1 - math.tanh(v) ** 2 for v in z.flat], dtype=z.dtype).reshape(z.shape)


def _td_float64(z):
    t = np.tanh(z.astype(np.float64))
    return 1 - t * t


_TANH_DERIVATIVE_VARIANTS = (
    Variant("(1 - t)(1 + t)", _td_factored),
    Variant("1 / cosh² after np.clip to ±20", _td_clipped_sech),
    Variant("4u / (1 + u)² with u = e^(-2|z|)", _td_accurate_u),
    Variant("1 - np.tanh(z)**2", _td_numpy_tanh),
    Variant("a loop with math.tanh", _td_loop),
    Variant("float64 result for float32 input", _td_float64),
)


# --------------------------------------------------------------------------- relu_derivative


def _rd_sign(z):
    return np.sign(z)


def _rd_is_relu(z):
    return np.maximum(z, 0)


def _rd_one_at_kink(z):
    return (z >= 0).astype(z.dtype)


def _rd_reversed(z):
    return z < 0


def _rd_booleans(z):
    return z > 0


def _rd_ones(z):
    return np.ones_like(z)


def _rd_relu_over_z(z):
    return np.maximum(z, 0) / z


def _rd_half_at_kink(z):
    return np.where(z > 0, 1.0, np.where(z == 0, 0.5, 0.0)).astype(z.dtype)


def _rd_leaky(z):
    return np.where(z > 0, 1.0, 0.01).astype(z.dtype)


_RELU_DERIVATIVE_MISTAKES = (
    Mistake("negative z gave -1 (np.sign?): the slope of max(0, z) is 0 for z < 0", _rd_sign),
    Mistake("this is relu(z) itself, not its slope: 1 where z > 0, else 0", _rd_is_relu),
    Mistake("1 at z = 0 (z >= 0?): by the course's convention f'(0) = 0, so the test is z > 0",
            _rd_one_at_kink),
    Mistake("the mask is reversed (z < 0?): the slope is 1 where z > 0 and 0 where z < 0", _rd_reversed),
    Mistake("the result holds True/False: turn the mask into numbers of z's dtype, .astype(z.dtype)",
            _rd_booleans),
    Mistake("a slope of 1 everywhere is the identity's: ReLU's slope is 0 where z <= 0", _rd_ones),
    Mistake("max(0, z) / z is 0 / 0 = NaN at z = 0: compare z > 0 instead of dividing", _rd_relu_over_z),
    Mistake("0.5 at z = 0: defensible, but the course's convention is f'(0) = 0", _rd_half_at_kink),
    Mistake("a slope of 0.01 for z < 0 is leaky ReLU's: ReLU's is exactly 0", _rd_leaky),
)


def _rd_float64(z):
    return np.where(z > 0, 1.0, 0.0)


def _rd_mask_times_ones(z):
    return (z > 0) * np.ones_like(z)


def _rd_heaviside(z):
    return np.heaviside(z, 0)


def _rd_greater(z):
    return np.greater(z, 0).astype(z.dtype)


def _rd_loop(z):
    out = np.zeros_like(z)
    for i, v in enumerate(z.flat):
        if v > 0:
            out.flat[i] = 1
    return out


def _rd_where_like(z):
    return np.where(z > 0, np.ones_like(z), np.zeros_like(z))


_RELU_DERIVATIVE_VARIANTS = (
    Variant("np.where(z > 0, 1.0, 0.0): float64 result for float32 input", _rd_float64),
    Variant("(z > 0) * np.ones_like(z)", _rd_mask_times_ones),
    Variant("np.heaviside(z, 0)", _rd_heaviside),
    Variant("np.greater(z, 0).astype(z.dtype)", _rd_greater),
    Variant("a loop filling np.zeros_like", _rd_loop),
    Variant("np.where with ones_like and zeros_like", _rd_where_like),
)


# --------------------------------------------------------------------------- collapse_linear


def _collapse_linear_cases(rng):
    def case(name, d_in, h, d_out, dtype=np.float64, zero_bias=False):
        W1, W2 = rng.normal(size=(d_in, h)), rng.normal(size=(h, d_out))
        b1, b2 = (np.zeros(h), np.zeros(d_out)) if zero_bias else (rng.normal(size=h), rng.normal(size=d_out))
        return Case(name, tuple(a.astype(dtype) for a in (W1, b1, W2, b2)))

    return [
        case("square: D_in = H = D_out = 3 (only values can tell a transpose)", 3, 3, 3),
        case("3 inputs, 4 hidden, 2 outputs", 3, 4, 2),
        case("one input, one output (two scalar layers)", 1, 1, 1),
        case("a wide hidden layer: 2 -> 10 -> 3", 2, 10, 3),
        case("zero biases: W = W1 W2, b = 0", 4, 3, 2, zero_bias=True),
        case("float32 stays float32", 3, 5, 2, dtype=np.float32),
    ]


def _cl_biases_added(W1, b1, W2, b2):
    return W1 @ W2, b1 + b2


def _cl_only_b2(W1, b1, W2, b2):
    return W1 @ W2, b2


def _cl_b2_missing(W1, b1, W2, b2):
    return W1 @ W2, b1 @ W2


def _cl_order_swapped(W1, b1, W2, b2):
    return W2 @ W1, b1 @ W2 + b2


def _cl_w2_transposed(W1, b1, W2, b2):
    return W1 @ W2.T, b1 @ W2.T + b2


def _cl_bias_through_w1(W1, b1, W2, b2):
    return W1 @ W2, b1 @ W1 + b2


def _cl_outputs_swapped(W1, b1, W2, b2):
    return b1 @ W2 + b2, W1 @ W2


def _cl_elementwise(W1, b1, W2, b2):
    return W1 * W2, b1 * W2 + b2


def _cl_b1_summed(W1, b1, W2, b2):
    return W1 @ W2, b1.sum() * W2.sum(axis=0) + b2


def _cl_w_plus_bias(W1, b1, W2, b2):
    return W1 @ W2 + b2, b1 @ W2 + b2


_COLLAPSE_LINEAR_MISTAKES = (
    Mistake("b1 + b2 forgets that b1 passes through the second layer: b = b1 W2 + b2", _cl_biases_added),
    Mistake("b1 is missing: the first layer's bias reaches the output through W2, b = b1 W2 + b2",
            _cl_only_b2),
    Mistake("b2 is missing: the second layer adds its own bias, b = b1 W2 + b2", _cl_b2_missing),
    Mistake("W2 W1 is the wrong order: X goes through W1 first, so W = W1 W2 (shape (D_in, D_out))",
            _cl_order_swapped),
    Mistake("W2 is used transposed: with W2 of shape (H, D_out), W = W1 @ W2 and b = b1 @ W2 + b2",
            _cl_w2_transposed),
    Mistake("b1 went through W1: it is added after W1, so only W2 acts on it, b = b1 W2 + b2",
            _cl_bias_through_w1),
    Mistake("W and b are swapped: return (W, b) in that order", _cl_outputs_swapped),
    Mistake("W1 * W2 multiplies entry by entry: one layer after the other is a matrix product, W1 @ W2",
            _cl_elementwise),
    Mistake("b1 was summed into one number: each hidden unit's bias b1[k] meets its own row W2[k], b1 @ W2",
            _cl_b1_summed),
    Mistake("b2 was added to W too: W = W1 W2 holds only weights, the biases all go into b",
            _cl_w_plus_bias),
)


def _cl_einsum(W1, b1, W2, b2):
    return np.einsum("ih,ho->io", W1, W2), np.einsum("h,ho->o", b1, W2) + b2


def _cl_probe(W1, b1, W2, b2):
    # run the two layers on the zero input (gives b) and on the identity (gives W + b)
    def net(X):
        return (X @ W1 + b1) @ W2 + b2

    b = net(np.zeros((1, W1.shape[0]), dtype=W1.dtype))[0]
    return net(np.eye(W1.shape[0], dtype=W1.dtype)) - b, b


def _cl_transposed_bias(W1, b1, W2, b2):
    return np.dot(W1, W2), W2.T @ b1 + b2


def _cl_loops(W1, b1, W2, b2):
    d_in, h = W1.shape
    d_out = W2.shape[1]
    W = np.zeros((d_in, d_out), dtype=W1.dtype)
    b = b2.copy()
    for k in range(h):
        for o in range(d_out):
            b[o] += b1[k] * W2[k, o]
            for i in range(d_in):
                W[i, o] += W1[i, k] * W2[k, o]
    return W, b


def _cl_as_list(W1, b1, W2, b2):
    return [np.matmul(W1, W2), np.matmul(b1, W2) + b2]


def _cl_float64(W1, b1, W2, b2):
    W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in (W1, b1, W2, b2))
    return W1 @ W2, b1 @ W2 + b2


_COLLAPSE_LINEAR_VARIANTS = (
    Variant("np.einsum", _cl_einsum),
    Variant("probe the two layers with the zero input and the identity", _cl_probe),
    Variant("W2.T @ b1 for the bias", _cl_transposed_bias),
    Variant("loops over every index", _cl_loops),
    Variant("a list [W, b] instead of a tuple", _cl_as_list),
    Variant("float64 result for float32 input", _cl_float64),
)


# --------------------------------------------------------------------------- softmax_jacobian


def _softmax_jacobian_cases(rng):
    return [
        Case("3 classes", (rng.normal(size=3) * 2,)),
        Case("5 classes", (rng.normal(size=5) * 2,)),
        Case("1 class: softmax is always 1, so J = [[0]]", (rng.normal(size=1),)),
        Case("equal scores: J = (I - 1/C) / C", (np.full(4, 2.5),)),
        Case("scores of 1000 and -1e4: softmax must not overflow", (np.array([1000.0, 999.0, -1e4, 995.0]),)),
        Case("float32 stays float32", ((rng.normal(size=4) * 2).astype(np.float32),)),
    ]


def _sj_diag_only(z):
    return np.diag(softmax(z))


def _sj_outer_only(z):
    s = softmax(z)
    return -np.outer(s, s)


def _sj_plus(z):
    s = softmax(z)
    return np.diag(s) + np.outer(s, s)


def _sj_diagonal_only(z):
    s = softmax(z)
    return np.diag(s * (1 - s))


def _sj_vector(z):
    s = softmax(z)
    return s * (1 - s)


def _sj_outer_with_one_minus(z):
    s = softmax(z)
    return np.outer(s, 1 - s)


def _sj_inner_product(z):
    s = softmax(z)
    return np.diag(s) - s @ s


def _sj_log_softmax(z):
    s = softmax(z)
    return np.eye(len(z)) - s[None, :]


def _sj_of_z(z):
    return np.diag(z) - np.outer(z, z)


def _sj_naive_softmax(z):
    e = np.exp(z)
    s = e / e.sum()
    return np.diag(s) - np.outer(s, s)


def _sj_sign_flipped(z):
    s = softmax(z)
    return np.outer(s, s) - np.diag(s)


_SOFTMAX_JACOBIAN_MISTAKES = (
    Mistake("only diag(s): every s_i also depends on the other scores, J = diag(s) - s sᵀ", _sj_diag_only),
    Mistake("only -s sᵀ: the diagonal also has the term s_i, J = diag(s) - s sᵀ", _sj_outer_only),
    Mistake("the sign of s sᵀ is flipped: J = diag(s) - s sᵀ (a row of J sums to 0)", _sj_plus),
    Mistake("only the diagonal s_i (1 - s_i): the off-diagonal entries are -s_i s_j, not 0",
            _sj_diagonal_only),
    Mistake("s (1 - s) is only the diagonal, as a vector: the Jacobian is a (C, C) matrix, "
            "diag(s) - s sᵀ", _sj_vector),
    Mistake("np.outer(s, 1 - s) gives s_i (1 - s_j) off the diagonal: J_ij = s_i (δ_ij - s_j)",
            _sj_outer_with_one_minus),
    Mistake("s @ s is one number (the inner product): the term is the outer product np.outer(s, s)",
            _sj_inner_product),
    Mistake("this is the Jacobian of log-softmax, δ_ij - s_j: multiply each row i by s_i", _sj_log_softmax),
    Mistake("the formula was applied to the scores z: compute s = softmax(z) first", _sj_of_z),
    Mistake("a softmax without the shift by the max overflows at scores of 1000: call your softmax",
            _sj_naive_softmax, expect=OVERFLOW),
    Mistake("the sign is flipped: J = diag(s) - s sᵀ, positive on the diagonal", _sj_sign_flipped),
)


def _sj_row_scaling(z):
    s = softmax(z)
    return s[:, None] * (np.eye(len(s), dtype=s.dtype) - s[None, :])


def _sj_loops(z):
    s = softmax(z)
    C = len(s)
    J = np.zeros((C, C), dtype=s.dtype)
    for i in range(C):
        for j in range(C):
            J[i, j] = s[i] * ((1.0 if i == j else 0.0) - s[j])
    return J


def _sj_einsum(z):
    s = softmax(z)
    return np.einsum("i,ij->ij", s, np.eye(len(s), dtype=s.dtype)) - np.einsum("i,j->ij", s, s)


def _sj_diagflat(z):
    s = softmax(z)
    return np.diagflat(s) - s[:, None] @ s[None, :]


def _sj_column_form(z):
    s = softmax(z)
    # J is symmetric: s_j (δ_ij - s_i) is the same matrix
    return s[None, :] * (np.eye(len(s), dtype=s.dtype) - s[:, None])


def _sj_own_softmax(z):
    e = np.exp(z - z.max())
    s = e / e.sum()
    return np.diag(s) - np.outer(s, s)


def _sj_float64(z):
    s = softmax(z).astype(np.float64)
    return np.diag(s) - np.outer(s, s)


_SOFTMAX_JACOBIAN_VARIANTS = (
    Variant("s_i (δ_ij - s_j) by broadcasting", _sj_row_scaling),
    Variant("two loops over i and j", _sj_loops),
    Variant("np.einsum", _sj_einsum),
    Variant("np.diagflat and a column times a row", _sj_diagflat),
    Variant("the transposed form s_j (δ_ij - s_i) (J is symmetric)", _sj_column_form),
    Variant("its own stable softmax inside", _sj_own_softmax),
    Variant("float64 result for float32 input", _sj_float64),
)


# --------------------------------------------------------------------------- two_class_logit


def _two_class_logit_cases(rng):
    return [
        Case("5 examples", (rng.normal(size=(5, 2)) * 2,)),
        Case("batch of 1", (rng.normal(size=(1, 2)) * 2,)),
        Case("equal scores: probability 1/2, d = 0", (np.full((3, 2), 1.5),)),
        Case("scores far apart: ±1000 (softmax rounds to 0 and 1)",
             (np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [3.0, -2.0]]),)),
        Case("both scores shifted by 100", (rng.normal(size=(4, 2)) + 100,)),
        Case("float32 stays float32", ((rng.normal(size=(4, 2)) * 2).astype(np.float32),)),
    ]


def _tcl_sign(z):
    return z[:, 0] - z[:, 1]


def _tcl_z1(z):
    return z[:, 1]


def _tcl_sum(z):
    return z[:, 1] + z[:, 0]


def _tcl_ratio(z):
    return z[:, 1] / z[:, 0]


def _tcl_log_probability(z):
    m = z.max(axis=1, keepdims=True)
    log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return log_p[:, 1]


def _tcl_probability(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e[:, 1] / e.sum(axis=1)


def _tcl_log_odds_of_rounded_probabilities(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return np.log(p[:, 1] / p[:, 0])


def _tcl_mean(z):
    return z.mean(axis=1)


def _tcl_half(z):
    return (z[:, 1] - z[:, 0]) / 2


def _tcl_unsigned(z):
    return z.max(axis=1) - z.min(axis=1)


def _tcl_diff_keeps_axis(z):
    return np.diff(z, axis=1)


_TWO_CLASS_LOGIT_MISTAKES = (
    Mistake("the sign is flipped: σ(z₀ - z₁) is class 0's probability; class 1's is σ(z₁ - z₀)", _tcl_sign),
    Mistake("z₁ alone ignores z₀: softmax only depends on the difference, d = z₁ - z₀", _tcl_z1),
    Mistake("z₁ + z₀: dividing e^(z₁) / (e^(z₀) + e^(z₁)) by e^(z₁) leaves e^(z₀ - z₁), a difference",
            _tcl_sum),
    Mistake("z₁ / z₀: exponentials turn differences into ratios, e^(z₁) / e^(z₀) = e^(z₁ - z₀); the logit "
            "is the difference", _tcl_ratio),
    Mistake("this is log softmax(z)₁, the log-probability: the logit d satisfies σ(d) = softmax(z)₁",
            _tcl_log_probability),
    Mistake("this is the probability softmax(z)₁ itself: return the logit d whose sigmoid it is",
            _tcl_probability),
    Mistake("log(p₁ / p₀) is right on paper, but p₀ rounds to 0 for scores ±1000 (log 0 = -inf): "
            "simplify by hand, the result needs no exponential", _tcl_log_odds_of_rounded_probabilities),
    Mistake("the mean of the two scores: softmax only depends on their difference", _tcl_mean),
    Mistake("the 1/2 belongs to tanh (tanh(x) = 2σ(2x) - 1); for the sigmoid, d = z₁ - z₀", _tcl_half),
    Mistake("max - min drops the sign: d is negative when class 0 has the larger score", _tcl_unsigned),
    Mistake("np.diff keeps the axis, shape (N, 1): return shape (N,), e.g. np.diff(z, axis=1)[:, 0]",
            _tcl_diff_keeps_axis),
)


def _tcl_diff(z):
    return np.diff(z, axis=1)[:, 0]


def _tcl_matmul(z):
    return z @ np.array([-1, 1], dtype=z.dtype)


def _tcl_loop(z):
    return np.array([row[1] - row[0] for row in z], dtype=z.dtype)


def _tcl_subtract(z):
    return -np.subtract(z[:, 0], z[:, 1])


def _tcl_log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return log_p[:, 1] - log_p[:, 0]


def _tcl_unpack(z):
    z0, z1 = z.T
    return z1 - z0


def _tcl_float64(z):
    return z @ np.array([-1.0, 1.0])


_TWO_CLASS_LOGIT_VARIANTS = (
    Variant("np.diff(z, axis=1)[:, 0]", _tcl_diff),
    Variant("z @ (-1, 1)", _tcl_matmul),
    Variant("a loop over the rows", _tcl_loop),
    Variant("-np.subtract(z0, z1)", _tcl_subtract),
    Variant("difference of stable log-softmax values", _tcl_log_softmax),
    Variant("unpack the columns, z0, z1 = z.T", _tcl_unpack),
    Variant("z @ np.array([-1.0, 1.0]): float64 result for float32 input", _tcl_float64),
)


# --------------------------------------------------------------------------- the registry

#: rtol, atol of the elementwise exercises (float32 values: at least 1e-5, 1e-6, see nnlib.judge)
_RTOL, _ATOL = 1e-7, 1e-10

EXERCISES = (
    Exercise(
        id="collapse_linear",
        lesson="02",
        task="return (W, b) of the one linear layer that computes what the two layers compute",
        reference=collapse_linear,
        make_cases=_collapse_linear_cases,
        arg_names=("W1", "b1", "W2", "b2"),
        rtol=_RTOL,
        atol=_ATOL,
        mistakes=_COLLAPSE_LINEAR_MISTAKES,
        variants=_COLLAPSE_LINEAR_VARIANTS,
        hints=(
            "Write out what the two layers compute for a batch X, (X W1 + b1) W2 + b2, and multiply out "
            "the brackets: collect what multiplies X and what does not.",
            "Matrix products distribute: (X W1 + b1) W2 = X (W1 W2) + b1 W2. The weights are the part "
            "that multiplies X; everything else is the bias.",
            "return W1 @ W2, b1 @ W2 + b2",
        ),
    ),
    Exercise(
        id="sigmoid",
        strict_float=True,
        lesson="02",
        task="return the sigmoid of every entry of z, without overflow, same shape and dtype",
        reference=sigmoid,
        make_cases=_sigmoid_cases,
        arg_names=("z",),
        rtol=_RTOL,
        atol=_ATOL,
        mistakes=_SIGMOID_MISTAKES,
        variants=_SIGMOID_VARIANTS,
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
        task="return tanh of every entry of z, without overflow and accurate near 0, same shape and dtype",
        reference=tanh,
        make_cases=_tanh_cases,
        arg_names=("z",),
        prerequisites=("sigmoid",),
        rtol=_RTOL,
        atol=0.0,  # relative accuracy for tiny results too: tanh(1e-17) is 1e-17, not 0
        mistakes=_TANH_MISTAKES,
        variants=_TANH_VARIANTS,
        hints=(
            "Two traps. At z = 1000, e^1000 is inf (and inf / inf is NaN): divide the numerator and "
            "the denominator by e^|z|, so that only u = e^(-2|z|) <= 1 remains. Near z = 0, u is almost "
            "1, and 1 - u loses all its digits (z = 1e-17 gives 0).",
            "tanh is odd: tanh(z) = sign(z) * tanh(|z|), and tanh(|z|) = (1 - u) / (1 + u). "
            "np.expm1(x) computes e^x - 1 to full precision even for tiny x: with m = np.expm1(-2|z|), "
            "1 - u = -m and 1 + u = 2 + m.",
            "m = np.expm1(-2 * np.abs(z)); return np.sign(z) * -m / (2 + m)",
        ),
    ),
    Exercise(
        id="relu",
        lesson="02",
        task="return max(0, z) for every entry of z, same shape and dtype",
        reference=relu,
        make_cases=_relu_cases,
        arg_names=("z",),
        rtol=_RTOL,
        atol=_ATOL,
        mistakes=_RELU_MISTAKES,
        variants=_RELU_VARIANTS,
        hints=(
            "Keep each positive value and replace each negative value by 0. Careful: np.max reduces "
            "an array to its largest entry; you want the elementwise maximum.",
            "np.maximum(a, b) compares two arrays (or an array and a number) entry by entry and keeps "
            "the larger; it returns a new array and keeps z's dtype.",
            "return np.maximum(z, 0)",
        ),
    ),
    Exercise(
        id="sigmoid_derivative",
        strict_float=True,
        lesson="02",
        task="return the slope σ'(z) of the sigmoid at every entry of z",
        reference=sigmoid_derivative,
        make_cases=_derivative_cases,
        arg_names=("z",),
        prerequisites=("sigmoid",),
        rtol=_RTOL,
        atol=_ATOL,
        mistakes=_SIGMOID_DERIVATIVE_MISTAKES,
        variants=_SIGMOID_DERIVATIVE_VARIANTS,
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
        task="return the slope tanh'(z) at every entry of z",
        reference=tanh_derivative,
        make_cases=_derivative_cases,
        arg_names=("z",),
        prerequisites=("tanh",),
        rtol=_RTOL,
        atol=_ATOL,
        mistakes=_TANH_DERIVATIVE_MISTAKES,
        variants=_TANH_DERIVATIVE_VARIANTS,
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
        task="return ReLU's slope at every entry of z (0 at the kink z = 0), in z's dtype",
        reference=relu_derivative,
        make_cases=_relu_derivative_cases,
        arg_names=("z",),
        rtol=_RTOL,
        atol=_ATOL,
        mistakes=_RELU_DERIVATIVE_MISTAKES,
        variants=_RELU_DERIVATIVE_VARIANTS,
        hints=(
            "The slope of max(0, z) is 1 for z > 0 and 0 for z < 0. At the kink z = 0 there is no "
            "derivative; by our convention f'(0) = 0, so the test is z > 0, not z >= 0.",
            "A comparison such as z > 0 gives a boolean array; .astype(z.dtype) turns True/False into "
            "1.0/0.0 and keeps float32 input float32.",
            "return (z > 0).astype(z.dtype)",
        ),
    ),
    Exercise(
        id="softmax",
        strict_float=True,
        lesson="02",
        task="return softmax along axis (each slice sums to 1), without overflow for logits of ±1000",
        reference=softmax,
        make_cases=_softmax_cases,
        arg_names=("z",),
        rtol=_RTOL,
        atol=_ATOL,
        mistakes=_SOFTMAX_MISTAKES,
        variants=_SOFTMAX_VARIANTS,
        hints=(
            "Softmax is unchanged when the same number is subtracted from every score along the axis: "
            "choose a number that makes the largest exponent e^0 = 1, so np.exp cannot overflow.",
            "Shift by z.max(axis=axis, keepdims=True) and divide by exps.sum(axis=axis, keepdims=True): "
            "keepdims keeps the reduced axis with length 1, so the result broadcasts against z for any "
            "axis and for 1-D input.",
            "exps = np.exp(z - z.max(axis=axis, keepdims=True)); "
            "return exps / exps.sum(axis=axis, keepdims=True)",
        ),
    ),
    Exercise(
        id="softmax_jacobian",
        strict_float=True,
        lesson="02",
        task="return the (C, C) matrix J with J[i, j] = ∂softmax(z)_i / ∂z_j, for one vector z",
        reference=softmax_jacobian,
        make_cases=_softmax_jacobian_cases,
        arg_names=("z",),
        prerequisites=("softmax",),
        rtol=_RTOL,
        atol=_ATOL,
        mistakes=_SOFTMAX_JACOBIAN_MISTAKES,
        variants=_SOFTMAX_JACOBIAN_VARIANTS,
        hints=(
            "Differentiate s_i = e^(z_i) / Σ e^(z_k) with the quotient rule, once for j = i and once "
            "for j ≠ i. Both answers can be written with s alone.",
            "∂s_i/∂z_i = s_i (1 - s_i) and ∂s_i/∂z_j = -s_i s_j for j ≠ i: together s_i (δ_ij - s_j). "
            "np.diag(s) puts s on a diagonal; np.outer(s, s) is the matrix of all s_i s_j.",
            "s = softmax(z); return np.diag(s) - np.outer(s, s)",
        ),
    ),
    Exercise(
        id="two_class_logit",
        lesson="02",
        task="return the logit d (shape (N,)) whose sigmoid is the probability softmax gives class 1",
        reference=two_class_logit,
        make_cases=_two_class_logit_cases,
        arg_names=("z",),
        rtol=_RTOL,
        atol=_ATOL,
        mistakes=_TWO_CLASS_LOGIT_MISTAKES,
        variants=_TWO_CLASS_LOGIT_VARIANTS,
        hints=(
            "Write softmax(z)₁ = e^(z₁) / (e^(z₀) + e^(z₁)) and divide the numerator and the denominator "
            "by e^(z₁). Compare with σ(d) = 1 / (1 + e^(-d)).",
            "After the division the denominator is 1 + e^(z₀ - z₁) = 1 + e^(-(z₁ - z₀)): read off d. "
            "Column 0 of z holds z₀, column 1 holds z₁.",
            "return z[:, 1] - z[:, 0]",
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
            "b": "A ReLU passes the learning signal of an active unit on unchanged (f'(z) = 1 for z > 0): "
            "it does not saturate for large positive z, and it is the cheapest to compute. Its weak "
            "spot is the other side: a unit whose z is negative for every input has f' = 0 everywhere "
            "and stops learning (a dead ReLU, lesson 11).",
            "c": "Softmax belongs to the output layer of a multi-class classifier: it turns scores into "
            "probabilities that sum to 1. Hidden units have no reason to sum to 1, and tying them "
            "together makes each unit's output depend on all the others.",
            "d": "Its derivative is 1, but without a nonlinearity the 10 layers collapse into one linear "
            "layer (section 1): the network could only ever draw straight decision boundaries.",
        },
    ),
    Question(
        id="q02_2",
        lesson="02",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="c",
        feedback={
            "a": "Stacked linear layers collapse into one, (X W1 + b1) W2 + b2 = X W + b: depth alone adds "
            "no bends, so it cannot draw a curved boundary, however many units it has.",
            "b": "Collapsing works for any number of layers: collapse the first two, then the result with "
            "the third, and so on.",
            "c": "Every composition of linear layers is one linear layer X W + b, so its decision "
            "boundary is a straight line (a hyperplane), exactly what a single layer can draw.",
            "d": "The wider hidden layers do not help either: W = W1 W2 ... has shape (D_in, D_out) "
            "whatever the widths in between (and a narrow layer can even limit its rank).",
        },
    ),
    Question(
        id="q02_3",
        lesson="02",
        kind="number",
        answer=0.0,
        tol=1e-9,
        feedback={
            "correct": "Each row sums to s_i (1 - Σ_j s_j) = s_i (1 - 1) = 0: the probabilities always sum "
            "to 1, so no change of the scores can change their sum. Every entry of J summed is 0 too.",
            "low": "Sum row i of J: s_i (1 - s_i) on the diagonal, -s_i s_j elsewhere. Factor out s_i "
            "and use Σ_j s_j = 1.",
            "high": "Sum row i of J: s_i (1 - s_i) on the diagonal, -s_i s_j elsewhere. Factor out s_i "
            "and use Σ_j s_j = 1.",
        },
    ),
    Question(
        id="q02_4",
        lesson="02",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "softmax(z)₁ = σ(z₁ - z₀) depends on the difference only: with z₁ - z₀ = (w₁ - w₀)·x + "
            "(b₁ - b₀), two softmax neurons compute exactly what one sigmoid neuron with w = w₁ - w₀, "
            "b = b₁ - b₀ computes. Twice the parameters, no more classifiers.",
            "b": "Only z₁ - z₀ = (w₁ - w₀)·x + (b₁ - b₀) matters, so any two-class softmax layer equals "
            "a sigmoid neuron with w = w₁ - w₀ and b = b₁ - b₀, and any sigmoid neuron is a softmax layer "
            "with (w₀, b₀) = (0, 0). Same classifiers; the softmax has one redundant neuron.",
            "c": "Adding the same number to both scores changes nothing (softmax is shift invariant), but "
            "the two are equivalent everywhere, not only when the scores are close.",
            "d": "The sigmoid of the difference gives the probability of class 1 exactly, for any scores: "
            "σ(z₁ - z₀) = e^(z₁) / (e^(z₀) + e^(z₁)).",
        },
    ),
)
