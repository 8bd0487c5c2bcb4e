"""Exports of the course for other tools: a static site, a student release, nbgrader and otter.

- :func:`export_html` (``nnlib export-html``): the executed notebooks as a static site that
  works offline (MathJax is bundled, nothing is fetched), one page per lesson with its title
  and links to the index and the neighbouring lessons, widgets shown as stills. By default the
  solutions are hidden: exercise cells show the lesson's ``raise NotImplementedError`` stub and
  the outputs of exercise, check and question cells are dropped.
- :func:`export_student` (``nnlib export-student``): the course as learners get it, without
  ``solutions/`` (for summative work).
- :func:`export_nbgrader` (``nnlib export-nbgrader``): an nbgrader course folder
  (``source/<lesson>/<lesson>.ipynb`` and ``nbgrader_config.py``).
- :func:`export_otter` (``nnlib export-otter``): otter-grader master notebooks.

For nbgrader and otter, each exercise cell becomes a solution cell whose solution region
(in the tool's markers) is followed by the lesson's own stub,
``raise NotImplementedError("Exercise <id>: <task>")``: unreachable in the solution (the
region ends the function with a ``return``), and all that is left once the tool removes the
region. Each check cell becomes a test that fails when the check fails
(``check(..., strict=True)`` raises), and each concept question is split into an answer cell
and a test cell.
"""

from __future__ import annotations

import base64
import html
import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat

from nnlib.course import (
    BEGIN,
    END,
    SNAPSHOT_KEY,
    WIDGET_NOTE,
    BuildError,
    Region,
    lesson_text,
    replace_regions,
    solution_regions,
    strip_solutions,
)

COURSE_TITLE = "Neural networks from the neuron up"
SITE_DIR = Path(__file__).parent / "site"  # the page template, its CSS and the vendored MathJax
_HIDDEN_PREFIXES = ("exercise-", "check-", "question-")
_CHECK = re.compile(r'^check\("(\w+)", (\w+)\)$')
_CHECK_ANSWER = re.compile(r'^check_answer\("(\w+)", (\w+)\)$', re.M)


def solution_notebooks(root: Path) -> list[Path]:
    return sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))


def lesson_title(nb, fallback: str) -> str:
    """The lesson's title: its first ``# `` heading (e.g. "02 · Activation functions")."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return fallback


# -- the static site ------------------------------------------------------------------------


def _without_solutions(nb, name: str):
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.source, _ = strip_solutions(cell.source, f"{name} cell {index}")
        if cell.get("id", "").startswith(_HIDDEN_PREFIXES):
            cell.outputs = []
            cell.execution_count = None
    return nb


def _widget_stills_as_figures(nb) -> None:
    """A widget's still (see ``nnlib.course.widget_snapshot``) becomes a captioned figure."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if not out.get("metadata", {}).get(SNAPSHOT_KEY):
                continue
            png = out.get("data", {}).get("image/png")
            if png:
                body = (f'<figure class="nnlib-widget"><img alt="a still of the interactive widget" '
                        f'src="data:image/png;base64,{png}"><figcaption>{html.escape(WIDGET_NOTE)} '
                        "Shown here: its first view.</figcaption></figure>")
            else:
                body = f'<p class="nnlib-widget">{html.escape(WIDGET_NOTE)}</p>'
            out["data"] = {"text/html": body, "text/plain": WIDGET_NOTE}


def _course_map_png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnlib.course_map import draw_course_map

    ax = draw_course_map()
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(ax.figure)
    return base64.b64encode(buffer.getvalue()).decode()


