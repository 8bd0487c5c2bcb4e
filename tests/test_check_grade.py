"""check() and ``nnlib grade`` give the same verdict on issue 14's cases: a float64 result for float32
input passes with its note, an invalid value in a discarded np.where branch is harmless, the learner's
own silencing of numpy does not hide an overflow, a learner's own NotImplementedError in one branch is
an exception, an extra item is named. One notebook of lesson 02 and one of lesson 03, graded once."""

from __future__ import annotations

import linecache

import numpy as np
import pytest
from test_banks import write_notebook

from nnlib import grader
from nnlib.check import check, format_result
from nnlib.exercises import EXERCISES

LESSON_02 = {
    "relu": "def relu(z):\n    return np.maximum(z, 0).astype(np.float64)\n",
    "tanh": ("def tanh(z):\n    m = np.expm1(-2 * np.abs(z))\n"
             "    return np.where(z == 0, 0, z / np.abs(z)) * -m / (2 + m)\n"),
    "sigmoid": ("def sigmoid(z):\n    with np.errstate(over='ignore'):\n"
                "        return 1 / (1 + np.exp(-z))\n"),
    "relu_derivative": ("def relu_derivative(z):\n    if z.ndim != 2:\n"
                        "        raise NotImplementedError('only 2-D for now')\n"
                        "    return (z > 0).astype(z.dtype)\n"),
    "softmax": "def softmax(z, axis=-1):\n    raise NotImplementedError\n",
    "sigmoid_derivative": ("def sigmoid_derivative(z):\n"
                           "    return np.where(z >= 0, np.exp(-z) / (1 + np.exp(-z)) ** 2,\n"
                           "                    np.exp(z) / (1 + np.exp(z)) ** 2)\n"),
}

#: exercise -> (passes?, a fragment of the feedback), the same in check() and in nnlib grade
EXPECTED_02 = {
    "relu": (True, "(note: float32 in, float64 out: accepted"),
    "tanh": (True, "tanh: all "),
    "sigmoid": (False, "raised FloatingPointError: overflow encountered in exp"),
    "relu_derivative": (False, "raised NotImplementedError: only 2-D for now"),
    "softmax": (False, "softmax: not implemented yet"),
    "sigmoid_derivative": (False, "np.where(condition, a, b) computes both a and b"),
}

LESSON_03 = {
    "mlp_forward": (
        "def mlp_forward(X, params, hidden='relu', output='identity', caches=[]):\n"
        "    A = X\n"
        "    for k, layer in enumerate(params):\n"
        "        A, cache = dense_forward(A, layer.W, layer.b, hidden if k < len(params) - 1 else output)\n"
        "        caches.append(cache)\n"
        "    return A, caches\n"),
}


def _defined(source: str, exercise_id: str):
    """The function a notebook cell defines (its source known to linecache, as IPython does)."""
    filename = f"<cell {exercise_id}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np, **EXERCISES[exercise_id].prerequisite_env()}  # as in the grader's sandbox
    exec(compile(source, filename, "exec"), namespace)
    return namespace[exercise_id]


@pytest.fixture(scope="module")
def graded_02(tmp_path_factory):
    path = tmp_path_factory.mktemp("grade") / "lesson02.ipynb"
    write_notebook(path, LESSON_02)
    sub = grader.grade_notebook(path, lesson="02")
    return {g.exercise_id: g for g in sub.exercises}


@pytest.mark.parametrize("exercise_id", sorted(EXPECTED_02))
def test_check_and_grade_agree(exercise_id, graded_02):
    passes, fragment = EXPECTED_02[exercise_id]
    ex = EXERCISES[exercise_id]
    result = check(exercise_id, _defined(LESSON_02[exercise_id], exercise_id), quiet=True)
    report = format_result(ex, result)
    assert bool(result) is passes and fragment in report, report
    grade = graded_02[exercise_id]
    assert (grade.status == "passed") is passes and fragment in grade.feedback, grade.feedback
    if exercise_id == "softmax":
        assert grade.status == "not implemented"


def test_an_extra_cache_from_a_mutable_default_is_named_in_grade_too(tmp_path):
    path = tmp_path / "lesson03.ipynb"
    write_notebook(path, LESSON_03)
    grade = {g.exercise_id: g for g in grader.grade_notebook(path, lesson="03").exercises}["mlp_forward"]
    assert grade.status == "failed" and "could not be judged" not in grade.feedback
    assert "output[1] has " in grade.feedback and " items; expected " in grade.feedback, grade.feedback
