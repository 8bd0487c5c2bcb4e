"""The course as a whole: solutions → lessons pipeline, registry ↔ notebooks, fresh lessons run clean."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from nnlib.course import BEGIN, END, BuildError, build_lessons, lesson_text, same_lesson, strip_solutions
from nnlib.exercises import EXERCISES, QUESTIONS

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))


def cells(path):
    return nbformat.read(path, as_version=4).cells


def code_cells_by_id(path):
    return {c.id: c for c in cells(path) if c.cell_type == "code"}


def test_there_are_twelve_lessons():
    assert [p.name[:2] for p in SOLUTIONS] == [f"{i:02d}" for i in range(12)]
    assert [p.name for p in LESSONS] == [p.name for p in SOLUTIONS]


def committed_text(path: Path) -> str | None:
    """The file as git's last commit has it; None outside a git checkout or for an untracked file."""
    try:
        done = subprocess.run(["git", "show", f"HEAD:{path.relative_to(ROOT).as_posix()}"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    except OSError:  # no git
        return None
    return done.stdout if done.returncode == 0 else None


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_lessons_are_up_to_date(path):
    """The committed lesson is what the build writes (outputs and metadata a save adds aside).

    Git's committed file is compared, not the working copy: a lesson someone opened, ran,
    saved or edited is their work and never fails this test. Outside a git checkout (an
    unpacked release) the file itself is compared.
    """
    lesson = ROOT / "lessons" / path.name
    committed = committed_text(lesson)
    source = "git's last commit" if committed is not None else "the working copy"
    if committed is None:
        committed = lesson.read_text() if lesson.exists() else ""
    built, _ = lesson_text(path)
    assert same_lesson(committed, built), (
        f"lessons/{path.name} in {source} is not what `nnlib build-lessons` writes from solutions/: "
        "run it and commit lessons/"
    )


def test_every_exercise_is_in_exactly_one_solution_notebook_of_its_lesson():
    seen = {}
    for path in SOLUTIONS:
        for cell_id, cell in code_cells_by_id(path).items():
            if cell_id.startswith("exercise-"):
                exercise_id = cell_id.removeprefix("exercise-")
                assert exercise_id in EXERCISES, f"{path.name}: cell {cell_id} is not in the registry"
                assert exercise_id not in seen, f"{exercise_id} in {seen.get(exercise_id)} and {path.name}"
                seen[exercise_id] = path.name
                assert EXERCISES[exercise_id].lesson == path.name[:2]
                assert re.search(rf"^def {exercise_id}\(", cell.source, re.M), cell_id
    assert sorted(seen) == sorted(EXERCISES)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_exercise_cells_are_followed_by_their_check(path):
    nb_cells = cells(path)
    for i, cell in enumerate(nb_cells):
        if cell.id.startswith("exercise-"):
            exercise_id = cell.id.removeprefix("exercise-")
            follower = nb_cells[i + 1]
            assert follower.id == f"check-{exercise_id}"
            assert follower.source.strip() == f'check("{exercise_id}", {exercise_id})'
            assert f"{exercise_id}: all " in "".join(o.get("text", "") for o in follower.outputs), (
                f"{path.name}: the solution of {exercise_id} does not pass its check"
            )


def _normalise(text):
    return " ".join(text.replace("`", "").split())


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_hints_in_the_notebook_are_the_registry_hints(path):
    markdown = _normalise("\n".join(c.source for c in cells(path) if c.cell_type == "markdown"))
    for ex in EXERCISES.values():
        if ex.lesson == path.name[:2]:
            for level, text in enumerate(ex.hints, 1):
                assert _normalise(text) in markdown, f"{ex.id}: hint {level} is not in {path.name}"


def test_every_question_is_asked_once():
    asked = {}
    for path in SOLUTIONS:
        for cell in cells(path):
            for qid in re.findall(r'check_answer\("(q\d\d_\d+)"', cell.source):
                assert qid in QUESTIONS, f"{path.name}: {qid} is not in the registry"
                assert qid not in asked
                asked[qid] = path.name
                assert QUESTIONS[qid].lesson == path.name[:2]
    assert sorted(asked) == sorted(QUESTIONS)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lessons_contain_no_solution_text(path):
    text = path.read_text()
    assert BEGIN not in text and END not in text
    for cell_id, cell in code_cells_by_id(path).items():
        assert not cell.outputs and cell.execution_count is None
        if cell_id.startswith("exercise-"):
            exercise_id = cell_id.removeprefix("exercise-")
            body = cell.source.split("\n")
            statements = [
                line for line in body
                if line.strip() and not line.lstrip().startswith(("def ", "#"))
            ]
            # what remains besides the signature and docstring is exactly the raise
            raise_lines = [line for line in statements if "raise NotImplementedError" in line]
            assert len(raise_lines) == 1
            assert f'"Exercise {exercise_id}: ' in raise_lines[0]
            docstring = re.search(r'"""(.*?)"""', cell.source, re.S)
            code_only = cell.source.replace(docstring.group(0), "") if docstring else cell.source
            code_lines = [ln for ln in code_only.split("\n")
                          if ln.strip() and not ln.lstrip().startswith("#")]
            assert len(code_lines) == 2, f"{path.name} {cell_id}: {code_lines}"
        if cell_id.startswith("question-"):
            assert "answer = None  # your answer" in cell.source


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_notebooks_are_executed_in_order_without_errors(path):
    nb_cells = [c for c in cells(path) if c.cell_type == "code" and c.source.strip()]
    assert [c.execution_count for c in nb_cells] == list(range(1, len(nb_cells) + 1))
    for c in nb_cells:
        assert all(o.output_type != "error" for o in c.outputs), f"{path.name} cell {c.id}"
        code = "\n".join(ln for ln in c.source.splitlines()
                         if not ln.lstrip().startswith(("from ", "import ")))
        if re.search(r"\w+_(explorer|playground|stepper|plot)\(|widgets\.\w+\(", code):
            tags = c.metadata.get("tags", [])
            assert "nbval-ignore-output" in tags, f"{path.name} cell {c.id}: widget cell"
        # nbval's cell tag, not its comment marker: learners should not read test plumbing in the code
        assert "NBVAL_" not in c.source, f"{path.name} cell {c.id}: use the nbval-ignore-output tag"
        assert not re.search(r"plt\.\w+\(.*\);\s*$", c.source), f"{path.name} cell {c.id}: trailing ';'"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_lessons_have_the_parts_a_learner_expects(path):
    markdown = "\n".join(c.source for c in cells(path) if c.cell_type == "markdown")
    assert re.match(rf"# {path.name[:2]} ", cells(path)[0].source)
    for part in ("Learning objectives", "Estimated time", "Recap"):
        assert part.lower() in markdown.lower(), f"{path.name} lacks {part}"
    if path.name[:2] != "00":
        assert "<details>" in markdown
        assert "check_answer(" in "\n".join(c.source for c in cells(path))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_fresh_lesson_runs_top_to_bottom_without_a_traceback(path, tmp_path):
    """A learner pressing Run All on an untouched lesson sees 'not implemented yet', never a traceback."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    checks = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert all(o.output_type != "error" for o in cell.outputs), cell.id
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        if cell.id.startswith("check-"):
            checks += 1
            assert text.endswith("not implemented yet (replace the `raise NotImplementedError` line "
                                 "with your code, then run this cell again)\n"), text
        if cell.id.startswith("question-"):
            assert "no answer yet" in text
    assert checks == sum(ex.lesson == path.name[:2] for ex in EXERCISES.values())


# -- the build itself, on a scratch course ------------------------------------------------

EXERCISE_CELL = '''def preactivation(x, w, b):
    """z = w·x + b."""
    ### BEGIN SOLUTION
    z = x @ w
    return float(z + b)
    ### END SOLUTION'''


def test_strip_solutions_replaces_the_body_with_the_task():
    out, ids = strip_solutions(EXERCISE_CELL, "test")
    assert ids == ["preactivation"]
    task = EXERCISES["preactivation"].task
    assert out == ('def preactivation(x, w, b):\n    """z = w·x + b."""\n'
                   f'    raise NotImplementedError("Exercise preactivation: {task}")')


def test_strip_solutions_top_level_answer():
    out, ids = strip_solutions(f'{BEGIN}\nanswer = "c"\n{END}\ncheck_answer("q01_1", answer)', "t")
    assert ids == []
    assert out == 'answer = None  # your answer\ncheck_answer("q01_1", answer)'


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (f"def preactivation(x, w, b):\n    {BEGIN}\n    return 1", "without a matching"),
        (f"def preactivation(x, w, b):\n    return 1\n    {END}", "without a '### BEGIN"),
        (f"def not_registered(x):\n    {BEGIN}\n    return 1\n    {END}", "not in the exercise registry"),
        (f"{BEGIN}\nprint('hi')\n{END}", "may only assign answers"),
    ],
)
def test_strip_solutions_rejects_malformed_cells(source, message):
    with pytest.raises(BuildError, match=message):
        strip_solutions(source, "cell 3")


def _scratch_course(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "nnlib").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · scratch"), nbformat.v4.new_code_cell(EXERCISE_CELL)]
    nb.cells[1].id = "exercise-preactivation"
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="old output\n")]
    nb.cells[1].execution_count = 3
    nbformat.write(nb, tmp_path / "solutions" / "01_scratch.ipynb")
    return tmp_path / "lessons" / "01_scratch.ipynb"


def test_build_writes_checks_and_never_clobbers_an_edited_lesson(tmp_path):
    lesson = _scratch_course(tmp_path)
    assert build_lessons(tmp_path).written == ["01_scratch.ipynb"]
    generated = lesson.read_text()
    cell = json.loads(generated)["cells"][1]
    assert cell["id"] == "exercise-preactivation"
    assert cell["outputs"] == [] and cell["execution_count"] is None
    assert build_lessons(tmp_path, check=True).ok

    # a learner edits the lesson: check calls it edited (never stale), build refuses, --force overwrites
    lesson.write_text(generated.replace("raise NotImplementedError", "return 0  # mine"))
    report = build_lessons(tmp_path, check=True)
    assert report.edited == ["01_scratch.ipynb"] and report.stale == [] and not report.ok
    report = build_lessons(tmp_path)
    assert report.refused == ["01_scratch.ipynb"] and "# mine" in lesson.read_text()
    assert build_lessons(tmp_path, force=True).written == ["01_scratch.ipynb"]
    assert lesson.read_text() == generated


def test_build_check_calls_an_edited_lesson_edited_and_a_saved_one_current(tmp_path, monkeypatch, capsys):
    from nnlib.cli import main

    lesson = _scratch_course(tmp_path)
    build_lessons(tmp_path)
    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(lesson, as_version=4)
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}  # what a save adds
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    nb.cells[1].execution_count = 1
    nbformat.write(nb, lesson)
    assert main(["build-lessons", "--check"]) == 0
    assert capsys.readouterr().out == "lessons up to date (1 notebooks)\n"
    assert main(["build-lessons"]) == 0 and "ran" in lesson.read_text()  # left alone: outputs kept
    nb.cells[1].source = nb.cells[1].source.replace("raise NotImplementedError", "return 0  # mine\n    #")
    nbformat.write(nb, lesson)
    assert main(["build-lessons", "--check"]) == 1
    out = capsys.readouterr().out
    assert "edited since they were generated" in out and "01_scratch.ipynb" in out and "stale" not in out


def test_build_updates_an_untouched_lesson_when_the_solution_changes(tmp_path):
    lesson = _scratch_course(tmp_path)
    build_lessons(tmp_path)
    solution = tmp_path / "solutions" / "01_scratch.ipynb"
    solution.write_text(solution.read_text().replace("# 01 · scratch", "# 01 · scratch, revised"))
    assert build_lessons(tmp_path).written == ["01_scratch.ipynb"]
    assert "revised" in lesson.read_text()


def test_everything_but_solutions_and_outputs_is_byte_identical():
    for path in SOLUTIONS:
        text, _ = lesson_text(path)
        original = nbformat.read(path, as_version=4)
        generated = nbformat.reads(text, as_version=4)
        assert original.metadata == generated.metadata
        for a, b in zip(original.cells, generated.cells, strict=True):
            assert a.id == b.id and a.cell_type == b.cell_type and a.metadata == b.metadata
            if a.cell_type == "markdown" or BEGIN not in a.source:
                assert a.source == b.source


def test_execute_solutions_is_deterministic_and_keeps_a_still_of_each_widget(tmp_path):
    from nnlib.course import SNAPSHOT_KEY, WIDGET_NOTE, execute_notebook

    shutil.copy(ROOT / "tests" / "nbval_sanitize.cfg", tmp_path)  # any file: the folder must exist
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nb.cells = [nbformat.v4.new_code_cell(
        "import numpy as np\nimport matplotlib.pyplot as plt\nimport ipywidgets as w\n"
        "rng = np.random.default_rng(0)\nprint(f'{rng.normal():.4f}')\nplt.plot([1, 2])\nplt.show()\n"
        "w.IntSlider()"),
        # a widget that draws into an Output, as the lessons' widgets do
        nbformat.v4.new_code_cell(
            "from nnlib.widgets import show_figure\nout = w.Output()\nfig, ax = plt.subplots()\n"
            "ax.plot([3, 1, 2])\nshow_figure(out, fig)\nw.VBox([w.IntSlider(), w.HBox([out])])")]
    path = tmp_path / "00_det.ipynb"
    nbformat.write(nb, path)
    execute_notebook(path)
    first = path.read_bytes()
    execute_notebook(path)
    assert path.read_bytes() == first
    saved = nbformat.reads(first.decode(), as_version=4)
    outputs = saved.cells[0].outputs
    assert [o["output_type"] for o in outputs] == ["stream", "display_data", "display_data"]
    assert "image/png" in outputs[1]["data"]
    # a widget without a picture: its view (random model ids) becomes a one-line note
    assert outputs[2]["data"] == {"text/plain": WIDGET_NOTE}
    assert outputs[2]["metadata"] == {SNAPSHOT_KEY: True}
    # a widget with a picture in its Output: a still of it, readable without a kernel
    (still,) = saved.cells[1].outputs
    assert still["metadata"] == {SNAPSHOT_KEY: True} and still["data"]["image/png"]
    assert "widget-view" not in first.decode() and "widgets" not in saved.metadata


def test_every_widget_cell_of_the_solutions_has_a_still():
    """export-html, and a notebook opened without a kernel, show them (execute-solutions writes them)."""
    from nnlib.course import SNAPSHOT_KEY

    for path in SOLUTIONS:
        for cell in cells(path):
            code = "\n".join(ln for ln in cell.source.splitlines() if not ln.startswith(("from ", "import ")))
            if cell.cell_type == "code" and re.search(r"\w+_(explorer|playground|stepper)\(", code):
                stills = [o for o in cell.outputs if o.get("metadata", {}).get(SNAPSHOT_KEY)]
                assert stills and all("image/png" in o.data for o in stills), (
                    f"{path.name} cell {cell.id}: no still of the widget; "
                    f"run `nnlib execute-solutions {path.name[:2]}`")


@pytest.mark.parametrize("deep", [False, True], ids=["short temp path", "temp path too long for a socket"])
def test_execute_notebook_stops_at_a_failing_cell_and_cleans_up(deep, tmp_path, monkeypatch, capfd):
    from nbclient.exceptions import CellExecutionError

    from nnlib.course import execute_notebook

    # where the kernel's socket folder goes: short, or deeper than a Unix socket path may be
    scratch = Path(tempfile.mkdtemp(prefix="nn-")) if not deep else tmp_path / ("d" * 60) / ("e" * 60)
    scratch.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\nopen('pid', 'w').write(str(os.getpid()))"),
                nbformat.v4.new_code_cell("1 / 0")]
    path = tmp_path / "00_fails.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        execute_notebook(path)
    assert path.read_bytes() == before  # nothing saved from a failed run
    with pytest.raises(ProcessLookupError):
        os.kill(int((tmp_path / "pid").read_text()), 0)  # the kernel was shut down
    assert list(scratch.iterdir()) == []
    monkeypatch.undo()
    scratch.rmdir()
    if os.name == "posix" and not deep:  # Unix sockets, so ipykernel has no plain-text TCP to warn about
        assert "TCP without encryption" not in capfd.readouterr().err


def test_pytest_in_parallel_keeps_each_notebook_on_one_worker():
    """`pytest -n 2`: nbval's cells depend on earlier cells, so a notebook must not be split."""
    notebook = next(p for p in SOLUTIONS if p.name.startswith("01_"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider", str(notebook)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"\b\d+ passed", done.stdout)


def test_readme_shows_the_current_course_map_and_the_two_commands():
    from nnlib.course_map import course_map_markdown

    readme = (ROOT / "README.md").read_text()
    assert course_map_markdown() in readme
    assert "pip install -r requirements.txt" in readme
    assert "jupyter lab lessons/" in readme
    assert "\npytest\n" in readme


def test_requirements_install_nnlib_itself_and_nothing_from_elsewhere():
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    entries = [ln for ln in lines if ln and not ln.startswith("#")]
    assert "-e ." in entries
    assert not [e for e in entries if "://" in e or e.startswith(("-f", "--find-links", "-i", "--index"))]
    assert "torch" not in " ".join(entries)


@pytest.mark.parametrize("command", [["build-lessons"], ["execute-solutions"], ["export-html"],
                                     ["export-student", "out"], ["export-nbgrader", "out"],
                                     ["export-otter", "out"]])
def test_commands_outside_the_checkout_say_so_in_one_line(command, tmp_path, monkeypatch, capsys):
    from nnlib.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nnlib {command[0]}: no course checkout")
    assert str(tmp_path) in err and "Traceback" not in err


def test_doctor_checks_every_package_of_requirements():
    from nnlib.doctor import REQUIRED

    pinned = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        spec = line.split("#")[0].strip()
        if spec and not spec.startswith("-"):
            name, minimum = spec.split(">=")
            pinned[name.strip()] = minimum.strip()
    assert pinned == REQUIRED
