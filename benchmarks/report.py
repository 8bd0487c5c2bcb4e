"""The benchmark sections, each returning a markdown table as text."""

from __future__ import annotations

import gc
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

import nnlib
from benchmarks import timing
from benchmarks.steps import fused_step, make_problem, nnlib_step, torch_step

ROOT = Path(__file__).resolve().parents[1]
#: BLAS and torch threads: ``benchmarks.__main__`` sets the variable before it imports this module
THREADS = int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))
CLOCK = timing.clock_for(THREADS)
MNIST_NET = (784, 256, 128, 10)  # the design document's reference net (DESIGN.md section 7)
TINY_NET = (2, 16, 16, 2)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info  # optional: not a requirement of the course
    except ImportError:
        return "unknown (install threadpoolctl to see the BLAS library and its core type)"
    parts = [
        f"{i['internal_api']} {i.get('version') or ''} (core type {i.get('architecture') or '?'}, "
        f"{i['num_threads']} threads, {Path(i['filepath']).name})"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    return "; ".join(parts) or "none found"


def machine_info(malloc: str) -> str:
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed (torch columns skipped)"
    lines = [
        "## Machine",
        "",
        f"- Python {platform.python_version()}, numpy {np.__version__}, torch {torch_version}",
        f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores, load average "
        + (", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"),
        f"- numpy's BLAS: {_blas_info()}",
        f"- threads: {THREADS} (BLAS and torch); clock: {CLOCK.name}; figures are medians "
        "of interleaved samples",
        f"- malloc: {malloc}",
    ]
    forced = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    if forced:
        lines.append(f"- WARNING: {forced} is set and overrides OpenBLAS's CPU detection; numpy's "
                     "matrix products may be slower than this CPU allows. For representative numbers run "
                     "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks`")
    return "\n".join(lines) + "\n"


def _steps(sizes, batch, dtype, with_torch=True):
    problem = make_problem(sizes, batch, dtype)
    fns = {"nnlib": nnlib_step(*problem), "fused": fused_step(*problem)}
    theirs = torch_step(*problem) if with_torch else None
    if theirs is not None:
        fns["torch"] = theirs
    return fns


def _measure(fns: dict, rounds: int) -> dict[str, timing.Timing]:
    """Time ``fns`` interleaved; with several threads, the torch functions apart from the numpy ones.

    torch's OpenMP threads keep spinning for a while after each call, taking the
    cores from whatever runs next: interleaved with torch, numpy's threads would lose.
    """
    if THREADS == 1:
        return timing.compare(fns, rounds, clock=CLOCK)
    ours = {k: f for k, f in fns.items() if not k.startswith("torch")}
    theirs = {k: f for k, f in fns.items() if k.startswith("torch")}
    return timing.compare(ours, rounds, clock=CLOCK) | (
        timing.compare(theirs, rounds, clock=CLOCK) if theirs else {})


def _ratio(a: timing.Timing, b: timing.Timing) -> float:
    """a / b: round by round when a and b were interleaved (one thread), else of the medians."""
    return a.ratio(b) if THREADS == 1 else a.median / b.median


def train_step_table(rounds: int) -> str:
    rows = [
        (MNIST_NET, 128, np.float64, 1.25),
        (MNIST_NET, 128, np.float32, 1.25),
        (TINY_NET, 32, np.float64, 1.5),
        (TINY_NET, 32, np.float32, 1.5),
    ]
    lines = [
        "## MLP train step (loss_and_gradients + sgd_step), median µs per step",
        "",
        "fused = a hand-written numpy step without checks or abstractions (benchmarks/fused.py); "
        "target = DESIGN.md section 7's bound on nnlib / fused. Page faults: minor faults per step "
        "(nnlib / fused / torch), a sign of memory being returned to the OS and faulted back in.",
        "",
        "| net | batch | dtype | nnlib | fused | torch | nnlib / fused | target | nnlib / torch "
        "| page faults |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for sizes, batch, dtype, target in rows:
        t = _measure(_steps(sizes, batch, dtype), rounds)
        ours, fused = t["nnlib"], t["fused"]
        theirs = t.get("torch")
        ratio = ours.ratio(fused)
        verdict = "met" if ratio <= target else "MISSED"
        torch_cols = f"{_us(theirs.median)} | " if theirs else "n/a | "
        vs_torch = f"{_ratio(ours, theirs):.2f}" if theirs else "n/a"
        faults = " / ".join(f"{x.faults_per_call:.0f}" for x in t.values())
        lines.append(
            f"| {'-'.join(map(str, sizes))} | {batch} | {np.dtype(dtype).name} | {_us(ours.median)} | "
            f"{_us(fused.median)} | {torch_cols}{ratio:.2f} | ≤ {target} {verdict} | {vs_torch} | {faults} |"
        )
    return "\n".join(lines) + "\n"


def batch_sweep_table(rounds: int) -> str:
    lines = [
        "## Batch sweep: 64-64-64-10 net, float64, median µs per step",
        "",
        "| batch | nnlib | fused | nnlib / fused | µs per example (nnlib) |",
        "|---:|---:|---:|---:|---:|",
    ]
    steps = {batch: _steps((64, 64, 64, 10), batch, np.float64, with_torch=False) for batch in (1, 8)}
    t = timing.compare({f"{name} {batch}": fn for batch, fns in steps.items() for name, fn in fns.items()},
                       rounds, clock=CLOCK)  # batch 1 and batch 8 interleaved: their ratio is the target
    results = {batch: (t[f"nnlib {batch}"], t[f"fused {batch}"]) for batch in (1, 8)}
    for batch in (32, 128, 512):
        c = timing.compare(_steps((64, 64, 64, 10), batch, np.float64, with_torch=False), rounds, clock=CLOCK)
        results[batch] = (c["nnlib"], c["fused"])
    for batch, (ours, fused) in results.items():
        lines.append(f"| {batch} | {_us(ours.median)} | {_us(fused.median)} | {ours.ratio(fused):.2f} | "
                     f"{ours.median * 1e6 / batch:,.1f} |")
    one_vs_eight = results[1][0].ratio(results[8][0])
    verdict = "met" if one_vs_eight <= 1 else "MISSED"
    lines += ["", f"nnlib batch 1 / batch 8 step time: {one_vs_eight:.2f} (target ≤ 1: {verdict})"]
    return "\n".join(lines) + "\n"


def width_sweep_table(rounds: int) -> str:
    lines = [
        "## Width sweep: 64-W-W-10 net, batch 128, float64, median µs per step",
        "",
        "| width W | nnlib | fused | nnlib / fused |",
        "|---:|---:|---:|---:|",
    ]
    for width in (16, 64, 256, 1024):
        t = timing.compare(_steps((64, width, width, 10), 128, np.float64, with_torch=False),
                           rounds if width < 1024 else max(5, rounds // 3), clock=CLOCK)
        ours, fused = t["nnlib"], t["fused"]
        lines.append(f"| {width} | {_us(ours.median)} | {_us(fused.median)} | {ours.ratio(fused):.2f} |")
    return "\n".join(lines) + "\n"


def _gemms(params, X):
    """The 8 matrix products of one nnlib step of a 3-layer net, on arrays of the right shapes."""
    rng = np.random.default_rng(1)
    dtype = X.dtype
    (W1, _), (W2, _), (W3, _) = params
    A1 = rng.normal(size=(len(X), W1.shape[1])).astype(dtype)
    A2 = rng.normal(size=(len(X), W2.shape[1])).astype(dtype)
    dZ3 = rng.normal(size=(len(X), W3.shape[1])).astype(dtype)
    return [(X, W1), (A1, W2), (A2, W3),  # forward: Z = A @ W
            (X.T, A1), (A1.T, A2), (A2.T, dZ3),  # dW = A.T @ dZ (dZ has the shape of the next A)
            (dZ3, W3.T), (A2, W2.T)]  # dA = dZ @ W.T for layers 3 and 2; none for layer 1


def gemm_table(rounds: int) -> str:
    """Where the time of the reference net's step goes: its matrix products, in numpy and in torch."""
    lines = [
        "## Where the time goes: 784-256-128-10, batch 128, median µs",
        "",
        "The 8 matrix products of a step (3 forward, 3 dW, 2 dX) timed alone, against the whole step. "
        "What the products leave is all nnlib and numpy overhead; torch's products use its own BLAS (MKL).",
        "",
        "| dtype | numpy products | nnlib step | products / step | torch products | torch step |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for dtype in (np.float64, np.float32):
        params, X, labels = make_problem(MNIST_NET, 128, dtype)
        pairs = _gemms(params, X)
        fns = {"numpy": lambda pairs=pairs: [a @ b for a, b in pairs], "nnlib": nnlib_step(params, X, labels)}
        theirs = torch_step(params, X, labels)
        if theirs is not None:
            import torch

            tensors = [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in pairs]  # transposes as views
            fns["torch products"] = lambda tensors=tensors: [a @ b for a, b in tensors]
            fns["torch"] = theirs
        t = _measure(fns, rounds)
        torch_cols = (f"{_us(t['torch products'].median)} | {_us(t['torch'].median)}" if theirs is not None
                      else "n/a | n/a")
        lines.append(f"| {np.dtype(dtype).name} | {_us(t['numpy'].median)} | {_us(t['nnlib'].median)} | "
                     f"{t['numpy'].ratio(t['nnlib']):.0%} | {torch_cols} |")
    return "\n".join(lines) + "\n"


def value_graph(n_nodes: int):
    """A chain of about ``n_nodes`` Value nodes: x -> * w -> + 0.1 -> tanh -> ... ; returns (root, leaves)."""
    x = nnlib.Value(0.5, label="x")
    w = nnlib.Value(0.9, label="w")
    out = x
    for _ in range(n_nodes // 3):
        out = (out * w + 0.1).tanh()
    return out, (x, w)


def value_engine_table(repeats: int = 5) -> str:
    """Nodes per second of the Value engine.

    A Value graph is made of many small objects, so the garbage collector runs
    often while it is built; each full collection also walks every object the
    process already holds (torch's, if imported), which is not the engine's
    cost. Those are frozen (``gc.freeze``) for the measurement.
    """
    n = 10_000
    gc.collect()
    gc.freeze()
    try:
        return _value_engine_table(n, repeats)
    finally:
        gc.unfreeze()


def _value_engine_table(n: int, repeats: int) -> str:
    forward, backward = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        root, _ = value_graph(n)
        forward.append(time.perf_counter() - start)
        start = time.perf_counter()
        root.backward()
        backward.append(time.perf_counter() - start)
    nodes = len(root.topological_order())
    fwd, bwd = sorted(forward)[repeats // 2], sorted(backward)[repeats // 2]
    start = time.perf_counter()
    deep, _ = value_graph(100_000)
    deep.backward()  # no RecursionError
    deep_seconds = time.perf_counter() - start
    deep_nodes = len(deep.topological_order())
    return "\n".join([
        f"## Value engine (scalar autodiff), wall clock, median of {repeats} (older objects gc-frozen)",
        "",
        "| graph | nodes | build (forward) ms | backward ms | nodes / s, forward | nodes / s, backward |",
        "|---|---:|---:|---:|---:|---:|",
        f"| chain of * + tanh | {nodes:,} | {fwd * 1e3:.1f} | {bwd * 1e3:.1f} | {nodes / fwd:,.0f} | "
        f"{nodes / bwd:,.0f} |",
        f"| the same, 10^5 deep | {deep_nodes:,} | {deep_seconds:.2f} s for build + backward, "
        "no RecursionError | | | |",
        "",
    ])


def notebook_table() -> str:
    try:
        from nnlib.course import execute_notebook
    except ImportError as err:
        return f"## Solution notebooks\n\n(skipped: {err})\n"
    lines = ["## Solution notebooks: execution time in a fresh kernel (wall clock)", "",
             "| notebook | seconds | target ≤ 5 s |", "|---|---:|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
            copy = Path(tmp) / path.name  # execute_notebook saves the outputs: never into solutions/
            shutil.copy(path, copy)
            try:
                seconds = execute_notebook(copy)
            except Exception as err:  # a broken notebook is a row, not the end of the report
                lines.append(f"| {path.stem} | failed: {type(err).__name__}: {str(err)[:80]} | |")
                continue
            lines.append(f"| {path.stem} | {seconds:.1f} | {'met' if seconds <= 5 else 'MISSED'} |")
    return "\n".join(lines) + "\n"
