"""The store keeps the VP's evaluation inputs: only added, the newest in force, tables by migration."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from kamplan.store import Store, StoreError
from kamplan.store import schema as store_schema
from kamplan.store.evaluation import evaluation_ratings, record_evaluation_inputs, service_statuses

AT = dt.datetime(2027, 7, 3, 9, 0)


def test_newest_rating_is_in_force_and_history_is_kept(tmp_path):
    with Store.open(tmp_path / "k.db") as st:
        record_evaluation_inputs(st, 2027, 2, [{"rep_id": "r1", "goal": "relationship", "rating": 3, "by": "VP",
                                                "at": AT, "source": "a.xlsx › Scorecard › J12", "workbook_id": "w1"}])
        record_evaluation_inputs(st, 2027, 2, [{"rep_id": "r1", "goal": "relationship", "rating": 4,
                                                "comment": "better", "by": "VP", "at": AT + dt.timedelta(days=1),
                                                "source": "b.xlsx › Scorecard › J12", "workbook_id": "w2"}],
                                 [{"account_id": "C1", "commitment": "report", "status": "late", "at": AT}])
        now = evaluation_ratings(st, 2027, 2)
        assert now["rating"].tolist() == [4.0] and now["comment"].tolist() == ["better"]
        assert len(evaluation_ratings(st, 2027, 2, include_history=True)) == 2
        assert len(evaluation_ratings(st, 2027, 1)) == 0
        assert service_statuses(st, 2027)["status"].tolist() == ["late"]
        assert st.events("evaluation.collect")["detail"].iloc[-1] == {"year": 2027, "quarter": 2, "ratings": 1,
                                                                      "statuses": 1}


def test_bad_inputs_are_refused_whole(tmp_path):
    with Store.open(tmp_path / "k.db") as st:
        with pytest.raises(StoreError, match="not one of"):
            record_evaluation_inputs(st, 2027, 2, [{"rep_id": "r1", "goal": "g", "rating": 3, "at": AT}],
                                     [{"account_id": "C1", "commitment": "x", "status": "maybe", "at": AT}])
        with pytest.raises(StoreError, match="0 \\(annual\\) or 1-4"):
            record_evaluation_inputs(st, 2027, 5)
        with pytest.raises(StoreError, match="finite"):
            record_evaluation_inputs(st, 2027, 1, [{"rep_id": "r1", "goal": "g", "rating": float("nan"), "at": AT}])
        assert len(evaluation_ratings(st, 2027, include_history=True)) == 0


def test_an_old_file_gets_the_evaluation_tables_by_migration(tmp_path):
    path = tmp_path / "old.db"
    with Store.open(path):
        pass
    name = "add_" + "_".join(t.name for t in store_schema.EVALUATION_TABLES)
    before = 1 + next(i for i, m in enumerate(store_schema.MIGRATIONS) if m.__name__ == name)
    with sa.create_engine(f"sqlite:///{path}").begin() as con:
        for t in store_schema.EVALUATION_TABLES:
            con.exec_driver_sql(f"DROP TABLE {t.name}")
        con.exec_driver_sql(f"UPDATE meta SET value = '{before}' WHERE key = 'schema_version'")
    with Store.open(path) as st:
        assert st.schema_version() == store_schema.schema_version()
        assert len(evaluation_ratings(st, 2027)) == 0 and len(service_statuses(st, 2027)) == 0
