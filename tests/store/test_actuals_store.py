"""The store's actuals and activity-log tables: replace per quarter, keep the old, read by fiscal year."""
from __future__ import annotations

import datetime as dt
import os
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from kamplan.engine.actuals import complaint_status, lines_to_history
from kamplan.periods import fiscal_year_quarter
from kamplan.model import ACTIVITY_COLUMNS, HISTORY_COLUMNS
from kamplan.store import Store, StoreError
from kamplan.store import schema as store_schema


POSTGRES = os.environ.get("KAMPLAN_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """The same tests on a SQLite file and, when KAMPLAN_TEST_POSTGRES_URL is set, on PostgreSQL."""
    if request.param == "sqlite":
        with Store.open(tmp_path / "plan.db") as st:
            yield st
        return
    if not POSTGRES:
        if os.environ.get("CI") in ("true", "1"):
            pytest.fail("KAMPLAN_TEST_POSTGRES_URL is not set: .ci/run should have started PostgreSQL")
        pytest.skip("set KAMPLAN_TEST_POSTGRES_URL to run the store tests on PostgreSQL too")
    name = f"kamplan_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        with Store.open(sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)) as st:
            yield st
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _activities(rows):
    return pd.DataFrame([dict(zip(ACTIVITY_COLUMNS, r)) for r in rows], columns=ACTIVITY_COLUMNS)


def _history(rows):
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def test_fiscal_quarters_follow_the_first_month():
    dates = ["2026-01-15", "2026-03-31", "2026-04-01", "2026-12-31", "2027-02-01"]
    year, quarter = fiscal_year_quarter(dates, 1)
    assert year.tolist() == [2026, 2026, 2026, 2026, 2027] and quarter.tolist() == [1, 1, 2, 4, 1]
    year, quarter = fiscal_year_quarter(dates, 4)
    assert year.tolist() == [2025, 2025, 2026, 2026, 2026] and quarter.tolist() == [4, 4, 1, 3, 4]
    with pytest.raises(ValueError):
        fiscal_year_quarter(["2026-01-01", None], 1)


def test_lines_sum_to_history_with_cost_or_standard_margin():
    lines = pd.DataFrame({"year": [2026] * 4, "quarter": [1, 1, 1, 2], "account_id": ["A", "A", "B", "A"],
                          "product_id": ["P", "P", "P", "P"], "volume": [2.0, 3.0, 0.0, 1.0],
                          "revenue": [200.0, 330.0, 50.0, 100.0], "cost": [150.0, float("nan"), 40.0, 90.0]})
    h = lines_to_history(lines, {"P": 0.2})
    assert list(h.columns) == HISTORY_COLUMNS
    a1 = h[(h.account_id == "A") & (h.quarter == 1)].iloc[0]
    assert a1.volume == 5.0 and a1.revenue == 530.0 and a1.price == pytest.approx(106.0)
    assert a1.gross_margin == pytest.approx(50.0 + 330.0 * 0.2)
    b1 = h[h.account_id == "B"].iloc[0]
    assert b1.gross_margin == pytest.approx(10.0) and pd.isna(b1.price)  # no volume: no price


def test_replace_actuals_keeps_old_import_and_records_the_report(store):
    report = dict(n_files=1, lines_in=10, lines_matched=8, lines_unmatched=2, volume_in=12.0, revenue_in=1300.0,
                  volume_unmatched=2.0, revenue_unmatched=300.0, detail={"files": [{"file": "q1.csv"}]})
    first = _history([[2026, 1, "A", "P", 10.0, 100.0, 1000.0, 200.0, 0.0, 0.0],
                      [2026, 2, "A", "P", 5.0, 100.0, 500.0, 100.0, 0.0, 0.0]])
    aid, n = store.replace_actuals(first, "q1.csv", report)
    assert n == 2
    second = _history([[2026, 2, "A", "P", 7.0, 100.0, 700.0, 100.0, 0.0, 0.0]])
    aid2, _ = store.replace_actuals(second, "q2-again.csv", {**report, "detail": {}})
    h = store.history(years=[2026])
    assert h[["quarter", "volume"]].values.tolist() == [[1, 10.0], [2, 7.0]]
    imports = store.actuals_imports()
    assert imports["id"].tolist() == [aid, aid2]
    row = imports.iloc[0]
    assert (row.lines_in, row.lines_unmatched, row.volume_stored, row.revenue_stored) == (10, 2, 15.0, 1500.0)
    assert row.periods == [(2026, 1), (2026, 2)] and row.detail == {"files": [{"file": "q1.csv"}]}
    assert len(store.history_imports()) == 2  # the replaced quarter's rows stay under their import
    with store.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(store_schema.history_rows)).scalar() == 3


def test_replace_actuals_refuses_an_incomplete_report_and_stores_nothing(store):
    frame = _history([[2026, 1, "A", "P", 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]])
    with pytest.raises(StoreError, match="lines_in"):
        store.replace_actuals(frame, "x.csv", {"n_files": 1})
    assert len(store.history()) == 0 and len(store.history_imports()) == 0


def test_activities_replace_their_fiscal_quarters_and_keep_the_old(store):
    log = _activities([
        (dt.date(2026, 3, 30), "A", "rep_visit", "S1", 1.0, None, "first", None),
        (dt.date(2026, 4, 2), "A", "complaint", "S1", 1.0, "open", "late delivery", "C-1"),
        (dt.date(2026, 5, 2), "B", "training", "T1", 12.0, None, None, None),
    ])
    assert store.replace_activities(log, "log1.xlsx", first_month=4) == 3
    got = store.activities()
    assert list(got.columns) == ACTIVITY_COLUMNS + ["year", "quarter"]
    assert got[["year", "quarter"]].values.tolist() == [[2025, 4], [2026, 1], [2026, 1]]
    assert got["date"].tolist()[0] == dt.date(2026, 3, 30)
    again = _activities([(dt.date(2026, 6, 1), "A", "complaint", "S1", 1.0, "resolved", None, "C-1")])
    store.replace_activities(again, "log2.xlsx", first_month=4)
    got = store.activities(years=[2026])
    assert got["date"].tolist() == [dt.date(2026, 6, 1)]  # 2026 Q1 replaced by the second import
    assert store.activities(years=[2025])["note"].tolist() == ["first"]  # 2025 Q4 untouched
    assert store.activity_imports()["n_rows"].tolist() == [3, 1]
    with store.reading() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(store_schema.activity_rows)).scalar() == 4


def test_activities_with_a_bad_value_store_nothing(store):
    log = _activities([(dt.date(2026, 1, 1), "A", "rep_visit", "S1", "many", None, None, None)])
    with pytest.raises(StoreError, match="quantity"):
        store.replace_activities(log, "bad.csv")
    assert len(store.activities()) == 0 and len(store.activity_imports()) == 0


def test_complaints_are_identified_by_account_and_ref():
    log = _activities([
        (dt.date(2026, 1, 5), "A", "complaint", "S1", 1.0, "open", None, "C-1"),
        (dt.date(2026, 2, 5), "A", "complaint", "S1", 1.0, "resolved", None, "C-1"),
        (dt.date(2026, 2, 10), "B", "complaint", "S2", 1.0, "open", None, "C-1"),
        (dt.date(2026, 3, 1), "B", "complaint", "S2", 1.0, "open", None, None),
        (dt.date(2026, 3, 2), "B", "rep_visit", "S2", 1.0, None, None, None),
    ])
    st = complaint_status(log, as_of=dt.date(2026, 3, 31))
    assert st[["account_id", "ref", "status"]].values.tolist() == [
        ["A", "C-1", "resolved"], ["B", None, "open"], ["B", "C-1", "open"]]
    assert st["days_open"].tolist()[1:] == [30.0, 49.0]
    before = complaint_status(log, as_of=dt.date(2026, 1, 31))
    assert before["status"].tolist() == ["open"]  # not yet resolved then


def test_an_old_file_gets_the_actuals_tables_by_migration(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with Store.open(path):
        pass
    with sa.create_engine(f"sqlite:///{path}").begin() as con:
        for t in store_schema.ACTUALS_TABLES[::-1]:
            con.exec_driver_sql(f"DROP TABLE {t.name}")
        # the version before the actuals migration (later migrations create their tables only if missing)
        name = "add_" + "_".join(t.name for t in store_schema.ACTUALS_TABLES)
        before = 1 + next(i for i, m in enumerate(store_schema.MIGRATIONS) if m.__name__ == name)
        con.exec_driver_sql(f"UPDATE meta SET value = '{before}' WHERE key = 'schema_version'")
    with Store.open(path) as st:
        assert st.schema_version() == store_schema.schema_version()
        assert len(st.activities()) == 0 and len(st.actuals_imports()) == 0
