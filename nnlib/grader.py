"""``nnlib grade``: grade learners' notebooks out of process, never trusting their code.

For each notebook the grader

1. reads it as plain JSON (never writes it), finds the lesson from its exercise
   cells (or ``--lesson``), and extracts each exercise's cell: the cell with id
   ``exercise-<id>``; if that cell is gone, was re-created, or still holds the
   untouched ``raise NotImplementedError`` stub while another cell defines the
   function, the last cell that defines ``def <id>(...)``;
2. refuses a cell that uses ``nnlib`` (policy: exercise code must compute its
   result itself; calling the reference is not an answer), grades an untouched
   stub as "not implemented" without running it, and runs the other exercises
   in the sandbox (``nnlib.grade_worker``): one fresh interpreter per notebook
   (isolated mode, new session, minimal environment) that prepares the cases
   and never runs learner code, and forks one process per exercise, which
   moves to a session and an empty folder of its own and locks itself down
   (limits on CPU time, memory, file size and processes, output capped, the
   graded reference disabled, ``import nnlib`` refused) before running the cell;
3. kills each exercise's whole process group when it ends or when its
   wall-clock time is up, then every process that still carries the run's
   token in its environment (one that left its group);
4. reads back only plain numeric arrays (validated: no pickle, numeric dtypes,
   sizes checked against the file before anything is allocated) and judges
   every case here, in the trusted process, with the same code and the same
   feedback text as ``check()`` (:func:`nnlib.check.judge_case`,
   :func:`nnlib.check.format_result`) on the hidden cases: another seed than
   ``check()`` plus each exercise's grader-only edge cases.

Use :func:`grade_paths` (what the command runs) or :func:`grade_notebook` from
Python; :func:`format_report` and :func:`report_json` render the result.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import json
import math
import os
import re
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnlib.check import CaseFailure, CheckResult, Evidence, format_result, judge_case, tally
from nnlib.exercises import CHECK_SEED, EXERCISES, QUESTIONS, Case, Exercise
from nnlib.grade_worker import SETUP_FAILED, _drop_magics, array_leaves, case_fingerprint
from nnlib.judge import MAX_OUTPUT_ELEMENTS, flatten_output

#: Seed of the hidden cases (``check()`` uses CHECK_SEED). Pass your own with ``--seed``.
HIDDEN_SEED = 31_415_926
DEFAULT_TIMEOUT = 10.0  # seconds of wall-clock time per exercise (also its CPU-time limit)
DEFAULT_MEMORY_MB = 1536  # address-space limit per exercise process
OUTPUT_CHARS = 64_000  # learner stdout/stderr kept per stream
FILE_BYTES = 64 * 2**20  # largest file an exercise process may write (RLIMIT_FSIZE)
MAX_NOTEBOOK_BYTES = 100 * 2**20
MAX_STATUS_BYTES = 2**20
MAX_MESSAGE_CHARS = 2000

_KINDS = frozenset({"not implemented", "raised", "output", "mutated"})
_DEF = re.compile(r"^(?:(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(|([A-Za-z_]\w*)[ \t]*=[^=])",
                  re.MULTILINE)  # "def name(" or "name = ..." at the top level of a cell
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BOOT = ("import sys; sys.path[:0] = {paths!r}; "
         "from nnlib.grade_worker import main; main(sys.argv[1])")


# --------------------------------------------------------------------------- results


@dataclass
class ExerciseGrade:
    """The grade of one exercise in one notebook.

    ``status`` is "passed", "failed", "not implemented", "missing" (no cell
    defines the function), "forbidden" (the cell uses nnlib) or "error" (the
    grader itself failed: not the learner's doing; see ``feedback``).
    """

    exercise_id: str
    score: float
    max_score: float
    status: str
    feedback: str  # the text check() prints, plus "grader:" lines where the grader saw more
    passed: int = 0
    total: int = 0
    cell: str = ""  # which cell was graded
    seconds: float = 0.0
    log: str = ""  # the start of the process's stdout/stderr (learner prints), for the operator
    review: list[str] = field(default_factory=list)  # unusual names the cell uses (see REVIEW_NAMES)


@dataclass
class SubmissionGrade:
    """The grade of one notebook."""

    learner: str
    path: str
    lesson: str | None
    exercises: list[ExerciseGrade] = field(default_factory=list)
    message: str = ""  # why the notebook could not be graded (then every exercise scores 0)
    notes: list[str] = field(default_factory=list)  # things the operator should know
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)


@dataclass
class ClassReport:
    """Every submission's grade and the settings they were graded with."""

    submissions: list[SubmissionGrade]
    lesson: str | None
    seed: int
    timeout: float
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(s.score for s in self.submissions)

    @property
    def max_score(self) -> float:
        return sum(s.max_score for s in self.submissions)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one exercise process."""

    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    output_chars: int = OUTPUT_CHARS
    file_bytes: int = FILE_BYTES


# --------------------------------------------------------------------------- reading notebooks


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


class NotebookError(ValueError):
    """The file is not a notebook we can grade (the message says why, for the learner)."""


def read_notebook(path: str | os.PathLike) -> tuple[list[CodeCell], list[str]]:
    """The code cells of a notebook file, and notes about oddities that did not stop grading.

    Reads the bytes and never writes. Raises NotebookError for an empty file,
    invalid JSON or something that is not an nbformat-4 notebook.
    """
    path = Path(path)
    notes: list[str] = []
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(f"the file is {size / 2**20:.0f} MB, more than the "
                                f"{MAX_NOTEBOOK_BYTES // 2**20} MB a notebook may have")
        data = path.read_bytes()
    except OSError as err:
        raise NotebookError(f"cannot read the file: {err.strerror or err}") from None
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
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        if isinstance(nb, dict) and "worksheets" in nb:
            raise NotebookError("the notebook is in the old nbformat 3: open and save it in Jupyter first")
        raise NotebookError("the file is JSON but not a Jupyter notebook (no list of cells)")
    cells = []
    for index, cell in enumerate(nb["cells"]):
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
        tags = tuple(str(t) for t in tags) + ((str(grade_id),) if grade_id else ())
        cell_id = cell.get("id") if isinstance(cell.get("id"), str) else ""
        cells.append(CodeCell(index, cell_id, source.replace("\r\n", "\n"), tags))
    return cells, notes


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


def _is_stub(exercise_id: str, source: str) -> bool:
    return re.search(rf"raise\s+NotImplementedError\(\s*[\"']Exercise {re.escape(exercise_id)}:",
                     source) is not None


def untouched_stub(exercise_id: str, source: str) -> bool:
    """True if the cell only defines the function and its body only raises the lesson's NotImplementedError.

    Running such a cell can only give "not implemented yet" (nothing else runs:
    no decorators, no default values or annotations to evaluate), so the
    grader says so without starting a process.
    """
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
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
    ``name = ...`` such as a lambda) and is not the untouched stub; else the
    last other cell with ``def <id>(`` that is not a stub; else the stub itself
    (graded as "not implemented").
    """
    labelled = [c for c in cells if exercise_id in _labels(c) and exercise_id in _defined(c, assigned=True)]
    others = [c for c in cells if exercise_id in _defined(c) and c not in labelled]
    for group, by_id in ((labelled, True), (others, False)):
        for cell in reversed(group):
            if not _is_stub(exercise_id, cell.source):
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


def _names(source: str) -> list[tokenize.TokenInfo]:
    """The NAME tokens of a cell's code (not comments or strings), magics blanked if needed."""
    for text in (source, _drop_magics(source)):
        try:
            tokens = tokenize.generate_tokens(io.StringIO(text).readline)
            return [t for t in tokens if t.type == tokenize.NAME]
        except (tokenize.TokenError, SyntaxError, IndentationError):
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
    "resource", "open", "threading", "globals", "setattr",
})


