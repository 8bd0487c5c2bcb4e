"""The learner store: your own functions, carried from lesson to lesson.

Each lesson has you write a few functions, and later lessons build on them: lesson 09's
``mlp_backward`` calls your ``activation_backward`` and ``dense_backward`` of lesson 08, and
lesson 10's capstone trains with your ``train``, which calls your ``loss_and_gradients`` (09)
and ``sgd_step`` (07). A notebook cannot see another notebook's functions, so:

**Saving.** When :func:`nnlib.check` passes one of your functions, it saves the function's
source code, with the source of any helper function of yours that it calls, to
``.nnlib-store/<exercise id>.py`` in the folder of the lesson notebooks (``lessons/``). The
file holds the last version of yours that passed; delete it (or the folder) to start over.

**Loading.** :func:`your_code` gives a lesson the functions it builds on. For each one it
takes, in this order: your function defined in this notebook (pass ``here=globals()``), else
your saved one; it rebuilds it from its source, runs its ``check()`` again, and uses it if it
passes. Otherwise nnlib's reference stands in, *piece by piece*: a reference whose parts you
wrote (``train``, ``loss_and_gradients``, ``mlp_backward``) runs on your parts. Each call prints
one line saying which functions are yours and which are nnlib's reference, and why. The
functions you get count their calls, so :func:`what_ran` can say afterwards exactly whose
code ran (lesson 10's capstone ends with that line).

**When the store is written and read.** Only in a learner's notebook session: in a Jupyter
(IPython) kernel whose working folder holds the lesson notebooks (files ``NN_name.ipynb``) and
is not the course's ``solutions/`` folder; Jupyter starts each kernel in its notebook's folder.
Nothing else touches it: not pytest (whose configuration also sets ``NNLIB_STORE=off`` for every
kernel it starts, so nbval runs of ``solutions/`` and the lesson tests neither read nor write a
store), not ``nnlib execute-solutions`` (its kernels run in ``solutions/``), not the grader (which
never calls ``check()``), not scripts. ``NNLIB_STORE`` configures it: ``off`` switches it off,
a folder path puts it there (still only in a kernel). The folder is ignored by git
(``.gitignore``) and left out of every export, which read ``solutions/`` or the notebooks only.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import linecache
import os
import sys
import textwrap
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: The store's folder, next to the lesson notebooks.
STORE_FOLDER = ".nnlib-store"
#: The environment variable that moves the store ("a folder path") or switches it off ("off").
STORE_ENV = "NNLIB_STORE"
#: The module name of functions rebuilt from your source; never nnlib's, never saved again.
YOURS_MODULE = "yours"
_OFF = {"off", "0", "no", "false", "none"}
_HEADER = "# nnlib-store:"


# --------------------------------------------------------------------------- #
# Where the store is


def _in_kernel() -> bool:
    """True in a Jupyter kernel (an IPython shell that has a kernel), False in scripts and tests."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def _holds_lessons(folder: Path) -> bool:
    try:
        return any(folder.glob("[0-9][0-9]_*.ipynb"))
    except OSError:
        return False


def store_folder(cwd: Path | None = None, environ=None, in_kernel: bool | None = None) -> Path | None:
    """The folder of the learner store for this session, or None where there must be none.

    Parameters
    ----------
    cwd : the working folder (default: the current one)
    environ : the environment (default: ``os.environ``); ``NNLIB_STORE`` is read from it
    in_kernel : whether this runs in a Jupyter kernel (default: detected)

    Returns
    -------
    ``cwd / ".nnlib-store"`` in a kernel whose working folder holds lesson notebooks and is not
    named ``solutions``; the folder ``NNLIB_STORE`` names, in a kernel; None otherwise, and
    always when ``NNLIB_STORE`` is "off".
    """
    environ = os.environ if environ is None else environ
    setting = environ.get(STORE_ENV, "").strip()
    if setting.lower() in _OFF:
        return None
    if not (_in_kernel() if in_kernel is None else in_kernel):
        return None
    if setting:
        return Path(setting).expanduser()
    cwd = Path.cwd() if cwd is None else Path(cwd)
    if cwd.name == "solutions" or not _holds_lessons(cwd):
        return None
    return cwd / STORE_FOLDER


# --------------------------------------------------------------------------- #
# Saving a passing function


