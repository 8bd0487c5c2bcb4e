"""Exercises and concept questions of lesson 01, the single neuron (and lesson 00's question).

Every known mistake and correct variant below is a module-level function written as a
learner would write it, using only numpy and Python: the bank test grades its source
text in the grader's sandbox, where nothing else exists.
"""

import numpy as np

from nnlib.exercises import Case, Exercise, Mistake, Question, Variant
from nnlib.layers import dense_preactivation
from nnlib.neuron import line_through, preactivation, signed_distance

RAISES = "raised ValueError"  # the fragment check() prints for a mistake that raises on the first case


# --------------------------------------------------------------------------- preactivation


def _preactivation_cases(rng):
    return [
        Case("3 inputs", (rng.normal(size=3), rng.normal(size=3), float(rng.normal()))),
        Case("1 input", (rng.normal(size=1), rng.normal(size=1), 0.5)),
        Case("10 inputs, negative bias", (rng.normal(size=10), rng.normal(size=10), -2.0)),
        Case("all zeros", (np.zeros(4), np.zeros(4), 0.0)),
        Case("zero weights: z is the bias", (rng.normal(size=5), np.zeros(5), 1.5)),
        Case("large magnitudes", (rng.normal(size=6) * 1e3, rng.normal(size=6) * 1e3, 1e4)),
    ]


def _preactivation_hidden_cases(rng):
    return [
        Case("100 inputs", (rng.normal(size=100), rng.normal(size=100), float(rng.normal()))),
        Case("integer input", (np.array([1, -2, 3]), rng.normal(size=3), 0.25)),
    ]


def _pre_no_bias(x, w, b):
    return float(x @ w)


def _pre_bias_subtracted(x, w, b):
    return float(x @ w - b)


def _pre_never_summed(x, w, b):
    return x * w + b


def _pre_bias_in_every_term(x, w, b):
    return float(np.sum(x * w + b))


def _pre_mean_of_products(x, w, b):
    return float(np.mean(x * w) + b)


def _pre_added_instead_of_multiplied(x, w, b):
    return float(np.sum(x + w) + b)


def _pre_bias_multiplies(x, w, b):
    return float(x @ w * b)


def _pre_loop_returns_early(x, w, b):
    for i in range(len(x)):
        return float(x[i] * w[i] + b)


def _pre_loop_skips_last(x, w, b):
    total = 0.0
    for i in range(len(x) - 1):
        total += x[i] * w[i]
    return float(total + b)


def _pre_every_pair(x, w, b):
    return float(np.sum(np.outer(x, w)) + b)


def _pre_divided_by_norm(x, w, b):
    return float((x @ w + b) / np.linalg.norm(w))


_PREACTIVATION_MISTAKES = (
    Mistake("the bias is missing: add b after the weighted sum, z = w·x + b", _pre_no_bias),
    Mistake("the bias is subtracted: z = w·x + b adds it", _pre_bias_subtracted),
    Mistake("the products w_i x_i are never added up: z is one number, their sum plus b", _pre_never_summed),
    Mistake("b was added to every product, so it counts D times: add it once, after the sum",
            _pre_bias_in_every_term),
    Mistake("the products were averaged: z adds them up (no division by D)", _pre_mean_of_products),
    Mistake("each input was added to its weight: z multiplies them, w_i x_i, and adds the products",
            _pre_added_instead_of_multiplied),
    Mistake("the bias multiplies the weighted sum: it is added, z = w·x + b", _pre_bias_multiplies),
    Mistake("only the first input was used (a return inside the loop?): sum w_i x_i over every i first",
            _pre_loop_returns_early),
    Mistake("the last input is missing (range(len(x) - 1)?): sum over every index 0 .. D-1",
            _pre_loop_skips_last),
    Mistake("every input was multiplied with every weight (np.outer?): pair x_i with w_i only",
            _pre_every_pair),
    Mistake("z was divided by ‖w‖: that is the signed distance to the line (section 3), not z",
            _pre_divided_by_norm),
)


def _pre_loop(x, w, b):
    total = 0.0
    for i in range(len(x)):
        total += w[i] * x[i]
    return total + b


def _pre_np_dot(x, w, b):
    return float(np.dot(w, x)) + b


