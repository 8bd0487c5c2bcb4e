"""Gradescope: the autograder bundle ``nnlib gradescope-autograder`` builds, and the program it runs.

Gradescope builds an image from the bundle once (``setup.sh``, as root: bubblewrap,
Python and nnlib from the bundle's ``requirements.txt``), then for each
submission runs ``run_autograder`` in a fresh container: it grades the notebook
in ``/autograder/submission`` with the lesson's hidden cases and writes
``/autograder/results/results.json`` in Gradescope's format (see
:func:`nnlib.grading.report.gradescope_results`). ``AUTOGRADER_ROOT`` replaces
``/autograder`` (to try the bundle on your machine) and ``NNLIB_PYTHON`` the
Python that has nnlib. The hidden seed is drawn when the bundle is built (or
given with ``--seed``) and travels inside it; students never see the bundle.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import stat
import sys
import zipfile
from pathlib import Path

from nnlib.exercises import CHECK_SEED
from nnlib.grading.notebook import infer_lesson, read_notebook
from nnlib.grading.report import gradescope_results, write_json
from nnlib.grading.sandbox import DEFAULT_TIMEOUT, Limits

CONFIG = "nnlib-autograder.json"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq bubblewrap >/dev/null  # isolates each notebook's code (see docs/grading.md)
PY=""
for version in 3.13 3.12 3.11; do  # nnlib needs Python 3.11 or newer
    if apt-get install -y -qq "python$version" "python$version-venv" >/dev/null 2>&1; then
        PY="python$version"
        break
    fi
done
"${PY:-python3}" -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --quiet -r requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER_ROOT (default /autograder) and NNLIB_PYTHON
# (default the venv setup.sh made) let you run it elsewhere, e.g. to try the bundle locally.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
exec "${NNLIB_PYTHON:-$ROOT/venv/bin/python}" -m nnlib.grading.gradescope --root "$ROOT"
"""


def course_root() -> Path:
    """The checkout nnlib is installed from (the bundle ships nnlib's source from it)."""
    import nnlib

    root = Path(nnlib.__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        raise FileNotFoundError(f"nnlib is not installed from a checkout of the course ({root} has no "
                                "pyproject.toml): build the autograder from a clone of the course repository")
    return root


def build_autograder(lesson: str, output: str | os.PathLike, *, seed: int | None = None,
                     timeout: float = DEFAULT_TIMEOUT, isolation: str = "auto") -> Path:
    """Write the Gradescope autograder zip for ``lesson`` to ``output``; return its path.

    The zip holds ``setup.sh``, ``run_autograder``, ``requirements.txt`` (nnlib from
    ``course/``), the settings (lesson, hidden seed, timeout, isolation) and
    ``course/``: nnlib's package source, ``pyproject.toml`` and ``README.md``.
    """
    from nnlib.grading.grade import check_timeout, lesson_exercises, normalize_lesson

    lesson = normalize_lesson(lesson)
    if not lesson or not lesson_exercises(lesson):
        raise ValueError(f"lesson {lesson} has no graded exercises")
    if seed is None:
        seed = CHECK_SEED
        while seed == CHECK_SEED:
            seed = secrets.randbelow(2**63 - 1) + 1
    elif int(seed) == CHECK_SEED:
        raise ValueError("the hidden seed must differ from the seed check() uses")
    config = {"lesson": lesson, "seed": int(seed), "timeout": check_timeout(timeout), "isolation": isolation}
    root = course_root()
    output = Path(output)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text, mode in (("setup.sh", SETUP_SH, 0o755), ("run_autograder", RUN_AUTOGRADER, 0o755),
                                 ("requirements.txt", "./course\n", 0o644),
                                 (CONFIG, json.dumps(config, indent=1) + "\n", 0o644)):
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
        for path in sorted((root / "nnlib").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                zf.write(path, f"course/{path.relative_to(root)}")
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / name).is_file():
                zf.write(root / name, f"course/{name}")
    return output


def _submitted_notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb")
                  if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def grade_submission(root: Path) -> dict:
    """Grade ``root/submission`` with the settings in ``root/source``; the results.json contents."""
    from nnlib.grading.grade import grade_notebook

    config = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
    lesson = config["lesson"]
    submitted = root / "submission"
    notebooks = _submitted_notebooks(submitted) if submitted.is_dir() else []
    if not notebooks:
        return {"score": 0.0, "output": "No notebook (.ipynb) was submitted: upload your lesson notebook.",
                "visibility": "visible", "stdout_visibility": "hidden", "tests": []}

    def of_lesson(path):
        try:
            return infer_lesson(read_notebook(path, submitted).cells)[0] == lesson
        except ValueError:
            return False

    chosen = next((p for p in notebooks if of_lesson(p)), notebooks[0])
    sub = grade_notebook(chosen, learner="submission", lesson=lesson, seed=int(config["seed"]),
                         limits=Limits(timeout=float(config["timeout"])),
                         isolation=config.get("isolation", "auto"), root=submitted)
    results = gradescope_results(sub)
    others = [str(p.relative_to(submitted)) for p in notebooks if p != chosen]
    if others:
        note = f"Graded {chosen.relative_to(submitted)}; not graded: {', '.join(others)}"
        results["output"] = "\n".join(filter(None, [results["output"], note]))
    return results


def main(argv: list[str] | None = None) -> int:
    """``run_autograder``'s program: always writes results.json, even when grading itself fails."""
    parser = argparse.ArgumentParser(prog="python -m nnlib.grading.gradescope")
    parser.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    args = parser.parse_args(argv)
    root = Path(args.root)
    (root / "results").mkdir(parents=True, exist_ok=True)
    try:
        results = grade_submission(root)
    except Exception as err:  # Gradescope needs a results file whatever happened
        results = {"score": 0.0, "output": f"The autograder failed ({type(err).__name__}: {err}); "
                   "this is not your doing: tell your instructor.", "visibility": "visible",
                   "stdout_visibility": "hidden", "tests": []}
    write_json(results, root / "results" / "results.json")
    for test in results["tests"]:
        print(f"{test['name']}: {test['score']:g}/{test['max_score']:g} ({test['extra_data']['result']})")
    print(f"total: {results['score']:g}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
