"""Grading benchmarks: one notebook per lesson, and a class of 200 with and without bubblewrap.

The class is graded by the ``nnlib grade`` command in its own process (as an
instructor runs it), with ``--jobs 2``; its whole process tree (the grader,
bubblewrap, the sandboxes' interpreters and exercise processes) is sampled
every 20 ms for its resident memory (the peak of the sum, and the largest
single process). Wall-clock times are the fastest of four interleaved runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def grading_table() -> str:
    """Each solution notebook graded by ``nnlib.grader.grade_notebook``: the fastest of 5 (wall clock)."""
    from nnlib.grader import grade_notebook, lesson_exercises

    lines = ["## Grading one notebook with `nnlib.grader.grade_notebook` (wall clock, fastest of 5)", "",
             "| notebook | score | seconds | target |", "|---|---:|---:|---|"]
    grade_notebook(ROOT / "solutions" / "01_single_neuron.ipynb", seed=1)  # the isolation probe, once
    for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
        if not lesson_exercises(path.name[:2]):  # lesson 00: nothing to grade
            continue
        times = []
        for _ in range(5):
            start = time.perf_counter()
            sub = grade_notebook(path, seed=1)
            times.append(time.perf_counter() - start)
        seconds = min(times)
        lines.append(f"| {path.stem} | {sub.score:g} / {sub.max_score:g} | {seconds:.2f} | "
                     f"≤ 1 s {'met' if seconds <= 1 else 'MISSED'} |")
    return "\n".join(lines) + "\n"


def _tree_rss(root_pid: int) -> tuple[int, int]:
    """Resident bytes of a process and all its descendants, read from /proc: (their sum, the largest)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            parents[int(name)] = int(fields[1])
            rss[int(name)] = int(fields[21]) * page
        except (OSError, IndexError, ValueError):
            continue
    total, largest, todo = 0, 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        largest = max(largest, rss.get(pid, 0))
        todo += [child for child, parent in parents.items() if parent == pid]
    return total, largest


def grade_class(folder: Path, isolation: str, jobs: int = 2) -> dict:
    """Run ``nnlib grade`` on ``folder``; its wall time and the peak memory of its process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "nnlib", "grade", str(folder), "--lesson", "01", "--jobs",
                             str(jobs), "--seed", "12345", "--isolation", isolation],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    peak = [0, 0]

    def sample():
        while proc.poll() is None:
            total, largest = _tree_rss(proc.pid)
            peak[:] = max(peak[0], total), max(peak[1], largest)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate()
    sampler.join()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"nnlib grade failed: {err.decode()[-2000:]}")
    total = out.decode().rsplit("class: ", 1)[1].split(";")[1].strip()
    return {"wall": wall, "peak_mb": peak[0] / 2**20, "largest_mb": peak[1] / 2**20, "total": total}


def class_table(copies: int = 200, jobs: int = 2) -> str:
    """``copies`` submissions of lesson 01 (the solution notebook), with bubblewrap and as plain processes."""
    from nnlib.grading.sandbox import grading_isolation

    modes = ["process"] + (["required"] if grading_isolation().kind == "bubblewrap" else [])
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(copies):
            learner = Path(tmp) / f"learner{i:03d}"
            learner.mkdir()
            shutil.copy(ROOT / "solutions" / "01_single_neuron.ipynb", learner / "01_single_neuron.ipynb")
        runs: dict[str, list[dict]] = {mode: [] for mode in modes}
        for mode in (modes + modes[::-1]) * 2:  # interleaved; the fastest of four runs is shown
            runs[mode].append(grade_class(Path(tmp), mode, jobs))
    results = {mode: min(found, key=lambda r: r["wall"]) for mode, found in runs.items()}
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"## Grading a class: {copies} submissions of lesson 01, `nnlib grade --jobs {jobs}` "
             f"(load average {load} at the end)", "",
             "| isolation | score | wall clock | per submission | peak memory (whole tree) "
             "| largest process |", "|---|---|---:|---:|---:|---:|"]
    for mode, r in results.items():
        name = "bubblewrap" if mode == "required" else "plain process (no bubblewrap)"
        lines.append(f"| {name} | {r['total']} | {r['wall']:.1f} s | {r['wall'] / copies * 1000:.0f} ms | "
                     f"{r['peak_mb']:.0f} MB | {r['largest_mb']:.0f} MB |")
    if "required" in results:
        wall = (results["required"]["wall"] - results["process"]["wall"]) / copies * jobs
        lines += ["", f"Isolation costs {wall * 1000:.0f} ms of wall clock per submission and job "
                  "(target: under 100 ms)."]
    return "\n".join(lines) + "\n"


def isolation_cost_table(rounds: int = 40) -> str:
    """One lesson-01 notebook graded ``rounds`` times each way, alternating: what bubblewrap adds."""
    import statistics

    from nnlib.grader import grade_notebook
    from nnlib.grading.sandbox import grading_isolation

    if grading_isolation().kind != "bubblewrap":
        return "## Cost of isolation\n\nbubblewrap is not usable here: nothing to compare\n"
    path = ROOT / "solutions" / "01_single_neuron.ipynb"
    times: dict[str, list[float]] = {"required": [], "process": []}
    for i in range(rounds):
        for mode in ("required", "process")[:: 1 if i % 2 else -1]:
            start = time.perf_counter()
            grade_notebook(path, seed=1, isolation=mode, slots=1)
            times[mode].append(time.perf_counter() - start)
    lines = [f"## Cost of isolation: {path.name} graded {rounds} times each way, alternating", "",
             "| isolation | fastest | median |", "|---|---:|---:|"]
    for mode, name in (("required", "bubblewrap"), ("process", "plain process")):
        fastest, median = min(times[mode]) * 1000, statistics.median(times[mode]) * 1000
        lines.append(f"| {name} | {fastest:.0f} ms | {median:.0f} ms |")
    extra = [(min(times["required"]) - min(times["process"])) * 1000,
             (statistics.median(times["required"]) - statistics.median(times["process"])) * 1000]
    lines += ["", f"bubblewrap adds {extra[0]:.0f} ms (fastest) / {extra[1]:.0f} ms (median) per notebook "
              f"(target: under 100 ms); load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(grading_table())
    print(isolation_cost_table())
    print(class_table(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
