"""``nnlib grade``: correct, hostile and broken submissions are graded as they should be, and fast.

Most hostile submissions are graded together in one class run (module fixture
``hostile``), as an operator would, so the whole file stays well under a minute
on two cores; each test then checks one submission's grade. The class runs with
the isolation grading picks here (bubblewrap where it works); the attacks that
only an OS boundary stops are in ``test_grading_isolation.py``.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import linecache
import os
import re
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from nnlib import grader
from nnlib.check import check, format_result, run_checks
from nnlib.exercises import CHECK_SEED, EXERCISES, get_exercise
from nnlib.grading import grade, sandbox
from nnlib.grading.sandbox import CELL_FILENAME
from nnlib.grading.seed import installation_seed

TIMEOUT = 3.0
MEMORY_MB = 256  # numpy and nnlib take about 110 MB of address space
ROOT = Path(__file__).resolve().parent.parent
SEED = 987_654  # the hidden seed where a test needs to know it


@pytest.fixture(scope="module", autouse=True)
def private_config(tmp_path_factory):
    """A config folder of the tests' own: the installation's hidden seed is drawn there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        yield

GOOD_PRE = 'def preactivation(x, w, b):\n    """z = w·x + b."""\n    return float(x @ w + b)\n'
GOOD_DENSE = "def dense_preactivation(X, W, b):\n    return X @ W + b\n"
WRONG_DENSE = "def dense_preactivation(X, W, b):\n    return X @ W\n"
STUB_DENSE = ('def dense_preactivation(X, W, b):\n'
              '    raise NotImplementedError("Exercise dense_preactivation: return Z")\n')

#: Lesson 01's number of exercises: a lesson-01 notebook is graded out of this many points
LESSON01_MAX = float(sum(ex.lesson == "01" for ex in EXERCISES.values()))


