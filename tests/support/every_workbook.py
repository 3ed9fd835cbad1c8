"""Every workbook kind in both languages, written once per test process (the golden planning year).

``every_workbook()`` -> {file name: path}, e.g. "targets_round1_zh-CN.xlsx".  The tests that open
them in LibreOffice (saved results, pictures) share one set instead of each building a planning year.
"""
from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from support.golden import write_workbooks


@functools.lru_cache(maxsize=1)
def every_workbook() -> dict[str, Path]:
    folder = Path(tempfile.mkdtemp(prefix="kamplan-every-workbook-"))
    atexit.register(shutil.rmtree, folder, True)
    return write_workbooks(folder / "books")
