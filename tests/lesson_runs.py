"""Helpers for the lesson tests of lessons 00-02: Run All in-process, and the exercise banks.

``run_all`` executes a notebook's code cells in order in one fresh namespace named
``__main__`` (as a kernel does), so that a test can look at what the names hold
afterwards. ``sandboxed`` re-creates a bank function from its source text alone, with
only numpy and the exercise's prerequisites around it, as the grader's sandbox will.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported by a notebook cell

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from lesson_common import as_cell, check_output, learner_copy

from nnlib.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture
def numpy_state_and_figures():
    """Restore numpy's error state (a bank entry calls np.seterr) and close every figure."""
    before = np.geterr()
    yield
    np.seterr(**before)
    plt.close("all")


def notebook(folder: str, stem: str):
    return nbformat.read(ROOT / folder / f"{stem}.ipynb", as_version=4)


def cells_by_id(folder: str, stem: str) -> dict:
    return {cell.id: cell for cell in notebook(folder, stem).cells}


def run_all(folder: str, stem: str, skip: tuple[str, ...] = ()) -> tuple[dict, dict[str, str]]:
    """Run every code cell (but ``skip``) of a notebook top to bottom; return its namespace and outputs.

    A cell that raises fails the run with the cell's id, as Run All would stop there.
    """
    namespace: dict = {"__name__": "__main__"}
    printed: dict[str, str] = {}
    for cell in notebook(folder, stem).cells:
        if cell.cell_type != "code" or cell.id in skip:
            continue
        buffer = io.StringIO()
        try:
            with contextlib.redirect_stdout(buffer):
                exec(compile(cell.source, f"<{stem}:{cell.id}>", "exec"), namespace)
        except Exception as err:
            raise AssertionError(f"{stem}: cell {cell.id!r} raised {err!r}") from err
        finally:
            plt.close("all")
        printed[cell.id] = buffer.getvalue()
    return namespace, printed


def shadowing_report(namespace: dict) -> dict[str, str]:
    """For every exercise name bound in ``namespace``: 'learner' or what else it holds."""
    report = {}
    for exercise_id, ex in EXERCISES.items():
        if exercise_id not in namespace:
            continue
        fn = namespace[exercise_id]
        if fn is ex.reference or getattr(fn, "__module__", "").startswith("nnlib"):
            report[exercise_id] = f"nnlib's {getattr(fn, '__module__', '?')}.{getattr(fn, '__name__', '?')}"
        elif getattr(fn, "__module__", None) == "__main__":
            report[exercise_id] = "learner"
        else:
            report[exercise_id] = repr(fn)
    return report




def bank_params(lesson: str):
    """pytest parameters (exercise id, entry) for every Mistake and every Variant of a lesson."""
    mistakes, variants = [], []
    for ex in EXERCISES.values():
        if ex.lesson == lesson:
            mistakes += [(ex.id, m) for m in ex.mistakes]
            variants += [(ex.id, v) for v in ex.variants]
    return mistakes, variants


def bank_id(param) -> str:
    return getattr(param, "__name__", None) or getattr(param, "fn", param).__name__


def normalised(text: str) -> str:
    """Markdown without backticks and with single spaces, for comparing prose with registry text."""
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


# --------------------------------------------------------------------------- shared bank assertions


def assert_reference_passes(exercise_id: str) -> None:
    ex = EXERCISES[exercise_id]
    passed, out = check_output(exercise_id, learner_copy(ex.reference))
    assert passed and out.strip() == f"{exercise_id}: all {len(ex.cases())} checks passed", out


def assert_full_bank(exercise_id: str) -> None:
    """At least 8 mistakes and 5 correct variants."""
    ex = EXERCISES[exercise_id]
    assert len(ex.mistakes) >= 8
    assert len(ex.variants) >= 5


def assert_mistake_caught(exercise_id: str, mistake) -> None:
    """check() fails the sandboxed mistake and prints its own cause (or its ``expect`` fragment)."""
    passed, out = check_output(exercise_id, as_cell(exercise_id, mistake.fn))
    assert not passed, f"{mistake.fn.__name__} passed check"
    assert (mistake.expect or f"likely cause: {mistake.cause}") in out, out
    assert "Traceback" not in out


def assert_variant_passes(exercise_id: str, variant) -> None:
    """check() passes the sandboxed variant."""
    passed, out = check_output(exercise_id, as_cell(exercise_id, variant.fn))
    assert passed, out
