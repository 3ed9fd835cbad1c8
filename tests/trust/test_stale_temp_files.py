"""Issue 18 item 10: temporary files a killed or failed write left (``reports/.kamplan-*.xlsx``) are removed at
the start of the next write; a young one (a write still running) is left alone."""
from __future__ import annotations

import os
import time

from kamplan.workbooks.kit.xlsxio import STALE_AFTER_SECONDS, atomic_path


def test_stale_temp_files_are_cleaned_at_the_start_of_each_write(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    old = reports / ".kamplan-abc123.xlsx"
    old.write_bytes(b"PK\x03\x04 half a workbook")
    past = time.time() - STALE_AFTER_SECONDS - 60
    os.utime(old, (past, past))
    running = reports / ".kamplan-young.xlsx"
    running.write_bytes(b"being written")
    with atomic_path(reports / "plan.xlsx") as tmp:
        tmp.write_bytes(b"the new workbook")
    assert not old.exists() and running.exists()
    assert (reports / "plan.xlsx").read_bytes() == b"the new workbook"
    assert sorted(p.name for p in reports.iterdir()) == [".kamplan-young.xlsx", "plan.xlsx"]


def test_a_failed_write_leaves_neither_a_temp_file_nor_a_half_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("the old one")
    try:
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise OSError(28, "No space left on device")
    except OSError:
        pass
    assert target.read_text() == "the old one" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_temp_file_of_a_killed_writer_goes_at_once(tmp_path):
    import subprocess
    import sys
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    orphan = tmp_path / f".kamplan-{dead}-x1.xlsx"
    orphan.write_bytes(b"killed half-way")
    alive = tmp_path / f".kamplan-{os.getppid()}-x2.xlsx"  # the parent process is running
    alive.write_bytes(b"still writing")
    with atomic_path(tmp_path / "new.xlsx") as tmp:
        tmp.write_bytes(b"ok")
    assert not orphan.exists() and alive.exists()
