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
from dataclasses import dataclass, field
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


def find_course(start: Path | None = None) -> Path | None:
    """The course folder a learner works in: the nearest folder at or above ``start`` whose
    lessons/ holds lesson notebooks (a checkout, or a student release without solutions/);
    None if there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / "lessons").glob("[0-9][0-9]_*.ipynb")):
            return folder
    return None


@dataclass(frozen=True)
class Region:
    """One solution region of a cell's source: ``lines[begin]`` is its BEGIN line, ``lines[end]`` its END."""

    begin: int
    end: int
    indent: str
    exercise_id: str | None  # the enclosing function; None for a top-level answer region
    stub: tuple[str, ...]  # the lines that replace it in a lesson


def solution_regions(source: str, where: str) -> list[Region]:
    """The solution regions of a cell's source, checked against the conventions."""
    lines = source.split("\n")
    regions: list[Region] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() != BEGIN:
            if line.strip() == END:
                raise BuildError(f"{where}: {END!r} without a {BEGIN!r} before it")
            i += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        try:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == END)
        except StopIteration:
            raise BuildError(f"{where}: {BEGIN!r} without a matching {END!r}") from None
        if indent:
            exercise_id = _enclosing_function(lines[:i], indent, where)
            if exercise_id not in EXERCISES:
                raise BuildError(f"{where}: function {exercise_id!r} has a solution region "
                                 "but is not in the exercise registry")
            task = EXERCISES[exercise_id].task.replace('"', "'")
            stub = (f'{indent}raise NotImplementedError("Exercise {exercise_id}: {task}")',)
        else:
            exercise_id, stub = None, ()
            for text in lines[i + 1 : end]:
                if not text.strip() or text.lstrip().startswith("#"):
                    continue
                match = _ASSIGN.match(text)
                if not match:
                    raise BuildError(f"{where}: a top-level solution region may only assign answers "
                                     f"(name = value); got {text!r}")
                stub += (f"{match.group(1)} = None  # your answer",)
        regions.append(Region(i, end, indent, exercise_id, stub))
        i = end + 1
    return regions


def replace_regions(source: str, regions: list[Region], render) -> str:
    """``source`` with each region's lines (BEGIN to END) replaced by ``render(region, lines)``."""
    lines = source.split("\n")
    out: list[str] = []
    done = 0
    for region in regions:
        out += lines[done : region.begin] + list(render(region, lines))
        done = region.end + 1
    return "\n".join(out + lines[done:])


def strip_solutions(source: str, where: str) -> tuple[str, list[str]]:
    """Replace each solution region of a cell's source; return the new source and exercise ids."""
    regions = solution_regions(source, where)
    stripped = replace_regions(source, regions, lambda region, lines: region.stub)
    return stripped, [r.exercise_id for r in regions if r.exercise_id]


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


def lesson_content(text: str) -> list[tuple]:
    """What makes a lesson the lesson: each cell's id, type, source and tags.

    Metadata a save or a run adds (``language_info``, execution timings, scroll state),
    outputs and execution counts are left out: a lesson a learner has opened, run and
    saved is still the lesson that was generated.
    """
    nb = nbformat.reads(text, as_version=4)
    return [(cell.get("id"), cell.cell_type, cell.source, tuple(cell.metadata.get("tags", ())))
            for cell in nb.cells]


def same_lesson(a: str, b: str) -> bool:
    """Whether two notebook texts are the same lesson (see :func:`lesson_content`)."""
    if a == b:
        return True
    try:
        return lesson_content(a) == lesson_content(b)
    except Exception:  # not a notebook (a broken file): not the same lesson
        return False


@dataclass(frozen=True)
class BuildReport:
    written: list[str]
    unchanged: list[str]  # the same lesson (maybe saved with outputs or extra metadata)
    stale: list[str]  # --check: generated from an older solution (or missing); the build would rewrite it
    refused: list[str]  # lessons edited since they were generated (not overwritten)
    edited: list[str] = field(default_factory=list)  # --check: edited since generated (someone's work)

    @property
    def ok(self) -> bool:
        return not self.stale and not self.refused and not self.edited