def export_html(root: Path, out_dir: Path, solutions: bool = False) -> list[Path]:
    """Write ``index.html``, one page per lesson and ``assets/`` into ``out_dir``; return the pages."""
    from nbconvert import HTMLExporter

    from nnlib.course_map import LESSONS

    exporter = HTMLExporter(template_name=SITE_DIR.name, extra_template_basedirs=[str(SITE_DIR.parent)])
    out_dir.mkdir(parents=True, exist_ok=True)
    assets = out_dir / "assets" / "mathjax"
    assets.mkdir(parents=True, exist_ok=True)
    for name in ("tex-svg-full.js", "LICENSE", "README.md"):
        shutil.copyfile(SITE_DIR / "mathjax" / name, assets / name)
    css = (SITE_DIR / "site.css").read_text(encoding="utf-8")

    notebooks = []
    for path in solution_notebooks(root):
        nb = nbformat.read(path, as_version=4)
        if not solutions:
            nb = _without_solutions(nb, path.name)
        _widget_stills_as_figures(nb)
        notebooks.append((path, nb, lesson_title(nb, path.stem)))
    links = [{"href": f"{path.stem}.html", "title": title} for path, _, title in notebooks]

    pages, rows = [], []
    minutes = {lesson.number: lesson.minutes for lesson in LESSONS}
    for i, (path, nb, title) in enumerate(notebooks):
        site = {"course": COURSE_TITLE, "css": css, "mathjax": "assets/mathjax/tex-svg-full.js",
                "prev": links[i - 1] if i > 0 else None, "next": links[i + 1] if i + 1 < len(links) else None}
        nb.metadata["title"] = f"{title} · {COURSE_TITLE}"
        body, _ = exporter.from_notebook_node(nb, resources={"nnlib_site": site})
        page = out_dir / links[i]["href"]
        page.write_text(body, encoding="utf-8")
        pages.append(page)
        time_cell = f"{minutes[path.name[:2]]} min" if path.name[:2] in minutes else ""
        rows.append(f'<tr><td><a href="{page.name}">{html.escape(title)}</a></td><td>{time_cell}</td></tr>')
    kind = "with solutions" if solutions else "lessons (solutions hidden)"
    index = out_dir / "index.html"
    index.write_text(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{COURSE_TITLE}</title>"
        "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;padding:0 1em}"
        "td{padding:.3em 1em .3em 0}</style></head><body>\n"
        f"<h1>{COURSE_TITLE}</h1>\n"
        f"<p>A hands-on course on backpropagation, {kind}. Run it live with "
        "<code>pip install -r requirements.txt</code> and <code>jupyter lab lessons/</code>.</p>\n"
        f'<img alt="course map" src="data:image/png;base64,{_course_map_png()}">\n'
        "<table><tr><th>lesson</th><th>time</th></tr>\n" + "\n".join(rows) + "\n</table>\n</body></html>\n",
        encoding="utf-8",
    )
    return [index, *pages]


# -- a student release ----------------------------------------------------------------------

#: What a student release holds besides the lessons: what `pip install -r requirements.txt`
#: and the lessons need. Not solutions/, tests/, benchmarks/, .ci/ or the instructor docs.
STUDENT_FILES = ("README.md", "LICENSE", "pyproject.toml", "requirements.txt", "binder")


def export_student(root: Path, out_dir: Path) -> list[Path]:
    """Write the course without its solutions: freshly generated lessons, nnlib, the install files.

    The lessons are generated from ``solutions/`` (not copied from ``lessons/``, which may
    hold someone's work). Note that nnlib itself is the course's reference implementation:
    a learner can read ``nnlib.relu``; summative grading should rely on ``nnlib grade``'s
    hidden cases, not on secrecy.
    """
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"export-student: {out_dir} exists and is not empty; choose a new folder")
    (out_dir / "lessons").mkdir(parents=True, exist_ok=True)
    written = []
    for path in solution_notebooks(root):
        text, _ = lesson_text(path)
        target = out_dir / "lessons" / path.name
        target.write_text(text, encoding="utf-8")
        written.append(target)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(root / "nnlib", out_dir / "nnlib", ignore=ignore)
    written.append(out_dir / "nnlib")
    for name in STUDENT_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, out_dir / name, ignore=ignore)
        elif source.is_file():
            shutil.copyfile(source, out_dir / name)
        else:
            continue
        written.append(out_dir / name)
    return written


# -- nbgrader and otter ---------------------------------------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _ends_function(region: Region, lines: list[str], where: str) -> None:
    """The unreachable-stub layout needs the region to be the rest of its function's body."""
    def_line = next(i for i in range(region.begin - 1, -1, -1)
                    if re.match(rf"\s*def\s+{region.exercise_id}\s*\(", lines[i]))
    body_indent = next(_indent(line) for line in lines[def_line + 1 :] if line.strip())
    after = [line for line in lines[region.end + 1 :] if line.strip() and not line.lstrip().startswith("#")]
    if len(region.indent) != body_indent or (after and _indent(after[0]) > _indent(lines[def_line])):
        raise BuildError(f"{where}: for nbgrader and otter, the solution region of {region.exercise_id} "
                         "must be the end of its function's body")