def _pre_python_sum(x, w, b):
    return sum(float(xi) * float(wi) for xi, wi in zip(x, w, strict=True)) + b


def _pre_einsum(x, w, b):
    return np.einsum("i,i->", x, w) + b


def _pre_fsum(x, w, b):
    import math

    return math.fsum([*(x * w), b])


def _pre_numpy_scalar(x, w, b):
    return np.sum(x * w) + b  # a numpy float64, not a Python float: also a number


_PREACTIVATION_VARIANTS = (
    Variant("a loop accumulating w[i] * x[i]", _pre_loop),
    Variant("np.dot(w, x), the other order", _pre_np_dot),
    Variant("Python's sum over zip(x, w)", _pre_python_sum),
    Variant("np.einsum('i,i->')", _pre_einsum),
    Variant("math.fsum of the products and the bias", _pre_fsum),
    Variant("a numpy float64 instead of a Python float", _pre_numpy_scalar),
)


# --------------------------------------------------------------------------- dense_preactivation


def _dense_preactivation_cases(rng):
    def case(name, n, d_in, d_out, scale=1.0):
        return Case(name, (rng.normal(size=(n, d_in)) * scale, rng.normal(size=(d_in, d_out)) * scale,
                           rng.normal(size=d_out) * scale))

    return [
        case("4 examples, 3 inputs, 2 neurons", 4, 3, 2),
        case("batch of 1", 1, 3, 2),
        case("one neuron", 5, 4, 1),
        case("square W (a transposed W still has the right shape)", 6, 3, 3),
        case("more neurons than inputs", 2, 2, 7),
        case("large magnitudes", 3, 4, 5, scale=1e3),
        Case("all zeros", (np.zeros((3, 4)), np.zeros((4, 2)), np.zeros(2))),
        Case("float32 stays float32", tuple(a.astype(np.float32) for a in
                                           (rng.normal(size=(4, 3)), rng.normal(size=(3, 2)),
                                            rng.normal(size=2)))),
    ]


def _dense_preactivation_hidden_cases(rng):
    return [
        Case("64 examples, 20 inputs, 10 neurons",
             (rng.normal(size=(64, 20)), rng.normal(size=(20, 10)), rng.normal(size=10))),
        Case("one input feature", (rng.normal(size=(5, 1)), rng.normal(size=(1, 3)), rng.normal(size=3))),
    ]


def _dense_no_bias(X, W, b):
    return X @ W


def _dense_transposed(X, W, b):
    return W.T @ X.T + b[:, None]


def _dense_w_transposed(X, W, b):
    return X @ W.T + b


def _dense_biases_summed(X, W, b):
    return X @ W + b.sum()


def _dense_first_example_only(X, W, b):
    return np.array([X[0] @ W + b])


def _dense_averaged_over_batch(X, W, b):
    return (X @ W + b).mean(axis=0)


def _dense_bias_subtracted(X, W, b):
    return X @ W - b


def _dense_bias_added_to_weights(X, W, b):
    return X @ (W + b)


_DENSE_PREACTIVATION_MISTAKES = (
    Mistake("the bias is missing: add b, of shape (D_out,), to every row of X @ W", _dense_no_bias),
    Mistake("Z is transposed: batch first, Z has one row per example, shape (N, D_out)", _dense_transposed),
    Mistake("W is used transposed: with W of shape (D_in, D_out), X @ W needs no .T", _dense_w_transposed,
            expect=RAISES),
    Mistake("all biases were summed into one number: neuron j adds its own b[j] (b broadcasts over the rows)",
            _dense_biases_summed),
    Mistake("only the first example was computed: Z has one row for every example in X",
            _dense_first_example_only),
    Mistake("the rows were averaged over the batch: Z keeps one row per example, shape (N, D_out)",
            _dense_averaged_over_batch),
    Mistake("the bias is subtracted: Z = XW + b adds it", _dense_bias_subtracted),
    Mistake("b was added to the weights, so the inputs multiply it too: add it after the product",
            _dense_bias_added_to_weights),
)


def _dense_einsum(X, W, b):
    return np.einsum("ni,ij->nj", X, W) + b


def _dense_loops(X, W, b):
    Z = np.zeros((X.shape[0], W.shape[1]), dtype=np.result_type(X, W, b))
    for n in range(X.shape[0]):
        for j in range(W.shape[1]):
            Z[n, j] = X[n] @ W[:, j] + b[j]
    return Z


