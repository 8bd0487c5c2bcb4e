"""``check()`` and ``check_answer()``: feedback on an exercise right in the notebook.

``check("relu", relu)`` calls your function on the registry's cases, compares
each result with nnlib's reference, and prints one line when all pass, or what
went wrong in the first failing case, and a hint. It never shows a traceback
from nnlib's internals: when your code raises, you see your own line.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nnlib.exercises import EXERCISES, QUESTIONS, Case, Exercise, unknown_id_message
from nnlib.judge import (
    Mismatch,
    agree,
    agree_flat,
    compare_flat,
    dtype_note,
    explain,
    flatten_output,
)
from nnlib.learner_store import save_passing
from nnlib.runner import describe_exception, own_errstate, run_call  # noqa: F401 (describe_exception: re-exported)

#: Seconds one case may run in check() before it is stopped as too slow. Every case of the course
#: takes milliseconds; even a learner's loops over every entry take well under a second.
CASE_TIME_BUDGET = 5.0

#: What check() shows of the learner's own prints (and warnings) before its verdict.
SHOWN_OUTPUT_LINES, SHOWN_OUTPUT_CHARS = 15, 1500


@dataclass(frozen=True)
class CaseFailure:
    """Why one case failed; ``kind`` is "not implemented", "raised", "output", "mutated", "too slow"
    or "reference" (the function is, or calls, nnlib's reference)."""

    case_index: int
    case: Case
    kind: str
    message: str
    hint: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of :func:`check`; truthy when every case passed.

    ``notes``: remarks on a pass (e.g. float64 returned for float32 input); ``blame``: a line
    naming a function of the learner's that this one calls and that fails its own check.
    """

    exercise_id: str
    passed: int
    total: int
    failure: CaseFailure | None  # the first failing case, if any
    notes: tuple[str, ...] = ()
    blame: str = ""

    def __bool__(self):
        return self.failure is None

    def _ipython_display_(self):
        """The report is already printed by check(): show nothing more in the notebook."""

    def __repr__(self):
        return f"CheckResult({self.exercise_id!r}, passed={self.passed}/{self.total})"


def run_case(ex: Exercise, case: Case, fn, *, time_limit: float | None = None,
             on_call=None) -> tuple[dict | None, CaseFailure | None]:
    """Call ``fn`` on one case; return its flattened output or why it failed before judging."""
    flat, outcome = run_call(ex.target(fn), case.args, case.kwargs, exercise_id=ex.id,
                             strict_float=ex.strict_float, materialize=ex.materialize, arg_label=ex.arg_label,
                             time_limit=time_limit, on_call=on_call)
    if outcome is not None:
        return None, CaseFailure(0, case, outcome.kind, outcome.message, outcome.hint)
    return flat, None


def reference_output(ex: Exercise, case: Case) -> dict:
    """nnlib's flattened output on ``case``, computed under nnlib's own floating-point error state."""
    with own_errstate():
        out = ex.target(ex.reference)(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs)))
        return flatten_output(out, materialize_iterators=ex.materialize)


class Evidence:
    """A learner's outputs on all the cases of one run, so that a named mistake fits every one of them.

    ``items``: ``(case, expected, received)`` for each case that returned an output (``expected``
    may be None: it is computed). The known mistakes' outputs are computed once per case.
    """

    def __init__(self, ex: Exercise, items: Sequence[tuple[Case, dict | None, dict]]):
        self._ex = ex
        self.items = [(case, reference_output(ex, case) if expected is None else expected, received)
                      for case, expected, received in items]
        self._wrong: dict[tuple[int, int], dict | None] = {}

    def wrong(self, k: int, j: int) -> dict | None:
        """Mistake ``k``'s flattened output on item ``j`` (None if it raises there)."""
        if (k, j) not in self._wrong:
            self._wrong[k, j] = mistake_output(self._ex, self._ex.mistakes[k], self.items[j][0])
        return self._wrong[k, j]

    def contradicts(self, k: int, part: str | None = None) -> bool:
        """Is mistake ``k`` contradicted by a case (at ``part`` only, if given) where both the learner
        and the mistake are wrong, but differently?"""
        ex = self._ex
        rtol, atol = max(ex.rtol, MISTAKE_RTOL), max(ex.atol, MISTAKE_ATOL)
        for j, (_, e, r) in enumerate(self.items):
            w = self.wrong(k, j)
            if part is not None:
                if w is None or part not in w or part not in r or part not in e:
                    continue
                e, r, w = {part: e[part]}, {part: r[part]}, {part: w[part]}
            if (w is not None and compare_flat(e, r, ex.rtol, ex.atol) is not None
                    and compare_flat(e, w, ex.rtol, ex.atol) is not None
                    and not agree_flat(w, r, rtol, atol) and not _nan_hides(r, w)):
                return True
        return False


def judge_case(ex: Exercise, case: Case, received: dict, expected: dict | None = None, *,
               notes: list | None = None, evidence: Evidence | None = None,
               explain: bool = True) -> CaseFailure | None:
    """Compare a flattened result with the reference's (or run the exercise's verifier).

    ``expected`` is the reference's flattened output on this case, computed here if not
    given. On a mismatch the hint ("likely cause") is the cause of the exercise's known
    mistake that explains the result (see :func:`_known_mistake`; with ``evidence``, the
    learner's outputs on the other cases too), else the judge's generic diagnosis; without
    ``explain`` (a later failing case, whose cause is not shown) none is looked for. A note on
    an accepted result (float64 for float32 input) is appended to ``notes``.
    """
    with own_errstate():  # judged under nnlib's error state, whatever np.seterr the learner called
        if ex.verify is not None:
            message = ex.verify(case, received)
            return CaseFailure(0, case, "output", message) if message else None
        if expected is None:
            expected = reference_output(ex, case)
        mismatch: Mismatch | None = compare_flat(expected, received, ex.rtol, ex.atol)
        if mismatch is None:
            if notes is not None and (note := dtype_note(expected, received)):
                notes.append(f"{note}: accepted, the values are right; nnlib's functions keep "
                             "float32 as float32")
            return None
        path = mismatch.path
        hint = "" if not explain else (_known_mistake(ex, case, expected, received, path, evidence)
                                       or _generic_cause(ex, case, expected, received, path, evidence))
        return CaseFailure(0, case, "output", mismatch.what, hint)


def _generic_cause(ex: Exercise, case: Case, expected: dict, received: dict, path: str,
                   evidence: Evidence | None) -> str:
    """The judge's diagnosis at ``path``; with ``evidence``, only if no other case that is wrong there
    contradicts it: a ratio of 1/2 on one tie is no "half of every value" when, on a case with
    more entries, the values are not halved."""
    found = explain(expected, received, path, case.inferred_batch_size())
    if not found.text or evidence is None or found.holds is None:
        return found.text
    for other, e, r in evidence.items:
        if (path in e and path in r
                and compare_flat({path: e[path]}, {path: r[path]}, ex.rtol, ex.atol) is not None
                and found.holds(e[path], r[path], other.inferred_batch_size()) is False):
            return ""
    return found.text


#: A re-enacted mistake must reproduce the result this closely (at least) to be named.
MISTAKE_RTOL, MISTAKE_ATOL = 1e-6, 1e-9


def mistake_output(ex: Exercise, mistake, case: Case) -> dict | None:
    """A known mistake's flattened output on ``case``, or None if it raises there."""
    try:
        with own_errstate(all="ignore"):
            return flatten_output(
                ex.target(mistake.fn)(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs))),
                materialize_iterators=ex.materialize,
            )
    except Exception:  # a mistake that cannot happen on this case (an index out of range...)
        return None