def review_flags(source: str) -> list[str]:
    """Names in a cell's code that a plain numpy exercise does not need (sorted), e.g. ["gc", "sys"]."""
    return sorted({t.string for t in _names(source) if t.string in REVIEW_NAMES})


# --------------------------------------------------------------------------- the sandbox


@dataclass
class RunResult:
    """What one exercise process left behind, read as untrusted data."""

    events: list[dict]
    arrays: dict[int, dict[str, np.ndarray]]
    bad_arrays: dict[int, str]
    returncode: int | None
    timed_out: bool
    seconds: float
    log: str
    aborted: bool = False  # the grading process stopped before this exercise's process was done


@functools.lru_cache(maxsize=1)
def _child_paths() -> list[str]:
    """sys.path for the child: nnlib's folder first, then the parent's existing folders."""
    import nnlib

    paths = [str(Path(nnlib.__file__).resolve().parent.parent)]
    cwd = os.getcwd()
    for p in sys.path:
        if p and p != cwd and os.path.isdir(p) and os.path.abspath(p) not in paths:
            paths.append(os.path.abspath(p))
    return paths


def _read_capped(path: str, cap: int) -> bytes | None:
    """At most ``cap`` bytes of a regular file, without following links or blocking on FIFOs."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, left = [], cap
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _load_arrays(path: str, n_keys: int) -> dict[int, np.ndarray]:
    """Arrays ``a0 .. a{n-1}`` of an npz written by the child, validated before any allocation.

    ``np.load`` would trust each .npy header's shape and allocate it before
    reading, and would accept compressed members; here each member must be
    stored uncompressed, hold a plain numeric dtype, and be exactly as long as
    its header says.
    """
    cap_bytes = MAX_OUTPUT_ELEMENTS * 16 + 65536 * max(1, n_keys)
    data = _read_capped(path, cap_bytes + 1)
    if data is None:
        raise ValueError("the result file is missing")
    if len(data) > cap_bytes:
        raise ValueError("the result file is too large")
    arrays, elements = {}, 0
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = {info.filename: info for info in zf.infolist()}
        for k in range(n_keys):
            info = infos.get(f"a{k}.npy")
            if info is None:
                raise ValueError(f"part {k} is missing from the result file")
            if info.compress_type != zipfile.ZIP_STORED or info.file_size > len(data):
                raise ValueError("the result file is not a plain npz")
            raw = zf.read(info)
            f = io.BytesIO(raw)
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy version {version}")
            if (dtype.kind not in "fiub" or dtype.hasobject or dtype.fields is not None
                    or dtype.subdtype is not None or dtype.itemsize > 16):
                raise ValueError(f"part {k} has dtype {dtype}, not a plain numeric dtype")
            if len(shape) > 32 or any(not isinstance(n, int) or n < 0 for n in shape):
                raise ValueError(f"part {k} has an invalid shape {shape}")
            count = math.prod(shape)
            elements += count
            if elements > MAX_OUTPUT_ELEMENTS:
                raise ValueError(f"more than {MAX_OUTPUT_ELEMENTS:,} numbers were returned")
            body = raw[f.tell():]
            if len(body) != count * dtype.itemsize:
                raise ValueError(f"part {k} is truncated")
            array = np.frombuffer(body, dtype=dtype, count=count)
            array = array.reshape(shape, order="F" if fortran else "C")
            arrays[k] = np.array(array, dtype=dtype.newbyteorder("="), order="C")
    return arrays


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _wait_unreaped(proc: subprocess.Popen, timeout: float) -> bool:
    """Wait until the child ends, WITHOUT reaping it (so its process group id stays ours to kill).

    Returns False on timeout.
    """
    deadline = time.monotonic() + timeout
    pidfd = None
    with contextlib.suppress(OSError, AttributeError):
        pidfd = os.pidfd_open(proc.pid)
    try:
        while True:
            left = deadline - time.monotonic()
            if pidfd is not None:
                if left <= 0:
                    return False
                ready, _, _ = select.select([pidfd], [], [], left)
                if ready:
                    return True
                continue
            try:
                info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            except ChildProcessError:
                return True
            if info is not None:
                return True
            if left <= 0:
                return False
            time.sleep(min(0.005, left))
    finally:
        if pidfd is not None:
            os.close(pidfd)


def sweep(token: str) -> int:
    """Kill every process whose environment holds ``token`` (those that left their process group).

    Repeats until a pass finds none, so that a process forking while it is hunted is caught too.
    """
    killed = 0
    for _ in range(50):
        found = _sweep_once(f"NNLIB_GRADE_TOKEN={token}".encode())
        killed += found
        if not found:
            break
    return killed


def _sweep_once(needle: bytes) -> int:
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    me, killed = os.getpid(), 0
    for pid in pids:
        if pid == me:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read(1 << 20)  # empty for a zombie: it is not counted again
        except OSError:
            continue
        if needle in env:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
    return killed


def run_notebook(items: list[tuple[str, str]], *, seed: int = HIDDEN_SEED, limits: Limits = Limits(),
                 token: str | None = None, slots: int | None = None) -> list[RunResult]:
    """Run exercise cells ``[(exercise_id, source), ...]`` in the sandbox; what each left behind.

    One fresh interpreter (``nnlib.grade_worker``) prepares the cases and forks
    one locked-down process per exercise, ``slots`` at a time (default: one per
    CPU). Every process that carries ``token`` in its environment (default: a
    fresh one) is killed before this returns.
    """
    exercises = [EXERCISES[exercise_id] for exercise_id, _ in items]
    token = token or secrets.token_hex(16)
    slots = max(1, slots or os.cpu_count() or 1)
    tmp = tempfile.mkdtemp(prefix="nnlib-grade-")
    try:
        home = os.path.join(tmp, "home")
        os.mkdir(home)
        job = {
            "seed": int(seed), "timeout": float(limits.timeout), "slots": slots,
            "cpu_seconds": math.ceil(limits.timeout) + 1,
            "memory_bytes": int(limits.memory_mb) * 2**20,
            "file_bytes": int(limits.file_bytes), "output_chars": int(limits.output_chars),
            "exercises": [],
        }
        for k, (ex, (_, source)) in enumerate(zip(exercises, items, strict=True)):
            folder = os.path.join(tmp, f"ex{k}")
            os.makedirs(os.path.join(folder, "out"))
            os.mkdir(os.path.join(folder, "work"))
            with open(os.path.join(folder, "args.npz"), "wb") as f:
                f.write(_EXPECTED.args_npz(ex, seed))
            job["exercises"].append({"id": ex.id, "source": source, "dir": f"ex{k}"})
        with open(os.path.join(tmp, "job.json"), "w", encoding="utf-8") as f:
            json.dump(job, f)
        env = {
            "PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg", "NNLIB_GRADE_TOKEN": token,
        }
        argv = [sys.executable, "-I", "-B", "-S", "-c", _BOOT.format(paths=_child_paths()), tmp]
        # Startup, then the exercises in rounds of `slots`, each within its time limit.
        deadline = 10 + math.ceil(len(items) / slots) * (limits.timeout + 1)
        with open(os.path.join(tmp, "stdout"), "wb") as out, open(os.path.join(tmp, "stderr"), "wb") as err:
            proc = subprocess.Popen(argv, cwd=home, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err, start_new_session=True, close_fds=True)
        try:
            _wait_unreaped(proc, deadline)
        finally:
            _kill_group(proc.pid)
            proc.wait()
            sweep(token)  # exercise processes live in sessions of their own: end them all first
        return _collect_all(tmp, len(items), proc.returncode)
    finally:
        _remove_tree(tmp)


def run_exercise(exercise_id: str, source: str, *, seed: int = HIDDEN_SEED, limits: Limits = Limits(),
                 token: str | None = None) -> RunResult:
    """Run one exercise cell in the sandbox (see :func:`run_notebook`)."""
    return run_notebook([(exercise_id, source)], seed=seed, limits=limits, token=token)[0]


def _collect_all(tmp: str, n: int, worker_returncode: int | None) -> list[RunResult]:
    """Each exercise's RunResult, with the exit status the worker recorded for its process."""
    records: dict[str, dict] = {}
    raw = _read_capped(os.path.join(tmp, "stdout"), MAX_STATUS_BYTES) or b""
    for line in raw.split(b"\n"):
        with contextlib.suppress(ValueError, RecursionError):
            record = json.loads(line)
            if isinstance(record, dict) and isinstance(record.get("ended"), str):
                records[record["ended"]] = record  # the last one: written after the process was killed
    worker_log = _clean((_read_capped(os.path.join(tmp, "stderr"), 4000) or b"").decode("utf-8", "replace"),
                        1000).strip()
    results = []
    for k in range(n):
        record = records.get(f"ex{k}")
        if record is None:
            run = _collect(os.path.join(tmp, f"ex{k}"), False, worker_returncode, 0.0)
            run.aborted = True
            if worker_log:
                run.log += f"[grading process]\n{worker_log}\n"
        else:
            code = record.get("returncode")
            seconds = record.get("seconds")
            run = _collect(os.path.join(tmp, f"ex{k}"), record.get("timed_out") is True,
                           code if isinstance(code, int) else None,
                           float(seconds) if isinstance(seconds, int | float) else 0.0)
        results.append(run)
    return results