def make_notebook(path: Path, pre: str | None = GOOD_PRE, dense: str | None = GOOD_DENSE,
                  extra: list[tuple[str, str]] = (), dense_id: str = "exercise-dense_preactivation") -> Path:
    """A lesson-01 notebook like the course's: setup, exercise cells with ids, check cells."""
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell("# 01 · Single neuron"),
             v4.new_code_cell("import numpy as np\nfrom nnlib import check\nrng = np.random.default_rng(0)")]
    cells[1].id = "setup"
    for exercise_id, source, cell_id in (("preactivation", pre, "exercise-preactivation"),
                                         ("dense_preactivation", dense, dense_id)):
        if source is None:
            continue
        cell = v4.new_code_cell(source)
        cell.id = cell_id
        check_cell = v4.new_code_cell(f'check("{exercise_id}", {exercise_id})')
        check_cell.id = f"check-{exercise_id}"
        cells += [cell, check_cell]
    for cell_id, source in extra:
        cell = v4.new_code_cell(source)
        cell.id = cell_id
        cells.append(cell)
    nb = v4.new_notebook(cells=cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# --------------------------------------------------------------------------- the hostile class

PATCH_NUMPY = """import builtins
import numpy
import numpy.testing
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
numpy.array_equal = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.testing.assert_array_equal = lambda *a, **k: None
"""

LOOP = """import signal

def dense_preactivation(X, W, b):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGXCPU, signal.SIG_IGN)
    while True:
        pass
"""

ESCAPING_FORK = """import ctypes
import os
import re
import time

PIDFILE = {pidfile!r}

def dense_preactivation(X, W, b):
    if not os.path.exists(PIDFILE):
        pid = ctypes.CDLL(None).fork()  # not os.fork: gets past the Python-level refusal
        if pid == 0:
            os.setsid()  # leaves the process group the grader kills
            import signal
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            with open(PIDFILE + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.rename(PIDFILE + ".tmp", PIDFILE)
            while True:
                time.sleep(0.05)
        for _ in range(200):  # wait until the escaped process is there
            if pid <= 0 or os.path.exists(PIDFILE):
                break
            time.sleep(0.01)
    return X @ W + b
"""

FORGED = """import os, struct

def n(k):
    return struct.pack("<Q", k)

def s(text):
    return b"s" + n(len(text)) + text

huge = b"a" + n(3) + b"<f8" + n(1) + n(10**11) + n(8 * 10**11) + bytes(64)  # claims 10^11 numbers
for i in range(20):  # forged on the process's own result pipe (fd 3): events well-formed, arrays not
    event = (b"d" + n(4) + s(b"event") + s(b"result") + s(b"i") + b"i" + n(len(str(i))) + str(i).encode()
             + s(b"kind") + s(b"ok") + s(b"arrays") + b"d" + n(1) + s(b"") + huge)
    os.write(3, n(len(event)) + event)
os._exit(0)

def dense_preactivation(X, W, b):
    return X @ W
"""

LIAR = """class Liar(np.ndarray):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

def dense_preactivation(X, W, b):
    return np.asarray(X @ W).view(Liar)
"""

# name -> (preactivation source, dense_preactivation source, extra cells)
HOSTILE = {
    "good": (GOOD_PRE, GOOD_DENSE, []),
    "one_wrong": (GOOD_PRE, WRONG_DENSE, []),
    "stub": (None, STUB_DENSE, []),
    "patch_numpy_wrong": (GOOD_PRE, PATCH_NUMPY + WRONG_DENSE, []),
    "patch_numpy_correct": (None, PATCH_NUMPY + GOOD_DENSE, []),
    "patch_builtins": (GOOD_PRE, "import builtins\nbuiltins.isinstance = lambda obj, cls: True\n"
                                 "builtins.print = lambda *a, **k: None\n" + WRONG_DENSE, []),
    "os_exit_in_function": (GOOD_PRE, "import os\n\ndef dense_preactivation(X, W, b):\n"
                                      "    os._exit(0)\n", []),
    "sys_exit_in_function": (None, "import sys\n\ndef dense_preactivation(X, W, b):\n    sys.exit(0)\n", []),
    "os_exit_at_top": (GOOD_PRE, "import os\nos._exit(0)\n" + GOOD_DENSE, []),
    "sys_exit_at_top": (GOOD_PRE, "import sys\nsys.exit(0)\n" + GOOD_DENSE, []),
    "loop_ignoring_sigterm": (GOOD_PRE, LOOP, []),
    "kill_worker": (GOOD_PRE, "import os, signal, time\n\ndef dense_preactivation(X, W, b):\n"
                              "    os.kill(os.getppid(), signal.SIGKILL)\n    time.sleep(100)\n", []),
    "fork": (GOOD_PRE, "import os, time\n\ndef dense_preactivation(X, W, b):\n    if os.fork() == 0:\n"
                       "        time.sleep(100)\n    return X @ W + b\n", []),
    "subprocess": (None, "import subprocess\n\ndef dense_preactivation(X, W, b):\n"
                             "    subprocess.Popen(['sleep', '100'])\n    return X @ W + b\n", []),
    "escaping_fork": (GOOD_PRE, None, []),  # source filled in with a pid file path
    "memory_bomb": (GOOD_PRE, "def dense_preactivation(X, W, b):\n    big = np.ones((60_000, 60_000))\n"
                              "    return X @ W + b + big[0, 0]\n", []),
    "memory_bomb_slow": (GOOD_PRE, "def dense_preactivation(X, W, b):\n    blocks = []\n    while True:\n"
                                   "        blocks.append(np.ones(10**7))\n", []),
    "print_100mb": (GOOD_PRE, "print('x' * 50_000_000)\n\ndef dense_preactivation(X, W, b):\n"
                              "    print('y' * 5_000_000)\n    return X @ W + b\n", []),  # 100 MB in all
    "object_array": (None, "def dense_preactivation(X, W, b):\n"
                               "    return np.array(X @ W + b, dtype=object)\n", []),
    "list": (None, "def dense_preactivation(X, W, b):\n    return (X @ W + b).tolist()\n", []),
    "lying_subclass": (None, LIAR, []),
    "generator": (None, "def dense_preactivation(X, W, b):\n    return (row for row in X @ W + b)\n", []),
    "import_nnlib": (None, "from nnlib import dense_preactivation as reference\n\n"
                               "def dense_preactivation(X, W, b):\n    return reference(X, W, b)\n", []),
    "import_nnlib_hidden": (None, "def dense_preactivation(X, W, b):\n"
                                  "    return __import__('nn' + 'lib').dense_preactivation(X, W, b)\n", []),
    "nnlib_via_sys_modules": (None, "import sys\n\ndef dense_preactivation(X, W, b):\n"
                                        "    module = sys.modules['nn' + 'lib.layers']\n"
                                        "    return module.dense_preactivation(X, W, b)\n", []),
    "nnlib_via_gc": (None, "import gc\n\ndef dense_preactivation(X, W, b):\n"
                               "    ref = next(o for o in gc.get_objects() if callable(o)\n"
                               "               and getattr(o, '__name__', '') == 'dense_preactivation'\n"
                               "               and getattr(o, '__module__', '') == 'nn' 'lib.layers')\n"
                               "    return ref(X, W, b)\n", []),
    "forged_results": (GOOD_PRE, FORGED, []),
    "deleted_cell": (GOOD_PRE, None, []),
    "duplicated_cell": (None, GOOD_DENSE, [("copy-1", WRONG_DENSE)]),
    "duplicated_stub": (None, STUB_DENSE, [("copy-1", WRONG_DENSE), ("copy-2", GOOD_DENSE)]),
    "renamed_cell": (None, None, [("a1b2c3", GOOD_DENSE)]),
    "renamed_function": (None, GOOD_DENSE.replace("def dense_preactivation", "def dense_preact"), []),
    "magics": (None, "%%time\n!ls\n%load_ext autoreload\n" + GOOD_DENSE, []),
    "name_error": (None, "def dense_preactivation(X, W, b):\n    return helper(X, W) + b\n", []),
    "check_in_cell": (None, GOOD_DENSE + 'check("dense_preactivation", dense_preactivation)\n', []),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Grade every hostile submission (plus broken files) in one class run, as lesson 01."""
    base = tmp_path_factory.mktemp("class")
    subs = base / "submissions"
    pidfile = str(base / "escaped.pid")
    for name, (pre, dense, extra) in HOSTILE.items():
        if name == "escaping_fork":
            dense = ESCAPING_FORK.format(pidfile=pidfile)
        make_notebook(subs / f"{name}.ipynb", pre, dense, extra)
    # a notebook with non-UTF-8 bytes (Latin-1 é in a markdown cell): graded, with a note
    good = (subs / "good.ipynb").read_bytes()
    (subs / "non_utf8.ipynb").write_bytes(good.replace(b"Single neuron", b"Single neur\xe9n"))
    (subs / "invalid_json.ipynb").write_bytes(good[: len(good) // 2])
    (subs / "empty.ipynb").write_bytes(b"")
    other = next(ex for ex in EXERCISES.values() if ex.lesson != "01")
    make_notebook(subs / "other_lesson.ipynb", None, None,
                  [(f"exercise-{other.id}", f"def {other.id}(*args):\n    return 0.0\n")])
    before = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in subs.iterdir()}
    start = time.monotonic()
    report = grader.grade_paths([subs], lesson="01", jobs=2, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    seconds = time.monotonic() - start
    after = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in subs.iterdir()
             if p.suffix == ".ipynb"}
    grades = {s.learner: s for s in report.submissions}
    return {"report": report, "grades": grades, "seconds": seconds, "before": before, "after": after,
            "pidfile": pidfile}


def grade_of(hostile, name: str, exercise_id: str = "dense_preactivation") -> grader.ExerciseGrade:
    sub = hostile["grades"][name]
    return next(e for e in sub.exercises if e.exercise_id == exercise_id)


def assert_only_dense_fails(hostile, name: str, *fragments: str) -> grader.ExerciseGrade:
    """The hostile exercise scores 0 with feedback naming what happened; the other one is unaffected."""
    pre = grade_of(hostile, name, "preactivation")
    if HOSTILE.get(name, (None,))[0] is not None:
        assert (pre.score, pre.status) == (1.0, "passed"), pre.feedback
    dense = grade_of(hostile, name)
    assert dense.score == 0.0, dense.feedback
    assert dense.status != "passed"
    for fragment in fragments:
        assert fragment in dense.feedback, (fragment, dense.feedback)
    return dense


def test_correct_submission_gets_full_marks(hostile):
    sub = hostile["grades"]["good"]
    assert (sub.score, sub.max_score) == (2.0, LESSON01_MAX)  # the notebook does lesson 01's first two
    assert [e.status for e in sub.exercises][:2] == ["passed", "passed"]
    n = len(get_exercise("dense_preactivation").cases(installation_seed(), hidden=True))
    assert grade_of(hostile, "good").feedback == f"dense_preactivation: all {n} checks passed"


def test_one_wrong_exercise_is_exactly_that_exercise_wrong(hostile):
    dense = assert_only_dense_fails(hostile, "one_wrong", "checks passed; case 1 ", "first mismatch")
    assert dense.status == "failed"
    assert hostile["grades"]["one_wrong"].score == 1.0


def test_stub_is_not_implemented(hostile):
    dense = assert_only_dense_fails(hostile, "stub", "not implemented yet")
    assert dense.status == "not implemented"
    # An untouched stub is not run: the grade is what running it gives.
    assert grader.untouched_stub("dense_preactivation", STUB_DENSE)
    ex, limits = get_exercise("dense_preactivation"), grader.Limits(timeout=TIMEOUT)
    run = grader.run_exercise(ex.id, STUB_DENSE, seed=installation_seed())
    result, _, _ = grader.judge_run(ex, installation_seed(), run, limits)
    assert format_result(ex, result) == dense.feedback
    assert (result.passed, result.total) == (dense.passed, dense.total)
    for not_a_stub in (STUB_DENSE.replace("    raise", "    print(1)\n    raise"),
                       "import os\n" + STUB_DENSE,
                       STUB_DENSE.replace("(X, W, b)", "(X, W, b=os._exit(0))"),
                       "@print\n" + STUB_DENSE):
        assert not grader.untouched_stub("dense_preactivation", not_a_stub)


def test_patching_numpy_cannot_fake_a_pass_nor_break_a_correct_one(hostile):
    assert_only_dense_fails(hostile, "patch_numpy_wrong", "first mismatch")
    assert grade_of(hostile, "patch_numpy_correct").status == "passed"


def test_patching_builtins_cannot_fake_a_pass(hostile):
    dense = assert_only_dense_fails(hostile, "patch_builtins")
    assert dense.status == "failed" and dense.feedback


def test_exiting_inside_the_function(hostile):
    assert_only_dense_fails(hostile, "os_exit_in_function", "exit code 0", "os._exit()", "case 1 ")
    assert_only_dense_fails(hostile, "sys_exit_in_function", "raised SystemExit: 0",
                            "in your code, line 4: sys.exit(0)")


def test_exiting_at_the_top_of_the_cell(hostile):
    assert_only_dense_fails(hostile, "os_exit_at_top", "the exercise cell did not finish running",
                            "exit code 0")
    assert_only_dense_fails(hostile, "sys_exit_at_top", "does not define a function dense_preactivation",
                            "SystemExit")


def test_endless_loop_ignoring_sigterm_is_killed_at_the_timeout(hostile):
    dense = assert_only_dense_fails(hostile, "loop_ignoring_sigterm", f"time limit of {TIMEOUT:g} s",
                                    "case 1 ")
    assert TIMEOUT <= dense.seconds < TIMEOUT + 1.5


def test_killing_the_grading_process_costs_only_that_exercise(hostile):
    """The notebook's worker runs exercises one at a time here: preactivation was already done."""
    assert_only_dense_fails(hostile, "kill_worker", "grading process stopped before this exercise was done")


def test_starting_processes_is_refused(hostile):
    """RLIMIT_NPROC 0 refuses the fork (and, for a plain process as root, so does Python)."""
    assert_only_dense_fails(hostile, "fork", "may not start")
    assert_only_dense_fails(hostile, "subprocess", "may not start")


def test_a_process_that_escapes_the_group_is_killed(hostile):
    """A fork past Python (ctypes) that leaves the session: refused where RLIMIT_NPROC holds, else killed.

    RLIMIT_NPROC holds in the bubblewrap sandbox (as root too: it runs as a fresh uid) and for a
    plain process that is not root; a plain process as root forks, and the sweep kills it.
    """
    assert grade_of(hostile, "escaping_fork").status == "passed"
    pidfile = Path(hostile["pidfile"])
    plain_root = sandbox.grading_isolation().kind == "process" and os.geteuid() == 0
    assert pidfile.exists() == (plain_root and not sandbox.grading_isolation().drop_uid)
    if pidfile.exists():
        pid = int(pidfile.read_text())
        stat_path = Path(f"/proc/{pid}/stat")
        deadline = time.monotonic() + 2
        while stat_path.exists() and stat_path.read_text().split(")")[-1].split()[0] != "Z":
            assert time.monotonic() < deadline, f"escaped process {pid} is still running"
            time.sleep(0.05)


def test_memory_bombs_fail_with_memory_error(hostile):
    for name in ("memory_bomb", "memory_bomb_slow"):
        dense = assert_only_dense_fails(hostile, name, "MemoryError", f"allows {MEMORY_MB} MB")
        assert dense.seconds < TIMEOUT + 1


def test_printing_100_mb_is_capped_and_graded_on_the_result(hostile):
    dense = grade_of(hostile, "print_100mb")
    assert dense.status == "passed", dense.feedback
    assert "characters of output were dropped" in dense.log
    assert len(dense.log) < 10_000


@pytest.mark.parametrize(("name", "fragments"), [
    ("object_array", ["wrong type", "dtype object"]),
    ("list", ["expected a single array or number, got a list"]),
    ("lying_subclass", ["first mismatch"]),
    ("generator", ["wrong type", "generator"]),
])
def test_wrong_return_types(hostile, name, fragments):
    assert_only_dense_fails(hostile, name, *fragments)


def test_import_nnlib_is_forbidden(hostile):
    dense = assert_only_dense_fails(hostile, "import_nnlib", "uses nnlib",
                                    "line 1: from nnlib import dense_preactivation as reference")
    assert dense.status == "forbidden"
    assert_only_dense_fails(hostile, "import_nnlib_hidden", "raised ModuleNotFoundError",
                            "No module named 'nnlib'")


def test_the_reference_is_nowhere_in_the_sandbox(hostile):
    """The sandbox never imports nnlib: neither sys.modules nor the garbage collector can find it."""
    for name, flags, error in (("nnlib_via_sys_modules", ["sys"], "raised KeyError"),
                               ("nnlib_via_gc", ["gc"], "raised StopIteration")):
        dense = assert_only_dense_fails(hostile, name, error)
        assert dense.review == flags  # flagged for a human to look at
    assert grade_of(hostile, "good").review == []
    assert "[review: the cell uses gc]" in grader.format_submission(hostile["grades"]["nnlib_via_gc"])


def test_forged_results_are_rejected_without_allocating(hostile):
    assert_only_dense_fails(hostile, "forged_results", "did not finish running", "exit code 0")


def test_exercise_cell_deleted_duplicated_or_renamed(hostile):
    assert_only_dense_fails(hostile, "deleted_cell", "exercise cell not found")
    assert_only_dense_fails(hostile, "renamed_function", "exercise cell not found")
    duplicated = grade_of(hostile, "duplicated_cell")  # the exercise cell wins over a later copy
    assert (duplicated.status, duplicated.cell) == ("passed", "the exercise cell")
    stub = grade_of(hostile, "duplicated_stub")  # an untouched stub loses to the last real copy
    assert stub.status == "passed" and "(id copy-2), not the exercise cell" in stub.cell
    renamed = grade_of(hostile, "renamed_cell")
    assert renamed.status == "passed" and "(id a1b2c3)" in renamed.cell


def test_magics_are_dropped_and_a_failing_check_call_is_ignored(hostile):
    assert grade_of(hostile, "magics").status == "passed"
    dense = grade_of(hostile, "check_in_cell")
    assert dense.status == "passed"
    assert "raised an error after defining the function (ignored)" in dense.feedback


def test_name_error_explains_that_only_the_cell_runs(hostile):
    assert_only_dense_fails(hostile, "name_error", "raised NameError", "runs only the exercise cell")


def test_non_utf8_notebook_is_graded_with_a_note(hostile):
    sub = hostile["grades"]["non_utf8"]
    assert sub.score == 2.0
    assert any("not valid UTF-8" in note for note in sub.notes)


@pytest.mark.parametrize(("name", "fragment"), [
    ("invalid_json", "not a valid notebook: invalid JSON"),
    ("empty", "the file is empty"),
    ("other_lesson", "belongs to another lesson"),
])
def test_broken_notebooks_get_a_message_and_zero(hostile, name, fragment):
    sub = hostile["grades"][name]
    assert fragment in sub.message
    assert (sub.score, sub.max_score) == (0.0, LESSON01_MAX)
    assert fragment in grader.format_submission(sub)


def test_submissions_are_never_modified(hostile):
    assert hostile["after"] == {p: v for p, v in hostile["before"].items() if p.suffix == ".ipynb"}


def test_nothing_hangs(hostile):
    report = hostile["report"]
    assert len(report.submissions) == len(HOSTILE) + 4
    for sub in report.submissions:
        for e in sub.exercises:
            assert e.seconds < TIMEOUT + 1.5, (sub.learner, e.exercise_id, e.seconds)
    # ~50 processes on 2 slots, a few of them at the time limit: a hang would take far longer
    assert hostile["seconds"] < 120


def test_report_text_and_json(hostile):
    report = hostile["report"]
    text = grader.format_report(report)
    assert "one_wrong  (" in text and "class: " in text and "lesson 01" in text
    data = json.loads(json.dumps(grader.report_json(report)))
    assert data["max_score"] == LESSON01_MAX * len(report.submissions)
    sub = next(s for s in data["submissions"] if s["learner"] == "one_wrong")
    assert (sub["score"], sub["max_score"]) == (1.0, LESSON01_MAX)
    assert [t["name"] for t in sub["tests"]] == [ex.id for ex in EXERCISES.values() if ex.lesson == "01"]
    test = sub["tests"][1]
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
    assert (test["score"], test["max_score"], test["status"]) == (0.0, 1.0, "failed")
    assert test["output"] == grade_of(hostile, "one_wrong").feedback


# --------------------------------------------------------------------------- same text as check()

WRONG_IMPLEMENTATIONS = {
    "transposed": "def dense_preactivation(X, W, b):\n    return (X @ W + b).T\n",
    "float64": "def dense_preactivation(X, W, b):\n    return (X @ W + b).astype(np.float64)\n",
    "raises": "def dense_preactivation(X, W, b):\n    Z = X @ W\n    return Z + b[:, None]\n",
    "mutates": "def dense_preactivation(X, W, b):\n    X *= 1\n    X[0, 0] = 7.0\n    return X @ W + b\n",
    "no b": WRONG_DENSE,
}


def test_feedback_is_the_same_text_as_check():
    """On the check() seed, the grader's feedback is exactly what check() prints."""
    ex = get_exercise("dense_preactivation")
    limits = grader.Limits(timeout=TIMEOUT)

    def graded(source):
        run = grader.run_exercise(ex.id, source, seed=CHECK_SEED, limits=limits)
        result, problem, error = grader.judge_run(ex, CHECK_SEED, run, limits)
        assert result is not None, (problem, error)
        return format_result(ex, result)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        texts = dict(zip(WRONG_IMPLEMENTATIONS, pool.map(graded, WRONG_IMPLEMENTATIONS.values()),
                         strict=True))
    for name, source in WRONG_IMPLEMENTATIONS.items():
        linecache.cache[CELL_FILENAME] = (len(source), None, source.splitlines(True), CELL_FILENAME)
        namespace = {"np": np}
        exec(compile(source, CELL_FILENAME, "exec"), namespace)
        # check()'s own code on the grader's case list (check() itself leaves out the hidden extras)
        expected = format_result(ex, run_checks(ex, namespace[ex.id], ex.cases(CHECK_SEED, hidden=True)))
        assert texts[name] == expected, name
        if ex.hidden_cases is None:
            assert expected == format_result(ex, check(ex.id, namespace[ex.id], quiet=True))
    assert "in your code, line 3: return Z + b[:, None]" in texts["raises"]


def test_hidden_cases_catch_answers_hard_coded_for_check():
    """A function that returns the check() cases' answers passes check() but not the grader."""
    ex = get_exercise("dense_preactivation")
    table = {round(float(case.args[0].sum()), 9): ex.reference(*case.args).tolist() for case in ex.cases()}
    source = (f"TABLE = {table!r}\n\ndef dense_preactivation(X, W, b):\n"
              "    return np.array(TABLE[round(float(X.sum()), 9)], dtype=X.dtype)\n")
    namespace = {"np": np}
    exec(source, namespace)
    assert check(ex.id, namespace[ex.id], quiet=True)
    run = grader.run_exercise(ex.id, source, seed=SEED, limits=grader.Limits(timeout=TIMEOUT))
    result, _, _ = grader.judge_run(ex, SEED, run, grader.Limits(timeout=TIMEOUT))
    assert not result and "raised KeyError" in result.failure.message


def test_prerequisites_are_provided_but_not_the_graded_reference(tmp_path):
    """sigmoid is provided for sigmoid_derivative; tanh_derivative is not shipped with tanh."""
    make_notebook(tmp_path / "l02.ipynb", None, None, [
        ("exercise-sigmoid_derivative",
         "def sigmoid_derivative(z):\n    s = sigmoid(z)\n    return s * (1 - s)\n"),
        ("exercise-tanh_derivative",
         "def tanh_derivative(z):\n    return tanh.__globals__['tanh_derivative'](z)\n"),
    ])
    sub = grader.grade_notebook(tmp_path / "l02.ipynb", limits=grader.Limits(timeout=TIMEOUT))
    grades = {e.exercise_id: e for e in sub.exercises}
    assert sub.lesson == "02"
    assert grades["sigmoid_derivative"].status == "passed", grades["sigmoid_derivative"].feedback
    assert "raised KeyError: 'tanh_derivative'" in grades["tanh_derivative"].feedback
    assert grades["relu"].status == "missing"


def test_partial_credit_and_cli(tmp_path, capsys):
    from nnlib.cli import main

    # wrong on the float32 case only (float64 for float32 input is accepted; float16 is not)
    float16 = ("def dense_preactivation(X, W, b):\n    Z = X @ W + b\n"
               "    return Z.astype(np.float16) if Z.dtype == np.float32 else Z\n")
    make_notebook(tmp_path / "subs" / "alice" / "01_single_neuron.ipynb")
    make_notebook(tmp_path / "subs" / "bob" / "01_single_neuron.ipynb", dense=float16)
    out = tmp_path / "report.json"
    code = main(["grade", str(tmp_path / "subs"), "--json", str(out), "--timeout", str(TIMEOUT),
                 "--jobs", "2", "--partial-credit", "--seed", "12345"])
    text = capsys.readouterr().out
    assert code == 0
    assert "alice  (" in text and "bob  (" in text and "expected dtype float32, got float16" in text
    data = json.loads(out.read_text())
    scores = {s["learner"]: s["score"] for s in data["submissions"]}
    n = len(get_exercise("dense_preactivation").cases(12345, hidden=True))
    assert scores == {"alice": 2.0, "bob": pytest.approx(1 + (n - 1) / n)}
    assert data["seed"] == 12345
    assert main(["grade", str(tmp_path / "subs"), "--lesson", "99"]) == 2
    assert "lesson 99 has no exercises" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_a_registry_bug_is_a_grader_error_not_a_crash(tmp_path, monkeypatch):
    import dataclasses

    def broken(rng):
        raise RuntimeError("no case found")

    ex = get_exercise("preactivation")
    monkeypatch.setattr(grade, "EXERCISES", {**EXERCISES, ex.id: dataclasses.replace(ex, make_cases=broken)})
    report = grader.grade_paths([make_notebook(tmp_path / "nb.ipynb")], timeout=TIMEOUT)
    pre, dense, *_ = report.submissions[0].exercises
    assert pre.status == "error" and "grader error" in pre.feedback and "no case found" in pre.feedback
    assert dense.status == "passed"
    assert "WARNING: 1 grader error" in grader.format_report(report)


# --------------------------------------------------------------------------- pieces


def test_submission_layouts(tmp_path):
    make_notebook(tmp_path / "flat" / "ann.ipynb")
    make_notebook(tmp_path / "flat" / "ben.ipynb")
    make_notebook(tmp_path / "flat" / ".ipynb_checkpoints" / "ann-checkpoint.ipynb")
    make_notebook(tmp_path / "folders" / "cat" / "work" / "01.ipynb")
    make_notebook(tmp_path / "folders" / "dan" / "01.ipynb")
    make_notebook(tmp_path / "folders" / "dan" / "01 copy.ipynb")
    (tmp_path / "folders" / "eve").mkdir()
    found = grader.find_submissions([tmp_path / "flat", tmp_path / "folders", tmp_path / "nope.ipynb"])
    assert [(s.learner, s.problem) for s in found] == [
        ("ann", ""), ("ben", ""),
        ("cat", ""), ("dan/01 copy", ""), ("dan/01", ""), ("eve", "no notebook (.ipynb) in this folder"),
        ("nope", "no such file or folder"),
    ]
    folders = tmp_path / "folders"
    same = grader.find_submissions([tmp_path / "flat" / "ann.ipynb", folders / "dan" / "01.ipynb",
                                    folders / "cat" / "work" / "01.ipynb"])
    assert [s.learner for s in same] == ["ann", "dan/01", "work/01"]
    os.symlink(tmp_path / "flat", tmp_path / "linked")  # a folder named on the command line may be a link
    assert [s.learner for s in grader.find_submissions([tmp_path / "linked"])] == ["ann", "ben"]


def test_nbgrader_layout_names_learners_by_student_folder(tmp_path):
    """submitted/<student>/<assignment>/<notebook>: from the course folder, submitted/, or one student."""
    course = tmp_path / "course"
    make_notebook(course / "source" / "ps1" / "01_single_neuron.ipynb")  # the instructor's: not graded
    make_notebook(course / "release" / "ps1" / "01_single_neuron.ipynb")
    for student in ("alice", "bob"):
        make_notebook(course / "submitted" / student / "ps1" / "01_single_neuron.ipynb")
    make_notebook(course / "submitted" / "carol" / "ps1" / "01_single_neuron.ipynb")
    make_notebook(course / "submitted" / "carol" / "ps2" / "02_activations.ipynb")
    expected = ["alice", "bob", "carol/ps1/01_single_neuron", "carol/ps2/02_activations"]
    for given in (course, course / "submitted"):
        assert [s.learner for s in grader.find_submissions([given])] == expected
    assert [s.learner for s in grader.find_submissions([course / "submitted" / "bob"])] == ["bob"]
    report = grader.grade_paths([course], lesson="01", seed=SEED)
    assert [s.learner for s in report.submissions[:2]] == ["alice", "bob"]
    assert report.submissions[0].score == 2.0


def test_exercise_cell_choice():
    cell = grader.CodeCell
    stub = 'def relu(z):\n    raise NotImplementedError("Exercise relu: x")'
    cells = [cell(0, "exercise-relu", stub, ()),
             cell(1, "x", "def relu(z):\n    return z", ()),
             cell(2, "y", "def relu(z):\n    return abs(z)", ())]
    assert grader.find_exercise_cell(cells, "relu").cell.index == 2
    cells[0] = cell(0, "exercise-relu", "def relu(z):\n    return np.maximum(z, 0)", ())
    assert grader.find_exercise_cell(cells, "relu").cell.index == 0
    assert grader.find_exercise_cell(cells, "tanh") is None
    tagged = [cell(0, "", "def relu(z):\n    return z", ("relu",))]  # nbgrader grade_id or a tag
    assert grader.find_exercise_cell(tagged, "relu").by_id
    lambda_cell = cell(0, "exercise-relu", "relu = lambda z: np.maximum(z, 0)", ())
    demo = cell(1, "demo", 'relu = yours_or_reference("relu", relu)', ())
    assert grader.find_exercise_cell([lambda_cell, demo], "relu").cell.index == 0
    assert grader.find_exercise_cell([demo], "relu") is None  # an assignment elsewhere is not an answer
    assert grader.find_exercise_cell(tagged, "relu").by_id
    assert grader.infer_lesson(cells)[0] == "02"


def test_uses_nnlib_ignores_comments_and_strings():
    assert grader.uses_nnlib('def f(x):\n    """Like nnlib.relu."""\n    return x  # not nnlib\n') is None
    assert grader.uses_nnlib("import numpy as np\nimport nnlib\n") == "line 2: import nnlib"
    assert grader.uses_nnlib("%time\nx = nnlib.relu\n") == "line 2: x = nnlib.relu"


# --------------------------------------------------------------------------- the course's own notebooks


def _course_pairs() -> list[tuple[Path, Path]]:
    lessons_with_exercises = {ex.lesson for ex in EXERCISES.values()}
    pairs = []
    for solution in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
        lesson = ROOT / "lessons" / solution.name
        if solution.name[:2] in lessons_with_exercises and lesson.exists():
            pairs.append((solution, lesson))
    return pairs


def test_solutions_get_full_marks_and_lessons_get_zero():
    """Every lesson with a solution notebook: the solution passes everything, the lesson nothing."""
    pairs = _course_pairs()
    report = grader.grade_paths([p for pair in pairs for p in pair], jobs=2, timeout=10)
    by_path = {s.path: s for s in report.submissions}
    for solution, lesson in pairs:
        sol, les = by_path[str(solution)], by_path[str(lesson)]
        expected = {ex.id for ex in EXERCISES.values() if ex.lesson == solution.name[:2]}
        assert sol.lesson == les.lesson == solution.name[:2]
        assert {e.exercise_id for e in sol.exercises} == expected
        assert sol.score == sol.max_score == len(expected), grader.format_submission(sol)
        assert les.score == 0 and les.max_score == len(expected)
        for e in les.exercises:
            assert e.status == "not implemented" and "not implemented yet" in e.feedback, e.feedback
    assert not [e for s in report.submissions for e in s.exercises if e.status == "error"]


def test_the_welcome_notebook_is_lesson_00_with_nothing_to_grade():
    # It defines dense_preactivation as a demo; its question cell says it is lesson 00, not 01.
    for folder in ("solutions", "lessons"):
        sub = grader.grade_notebook(ROOT / folder / "00_welcome.ipynb", slots=1)
        assert sub.lesson == "00", grader.format_submission(sub)
        assert sub.message == "lesson 00 has no graded exercises"
        assert sub.exercises == [] and sub.max_score == 0


def test_the_readme_worked_example_is_what_nnlib_grade_prints(tmp_path, monkeypatch, capsys):
    """README's "Autograding a class" example, re-created from lessons/01 and graded for real."""
    from nnlib.cli import main

    def submit(who, **bodies):
        nb = nbformat.read(ROOT / "lessons" / "01_single_neuron.ipynb", as_version=4)
        for cell in nb.cells:
            body = bodies.get(cell.get("id", "").removeprefix("exercise-"))
            if body:
                cell.source = cell.source.split("    raise NotImplementedError")[0] + body
        (tmp_path / "submissions" / who).mkdir(parents=True)
        nbformat.write(nb, tmp_path / "submissions" / who / "01_single_neuron.ipynb")

    done = {"preactivation": "    return float(x @ w + b)\n",
            "dense_preactivation": "    return X @ W + b\n",
            "signed_distance": "    return (X @ w + b) / np.linalg.norm(w)\n",
            "line_through": "    d = q - p\n    w = np.array([-d[1], d[0]]) / np.linalg.norm(d)\n"
                            "    return w, -float(w @ p)\n"}
    submit("alice", **done)
    submit("bob", **{**done, "dense_preactivation": "    return (X @ W + b).T\n"})
    submit("carol")
    (tmp_path / "submissions" / "dave").mkdir()
    (tmp_path / "submissions" / "dave" / "01_single_neuron.ipynb").write_text('{"cells": [oops')
    monkeypatch.chdir(tmp_path)
    assert main(["grade", "submissions/", "--lesson", "01", "--json", "report.json"]) == 0
    printed = capsys.readouterr().out.strip()

    readme = (ROOT / "README.md").read_text()
    start = readme.index("alice  (submissions/alice/")
    shown = readme[start:readme.index("```", start)].strip()

    def timeless(text):
        return re.sub(r"graded in \d+\.\d s", "graded in T s", text)

    assert timeless(printed) == timeless(shown)
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["score"], report["max_score"]) == (2 * LESSON01_MAX - 1, 4 * LESSON01_MAX)

    # The JSON example: the same fields, the same values where they do not depend on the machine.
    start = readme.index("```json", readme.index("**JSON format.**")) + len("```json")
    example = json.loads(readme[start:readme.index("```", start)])

    def shape(value):
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        return [shape(value[0])] if isinstance(value, list) and value else type(value).__name__

    bob = next(s for s in report["submissions"] if s["learner"] == "bob")
    assert shape({**report, "submissions": [bob]}) == shape(example)
    for key in ("format", "lesson", "seed", "seed_source", "timeout", "score", "max_score"):
        assert example[key] == report[key], key
    shown_bob = example["submissions"][0]
    for key in ("learner", "path", "lesson", "score", "max_score", "output"):
        assert shown_bob[key] == bob[key], key
    for shown_test, test in zip(shown_bob["tests"], bob["tests"], strict=True):
        assert test["output"].startswith(shown_test["output"].split("likely cause: ...")[0])
        assert {k: v for k, v in shown_test.items() if k not in ("output", "extra_data")} == \
               {k: v for k, v in test.items() if k not in ("output", "extra_data")}
    # docs/grading.md shows the same example
    docs = (ROOT / "docs" / "grading.md").read_text()
    assert timeless(shown) in timeless(docs)
    assert readme[start:readme.index("```", start)] in docs
