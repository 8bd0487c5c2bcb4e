"""Calling a learner's function on one case, and flattening what it returns.

This is the only code that runs learner code, in ``check()`` and inside the
grader's sandbox alike. It depends on numpy and the standard library only, and
imports nothing from nnlib, so that the sandbox can load it from its source
text without any path to nnlib (and so to the references) on ``sys.path``.

An output (an array, a float, a tuple, a list of ``Dense``, a dict of lists...)
is *flattened* into plain numeric arrays keyed by where they sit, e.g.
``{"[0]": dX, "[1]": dW, "[2]": db}``. Judging (``nnlib.judge``) compares two
flattened outputs, so it works the same on a function called in this process
and on arrays sent back by a sandboxed grading process.
"""

from __future__ import annotations

import copy
import os
import re
import sysconfig
import traceback
import types
from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

import numpy as np

#: The largest output we accept from one call, in elements (guards the grader's memory).
MAX_OUTPUT_ELEMENTS = 5_000_000

#: Frames from these folders are not the learner's: this file's (nnlib's), numpy's and the standard
#: library's. Loaded from source in the sandbox, this module has no file of its own.
_OWN_DIRS = tuple(
    os.path.abspath(folder) + os.sep
    for folder in ([os.path.dirname(os.path.abspath(__file__))] if "__file__" in globals() else [])
    + [os.path.dirname(np.__file__), sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]]
)


class OutputError(ValueError):
    """The output cannot be flattened into numeric arrays (a wrong type)."""


def flatten_output(value, materialize_iterators: bool = False) -> dict[str, np.ndarray]:
    """Flatten a (nested) output into ``{path: ndarray}`` with only numeric arrays.

    Paths: ``""`` for a bare value, ``"[i]"`` for tuple/list items, ``".name"`` for
    NamedTuple fields, ``"['key']"`` for dict entries. Raises OutputError for
    objects that are not numbers, arrays, tuples, lists or dicts of them.
    """
    flat: dict[str, np.ndarray] = {}
    _flatten(value, "", flat, materialize_iterators)
    total = sum(a.size for a in flat.values())
    if total > MAX_OUTPUT_ELEMENTS:
        raise OutputError(f"returned {total:,} numbers, more than the {MAX_OUTPUT_ELEMENTS:,} allowed")
    return flat


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _flatten(value, path: str, flat: dict, materialize: bool) -> None:
    if isinstance(value, bool | np.bool_) or value is None or isinstance(value, str | bytes):
        raise OutputError(f"{path or 'the result'} is {value!r:.40}, not a number or an array")
    if isinstance(value, int | float | np.integer | np.floating):
        flat[path] = np.asarray(value, dtype=np.float64 if isinstance(value, int | float) else None)
        return
    if isinstance(value, np.ndarray):
        if type(value) is not np.ndarray:  # a subclass may override comparisons: keep the data only
            value = np.asarray(value).view(np.ndarray)
        if value.dtype.kind not in "fiub":
            raise OutputError(f"{path or 'the result'} is {_describe(value)}; expected numbers")
        flat[path] = np.array(value, copy=True)
        return
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # NamedTuple: Dense, DenseCache
        for name in value._fields:
            _flatten(getattr(value, name), f"{path}.{name}", flat, materialize)
        return
    if isinstance(value, tuple | list):
        for i, item in enumerate(value):
            _flatten(item, f"{path}[{i}]", flat, materialize)
        if not value:
            flat[f"{path}#len"] = np.asarray(0.0)  # keep empty containers visible
        return
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise OutputError(f"{path or 'the result'} has a non-string key {key!r:.40}")
            _flatten(value[key], f"{path}[{key!r}]", flat, materialize)
        return
    if materialize and isinstance(value, Iterator | types.GeneratorType):
        items = []
        for item in value:
            items.append(item)
            if len(items) > 100_000:
                raise OutputError("the iterator yielded more than 100,000 items")
        _flatten(items, path, flat, materialize)
        return
    raise OutputError(f"{path or 'the result'} is {_describe(value)}; expected numbers or arrays")


class Outcome(NamedTuple):
    """Why a call failed before its output could be judged.

    ``kind`` is "not implemented", "raised", "output" (a wrong type) or "mutated".
    """

    kind: str
    message: str
    hint: str = ""


def run_call(fn: Callable, args: tuple, kwargs: Mapping, *, exercise_id: str, strict_float: bool = False,
             materialize: bool = False, arg_label: Callable[[int], str] = lambda i: f"arg{i + 1}",
             ) -> tuple[dict | None, Outcome | None]:
    """Call ``fn(*args, **kwargs)`` on copies of the arguments; return its flattened output or an Outcome.

    ``strict_float`` turns numpy's overflow, invalid results and division by zero into
    FloatingPointError, on the learner's own line (underflow stays allowed).
    """
    call_args = copy.deepcopy(tuple(args))
    call_kwargs = copy.deepcopy(dict(kwargs))
    errors = {"over": "raise", "invalid": "raise", "divide": "raise"} if strict_float else {}
    try:
        with np.errstate(**errors):
            out = fn(*call_args, **call_kwargs)
            flat = flatten_output(out, materialize_iterators=materialize)
    except NotImplementedError as err:
        other = re.match(r"Exercise (\w+):", str(err))
        if other and other.group(1) != exercise_id:  # the learner's function calls another unwritten one
            return None, Outcome("raised",
                                 f"calls {other.group(1)}, which is not implemented yet: write it first, "
                                 f"or use nnlib's (from nnlib import {other.group(1)})")
        return None, Outcome("not implemented", "not implemented yet")
    except OutputError as err:
        return None, Outcome("output", f"wrong type: {err}")
    except Exception as err:  # learner code may raise anything
        return None, Outcome("raised", describe_exception(err))
    mutated = mutated_argument(tuple(args), call_args, arg_label)
    if mutated:
        return None, Outcome("mutated", mutated,
                             "work on a copy (e.g. z = z.copy()) or build a new array instead")
    return flat, None


def _arrays_in(value) -> dict:
    """The numeric arrays inside an argument (an array, a DenseCache, a list of Dense...), by path."""
    try:
        return flatten_output(value)
    except OutputError:  # callables, generators, strings: nothing a function could write into
        return {}


def mutated_argument(before: tuple, after: tuple, arg_label: Callable[[int], str]) -> str:
    """'your function changed its input X (first at index (0, 1))', or '' if no argument changed."""
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        old, new = _arrays_in(a), _arrays_in(b)
        for path, x in old.items():
            y = new.get(path)
            where = f"{arg_label(i)}{path}"
            if y is None or x.shape != y.shape:
                return f"your function changed the shape of its input {where}"
            differs = x != y
            if x.dtype.kind == "f":  # NaN != NaN, but an untouched NaN is not a change
                differs &= ~(np.isnan(x) & np.isnan(y))
            changed = np.argwhere(differs)
            if len(changed):
                index = tuple(int(k) for k in changed[0])
                at = f" (first at index {index})" if index else ""
                return f"your function changed its input {where}{at}"
    return ""


def describe_exception(err: BaseException) -> str:
    """``ValueError: message (your line 3: return x @ w)`` using the learner's deepest frame."""
    text = f"raised {type(err).__name__}: {err}".rstrip()
    frames = traceback.extract_tb(err.__traceback__)
    own = [f for f in frames if not os.path.abspath(f.filename).startswith(_OWN_DIRS)]
    if own:
        frame = own[-1]
        code = f": {frame.line.strip()}" if frame.line else ""
        text += f"\n  in your code, line {frame.lineno}{code}"
    return text