def _known_mistake(ex: Exercise, case: Case, expected: dict, received: dict, path: str,
                   evidence: Evidence | None = None) -> str:
    """The cause of the exercise's known mistake that explains ``received``, or ''.

    Only a mistake that is wrong on this case, where it does not raise, is named:

    1. the first that reproduces the whole result and, with ``evidence``, is not contradicted by
       another case: one where both the learner and the mistake are wrong, but differently (a
       5-point stencil is as close to f' as "h ignored" on one case, not on all);
    2. else the first that agrees with the result at ``path`` (where it is first wrong) and is
       wrong there too, that is right wherever the result is right (a mistake that "makes" an
       error the learner did not make is not theirs), and is not contradicted at ``path`` by
       another case.

    A case where only one of them is wrong is no evidence: a slip may show only on some shapes
    (a squeeze that matters only for a column), and a learner may make a second mistake.
    """
    rtol, atol = max(ex.rtol, MISTAKE_RTOL), max(ex.atol, MISTAKE_ATOL)  # to match the learner's result

    def contradicted(k: int, part=None) -> bool:
        return evidence is not None and evidence.contradicts(k, part)
    outputs = []
    for k, mistake in enumerate(ex.mistakes):
        wrong = mistake_output(ex, mistake, case)
        outputs.append(wrong)
        if wrong is None or compare_flat(expected, wrong, ex.rtol, ex.atol) is None:
            continue  # raises here, or harmless here
        if agree_flat(wrong, received, rtol, atol) and not contradicted(k):
            return mistake.cause
    for k, (mistake, wrong) in enumerate(zip(ex.mistakes, outputs, strict=True)):
        if (wrong is None or path not in wrong or path not in received or path not in expected
                or not agree(wrong[path], received[path], rtol, atol)
                or compare_flat({path: expected[path]}, {path: wrong[path]}, ex.rtol, ex.atol) is None):
            continue
        if any(p in received and compare_flat({p: e}, {p: received[p]}, ex.rtol, ex.atol) is None
               and (p not in wrong or compare_flat({p: e}, {p: wrong[p]}, ex.rtol, ex.atol) is not None)
               for p, e in expected.items()):
            continue  # wrong where the learner is right
        if not contradicted(k, path):
            return mistake.cause
    return ""


