"""check(), check_answer() and the judge they share: known-wrong functions are caught, with the right
words."""

import functools
import re
import sys
import threading
import time
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lesson_common import learner_copy

from nnlib import Dense, check, check_answer, hint, yours_or_reference
from nnlib.check import judge_case
from nnlib.exercises import EXERCISES, Case, Exercise, Mistake, get_exercise
from nnlib.judge import OutputError, compare_flat, diagnose, flatten_output


def correct(X, W, b):
    return X @ W + b


class DenseCacheLike(NamedTuple):
    X: np.ndarray
    Z: np.ndarray


def run(fn, capsys, exercise="dense_preactivation"):
    result = check(exercise, fn)
    return result, capsys.readouterr().out


def test_correct_function_prints_one_line_and_is_truthy(capsys):
    result, out = run(correct, capsys)
    n = len(get_exercise("dense_preactivation").cases())
    assert bool(result)
    assert out == f"dense_preactivation: all {n} checks passed\n"
    assert result.passed == result.total == n


@pytest.mark.parametrize(
    ("wrong", "fragments"),
    [
        (lambda X, W, b: (X @ W + b).T, ["expected shape (4, 2), got (2, 4)", "transposed"]),
        (lambda X, W, b: 2 * (X @ W + b), ["first mismatch at index (0, 0)", "every value is doubled"]),
        (lambda X, W, b: X @ W + b + 1, ["off by the same constant +1"]),
        (lambda X, W, b: -(X @ W + b), ["wrong sign"]),
        (lambda X, W, b: (X @ W + b) * np.nan, ["contains NaN"]),
        (lambda X, W, b: (X @ W + b).tolist(), ["expected a single array or number, got a list"]),
        (lambda X, W, b: np.array(X @ W + b, dtype=object), ["dtype object"]),
        (lambda X, W, b: (X @ W + b).astype(np.float32), ["expected dtype float64, got float32"]),
        (lambda X, W, b: (X @ W + b) > 0, ["expected dtype float64, got bool"]),
        (lambda X, W, b: None, ["is None"]),
        (lambda X, W, b: "Z", ["is 'Z'"]),
        (lambda X, W, b: (r for r in X @ W + b), ["generator"]),
    ],
)
def test_wrong_outputs_are_caught_with_the_right_message(wrong, fragments, capsys):
    result, out = run(wrong, capsys)
    assert not result
    for fragment in fragments:
        assert fragment in out, out
    assert "hint: " in out  # the first registry hint is always shown


def test_mutating_an_input_is_caught(capsys):
    def mutates(X, W, b):
        X *= 2
        return X @ W + b

    result, out = run(mutates, capsys)
    assert not result
    assert "changed its input X (first at index (0, 0))" in out


def test_not_implemented_yet(capsys):
    def stub(X, W, b):
        raise NotImplementedError("Exercise dense_preactivation: ...")

    result, out = run(stub, capsys)
    assert not result
    assert out.startswith("dense_preactivation: not implemented yet")
    assert out.count("\n") == 1
    assert "Traceback" not in out


def test_a_raising_function_shows_the_learners_own_line(capsys):
    def broken(X, W, b):
        Z = X.dot(W, b)  # the learner's bug
        return Z

    result, out = run(broken, capsys)
    assert not result
    assert "raised ValueError" in out
    assert "in your code, line" in out and "Z = X.dot(W, b)" in out
    assert "Traceback" not in out and "nnlib/check.py" not in out


def test_check_of_something_not_callable(capsys):
    result, out = run(np.zeros(3), capsys)
    assert not result
    assert "check needs your function itself" in out


def test_get_exercise_names_the_closest_ids():
    with pytest.raises(ValueError, match=r"unknown exercise id 'relux'; did you mean 'relu'"):
        get_exercise("relux")
    with pytest.raises(ValueError, match=r"unknown exercise id 'qwerty'; known ids: .*dense_preactivation"):
        get_exercise("qwerty")


def test_yours_or_reference(capsys):
    ex = get_exercise("dense_preactivation")
    assert yours_or_reference("dense_preactivation", correct) is correct
    assert capsys.readouterr().out == ""
    fallback = yours_or_reference("dense_preactivation", lambda X, W, b: X @ W)
    assert fallback is ex.reference
    notice = "(using nnlib's reference dense_preactivation until yours passes check)\n"
    assert capsys.readouterr().out == notice


def test_hint_levels(capsys):
    ex = get_exercise("preactivation")
    hint("preactivation", 3)
    assert capsys.readouterr().out == f"preactivation, hint 3 of 3: {ex.hints[2]}\n"
    hint("preactivation", 4)
    assert capsys.readouterr().out == "hint: level must be 1, 2 or 3; got level=4\n"


def test_check_answer_choice(capsys):
    assert check_answer("q01_1", "c")
    assert capsys.readouterr().out.startswith("q01_1: correct.")
    assert not check_answer("q01_1", "A")  # case-insensitive, but wrong
    assert capsys.readouterr().out.startswith("q01_1: not quite.")
    assert not check_answer("q01_1", "z")
    assert "choose one of 'a', 'b', 'c', 'd'; got 'z'" in capsys.readouterr().out
    assert not check_answer("q01_1", None)
    assert "no answer yet" in capsys.readouterr().out


def test_every_registered_reference_typed_by_a_learner_passes_its_own_check(capsys):
    for ex in EXERCISES.values():
        assert check(ex.id, learner_copy(ex.reference)), ex.id
        out = capsys.readouterr().out
        assert out == f"{ex.id}: all {len(ex.cases())} checks passed\n", out  # no note, nothing else


