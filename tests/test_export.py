"""Exports: the offline site (export-html), the student release, nbgrader and otter source folders.

The round trips through the real nbgrader and otter tools are in tests/test_classroom_tools.py,
the site in a real browser with the network blocked in tests/browser/test_site.py.
"""

import hashlib
import json
import re
from pathlib import Path

import nbformat
import pytest
from site_fixture import exported_site

from nnlib import check
from nnlib.course import BEGIN, END, BuildError, lesson_text
from nnlib.course_map import LESSONS
from nnlib.exercises import EXERCISES, QUESTIONS
from nnlib.export import (
    SITE_DIR,
    export_html,
    export_nbgrader,
    export_otter,
    export_student,
    graded_source,
    lesson_title,
)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
PAGES = [f"{p.stem}.html" for p in SOLUTIONS]


@pytest.fixture(scope="module")
def site():
    return exported_site()


# -- the site -------------------------------------------------------------------------------


def test_index_links_every_lesson(site):
    index = (site / "index.html").read_text()
    links = re.findall(r'href="([^"]+\.html)"', index)
    assert links == PAGES
    assert len(links) == len(LESSONS)
    for link in links:
        assert (site / link).is_file()
    assert 'src="data:image/png;base64,' in index  # the course map figure


def test_pages_embed_their_figures_and_hide_solutions(site):
    page = (site / "02_activations.html").read_text()
    assert page.count("data:image/png;base64,") >= 3
    assert "### BEGIN SOLUTION" not in page
    assert "NotImplementedError" in page
    assert not re.search(r"src=\"(?!data:)[^\"]+\.png\"", page)  # no external image files


@pytest.mark.parametrize("name", PAGES)
def test_pages_fetch_nothing_and_load_no_require_js(site, name):
    """Offline: every script, style and image is inline or in the site folder; require.js is gone."""
    page = (site / name).read_text()
    refs = re.findall(r'<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)="([^"]*)"', page)
    remote = [ref for ref in refs if re.match(r"(https?:)?//", ref)]
    assert remote == [], f"{name} fetches {remote}"
    local = [ref for ref in refs if not ref.startswith(("data:", "#"))]
    assert local == ["assets/mathjax/tex-svg-full.js"]
    assert (site / local[0]).is_file()
    assert "require.js" not in page and "require.min.js" not in page
    assert "cdnjs" not in page and "mathjax@" not in page.lower()
    assert not re.search(r"@import\s+url\(\s*['\"]?(https?:)?//", page)


def test_the_site_ships_mathjax_with_its_licence(site):
    readme = (SITE_DIR / "mathjax" / "README.md").read_text()
    digest = hashlib.sha256((site / "assets/mathjax/tex-svg-full.js").read_bytes()).hexdigest()
    assert f"sha256 {digest}" in readme, "the vendored MathJax is not the file its README names"
    assert "Apache License" in (site / "assets/mathjax/LICENSE").read_text()


def test_each_page_has_its_lesson_title_and_index_previous_next_links(site):
    titles = [lesson_title(nbformat.read(p, as_version=4), p.stem) for p in SOLUTIONS]
    for i, name in enumerate(PAGES):
        page = (site / name).read_text()
        assert re.search(rf"<title>{re.escape(titles[i])} · Neural networks from the neuron up</title>", page)
        nav = re.findall(r'<nav[^>]*class="nnlib-nav[^"]*"[^>]*>(.*?)</nav>', page, re.S)
        assert len(nav) == 2, f"{name}: a navigation bar at the top and at the bottom"
        for bar in nav:
            assert 'href="index.html"' in bar
            links = {rel: href for href, rel in re.findall(r'<a href="([^"]+)" rel="(prev|next)"', bar)}
            assert links.get("prev") == (PAGES[i - 1] if i > 0 else None)
            assert links.get("next") == (PAGES[i + 1] if i + 1 < len(PAGES) else None)


