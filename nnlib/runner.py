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

import ast
import contextlib
import copy
import linecache
import os
import re
import signal
import sys
import sysconfig
import threading
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
        if not value:
            flat[f"{path}#len"] = np.asarray(0.0)
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

    ``kind`` is "not implemented" (the untouched stub raised), "raised", "output" (a wrong
    type), "mutated" or "too slow".
    """

    kind: str
    message: str
    hint: str = ""


#: nnlib's own floating-point error state (numpy's defaults). The learner's function, the reference,
#: the known mistakes and the verifiers run under it (or under STRICT_ERRSTATE), whatever the learner
#: set with np.seterr before calling check(): a learner's np.seterr(all="raise") would otherwise make
#: the reference fail on a harmless underflow in exp.
NNLIB_ERRSTATE = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}

#: ``strict_float``: only overflow counts. It is what a stability case is about (1 / (1 + np.exp(-z))
#: is right at z = -1000 only after np.exp(1000) overflowed). An invalid value or a division by zero
#: either shows in the result (NaN, inf: the comparison catches it) or happens in a branch that
#: np.where discards (np.where(z == 0, 0, z / np.abs(z))), where it is harmless.
STRICT_ERRSTATE = {"divide": "ignore", "over": "raise", "under": "ignore", "invalid": "ignore"}


class TooSlow(BaseException):
    """A call ran past its time budget. A BaseException, so that ``except Exception`` cannot hide it."""


def run_call(fn: Callable, args: tuple, kwargs: Mapping, *, exercise_id: str, strict_float: bool = False,
             materialize: bool = False, arg_label: Callable[[int], str] = lambda i: f"arg{i + 1}",
             time_limit: float | None = None, on_call: Callable | None = None,
             ) -> tuple[dict | None, Outcome | None]:
    """Call ``fn(*args, **kwargs)`` on copies of the arguments; return its flattened output or an Outcome.

    The call runs under nnlib's floating-point error state, never the caller's: NNLIB_ERRSTATE, or
    with ``strict_float`` STRICT_ERRSTATE, where an overflow raises FloatingPointError on the
    learner's own line, even inside the learner's own ``np.errstate(over="ignore")`` or after their
    ``np.seterr(all="ignore")``. Whatever error state the function set is undone when it returns.

    ``time_limit`` (seconds) stops a call that runs longer (Outcome "too slow"). ``on_call(frame)``
    is called with each Python frame the call enters (for the caller to watch which functions it
    reaches); it must not raise.
    """
    call_args = copy.deepcopy(tuple(args))
    call_kwargs = copy.deepcopy(dict(kwargs))
    try:
        with _learner_context(strict_float, on_call, time_limit) as context:
            out = fn(*call_args, **call_kwargs)
            flat = flatten_output(out, materialize_iterators=materialize)
    except TooSlow:
        return None, Outcome("too slow", f"stopped after {time_limit:g} s, far longer than this case needs: "
                                         "an endless loop (a while whose condition never changes?), a long "
                                         "time.sleep, or a very slow computation?")
    except NotImplementedError as err:
        other = re.match(r"Exercise (\w+):", str(err))
        if other and other.group(1) != exercise_id:  # the learner's function calls another unwritten one
            return None, Outcome("raised",
                                 f"calls {other.group(1)}, which is not implemented yet: write it first, "
                                 f"or use nnlib's (from nnlib import {other.group(1)})")
        if other:  # the stub's own message: the exercise is untouched
            return None, Outcome("not implemented", "not implemented yet")
        return None, Outcome("raised", describe_exception(err))  # the learner's own, in one branch?
    except OutputError as err:
        return None, Outcome("output", f"wrong type: {err}")
    except FloatingPointError as err:
        return None, Outcome("raised", describe_exception(err) + _overflow_note(err))
    except Exception as err:  # learner code may raise anything
        return None, Outcome("raised", describe_exception(err))
    if context.lost_profiler:
        return None, Outcome("raised", "your function replaced the profiler (sys.setprofile), which the "
                                       "check needs to keep numpy's overflow errors on: remove that call")
    mutated = mutated_argument(tuple(args), call_args, arg_label)
    if mutated:
        return None, Outcome("mutated", mutated,
                             "work on a copy (e.g. z = z.copy()) or build a new array instead")
    return flat, None


@contextlib.contextmanager
def own_errstate(**overrides):
    """Run under nnlib's floating-point error state (NNLIB_ERRSTATE, updated by ``overrides``)."""
    with np.errstate(**({} if "all" in overrides else NNLIB_ERRSTATE), **overrides):
        yield


def _errstate_setter():
    """``is_setter(builtin) -> bool``: does this C function set numpy's floating-point error state?"""
    try:  # numpy >= 2: the state is a context variable; np.errstate and np.seterr call its .set
        from numpy._core.umath import _extobj_contextvar as state
    except ImportError:  # numpy 1.x: np.errstate and np.seterr call umath.seterrobj
        setter = getattr(getattr(np, "core", None), "umath", None)
        setter = getattr(setter, "seterrobj", None)
        return lambda fn: setter is not None and fn is setter
    return lambda fn: getattr(fn, "__self__", None) is state and getattr(fn, "__name__", "") == "set"


_IS_ERRSTATE_SETTER = _errstate_setter()


