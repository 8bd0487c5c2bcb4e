"""Exercises and concept questions of lesson 05, the chain rule and computational graphs.

Each exercise lists the mistakes learners actually make (``Exercise.mistakes``:
one-sided differences, gradients not swapped, ties sent to both inputs, a path
of a twice-used variable forgotten); ``check()`` names the one a wrong result
matches.

The functions handed to ``numerical_derivative`` are numpy's or defined in
``case_functions.py``, so that the grader can pass them to its sandbox.
"""

from __future__ import annotations

import numpy as np

from nnlib.exercises import Case, Exercise, Mistake, Question
from nnlib.exercises.case_functions import cubic, softplus
from nnlib.gates import max_backward, multiply_backward
from nnlib.gradcheck import DEFAULT_H, numerical_derivative
from nnlib.graph import Value

# --------------------------------------------------------------------------- #
# numerical_derivative
# --------------------------------------------------------------------------- #


def _step(args, kwargs) -> float:
    """The step h of a call numerical_derivative(f, x[, h])."""
    return kwargs.get("h", args[2] if len(args) > 2 else DEFAULT_H)


def _numerical_derivative_cases(rng):
    x = float(rng.uniform(0.5, 2.0))
    return [
        Case(f"sin at x = {x:.3f}, default h", (np.sin, x)),
        Case("cubic x³ - 2x + 1 at x = 2, h = 1e-2", (cubic, 2.0), {"h": 1e-2}),
        Case("exp at x = -1.5, a large step h = 0.1", (np.exp, -1.5), {"h": 0.1}),
        Case("cos at x = 0, a peak: the slope is 0", (np.cos, 0.0)),
        Case("softplus at x = 3, h = 1e-4 passed by position", (softplus, 3.0, 1e-4)),
        Case("cubic at x = -1 (an int)", (cubic, -1)),
    ]


def _numerical_derivative_hidden_cases(rng):
    return [
        Case("tanh at x = 0.7, h = 1e-2", (np.tanh, 0.7), {"h": 1e-2}),
        Case("cubic at x = 0.3, default h", (cubic, 0.3)),
    ]


def _nd_mistake(formula):
    def wrong(f, x, h=DEFAULT_H):
        return formula(f, x, h)

    return wrong


_NUMERICAL_DERIVATIVE_MISTAKES = (
    Mistake("that is the one-sided difference (f(x + h) - f(x)) / h: its error shrinks only like h. "
            "Use the centered (f(x + h) - f(x - h)) / (2h), whose error shrinks like h²",
            _nd_mistake(lambda f, x, h: (f(x + h) - f(x)) / h)),
    Mistake("that is the backward one-sided difference (f(x) - f(x - h)) / h: its error shrinks only "
            "like h. Use the centered (f(x + h) - f(x - h)) / (2h)",
            _nd_mistake(lambda f, x, h: (f(x) - f(x - h)) / h)),
    Mistake("x + h and x - h are 2h apart: divide by 2 * h, not by h",
            _nd_mistake(lambda f, x, h: (f(x + h) - f(x - h)) / h)),
    Mistake("operator precedence: a / 2 * h is (a / 2) * h; write / (2 * h)",
            _nd_mistake(lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h)),
    Mistake("the difference is the wrong way round: f(x + h) - f(x - h), not f(x - h) - f(x + h)",
            _nd_mistake(lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h))),
    Mistake("you ignored the argument h (and used 1e-5): use the h you are given",
            _nd_mistake(lambda f, x, h: (f(x + 1e-5) - f(x - 1e-5)) / 2e-5)),
)

# --------------------------------------------------------------------------- #
# multiply_backward
# --------------------------------------------------------------------------- #


def _gate_cases(rng):
    def arrays(*shape, scale=1.0):
        return tuple(rng.normal(size=shape) * scale for _ in range(3))

    return [
        Case("scalars dz = 2, x = 3, y = -4", (2.0, 3.0, -4.0)),
        Case("arrays of shape (5,)", arrays(5)),
        Case("2-D arrays (3, 2)", arrays(3, 2)),
        Case("the seed dz = 1, arrays (4,)", (np.ones(4), *arrays(4)[1:])),
        Case("zeros in x and y", (rng.normal(size=4), np.array([0.0, 1.0, 0.0, -2.0]),
                                  np.array([3.0, 0.0, 0.0, 1.5]))),
        Case("large magnitudes (±1e3)", arrays(2, 3, scale=1e3)),
        Case("float32 stays float32", tuple(a.astype(np.float32) for a in arrays(2, 2))),
    ]