def raised_cause(ex: Exercise, case: Case, message: str, evidence: Evidence | None = None) -> str:
    """The cause of the known mistake that raises what the learner's function raised on ``case``, or ''.

    ``message`` is the learner's failure ("raised FloatingPointError: overflow encountered in
    exp ..."). A mistake is named when, run as the learner's code is (the same strict error
    state), it raises the same exception with the same text on this case, and, with
    ``evidence``, no other case contradicts it.
    """
    if ex.verify is not None or not message.startswith("raised "):
        return ""
    first = message.splitlines()[0]
    for k, mistake in enumerate(ex.mistakes):
        _, outcome = run_call(ex.target(mistake.fn), case.args, case.kwargs, exercise_id=ex.id,
                              strict_float=ex.strict_float, materialize=ex.materialize,
                              arg_label=ex.arg_label, time_limit=CASE_TIME_BUDGET)
        if (outcome is not None and outcome.kind == "raised" and outcome.message.splitlines()[0] == first
                and not (evidence is not None and evidence.contradicts(k))):
            return mistake.cause
    return ""


def _nan_hides(received: dict, wrong: dict) -> bool:
    """Is the learner's output NaN or inf where the mistake's is finite? (A second slip, such as
    0 * log(0), hides whatever else the case would show.)"""
    return any(p in wrong and wrong[p].shape == r.shape and r.dtype.kind == "f"
               and bool(np.any(~np.isfinite(r) & np.isfinite(wrong[p].astype(np.float64))))
               for p, r in received.items())


def tally(exercise_id: str, total: int, failures: Sequence[CaseFailure | None],
          notes: Sequence[str] = ()) -> CheckResult:
    """The CheckResult of a run, from each case's failure (None: passed), in case order.

    ``failures`` may stop early (after a "not implemented" or "too slow" case). The untouched
    stub's message, or a NotImplementedError on every case, is "not implemented yet"; a
    NotImplementedError that only some cases raise is reported as the exception it is.
    """
    passed = sum(f is None for f in failures)
    first = next(((i, f) for i, f in enumerate(failures) if f is not None), None)
    if first is None:
        return CheckResult(exercise_id, passed, total, None, tuple(dict.fromkeys(notes)))
    i, f = first
    if (len(failures) == total and not passed
            and all(g.message.startswith("raised NotImplementedError") for g in failures)):
        f = CaseFailure(i, f.case, "not implemented", "not implemented yet")
    return CheckResult(exercise_id, passed, total, CaseFailure(i, f.case, f.kind, f.message, f.hint),
                       tuple(dict.fromkeys(notes)))


# -- nnlib's reference, and the learner's other functions -----------------------------------------

