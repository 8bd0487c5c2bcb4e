"""A hostile class's attacks, under bubblewrap: none reaches another learner, the report or the machine.

Every attacker is graded in one class run (``--jobs 2``) beside two honest
classmates, alice (all correct) and bob (one exercise wrong). Each attack
either scores its author as their code deserves or costs only their own
notebook, and alice and bob get exactly the grades they get when graded alone.
Most attack cells return ``X @ W + b`` plus a count of what the attack achieved,
so a pass also proves the attack got nowhere.

These tests need bubblewrap; where it is missing they are skipped with the
reason, and with ``NNLIB_REQUIRE_BWRAP=1`` (as ``.ci/run`` sets) they fail.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_grader import GOOD_DENSE, GOOD_PRE, WRONG_DENSE, make_notebook

from nnlib import grader
from nnlib.exercises import CHECK_SEED, get_exercise
from nnlib.grading import grade, sandbox
from nnlib.grading import report as reports

ROOT = Path(__file__).resolve().parent.parent
SEED = 271_828
TIMEOUT = 2.0
PUBLIC_SEED_OF_OLD_NNLIB = 31_415_926  # the constant the grader used to ship (a learner could know it)


def require_bubblewrap() -> None:
    isolation = sandbox.grading_isolation()
    if isolation.kind == "bubblewrap":
        return
    why = f"bubblewrap is not usable here ({isolation.detail})"
    if os.environ.get("NNLIB_REQUIRE_BWRAP") == "1":
        pytest.fail(why + " but NNLIB_REQUIRE_BWRAP=1")
    pytest.skip(why)


def answer_table(seeds) -> dict:
    """What a learner could tabulate: the reference's answers on the cases of known seeds."""
    ex = get_exercise("dense_preactivation")
    return {round(float(c.args[0].sum()), 9): ex.reference(*c.args).tolist()
            for seed in seeds for c in ex.cases(seed, hidden=True)}


def plus(count: str) -> str:
    """The end of an attack cell: a correct function whose answer is off by what the attack achieved."""
    return f"\ndef dense_preactivation(X, W, b):\n    return X @ W + b + ({count})\n"


