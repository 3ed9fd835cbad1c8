"""Issue 18 item 5: kill -9 at random points of actuals import, targets collect and targets spread (subprocess,
bounded count and time), then: the store passes ``PRAGMA integrity_check``, a rerun ends in the same state as an
uninterrupted run, no final file is half-written and no temporary file survives the rerun."""
from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import kamplan
from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages.plan import consolidate
from kamplan.workbooks.kit.xlsxio import atomic_path
from kamplan.workspace import Workspace, default_config_text
from support.workspaces import demo_workspace

KILLS = 3  # per command: bounded, so the suite stays fast
ENV = {**os.environ, "PYTHONPATH": str(Path(kamplan.__file__).parent.parent)}


def _kamplan(root: Path, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from kamplan.cli.main import main; main()", "-w", str(root),
                             *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)


def _run(root: Path, *args) -> float:
    start = time.monotonic()
    proc = _kamplan(root, *args)
    assert proc.wait(timeout=600) in (0, 1)
    return time.monotonic() - start


def _killed_at_random(root: Path, args, duration: float, rng: random.Random) -> None:
    proc = _kamplan(root, *args)
    time.sleep(rng.uniform(0.05, max(0.1, duration)))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


def _integrity(root: Path) -> None:
    with sqlite3.connect(root / "kamplan.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _no_temp_files(root: Path) -> None:
    left = [p for p in root.rglob(".kamplan-*") if p.name != ".kamplan-demo"]
    assert not left, left


def _state(root: Path, what) -> object:
    with Workspace.open_readonly(root) as ws:
        return what(ws)


def _check(tmp_path: Path, base: Path, args, state, rng: random.Random, final_files=(), rerun: bool = True) -> None:
    """``rerun``: the command is idempotent, so killed + rerun must equal one uninterrupted run; else (a
    spread adds a version each time) a killed run must leave either nothing or the whole result."""
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    before = _state(base, state)
    duration = _run(reference, *args)
    expected = _state(reference, state)
    assert expected != before  # the command does something
    for i in range(KILLS):
        ws = tmp_path / f"kill-{i}"
        shutil.copytree(base, ws)
        _killed_at_random(ws, args, duration, rng)
        _integrity(ws)
        if rerun:
            _run(ws, *args)
            _integrity(ws)
            assert _state(ws, state) == expected
        else:
            assert _state(ws, state) in (before, expected)
            _run(ws, "check")  # any later write cleans what the kill left
            with atomic_path(ws / "reports" / "after-kill.txt") as tmp:
                tmp.write_text("a later write")
        _no_temp_files(ws)
        for pattern in final_files:  # each final file whole: byte for byte what the uninterrupted run wrote
            whole = {f.read_bytes() for f in reference.glob(pattern)}
            assert whole
            for f in ws.glob(pattern):
                assert f.read_bytes() in whole, f
        shutil.rmtree(ws)


def _history(ws):
    h = ws.store.history()
    return h[["year", "quarter", "account_id", "product_id", "volume", "revenue"]].round(6).values.tolist()


def test_kill_during_actuals_import(tmp_path):
    base = tmp_path / "base"
    Workspace.init(base, default_config_text()).close()
    rng = np.random.default_rng(3)
    lines = ["date,customer,product,quantity,amount"] + [
        f"2027-{m:02d}-{d:02d},{c},{p},{rng.integers(1, 9)},{rng.integers(100, 999)}"
        for m in (1, 2, 3) for d in range(1, 28) for c in ("C001", "C002", "C003", "X9") for p in ("CCR", "SGR")
        for _ in range(40)]
    erp = tmp_path / "q1.csv"
    erp.write_text("\n".join(lines) + "\n")
    _check(tmp_path, base, ["actuals", "import", str(erp)], _history, random.Random(11),
           final_files=["reports/*.csv"])


@pytest.fixture(scope="module")
def returned(tmp_path_factory) -> Path:
    """Round 1 issued and filled, not yet collected."""
    root = tmp_path_factory.mktemp("kill-collect")
    ws = demo_workspace(root, "en", root / "ws")
    rng = np.random.default_rng(5)
    for p in sorted((ws.outbox / "round-1").glob("*.xlsx")):
        fill_target_workbook(p, ws.inbox / p.name, rng)
    ws.close()
    return root / "ws"


def _submissions(ws):
    status = ws.store.status(ws.config.plan_year, 1, [s.id for s in ws.config.staff])
    return status[["rep_id", "state", "file_name"]].values.tolist()


def test_kill_during_targets_collect(tmp_path, returned):
    _check(tmp_path, returned, ["targets", "collect"], _submissions, random.Random(12))


def _consolidated(tmp_path: Path, returned: Path) -> Path:
    """A copy of the returned round, collected and consolidated: where spread and agree start."""
    base = tmp_path / "base"
    shutil.copytree(returned, base)
    with Workspace.open(base) as ws:
        from kamplan.stages.targets import collect_targets
        collect_targets(ws, [ws.inbox])
        consolidate(ws)
    return base


def test_kill_during_targets_spread(tmp_path, returned):
    base = _consolidated(tmp_path, returned)

    def versions(ws):
        v = ws.store.plan_versions(ws.config.plan_year)
        return [(k, round(float(r), 2)) for k, r in zip(v["kind"], v["revenue"])]
    _check(tmp_path, base, ["targets", "spread", "+4%", "--store-closest"], versions, random.Random(13),
           rerun=False)


def _whole_workbooks(root: Path, pattern: str) -> None:
    """Every workbook a killed command left under its final name opens and has its sheets: a write is
    either whole or absent (names carry time stamps, so bytes cannot be compared with the reference)."""
    from python_calamine import CalamineWorkbook
    for f in root.glob(pattern):
        assert CalamineWorkbook.from_path(str(f)).sheet_names, f


def test_kill_during_targets_agree(tmp_path, returned):
    """Agree writes its export to a temporary folder and commits the lock after the rename, so a kill leaves
    either no agreement or the agreement with its whole export; a rerun completes the export."""
    base = _consolidated(tmp_path, returned)

    def agreed(ws):
        row = ws.store.agreement(ws.config.plan_year)
        exports = sorted(p.relative_to(ws.root).as_posix() for p in ws.reports.glob("agreed-*/*.xlsx"))
        return (None if row is None else int(row["version_id"]), exports)
    _check(tmp_path, base, ["targets", "agree"], agreed, random.Random(14))
    _whole_workbooks(base, "reports/agreed-*/*.xlsx")


@pytest.fixture(scope="module")
def evaluated_demo(tmp_path_factory) -> Path:
    from kamplan.demo.run import run_demo
    root = tmp_path_factory.mktemp("kill-evaluate") / "demo"
    run_demo(root, "en")
    return root


def test_kill_during_evaluate(tmp_path, evaluated_demo):
    """Evaluate writes new file names each run (never overwriting), so a kill must leave either nothing
    or every workbook whole, and its audit event only once they are all written."""
    def written(ws):
        return len(ws.store.events("evaluation.quarter-written"))
    _check(tmp_path, evaluated_demo, ["evaluate", "--quarter", "1"], written, random.Random(15), rerun=False)
    for i in range(2):  # the kill workspaces are removed by _check; kill once more and look at the files
        ws = tmp_path / f"look-{i}"
        shutil.copytree(evaluated_demo, ws)
        _killed_at_random(ws, ["evaluate", "--quarter", "1"], 3.0, random.Random(20 + i))
        _integrity(ws)
        _whole_workbooks(ws, "reports/evaluation_*.xlsx")
