"""The ``nnlib`` command (also ``python -m nnlib``)."""

from __future__ import annotations

import argparse
import sys


def _build_lessons(args) -> int:
    from nnlib.course import BuildError, build_lessons, find_root

    root = find_root()
    try:
        report = build_lessons(root, check=args.check, force=args.force)
    except BuildError as err:
        print(f"build-lessons: {err}", file=sys.stderr)
        return 2
    if args.check:
        if report.stale:
            print("stale lessons (run `nnlib build-lessons`):\n  " + "\n  ".join(report.stale))
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
    from nnlib.course import find_root
    from nnlib.doctor import format_findings, run_doctor

    try:
        root = find_root()
    except FileNotFoundError:
        root = None
    findings = run_doctor(root)
    print(format_findings(findings))
    return 0 if all(f.ok for f in findings) else 1


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnlib", description="Neural networks from the neuron up: course tools"
    )
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
    p.set_defaults(run=_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
