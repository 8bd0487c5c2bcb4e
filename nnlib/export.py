"""``nnlib export-html``: the course as a static HTML site, for reading without a kernel.

Pages are rendered with nbconvert from the executed solution notebooks. By
default the exercise solutions are hidden: exercise cells show the lesson's
``raise NotImplementedError`` stub, and the outputs of exercise, check and
question cells are dropped; every explanation, figure and demo output stays.
With ``solutions=True`` the solution notebooks are rendered as they are.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import nbformat

from nnlib.course import strip_solutions

_HIDDEN_PREFIXES = ("exercise-", "check-", "question-")


def _without_solutions(nb, name: str):
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.source, _ = strip_solutions(cell.source, f"{name} cell {index}")
        if cell.get("id", "").startswith(_HIDDEN_PREFIXES):
            cell.outputs = []
            cell.execution_count = None
    return nb


def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return fallback


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
    """Write ``index.html`` and one page per lesson into ``out_dir``; return the pages written."""
    from nbconvert import HTMLExporter

    from nnlib.course_map import LESSONS

    exporter = HTMLExporter()
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = []
    rows = []
    minutes = {lesson.number: lesson.minutes for lesson in LESSONS}
    for path in sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if not solutions:
            nb = _without_solutions(nb, path.name)
        body, _ = exporter.from_notebook_node(nb)
        page = out_dir / f"{path.stem}.html"
        page.write_text(body, encoding="utf-8")
        pages.append(page)
        title = html.escape(_title(nb, path.stem))
        time_cell = f"{minutes[path.name[:2]]} min" if path.name[:2] in minutes else ""
        rows.append(f'<tr><td><a href="{page.name}">{title}</a></td><td>{time_cell}</td></tr>')
    kind = "with solutions" if solutions else "lessons (solutions hidden)"
    index = out_dir / "index.html"
    index.write_text(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Neural networks from the neuron up</title>"
        "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;padding:0 1em}"
        "td{padding:.3em 1em .3em 0}</style></head><body>\n"
        "<h1>Neural networks from the neuron up</h1>\n"
        f"<p>A hands-on course on backpropagation, {kind}. Run it live with "
        "<code>pip install -r requirements.txt</code> and <code>jupyter lab lessons/</code>.</p>\n"
        f'<img alt="course map" src="data:image/png;base64,{_course_map_png()}">\n'
        "<table><tr><th>lesson</th><th>time</th></tr>\n" + "\n".join(rows) + "\n</table>\n</body></html>\n",
        encoding="utf-8",
    )
    return [index, *pages]