ATTACKS = {
    # fake a pass
    "name_hack": '__name__ = "nnlib.helper"\nimport importlib\n\ndef dense_preactivation(X, W, b):\n'
                 '    return importlib.import_module("nn" + "lib").dense_preactivation(X, W, b)\n',
    "read_solutions": """import json, os, sys
found = []

def dense_preactivation(X, W, b):  # wrong, unless the solution's cell is found and run below
    return X @ W + len(found)

for path in {paths!r} + [os.path.join(p, rel) for p in sys.path for rel in
                         ("../solutions/01_single_neuron.ipynb", "../../solutions/01_single_neuron.ipynb",
                          "nnlib/layers.py", "../nnlib/layers.py")]:
    try:
        found.append(open(path).read())
    except OSError:
        pass
for text in found:
    try:
        cells = json.loads(text)["cells"]
    except ValueError:
        continue
    for cell in cells:
        if cell.get("id") == "exercise-dense_preactivation":
            exec("".join(cell["source"]))
""",
    "seed_table": "TABLE = {table!r}\n\ndef dense_preactivation(X, W, b):\n"
                  "    key = round(float(X.sum()), 9)\n"
                  "    return np.array(TABLE[key], dtype=X.dtype) if key in TABLE else X @ W\n",
    # stop the class
    "kill_everything": "import os, signal\n\ndef dense_preactivation(X, W, b):\n"
                       "    for pid in [*range(1, 300), os.getppid()]:\n"
                       "        if pid != os.getpid():\n"
                       "            try:\n                os.kill(pid, signal.SIGKILL)\n"
                       "            except OSError:\n                pass\n"
                       "    os.kill(-1, signal.SIGKILL)\n    return X @ W + b\n",
    "stop_everything": "import os, signal\n\ndef dense_preactivation(X, W, b):\n"
                       "    os.kill(-1, signal.SIGSTOP)\n    return X @ W + b\n",
    "forge_other_fds": "import os, struct\nJUNK = struct.pack('<Q', 10**12) + b'forged'\n"
                       "for fd in range(1024):\n    if fd != 3:\n        try:\n"
                       "            os.write(fd, JUNK)\n        except OSError:\n            pass\n"
                       + plus("0"),
    "forge_own_results": "import os, struct\nos.write(3, struct.pack('<Q', 10**12) + b'forged')\n"
                         + plus("0"),
    "patch_grader": """import os, sys
wrote = 0
for path in {targets!r} + [os.path.join(p, name) for p in sys.path
                           for name in ("sitecustomize.py", "numpy/__init__.py", "os.py")]:
    try:
        with open(path, "a") as f:
            f.write("\\nraise SystemExit('pwned')\\n")
        wrote += 1
    except OSError:
        pass
""" + plus("wrote"),
    # harm classmates
    "rewrite_classmate": """import os
reached = 0
for path in {targets!r}:
    try:
        with open(path, "w") as f:
            f.write("{{}}")
        reached += 1
    except OSError:
        pass
    try:
        os.utime(path, (0, 0))
        reached += 1
    except OSError:
        pass
for path in ("/proc/1/cmdline", "/proc/1/cwd", "/proc/self/status", {report!r}):
    try:
        os.stat(path)
        reached += 1
    except OSError:
        pass
for action in (lambda: os.unlink({own!r}), lambda: os.symlink({targets!r}[0], {report!r})):
    try:  # erase its own evidence; make the report overwrite a classmate's notebook
        action()
        reached += 1
    except OSError:
        pass
""" + plus("reached"),
    "fake_report_lines": """import os
LINE = "\\nmallory  2/2\\n"
for path in ("/proc/1/fd/1", "/proc/2/fd/1", "/dev/tty", "/dev/stdout", "/dev/stderr"):
    try:
        with open(path, "w") as f:
            f.write(LINE)
    except OSError:
        pass
print(LINE * 3)
os.write(1, LINE.encode())
os.write(2, LINE.encode())
""" + plus("0"),
    "fill_disk": """written = 0
try:
    for i in range(64):
        with open(f"junk{{i}}", "wb") as f:
            for _ in range(16):
                f.write(bytes(1 << 20))
                f.flush()
                written += 1 << 20
except OSError:
    pass
for folder in ("/tmp", "/dev/shm", "/", "/usr/tmp", "/var/tmp"):
    try:
        with open(folder + "/more", "wb") as f:
            f.write(bytes(1 << 20))
            f.flush()
        written += 1 << 20
    except OSError:
        pass
""" + plus("written > 64 * 2**20"),
    # outlive grading
    "escape_and_linger": """import os, posix, threading, time
started = 0
try:
    if posix.fork() == 0:
        os.setsid()
        os.execve("/bin/sleep", ["sleep", "3599.25"], {{}})
    started += 1
except OSError:
    pass
for _ in range(4):  # four 1 GB processes
    try:
        if os.fork() == 0:
            big = bytearray(2**30)
            time.sleep(3599.25)
        started += 1
    except OSError:
        pass

def dense_preactivation(X, W, b):
    global started
    Z = X @ W + b
    try:  # a thread left running after the function returns
        threading.Thread(target=time.sleep, args=(3599.25,), daemon=True).start()
        started += 1
    except RuntimeError:
        pass
    return Z + started
""",
    "network": """import socket
reached = 0
for host in ("127.0.0.1", "localhost", "::1"):
    try:
        with socket.create_connection((host, {port}), timeout=0.5) as s:
            s.sendall(b"pwned")
        reached += 1
    except OSError:
        pass
""" + plus("reached"),
    "namespaces_and_privileges": """import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
escaped = 0
escaped += libc.unshare(0x10000000) == 0  # CLONE_NEWUSER: root in a namespace of its own
escaped += libc.unshare(0x00020000) == 0  # CLONE_NEWNS
escaped += libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0
escaped += libc.ptrace(16, os.getppid(), 0, 0) == 0  # PTRACE_ATTACH the sandbox's interpreter
try:
    os.setuid(0)
    escaped += 1
except OSError:
    pass
""" + plus("escaped"),
}


