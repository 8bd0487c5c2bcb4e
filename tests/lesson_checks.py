"""Helpers shared by the tests of lessons 09-11: banks through check(), rebuilt as the sandbox would,
figures of a solution notebook, and cells that would rebind a learner's function name."""

from __future__ import annotations

import ast
import contextlib
import io
from pathlib import Path

import matplotlib
import nbformat
from lesson_common import as_cell, check_output, learner_copy

from nnlib.exercises import EXERCISES, get_exercise

ROOT = Path(__file__).resolve().parents[1]




def assert_reference_passes(exercise_id: str, seeds=(1, 2, 3)) -> None:
    """The reference passes check() with its one line, and the grader's cases for other seeds."""
    from nnlib.check import run_checks

    ex = get_exercise(exercise_id)
    passed, out = check_output(exercise_id, learner_copy(ex.reference))
    assert passed and out == f"{exercise_id}: all {len(ex.cases())} checks passed\n", out
    for seed in seeds:
        assert run_checks(ex, learner_copy(ex.reference), ex.cases(seed=seed, hidden=True))


def assert_full_bank(exercise_id: str) -> None:
    """At least 8 known mistakes and 5 correct variants, as the team's guide asks."""
    ex = get_exercise(exercise_id)
    assert len(ex.mistakes) >= 8 and len(ex.variants) >= 5, (len(ex.mistakes), len(ex.variants))


def bank_params(lesson: str):
    """pytest parameters (exercise id, kind, entry) for every mistake and variant of a lesson."""
    import pytest

    params = []
    for ex in EXERCISES.values():
        if ex.lesson == lesson:
            params += [pytest.param(ex.id, "mistake", m, id=f"{ex.id}-{m.fn.__name__}") for m in ex.mistakes]
            params += [pytest.param(ex.id, "variant", v, id=f"{ex.id}-{v.fn.__name__}") for v in ex.variants]
    return params


def judge_bank_entry(exercise_id: str, kind: str, entry) -> None:
    """A mistake fails with its own message, a variant passes: as written, and as the sandbox sees it."""
    ex = get_exercise(exercise_id)
    for fn in (entry.fn, as_cell(exercise_id, entry.fn)):
        passed, out = check_output(exercise_id, fn)
        if kind == "variant":
            assert passed, f"{entry.style}: {out}"
        else:
            expected = entry.expect if ex.verify is not None else f"likely cause: {entry.cause}"
            assert not passed, f"{entry.fn.__name__} passed"
            assert expected in out, out


def solution(lesson: str) -> Path:
    return next((ROOT / "solutions").glob(f"{lesson}_*.ipynb"))


def rebinding_cells(lesson: str) -> list[str]:
    """Code cells of a solution notebook, other than an exercise's own cell, that bind an exercise id
    of this lesson (by assignment, import, def, for or with): a demonstration must bind my_<name>."""
    names = {ex.id for ex in EXERCISES.values() if ex.lesson == lesson}
    offenders = []
    for cell in nbformat.read(solution(lesson), as_version=4).cells:
        if cell.cell_type != "code" or cell.id.startswith("exercise-"):
            continue
        bound = set()
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, ast.alias):
                bound.add(node.asname or node.name)
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                bound.add(node.name)
        offenders += [f"{cell.id}: {name}" for name in sorted(bound & names)]
    return offenders


def figures_of(lesson: str) -> list[tuple[str, object]]:
    """Run a solution notebook's code in this process (Agg backend); every figure plt.show() shows.

    Returns (cell id, Figure) pairs. Widget cells run too (their figures go to an Output).
    """
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    shown: list[tuple[str, object]] = []
    namespace: dict = {"__name__": "__main__"}
    current = {"cell": ""}
    real_show = plt.show

    def record(*args, **kwargs):
        for number in plt.get_fignums():
            shown.append((current["cell"], plt.figure(number)))
        plt.close("all")

    plt.show = record
    try:
        for cell in nbformat.read(solution(lesson), as_version=4).cells:
            if cell.cell_type == "code":
                current["cell"] = cell.id
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(cell.source, f"<{lesson} {cell.id}>", "exec"), namespace)
    finally:
        plt.show = real_show
    return shown


def unlabelled(figure) -> list[str]:
    """What a figure lacks: every drawn Axes needs an x and a y label (one shared axis may carry it for
    its siblings; images and diagrams drawn without axes excepted), and the figure a title (an Axes
    title or a suptitle)."""
    problems = []
    titled = bool(figure._suptitle and figure._suptitle.get_text())
    for ax in figure.axes:
        titled = titled or bool(ax.get_title())
        if not ax.axison or ax.images:
            continue
        if not any(other.get_xlabel() for other in ax.get_shared_x_axes().get_siblings(ax)):
            problems.append(f"an Axes without an x label ({ax.get_title()!r})")
        if not any(other.get_ylabel() for other in ax.get_shared_y_axes().get_siblings(ax)):
            problems.append(f"an Axes without a y label ({ax.get_title()!r})")
    if not titled:
        problems.append("no title")
    return problems


def stubs(lesson: str) -> dict[str, str]:
    """Exercise id -> the exercise cell as the generated lesson shows it (docstring and stub)."""
    from nnlib.course import strip_solutions

    found = {}
    for cell in nbformat.read(solution(lesson), as_version=4).cells:
        if cell.cell_type == "code" and cell.id.startswith("exercise-"):
            found[cell.id.removeprefix("exercise-")] = strip_solutions(cell.source, cell.id)[0]
    return found