class _LearnerContext:
    """What happened around one learner call that the caller must know afterwards."""

    lost_profiler = False


@contextlib.contextmanager
def _learner_context(strict_float: bool, on_call: Callable | None, time_limit: float | None):
    """nnlib's error state, a profiler for ``on_call`` and the overflow guard, and a deadline."""
    state = STRICT_ERRSTATE if strict_float else NNLIB_ERRSTATE
    saved, saved_call = np.geterr(), np.geterrcall()
    context = _LearnerContext()
    # The overflow guard. numpy's error state is a context variable that any code may set: with
    # np.errstate(over="ignore"), np.seterr(all="ignore"), an alias (from numpy import errstate),
    # the errstate decorator. Each of these ends in one C function (the context variable's .set;
    # umath.seterrobj in numpy 1.x), and a profiler sees every call of a C function, however it was
    # reached. Right after each such call, the guard puts nnlib's strict state back, so a naive
    # formula's overflow still raises inside the learner's silenced block. (Patching np.errstate
    # would miss an alias imported before, and the decorator.) The profiler also serves on_call.
    guard = strict_float
    previous_profiler = sys.getprofile()

    def profiler(frame, event, arg):
        if event == "call":
            if on_call is not None:
                try:
                    on_call(frame)
                except Exception:  # a watcher's bug must not become the learner's error
                    pass
        elif event == "c_return" and guard and _IS_ERRSTATE_SETTER(arg):
            np.seterr(**state)  # calls made here are not profiled

    try:
        with np.errstate(**state):
            if guard or on_call is not None:
                sys.setprofile(profiler)
            try:
                with _deadline(time_limit):
                    yield context
            finally:
                if guard or on_call is not None:
                    context.lost_profiler = guard and sys.getprofile() is not profiler
                    sys.setprofile(previous_profiler)
    finally:  # the learner's np.seterr / np.seterrcall undone, also under numpy 1.x
        np.seterr(**saved)
        np.seterrcall(saved_call)


@contextlib.contextmanager
def _deadline(seconds: float | None):
    """Raise TooSlow in this thread once ``seconds`` have passed, and again every 0.1 s after that
    (so that a learner's bare ``except:`` cannot swallow it for good).

    In the main thread (a notebook's kernel runs cells there) this is SIGALRM, which also cuts a
    ``time.sleep`` short. In another thread there is no signal: a watchdog thread raises TooSlow
    asynchronously, which stops a Python loop at its next bytecode, but a sleep or one long numpy
    call runs to its end first. Without ctypes (not CPython), there is no limit there.
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        armed = [True]

        def alarm(signum, frame):
            if armed[0]:  # a signal delivered late, after the call ended, is ignored
                raise TooSlow

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
        try:
            yield
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    try:
        import ctypes

        raise_in = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except (ImportError, AttributeError):
        yield
        return
    target, stop = ctypes.c_ulong(threading.get_ident()), threading.Event()

    def watchdog():
        if stop.wait(seconds):
            return
        while not stop.is_set():
            raise_in(target, ctypes.py_object(TooSlow))
            stop.wait(0.1)

    thread = threading.Thread(target=watchdog, daemon=True, name="nnlib-check-deadline")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        while True:  # one sent just before stop was set arrives while we wait (within join's calls)
            try:
                thread.join()  # (clearing a pending exception with SetAsyncExc(id, NULL) hangs 3.11)
                break
            except TooSlow:
                continue


def _overflow_note(err: FloatingPointError) -> str:
    """For an overflow in a branch of np.where: that np.where computes both branches."""
    if "overflow" not in str(err):
        return ""
    own = _own_frames(err)
    if not own or not _in_where_branch(own[-1]):
        return ""
    return ("\n  np.where(condition, a, b) computes both a and b for every element before it picks one: "
            "the branch it discards for these elements still overflowed. Write each branch so that it "
            "cannot overflow for any input (e.g. np.exp only of -np.abs(z))")


def _in_where_branch(frame: traceback.FrameSummary) -> bool:
    """Does the failing expression of ``frame`` lie in the 2nd or 3rd argument of a call to where()?"""
    source = "".join(linecache.getlines(frame.filename))
    position = (frame.lineno, getattr(frame, "colno", None))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        tree = None
    if tree is None or position[1] is None:
        return bool(frame.line) and "where(" in frame.line
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and len(node.args) == 3
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "where"):
            for branch in node.args[1:]:
                if (branch.lineno, branch.col_offset) <= position <= (
                        branch.end_lineno, branch.end_col_offset):
                    return True
    return False


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


def _own_frames(err: BaseException) -> list[traceback.FrameSummary]:
    """The frames of ``err``'s traceback that are the learner's (not nnlib's, numpy's or Python's)."""
    frames = traceback.extract_tb(err.__traceback__)
    return [f for f in frames if not os.path.abspath(f.filename).startswith(_OWN_DIRS)]


def describe_exception(err: BaseException) -> str:
    """``ValueError: message (your line 3: return x @ w)`` using the learner's deepest frame."""
    text = f"raised {type(err).__name__}: {err}".rstrip()
    own = _own_frames(err)
    if own:
        frame = own[-1]
        code = f": {frame.line.strip()}" if frame.line else ""
        text += f"\n  in your code, line {frame.lineno}{code}"
    return text
