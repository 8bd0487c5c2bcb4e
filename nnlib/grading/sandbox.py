"""The grading sandbox: the only code of ``nnlib grade`` that starts processes.

One *sandbox* grades a group of exercises of one notebook. With bubblewrap
(``bwrap``) it is a process in new PID, mount, network, IPC and UTS namespaces
(and a new user namespace when the grader is not root), with ``--die-with-parent``
and ``--new-session``, which sees, read-only, only what Python and numpy need:
the system folders, the interpreter's prefix with every site-packages folder
hidden, and numpy's own folders (at :data:`SANDBOX_SITE`). It has a fresh size-limited tmpfs as ``/tmp``
(its working folder, the only writable place), no ``/proc``, no network, and
no view of the submissions, the report, the home folder, nnlib's sources or
``solutions/``. When the grader runs as root, a user namespace would map the
sandbox to root outside, where ``RLIMIT_NPROC`` is not enforced; so as root
bubblewrap keeps the host's user namespace and the sandbox drops, before
anything else, to an unused unprivileged uid picked for this sandbox alone,
while a seccomp filter refuses new namespaces, mounts and ptrace.

Inside, one interpreter (``python -I -S -B``, importing numpy only) receives
everything through a pipe: the source of the modules it runs (this one,
:mod:`~nnlib.grading.transport`, :mod:`nnlib.runner` and
:mod:`nnlib.exercises.case_functions`), then each exercise's job (the cell's
source, its cases and its prerequisites' source; see
:mod:`~nnlib.grading.prerequisites`). It never runs learner code; it forks one
process per exercise, ``slots`` at a time. Each of those locks itself down
before the cell runs: limits on CPU time, memory, file size, open files and
processes (no new process or thread at all), the seccomp filter, output
capped, no descriptor but its own two pipes, an empty folder of its own. It
then calls the learner's function on each case with :func:`nnlib.runner.run_call`
and writes what happened to its result pipe, straight to the grader. The
grader, not the sandbox, judges (:mod:`~nnlib.grading.verdict`).

Without bubblewrap (macOS, a container without namespaces) the same
interpreter runs as a plain process: see :data:`PROCESS_WARNING` for what it
does not protect against. ``isolation="required"`` makes that an error.

This module imports only numpy and the standard library at its top, because
the sandbox runs it from its source text.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import math
import os
import platform
import pwd
import secrets
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT = 10.0  # seconds of wall-clock time per exercise (also its CPU-time limit)
DEFAULT_MEMORY_MB = 1536  # address-space limit per exercise process
OUTPUT_CHARS = 64_000  # learner stdout/stderr kept per stream, inside the exercise process
FILE_BYTES = 64 * 2**20  # largest file; with bubblewrap also all files of the sandbox (its /tmp)
OPEN_FILES = 64  # descriptors an exercise process may hold
LOG_BYTES = 4000  # of an exercise process's stdout/stderr kept for the report
MAX_RESULT_BYTES = 256 * 2**20  # of messages from one exercise process
STARTUP_SECONDS = 10.0  # for the sandbox to start its first exercise
STALL_SECONDS = 3.0  # without news from the sandbox while nothing runs: it has stopped
REPORT_SECONDS = 1.0  # for the sandbox to report how a process it lost its pipes to ended
SETUP_FAILED = 70  # exit code of our own setup failing (not the learner's doing)
CELL_FILENAME = "<exercise cell>"  # the learner's code in tracebacks: "in your code, line 3"
#: Where the sandbox's own code "lives": frames from here are not the learner's (runner._OWN_DIRS).
SANDBOX_DIR = "/nnlib-sandbox"
#: Where bubblewrap shows numpy (and its bundled libraries) inside the sandbox: a fixed folder,
#: so that numpy stays visible wherever the grader's environment lives (a venv under /tmp is
#: hidden by the sandbox's own /tmp) and the sandbox sees none of the host's paths.
SANDBOX_SITE = "/nnlib-site"

PROCESS_WARNING = (
    "grading without bubblewrap: learner code runs as a plain process (resource limits, no new "
    "processes) but can read every file the grading user can read (including nnlib's source, "
    "solutions/ and other submissions) and, unless the grader runs as root, can signal the grader "
    "and write where that user can. Install bubblewrap (apt-get install bubblewrap) to isolate it, "
    "or use --isolation required to refuse grading without it.")
ROOT_WARNING = (
    "grading without bubblewrap AS ROOT, and this Python cannot run as another user: learner code "
    "runs as root, where it can kill every process and change every file on this machine. Install "
    "bubblewrap (apt-get install bubblewrap), or grade as an unprivileged user.")


class IsolationError(RuntimeError):
    """Isolation was required but bubblewrap cannot be used here (the message says why)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one exercise's process (and, for ``file_bytes``, of its sandbox's files)."""

    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    output_chars: int = OUTPUT_CHARS
    file_bytes: int = FILE_BYTES
    open_files: int = OPEN_FILES


@dataclass(frozen=True)
class Isolation:
    """How grading isolates learner code here: ``kind`` is "bubblewrap" or "process"."""

    kind: str
    detail: str
    warning: str = ""
    bwrap: str = ""  # the bwrap executable (bubblewrap)
    as_root: bool = False  # the grader is root: the sandbox drops to a fresh uid
    drop_uid: bool = False  # (process) the plain process drops to a fresh uid too

    def describe(self) -> str:
        return f"{self.kind}: {self.detail}" + (f" WARNING: {self.warning}" if self.warning else "")


@dataclass
class RawRun:
    """What one exercise's process sent, as received (untrusted bytes), and how it ended."""

    stream: bytes = b""  # its messages (transport frames)
    log: bytes = b""  # the start of its stdout and stderr
    dropped_log: int = 0
    returncode: int | None = None
    timed_out: bool = False
    seconds: float = 0.0
    started: bool = False
    aborted: str = ""  # why the sandbox was stopped before this process was done
    overflow: bool = False  # it sent more than MAX_RESULT_BYTES
    sandbox_log: str = field(default="", repr=False)  # the sandbox's own stderr (its setup errors)


