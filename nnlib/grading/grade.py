"""Grading notebooks: one notebook (:func:`grade_notebook`) or a class (:func:`grade_paths`).

For each notebook: read it (:mod:`~nnlib.grading.notebook`), find each exercise's
cell, grade without running what need not run (a cell that uses nnlib, the
untouched stub), build each other exercise's job (the cell's source, the
hidden cases, the prerequisites' source; see :func:`exercise_job`), run the
jobs in the notebook's sandbox (:mod:`~nnlib.grading.sandbox`; exercises whose
prerequisites contain each other's references run in separate phases), and
judge what comes back (:mod:`~nnlib.grading.verdict`). Anything that goes
wrong with one notebook stays with that notebook.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from nnlib.check import CASE_TIME_BUDGET, CaseFailure, CheckResult, format_result
from nnlib.exercises import CHECK_SEED, EXERCISES, Exercise, case_functions
from nnlib.grading import prerequisites, sandbox, transport
from nnlib.grading.notebook import (
    MAX_CELL_CHARS,
    ExerciseCell,
    NotebookError,
    find_exercise_cell,
    find_submissions,
    infer_lesson,
    read_notebook,
    review_flags,
    runnable_source,
    untouched_stub,
    uses_nnlib,
)
from nnlib.grading.results import ClassReport, ExerciseGrade, SubmissionGrade
from nnlib.grading.sandbox import Isolation, Limits
from nnlib.grading.seed import installation_seed
from nnlib.grading.verdict import (
    EXPECTED,
    GraderError,
    PerExercise,
    RunResult,
    grade_run,
    grader_error,
    missing,
    provided,
    read_run,
)

MAX_TIMEOUT = 3600.0


class IsolationWarning(UserWarning):
    """Grading runs learner code without bubblewrap (see sandbox.PROCESS_WARNING)."""


# --------------------------------------------------------------------------- exercise jobs


def _refer(fn) -> tuple[str, str]:
    """How a callable in a case is named for the sandbox: a numpy function, or one of case_functions."""
    name = getattr(fn, "__name__", "")
    if getattr(case_functions, name, None) is fn:
        return "case_functions", name
    if (isinstance(fn, np.ufunc) or str(getattr(fn, "__module__", "")).startswith("numpy")) and name:
        for space in ("", "linalg.", "fft.", "random."):
            found = np
            for part in (space + name).split("."):
                found = getattr(found, part, None)
            if found is fn:
                return "numpy", space + name
    raise TypeError(f"the case argument {fn!r} is neither a numpy function nor defined in "
                    "nnlib/exercises/case_functions.py, so it cannot be sent to the grading sandbox")


def _namedtuple_places(value, found: set) -> set[tuple[str, str]]:
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        found.add((type(value).__module__, type(value).__qualname__))
    if isinstance(value, list | tuple):
        for item in value:
            _namedtuple_places(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _namedtuple_places(item, found)
    return found


def run_options(ex: Exercise) -> dict:
    """The keyword arguments of ``runner.run_call`` that check.run_case passes from the exercise.

    The per-case time budget is check()'s, so that a slow case gets the same message; the
    exercise's whole time limit still holds around it.
    """
    return {"strict_float": ex.strict_float, "materialize": ex.materialize, "time_limit": CASE_TIME_BUDGET}


def _prepare_job(ex: Exercise, seed: int) -> tuple[dict, prerequisites.Environment]:
    """An exercise's job without the cell (its encoded cases, prerequisites...), and its environment."""
    cases = EXPECTED.get(ex, seed)[0]
    data = [(tuple(case.args), dict(case.kwargs)) for case in cases]
    harness = ""
    if ex.harness is not None:
        harness = getattr(ex.harness, "__name__", "")
        if getattr(case_functions, harness, None) is not ex.harness:
            raise GraderError(f"the harness of {ex.id} is not defined in nnlib/exercises/case_functions.py")
    try:
        env = prerequisites.environment(ex.prerequisites, _namedtuple_places(data, set()),
                                        prerequisites.reference_places(ex.reference))
        encoded = transport.encode(data, refer=_refer)
    except (TypeError, prerequisites.PrerequisiteError) as err:
        raise GraderError(str(err)) from None
    n_args = max((len(case.args) for case in cases), default=0)
    spec = {"id": ex.id, "cases": encoded, "modules": list(env.modules),
            "names": {name: list(place) for name, place in env.names.items()}, "harness": harness,
            "labels": [ex.arg_label(i) for i in range(n_args)], "options": run_options(ex)}
    return spec, env


