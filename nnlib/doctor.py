"""``nnlib doctor``: is this machine ready for the course? One row per check, one fix per problem.

The checks test what a lesson will meet: ``import nnlib`` is tried by the Python of the
Jupyter kernel in a fresh process started in ``lessons/`` (not in the folder the doctor was
run from), a copy of nnlib installed in site-packages (as Binder and hubs do) is as good as
the editable checkout when it is the same code, and a lesson a learner has saved or edited
is their work, never "stale". Maintainer tools (pytest, ruff, ...) are not checked: learners
do not need them (``pip install -r requirements-dev.txt`` installs them).

Two ways to read the result:

- :func:`format_findings` (``nnlib doctor``): the full table, with versions, paths and fixes.
- :func:`summary` (``nnlib doctor --summary``): one line without paths or versions, the same
  on every machine that is ready, for a notebook cell whose output is committed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Distribution name -> minimum version: every package of requirements.txt
#: (tests/test_course.py keeps the two the same).
REQUIRED = {
    "numpy": "1.26",
    "matplotlib": "3.8",
    "ipywidgets": "8.1",
    "jupyterlab": "4.0",
    "ipykernel": "6.25",
    "nbformat": "5.9",
    "nbclient": "0.10",
    "nbconvert": "7.0",
}

#: The name under which the course's library is published (``import nnlib`` all the same).
DISTRIBUTION = "nnlib-course"


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Setup:
    """Where the doctor looks: the folder it was run from and the course folder (None if not found)."""

    cwd: Path
    course: Path | None
    found_from: str  # "here" (at or above cwd), "given", "installed" (the editable nnlib's checkout)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def check_python(setup: Setup | None = None) -> Finding:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 11)
    return Finding("python", ok, version, "" if ok else "install Python 3.11 or newer, then a new venv")


def check_package(name: str, minimum: str) -> Finding:
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return Finding(name, False, "not installed", "pip install -r requirements.txt")
    ok = _version_tuple(version) >= _version_tuple(minimum)
    return Finding(name, ok, version if ok else f"{version} < {minimum}",
                   "" if ok else f"pip install -U '{name}>={minimum}'")


def check_packages(setup: Setup | None = None) -> list[Finding]:
    return [check_package(name, minimum) for name, minimum in REQUIRED.items()]


def locate(cwd: Path | None = None, root: Path | None = None) -> Setup:
    """Find the course folder: ``root`` if given, else at or above ``cwd``, else the checkout
    the (editable) nnlib is imported from."""
    from nnlib.course import find_course

    cwd = (cwd or Path.cwd()).resolve()
    if root is not None:
        return Setup(cwd, Path(root).resolve(), "given")
    here = find_course(cwd)
    if here is not None:
        return Setup(cwd, here, "here")
    import nnlib

    checkout = Path(nnlib.__file__).resolve().parents[1]
    if find_course(checkout) == checkout:
        return Setup(cwd, checkout, "installed")
    return Setup(cwd, None, "")


def check_course_folder(setup: Setup) -> Finding:
    if setup.course is None:
        return Finding("course folder", False, f"no lessons/ at or above {setup.cwd}",
                       "cd into the course folder (the one you cloned or downloaded, with lessons/ in it)")
    if setup.found_from == "installed":
        return Finding("course folder", True, f"{setup.course} (you are in {setup.cwd}: cd {setup.course})")
    return Finding("course folder", True, str(setup.course))


def kernel_python() -> str:
    """The interpreter the 'python3' Jupyter kernel runs (as jupyter_client resolves it)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        argv = KernelSpecManager().get_kernel_spec("python3").argv
    except (ImportError, NoSuchKernel):
        return sys.executable
    # jupyter_client starts a kernel whose command is plain "python" with its own interpreter
    plain = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    return sys.executable if not argv or argv[0] in plain else argv[0]


_PROBE = "import json, nnlib; print(json.dumps([nnlib.__file__, getattr(nnlib, '__version__', '?')]))"