def _remove_tree(path: str) -> None:
    def retry(func, p, _exc):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)

    shutil.rmtree(path, onerror=retry)


def _collect(tmp: str, timed_out: bool, returncode: int | None, seconds: float) -> RunResult:
    raw = _read_capped(os.path.join(tmp, "out", "status.jsonl"), MAX_STATUS_BYTES) or b""
    events = []
    for line in raw.split(b"\n"):
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(event, dict) and isinstance(event.get("event"), str):
            events.append(event)
    arrays, bad = {}, {}
    seen = set()
    for event in events:
        i = event.get("i")
        if event["event"] != "result" or not isinstance(i, int) or i in seen:
            continue
        seen.add(i)
        keys = event.get("keys")
        if event.get("kind") != "ok":
            continue
        if (not isinstance(keys, list) or len(keys) > 100_000 or len(set(keys)) != len(keys)
                or not all(isinstance(k, str) and len(k) <= 300 for k in keys)):
            bad[i] = "the list of result parts is invalid"
            continue
        try:
            loaded = _load_arrays(os.path.join(tmp, "out", f"case_{i}.npz"), len(keys))
        except Exception as err:  # untrusted bytes: whatever fails to parse is rejected
            bad[i] = f"the result could not be read back ({_clean(str(err), 200)})"
            continue
        arrays[i] = {key: loaded[k] for k, key in enumerate(keys)}
    log = ""
    for name in ("stdout", "stderr"):
        text = (_read_capped(os.path.join(tmp, name), 4000) or b"").decode("utf-8", "replace").strip()
        if text:
            log += f"[{name}]\n{_clean(text, 1000)}\n"
    done = next((e for e in events if e["event"] == "done"), {})
    dropped = done.get("dropped_output")
    if isinstance(dropped, int) and dropped > 0:
        log += f"[{dropped:,} more characters of output were dropped]\n"
    return RunResult(events, arrays, bad, returncode, timed_out, seconds, log)