_NNLIB_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: nnlib's files whose frames call the function being checked (the runner, a harness), as opposed
#: to nnlib's library code (a prerequisite calling a reference is nnlib's business, not the learner's).
_CALLER_FILES = tuple(os.path.join(_NNLIB_DIR, name)
                      for name in ("runner.py", "check.py", os.path.join("exercises", "case_functions.py")))


def _is_nnlib_library(filename: str) -> bool:
    path = os.path.abspath(filename)
    return path.startswith(_NNLIB_DIR) and path not in _CALLER_FILES


def _reference_codes(ex: Exercise) -> frozenset[int]:
    """The ids of the code objects of the reference (and of what it wraps, ``__wrapped__``).

    By identity: code objects compare equal by value, and a learner may type the same code.
    """
    codes, fn, seen = set(), ex.reference, set()
    while fn is not None and id(fn) not in seen:
        seen.add(id(fn))
        if hasattr(fn, "__code__"):
            codes.add(id(fn.__code__))  # kept alive by the registry's reference
        fn = getattr(fn, "__wrapped__", None)
    return frozenset(codes)


def _unwraps_to_reference(ex: Exercise, fn) -> bool:
    """Is ``fn`` the reference, or a partial, np.vectorize, bound method or wrapper of it?"""
    codes, todo, seen = _reference_codes(ex), [fn], set()
    while todo:
        f = todo.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        if f is ex.reference or id(getattr(f, "__code__", None)) in codes:
            return True
        todo += [getattr(f, name, None) for name in ("func", "pyfunc", "__wrapped__", "__func__")]
    return False


class _Watch:
    """Watches the frames a learner's call enters (``run_call``'s ``on_call``): does it reach nnlib's
    reference of this exercise, and which of the learner's own functions named like another exercise
    (their mlp_backward inside their loss_and_gradients) does it call?"""

    def __init__(self, ex: Exercise):
        self._id, self._codes = ex.id, _reference_codes(ex)
        self.reached_reference = False
        self.dependencies: dict[str, object] = {}

    def __call__(self, frame):
        code = frame.f_code
        if id(code) in self._codes:
            caller = frame.f_back
            if caller is None or not _is_nnlib_library(caller.f_code.co_filename):
                self.reached_reference = True
        elif (code.co_name in EXERCISES and code.co_name != self._id and code.co_name not in self.dependencies
              and not os.path.abspath(code.co_filename).startswith(_NNLIB_DIR)):
            fn = frame.f_globals.get(code.co_name)
            if getattr(fn, "__code__", None) is code:
                self.dependencies[code.co_name] = fn


def _reference_failure(ex: Exercise, case: Case, itself: bool) -> CaseFailure:
    if itself:
        why = f"this is nnlib's reference {ex.id}, not your code: run your exercise cell again"
    else:
        why = (f"your function calls nnlib's reference {ex.id}, so this would check nnlib's code, not yours: "
               f"compute the result yourself, then run your exercise cell again")
    return CaseFailure(0, case, "reference", why)