def graded_source(source: str, where: str, begin: str, end: str) -> str:
    """An exercise or answer cell for nbgrader/otter: the solution between the tool's markers,
    the lesson's stub beside it (after a function's region, before an answer's)."""
    regions = solution_regions(source, where)

    def render(region: Region, lines: list[str]) -> list[str]:
        body = lines[region.begin + 1 : region.end]
        if region.exercise_id is None:  # an answer: the stub first, the solution overrides it
            return [*region.stub, begin, *body, end]
        _ends_function(region, lines, where)
        code = [line for line in body if line.strip() and not line.lstrip().startswith("#")]
        if not (code and code[-1].startswith((f"{region.indent}return", f"{region.indent}raise"))):
            body = [*body, f"{region.indent}return"]  # makes the stub below unreachable
        return [region.indent + begin, *body, region.indent + end, *region.stub]

    return replace_regions(source, regions, render)


def _split_question(cell, where: str) -> tuple[str, str, str, str]:
    """A question cell -> (answer source, question id, answer variable, the answer check line)."""
    lines = cell.source.split("\n")
    calls = [(i, _CHECK_ANSWER.match(line.strip())) for i, line in enumerate(lines)]
    calls = [(i, m) for i, m in calls if m]
    if len(calls) != 1:
        raise BuildError(f"{where}: a question cell needs exactly one check_answer(\"<id>\", <name>) line")
    i, match = calls[0]
    answer = "\n".join(lines[:i] + lines[i + 1 :]).strip("\n")
    return answer, match.group(1), match.group(2), lines[i].strip()


def _graded_cells(path: Path, on_exercise, on_check, on_question) -> nbformat.NotebookNode:
    """Walk a solution notebook, letting the tool turn exercise, check and question cells into its own."""
    nb = nbformat.read(path, as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells):
        where = f"{path.name} cell {index} ({cell.get('id', '')})"
        if cell.cell_type != "code":
            cells.append(cell)
        elif cell.id.startswith("exercise-"):
            cells += on_exercise(cell, cell.id.removeprefix("exercise-"), where)
        elif match := _CHECK.match(cell.source.strip()):
            cells += on_check(cell, match.group(1), match.group(2), where)
        elif _CHECK_ANSWER.search(cell.source):
            cells += on_question(cell, *_split_question(cell, where), where)
        elif BEGIN in cell.source or END in cell.source:
            raise BuildError(f"{where}: a solution region outside an exercise or question cell")
        else:
            cells.append(cell)
    nb.cells = cells
    return nb


