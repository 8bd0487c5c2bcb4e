"""Reading submissions: which files are notebooks of which learner, and which cell answers which exercise.

Everything here reads untrusted files in the grader's own process, so it opens
regular files only (never a FIFO or a device; a symbolic link only to a file
inside the submissions folder), reads at most :data:`MAX_NOTEBOOK_BYTES`, never
writes, and turns whatever the bytes hold into a :class:`NotebookError` with a
message for the learner, never an exception that could stop the class.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import stat
import threading
import tokenize
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from nnlib.exercises import EXERCISES, QUESTIONS

MAX_NOTEBOOK_BYTES = 100 * 2**20
MAX_CELL_CHARS = 2_000_000  # an exercise cell larger than this is not run
_DEF = re.compile(r"^(?:(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(|([A-Za-z_]\w*)[ \t]*=[^=])",
                  re.MULTILINE)  # "def name(" or "name = ..." at the top level of a cell
_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


#: CPython 3.11's ast.parse keeps one recursion counter for all threads, and a parse interleaved with
#: another fails with "SystemError: AST constructor recursion depth mismatch" (see CPython gh-106905).
#: A class is graded in threads, so every parse in the grader holds this lock.
_PARSE_LOCK = threading.Lock()


def parse_python(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse``, one thread at a time (see _PARSE_LOCK)."""
    with _PARSE_LOCK:
        return ast.parse(source, filename)


class NotebookError(ValueError):
    """The file is not a notebook we can grade (the message says why, for the learner)."""


@dataclass(frozen=True)
class CodeCell:
    index: int  # position among all cells, from 0
    cell_id: str
    source: str
    tags: tuple[str, ...]

    def where(self) -> str:
        return f"cell {self.index + 1}" + (f" (id {self.cell_id})" if self.cell_id else "")


@dataclass(frozen=True)
class ExerciseCell:
    """The code graded for one exercise, and which cell it came from."""

    exercise_id: str
    cell: CodeCell
    by_id: bool  # it is the exercise cell itself (cell id exercise-<id>)

    @property
    def where(self) -> str:
        return "the exercise cell" if self.by_id else f"{self.cell.where()}, not the exercise cell"


@dataclass(frozen=True)
class NotebookFile:
    """A submission's cells, what the grader should know about the file, and its digest."""

    cells: list[CodeCell]
    notes: list[str]
    digest: str
    link_target: str = ""  # where the submission points, if it is a symbolic link