def run_checks(ex: Exercise, fn, cases: list[Case], *, time_limit: float | None = None,
               _checking: frozenset = frozenset()) -> CheckResult:
    """Run every case, judge each, and keep the first failure with its likely cause.

    A function that is nnlib's reference, or passes only by calling it, fails with one line
    saying so (a wrong function that calls it fails as any other). Every case runs first (the
    likely cause must fit the learner's outputs on all of them);
    a "not implemented" or "too slow" case stops the run (``time_limit`` per case, default
    CASE_TIME_BUDGET; 0: none). When the function fails and calls a function of the learner's
    named like another exercise that fails its own check, the result blames that one
    (``CheckResult.blame``).
    """
    time_limit = CASE_TIME_BUDGET if time_limit is None else time_limit
    if _unwraps_to_reference(ex, fn):
        first = cases[0] if cases else Case("-", ())
        return CheckResult(ex.id, 0, len(cases), _reference_failure(ex, first, fn is ex.reference))
    watch = _Watch(ex)
    runs: list[tuple[dict | None, CaseFailure | None]] = []
    for case in cases:
        received, failure = run_case(ex, case, fn, time_limit=time_limit, on_call=watch)
        runs.append((received, failure))
        if failure is not None and failure.kind in ("not implemented", "too slow"):
            break  # every case would say the same / do not wait for every case
    ran = list(zip(cases, runs, strict=False))
    expected = [None if ex.verify is not None or received is None else reference_output(ex, case)
                for case, (received, _) in ran]
    evidence = None if ex.verify is not None else Evidence(
        ex, [(case, e, r) for (case, (r, _)), e in zip(ran, expected, strict=True) if r is not None])
    failures: list[CaseFailure | None] = []
    notes: list[str] = []
    for i, (case, (received, failure)) in enumerate(ran):
        if failure is None:
            try:
                failure = judge_case(ex, case, received, expected[i], notes=notes, evidence=evidence,
                                     explain=not any(failures))
            except Exception as err:  # a learner's output can break a verifier
                failure = CaseFailure(0, case, "output", f"could not be judged: {type(err).__name__}: {err}")
        elif failure.kind == "raised" and not failure.hint and not any(failures):
            failure = CaseFailure(i, case, failure.kind, failure.message,
                                  raised_cause(ex, case, failure.message, evidence))
        failures.append(None if failure is None else CaseFailure(i, case, failure.kind, failure.message,
                                                                  failure.hint))
    result = tally(ex.id, len(cases), failures, notes)
    if result and watch.reached_reference:  # right because it is nnlib's: never a pass
        return CheckResult(ex.id, 0, len(cases), _reference_failure(ex, cases[0], False))
    if not result and result.failure.kind != "not implemented":
        blame = _blame(watch.dependencies, _checking | {ex.id}, time_limit)
        if blame:
            result = CheckResult(result.exercise_id, result.passed, result.total, result.failure,
                                 result.notes, blame)
    return result


def _blame(dependencies: Mapping[str, object], checking: frozenset, time_limit: float | None) -> str:
    """A line naming the first of the learner's own functions (another exercise's) that fails its check."""
    for name, dep in dependencies.items():
        if name in checking:
            continue
        dep_ex = EXERCISES[name]
        result = run_checks(dep_ex, dep, dep_ex.cases(), time_limit=time_limit, _checking=checking)
        if not result and result.failure.kind != "not implemented":
            return (f"it calls your {name}, which fails its own check ({result.passed} of {result.total} "
                    f"passed): fix {name} first; check({name!r}, {name}) shows what is wrong")
    return ""


def format_result(ex: Exercise, result: CheckResult) -> str:
    """The text ``check`` prints: one line on success, a short report on failure."""
    note = f" (note: {'; '.join(result.notes)})" if result.notes else ""
    if result:
        return f"{ex.id}: all {result.total} checks passed{note}"
    f = result.failure
    if f.kind == "not implemented":
        return (f"{ex.id}: not implemented yet (replace the `raise NotImplementedError` line "
                f"with your code, then run this cell again)")
    if f.kind == "reference":
        return f"{ex.id}: {f.message}"
    lines = [f"{ex.id}: {result.blame}"] if result.blame else []
    lines += [f"{ex.id}: {result.passed} of {result.total} checks passed; "
              f"case {f.case_index + 1} {f.case.describe(ex.arg_names)} failed:",
              f"  {f.message}"]
    if f.hint:
        lines.append(f"  likely cause: {f.hint}")
    lines.append(f"  hint: {ex.hints[0]}")
    if note:
        lines.append(f"  note: {'; '.join(result.notes)}")
    return "\n".join(lines)


class _CappedText(io.TextIOBase):
    """A stream that keeps the first lines and characters written to it and counts the rest."""

    def __init__(self, max_lines: int, max_chars: int):
        self._max_lines, self._max_chars = max_lines, max_chars
        self._kept: list[str] = []
        self._n_chars = self._n_lines = self.dropped = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        for line in text.splitlines(keepends=True):
            room = self._max_chars - self._n_chars
            if self._n_lines < self._max_lines and room > 0:
                self._kept.append(line[:room])
                self._n_chars += min(room, len(line))
                self._n_lines += line.endswith("\n")
                self.dropped += max(0, len(line) - room)
            else:
                self.dropped += len(line)
        return len(text)

    def shown(self) -> str:
        """What was kept, and a line saying how much was left out."""
        text = "".join(self._kept)
        if text and not text.endswith("\n"):
            text += "\n"
        if self.dropped:
            text += (f"[... {self.dropped:,} more characters printed by your function are not shown; "
                     "the verdict follows]\n")
        return text


