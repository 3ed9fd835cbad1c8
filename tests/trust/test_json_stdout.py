"""Issue 18 item 11: ``resources allocate --json`` prints only JSON on standard output (the HiGHS banner,
printed by C straight to file descriptor 1, goes to standard error)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import kamplan
from support.resources import collected_workspace


def test_allocate_json_is_only_json_on_stdout(tmp_path):
    collected_workspace(tmp_path, tmp_path / "ws").close()
    env = {**os.environ, "PYTHONPATH": str(Path(kamplan.__file__).parent.parent)}
    run = subprocess.run([sys.executable, "-c", "from kamplan.cli.main import main; main()", "-w",
                          str(tmp_path / "ws"), "resources", "allocate", "--json", "--time-limit", "5"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode in (0, 1), run.stderr
    data = json.loads(run.stdout)  # fails on a banner line before the JSON
    assert isinstance(data, dict) and data
