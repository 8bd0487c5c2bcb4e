"""Packaging, the install files, Binder and CI: what a fresh machine, PyPI and repo2docker see."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import nnlib
from nnlib.doctor import DISTRIBUTION, REQUIRED

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
README = (ROOT / "README.md").read_text()
MAINTAINER_TOOLS = {"pytest", "pytest-xdist", "hypothesis", "nbval", "ruff", "playwright", "nbgrader",
                    "otter-grader"}


def requirement_lines(name: str) -> list[str]:
    lines = [line.split("#")[0].strip() for line in (ROOT / name).read_text().splitlines()]
    return [line for line in lines if line]


def package_name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec, maxsplit=1)[0].lower()


# -- licence and metadata -------------------------------------------------------------------


def test_licence_file_and_spdx_expression():
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "Permission is hereby granted, free of charge" in licence
    assert PROJECT["license"] == "MIT AND CC-BY-4.0 AND Apache-2.0"  # an SPDX expression, not a table
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77"]  # the first to read it (PEP 639)
    for pattern in PROJECT["license-files"]:
        assert (ROOT / pattern).is_file(), pattern
    assert "CC BY 4.0" in (ROOT / "nnlib/datasets/README.md").read_text()
    assert "Apache License" in (ROOT / "nnlib/site/mathjax/LICENSE").read_text()


def test_the_installed_metadata_says_the_same():
    """What pip recorded when it installed this checkout (CI installs it afresh)."""
    meta = importlib.metadata.metadata(DISTRIBUTION)
    assert meta["License-Expression"] == PROJECT["license"]
    assert sorted(meta.get_all("License-File")) == sorted(PROJECT["license-files"])
    assert importlib.metadata.version(DISTRIBUTION) == nnlib.__version__


def test_the_distribution_name_is_not_taken_and_the_import_name_stays():
    """"nnlib" on PyPI is an unrelated project; ours is published as nnlib-course, imported as nnlib."""
    assert PROJECT["name"] == DISTRIBUTION == "nnlib-course"
    assert PROJECT["scripts"] == {"nnlib": "nnlib.cli:main"}
    assert "`nnlib-course`" in README and "imported as `nnlib`" in README
    assert "pip install nnlib-course" in README


def test_the_version_is_written_once():
    assert PROJECT["dynamic"] == ["version"] and "version" not in PROJECT
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "nnlib._version.__version__"}
    sources = [p.relative_to(ROOT).as_posix() for p in (ROOT / "nnlib").rglob("*.py")
               if re.search(r"^__version__ = ", p.read_text(), re.M)]
    assert sources == ["nnlib/_version.py"]
    assert f"## {nnlib.__version__}" in (ROOT / "CHANGELOG.md").read_text()


def test_nnlib_version_on_the_command_line():
    done = subprocess.run([sys.executable, "-m", "nnlib", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0
    assert done.stdout == f"nnlib {nnlib.__version__} (distribution nnlib-course)\n"


def test_the_package_is_typed_and_ships_its_data():
    assert (ROOT / "nnlib" / "py.typed").is_file()
    data = PYPROJECT["tool"]["setuptools"]["package-data"]["nnlib"]
    assert "py.typed" in data and "site/mathjax/*" in data
    for pattern in data:
        assert list((ROOT / "nnlib").glob(pattern)), f"package-data pattern {pattern} matches nothing"
    assert "Typing :: Typed" in PROJECT["classifiers"]


def test_changelog_and_contributing():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## Unreleased" in changelog and "nnlib-course" in changelog
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    assert "pip install -r requirements-dev.txt" in contributing and "Edit `solutions/` only" in contributing
    assert "[CONTRIBUTING.md](CONTRIBUTING.md)" in README and "[CHANGELOG.md](CHANGELOG.md)" in README


# -- the learner's install and the maintainer's ---------------------------------------------


def test_learners_install_only_what_the_course_needs():
    specs = [line for line in requirement_lines("requirements.txt") if not line.startswith("-")]
    assert {package_name(s) for s in specs} == set(REQUIRED)  # the doctor checks exactly these
    assert not {package_name(s) for s in specs} & MAINTAINER_TOOLS
    assert "-e ." in requirement_lines("requirements.txt")


def test_the_dev_requirements_are_the_dev_extra():
    lines = requirement_lines("requirements-dev.txt")
    assert lines[0] == "-r requirements.txt"
    assert sorted(lines[1:]) == sorted(PROJECT["optional-dependencies"]["dev"])
    assert {package_name(s) for s in lines[1:]} == MAINTAINER_TOOLS
    pinned = {package_name(s): s for s in lines[1:] if "==" in s}
    assert pinned == {"nbgrader": "nbgrader==0.9.6", "otter-grader": "otter-grader==7.0.0"}


def test_readme_start_and_test_commands():
    start = README[README.index("## Start"):README.index("## The course")]
    assert "pip install -r requirements.txt\njupyter lab lessons/" in start
    testing = README[README.index("## Testing"):README.index("## Maintaining")]
    assert "```bash\npip install -r requirements-dev.txt\npytest\n```" in testing


def test_ci_installs_as_the_readme_says_and_requires_the_optional_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    installs = re.findall(r"^pip install (.+)$", ci, re.M)
    assert installs == ["-r requirements.txt", "-r requirements-dev.txt"]
    assert re.search(r"^export NNLIB_REQUIRE_CLASSROOM_TOOLS=1", ci, re.M)
    assert re.search(r"^export NNLIB_REQUIRE_BROWSER=1", ci, re.M)
    assert re.search(r"^pytest$", ci, re.M)


# -- Binder and hubs ------------------------------------------------------------------------


def test_binder_folder_installs_the_learners_requirements_once():
    """repo2docker reads binder/ only (so no extra `pip install .` over the editable install)."""
    assert requirement_lines("binder/requirements.txt") == ["-r ../requirements.txt"]
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    assert not (ROOT / "runtime.txt").exists()  # ignored by repo2docker once binder/ exists


def test_binder_turns_the_jupyterlab_news_popup_off():
    overrides = json.loads((ROOT / "binder" / "overrides.json").read_text())
    settings = overrides["@jupyterlab/apputils-extension:notification"]
    assert settings == {"fetchNews": "false", "checkForUpdates": False}
    # the names and values are JupyterLab 4's (its settings schema, installed with it)
    schemas = Path(sys.prefix) / "share/jupyter/lab/schemas"  # requirements.txt installs JupyterLab
    schema_file = schemas / "@jupyterlab/apputils-extension/notification.json"
    schema = json.loads(schema_file.read_text())["properties"]
    assert {"const": "false", "title": "Never"} in schema["fetchNews"]["oneOf"]
    assert schema["checkForUpdates"]["type"] == "boolean"
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "share/jupyter/lab/settings" in post_build and "cp binder/overrides.json" in post_build
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111  # executable


def test_the_launch_link_opens_lesson_00():
    links = re.findall(r"https://mybinder\.org/v2/gh/[^)\s`]+", README)
    assert links
    for link in links:
        query = parse_qs(urlparse(link).query)
        assert query["labpath"] == ["lessons/00_welcome.ipynb"], link
        assert (ROOT / query["labpath"][0]).is_file()


def test_nbgitpuller_is_documented_for_hubs():
    hubs = README[README.index("## Binder and JupyterHub"):README.index("## Performance")]
    link = re.search(r"https://HUB/hub/user-redirect/git-pull\?\S+", hubs).group(0)
    query = parse_qs(urlparse(link).query)
    assert set(query) == {"repo", "branch", "urlpath"}
    assert unquote(query["urlpath"][0]).endswith("/lessons/00_welcome.ipynb")
    assert "pip install nnlib-course" in hubs and "nbgitpuller" in hubs
