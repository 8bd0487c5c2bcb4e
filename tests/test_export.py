"""nnlib export-html: a static site whose index links every lesson, with figures embedded."""

import re
from pathlib import Path

import pytest

from nnlib.course_map import LESSONS
from nnlib.export import export_html

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    export_html(ROOT, out)
    return out


def test_index_links_every_lesson(site):
    index = (site / "index.html").read_text()
    links = re.findall(r'href="([^"]+\.html)"', index)
    expected = [f"{p.stem}.html" for p in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))]
    assert links == expected
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


def test_solutions_mode_keeps_the_solutions(tmp_path):
    export_html(ROOT, tmp_path, solutions=True)
    page = (tmp_path / "02_activations.html").read_text()
    assert "BEGIN SOLUTION" in page
    assert "all " in page and "checks passed" in page
