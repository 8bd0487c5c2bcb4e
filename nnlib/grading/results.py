"""What grading produces: one exercise's grade, one submission's, the class's."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ExerciseGrade:
    """The grade of one exercise in one notebook.

    ``status`` is "passed", "failed", "not implemented", "missing" (no cell
    defines the function), "forbidden" (the cell uses nnlib) or "error" (the
    grader itself failed: not the learner's doing; see ``feedback``).
    """

    exercise_id: str
    score: float
    max_score: float
    status: str
    feedback: str  # the text check() prints, plus "grader:" lines where the grader saw more
    passed: int = 0
    total: int = 0
    cell: str = ""  # which cell was graded
    seconds: float = 0.0
    log: str = ""  # the start of the process's stdout/stderr (learner prints), for the operator
    review: list[str] = field(default_factory=list)  # unusual names the cell uses (see REVIEW_NAMES)


@dataclass
class SubmissionGrade:
    """The grade of one notebook."""

    learner: str
    path: str
    lesson: str | None
    exercises: list[ExerciseGrade] = field(default_factory=list)
    message: str = ""  # why the notebook could not be graded (then every exercise scores 0)
    notes: list[str] = field(default_factory=list)  # things the operator should know
    seconds: float = 0.0
    digest: str = ""  # sha256 of the file's bytes ('' if it could not be read)

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)


@dataclass
class ClassReport:
    """Every submission's grade and the settings they were graded with.

    ``seed`` is None when the hidden seed was this installation's secret one (it is not
    written into reports); ``isolation`` says how learner code was isolated.
    """

    submissions: list[SubmissionGrade]
    lesson: str | None
    seed: int | None
    timeout: float
    seconds: float = 0.0
    isolation: str = ""

    @property
    def score(self) -> float:
        return sum(s.score for s in self.submissions)

    @property
    def max_score(self) -> float:
        return sum(s.max_score for s in self.submissions)
