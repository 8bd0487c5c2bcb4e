"""Maintaining the course: build ``lessons/`` from ``solutions/`` and execute the solutions.

The solution notebooks are the only notebooks edited by hand. In an exercise
cell, the body of the learner's function sits between two marker lines::

    def relu(z):
        ### BEGIN SOLUTION
        return np.maximum(z, 0)
        ### END SOLUTION

``build_lessons`` replaces each such region with
``raise NotImplementedError("Exercise relu: <task>")`` (the task comes from the
exercise registry), clears outputs and execution counts, and leaves every
other byte as it was. A region at the top level of a cell (the answer to a
concept question) becomes ``answer = None  # your answer``.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from nnlib.exercises import EXERCISES

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
MANIFEST = ".build-manifest.json"
_DEF = re.compile(r"^(\s*)def\s+([A-Za-z_]\w*)\s*\(")
_ASSIGN = re.compile(r"^([A-Za-z_]\w*)\s*=")


class BuildError(ValueError):
    """A solution notebook does not follow the exercise-cell conventions."""


def find_root(start: Path | None = None) -> Path:
    """The course checkout: the nearest folder above ``start`` holding solutions/ and nnlib/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "solutions").is_dir() and (folder / "nnlib").is_dir():
            return folder
    raise FileNotFoundError(
        f"no course checkout (a folder with solutions/ and nnlib/) at or above {here}; "
        "run this from the repository"
    )


def strip_solutions(source: str, where: str) -> tuple[str, list[str]]:
    """Replace each solution region of a cell's source; return the new source and exercise ids."""
    lines = source.split("\n")
    out: list[str] = []
    ids: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() != BEGIN:
            if line.strip() == END:
                raise BuildError(f"{where}: {END!r} without a {BEGIN!r} before it")
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        try:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == END)
        except StopIteration:
            raise BuildError(f"{where}: {BEGIN!r} without a matching {END!r}") from None
        region = lines[i + 1 : end]
        if indent:
            exercise_id = _enclosing_function(out, indent, where)
            if exercise_id not in EXERCISES:
                raise BuildError(f"{where}: function {exercise_id!r} has a solution region "
                                 "but is not in the exercise registry")
            task = EXERCISES[exercise_id].task.replace('"', "'")
            out.append(f'{indent}raise NotImplementedError("Exercise {exercise_id}: {task}")')
            ids.append(exercise_id)
        else:
            for text in region:
                if not text.strip() or text.lstrip().startswith("#"):
                    continue
                match = _ASSIGN.match(text)
                if not match:
                    raise BuildError(f"{where}: a top-level solution region may only assign answers "
                                     f"(name = value); got {text!r}")
                out.append(f"{match.group(1)} = None  # your answer")
        i = end + 1
    return "\n".join(out), ids


def _enclosing_function(previous: list[str], indent: str, where: str) -> str:
    for line in reversed(previous):
        match = _DEF.match(line)
        if match and len(match.group(1)) < len(indent):
            return match.group(2)
    raise BuildError(f"{where}: an indented solution region must sit inside a def")


def lesson_text(solution_path: Path) -> tuple[str, list[str]]:
    """The lesson notebook generated from one solution notebook, as text, and its exercise ids."""
    nb = nbformat.read(solution_path, as_version=4)
    ids: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.source, cell_ids = strip_solutions(cell.source, f"{solution_path.name} cell {index}")
        ids += cell_ids
        cell.outputs = []
        cell.execution_count = None
    return nbformat.writes(nb) + "\n", ids


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class BuildReport:
    written: list[str]
    unchanged: list[str]
    stale: list[str]  # --check: lessons that differ from what would be generated
    refused: list[str]  # lessons edited since they were generated (not overwritten)

    @property
    def ok(self) -> bool:
        return not self.stale and not self.refused