def test_every_exercise_has_cases_hints_and_a_task():
    for ex in EXERCISES.values():
        cases = ex.cases()
        assert len(cases) >= 4, ex.id
        assert all(isinstance(c, Case) for c in cases)
        assert len(ex.hints) == 3 and all(h.strip() for h in ex.hints), ex.id
        assert ex.task and '"' not in ex.task, ex.id


def test_cases_are_deterministic_and_hidden_seeds_differ():
    for ex in EXERCISES.values():
        a, b = ex.cases(), ex.cases()
        assert [c.name for c in a] == [c.name for c in b]
        for ca, cb in zip(a, b, strict=True):
            assert flatten_output(list(_arrays(ca.args))) == {} or all(
                np.array_equal(x, y) for x, y in zip(_arrays(ca.args), _arrays(cb.args), strict=True)
            )
        hidden = ex.cases(seed=12345, hidden=True)
        if any(_arrays(c.args) for c in a if c.name.startswith(("4", "3"))):
            assert len(hidden) >= len(a)


def _arrays(args):
    return [a for a in args if isinstance(a, np.ndarray)]


# -- the judge -----------------------------------------------------------------------------


class Liar(np.ndarray):
    """An ndarray subclass that claims to equal everything."""

    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


def test_flatten_keeps_only_plain_arrays():
    flat = flatten_output((np.zeros(2), [Dense(np.ones((2, 1)), np.zeros(1))], {"loss": [1.0, 0.5]}))
    assert list(flat) == ["[0]", "[1][0].W", "[1][0].b", "[2]['loss'][0]", "[2]['loss'][1]"]
    lying = np.zeros(3).view(Liar)
    out = flatten_output(lying)[""]
    assert type(out) is np.ndarray
    assert compare_flat({"": np.ones(3)}, {"": out}, 1e-7, 0) is not None


@pytest.mark.parametrize("bad", [None, "x", True, object(), np.array(["a"]), {1: 2.0}])
def test_flatten_rejects_non_numbers(bad):
    with pytest.raises(OutputError):
        flatten_output(bad)


def test_generators_only_when_materialized():
    with pytest.raises(OutputError, match="generator"):
        flatten_output(x for x in range(3))
    assert len(flatten_output((x for x in range(3)), materialize_iterators=True)) == 3


def test_compare_flat_reports_first_bad_index_and_max_error():
    expected = {"": np.array([[1.0, 2.0], [3.0, 4.0]])}
    received = {"": np.array([[1.0, 2.5], [3.0, 7.0]])}
    mismatch = compare_flat(expected, received, 1e-7, 1e-10)
    assert "first mismatch at index (0, 1): expected 2, got 2.5; max abs error 3" in mismatch.what


_CACHE = DenseCacheLike(np.ones(2), np.ones(3))


@pytest.mark.parametrize(
    ("expected", "received", "message"),
    [
        ((np.ones(2), _CACHE), (np.ones(2), (np.ones(2), np.ones(3))),
         "output[1] is a plain tuple or list; it must be the NamedTuple with fields X, Z (so that .X works)"),
        ((np.ones(2), [_CACHE, _CACHE]), (np.ones(2), [_CACHE]), "output[1] has 1 item; expected 2"),
        ((np.ones(2), [_CACHE, _CACHE]), (np.ones(2), []), "output[1] has 0 items; expected 2"),
        ((np.ones(2), _CACHE), np.ones(2), "expected a structure with parts"),
    ],
)
def test_structure_mismatch_messages(expected, received, message):
    mismatch = compare_flat(flatten_output(expected), flatten_output(received), 1e-7, 1e-10)
    assert message in mismatch.what


def test_diagnose_batch_factor():
    exp = {"": np.array([0.1, -0.2, 0.3])}
    assert "N = 8 times too large" in diagnose(exp, {"": exp[""] * 8}, "", batch_size=8)
    assert "N = 8 times too small" in diagnose(exp, {"": exp[""] / 8}, "", batch_size=8)
    assert diagnose(exp, {"": exp[""] + np.array([0.0, 0.1, 0.0])}, "") == ""


def test_calling_another_unwritten_exercise_is_named(capsys):
    def preactivation(x, w, b):
        raise NotImplementedError("Exercise preactivation: return the float w·x + b")

    def dense_preactivation(X, W, b):
        return np.array([[preactivation(x, w, bj) for w, bj in zip(W.T, b, strict=True)] for x in X])

    result, out = run(dense_preactivation, capsys)
    assert not result
    assert "calls preactivation, which is not implemented yet" in out
    assert "from nnlib import preactivation" in out


@pytest.mark.parametrize("seed", [0, 4, 5, 7, 10, 31415926])
def test_cases_generate_and_the_reference_passes_for_any_grading_seed(seed):
    """Instructors choose the grader's hidden seed: every seed must give valid cases."""
    from nnlib.check import run_checks

    for ex in EXERCISES.values():
        result = run_checks(ex, learner_copy(ex.reference), ex.cases(seed=seed, hidden=True))
        assert result, f"{ex.id} with seed {seed}: {result.failure}"


# -- naming known mistakes (Exercise.mistakes) ------------------------------------------------