def _dense_np_dot(X, W, b):
    return np.dot(X, W) + b.reshape(1, -1)


def _dense_transpose_twice(X, W, b):
    return (W.T @ X.T).T + b


def _dense_tensordot(X, W, b):
    return np.tensordot(X, W, axes=1) + b[None, :]


def _dense_float64(X, W, b):
    return X.astype(np.float64) @ W.astype(np.float64) + b.astype(np.float64)


_DENSE_PREACTIVATION_VARIANTS = (
    Variant("np.einsum('ni,ij->nj')", _dense_einsum),
    Variant("two loops over examples and neurons", _dense_loops),
    Variant("np.dot and an explicit (1, D_out) bias row", _dense_np_dot),
    Variant("(W.T @ X.T).T", _dense_transpose_twice),
    Variant("np.tensordot", _dense_tensordot),
    Variant("float64 result for float32 input", _dense_float64),
)


# --------------------------------------------------------------------------- signed_distance


def _signed_distance_cases(rng):
    def case(name, n, d, b=None, scale=1.0, dtype=np.float64):
        X = (rng.normal(size=(n, d)) * 2 * scale).astype(dtype)
        w = (rng.normal(size=d) * 2 * scale).astype(dtype)
        return Case(name, (X, w, float(rng.normal() * scale) if b is None else b))

    return [
        case("5 points in the plane", 5, 2),
        case("4 points in 3-D (a plane, not a line)", 4, 3),
        case("batch of 1", 1, 2),
        case("b = 0: the line passes through the origin", 6, 2, b=0.0),
        Case("w of length 1: the distance equals z", (rng.normal(size=(3, 2)), np.array([0.6, -0.8]), 1.5)),
        Case("points on the line: distance 0", (np.array([[2.0, 0.0], [0.0, -1.0], [1.0, -0.5]]),
                                               np.array([1.0, -2.0]), -2.0)),
        case("large magnitudes", 4, 2, scale=1e3),
        case("float32 stays float32", 5, 2, dtype=np.float32),
    ]


def _sd_not_divided(X, w, b):
    return X @ w + b


def _sd_squared_norm(X, w, b):
    return (X @ w + b) / (w @ w)


def _sd_no_bias(X, w, b):
    return X @ w / np.linalg.norm(w)


def _sd_bias_not_divided(X, w, b):
    return X @ w / np.linalg.norm(w) + b


def _sd_unsigned(X, w, b):
    return np.abs(X @ w + b) / np.linalg.norm(w)


def _sd_sign_flipped(X, w, b):
    return -(X @ w + b) / np.linalg.norm(w)


def _sd_l1_norm(X, w, b):
    return (X @ w + b) / np.abs(w).sum()


def _sd_norm_of_points(X, w, b):
    return (X @ w + b) / np.linalg.norm(X, axis=1)


def _sd_line_from_origin(X, w, b):
    return np.full(X.shape[0], abs(b) / np.linalg.norm(w))


def _sd_bias_subtracted(X, w, b):
    return (X @ w - b) / np.linalg.norm(w)


_SIGNED_DISTANCE_MISTAKES = (
    Mistake("this is z itself: divide w·x + b by the length ‖w‖ (np.linalg.norm(w))", _sd_not_divided),
    Mistake("divided by ‖w‖² (w @ w): the length is its square root, ‖w‖ = sqrt(w·w)", _sd_squared_norm),
    Mistake("the bias is missing: the distance is (w·x + b) / ‖w‖", _sd_no_bias),
    Mistake("only w·x was divided by ‖w‖: divide the whole z = w·x + b", _sd_bias_not_divided),
    Mistake("the sign was dropped (np.abs?): the distance is signed, negative on the side w points away "
            "from", _sd_unsigned),
    Mistake("the sign is flipped: the distance is positive on the side w points to, where z > 0",
            _sd_sign_flipped),
    Mistake("the length of w is sqrt(w₁² + w₂² + ...), not |w₁| + |w₂| + ... (np.linalg.norm(w))",
            _sd_l1_norm),
    Mistake("divided by the length of each point x: the line's normal is w, so divide by ‖w‖",
            _sd_norm_of_points),
    Mistake("this is the distance of the line from the origin, |b| / ‖w‖, the same for every point: "
            "compute each point's own z first", _sd_line_from_origin),
    Mistake("the bias is subtracted: z = w·x + b adds it", _sd_bias_subtracted),
)