# --------------------------------------------------------------------------- choosing the isolation


def grading_isolation(mode: str = "auto", bwrap: str | None = None) -> Isolation:
    """Which isolation ``nnlib grade`` would use here (what ``nnlib doctor`` reports).

    ``mode``: "auto" (bubblewrap if it works here, else a plain process, with
    :attr:`Isolation.warning`), "required" (bubblewrap or IsolationError) or
    "process" (a plain process, e.g. to compare). ``bwrap``: the bwrap
    executable (default: ``bwrap`` on PATH). The answer comes from really
    starting a sandbox once (about 0.1 s), then is remembered.
    """
    if mode not in ("auto", "required", "process"):
        raise ValueError(f"isolation must be 'auto', 'required' or 'process'; got {mode!r}")
    return _choose(mode, bwrap or shutil.which("bwrap") or "")


@functools.lru_cache(maxsize=16)
def _choose(mode: str, bwrap: str) -> Isolation:
    reason = ""
    if mode != "process":
        if not bwrap or not os.access(bwrap, os.X_OK):
            reason = (f"bubblewrap not found ({bwrap})" if bwrap else
                      "bubblewrap (bwrap) is not installed")
        else:
            isolation = Isolation("bubblewrap", "", bwrap=bwrap, as_root=os.geteuid() == 0)
            reason = _probe(isolation)
            if not reason:
                how = ("as root: the sandbox drops to a fresh unprivileged uid, seccomp refuses new "
                       "namespaces" if isolation.as_root else "in a new user namespace")
                return Isolation("bubblewrap", f"{bwrap}: new PID, mount, network, IPC and UTS namespaces, "
                                 f"{how}", bwrap=bwrap, as_root=isolation.as_root)
        if mode == "required":
            raise IsolationError(f"isolation with bubblewrap is required, but {reason}. "
                                 "Install it with: apt-get install bubblewrap")
    drop = os.geteuid() == 0 and not _probe(Isolation("process", "", drop_uid=True))
    detail = ("a plain process" + (" running as a fresh unprivileged uid" if drop else "")
              + (f" ({reason})" if reason else ""))
    warning = ROOT_WARNING if os.geteuid() == 0 and not drop else PROCESS_WARNING
    return Isolation("process", detail, warning, drop_uid=drop)


def _probe(isolation: Isolation) -> str:
    """'' if a sandbox of this kind starts and imports numpy here, else why not."""
    argv, uid, _ = _command(isolation)
    code = f"import sys; sys.path.append({_numpy_site(isolation)!r}); import numpy; print('ok')"
    argv = [*argv[: argv.index("-c") + 1], _DROP + code]
    try:
        proc = subprocess.run([*argv, str(uid if uid is not None else -1)], capture_output=True,
                              timeout=30, env=_environment(""), cwd="/", **_spawn_user(isolation, uid))
    except (OSError, subprocess.SubprocessError) as err:
        return f"it could not be started ({err})"
    if proc.returncode != 0 or proc.stdout.strip() != b"ok":
        error = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"it does not work here ({error[-1] if error else f'exit code {proc.returncode}'})"
    return ""


# --------------------------------------------------------------------------- the sandbox's view


def _numpy_site(isolation: Isolation) -> str:
    """The folder holding numpy, as the sandbox of this kind sees it."""
    import numpy

    if isolation.kind == "bubblewrap":
        return SANDBOX_SITE
    return os.path.dirname(os.path.dirname(os.path.realpath(numpy.__file__)))


