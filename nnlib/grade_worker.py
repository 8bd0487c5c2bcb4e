"""The sandboxed side of ``nnlib grade``: runs a notebook's exercises, each in its own process.

The grader (``nnlib.grader``, the trusted parent) starts this module once per
notebook, in a fresh interpreter (``python -I -B -S``, new session, minimal
environment), with a job folder. This process never runs learner code. It:

1. imports numpy and the exercise registry and regenerates each exercise's
   hidden cases from (exercise id, seed), as the parent did (case arguments
   may be callables or random generators, which cannot be sent as arrays),
   then copies the parent's argument arrays (``args.npz``) into them: the same
   code can round differently in two processes;
2. forks one child per exercise (a few at a time) and kills each child's whole
   process group when it ends or when its time is up.

Each child starts from that pristine interpreter state, moves to a new session
and an empty working directory, and locks itself down before any learner code
runs: resource limits (CPU time, address space, file size, no new processes,
no core dumps), nnlib's reference of the graded exercise disabled in place,
``import nnlib`` refused, process-creating functions refused, stdout/stderr
capped. It then runs the exercise cell's code in a fresh namespace holding
``np`` and the exercise's prerequisites, calls the function on each case with
``nnlib.check.run_case`` (the code ``check()`` uses), and writes what happened:
one JSON line per event to ``out/status.jsonl`` and each case's flattened
output (plain numeric arrays only) to ``out/case_<i>.npz``.

Nothing here decides a grade. The parent reads these files as untrusted data
(no pickle, validated dtypes, shapes and sizes) and judges every case itself
against the reference, so learner code that patches numpy or builtins, exits,
or rewrites these files can only lose its own marks.
"""

from __future__ import annotations

import builtins
import hashlib
import importlib
import io
import json
import linecache
import os
import sys
import types

import numpy as np

# Bound before any learner code runs: the learner may patch modules and builtins, not these names.
_write = os.write
_open = os.open
_exit = os._exit
_savez = np.savez
_BaseException = BaseException
_type, _str, _int, _repr = type, str, int, repr
_quote = json.encoder.encode_basestring_ascii  # the C function: no isinstance() inside


def _dumps(value) -> str:
    """JSON of the worker's own events (str, int, bool, None, lists and dicts of them).

    Not json.dumps: it calls isinstance(), which learner code may have replaced.
    """
    t = _type(value)
    if value is None or value is True or value is False:
        return "null" if value is None else ("true" if value else "false")
    if t is _str:
        return _quote(value)
    if t is _int:
        return _repr(value)
    if t is list or t is tuple:
        return "[" + ", ".join([_dumps(v) for v in value]) + "]"
    if t is dict:
        return "{" + ", ".join([_quote(_str(k)) + ": " + _dumps(v) for k, v in value.items()]) + "}"
    return _quote(_repr(value))


#: Exit code of the worker when its own setup failed (not the learner's doing).
SETUP_FAILED = 70

#: Name of the learner's cell code in tracebacks ("in your code, line 3: ...").
CELL_FILENAME = "<exercise cell>"

#: Names replaced by a function that refuses to start a process.
_PROCESS_FUNCTIONS = {
    "os": ("fork", "forkpty", "system", "popen", "posix_spawn", "posix_spawnp", "execv", "execve",
           "execl", "execle", "execlp", "execlpe", "execvp", "execvpe", "spawnv", "spawnve",
           "spawnvp", "spawnvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe"),
    "_posixsubprocess": ("fork_exec",),
}

NOT_AVAILABLE = "is not available to exercise code while it is graded"


def array_leaves(case) -> list[np.ndarray]:
    """The numeric arrays in a case's arguments (in tuples, lists and dicts), in a fixed order."""
    leaves: list[np.ndarray] = []

    def walk(value):
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "fiucb":
                leaves.append(value)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(case.args)
    walk(dict(case.kwargs))
    return leaves