#: Each exercise's job per seed, prepared once per process.
JOBS = PerExercise(_prepare_job)


def exercise_job(ex: Exercise, source: str, seed: int) -> bytes:
    """What the sandbox gets for one exercise: cell, cases, prerequisites (GraderError if it cannot)."""
    spec, _ = JOBS.get(ex, seed)
    return transport.encode({**spec, "source": runnable_source(source)})


def sandbox_groups(exercises: list[Exercise], seed: int) -> list[list[int]]:
    """Indices of ``exercises`` in groups that may run side by side: no member's prerequisites hold
    another member's reference (the sandbox runs the groups one after another, see sandbox.run)."""
    graded = [prerequisites.reference_places(ex.reference) for ex in exercises]
    envs = [JOBS.get(ex, seed)[1] for ex in exercises]
    groups: list[list[int]] = []
    for i in range(len(exercises)):
        for group in groups:
            if not any(prerequisites.conflicts(graded[i], envs[j])
                       or prerequisites.conflicts(graded[j], envs[i]) for j in group):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def run_notebook(items: list[tuple[str, str]], *, seed: int, limits: Limits | None = None,
                 slots: int | None = None, isolation: Isolation | str = "auto") -> list[RunResult]:
    """Run exercise cells ``[(exercise_id, source), ...]`` in sandboxes; what each process sent back.

    Raises GraderError if an exercise's job cannot be built (a registry bug).
    """
    isolation, limits = _isolation(isolation), limits or Limits()
    exercises = [EXERCISES[exercise_id] for exercise_id, _ in items]
    jobs = [exercise_job(ex, source, seed) for ex, (_, source) in zip(exercises, items, strict=True)]
    phases = [0] * len(items)
    for phase, group in enumerate(sandbox_groups(exercises, seed)):
        for i in group:
            phases[i] = phase
    slots = max(1, slots or os.cpu_count() or 1)
    raws = sandbox.run(jobs, limits=limits, slots=slots, isolation=isolation, phases=phases)
    # An exercise whose process never said "ready" ran none of its cell (it says so before the cell
    # runs): a start that failed (seen once in ~3 parallel test runs on a loaded machine) or a
    # sandbox that another exercise's code stopped first. One more try, in a fresh sandbox holding
    # only those exercises (each in its phase), costs nothing a learner could gain from.
    results = [read_run(raw) for raw in raws]
    retry = [i for i, result in enumerate(results) if not any(e["event"] == "ready" for e in result.events)]
    if retry:
        again = sandbox.run([jobs[i] for i in retry], limits=limits, slots=slots, isolation=isolation,
                            phases=[phases[i] for i in retry])
        for i, raw in zip(retry, again, strict=True):
            raws[i], results[i] = raw, read_run(raw)
    started = any(raw.started for raw in raws)
    for result in results:
        result.sandbox_started = started
    return results


def run_exercise(exercise_id: str, source: str, *, seed: int, limits: Limits | None = None,
                 isolation: Isolation | str = "auto") -> RunResult:
    """Run one exercise cell in a sandbox (see :func:`run_notebook`)."""
    return run_notebook([(exercise_id, source)], seed=seed, limits=limits, isolation=isolation)[0]


def _isolation(isolation: Isolation | str) -> Isolation:
    if isinstance(isolation, Isolation):
        return isolation
    chosen = sandbox.grading_isolation(isolation)
    if chosen.kind == "process" and isolation == "auto":
        warnings.warn(chosen.warning, IsolationWarning, stacklevel=3)
    return chosen


# --------------------------------------------------------------------------- one notebook


def normalize_lesson(lesson: str | int | None) -> str | None:
    if lesson is None:
        return None
    text = str(lesson).strip()
    if not text.isdigit():
        raise ValueError(f"lesson must be a number like 01; got {lesson!r}")
    return f"{int(text):02d}"


def lesson_exercises(lesson: str) -> list[Exercise]:
    return [ex for ex in EXERCISES.values() if ex.lesson == lesson]