def _interpreter() -> str:
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@functools.cache
def _layout() -> tuple[str, ...]:
    """bwrap's mount arguments: read-only system folders and Python, site-packages hidden, numpy shown."""
    import site
    import sysconfig

    import numpy

    binds: list[tuple[str, str]] = []  # (source, destination), read-only
    args: list[str] = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            binds.append((top, top))
    prefix = os.path.realpath(sys.base_prefix)
    interpreter = _interpreter()
    for folder in (prefix, os.path.dirname(interpreter)):
        if not any(_inside(folder, src) for src, _ in binds):
            binds.append((folder, folder))
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    hide = {*site.getsitepackages(), site.getusersitepackages(), sysconfig.get_paths()["purelib"],
            sysconfig.get_paths()["platlib"], f"{prefix}/lib/{version}/site-packages",
            f"{prefix}/local/lib/{version}/dist-packages", f"{prefix}/lib/python3/dist-packages",
            "/usr/lib/python3/dist-packages", f"/usr/local/lib/{version}/dist-packages",
            f"/usr/lib/{version}/dist-packages", f"/usr/local/lib/{version}/site-packages",
            str(Path.home())}
    nnlib_dir = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    hide |= {nnlib_dir, os.path.dirname(nnlib_dir)}  # nnlib's package and the checkout (or site) holding it
    masks = sorted({os.path.realpath(p) for p in hide if p and os.path.isdir(p)
                    and any(_inside(os.path.realpath(p), src) for src, _ in binds)})
    numpy_dir = os.path.dirname(os.path.realpath(numpy.__file__))
    # numpy and its wheel's bundled libraries (found through $ORIGIN/../numpy.libs), side by side
    shown = [(folder, f"{SANDBOX_SITE}/{os.path.basename(folder)}")
             for folder in (numpy_dir, numpy_dir + ".libs") if os.path.isdir(folder)]
    made: set[str] = set()

    def make_parents(path: str) -> None:
        """Create the parents of a mount point, traversable (bwrap would make them 0700)."""
        parts = Path(path).parts[1:-1]
        for i in range(len(parts)):
            parent = "/" + "/".join(parts[: i + 1])
            regions = [src for src, _ in binds if _inside(parent, src)]
            regions += [m for m in masks if _inside(parent, m)]
            deepest = max(regions, key=len, default="")
            if parent in made or (deepest and deepest not in masks):
                continue  # exists already inside a bound folder
            made.add(parent)
            args.extend(["--perms", "0755", "--dir", parent])

    for src, dest in binds:
        make_parents(dest)
        args += ["--ro-bind", src, dest]
    for folder in ("/etc",):
        made.add(folder)
        args += ["--perms", "0755", "--dir", folder]
    for path in ("/etc/ld.so.cache", "/etc/ld.so.conf"):
        args += ["--ro-bind-try", path, path]
    for mask in masks:
        args += ["--perms", "0755", "--tmpfs", mask]
    for src, dest in shown:
        make_parents(dest)
        args += ["--ro-bind", src, dest]
    args += [item for mask in masks for item in ("--remount-ro", mask)]
    return tuple(args)


def _environment(token: str) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if token:
        env["NNLIB_GRADE_TOKEN"] = token  # (plain process) found by sweep() if it escapes its group
    return env


def _unused_uid() -> int:
    """A uid no account has, so that no other process shares its process count or its signals."""
    while True:
        uid = 2_000_000_000 + secrets.randbelow(100_000_000)
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid


def _command(isolation: Isolation, limits: Limits | None = None,
             workdir: str = "") -> tuple[list[str], int | None, str]:
    """(argv, uid to drop to or None, cwd) for a sandbox; the argv ends with ``-c BOOT`` (uid follows)."""
    python = [_interpreter(), "-I", "-S", "-B", "-c", BOOT]
    limits = limits or Limits()
    if isolation.kind != "bubblewrap":
        uid = _unused_uid() if isolation.drop_uid else None
        return python, uid, workdir or "/"
    uid = _unused_uid() if isolation.as_root else None
    if isolation.as_root:  # see the module docstring: no user namespace, the boot code drops to `uid`
        namespaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                      "--unshare-cgroup-try", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        namespaces = ["--unshare-all", "--unshare-user", "--disable-userns"]
    argv = [isolation.bwrap, *namespaces, "--die-with-parent", "--new-session", *_layout(),
            "--dev", "/dev", "--perms", "1777", "--size", str(int(limits.file_bytes)), "--tmpfs", "/tmp",
            "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp", "--clearenv"]
    for key, value in _environment("").items():
        argv += ["--setenv", key, value]
    return [*argv, "--", *python], uid, "/"


def _spawn_user(isolation: Isolation, uid: int | None) -> dict:
    """Popen arguments that start a plain-process sandbox as ``uid`` (bubblewrap drops inside)."""
    if isolation.kind == "process" and uid is not None:
        return {"user": uid, "group": uid, "extra_groups": []}
    return {}


# --------------------------------------------------------------------------- running a sandbox (the grader)


def shipped_sources() -> list[tuple[str, str, str]]:
    """(module name inside, file name for tracebacks, source) of the modules the sandbox runs."""
    return list(_shipped_sources())


@functools.cache
def _shipped_sources() -> tuple[tuple[str, str, str], ...]:
    here = Path(__file__).resolve().parent
    files = (("transport", here / "transport.py"), ("runner", here.parent / "runner.py"),
             ("case_functions", here.parent / "exercises" / "case_functions.py"),
             ("sandbox", here / "sandbox.py"))
    return tuple((f"_grading.{name}", f"{SANDBOX_DIR}/{name}.py", path.read_text(encoding="utf-8"))
                 for name, path in files)


def _frame(data: bytes) -> bytes:
    return struct.pack("<Q", len(data)) + data