_MULTIPLY_MISTAKES = (
    Mistake("the inputs are not swapped: ∂(x·y)/∂x = y, so dx = dz * y (the *other* input) and dy = dz * x",
            lambda dz, x, y: (dz * x, dz * y)),
    Mistake("you forgot the upstream gradient: the local derivatives y and x must be multiplied by dz "
            "(chain rule: dL/dx = dL/dz · ∂z/∂x)",
            lambda dz, x, y: (y * np.ones_like(dz), x * np.ones_like(dz))),
    Mistake("you returned the same gradient twice: dy = dz * x, not dz * y",
            lambda dz, x, y: (dz * y, dz * y)),
    Mistake("you returned the same gradient twice: dx = dz * y, not dz * x",
            lambda dz, x, y: (dz * x, dz * x)),
    Mistake("that routes dz unchanged like the add gate; the multiply gate scales it by the other input",
            lambda dz, x, y: (dz, dz)),
)

# --------------------------------------------------------------------------- #
# max_backward
# --------------------------------------------------------------------------- #


def _max_cases(rng):
    def ints(*shape):  # whole numbers in a small range, so that ties happen
        return rng.integers(-2, 3, size=shape).astype(np.float64)

    x, y = ints(6), ints(6)
    x[:2] = y[:2]  # at least two ties
    return [
        Case("scalars, x wins: dz = 2, x = 5, y = 1", (2.0, 5.0, 1.0)),
        Case("scalars, y wins: dz = 2, x = 1, y = 5", (2.0, 1.0, 5.0)),
        Case("a tie x = y = 3: the gradient goes to x", (2.0, 3.0, 3.0)),
        Case("arrays (6,) with ties", (rng.normal(size=6), x, y)),
        Case("2-D arrays (3, 4)", tuple(rng.normal(size=(3, 4)) for _ in range(3))),
        Case("negative upstream gradient", (-np.abs(rng.normal(size=4)) - 0.5, rng.normal(size=4),
                                            rng.normal(size=4))),
        Case("float32 stays float32", tuple(rng.normal(size=(2, 3)).astype(np.float32) for _ in range(3))),
    ]


def _where(mask, a, b):
    return np.where(mask, a, b)


_MAX_MISTAKES = (
    Mistake("on a tie (x == y) you sent dz to both inputs, so the gradient doubled there: "
            "ties go to x only (x >= y for x, x < y for y)",
            lambda dz, x, y: (_where(x >= y, dz, 0.0), _where(y >= x, dz, 0.0))),
    Mistake("on a tie (x == y) x got no gradient: this course sends a tie's whole gradient to x "
            "(use x >= y for x and x < y for y)",
            lambda dz, x, y: (_where(x > y, dz, 0.0), _where(x > y, 0.0, dz))),
    Mistake("you returned the 0/1 mask of the winner without multiplying by the upstream gradient dz",
            lambda dz, x, y: (_where(x >= y, 1.0, 0.0) * np.ones_like(dz),
                              _where(x >= y, 0.0, 1.0) * np.ones_like(dz))),
    Mistake("that routes dz to both inputs like the add gate; max is a switch: only the winner gets dz",
            lambda dz, x, y: (dz, dz)),
    Mistake("the gradient went to the input that lost: the winner (the larger one) gets dz",
            lambda dz, x, y: (_where(x >= y, 0.0, dz), _where(x >= y, dz, 0.0))),
    Mistake("you multiplied dz by the inputs' values; max only chooses, the winner gets dz itself",
            lambda dz, x, y: (_where(x >= y, dz * x, 0.0), _where(x >= y, 0.0, dz * y))),
)

# --------------------------------------------------------------------------- #
# f_gradients: L = (x·y + x)², derived by hand
# --------------------------------------------------------------------------- #


def f_gradients_reference(x, y):
    """(dL/dx, dL/dy) of L = (x·y + x)², computed by nnlib's ``Value`` engine."""
    xv, yv = Value(float(x), label="x"), Value(float(y), label="y")
    loss = (xv * yv + xv) ** 2
    loss.backward()
    return xv.grad, yv.grad


def _f_gradients_cases(rng):
    x, y = (float(v) for v in np.round(rng.uniform(-2, 2, size=2), 2))
    return [
        Case("x = 2, y = 4", (2.0, 4.0)),
        Case("y = 0: the path through x·y carries nothing", (1.5, 0.0)),
        Case("x = -1.5, y = 0.5", (-1.5, 0.5)),
        Case("negative x and y", (-2.0, -3.0)),
        Case(f"x = {x}, y = {y}", (x, y)),
    ]


def _f_gradients_hidden_cases(rng):
    return [Case("x = 0.1, y = 10", (0.1, 10.0)), Case("x = -3, y = 1", (-3.0, 1.0))]


def _q(x, y):
    return x * y + x