def test_widget_cells_show_their_still_with_a_caption(site):
    page = (site / "02_activations.html").read_text()
    figures = re.findall(r'<figure class="nnlib-widget">(.*?)</figure>', page, re.S)
    assert len(figures) == 1
    assert 'src="data:image/png;base64,' in figures[0] and "run this cell in JupyterLab" in figures[0]
    # every page whose lesson has a widget shows one still per widget cell
    for path in SOLUTIONS:
        outputs = [out for cell in nbformat.read(path, as_version=4).cells for out in cell.get("outputs", [])]
        stills = sum(1 for out in outputs if out.get("metadata", {}).get("nnlib_widget_snapshot"))
        page = (site / f"{path.stem}.html").read_text()
        assert page.count('<figure class="nnlib-widget">') == stills, path.name


def test_solutions_mode_keeps_the_solutions(tmp_path):
    export_html(ROOT, tmp_path, solutions=True)
    page = (tmp_path / "02_activations.html").read_text()
    assert "BEGIN SOLUTION" in page
    assert "all " in page and "checks passed" in page


# -- the student release --------------------------------------------------------------------


def test_student_release_has_the_lessons_and_no_solutions(tmp_path):
    out = tmp_path / "release"
    export_student(ROOT, out)
    assert not (out / "solutions").exists() and not (out / "tests").exists()
    lessons = sorted((out / "lessons").glob("*.ipynb"))
    assert [p.name for p in lessons] == [p.name for p in SOLUTIONS]
    for lesson, solution in zip(lessons, SOLUTIONS, strict=True):
        assert lesson.read_text() == lesson_text(solution)[0]  # generated, not copied from lessons/
    everything = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in everything if p.suffix == ".ipynb" and BEGIN in p.read_text()]
    assert (out / "nnlib" / "__init__.py").is_file() and (out / "requirements.txt").is_file()
    assert (out / "pyproject.toml").is_file() and (out / "LICENSE").is_file()
    assert not [p for p in everything if "__pycache__" in p.parts]
    with pytest.raises(FileExistsError, match="not empty"):
        export_student(ROOT, out)  # never writes over an earlier release


def test_the_doctor_finds_a_student_release_and_its_lessons(tmp_path):
    from nnlib.doctor import check_lessons, locate

    out = tmp_path / "release"
    export_student(ROOT, out)
    setup = locate(out / "lessons")
    assert setup.course == out
    finding = check_lessons(setup)
    assert finding.ok and finding.detail == f"{len(SOLUTIONS)} lessons"


# -- nbgrader and otter (the format; the real tools run in test_classroom_tools.py) -----------


def _code(nb, cell_id):
    (cell,) = [c for c in nb.cells if c.get("id") == cell_id]
    return cell


@pytest.fixture(scope="module")
def nbgrader_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("nbgrader")
    export_nbgrader(ROOT, out)
    return out


def test_nbgrader_cells_carry_nbgrader_metadata(nbgrader_dir):
    assert "code_stub" in (nbgrader_dir / "nbgrader_config.py").read_text()
    points = 0
    for path in SOLUTIONS:
        nb = nbformat.read(nbgrader_dir / "source" / path.stem / path.name, as_version=4)
        graded = {c.id: c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata}
        for ex in (e for e in EXERCISES.values() if e.lesson == path.name[:2]):
            assert graded[f"exercise-{ex.id}"]["solution"] and not graded[f"exercise-{ex.id}"]["grade"]
            check = graded[f"check-{ex.id}"]
            assert check["grade"] and check["locked"] and check["points"] == 1
            assert _code(nb, f"check-{ex.id}").source.endswith(f'check("{ex.id}", {ex.id}, strict=True)')
        for q in (q for q in QUESTIONS.values() if q.lesson == path.name[:2]):
            assert graded[f"question-{q.id}"]["solution"]
            assert graded[f"check-{q.id}"]["grade"] and graded[f"check-{q.id}"]["points"] == 1
            assert "check_answer" not in _code(nb, f"question-{q.id}").source  # split: answer | test
            assert f'assert check_answer("{q.id}", answer)' in _code(nb, f"check-{q.id}").source
        ids = [meta["grade_id"] for meta in graded.values()]
        assert len(ids) == len(set(ids))
        points += sum(meta.get("points", 0) for meta in graded.values())
    assert points == len(EXERCISES) + len(QUESTIONS)


