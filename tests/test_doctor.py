"""nnlib doctor tells the truth: what a lesson will meet, not what the doctor's own process sees."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

import nnlib
from nnlib import doctor
from nnlib.course import build_lessons
from nnlib.doctor import (
    REQUIRED,
    check_course_folder,
    check_lessons,
    check_nnlib_import,
    format_findings,
    lesson_states,
    locate,
    problems,
    run_doctor,
    summary,
)

ROOT = Path(__file__).resolve().parents[1]
EXERCISE_CELL = ('def preactivation(x, w, b):\n    """z = w·x + b."""\n    ### BEGIN SOLUTION\n'
                 "    return float(x @ w + b)\n    ### END SOLUTION")


def scratch_course(folder: Path) -> Path:
    """A course folder with one solution and its generated lesson (and a copy of nnlib/)."""
    (folder / "solutions").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · scratch"), nbformat.v4.new_code_cell(EXERCISE_CELL)]
    nb.cells[1].id = "exercise-preactivation"
    nbformat.write(nb, folder / "solutions" / "01_scratch.ipynb")
    shutil.copytree(ROOT / "nnlib", folder / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))
    build_lessons(folder)
    return folder


def python_without_nnlib(tmp_path: Path) -> Path:
    """A venv that sees this environment's packages (numpy, ...) but not the installed nnlib:
    like a checkout after `pip uninstall nnlib-course`."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    purelib = Path(sysconfig.get_paths()["purelib"])
    target = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; "
                                  "print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    # a plain path line: the editable-install hook (a .pth file in purelib) is not run from it
    (target / "environment.pth").write_text(f"{purelib}\n")
    return venv / "bin" / "python"


def test_the_import_is_tried_as_a_lesson_does_it_not_from_the_doctors_folder(tmp_path, monkeypatch):
    """After `pip uninstall`, `import nnlib` still works from the checkout's root (nnlib/ is there)
    but fails in lessons/: the doctor must say so instead of 'all good'."""
    python = python_without_nnlib(tmp_path)
    from_root = subprocess.run([str(python), "-c", "import nnlib"], cwd=ROOT, capture_output=True)
    from_lessons = subprocess.run([str(python), "-c", "import nnlib"], cwd=ROOT / "lessons",
                                  capture_output=True)
    assert from_root.returncode == 0 and from_lessons.returncode != 0  # the trap the old doctor fell into
    monkeypatch.setattr(doctor, "kernel_python", lambda: str(python))
    monkeypatch.chdir(ROOT)
    finding = check_nnlib_import(locate())
    assert not finding.ok
    assert "a lesson's `import nnlib` fails: ModuleNotFoundError" in finding.detail
    assert finding.fix == f"cd {ROOT} && pip install -r requirements.txt"


def test_the_editable_checkout_is_accepted(monkeypatch):
    monkeypatch.chdir(ROOT / "solutions")
    finding = check_nnlib_import(locate())
    assert finding.ok and f"imported from this course folder ({ROOT / 'nnlib'})" in finding.detail


def fake_site_packages(tmp_path: Path, changed: bool) -> Path:
    site = tmp_path / "lib" / "site-packages"
    shutil.copytree(ROOT / "nnlib", site / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))
    if changed:
        losses = site / "nnlib" / "losses.py"
        losses.write_text(losses.read_text() + "\n# changed\n")
    return site


@pytest.mark.parametrize("changed", [False, True], ids=["same code", "other code"])
def test_a_site_packages_install_is_accepted_when_it_is_the_courses_code(tmp_path, monkeypatch, changed):
    """Binder and hubs run `pip install .`: nnlib then comes from site-packages, not the checkout."""
    site = fake_site_packages(tmp_path, changed)
    monkeypatch.setenv("PYTHONPATH", str(site))  # the kernel's Python finds this copy first
    finding = check_nnlib_import(locate(ROOT))
    assert str(site / "nnlib") in finding.detail
    if changed:
        assert not finding.ok and "an installed copy that differs from" in finding.detail
        assert finding.fix.startswith(f"cd {ROOT} && pip install -e .")
    else:
        assert finding.ok and "an installed copy of this course's nnlib" in finding.detail


def test_run_from_another_folder_it_says_where_the_course_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    setup = locate()
    assert setup.course == ROOT and setup.found_from == "installed"
    finding = check_course_folder(setup)
    assert finding.ok and finding.detail == f"{ROOT} (you are in {tmp_path.resolve()}: cd {ROOT})"
    # and the lesson checks still run, on that course
    n_lessons = len(list((ROOT / "lessons").glob("[0-9]*.ipynb")))
    assert check_lessons(setup).detail.startswith(f"{n_lessons} lessons")


def test_without_any_course_folder_it_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(nnlib, "__file__", str(tmp_path / "site-packages" / "nnlib" / "__init__.py"))
    setup = locate()
    assert setup.course is None
    finding = check_course_folder(setup)
    assert not finding.ok and "cd into the course folder" in finding.fix


