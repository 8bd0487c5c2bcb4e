"""``nnlib grade``: grade learners' notebooks, never trusting their code.

Modules, one idea each:

- :mod:`~nnlib.grading.notebook`: reading submissions and finding each exercise's cell
- :mod:`~nnlib.grading.prerequisites`: the source of an exercise's prerequisites, without its reference
- :mod:`~nnlib.grading.transport`: values on the wire to and from the sandbox (no pickle)
- :mod:`~nnlib.grading.sandbox`: the only code that starts processes (bubblewrap, limits, supervision)
- :mod:`~nnlib.grading.verdict`: judging what came back, with check()'s judge and words
- :mod:`~nnlib.grading.grade`: one notebook, a class
- :mod:`~nnlib.grading.report`: text and JSON reports
- :mod:`~nnlib.grading.seed`: the per-installation secret hidden seed
- :mod:`~nnlib.grading.gradescope`: the Gradescope autograder bundle

:func:`grading_isolation` says which isolation grading would use here (for ``nnlib doctor``).
"""

from nnlib.grading.grade import grade_notebook, grade_paths
from nnlib.grading.report import format_report, format_submission, report_json
from nnlib.grading.results import ClassReport, ExerciseGrade, SubmissionGrade
from nnlib.grading.sandbox import Isolation, IsolationError, Limits, grading_isolation

__all__ = [
    "ClassReport",
    "ExerciseGrade",
    "Isolation",
    "IsolationError",
    "Limits",
    "SubmissionGrade",
    "format_report",
    "format_submission",
    "grade_notebook",
    "grade_paths",
    "grading_isolation",
    "report_json",
]
