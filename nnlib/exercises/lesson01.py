"""Exercises and concept questions of lesson 01, the single neuron."""

import numpy as np

from nnlib.exercises import Case, Exercise, Mistake, Question
from nnlib.layers import dense_preactivation
from nnlib.neuron import preactivation


def _preactivation_cases(rng):
    return [
        Case("3 inputs", (rng.normal(size=3), rng.normal(size=3), float(rng.normal()))),
        Case("1 input", (rng.normal(size=1), rng.normal(size=1), 0.5)),
        Case("10 inputs, negative bias", (rng.normal(size=10), rng.normal(size=10), -2.0)),
        Case("all zeros", (np.zeros(4), np.zeros(4), 0.0)),
        Case("zero weights: z is the bias", (rng.normal(size=5), np.zeros(5), 1.5)),
        Case("large magnitudes", (rng.normal(size=6) * 1e3, rng.normal(size=6) * 1e3, 1e4)),
    ]


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


def _preactivation_hidden_cases(rng):
    return [
        Case("100 inputs", (rng.normal(size=100), rng.normal(size=100), float(rng.normal()))),
        Case("integer input", (np.array([1, -2, 3]), rng.normal(size=3), 0.25)),
    ]


def _dense_preactivation_hidden_cases(rng):
    return [
        Case("64 examples, 20 inputs, 10 neurons",
             (rng.normal(size=(64, 20)), rng.normal(size=(20, 10)), rng.normal(size=10))),
        Case("one input feature", (rng.normal(size=(5, 1)), rng.normal(size=(1, 3)), rng.normal(size=3))),
    ]


_PREACTIVATION_MISTAKES = (
    Mistake("the bias is missing: add b after the weighted sum, z = w·x + b", lambda x, w, b: float(x @ w)),
    Mistake("the bias is subtracted: z = w·x + b adds it", lambda x, w, b: float(x @ w - b)),
    Mistake("the products w_i x_i are never added up: z is one number, and x @ w (np.dot) sums them",
            lambda x, w, b: x * w + b),
)

_DENSE_PREACTIVATION_MISTAKES = (
    Mistake("the bias is missing: add b, of shape (D_out,), to every row of X @ W", lambda X, W, b: X @ W),
    Mistake("Z is transposed: batch first, Z = X @ W + b has one row per example, shape (N, D_out)",
            lambda X, W, b: W.T @ X.T + b[:, None]),
    Mistake("W is used transposed: with W of shape (D_in, D_out), Z = X @ W (no .T)",
            lambda X, W, b: X @ W.T + b),
    Mistake("all biases were summed into one number: neuron j adds its own b[j] (b broadcasts over the rows)",
            lambda X, W, b: X @ W + b.sum()),
    Mistake("the result was converted to float64: X @ W + b keeps float32 input as float32, so do not "
            "convert (no astype, no np.array(..., dtype=float))",
            lambda X, W, b: X.astype(np.float64) @ W.astype(np.float64) + b.astype(np.float64)),
)


EXERCISES = (
    Exercise(
        id="preactivation",
        lesson="01",
        task="return the float w·x + b for one input x",
        reference=preactivation,
        make_cases=_preactivation_cases,
        hidden_cases=_preactivation_hidden_cases,
        mistakes=_PREACTIVATION_MISTAKES,
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
        task="return Z = X @ W + b of shape (N, D_out) for a batch X of shape (N, D_in)",
        reference=dense_preactivation,
        make_cases=_dense_preactivation_cases,
        hidden_cases=_dense_preactivation_hidden_cases,
        mistakes=_DENSE_PREACTIVATION_MISTAKES,
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
)
