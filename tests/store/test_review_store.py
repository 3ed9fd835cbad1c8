"""The store keeps every classification run, every override and every judgement; nothing is deleted."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
import sqlalchemy as sa

from kamplan.store import Store, StoreError
from kamplan.store import schema as s

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "plan.db") as st:
        yield st


def _rows(classes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"account_id": a, "cls": c, "rule": "big" if c == "key" else "", "reason": f"why {a}",
                          "rule_values": {"big": 1.0} if c == "key" else {}, "rank": i + 1, "measure": 100.0 - i,
                          "share": 0.1, "cum_share": 0.1 * (i + 1), "profit": 5.0, "growth": math.nan,
                          "score_hard": 50.0, "score_strength": math.nan, "score_capability": None, "score": None,
                          "flags": ["judgements-missing"]} for i, (a, c) in enumerate(classes.items())])


def test_classification_runs_are_kept_and_the_newest_is_current(store):
    r1 = store.record_classification(2027, "year", ("2026Q1", "2026Q4"), "volume", {"x": 1}, {"n": 2},
                                     _rows({"A": "key", "B": "drop"}))
    r2 = store.record_classification(2027, "rolling", ("2025Q4", "2026Q3"), "volume", {"x": 2}, {"n": 2},
                                     _rows({"A": "watch", "B": "drop"}))
    run, rows = store.classification(2027)
    assert run["id"] == r2 and run["basis"] == "rolling" and run["rules"] == {"x": 2}
    assert list(rows.account_id) == ["A", "B"] and list(rows.cls) == ["watch", "drop"]
    run1, rows1 = store.classification(2027, run_id=r1)
    assert rows1.loc[0, "rule_values"] == {"big": 1.0} and rows1.loc[0, "flags"] == ["judgements-missing"]
    assert math.isnan(rows1.loc[0, "growth"]) and math.isnan(rows1.loc[0, "score"])
    assert list(store.classification_runs(2027)["id"]) == [r1, r2]
    assert store.classification(2026)[0] is None
    assert [e for e in store.events("accounts.segment")["detail"]][0]["accounts"] == 2


def test_a_bad_classification_is_refused_and_nothing_is_written(store):
    with pytest.raises(StoreError, match="not classes"):
        store.record_classification(2027, "year", ("2026Q1", "2026Q4"), "volume", {}, {}, _rows({"A": "vip"}))
    bad = _rows({"A": "key", "B": "drop"})
    bad.loc[1, "account_id"] = "A"
    with pytest.raises(StoreError, match="twice"):
        store.record_classification(2027, "year", ("2026Q1", "2026Q4"), "volume", {}, {}, bad)
    assert store.classification(2027)[0] is None


def test_overrides_are_kept_newest_in_force_lifting_keeps_the_history(store):
    store.record_review(2027, [{"account_id": "A", "cls": "key", "reason": "strategic", "by": "Li", "at": T0,
                                "source": "f › Review › H7"}])
    store.record_review(2027, [{"account_id": "A", "cls": "watch", "reason": "offer from a competitor", "by": "Li",
                                "at": T0 + dt.timedelta(days=1), "source": "f › Review › H7"},
                               {"account_id": "B", "cls": "drop", "reason": "closing", "by": "Wang", "at": T0,
                                "source": "cli"}])
    now = store.overrides(2027)
    assert list(now.account_id) == ["A", "B"] and list(now.cls) == ["watch", "drop"]
    assert now.loc[0, "by"] == "Li" and now.loc[0, "at"] == T0 + dt.timedelta(days=1)
    store.record_review(2027, [{"account_id": "B", "cls": None, "reason": "lifted", "by": "Li", "at": T0,
                                "source": "f"}])
    assert list(store.overrides(2027).account_id) == ["A"]
    history = store.overrides(2027, include_history=True)
    assert len(history) == 4 and list(history.cls)[:3] == ["key", "watch", "drop"] and history.cls.iloc[3] is None
    assert store.overrides(2028).empty


def test_an_override_needs_a_class_and_a_reason(store):
    with pytest.raises(StoreError, match="not a class"):
        store.record_review(2027, [{"account_id": "A", "cls": "vip", "reason": "x", "by": "Li", "at": T0}])
    with pytest.raises(StoreError, match="no reason"):
        store.record_review(2027, [{"account_id": "A", "cls": "key", "reason": " ", "by": "Li", "at": T0}])
    assert store.overrides(2027, include_history=True).empty


def test_judgements_newest_in_force_and_carried_over_to_later_years(store):
    j = lambda a, i, v, y_at=T0: {"account_id": a, "indicator": i, "score": v, "judge": "Li", "at": y_at,  # noqa
                                   "source": "f"}
    store.record_review(2026, judgements=[j("A", "capital", 2), j("A", "network", 3)])
    store.record_review(2027, judgements=[j("A", "capital", 4)])
    store.record_review(2026, judgements=[j("A", "network", 1)])  # entered later, for the earlier year
    now = store.judgements(2027).set_index("indicator")
    assert now.loc["capital", "score"] == 4 and now.loc["capital", "plan_year"] == 2027
    assert now.loc["network", "score"] == 1 and now.loc["network", "plan_year"] == 2026  # carried over
    assert store.judgements(2026).set_index("indicator").loc["capital", "score"] == 2
    assert len(store.judgements(2026, include_history=True)) == 3
    with pytest.raises(StoreError, match="not a number"):
        store.record_review(2027, judgements=[j("A", "capital", "high")])
    with pytest.raises(StoreError, match="finite"):
        store.record_review(2027, judgements=[j("A", "capital", float("inf"))])


def test_a_plan_file_made_before_these_tables_gets_them_by_migration(tmp_path):
    path = tmp_path / "old.db"
    with Store.open(path):
        pass
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for t in reversed(s.SEGMENTATION_TABLES):
            conn.execute(sa.text(f"DROP TABLE {t.name}"))
        conn.execute(sa.text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))  # as issue 2 wrote it
    engine.dispose()
    with Store.open(path) as st:
        assert st.classification(2027)[0] is None
        st.record_review(2027, [{"account_id": "A", "cls": "key", "reason": "r", "by": "Li", "at": T0}])
        assert len(st.overrides(2027)) == 1
        assert st.schema_version() == s.schema_version()