def _sd_unit_normal(X, w, b):
    length = np.linalg.norm(w)
    return X @ (w / length) + b / length


def _sd_loop(X, w, b):
    length = np.sqrt(np.sum(w * w))
    out = np.empty(X.shape[0], dtype=X.dtype)
    for n in range(X.shape[0]):
        out[n] = (X[n] @ w + b) / length
    return out


def _sd_einsum(X, w, b):
    return (np.einsum("nd,d->n", X, w) + b) / np.sqrt(np.einsum("d,d->", w, w))


def _sd_math_sqrt(X, w, b):
    import math

    return (np.dot(X, w) + b) / math.sqrt(float(w @ w))


def _sd_hypot_2d_or_norm(X, w, b):
    length = np.hypot(w[0], w[1]) if w.shape[0] == 2 else np.linalg.norm(w)
    return (X @ w + b) / length


def _sd_float64(X, w, b):
    return (X.astype(np.float64) @ w.astype(np.float64) + b) / np.linalg.norm(w.astype(np.float64))


_SIGNED_DISTANCE_VARIANTS = (
    Variant("project onto the unit normal w / ‖w‖, then add b / ‖w‖", _sd_unit_normal),
    Variant("a loop over the points", _sd_loop),
    Variant("np.einsum for both the products and the length", _sd_einsum),
    Variant("math.sqrt of w @ w", _sd_math_sqrt),
    Variant("np.hypot for 2-D weights", _sd_hypot_2d_or_norm),
    Variant("float64 result for float32 input", _sd_float64),
)


# --------------------------------------------------------------------------- line_through


def _line_through_cases(rng):
    return [
        Case("two points of the plane", (rng.normal(size=2) * 2, rng.normal(size=2) * 2)),
        Case("a vertical line, walked upwards", (np.array([1.5, -1.0]), np.array([1.5, 2.0]))),
        Case("a horizontal line, walked to the left", (np.array([2.0, 1.0]), np.array([-1.0, 1.0]))),
        Case("through the origin: b = 0", (np.array([-1.0, -2.0]), np.array([2.0, 4.0]))),
        Case("far from the origin", (rng.normal(size=2) * 1e3, rng.normal(size=2) * 1e3)),
        Case("points close together", (np.array([0.3, 0.7]), np.array([0.3005, 0.6998]))),
    ]


def _lt_not_unit(p, q):
    d = q - p
    w = np.array([-d[1], d[0]])
    return w, -(w @ p)


def _lt_clockwise(p, q):
    d = q - p
    w = np.array([d[1], -d[0]]) / np.linalg.norm(d)
    return w, -(w @ p)


def _lt_along_the_line(p, q):
    d = q - p
    w = d / np.linalg.norm(d)
    return w, -(w @ p)


def _lt_bias_sign(p, q):
    d = q - p
    w = np.array([-d[1], d[0]]) / np.linalg.norm(d)
    return w, w @ p


def _lt_no_bias(p, q):
    d = q - p
    return np.array([-d[1], d[0]]) / np.linalg.norm(d), 0.0


def _lt_turned_a_point(p, q):
    w = np.array([-q[1], q[0]]) / np.linalg.norm(q)
    return w, -(w @ p)


def _lt_bias_before_normalising(p, q):
    d = q - p
    w = np.array([-d[1], d[0]])
    b = -(w @ p)
    return w / np.linalg.norm(w), b


def _lt_squared_length(p, q):
    d = q - p
    w = np.array([-d[1], d[0]]) / (d @ d)
    return w, -(w @ p)


def _lt_swapped_not_turned(p, q):
    d = q - p
    w = np.array([d[1], d[0]]) / np.linalg.norm(d)
    return w, -(w @ p)


