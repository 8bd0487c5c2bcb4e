"""What an exercise's sandbox may use from nnlib: the source of its prerequisites, and nothing more.

An exercise's ``prerequisites`` are nnlib names (``sigmoid``, ``Dense``,
``ACTIVATIONS``, ``loss_and_gradients``...) that the learner's function may
call. The sandbox never imports nnlib, so they are shipped as source:
:func:`environment` takes, from nnlib's own modules, the top-level statements
that define each name, then (transitively) every top-level name those
statements use (helpers such as ``as_float_array``, ``get_activation``), and
nothing else. The result is one *slice* per module involved, in the order the
slices must run, e.g. ``nnlib._validate`` (two helpers), ``nnlib.activations``
(``sigmoid`` and what it needs). Inside the sandbox each slice runs as a
fresh module; an ``from nnlib.x import a as b`` becomes ``b = _import_prerequisite("nnlib.x", "a")``,
which reads the slice of ``nnlib.x``.

The graded exercise's own reference is never shipped to its process: if a
prerequisite's closure reaches it (or its private twin ``_<id>`` in the same
module, the unchecked core that nnlib's public functions call), its body is
replaced by a ``raise RuntimeError``. Exercises whose closures contain each
other's references are graded in separate sandboxes (:func:`conflicts`).

Imports other than nnlib's own must be numpy or the standard library
(matplotlib, IPython and the like are refused with :class:`PrerequisiteError`,
a registry bug that the grader reports as its own error).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from nnlib.grading.notebook import parse_python

#: The call that replaces ``from nnlib.x import a`` in a slice (see the module docstring).
IMPORT_FUNCTION = "_import_prerequisite"
NOT_AVAILABLE = "is not available to exercise code while it is graded"
_ALLOWED_ROOTS = frozenset(sys.stdlib_module_names) | {"numpy", "__future__"}


class PrerequisiteError(RuntimeError):
    """A prerequisite cannot be shipped to the sandbox (a registry or library bug, not the learner's)."""


@dataclass(frozen=True)
class Environment:
    """The slices shipped for one exercise, and where each name of its environment lives.

    ``modules``: ``(module name, source)`` in the order they must run; ``names``:
    environment name -> ``(module name, attribute)``; ``defined``: every
    ``(module, qualname)`` a slice defines, for :func:`conflicts`.
    """

    modules: tuple[tuple[str, str], ...]
    names: dict[str, tuple[str, str]]
    defined: frozenset[tuple[str, str]] = field(default=frozenset())


# --------------------------------------------------------------------------- reading nnlib's modules


@dataclass
class _Entry:
    """One top-level binding unit of a module: a statement, or one name of an import."""

    node: ast.stmt
    binds: set[str]
    uses: set[str]
    nnlib_imports: list[tuple[str, str]]  # (module, name) it imports from nnlib, at any depth
    order: int


@dataclass
class _Module:
    name: str
    entries: list[_Entry]
    binds: dict[str, list[int]]  # name -> entries that bind or change it
    future: ast.stmt | None


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.rsplit(".", node.level)[0]
    return f"{package}.{node.module}" if node.module else package


def _nnlib_imports(module: str, tree: ast.AST) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _is_nnlib(_absolute(module, node)):
            found += [(_absolute(module, node), alias.name) for alias in node.names]
        elif isinstance(node, ast.Import) and any(_is_nnlib(a.name) for a in node.names):
            raise PrerequisiteError(f"{module}: `import {node.names[0].name}` cannot be shipped; "
                                    "use `from nnlib.x import name`")
    return found


def _is_nnlib(module: str) -> bool:
    return module == "nnlib" or module.startswith("nnlib.")


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _changed_names(node: ast.stmt) -> set[str]:
    """Names a statement changes without binding them: ``X[k] = v``, ``X.a = v``, ``X.update(...)``."""
    targets = []
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        targets = [node.value.func]
    changed = set()
    for target in targets:
        while isinstance(target, ast.Subscript | ast.Attribute):
            target = target.value
            if isinstance(target, ast.Name):
                changed.add(target.id)
    return changed


def _bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Store)}
    if isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} | {
            n.name for n in ast.walk(node) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    return set()


@functools.cache
def _read_module(name: str) -> _Module:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise PrerequisiteError(f"cannot find the source of {name}")
    with open(spec.origin, encoding="utf-8") as f:
        tree = parse_python(f.read(), spec.origin)
    entries: list[_Entry] = []
    future = None
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the module docstring
    for order, node in enumerate(body):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future = node
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:  # one entry per imported name: only the needed ones are shipped
                one = (ast.ImportFrom(module=node.module, names=[alias], level=node.level)
                       if isinstance(node, ast.ImportFrom) else ast.Import(names=[alias]))
                bound = (alias.asname or alias.name).split(".")[0]
                entries.append(_Entry(ast.copy_location(one, node), {bound}, set(),
                                      _nnlib_imports(name, one), order))
            continue
        entries.append(_Entry(node, _bound_names(node), _names_used(node), _nnlib_imports(name, node), order))
    binds: dict[str, list[int]] = {}
    for k, entry in enumerate(entries):
        for bound in entry.binds | _changed_names(entry.node):
            binds.setdefault(bound, []).append(k)
    return _Module(name, entries, binds, future)


def _defining_place(module: str, name: str) -> tuple[str, str]:
    """Follow ``from nnlib.x import name`` re-exports to the module that defines ``name``."""
    for _ in range(20):
        info = _read_module(module)
        hits = info.binds.get(name)
        if not hits:
            raise PrerequisiteError(f"{module} has no top-level name {name!r}")
        node = info.entries[hits[0]].node
        if not (isinstance(node, ast.ImportFrom) and _is_nnlib(_absolute(module, node))):
            return module, name
        module, name = _absolute(module, node), node.names[0].name
    raise PrerequisiteError(f"{name!r} is re-exported in a loop")


# --------------------------------------------------------------------------- the closure


class _Rewrite(ast.NodeTransformer):
    """nnlib imports become calls of IMPORT_FUNCTION; the excluded functions raise."""

    def __init__(self, module: str, excluded: set[tuple[str, str]]):
        self.module, self.excluded, self.path = module, excluded, []

    def visit_ImportFrom(self, node):
        source = _absolute(self.module, node)
        if not _is_nnlib(source):
            return node
        return [ast.copy_location(ast.Assign(
            targets=[ast.Name(alias.asname or alias.name, ast.Store())],
            value=ast.Call(ast.Name(IMPORT_FUNCTION, ast.Load()),
                           [ast.Constant(source), ast.Constant(alias.name)], [])), node)
            for alias in node.names]

    def _scope(self, node):
        self.path.append(node.name)
        qualname = ".".join(self.path)
        try:
            is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_function and (self.module, qualname) in self.excluded:
                message = f"nnlib's reference {qualname} {NOT_AVAILABLE}"
                node.body = [ast.Raise(ast.Call(ast.Name("RuntimeError", ast.Load()),
                                                [ast.Constant(message)], []), None)]
                node.decorator_list = []
                return node
            return self.generic_visit(node)
        finally:
            self.path.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope


def reference_places(reference) -> set[tuple[str, str]]:
    """``(module, qualname)`` of a graded reference and of its private twin ``_<name>`` (if any)."""
    while hasattr(reference, "__wrapped__"):
        reference = reference.__wrapped__
    module = getattr(reference, "__module__", None)
    qualname = getattr(reference, "__qualname__", None)
    if not module or not qualname:
        return set()
    head, _, last = qualname.rpartition(".")
    twin = f"{head}._{last}" if head else f"_{last}"
    return {(module, qualname), (module, twin)}


def environment(names: Iterable[str], extra: Iterable[tuple[str, str]] = (),
                excluded: Iterable[tuple[str, str]] = ()) -> Environment:
    """The slices that define nnlib's ``names`` (and the ``(module, qualname)`` places in ``extra``,
    e.g. the NamedTuple classes a case holds), with the functions at the ``excluded`` places
    replaced by a ``raise``. Raises PrerequisiteError if something cannot be shipped."""
    names = tuple(names)
    return _environment(names, tuple(sorted(set(extra))), tuple(sorted(set(excluded))))


@functools.cache
def _environment(names: tuple[str, ...], extra: tuple[tuple[str, str], ...],
                 excluded: tuple[tuple[str, str], ...]) -> Environment:
    places = {name: _defining_place("nnlib", name) for name in names}
    wanted = list(places.values()) + [(m, q.split(".")[0]) for m, q in extra]
    chosen: dict[str, set[int]] = {}
    depends: dict[str, set[str]] = {}  # module -> modules its top level runs code from
    seen: set[tuple[str, str]] = set()
    while wanted:
        module, name = wanted.pop()
        if (module, name) in seen:
            continue
        seen.add((module, name))
        info = _read_module(module)
        if name not in info.binds:
            raise PrerequisiteError(f"{module} has no top-level name {name!r}")
        for k in info.binds[name]:
            if k in chosen.setdefault(module, set()):
                continue
            chosen[module].add(k)
            entry = info.entries[k]
            for node in ast.walk(entry.node):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    root = (_absolute(module, node) if isinstance(node, ast.ImportFrom)
                            else node.names[0].name).split(".")[0]
                    if root not in _ALLOWED_ROOTS and root != "nnlib":
                        raise PrerequisiteError(
                            f"{module}.{name} needs {root}, which the grading sandbox does not have "
                            "(prerequisites must be numpy and the standard library only)")
            wanted += [(module, used) for used in entry.uses if used in info.binds]
            for source, imported in entry.nnlib_imports:
                wanted.append((source, imported))
                if isinstance(entry.node, ast.ImportFrom):  # a top-level import runs when the slice runs
                    depends.setdefault(module, set()).add(source)
    excluded_set = set(excluded)
    modules = []
    for module in _run_order(chosen, depends):
        info = _read_module(module)
        body = [info.entries[k] for k in sorted(chosen[module])]
        rewrite = _Rewrite(module, excluded_set)
        statements = []
        for entry in sorted(body, key=lambda e: e.order):
            node = rewrite.visit(parse_python(ast.unparse(entry.node)).body[0])
            statements += node if isinstance(node, list) else [node]
        tree = ast.Module(([info.future] if info.future else []) + statements, [])
        modules.append((module, ast.unparse(ast.fix_missing_locations(tree)) + "\n"))
    defined = {(m, q) for m, source in modules for q in _qualnames(parse_python(source))}
    return Environment(tuple(modules), places, frozenset(defined))


def _qualnames(tree: ast.Module) -> set[str]:
    found = set()

    def walk(nodes, prefix):
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.add(prefix + node.name)
                walk(node.body, f"{prefix}{node.name}.")

    walk(tree.body, "")
    return found


def _run_order(chosen: dict[str, set[int]], depends: dict[str, set[str]]) -> list[str]:
    """Modules so that each runs after those its top level imports from (depth-first)."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(module):
        if state.get(module) == "done":
            return
        if state.get(module) == "active":
            raise PrerequisiteError(f"the prerequisites' modules import each other in a loop at {module}")
        state[module] = "active"
        for source in sorted(depends.get(module, ())):
            if source in chosen:
                visit(source)
        state[module] = "done"
        order.append(module)

    for module in sorted(chosen):
        visit(module)
    return order


def conflicts(graded: set[tuple[str, str]], env: Environment) -> bool:
    """True if ``env`` ships a function at one of the ``graded`` places (another exercise's reference)."""
    return bool(graded & env.defined)