def case_fingerprint(case) -> str:
    """A digest of a case's structure: types, shapes, dtypes, exact non-float values.

    Float values are left out: the same generator code can round differently in
    two processes (BLAS kernels depend on memory alignment), which is why the
    parent sends its arrays and the child copies them into its own cases.
    """
    h = hashlib.sha256()

    def feed(value):
        if isinstance(value, np.ndarray):
            h.update(f"A{value.dtype.str}{value.shape}".encode())
        elif isinstance(value, np.random.Generator):
            h.update(repr(value.bit_generator.state).encode())
        elif isinstance(value, list | tuple):
            h.update(f"S{type(value).__name__}{len(value)}".encode())
            for item in value:
                feed(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                h.update(repr(key).encode())
                feed(item)
        elif isinstance(value, bool | int | str | np.integer | np.bool_) or value is None:
            h.update(repr(value).encode())
        else:
            h.update(type(value).__qualname__.encode())

    feed(case.args)
    feed(dict(case.kwargs))
    return h.hexdigest()[:16]


def use_parent_arrays(cases, path: str) -> None:
    """Copy the parent's case arrays (``args.npz``) into the regenerated cases, in place."""
    with np.load(path, allow_pickle=False) as data:
        for i, case in enumerate(cases):
            for k, leaf in enumerate(array_leaves(case)):
                sent = data[f"c{i}_{k}"]
                if sent.shape != leaf.shape or sent.dtype != leaf.dtype:
                    raise ValueError(f"case {i}: argument array {k} differs from the grader's")
                if not leaf.flags.writeable:
                    leaf.setflags(write=True)
                np.copyto(leaf, sent)


class _CappedOutput(io.TextIOBase):
    """stdout/stderr for learner code: keeps the first ``cap`` characters, drops the rest."""

    def __init__(self, fd: int, cap: int):
        self._fd, self._cap, self._parts, self._kept, self.dropped = fd, cap, [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = _str(text)
        room = self._cap - self._kept
        if room > 0:
            self._parts.append(text[:room])
            self._kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def flush(self):
        if self._parts:
            data, self._parts = "".join(self._parts).encode("utf-8", "replace"), []
            try:
                _write(self._fd, data)
            except OSError:
                pass

    def close_out(self):
        self.flush()
        if self.dropped:
            try:
                _write(self._fd, f"\n[{self.dropped:,} more characters of output were dropped]\n".encode())
            except OSError:
                pass


class _Status:
    """Append-only JSON lines to out/status.jsonl, unbuffered (survive a crash or kill)."""

    def __init__(self, path: str):
        self._fd = _open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def __call__(self, **event):
        try:
            _write(self._fd, (_dumps(event) + "\n").encode("utf-8", "replace"))
        except _BaseException:
            pass

    def close(self):
        os.close(self._fd)


def _set_limits(job: dict) -> None:
    import resource

    def limit(which, soft):
        try:
            resource.setrlimit(which, (soft, soft))
        except (ValueError, OSError):  # a hard limit already lower, or a limit this OS lacks
            try:
                current = resource.getrlimit(which)[1]
                if current == resource.RLIM_INFINITY or current > soft:
                    resource.setrlimit(which, (soft, current))
            except (ValueError, OSError):
                pass  # e.g. RLIMIT_AS on macOS: the wall-clock timeout still applies

    cpu = int(job["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU, then SIGKILL a second later
    limit(resource.RLIMIT_AS, int(job["memory_bytes"]))
    limit(resource.RLIMIT_FSIZE, int(job["file_bytes"]))
    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_NPROC, 0)  # no new processes or threads (not enforced for root)


def _disable_reference(reference) -> None:
    """Make nnlib's reference of the graded exercise raise, wherever it is reached from.

    The function object is changed in place (its code), so the module attribute,
    the registry entry and any alias all lead to the disabled version.
    """
    exercise_id = getattr(reference, "__name__", "the reference")
    seen = set()
    fn = reference
    while fn is not None and id(fn) not in seen:
        seen.add(id(fn))
        if isinstance(fn, types.FunctionType) and not fn.__code__.co_freevars:
            fn.__code__ = _disabled_code(exercise_id)
            fn.__defaults__ = None
            fn.__kwdefaults__ = None
        fn = getattr(fn, "__wrapped__", None)


def _disabled_code(exercise_id: str):
    message = f"nnlib's reference {exercise_id} {NOT_AVAILABLE}"
    namespace: dict = {}
    # Compiled as this file, so that tracebacks point at the learner's line, not at the stub.
    exec(compile(f"def disabled(*args, **kwargs):\n    raise RuntimeError({message!r})\n", __file__, "exec"),
         namespace)
    return namespace["disabled"].__code__


def _guard_imports() -> None:
    """Refuse ``import nnlib`` (and importlib.import_module) from anything but nnlib itself."""
    real_import = builtins.__import__
    real_import_module = importlib.import_module

    def refused(name):
        return ImportError(f"{name} {NOT_AVAILABLE}: write the exercise with numpy only")

    def is_nnlib(name):
        return name == "nnlib" or name.startswith("nnlib.")

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
        caller = (globals or {}).get("__name__") or ""
        if level == 0 and is_nnlib(name) and not is_nnlib(caller):
            raise refused(name)
        return real_import(name, globals, locals, fromlist, level)

    def guarded_import_module(name, package=None):
        if is_nnlib(name) or (name.startswith(".") and is_nnlib(package or "")):
            raise refused(name)
        return real_import_module(name, package)

    builtins.__import__ = guarded_import
    importlib.import_module = guarded_import_module


def _refuse_processes() -> None:
    for module_name, names in _PROCESS_FUNCTIONS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in names:
            if hasattr(module, name):
                setattr(module, name, _refusing(f"{module_name}.{name}"))


def _refusing(what: str):
    def refuse(*args, **kwargs):
        raise PermissionError(f"exercise code may not start processes while it is graded ({what})")

    return refuse


def _drop_magics(source: str) -> str:
    """Blank IPython magics and shell lines (``%time``, ``!ls``), keeping line numbers."""
    lines = source.split("\n")
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines[i] = line[: len(line) - len(stripped)] + "pass"
    return "\n".join(lines)


def compile_cell(source: str):
    """Compile a cell; if it is not Python because of IPython magics, compile it without them."""
    try:
        return compile(source, CELL_FILENAME, "exec", dont_inherit=True)
    except SyntaxError:
        cleaned = _drop_magics(source)
        if cleaned == source:
            raise
        return compile(cleaned, CELL_FILENAME, "exec", dont_inherit=True)


def _describe_syntax_error(err: SyntaxError) -> str:
    text = f"SyntaxError: {err.msg}"
    if err.lineno:
        text += f" (line {err.lineno}"
        if err.text:
            text += f": {err.text.strip()}"
        text += ")"
    return text


def main(job_dir: str | None = None) -> None:
    """Grade the exercises of one notebook: prepare once, then one forked process per exercise.

    ``job_dir/job.json`` holds the seed, the limits, how many exercises may run at
    once (``slots``) and, for each exercise, its id, the cell's source and its
    folder (``args.npz`` from the parent; ``out/``, ``work/``, ``stdout`` and
    ``stderr`` for the child). This process imports, generates and checks the
    cases, and never runs learner code; each child does, after locking itself
    down. Once a child's whole process group is killed, this process writes a
    JSON line to its stdout: the child's folder, exit status, seconds, and
    whether it was stopped at the time limit.
    """
    job_dir = job_dir or sys.argv[1]
    try:
        with open(os.path.join(job_dir, "job.json"), encoding="utf-8") as f:
            job = json.load(f)
        import nnlib  # noqa: F401 (the prerequisites come from it)
        from nnlib.exercises import get_exercise

        builtins.exit = builtins.quit = sys.exit  # what site would define (we run with -S)
        prepared = []
        for item in job["exercises"]:
            ex = get_exercise(item["id"])
            cases = ex.cases(seed=int(job["seed"]), hidden=True)
            prints = [case_fingerprint(case) for case in cases]
            folder = os.path.join(job_dir, item["dir"])
            use_parent_arrays(cases, os.path.join(folder, "args.npz"))
            ready = _Status(os.path.join(folder, "out", "status.jsonl"))
            ready(event="ready", cases=len(cases), fingerprints=prints)
            ready.close()  # no descriptor of one exercise's files is left open in another's process
            prepared.append((ex, cases, item["source"], folder))
    except _BaseException as err:  # our own failure: say so on stderr, the parent reports it
        os.write(2, f"grade_worker setup failed: {type(err).__name__}: {err}\n".encode())
        _exit(SETUP_FAILED)
    try:
        _supervise(prepared, job)
    except _BaseException as err:  # e.g. fork() refused: the exercises not run are grader errors
        os.write(2, f"grade_worker failed: {type(err).__name__}: {err}\n".encode())
        _exit(SETUP_FAILED)
    _exit(0)


def _supervise(prepared, job) -> None:
    """Fork a child per exercise, at most ``slots`` at once; kill each one's group when it ends."""
    import select
    import signal
    import time

    timeout, slots = float(job["timeout"]), max(1, int(job["slots"]))
    pending = list(prepared)
    running: dict[int, tuple] = {}  # pid -> (folder, start, pidfd or None)
    while pending or running:
        while pending and len(running) < slots:
            ex, cases, source, folder = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                _child(ex, cases, source, folder, job)  # never returns
            pidfd = None
            try:
                pidfd = os.pidfd_open(pid)
            except (OSError, AttributeError):
                pass
            running[pid] = (folder, time.monotonic(), pidfd)
        now = time.monotonic()
        ended = []
        for pid, (_, start, _) in running.items():
            try:
                info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            except ChildProcessError:
                info = True
            if info is not None or now - start >= timeout:
                ended.append((pid, info is None))
        for pid, timed_out in ended:
            folder, start, pidfd = running.pop(pid)
            try:
                os.killpg(pid, signal.SIGKILL)  # the child and anything it forked; not yet reaped
            except OSError:
                pass
            _, wait_status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(wait_status)
            if pidfd is not None:
                os.close(pidfd)
            # To our stdout, a file the parent opened: never a path a child could have replaced.
            record = {"ended": os.path.basename(folder), "returncode": code, "timed_out": timed_out,
                      "seconds": round(time.monotonic() - start, 4)}
            _write(1, (json.dumps(record) + "\n").encode())
        if ended or not running:
            continue
        wait = max(0.0, min(start + timeout for _, start, _ in running.values()) - time.monotonic())
        fds = [pidfd for _, _, pidfd in running.values() if pidfd is not None]
        if len(fds) == len(running):
            select.select(fds, [], [], wait)
        else:
            time.sleep(min(wait, 0.005))


def _child(ex, cases, source, folder, job) -> None:
    """One exercise in its own process: lock down, run the learner's code, report, exit."""
    try:
        os.setsid()  # a process group of its own, killed as a whole
        for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else ():
            if int(fd) > 2:  # nothing of the worker's (its siblings' pidfds) stays reachable
                try:
                    os.close(int(fd))
                except OSError:
                    pass
        os.chdir(os.path.join(folder, "work"))
        for fd, name in ((1, "stdout"), (2, "stderr")):
            target = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        import nnlib
        from nnlib.check import describe_exception, run_case
        from nnlib.judge import MAX_OUTPUT_ELEMENTS

        status = _Status(os.path.join(folder, "out", "status.jsonl"))
        namespace = {"__name__": "__exercise__", "__builtins__": builtins, "np": np}
        for name in ex.prerequisites:
            namespace[name] = getattr(nnlib, name)
        linecache.cache[CELL_FILENAME] = (len(source), None, source.splitlines(True), CELL_FILENAME)
        cap = int(job["output_chars"])
        stdout, stderr = _CappedOutput(1, cap), _CappedOutput(2, cap)
        _disable_reference(ex.reference)
        _guard_imports()
        _refuse_processes()
        _set_limits(job)
    except _BaseException as err:
        try:
            os.write(2, f"grade_worker setup failed: {type(err).__name__}: {err}\n".encode())
        finally:
            _exit(SETUP_FAILED)
    sys.stdout, sys.stderr = stdout, stderr

    def finish(code=0):
        try:
            stdout.close_out()
            stderr.close_out()
            status(event="done", dropped_output=stdout.dropped + stderr.dropped)
        finally:
            _exit(code)

    try:
        _run_learner_code(ex, cases, source, namespace, status, os.path.join(folder, "out"),
                          describe_exception, run_case, MAX_OUTPUT_ELEMENTS)
    finally:
        finish()


def _run_learner_code(ex, cases, source, namespace, status, out_dir, describe_exception, run_case,
                      max_elements) -> None:
    """Define the learner's function, call it on each case, report each result."""

    def describe(err):
        try:
            return describe_exception(err)
        except _BaseException:  # learner code may have broken traceback or builtins
            return f"raised {_type(err).__name__}"

    try:
        code = compile_cell(source)
    except SyntaxError as err:
        status(event="cell_error", message=_describe_syntax_error(err))
        return
    except _BaseException as err:
        status(event="cell_error", message=f"{_type(err).__name__}: {err}")
        return
    status(event="cell")
    try:
        exec(code, namespace)
    except _BaseException as err:  # the function may be defined already: grade it anyway
        status(event="cell_raised", message=describe(err))
    fn = namespace.get(ex.id)
    if not callable(fn):
        status(event="no_function", found=_type(fn).__name__ if ex.id in namespace else None)
        return

    for i, case in enumerate(cases):
        status(event="case", i=i)
        try:
            flat, failure = run_case(ex, case, fn)
        except _BaseException as err:  # SystemExit, KeyboardInterrupt, GeneratorExit...
            status(event="result", i=i, kind="raised", message=describe(err), hint="")
            continue
        if failure is not None:
            status(event="result", i=i, kind=failure.kind, message=failure.message, hint=failure.hint)
            if failure.kind == "not implemented":
                return
            continue
        try:
            keys = list(flat)
            if sum(a.size for a in flat.values()) > max_elements:
                raise ValueError("too many numbers")
            _savez(os.path.join(out_dir, f"case_{i}.npz"),
                   **{f"a{k}": flat[key] for k, key in enumerate(keys)})
        except _BaseException as err:
            status(event="result", i=i, kind="output",
                   message=f"the result could not be sent back: {_type(err).__name__}: {err}", hint="")
            continue
        status(event="result", i=i, kind="ok", keys=keys)


if __name__ == "__main__":  # pragma: no cover
    main()