@pytest.mark.parametrize("exercise_id", [ex.id for ex in EXERCISES.values()])
def test_an_untouched_stub_is_not_implemented_yet(exercise_id, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError(f"Exercise {exercise_id}: ...")

    assert not check(exercise_id, stub)
    out = capsys.readouterr().out
    assert out.startswith(f"{exercise_id}: not implemented yet") and out.count("\n") == 1, out


def _toy(reference, *mistakes, **kwargs):
    kwargs.setdefault("make_cases", lambda rng: [])
    return Exercise(id="toy", lesson="00", task="t", reference=reference, hints=("a", "b", "c"),
                    mistakes=mistakes, **kwargs)


def _cause(ex, received, *args):
    """The "likely cause" judge_case gives for ``received`` on the case ``args``; None when it passes."""
    failure = judge_case(ex, Case("c", args), flatten_output(received))
    return failure and failure.hint


def test_a_mistake_reproducing_the_whole_result_beats_one_agreeing_where_it_is_first_wrong():
    ex = _toy(lambda x: (x, 2 * x),
              Mistake("dx negated, dy off by one", lambda x: (-x, 2 * x + 1)),
              Mistake("both negated", lambda x: (-x, -2 * x)))
    x = np.arange(1.0, 4.0)
    assert _cause(ex, (x, 2 * x), x) is None
    assert _cause(ex, (-x, -2 * x), x) == "both negated"  # the whole result, though second in the list
    assert _cause(ex, (-x, 5 * x), x) == "dx negated, dy off by one"  # the first to agree at output[0]
    assert _cause(ex, (x, 4 * x), x) == "every value is doubled: is a term counted twice?"  # generic


def test_a_mistake_that_raises_on_a_case_is_skipped():
    def crash(x):
        raise IndexError("boom")

    x = np.ones(3)
    assert _cause(_toy(lambda x: x, Mistake("crash", crash)), np.zeros(3), x) == (
        "your result is all zeros: was the value never accumulated or returned?")
    assert _cause(_toy(lambda x: x, Mistake("crash", crash), Mistake("zeroed", np.zeros_like)),
                  np.zeros(3), x) == "zeroed"


def test_a_mistake_that_gives_the_right_answer_on_the_case_is_not_named():
    x = np.array([1.0, 2.0, 3.0])  # np.abs(x) == x here: the mistake is harmless on this case
    ex = _toy(lambda x: x, Mistake("abs", np.abs))
    assert _cause(ex, x * (1 + 5e-7), x) == ""  # within the mistake's tolerance, but abs is not the cause
    # ... nor at the part where the result is first wrong, when the rest of its output differs
    ex = _toy(lambda x: (x, x), Mistake("second doubled", lambda x: (x, 2 * x)))
    assert _cause(ex, (x * (1 + 5e-7), 3 * x), x) == ""


def test_float32_results_are_compared_and_matched_with_a_float32_tolerance():
    x32 = np.array([0.1, 2.0, -3.0], dtype=np.float32)
    close = x32 * np.float32(1 + 3e-6)
    assert compare_flat({"": x32}, {"": close}, 1e-7, 1e-10) is None  # float32 rounding, not a bug
    assert compare_flat({"": x32.astype(float)}, {"": close.astype(float)}, 1e-7, 1e-10) is not None
    assert compare_flat({"": x32}, {"": x32 * np.float32(1.001)}, 1e-7, 1e-10) is not None
    # a mistake written in float64 still names a float32 result that rounds differently
    ex = _toy(lambda x: x, Mistake("tripled", lambda x: 3 * x.astype(np.float64)))
    assert _cause(ex, (3 * x32) * np.float32(1 + 3e-6), x32) == "tripled"


def test_mistakes_run_on_copies_with_the_case_kwargs_and_floating_point_errors_ignored():
    def mutating(x, scale=1.0):
        x *= 2 * scale
        return x / np.zeros_like(x) * 0 + x  # NaN everywhere, without a warning or an error

    x = np.ones(2)
    ex = _toy(lambda x, scale=1.0: x * scale, Mistake("mutating", mutating))
    failure = judge_case(ex, Case("c", (x,), {"scale": 3.0}), {"": np.full(2, np.nan)})
    assert failure.hint == "mutating" and np.all(x == 1)


def test_a_verified_exercise_says_what_message_each_mistake_must_get():
    with pytest.raises(ValueError, match="expect=") as err:
        _toy(lambda x: x, Mistake("m", abs), verify=lambda case, received: None)
    assert "'toy'" in str(err.value) or "exercise" in str(err.value)
    _toy(lambda x: x, Mistake("m", abs, expect="negative"), verify=lambda case, received: None)


def test_strict_check_raises_the_report_and_passes_silently_when_right(capsys):
    from nnlib.check import check

    assert check("relu", lambda z: np.maximum(z, 0), strict=True)
    with pytest.raises(AssertionError, match=r"relu: \d of \d+ checks passed") as err:
        check("relu", np.abs, strict=True, quiet=True)
    assert "likely cause" in str(err.value)
    assert capsys.readouterr().out.startswith("relu: all")  # quiet: the failure printed nothing
    with pytest.raises(AssertionError, match="needs your function itself"):
        check("relu", "relu", strict=True, quiet=True)


# -- the judge's generic causes ----------------------------------------------------------------


def test_a_single_number_expected_and_an_array_received():
    assert diagnose({"": np.asarray(1.5)}, {"": np.ones(3)}, "") == (
        "expected a single number, got an array of shape (3,): reduce it (np.mean?)")


def test_a_single_number_almost_right_is_a_near_miss_and_never_a_constant_factor():
    exp = {"": np.asarray(2.0)}
    assert diagnose(exp, {"": np.asarray(2.0001)}, "").startswith("almost right: a small epsilon")
    assert diagnose({"": np.asarray(0.0)}, {"": np.asarray(1e-7)}, "").startswith("almost right")
    assert diagnose(exp, {"": np.asarray(2.5)}, "") == ""
    assert diagnose(exp, {"": np.asarray(-2.0)}, "") == "every value has the wrong sign"


@pytest.mark.parametrize(
    ("received", "cause"),
    [
        ([np.ones((2, 3)), np.ones((3, 1))], "you returned one array per layer"),
        ([(np.ones((2, 3)), np.ones(3)), (np.ones((3, 1)), np.ones(1))], "not a plain tuple or list"),
        ([Dense(np.ones((2, 3)), np.ones(3))], "expected one Dense per layer (2 layers), got 1"),
    ],
)
def test_a_list_of_dense_with_the_wrong_containers_is_named(received, cause):
    layers = [Dense(np.zeros((2, 3)), np.zeros(3)), Dense(np.zeros((3, 1)), np.zeros(1))]
    for expected, got in ((layers, received), ((1.0, layers), (1.0, received))):  # also inside a tuple
        expected, got = flatten_output(expected), flatten_output(got)
        mismatch = compare_flat(expected, got, 1e-7, 1e-10)
        assert cause in diagnose(expected, got, mismatch.path)
        assert diagnose(expected, expected, "[9].W") == ""  # the right containers: nothing to name



def test_a_harness_calls_the_function_in_its_scenario_for_the_learner_the_reference_and_mistakes(capsys):
    """An exercise whose function is used inside a scenario: here a method ``double(self)`` that a
    harness installs on a small class before reading the result back as plain numbers."""
    from nnlib.check import run_checks

    def harness(fn, env, x):
        assert env == {}  # no prerequisites
        box = type("Box", (), {"value": x, "double": fn})()
        return box.double()

    def reference(self):
        return 2 * self.value

    def tripled(self):
        return 3 * self.value

    ex = Exercise(id="double", lesson="00", task="t", reference=reference, harness=harness,
                  make_cases=lambda rng: [Case("three numbers", (np.array([1.0, 2.0, -3.0]),))],
                  hints=("a", "b", "c"), mistakes=(Mistake("tripled, not doubled", tripled),))
    assert run_checks(ex, lambda self: self.value + self.value, ex.cases())
    result = run_checks(ex, tripled, ex.cases())
    assert not result and result.failure.hint == "tripled, not doubled"


# -- issue 14: dtype alone is no failure ---------------------------------------------------------------


def test_float64_for_float32_input_passes_with_a_one_line_note(capsys):
    result, out = run(lambda X, W, b: (X @ W + b).astype(np.float64), capsys)
    n = len(get_exercise("dense_preactivation").cases())
    assert result and result.passed == n
    assert out.startswith(f"dense_preactivation: all {n} checks passed (note: float32 in, float64 out")
    assert out.count("\n") == 1
    assert result.notes and "float32 in, float64 out" in result.notes[0]


def test_a_widened_result_is_still_judged_at_the_float32_tolerance():
    x32 = np.array([0.1, 2.0, -3.0], dtype=np.float32)
    assert compare_flat({"": x32}, {"": x32.astype(np.float64) * (1 + 3e-6)}, 1e-7, 1e-10) is None
    bad = compare_flat({"": x32}, {"": x32.astype(np.float64) * 1.001}, 1e-7, 1e-10)
    assert bad is not None and "first mismatch" in bad.what
    # never the other way round: float32 where float64 was expected loses digits
    assert "expected dtype float64, got float32" in compare_flat(
        {"": x32.astype(np.float64)}, {"": x32}, 1e-7, 1e-10).what


# -- issue 14: strict_float catches the overflow that matters -----------------------------------------


def _stable_sigmoid(z):
    u = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + u), u / (1 + u))