def build_lessons(root: Path, check: bool = False, force: bool = False) -> BuildReport:
    """Generate ``lessons/`` from ``solutions/``.

    With ``check``, write nothing and list the lessons that are stale or missing.
    Without ``force``, a lesson whose text differs from what the last build wrote
    (someone's work in progress) is not overwritten but listed in ``refused``.
    """
    solutions, lessons = root / "solutions", root / "lessons"
    manifest_path = lessons / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    written, unchanged, stale, refused = [], [], [], []
    digests = {}  # what the manifest should say after this build
    for solution in sorted(solutions.glob("[0-9][0-9]_*.ipynb")):
        text, _ = lesson_text(solution)
        target = lessons / solution.name
        current = target.read_text() if target.exists() else None
        digests[solution.name] = _digest(text)
        if current == text:
            unchanged.append(solution.name)
        elif check:
            stale.append(solution.name)
        elif current is not None and not force and _digest(current) != manifest.get(solution.name):
            refused.append(solution.name)
            digests[solution.name] = manifest.get(solution.name, "")
        else:
            lessons.mkdir(exist_ok=True)
            target.write_text(text)
            written.append(solution.name)
    for orphan in sorted(p.name for p in lessons.glob("[0-9][0-9]_*.ipynb")):
        if orphan not in digests:
            stale.append(f"{orphan} (no solution notebook)")
    if not check and digests != manifest:
        manifest_path.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    return BuildReport(written, unchanged, stale, refused)


def _scrub_outputs(nb) -> None:
    """Make executed outputs deterministic: drop widget views (their model ids are random).

    A widget needs a live kernel anyway; next to each one the lessons show a
    static figure, which is what a reader without a kernel sees.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [
            out for out in cell.get("outputs", [])
            if "application/vnd.jupyter.widget-view+json" not in out.get("data", {})
        ]
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)


#: Environment of the kernels that run notebooks: one BLAS thread. On a busy 2-core machine a
#: multithreaded BLAS makes small matrix products a hundred times slower, and results of
#: reductions can depend on the thread count.
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def execute_notebook(path: Path, timeout: float = 120) -> float:
    """Run a notebook top to bottom in a fresh kernel, save its outputs, return the seconds taken."""
    import os
    import tempfile

    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    os.environ.update(KERNEL_ENV)  # the kernel inherits this process's environment

    nb = nbformat.read(path, as_version=4)
    metadata = json.loads(json.dumps(nb.metadata))  # keep the committed metadata as it is
    with tempfile.TemporaryDirectory(prefix="nnlib-kernel-") as sockets:
        # On POSIX the kernel talks over Unix sockets in a private folder rather than plain-text
        # TCP on localhost (which ipykernel >= 7.4 warns about). Windows has no such sockets, and
        # their paths are limited to about 100 bytes: a deep temporary folder falls back to TCP.
        prefix = str(Path(sockets) / "kernel")
        use_ipc = os.name == "posix" and len(prefix) <= 90
        transport = {"transport": "ipc", "ip": prefix} if use_ipc else {}
        km = KernelManager(kernel_name="python3", **transport)
        client = NotebookClient(
            nb,
            km=km,
            timeout=timeout,
            resources={"metadata": {"path": str(path.parent)}},
            record_timing=False,
            store_widget_state=False,
        )
        start = time.perf_counter()
        try:
            client.execute()
        finally:
            if km.has_kernel:  # a kernel manager we pass in is ours to shut down
                km.shutdown_kernel(now=True)
        elapsed = time.perf_counter() - start
    nb.metadata = nbformat.from_dict(metadata)
    _scrub_outputs(nb)
    path.write_text(nbformat.writes(nb) + "\n")
    return elapsed


def select_notebooks(folder: Path, names: list[str]) -> list[Path]:
    """Notebooks in ``folder`` matching ``names`` (a number "05", a stem, or a file name); all if empty."""
    notebooks = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return notebooks
    chosen = []
    for name in names:
        stem = Path(name).stem
        matches = [p for p in notebooks if p.stem == stem or p.stem.split("_")[0] == stem]
        if not matches:
            known = ", ".join(p.stem for p in notebooks)
            raise ValueError(f"no notebook matches {name!r} in {folder}; known: {known}")
        chosen += [m for m in matches if m not in chosen]
    return chosen