def run(jobs: list[bytes], *, limits: Limits, slots: int, isolation: Isolation,
        phases: list[int] | None = None) -> list[RawRun]:
    """Run exercise jobs (see :func:`nnlib.grading.grade.exercise_job`) in one sandbox.

    ``phases[k]`` is the phase of job k (default: all 0). Phases run one after another:
    every process of a phase is dead, and the sandbox's files are wiped, before the next
    phase starts, so an exercise whose prerequisites hold another's reference (say
    sigmoid_derivative's sigmoid) never runs beside, or leaves anything for, that one.
    Each job reaches its exercise's process through a pipe of its own, opened after the
    fork: the sandbox's interpreter never holds any of them. Returns one RawRun per job,
    in order. Never raises for anything the exercises do; the sandbox and everything it
    started are gone when it returns.
    """
    n = len(jobs)
    phases = list(phases) if phases is not None else [0] * n
    runs = [RawRun() for _ in range(n)]
    pipes = [(os.pipe(), os.pipe(), os.pipe()) for _ in range(n)]  # per exercise: job, results, log
    inside = [fd for job, result, log in pipes for fd in (job[0], result[1], log[1])]
    token = secrets.token_hex(16) if isolation.kind == "process" else ""
    workdir = tempfile.mkdtemp(prefix="nnlib-grade-") if isolation.kind == "process" else ""
    argv, uid, cwd = _command(isolation, limits, workdir)
    if workdir and uid is not None:
        os.chown(workdir, uid, uid)
    header = {"slots": max(1, int(slots)), "fresh_uid": uid is not None,
              "limits": {"timeout": float(limits.timeout), "cpu_seconds": math.ceil(limits.timeout) + 1,
                         "memory_bytes": int(limits.memory_mb) * 2**20, "file_bytes": int(limits.file_bytes),
                         "output_chars": int(limits.output_chars), "open_files": int(limits.open_files)},
              "exercises": [{"job_fd": job[0], "result_fd": result[1], "log_fd": log[1], "phase": phase}
                            for (job, result, log), phase in zip(pipes, phases, strict=True)],
              "workdir": workdir or "/tmp", "seccomp_required": isolation.kind == "bubblewrap"}
    boot = {"uid": uid, "site": _numpy_site(isolation), "modules": shipped_sources()}
    message = _frame(json.dumps(boot).encode()) + _frame(json.dumps(header).encode())
    try:
        proc = subprocess.Popen([*argv, str(uid if uid is not None else -1)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=inside, cwd=cwd,
                                env=_environment(token), start_new_session=True,
                                **_spawn_user(isolation, uid))
    except OSError as err:
        for fd in (fd for triple in pipes for pair in triple for fd in pair):
            os.close(fd)
        for r in runs:
            r.aborted = f"the sandbox could not be started ({err})"
        _remove(workdir)
        return runs
    for fd in inside:
        os.close(fd)
    try:
        _supervise(proc, [message, *jobs], [(job[1], result[0], log[0]) for job, result, log in pipes],
                   runs, limits, slots, phases)
    finally:
        if not any(r.aborted for r in runs):  # done: let it exit by itself (its CPU time is then ours)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=REPORT_SECONDS)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # bwrap and its namespace, or the plain process's group
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()
        if isolation.kind == "process":
            sweep(token, uid)
        _remove(workdir)
    return runs


def _supervise(proc, messages: list[bytes], pipes: list[tuple[int, int, int]], runs: list[RawRun],
               limits: Limits, slots: int, phases: list[int]) -> None:
    """Feed the sandbox and each job, collect every stream, stop the sandbox when done, stuck or late.

    ``messages``: what goes to the sandbox's stdin, then each job; ``pipes``: per exercise, the
    write end of its job pipe and the read ends of its result and log pipes. An exercise is
    over when the sandbox reports that its process ended, or when both its pipes are closed
    (the process is dead) and the sandbox has not said so for a while (it is stuck).
    """
    n = len(runs)
    sel = selectors.DefaultSelector()
    buffers: dict[int, bytearray] = {}
    roles: dict[int, tuple[str, int]] = {}
    readers = [(proc.stdout.fileno(), "status", -1), (proc.stderr.fileno(), "stderr", -1)]
    readers += [(fd, role, k) for k, (_, result, log) in enumerate(pipes)
                for fd, role in ((result, "result"), (log, "log"))]
    for fd, role, k in readers:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
        roles[fd], buffers[fd] = (role, k), bytearray()
    outgoing: dict[int, list] = {}  # fd -> [bytes, sent]
    for fd, data in zip([proc.stdin.fileno()] + [job for job, _, _ in pipes], messages, strict=True):
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_WRITE)
        outgoing[fd] = [data, 0]
    status_line, abort = bytearray(), ""
    start = last_news = time.monotonic()
    started: dict[int, float] = {}
    ended: set[int] = set()
    closed = [0] * n  # pipes of each exercise at EOF (2: its process is gone)
    closed_at = [math.inf] * n
    rounds = sum(math.ceil(phases.count(p) / max(1, slots)) for p in set(phases))
    deadline = start + STARTUP_SECONDS + rounds * (limits.timeout + 2)

    def over(k: int) -> bool:  # ended, or gone for a while without the sandbox saying so (it is stuck)
        return k in ended or time.monotonic() > closed_at[k] + REPORT_SECONDS

    while sel.get_map() and not all(over(k) for k in range(n)):
        now = time.monotonic()
        running = [k for k in started if not over(k)]
        if now > deadline or any(now > started[k] + limits.timeout + STALL_SECONDS for k in running):
            abort = "the notebook's grading process did not stop its exercise in time"
            break
        if not running and now - last_news > (STALL_SECONDS if started else STARTUP_SECONDS):
            abort = ("the notebook's grading process stopped before this exercise was done" if started
                     else "the notebook's grading process did not start")
            break
        wake = [deadline, last_news + (STALL_SECONDS if started else STARTUP_SECONDS)]
        wake += [started[k] + limits.timeout + STALL_SECONDS for k in running]
        wake += [closed_at[k] + REPORT_SECONDS for k in running if closed[k] == 2]
        for key, _ in sel.select(max(0.0, min(wake) - now + 0.01)):
            fd = key.fd
            if fd in outgoing:
                data, sent = outgoing[fd]
                try:
                    sent += os.write(fd, data[sent: sent + (1 << 16)])
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:  # the reader is gone (the sandbox died, or the process never started)
                    sent = len(data)
                outgoing[fd][1] = sent
                if sent >= len(data):
                    _close_outgoing(sel, outgoing, fd, proc)
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            role, k = roles[fd]
            if not chunk:
                sel.unregister(fd)
                if k >= 0:
                    os.close(fd)
                    closed[k] += 1
                    last_news = time.monotonic()
                    if closed[k] == 2:
                        closed_at[k] = last_news
                continue
            buffer = buffers[fd]
            if role == "status":
                status_line += chunk
                *lines, rest = bytes(status_line).split(b"\n")
                status_line = bytearray(rest[:100_000])
                for line in lines:
                    last_news = time.monotonic()
                    _status(line, runs, started, ended)
            elif role == "result":
                if len(buffer) + len(chunk) > MAX_RESULT_BYTES:
                    runs[k].overflow = True
                else:
                    buffer += chunk
            else:  # the sandbox's stderr or an exercise's log: keep the start
                keep = max(0, LOG_BYTES - len(buffer))
                buffer += chunk[:keep]
                if k >= 0:
                    runs[k].dropped_log += len(chunk) - min(keep, len(chunk))
    for fd in list(sel.get_map()):
        if fd in outgoing:
            _close_outgoing(sel, outgoing, fd, proc)
            continue
        sel.unregister(fd)
        if fd in roles and roles[fd][1] >= 0:
            os.close(fd)
    sel.close()
    sandbox_log = bytes(buffers[proc.stderr.fileno()]).decode("utf-8", "replace")
    for k, (_, result, log) in enumerate(pipes):
        runs[k].stream, runs[k].log = bytes(buffers[result]), bytes(buffers[log])
        runs[k].sandbox_log = sandbox_log
        if abort and not over(k):
            runs[k].aborted = abort
        elif not runs[k].started or k not in ended:  # never started, or its end never reported
            runs[k].aborted = "the notebook's grading process stopped before this exercise was done"


