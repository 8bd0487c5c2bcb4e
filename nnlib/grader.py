"""The grader's public entry points, kept at their old place: see :mod:`nnlib.grading`."""

from nnlib.grading.grade import grade_notebook, grade_paths, lesson_exercises, run_exercise, run_notebook
from nnlib.grading.notebook import (
    CodeCell,
    find_exercise_cell,
    find_submissions,
    infer_lesson,
    read_notebook,
    untouched_stub,
    uses_nnlib,
)
from nnlib.grading.report import format_report, format_submission, report_json
from nnlib.grading.results import ClassReport, ExerciseGrade, SubmissionGrade
from nnlib.grading.sandbox import Limits, grading_isolation
from nnlib.grading.verdict import judge_run

__all__ = [
    "ClassReport",
    "CodeCell",
    "ExerciseGrade",
    "Limits",
    "SubmissionGrade",
    "find_exercise_cell",
    "find_submissions",
    "format_report",
    "format_submission",
    "grade_notebook",
    "grade_paths",
    "grading_isolation",
    "infer_lesson",
    "judge_run",
    "lesson_exercises",
    "read_notebook",
    "report_json",
    "run_exercise",
    "run_notebook",
    "untouched_stub",
    "uses_nnlib",
]