# --------------------------------------------------------------------------- reading one file


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def read_bytes(path: str | os.PathLike, root: str | os.PathLike | None = None) -> tuple[bytes, str]:
    """The bytes of a submission file and, if it is a symbolic link, its target.

    Refuses (NotebookError) anything but a regular file, a file larger than
    MAX_NOTEBOOK_BYTES, and a link (or a path through a link) that leads outside
    ``root`` (default: the file's own folder).
    """
    path = os.path.abspath(path)
    root = os.path.realpath(root if root is not None else os.path.dirname(path))
    try:
        is_link = stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError as err:
        raise NotebookError(f"cannot read the file: {err.strerror or err}") from None
    real = os.path.realpath(path)
    if not _inside(real, root):
        what = "a symbolic link" if is_link else "reached through a symbolic link"
        raise NotebookError(f"the file is {what} to a place outside the submissions folder: not graded")
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as err:
        raise NotebookError(f"cannot read the file: {err.strerror or err}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise NotebookError(f"the file is {kind}, not a notebook file: not graded")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(f"the file is {info.st_size / 2**20:.0f} MB, more than the "
                                f"{MAX_NOTEBOOK_BYTES // 2**20} MB a notebook may have")
        chunks, left = [], MAX_NOTEBOOK_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as err:
        raise NotebookError(f"cannot read the file: {err.strerror or err}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"the file is more than the {MAX_NOTEBOOK_BYTES // 2**20} MB a notebook may have")
    return data, real if is_link else ""


def read_notebook(path: str | os.PathLike, root: str | os.PathLike | None = None) -> NotebookFile:
    """The code cells of a notebook file, notes about oddities that did not stop grading, its digest.

    Raises NotebookError for a file that cannot be read (see :func:`read_bytes`), is
    empty, is not valid JSON, or is not an nbformat-4 notebook.
    """
    data, target = read_bytes(path, root)
    notes = [f"this submission is a symbolic link to {target}"] if target else []
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise NotebookError("the file is empty (was the notebook saved?)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        text = data.decode("utf-8-sig", errors="replace")
        notes.append(f"the file is not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}); "
                     "undecodable bytes were replaced by U+FFFD")
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookError(f"the file is not a valid notebook: invalid JSON at line {err.lineno}, "
                            f"column {err.colno} ({err.msg})") from None
    except RecursionError:
        raise NotebookError("the file is not a valid notebook: JSON nested too deeply") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise NotebookError(f"the file is not a valid notebook: {str(err)[:200]}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        if isinstance(nb, dict) and "worksheets" in nb:
            raise NotebookError("the notebook is in the old nbformat 3: open and save it in Jupyter first")
        raise NotebookError("the file is JSON but not a Jupyter notebook (no list of cells)")
    return NotebookFile(list(_code_cells(nb["cells"])), notes, digest, target)


def _code_cells(cells: list) -> Iterator[CodeCell]:
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        tags = metadata.get("tags") if isinstance(metadata.get("tags"), list) else []
        nbgrader = metadata.get("nbgrader") if isinstance(metadata.get("nbgrader"), dict) else {}
        grade_id = nbgrader.get("grade_id")
        tags = tuple(t for t in tags if isinstance(t, str))
        tags += (grade_id,) if isinstance(grade_id, str) else ()
        cell_id = cell.get("id") if isinstance(cell.get("id"), str) else ""
        yield CodeCell(index, cell_id, source.replace("\r\n", "\n"), tags)


# --------------------------------------------------------------------------- which cell is which exercise


def _labels(cell: CodeCell) -> set[str]:
    """Exercise ids a cell is labelled with: by its id ``exercise-<id>``, a tag, or nbgrader grade_id."""
    labels = set()
    for label in (cell.cell_id, *cell.tags):
        name = label.removeprefix("exercise-")
        if name in EXERCISES and (label != name or label in cell.tags):
            labels.add(name)
    return labels


def _defined(cell: CodeCell, assigned: bool = False) -> set[str]:
    """Names the cell defines with ``def`` at its top level (and with ``name = ...`` if ``assigned``)."""
    return {d or (a if assigned else "") for d, a in _DEF.findall(cell.source)} - {""}


def untouched_stub(exercise_id: str, source: str) -> bool:
    """True if the cell only defines the function and its body only raises the lesson's NotImplementedError.

    Decided on the syntax tree, so a stub's ``raise`` line left as a comment under a
    written body does not count. Running such a cell can only give "not implemented
    yet" (nothing else runs: no decorators, no default values or annotations to
    evaluate), so the grader says so without starting a process.
    """
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return False
    fn = tree.body[0]
    args = fn.args
    every_arg = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    if (fn.name != exercise_id or fn.decorator_list or fn.returns is not None
            or any(a is not None and a.annotation is not None for a in every_arg)
            or not all(isinstance(d, ast.Constant) for d in [*args.defaults, *args.kw_defaults]
                       if d is not None)):
        return False
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].cause is not None:
        return False
    exc = body[0].exc
    return (isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name)
            and exc.func.id == "NotImplementedError" and not exc.keywords and len(exc.args) == 1
            and isinstance(exc.args[0], ast.Constant) and isinstance(exc.args[0].value, str)
            and exc.args[0].value.startswith(f"Exercise {exercise_id}:"))


def find_exercise_cell(cells: list[CodeCell], exercise_id: str) -> ExerciseCell | None:
    """The cell to grade for ``exercise_id``, or None if no cell defines the function.

    Preference: the exercise cell (id ``exercise-<id>``, or a tag or nbgrader
    grade_id naming the exercise) if it defines the function (``def``, or
    ``name = ...`` such as a lambda) and is not the untouched stub
    (:func:`untouched_stub`); else the last other cell with ``def <id>(`` that is
    not the untouched stub; else the stub itself (graded as "not implemented").
    """
    labelled = [c for c in cells if exercise_id in _labels(c) and exercise_id in _defined(c, assigned=True)]
    others = [c for c in cells if exercise_id in _defined(c) and c not in labelled]
    for group, by_id in ((labelled, True), (others, False)):
        for cell in reversed(group):
            if not untouched_stub(exercise_id, cell.source):
                return ExerciseCell(exercise_id, cell, by_id)
    if labelled:
        return ExerciseCell(exercise_id, labelled[-1], True)
    if others:
        return ExerciseCell(exercise_id, others[-1], False)
    return None


def infer_lesson(cells: list[CodeCell]) -> tuple[str | None, dict[str, set[str]]]:
    """The lesson whose exercise cells the notebook holds, and the exercise ids seen per lesson.

    Labelled exercise cells (cell id ``exercise-<id>``) decide; without any, labelled
    concept-question cells (``question-<id>``) do, then functions named like an exercise
    (lesson 00 defines ``dense_preactivation`` as a demo: its question cell says it is 00).
    Ties go to the earlier lesson.
    """
    labelled = {i for c in cells for i in _labels(c)}
    questions = {QUESTIONS[q].lesson for c in cells
                 if (q := c.cell_id.removeprefix("question-")) != c.cell_id and q in QUESTIONS}
    ids = labelled or (set() if questions else {i for c in cells for i in _defined(c) if i in EXERCISES})
    per_lesson: dict[str, set[str]] = {}
    for i in ids:
        per_lesson.setdefault(EXERCISES[i].lesson, set()).add(i)
    if not ids:
        return (min(questions) if questions else None), per_lesson
    votes = Counter(EXERCISES[i].lesson for i in ids)
    best = max(votes.values())
    return min(lesson for lesson, n in votes.items() if n == best), per_lesson


def drop_magics(source: str) -> str:
    """Blank IPython magics and shell lines (``%time``, ``!ls``), keeping line numbers."""
    lines = source.split("\n")
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines[i] = line[: len(line) - len(stripped)] + "pass"
    return "\n".join(lines)


def runnable_source(source: str) -> str:
    """The cell's code as it will run: itself, or without its magics if only they keep it from parsing."""
    for text in (source, drop_magics(source)):
        try:
            parse_python(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        return text
    return source  # the sandbox reports the syntax error


def _names(source: str) -> list[tokenize.TokenInfo]:
    """The NAME tokens of a cell's code (not comments or strings), magics blanked if needed."""
    for text in (source, drop_magics(source)):
        try:
            tokens = tokenize.generate_tokens(io.StringIO(text).readline)
            return [t for t in tokens if t.type == tokenize.NAME]
        except (tokenize.TokenError, SyntaxError, IndentationError, RecursionError):
            continue
    return []


def uses_nnlib(source: str) -> str | None:
    """The first line of code that names ``nnlib`` (comments and strings do not count), or None."""
    for tok in _names(source):
        if tok.string == "nnlib":
            return f"line {tok.start[0]}: {tok.line.strip()}"
    return None


#: Names an exercise (a numpy function) has no need for; their use is flagged for a human to review.
REVIEW_NAMES = frozenset({
    "__import__", "__builtins__", "__globals__", "__subclasses__", "__code__", "builtins", "ctypes", "exec",
    "eval", "compile", "gc", "importlib", "inspect", "os", "signal", "subprocess", "sys", "multiprocessing",
    "resource", "open", "threading", "globals", "setattr", "socket", "posix",
})


def review_flags(source: str) -> list[str]:
    """Names in a cell's code that a plain numpy exercise does not need (sorted), e.g. ["gc", "sys"]."""
    return sorted({t.string for t in _names(source) if t.string in REVIEW_NAMES})


# --------------------------------------------------------------------------- finding the submissions


class Submission(NamedTuple):
    """One learner's notebook (or why there is none), and the folder its links must stay in."""

    learner: str
    path: Path
    problem: str
    root: Path


def _notebooks(folder: Path) -> list[Path]:
    """Every ``.ipynb`` under ``folder``, sorted; hidden names skipped, linked folders not followed."""
    found = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            found += _notebooks(Path(entry.path))
        elif entry.name.endswith(".ipynb"):
            found.append(Path(entry.path))  # a link, a FIFO...: refused when it is read
    return found


def find_submissions(paths: Iterable[str | os.PathLike]) -> list[Submission]:
    """The submissions under ``paths``, in order.

    A notebook file is one submission (the learner is its file name). A folder
    holds one notebook per learner, or one folder per learner: the learner is
    the folder's name (with the notebook's path inside it if the folder holds
    several), and a learner folder without a notebook is a submission with a
    problem. nbgrader's layout, ``submitted/<student>/<assignment>/<notebook>``,
    names learners by student folder, given the course folder, ``submitted/`` or
    one ``submitted/<student>/``. Hidden names (``.ipynb_checkpoints``) are skipped
    and linked folders are not followed.
    """
    found: list[Submission] = []
    for p in paths:
        path = Path(p)
        if os.path.isdir(path):  # a folder the operator names may be a link; links inside it are not followed
            found += _folder_submissions(path)
        elif os.path.lexists(path):
            found.append(Submission(path.stem, path, "", path.parent))
        else:
            found.append(Submission(path.stem if path.suffix == ".ipynb" else path.name or str(path), path,
                                    "no such file or folder", path.parent))
    names = Counter(s.learner for s in found)  # the same name from two PATHs: say which
    return [s._replace(learner=f"{s.path.parent.name}/{s.learner}")
            if names[s.learner] > 1 and s.path.parent.name else s for s in found]


def _folder_submissions(path: Path) -> list[Submission]:
    if (path / "submitted").is_dir() and not (path / "submitted").is_symlink():
        path = path / "submitted"  # an nbgrader course folder: only the submissions are graded
    notebooks = _notebooks(path)
    if path.parent.name == "submitted" and notebooks:  # one nbgrader student
        single = len(notebooks) == 1
        return [Submission(path.name if single else f"{path.name}/{nb.relative_to(path).with_suffix('')}",
                           nb, "", path) for nb in notebooks]
    if not notebooks:
        return [Submission(path.name, path, "no notebook (.ipynb) in this folder", path)]
    per_learner = Counter(nb.relative_to(path).parts[0] for nb in notebooks if nb.parent != path)
    result = []
    for nb in notebooks:
        rel = nb.relative_to(path)
        if nb.parent == path:
            learner = rel.stem
        elif per_learner[rel.parts[0]] == 1:
            learner = rel.parts[0]
        else:
            learner = str(rel.with_suffix(""))
        result.append(Submission(learner, nb, "", path))
    if per_learner:
        folders = sorted(e.name for e in os.scandir(path) if not e.name.startswith(".")
                         and e.is_dir(follow_symlinks=False))
        result += [Submission(name, path / name, "no notebook (.ipynb) in this folder", path)
                   for name in folders if name not in per_learner]
    return result
