"""Commands of one team started at the same moment, on the SQLite file and on PostgreSQL.

Each race starts real `kamplan` processes together (they import everything first, then wait for one
start time), a bounded number of times, each with a time limit.  Afterwards the store must hold what a
one-after-the-other run would have given: one current submission per salesperson and round, exactly one
agreement, no lost top-down instruction, no duplicate bottom-up version, every stored submission with
its audit event, and every process ended with an exit status and a message, never a traceback.

The PostgreSQL runs need KAMPLAN_TEST_POSTGRES_URL (CI sets it; locally they are skipped without it).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
import yaml

from kamplan.config import config_from_dict
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages.targets import issue_targets
from kamplan.workspace import Workspace
from support.postgres import fresh_database

RACES = 3  # bounded: each race is a few processes for a few seconds
RACE_SECONDS = 180

# Imports first, then waits for the common start time, so the processes really start together.
_LAUNCH = (
    "import sys, time\n"
    "from kamplan.cli.main import main\n"
    "from kamplan.stages import plan, targets  # noqa: F401 -- loaded before the start, like the CLI's own\n"
    "start = float(sys.argv[1])\n"
    "sys.argv = ['kamplan'] + sys.argv[2:]\n"
    "time.sleep(max(0.0, start - time.time()))\n"
    "main()\n"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """None for the workspace's own kamplan.db; the URL of a fresh database for PostgreSQL."""
    if request.param == "sqlite":
        yield None
        return
    with fresh_database("kamplan_race") as url:
        yield url


def make_workspace(root: Path, url: str | None) -> Path:
    """The demo company with history and round 1 issued, on the given store."""
    data = demo_config_dict(language="en")
    root.mkdir(parents=True)
    if url:
        (root / "workspace.yaml").write_text(yaml.safe_dump({"store_url": url}), encoding="utf-8")
    with Workspace.init(root, yaml.safe_dump(data, allow_unicode=True, sort_keys=False)) as ws:
        ws.store.replace_history(demo_history(config_from_dict(data)), source="test")
        issue_targets(ws, round_no=1)
    return root


