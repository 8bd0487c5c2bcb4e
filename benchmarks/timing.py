"""Timing helpers: median of repeats after warm-up."""

from __future__ import annotations

import statistics
import time


def median_time(fn, repeats: int = 30, warmup: int = 5, min_seconds: float = 0.0) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` calls, after ``warmup`` calls.

    With ``min_seconds``, each sample loops ``fn`` enough times to last that long
    (for microsecond-scale calls) and is divided by the loop count.
    """
    for _ in range(warmup):
        fn()
    loops = 1
    if min_seconds:
        start = time.perf_counter()
        fn()
        one = max(time.perf_counter() - start, 1e-7)
        loops = max(1, int(min_seconds / one))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)
