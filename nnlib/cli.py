"""The ``nnlib`` command (also ``python -m nnlib``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _build_lessons(args) -> int:
    from nnlib.course import BuildError, build_lessons, find_root

    root = find_root()
    try:
        report = build_lessons(root, check=args.check, force=args.force)
    except BuildError as err:
        print(f"build-lessons: {err}", file=sys.stderr)
        return 2
    if args.check:
        if report.stale or report.edited:
            if report.stale:
                print("stale lessons (run `nnlib build-lessons`):\n  " + "\n  ".join(report.stale))
            if report.edited:
                print("lessons edited since they were generated (someone's work: build-lessons keeps them; "
                      "--force overwrites them):\n  " + "\n  ".join(report.edited))
            return 1
        print(f"lessons up to date ({len(report.unchanged)} notebooks)")
        return 0
    for name in report.written:
        print(f"wrote lessons/{name}")
    for name in report.refused:
        print(f"refused lessons/{name}: it was edited since it was generated (your work?). "
              "Save it under another name, or run `nnlib build-lessons --force` to overwrite it.")
    for name in report.stale:
        print(f"note: lessons/{name}")
    print(f"{len(report.written)} written, {len(report.unchanged)} unchanged, {len(report.refused)} refused")
    return 1 if report.refused else 0


def _execute_solutions(args) -> int:
    from nnlib.course import execute_notebook, find_root, select_notebooks

    root = find_root()
    try:
        notebooks = select_notebooks(root / "solutions", args.names)
    except ValueError as err:
        print(f"execute-solutions: {err}", file=sys.stderr)
        return 2
    for i, path in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {path.name} ...", end=" ", flush=True)
        try:
            seconds = execute_notebook(path, timeout=args.timeout)
        except Exception as err:  # CellExecutionError carries the cell's traceback
            print("FAILED")
            print(str(err)[-3000:], file=sys.stderr)
            return 1
        print(f"{seconds:.1f} s")
    return 0


def _doctor(args) -> int:
    from nnlib.doctor import format_findings, problems, run_doctor, summary

    findings = run_doctor()
    print(summary(findings) if args.summary else format_findings(findings))
    return 1 if problems(findings) else 0


def _seconds(text: str) -> float:
    """argparse type of --timeout: a finite number of seconds above 0."""
    from nnlib.grading.grade import check_timeout

    try:
        return check_timeout(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _grade(args) -> int:
    import warnings

    from nnlib.grading import IsolationError
    from nnlib.grading.grade import IsolationWarning, grade_paths
    from nnlib.grading.report import ReportPathError, check_target, format_report, report_json, write_json

    for stream in (sys.stdout, sys.stderr):  # learner text must never crash the report
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if not any(os.path.lexists(p) for p in args.paths):
        print(f"grade: no such file or folder: {', '.join(args.paths)}", file=sys.stderr)
        return 2
    try:
        if args.json and args.json != "-":
            check_target(args.json)
    except ReportPathError as err:
        print(f"grade: {err}", file=sys.stderr)
        return 2
    progress, done = None, []
    if sys.stderr.isatty():
        def progress(sub):
            done.append(sub)
            print(f"\rgraded {len(done)} ...", end="", file=sys.stderr, flush=True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", IsolationWarning)
            report = grade_paths(args.paths, lesson=args.lesson, jobs=args.jobs, timeout=args.timeout,
                                 memory_mb=args.memory, seed=args.seed, partial_credit=args.partial_credit,
                                 progress=progress, isolation=args.isolation)
    except (ValueError, IsolationError, RuntimeError) as err:
        print(f"grade: {err}", file=sys.stderr)
        return 2
    if progress is not None:
        print("\r", end="", file=sys.stderr)
    for warning in {str(w.message) for w in caught if issubclass(w.category, IsolationWarning)}:
        print(f"grade: WARNING: {warning}", file=sys.stderr)
    if args.json:  # first, so that a crash while printing cannot lose it
        if args.json == "-":
            sys.stdout.write(json.dumps(report_json(report), indent=1) + "\n")
        else:
            try:
                write_json(report_json(report), args.json)
            except (ReportPathError, OSError) as err:
                print(f"grade: {err}", file=sys.stderr)
                print(format_report(report), end="")
                return 2
    print(format_report(report), end="")
    return 0


def _gradescope_autograder(args) -> int:
    from nnlib.grading.gradescope import build_autograder

    try:
        path = build_autograder(args.lesson, args.output, seed=args.seed, timeout=args.timeout,
                                isolation=args.isolation)
    except (ValueError, FileNotFoundError) as err:
        print(f"gradescope-autograder: {err}", file=sys.stderr)
        return 2
    print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment "
          f"(lesson {args.lesson}); students submit their lesson notebook")
    return 0


def _export_html(args) -> int:
    from nnlib.course import find_root
    from nnlib.export import export_html

    pages = export_html(find_root(), Path(args.output), solutions=args.solutions)
    print(f"wrote {len(pages)} pages to {args.output}/ (open {Path(args.output) / 'index.html'})")
    return 0


def _export(args) -> int:
    from nnlib.course import BuildError, find_root
    from nnlib.export import EXPORTS

    try:
        written = EXPORTS[args.command](find_root(), Path(args.folder))
    except (BuildError, FileExistsError) as err:
        print(f"{args.command}: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files to {args.folder}/ (see {Path(args.folder) / 'README.md'})"
          if args.command != "export-student" else
          f"wrote the student release to {args.folder}/ (lessons without solutions; "
          f"cd {args.folder} && pip install -r requirements.txt)")
    return 0


def make_parser() -> argparse.ArgumentParser:
    from nnlib._version import __version__

    parser = argparse.ArgumentParser(
        prog="nnlib", description="Neural networks from the neuron up: course tools"
    )
    parser.add_argument("--version", action="version",
                        version=f"nnlib {__version__} (distribution nnlib-course)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build-lessons", help="generate lessons/ from solutions/")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if lessons/ is stale")
    p.add_argument("--force", action="store_true", help="overwrite lessons edited since the last build")
    p.set_defaults(run=_build_lessons)

    p = sub.add_parser("execute-solutions", help="run solution notebooks in a fresh kernel, save outputs")
    p.add_argument("names", nargs="*",
                   help="notebooks to run: 05, 05_chain_rule or a file name (default: all)")
    p.add_argument("--timeout", type=float, default=120, help="seconds per cell (default 120)")
    p.set_defaults(run=_execute_solutions)

    p = sub.add_parser("doctor", help="check that this machine is ready for the course")
    p.add_argument("--summary", action="store_true",
                   help="one line without paths or versions (for a notebook cell)")
    p.set_defaults(run=_doctor)

    p = sub.add_parser("grade", help="grade learners' notebooks in sandboxed processes",
                       description="Grade notebooks: each exercise runs in a sandbox (bubblewrap) on hidden "
                                   "cases; results are judged outside it. A folder holds one notebook per "
                                   "learner, one folder per learner, or nbgrader's submitted/<student>/.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a notebook, several, or folders of submissions")
    p.add_argument("--json", metavar="FILE",
                   help="also write a JSON report (Gradescope fields); - for stdout")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="notebooks graded at once (default: CPUs)")
    p.add_argument("--timeout", type=_seconds, default=10.0, metavar="S",
                   help="seconds of wall-clock and CPU time per exercise (default 10)")
    p.add_argument("--lesson", metavar="NN", help="grade every notebook as lesson NN (default: inferred)")
    p.add_argument("--memory", type=int, default=1536, metavar="MB",
                   help="memory limit per exercise process (default 1536)")
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help="seed of the hidden cases (default: this installation's secret seed)")
    p.add_argument("--partial-credit", action="store_true",
                   help="score an exercise by the fraction of cases passed (default: all or nothing)")
    p.add_argument("--isolation", choices=("auto", "required", "process"), default="auto",
                   help="auto: bubblewrap if it works here, else a plain process with a warning; "
                        "required: bubblewrap or an error; process: a plain process")
    p.set_defaults(run=_grade)

    p = sub.add_parser("gradescope-autograder", help="build a Gradescope autograder zip for one lesson")
    p.add_argument("--lesson", required=True, metavar="NN", help="the lesson the assignment grades")
    p.add_argument("-o", "--output", default="autograder.zip",
                   help="the zip to write (default autograder.zip)")
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help="seed of the hidden cases (default: a fresh secret one, stored in the zip)")
    p.add_argument("--timeout", type=_seconds, default=10.0, metavar="S",
                   help="seconds per exercise (default 10)")
    p.add_argument("--isolation", choices=("auto", "required", "process"), default="auto",
                   help="as for nnlib grade (default auto)")
    p.set_defaults(run=_gradescope_autograder)

    p = sub.add_parser("export-html", help="render the executed notebooks to a static HTML site")
    p.add_argument("--solutions", action="store_true", help="include the exercise solutions")
    p.add_argument("--output", default="site", help="folder to write (default: site)")
    p.set_defaults(run=_export_html)

    for name, what in (("export-student", "the lessons and nnlib without solutions/ (a student release)"),
                       ("export-nbgrader", "an nbgrader course folder (source/<lesson>/ and its config)"),
                       ("export-otter", "otter-grader master notebooks, one per lesson")):
        p = sub.add_parser(name, help=f"write {what}")
        p.add_argument("folder", metavar="DIR", help="folder to write")
        p.set_defaults(run=_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.run(args)
    except FileNotFoundError as err:  # e.g. run outside the course checkout: one line, not a traceback
        print(f"nnlib {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
