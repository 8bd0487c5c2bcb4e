"""``nnlib doctor``: is this machine ready for the course? One row per check, one fix per problem."""

from __future__ import annotations

import importlib.metadata
import re
import sys
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
    "nbval": "0.11",
    "pytest": "8.0",
    "pytest-xdist": "3.5",
    "hypothesis": "6.100",
    "ruff": "0.5",
}


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def check_python() -> Finding:
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


def check_nnlib_source(root: Path | None) -> Finding:
    import nnlib

    location = Path(nnlib.__file__).resolve().parent
    if root is None:
        return Finding("nnlib", True, f"imported from {location} (no checkout found here)")
    ok = location == (root / "nnlib").resolve()
    return Finding("nnlib", ok, f"imported from {location}",
                   "" if ok else f"cd {root} && pip install -e .  (nnlib is imported from elsewhere)")


def check_kernel() -> Finding:
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        return Finding("jupyter kernel", False, "jupyter_client missing", "pip install -r requirements.txt")
    specs = KernelSpecManager().find_kernel_specs()
    if "python3" not in specs:
        return Finding("jupyter kernel", False, "no 'python3' kernel",
                       f"{sys.executable} -m ipykernel install --user")
    return Finding("jupyter kernel", True, f"python3 at {specs['python3']}")


def check_widgets_extension() -> Finding:
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


def check_lessons(root: Path | None) -> Finding:
    if root is None:
        return Finding("lessons", True, "no checkout here: skipped")
    from nnlib.course import build_lessons

    report = build_lessons(root, check=True)
    if report.ok:
        return Finding("lessons", True, f"{len(report.unchanged)} lessons up to date")
    return Finding("lessons", False, f"stale: {', '.join(report.stale)}",
                   "nnlib build-lessons  (maintainers; learners: git pull)")


def run_doctor(root: Path | None) -> list[Finding]:
    findings = [check_python()]
    findings += [check_package(name, minimum) for name, minimum in REQUIRED.items()]
    findings += [check_nnlib_source(root), check_kernel(), check_widgets_extension(), check_lessons(root)]
    return findings


def format_findings(findings: list[Finding]) -> str:
    width = max(len(f.name) for f in findings)
    lines = [f"{'check':<{width}}  status  detail", f"{'-' * width}  ------  ------"]
    for f in findings:
        lines.append(f"{f.name:<{width}}  {'ok' if f.ok else 'FIX':<6}  {f.detail}")
    problems = [f for f in findings if not f.ok]
    if problems:
        lines.append("")
        lines += [f"fix {f.name}: {f.fix}" for f in problems]
    else:
        lines.append("\nall good: jupyter lab lessons/")
    return "\n".join(lines)