def _close_outgoing(sel, outgoing: dict, fd: int, proc) -> None:
    sel.unregister(fd)
    del outgoing[fd]
    if fd == proc.stdin.fileno():
        proc.stdin.close()
    else:
        os.close(fd)


def _status(line: bytes, runs: list[RawRun], started: dict[int, float], ended: set[int]) -> None:
    """One line of the sandbox's own report: ``{"started": k}`` or ``{"ended": k, ...}``."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return
    if not isinstance(record, dict):
        return
    k = record.get("started", record.get("ended"))
    if type(k) is not int or not 0 <= k < len(runs):
        return
    if "started" in record:
        started.setdefault(k, time.monotonic())
        runs[k].started = True
        return
    ended.add(k)
    code, seconds = record.get("returncode"), record.get("seconds")
    runs[k].returncode = code if type(code) is int else None
    runs[k].timed_out = record.get("timed_out") is True
    runs[k].seconds = float(seconds) if type(seconds) in (int, float) else 0.0


def _remove(folder: str) -> None:
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def sweep(token: str, uid: int | None = None) -> int:
    """(plain process) Kill every process carrying ``token`` in its environment or running as ``uid``.

    Repeats until a pass finds none, so that a process forking while it is hunted is caught too.
    """
    killed = 0
    for _ in range(50):
        found = _sweep_once(f"NNLIB_GRADE_TOKEN={token}".encode() if token else b"", uid)
        killed += found
        if not found:
            break
    return killed


def _sweep_once(needle: bytes, uid: int | None) -> int:
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    me, killed = os.getpid(), 0
    for pid in pids:
        if pid == me:
            continue
        hit = False
        if uid is not None:
            with contextlib.suppress(OSError):
                hit = os.stat(f"/proc/{pid}").st_uid == uid
        if not hit and needle:
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    hit = needle in f.read(1 << 20)  # empty for a zombie: it is not counted again
            except OSError:
                continue
        if hit:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
    return killed


# --------------------------------------------------------------------------- inside the sandbox

#: Drops to the uid given as the last argument (as root), then runs what follows.
_DROP = (
    "import os, sys\n"
    "uid = int(sys.argv[-1])\n"
    "if uid >= 0 and os.getuid() == 0:\n"
    "    os.setgroups([]); os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid)\n"
    "    try:\n"
    "        os.setuid(0)\n"
    "    except PermissionError:\n"
    "        pass\n"
    "    else:\n"
    "        raise SystemExit('could not drop root')\n"
)

#: The interpreter's whole program (``-c``): read the modules to run from stdin, run them, serve.
BOOT = _DROP + (
    "def _read(n):\n"
    "    chunks = []\n"
    "    while n:\n"
    "        chunk = os.read(0, min(n, 1 << 20))\n"
    "        if not chunk:\n"
    "            raise SystemExit(70)\n"
    "        chunks.append(chunk)\n"
    "        n -= len(chunk)\n"
    "    return b''.join(chunks)\n"
    "def _next():\n"
    "    return _read(int.from_bytes(_read(8), 'little'))\n"
    "import json, types\n"
    "boot = json.loads(_next())\n"
    "sys.path.append(boot['site'])\n"
    "import numpy\n"
    "modules = {}\n"
    "for name, filename, source in boot['modules']:\n"
    "    module = types.ModuleType(name)\n"
    "    module.__file__ = filename\n"
    "    sys.modules[name] = modules[name.rpartition('.')[2]] = module\n"
    "    exec(compile(source, filename, 'exec'), module.__dict__)\n"
    "del boot\n"
    "modules['sandbox'].serve(_next, modules)\n"
)

# Seccomp: refuse new namespaces, mounts, ptrace and other kernel surface learner code has no use for.
_CLONE_NAMESPACES = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
_SECCOMP = {  # machine: (AUDIT_ARCH, {syscall: errno}, clone, x32 bit)
    "x86_64": (0xC000003E, {
        101: 1, 165: 1, 166: 1, 155: 1, 161: 1, 272: 1, 308: 1, 310: 1, 311: 1, 321: 1, 298: 1, 323: 1,
        250: 1, 248: 1, 249: 1, 425: 1, 426: 1, 427: 1, 428: 1, 429: 1, 430: 1, 431: 1, 432: 1, 433: 1,
        442: 1, 319: 1, 29: 1, 30: 1, 31: 1, 64: 1, 68: 1, 240: 1, 435: 38}, 56, 0x40000000),
    "aarch64": (0xC00000B7, {
        117: 1, 40: 1, 39: 1, 41: 1, 51: 1, 97: 1, 268: 1, 270: 1, 271: 1, 280: 1, 241: 1, 282: 1,
        219: 1, 217: 1, 218: 1, 425: 1, 426: 1, 427: 1, 428: 1, 429: 1, 430: 1, 431: 1, 432: 1, 433: 1,
        442: 1, 279: 1, 194: 1, 195: 1, 196: 1, 186: 1, 190: 1, 180: 1, 435: 38}, 220, 0),
}


def seccomp_program(machine: str) -> bytes | None:
    """The seccomp BPF program for this machine's architecture, or None if we have no table for it.

    Refused (EPERM): ptrace, mount and the new mount API, pivot_root, chroot, unshare, setns,
    clone with a namespace flag, process_vm_readv/writev, bpf, perf_event_open, userfaultfd,
    keyrings, io_uring, memfd_create, SysV shared memory, message queues and semaphores, POSIX
    message queues (nothing an exercise's process creates may outlive it: see :func:`run`'s phases).
    clone3 gets ENOSYS (libc falls back to clone). Another architecture's calls: EPERM.
    """
    if machine not in _SECCOMP:
        return None
    arch, refused, clone, x32 = _SECCOMP[machine]
    allow, errno = 0x7FFF0000, 0x00050000
    program: list[tuple[int, object, object, int]] = []  # (code, jump if true, jump if false, k)

    def emit(code, k, true=0, false=0):
        program.append((code, true, false, k))

    emit(0x20, 4)  # ld arch
    emit(0x15, arch, 0, "eperm")  # jeq arch: go on; another architecture: refuse
    emit(0x20, 0)  # ld nr
    if x32:
        emit(0x35, x32, "eperm", 0)  # jge x32 syscalls: refuse
    for nr, err in sorted(refused.items()):
        emit(0x15, nr, "eperm" if err == 1 else "enosys", 0)
    emit(0x15, clone, 0, "allow")
    emit(0x20, 16)  # ld args[0] (low 32 bits): clone's flags
    emit(0x45, _CLONE_NAMESPACES, "eperm", "allow")  # jset
    labels = {"allow": len(program), "eperm": len(program) + 1, "enosys": len(program) + 2}
    emit(0x06, allow)
    emit(0x06, errno | 1)
    emit(0x06, errno | 38)
    out = []
    for i, (code, true, false, k) in enumerate(program):
        jt = labels[true] - i - 1 if isinstance(true, str) else true
        jf = labels[false] - i - 1 if isinstance(false, str) else false
        out.append(struct.pack("<HBBI", code, jt, jf, k))
    return b"".join(out)


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _prctl(libc, option: int, *args: int) -> int:
    values = [ctypes.c_ulong(a) for a in args] + [ctypes.c_ulong(0)] * (4 - len(args))
    return libc.prctl(ctypes.c_int(option), *values)


def _install_seccomp() -> str:
    """Install the filter in this process; '' or why it could not be."""
    program = seccomp_program(platform.machine())
    if program is None:
        return f"no seccomp table for {platform.machine()}"

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = _libc()
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if _prctl(libc, 38, 1) != 0:  # PR_SET_NO_NEW_PRIVS
        return f"PR_SET_NO_NEW_PRIVS failed (errno {ctypes.get_errno()})"
    if libc.prctl(ctypes.c_int(22), ctypes.c_ulong(2), ctypes.byref(fprog), ctypes.c_ulong(0),
                  ctypes.c_ulong(0)) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        return f"PR_SET_SECCOMP failed (errno {ctypes.get_errno()})"
    return ""


def serve(read_next, modules: dict) -> None:
    """The sandbox's interpreter: fork one process per exercise, phase by phase; report how each ended.

    Writes one JSON line per event to its stdout (a pipe to the grader):
    ``{"started": k}`` when exercise k's process starts, ``{"ended": k, "returncode": ...,
    "timed_out": ..., "seconds": ...}`` once it is dead. Never runs learner code, and
    never reads an exercise's job (each process reads its own, after the fork).
    """
    try:
        header = json.loads(read_next())
        os.close(0)
        os.open(os.devnull, os.O_RDONLY)  # fd 0 again, so that nothing else lands there
        with contextlib.suppress(Exception):
            _prctl(_libc(), 4, 0)  # PR_SET_DUMPABLE 0: the exercise processes cannot ptrace this one
        import resource

        if header["fresh_uid"]:  # a uid of this sandbox alone: its process count is ours to cap
            resource.setrlimit(resource.RLIMIT_NPROC, (int(header["slots"]) + 2,) * 2)
        exercises = header["exercises"]
        for phase in sorted({item["phase"] for item in exercises}):
            _run_phase(header, [k for k, item in enumerate(exercises) if item["phase"] == phase], modules)
            _wipe(header["workdir"])  # nothing of this phase's processes is left for the next one
    except BaseException as err:  # our own failure: say so on stderr, the grader reports it
        with contextlib.suppress(BaseException):
            os.write(2, f"sandbox setup failed: {type(err).__name__}: {err}\n".encode())
        os._exit(SETUP_FAILED)
    os._exit(0)


def _wipe(folder: str) -> None:
    """Empty ``folder`` (the sandbox's tmpfs): every file the exercise processes left there."""
    def retry(func, path, _exc):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            func(path)

    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
            shutil.rmtree(path, onerror=retry)
        else:
            os.unlink(path)


def _run_phase(header: dict, pending: list[int], modules: dict) -> None:
    """Run these exercises' processes, ``slots`` at a time; return when all are dead."""
    import select

    limits, slots = header["limits"], max(1, int(header["slots"]))
    timeout = float(limits["timeout"])
    exercises = header["exercises"]
    running: dict[int, tuple[int, float, int | None]] = {}  # pid -> (k, start, pidfd)

    def report(record: dict) -> None:
        os.write(1, (json.dumps(record) + "\n").encode())

    while pending or running:
        while pending and len(running) < slots:
            k = pending.pop(0)
            item = exercises[k]
            pid = os.fork()
            if pid == 0:
                _exercise_process(item, header, k, modules)
            for fd in (item["job_fd"], item["result_fd"], item["log_fd"]):
                os.close(fd)  # only the exercise's process holds its pipes now: EOF when it dies
            pidfd = None
            with contextlib.suppress(OSError, AttributeError):
                pidfd = os.pidfd_open(pid)
            running[pid] = (k, time.monotonic(), pidfd)
            report({"started": k})
        now = time.monotonic()
        finished = []
        for pid, (_, start, _) in running.items():
            try:
                info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            except ChildProcessError:
                info = True
            if info is not None or now - start >= timeout:
                finished.append((pid, info is None))
        for pid, timed_out in finished:
            k, start, pidfd = running.pop(pid)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)  # it cannot have started another process (RLIMIT_NPROC 0)
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)  # (plain process as root: no such limit, it had a group)
            _, wait_status = os.waitpid(pid, 0)
            if pidfd is not None:
                os.close(pidfd)
            report({"ended": k, "returncode": os.waitstatus_to_exitcode(wait_status), "timed_out": timed_out,
                    "seconds": round(time.monotonic() - start, 4)})
        if finished or not running:
            continue
        wait = max(0.0, min(start + timeout for _, start, _ in running.values()) - time.monotonic())
        fds = [pidfd for _, _, pidfd in running.values() if pidfd is not None]
        if len(fds) == len(running):
            select.select(fds, [], [], wait)
        else:
            time.sleep(min(wait, 0.005))


