"""Speed (DESIGN.md section 7), asserted as ratios measured in the same test, never as absolute times.

The machine may be shared and noisy, so every comparison
- runs the functions interleaved (a, b, a, b, ...) and compares medians of the
  round-by-round ratios, on the process's CPU time (``benchmarks.timing``);
- allows a generous margin over the targets of ``python -m benchmarks``
  (e.g. 2.5x the fused numpy step where the target is 1.25x);
- measures up to three times before it fails, and reports every attempt.
"""

from __future__ import annotations

import time
from contextlib import nullcontext

import numpy as np
import pytest

import nnlib
from benchmarks import timing
from benchmarks.report import value_graph
from benchmarks.steps import fused_step, make_problem, nnlib_step, torch_step

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # not a requirement
    threadpool_limits = None

# With threadpoolctl, one BLAS thread, so CPU time is one core's work. Without it BLAS may run
# several threads, whose CPU times add up erratically: then the wall clock is the fairer one.
CLOCK = timing.CPU if threadpool_limits else timing.WALL


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas") if threadpool_limits else nullcontext():
        yield


def _ratio(fns: dict, bound: float, rounds: int = 15, min_seconds: float = 0.004) -> list[float]:
    """Ratios first / second of two functions, re-measured (up to 3 times) until one is within ``bound``."""
    (a, b) = fns
    ratios = []
    for _ in range(3):
        t = timing.compare(fns, rounds=rounds, min_seconds=min_seconds, warmup=3, clock=CLOCK)
        ratios.append(t[a].ratio(t[b]))
        if ratios[-1] <= bound:
            break
    return ratios


def _assert_ratio(fns: dict, bound: float, **kwargs):
    ratios = _ratio(fns, bound, **kwargs)
    a, b = fns
    assert min(ratios) <= bound, f"{a} / {b} = {', '.join(f'{r:.2f}' for r in ratios)}; expected <= {bound}"


def test_reference_net_float32_step_is_close_to_fused_numpy():
    problem = make_problem((784, 256, 128, 10), 128, np.float32)
    _assert_ratio({"nnlib": nnlib_step(*problem), "fused": fused_step(*problem)}, 2.5, rounds=9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tiny_net_step_is_close_to_fused_numpy(dtype):
    """2-16-16-2, batch 32: where the checks and the Python calls of nnlib weigh most."""
    problem = make_problem((2, 16, 16, 2), 32, dtype)
    _assert_ratio({"nnlib": nnlib_step(*problem), "fused": fused_step(*problem)}, 2.5)


def test_batch_of_one_is_not_slower_than_a_batch_of_eight():
    """With N = 1, X.T @ dZ is an outer product, which numpy's matmul computes without BLAS."""
    one = nnlib_step(*make_problem((64, 64, 64, 10), 1, np.float64))
    eight = nnlib_step(*make_problem((64, 64, 64, 10), 8, np.float64))
    _assert_ratio({"batch 1": one, "batch 8": eight}, 1.5)


def test_reference_net_float32_is_not_slower_than_torch():
    pytest.importorskip("torch")
    pytest.importorskip("threadpoolctl", reason="numpy's BLAS threads would compete with torch's")
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        problem = make_problem((784, 256, 128, 10), 128, np.float32)
        _assert_ratio({"nnlib": nnlib_step(*problem), "torch": torch_step(*problem)}, 2.0, rounds=9)
    finally:
        torch.set_num_threads(threads)


def test_first_layer_input_gradient_is_not_computed(monkeypatch):
    """mlp_backward and loss_and_gradients skip dX of the first layer (a third of the work for 784 inputs)."""
    calls = []
    real = nnlib.mlp._dense_backward

    def spy(dZ, X, W, input_grad=True):
        calls.append(input_grad)
        return real(dZ, X, W, input_grad)

    monkeypatch.setattr(nnlib.mlp, "_dense_backward", spy)
    params, X, labels = make_problem((5, 4, 3, 2), 6, np.float64)
    nnlib.loss_and_gradients(params, X, labels)
    out, caches = nnlib.mlp_forward(X, params)
    nnlib.mlp_backward(np.ones_like(out), caches, params)
    assert calls == [True, True, False] * 2  # from the last layer down to the first


def test_value_engine_backward_through_1e5_nodes():
    root, (x, w) = value_graph(100_000)
    start = time.process_time()
    root.backward()  # iterative topological sort: no RecursionError
    assert time.process_time() - start < 60  # a hang guard, not a speed target
    assert len(root.topological_order()) > 100_000
    assert np.isfinite(x.grad) and np.isfinite(w.grad) and w.grad != 0
