"""Round trips through the real nbgrader and otter-grader (pinned in requirements-dev.txt).

nbgrader: ``generate_assignment``, then ``autograde`` on a correct, a wrong and an untouched
submission. otter: ``otter assign``, then ``otter run``
on a submission with one exercise right, one wrong and the question unanswered. Both on lesson
01 without its demonstration cells (the tools only care about the graded cells; nbval runs the
rest); every other lesson goes through the tools' own solution-stripping code in-process.

Without the tools the tests are skipped with the reason; with NNLIB_REQUIRE_CLASSROOM_TOOLS=1
(as in CI, see .ci/run) they fail instead.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nnlib.course import lesson_content, lesson_text
from nnlib.exercises import EXERCISES, QUESTIONS
from nnlib.export import export_nbgrader, export_otter

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
LESSON = "01_single_neuron"
#: What lesson 01 grades: its exercises, then its concept questions (one point each).
GRADED = [ex.id for ex in EXERCISES.values() if ex.lesson == "01"] + [
    q.id for q in QUESTIONS.values() if q.lesson == "01"]
WRONG_DENSE = "def dense_preactivation(X, W, b):\n    return (X @ W + b).T  # transposed\n"


def require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        reason = f"{module} is not installed (pip install -r requirements-dev.txt)"
        if os.environ.get("NNLIB_REQUIRE_CLASSROOM_TOOLS") == "1":
            pytest.fail(f"NNLIB_REQUIRE_CLASSROOM_TOOLS=1 but {reason}")
        pytest.skip(reason)


def run(tool: str, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    # the tools start helpers by name (nbgrader runs `alembic`): this Python's scripts come first on PATH,
    # also when pytest was started as venv/bin/pytest without activating the venv
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    done = subprocess.run([sys.executable, "-m", tool, *args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, env={**os.environ, "PATH": path})
    assert done.returncode == 0, (f"{tool} {' '.join(args)} failed:\n"
                                  f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def graded_lesson(tmp_path: Path) -> Path:
    """A scratch course holding lesson 01 with only its title, its imports and its graded cells."""
    nb = nbformat.read(ROOT / "solutions" / f"{LESSON}.ipynb", as_version=4)
    nb.cells = [c for i, c in enumerate(nb.cells)
                if i == 0 or c.id == "setup" or c.id.startswith(("exercise-", "check-", "question-q"))]
    (setup,) = [c for c in nb.cells if c.id == "setup"]
    setup.source = "import numpy as np\n\nfrom nnlib import check, check_answer"  # no plots: faster
    (tmp_path / "course" / "solutions").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "course" / "solutions" / f"{LESSON}.ipynb")
    return tmp_path / "course"


@functools.cache
def lesson_cells(name: str) -> dict[str, str]:
    """The generated lesson's exercise and answer cells, by id (what a learner is handed)."""
    content = lesson_content(lesson_text(ROOT / "solutions" / name)[0])
    return {cell_id: source for cell_id, kind, source, _ in content
            if cell_id.startswith(("exercise-", "question-q"))}


def _tidy(source: str) -> str:
    """Whitespace-only lines (where a tool's stub is empty) do not matter to a learner."""
    return "\n".join(line for line in source.split("\n") if line.strip()).split("\ncheck_answer(")[0]


# -- nbgrader -------------------------------------------------------------------------------


def test_nbgrader_strips_every_lesson_to_the_course_stubs(tmp_path):
    """nbgrader's own ClearSolutions, with the exported config, on every lesson: no 'Solution region
    detected in a non-solution cell', and what it leaves is the lesson a learner gets."""
    require("nbgrader")
    from nbgrader.preprocessors import ClearSolutions
    from traitlets.config.loader import PyFileConfigLoader

    export_nbgrader(ROOT, tmp_path)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    for path in SOLUTIONS:
        nb = nbformat.read(tmp_path / "source" / path.stem / path.name, as_version=4)
        released, _ = ClearSolutions(config=config).preprocess(nb, {})
        got = {c.id: _tidy(c.source) for c in released.cells if c.id in lesson_cells(path.name)}
        assert got == {k: _tidy(v) for k, v in lesson_cells(path.name).items()}, path.name