def test_an_invalid_value_in_a_discarded_where_branch_does_not_fail_a_correct_tanh(capsys):
    def tanh(z):
        m = np.expm1(-2 * np.abs(z))  # u - 1, accurate for tiny |z| (the lesson's accurate form)
        return np.where(z == 0, 0, z / np.abs(z)) * -m / (2 + m)  # 0/0 at z = 0, discarded

    assert check("tanh", tanh)
    assert capsys.readouterr().out == f"tanh: all {len(EXERCISES['tanh'].cases())} checks passed\n"


def sigmoid_in_errstate(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def sigmoid_after_seterr(z):
    np.seterr(all="ignore")
    return 1 / (1 + np.exp(-z))


def sigmoid_with_imported_errstate(z):
    from numpy import errstate

    with errstate(all="ignore"):
        return 1 / (1 + np.exp(-z))


@np.errstate(over="ignore")
def sigmoid_decorated(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("naive", [sigmoid_in_errstate, sigmoid_after_seterr, sigmoid_with_imported_errstate,
                                   sigmoid_decorated])
def test_silencing_numpy_does_not_let_a_naive_formula_pass_the_stability_case(naive, capsys):
    before = np.geterr()
    assert not check("sigmoid", naive)
    out = capsys.readouterr().out
    assert "5 of 6 checks passed; case 5 'z = ±1000" in out
    assert "raised FloatingPointError: overflow encountered in exp" in out
    assert "in your code, line" in out and "1 / (1 + np.exp(-z))" in out
    assert np.geterr() == before  # the learner's np.seterr is undone


def test_an_overflow_in_a_where_branch_says_that_where_evaluates_both(capsys):
    def sigmoid(z):
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))

    def sigmoid_on_three_lines(z):
        return np.where(z >= 0,
                        1 / (1 + np.exp(-z)),
                        np.exp(z) / (1 + np.exp(z)))

    def naive(z):
        return 1 / (1 + np.exp(-z))

    for fn in (sigmoid, sigmoid_on_three_lines):
        assert not check("sigmoid", fn)
        out = capsys.readouterr().out
        assert "overflow encountered in exp" in out
        assert "np.where(condition, a, b) computes both a and b" in out
    assert not check("sigmoid", naive)
    assert "np.where" not in capsys.readouterr().out.split("hint:")[0]