def _function_tree(source: str, name: str) -> ast.FunctionDef | None:
    """The def of ``name`` if ``source`` is exactly one undecorated top-level def of it, else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    node = tree.body[0]
    return node if node.name == name and not node.decorator_list else None


def _source(fn) -> str | None:
    """The dedented source of a plain function (not a lambda, not decorated), or None."""
    if not isinstance(fn, types.FunctionType) or fn.__name__ == "<lambda>":
        return None
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None
    return source if _function_tree(source, fn.__name__) else None


def _global_names(source: str) -> set[str]:
    """Names a piece of code reads that it does not define at its top level (a superset of its globals)."""
    tree = ast.parse(source)
    read = {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    return read - defined - set(dir(builtins))


def _is_nnlib(fn) -> bool:
    module = getattr(fn, "__module__", None) or ""
    return module == "nnlib" or module.startswith(("nnlib.", YOURS_MODULE))


def _exercise_ids() -> frozenset[str]:
    from nnlib.exercises import EXERCISES

    return frozenset(EXERCISES)


def capture(fn) -> str | None:
    """The source of ``fn`` and of the helper functions of yours it calls, or None if not capturable.

    A helper is a function defined in the same module as ``fn`` (your notebook) that ``fn``
    calls by name and that is not itself an exercise (those come from the store on loading).
    Helpers come first, in the order they are found; ``fn`` last.
    """
    main = _source(fn)
    if main is None:
        return None
    exercises = _exercise_ids()
    pieces, seen, todo = [], {fn.__name__}, [(fn, main)]
    while todo:
        current, source = todo.pop()
        for name in sorted(_global_names(source) - seen - exercises):
            helper = current.__globals__.get(name)
            if (isinstance(helper, types.FunctionType) and helper.__module__ == fn.__module__
                    and not _is_nnlib(helper)):
                helper_source = _source(helper)
                if helper_source is None:
                    return None  # a helper we cannot rebuild: do not save what cannot be loaded
                seen.add(name)
                pieces.append(helper_source)
                todo.append((helper, helper_source))
    return "\n\n".join([*pieces, main])


def save_passing(exercise_id: str, fn, folder: Path | None = None) -> Path | None:
    """Save ``fn``, which has just passed its check, to the store; return the file, or None.

    Called by :func:`nnlib.check` after every pass. Does nothing (returns None) outside a
    learner's notebook session (see :func:`store_folder`), for nnlib's own functions and for
    functions rebuilt from the store, and when the source cannot be captured. Never raises:
    a store that cannot be written must not spoil a check.
    """
    try:
        folder = store_folder() if folder is None else Path(folder)
        if folder is None or _is_nnlib(fn) or getattr(fn, "__wrapped__", None) is not None:
            return None
        source = capture(fn)
        if source is None:
            return None
        from nnlib.exercises import get_exercise

        lesson = get_exercise(exercise_id).lesson
        text = (f"{_HEADER} exercise={exercise_id} function={fn.__name__} lesson={lesson}\n"
                f"# Your {exercise_id}, saved by check() when it passed every check in lesson {lesson}.\n"
                "# Later lessons rebuild it from here and check it again before using it.\n"
                "# Delete this file to stop using it.\n\n"
                f"{source}\n")
        path = folder / f"{exercise_id}.py"
        if path.is_file() and path.read_text() == text:
            return path
        folder.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(".py.tmp")
        scratch.write_text(text)
        os.replace(scratch, path)  # atomic: a kernel killed mid-write leaves the old version
        return path
    except Exception:  # a full disk, a read-only folder, an odd object: the check's verdict stands
        return None


def saved(exercise_id: str, folder: Path) -> tuple[str, str, str] | None:
    """``(function name, lesson, source)`` of the saved version of an exercise, or None."""
    path = Path(folder) / f"{exercise_id}.py"
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return None
    first = text.split("\n", 1)[0]
    if not first.startswith(_HEADER):
        return None
    fields = dict(part.split("=", 1) for part in first[len(_HEADER):].split() if "=" in part)
    if fields.get("exercise") != exercise_id or "function" not in fields:
        return None
    return fields["function"], fields.get("lesson", "??"), text


# --------------------------------------------------------------------------- #
# Your stack of functions


@dataclass(eq=False)
class Entry:
    """One function of a stack: whose it is, where it came from, what it calls, how often it ran.

    ``owner`` is "yours" or "nnlib"; ``origin`` says where yours came from ("this notebook",
    "saved in lesson 08"); ``note`` why nnlib's reference stands in; ``deps`` the entries it calls
    by name, ``table_deps`` those it reaches through LOSSES or ACTIVATIONS; ``calls`` how often it
    was called since :func:`your_code` returned it.
    """

    exercise_id: str
    owner: str
    origin: str = ""
    note: str = ""
    deps: list = field(default_factory=list)
    table_deps: list = field(default_factory=list)
    calls: int = 0
    fn: object = None
    fingerprint: str = ""  #: what it was built from (this notebook's source, the saved file, or nothing)

    def reachable(self, tables: bool = True) -> list[Entry]:
        """This entry and every entry it calls, directly or not, each once, this one first."""
        found, todo = [], [self]
        while todo:
            entry = todo.pop(0)
            if entry not in found:
                found.append(entry)
                todo.extend(entry.deps + (entry.table_deps if tables else []))
        return found


def _traced(entry: Entry, fn):
    """``fn``, counting its calls in ``entry``; ``__wrapped__`` still leads to ``fn``."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        entry.calls += 1
        return fn(*args, **kwargs)

    call.nnlib_entry = entry
    return call


