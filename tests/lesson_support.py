"""Helpers shared by the tests of lessons 06-08: exercise banks through check(), and Run All of a lesson.

Not a test module (pytest collects only ``test_*.py``).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import nbformat
from lesson_common import check_output

from nnlib.check import judge_case, run_case
from nnlib.exercises import EXERCISES
from nnlib.judge import agree_flat, flatten_output

ROOT = Path(__file__).resolve().parents[1]



def mistake_problems(exercise_id: str) -> list[str]:
    """Every registered mistake that check() passes, or reports without its own message."""
    ex = EXERCISES[exercise_id]
    problems = []
    for mistake in ex.mistakes:
        passed, out = check_output(exercise_id, mistake.fn)
        wanted = mistake.expect if ex.verify is not None else f"likely cause: {mistake.cause}"
        if passed or wanted not in out:
            problems.append(f"{mistake.fn.__name__}: expected {wanted!r} in\n{out}")
    return problems


def variant_problems(exercise_id: str, hidden: bool = True) -> list[str]:
    """Every registered variant that fails a case for another reason than its dtype alone.

    Until issue 14's judge is merged, a right result in another float dtype (float64 for
    float32 input) still fails "expected dtype"; such a variant must agree with the reference
    in every value, so that the dtype is its only difference.
    """
    ex = EXERCISES[exercise_id]
    problems = []
    for variant in ex.variants:
        for case in ex.cases(hidden=hidden):
            received, failure = run_case(ex, case, variant.fn)
            if failure is None:
                failure = judge_case(ex, case, received)
            if failure is None:
                continue
            if "expected dtype" in failure.message and ex.verify is None:
                call = ex.target(ex.reference)
                reference = call(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs)))
                if agree_flat(flatten_output(reference), received, ex.rtol, ex.atol):
                    continue  # dtype alone
            problems.append(f"{variant.fn.__name__} ({variant.style}) on {case.name!r}: {failure.message}")
    return problems


_PROBE = """
import json as _json
from nnlib.exercises import EXERCISES as _EXERCISES
_report = dict()
for _id, _ex in _EXERCISES.items():
    if _ex.lesson == {lesson!r}:
        _demo = "my_" + _id
        _report[_id] = {{"bound": _id in globals(), "reference": globals().get(_id) is _ex.reference,
                        "demo": globals()[_demo] is _ex.reference if _demo in globals() else None}}
print(_json.dumps(_report))
"""


def run_all_bindings(lesson: str, tmp_path: Path) -> tuple[dict, list]:
    """Run All on the generated lesson ``lesson`` (as a learner who wrote nothing), then report,
    for each of its exercises, whether the learner's name is bound, whether it is nnlib's
    reference, and whether the demonstration name ``my_<id>`` fell back to the reference.

    Returns (report, cells): the executed notebook's cells too, for their outputs.
    """
    from nbclient import NotebookClient

    path = next((ROOT / "lessons").glob(f"{lesson}_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    probe = nbformat.v4.new_code_cell(_PROBE.format(lesson=lesson))
    nb.cells.append(probe)
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream")
    return json.loads(text), nb.cells[:-1]


def solution_outputs(lesson: str) -> str:
    """Every text output of the committed solution notebook of ``lesson``."""
    path = next((ROOT / "solutions").glob(f"{lesson}_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") or out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


#: A relative error printed with its digits, small enough to be rounding noise (below 1e-6).
NOISE_DIGITS = re.compile(r"relative error \d\.\d+e-(0[7-9]|[1-9]\d)")


def cell_source(lesson: str, cell_id: str, folder: str = "solutions") -> str:
    path = next((ROOT / folder).glob(f"{lesson}_*.ipynb"))
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.get("id") == cell_id:
            return cell.source
    raise KeyError(cell_id)


def cells_before(lesson: str, cell_id: str, folder: str = "solutions") -> list:
    path = next((ROOT / folder).glob(f"{lesson}_*.ipynb"))
    cells = nbformat.read(path, as_version=4).cells
    index = next(i for i, c in enumerate(cells) if c.get("id") == cell_id)
    return cells[:index]