def test_solution_cells_keep_the_lessons_stub_after_the_solution():
    source = ('def f_is_relu(z):\n    """doc"""\n    ### BEGIN SOLUTION\n    return z\n    ### END SOLUTION')
    with pytest.raises(BuildError, match="not in the exercise registry"):
        graded_source(source, "t", BEGIN, END)
    cell = ('def relu(z):\n    """doc"""\n    ### BEGIN SOLUTION\n    return np.maximum(z, 0)\n'
            "    ### END SOLUTION")
    task = EXERCISES["relu"].task
    assert graded_source(cell, "t", "# BEGIN SOLUTION NO PROMPT", "# END SOLUTION") == (
        'def relu(z):\n    """doc"""\n    # BEGIN SOLUTION NO PROMPT\n    return np.maximum(z, 0)\n'
        f'    # END SOLUTION\n    raise NotImplementedError("Exercise relu: {task}")')
    # a body that does not end in a return gets one, so the stub after it stays unreachable
    generator = ("def iterate_minibatches(X, y, batch_size, rng):\n    ### BEGIN SOLUTION\n"
                 "    for i in range(3):\n        yield i\n    ### END SOLUTION")
    out = graded_source(generator, "t", BEGIN, END)
    assert "        yield i\n    return\n    ### END SOLUTION\n    raise NotImplementedError" in out
    namespace = {}
    exec(out, namespace)
    assert list(namespace["iterate_minibatches"](0, 0, 0, 0)) == [0, 1, 2]
    # the layout is refused where it would change what the solution does
    nested = ("def relu(z):\n    if z:\n        ### BEGIN SOLUTION\n        return z\n"
              "        ### END SOLUTION\n    return 0")
    with pytest.raises(BuildError, match="end of its function"):
        graded_source(nested, "t", BEGIN, END)
    # an answer: the stub first, the solution after it
    assert graded_source(f'{BEGIN}\nanswer = "b"\n{END}', "t", BEGIN, END) == (
        f'answer = None  # your answer\n{BEGIN}\nanswer = "b"\n{END}')


def test_exported_solution_cells_still_solve_every_exercise(nbgrader_dir):
    """The solution notebook an instructor keeps (and otter runs its tests on) is still correct."""
    for path in SOLUTIONS[1:4]:  # lessons 01-03 (plain functions): run each solution cell, check it
        nb = nbformat.read(nbgrader_dir / "source" / path.stem / path.name, as_version=4)
        namespace = {}
        exec("import numpy as np\nfrom nnlib import *", namespace)
        for cell in nb.cells:
            if cell.get("id", "").startswith("exercise-"):
                exec(cell.source, namespace)
                exercise_id = cell.id.removeprefix("exercise-")
                assert check(exercise_id, namespace[exercise_id], quiet=True), exercise_id


def test_otter_master_notebooks_have_a_question_per_exercise_and_concept_question(tmp_path):
    export_otter(ROOT, tmp_path)
    for path in SOLUTIONS:
        nb = nbformat.read(tmp_path / path.name, as_version=4)
        raw = [c.source for c in nb.cells if c.cell_type == "raw"]
        assert raw[0].startswith("# ASSIGNMENT CONFIG")
        names = re.findall(r"^# BEGIN QUESTION\nname: (\w+)\npoints: 1$", "\n".join(raw), re.M)
        expected = [c.id.removeprefix("exercise-") for c in nbformat.read(path, as_version=4).cells
                    if c.id.startswith("exercise-")]
        expected += [q.id for q in QUESTIONS.values() if q.lesson == path.name[:2]]
        assert sorted(names) == sorted(expected)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert BEGIN not in code and END not in code  # otter's markers, not ours
        assert len(re.findall(r"^\s*# BEGIN SOLUTION NO PROMPT$", code, re.M)) == len(names)
        for name in names:
            assert re.search(rf"^def test_{name}\(", code, re.M)
        assert json.loads(json.dumps(nb.metadata)) == json.loads(json.dumps(
            nbformat.read(path, as_version=4).metadata))
