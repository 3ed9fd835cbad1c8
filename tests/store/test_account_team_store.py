"""Account teams in the store: synced from the config, changes logged, old files migrated."""
from __future__ import annotations

import sqlalchemy as sa

from kamplan.store import Store
from kamplan.store import schema as store_schema

from support.teams import team_config


def test_sync_stores_the_team_frame_and_logs_changes(tmp_path):
    with Store.open(tmp_path / "k.db") as st:
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
