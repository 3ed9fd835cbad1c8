"""A temporary export folder left by a killed agree is found stale by the pid in its name, whatever random
part ``tempfile.mkdtemp`` added: a suffix beginning with "p" once hid the pid and kept the folder forever."""
from __future__ import annotations

import subprocess
import sys

from kamplan.stages.plan import _being_written


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_dead_writers_folder_is_stale_even_when_the_random_part_begins_with_p(tmp_path):
    pid = _dead_pid()
    for suffix in ("pzvjs7mh", "p123abcd", "x_9k2l1m"):
        folder = tmp_path / f".kamplan-agreed-2027-v1-p{pid}-{suffix}"
        folder.mkdir()
        assert not _being_written(folder), folder.name


def test_a_running_writers_folder_is_kept(tmp_path):
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as proc:
        try:
            folder = tmp_path / f".kamplan-agreed-2027-v1-p{proc.pid}-pabcdefg"
            folder.mkdir()
            assert _being_written(folder)
        finally:
            proc.kill()
