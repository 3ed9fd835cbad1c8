"""What the store guarantees a team and a VP under mistakes: one current submission per salesperson and
round (the database enforces it), versions that state their base, a resent older file current again,
an agreement never without its export, no store silently re-created, one company per store.

Each test runs on the SQLite file and, with KAMPLAN_TEST_POSTGRES_URL, on PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.config import config_from_dict
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages import plan
from kamplan.stages.targets import collect_targets, issue_targets
from kamplan.store import BaseMovedError, Store, StoreError
from kamplan.store import schema as s
from kamplan.workspace import Workspace
from support.postgres import fresh_database

T0 = dt.datetime(2026, 12, 15, 10)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """None: the workspace's own kamplan.db; else the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    with fresh_database("kamplan_team") as url:
        yield url


def workspace(root: Path, url: str | None, company: str | None = None) -> Workspace:
    data = demo_config_dict(language="en")
    if company:
        data["company"]["name"] = {"en": company, "zh-CN": company}
    root.mkdir(parents=True)
    if url:
        (root / "workspace.yaml").write_text(yaml.safe_dump({"store_url": url}), encoding="utf-8")
    ws = Workspace.init(root, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    ws.store.replace_history(demo_history(config_from_dict(data)), source="test")
    return ws


def issued_round(ws: Workspace) -> list[Path]:
    return sorted(issue_targets(ws, round_no=1, now=dt.datetime(2026, 12, 1, 10)).written)


def fill(src: Path, dest: Path, seed: int) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fill_target_workbook(src, dest, np.random.default_rng(seed))
    return dest


def test_the_database_refuses_a_second_current_submission(store_url, tmp_path):
    with workspace(tmp_path / "ws", store_url) as ws:
        files = issued_round(ws)
        collect_targets(ws, [fill(files[0], tmp_path / "a" / files[0].name, 1)], now=T0)
        collect_targets(ws, [fill(files[0], tmp_path / "b" / files[0].name, 2)], now=T0 + dt.timedelta(hours=1))
        t = s.submissions
        with pytest.raises(sa.exc.IntegrityError):  # what two unlocked collects did before: both current
            with ws.store.writing() as conn:
                conn.execute(t.update().values(superseded_by=None, superseded_at=None))


def test_an_older_store_with_two_current_submissions_is_repaired_on_upgrade(tmp_path):
    with workspace(tmp_path / "ws", None) as ws:
        files = issued_round(ws)
        collect_targets(ws, [fill(files[0], tmp_path / "a" / files[0].name, 1)], now=T0)
        collect_targets(ws, [fill(files[0], tmp_path / "b" / files[0].name, 2)], now=T0 + dt.timedelta(hours=1))
        with ws.store.writing() as conn:  # back to schema 7, as a race on PostgreSQL left it
            conn.exec_driver_sql("DROP INDEX uq_submission_current")
            conn.execute(s.submissions.update().values(superseded_by=None, superseded_at=None))
            conn.execute(s.meta.update().where(s.meta.c.key == "schema_version").values(value="7"))
    with Workspace.open(tmp_path / "ws") as ws:
        subs = ws.store.submissions(2027, 1, include_superseded=True)
        assert subs["status"].tolist() == ["superseded", "current"]  # the newer one stays current
        assert ws.store.schema_version() == s.schema_version()


def test_a_version_built_on_a_moved_base_is_refused_with_who_and_when(store_url, tmp_path):
    with workspace(tmp_path / "ws", store_url) as ws:
        files = issued_round(ws)
        collect_targets(ws, [fill(f, tmp_path / "in" / f.name, i) for i, f in enumerate(files)], now=T0)
        base = plan.consolidate(ws, write_workbook=False).version_id
        _, lines = ws.store.plan_version(base)
        ws.store.record_plan_version(2027, "undo", lines, "anna", "another VP's change", parent_id=base)
        with pytest.raises(BaseMovedError, match=rf"version {base + 1} \(undo\) was stored by anna at "
                                                 rf"\d\d:\d\d:\d\d since you read version {base} — rerun"):
            ws.store.record_plan_version(2027, "top-down", lines, "bo", "my spread", parent_id=base)
        assert ws.store.plan_versions(2027)["id"].tolist() == [base, base + 1]  # nothing stored


def test_a_resent_older_file_is_current_again_and_status_says_which(store_url, tmp_path):
    with workspace(tmp_path / "ws", store_url) as ws:
        files = issued_round(ws)
        inbox = tmp_path / "inbox"
        v1 = fill(files[0], inbox / "v1" / files[0].name, 1)
        v2 = fill(files[0], inbox / "v2" / files[0].name, 2)
        os.utime(v1, (time.time() - 7200, time.time() - 7200))
        now = dt.datetime.now()
        collect_targets(ws, [v1], now=now - dt.timedelta(minutes=90))
        collect_targets(ws, [v2], now=now - dt.timedelta(minutes=30))
        hash2 = ws.store.submissions(2027, 1)["content_hash"].iloc[0]
        # the folder collected again as it is: the stale v1 copy changes nothing
        again = collect_targets(ws, [inbox], now=now)
        assert [f.outcome for f in again.files] == ["unchanged", "unchanged"]
        assert ws.store.submissions(2027, 1)["content_hash"].iloc[0] == hash2
        # the salesperson sends v1 again (saved now): it is current again, with a warning naming v2
        resent = tmp_path / "mail" / files[0].name
        resent.parent.mkdir()
        shutil.copy(v1, resent)
        out = collect_targets(ws, [resent], now=dt.datetime.now() + dt.timedelta(seconds=1))
        (f,) = out.files
        assert f.outcome == "stored" and [p.code for p in f.problems] == ["resent-older"]
        subs = ws.store.submissions(2027, 1, include_superseded=True).set_index("status")
        assert "replaces the newer submission" in f.problems[0].message
        assert str(subs.loc["superseded", "id"]) in f.problems[0].message
        hash1 = subs.loc["current", "content_hash"]
        assert hash1 != hash2
        rep = files[0].name.split("_")[0]
        shown = out.status.set_index("rep_id").loc[rep, "current_content"]
        assert f"#{hash1[:8]}" in shown  # targets status says which content is current
        assert len(ws.store.events("targets.reinstated")) == 1
        # resending it once more changes nothing
        assert [f.outcome for f in collect_targets(ws, [resent]).files] == ["unchanged"]


def _consolidated(ws: Workspace, tmp_path: Path) -> int:
    files = issued_round(ws)
    collect_targets(ws, [fill(f, tmp_path / "in" / f.name, i) for i, f in enumerate(files)], now=T0)
    return plan.consolidate(ws, write_workbook=False).version_id


def test_an_agree_interrupted_while_exporting_leaves_the_plan_open(store_url, tmp_path, monkeypatch):
    with workspace(tmp_path / "ws", store_url) as ws:
        vid = _consolidated(ws, tmp_path)

        def disk_full(*a, **k):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(plan, "write_management", disk_full)
        with pytest.raises(OSError):
            plan.agree_and_export(ws, by="vp")
        assert ws.store.agreement(2027) is None  # not locked without its export
        assert not list(ws.reports.glob("agreed-*")) and not list(ws.reports.glob(".kamplan-*"))
        monkeypatch.undo()
        out = plan.agree_and_export(ws, by="vp")
        assert out.version_id == vid and not out.already_agreed and ws.store.agreement(2027)["version_id"] == vid
        assert out.export.management.is_file() and len(out.export.rep_files) == 8
        assert len(ws.store.events("plan.export")) == 1
        # the export lost later: agreeing again writes it again
        shutil.rmtree(out.export.folder)
        again = plan.agree_and_export(ws, by="vp")
        assert again.already_agreed and again.export.management.is_file() and len(again.export.rep_files) == 8
        assert len(ws.store.agreements(2027)) == 1


def test_the_cli_agree_reexports_an_agreed_plan(tmp_path):
    with workspace(tmp_path / "ws", None) as ws:
        _consolidated(ws, tmp_path)
    runner = CliRunner()
    first = runner.invoke(cli, ["-w", str(tmp_path / "ws"), "targets", "agree"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["-w", str(tmp_path / "ws"), "targets", "agree"])
    assert second.exit_code == 0 and "already agreed; its export was written again" in second.output


@pytest.mark.parametrize("damage", ["deleted", "emptied"])
def test_a_deleted_or_empty_store_is_an_error_never_a_new_empty_plan(tmp_path, damage):
    workspace(tmp_path / "ws", None).close()
    db = tmp_path / "ws" / "kamplan.db"
    for extra in db.parent.glob("kamplan.db-*"):
        extra.unlink()
    if damage == "deleted":
        db.unlink()
    else:
        db.write_bytes(b"")
    with pytest.raises(StoreError, match=rf"{db}.*(missing|empty).*backup"):
        Workspace.open(tmp_path / "ws")
    assert (db.exists() and db.stat().st_size == 0) if damage == "emptied" else not db.exists()
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "ws"), "targets", "status"])
    assert res.exit_code == 2 and "kamplan.db" in res.output and "Traceback" not in res.output


