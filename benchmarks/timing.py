"""Timing helpers: interleaved medians, measured on one clock, with page-fault counts.

A shared machine is noisy: other processes take the CPU, caches and memory
bandwidth away at random moments. Two things keep the numbers meaningful:

- the functions being compared run *interleaved* (a, b, c, a, b, c, ...), so a
  disturbance hits all of them alike, and each reported figure is a median;
- with one thread the clock is the process's CPU time (``time.process_time``),
  which does not count the time the process waits for a CPU. With several
  threads, CPU time would add up the threads, so the wall clock is used instead.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

try:
    import resource
except ImportError:  # not on Windows: page faults are not counted there
    resource = None


class Clock(NamedTuple):
    """A clock to measure with, and its name for the report."""

    read: Callable[[], float]
    name: str


CPU = Clock(time.process_time, "process CPU time (time.process_time)")
WALL = Clock(time.perf_counter, "wall clock (time.perf_counter)")


def clock_for(threads: int) -> Clock:
    """CPU time for one thread; the wall clock for several (CPU time would add up the threads)."""
    return CPU if threads == 1 else WALL


def _page_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else 0


@dataclass
class Timing:
    """Seconds per call of one function: every sample, and minor page faults per call."""

    samples: list[float] = field(default_factory=list)
    calls: int = 0
    faults: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def faults_per_call(self) -> float:
        return self.faults / max(self.calls, 1)

    def ratio(self, other: Timing) -> float:
        """Median of the round-by-round ratios self / other (robust to slow drifts of the machine)."""
        return statistics.median(a / b for a, b in zip(self.samples, other.samples, strict=True))


def compare(fns: dict, rounds: int = 30, min_seconds: float = 0.01, warmup: int = 5,
            clock: Clock = CPU) -> dict[str, Timing]:
    """Time each function of ``{name: fn}`` ``rounds`` times, interleaved; returns ``{name: Timing}``.

    Each sample loops a function long enough to last about ``min_seconds`` (for
    microsecond-scale calls) and is divided by the loop count.
    """
    now = clock.read
    loops = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        start = now()
        fn()
        one = max(now() - start, 1e-7)
        loops[name] = max(1, int(min_seconds / one))
    timings = {name: Timing() for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            n, t = loops[name], timings[name]
            faults = _page_faults()
            start = now()
            for _ in range(n):
                fn()
            t.samples.append((now() - start) / n)
            t.faults += _page_faults() - faults
            t.calls += n
    return timings


def once(fn) -> float:
    """Seconds of a single call of ``fn`` on the wall clock (for slow things: notebooks, grading)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