_LINE_THROUGH_MISTAKES = (
    Mistake("w is perpendicular to the line but not of length 1: divide it by its length ‖q - p‖",
            _lt_not_unit),
    Mistake("w points to the right of the way from p to q: turn q - p counterclockwise, (-d₂, d₁)",
            _lt_clockwise),
    Mistake("w runs along the line: it must be perpendicular to q - p, e.g. (-d₂, d₁) / ‖d‖",
            _lt_along_the_line),
    Mistake("the sign of b is flipped: z(p) = w·p + b = 0 needs b = -w·p", _lt_bias_sign),
    Mistake("b = 0 puts the line through the origin: choose b so that z(p) = w·p + b = 0",
            _lt_no_bias),
    Mistake("the point q was turned instead of the direction d = q - p: w must be perpendicular to q - p",
            _lt_turned_a_point),
    Mistake("b was computed before w was scaled to length 1: compute b = -w·p with the final w",
            _lt_bias_before_normalising),
    Mistake("w was divided by ‖q - p‖² (d @ d): divide by the length itself, its square root",
            _lt_squared_length),
    Mistake("the coordinates were swapped but no sign changed: (d₂, d₁) is not perpendicular to (d₁, d₂); "
            "use (-d₂, d₁)", _lt_swapped_not_turned),
)


def _lt_rotation_matrix(p, q):
    turn = np.array([[0.0, -1.0], [1.0, 0.0]])  # a quarter turn counterclockwise
    w = turn @ (q - p)
    w = w / np.linalg.norm(w)
    return w, float(-w @ p)


def _lt_bias_from_q(p, q):
    dx, dy = q - p
    w = np.array([-dy, dx]) / np.hypot(dx, dy)
    return w, -float(w @ q)


def _lt_midpoint(p, q):
    d = q - p
    w = np.array([-d[1], d[0]]) / np.sqrt(d @ d)
    return w, -float(w @ (p + q)) / 2


def _lt_python_floats(p, q):
    import math

    (x1, y1), (x2, y2) = p, q
    length = math.hypot(x2 - x1, y2 - y1)
    w1, w2 = -(y2 - y1) / length, (x2 - x1) / length
    return np.array([w1, w2]), -(w1 * x1 + w2 * y1)


def _lt_as_list(p, q):
    d = q - p
    w = np.array([-d[1], d[0]]) / np.linalg.norm(d)
    return [w, -np.dot(w, p)]


def _lt_cross_product_form(p, q):
    # z(x) = ((q - p) × (x - p)) / ‖q - p‖ is positive on the left: read off w and b
    d = q - p
    length = np.linalg.norm(d)
    w = np.array([-d[1], d[0]]) / length
    b = (d[1] * p[0] - d[0] * p[1]) / length
    return w, b


_LINE_THROUGH_VARIANTS = (
    Variant("a rotation matrix applied to q - p", _lt_rotation_matrix),
    Variant("b from the other point, b = -w·q", _lt_bias_from_q),
    Variant("b from the midpoint of p and q", _lt_midpoint),
    Variant("plain Python floats and math.hypot", _lt_python_floats),
    Variant("a list [w, b] instead of a tuple", _lt_as_list),
    Variant("the 2-D cross product written out", _lt_cross_product_form),
)