def saved_by_jupyterlab(path: Path) -> None:
    """What opening, running and saving a lesson in JupyterLab does to the file (no edit)."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7", "mimetype": "text/x-python",
                                    "codemirror_mode": {"name": "ipython", "version": 3}}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = 1
            cell.outputs = [nbformat.v4.new_output("stream", text="preactivation: not implemented yet\n")]
            cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    nbformat.write(nb, path)


def test_a_saved_or_edited_lesson_is_the_learners_work_never_stale(tmp_path):
    course = scratch_course(tmp_path / "course")
    lesson = course / "lessons" / "01_scratch.ipynb"
    assert lesson_states(course) == {"01_scratch.ipynb": "current"}

    saved_by_jupyterlab(lesson)
    assert build_lessons(course, check=True).ok  # saving is not a change to the lesson
    assert lesson_states(course) == {"01_scratch.ipynb": "yours"}
    nb = nbformat.read(lesson, as_version=4)
    nb.cells[1].source = nb.cells[1].source.split("    raise")[0] + "    return float(x @ w + b)  # mine"
    nbformat.write(nb, lesson)
    assert lesson_states(course) == {"01_scratch.ipynb": "yours"}
    finding = check_lessons(locate(root=course))
    assert finding.ok and finding.detail == "1 lessons, 1 saved or edited by you (kept as they are)"
    report = format_findings(run_doctor(course))
    assert "stale" not in report and "git pull" not in report
    build_lessons(course)
    assert "# mine" in lesson.read_text()  # the build keeps it too


def test_a_lesson_left_behind_by_its_solution_is_a_maintainers_fix(tmp_path):
    course = scratch_course(tmp_path / "course")
    solution = course / "solutions" / "01_scratch.ipynb"
    solution.write_text(solution.read_text().replace("# 01 · scratch", "# 01 · scratch, revised"))
    assert lesson_states(course) == {"01_scratch.ipynb": "outdated"}
    finding = check_lessons(locate(root=course))
    assert not finding.ok and "nnlib build-lessons  (course maintainers)" in finding.fix


def test_missing_and_broken_lessons_get_a_fix_that_keeps_the_learners_work(tmp_path):
    course = scratch_course(tmp_path / "course")
    lesson = course / "lessons" / "01_scratch.ipynb"
    lesson.write_text('{"cells": [')  # a save cut short
    finding = check_lessons(locate(root=course))
    assert not finding.ok and "01_scratch.ipynb is not a valid notebook" in finding.fix
    assert ".ipynb_checkpoints" in finding.fix
    lesson.unlink()
    finding = check_lessons(locate(root=course))
    assert not finding.ok and finding.fix.startswith("missing 01_scratch.ipynb: git checkout -- lessons/")


def test_maintainer_tools_are_not_a_learners_problem():
    names = {f.name for f in run_doctor(ROOT)}
    for tool in ("pytest", "pytest-xdist", "hypothesis", "nbval", "ruff", "playwright", "nbgrader"):
        assert tool not in REQUIRED and tool not in names


def test_the_summary_has_no_path_and_no_version(tmp_path):
    findings = run_doctor(ROOT)
    line = summary(findings)
    assert line == f"nnlib doctor: all {len(findings)} checks passed; this machine is ready for the course."
    broken = [*findings[:3], doctor.Finding("lessons", False, f"stale: {tmp_path}", "git pull")]
    line = summary(broken)
    assert line == ("nnlib doctor: 1 of 4 checks need a fix (lessons); "
                    "run `nnlib doctor` in a terminal to see the fixes.")
    assert problems(broken) == broken[3:]
    for text in (summary(findings), line):
        assert "/" not in text and "stale" not in text and not re.search(r"\d+\.\d+", text)


def test_the_command_line(tmp_path, monkeypatch, capsys):
    from nnlib.cli import main

    monkeypatch.chdir(ROOT / "lessons")
    assert main(["doctor"]) == 0
    assert re.search(r"^nnlib +ok +\S+, imported from this course folder", capsys.readouterr().out, re.M)
    # --summary, from elsewhere, in a process of its own: one line, no path
    short = subprocess.run([sys.executable, "-m", "nnlib", "doctor", "--summary"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert short.returncode == 0 and short.stdout.count("\n") == 1
    assert short.stdout.startswith("nnlib doctor: all ") and str(tmp_path) not in short.stdout


def test_the_grading_isolation_row_informs_and_never_blocks_a_learner(monkeypatch):
    from nnlib.grading import Isolation

    row = doctor.check_grading_isolation()
    assert row.ok and row.detail.startswith(("bubblewrap: ", "process: "))
    # without bubblewrap (a laptop, macOS): still ready for the course, with the instructor's next step
    plain = Isolation("process", "a plain process (bubblewrap (bwrap) is not installed)", "not isolated")
    monkeypatch.setattr("nnlib.grading.grading_isolation", lambda: plain)
    row = doctor.check_grading_isolation()
    assert row.ok and "install bubblewrap" in row.detail and "not installed" in row.detail
