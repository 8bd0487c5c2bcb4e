"""``check()`` and ``check_answer()``: feedback on an exercise right in the notebook.

``check("relu", relu)`` calls your function on the registry's cases, compares
each result with nnlib's reference, and prints one line when all pass, or what
went wrong in the first failing case, and a hint. It never shows a traceback
from nnlib's internals: when your code raises, you see your own line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from nnlib.exercises import Case, Exercise, get_exercise, get_question
from nnlib.judge import Mismatch, agree, agree_flat, compare_flat, diagnose, flatten_output
from nnlib.learner_store import save_passing
from nnlib.runner import describe_exception, run_call  # noqa: F401 (describe_exception: re-exported)


@dataclass(frozen=True)
class CaseFailure:
    """Why one case failed; ``kind`` is "not implemented", "raised", "output" or "mutated"."""

    case_index: int
    case: Case
    kind: str
    message: str
    hint: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of :func:`check`; truthy when every case passed."""

    exercise_id: str
    passed: int
    total: int
    failure: CaseFailure | None  # the first failing case, if any

    def __bool__(self):
        return self.failure is None

    def _ipython_display_(self):
        """The report is already printed by check(): show nothing more in the notebook."""

    def __repr__(self):
        return f"CheckResult({self.exercise_id!r}, passed={self.passed}/{self.total})"


def run_case(ex: Exercise, case: Case, fn) -> tuple[dict | None, CaseFailure | None]:
    """Call ``fn`` on one case; return its flattened output or why it failed before judging."""
    flat, outcome = run_call(ex.target(fn), case.args, case.kwargs, exercise_id=ex.id,
                             strict_float=ex.strict_float, materialize=ex.materialize, arg_label=ex.arg_label)
    if outcome is not None:
        return None, CaseFailure(0, case, outcome.kind, outcome.message, outcome.hint)
    return flat, None


def judge_case(ex: Exercise, case: Case, received: dict, expected: dict | None = None) -> CaseFailure | None:
    """Compare a flattened result with the reference's (or run the exercise's verifier).

    ``expected`` is the reference's flattened output on this case, computed here if not
    given. On a mismatch the hint ("likely cause") is the cause of the exercise's known
    mistake that explains the result (see :func:`_known_mistake`), else the judge's
    generic diagnosis.
    """
    if ex.verify is not None:
        message = ex.verify(case, received)
        return CaseFailure(0, case, "output", message) if message else None
    if expected is None:
        expected = flatten_output(
            ex.target(ex.reference)(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs))),
            materialize_iterators=ex.materialize,
        )
    mismatch: Mismatch | None = compare_flat(expected, received, ex.rtol, ex.atol)
    if mismatch is None:
        return None
    hint = (_known_mistake(ex, case, expected, received, mismatch.path)
            or diagnose(expected, received, mismatch.path, case.inferred_batch_size()))
    return CaseFailure(0, case, "output", mismatch.what, hint)


#: A re-enacted mistake must reproduce the result this closely (at least) to be named.
MISTAKE_RTOL, MISTAKE_ATOL = 1e-6, 1e-9


def _known_mistake(ex: Exercise, case: Case, expected: dict, received: dict, path: str) -> str:
    """The cause of the exercise's known mistake that explains ``received``, or ''.

    The first mistake that reproduces the whole result wins; else the first that
    agrees with it at ``path`` (where it is first wrong) and is wrong there too.
    A mistake that raises on this case, or would pass it, is skipped.
    """
    rtol, atol = max(ex.rtol, MISTAKE_RTOL), max(ex.atol, MISTAKE_ATOL)  # to match the learner's result
    at_path = ""
    for mistake in ex.mistakes:
        try:
            with np.errstate(all="ignore"):
                wrong = flatten_output(
                    ex.target(mistake.fn)(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs))),
                    materialize_iterators=ex.materialize,
                )
        except Exception:  # a mistake that cannot happen on this case (an index out of range...)
            continue
        if compare_flat(expected, wrong, ex.rtol, ex.atol) is None:
            continue  # harmless here
        if agree_flat(wrong, received, rtol, atol):
            return mistake.cause
        if (not at_path and path in wrong and path in received and path in expected
                and agree(wrong[path], received[path], rtol, atol)
                and compare_flat({path: expected[path]}, {path: wrong[path]}, ex.rtol, ex.atol) is not None):
            at_path = mistake.cause
    return at_path


def run_checks(ex: Exercise, fn, cases: list[Case]) -> CheckResult:
    """Run every case; count passes and keep the first failure."""
    passed, first = 0, None
    for i, case in enumerate(cases):
        received, failure = run_case(ex, case, fn)
        if failure is None:
            try:
                failure = judge_case(ex, case, received)
            except Exception as err:  # a learner's output can break a verifier
                failure = CaseFailure(0, case, "output", f"could not be judged: {err}")
        if failure is None:
            passed += 1
        elif first is None:
            first = CaseFailure(i, case, failure.kind, failure.message, failure.hint)
            if failure.kind == "not implemented":
                break  # every case would say the same
    return CheckResult(ex.id, passed, len(cases), first)


