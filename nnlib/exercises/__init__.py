"""The exercise registry: one place that says what each exercise is and how it is checked.

``check()`` (in the notebook) and ``nnlib grade`` (out of process) both read
it. An exercise id is the name of the function the learner writes. Each
lesson's exercises and concept questions live in ``lessonNN.py`` beside this
file; :data:`EXERCISES` and :data:`QUESTIONS` gather them.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

#: Seed of the cases ``check()`` runs; the grader uses other seeds (hidden cases).
CHECK_SEED = 20240601


class Case(NamedTuple):
    """One call of an exercise: ``fn(*args, **kwargs)``.

    ``batch_size`` (N) lets feedback recognise a missing or extra 1/N; when
    None it is taken from the first 2-D array argument.
    """

    name: str
    args: tuple
    kwargs: Mapping[str, Any] = MappingProxyType({})
    batch_size: int | None = None

    def describe(self, arg_names: tuple[str, ...] = ()) -> str:
        """``'batch of 1' (X.shape=(1, 3), W.shape=(3, 2))``: enough to reproduce the case."""
        shapes = [
            f"{arg_names[i] if i < len(arg_names) else _arg_name(i)}.shape={a.shape}"
            for i, a in enumerate(self.args)
            if isinstance(a, np.ndarray) and a.ndim > 0
        ]
        return f"{self.name!r}" + (f" ({', '.join(shapes)})" if shapes else "")

    def inferred_batch_size(self) -> int | None:
        if self.batch_size is not None:
            return self.batch_size
        for a in self.args:
            if isinstance(a, np.ndarray) and a.ndim == 2:
                return a.shape[0]
        return None


def _arg_name(i: int) -> str:
    return f"arg{i + 1}"


class Mistake(NamedTuple):
    """A mistake learners make, re-enacted, for ``Exercise.mistakes``.

    Attributes
    ----------
    cause : what went wrong and how to fix it, printed as "likely cause: <cause>"
    fn : the wrong implementation; takes the exercise's arguments
    expect : a fragment of the message ``check()`` must print for this mistake. Required for an
        exercise judged by ``verify`` (which words its own messages); elsewhere only where the
        mistake cannot be named (its output depends on earlier calls) or the fragment says more
        than the cause. Without it the printed likely cause must be ``cause`` itself
    """

    cause: str
    fn: Callable
    expect: str = ""


class Variant(NamedTuple):
    """A correct implementation in another style than the reference, for ``Exercise.variants``.

    ``check()`` must pass every variant: a checker that fails correct code lies as
    much as one that passes wrong code.

    Attributes
    ----------
    style : how it differs, e.g. "a loop over rows", "np.einsum", "float64 result for float32 input"
    fn : the implementation; takes the exercise's arguments
    """

    style: str
    fn: Callable


@dataclass(frozen=True)
class Exercise:
    """Everything needed to check one exercise.

    Attributes
    ----------
    id : the function's name, e.g. "relu"
    lesson : "02"
    task : one line for the lesson's ``raise NotImplementedError("Exercise relu: ...")``
    reference : nnlib's graded implementation
    make_cases : rng -> list of Case; ordinary cases and edge cases (batch of 1,
        large magnitudes, zeros, non-square shapes). Deterministic for a given rng.
    hints : (nudge, approach, near-solution), shown one at a time
    arg_names : names of the positional arguments, for feedback ("X", "W", "b")
    prerequisites : nnlib names the learner's function may call; the grader imports them
    rtol, atol : tolerance of the value comparison
    verify : optional ``verify(case, received_flat) -> message or None`` for
        exercises without a unique answer (random init, shuffling); replaces the
        comparison with the reference
    mistakes : known wrong implementations (:class:`Mistake`), most likely first. When a
        result differs from the reference's, the likely cause is that of the first mistake
        that reproduces the whole result, else of the first that agrees with it where it is
        first wrong (and is wrong there too), else the judge's generic diagnosis.
        Exercises with ``verify`` name their mistakes themselves: there each mistake's
        ``expect`` is a fragment of the verifier's message for it
    variants : correct implementations in other styles (:class:`Variant`); each must pass
    hidden_cases : optional rng -> extra cases that only the grader runs
    materialize : the result is an iterator (a generator of batches): list it first
    harness : optional ``harness(fn, env, *args, **kwargs)`` for exercises whose function is not
        called on the case data directly (a method of a scalar engine, say): it calls ``fn`` in a
        scenario built from the case's plain data and returns the plain output that is judged.
        ``env`` maps each prerequisite name to its object. The reference is judged through the
        same harness. Defined in ``case_functions.py`` (numpy only), so the sandbox can run it
    strict_float : run the learner's function with numpy's floating-point overflow raising
        FloatingPointError (invalid values, division by zero and underflow stay allowed: they
        show in the result, or happen in a branch np.where discards), even inside the learner's
        own ``np.errstate``, so that a formula which overflows on its way to a right answer
        (``1 / (1 + np.exp(-z))`` at z = -1000) fails, on the learner's own line
    """

    id: str
    lesson: str
    task: str
    reference: Callable
    make_cases: Callable[[np.random.Generator], list[Case]]
    hints: tuple[str, str, str]
    arg_names: tuple[str, ...] = ()
    prerequisites: tuple[str, ...] = ()
    rtol: float = 1e-7
    atol: float = 1e-10
    verify: Callable | None = None
    mistakes: tuple[Mistake, ...] = ()
    variants: tuple[Variant, ...] = ()
    hidden_cases: Callable[[np.random.Generator], list[Case]] | None = None
    materialize: bool = False
    harness: Callable | None = None
    strict_float: bool = False

    def __post_init__(self):
        if self.verify is not None and any(not m.expect for m in self.mistakes):
            raise ValueError(f"exercise {self.id!r}: with verify, the verifier words each mistake's "
                             "message; give every Mistake the fragment it must contain (expect=...)")

    def cases(self, seed: int = CHECK_SEED, hidden: bool = False) -> list[Case]:
        """The cases for ``seed``; with ``hidden``, also the grader-only edge cases."""
        cases = list(self.make_cases(np.random.default_rng(seed)))
        if hidden and self.hidden_cases is not None:
            cases += list(self.hidden_cases(np.random.default_rng(seed + 1)))
        return cases

    def arg_label(self, i: int) -> str:
        return self.arg_names[i] if i < len(self.arg_names) else _arg_name(i)

    def prerequisite_env(self) -> dict[str, Any]:
        """nnlib's object for each prerequisite name (what the grader's sandbox provides too)."""
        import nnlib

        return {name: getattr(nnlib, name) for name in self.prerequisites}

    def target(self, fn: Callable, env: Mapping[str, Any] | None = None) -> Callable:
        """What a case calls: ``fn`` itself, or ``fn`` inside the exercise's harness."""
        if self.harness is None:
            return fn
        return functools.partial(self.harness, fn, self.prerequisite_env() if env is None else env)


