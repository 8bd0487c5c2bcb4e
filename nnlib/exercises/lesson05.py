"""Exercises and concept questions of lesson 05, the chain rule and computational graphs.

Each exercise lists the mistakes learners actually make (``Exercise.mistakes``:
one-sided differences, gradients not swapped, ties sent to both inputs, a path
of a twice-used variable forgotten, ``=`` where the engine needs ``+=``...);
``check()`` names the one a wrong result matches. Correct variants in other
styles (``Exercise.variants``) must pass. Bank functions are self-contained, as
a learner would write them (numpy, builtins and the exercise's prerequisites).

The functions handed to ``numerical_derivative`` are numpy's or defined in
``case_functions.py``, so that the grader can pass them to its sandbox; so are the
harnesses of the three ``Value``-engine exercises, which judge the learner's backward
rules and order on bare nodes (``case_functions.Node``) with the fields of ``Value``.
"""

from __future__ import annotations

import numpy as np

from nnlib.exercises import Case, Exercise, Mistake, Question, Variant
from nnlib.exercises.case_functions import NODE_OPS, Node, cubic, graph_order, node_rule, softplus
from nnlib.exercises.lesson03 import order_problem
from nnlib.gates import max_backward, multiply_backward
from nnlib.gradcheck import numerical_derivative
from nnlib.graph import Value, topological_order

# --------------------------------------------------------------------------- #
# numerical_derivative
# --------------------------------------------------------------------------- #


