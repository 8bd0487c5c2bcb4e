"""check(), check_answer() and the judge they share: known-wrong functions are caught, with the right
words."""

import copy
from typing import NamedTuple

import numpy as np
import pytest

from nnlib import Dense, check, check_answer, hint, yours_or_reference
from nnlib.check import MISTAKE_ATOL, MISTAKE_RTOL, judge_case
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
        (lambda X, W, b: (X @ W + b).astype(np.float64), ["expected dtype float32, got float64"]),
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


def test_unknown_exercise_id_lists_known_ids():
    with pytest.raises(ValueError, match=r"unknown exercise id 'relux'.*dense_preactivation"):
        check("relux", lambda z: z)


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
    with pytest.raises(ValueError, match="level must be 1, 2 or 3; got level=4"):
        hint("preactivation", 4)


def test_check_answer_choice(capsys):
    assert check_answer("q01_1", "c")
    assert capsys.readouterr().out.startswith("q01_1: correct.")
    assert not check_answer("q01_1", "A")  # case-insensitive, but wrong
    assert capsys.readouterr().out.startswith("q01_1: not quite.")
    assert not check_answer("q01_1", "z")
    assert "choose one of 'a', 'b', 'c', 'd'; got 'z'" in capsys.readouterr().out
    assert not check_answer("q01_1", None)
    assert "no answer yet" in capsys.readouterr().out


def test_every_registered_reference_passes_its_own_check():
    for ex in EXERCISES.values():
        assert check(ex.id, ex.reference, quiet=True), ex.id


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
        result = run_checks(ex, ex.reference, ex.cases(seed=seed, hidden=True))
        assert result, f"{ex.id} with seed {seed}: {result.failure}"


# -- naming known mistakes (Exercise.mistakes) ------------------------------------------------


@pytest.mark.parametrize("exercise_id", [ex.id for ex in EXERCISES.values()])
def test_an_untouched_stub_is_not_implemented_yet(exercise_id, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError(f"Exercise {exercise_id}: ...")

    assert not check(exercise_id, stub)
    out = capsys.readouterr().out
    assert out.startswith(f"{exercise_id}: not implemented yet") and out.count("\n") == 1, out


def _mistake_output(fn, case):
    try:
        with np.errstate(all="ignore"):
            return flatten_output(fn(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs))))
    except Exception:
        return None  # this mistake does not apply to this case (it raises)


# Exercises judged by a verifier word their own messages (each Mistake's `expect`): their banks are
# tested by their lessons' tests (and the registry-wide bank test), not by the likely cause here.
@pytest.mark.parametrize("exercise_id",
                         [ex.id for ex in EXERCISES.values() if ex.mistakes and ex.verify is None])
def test_every_registered_mistake_fails_and_is_named_where_it_differs(exercise_id):
    """Each Mistake of the registry fails check(), and on every case where its output is wrong
    the judge names it (or an earlier mistake that gives the same output on that case)."""
    ex = EXERCISES[exercise_id]
    named = set()
    for k, mistake in enumerate(ex.mistakes):
        with np.errstate(all="ignore"):
            assert not check(ex.id, mistake.fn, quiet=True), f"{ex.id}: mistake {k} passes: {mistake.cause}"
        for case in ex.cases(hidden=True):
            received = _mistake_output(mistake.fn, case)
            failure = None if received is None else judge_case(ex, case, received)
            if failure is None:
                continue  # the mistake raises here, or is harmless on this case
            same = [m.cause for m in ex.mistakes[: k + 1]
                    if (out := _mistake_output(m.fn, case)) is not None
                    and compare_flat(out, received, MISTAKE_RTOL, MISTAKE_ATOL) is None]
            assert failure.hint in same, (case.name, mistake.cause, failure.hint)
            named.add(k)
    never = set(range(len(ex.mistakes))) - named
    assert not never, f"{ex.id}: mistakes never named on any case: {[ex.mistakes[k].cause for k in never]}"


def _toy(reference, *mistakes, **kwargs):
    return Exercise(id="toy", lesson="00", task="t", reference=reference, make_cases=lambda rng: [],
                    hints=("a", "b", "c"), mistakes=mistakes, **kwargs)


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