def test_a_second_company_on_the_same_store_is_refused_and_changes_nothing(store_url, tmp_path):
    shared = store_url or f"sqlite:///{tmp_path / 'shared.db'}"
    with workspace(tmp_path / "a", shared, company="Alpha Chemicals") as a:
        accounts = a.store.master("accounts")
        changes = len(a.store.master_changes())
        assert a.store.company()["company"] == "Alpha Chemicals"
    with pytest.raises(StoreError, match="belongs to the company 'Alpha Chemicals'.*'Beta Plastics'"):
        workspace(tmp_path / "b", shared, company="Beta Plastics")
    with pytest.raises(StoreError, match="belongs to the company"):
        Workspace.open(tmp_path / "b", sync=False).store  # noqa: B018 -- reading is refused too
    with Workspace.open(tmp_path / "a") as a:  # A's master data untouched, none of it inactive
        assert a.store.master("accounts").equals(accounts) and len(a.store.master_changes()) == changes


def test_a_regional_managers_workspace_of_the_same_company_shares_the_store(store_url, tmp_path):
    shared = store_url or f"sqlite:///{tmp_path / 'shared.db'}"
    workspace(tmp_path / "vp", shared).close()
    (tmp_path / "east").mkdir()
    (tmp_path / "east" / "workspace.yaml").write_text(yaml.safe_dump({"store_url": shared}), encoding="utf-8")
    (tmp_path / "east" / "kamplan.yaml").write_text((tmp_path / "vp" / "kamplan.yaml").read_text("utf-8"), "utf-8")
    with Workspace.open(tmp_path / "east") as ws:
        assert len(ws.store.master("accounts")) == len(ws.config.accounts)


def test_store_open_without_create_refuses_a_missing_file(tmp_path):
    with pytest.raises(StoreError, match="is missing"):
        Store.open(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()
