"""The exported site, built once per test process (tests/test_export.py and the browser test share it)."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def exported_site() -> Path:
    from nnlib.export import export_html

    out = Path(tempfile.mkdtemp(prefix="nnlib-site-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    export_html(ROOT, out)
    return out