def _code_digest(package: Path) -> str:
    """One digest of a package's Python files, to tell whether two copies are the same code."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def check_nnlib_import(setup: Setup) -> Finding:
    """``import nnlib`` as a lesson does it: the kernel's Python, in a fresh process, in lessons/."""
    folder = setup.course / "lessons" if setup.course else setup.cwd
    python = kernel_python()
    try:
        done = subprocess.run([python, "-c", _PROBE], cwd=folder, capture_output=True, text=True,
                              timeout=120)
    except (OSError, subprocess.TimeoutExpired) as err:
        return Finding("nnlib", False, f"could not run the kernel's Python {python}: {err}",
                       f"{sys.executable} -m ipykernel install --user  (a kernel for this environment)")
    install = (f"cd {setup.course} && pip install -r requirements.txt"
               if setup.course and (setup.course / "pyproject.toml").is_file()
               else f"pip install {DISTRIBUTION}  (or `pip install .` in the course's repository)")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Finding("nnlib", False, f"a lesson's `import nnlib` fails: {last}", install)
    location, version = json.loads(done.stdout.strip().splitlines()[-1])
    package = Path(location).resolve().parent
    course_package = setup.course / "nnlib" if setup.course else None
    if course_package is None or not (course_package / "__init__.py").is_file():
        return Finding("nnlib", True, f"{version}, imported from {package}")
    if package == course_package.resolve():
        return Finding("nnlib", True, f"{version}, imported from this course folder ({package})")
    installed = any(part in ("site-packages", "dist-packages") for part in package.parts)
    if installed and _code_digest(package) == _code_digest(course_package):
        return Finding("nnlib", True, f"{version}, an installed copy of this course's nnlib ({package})")
    what = "an installed copy that differs from" if installed else "another folder than"
    return Finding("nnlib", False, f"lessons import nnlib {version} from {package}, {what} {course_package}",
                   f"cd {setup.course} && pip install -e .  (lessons then use this course's nnlib)")


def check_kernel(setup: Setup | None = None) -> Finding:
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        return Finding("jupyter kernel", False, "jupyter_client missing", "pip install -r requirements.txt")
    specs = KernelSpecManager().find_kernel_specs()
    if "python3" not in specs:
        return Finding("jupyter kernel", False, "no 'python3' kernel",
                       f"{sys.executable} -m ipykernel install --user")
    return Finding("jupyter kernel", True, f"python3 at {specs['python3']}")


def check_widgets_extension(setup: Setup | None = None) -> Finding:
    prefix = Path(sys.prefix, "share", "jupyter", "labextensions", "@jupyter-widgets", "jupyterlab-manager")
    try:
        import jupyterlab_widgets  # noqa: F401 (ships the JupyterLab side of ipywidgets)
    except ImportError:
        return Finding("widgets extension", False, "jupyterlab_widgets missing",
                       "pip install 'ipywidgets>=8.1'")
    if not prefix.is_dir():
        return Finding("widgets extension", False, f"not found at {prefix}",
                       "pip install --force-reinstall jupyterlab_widgets")
    return Finding("widgets extension", True, "@jupyter-widgets/jupyterlab-manager")


def check_grading_isolation(setup: Setup | None = None) -> Finding:
    """How ``nnlib grade`` would isolate learner code here. Informational: learners never need it,
    so a machine without bubblewrap is still ready for the course (the row tells instructors)."""
    from nnlib.grading import grading_isolation

    isolation = grading_isolation()
    if isolation.kind == "bubblewrap":
        return Finding("grading isolation", True, isolation.describe())
    return Finding("grading isolation", True,
                   f"{isolation.describe()} (only for instructors grading a class: install bubblewrap, "
                   "see README 'Autograding a class')")


def lesson_states(course: Path) -> dict[str, str]:
    """Each lesson's state: "current", "yours" (saved or edited by the learner: their work),
    "missing", "broken" (not a notebook), or, in a checkout with solutions/, "outdated"
    (untouched since an older build wrote it: a maintainer's `nnlib build-lessons` away)."""
    import nbformat

    from nnlib.course import MANIFEST, _digest, lesson_text, same_lesson

    lessons = course / "lessons"
    solutions = sorted((course / "solutions").glob("[0-9][0-9]_*.ipynb"))
    names = [p.name for p in solutions] or [p.name for p in sorted(lessons.glob("[0-9][0-9]_*.ipynb"))]
    manifest_path = lessons / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    states = {}
    for name in names:
        path = lessons / name
        if not path.is_file():
            states[name] = "missing"
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            nbformat.reads(text, as_version=4)
        except Exception:
            states[name] = "broken"
            continue
        solution = course / "solutions" / name
        if not solution.is_file():
            states[name] = "current" if _digest(text) == manifest.get(name, _digest(text)) else "yours"
            continue
        built, _ = lesson_text(solution)
        if same_lesson(text, built):
            states[name] = "current" if text == built else "yours"  # "yours": run or saved, same lesson
        elif _digest(text) == manifest.get(name):
            states[name] = "outdated"
        else:
            states[name] = "yours"
    return states