def build_lessons(root: Path, check: bool = False, force: bool = False) -> BuildReport:
    """Generate ``lessons/`` from ``solutions/``.

    A lesson that is the same lesson as the one the build writes (:func:`same_lesson`:
    outputs and metadata aside) is left alone. With ``check``, write nothing and sort the
    others: ``stale`` (missing, or untouched since an older build wrote it) and ``edited``
    (changed since it was generated: someone's work, never called stale). Without
    ``force``, an edited lesson is not overwritten but listed in ``refused``.
    """
    solutions, lessons = root / "solutions", root / "lessons"
    manifest_path = lessons / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    written, unchanged, stale, refused, edited = [], [], [], [], []
    digests = {}  # what the manifest should say after this build
    for solution in sorted(solutions.glob("[0-9][0-9]_*.ipynb")):
        text, _ = lesson_text(solution)
        target = lessons / solution.name
        current = target.read_text() if target.exists() else None
        digests[solution.name] = _digest(text)
        untouched = current is not None and _digest(current) == manifest.get(solution.name)
        if current == text or (current is not None and same_lesson(current, text)
                               and (check or not untouched)):
            unchanged.append(solution.name)  # (an untouched copy with old metadata is rewritten)
        elif check:
            (stale if current is None or untouched else edited).append(solution.name)
        elif current is not None and not force and not untouched:
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
    return BuildReport(written, unchanged, stale, refused, edited)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: Marks an output that stands in for a widget when no kernel runs (see :func:`widget_snapshot`).
SNAPSHOT_KEY = "nnlib_widget_snapshot"
WIDGET_NOTE = "An interactive widget: run this cell in JupyterLab to use it."


def widget_snapshot(model_id: str, state: dict) -> list[dict]:
    """Outputs that stand in for one widget view: the pictures its Output areas hold.

    ``state`` is the widget state nbclient records (model id -> ``{"model_name", "state"}``).
    The widget's children are searched depth first, so the pictures come in the order the
    widget shows them. Without a picture, a single text output says what the cell is.
    """
    pictures, seen, todo = [], set(), [model_id]
    while todo:
        current = todo.pop(0)
        if current in seen or current not in state:
            continue
        seen.add(current)
        model = state[current].get("state", {})
        for out in model.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png:
                pictures.append(png)
        children = model.get("children", [])
        todo[:0] = [c.removeprefix("IPY_MODEL_") for c in children if isinstance(c, str)]
    meta = {SNAPSHOT_KEY: True}
    if not pictures:
        return [nbformat.v4.new_output("display_data", data={"text/plain": WIDGET_NOTE}, metadata=meta)]
    return [nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": WIDGET_NOTE},
                                   metadata=meta) for png in pictures]


def _scrub_outputs(nb) -> None:
    """Make executed outputs deterministic and readable without a kernel.

    A widget view is replaced by a still of the widget (the pictures its Output areas
    show at its initial values, see :func:`widget_snapshot`): its model ids are random and
    it needs a live kernel anyway. The recorded widget state is dropped.
    """
    state = nb.metadata.get("widgets", {}).get(_WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            outputs += widget_snapshot(view.get("model_id", ""), state) if view else [out]
        cell.outputs = outputs
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
            store_widget_state=True,  # for the widgets' stills (_scrub_outputs)
        )
        start = time.perf_counter()
        try:
            client.execute()
        finally:
            if km.has_kernel:  # a kernel manager we pass in is ours to shut down
                km.shutdown_kernel(now=True)
        elapsed = time.perf_counter() - start
    _scrub_outputs(nb)  # (reads the widget state nbclient recorded in the metadata)
    nb.metadata = nbformat.from_dict(metadata)
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
