"""What every lesson's tests share. Not a test module (pytest collects only ``test_*.py``)."""

from __future__ import annotations

import ast
import builtins
import contextlib
import inspect
import io
import textwrap
import types

import numpy as np

from nnlib.check import check
from nnlib.exercises import get_exercise


def check_output(exercise_id: str, fn) -> tuple[bool, str]:
    """check()'s verdict on ``fn`` and what it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = check(exercise_id, fn)
    return bool(result), buffer.getvalue()


def learner_copy(fn):
    """nnlib's reference as if a learner had typed its code into a cell: the same code, but a code
    object of its own (check() refuses nnlib's reference itself, and a function that calls it)."""
    copy = types.FunctionType(fn.__code__.replace(co_filename="<learner's cell>"), fn.__globals__,
                              fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


def as_cell(exercise_id: str, fn):
    """``fn`` rebuilt from its source with only numpy, builtins and the exercise's prerequisites,
    renamed to the exercise id: what the grader's sandbox runs when the source is an exercise cell.

    The bank rule: each mistake and variant is a self-contained module-level def (a helper or a
    global it leans on is a NameError here).
    """
    source = textwrap.dedent(inspect.getsource(fn))
    tree = ast.parse(source)
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef), f"{fn.__name__}: one def"
    assert not tree.body[0].decorator_list
    source = source.replace(f"def {fn.__name__}(", f"def {exercise_id}(", 1)
    namespace = {"__builtins__": builtins, "np": np, **get_exercise(exercise_id).prerequisite_env()}
    exec(compile(source, f"<bank {fn.__name__}>", "exec"), namespace)
    return namespace[exercise_id]