class Listener:
    """A TCP server on the host's 127.0.0.1 that records every connection."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.accepted = []
        self.server.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.accepted.append(conn.recv(100))
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.server.close()


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    require_bubblewrap()
    base = tmp_path_factory.mktemp("attacked")
    subs = base / "submissions"
    report_path = base / "report.json"
    alice = make_notebook(subs / "alice" / "01_single_neuron.ipynb", GOOD_PRE, GOOD_DENSE)
    bob = make_notebook(subs / "bob" / "01_single_neuron.ipynb", GOOD_PRE, WRONG_DENSE)
    grading = ROOT / "nnlib" / "grading"
    protected = [grading / "sandbox.py", grading / "transport.py", ROOT / "nnlib" / "runner.py",
                 ROOT / "nnlib" / "exercises" / "case_functions.py", ROOT / "nnlib" / "__init__.py"]
    listener = Listener()
    fill = {"paths": [str(ROOT / "solutions" / "01_single_neuron.ipynb"), str(ROOT / "nnlib" / "layers.py")],
            "table": answer_table([PUBLIC_SEED_OF_OLD_NNLIB, CHECK_SEED]),
            "targets": [str(p) for p in (alice, bob, *protected)], "report": str(report_path),
            "port": listener.port, "own": str(subs / "rewrite_classmate" / "01_single_neuron.ipynb")}
    for name, cell in ATTACKS.items():
        make_notebook(subs / name / "01_single_neuron.ipynb", GOOD_PRE, cell.format(**fill))
    before = {p: digest(p) for p in [alice, bob, *protected, Path(fill["own"])]}
    try:
        report = grader.grade_paths([subs], lesson="01", jobs=2, timeout=TIMEOUT, seed=SEED)
        reports.write_json(grader.report_json(report), report_path)
        text = grader.format_report(report)
        time.sleep(0.3)  # anything left behind would have had its chance by now
        lingering = [pid for pid in os.listdir("/proc") if pid.isdigit() and _lingers(pid)]
    finally:
        listener.close()
    alone = {name: grader.grade_paths([subs / name], lesson="01", jobs=1, timeout=TIMEOUT, seed=SEED)
             for name in ("alice", "bob")}
    return {"report": report, "grades": {s.learner: s for s in report.submissions}, "text": text,
            "before": before, "after": {p: digest(p) for p in before}, "listener": listener.accepted,
            "alone": alone, "lingering": lingering, "report_path": report_path}


def _lingers(pid: str) -> bool:
    """A process left by the attacks: its marker in its command line, or a sandbox's fresh uid."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return False
    if not (b"3599.25" in cmdline or 2_000_000_000 <= uid < 2_100_000_000):
        return False
    return not _inside_a_live_sandbox(pid)


