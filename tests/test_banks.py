"""The banks of the registry: every known mistake is caught with its own message, every correct variant
passes, through check() and through ``nnlib grade`` alike (issue 14, "Keep it honest").

Each ``Exercise.mistakes`` entry must fail with its ``cause`` printed as the likely cause (or, for an
exercise judged by ``verify``, with its ``expect`` fragment in the message); each ``Exercise.variants``
entry must pass. The grader part turns each bank function's source into an exercise cell (renamed to
the exercise id) and grades it in the sandbox, where only numpy and the exercise's prerequisites
exist: hence the bank rules checked here first (a module-level ``def``, self-contained).

Cheap on purpose: one notebook per lesson and "round", holding the k-th bank entry of every exercise
of that lesson (mistakes first, then variants), graded a few at a time.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import re
import symtable
import sys
import textwrap

import nbformat
import pytest

from nnlib import grader
from nnlib.check import check, format_result
from nnlib.exercises import EXERCISES, Exercise

#: The goal of issue 14 for every exercise.
MIN_MISTAKES, MIN_VARIANTS = 8, 5

LESSONS = sorted({ex.lesson for ex in EXERCISES.values()})


def _entries(ex: Exercise) -> list[tuple[str, object, str]]:
    """``(label, fn, must_contain)`` for each bank entry; must_contain is '' for a variant (it must pass)."""
    entries = []
    for k, m in enumerate(ex.mistakes):
        wanted = m.expect or f"likely cause: {m.cause}"
        entries.append((f"mistake {k} ({m.cause[:60]}...)", m.fn, wanted))
    entries += [(f"variant {k} ({v.style})", v.fn, "") for k, v in enumerate(ex.variants)]
    return entries


# -- the bank rules -------------------------------------------------------------------------------------


def _global_names(table: symtable.SymbolTable) -> set[str]:
    """Names a function (and anything nested in it: lambdas, comprehensions, inner defs) reads globally."""
    names = {s.get_name() for s in table.get_symbols() if s.is_global()}
    for child in table.get_children():
        names |= _global_names(child)
    return names


def bank_rule_violation(ex: Exercise, fn) -> str:
    """Why ``fn`` cannot become an exercise cell the sandbox runs, or ''."""
    name = getattr(fn, "__name__", type(fn).__name__)
    if not inspect.isfunction(fn) or name == "<lambda>":
        return f"is {name!r}, not a def: write it as a module-level def, as a learner would"
    module = sys.modules.get(fn.__module__)
    if fn.__qualname__ != name or getattr(module, name, None) is not fn:
        return (f"{fn.__qualname__} is not a module-level def of its own name (a closure, a factory's "
                f"product, or a name defined twice?)")
    if fn.__closure__:
        return f"{name} is a closure: it reads {fn.__code__.co_freevars} from an enclosing function"
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, SyntaxError) as err:
        return f"{name}: its source cannot be read as a cell ({err})"
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef) or tree.body[0].decorator_list:
        return f"{name}: its source is not one plain def (decorators are not allowed)"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or "."]
            if any(m.split(".")[0] not in {"numpy", *sys.stdlib_module_names} for m in modules):
                return (f"{name} imports {', '.join(modules)}: an exercise cell may import only numpy and "
                        "Python's standard library (all the sandbox has)")
    module_table = symtable.symtable(source, "<bank>", "exec")
    table = next(t for t in module_table.get_children() if t.get_name() == name)
    allowed = {"np", *dir(builtins), *ex.prerequisites}
    extra = sorted(_global_names(table) - allowed)
    if extra:
        return (f"{name} uses {', '.join(extra)}: a bank function may use only np, Python's builtins and the "
                f"exercise's prerequisites ({', '.join(ex.prerequisites) or 'none'}), like an exercise cell")
    return ""


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_bank_entry_is_a_self_contained_module_level_def(exercise_id):
    ex = EXERCISES[exercise_id]
    problems = [f"{label}: {why}" for label, fn, _ in _entries(ex) if (why := bank_rule_violation(ex, fn))]
    assert not problems, f"{exercise_id}: bank entries the grader cannot run:\n  " + "\n  ".join(problems)


def test_the_bank_rules_catch_what_the_sandbox_cannot_run():
    ex = EXERCISES["sigmoid_derivative"]  # prerequisite: sigmoid
    assert bank_rule_violation(ex, lambda z: z) == "is '<lambda>', not a def: write it as a module-level " \
                                                   "def, as a learner would"
    assert "uses helper" in bank_rule_violation(ex, _uses_a_helper)
    assert "imports nnlib" in bank_rule_violation(ex, _imports_nnlib)
    assert "not a module-level def" in bank_rule_violation(ex, _factory())
    assert bank_rule_violation(ex, _uses_the_prerequisite) == ""


def helper(z):
    return z


def _uses_a_helper(z):
    return helper(z) * 2


def _imports_nnlib(z):
    import nnlib

    return nnlib.sigmoid(z)


def _factory():
    def made(z):
        return z

    return made


def _uses_the_prerequisite(z):
    s = sigmoid(z)  # noqa: F821 (a prerequisite: the exercise cell has it)
    return [v * (1 - v) for v in s]


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_exercise_has_enough_mistakes_and_variants(exercise_id):
    ex = EXERCISES[exercise_id]
    assert len(ex.mistakes) >= MIN_MISTAKES and len(ex.variants) >= MIN_VARIANTS, (
        f"{exercise_id} (lesson {ex.lesson}) has {len(ex.mistakes)} mistakes and {len(ex.variants)} "
        f"variants; the goal is at least {MIN_MISTAKES} and {MIN_VARIANTS}")


# -- through check() ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_mistake_fails_with_its_own_message_and_every_variant_passes_in_check(exercise_id):
    ex = EXERCISES[exercise_id]
    wrong = []
    for label, fn, wanted in _entries(ex):
        result = check(ex.id, fn, quiet=True)
        report = format_result(ex, result)
        if wanted and (result or wanted not in report):
            wrong.append(f"{label} should fail with {wanted!r}; check() says:\n{report}")
        elif not wanted and not result:
            wrong.append(f"{label} should pass; check() says:\n{report}")
    assert not wrong, f"{exercise_id}: check() lies about its bank:\n\n" + "\n\n".join(wrong)


# -- through nnlib grade -------------------------------------------------------------------------------------


def exercise_cell(ex: Exercise, fn) -> str:
    """A bank function's source as the lesson's exercise cell: the def renamed to the exercise id."""
    source = textwrap.dedent(inspect.getsource(fn))
    return re.sub(rf"^def {re.escape(fn.__name__)}\(", f"def {ex.id}(", source, count=1, flags=re.MULTILINE)


def lesson_rounds(lesson: str) -> list[dict[str, tuple[str, object, str]]]:
    """Round k: for each exercise of the lesson, its k-th bank entry (mistakes, then variants)."""
    per_exercise = {ex.id: [e for e in _entries(ex) if not bank_rule_violation(ex, e[1])]
                    for ex in EXERCISES.values() if ex.lesson == lesson}
    n = max((len(v) for v in per_exercise.values()), default=0)
    return [{ex_id: entries[k] for ex_id, entries in per_exercise.items() if k < len(entries)}
            for k in range(n)]


def write_notebook(path, cells: dict[str, str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np")]
    for ex_id, source in cells.items():
        cell = nbformat.v4.new_code_cell(source)
        cell.id = f"exercise-{ex_id.replace('_', '-')}"
        nb.cells.append(cell)
    nbformat.write(nb, path)


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_mistake_fails_with_its_own_message_and_every_variant_passes_in_nnlib_grade(lesson, tmp_path):
    rounds = lesson_rounds(lesson)
    if not rounds:
        pytest.skip(f"lesson {lesson}: no bank entry the grader can run yet (see the bank-rule test)")
    paths = []
    for k, entries in enumerate(rounds):
        path = tmp_path / f"round{k:02d}.ipynb"
        write_notebook(path, {ex_id: exercise_cell(EXERCISES[ex_id], fn)
                              for ex_id, (_, fn, _) in entries.items()})
        paths.append(path)
    report = grader.grade_paths(paths, lesson=lesson)
    wrong = []
    for sub, entries in zip(report.submissions, rounds, strict=True):
        grades = {g.exercise_id: g for g in sub.exercises}
        for ex_id, (label, _, wanted) in entries.items():
            grade = grades[ex_id]
            if wanted and (grade.status == "passed" or wanted not in grade.feedback):
                wrong.append(f"{ex_id} {label} should fail with {wanted!r}; nnlib grade says "
                             f"({grade.status}):\n{grade.feedback}")
            elif not wanted and grade.status != "passed":
                wrong.append(f"{ex_id} {label} should pass; nnlib grade says "
                             f"({grade.status}):\n{grade.feedback}")
    assert not wrong, f"lesson {lesson}: nnlib grade lies about the banks:\n\n" + "\n\n".join(wrong)