@dataclass(frozen=True)
class Question:
    """A concept question checked by ``check_answer``.

    ``kind`` is "choice" (``answer`` is a letter; ``feedback`` maps every letter to
    why it is right or wrong) or "number" (``answer`` is a float accepted within
    ``tol``; ``feedback`` has keys "correct", "low" and "high").
    """

    id: str
    lesson: str
    kind: str
    answer: Any
    feedback: Mapping[str, str]
    tol: float = 0.0
    choices: tuple[str, ...] = field(default=())


def _gather():
    from nnlib.exercises import (  # noqa: I001 (lesson order)
        lesson01, lesson02, lesson03, lesson04, lesson05, lesson06,
        lesson07, lesson08, lesson09, lesson10, lesson11,
    )

    exercises: dict[str, Exercise] = {}
    questions: dict[str, Question] = {}
    for module in (lesson01, lesson02, lesson03, lesson04, lesson05, lesson06,
                   lesson07, lesson08, lesson09, lesson10, lesson11):
        for ex in module.EXERCISES:
            if ex.id in exercises:
                raise RuntimeError(f"exercise id {ex.id!r} is registered twice")
            exercises[ex.id] = ex
        for q in module.QUESTIONS:
            if q.id in questions:
                raise RuntimeError(f"question id {q.id!r} is registered twice")
            questions[q.id] = q
    return MappingProxyType(exercises), MappingProxyType(questions)


EXERCISES, QUESTIONS = _gather()


def unknown_id_message(kind: str, name: str, known) -> str:
    """"unknown exercise id 'ReLU'; did you mean 'relu'?": the closest known ids (difflib), or all."""
    ids = sorted(known)
    cleaned = name.strip().lower()
    close = [i for i in ids if i.lower() == cleaned] or difflib.get_close_matches(cleaned, ids, n=3)
    if close:
        return f"unknown {kind} id {name!r}; did you mean {' or '.join(repr(c) for c in close)}?"
    return f"unknown {kind} id {name!r}; known ids: {', '.join(ids)}"


def get_exercise(exercise_id: str) -> Exercise:
    """The registered exercise, or a ValueError naming the closest known ids."""
    if exercise_id not in EXERCISES:
        raise ValueError(unknown_id_message("exercise", str(exercise_id), EXERCISES))
    return EXERCISES[exercise_id]


def get_question(question_id: str) -> Question:
    if question_id not in QUESTIONS:
        raise ValueError(unknown_id_message("question", str(question_id), QUESTIONS))
    return QUESTIONS[question_id]