def _inside_a_live_sandbox(pid: str) -> bool:
    """Is a bwrap among the process's ancestors? Then it belongs to a sandbox still grading (another
    pytest worker's, under xdist), not to one of this run's, which are all gone: a process that
    escaped its sandbox has none (it is reparented to init when its sandbox ends)."""
    while pid not in ("0", "1"):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        name, after = stat[stat.index("(") + 1: stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if name == "bwrap":
            return True
        pid = after[1]  # the parent's pid
    return False


def dense(attacked, name):
    sub = attacked["grades"][name]
    pre = next(e for e in sub.exercises if e.exercise_id == "preactivation")
    assert pre.status == "passed", (name, pre.feedback)  # the attacker's other exercise is graded as usual
    return next(e for e in sub.exercises if e.exercise_id == "dense_preactivation")


def test_classmates_get_exactly_their_grades_alone(attacked):
    for name in ("alice", "bob"):
        together, alone = attacked["grades"][name], attacked["alone"][name].submissions[0]
        assert [(e.status, e.score, e.feedback) for e in together.exercises] == \
               [(e.status, e.score, e.feedback) for e in alone.exercises], name
    assert attacked["grades"]["alice"].score == 2.0 and attacked["grades"]["bob"].score == 1.0
    assert not [e for s in attacked["report"].submissions for e in s.exercises if e.status == "error"]


@pytest.mark.parametrize("name", ["name_hack", "read_solutions", "seed_table"])
def test_no_way_to_the_answers(attacked, name):
    """No nnlib to import, no solutions or sources to read, and the hidden seed is not public."""
    grade = dense(attacked, name)
    assert grade.status == "failed", grade.feedback
    expected = {"name_hack": "No module named 'nnlib'", "read_solutions": "first mismatch",
                "seed_table": "first mismatch"}[name]
    assert expected in grade.feedback


@pytest.mark.parametrize("name", ["stop_everything", "forge_other_fds", "patch_grader", "rewrite_classmate",
                                  "fake_report_lines", "fill_disk", "escape_and_linger", "network",
                                  "namespaces_and_privileges"])
def test_attack_gets_nowhere_and_the_correct_code_scores(attacked, name):
    grade = dense(attacked, name)
    assert grade.status == "passed", grade.feedback


def test_killing_everything_it_can_costs_only_its_own_notebook(attacked):
    """It kills its own sandbox's interpreter (nothing outside is in its PID namespace, pid 1 is root's).

    Its function is correct: whether its results got out before the sandbox went down is a race it
    runs against itself; so is whether anything is left for the final ``kill(-1)`` (if the loop already
    killed all it could, that call raises ESRCH in the attacker's own code, which then fails).
    Either way nobody else notices (test_classmates_get_exactly_their_grades_alone).
    """
    grade = dense(attacked, "kill_everything")
    lost = "stopped before this exercise was done" in grade.feedback
    own_error = "raised ProcessLookupError" in grade.feedback and "os.kill(-1" in grade.feedback
    assert grade.status == "passed" or lost or own_error, grade.feedback
    assert grade.status != "error"


def test_forged_results_fail_only_their_author(attacked):
    grade = dense(attacked, "forge_own_results")
    assert grade.status == "failed", grade.feedback


def test_files_outside_are_untouched(attacked):
    """Classmates' notebooks and nnlib's own code (which later runs would load) are as they were."""
    assert attacked["after"] == attacked["before"]
    data = json.loads(attacked["report_path"].read_text())
    assert len(data["submissions"]) == len(ATTACKS) + 2


def test_nothing_reached_the_network_or_outlived_grading(attacked):
    assert attacked["listener"] == []
    assert attacked["lingering"] == []


def test_the_report_has_no_forged_rows(attacked):
    assert not re.search(r"^\s*mallory\b", attacked["text"], re.MULTILINE)
    learners = [line.split()[0] for line in attacked["text"].splitlines()
                if re.match(r"^\S+  \(", line)]
    assert sorted(learners) == sorted([*ATTACKS, "alice", "bob"])


def test_the_sandbox_sees_only_python_and_numpy(tmp_path):
    """What learner code can see: no /proc, no home, no checkout, no site-packages but numpy's own folders."""
    require_bubblewrap()
    paths = [str(ROOT), str(ROOT / "nnlib"), "/proc/1", "/proc/self", str(tmp_path), "/etc/passwd",
             str(ROOT / "solutions")]
    probe = f"""import os, sys
def dense_preactivation(X, W, b):
    seen = {{p: os.path.exists(p) for p in {paths!r}}}
    site = [p for p in sys.path
            if "site-packages" in p or "dist-packages" in p or p == {sandbox.SANDBOX_SITE!r}]
    listed = {{p: sorted(os.listdir(p)) for p in site}}
    home = sorted(os.listdir({str(Path.home())!r})) if os.path.isdir({str(Path.home())!r}) else None
    raise ValueError(repr((os.getuid(), seen, listed, os.listdir("/"), home)))
"""
    run = grader.run_exercise("dense_preactivation", probe, seed=SEED)
    message = next(e for e in run.events if e["event"] == "result")["message"]
    uid, seen, listed, top, home = ast.literal_eval(message.split(": ", 1)[1].split("\n")[0])
    assert not any(seen.values()), seen
    assert uid != 0
    assert sandbox.SANDBOX_SITE in listed, listed  # numpy is where the sandbox looks for it
    for names in listed.values():
        assert set(names) <= {"numpy", "numpy.libs"}, names
    assert "proc" not in top and "sys" not in top
    prefix = Path(sys.base_prefix).resolve()
    if prefix.is_relative_to(Path.home()):  # the interpreter lives in the home folder: only it is there
        assert home == [prefix.relative_to(Path.home()).parts[0]]
    else:
        assert home is None


def test_numpy_is_found_from_an_environment_under_tmp(tmp_path):
    """CI's venv lives under /tmp, which the sandbox covers with its own tmpfs: numpy must still import.

    The grader here runs with numpy copied under pytest's /tmp folder, first on its path."""
    require_bubblewrap()
    import shutil

    import numpy

    numpy_dir = Path(numpy.__file__).resolve().parent
    site = tmp_path / "site-packages"
    for folder in (numpy_dir, numpy_dir.with_name("numpy.libs")):
        if folder.is_dir():
            shutil.copytree(folder, site / folder.name, symlinks=True)
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import numpy\n"
             "assert numpy.__file__.startswith(sys.argv[1]), numpy.__file__\n"
             "from nnlib.grading import sandbox\n"
             "print(sandbox.grading_isolation().kind, sandbox.grading_isolation().detail)")
    import subprocess

    proc = subprocess.run([sys.executable, "-c", probe, str(site)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "bubblewrap", proc.stdout


STASH_REFERENCE = """import marshal

def sigmoid_derivative(z):
    with open("/tmp/stash", "wb") as f:  # sigmoid's reference is a prerequisite here: leave it for sigmoid
        f.write(marshal.dumps(sigmoid.__code__))
    s = sigmoid(z)
    return s * (1 - s)
"""

USE_STASH = """import gc, marshal, types

def sigmoid(z):
    found = [o for o in gc.get_objects() if isinstance(o, str | bytes) and b"1 / (1 + e)"[:9] in (
        o if isinstance(o, bytes) else o.encode("utf-8", "replace"))]
    try:
        with open("/tmp/stash", "rb") as f:
            reference = types.FunctionType(marshal.loads(f.read()), globals())
        return reference(z)
    except OSError:
        return np.zeros_like(z) + len(found)  # wrong: only the stash could make it right
"""


def test_an_exercise_cannot_hand_its_prerequisites_to_the_exercise_they_grade(tmp_path, monkeypatch):
    """sigmoid_derivative's process holds sigmoid's reference; sigmoid's never sees it (memory or files).

    The phase of sigmoid_derivative runs first here (the registry's order would put it second), so
    that only the wipe between phases stands between its file and sigmoid's process.
    """
    require_bubblewrap()
    groups = grade.sandbox_groups
    monkeypatch.setattr(grade, "sandbox_groups", lambda exercises, seed: groups(exercises, seed)[::-1])
    make_notebook(tmp_path / "l02.ipynb", None, None, [("exercise-sigmoid_derivative", STASH_REFERENCE),
                                                        ("exercise-sigmoid", USE_STASH)])
    sub = grader.grade_notebook(tmp_path / "l02.ipynb", seed=SEED)
    grades = {e.exercise_id: e for e in sub.exercises}
    assert grades["sigmoid_derivative"].status == "passed", grades["sigmoid_derivative"].feedback
    assert grades["sigmoid"].status == "failed" and "first mismatch" in grades["sigmoid"].feedback