_F_GRADIENTS_MISTAKES = (
    Mistake("x reaches q = x·y + x along two paths and you followed only the one through x·y: add the "
            "direct path too, ∂q/∂x = y + 1",
            lambda x, y: (2 * _q(x, y) * y, 2 * _q(x, y) * x)),
    Mistake("x reaches q = x·y + x along two paths and you followed only the direct one (+ x): add the "
            "path through x·y too, ∂q/∂x = y + 1",
            lambda x, y: (2 * _q(x, y), 2 * _q(x, y) * x)),
    Mistake("you forgot the outer derivative dL/dq = 2q: each local derivative must be multiplied by it",
            lambda x, y: (y + 1, x)),
    Mistake("d(q²)/dq = 2q, not q: the factor 2 is missing",
            lambda x, y: (_q(x, y) * (y + 1), _q(x, y) * x)),
    Mistake("dL/dx and dL/dy are swapped: the first is 2q·(y + 1), the second 2q·x",
            lambda x, y: (2 * _q(x, y) * x, 2 * _q(x, y) * (y + 1))),
    Mistake("∂(x·y)/∂y = x (the other input), not y",
            lambda x, y: (2 * _q(x, y) * (y + 1), 2 * _q(x, y) * y)),
)

# --------------------------------------------------------------------------- #
# the registry
# --------------------------------------------------------------------------- #

EXERCISES = (
    Exercise(
        id="numerical_derivative",
        lesson="05",
        task="return the centered finite-difference estimate of f'(x) with step h",
        reference=numerical_derivative,
        make_cases=_numerical_derivative_cases,
        hidden_cases=_numerical_derivative_hidden_cases,
        arg_names=("f", "x", "h"),
        mistakes=_NUMERICAL_DERIVATIVE_MISTAKES,
        hints=(
            "Evaluate f a little to the right and a little to the left of x: the slope of the line "
            "through those two points estimates f'(x).",
            "The two points are x + h and x - h. They are 2h apart, so divide the difference of the "
            "two values of f by 2 * h (mind the parentheses).",
            "return (f(x + h) - f(x - h)) / (2 * h)",
        ),
    ),
    Exercise(
        id="multiply_backward",
        lesson="05",
        task="return (dL/dx, dL/dy) for z = x * y, given the upstream gradient dz = dL/dz",
        reference=multiply_backward,
        make_cases=_gate_cases,
        arg_names=("dz", "x", "y"),
        mistakes=_MULTIPLY_MISTAKES,
        hints=(
            "How much does z = x * y move per unit nudge of x? That local derivative, times the "
            "upstream gradient dz, is dL/dx.",
            "∂z/∂x = y and ∂z/∂y = x: each input gets dz times the other input. The elementwise * "
            "works for numbers and arrays alike.",
            "return dz * y, dz * x",
        ),
    ),
    Exercise(
        id="max_backward",
        lesson="05",
        task="return (dL/dx, dL/dy) for z = max(x, y), given dz = dL/dz; a tie sends dz to x",
        reference=max_backward,
        make_cases=_max_cases,
        arg_names=("dz", "x", "y"),
        mistakes=_MAX_MISTAKES,
        hints=(
            "Only the input that won the forward pass decides z: a small nudge of the other one "
            "changes nothing.",
            "Make a mask x >= y (ties go to x). dx is dz where the mask is True and 0 elsewhere; dy is "
            "the opposite. np.where(mask, dz, 0.0) does it for numbers and arrays alike.",
            "x_wins = x >= y; return np.where(x_wins, dz, 0.0), np.where(x_wins, 0.0, dz)",
        ),
    ),
    Exercise(
        id="f_gradients",
        lesson="05",
        task="return (dL/dx, dL/dy) of L = (x*y + x)**2, derived by hand",
        reference=f_gradients_reference,
        make_cases=_f_gradients_cases,
        hidden_cases=_f_gradients_hidden_cases,
        arg_names=("x", "y"),
        mistakes=_F_GRADIENTS_MISTAKES,
        hints=(
            "Name the inner part q = x*y + x, so L = q². Go backward: first dL/dq, then how q moves "
            "with x and with y.",
            "dL/dq = 2q. x reaches q along two paths, through x*y (local derivative y) and directly "
            "(local derivative 1): add them. y reaches q only through x*y (local derivative x).",
            "q = x * y + x; return 2 * q * (y + 1), 2 * q * x",
        ),
    ),
)

QUESTIONS = (
    Question(
        id="q05_1",
        lesson="05",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "That passes dL/dL = 1 through the max as if it were an add gate. But max(q, z) = z "
            "here (q = -6 < z = 1): q lost, so it gets no gradient, and neither do x and y behind it.",
            "b": "max(q, z) picks z = 1 because q = x·y = -6 is smaller. The switch sends the whole "
            "gradient to z (dL/dz = 1) and nothing to q, so x and y, which only reach L through q, "
            "get 0.",
            "c": "That skips the switch and also forgets to swap: through q = x·y, dL/dx is dL/dq · y. "
            "But q lost the max (-6 < 1), so dL/dq = 0 and x and y get nothing.",
            "d": "That treats every gate as a router. Max is a switch: only the winner, z, gets the "
            "gradient; q = -6 lost, so dL/dx = dL/dy = 0.",
        },
    ),
)