def test_nbgrader_generate_and_autograde_a_correct_a_wrong_and_an_untouched_submission(tmp_path):
    require("nbgrader")
    course = tmp_path / "nbgrader"
    export_nbgrader(graded_lesson(tmp_path), course)
    run("nbgrader", "generate_assignment", LESSON, cwd=course)
    release = nbformat.read(course / "release" / LESSON / f"{LESSON}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / LESSON / f"{LESSON}.ipynb", as_version=4)
    solved = {c.id: c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    assert {c.id: _tidy(c.source) for c in release.cells if c.id in solved} == {
        k: _tidy(v) for k, v in lesson_cells(f"{LESSON}.ipynb").items()}

    def submit(student: str, answers: dict[str, str]) -> None:
        nb = nbformat.reads(nbformat.writes(release), as_version=4)
        for cell in nb.cells:
            cell.source = answers.get(cell.id, cell.source)
        folder = course / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{LESSON}.ipynb")

    submit("alice", solved)
    submit("bob", {**solved, "exercise-dense_preactivation": WRONG_DENSE})
    submit("carol", {})
    run("nbgrader", "autograde", LESSON, cwd=course, timeout=600)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: {g.name: g.score for nb in gradebook.find_submission(LESSON, student).notebooks
                            for g in nb.grades}
                  for student in ("alice", "bob", "carol")}
    cells = [f"check-{name}" for name in GRADED]
    assert scores["alice"] == dict.fromkeys(cells, 1.0)
    assert scores["bob"] == {**dict.fromkeys(cells, 1.0), "check-dense_preactivation": 0.0}
    assert scores["carol"] == dict.fromkeys(cells, 0.0)  # an untouched handout scores nothing

    def feedback(student: str, cell_id: str) -> str:
        nb = nbformat.read(course / "autograded" / student / LESSON / f"{LESSON}.ipynb", as_version=4)
        (cell,) = [c for c in nb.cells if c.id == cell_id]
        return "\n".join(o.get("text", "") + o.get("evalue", "") for o in cell.outputs)

    wrong = feedback("bob", "check-dense_preactivation")
    assert re.search(r"dense_preactivation: 0 of \d+ checks passed", wrong) and "transposed" in wrong
    assert "not implemented yet" in feedback("carol", "check-preactivation")


# -- otter ----------------------------------------------------------------------------------


def test_otter_strips_every_lesson_to_the_course_stubs(tmp_path):
    """otter assign's own solution removal on every lesson's master notebook."""
    require("otter")
    from otter.assign.solutions import replace_solutions

    export_otter(ROOT, tmp_path)
    for path in SOLUTIONS:
        nb = nbformat.read(tmp_path / path.name, as_version=4)
        expected = lesson_cells(path.name)
        got = {c.id: _tidy("\n".join(replace_solutions(c.source.split("\n"), "python")))
               for c in nb.cells if c.get("id") in expected}
        assert got == {k: _tidy(v) for k, v in expected.items()}, path.name


def test_otter_assign_and_run(tmp_path):
    require("otter")
    master = tmp_path / "otter"
    export_otter(graded_lesson(tmp_path), master)
    # (--no-run-tests: the submission below has a right answer too, and running the tests on the
    # solutions costs a kernel; test_export checks the exported solutions pass every check)
    run("otter", "assign", "--no-run-tests", f"{LESSON}.ipynb", "dist", cwd=master, timeout=600)
    student = nbformat.read(master / "dist" / "student" / f"{LESSON}.ipynb", as_version=4)
    solution = nbformat.read(master / "dist" / "autograder" / f"{LESSON}.ipynb", as_version=4)
    handout = {c.id: _tidy(c.source) for c in student.cells
               if "otter_answer_cell" in c.metadata.get("tags", [])}
    assert handout == {k: _tidy(v) for k, v in lesson_cells(f"{LESSON}.ipynb").items()}

    # one exercise right, one wrong, the question left as handed out
    answers = {c.id: c.source for c in solution.cells if c.id == "exercise-preactivation"}
    answers["exercise-dense_preactivation"] = WRONG_DENSE
    for cell in student.cells:
        cell.source = answers.get(cell.id, cell.source)
    nbformat.write(student, master / "submission.ipynb")
    (master / "results").mkdir()
    (zip_file,) = (master / "dist" / "autograder").glob("*.zip")
    run("otter", "run", "-a", str(zip_file), "-o", "results", "submission.ipynb", cwd=master, timeout=600)
    results = json.loads((master / "results" / "results.json").read_text())
    tests = {t["name"]: t for t in results["tests"] if "score" in t}
    scores = {name: t["score"] for name, t in tests.items()}
    assert scores == {**dict.fromkeys(GRADED, 0.0), "preactivation": 1.0}
    assert re.search(r"dense_preactivation: 0 of \d+ checks passed", tests["dense_preactivation"]["output"])
    assert "transposed" in tests["dense_preactivation"]["output"]
    assert "q01_1: not the expected answer" in tests["q01_1"]["output"]
