"""Opening a workspace for a command that changes the plan syncs the master data; when the config's master
data is what the last sync wrote (the hash kept in the store's meta), the sync writes nothing and takes no
write lock.  Any change (an account, a team, the company's plan year) is synced as before."""
from __future__ import annotations

import pytest

from kamplan.config import config_from_dict
from kamplan.store import Store
from kamplan.store.master import MASTER_DIGEST

from support.teams import team_config_dict


def every_count_zero(counts: dict) -> bool:
    return all(n == 0 for per_change in counts.values() for n in per_change.values())


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "kamplan.db", create=True) as st:
        yield st


def no_writing(*args, **kwargs):
    raise AssertionError("the sync opened a write transaction although nothing changed")


def test_an_unchanged_config_takes_no_write_transaction(store, monkeypatch):
    first = store.sync_master_data(config_from_dict(team_config_dict()))
    assert first["accounts"]["added"] == 3 and first["account_team"]["added"] == 2
    with monkeypatch.context() as m:
        m.setattr(type(store), "writing", no_writing)
        assert every_count_zero(store.sync_master_data(config_from_dict(team_config_dict())))


@pytest.mark.parametrize("change", ["account", "team", "plan year"])
def test_a_changed_config_is_synced_and_its_hash_kept(store, change):
    store.sync_master_data(config_from_dict(team_config_dict()))
    data = team_config_dict()
    if change == "account":
        data["accounts"][2]["name"] = {"en": "Crane Works", "zh-CN": "起重机厂"}
    elif change == "team":
        data["accounts"][0]["team"] = [{"salesperson": "r2", "role": "member", "share": 0.5}]
    else:
        data["plan_year"] += 1
    with store.reading() as conn:
        before = conn.exec_driver_sql(f"SELECT value FROM meta WHERE key = '{MASTER_DIGEST}'").scalar()
    counts = store.sync_master_data(config_from_dict(data))
    with store.reading() as conn:
        after = conn.exec_driver_sql(f"SELECT value FROM meta WHERE key = '{MASTER_DIGEST}'").scalar()
    assert before and after and before != after
    if change == "account":
        assert counts["accounts"]["changed"] == 1
        assert store.master("accounts").set_index("id").loc["A3", "name_en"] == "Crane Works"
    elif change == "team":
        assert counts["account_team"]["changed"] == 1
        assert store.account_team().query("account_id == 'A1'")["share"].tolist() == [0.5]
    else:
        assert every_count_zero(counts)  # no master row changed, but the store now holds the newer year
        assert store.company()["company_plan_year"] == str(data["plan_year"])
    # and going back to the first config is a change again, not skipped by a stale hash
    back = store.sync_master_data(config_from_dict(team_config_dict()))
    assert every_count_zero(back) == (change == "plan year")