def test_strict_float_in_the_runner_on_a_toy_exercise():
    from nnlib.runner import run_call

    def overflow_in_errstate(x):
        with np.errstate(all="ignore"):
            return np.minimum(np.exp(x), 0.0)

    x = np.array([1000.0])
    flat, outcome = run_call(overflow_in_errstate, (x,), {}, exercise_id="toy", strict_float=True)
    assert flat is None and "overflow encountered in exp" in outcome.message
    flat, outcome = run_call(overflow_in_errstate, (x,), {}, exercise_id="toy")  # not strict: allowed
    assert outcome is None and flat[""][0] == 0.0
    flat, outcome = run_call(lambda x: np.where(x == 0, 0.0, x / np.abs(x)), (np.zeros(2),), {},
                             exercise_id="toy", strict_float=True)
    assert outcome is None  # invalid and divide do not count, only overflow


def test_a_learners_global_seterr_raise_breaks_neither_the_reference_nor_the_judge(capsys):
    old = np.seterr(all="raise")
    try:
        for ex_id in ("sigmoid", "sigmoid_derivative", "softmax_cross_entropy", "binary_cross_entropy",
                      "neuron_gradients", "tanh_derivative"):
            ex = get_exercise(ex_id)
            assert check(ex_id, learner_copy(ex.reference)), capsys.readouterr().out
            assert np.geterr()["under"] == "raise"  # the learner's own state is back after the check
        assert not check("sigmoid", _stable_sigmoid.__call__ and (lambda z: -_stable_sigmoid(z)))
        out = capsys.readouterr().out
        assert "could not be judged" not in out and "likely cause: every value has the wrong sign" in out
    finally:
        np.seterr(**old)


def test_the_numpy_error_state_a_function_sets_is_restored_after_each_case():
    calls = []

    def changes_state(z):
        calls.append(np.geterr()["over"])
        np.seterr(over="print")
        np.seterrcall(print)
        return np.maximum(z, 0)

    old = np.seterr(over="raise")  # the learner's own global state: not what their function runs under
    try:
        before, before_call = np.geterr(), np.geterrcall()
        assert check("relu", changes_state, quiet=True)
        assert np.geterr() == before and np.geterrcall() is before_call
    finally:
        np.seterr(**old)
    assert set(calls) == {"warn"}  # every case starts from nnlib's state


# -- issue 14: a time budget per case ----------------------------------------------------------------


@pytest.fixture
def short_budget(monkeypatch):
    monkeypatch.setattr(sys.modules["nnlib.check"], "CASE_TIME_BUDGET", 0.3)


def sleeps(z):
    time.sleep(30)
    return np.maximum(z, 0)


def loops_forever(z):
    while True:
        try:
            z = z + 0
        except Exception:  # a learner's broad except must not swallow the stop
            pass


@pytest.mark.parametrize("slow", [sleeps, loops_forever])
def test_a_sleeping_or_looping_function_is_stopped_and_the_case_named(slow, short_budget, capsys):
    start = time.monotonic()
    result = check("relu", slow)
    assert time.monotonic() - start < 3
    out = capsys.readouterr().out
    assert not result and result.failure.kind == "too slow"
    assert "0 of 6 checks passed; case 1 '3x4 ordinary values'" in out
    assert "stopped after 0.3 s" in out and "an endless loop" in out and "time.sleep" in out


def test_the_time_budget_outside_the_main_thread_stops_a_loop(short_budget):
    results = []
    worker = threading.Thread(target=lambda: results.append(check("relu", loops_forever, quiet=True)))
    worker.start()
    worker.join(10)
    assert not worker.is_alive() and results and results[0].failure.kind == "too slow"


def test_the_default_budget_is_a_few_seconds_and_the_alarm_is_cleaned_up():
    import signal

    from nnlib.check import CASE_TIME_BUDGET

    assert 1 <= CASE_TIME_BUDGET <= 10
    before = signal.getsignal(signal.SIGALRM)
    assert check("relu", lambda z: np.maximum(z, 0), quiet=True)
    assert signal.getsignal(signal.SIGALRM) is before and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


# -- issue 14: learner prints are capped, the verdict stays visible ---------------------------------------


def test_what_a_function_prints_is_capped_and_the_verdict_comes_last(capsys):
    from nnlib.check import SHOWN_OUTPUT_CHARS, SHOWN_OUTPUT_LINES

    def chatty(z):
        for i in range(2_000):
            print(f"debug {i}", z.shape)
        return np.maximum(z, 0)

    assert check("relu", chatty)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[-1] == "relu: all 6 checks passed"
    assert "more characters printed by your function are not shown" in lines[-2]
    assert len(lines) <= SHOWN_OUTPUT_LINES + 2 and len(out) <= SHOWN_OUTPUT_CHARS + 200
    assert lines[0] == "debug 0 (3, 4)"


def test_a_few_prints_are_shown_whole_and_quiet_shows_nothing(capsys):
    def says_hello(z):
        print("hello")
        return np.maximum(z, 0)

    assert check("relu", says_hello)
    assert capsys.readouterr().out == "hello\n" * 6 + "relu: all 6 checks passed\n"
    assert check("relu", says_hello, quiet=True)
    assert capsys.readouterr().out == ""


# -- issue 14: a wrong id or swapped arguments: one clear line ------------------------------------------


