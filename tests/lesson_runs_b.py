"""Helpers of the lesson tests (03-05): Run All in-process, and the banks graded from their source.

Not a test module itself. ``run_all`` executes a notebook's code cells in order in one
namespace, as Jupyter's Run All does (matplotlib's Agg backend; the figures each ``plt.show()``
would display are kept for inspection), without starting a kernel: cheap enough to do for the
generated lessons in every test run.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # must come before pyplot is imported

import matplotlib.pyplot as plt
import nbformat
import numpy as np
from lesson_common import as_cell

from nnlib import check
from nnlib.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    """What Run All left: the namespace, each cell's printed text, the figures shown."""

    namespace: dict
    printed: dict = field(default_factory=dict)  # cell id -> stdout
    figures: list = field(default_factory=list)  # (cell id, Figure)


def run_all(path: Path, monkeypatch) -> Run:
    """Execute every code cell of ``path`` in order; a cell that raises fails the test."""
    nb = nbformat.read(path, as_version=4)
    run = Run(namespace={"__name__": "__main__"})
    current = {"id": None}

    def show(*_args, **_kwargs):
        for number in plt.get_fignums():
            run.figures.append((current["id"], plt.figure(number)))
        plt.close("all")  # the figures stay alive in run.figures

    monkeypatch.setattr(plt, "show", show)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        current["id"] = cell.id
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(cell.source, f"<{path.stem} cell {cell.id}>", "exec"), run.namespace)
        run.printed[cell.id] = out.getvalue()
        show()  # a figure left open by a cell counts as shown
    return run


def figure_problems(run: Run) -> list[str]:
    """Figures without a title, and plotting axes without axis labels (diagrams have their axes off)."""
    problems = []
    for cell_id, fig in run.figures:
        axes = [ax for ax in fig.axes if ax.get_visible()]
        titled = bool(fig._suptitle and fig._suptitle.get_text()) or any(ax.get_title() for ax in axes)
        if not titled:
            problems.append(f"{cell_id}: a figure without a title")
        for ax in axes:
            if ax.axison and not (ax.get_xlabel() and ax.get_ylabel()):
                problems.append(f"{cell_id}: axes {ax.get_title()!r} without both axis labels")
    return problems



def bank_report(exercise_id: str) -> list[str]:
    """Every way the exercise's bank fails its promise: a mistake that passes or is not named with its
    own message, a variant that fails, a bank function that is not a self-contained module-level def."""
    ex = EXERCISES[exercise_id]
    problems = []
    for kind, entries in (("mistake", ex.mistakes), ("variant", ex.variants)):
        for entry in entries:
            fn = entry.fn
            name = getattr(fn, "__name__", repr(fn))
            if name == "<lambda>" or fn.__qualname__ != fn.__name__ or fn.__closure__:
                problems.append(f"{kind} {name}: not a module-level def")
                continue
            out = io.StringIO()
            with contextlib.redirect_stdout(out), np.errstate(all="ignore"):
                result = check(ex.id, as_cell(ex.id, fn))
            text = out.getvalue()
            if "NameError" in text:
                problems.append(f"{kind} {name}: not self-contained: {text}")
            elif kind == "variant" and not result:
                problems.append(f"variant {name} ({entry.style}) fails:\n{text}")
            elif kind == "mistake" and result:
                problems.append(f"mistake {name} passes check")
            elif kind == "mistake":
                wanted = entry.expect or f"likely cause: {entry.cause}"
                if wanted not in text:
                    problems.append(f"mistake {name}: {wanted!r} not in\n{text}")
    return problems


def near_solution_leaks(lesson: Path, exercise_ids) -> list[str]:
    """Where a lesson gives an exercise's code away outside hint 3: a statement of the near-solution
    (hint 3) in the stub, its task line, or the markdown cell that introduces the exercise."""
    import re

    cells = nbformat.read(lesson, as_version=4).cells
    ids = [c.get("id") for c in cells]
    problems = []
    for exercise_id in exercise_ids:
        ex = EXERCISES[exercise_id]
        at = ids.index(f"exercise-{exercise_id}")
        before = next(c for c in reversed(cells[:at]) if c.cell_type == "markdown")
        texts = {"the stub": cells[at].source, "the task line": ex.task, "the text before it": before.source}
        for statement in (s.strip() for s in re.split(r";|\. Then ", ex.hints[2])):
            statement = statement.removeprefix("return ").strip()
            if len(statement) < 12:
                continue
            for where, text in texts.items():
                plain = text.replace("`", "").replace("$", "").replace("\\cdot", " * ").replace("\\ ", " ")
                plain = " ".join(plain.replace(",", ", ").split()).replace(" ,", ",")  # spaced like code
                if " ".join(statement.split()) in plain:
                    problems.append(f"{exercise_id}: {where} gives away {statement!r}")
    return problems


@contextlib.contextmanager
def fresh_lesson_run(lesson: Path):
    """Run All on an untouched generated lesson (for a module-scoped fixture)."""
    import pytest

    monkeypatch = pytest.MonkeyPatch()
    try:
        yield run_all(lesson, monkeypatch)
    finally:
        monkeypatch.undo()
        plt.close("all")


def shadowing_problems(run: Run, lesson: Path, exercise_ids) -> list[str]:
    """Exercise names that Run All rebound: each must still be the learner's own function from the
    lesson (a stub, so check() fails), never nnlib's reference (issue 15: a check must never pass it)."""
    problems = []
    for exercise_id in exercise_ids:
        fn = run.namespace[exercise_id]
        if fn is EXERCISES[exercise_id].reference:
            problems.append(f"{exercise_id} is bound to nnlib's reference")
        elif not fn.__code__.co_filename.startswith(f"<{lesson.stem} cell"):
            problems.append(f"{exercise_id} was rebound outside the lesson's exercise cell")
        elif check(exercise_id, fn, quiet=True):
            problems.append(f"{exercise_id}: the untouched stub passes check")
    return problems


def hint_problems(solution: Path, exercise_ids) -> list[str]:
    """Exercises whose notebook check cell or hints differ from the registry's."""
    import re

    def norm(text):
        return re.sub(r"\s+", " ", text.replace("`", "")).strip()

    cells = {cell.get("id"): cell for cell in nbformat.read(solution, as_version=4).cells}
    problems = []
    for exercise_id in exercise_ids:
        if cells[f"check-{exercise_id}"].source != f'check("{exercise_id}", {exercise_id})':
            problems.append(f"{exercise_id}: the check cell is not check(id, fn)")
        for hint in EXERCISES[exercise_id].hints:
            if norm(hint) not in norm(cells[f"hints-{exercise_id}"].source):
                problems.append(f"{exercise_id}: hint {hint[:40]!r}... not in the notebook")
    return problems