def _nbgrader_meta(grade_id: str, *, solution=False, grade=False, points=0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def nbgrader_notebook(path: Path) -> nbformat.NotebookNode:
    """One solution notebook as an nbgrader source notebook."""
    def exercise(cell, exercise_id, where):
        cell.source = graded_source(cell.source, where, BEGIN, END)
        cell.metadata.update(_nbgrader_meta(cell.id, solution=True))
        return [cell]

    def check(cell, exercise_id, name, where):
        cell.source = f'from nnlib import check\ncheck("{exercise_id}", {name}, strict=True)'
        cell.metadata.update(_nbgrader_meta(cell.id, grade=True, points=1))
        return [cell]

    def question(cell, answer, question_id, name, line, where):
        outputs, cell.outputs, cell.execution_count = cell.outputs, [], None
        cell.source = graded_source(answer, where, BEGIN, END)
        cell.metadata.update(_nbgrader_meta(cell.id, solution=True))
        test = nbformat.v4.new_code_cell(
            f'from nnlib import check_answer\nassert {line}, "{question_id}: not the expected answer"',
            outputs=outputs, metadata=_nbgrader_meta(f"check-{question_id}", grade=True, points=1))
        test.id = f"check-{question_id}"
        return [cell, test]

    return _graded_cells(path, exercise, check, question)


NBGRADER_CONFIG = '''\
"""nbgrader configuration of "Neural networks from the neuron up" (written by nnlib export-nbgrader).

An exercise cell's solution region is followed by the lesson's own stub,
raise NotImplementedError("Exercise <id>: <task>"), so the region itself is replaced by nothing.
"""

c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.course_id = "nnlib"
c.ClearSolutions.code_stub = {"python": ""}
c.ExecutePreprocessor.timeout = 120
'''

NBGRADER_README = """\
# The course as an nbgrader course folder

Written by `nnlib export-nbgrader`. One assignment per lesson, in `source/<lesson>/`:
exercise cells are solution cells, check cells are locked grade cells worth 1 point that
fail when the exercise fails (`check(..., strict=True)` raises), concept questions are an
answer cell and a grade cell. The grading kernel needs nnlib (`pip install .` in the course checkout).

    cd {folder}
    nbgrader generate_assignment 01_single_neuron          # -> release/01_single_neuron/
    # collect submissions in submitted/<student>/01_single_neuron/01_single_neuron.ipynb
    nbgrader autograde 01_single_neuron                    # -> autograded/, gradebook.db

Tests run in the learner's kernel, as always with nbgrader: for grading that does not trust
the learner's code, use `nnlib grade` (sandboxed, hidden cases).
"""


def export_nbgrader(root: Path, out_dir: Path) -> list[Path]:
    """Write an nbgrader course folder: ``source/<lesson>/<lesson>.ipynb``, config and a README."""
    written = []
    for path in solution_notebooks(root):
        nb = nbgrader_notebook(path)
        target = out_dir / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        written.append(target)
    for name, text in (("nbgrader_config.py", NBGRADER_CONFIG),
                       ("README.md", NBGRADER_README.format(folder=out_dir.name))):
        (out_dir / name).write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    return written


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


def otter_notebook(path: Path) -> nbformat.NotebookNode:
    """One solution notebook as an otter-grader (v1 format) master notebook."""
    def question_block(name, answer_cells, test_source):
        test = nbformat.v4.new_code_cell(test_source)
        return [_raw(f"# BEGIN QUESTION\nname: {name}\npoints: 1"), _raw("# BEGIN SOLUTION"), *answer_cells,
                _raw("# END SOLUTION"), _raw("# BEGIN TESTS"), test, _raw("# END TESTS"),
                _raw("# END QUESTION")]

    def exercise(cell, exercise_id, where):
        cell.source = graded_source(cell.source, where, "# BEGIN SOLUTION NO PROMPT", "# END SOLUTION")
        test = (f"def test_{exercise_id}({exercise_id}):\n    from nnlib import check\n"
                f'    check("{exercise_id}", {exercise_id}, strict=True)\n\n'
                f"test_{exercise_id}({exercise_id})")
        return question_block(exercise_id, [cell], test)

    def check(cell, exercise_id, name, where):
        return [cell]  # the learner's own check stays, for feedback while working

    def question(cell, answer, question_id, name, line, where):
        check_cell = nbformat.v4.new_code_cell(line, outputs=cell.outputs)
        cell.outputs, cell.execution_count = [], None
        cell.source = graded_source(answer, where, "# BEGIN SOLUTION NO PROMPT", "# END SOLUTION")
        test = (f"def test_{question_id}({name}):\n    from nnlib import check_answer\n"
                f'    assert {line}, "{question_id}: not the expected answer"\n\ntest_{question_id}({name})')
        return [*question_block(question_id, [cell], test), check_cell]

    nb = _graded_cells(path, exercise, check, question)
    config = (f"# ASSIGNMENT CONFIG\nname: {path.stem}\ninit_cell: true\ncheck_all_cell: false\n"
              "export_cell: false\nrun_tests: true\nsolutions_pdf: false\ntemplate_pdf: false\n"
              "generate: true\ntests:\n  ok_format: false")
    nb.cells.insert(0, _raw(config))
    return nb


OTTER_README = """\
# The course as otter-grader master notebooks

Written by `nnlib export-otter`: `<lesson>.ipynb` is an otter (v1 format) master notebook per
lesson. Each exercise and each concept question is a question worth 1 point whose test
fails when nnlib's check fails. The grading environment needs nnlib (`pip install .` in the course
checkout).

    cd {folder}
    otter assign 01_single_neuron.ipynb dist/01_single_neuron    # student/ and autograder/ (with the zip)
    otter run -a dist/01_single_neuron/autograder/*.zip submission.ipynb

Tests run in the learner's Python, as always with otter: for grading that does not trust
the learner's code, use `nnlib grade` (sandboxed, hidden cases).
"""


def export_otter(root: Path, out_dir: Path) -> list[Path]:
    """Write one otter master notebook per lesson and a README into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in solution_notebooks(root):
        target = out_dir / path.name
        nbformat.write(otter_notebook(path), target)
        written.append(target)
    readme = out_dir / "README.md"
    readme.write_text(OTTER_README.format(folder=out_dir.name), encoding="utf-8")
    return [*written, readme]


EXPORTS: dict[str, Callable[[Path, Path], list[Path]]] = {
    "export-student": export_student,
    "export-nbgrader": export_nbgrader,
    "export-otter": export_otter,
}
