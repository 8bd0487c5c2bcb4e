"""``nnlib gradescope-autograder``: the bundle runs as Gradescope runs it, and writes a valid results.json.

The bundle is unpacked into a temporary root laid out like ``/autograder``
(``source/``, ``submission/``, ``results/``) and its ``run_autograder`` is run
with ``AUTOGRADER_ROOT`` pointing there, on a correct, a wrong and a hostile
submission. The results are checked against the fields Gradescope documents
for ``results.json`` (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_grader import GOOD_DENSE, GOOD_PRE, WRONG_DENSE, make_notebook

from nnlib.cli import main

TOP_FIELDS = {"score": (int, float), "execution_time": (int, float), "output": str, "output_format": str,
              "test_output_format": str, "test_name_format": str, "visibility": str, "stdout_visibility": str,
              "extra_data": dict, "tests": list, "leaderboard": list}
TEST_FIELDS = {"score": (int, float), "max_score": (int, float), "status": str, "name": str,
               "name_format": str, "number": str, "output": str, "output_format": str, "tags": list,
               "visibility": str, "extra_data": dict}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}

HOSTILE = """import os, struct
print("x" * 10_000_000)
os.write(3, struct.pack("<Q", 10**12) + b"forged results")

def dense_preactivation(X, W, b):
    while True:
        pass
"""


def check_results(results: dict) -> None:
    """results.json as Gradescope documents it: known fields of the right types and values."""
    assert set(results) <= set(TOP_FIELDS), set(results) - set(TOP_FIELDS)
    for key, value in results.items():
        assert isinstance(value, TOP_FIELDS[key]), key
    assert results["visibility"] in VISIBILITY and results["stdout_visibility"] in VISIBILITY
    for test in results["tests"]:
        assert set(test) <= set(TEST_FIELDS), set(test) - set(TEST_FIELDS)
        for key, value in test.items():
            assert isinstance(value, TEST_FIELDS[key]), key
        assert test["status"] in ("passed", "failed") and test["visibility"] in VISIBILITY
        assert 0 <= test["score"] <= test["max_score"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert main(["gradescope-autograder", "--lesson", "1", "-o", str(out), "--timeout", "1"]) == 0
    return out


def run_bundle(bundle: Path, root: Path, notebook: Path | None) -> dict:
    """Lay out ``root`` as Gradescope does, run run_autograder there, return results.json."""
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
        for info in zf.infolist():  # zipfile drops the modes: restore the executable bits
            mode = info.external_attr >> 16
            if mode:
                os.chmod(root / "source" / info.filename, stat.S_IMODE(mode))
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    if notebook is not None:
        shutil.copy(notebook, root / "submission" / notebook.name)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "NNLIB_PYTHON": sys.executable}
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=120, cwd=root)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_bundle_holds_what_gradescope_needs(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        config = json.loads(zf.read("nnlib-autograder.json"))
        setup = zf.read("setup.sh").decode()
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt", "course/pyproject.toml",
            "course/nnlib/grading/sandbox.py", "course/nnlib/exercises/case_functions.py"} <= names
    assert not any("__pycache__" in n or n.startswith(("course/solutions", "course/lessons")) for n in names)
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert "apt-get install -y -qq bubblewrap" in setup and "-r requirements.txt" in setup
    assert config["lesson"] == "01" and config["timeout"] == 1.0 and isinstance(config["seed"], int)


def test_correct_wrong_and_hostile_submissions(bundle, tmp_path):
    correct = make_notebook(tmp_path / "nb" / "01_single_neuron.ipynb", GOOD_PRE, GOOD_DENSE)
    wrong = make_notebook(tmp_path / "wrong" / "01_single_neuron.ipynb", GOOD_PRE, WRONG_DENSE)
    hostile = make_notebook(tmp_path / "hostile" / "01_single_neuron.ipynb", GOOD_PRE, HOSTILE)
    with ThreadPoolExecutor(3) as pool:  # three containers, as Gradescope would run them
        futures = {name: pool.submit(run_bundle, bundle, tmp_path / name, nb)
                   for name, nb in (("correct", correct), ("wrong", wrong), ("hostile", hostile))}
    results = {name: future.result() for name, future in futures.items()}
    for r in results.values():
        check_results(r)
    assert results["correct"]["score"] == 2.0
    statuses = [t["status"] for t in results["correct"]["tests"]]  # it answers 2 of lesson 01's exercises
    assert statuses[:2] == ["passed", "passed"] and set(statuses[2:]) <= {"failed"} and len(statuses) > 2
    assert results["wrong"]["score"] == 1.0
    assert "first mismatch" in results["wrong"]["tests"][1]["output"]
    assert results["hostile"]["score"] == 1.0
    assert "did not finish running" in results["hostile"]["tests"][1]["output"]


def test_no_notebook_still_writes_results(bundle, tmp_path):
    results = run_bundle(bundle, tmp_path / "empty", None)
    check_results(results)
    assert results["score"] == 0.0 and "No notebook" in results["output"]


def test_a_lesson_without_exercises_is_refused(tmp_path, capsys):
    assert main(["gradescope-autograder", "--lesson", "00", "-o", str(tmp_path / "a.zip")]) == 2
    assert "has no graded exercises" in capsys.readouterr().err
