"""Account teams in the store: synced from the config, changes logged, old files migrated."""
from __future__ import annotations

import contextlib
import math

import pandas as pd
import pytest
import sqlalchemy as sa

from kamplan.store import Store, StoreError
from kamplan.store import schema as store_schema

from support.postgres import fresh_database
from support.teams import team_config


@contextlib.contextmanager
def opened(backend: str, tmp_path):
    """A store on a SQLite file or (KAMPLAN_TEST_POSTGRES_URL set) a fresh PostgreSQL database."""
    if backend == "sqlite":
        with Store.open(tmp_path / "k.db") as st:
            yield st
        return
    with fresh_database("kamplan_teams") as url, Store.open(url) as st:
        yield st


BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])


@BACKENDS
def test_sync_stores_the_team_frame_and_logs_changes(tmp_path, backend):
    with opened(backend, tmp_path) as st:
        counts = st.sync_master_data(team_config())
        assert counts["account_team"]["added"] == 2
        team = st.account_team()
        assert list(team.columns) == ["account_id", "salesperson_id", "role", "product_id", "share"]
        assert team.values.tolist() == [["A1", "r2", "member", "", 0.3], ["A1", "r4", "overlay", "", 1.0],
                                        ["A2", "r3", "technical", "P2", 0.4]]
        again = st.sync_master_data(team_config())
        assert all(n == 0 for n in again["account_team"].values())
        changed = team_config({"A1": [{"salesperson": "r2", "share": 0.25}]})
        counts = st.sync_master_data(changed)
        assert counts["account_team"] == {"added": 0, "changed": 1, "reactivated": 0, "inactivated": 1}
        assert st.account_team().values.tolist() == [["A1", "r2", "member", "", 0.25]]
        log = st.master_changes("account_team")
        assert log["change"].tolist() == ["added", "added", "changed", "inactivated"]
        assert log["entity_id"].tolist() == ["A1", "A2", "A1", "A2"]
        assert log["data"].iloc[2]["team"] == [{"salesperson_id": "r2", "product_id": "", "role": "member",
                                                "share": 0.25}]


def test_an_old_file_gets_the_team_tables_by_migration(tmp_path):
    path = tmp_path / "old.db"
    with Store.open(path):
        pass
    with sa.create_engine(f"sqlite:///{path}").begin() as con:
        for t in store_schema.TEAM_TABLES[::-1]:
            con.exec_driver_sql(f"DROP TABLE {t.name}")
        con.exec_driver_sql("UPDATE meta SET value = '8' "  # the version before the team tables (8 -> 9)
                            "WHERE key = 'schema_version'")
    with Store.open(path) as st:
        assert st.schema_version() == store_schema.schema_version()
        assert len(st.account_team()) == 0
        st.sync_master_data(team_config())
        assert len(st.account_team()) == 3


def _history(rows):
    frame = pd.DataFrame(rows, columns=["year", "quarter", "account_id", "product_id", "volume", "revenue",
                                        "gross_margin"])
    frame["price"] = frame["revenue"] / frame["volume"]
    frame["cost_to_serve"], frame["visits"] = 0.0, 0.0
    return frame[["year", "quarter", "account_id", "product_id", "volume", "price", "revenue", "gross_margin",
                  "cost_to_serve", "visits"]]


REPORT = dict(n_files=1, lines_in=3, lines_matched=3, lines_unmatched=0, volume_in=6.0, revenue_in=600.3,
              volume_unmatched=0.0, revenue_unmatched=0.0)


@BACKENDS
def test_actuals_by_salesperson_keeps_the_erp_salesperson_and_adds_up_to_the_history(tmp_path, backend):
    with opened(backend, tmp_path) as st:
        st.sync_master_data(team_config())
        history = _history([(2026, 1, "A1", "P1", 5.0, 500.2, 100.0), (2026, 1, "A2", "P1", 1.0, 100.1, 10.0)])
        split = history[["year", "quarter", "account_id", "product_id"]].copy()
        split = pd.concat([split.iloc[[0]].assign(salesperson_id="r2", volume=2.0, revenue=200.1, gross_margin=40.0),
                           split.iloc[[0]].assign(salesperson_id=None, volume=3.0, revenue=300.1, gross_margin=60.0),
                           split.iloc[[1]].assign(salesperson_id=None, volume=1.0, revenue=100.1, gross_margin=10.0)])
        st.replace_actuals(history, "q1.csv", REPORT, by_salesperson=split)
        # a later quarter from a plain history import: no salesperson known
        st.replace_history(_history([(2026, 2, "A1", "P1", 1.0, 50.0, 5.0)]), "q2-history.csv")
        got = st.actuals_by_salesperson([2026])
        assert got[["quarter", "account_id", "salesperson_id", "revenue"]].values.tolist() == [
            [1, "A1", "r2", 200.1], [1, "A1", None, 300.1], [1, "A2", None, 100.1], [2, "A1", None, 50.0]]
        assert math.fsum(got["revenue"]) == math.fsum(st.history([2026])["revenue"])
        bad = split.assign(revenue=[200.1, 300.1, 90.0])
        with pytest.raises(StoreError, match="do not add up"):
            st.replace_actuals(history, "bad.csv", REPORT, by_salesperson=bad)
        assert len(st.actuals_imports()) == 1  # nothing stored