@pytest.mark.parametrize(("args", "line"), [
    (("no_such_id", np.abs), "check: unknown exercise id 'no_such_id'; known ids: accuracy, "),
    (("ReLU", np.abs), "check: unknown exercise id 'ReLU'; did you mean 'relu'?"),
    (("relu ", np.abs), "check: unknown exercise id 'relu '; did you mean 'relu'?"),
    (("sigmoid_derivativ", np.abs), "check: unknown exercise id 'sigmoid_derivativ'; did you mean "
                                    "'sigmoid_derivative'"),
    ((correct, "dense_preactivation"), "check: the exercise's name comes first, then your function: did you "
                                       "mean check('dense_preactivation', correct)?"),
    ((get_exercise("relu").reference, get_exercise("relu").reference),
     "check: the exercise's name comes first, then your function: did you mean check('relu', relu)?"),
    ((3, np.abs), "check: the first argument must be the exercise's name as a string"),
])
def test_a_wrong_exercise_id_is_one_line_with_did_you_mean(args, line, capsys):
    result = check(*args)
    out = capsys.readouterr().out
    assert not result and out.startswith(line) and out.count("\n") == 1, out
    assert "Traceback" not in out
    with pytest.raises(AssertionError, match="check: "):
        check(*args, strict=True, quiet=True)


def test_hint_and_check_answer_with_a_wrong_id(capsys):
    assert hint("ReLU", 2) is None
    assert capsys.readouterr().out == "hint: unknown exercise id 'ReLU'; did you mean 'relu'?\n"
    assert not check_answer("Q01_1", "c")
    assert capsys.readouterr().out == "check_answer: unknown question id 'Q01_1'; did you mean 'q01_1'?\n"
    assert not check_answer("q99", "c")
    assert capsys.readouterr().out.startswith("check_answer: unknown question id 'q99'")


# -- issue 14: a learner's own NotImplementedError ---------------------------------------------------------


def test_a_learners_own_not_implemented_error_in_one_branch_is_reported_as_raised(capsys):
    def relu(z):
        if z.ndim != 2:
            raise NotImplementedError("only 2-D for now")
        return np.maximum(z, 0)

    result = check("relu", relu)
    out = capsys.readouterr().out
    assert result.passed == 5 and result.failure.kind == "raised"
    assert "relu: 5 of 6 checks passed; case 2 '1-D input'" in out
    assert "raised NotImplementedError: only 2-D for now" in out and "not implemented yet" not in out


def test_a_not_implemented_error_on_every_case_is_not_implemented_yet(capsys):
    def relu(z):
        raise NotImplementedError  # the stub's message deleted

    assert not check("relu", relu)
    assert capsys.readouterr().out.startswith("relu: not implemented yet (replace the")


# -- issue 14: an extra item is a clear message, never a crash ----------------------------------------------


_CACHES = []


def mlp_forward_mutable_default(X, params, hidden="relu", output="identity", caches=_CACHES):
    from nnlib import ACTIVATIONS, DenseCache

    A = X
    for k, layer in enumerate(params):
        Z = A @ layer.W + layer.b
        caches.append(DenseCache(A, Z))
        A = ACTIVATIONS[hidden if k < len(params) - 1 else output][0](Z)
    return A, caches


def test_an_extra_cache_from_a_mutable_default_is_named_not_a_crash(capsys):
    _CACHES.clear()
    result = check("mlp_forward", mlp_forward_mutable_default)
    out = capsys.readouterr().out
    assert not result and "could not be judged" not in out
    assert result.failure.case_index == 1  # the first call is right; the list then keeps growing
    assert re.search(r"output\[1\] has \d+ items; expected \d+", out), out


class Extended(NamedTuple):
    X: np.ndarray
    Z: np.ndarray
    A: np.ndarray


@pytest.mark.parametrize(("expected", "received", "message"), [
    ((np.ones(2), np.ones(2), np.ones(2)), (np.ones(2),) * 4, "output has 4 items; expected 3"),
    ([Dense(np.ones((2, 2)), np.ones(2))], [Dense(np.ones((2, 2)), np.ones(2))] * 2,
     "output has 2 items; expected 1"),
    (DenseCacheLike(np.ones(2), np.ones(2)), Extended(np.ones(2), np.ones(2), np.ones(2)),
     "output has .A too; expected the fields X, Z"),
    (Extended(np.ones(2), np.ones(2), np.ones(2)), DenseCacheLike(np.ones(2), np.ones(2)),
     "output lacks .A; expected the fields X, Z, A"),
    ({"loss": [1.0]}, {"loss": [1.0], "acc": [0.5]}, "output has ['acc'] too; expected the keys 'loss'"),
    ({"loss": [1.0, 2.0]}, {"loss": []}, "output['loss'] has 0 items; expected 2"),
    ((1.0, [np.ones(2)]), (1.0, np.ones(2)), "output[1]: expected a list or tuple of 1 item, got a single"),
    ((1.0, np.ones(2)), (1.0, {}), "output[1]: expected a single array or number, got an empty"),
    ((1.0, {"a": 1.0}), (1.0, [1.0]), "output[1]: expected a dict with keys 'a', got a list or tuple"),
])
def test_structure_messages_for_extra_and_missing_items(expected, received, message):
    exp, got = flatten_output(expected), flatten_output(received)
    mismatch = compare_flat(exp, got, 1e-7, 1e-10)
    assert message in mismatch.what, mismatch.what
    diagnose(exp, got, mismatch.path)  # never raises


def test_an_extra_gradient_layer_is_named_through_check(capsys):
    from nnlib import mlp_backward

    def with_extra_layer(dout, caches, params, hidden="relu", output="identity"):
        grads = learner_copy(mlp_backward)(dout, caches, params, hidden, output)
        return [*grads, grads[-1]]

    assert not check("mlp_backward", with_extra_layer)
    out = capsys.readouterr().out
    assert re.search(r"output has (\d+) items; expected \d+", out) and "could not be judged" not in out


