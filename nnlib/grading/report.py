"""Reports: the text tables an operator reads, and the JSON (Gradescope's ``results.json`` fields).

Learner names, paths, cell ids and feedback come from submissions, so the text
report shows them with control characters (ANSI escapes), newlines (except
those of multi-line feedback, which are indented), invisible format characters
(bidi overrides) and lone surrogates escaped (``\\x1b``, ``\\n``, ``\\u202e``):
a folder name cannot forge a row or hide the rest of the report. The JSON keeps
every string exactly. :func:`write_json` writes the JSON to a temporary file
beside the target and renames it into place, refusing a target that is a
symbolic link, a FIFO or a device.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import unicodedata
from pathlib import Path

from nnlib.grading.results import ClassReport, SubmissionGrade

_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})


def shown(text: str, newlines: bool = False) -> str:
    """``text`` safe to print: what could move, hide or forge output escaped (``\\n`` kept if asked)."""
    text = str(text)
    if text.isprintable() and (newlines or "\n" not in text):
        return text  # nearly always: nothing to escape
    out = []
    for ch in text:
        if ch == "\n" and newlines:
            out.append(ch)
        elif unicodedata.category(ch) in _UNSAFE:
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if i else line for i, line in enumerate(text.split("\n")))


def _num(x: float) -> str:
    return f"{x:g}" if x == int(x) else f"{x:.2f}"


def format_submission(sub: SubmissionGrade) -> str:
    """One learner's table: exercise, score, feedback (the first failing case, as check() says it)."""
    head = (f"{shown(sub.learner)}  ({shown(sub.path)})  lesson {shown(sub.lesson or '?')}: "
            f"{_num(sub.score)}/{_num(sub.max_score)}")
    lines = [head]
    if sub.message:
        lines.append(f"  NOT GRADED: {shown(sub.message)}")
    lines += [f"  note: {shown(n)}" for n in sub.notes]
    width = max([len(e.exercise_id) for e in sub.exercises] + [8])
    for e in sub.exercises:
        score = f"{_num(e.score)}/{_num(e.max_score)}"
        feedback = e.feedback if not sub.message else "not graded"
        where = f"  [graded {e.cell}]" if e.cell and e.cell != "the exercise cell" else ""
        if e.review:
            where += f"  [review: the cell uses {', '.join(e.review)}]"
        lines.append(f"  {e.exercise_id:<{width}}  {score:>5}  "
                     + _indent(shown(feedback, newlines=True) + shown(where), " " * (width + 11)))
    return "\n".join(lines)


def format_totals(report: ClassReport) -> str:
    """Class totals: per exercise how many passed, per learner the score."""
    subs = report.submissions
    lines = [f"class: {len(subs)} submission{'s' * (len(subs) != 1)}"
             + (f", lesson {report.lesson}" if report.lesson else "")
             + f"; total {_num(report.score)}/{_num(report.max_score)}"
             + (f" ({100 * report.score / report.max_score:.1f}%)" if report.max_score else "")
             + f"; graded in {report.seconds:.1f} s"]
    per_ex: dict[str, list] = {}
    for sub in subs:
        for e in sub.exercises:
            per_ex.setdefault(e.exercise_id, []).append(e)
    if per_ex:
        width = max(len(k) for k in per_ex) + 2
        lines.append(f"  {'exercise':<{width}}passed  not done  grader errors")
        for name, grades in per_ex.items():
            ok = sum(g.status == "passed" for g in grades)
            todo = sum(g.status in ("not implemented", "missing") for g in grades)
            errors = sum(g.status == "error" for g in grades)
            lines.append(f"  {name:<{width}}{ok:>3}/{len(grades):<3}{todo:>6}    {errors:>6}")
    if subs:
        names = [shown(s.learner) for s in subs]
        width = max(len(n) for n in [*names, "learner"]) + 2
        lines.append(f"  {'learner':<{width}}score")
        for name, s in zip(names, subs, strict=True):
            flag = "  (not graded)" if s.message else ""
            lines.append(f"  {name:<{width}}{_num(s.score)}/{_num(s.max_score)}{flag}")
    errors = sum(e.status == "error" for s in subs for e in s.exercises)
    if errors:
        lines.append(f"  WARNING: {errors} grader error(s): see 'grader error' lines above; "
                     "these are not the learners' doing")
    return "\n".join(lines)


def format_report(report: ClassReport) -> str:
    """Every learner's table, then the class totals."""
    return "\n\n".join([format_submission(s) for s in report.submissions] + [format_totals(report)]) + "\n"


# --------------------------------------------------------------------------- JSON


def gradescope_results(sub: SubmissionGrade) -> dict:
    """One submission as Gradescope's ``results.json``: only the fields Gradescope documents."""
    output = "\n".join(([f"Not graded: {sub.message}"] if sub.message else [])
                       + [f"Note: {n}" for n in sub.notes])
    return {
        "score": sub.score,
        "execution_time": round(sub.seconds, 3),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": e.exercise_id,
                "number": f"{sub.lesson}.{k}" if sub.lesson else str(k),
                "score": e.score,
                "max_score": e.max_score,
                "status": "passed" if e.status == "passed" else "failed",
                "output": e.feedback,
                "visibility": "visible",
                "extra_data": {"result": e.status, "passed_cases": e.passed, "total_cases": e.total,
                               "cell": e.cell, "seconds": round(e.seconds, 3), "log": e.log,
                               "review": e.review},
            }
            for k, e in enumerate(sub.exercises, 1)
        ],
    }


def submission_json(sub: SubmissionGrade) -> dict:
    """One submission in Gradescope's ``results.json`` format, plus learner, path, lesson, max, digest."""
    results = gradescope_results(sub)
    return {"learner": sub.learner, "path": sub.path, "lesson": sub.lesson, "score": results.pop("score"),
            "max_score": sub.max_score, **results, "sha256": sub.digest}


def report_json(report: ClassReport) -> dict:
    """The whole class: settings, totals and one Gradescope-format object per submission.

    ``seed`` is the seed given to the grader, or None for this installation's secret one
    (``seed_source`` says which), so that a report never gives the secret away.
    """
    import nnlib

    return {
        "format": "nnlib-grade/1",
        "nnlib_version": nnlib.__version__,
        "lesson": report.lesson,
        "seed": report.seed,
        "seed_source": "given" if report.seed is not None else "installation secret",
        "isolation": report.isolation,
        "timeout": report.timeout,
        "execution_time": round(report.seconds, 3),
        "score": report.score,
        "max_score": report.max_score,
        "submissions": [submission_json(s) for s in report.submissions],
    }


class ReportPathError(ValueError):
    """The report cannot be written there (a link, a FIFO, a device, no such folder)."""


def check_target(target: str | os.PathLike) -> Path:
    """The report's path if it may be written (a new file, or a regular file), else ReportPathError."""
    target = Path(target)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    except OSError as err:
        raise ReportPathError(f"cannot write the report to {target}: {err.strerror}") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise ReportPathError(f"refusing to write the report to {target}: it is {kind}")
    if not target.parent.is_dir():
        raise ReportPathError(f"cannot write the report to {target}: no folder {target.parent}")
    return target


def write_json(data: dict, target: str | os.PathLike) -> None:
    """Write ``data`` as JSON to ``target``: a temporary file in its folder, then renamed into place."""
    target = check_target(target)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(data, indent=1) + "\n")
            f.flush()
            os.fsync(f.fileno())
        check_target(target)
        os.replace(temporary, target)  # replaces the name, never writes through it
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