def _grade_without_running(ex: Exercise, found: ExerciseCell, seed: int) -> ExerciseGrade | None:
    """The grade of a cell that need not run (it uses nnlib, is the untouched stub, is huge), else None."""
    line = uses_nnlib(found.cell.source)
    if line:
        return ExerciseGrade(
            ex.id, 0.0, 1.0, "forbidden",
            f"{ex.id}: not graded: the exercise cell uses nnlib ({line}); exercise code must compute "
            f"its result itself (the grader defines {provided(ex)} for it)", cell=found.where)
    if len(found.cell.source) > MAX_CELL_CHARS:
        return ExerciseGrade(ex.id, 0.0, 1.0, "failed", f"{ex.id}: the exercise cell is longer than "
                             f"{MAX_CELL_CHARS:,} characters: not run", cell=found.where)
    cases = EXPECTED.get(ex, seed)[0]  # GraderError if the registry cannot make them
    if untouched_stub(ex.id, found.cell.source):  # what running it would say, without the process
        result = CheckResult(ex.id, 0, len(cases), CaseFailure(0, cases[0], "not implemented",
                                                               "not implemented yet"))
        return ExerciseGrade(ex.id, 0.0, 1.0, "not implemented", format_result(ex, result),
                             total=len(cases), cell=found.where)
    return None


def grade_notebook(path: str | os.PathLike, *, learner: str | None = None, lesson: str | None = None,
                   seed: int | None = None, limits: Limits | None = None, partial_credit: bool = False,
                   slots: int | None = None, isolation: Isolation | str = "auto",
                   root: str | os.PathLike | None = None) -> SubmissionGrade:
    """Grade one notebook; its exercises run ``slots`` at a time (default: one per CPU).

    ``seed``: of the hidden cases (default: this installation's secret seed). ``root``: the
    submissions folder a symbolic link may point into (default: the notebook's folder).
    Never raises for anything in the notebook: a failure of the grader on it becomes
    the submission's message and "error" grades.
    """
    start = time.monotonic()
    lesson = normalize_lesson(lesson)
    seed = installation_seed() if seed is None else int(seed)
    isolation, limits = _isolation(isolation), limits or Limits()
    path = Path(path)
    sub = SubmissionGrade(learner or path.stem, str(path), lesson)
    try:
        _grade_into(sub, path, root, lesson, seed, limits, partial_credit, slots, isolation)
    except Exception as err:  # a grader bug on this notebook: it stays with this notebook
        sub.message = f"grader error while grading this notebook: {type(err).__name__}: {err}"
        sub.exercises = [grader_error(ex, sub.message) for ex in lesson_exercises(sub.lesson or "")]
    sub.seconds = time.monotonic() - start
    return sub


def _grade_into(sub: SubmissionGrade, path: Path, root, lesson, seed, limits, partial_credit, slots,
                isolation) -> None:
    try:
        nb = read_notebook(path, root)
    except NotebookError as err:
        sub.message = str(err)
        nb = None
    else:
        sub.notes, sub.digest = list(nb.notes), nb.digest
        inferred, per_lesson = infer_lesson(nb.cells)
        if lesson is None:
            lesson = sub.lesson = inferred
            if lesson is None:
                sub.message = "no exercise cells found: is this a lesson notebook of the course?"
            elif not lesson_exercises(lesson):
                sub.message = f"lesson {lesson} has no graded exercises"
        elif lesson not in per_lesson and per_lesson:
            others = "; ".join(f"lesson {k}: {', '.join(sorted(v))}" for k, v in sorted(per_lesson.items()))
            sub.message = f"this notebook belongs to another lesson ({others}), not lesson {lesson}"
        if lesson and not sub.message:
            sub.notes += [f"also holds exercises of lesson {k} ({', '.join(sorted(v))}): not graded"
                          for k, v in sorted(per_lesson.items()) if k != lesson]
    exercises = lesson_exercises(lesson) if lesson else []
    if sub.message:
        sub.exercises = [missing(ex, f"not graded: {sub.message}", "missing") for ex in exercises]
        return
    grades: dict[str, ExerciseGrade] = {}
    found_cells: dict[str, ExerciseCell] = {}
    to_run: list[tuple[Exercise, ExerciseCell]] = []
    for ex in exercises:
        found = find_exercise_cell(nb.cells, ex.id)
        if found is None:
            grades[ex.id] = missing(ex, f"exercise cell not found: no code cell defines {ex.id}(...) "
                                        f"(the cell exercise-{ex.id} was deleted, or the function renamed?)",
                                    "missing")
            continue
        found_cells[ex.id] = found
        try:
            grade = _grade_without_running(ex, found, seed)
            if grade is None:
                JOBS.get(ex, seed)  # GraderError here if its job cannot be built
                to_run.append((ex, found))
            else:
                grades[ex.id] = grade
        except Exception as err:  # a registry bug: a grader error for this exercise, not a crash
            grades[ex.id] = grader_error(ex, err, found.where)
    if to_run:
        runs = run_notebook([(ex.id, found.cell.source) for ex, found in to_run], seed=seed, limits=limits,
                            slots=slots, isolation=isolation)
        for (ex, found), run in zip(to_run, runs, strict=True):
            try:
                grades[ex.id] = grade_run(ex, found.where, run, seed, limits, partial_credit,
                                          run.sandbox_started)
            except Exception as err:  # never let one exercise stop the class
                grades[ex.id] = grader_error(ex, err, found.where)
    for ex in exercises:
        grade = grades[ex.id]
        if ex.id in found_cells:
            grade.review = review_flags(found_cells[ex.id].cell.source)
        sub.exercises.append(grade)