def format_result(ex: Exercise, result: CheckResult) -> str:
    """The text ``check`` prints: one line on success, a short report on failure."""
    if result:
        return f"{ex.id}: all {result.total} checks passed"
    f = result.failure
    if f.kind == "not implemented":
        return (f"{ex.id}: not implemented yet (replace the `raise NotImplementedError` line "
                f"with your code, then run this cell again)")
    lines = [f"{ex.id}: {result.passed} of {result.total} checks passed; "
             f"case {f.case_index + 1} {f.case.describe(ex.arg_names)} failed:",
             f"  {f.message}"]
    if f.hint:
        lines.append(f"  likely cause: {f.hint}")
    lines.append(f"  hint: {ex.hints[0]}")
    return "\n".join(lines)


def check(exercise_id: str, fn, *, quiet: bool = False, strict: bool = False) -> CheckResult:
    """Check your implementation of an exercise against nnlib's reference.

    Parameters
    ----------
    exercise_id : the exercise's name, e.g. "relu"
    fn : your function
    quiet : do not print (the result still tells: ``bool(result)``)
    strict : raise AssertionError (with the report) when a check fails, for autograders such as
        nbgrader, whose grade cells fail by raising

    Returns
    -------
    CheckResult, truthy when every case passed
    """
    ex = get_exercise(exercise_id)
    if not callable(fn):
        result = CheckResult(ex.id, 0, 0, CaseFailure(0, Case("-", ()), "output",
                                                       f"expected a function, got {type(fn).__name__}"))
        report = f"{ex.id}: check needs your function itself, e.g. check({ex.id!r}, {ex.id}); " \
                 f"got {type(fn).__name__}"
        if not quiet:
            print(report)
        if strict:
            raise AssertionError(report)
        return result
    result = run_checks(ex, fn, ex.cases())
    if result:  # carry a passing function to later lessons (only in a learner's notebook session)
        save_passing(ex.id, fn)
    report = format_result(ex, result)
    if not quiet:
        print(report)
    if strict and not result:
        raise AssertionError(report)
    return result


def yours_or_reference(exercise_id: str, fn):
    """Return ``fn`` if it passes :func:`check`, else nnlib's reference with a one-line notice.

    Cells that *use* an exercise call this, so a lesson runs top to bottom even
    before you have written the exercise.
    """
    ex = get_exercise(exercise_id)
    if callable(fn) and run_checks(ex, fn, ex.cases()):
        return fn
    print(f"(using nnlib's reference {ex.id} until yours passes check)")
    return ex.reference


def hint(exercise_id: str, level: int = 1) -> None:
    """Print hint ``level`` (1 = nudge, 2 = approach, 3 = near-solution) for an exercise."""
    ex = get_exercise(exercise_id)
    if level not in (1, 2, 3):
        raise ValueError(f"hint: level must be 1, 2 or 3; got level={level!r}")
    print(f"{ex.id}, hint {level} of 3: {ex.hints[level - 1]}")


@dataclass(frozen=True)
class AnswerResult:
    """The outcome of :func:`check_answer`; truthy when the answer is right."""

    question_id: str
    correct: bool

    def __bool__(self):
        return self.correct

    def _ipython_display_(self):
        """The verdict is already printed: show nothing more in the notebook."""


def check_answer(question_id: str, answer) -> AnswerResult:
    """Check the answer to a concept question; print whether it is right and why.

    Returns an AnswerResult, truthy when correct.
    """
    q = get_question(question_id)
    return AnswerResult(q.id, _judge_answer(q, answer))


def _judge_answer(q, answer) -> bool:
    if answer is None or answer is Ellipsis:
        options = f"one of {', '.join(repr(c) for c in q.choices)}" if q.kind == "choice" else "a number"
        print(f"{q.id}: no answer yet: set answer to {options}")
        return False
    if q.kind == "choice":
        given = str(answer).strip().lower()
        if given not in q.choices:
            print(f"{q.id}: choose one of {', '.join(repr(c) for c in q.choices)}; got {answer!r}")
            return False
        correct = given == q.answer
        verdict = "correct" if correct else "not quite"
        print(f"{q.id}: {verdict}. {q.feedback[given]}")
        return correct
    try:
        value = float(answer)
    except (TypeError, ValueError):
        print(f"{q.id}: the answer must be a number; got {answer!r}")
        return False
    if abs(value - q.answer) <= q.tol:
        print(f"{q.id}: correct. {q.feedback['correct']}")
        return True
    side = "low" if value < q.answer else "high"
    print(f"{q.id}: not quite: {value:g} is too {side}. {q.feedback[side]}")
    return False