def entry_of(fn) -> Entry | None:
    """The stack entry behind a function :func:`your_code` returned, or None."""
    return getattr(fn, "nnlib_entry", None)


def whose(fn) -> str:
    """'your train (this notebook)' or "nnlib's reference train", for a function from :func:`your_code`."""
    entry = entry_of(fn)
    if entry is None:
        raise TypeError("whose: pass a function that your_code returned")
    if entry.owner == "yours":
        return f"your {entry.exercise_id} ({entry.origin})"
    return f"nnlib's reference {entry.exercise_id}"


def _loss_and_gradients_in_steps(params, X, y, loss="softmax_cross_entropy", hidden="relu"):
    """nnlib's loss_and_gradients as the lesson's three steps, so that each step can be yours."""
    loss_fn, loss_backward = LOSSES[loss]  # noqa: F821 (the stack provides the globals)
    logits, caches = mlp_forward(X, params, hidden, "identity")  # noqa: F821
    grads = mlp_backward(loss_backward(logits, y), caches, params, hidden, "identity")  # noqa: F821
    return loss_fn(logits, y), grads


def _mlp_backward_in_steps(dout, caches, params, hidden="relu", output="identity"):
    """nnlib's mlp_backward as the lesson's loop over activation_backward and dense_backward."""
    grads = [None] * len(params)
    dA = dout
    for i in reversed(range(len(params))):
        activation = output if i == len(params) - 1 else hidden
        dZ = activation_backward(dA, caches[i].Z, activation)  # noqa: F821
        dA, dW, db = dense_backward(dZ, caches[i], params[i].W)  # noqa: F821
        grads[i] = Dense(dW, db)  # noqa: F821
    return grads


def _composable():
    """Exercise id -> (nnlib's reference written to call its parts by name, the names of the parts)."""
    from nnlib import training

    return {
        "train": (training.train,
                  ("iterate_minibatches", "loss_and_gradients", "sgd_step", "mlp_forward", "accuracy")),
        "loss_and_gradients": (_loss_and_gradients_in_steps, ("LOSSES", "mlp_forward", "mlp_backward")),
        "mlp_backward": (_mlp_backward_in_steps, ("activation_backward", "dense_backward", "Dense")),
    }