EXERCISES = (
    Exercise(
        id="preactivation",
        lesson="01",
        task="return z, the neuron's pre-activation for the one input x, as a float",
        reference=preactivation,
        make_cases=_preactivation_cases,
        hidden_cases=_preactivation_hidden_cases,
        mistakes=_PREACTIVATION_MISTAKES,
        variants=_PREACTIVATION_VARIANTS,
        arg_names=("x", "w", "b"),
        hints=(
            "z is one number: multiply each input by its weight, add them up, then add the bias.",
            "np.dot(x, w) (or x @ w) computes the sum of x[i] * w[i]; add b to it.",
            "return float(x @ w + b)",
        ),
    ),
    Exercise(
        id="dense_preactivation",
        lesson="01",
        task="return the pre-activations of every neuron for every example, shape (N, D_out)",
        reference=dense_preactivation,
        make_cases=_dense_preactivation_cases,
        hidden_cases=_dense_preactivation_hidden_cases,
        mistakes=_DENSE_PREACTIVATION_MISTAKES,
        variants=_DENSE_PREACTIVATION_VARIANTS,
        arg_names=("X", "W", "b"),
        rtol=1e-6,  # float32 cases
        hints=(
            "Row n of Z holds the pre-activations of every neuron for example n: "
            "one matrix product computes all of them.",
            "X has shape (N, D_in) and W has shape (D_in, D_out), so X @ W has shape (N, D_out); "
            "b of shape (D_out,) is added to every row by broadcasting.",
            "return X @ W + b",
        ),
    ),
    Exercise(
        id="signed_distance",
        lesson="01",
        task="return each point's signed distance to the line z = 0, shape (N,)",
        reference=signed_distance,
        make_cases=_signed_distance_cases,
        mistakes=_SIGNED_DISTANCE_MISTAKES,
        variants=_SIGNED_DISTANCE_VARIANTS,
        arg_names=("X", "w", "b"),
        hints=(
            "Walking one unit of distance along w changes z by ‖w‖ (section 3). So a point whose z "
            "is 3 and whose ‖w‖ is 2 is 1.5 units from the line, on the side w points to.",
            "Compute every point's z at once with X @ w + b (shape (N,)), and the length of w with "
            "np.linalg.norm(w); their quotient is the signed distance.",
            "return (X @ w + b) / np.linalg.norm(w)",
        ),
    ),
    Exercise(
        id="line_through",
        lesson="01",
        task="return (w, b): unit weights and a bias whose line z = 0 passes through p and q, "
             "with z > 0 on its left",
        reference=line_through,
        make_cases=_line_through_cases,
        mistakes=_LINE_THROUGH_MISTAKES,
        variants=_LINE_THROUGH_VARIANTS,
        arg_names=("p", "q"),
        hints=(
            "w must be perpendicular to the line, that is to its direction d = q - p, and of length 1; "
            "then b is whatever makes z = 0 at a point you know is on the line.",
            "A quarter turn counterclockwise takes (d₁, d₂) to (-d₂, d₁): perpendicular, and pointing "
            "to the left of d. Divide it by its length; then z(p) = w·p + b = 0 gives b.",
            "d = q - p; w = np.array([-d[1], d[0]]) / np.linalg.norm(d); return w, -(w @ p)",
        ),
    ),
)

QUESTIONS = (
    Question(
        id="q00_1",
        lesson="00",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="b",
        feedback={
            "a": "A failing case is a real bug that a later lesson would trip over, and until your "
            "function passes, the cells that use it quietly run nnlib's reference instead of yours.",
            "b": "check names the failing case and its shapes and says what differs (shape, dtype, "
            "which entry, expected and got): that is the clue to your bug. Fix it, run the exercise "
            "cell, then run the check again.",
            "c": "check is deterministic: it runs the same seeded cases every time, so restarting "
            "changes nothing. Re-running only helps after you re-run the cell that defines your function.",
            "d": "The solutions are there for when you are truly stuck; copying them skips the part "
            "where you learn. Read the failure message first, then hint 1, 2 and 3.",
        },
    ),
    Question(
        id="q01_1",
        lesson="01",
        kind="choice",
        choices=("a", "b", "c", "d"),
        answer="c",
        feedback={
            "a": "The bias is not scaled: with 2w, z = 2 w·x + b is zero where w·x = -b/2, not where "
            "w·x = -b. Unless b = 0 the line moves (closer to the origin), keeping its direction.",
            "b": "The direction of w is unchanged, and the line z = 0 is always perpendicular to w: "
            "it cannot rotate.",
            "c": "z = 2 w·x + b is zero on the line w·x = -b/2: parallel to the old line, half as far "
            "from the origin (|b| / (2‖w‖)); and z grows twice as fast across it, since ‖w‖ doubled.",
            "d": "The bias is still there: z = 2 w·x + b is zero on the line w·x = -b/2, which passes "
            "through the origin only when b = 0.",
        },
    ),
    Question(
        id="q01_2",
        lesson="01",
        kind="number",
        answer=4.0,
        tol=1e-6,
        feedback={
            "correct": "z = 3·3 + 4·4 - 5 = 20 and ‖w‖ = sqrt(3² + 4²) = 5, so the point is 20 / 5 = 4 "
            "units from the line, on the side w points to.",
            "low": "z = 3·3 + 4·4 - 5 = 20; divide it by the length ‖w‖ = sqrt(3² + 4²) = 5 (not by "
            "‖w‖² = 25), and keep the bias.",
            "high": "That is z (or z without the bias). The distance is z / ‖w‖, with ‖w‖ = sqrt(3² + 4²).",
        },
    ),
)