def check_lessons(setup: Setup) -> Finding:
    if setup.course is None:
        return Finding("lessons", True, "no course folder: skipped")
    states = lesson_states(setup.course)
    if not states:
        return Finding("lessons", False, "lessons/ holds no lesson notebooks",
                       "cd into the course folder (the one with lessons/00_welcome.ipynb)")
    by_state: dict[str, list[str]] = {}
    for name, state in states.items():
        by_state.setdefault(state, []).append(name)
    mine = len(by_state.get("yours", []))
    detail = f"{len(states)} lessons"
    if mine:
        detail += f", {mine} saved or edited by you (kept as they are)"
    fixes = []
    if "missing" in by_state:
        fixes.append(f"missing {', '.join(by_state['missing'])}: git checkout -- lessons/  "
                     "(restores missing files; your edited lessons are kept)")
    if "broken" in by_state:
        fixes.append(f"{', '.join(by_state['broken'])} is not a valid notebook: restore its last checkpoint "
                     "from lessons/.ipynb_checkpoints/, or git checkout -- lessons/<name> (loses your edits)")
    if "outdated" in by_state:
        fixes.append(f"{', '.join(by_state['outdated'])} generated from older solutions/: "
                     "nnlib build-lessons  (course maintainers)")
    if fixes:
        return Finding("lessons", False, detail, "; ".join(fixes))
    return Finding("lessons", True, detail)


#: The checks, in the order they are printed. Each takes the Setup and returns a Finding
#: (or a list of them); a new check is one more entry here.
CHECKS: tuple[Callable[[Setup], Finding | list[Finding]], ...] = (
    check_python,
    check_packages,
    check_course_folder,
    check_nnlib_import,
    check_kernel,
    check_widgets_extension,
    check_lessons,
    check_grading_isolation,
)


def run_doctor(root: Path | None = None, *, cwd: Path | None = None) -> list[Finding]:
    """Run every check; ``root`` is the course folder (found from ``cwd`` when not given)."""
    setup = locate(cwd, root)
    findings: list[Finding] = []
    for check in CHECKS:
        result = check(setup)
        findings += result if isinstance(result, list) else [result]
    return findings


def problems(findings: list[Finding]) -> list[Finding]:
    """The findings that need a fix."""
    return [f for f in findings if not f.ok]


def summary(findings: list[Finding] | None = None) -> str:
    """One line with no path and no version: the same on every machine that is ready.

    For a notebook cell whose output is committed (lesson 00); ``nnlib doctor`` in a
    terminal shows the details and the fixes.
    """
    findings = run_doctor() if findings is None else findings
    bad = problems(findings)
    if not bad:
        return f"nnlib doctor: all {len(findings)} checks passed; this machine is ready for the course."
    names = ", ".join(f.name for f in bad)
    return (f"nnlib doctor: {len(bad)} of {len(findings)} checks need a fix ({names}); "
            "run `nnlib doctor` in a terminal to see the fixes.")


def format_findings(findings: list[Finding]) -> str:
    width = max(len(f.name) for f in findings)
    lines = [f"{'check':<{width}}  status  detail", f"{'-' * width}  ------  ------"]
    for f in findings:
        lines.append(f"{f.name:<{width}}  {'ok' if f.ok else 'FIX':<6}  {f.detail}")
    bad = problems(findings)
    if bad:
        lines.append("")
        lines += [f"fix {f.name}: {f.fix}" for f in bad]
    else:
        lines.append("\nall good: jupyter lab lessons/")
    return "\n".join(lines)