def _rebind(fn, bindings: dict):
    """A copy of ``fn`` whose global names in ``bindings`` mean what ``bindings`` says."""
    copy = types.FunctionType(fn.__code__, {**fn.__globals__, **bindings}, fn.__name__,
                              fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    copy.__doc__ = fn.__doc__
    return copy


class _Stack:
    """Resolves exercise ids to your functions or nnlib's, each once, for one :func:`your_code` call."""

    def __init__(self, folder: Path | None, here: dict):
        import nnlib
        from nnlib.exercises import EXERCISES

        self.folder, self.here = folder, here
        self.nnlib, self.exercises = nnlib, EXERCISES
        self.entries: dict[str, Entry] = {}
        self.tables: dict[str, dict] = {}
        self.notes: dict[str, str] = {}  # exercise id -> why yours is not used (the first reason found)
        self.resolving: list[str] = []
        # Entries that earlier your_code calls returned into this notebook, and all they call: one of
        # them is reused, without a new check, when everything it was built from is unchanged.
        self.earlier: list[Entry] = []
        for value in here.values():
            if entry_of(value) is not None:
                self.earlier += [e for e in entry_of(value).reachable() if e not in self.earlier]

    def fingerprint(self, exercise_id: str) -> str:
        """What this stack would build the exercise from: this notebook's source, the saved file, or none."""
        given = self.here.get(exercise_id)
        if isinstance(given, types.FunctionType) and not _is_nnlib(given):
            return "here:" + (capture(given) or f"<no source: {id(given)}>")
        found = saved(exercise_id, self.folder) if self.folder is not None else None
        return "store:" + found[2] if found is not None else "none"

    def unchanged(self, entry: Entry) -> Entry | None:
        """``entry`` if it and everything it calls would be built from the same things now."""
        for reached in entry.reachable():
            if reached.fingerprint != self.fingerprint(reached.exercise_id):
                return None
        return entry

    def binding(self, name: str, entry: Entry):
        """What the global ``name`` means for a function of this stack (None: leave it undefined)."""
        if name in self.exercises:
            dep = self.resolve(name)
            if dep not in entry.deps:
                entry.deps.append(dep)
            return dep.fn
        if name in ("LOSSES", "ACTIVATIONS"):
            return self.table(name, entry)
        if name in ("np", "numpy"):
            return np
        return getattr(self.nnlib, name, None)

    def table(self, name: str, entry: Entry) -> dict:
        """nnlib's LOSSES or ACTIVATIONS, with each function that is an exercise taken from this stack."""
        table = {}
        for key, pair in getattr(self.nnlib, name).items():
            row = []
            for f in pair:
                if f.__name__ in self.exercises:
                    dep = self.resolve(f.__name__)
                    if dep not in entry.table_deps:
                        entry.table_deps.append(dep)
                    f = dep.fn
                row.append(f)
            table[key] = tuple(row)
        return self.tables.setdefault(name, table)

    def resolve(self, exercise_id: str) -> Entry:
        if exercise_id in self.entries:
            return self.entries[exercise_id]
        given = self.here.get(exercise_id)
        if entry_of(given) is not None:  # resolved by an earlier your_code call: reuse it as it is
            entry = entry_of(given)
        elif exercise_id in self.resolving:  # a cycle: its inner use gets the reference
            return self.reference(exercise_id, "it calls itself through other functions")
        else:
            fingerprint = self.fingerprint(exercise_id)
            entry = next((e for e in self.earlier if e.exercise_id == exercise_id
                          and e.fingerprint == fingerprint and self.unchanged(e)), None)
            if entry is None:
                self.resolving.append(exercise_id)
                try:
                    entry = self.from_here(exercise_id, given) or self.from_store(exercise_id)
                    if entry is None:
                        entry = self.reference(exercise_id, self.notes.get(exercise_id, self.missing()))
                finally:
                    self.resolving.pop()
                entry.fingerprint = fingerprint
        self.entries[exercise_id] = entry
        return entry

    def missing(self) -> str:
        if self.folder is None:
            return "your functions of earlier lessons are carried over only in lessons/"
        return "check() has not saved yours yet"

    def from_here(self, exercise_id: str, given) -> Entry | None:
        if not isinstance(given, types.FunctionType) or _is_nnlib(given):
            return None
        source = capture(given)
        if source is not None:
            return self.build(exercise_id, given.__name__, source, "this notebook", "yours in this notebook")
        if not self.passes(exercise_id, given, "yours in this notebook"):
            return None
        entry = Entry(exercise_id, "yours", "this notebook")  # no source to rebuild from: use it as it is
        entry.fn = _traced(entry, given)
        return entry

    def from_store(self, exercise_id: str) -> Entry | None:
        found = saved(exercise_id, self.folder) if self.folder is not None else None
        if found is None:
            return None
        name, lesson, source = found
        return self.build(exercise_id, name, source, f"saved in lesson {lesson}", f"your saved {exercise_id}")

    def build(self, exercise_id: str, name: str, source: str, origin: str, what: str) -> Entry | None:
        """Run your source among this stack's functions; the entry if the function passes its check."""
        entry = Entry(exercise_id, "yours", origin)
        filename = f"<your {exercise_id}, {origin}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks
        namespace = {"__builtins__": builtins, "__name__": f"{YOURS_MODULE}.{exercise_id}"}
        try:
            for global_name in sorted(_global_names(source)):
                value = self.binding(global_name, entry)
                if value is not None:
                    namespace[global_name] = value
            exec(compile(source, filename, "exec"), namespace)  # your own code, in your own kernel
            fn = namespace[name]
        except Exception as err:
            self.notes.setdefault(exercise_id, f"{what} could not be rebuilt: {type(err).__name__}: {err}")
            return None
        if not self.passes(exercise_id, fn, what):
            return None
        entry.fn = _traced(entry, fn)
        return entry

    def passes(self, exercise_id: str, fn, what: str) -> bool:
        from nnlib.check import check

        result = check(exercise_id, fn, quiet=True)
        if not result:
            failure = getattr(result, "failure", None)
            if getattr(failure, "kind", "") == "not implemented":
                state = "is not written yet"
            else:
                first = str(getattr(failure, "message", "")).strip().split("\n")[0]
                state = "does not pass its check" + (f": {first[:90]}" if first else "")
            self.notes.setdefault(exercise_id, f"{what} {state}")
        return bool(result)

    def reference(self, exercise_id: str, note: str) -> Entry:
        """nnlib's reference; where it has parts and some part is yours, the reference runs on your parts."""
        entry = Entry(exercise_id, "nnlib", note=note)
        composable = _composable().get(exercise_id)
        if composable is not None:
            fn, parts = composable
            bindings = {part: self.binding(part, entry) for part in parts}
            if any(dep.owner == "yours" or dep.deps for dep in entry.deps + entry.table_deps):
                entry.fn = _traced(entry, _rebind(fn, bindings))
                return entry
            entry.deps.clear()  # nnlib's own reference calls nnlib's own parts, uncounted
            entry.table_deps.clear()
        entry.fn = _traced(entry, self.exercises[exercise_id].reference)
        return entry


def _names(ids: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return ids[0] if len(ids) == 1 else f"{', '.join(ids[:-1])} and {ids[-1]}"


def _summary(requested: list[Entry]) -> str:
    """The line your_code prints: which requested functions are yours, which functions are nnlib's."""
    reached = []
    for entry in requested:
        reached += [e for e in entry.reachable(tables=False) if e not in reached]
    yours = [f"{e.exercise_id} ({e.origin})" for e in reached if e.owner == "yours"]
    by_note: dict[str, list[str]] = {}
    for e in reached:
        if e.owner == "nnlib":
            by_note.setdefault(e.note, []).append(e.exercise_id)
    parts = []
    if yours:
        parts.append(f"Yours, checked again: {', '.join(yours)}.")
    if by_note:
        parts.append("nnlib's reference: "
                     + "; ".join(f"{_names(ids)} ({note})" for note, ids in by_note.items()) + ".")
    return " ".join(parts)


def your_code(*exercise_ids: str, here: dict | None = None, store: Path | str | None = None,
              quiet: bool = False):
    """Your functions for ``exercise_ids``, rebuilt and checked again, or nnlib's reference in their place.

    For each id, and for every exercise the chosen functions call: your function in ``here``
    (pass ``globals()`` in a notebook) if it passes its check, else your version saved in the
    learner store if it passes its check again, else nnlib's reference, running on your parts
    where it has parts. Prints one line naming which are yours and which are nnlib's reference.

    Parameters
    ----------
    exercise_ids : exercise names, e.g. "train", "sgd_step"
    here : the notebook's namespace, ``globals()``, to take this notebook's functions from
    store : the store's folder; by default the learner store of this session (:func:`store_folder`)
    quiet : do not print the line

    Returns
    -------
    the function for one id, a tuple of functions for several; each counts its calls for
    :func:`what_ran`
    """
    from nnlib.exercises import get_exercise

    if not exercise_ids:
        raise TypeError("your_code: name at least one exercise, e.g. your_code('train', here=globals())")
    for exercise_id in exercise_ids:
        get_exercise(exercise_id)  # a clear error for an unknown id
    if here is not None and not isinstance(here, dict):
        raise TypeError(f"your_code: here must be a dict such as globals(); got {type(here).__name__}")
    stack = _Stack(store_folder() if store is None else Path(store), dict(here or {}))
    requested = [stack.resolve(exercise_id) for exercise_id in exercise_ids]
    for entry in requested:
        for reached in entry.reachable():
            reached.calls = 0  # count from now on, not the calls of the checks
    if not quiet:
        print(_summary(requested))
    functions = tuple(entry.fn for entry in requested)
    return functions[0] if len(functions) == 1 else functions


def what_ran(*functions, label: str = "It") -> str:
    """One line: whose code ran in ``functions`` (from :func:`your_code`) and in all they called.

    Names every exercise function called since :func:`your_code` returned them, yours and
    nnlib's reference apart, and says plainly whether all of it was yours.
    """
    entries = []
    for fn in functions:
        entry = entry_of(fn)
        if entry is None:
            raise TypeError("what_ran: pass functions that your_code returned, e.g. what_ran(my_train)")
        entries += [e for e in entry.reachable() if e not in entries]
    ran = [e for e in entries if e.calls > 0]
    yours = [e.exercise_id for e in ran if e.owner == "yours"]
    reference = [e.exercise_id for e in ran if e.owner == "nnlib"]
    if not ran:
        return f"{label} has not run yet."
    if not reference:
        return f"{label} ran entirely on your code: {_names(yours)}."
    if not yours:
        return f"{label} ran on nnlib's reference {_names(reference)}: none of your functions was used."
    return f"{label} ran on your {_names(yours)}, and on nnlib's reference {_names(reference)}."
