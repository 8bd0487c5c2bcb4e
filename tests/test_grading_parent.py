"""The grader's process: malformed files, names that forge rows, the report's path, the seed, the fallback.

Nothing here runs hostile code: a file or a name can only be malformed, and each
problem stays with its own submission while the class is graded and reported.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_grader import GOOD_DENSE, GOOD_PRE, WRONG_DENSE, make_notebook

from nnlib import grader
from nnlib.cli import main
from nnlib.exercises import EXERCISES
from nnlib.grading import grade, sandbox, seed
from nnlib.grading.grade import IsolationWarning
from nnlib.grading.report import ReportPathError, shown, write_json

ROOT = Path(__file__).resolve().parent.parent
SEED = 161_803
TIMEOUT = "3"
#: Lesson 01's exercises: the points of any notebook graded as lesson 01 (make_notebook answers two).
LESSON_01 = [ex.id for ex in EXERCISES.values() if ex.lesson == "01"]
NAMES = {"eve_newline": "eve\nmallory  2", "ansi": "\x1b[8mhidden", "bidi": "\u202eevil"}


@pytest.fixture(scope="module", autouse=True)
def private_config(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        yield


def nnlib_grade(*args, env=None, timeout=120):
    """``nnlib grade`` in a fresh process whose output encoding is strict ASCII."""
    environ = {**os.environ, "PYTHONIOENCODING": "ascii:strict", **(env or {})}
    return subprocess.run([sys.executable, "-m", "nnlib", "grade", *args], capture_output=True, text=True,
                          errors="replace", env=environ, timeout=timeout, cwd=ROOT)


@pytest.fixture(scope="module")
def odd_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("odd")
    subs = base / "submissions"
    alice = make_notebook(subs / "alice.ipynb")
    (subs / "twin.ipynb").write_bytes(alice.read_bytes())
    os.symlink(alice, subs / "copycat.ipynb")
    os.symlink(ROOT / "solutions" / "01_single_neuron.ipynb", subs / "cheat.ipynb")
    os.symlink("/dev/zero", subs / "zero.ipynb")
    os.mkfifo(subs / "fifo.ipynb")
    nb = json.loads(alice.read_text())
    nb["cells"][2]["execution_count"] = 1234567
    (subs / "big_count.ipynb").write_text(json.dumps(nb).replace("1234567", "9" * 5000))
    raising = "def dense_preactivation(X, W, b):\n    raise ValueError('\\ud800 \\x1b[8m')\n"
    text = make_notebook(base / "tmp.ipynb", GOOD_PRE + "# surrogate\n", raising).read_text()
    (subs / "surrogate.ipynb").write_text(text.replace("surrogate", "\\ud800"))  # a lone surrogate in JSON
    commented = ('def dense_preactivation(X, W, b):\n    return X @ W + b\n'
                 '    # raise NotImplementedError("Exercise dense_preactivation: return Z")\n')
    make_notebook(subs / "commented_stub.ipynb", GOOD_PRE, commented, [("scratch", WRONG_DENSE)])
    for key, name in NAMES.items():
        make_notebook(subs / name / f"{key}.ipynb")
    forged = make_notebook(base / "id.ipynb", dense=None, extra=[("forged-id", GOOD_DENSE)]).read_text()
    (subs / "cell_id.ipynb").write_text(forged.replace("forged-id", "x\\n\\nmallory  2/2\\u001b[8m"))
    (subs / os.fsdecode(b"latin\xe9.ipynb")).write_bytes(alice.read_bytes().replace(b"Single", b"Double"))
    report = base / "report.json"
    done = nnlib_grade(str(subs), "--lesson", "01", "--seed", str(SEED), "--timeout", TIMEOUT, "--json",
                       str(report), "--jobs", "2")
    data = json.loads(report.read_text())
    return {"done": done, "data": data, "subs": {s["learner"]: s for s in data["submissions"]},
            "alice": alice, "base": base}


def test_the_class_is_graded_and_printed_under_a_strict_output_encoding(odd_class):
    done = odd_class["done"]
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert odd_class["subs"]["alice"]["score"] == 2.0
    assert odd_class["subs"][os.fsdecode(b"latin\xe9")]["score"] == 2.0


@pytest.mark.parametrize(("learner", "fragment"), [
    ("fifo", "the file is a FIFO (named pipe), not a notebook file"),
    ("zero", "a symbolic link to a place outside the submissions folder"),
    ("cheat", "a symbolic link to a place outside the submissions folder"),
    ("big_count", "not a valid notebook"),
])
def test_files_that_are_not_notebooks_get_a_message_and_zero(odd_class, learner, fragment):
    sub = odd_class["subs"][learner]
    assert fragment in sub["output"], sub["output"]
    assert sub["score"] == 0.0 and sub["max_score"] == len(LESSON_01)


def test_links_and_copies_are_graded_and_flagged(odd_class):
    copycat, twin = odd_class["subs"]["copycat"], odd_class["subs"]["twin"]
    assert copycat["score"] == twin["score"] == 2.0
    assert f"symbolic link to {odd_class['alice'].resolve()}" in copycat["output"]
    for sub in (copycat, twin):
        assert "same file as" in sub["output"] and "alice" in sub["output"]
    assert "same file as copycat, twin" in odd_class["subs"]["alice"]["output"]


def test_a_lone_surrogate_in_learner_text_is_reported_not_fatal(odd_class):
    sub = odd_class["subs"]["surrogate"]
    assert "does not run: UnicodeEncodeError" in sub["tests"][0]["output"]  # in the cell's source
    assert "raised ValueError: \ud800 ?[8m" in sub["tests"][1]["output"]  # in an error message
    assert "raised ValueError: \\ud800 ?[8m" in odd_class["done"].stdout  # the text report escapes it


def test_a_commented_stub_line_is_not_the_untouched_stub(odd_class):
    dense = odd_class["subs"]["commented_stub"]["tests"][1]
    assert (dense["status"], dense["extra_data"]["cell"]) == ("passed", "the exercise cell")


def test_names_cannot_forge_rows_or_hide_the_report(odd_class):
    text = odd_class["done"].stdout
    assert "\x1b" not in text and "\u202e" not in text
    assert not any(line.startswith("mallory") for line in text.splitlines())
    for name in NAMES.values():
        assert odd_class["subs"][name]["score"] == 2.0  # JSON: the exact name
        assert shown(name) in text
    assert "eve\\nmallory  2  (" in text
    assert "[graded cell 5 (id x\\n\\nmallory  2/2\\x1b[8m), not the exercise cell]" in text


def test_the_json_report_is_written_whole_and_only_to_a_regular_file(tmp_path, odd_class):
    alice = odd_class["alice"]
    before = alice.read_bytes()
    link = tmp_path / "report.json"
    os.symlink(alice, link)
    done = nnlib_grade(str(alice), "--seed", str(SEED), "--json", str(link))
    assert done.returncode == 2
    assert "refusing to write the report" in done.stderr and "symbolic link" in done.stderr
    assert alice.read_bytes() == before
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(ReportPathError, match="not a regular file"):
        write_json({"a": 1}, fifo)
    target = tmp_path / "ok.json"
    target.write_text("old")
    write_json({"a": 1}, target)
    assert json.loads(target.read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.json", "ok.json", "report.json"]  # no temp


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "1e9", "soon"])
def test_a_timeout_that_is_not_a_number_of_seconds_is_a_clear_error(value, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["grade", str(ROOT / "lessons"), "--timeout", value])
    assert stop.value.code == 2
    assert "timeout must be a number of seconds above 0 and at most 3600" in capsys.readouterr().err
    with pytest.raises(ValueError, match="timeout must be"):
        grader.grade_paths([ROOT / "lessons" / "01_single_neuron.ipynb"], timeout=float(value)
                           if value != "soon" else value, seed=SEED)


def test_an_exception_while_grading_one_notebook_stays_with_it(tmp_path, monkeypatch):
    good = make_notebook(tmp_path / "good.ipynb")
    cursed = make_notebook(tmp_path / "cursed.ipynb")
    real = grade.read_notebook

    def read(path, root=None):
        if Path(path).name == "cursed.ipynb":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, root)

    monkeypatch.setattr(grade, "read_notebook", read)
    report = grader.grade_paths([good, cursed], seed=SEED, lesson="01")
    by_name = {s.learner: s for s in report.submissions}
    assert by_name["good"].score == 2.0
    assert "grader error while grading this notebook: RecursionError" in by_name["cursed"].message
    assert [e.status for e in by_name["cursed"].exercises] == ["error"] * len(LESSON_01)
    assert "grader error" in grader.format_report(report)


# --------------------------------------------------------------------------- the hidden seed


def test_the_hidden_seed_is_secret_per_installation(tmp_path, monkeypatch):
    seeds = []
    for name in ("one", "two"):
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / name))
        seeds.append(seed.installation_seed())
        path = seed.seed_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert seed.installation_seed() == seeds[-1]  # kept
    assert seeds[0] != seeds[1]
    path.chmod(0o644)
    with pytest.raises(RuntimeError, match="readable by other users"):
        seed.installation_seed()
    sources = "".join(p.read_text() for p in (ROOT / "nnlib").rglob("*.py"))
    assert "31415926" not in sources and "31_415_926" not in sources  # the old public default


def test_reports_never_give_the_secret_seed_away(tmp_path):
    nb = make_notebook(tmp_path / "nb.ipynb")
    data = grader.report_json(grader.grade_paths([nb]))
    assert (data["seed"], data["seed_source"]) == (None, "installation secret")
    assert str(seed.installation_seed()) not in json.dumps(data)
    given = grader.report_json(grader.grade_paths([nb], seed=SEED))
    assert (given["seed"], given["seed_source"]) == (SEED, "given")


# --------------------------------------------------------------------------- without bubblewrap


def test_without_bubblewrap_grading_works_warns_once_and_can_be_refused(tmp_path, monkeypatch, capsys):
    """A missing bwrap: the plain-process sandbox (benign code only here), one warning, or an error."""
    subs = tmp_path / "subs"
    make_notebook(subs / "alice.ipynb")
    make_notebook(subs / "bob.ipynb", dense=WRONG_DENSE)
    loop = "def dense_preactivation(X, W, b):\n    while True:\n        pass\n"
    make_notebook(subs / "slow.ipynb", dense=loop)
    missing = str(tmp_path / "no" / "bwrap")
    isolation = sandbox.grading_isolation("auto", missing)
    assert isolation.kind == "process" and "not found" in isolation.detail and isolation.warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = grader.grade_paths([subs], seed=SEED, timeout=1, jobs=2, bwrap=missing)
    assert [w.category for w in caught] == [IsolationWarning]
    assert report.isolation.startswith("process")
    scores = {s.learner: s.score for s in report.submissions}
    assert scores == {"alice": 2.0, "bob": 1.0, "slow": 1.0}
    assert "time limit of 1 s" in report.submissions[2].exercises[1].feedback
    with pytest.raises(sandbox.IsolationError, match="bubblewrap is required, but bubblewrap not found"):
        grader.grade_paths([subs], seed=SEED, isolation="required", bwrap=missing)
    monkeypatch.setenv("PATH", str(tmp_path))  # the command finds no bwrap
    assert main(["grade", str(subs / "alice.ipynb"), str(subs / "bob.ipynb"), "--seed", str(SEED)]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("WARNING: grading without bubblewrap") == 1
    assert "alice  (" in captured.out
    assert main(["grade", str(subs), "--seed", str(SEED), "--isolation", "required"]) == 2
    assert "isolation with bubblewrap is required" in capsys.readouterr().err


def test_the_doctor_can_ask_which_isolation_grading_uses():
    isolation = sandbox.grading_isolation()
    assert isolation.kind in ("bubblewrap", "process")
    assert isolation.describe().startswith(isolation.kind)
    if isolation.kind == "process":
        assert "WARNING" in isolation.describe()
    with pytest.raises(ValueError, match="isolation must be"):
        sandbox.grading_isolation("sometimes")


def test_nbformat_reads_what_make_notebook_writes(tmp_path):
    """(The helpers above build real notebooks.)"""
    nb = nbformat.read(make_notebook(tmp_path / "x.ipynb", GOOD_PRE, GOOD_DENSE), as_version=4)
    assert [c.get("id") for c in nb.cells if c.cell_type == "code"][1] == "exercise-preactivation"


def test_a_sandbox_that_cannot_start_is_a_grader_error_not_a_learners_zero(tmp_path):
    broken = sandbox.Isolation("bubblewrap", "a bwrap that exits at once", bwrap="/bin/false")
    sub = grader.grade_notebook(make_notebook(tmp_path / "nb.ipynb"), seed=SEED, isolation=broken)
    # the notebook answers two of lesson 01's exercises: both are the grader's error, not a zero
    answered = [e for e in sub.exercises if e.exercise_id in ("preactivation", "dense_preactivation")]
    assert [e.status for e in answered] == ["error", "error"]
    assert all("grader error: " in e.feedback for e in answered), [e.feedback for e in answered]
    assert {e.status for e in sub.exercises} - {"error", "missing"} == set()


def test_an_exercise_whose_process_never_started_gets_one_more_try(tmp_path, monkeypatch):
    """No "ready" from an exercise's process: none of its cell ran, so it is run again, once."""
    real, calls = sandbox.run, []

    def first_start_lost(jobs, **kwargs):
        raws = real(jobs, **kwargs)
        calls.append(len(jobs))
        if len(calls) == 1:
            raws[1] = sandbox.RawRun(returncode=0, started=True)  # as seen once under load: exit 0, no event
        return raws

    monkeypatch.setattr(sandbox, "run", first_start_lost)
    sub = grader.grade_notebook(make_notebook(tmp_path / "nb.ipynb"), seed=SEED, lesson="01")
    graded = {e.exercise_id: e.status for e in sub.exercises}
    assert graded["preactivation"] == graded["dense_preactivation"] == "passed", sub.exercises
    assert calls == [2, 1]  # the second run holds only the lost exercise