def filled(root: Path, dest: Path, seed: int, reps: int | None = None) -> list[Path]:
    """Filled copies of the issued round-1 workbooks (the first ``reps`` salespeople) in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    issued = sorted((root / "outbox" / "round-1").glob("*.xlsx"))[:reps]
    for p in issued:
        fill_target_workbook(p, dest / p.name, rng)
    return [dest / p.name for p in issued]


def run_together(root: Path, *commands: list[str]) -> list[subprocess.CompletedProcess]:
    """Start one `kamplan -w root ...` process per command at the same moment; wait for all (bounded)."""
    start = time.time() + 2.5  # every process has imported kamplan by then
    env = {**os.environ, "COLUMNS": "200"}
    procs = [subprocess.Popen([sys.executable, "-c", _LAUNCH, repr(start), "-w", str(root), *cmd],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for cmd in commands]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=RACE_SECONDS)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    for d in done:
        assert "Traceback" not in d.stdout + d.stderr, d.stderr[-3000:]
    return done


def engine_of(root: Path) -> sa.Engine:
    with Workspace.open(root, sync=False) as ws:
        target = ws.store_target()
    return sa.create_engine(target if isinstance(target, str) else f"sqlite:///{target}")


def query(root: Path, sql: str) -> list[tuple]:
    engine = engine_of(root)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def current_per_rep(root: Path) -> dict[tuple, int]:
    rows = query(root, "SELECT rep_id, round, count(*) FROM submissions WHERE superseded_by IS NULL "
                       "GROUP BY rep_id, round")
    return {(r[0], r[1]): r[2] for r in rows}


def submissions_without_event(root: Path) -> set[int]:
    ids = {r[0] for r in query(root, "SELECT id FROM submissions")}
    logged = set()
    for (detail,) in query(root, "SELECT detail FROM events WHERE kind = 'targets.submission'"):
        logged.add(json.loads(detail)["submission"])
    return ids - logged


def test_two_files_of_one_salesperson_collected_at_once_leave_one_current(backend, tmp_path):
    root = make_workspace(tmp_path / "ws", backend)
    for race in range(RACES):
        a = filled(root, tmp_path / f"a{race}", seed=100 + race, reps=2)
        b = filled(root, tmp_path / f"b{race}", seed=200 + race, reps=2)
        done = run_together(root, ["targets", "collect", str(a[0].parent)],
                            ["targets", "collect", str(b[0].parent)])
        assert all(d.returncode in (0, 1) for d in done), [d.stderr for d in done]
        counts = current_per_rep(root)
        assert counts and set(counts.values()) == {1}, counts  # one current submission per rep and round
    stored = query(root, "SELECT count(*) FROM submissions")[0][0]
    assert stored == RACES * 2 * 2  # every file was a new content: all kept, one current each
    assert submissions_without_event(root) == set()


def test_the_same_file_collected_twice_at_once_is_unchanged_once(backend, tmp_path):
    root = make_workspace(tmp_path / "ws", backend)
    folder = tmp_path / "inbox"
    filled(root, folder, seed=7, reps=3)
    done = run_together(root, ["targets", "collect", str(folder), "--json"],
                        ["targets", "collect", str(folder), "--json"])
    outcomes = []
    for d in done:
        assert d.returncode == 0, d.stderr
        outcomes += [f["outcome"] for f in json.loads(d.stdout)["files"]]
    assert sorted(outcomes) == ["stored"] * 3 + ["unchanged"] * 3
    assert set(current_per_rep(root).values()) == {1} and len(current_per_rep(root)) == 3
    assert query(root, "SELECT count(*) FROM submissions")[0][0] == 3
    assert submissions_without_event(root) == set()
    assert len(query(root, "SELECT id FROM events WHERE kind = 'targets.collect'")) == 2


def _collected(root: Path, tmp_path: Path) -> None:
    folder = tmp_path / "inbox-all"
    filled(root, folder, seed=11)
    subprocess.run([sys.executable, "-m", "kamplan.cli.main", "-w", str(root), "targets", "collect", str(folder)],
                   check=True, capture_output=True, timeout=RACE_SECONDS)


def test_two_agrees_at_once_agree_once_with_one_whole_export(backend, tmp_path):
    root = make_workspace(tmp_path / "ws", backend)
    _collected(root, tmp_path)
    subprocess.run([sys.executable, "-m", "kamplan.cli.main", "-w", str(root), "targets", "consolidate"],
                   check=True, capture_output=True, timeout=RACE_SECONDS)
    for race in range(RACES):
        if race:
            subprocess.run([sys.executable, "-m", "kamplan.cli.main", "-w", str(root), "targets", "reopen",
                            "--reason", f"race {race}"], check=True, capture_output=True, timeout=RACE_SECONDS)
        done = run_together(root, ["targets", "agree"], ["targets", "agree"])
        assert all(d.returncode in (0, 2) for d in done), [d.stderr for d in done]
        assert any(d.returncode == 0 and "agreed" in d.stdout for d in done)
        for d in done:
            if d.returncode:  # a loser says why in a sentence
                assert "error:" in d.stderr and "agreed" in d.stderr, d.stderr
        actions = query(root, "SELECT action FROM plan_agreements ORDER BY id")
        assert [a for (a,) in actions].count("agreed") == race + 1  # exactly one agreement per race
    (vid,) = query(root, "SELECT version_id FROM plan_agreements ORDER BY id DESC LIMIT 1")[0]
    export = root / "reports" / f"agreed-2027-v{vid}"
    assert (export / "management_2027.xlsx").is_file() and len(list(export.glob("*_targets.xlsx"))) == 8
    assert not list((root / "reports").glob(".kamplan-*"))  # no temporary folder left
    versions = query(root, "SELECT id, kind FROM plan_versions ORDER BY id")
    assert [k for _, k in versions].count("bottom-up") == 1  # the submissions never changed


def test_two_spreads_at_once_never_lose_an_instruction(backend, tmp_path):
    root = make_workspace(tmp_path / "ws", backend)
    _collected(root, tmp_path)
    subprocess.run([sys.executable, "-m", "kamplan.cli.main", "-w", str(root), "targets", "consolidate"],
                   check=True, capture_output=True, timeout=RACE_SECONDS)
    refused = 0
    for race in range(RACES):
        done = run_together(root, ["targets", "spread", f"{250 + race}000000"],
                            ["targets", "spread", f"{260 + race}000000"])
        assert all(d.returncode in (0, 2) for d in done), [d.stderr for d in done]
        assert any(d.returncode == 0 for d in done)
        for d in done:
            if d.returncode:
                refused += 1
                assert "since you read version" in d.stderr and "rerun" in d.stderr, d.stderr
    rows = query(root, "SELECT id, parent_id, kind FROM plan_versions ORDER BY id")
    # Every version builds on the one before it: no spread silently replaced another's figure.
    assert all(parent == prev for (_, parent, _), (prev, _, _) in zip(rows[1:], rows[:-1])), rows
    assert len([r for r in rows if r[2] == "top-down"]) == 2 * RACES - refused


def test_consolidate_during_collect_makes_no_duplicate_version(backend, tmp_path):
    root = make_workspace(tmp_path / "ws", backend)
    folder = tmp_path / "inbox"
    filled(root, folder, seed=3)
    done = run_together(root, ["targets", "collect", str(folder)], ["targets", "consolidate"],
                        ["targets", "consolidate"])
    assert done[0].returncode == 0 and all(d.returncode in (0, 2) for d in done[1:]), [d.stderr for d in done]
    summaries = [json.loads(s)["submissions"] for (s,) in
                 query(root, "SELECT summary FROM plan_versions WHERE kind = 'bottom-up' ORDER BY id")]
    assert all(a != b for a, b in zip(summaries, summaries[1:])), summaries  # no two identical in a row
    assert set(current_per_rep(root).values()) == {1}


def test_a_collect_killed_half_way_keeps_every_stored_file_with_its_audit_event(backend, tmp_path):
    root = make_workspace(tmp_path / "ws", backend)
    folder = tmp_path / "inbox"
    filled(root, folder, seed=9)
    rng = np.random.default_rng(1)
    for attempt in range(RACES):
        proc = subprocess.Popen([sys.executable, "-m", "kamplan.cli.main", "-w", str(root), "targets", "collect",
                                 str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + RACE_SECONDS
        # kill -9 once the first files are stored (or at a random moment while it still runs)
        while proc.poll() is None and time.time() < deadline:
            if query(root, "SELECT count(*) FROM submissions")[0][0] > attempt or rng.random() < 0.02:
                break
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=RACE_SECONDS)
        assert submissions_without_event(root) == set()
        assert set(current_per_rep(root).values()) <= {1}
    rerun = subprocess.run([sys.executable, "-m", "kamplan.cli.main", "-w", str(root), "targets", "collect",
                            str(folder), "--json"], capture_output=True, text=True, timeout=RACE_SECONDS)
    assert rerun.returncode == 0, rerun.stderr
    assert len(current_per_rep(root)) == 8 and query(root, "SELECT count(*) FROM submissions")[0][0] == 8
    assert submissions_without_event(root) == set()


def _agreed_version(root: Path) -> int | None:
    rows = query(root, "SELECT action, version_id FROM plan_agreements ORDER BY id DESC LIMIT 1")
    return rows[0][1] if rows and rows[0][0] == "agreed" else None


def test_an_agree_killed_at_any_moment_is_agreed_with_its_whole_export_or_not_at_all(backend, tmp_path):
    root = make_workspace(tmp_path / "ws", backend)
    _collected(root, tmp_path)
    subprocess.run([sys.executable, "-m", "kamplan.cli.main", "-w", str(root), "targets", "consolidate"],
                   check=True, capture_output=True, timeout=RACE_SECONDS)
    reports = root / "reports"
    for delay in (1.0, 2.0, 3.0, 4.5):  # bounded: from while it imports to while it writes the workbooks
        proc = subprocess.Popen([sys.executable, "-m", "kamplan.cli.main", "-w", str(root), "targets", "agree"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=RACE_SECONDS)
        vid = _agreed_version(root)
        folders = list(reports.glob("agreed-*"))
        if vid is None:
            assert folders == [], folders  # never an export without its agreement
        else:  # never an agreement without its whole export
            export = reports / f"agreed-2027-v{vid}"
            assert (export / "management_2027.xlsx").is_file() and len(list(export.glob("*_targets.xlsx"))) == 8
            subprocess.run([sys.executable, "-m", "kamplan.cli.main", "-w", str(root), "targets", "reopen",
                            "--reason", "kill test"], check=True, capture_output=True, timeout=RACE_SECONDS)
            for f in folders:
                shutil.rmtree(f)
    rerun = subprocess.run([sys.executable, "-m", "kamplan.cli.main", "-w", str(root), "targets", "agree"],
                           capture_output=True, text=True, timeout=RACE_SECONDS)
    assert rerun.returncode == 0, rerun.stderr
    vid = _agreed_version(root)
    export = reports / f"agreed-2027-v{vid}"
    assert (export / "management_2027.xlsx").is_file() and len(list(export.glob("*_targets.xlsx"))) == 8
    assert not list(reports.glob(".kamplan-*"))  # the rerun removed what the kills left