_arrays_st = st.builds(lambda shape, v: np.full(shape, v), st.sampled_from([(), (2,), (1, 3)]),
                       st.sampled_from([0.0, 1.0, -2.5]))
_outputs = st.recursive(
    _arrays_st | st.sampled_from([1.0, 2.0]),
    lambda inner: (st.lists(inner, max_size=3) | st.tuples(inner, inner)
                   | st.dictionaries(st.sampled_from(["a", "b", "it's", 'say "x"']), inner, max_size=2)
                   | st.builds(DenseCacheLike, inner, inner) | st.builds(Extended, inner, inner, inner)),
    max_leaves=6)


def _mutated(value, rnd):
    """``value`` with one structural change somewhere: an item added or dropped, a field added, a
    container replaced by an array (what an extra cache or a missing gradient does)."""
    if isinstance(value, list | tuple) and not hasattr(value, "_fields") and rnd.random() < 0.5:
        items = list(value)
        if items and rnd.random() < 0.5:
            items.pop(rnd.randrange(len(items)))
        else:
            items.append(items[0] if items else 1.0)
        return type(value)(items)
    if isinstance(value, DenseCacheLike) and rnd.random() < 0.5:
        return Extended(*value, np.ones(2))
    if isinstance(value, dict) and rnd.random() < 0.5:
        return {**value, "extra": 1.0}
    children = ([(k, v) for k, v in value.items()] if isinstance(value, dict) else
                list(enumerate(value)) if isinstance(value, list | tuple) else [])
    if not children:
        return [value, value] if rnd.random() < 0.5 else np.ones(4)
    k, child = rnd.choice(children)
    if isinstance(value, dict):
        return {**value, k: _mutated(child, rnd)}
    items = list(value)
    items[k] = _mutated(child, rnd)
    return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_outputs, st.randoms(use_true_random=False))
def test_the_judge_names_any_structural_change_and_never_crashes(expected, rnd):
    received = _mutated(expected, rnd)
    exp, got = flatten_output(expected), flatten_output(received)
    mismatch = compare_flat(exp, got, 1e-7, 1e-10)
    if exp.keys() != got.keys():
        assert mismatch is not None and "has no part" not in mismatch.what
    diagnose(exp, got, mismatch.path if mismatch else "")
    judge_case(_toy(lambda: expected, Mistake("m", lambda: received)), Case("c", ()), got)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_outputs, _outputs)
def test_the_judge_never_crashes_on_any_pair_of_structures(expected, received):
    exp, got = flatten_output(expected), flatten_output(received)
    mismatch = compare_flat(exp, got, 1e-7, 1e-10)
    if exp.keys() != got.keys():
        assert mismatch is not None and mismatch.what
    diagnose(exp, got, mismatch.path if mismatch else "")
    ex = _toy(lambda: expected, Mistake("m", lambda: received))
    judge_case(ex, Case("c", ()), got)  # the mistake matching walks the structures too


# -- issue 14: likely causes only where the evidence supports them ------------------------------------------


def test_a_different_zero_one_pattern_is_no_constant_factor(capsys):
    assert not check("relu_derivative", lambda z: (z < 0).astype(z.dtype))
    out = capsys.readouterr().out
    assert "constant factor" not in out and "0 times" not in out
    assert "likely cause: your 0/1 result is the opposite of the expected one everywhere" not in out or \
        "inverted" in out
    mask = np.array([1.0, 0.0, 1.0, 0.0])
    assert diagnose({"": mask}, {"": np.array([0.0, 1.0, 1.0, 0.0])}, "") == ""
    assert "inverted" in diagnose({"": mask}, {"": 1 - mask}, "")


def test_a_ratio_of_zero_or_from_too_few_entries_is_never_named():
    exp = np.array([1.0, 0.0, 2.0, 0.0])
    assert diagnose({"": exp}, {"": np.array([0.0, 5.0, 0.0, 1.0])}, "") == ""  # zero where exp is not
    assert diagnose({"": exp}, {"": 3 * exp + np.array([0, 1.0, 0, 0])}, "") == ""  # not 3x everywhere
    assert "3 times" in diagnose({"": exp + 1}, {"": 3 * (exp + 1)}, "")
    assert diagnose({"": np.array([0.0, 2.0])}, {"": np.array([0.0, 6.0])}, "") == ""  # one nonzero entry
    assert diagnose({"": np.array([1.0, 2.0])}, {"": np.array([3.0, 6.0])}, "") == ""  # unnamed, only 2
    assert "doubled" in diagnose({"": np.array([1.0, 2.0])}, {"": np.array([2.0, 4.0])}, "")