def _numerical_derivative_cases(rng):
    x = float(rng.uniform(0.5, 2.0))
    return [
        Case(f"sin at x = {x:.3f}, default h", (np.sin, x)),
        # a step this large tells the two-point difference from more accurate formulas
        Case("sin at x = 1, a large step h = 0.5", (np.sin, 1.0), {"h": 0.5}),
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


# numerical_derivative: known mistakes


def _nd_forward(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


def _nd_backward(f, x, h=1e-5):
    return (f(x) - f(x - h)) / h


def _nd_over_h(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h


def _nd_precedence(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / 2 * h


def _nd_reversed(f, x, h=1e-5):
    return (f(x - h) - f(x + h)) / (2 * h)


def _nd_fixed_step(f, x, h=1e-5):
    return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5


def _nd_five_point(f, x, h=1e-5):
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


def _nd_half_steps(f, x, h=1e-5):
    return (f(x + h / 2) - f(x - h / 2)) / h


def _nd_not_divided(f, x, h=1e-5):
    return f(x + h) - f(x - h)


def _nd_over_two(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / 2


_NUMERICAL_DERIVATIVE_MISTAKES = (
    Mistake("that is the one-sided difference (f(x + h) - f(x)) / h: its error shrinks only like h. "
            "Use the centered (f(x + h) - f(x - h)) / (2h), whose error shrinks like h²", _nd_forward),
    Mistake("that is the backward one-sided difference (f(x) - f(x - h)) / h: its error shrinks only "
            "like h. Use the centered (f(x + h) - f(x - h)) / (2h)", _nd_backward),
    Mistake("x + h and x - h are 2h apart: divide by 2 * h, not by h", _nd_over_h),
    Mistake("operator precedence: a / 2 * h is (a / 2) * h; write / (2 * h)", _nd_precedence),
    Mistake("the difference is the wrong way round: f(x + h) - f(x - h), not f(x - h) - f(x + h)",
            _nd_reversed),
    Mistake("you ignored the argument h (and used 1e-5): use the h you are given", _nd_fixed_step),
    Mistake("that is the five-point stencil (-f(x + 2h) + 8f(x + h) - 8f(x - h) + f(x - 2h)) / (12h): "
            "more accurate, but a different estimate. The exercise (and the gradient checks of lessons "
            "06 and 09) use the two-point centered difference (f(x + h) - f(x - h)) / (2h), whose value "
            "the checks compare, also for large steps h", _nd_five_point),
    Mistake("you stepped h/2 each way: (f(x + h/2) - f(x - h/2)) / h is centered too, but with the step "
            "h/2. Evaluate f at x + h and x - h, and divide by 2h", _nd_half_steps),
    Mistake("the difference of f is not divided by the distance 2h between the two points",
            _nd_not_divided),
    Mistake("you divided by 2 only: the two points are 2h apart, so divide by 2 * h", _nd_over_two),
)


# numerical_derivative: correct variants


def _nd_halves(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / 2 / h


def _nd_mean_of_one_sided(f, x, h=1e-5):
    forward = (f(x + h) - f(x)) / h
    backward = (f(x) - f(x - h)) / h
    return 0.5 * (forward + backward)


def _nd_np_gradient(f, x, h=1e-5):
    values = np.array([f(x - h), f(x), f(x + h)], dtype=float)
    return float(np.gradient(values, h)[1])  # numpy's centered difference in the middle


def _nd_signed_sum(f, x, h=1e-5):
    total = 0.0
    for sign in (1, -1):
        total += sign * f(x + sign * h)
    return total / (2 * h)


def _nd_float(f, x, h=1e-5):
    right, left = float(f(x + h)), float(f(x - h))
    return 0.5 * (right - left) / h


_NUMERICAL_DERIVATIVE_VARIANTS = (
    Variant("divided by 2, then by h", _nd_halves),
    Variant("the mean of the forward and backward one-sided differences", _nd_mean_of_one_sided),
    Variant("np.gradient on three samples", _nd_np_gradient),
    Variant("a loop over the signs of the step", _nd_signed_sum),
    Variant("Python floats, 0.5 · difference / h", _nd_float),
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


# multiply_backward: known mistakes


def _mul_not_swapped(dz, x, y):
    return dz * x, dz * y


def _mul_no_upstream(dz, x, y):
    return y * np.ones_like(dz), x * np.ones_like(dz)


def _mul_same_twice_y(dz, x, y):
    return dz * y, dz * y


def _mul_same_twice_x(dz, x, y):
    return dz * x, dz * x


def _mul_distributes(dz, x, y):
    return dz, dz


def _mul_sign(dz, x, y):
    return -dz * y, -dz * x


def _mul_summed(dz, x, y):
    return np.sum(dz * y), np.sum(dz * x)


def _mul_times_output(dz, x, y):
    return dz * x * y, dz * x * y


_MULTIPLY_MISTAKES = (
    Mistake("the inputs are not swapped: ∂(x·y)/∂x = y, so dx = dz * y (the *other* input) and dy = dz * x",
            _mul_not_swapped),
    Mistake("you forgot the upstream gradient: the local derivatives y and x must be multiplied by dz "
            "(chain rule: dL/dx = dL/dz · ∂z/∂x)", _mul_no_upstream),
    Mistake("you returned the same gradient twice: dy = dz * x, not dz * y", _mul_same_twice_y),
    Mistake("you returned the same gradient twice: dx = dz * y, not dz * x", _mul_same_twice_x),
    Mistake("that distributes dz unchanged like the add gate; the multiply gate scales it by the other input",
            _mul_distributes),
    Mistake("the sign is wrong: dL/dx = dL/dz · y, with no minus (the gradient is not yet a descent step)",
            _mul_sign),
    Mistake("you summed over the elements: the gate is elementwise, so each gradient has its input's "
            "shape (no np.sum)", _mul_summed),
    Mistake("you multiplied dz by z = x·y, the output: each input's local derivative is the *other* input",
            _mul_times_output),
)


# multiply_backward: correct variants


def _mul_np_multiply(dz, x, y):
    return np.multiply(dz, y), np.multiply(dz, x)


def _mul_list(dz, x, y):
    return [dz * y, dz * x]


def _mul_einsum(dz, x, y):
    return np.einsum("...,...->...", dz, y), np.einsum("...,...->...", dz, x)


def _mul_loop(dz, x, y):
    if np.ndim(dz) == 0:
        return dz * y, dz * x
    dx, dy = np.empty_like(dz), np.empty_like(dz)
    for i in np.ndindex(np.shape(dz)):
        dx[i] = dz[i] * y[i]
        dy[i] = dz[i] * x[i]
    return dx, dy


def _mul_local_derivatives(dz, x, y):
    local_x, local_y = y, x  # ∂z/∂x = y, ∂z/∂y = x
    return local_x * dz, local_y * dz


_MULTIPLY_VARIANTS = (
    Variant("np.multiply", _mul_np_multiply),
    Variant("a list instead of a tuple", _mul_list),
    Variant("np.einsum with broadcasting dimensions", _mul_einsum),
    Variant("a loop over the elements (np.ndindex)", _mul_loop),
    Variant("the local derivatives named first, then times dz", _mul_local_derivatives),
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
        Case("a tie x = y = 3: the gradient goes to x", (3.0, 3.0, 3.0)),
        Case("arrays (6,) with ties", (rng.normal(size=6), x, y)),
        Case("2-D arrays (3, 4)", tuple(rng.normal(size=(3, 4)) for _ in range(3))),
        Case("negative upstream gradient", (-np.abs(rng.normal(size=4)) - 0.5, rng.normal(size=4),
                                            rng.normal(size=4))),
        Case("float32 stays float32", tuple(rng.normal(size=(2, 3)).astype(np.float32) for _ in range(3))),
    ]


# max_backward: known mistakes


def _max_tie_to_both(dz, x, y):
    return np.where(x >= y, dz, 0.0), np.where(y >= x, dz, 0.0)


def _max_tie_to_y(dz, x, y):
    return np.where(x > y, dz, 0.0), np.where(x > y, 0.0, dz)


def _max_mask_only(dz, x, y):
    return np.where(x >= y, 1.0, 0.0) * np.ones_like(dz), np.where(x >= y, 0.0, 1.0) * np.ones_like(dz)


def _max_distributes(dz, x, y):
    return dz, dz


def _max_to_loser(dz, x, y):
    return np.where(x >= y, 0.0, dz), np.where(x >= y, dz, 0.0)


def _max_times_inputs(dz, x, y):
    return np.where(x >= y, dz * x, 0.0), np.where(x >= y, 0.0, dz * y)


def _max_split_ties(dz, x, y):
    dx = np.where(x > y, dz, np.where(x == y, dz / 2, 0.0))
    dy = np.where(y > x, dz, np.where(x == y, dz / 2, 0.0))
    return dx, dy


def _max_tie_to_neither(dz, x, y):
    return np.where(x > y, dz, 0.0), np.where(y > x, dz, 0.0)


_MAX_MISTAKES = (
    Mistake("on a tie (x == y) you sent dz to both inputs, so the gradient doubled there: "
            "ties go to x only (x >= y for x, x < y for y)", _max_tie_to_both),
    Mistake("on a tie (x == y) x got no gradient: this course sends a tie's whole gradient to x "
            "(use x >= y for x and x < y for y)", _max_tie_to_y),
    Mistake("you returned the 0/1 mask of the winner without multiplying by the upstream gradient dz",
            _max_mask_only),
    Mistake("that distributes dz to both inputs like the add gate; max routes it: only the winner gets dz",
            _max_distributes),
    Mistake("the gradient went to the input that lost: the winner (the larger one) gets dz", _max_to_loser),
    Mistake("you multiplied dz by the inputs' values; max only chooses, the winner gets dz itself",
            _max_times_inputs),
    Mistake("on a tie you split dz between x and y (dz/2 each). That is a valid subgradient too, but "
            "this course pins one choice, as relu_derivative does at 0: a tie's whole gradient goes to "
            "x (x >= y for x, x < y for y)", _max_split_ties),
    Mistake("on a tie (x == y) neither input got the gradient, so it vanished there: a tie's whole "
            "gradient goes to x (x >= y for x, x < y for y)", _max_tie_to_neither),
)


# max_backward: correct variants


def _max_where(dz, x, y):
    x_wins = x >= y
    return np.where(x_wins, dz, 0.0), np.where(x_wins, 0.0, dz)


def _max_mask_product(dz, x, y):
    return dz * (x >= y), dz * (x < y)


def _max_difference(dz, x, y):
    dx = np.where(x >= y, dz, 0 * dz)
    return dx, dz - dx  # the gradient is conserved: dx + dy = dz


def _max_heaviside(dz, x, y):
    to_x = np.heaviside(x - y, 1.0)  # 1 where x > y, and 1 at a tie
    return dz * to_x, dz * (1 - to_x)


def _max_loop(dz, x, y):
    if np.ndim(dz) == 0:
        return (dz, 0.0) if x >= y else (0.0, dz)
    dx, dy = np.zeros_like(dz), np.zeros_like(dz)
    for i in np.ndindex(np.shape(dz)):
        if x[i] >= y[i]:
            dx[i] = dz[i]
        else:
            dy[i] = dz[i]
    return dx, dy


_MAX_VARIANTS = (
    Variant("np.where on the mask x >= y", _max_where),
    Variant("dz times a boolean mask", _max_mask_product),
    Variant("dy as what dx leaves of dz", _max_difference),
    Variant("np.heaviside(x - y, 1) as the switch", _max_heaviside),
    Variant("a loop over the elements, scalars on their own", _max_loop),
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


# f_gradients: known mistakes


def _fg_product_path_only(x, y):
    q = x * y + x
    return 2 * q * y, 2 * q * x


def _fg_direct_path_only(x, y):
    q = x * y + x
    return 2 * q, 2 * q * x


def _fg_no_outer(x, y):
    return y + 1, x


def _fg_no_two(x, y):
    q = x * y + x
    return q * (y + 1), q * x


def _fg_swapped(x, y):
    q = x * y + x
    return 2 * q * x, 2 * q * (y + 1)


def _fg_not_the_other_input(x, y):
    q = x * y + x
    return 2 * q * (y + 1), 2 * q * y


def _fg_direct_path_outside(x, y):
    q = x * y + x
    return 2 * q * y + 1, 2 * q * x


def _fg_outer_is_two(x, y):
    return 2 * (y + 1), 2 * x


_F_GRADIENTS_MISTAKES = (
    Mistake("x reaches q = x·y + x along two paths and you followed only the one through x·y: add the "
            "direct path too, ∂q/∂x = y + 1", _fg_product_path_only),
    Mistake("x reaches q = x·y + x along two paths and you followed only the direct one (+ x): add the "
            "path through x·y too, ∂q/∂x = y + 1", _fg_direct_path_only),
    Mistake("you forgot the outer derivative dL/dq = 2q: each local derivative must be multiplied by it",
            _fg_no_outer),
    Mistake("d(q²)/dq = 2q, not q: the factor 2 is missing", _fg_no_two),
    Mistake("dL/dx and dL/dy are swapped: the first is 2q·(y + 1), the second 2q·x", _fg_swapped),
    Mistake("∂(x·y)/∂y = x (the other input), not y", _fg_not_the_other_input),
    Mistake("the direct path's 1 was added after the chain rule: both paths pass through q, so both are "
            "multiplied by dL/dq = 2q, dL/dx = 2q·(y + 1)", _fg_direct_path_outside),
    Mistake("d(q²)/dq is 2q, not 2: the outer derivative depends on q", _fg_outer_is_two),
)


# f_gradients: correct variants


def _fg_expanded(x, y):
    return 2 * x * (y + 1) ** 2, 2 * x**2 * (y + 1)  # L = x²(y + 1)²


def _fg_backward_by_hand(x, y):
    q = x * y + x
    grad_q = 2 * q
    grad_x = grad_q * y  # through x·y
    grad_x += grad_q * 1  # and directly
    grad_y = grad_q * x
    return grad_x, grad_y


def _fg_list(x, y):
    q = x * (y + 1)
    return [2 * q * (y + 1), 2 * q * x]


def _fg_numpy(x, y):
    q = np.float64(x) * y + x
    return np.float64(2 * q * (y + 1)), np.float64(2 * q * x)


def _fg_dict_of_paths(x, y):
    q = x * y + x
    paths_x = {"through x*y": y, "direct": 1.0}
    return 2 * q * sum(paths_x.values()), 2 * q * x


_F_GRADIENTS_VARIANTS = (
    Variant("the expanded polynomial x²(y + 1)²", _fg_expanded),
    Variant("the backward pass written out, with += for the second path", _fg_backward_by_hand),
    Variant("a list, q factored as x(y + 1)", _fg_list),
    Variant("numpy float64 results", _fg_numpy),
    Variant("the local derivatives of x's paths summed from a dict", _fg_dict_of_paths),
)

# --------------------------------------------------------------------------- #
# The Value engine: value_mul_backward, value_tanh_backward (the _backward of a node)
# --------------------------------------------------------------------------- #


def value_mul_backward(out):
    """The reference: the backward rule of ``out = a * b`` (a node of the ``Value`` engine)."""
    a, b = out._prev
    a.grad += b.data * out.grad
    b.grad += a.data * out.grad


def value_tanh_backward(out):
    """The reference: the backward rule of ``out = tanh(a)``."""
    (a,) = out._prev
    a.grad += (1 - out.data**2) * out.grad


def _value_mul_cases(rng):
    a, b, g = (float(v) for v in np.round(rng.uniform(-3, 3, size=3), 2))
    return [
        Case("out = a * b, a = 3, b = -2, out.grad = 1.5; a.grad and b.grad hold 0.5 and -1 from other nodes",
             ("*", {"a": (3.0, 0.5), "b": (-2.0, -1.0)}, ("a", "b"), 1.5)),
        Case("a = 1.5, b = 4, grads starting at 0, out.grad = 2",
             ("*", {"a": (1.5, 0.0), "b": (4.0, 0.0)}, ("a", "b"), 2.0)),
        Case("a node used twice, out = a * a, after a's other use sent it 1 (L = a·a + a at a = 3)",
             ("*", {"a": (3.0, 1.0)}, ("a", "a"), 1.0)),
        Case("a node used twice, out = a * a, a.grad starting at 0",
             ("*", {"a": (-2.0, 0.0)}, ("a", "a"), 0.5)),
        Case("an input is 0: a = 0, b = 5, out.grad = 2",
             ("*", {"a": (0.0, 0.0), "b": (5.0, 0.0)}, ("a", "b"), 2.0)),
        Case(f"a = {a}, b = {b}, out.grad = {g}", ("*", {"a": (a, 0.0), "b": (b, 0.0)}, ("a", "b"), g)),
    ]


def _value_tanh_cases(rng):
    a, g = (float(v) for v in np.round(rng.uniform(-2, 2, size=2), 2))
    return [
        Case("out = tanh(a) with a = 0.5, out.grad = 2", ("tanh", {"a": (0.5, 0.0)}, ("a",), 2.0)),
        Case("a = -1.2, out.grad = -0.7", ("tanh", {"a": (-1.2, 0.0)}, ("a",), -0.7)),
        Case("a already holds gradient from another node: add to it",
             ("tanh", {"a": (0.8, 0.4)}, ("a",), -1.5)),
        Case("a = 0, where the slope is 1", ("tanh", {"a": (0.0, 0.0)}, ("a",), 3.0)),
        Case("a = 4, saturated: the slope is 0.0013", ("tanh", {"a": (4.0, 0.0)}, ("a",), 1.0)),
        Case(f"a = {a}, out.grad = {g}", ("tanh", {"a": (a, 0.25)}, ("a",), g)),
    ]


# value_mul_backward: known mistakes


def _vm_not_swapped(out):
    a, b = out._prev
    a.grad += a.data * out.grad
    b.grad += b.data * out.grad


def _vm_assigns(out):
    a, b = out._prev
    a.grad = b.data * out.grad
    b.grad = a.data * out.grad


def _vm_no_upstream(out):
    a, b = out._prev
    a.grad += b.data
    b.grad += a.data


def _vm_first_input_only(out):
    a, b = out._prev
    a.grad += b.data * out.grad


def _vm_data_for_grad(out):
    a, b = out._prev
    a.grad += b.data * out.data
    b.grad += a.data * out.data


def _vm_same_twice(out):
    a, b = out._prev
    a.grad += b.data * out.grad
    b.grad += b.data * out.grad


def _vm_distributes(out):
    a, b = out._prev
    a.grad += out.grad
    b.grad += out.grad


def _vm_once_when_shared(out):
    a, b = out._prev
    if a is b:  # "the same node: one gradient"
        a.grad += a.data * out.grad
    else:
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad


def _vm_other_grad(out):
    a, b = out._prev
    a.grad += b.grad * out.grad
    b.grad += a.grad * out.grad


def _vm_returns(out):
    a, b = out._prev
    return b.data * out.grad, a.data * out.grad


_VALUE_MUL_MISTAKES = (
    Mistake("the inputs are not swapped: a's share is b.data * out.grad (the *other* input), b's is "
            "a.data * out.grad", _vm_not_swapped),
    Mistake("= overwrote the gradient an input already had from its other uses: a node's gradient is the "
            "sum over everything it feeds, so add with +=", _vm_assigns),
    Mistake("you forgot the upstream gradient out.grad: each share is the local derivative times "
            "out.grad (the chain rule)", _vm_no_upstream),
    Mistake("out = a * a uses a twice, so a receives two shares, 2·a.data·out.grad: run both lines even "
            "when the inputs are the same node (+= adds them)", _vm_once_when_shared),
    Mistake("only the first input got its share: b.grad += a.data * out.grad too", _vm_first_input_only),
    Mistake("you multiplied by out.data, the node's value: the chain rule needs out.grad, dL/d out",
            _vm_data_for_grad),
    Mistake("both inputs got the same share: a gets b.data * out.grad, b gets a.data * out.grad",
            _vm_same_twice),
    Mistake("that distributes out.grad unchanged, the add rule: the multiply rule scales it by the other "
            "input's data", _vm_distributes),
    Mistake("you used the other input's grad: the local derivative of a·b with respect to a is b.data, "
            "the other input's value", _vm_other_grad),
    Mistake("you returned the gradients: a _backward returns nothing, it adds each input's share to "
            "input.grad", _vm_returns),
)


# value_mul_backward: correct variants


def _vm_indexed(out):
    out._prev[0].grad += out._prev[1].data * out.grad
    out._prev[1].grad += out._prev[0].data * out.grad


def _vm_loop(out):
    for i, child in enumerate(out._prev):
        other = out._prev[1 - i]
        child.grad += other.data * out.grad


def _vm_named(out):
    self, other = out._prev
    self_share, other_share = other.data * out.grad, self.data * out.grad  # both before either changes
    self.grad = self.grad + self_share
    other.grad = other.grad + other_share


def _vm_gate(out):
    x, y = out._prev
    dx, dy = out.grad * y.data, out.grad * x.data  # the multiply gate, then accumulate
    x.grad += dx
    y.grad += dy


def _vm_floats(out):
    a, b = out._prev
    upstream = float(out.grad)
    a.grad += float(b.data) * upstream
    b.grad += float(a.data) * upstream


_VALUE_MUL_VARIANTS = (
    Variant("indexing out._prev", _vm_indexed),
    Variant("a loop over the inputs, each times the other", _vm_loop),
    Variant("micrograd's names self and other, grad = grad + share", _vm_named),
    Variant("the multiply gate's two gradients, then +=", _vm_gate),
    Variant("explicit float conversions", _vm_floats),
)


# value_tanh_backward: known mistakes


def _vt_at_input(out):
    (a,) = out._prev
    a.grad += (1 - a.data**2) * out.grad


def _vt_no_upstream(out):
    (a,) = out._prev
    a.grad += 1 - out.data**2


def _vt_assigns(out):
    (a,) = out._prev
    a.grad = (1 - out.data**2) * out.grad


def _vt_not_squared(out):
    (a,) = out._prev
    a.grad += (1 - out.data) * out.grad


def _vt_sign(out):
    (a,) = out._prev
    a.grad += (out.data**2 - 1) * out.grad


def _vt_tanh_twice(out):
    (a,) = out._prev
    a.grad += (1 - np.tanh(out.data) ** 2) * out.grad


def _vt_sigmoid_rule(out):
    (a,) = out._prev
    a.grad += out.data * (1 - out.data) * out.grad


def _vt_grad_for_data(out):
    (a,) = out._prev
    a.grad += (1 - out.grad**2) * out.grad


def _vt_sech(out):
    (a,) = out._prev
    a.grad += out.grad / np.cosh(a.data)


def _vt_multiplies(out):
    (a,) = out._prev
    a.grad *= (1 - out.data**2) * out.grad


_VALUE_TANH_MISTAKES = (
    Mistake("1 - a.data² uses the input: the slope of tanh is 1 - tanh(a)², and tanh(a) is out.data",
            _vt_at_input),
    Mistake("you forgot the upstream gradient: a's share is (1 - out.data²) · out.grad", _vt_no_upstream),
    Mistake("= overwrote the gradient a already had from its other uses: add with +=", _vt_assigns),
    Mistake("the square is missing: d tanh(a)/da = 1 - tanh(a)², not 1 - tanh(a)", _vt_not_squared),
    Mistake("the sign is flipped: d tanh(a)/da = 1 - tanh(a)², which is positive", _vt_sign),
    Mistake("you took tanh of out.data, which already is tanh(a): the slope is 1 - out.data²",
            _vt_tanh_twice),
    Mistake("that is the sigmoid's rule σ(1 - σ): for tanh the slope is 1 - tanh(a)²", _vt_sigmoid_rule),
    Mistake("you used out.grad where the slope needs out.data: 1 - out.data², times out.grad",
            _vt_grad_for_data),
    Mistake("1/cosh(a) is sech(a), not its square: d tanh(a)/da = sech²(a) = 1 - tanh(a)²", _vt_sech),
    Mistake("*= multiplied the gradient a already had: add a's share with +=", _vt_multiplies),
)


# value_tanh_backward: correct variants


def _vt_indexed(out):
    out._prev[0].grad += (1 - out.data * out.data) * out.grad


def _vt_recomputed(out):
    (a,) = out._prev
    t = np.tanh(a.data)  # recompute tanh from the input
    a.grad += (1 - t**2) * out.grad


def _vt_cosh(out):
    (a,) = out._prev
    a.grad += out.grad / np.cosh(a.data) ** 2


def _vt_factored(out):
    (a,) = out._prev
    t = out.data
    a.grad += (1 - t) * (1 + t) * out.grad


def _vt_loop(out):
    for child in out._prev:
        child.grad = child.grad + out.grad * (1.0 - out.data**2)


_VALUE_TANH_VARIANTS = (
    Variant("indexing out._prev, out.data * out.data", _vt_indexed),
    Variant("tanh recomputed from the input", _vt_recomputed),
    Variant("sech² written as 1/cosh²", _vt_cosh),
    Variant("1 - t² factored as (1 - t)(1 + t)", _vt_factored),
    Variant("a loop over the (single) input, grad = grad + share", _vt_loop),
)

# --------------------------------------------------------------------------- #
# topological_order: the order backward() walks, on a graph of nodes
# --------------------------------------------------------------------------- #


def _topological_cases(rng):
    x1, w1 = (float(v) for v in np.round(rng.uniform(-2, 2, size=2), 2))
    chain = [("x", "leaf", 0.3)] + [(f"t{i}", "tanh", (f"t{i - 1}" if i > 1 else "x",)) for i in range(1, 7)]
    return [
        Case("L = (x·y + z)·w", ([("x", "leaf", 2.0), ("y", "leaf", -3.0), ("q", "*", ("x", "y")),
                                   ("z", "leaf", 4.0), ("r", "+", ("q", "z")), ("w", "leaf", -2.0),
                                   ("L", "*", ("r", "w"))],)),
        Case("x used twice: L = x·x + x",
             ([("x", "leaf", 3.0), ("q", "*", ("x", "x")), ("L", "+", ("q", "x"))],)),
        Case("a skip: a = x·y feeds b = a + x and L = tanh(b)·a",
             ([("x", "leaf", 0.5), ("y", "leaf", -1.5), ("a", "*", ("x", "y")), ("b", "+", ("a", "x")),
               ("c", "tanh", ("b",)), ("L", "*", ("c", "a"))],)),
        Case("a shared input: L = a·b + (a + c)",
             ([("a", "leaf", 1.5), ("b", "leaf", 2.0), ("p", "*", ("a", "b")), ("c", "leaf", -1.0),
               ("q", "+", ("a", "c")), ("L", "+", ("p", "q"))],)),
        Case("two leaves holding the same number, 2 (and two nodes holding 4)",
             ([("x", "leaf", 2.0), ("y", "leaf", 2.0), ("p", "*", ("x", "y")), ("s", "+", ("x", "y")),
               ("L", "*", ("p", "s"))],)),
        Case(f"a neuron: tanh(x1·w1 + x2·w2 + b), x1 = {x1}, w1 = {w1}",
             ([("x1", "leaf", x1), ("w1", "leaf", w1), ("x2", "leaf", 0.5), ("w2", "leaf", -1.0),
               ("m1", "*", ("x1", "w1")), ("m2", "*", ("x2", "w2")), ("s", "+", ("m1", "m2")),
               ("b", "leaf", 0.7), ("n", "+", ("s", "b")), ("o", "tanh", ("n",))],)),
        Case("a chain of 6 tanh", (chain,)),
        Case("a single leaf: the graph is just L", ([("L", "leaf", 1.0)],)),
    ]


def _graph_nodes(program) -> tuple[list[str], list[list[int]], list[Node]]:
    """Names, the inputs of each node (as indices) and the nodes themselves, in program order."""
    names = [name for name, _, _ in program]
    reads = [[names.index(a) for a in arg] if op != "leaf" else [] for _, op, arg in program]
    nodes = []
    for (_, op, arg), inputs in zip(program, reads, strict=True):
        if op == "leaf":
            nodes.append(Node(arg))
        else:
            args = [nodes[i] for i in inputs]
            nodes.append(Node(NODE_OPS[op](*(a.data for a in args)), _prev=args, _op=op))
    return names, reads, nodes


def _reversed_preorders(nodes, index):
    """The orders learners get from a pre-order walk (a node listed before its inputs), reversed."""
    root = nodes[-1]
    recursive, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            recursive.append(index[id(node)])
            for child in node._prev:
                visit(child)

    visit(root)
    stacked, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stacked.append(index[id(node)])
            stack.extend(node._prev)
    breadth, seen, queue = [], {id(root)}, [root]
    while queue:
        node = queue.pop(0)
        breadth.append(index[id(node)])
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                queue.append(child)
    return {"pre-order": [recursive[::-1], stacked[::-1]], "breadth-first": [breadth[::-1]]}


def _verify_topological_order(case, received):
    names, reads, nodes = _graph_nodes(case.args[0])
    if "['not a list']" in received:
        return ("return a list of the nodes (the Value objects themselves), each after its inputs; "
                "got something that is not a list")
    positions = [int(p) for p in received["['order']"]]
    problem = order_problem(names, reads, positions, leaves="the leaves (inputs, weights) too")
    if problem is None:
        return None
    index = {id(node): i for i, node in enumerate(nodes)}
    walks = _reversed_preorders(nodes, index)
    if positions in walks["pre-order"]:
        return ("you listed each node before visiting its inputs (a pre-order), then reversed the list; "
                "a node read along two paths can then land after a node that reads it: " + problem
                + ". Append a node only after all of its inputs are placed (post-order)")
    if positions in walks["breadth-first"]:
        return ("that is a breadth-first walk from the output, reversed: a node reached along a short and "
                "a long path is placed by the short one, too early: " + problem
                + ". Append a node only after all of its inputs are placed (depth-first, post-order)")
    missing = [i for i in range(len(names)) if i not in positions]
    twin = {i: next((j for j in positions if nodes[j].data == nodes[i].data), None) for i in missing}
    if missing and all(j is not None for j in twin.values()):  # each left-out node's number is in the order
        i, j = missing[0], twin[missing[0]]
        return (f"{problem}: {names[i]!r} holds the same number, {nodes[i].data:g}, as {names[j]!r}. "
                "Tell nodes apart by identity (a set of the nodes themselves, or of id(node)), never by "
                "their data")
    return problem


# topological_order: known mistakes (no prerequisites)


def _topo_no_visited(root):
    order = []

    def build(node):
        for child in node._prev:
            build(child)
        order.append(node)

    build(root)
    return order


def _topo_root_first(root):
    order, visited = [], set()

    def build(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                build(child)
            order.append(node)

    build(root)
    return order[::-1]


def _topo_without_leaves(root):
    order, visited = [], set()

    def build(node):
        if node not in visited and node._prev:
            visited.add(node)
            for child in node._prev:
                build(child)
            order.append(node)

    build(root)
    return order


def _topo_breadth_first(root):
    order, seen, queue = [], {root}, [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for child in node._prev:
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return order[::-1]


def _topo_preorder(root):
    order, visited = [], set()

    def build(node):
        if node not in visited:
            visited.add(node)
            order.append(node)  # placed before its inputs
            for child in node._prev:
                build(child)

    build(root)
    return list(reversed(order))


def _topo_visited_by_data(root):
    order, seen_values = [], set()

    def build(node):
        if node.data not in seen_values:
            seen_values.add(node.data)
            for child in node._prev:
                build(child)
            order.append(node)

    build(root)
    return order


def _topo_one_level(root):
    return [*root._prev, root]


def _topo_by_data(root):
    nodes, stack = [], [root]
    while stack:
        node = stack.pop()
        if all(node is not n for n in nodes):
            nodes.append(node)
            stack.extend(node._prev)
    return sorted(nodes, key=lambda node: node.data)


def _topo_no_return(root):
    order, visited = [], set()

    def build(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                build(child)
            order.append(node)

    build(root)


_TOPOLOGICAL_MISTAKES = (
    Mistake("no record of visited nodes: a node used twice is placed twice", _topo_no_visited,
            expect="times in your order"),
    Mistake("the root first: the order backward() walks, not the one it reverses", _topo_root_first,
            expect="your order is backwards"),
    Mistake("the leaves left out", _topo_without_leaves, expect="your order leaves out"),
    Mistake("a breadth-first walk from the root, reversed", _topo_breadth_first,
            expect="that is a breadth-first walk from the output, reversed"),
    Mistake("each node placed before its inputs (pre-order), reversed", _topo_preorder,
            expect="(a pre-order), then reversed the list"),
    Mistake("nodes told apart by their data", _topo_visited_by_data, expect="never by their data"),
    Mistake("only the root's direct inputs", _topo_one_level, expect="your order leaves out"),
    Mistake("sorted by data", _topo_by_data, expect="comes before its input"),
    Mistake("the list built but not returned", _topo_no_return, expect="got something that is not a list"),
)


# topological_order: correct variants


def _topo_micrograd(root):
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(root)
    return topo


def _topo_stack(root):
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            for child in node._prev:
                stack.append((child, False))
    return order


def _topo_kahn(root):
    nodes, stack = {}, [root]
    while stack:  # collect the graph
        node = stack.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(node._prev)
    consumers = {key: 0 for key in nodes}  # how many edges still wait to leave each node
    for node in nodes.values():
        for child in node._prev:
            consumers[id(child)] += 1
    order, ready = [], [root]
    while ready:  # from the root down, a node once all its consumers are done
        node = ready.pop()
        order.append(node)
        for child in node._prev:
            consumers[id(child)] -= 1
            if consumers[id(child)] == 0:
                ready.append(child)
    return order[::-1]


def _topo_by_depth(root):
    depth = {}

    def depth_of(node):
        if id(node) not in depth:
            depth[id(node)] = (1 + max((depth_of(c)[0] for c in node._prev), default=-1), node)
        return depth[id(node)]

    depth_of(root)
    return [node for _, node in sorted(depth.values(), key=lambda pair: pair[0])]


def _topo_first_occurrences(root):
    walk = []

    def build(node):  # every path: a node may come many times, always after its inputs
        for child in node._prev:
            build(child)
        walk.append(node)

    build(root)
    first, seen = [], set()
    for node in walk:
        if id(node) not in seen:
            seen.add(id(node))
            first.append(node)
    return tuple(first)


_TOPOLOGICAL_VARIANTS = (
    Variant("micrograd's recursive build_topo with a set of nodes", _topo_micrograd),
    Variant("an explicit stack, inputs-done flags, a set of id(node)", _topo_stack),
    Variant("Kahn's algorithm from the root, reversed", _topo_kahn),
    Variant("sorted by depth (the longest path from a leaf)", _topo_by_depth),
    Variant("first occurrences of a walk over every path, as a tuple", _topo_first_occurrences),
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
        variants=_NUMERICAL_DERIVATIVE_VARIANTS,
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
        variants=_MULTIPLY_VARIANTS,
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
        variants=_MAX_VARIANTS,
        hints=(
            "Only the input that won the forward pass decides z: a small nudge of the other one "
            "changes nothing.",
            "Make a mask x >= y (ties go to x). dx is dz where the mask is True and 0 elsewhere; dy is "
            "the opposite. np.where(mask, dz, 0.0) does it for numbers and arrays alike.",
            "x_wins = x >= y; return np.where(x_wins, dz, 0.0), np.where(x_wins, 0.0, dz)",
        ),
    ),
    Exercise(
        id="value_mul_backward",
        lesson="05",
        task="add to each input's .grad its share of out.grad, for the node out = a * b",
        reference=value_mul_backward,
        make_cases=_value_mul_cases,
        arg_names=("out",),
        harness=node_rule,
        mistakes=_VALUE_MUL_MISTAKES,
        variants=_VALUE_MUL_VARIANTS,
        hints=(
            "This is the multiply gate again, inside a node: out.grad is the upstream gradient dL/d out, "
            "and each input's share is it times that input's local derivative. A node may feed several "
            "others, so its .grad collects shares from all of them.",
            "a, b = out._prev gives the inputs (the same node twice for a * a). The local derivative "
            "with respect to a is b.data, and the other way round. Add each share to the input's .grad "
            "with +=; return nothing.",
            "a, b = out._prev; a.grad += b.data * out.grad; b.grad += a.data * out.grad",
        ),
    ),
    Exercise(
        id="value_tanh_backward",
        lesson="05",
        task="add to the input's .grad its share of out.grad, for the node out = tanh(a)",
        reference=value_tanh_backward,
        make_cases=_value_tanh_cases,
        arg_names=("out",),
        harness=node_rule,
        mistakes=_VALUE_TANH_MISTAKES,
        variants=_VALUE_TANH_VARIANTS,
        hints=(
            "The local derivative of tanh is 1 - tanh(a)² (lesson 02), and the node already holds "
            "tanh(a): it is out.data. The share of the input is that slope times out.grad.",
            "(a,) = out._prev unpacks the single input. Add the share to a.grad with +=, because a may "
            "also feed other nodes; return nothing.",
            "(a,) = out._prev; a.grad += (1 - out.data**2) * out.grad",
        ),
    ),
    Exercise(
        id="topological_order",
        lesson="05",
        task="return every node of root's graph once, each after all of its inputs (root last)",
        reference=topological_order,
        make_cases=_topological_cases,
        arg_names=("root",),
        harness=graph_order,
        verify=_verify_topological_order,
        mistakes=_TOPOLOGICAL_MISTAKES,
        variants=_TOPOLOGICAL_VARIANTS,
        hints=(
            "This is lesson 03's forward_order, on the nodes themselves: node._prev lists a node's "
            "inputs. Place a node only once all of its inputs are placed, and each node only once, "
            "however many nodes use it.",
            "Depth-first from the root: build(node) first calls build on each input, then appends the "
            "node. A set of the nodes already placed stops a node used twice from being placed twice "
            "(a set of nodes works: a Value is hashed by identity).",
            "order, placed = [], set(); def build(v): if v not in placed: placed.add(v); for child in "
            "v._prev: build(child); order.append(v). Then build(root); return order",
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
        variants=_F_GRADIENTS_VARIANTS,
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
            "b": "max(q, z) picks z = 1 because q = x·y = -6 is smaller. The max gate routes the whole "
            "gradient to z (dL/dz = 1) and nothing to q, so x and y, which only reach L through q, "
            "get 0.",
            "c": "That skips the max and also forgets to swap: through q = x·y, dL/dx is dL/dq · y. "
            "But q lost the max (-6 < 1), so dL/dq = 0 and x and y get nothing.",
            "d": "That treats every gate as an add gate, which distributes the gradient to all its inputs. "
            "Max routes it: only the winner, z, gets the gradient; q = -6 lost, so dL/dx = dL/dy = 0.",
        },
    ),
)