def _read_job(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


class _CappedOutput:
    """stdout/stderr for learner code: keeps the first ``cap`` characters, drops the rest."""

    def __init__(self, fd: int, cap: int, write):
        self._fd, self._cap, self._write, self._parts, self._kept, self.dropped = fd, cap, write, [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = self._cap - self._kept
        if room > 0:
            self._parts.append(text[:room])
            self._kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def flush(self):
        if self._parts:
            data, self._parts = "".join(self._parts).encode("utf-8", "backslashreplace"), []
            with contextlib.suppress(OSError):
                self._write(self._fd, data)

    encoding, errors = "utf-8", "backslashreplace"

    def isatty(self):
        return False

    def close_out(self):
        self.flush()
        if self.dropped:
            with contextlib.suppress(OSError):
                note = f"\n[{self.dropped:,} more characters of output were dropped]\n"
                self._write(self._fd, note.encode())


def _set_limits(limits: dict) -> None:
    import resource

    def limit(which, value):
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):  # a hard limit already lower, or one this OS lacks
            with contextlib.suppress(ValueError, OSError):
                hard = resource.getrlimit(which)[1]
                if hard == resource.RLIM_INFINITY or hard > value:
                    resource.setrlimit(which, (value, hard))

    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU, then SIGKILL a second later
    limit(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    limit(resource.RLIMIT_FSIZE, int(limits["file_bytes"]))
    limit(resource.RLIMIT_NOFILE, int(limits["open_files"]))
    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_NPROC, 0)  # no new process or thread (enforced unless the uid is root)
    for name in ("RLIMIT_MSGQUEUE", "RLIMIT_MEMLOCK"):
        if hasattr(resource, name):
            limit(getattr(resource, name), 0)


def _refuse_processes() -> None:
    """Python-level refusal too, for a plain process as root (where RLIMIT_NPROC does not hold)."""
    import _posixsubprocess

    def refusing(what):
        def refuse(*args, **kwargs):
            raise PermissionError(f"exercise code may not start processes while it is graded ({what})")

        return refuse

    names_of = ((os, ("fork", "forkpty", "system", "posix_spawn", "posix_spawnp", "execv", "execve")),
                (_posixsubprocess, ("fork_exec",)))
    for module, names in names_of:
        for name in names:
            if hasattr(module, name):
                setattr(module, name, refusing(f"{module.__name__}.{name}"))


def _load_prerequisites(slices, names: dict) -> tuple[dict, dict]:
    """Run the prerequisites' slices as fresh modules; return (slices by name, env name -> object)."""
    import types

    loaded: dict[str, types.ModuleType] = {}

    def import_prerequisite(module, attribute):
        return getattr(loaded[module], attribute)

    for module_name, source in slices:
        module = types.ModuleType(module_name)
        module.__file__ = f"{SANDBOX_DIR}/prerequisites/{module_name}.py"
        module.__dict__["_import_prerequisite"] = import_prerequisite
        loaded[module_name] = module
        exec(compile(source, module.__file__, "exec"), module.__dict__)
    return loaded, {name: getattr(loaded[m], a) for name, (m, a) in names.items()}


def _exercise_process(item: dict, header: dict, k: int, modules: dict) -> None:
    """One exercise, in its own process: lock down, run the cell, call the function on each case, exit."""
    write, exit_now = os.write, os._exit
    limits = header["limits"]
    try:
        job = _read_job(item["job_fd"])  # from the grader, to this process alone
        result_fd, log_fd = os.dup(item["result_fd"]), os.dup(item["log_fd"])
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.dup2(result_fd, 3)
        os.closerange(4, 1 << 16)  # nothing of the sandbox's (other exercises' pipes) stays reachable
        transport, runner, case_functions = modules["transport"], modules["runner"], modules["case_functions"]
        spec = transport.decode(job, allowed=transport.FROM_SANDBOX, max_depth=8, max_digits=4300)
        folder = os.path.join(header["workdir"], f"ex{k}")
        os.mkdir(folder, 0o700)
        os.chdir(folder)
        slices, env = _load_prerequisites(spec["modules"], spec["names"])

        def make_class(module, qualname):
            if module not in slices:
                raise transport.TransportError(f"no class {module}.{qualname} was shipped")
            found = slices[module]
            for part in qualname.split("."):
                found = getattr(found, part)
            return found

        def find_callable(space, name):
            import numpy as np

            found = {"numpy": np, "case_functions": case_functions}[space]
            for part in name.split("."):
                found = getattr(found, part)
            return found

        cases = transport.decode(spec["cases"], allowed=transport.EVERYTHING, max_depth=64,
                                 max_elements=1 << 40, max_digits=4300, make_class=make_class,
                                 find_callable=find_callable)
        harness = getattr(case_functions, spec["harness"]) if spec["harness"] else None
        source = spec["source"]
        import builtins
        import linecache

        import numpy as np

        namespace = {"__name__": "__exercise__", "__builtins__": builtins, "np": np, **env}
        linecache.cache[CELL_FILENAME] = (len(source), None, source.splitlines(True), CELL_FILENAME)
        cap = int(limits["output_chars"])
        stdout, stderr = _CappedOutput(1, cap, write), _CappedOutput(2, cap, write)
        encode, frame, run_call = transport.encode, transport.frame, runner.run_call

        def send(**event) -> bool:
            try:
                write(3, frame(encode(event)))
            except BaseException:  # learner code may have broken what encode uses
                return False
            return True

        send(event="ready", cases=len(cases))
        problem = _install_seccomp()
        if problem and header["seccomp_required"]:
            raise RuntimeError(problem)
        _set_limits(limits)
        if os.getuid() == 0:
            _refuse_processes()
    except BaseException as err:
        with contextlib.suppress(BaseException):
            write(2, f"sandbox setup failed: {type(err).__name__}: {err}\n".encode())
        exit_now(SETUP_FAILED)
    sys.stdout, sys.stderr = stdout, stderr
    try:
        _run_cell(source, namespace, spec, cases, harness, env, send, run_call, runner.describe_exception)
    finally:
        try:
            stdout.close_out()
            stderr.close_out()
            send(event="done", dropped_output=stdout.dropped + stderr.dropped)
        finally:
            exit_now(0)


def _describe_syntax_error(err: SyntaxError) -> str:
    text = f"SyntaxError: {err.msg}"
    if err.lineno:
        text += f" (line {err.lineno}" + (f": {err.text.strip()}" if err.text else "") + ")"
    return text


def _run_cell(source, namespace, spec, cases, harness, env, send, run_call, describe_exception) -> None:
    """Define the learner's function, call it on each case, send each result.

    A case calls the function itself, or ``harness(fn, env, *args, **kwargs)`` as ``Exercise.target``
    does in check().
    """
    exercise_id = spec["id"]
    labels = spec["labels"]

    def describe(err):
        try:
            return describe_exception(err)
        except BaseException:  # learner code may have broken traceback or builtins
            return f"raised {type(err).__name__}"
    try:
        code = compile(source, CELL_FILENAME, "exec", dont_inherit=True)
    except SyntaxError as err:
        send(event="cell_error", message=_describe_syntax_error(err))
        return
    except BaseException as err:
        send(event="cell_error", message=f"{type(err).__name__}: {err}")
        return
    send(event="cell")
    try:
        exec(code, namespace)
    except BaseException as err:  # the function may be defined already: grade it anyway
        send(event="cell_raised", message=describe(err))
    fn = namespace.get(exercise_id)
    if not callable(fn):
        send(event="no_function", found=type(fn).__name__ if exercise_id in namespace else None)
        return
    target = fn if harness is None else functools.partial(harness, fn, env)
    for i, (args, kwargs) in enumerate(cases):
        send(event="case", i=i)
        try:
            flat, outcome = run_call(target, args, kwargs, exercise_id=exercise_id,
                                     arg_label=lambda j: labels[j] if j < len(labels) else f"arg{j + 1}",
                                     **spec["options"])
        except BaseException as err:  # SystemExit, KeyboardInterrupt, GeneratorExit...
            send(event="result", i=i, kind="raised", message=describe(err), hint="")
            continue
        if outcome is not None:
            send(event="result", i=i, kind=outcome.kind, message=outcome.message, hint=outcome.hint)
            if outcome.kind in ("not implemented", "too slow"):  # every later case would say the same
                return
            continue
        if not send(event="result", i=i, kind="ok", arrays={str(key): value for key, value in flat.items()}):
            send(event="result", i=i, kind="output", message="the result could not be sent back", hint="")
