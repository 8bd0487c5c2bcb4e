"""Run every benchmark and print markdown tables: ``python -m benchmarks [--quick] [--threads N]``.

All numbers are medians of interleaved samples measured in this one run on this
machine; the tables report ratios so that they mean something on another machine too.
For numbers that represent this CPU, unset the machine's OpenBLAS overrides:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import sys
import time

M_TOP_PAD = -2  # glibc's mallopt parameter: extra memory kept when the heap grows or shrinks


def _parse():
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="BLAS/torch threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="fewer samples, no notebooks or grading")
    parser.add_argument("--default-malloc", action="store_true",
                        help="leave glibc malloc as it is (see the malloc line of the report)")
    return parser.parse_args()


def _keep_freed_memory(default: bool) -> str:
    """Ask glibc to keep 64 MiB of freed heap instead of returning it to the OS at once.

    Otherwise, with float64 arrays of a few MB (the 784-256-128-10 net), whether a
    step's freed arrays go back to the OS, to be faulted in again on the next
    step (~1,400 page faults, ~2 ms), depends on the order of the allocations:
    it hits numpy and torch steps at random and says nothing about the library.
    """
    if default:
        return "glibc defaults (--default-malloc)"
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        if name and "libc" in name and libc.mallopt(M_TOP_PAD, 64 << 20) == 1:
            return ("glibc mallopt(M_TOP_PAD, 64 MiB): freed memory is kept for reuse, not returned to the "
                    "OS and faulted back in every step (--default-malloc to compare)")
    except (OSError, AttributeError):
        pass
    return "system default (not glibc)"


def main() -> int:
    args = _parse()
    start = time.perf_counter()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # must be set before numpy loads its BLAS
    malloc = _keep_freed_memory(args.default_malloc)

    from benchmarks import grading, report  # report reads the thread count from the environment set above

    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        pass

    print(report.machine_info(malloc))
    rounds = 10 if args.quick else 30
    print(report.train_step_table(rounds))
    print(report.gemm_table(rounds))
    print(report.batch_sweep_table(rounds))
    print(report.width_sweep_table(rounds))
    print(report.value_engine_table(3 if args.quick else 5))
    if not args.quick:
        print(report.notebook_table())
        print(grading.grading_table())
        print(grading.isolation_cost_table())
        print(grading.class_table())
    print(f"(all benchmarks: {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
