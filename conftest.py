"""Root pytest configuration: run nbval over solutions/ in strict mode.

Equivalent to ``pytest --nbval --nbval-current-env --nbval-cell-timeout=60
--nbval-sanitize-with=tests/nbval_sanitize.cfg``. Set here rather than in
``addopts`` so that ``pytest -p no:nbval`` (unit tests only) keeps working.
"""

import os
from pathlib import Path

ROOT = Path(__file__).parent


def pytest_configure(config):
    from nnlib.course import KERNEL_ENV

    os.environ.update(KERNEL_ENV)  # kernels started by nbval and the course tests inherit it
    # No test, and no kernel a test starts, reads or writes a learner store (nnlib/learner_store.py)
    os.environ["NNLIB_STORE"] = "off"
    if not config.pluginmanager.hasplugin("nbval"):
        return
    option = config.option
    if getattr(option, "dist", "no") == "load":  # `pytest -n N` (pytest-xdist)
        option.dist = "loadfile"  # nbval's cells share one kernel per notebook: keep each file on one worker
    if not (option.nbval or option.nbval_lax):
        option.nbval = True
    option.nbval_current_env = True
    if option.nbval_cell_timeout == 2000:  # nbval's default: use ours unless given on the command line
        option.nbval_cell_timeout = 60
    if option.nbval_sanitize_with is None:
        option.nbval_sanitize_with = str(ROOT / "tests" / "nbval_sanitize.cfg")


def pytest_ignore_collect(collection_path, config):
    # lessons/ hold unsolved exercises: they are tested by tests/test_course.py, not by nbval
    return ("lessons" in collection_path.parts and collection_path.suffix == ".ipynb") or None
