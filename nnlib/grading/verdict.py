"""Verdicts: what an exercise's sandboxed process sent back, judged in the trusted grader.

The sandbox's messages are untrusted bytes. They are decoded with
:data:`~nnlib.grading.transport.FROM_SANDBOX` (plain values and numeric arrays
only, sizes checked before anything is allocated), every field is checked for
its type, and each case is judged here with the same code and the same words
as ``check()`` (:func:`nnlib.check.judge_case`, :func:`nnlib.check.format_result`)
against the reference's output computed in this process. Whatever the bytes
hold, the worst they can do is fail their own exercise.
"""

from __future__ import annotations

import copy
import math
import re
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from nnlib.check import CaseFailure, CheckResult, Evidence, format_result, judge_case, raised_cause, tally
from nnlib.exercises import Case, Exercise
from nnlib.grading import transport
from nnlib.grading.results import ExerciseGrade
from nnlib.grading.sandbox import SETUP_FAILED, Limits, RawRun
from nnlib.judge import MAX_OUTPUT_ELEMENTS, flatten_output

MAX_MESSAGE_CHARS = 2000
_KINDS = frozenset({"not implemented", "raised", "output", "mutated", "too slow"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class GraderError(RuntimeError):
    """The grader itself failed on an exercise (not the learner's doing)."""


def clean(text, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Untrusted text from the sandbox: control characters (but newlines) replaced, length capped."""
    text = _CONTROL.sub("?", str(text))
    return text if len(text) <= limit else text[:limit] + " [...]"


# --------------------------------------------------------------------------- the expected outputs


class PerExercise:
    """``compute(ex, seed)`` remembered per exercise and seed (thread-safe); a GraderError is remembered too.

    Keyed by the exercise object as well as its id: a registry entry may be replaced (tests).
    """

    def __init__(self, compute):
        self._compute, self._lock = compute, threading.Lock()
        self._cache: dict[tuple, object] = {}
        self._pinned: list[Exercise] = []  # keeps id(ex) unique while it is a key

    def get(self, ex: Exercise, seed: int):
        key = (ex.id, seed, id(ex))
        with self._lock:
            if key not in self._cache:
                self._pinned.append(ex)
                try:
                    self._cache[key] = self._compute(ex, seed)
                except GraderError as err:
                    self._cache[key] = err
            found = self._cache[key]
        if isinstance(found, GraderError):
            raise found
        return found


def _expected(ex: Exercise, seed: int) -> tuple[list[Case], list]:
    """The hidden cases and the reference's output on each (or the exception it raised)."""
    try:
        cases = ex.cases(seed=seed, hidden=True)
    except Exception as err:  # a registry bug: every learner would get the same error
        raise GraderError(f"the registry could not generate the hidden cases of {ex.id}: "
                          f"{type(err).__name__}: {err}") from None
    outputs = []
    for case in cases:
        try:
            out = ex.target(ex.reference)(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs)))
            if ex.materialize and isinstance(out, Iterator):
                out = list(out)
            outputs.append(out)
        except Exception as err:  # a registry bug: reported as a grader error
            outputs.append(err)
    return cases, outputs


#: The hidden cases and the reference's outputs, computed once per process.
EXPECTED = PerExercise(_expected)


# --------------------------------------------------------------------------- reading what came back


@dataclass
class RunResult:
    """One exercise process's messages, decoded and checked, and how the process ended."""

    events: list[dict]
    arrays: dict[int, dict[str, np.ndarray]]
    bad_arrays: dict[int, str]
    returncode: int | None
    timed_out: bool
    seconds: float
    log: str
    aborted: str = ""
    sandbox_log: str = ""
    notes: list[str] = field(default_factory=list)
    sandbox_started: bool = True  # some exercise of the same sandbox started


_FIELDS = {"i": int, "kind": str, "message": str, "hint": str, "found": (str, type(None)), "cases": int,
           "dropped_output": int}


def read_run(raw: RawRun) -> RunResult:
    """Decode an exercise process's stream; keep only well-formed events (see the module docstring)."""
    frames, cut = transport.split_frames(raw.stream)
    events: list[dict] = []
    arrays: dict[int, dict[str, np.ndarray]] = {}
    bad: dict[int, str] = {}
    budget = MAX_OUTPUT_ELEMENTS * 2
    for data in frames[:100_000]:
        try:
            event = transport.decode(data, max_depth=4, max_elements=budget)
        except transport.TransportError as err:
            event = {"event": "bad", "why": str(err)}
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            continue
        if event["event"] == "bad":
            events.append(event)
            continue
        plain = {"event": event["event"]}
        for key, kind in _FIELDS.items():
            if key in event and isinstance(event[key], kind) and not isinstance(event[key], bool):
                plain[key] = event[key]
        if plain["event"] == "result" and "i" in plain and plain.get("kind") == "ok":
            i = plain["i"]
            received = event.get("arrays")
            if i in arrays or i in bad:
                continue
            problem = _check_arrays(received)
            if problem:
                bad[i] = problem
            else:
                arrays[i] = received
                budget -= sum(a.size for a in received.values())
        events.append(plain)
    if cut:
        events.append({"event": "bad", "why": "the last message was cut off"})
    log = ""
    text = raw.log.decode("utf-8", "replace").strip()
    if text:
        log += f"[output]\n{clean(text, 1000)}\n"
    if raw.dropped_log:
        log += f"[{raw.dropped_log:,} more bytes of output were dropped]\n"
    done = next((e for e in events if e["event"] == "done"), {})
    if done.get("dropped_output", 0) > 0:
        log += f"[{done['dropped_output']:,} more characters of output were dropped]\n"
    notes = ["the process sent more results than the grader accepts"] if raw.overflow else []
    return RunResult(events, arrays, bad, raw.returncode, raw.timed_out, raw.seconds, log, raw.aborted,
                     clean(raw.sandbox_log, 1000).strip(), notes)


def _check_arrays(received) -> str:
    if not isinstance(received, dict) or len(received) > 100_000:
        return "the result is not a set of arrays"
    for key, value in received.items():
        if not isinstance(key, str) or len(key) > 300:
            return "the result has an invalid part name"
        if type(value) is not np.ndarray or value.dtype.kind not in "fiub":
            return "the result holds something other than numeric arrays"
    if sum(a.size for a in received.values()) > MAX_OUTPUT_ELEMENTS:
        return f"more than {MAX_OUTPUT_ELEMENTS:,} numbers were returned"
    return ""


# --------------------------------------------------------------------------- judging


def _judge(ex: Exercise, case: Case, expected, received: dict, notes: list | None = None,
           evidence: Evidence | None = None, explain: bool = True) -> CaseFailure | None:
    """``check.judge_case`` with the reference's output for this case computed once."""
    if isinstance(expected, Exception):
        raise GraderError(f"nnlib's reference raised {type(expected).__name__}: {expected}")
    # A fresh copy of the case: a verifier may consume a generator in it, and cases are shared.
    case = Case(case.name, copy.deepcopy(case.args), copy.deepcopy(dict(case.kwargs)), case.batch_size)
    flat = None if ex.verify is not None else flatten_output(expected, materialize_iterators=ex.materialize)
    return judge_case(ex, case, received, flat, notes=notes, evidence=evidence, explain=explain)


def _evidence(ex: Exercise, cases: list[Case], outputs: list, results: dict,
              run: RunResult) -> Evidence | None:
    """The learner's outputs on every case, so that a likely cause fits all of them (as in check())."""
    if ex.verify is not None:
        return None
    return Evidence(ex, [(cases[i], flatten_output(outputs[i], materialize_iterators=ex.materialize),
                          run.arrays[i])
                         for i, report in sorted(results.items())
                         if report.get("kind") == "ok" and i in run.arrays and i < len(cases)
                         and not isinstance(outputs[i], Exception)])


def _signal_name(returncode: int | None) -> str:
    if returncode is None or returncode >= 0:
        return ""
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def why_no_result(run: RunResult, limits: Limits) -> str:
    """Why the process stopped before reporting, in the learner's terms."""
    if run.aborted:
        return f"no result: {run.aborted} (stopped by exercise code of this notebook?)"
    if run.timed_out:
        return (f"no result: stopped at the time limit of {limits.timeout:g} s "
                "(an endless loop, a long sleep, or far too slow?)")
    sig = _signal_name(run.returncode)
    if sig == "SIGXCPU" or (sig == "SIGKILL" and run.seconds >= limits.timeout * 0.9):
        return f"no result: used more than the {math.ceil(limits.timeout) + 1} s of CPU time allowed"
    if sig:
        extra = " (out of memory?)" if sig in ("SIGKILL", "SIGSEGV", "SIGABRT", "SIGBUS") else ""
        return f"no result: the process was killed by {sig}{extra}"
    if run.returncode is None:
        return "no result: the process ended before returning"
    return (f"no result: the process ended (exit code {run.returncode}) before returning; "
            "does the code call os._exit() or exit the interpreter?")


def judge_run(ex: Exercise, seed: int, run: RunResult, limits: Limits,
              sandbox_started: bool = True) -> tuple[CheckResult | None, str, str]:
    """Judge what an exercise process reported, as check() would.

    Returns (result, cell_problem, grader_error): ``result`` is None when the
    function never got to run (``cell_problem`` says why), or when the grader
    itself failed (``grader_error``). ``sandbox_started``: some exercise of the same
    sandbox did start (so a missing start is the notebook's doing, not the grader's).
    """
    cases, outputs = EXPECTED.get(ex, seed)
    events = run.events
    kinds = [e["event"] for e in events]
    if "ready" not in kinds:
        if run.aborted and sandbox_started and "setup failed" not in run.sandbox_log:
            failure = CaseFailure(0, cases[0], "output", why_no_result(run, limits))
            return CheckResult(ex.id, 0, len(cases), failure), "", ""
        why = run.sandbox_log or run.log or why_no_result(run, limits)
        return None, "", "the grading process could not start: " + clean(why, 600)
    if "cell" not in kinds and run.returncode == SETUP_FAILED:
        return None, "", "the exercise process could not start: " + clean(run.log or run.sandbox_log, 600)
    cell_raised = next((e for e in events if e["event"] == "cell_raised"), None)
    if "cell_error" in kinds:
        message = next(e for e in events if e["event"] == "cell_error").get("message", "")
        return None, f"the exercise cell does not run: {clean(message)}", ""
    if "no_function" in kinds:
        why = f"; the cell {clean(cell_raised.get('message', ''))}" if cell_raised else ""
        return None, f"the exercise cell does not define a function {ex.id}(...){why}", ""
    if "case" not in kinds:
        return None, "the exercise cell did not finish running: " + why_no_result(run, limits), ""

    results: dict[int, dict] = {}
    for e in events:
        if e["event"] == "result" and "i" in e and e["i"] not in results:
            results[e["i"]] = e
    running = max((e["i"] for e in events if e["event"] == "case" and "i" in e), default=-1)
    evidence, notes, failures = _evidence(ex, cases, outputs, results, run), [], []
    for i, case in enumerate(cases):
        report = results.get(i)
        if report is None:
            if i == running or (not any(failures) and i > running):
                failure = CaseFailure(i, case, "output", why_no_result(run, limits))
            else:
                failure = CaseFailure(i, case, "output", "no result: this case did not run")
        elif report.get("kind") == "ok":
            received = run.arrays.get(i)
            if received is None:
                failure = CaseFailure(i, case, "output", f"no result: {run.bad_arrays.get(i, 'missing')}")
            else:
                try:
                    failure = _judge(ex, case, outputs[i], received, notes, evidence, not any(failures))
                except GraderError as err:
                    return None, "", str(err)
                except Exception as err:  # a learner's output can break a verifier, as in check()
                    failure = CaseFailure(0, case, "output", f"could not be judged: {err}")
        else:
            kind = report.get("kind") if report.get("kind") in _KINDS else "output"
            message, hint = clean(report.get("message", "")), clean(report.get("hint", ""))
            if kind == "raised" and not hint and not any(failures):  # as check() names it
                hint = raised_cause(ex, case, message, evidence)
            failure = CaseFailure(i, case, kind, message, hint)
        failures.append(failure and CaseFailure(i, case, failure.kind, failure.message, failure.hint))
        if failure is not None and failure.kind == "not implemented":
            break
    return tally(ex.id, len(cases), failures, notes), "", ""


def provided(ex: Exercise) -> str:
    """What the grader defines for exercise code: "numpy as np, sigmoid and tanh"."""
    names = ["numpy as np", *ex.prerequisites]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _grader_notes(ex: Exercise, result: CheckResult | None, limits: Limits) -> list[str]:
    """Extra lines for failures that only happen under the grader."""
    if result is None or result.failure is None:
        return []
    message = result.failure.message
    if message.startswith("raised MemoryError"):
        return [f"the grader allows {limits.memory_mb} MB per exercise"]
    if message.startswith("raised NameError"):
        return [f"the grader runs only the exercise cell, with {provided(ex)} defined: "
                "import or define everything else the function needs inside that cell"]
    if "can't start new thread" in message or "Resource temporarily unavailable" in message:
        return ["exercise code may not start threads or processes while it is graded"]
    return []


def missing(ex: Exercise, why: str, status: str) -> ExerciseGrade:
    return ExerciseGrade(ex.id, 0.0, 1.0, status, f"{ex.id}: {why}")


def grader_error(ex: Exercise, err: Exception | str, where: str = "") -> ExerciseGrade:
    why = str(err) if isinstance(err, GraderError | str) else f"{type(err).__name__}: {err}"
    return ExerciseGrade(ex.id, 0.0, 1.0, "error", f"{ex.id}: grader error: {why}", cell=where)


def grade_run(ex: Exercise, where: str, run: RunResult, seed: int, limits: Limits, partial_credit: bool,
              sandbox_started: bool = True) -> ExerciseGrade:
    """Judge what an exercise's process reported, and word it as check() would."""
    result, cell_problem, error = judge_run(ex, seed, run, limits, sandbox_started)
    grade = ExerciseGrade(ex.id, 0.0, 1.0, "failed", "", cell=where, seconds=run.seconds, log=run.log)
    if error:
        grade.status, grade.feedback = "error", f"{ex.id}: grader error: {error}"
        return grade
    if result is None:
        grade.feedback = f"{ex.id}: {cell_problem}"
        return grade
    grade.passed, grade.total = result.passed, result.total
    notes = _grader_notes(ex, result, limits) + run.notes
    raised = next((e for e in run.events if e["event"] == "cell_raised"), None)
    if raised:
        notes.append("running the exercise cell raised an error after defining the function "
                     f"(ignored): {clean(raised.get('message', ''), 300)}")
    grade.feedback = "\n".join([format_result(ex, result)] + [f"  grader: {n}" for n in notes])
    if result:
        grade.status, grade.score = "passed", 1.0
    elif result.failure.kind == "not implemented":
        grade.status = "not implemented"
    elif partial_credit and result.total:
        grade.score = result.passed / result.total
    return grade