def _numerical_derivative(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def _ignored_h(f, x, h=1e-5):
    return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5


def _five_point(f, x, h=1e-5):
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


def test_a_mistake_is_named_only_if_it_fits_the_learners_output_on_every_case():
    """A 5-point stencil is as close to f' as "ignored h" on one case, not on all of them."""
    ex = _toy(_numerical_derivative, Mistake("you ignored h", _ignored_h),
              make_cases=lambda rng: [Case("cubic, h = 0.01", (lambda x: x**3, 2.0), {"h": 1e-2}),
                                      Case("exp, h = 0.5", (np.exp, 0.0), {"h": 0.5})])
    from nnlib.check import run_checks

    result = run_checks(ex, _five_point, ex.cases())
    assert not result and result.failure.hint != "you ignored h"
    assert run_checks(ex, _ignored_h, ex.cases()).failure.hint == "you ignored h"
    # judged alone, the first case cannot tell them apart: both are within 1e-10 of f'(2) = 12
    case = ex.cases()[0]
    alone = judge_case(ex, case, flatten_output(_five_point(*case.args, **case.kwargs)))
    assert alone.hint == "you ignored h"


def test_a_mistake_that_is_wrong_where_the_learner_is_right_is_not_named():
    """Missing 1/N in db only is not "every gradient is N times too large"."""
    def grads(X):
        return X.mean(axis=0), X[:, 0].mean()

    ex = _toy(grads, Mistake("every gradient is N times too large", lambda X: (X.sum(axis=0), X[:, 0].sum())))
    X = np.arange(12.0).reshape(4, 3)
    learner = (X.mean(axis=0), X[:, 0].sum())
    assert _cause(ex, learner, X) == (
        "every value is N = 4 times too large: a missing 1/N (mean over the batch)?")
    assert _cause(ex, (X.sum(axis=0), X[:, 0].sum()), X) == "every gradient is N times too large"


def test_a_generic_cause_contradicted_by_another_case_is_not_given():
    """Ties split in max's backward: half on a scalar tie, but not "half of every value" elsewhere."""
    def max_grad(dz, x, y):
        return np.where(x >= y, dz, 0.0)

    def split_ties(dz, x, y):
        return np.where(x > y, dz, 0.0) + np.where(x == y, dz / 2, 0.0)

    ex = _toy(max_grad, make_cases=lambda rng: [
        Case("tie", (2.0, 3.0, 3.0)),
        Case("ties", (np.ones(4), np.array([1.0, 2, 3, 4]), np.array([1.0, 0, 3, 5])))])
    from nnlib.check import run_checks

    result = run_checks(ex, split_ties, ex.cases())
    assert result.failure.case_index == 0 and result.failure.hint == ""
    assert "half" in _cause(ex, split_ties(2.0, 3.0, 3.0), 2.0, 3.0, 3.0)  # alone, the scalar says "half"


# -- issue 14/15: check() never passes nnlib's reference ---------------------------------------------------


def _wrapper_of_relu(z):
    from nnlib import relu

    return relu(z) + 0.0


@pytest.mark.parametrize(("fn", "line"), [
    (get_exercise("relu").reference, "relu: this is nnlib's reference relu, not your code: run your exercise "
                                     "cell again\n"),
    (functools.partial(get_exercise("relu").reference), "relu: your function calls nnlib's reference relu"),
    (np.vectorize(get_exercise("relu").reference), "relu: your function calls nnlib's reference relu"),
    (lambda z: get_exercise("relu").reference(z), "relu: your function calls nnlib's reference relu"),
    (_wrapper_of_relu, "relu: your function calls nnlib's reference relu"),
])
def test_nnlibs_reference_or_anything_calling_it_never_passes(fn, line, capsys):
    result = check("relu", fn)
    out = capsys.readouterr().out
    assert not result and result.failure.kind == "reference" and result.passed == 0
    assert out.startswith(line) and out.count("\n") == 1, out


def test_other_exercises_references_stay_allowed(capsys):
    from nnlib import sigmoid

    assert check("sigmoid_derivative", lambda z: sigmoid(z) * (1 - sigmoid(z)))
    total = len(EXERCISES["sigmoid_derivative"].cases())
    assert capsys.readouterr().out == f"sigmoid_derivative: all {total} checks passed\n"


def test_yours_or_reference_returns_the_reference_with_its_notice_when_given_the_reference(capsys):
    from nnlib import relu

    assert yours_or_reference("relu", relu) is relu
    assert capsys.readouterr().out == "(using nnlib's reference relu until yours passes check)\n"


# -- issue 17: blame the learner's failing dependency first ------------------------------------------------

_NOTEBOOK = '''
import numpy as np
from nnlib import LOSSES, Dense, mlp_forward, activation_backward, dense_backward


def mlp_backward(dout, caches, params, hidden="relu", output="identity"):
    grads = [None] * len(params)
    dA = dout
    for k in reversed(range(len(params))):
        dZ = activation_backward(dA, caches[k].Z, output if k == len(params) - 1 else hidden)
        dA, dW, db = dense_backward(dZ, caches[k], params[k].W)
        grads[k] = Dense(SCALE * dW, db)
    return grads


def loss_and_gradients(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    out, caches = mlp_forward(X, params, hidden=hidden)
    f, f_backward = LOSSES[loss]
    return f(out, y), mlp_backward(f_backward(out, y), caches, params, hidden)
'''


def _notebook(scale):
    namespace = {"SCALE": scale}
    exec(compile(_NOTEBOOK, "<notebook cells>", "exec"), namespace)
    return namespace


def test_a_failing_function_that_calls_the_learners_own_failing_dependency_names_it_first(capsys):
    notebook = _notebook(2.0)  # their mlp_backward doubles dW
    assert not check("loss_and_gradients", notebook["loss_and_gradients"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("loss_and_gradients: it calls your mlp_backward, which fails its own check "
                               "(0 of 8 passed): fix mlp_backward first; check('mlp_backward', mlp_backward)")
    assert lines[1].startswith("loss_and_gradients: 0 of 8 checks passed; case 1")


def test_no_blame_when_the_dependency_passes_its_own_check(capsys):
    notebook = _notebook(1.0)
    assert check("mlp_backward", notebook["mlp_backward"], quiet=True)
    assert check("loss_and_gradients", notebook["loss_and_gradients"])
    assert capsys.readouterr().out == "loss_and_gradients: all 8 checks passed\n"

    def wrong_loss(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
        value, grads = notebook["loss_and_gradients"](params, X, y, loss, hidden)
        return 2 * value, grads

    assert not check("loss_and_gradients", wrong_loss)
    assert "it calls your" not in capsys.readouterr().out  # its mlp_backward is right: nothing to blame
