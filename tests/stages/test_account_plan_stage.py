"""Account plans kept current (issue 15): issue pre-filled, collect every version with what changed, never
delete, refuse foreign workbooks, take an older resent file back, forget a contact's personal data."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil

import openpyxl
import pytest
import sqlalchemy as sa

from kamplan.stages.account_plan import collect_plans, forget_contact, issue_plans, plan_inbox, plan_status
from kamplan.store import schema as s
from kamplan.store.db import Store
from kamplan.workbooks.account_plan.content import AccountPlanContent, new_identity
from kamplan.workbooks.account_plan.reader import read_account_plan_workbook
from kamplan.workbooks.account_plan.writer import write_account_plan_workbook
from kamplan.workbooks.kit.identity import IDENTITY_SHEET
from support.account_plan import fill, plan_workspace

NOTE = "PERSONAL-7f3a daughter at Fudan"
YEAR = 2026


@pytest.fixture
def ws(tmp_path):
    with plan_workspace(tmp_path / "ws") as w:
        yield w


def _first_plan(ws, tmp_path, rep="r2"):
    issued = issue_plans(ws, reps=[rep]).written[0]
    inbox = plan_inbox(ws)
    inbox.mkdir(parents=True, exist_ok=True)
    return issued, fill(issued, inbox / issued.name, {
        "contacts": {(0, "account"): "A1 Acme", (0, "name"): "Wang Fang", (0, "role"): "Decision maker",
                     (0, "influence"): 5, (0, "owner"): "tech1", (0, "personal_note"): NOTE,
                     (1, "account"): "A2", (1, "name"): "Li Lei", (1, "attitude"): "Opponent"},
        "business": {(0, "usage_P1"): 1200, (1, "usage_P2"): 80.5, (1, "markets"): "Asia"},
        "projects": {(0, "account"): "A1", (0, "project"): "New line", (0, "value"): 250000,
                     (0, "decision_maker"): "Wang Fang"},
        "visits": {(0, "account"): "A1", (0, "date"): dt.date(2026, 11, 3), (0, "met"): "Wang Fang",
                   (0, "complaints_raised"): 2, (0, "satisfaction"): 4}})


def _touch(path, seconds_from_now):
    t = dt.datetime.now().timestamp() + seconds_from_now
    os.utime(path, (t, t))


def test_issue_gives_every_owner_and_team_member_their_accounts_and_records_each_workbook(ws):
    res = issue_plans(ws)
    assert sorted(p.name for p in res.written) == [f"r{i}_account_plan_{YEAR}.xlsx" for i in range(1, 5)]
    carried = {}
    for p in res.written:
        got, problems = read_account_plan_workbook(p, YEAR)
        assert problems == []
        carried[got.identity.rep_id] = sorted(got.business)
        rec = ws.store.issued(got.identity.workbook_id)
        assert (rec["kind"], rec["rep_id"], rec["year"], rec["round"]) == ("kamplan.account_plan",
                                                                           got.identity.rep_id, YEAR, 0)
    assert carried == {"r1": ["A1"], "r2": ["A1", "A2"], "r3": ["A2", "A3"], "r4": ["A1"]}
    again = issue_plans(ws)
    assert again.written == [] and len(again.kept) == 4


def test_plans_written_on_two_cores_are_the_plans_written_one_by_one(ws, tmp_path):
    from kamplan.stages.account_plan import _write_plans, carried, plan_content
    stamp = dt.datetime(2026, 11, 1, 8)
    by_rep = carried(ws)
    jobs = {mode: [(tmp_path / mode / f"{rep}.xlsx", plan_content(ws, rep, by_rep[rep], stamp)) for rep in sorted(by_rep)]
            for mode in ("serial", "parallel")}
    (tmp_path / "serial").mkdir(), (tmp_path / "parallel").mkdir()
    serial, parallel = _write_plans(jobs["serial"], workers=1), _write_plans(jobs["parallel"], workers=2)
    assert [p.name for p in serial] == [p.name for p in parallel] == [f"{r}.xlsx" for r in sorted(by_rep)]
    for a, b in zip(serial, parallel):
        got_a, got_b = read_account_plan_workbook(a, YEAR), read_account_plan_workbook(b, YEAR)
        assert got_a[1] == got_b[1] == []
        # each content has its own workbook id; everything else is the same
        same_id = dataclasses.replace(got_b[0].identity, workbook_id=got_a[0].identity.workbook_id)
        assert (got_a[0].rows, got_a[0].business, got_a[0].identity) == (got_b[0].rows, got_b[0].business, same_id)


def test_every_version_is_kept_with_what_changed_and_nothing_is_deleted(ws, tmp_path):
    issued, filled = _first_plan(ws, tmp_path)
    first = collect_plans(ws)
    [f] = first.files
    assert (f.outcome, f.rep_id, f.added) == ("stored", "r2", 6), f.problems  # 2 contacts, project, visit, A1, A2
    assert collect_plans(ws).files[0].outcome == "unchanged"  # idempotent
    v1 = ws.store.account_plan_rows(YEAR, rep_id="r2", include_removed=True)
    assert sorted(v1["sheet"]) == ["business", "business", "contacts", "contacts", "projects", "visits"]
    # pre-filled from version 1: the new workbook shows exactly what was stored
    second = issue_plans(ws, reps=["r2"], force=True).written[0]
    got, problems = read_account_plan_workbook(second, YEAR)
    assert problems == [] and got.identity.based_on == f.version_id
    assert {r["name"]: r["personal_note"] for r in got.rows["contacts"]} == {"Wang Fang": NOTE, "Li Lei": None}
    assert got.business["A2"]["usage_P2"] == 80.5 and got.business["A2"]["markets"] == "Asia"
    # edit one field, clear one contact (and the link to it), collect
    ct = {r["name"]: i for i, r in enumerate(got.rows["contacts"])}
    edited = fill(second, plan_inbox(ws) / second.name, {"contacts": {
        (ct["Wang Fang"], "influence"): 4, **{(ct["Li Lei"], k): None for k in
                                             ("account", "name", "attitude")}}})
    _touch(edited, 5)
    res = collect_plans(ws, [edited])
    [g] = res.files
    assert (g.outcome, g.added, g.changed, g.removed) == ("stored", 0, 1, 1), g.problems
    assert any(p.code == "row-removed" for p in g.problems)
    changes = ws.store.account_plan_changes(g.version_id)
    assert [(c.change, c.field, c.old, c.new) for c in changes.itertuples() if c.change == "changed"] == \
        [("changed", "influence", 5, 4)]
    removed = changes[changes["change"] == "removed"]
    assert set(removed["field"]) == {"account", "attitude", "name"} and set(removed["old"]) == {"A2", "opponent",
                                                                                                "Li Lei"}
    now = ws.store.account_plan_rows(YEAR, "contacts", rep_id="r2", include_removed=True)
    assert sorted(zip(now["name"], now["removed"])) == [("Li Lei", True), ("Wang Fang", False)]
    assert list(ws.store.account_plan_rows(YEAR, "contacts", rep_id="r2")["name"]) == ["Wang Fang"]
    old = ws.store.account_plan_rows(None, "contacts", version_id=f.version_id)
    assert sorted(old["name"]) == ["Li Lei", "Wang Fang"]  # version 1 is still whole
    with ws.store.reading() as conn:
        n_events = conn.execute(sa.select(sa.func.count()).select_from(s.events).where(
            s.events.c.kind == "account-plan.collected")).scalar()
    assert n_events == 2
    status = plan_status(ws).set_index("rep_id")
    assert status.loc["r2", "version"] == g.version_id and status.loc["r2", "versions"] == 2
    assert status.loc["r1", "versions"] == 0


def test_an_older_file_sent_again_is_current_again_with_a_warning_and_a_stale_copy_changes_nothing(ws, tmp_path):
    issued, filled = _first_plan(ws, tmp_path)
    kept = tmp_path / "v1.xlsx"
    shutil.copy2(filled, kept)
    v1 = collect_plans(ws).files[0].version_id
    newer = fill(filled, tmp_path / "newer.xlsx", {"contacts": {(0, "influence"): 2}})
    _touch(newer, 5)
    v2 = collect_plans(ws, [newer]).files[0].version_id
    stale = collect_plans(ws, [kept])  # saved before version 2 was collected: lying in a folder
    assert stale.files[0].outcome == "unchanged"
    _touch(kept, 60)
    back = collect_plans(ws, [kept]).files[0]
    assert back.outcome == "stored" and [p.code for p in back.problems] == ["resent-older"]
    assert back.version_id > v2
    assert ws.store.account_plan_versions(YEAR, "r2").iloc[-1]["reinstates"] == v1
    rows = ws.store.account_plan_rows(YEAR, "contacts", rep_id="r2")
    assert rows.set_index("name").loc["Wang Fang", "influence"] == 5


def test_foreign_and_tampered_workbooks_are_refused_and_one_bad_file_never_stops_the_others(ws, tmp_path):
    issued, filled = _first_plan(ws, tmp_path)
    # a plan written by another workspace: same layout, never issued here
    from support.account_plan import sample_content
    other = sample_content("en")
    other.identity = new_identity(YEAR, "r2", None)
    other.accounts, other.people = [("A1", "Acme"), ("A2", "Bolt")], [("r2", "Rep 2")]
    foreign = write_account_plan_workbook(plan_inbox(ws) / "foreign.xlsx", AccountPlanContent(
        **{**other.__dict__, "rows": {}, "business": {}}))
    # a plan whose hidden identity was changed to another salesperson
    tampered = plan_inbox(ws) / "tampered.xlsx"
    wb = openpyxl.load_workbook(filled)
    ident = wb[IDENTITY_SHEET]
    for row in ident.iter_rows():
        if row[0].value == "rep_id":
            row[1].value = "r1"
    wb.save(tampered)
    (plan_inbox(ws) / "notes.xlsx").write_bytes(b"this is not a workbook")
    res = collect_plans(ws)
    by_name = {f.path.name: f for f in res.files}
    assert by_name[filled.name].outcome == "stored"
    assert [p.code for p in by_name["foreign.xlsx"].problems] == ["not-issued"]
    assert [p.code for p in by_name["tampered.xlsx"].problems] == ["other-rep"]
    assert by_name["notes.xlsx"].outcome == "rejected"
    assert len(ws.store.account_plan_versions(YEAR)) == 1
    assert (ws.inbox / "feedback").is_dir()  # the rejected files' letters


def test_forget_contact_erases_the_note_everywhere_logs_who_and_why_and_an_old_copy_cannot_bring_it_back(ws, tmp_path):
    issued, filled = _first_plan(ws, tmp_path)
    collect_plans(ws)
    filled = shutil.copy2(filled, tmp_path / "old_copy.xlsx")
    second = issue_plans(ws, reps=["r2"], force=True).written[0]
    edited = fill(second, plan_inbox(ws) / second.name, {"contacts": {(0, "title"): "Director"}})
    _touch(edited, 5)
    collect_plans(ws, [edited])
    assert NOTE in set(ws.store.account_plan_rows(None, "contacts", version_id=1, personal=True)["personal_note"])
    res = forget_contact(ws, "A1", "wang fang", reason="asked by phone on 2026-12-01", by="vp")
    assert (res.versions, res.changes) == (2, 1) and res.problems == []
    with ws.store.reading() as conn:
        notes = conn.execute(sa.select(s.account_plan_rows.c.personal_note)).scalars().all()
        changed = conn.execute(sa.select(s.account_plan_changes.c.old, s.account_plan_changes.c.new)).all()
        events = conn.execute(sa.select(s.events.c.detail)).scalars().all()
    assert all(n is None for n in notes)
    assert not any(NOTE in str(c) for c in changed) and not any(NOTE in e for e in events)
    log = ws.store.forgotten_plan_contacts()
    assert list(zip(log["account_id"], log["by"], log["reason"])) == [("A1", "vp", "asked by phone on 2026-12-01")]
    assert not any(NOTE in str(v) for v in log.to_dict("records"))
    # the salesperson's old copy still holds the note: collecting it again does not store it again
    _touch(filled, 60)
    back = collect_plans(ws, [filled]).files[0]
    assert back.outcome == "stored"
    current = ws.store.account_plan_rows(YEAR, "contacts", rep_id="r2", personal=True)
    assert current.set_index("name").loc["Wang Fang", "personal_note"] is None
    assert [p.code for p in forget_contact(ws, "A1", "Nobody").problems] == ["no-such-contact"]


def test_a_version_9_store_gains_the_account_plan_tables(tmp_path):
    path = tmp_path / "old.db"
    Store.open(path).close()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for t in reversed(s.ACCOUNT_PLAN_TABLES):
            t.drop(conn)
        conn.execute(s.meta.update().where(s.meta.c.key == "schema_version").values(value="9"))
    engine.dispose()
    with Store.open(path) as store:
        assert store.schema_version() == s.schema_version()  # later migrations ran too
        assert store.account_plan_versions(YEAR).empty
    tables = set(sa.inspect(sa.create_engine(f"sqlite:///{path}")).get_table_names())
    assert {t.name for t in s.ACCOUNT_PLAN_TABLES} <= tables