@contextlib.contextmanager
def _captured_prints():
    """Collect what the learner's code prints (and warns) while it is checked, capped."""
    sink = _CappedText(SHOWN_OUTPUT_LINES, SHOWN_OUTPUT_CHARS)
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield sink


def _lookup(kind: str, name, registry: Mapping, example: str):
    """``(entry, '')`` for a registered id, else ``(None, one line saying what is wrong)``."""
    if isinstance(name, str) and name in registry:
        return registry[name], ""
    if not isinstance(name, str):
        return None, (f"the first argument must be the {kind}'s name as a string, e.g. {example}; "
                      f"got {type(name).__name__} {getattr(name, '__name__', '')}".rstrip())
    return None, unknown_id_message(kind, name, registry)


def _usage(where: str, message: str, quiet: bool, strict: bool, exercise_id: str = "?") -> CheckResult:
    report = f"{where}: {message}"
    if not quiet:
        print(report)
    if strict:
        raise AssertionError(report)
    return CheckResult(exercise_id, 0, 0, CaseFailure(0, Case("-", ()), "usage", message))


def check(exercise_id: str, fn, *, quiet: bool = False, strict: bool = False) -> CheckResult:
    """Check your implementation of an exercise against nnlib's reference.

    Parameters
    ----------
    exercise_id : the exercise's name, e.g. "relu"
    fn : your function
    quiet : do not print (neither the report nor what your function prints; the result still
        tells: ``bool(result)``)
    strict : raise AssertionError (with the report) when a check fails, for autograders such as
        nbgrader, whose grade cells fail by raising

    Returns
    -------
    CheckResult, truthy when every case passed
    """
    name = getattr(exercise_id, "__name__", "")
    if callable(exercise_id) and (isinstance(fn, str) or name in EXERCISES):  # check(relu, "relu")
        exercise = fn if isinstance(fn, str) else name
        return _usage("check", f"the exercise's name comes first, then your function: did you mean "
                               f"check({exercise!r}, {name or exercise})?", quiet, strict, exercise)
    ex, problem = _lookup("exercise", exercise_id, EXERCISES, 'check("relu", relu)')
    if ex is None:
        return _usage("check", problem, quiet, strict, str(exercise_id))
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
    with _captured_prints() as prints:
        result = run_checks(ex, fn, ex.cases())
    if result:  # carry a passing function to later lessons (only in a learner's notebook session)
        save_passing(ex.id, fn)
    report = format_result(ex, result)
    if not quiet:
        print(prints.shown() + report)
    if strict and not result:
        raise AssertionError(report)
    return result


def yours_or_reference(exercise_id: str, fn):
    """Return ``fn`` if it passes :func:`check`, else nnlib's reference with a one-line notice.

    Cells that *use* an exercise call this, so a lesson runs top to bottom even
    before you have written the exercise. Your function's prints during the check are not shown.
    """
    ex, problem = _lookup("exercise", exercise_id, EXERCISES, 'yours_or_reference("relu", relu)')
    if ex is None:
        raise ValueError(f"yours_or_reference: {problem}")
    with _captured_prints():
        passed = callable(fn) and run_checks(ex, fn, ex.cases())
    if passed:
        return fn
    print(f"(using nnlib's reference {ex.id} until yours passes check)")
    return ex.reference


def hint(exercise_id: str, level: int = 1) -> None:
    """Print hint ``level`` (1 = nudge, 2 = approach, 3 = near-solution) for an exercise."""
    ex, problem = _lookup("exercise", exercise_id, EXERCISES, 'hint("relu", 2)')
    if ex is None:
        print(f"hint: {problem}")
        return
    if level not in (1, 2, 3):
        print(f"hint: level must be 1, 2 or 3; got level={level!r}")
        return
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
    q, problem = _lookup("question", question_id, QUESTIONS, 'check_answer("q01_1", "b")')
    if q is None:
        print(f"check_answer: {problem}")
        return AnswerResult(str(question_id), False)
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