# --------------------------------------------------------------------------- a class


def check_timeout(timeout) -> float:
    """The per-exercise time limit as a float, or a ValueError saying what is accepted."""
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT:
        raise ValueError(f"timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}; "
                         f"got {timeout!r}")
    return value


def _flag_duplicates(subs: list[SubmissionGrade]) -> None:
    """Notes on submissions whose file is byte-identical to another learner's (or the same file)."""
    by_digest: dict[str, list[SubmissionGrade]] = {}
    for sub in subs:
        if sub.digest:
            by_digest.setdefault(sub.digest, []).append(sub)
    for same in by_digest.values():
        for sub in same:
            others = [s.learner for s in same if s is not sub]
            if others:
                sub.notes.append(f"same file as {', '.join(others)}")


def grade_paths(paths: Iterable[str | os.PathLike], *, lesson: str | None = None, jobs: int | None = None,
                timeout: float = sandbox.DEFAULT_TIMEOUT, memory_mb: int = sandbox.DEFAULT_MEMORY_MB,
                seed: int | None = None, partial_credit: bool = False,
                progress: Callable[[SubmissionGrade], None] | None = None,
                isolation: str = "auto", bwrap: str | None = None) -> ClassReport:
    """Grade every submission under ``paths`` (notebooks, or folders of them).

    ``jobs`` notebooks are graded at once (default: the number of CPUs, but not
    more than there are notebooks), each running max(1, CPUs // jobs) exercise
    processes at a time. ``seed``: of the hidden cases (default: this
    installation's secret one). ``isolation``: "auto", "required" or "process"
    (see :func:`nnlib.grading.sandbox.grading_isolation`); ``bwrap`` its executable.
    ``progress`` is called with each finished submission. Returns a
    :class:`ClassReport` in the order of the submissions.
    """
    chosen = sandbox.grading_isolation(isolation, bwrap)  # IsolationError if required and missing
    given_seed = seed is not None
    seed = int(seed) if given_seed else installation_seed()
    if seed == CHECK_SEED:
        raise ValueError("the hidden seed must differ from the seed check() uses")
    lesson = normalize_lesson(lesson)
    if lesson is not None and not lesson_exercises(lesson):
        known = ", ".join(sorted({ex.lesson for ex in EXERCISES.values()}))
        raise ValueError(f"lesson {lesson} has no exercises in the registry; lessons with exercises: {known}")
    timeout = check_timeout(timeout)
    if memory_mb < 256:
        raise ValueError(f"memory must be at least 256 MB; got {memory_mb}")
    if chosen.kind == "process" and isolation == "auto":
        warnings.warn(chosen.warning, IsolationWarning, stacklevel=2)
    limits = Limits(timeout=timeout, memory_mb=int(memory_mb))
    cpus = max(1, os.cpu_count() or 1)
    start = time.monotonic()
    submissions = find_submissions(paths)
    jobs = max(1, int(jobs or min(cpus, len(submissions) or 1)))  # one notebook: all CPUs for its exercises

    def one(item) -> SubmissionGrade:
        if item.problem:
            sub = SubmissionGrade(item.learner, str(item.path), lesson, message=item.problem)
            sub.exercises = [missing(ex, f"not graded: {item.problem}", "missing")
                             for ex in (lesson_exercises(lesson) if lesson else [])]
        else:
            sub = grade_notebook(item.path, learner=item.learner, lesson=lesson, seed=seed, limits=limits,
                                 partial_credit=partial_credit, slots=max(1, cpus // jobs), isolation=chosen,
                                 root=item.root)
        if progress is not None:
            progress(sub)
        return sub

    with ThreadPoolExecutor(jobs) as pool:
        graded = list(pool.map(one, submissions))
    _flag_duplicates(graded)
    return ClassReport(graded, lesson, seed if given_seed else None, timeout, time.monotonic() - start,
                       chosen.describe())
