"""The account-plan part of the store on SQLite and PostgreSQL: versions whole, changes old -> new, removed rows
kept, personal data apart and forgotten for good."""
from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from kamplan.store.account_plan import plan_row
from kamplan.store.db import Store
from support.postgres import fresh_database

AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    with contextlib.ExitStack() as stack:
        target = tmp_path / "k.db" if request.param == "sqlite" else stack.enter_context(fresh_database("kamplan_ap"))
        yield stack.enter_context(Store.open(target))


def _version(store, rows, digest, at=AT):
    return store.record_account_plan(2027, "r1", rows, workbook_id="w1", file_name="r1.xlsx", content_hash=digest,
                                     based_on=None, by="vp", collected_at=at, accounts={"A1"})


def test_versions_changes_removed_rows_and_forgetting(store):
    c1 = plan_row("contacts", "c1", "A1", {"account": "A1", "name": "Wang", "influence": 5,
                                           "last_contact": dt.date(2026, 11, 3), "personal_note": "golf"})
    c2 = plan_row("contacts", "c2", "A1", {"account": "A1", "name": "Li", "influence": 2})
    first = _version(store, [c1, c2], "h1")
    assert (first.outcome, first.added) == ("stored", 2)
    assert _version(store, [c1, c2], "h1").outcome == "unchanged"
    c1b = plan_row("contacts", "c1", "A1", {**c1["fields"], "influence": 4, "personal_note": "golf, tennis"})
    second = _version(store, [c1b], "h2", AT + dt.timedelta(hours=1))
    assert (second.outcome, second.changed, second.removed) == ("stored", 1, 1)
    changes = store.account_plan_changes(second.version_id, personal=True)
    assert sorted((c.change, c.field, c.old, c.new, c.personal) for c in changes.itertuples()) == [
        ("changed", "influence", 5, 4, False), ("changed", "personal_note", "golf", "golf, tennis", True),
        ("removed", "account", "A1", None, False), ("removed", "influence", 2, None, False),
        ("removed", "name", "Li", None, False)]
    assert "personal_note" not in set(store.account_plan_changes(second.version_id)["field"])
    rows = store.account_plan_rows(2027, "contacts", include_removed=True, personal=True).set_index("row_id")
    assert rows.loc["c2", "removed"] and rows.loc["c1", "last_contact"] == "2026-11-03"
    assert rows.loc["c1", "personal_note"] == "golf, tennis"
    assert "personal_note" not in store.account_plan_rows(2027, "contacts").columns
    assert store.find_plan_contacts("A1", "WANG") == ["c1"]
    assert store.forget_plan_contact("A1", ["c1"], reason="asked", by="vp") == (2, 2)  # added in 1, changed in 2
    everything = [store.account_plan_rows(None, version_id=v, personal=True, include_removed=True)
                  for v in (first.version_id, second.version_id)]
    assert all(f.loc[f["row_id"] == "c1", "personal_note"].isna().all() for f in everything)
    assert store.account_plan_changes(second.version_id, personal=True).query("personal")[["old", "new"]] \
        .isna().all().all()
    # the old content sent again: current again, and the forgotten note stays forgotten
    again = _version(store, [c1, c2], "h1", AT + dt.timedelta(hours=2))
    assert (again.outcome, again.same_as, again.added) == ("reinstated", first.version_id, 1)
    now = store.account_plan_rows(2027, "contacts", personal=True).set_index("row_id")
    assert now.loc["c1", "personal_note"] is None and now.loc["c1", "influence"] == 5
    versions = store.account_plan_versions(2027, "r1")
    assert list(versions["current"]) == [False, False, True] and list(versions["reinstates"].fillna(0)) == [0, 0, 1]
