"""nnlib.course_map: the course outline agrees with the registry and the notebooks, and draws."""

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import FancyBboxPatch

from nnlib.course_map import (
    LESSONS,
    PARTS,
    Lesson,
    course_map_markdown,
    draw_course_map,
    get_lesson,
    part_of,
    total_minutes,
)
from nnlib.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]


def test_lessons_are_numbered_00_to_11_in_order():
    assert isinstance(LESSONS, tuple)
    assert [lesson.number for lesson in LESSONS] == [f"{i:02d}" for i in range(12)]
    for lesson in LESSONS:
        assert isinstance(lesson, Lesson)
        assert isinstance(lesson.exercises, tuple)
        assert isinstance(lesson.minutes, int) and 5 <= lesson.minutes <= 90
        assert lesson.title and lesson.core_idea and "\n" not in lesson.core_idea
    assert total_minutes() == sum(lesson.minutes for lesson in LESSONS)


def test_parts_cover_every_lesson_once_in_order():
    numbers = [n for _, part in PARTS for n in part]
    assert numbers == [lesson.number for lesson in LESSONS]
    assert [name for name, _ in PARTS] == ["Start", "Forward", "Backward", "Training"]
    assert part_of("01") == "Forward" and part_of("09") == "Backward" and part_of("10") == "Training"


def test_lookups_name_the_known_numbers():
    assert get_lesson("07").exercises == ("sgd_step", "train_neuron")
    with pytest.raises(ValueError, match="get_lesson: no lesson '12'; known numbers: 00, 01"):
        get_lesson("12")
    with pytest.raises(ValueError, match="part_of: no lesson '7'"):
        part_of("7")


def test_exercise_ids_are_unique():
    ids = [ex for lesson in LESSONS for ex in lesson.exercises]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("number", [lesson.number for lesson in LESSONS])
def test_map_matches_the_registry(number):
    # Same ids in the same (notebook) order, so the map never lists a stale or missing exercise.
    registered = [ex.id for ex in EXERCISES.values() if ex.lesson == number]
    assert list(get_lesson(number).exercises) == registered


def _solution_notebooks():
    return sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", _solution_notebooks(), ids=lambda p: p.name)
def test_notebook_estimated_time_matches_the_map(path):
    first = "".join(json.loads(path.read_text())["cells"][0]["source"])
    match = re.search(r"\*\*Estimated time:?\*\*:?\s*(?:about\s*)?(\d+)\s*min", first)
    assert match, f"{path.name}: no '**Estimated time:** N minutes' in the first cell"
    assert int(match.group(1)) == get_lesson(path.name[:2]).minutes


@pytest.mark.parametrize("path", _solution_notebooks(), ids=lambda p: p.name)
def test_notebook_heading_begins_with_the_map_title(path):
    heading = "".join(json.loads(path.read_text())["cells"][0]["source"]).splitlines()[0]
    lesson = get_lesson(path.name[:2])
    assert heading.startswith(f"# {lesson.number} · {lesson.title}"), heading


def test_instructor_guide_names_lessons_by_their_map_titles():
    guide = (ROOT / "docs" / "instructor-guide.md").read_text()
    headings = re.findall(r"^\*\*(\d\d) · ([^*]+)\*\*", guide, flags=re.MULTILINE)
    assert len(headings) >= len(LESSONS)
    for number, title in headings:
        assert title.startswith(get_lesson(number).title), f"{number} · {title}"


def test_markdown_table_has_one_row_per_lesson_and_a_total():
    text = course_map_markdown()
    lines = text.splitlines()
    assert lines[0] == "| lesson | title | minutes | core idea |"
    assert lines[1].startswith("|---")
    assert len(lines) == 2 + len(LESSONS) + 1
    for line, lesson in zip(lines[2:], LESSONS, strict=False):
        assert line.startswith(f"| {lesson.number} | {lesson.title} | {lesson.minutes} | ")
    assert f"**{total_minutes()}**" in lines[-1]


def test_draw_course_map_draws_a_box_per_lesson():
    ax = draw_course_map()
    try:
        boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
        assert len(boxes) == len(LESSONS)
        texts = {t.get_text() for t in ax.texts}
        for lesson in LESSONS:
            assert lesson.number in texts
            assert f"{lesson.minutes} min" in texts
        for name, _ in PARTS:
            assert name in texts
    finally:
        plt.close(ax.figure)


def test_draw_course_map_uses_the_given_axes_and_checks_it():
    fig, ax = plt.subplots()
    try:
        assert draw_course_map(ax=ax) is ax
    finally:
        plt.close(fig)
    with pytest.raises(TypeError, match="draw_course_map: ax must be a matplotlib Axes"):
        draw_course_map(ax="left")
