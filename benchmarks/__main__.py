"""Run every benchmark and print markdown tables: ``python -m benchmarks [--quick] [--threads N]``.

All numbers are medians after warm-up, measured in this one run on this machine;
the tables report ratios so that they mean something on another machine too.
"""

from __future__ import annotations

import argparse
import os
import sys


def _parse():
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--threads", type=int, default=1, help="BLAS/torch threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no notebooks")
    return parser.parse_args()


def main() -> int:
    args = _parse()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # must be set before numpy loads its BLAS

    from benchmarks import report

    print(report.machine_info(args.threads))
    repeats = 10 if args.quick else 30
    print(report.train_step_table(repeats))
    print(report.batch_sweep_table(repeats))
    print(report.width_sweep_table(repeats))
    print(report.value_engine_table())
    if not args.quick:
        print(report.notebook_table())
        print(report.grading_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