def _clean(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = _CONTROL.sub("?", str(text))
    return text if len(text) <= limit else text[:limit] + " [...]"


# --------------------------------------------------------------------------- judging


class GraderError(RuntimeError):
    """The grader itself failed on an exercise (not the learner's doing)."""


class _Expected:
    """The hidden cases of each exercise and the reference's outputs, computed once per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._cache: dict[tuple, tuple[list[Case], list[str], list] | GraderError] = {}
        self._args: dict[tuple, bytes] = {}  # the case arrays, as the child's args.npz
        self._pinned: list[Exercise] = []

    def args_npz(self, ex: Exercise, seed: int) -> bytes:
        self.get(ex, seed)
        return self._args[(ex.id, seed, id(ex))]

    def get(self, ex: Exercise, seed: int) -> tuple[list[Case], list[str], list]:
        """Raises GraderError if the registry cannot generate the cases for this seed."""
        key = (ex.id, seed, id(ex))  # the object too: a registry entry may be replaced (tests)
        with self._lock:
            if key not in self._cache:
                self._pinned.append(ex)  # keeps id(ex) unique while it is a key
                try:
                    cases = ex.cases(seed=seed, hidden=True)
                except Exception as err:  # a registry bug: every learner would get the same error
                    self._cache[key] = GraderError(
                        f"the registry could not generate the hidden cases of {ex.id} for seed {seed}: "
                        f"{type(err).__name__}: {err}")
                    raise self._cache[key] from None
                prints = [case_fingerprint(c) for c in cases]
                outputs = []
                for case in cases:
                    try:
                        out = ex.target(ex.reference)(*copy.deepcopy(case.args),
                                                      **copy.deepcopy(dict(case.kwargs)))
                        if ex.materialize and isinstance(out, Iterator):
                            out = list(out)
                        outputs.append(out)
                    except Exception as err:  # a registry bug: reported as a grader error
                        outputs.append(err)
                buffer = io.BytesIO()
                np.savez(buffer, **{f"c{i}_{k}": leaf for i, case in enumerate(cases)
                                    for k, leaf in enumerate(array_leaves(case))})
                self._cache[key] = (cases, prints, outputs)
                self._args[key] = buffer.getvalue()
            if isinstance(self._cache[key], GraderError):
                raise self._cache[key]
            return self._cache[key]


_EXPECTED = _Expected()


def _judge(ex: Exercise, case: Case, expected, received: dict, notes: list | None = None,
           evidence: Evidence | None = None, explain: bool = True) -> CaseFailure | None:
    """``check.judge_case`` with the reference's output for this case computed once."""
    if isinstance(expected, Exception):
        raise GraderError(f"nnlib's reference raised {type(expected).__name__}: {expected}")

    # A fresh copy of the case: a verifier may consume a generator in it, and cases are shared.
    case = Case(case.name, copy.deepcopy(case.args), copy.deepcopy(dict(case.kwargs)), case.batch_size)
    flat = None if ex.verify is not None else flatten_output(expected, materialize_iterators=ex.materialize)
    return judge_case(ex, case, received, flat, notes=notes, evidence=evidence, explain=explain)


def _evidence(ex: Exercise, cases: list[Case], outputs: list, results: dict,
              run: RunResult) -> Evidence | None:
    """The learner's outputs on every case, so that a likely cause fits all of them (as in check())."""
    if ex.verify is not None:
        return None
    return Evidence(ex, [(cases[i], flatten_output(outputs[i], materialize_iterators=ex.materialize),
                          run.arrays[i])
                         for i, report in sorted(results.items())
                         if report.get("kind") == "ok" and i in run.arrays and i < len(cases)
                         and not isinstance(outputs[i], Exception)])


def _signal_name(returncode: int | None) -> str:
    if returncode is None or returncode >= 0:
        return ""
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _why_no_result(run: RunResult, limits: Limits) -> str:
    """Why the process stopped before reporting, in the learner's terms."""
    if run.aborted:
        return ("no result: the notebook's grading process stopped before this exercise was done "
                "(stopped by exercise code of this notebook?)")
    if run.timed_out:
        return (f"no result: stopped at the time limit of {limits.timeout:g} s "
                "(an endless loop, a long sleep, or far too slow?)")
    sig = _signal_name(run.returncode)
    if sig == "SIGXCPU" or (sig == "SIGKILL" and run.seconds >= limits.timeout * 0.9):
        return f"no result: used more than the {math.ceil(limits.timeout) + 1} s of CPU time allowed"
    if sig:
        extra = " (out of memory?)" if sig in ("SIGKILL", "SIGSEGV", "SIGABRT", "SIGBUS") else ""
        return f"no result: the process was killed by {sig}{extra}"
    return (f"no result: the process ended (exit code {run.returncode}) before returning; "
            "does the code call os._exit() or exit the interpreter?")


def judge_run(ex: Exercise, seed: int, run: RunResult, limits: Limits) -> tuple[CheckResult | None, str, str]:
    """Judge what an exercise process reported, as check() would.

    Returns (result, cell_problem, grader_error): ``result`` is None when the
    function never got to run (``cell_problem`` says why), or when the grader
    itself failed (``grader_error``).
    """
    cases, prints, outputs = _EXPECTED.get(ex, seed)
    events = run.events
    ready = next((e for e in events if e["event"] == "ready"), None)
    if ready is None:
        if run.returncode == SETUP_FAILED:
            return None, "", "the grading process could not start: " + _clean(run.log, 600)
        return None, "", "the grading process ended before it was ready: " + (
            _why_no_result(run, limits) + ("\n" + _clean(run.log, 600) if run.log else ""))
    if ready.get("fingerprints") != prints:
        return None, "", ("the grading process generated other cases than the grader "
                          "(is the exercise's make_cases deterministic?)")
    kinds = [e["event"] for e in events]
    if "cell" not in kinds and run.returncode == SETUP_FAILED:
        return None, "", "the exercise process could not start: " + _clean(run.log, 600)
    cell_raised = next((e for e in events if e["event"] == "cell_raised"), None)
    if "cell_error" in kinds:
        message = next(e for e in events if e["event"] == "cell_error").get("message", "")
        return None, f"the exercise cell does not run: {_clean(message)}", ""
    if "no_function" in kinds:
        why = f"; the cell {_clean(cell_raised.get('message', ''))}" if cell_raised else ""
        return None, f"the exercise cell does not define a function {ex.id}(...){why}", ""
    if "case" not in kinds:
        return None, "the exercise cell did not finish running: " + _why_no_result(run, limits), ""

    results: dict[int, dict] = {}
    for e in events:
        if e["event"] == "result" and isinstance(e.get("i"), int) and e["i"] not in results:
            results[e["i"]] = e
    running = max((e["i"] for e in events if e["event"] == "case" and isinstance(e.get("i"), int)),
                  default=-1)
    evidence, notes, failures = _evidence(ex, cases, outputs, results, run), [], []
    for i, case in enumerate(cases):
        report = results.get(i)
        if report is None:
            if i == running or (not any(failures) and i > running):
                failure = CaseFailure(i, case, "output", _why_no_result(run, limits))
            else:
                failure = CaseFailure(i, case, "output", "no result: this case did not run")
        elif report.get("kind") == "ok":
            received = run.arrays.get(i)
            if received is None:
                failure = CaseFailure(i, case, "output", f"no result: {run.bad_arrays.get(i, 'missing')}")
            else:
                try:
                    failure = _judge(ex, case, outputs[i], received, notes, evidence, not any(failures))
                except GraderError as err:
                    return None, "", str(err)
                except Exception as err:  # a learner's output can break a verifier, as in check()
                    failure = CaseFailure(0, case, "output", f"could not be judged: {err}")
        else:
            kind = report.get("kind") if report.get("kind") in _KINDS else "output"
            failure = CaseFailure(i, case, kind, _clean(report.get("message", "")),
                                  _clean(report.get("hint", "") or ""))
        failures.append(failure and CaseFailure(i, case, failure.kind, failure.message, failure.hint))
        if failure is not None and failure.kind == "not implemented":
            break
    return tally(ex.id, len(cases), failures, notes), "", ""


def _provided(ex: Exercise) -> str:
    """What the grader defines for exercise code: "numpy as np, sigmoid and tanh"."""
    names = ["numpy as np", *ex.prerequisites]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _grader_notes(ex: Exercise, result: CheckResult | None, limits: Limits) -> list[str]:
    """Extra lines for failures that only happen under the grader."""
    if result is None or result.failure is None:
        return []
    message = result.failure.message
    provided = _provided(ex)
    if message.startswith("raised MemoryError"):
        return [f"the grader allows {limits.memory_mb} MB per exercise"]
    if message.startswith("raised NameError"):
        return [f"the grader runs only the exercise cell, with {provided} defined: "
                "import or define everything else the function needs inside that cell"]
    return []


# --------------------------------------------------------------------------- grading notebooks


def _missing(ex: Exercise, why: str, status: str) -> ExerciseGrade:
    return ExerciseGrade(ex.id, 0.0, 1.0, status, f"{ex.id}: {why}")


def _grader_error(ex: Exercise, err: Exception, where: str = "") -> ExerciseGrade:
    why = str(err) if isinstance(err, GraderError) else f"{type(err).__name__}: {err}"
    return ExerciseGrade(ex.id, 0.0, 1.0, "error", f"{ex.id}: grader error: {why}", cell=where)


def _grade_without_running(ex: Exercise, found: ExerciseCell, seed: int) -> ExerciseGrade | None:
    """The grade of a cell that need not run (it uses nnlib, or is the untouched stub), else None."""
    line = uses_nnlib(found.cell.source)
    if line:
        return ExerciseGrade(
            ex.id, 0.0, 1.0, "forbidden",
            f"{ex.id}: not graded: the exercise cell uses nnlib ({line}); exercise code must compute "
            f"its result itself (the grader defines {_provided(ex)} for it)", cell=found.where)
    cases = _EXPECTED.get(ex, seed)[0]  # GraderError if the registry cannot make them
    if untouched_stub(ex.id, found.cell.source):  # what running it would say, without the process
        result = CheckResult(ex.id, 0, len(cases), CaseFailure(0, cases[0], "not implemented",
                                                               "not implemented yet"))
        return ExerciseGrade(ex.id, 0.0, 1.0, "not implemented", format_result(ex, result),
                             total=len(cases), cell=found.where)
    return None


def _grade_run(ex: Exercise, found: ExerciseCell, run: RunResult, seed: int, limits: Limits,
               partial_credit: bool) -> ExerciseGrade:
    """Judge what an exercise's process reported, and word it as check() would."""
    result, cell_problem, error = judge_run(ex, seed, run, limits)
    grade = ExerciseGrade(ex.id, 0.0, 1.0, "failed", "", cell=found.where, seconds=run.seconds,
                          log=run.log)
    if error:
        grade.status, grade.feedback = "error", f"{ex.id}: grader error: {error}"
        return grade
    if result is None:
        grade.feedback = f"{ex.id}: {cell_problem}"
        return grade
    grade.passed, grade.total = result.passed, result.total
    notes = _grader_notes(ex, result, limits)
    raised = next((e for e in run.events if e["event"] == "cell_raised"), None)
    if raised:
        notes.append("running the exercise cell raised an error after defining the function "
                     f"(ignored): {_clean(raised.get('message', ''), 300)}")
    lines = [format_result(ex, result)] + [f"  grader: {n}" for n in notes]
    grade.feedback = "\n".join(lines)
    if result:
        grade.status, grade.score = "passed", 1.0
    elif result.failure.kind == "not implemented":
        grade.status = "not implemented"
    elif partial_credit and result.total:
        grade.score = result.passed / result.total
    return grade


def _normalize_lesson(lesson: str | int | None) -> str | None:
    if lesson is None:
        return None
    text = str(lesson).strip()
    if not text.isdigit():
        raise ValueError(f"lesson must be a number like 01; got {lesson!r}")
    return f"{int(text):02d}"


def lesson_exercises(lesson: str) -> list[Exercise]:
    return [ex for ex in EXERCISES.values() if ex.lesson == lesson]


def grade_notebook(path: str | os.PathLike, *, learner: str | None = None, lesson: str | None = None,
                   seed: int = HIDDEN_SEED, limits: Limits = Limits(), partial_credit: bool = False,
                   slots: int | None = None) -> SubmissionGrade:
    """Grade one notebook; its exercises run ``slots`` at a time (default: one per CPU)."""
    start = time.monotonic()
    lesson = _normalize_lesson(lesson)
    path = Path(path)
    sub = SubmissionGrade(learner or path.stem, str(path), lesson)
    try:
        cells, sub.notes = read_notebook(path)
    except NotebookError as err:
        sub.message = str(err)
    else:
        inferred, per_lesson = infer_lesson(cells)
        if lesson is None:
            lesson = sub.lesson = inferred
            if lesson is None:
                sub.message = "no exercise cells found: is this a lesson notebook of the course?"
            elif not lesson_exercises(lesson):
                sub.message = f"lesson {lesson} has no graded exercises"
        elif lesson not in per_lesson and per_lesson:
            others = "; ".join(f"lesson {k}: {', '.join(sorted(v))}" for k, v in sorted(per_lesson.items()))
            sub.message = f"this notebook belongs to another lesson ({others}), not lesson {lesson}"
        if lesson and not sub.message:
            for k, v in sorted(per_lesson.items()):
                if k != lesson:
                    sub.notes.append(f"also holds exercises of lesson {k} ({', '.join(sorted(v))}): "
                                     "not graded")
    exercises = lesson_exercises(lesson) if lesson else []
    if sub.message:
        sub.exercises = [_missing(ex, f"not graded: {sub.message}", "missing") for ex in exercises]
        sub.seconds = time.monotonic() - start
        return sub
    grades: dict[str, ExerciseGrade] = {}
    to_run: list[tuple[Exercise, ExerciseCell]] = []
    for ex in exercises:
        found = find_exercise_cell(cells, ex.id)
        if found is None:
            grades[ex.id] = _missing(
                ex, f"exercise cell not found: no code cell defines {ex.id}(...) "
                    f"(the cell exercise-{ex.id} was deleted, or the function renamed?)", "missing")
            continue
        try:
            grade = _grade_without_running(ex, found, seed)
        except Exception as err:  # a registry bug: a grader error for this exercise, not a crash
            grade = _grader_error(ex, err, found.where)
        if grade is None:
            to_run.append((ex, found))
        else:
            grades[ex.id] = grade
    if to_run:
        token = secrets.token_hex(16)
        try:
            runs = run_notebook([(ex.id, found.cell.source) for ex, found in to_run], seed=seed,
                                limits=limits, token=token, slots=slots)
        finally:
            sweep(token)
        for (ex, found), run in zip(to_run, runs, strict=True):
            try:
                grades[ex.id] = _grade_run(ex, found, run, seed, limits, partial_credit)
            except Exception as err:  # never let one exercise stop the class
                grades[ex.id] = _grader_error(ex, err, found.where)
    for ex in exercises:
        grade = grades[ex.id]
        found = find_exercise_cell(cells, ex.id)
        if found is not None:
            grade.review = review_flags(found.cell.source)
        sub.exercises.append(grade)
    sub.seconds = time.monotonic() - start
    return sub


# --------------------------------------------------------------------------- many notebooks


def find_submissions(paths: Iterable[str | os.PathLike]) -> list[tuple[str, Path, str]]:
    """``(learner, notebook path, problem)`` for each submission under ``paths``.

    A notebook file is one submission (the learner is its file name). A folder
    holds one notebook per learner, or one folder per learner (the learner is
    the folder's name; a learner folder without a notebook is a submission with
    a problem). Hidden folders (``.ipynb_checkpoints``) are skipped.
    """
    found: list[tuple[str, Path, str]] = []
    for p in paths:
        path = Path(p)
        if path.is_file():
            found.append((path.stem, path, ""))
            continue
        if not path.is_dir():
            found.append((path.stem if path.suffix == ".ipynb" else path.name or str(path), path,
                          "no such file or folder"))
            continue
        notebooks = sorted(nb for nb in path.rglob("*.ipynb")
                           if not any(part.startswith(".") for part in nb.relative_to(path).parts))
        if not notebooks:
            found.append((path.name, path, "no notebook (.ipynb) in this folder"))
            continue
        per_folder = Counter(nb.parent for nb in notebooks)
        subfolders = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
        with_notebooks = {nb.relative_to(path).parts[0] for nb in notebooks if nb.parent != path}
        for nb in notebooks:
            rel = nb.relative_to(path)
            single = nb.parent != path and per_folder[nb.parent] == 1
            found.append((str(rel.parent) if single else str(rel.with_suffix("")), nb, ""))
        if with_notebooks:
            found += [(d.name, d, "no notebook (.ipynb) in this folder") for d in subfolders
                      if d.name not in with_notebooks]
    names = Counter(learner for learner, _, _ in found)  # the same name from two PATHs: say which
    return [(f"{path.parent.name}/{learner}" if names[learner] > 1 and path.parent.name else learner,
             path, problem) for learner, path, problem in found]


def grade_paths(paths: Iterable[str | os.PathLike], *, lesson: str | None = None, jobs: int | None = None,
                timeout: float = DEFAULT_TIMEOUT, memory_mb: int = DEFAULT_MEMORY_MB,
                seed: int | None = None, partial_credit: bool = False,
                progress: Callable[[SubmissionGrade], None] | None = None) -> ClassReport:
    """Grade every submission under ``paths`` (notebooks, or folders of them).

    ``jobs`` notebooks are graded at once (default: the number of CPUs, but not
    more than there are notebooks), each running max(1, CPUs // jobs) exercise
    processes at a time. ``progress`` is called with each finished submission.
    Returns a :class:`ClassReport` in the order of the submissions.
    """
    seed = HIDDEN_SEED if seed is None else int(seed)
    if seed == CHECK_SEED:
        raise ValueError("the hidden seed must differ from the seed check() uses")
    lesson = _normalize_lesson(lesson)
    if lesson is not None and not lesson_exercises(lesson):
        known = ", ".join(sorted({ex.lesson for ex in EXERCISES.values()}))
        raise ValueError(f"lesson {lesson} has no exercises in the registry; lessons with exercises: {known}")
    if timeout <= 0 or memory_mb < 256:
        raise ValueError("timeout must be positive and memory at least 256 MB")
    limits = Limits(timeout=float(timeout), memory_mb=int(memory_mb))
    cpus = max(1, os.cpu_count() or 1)
    start = time.monotonic()
    submissions = find_submissions(paths)
    jobs = max(1, int(jobs or min(cpus, len(submissions))))  # one notebook: all CPUs for its exercises

    def one(item) -> SubmissionGrade:
        learner, path, problem = item
        if problem:
            sub = SubmissionGrade(learner, str(path), lesson, message=problem)
            sub.exercises = [_missing(ex, f"not graded: {problem}", "missing")
                             for ex in (lesson_exercises(lesson) if lesson else [])]
        else:
            sub = grade_notebook(path, learner=learner, lesson=lesson, seed=seed, limits=limits,
                                 partial_credit=partial_credit, slots=max(1, cpus // jobs))
        if progress is not None:
            progress(sub)
        return sub

    with ThreadPoolExecutor(jobs) as notebooks:
        graded = list(notebooks.map(one, submissions))
    return ClassReport(graded, lesson, seed, float(timeout), time.monotonic() - start)


# --------------------------------------------------------------------------- reports


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if i else line for i, line in enumerate(text.split("\n")))


def _num(x: float) -> str:
    return f"{x:g}" if x == int(x) else f"{x:.2f}"


def format_submission(sub: SubmissionGrade) -> str:
    """One learner's table: exercise, score, feedback (the first failing case, as check() says it)."""
    head = f"{sub.learner}  ({sub.path})  lesson {sub.lesson or '?'}: {_num(sub.score)}/{_num(sub.max_score)}"
    lines = [head]
    if sub.message:
        lines.append(f"  NOT GRADED: {sub.message}")
    lines += [f"  note: {n}" for n in sub.notes]
    width = max([len(e.exercise_id) for e in sub.exercises] + [8])
    for e in sub.exercises:
        score = f"{_num(e.score)}/{_num(e.max_score)}"
        feedback = e.feedback if not sub.message else "not graded"
        where = f"  [graded {e.cell}]" if e.cell and e.cell != "the exercise cell" else ""
        if e.review:
            where += f"  [review: the cell uses {', '.join(e.review)}]"
        lines.append(f"  {e.exercise_id:<{width}}  {score:>5}  "
                     + _indent(feedback + where, " " * (width + 11)))
    return "\n".join(lines)


def format_totals(report: ClassReport) -> str:
    """Class totals: per exercise how many passed, per learner the score."""
    subs = report.submissions
    lines = [f"class: {len(subs)} submission{'s' * (len(subs) != 1)}"
             + (f", lesson {report.lesson}" if report.lesson else "")
             + f"; total {_num(report.score)}/{_num(report.max_score)}"
             + (f" ({100 * report.score / report.max_score:.1f}%)" if report.max_score else "")
             + f"; graded in {report.seconds:.1f} s"]
    per_ex: dict[str, list[ExerciseGrade]] = {}
    for sub in subs:
        for e in sub.exercises:
            per_ex.setdefault(e.exercise_id, []).append(e)
    if per_ex:
        width = max(len(k) for k in per_ex) + 2
        lines.append(f"  {'exercise':<{width}}passed  not done  grader errors")
        for name, grades in per_ex.items():
            ok = sum(g.status == "passed" for g in grades)
            todo = sum(g.status in ("not implemented", "missing") for g in grades)
            errors = sum(g.status == "error" for g in grades)
            lines.append(f"  {name:<{width}}{ok:>3}/{len(grades):<3}{todo:>6}    {errors:>6}")
    if subs:
        width = max(len(s.learner) for s in [*subs, SubmissionGrade("learner", "", None)]) + 2
        lines.append(f"  {'learner':<{width}}score")
        for s in subs:
            flag = "  (not graded)" if s.message else ""
            lines.append(f"  {s.learner:<{width}}{_num(s.score)}/{_num(s.max_score)}{flag}")
    errors = sum(e.status == "error" for s in subs for e in s.exercises)
    if errors:
        lines.append(f"  WARNING: {errors} grader error(s): see 'grader error' lines above; "
                     "these are not the learners' doing")
    return "\n".join(lines)


def format_report(report: ClassReport) -> str:
    """Every learner's table, then the class totals."""
    return "\n\n".join([format_submission(s) for s in report.submissions] + [format_totals(report)]) + "\n"


def submission_json(sub: SubmissionGrade) -> dict:
    """One submission in the Gradescope ``results.json`` format (plus learner, path and lesson)."""
    output = "\n".join(([f"Not graded: {sub.message}"] if sub.message else [])
                       + [f"Note: {n}" for n in sub.notes])
    return {
        "learner": sub.learner,
        "path": sub.path,
        "lesson": sub.lesson,
        "score": sub.score,
        "max_score": sub.max_score,
        "execution_time": round(sub.seconds, 3),
        "output": output,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": e.exercise_id,
                "number": f"{sub.lesson}.{k}" if sub.lesson else str(k),
                "score": e.score,
                "max_score": e.max_score,
                "status": "passed" if e.status == "passed" else "failed",
                "output": e.feedback,
                "visibility": "visible",
                "extra_data": {"result": e.status, "passed_cases": e.passed, "total_cases": e.total,
                               "cell": e.cell, "seconds": round(e.seconds, 3), "log": e.log,
                               "review": e.review},
            }
            for k, e in enumerate(sub.exercises, 1)
        ],
    }


def report_json(report: ClassReport) -> dict:
    """The whole class: settings, totals and one Gradescope-format object per submission."""
    import nnlib

    return {
        "format": "nnlib-grade/1",
        "nnlib_version": nnlib.__version__,
        "lesson": report.lesson,
        "seed": report.seed,
        "timeout": report.timeout,
        "execution_time": round(report.seconds, 3),
        "score": report.score,
        "max_score": report.max_score,
        "submissions": [submission_json(s) for s in report.submissions],
    }
