"""The benchmark sections, each returning a markdown table as text."""

from __future__ import annotations

import platform
import time
from pathlib import Path

import numpy as np

import nnlib
from benchmarks.steps import fused_step, make_problem, nnlib_step, torch_step
from benchmarks.timing import median_time

ROOT = Path(__file__).resolve().parents[1]


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f}"


def machine_info(threads: int) -> str:
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed (torch columns skipped)"
    cpu = platform.processor() or platform.machine()
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(f"{i['internal_api']} {i.get('version')} ({i['num_threads']} threads)"
                         for i in threadpool_info())
    except ImportError:
        blas = f"threads fixed via OPENBLAS_NUM_THREADS={threads}"
    return "\n".join([
        "## Machine",
        "",
        f"- Python {platform.python_version()}, numpy {np.__version__}, torch {torch_version}",
        f"- CPU: {cpu}, {__import__('os').cpu_count()} cores; BLAS: {blas}",
        f"- threads: {threads}",
        "",
    ])


def train_step_table(repeats: int) -> str:
    rows = [
        ("784-256-128-10", (784, 256, 128, 10), 128, np.float64),
        ("784-256-128-10", (784, 256, 128, 10), 128, np.float32),
        ("2-16-16-2", (2, 16, 16, 2), 32, np.float64),
    ]
    lines = [
        "## MLP train step (forward + backward + SGD), median µs",
        "",
        "| net | batch | dtype | nnlib | fused numpy | nnlib / fused | torch | nnlib / torch |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, sizes, batch, dtype in rows:
        problem = make_problem(sizes, batch, dtype)
        ours = median_time(nnlib_step(*problem), repeats, min_seconds=0.01)
        fused = median_time(fused_step(*problem), repeats, min_seconds=0.01)
        torch_fn = torch_step(*problem)
        if torch_fn is None:
            torch_cols = "n/a | n/a"
        else:
            theirs = median_time(torch_fn, repeats, min_seconds=0.01)
            torch_cols = f"{_us(theirs)} | {ours / theirs:.2f}"
        lines.append(f"| {name} | {batch} | {np.dtype(dtype).name} | {_us(ours)} | {_us(fused)} | "
                     f"{ours / fused:.2f} | {torch_cols} |")
    return "\n".join(lines) + "\n"


def batch_sweep_table(repeats: int) -> str:
    lines = [
        "## Batch sweep: 64-64-64-10 net, float64, median µs per step",
        "",
        "| batch | nnlib | fused | nnlib / fused |",
        "|---:|---:|---:|---:|",
    ]
    for batch in (1, 8, 32, 128, 512):
        problem = make_problem((64, 64, 64, 10), batch, np.float64)
        ours = median_time(nnlib_step(*problem), repeats, min_seconds=0.01)
        fused = median_time(fused_step(*problem), repeats, min_seconds=0.01)
        lines.append(f"| {batch} | {_us(ours)} | {_us(fused)} | {ours / fused:.2f} |")
    return "\n".join(lines) + "\n"


def width_sweep_table(repeats: int) -> str:
    lines = [
        "## Width sweep: 64-W-W-10 net, batch 128, float64, median µs per step",
        "",
        "| width W | nnlib | fused | nnlib / fused |",
        "|---:|---:|---:|---:|",
    ]
    for width in (16, 64, 256, 1024):
        problem = make_problem((64, width, width, 10), 128, np.float64)
        ours = median_time(nnlib_step(*problem), repeats, min_seconds=0.01)
        fused = median_time(fused_step(*problem), repeats, min_seconds=0.01)
        lines.append(f"| {width} | {_us(ours)} | {_us(fused)} | {ours / fused:.2f} |")
    return "\n".join(lines) + "\n"


def value_graph(n_nodes: int):
    """A chain of about ``n_nodes`` Value nodes: x -> tanh -> * w -> + c -> ... ; returns (root, leaves)."""
    x = nnlib.Value(0.5, label="x")
    w = nnlib.Value(0.9, label="w")
    out = x
    for _ in range(n_nodes // 3):
        out = (out * w + 0.1).tanh()
    return out, (x, w)


def value_engine_table() -> str:
    n = 10_000
    start = time.perf_counter()
    root, _ = value_graph(n)
    forward = time.perf_counter() - start
    start = time.perf_counter()
    root.backward()
    backward = time.perf_counter() - start
    nodes = len(root.topological_order())
    deep, _ = value_graph(100_000)
    deep.backward()  # no RecursionError
    return "\n".join([
        "## Value engine (scalar autodiff)",
        "",
        "| graph | nodes | forward ms | backward ms | nodes / s (forward + backward) |",
        "|---|---:|---:|---:|---:|",
        f"| chain | {nodes:,} | {forward * 1e3:.1f} | {backward * 1e3:.1f} | "
        f"{nodes / (forward + backward):,.0f} |",
        f"| chain, 10^5 deep | {len(deep.topological_order()):,} | | | backward() ok, no recursion error |",
        "",
    ])


def notebook_table() -> str:
    from nnlib.course import execute_notebook

    import shutil
    import tempfile

    lines = ["## Solution notebooks: execution time in a fresh kernel", "",
             "| notebook | seconds |", "|---|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
            copy = Path(tmp) / path.name
            shutil.copy(path, copy)
            lines.append(f"| {path.stem} | {execute_notebook(copy):.1f} |")
    return "\n".join(lines) + "\n"


def grading_table() -> str:
    try:
        from nnlib import grader
    except ImportError:
        return "## Grading\n\n(nnlib.grader not available)\n"
    import shutil
    import tempfile

    lines = ["## Grading with `nnlib grade`", "", "| what | seconds |", "|---|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
            start = time.perf_counter()
            grader.grade_paths([path])
            lines.append(f"| one notebook: {path.stem} | {time.perf_counter() - start:.2f} |")
        source = ROOT / "solutions" / "08_layer_backprop.ipynb"
        if source.exists():
            for i in range(100):
                shutil.copy(source, Path(tmp) / f"learner{i:03d}.ipynb")
            start = time.perf_counter()
            grader.grade_paths([Path(tmp)], jobs=2)
            lines.append(f"| 100 submissions of lesson 08, --jobs 2 | {time.perf_counter() - start:.1f} |")
    return "\n".join(lines) + "\n"
