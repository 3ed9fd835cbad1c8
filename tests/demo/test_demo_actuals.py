"""Simulated actuals for the demo: realistic lines around the plan, two drifting accounts, importable files."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from kamplan.config import config_from_dict
from kamplan.demo.actuals import OUTSIDERS, simulate_actuals, write_actuals_files
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.engine.actuals import complaint_status
from kamplan.stages.actuals import import_activities, import_actuals
from kamplan.workspace import Workspace


@pytest.fixture(scope="module")
def company():
    data = demo_config_dict(language="zh-CN")
    config = config_from_dict(data)
    last = demo_history(config)
    last = last[last["year"] == config.plan_year - 1]
    targets = last.groupby(["account_id", "product_id", "quarter"], as_index=False).agg(
        volume=("volume", "sum"), price=("price", "mean"))
    targets["volume"] *= 1.05
    return data, config, targets


def test_quarters_one_by_one_equal_all_at_once_and_drift_shows(company):
    _, config, targets = company
    year = config.plan_year
    inv, act = simulate_actuals(config, targets, year, [1, 2, 3, 4], seed=7)
    parts = [simulate_actuals(config, targets, year, [q], seed=7) for q in (1, 2, 3, 4)]
    pd.testing.assert_frame_equal(inv, pd.concat([p[0] for p in parts]).sort_values(
        ["date", "customer", "product"], kind="stable").reset_index(drop=True))
    drifting = inv.attrs["drifting"]
    assert len(drifting) == 2
    per_line = inv.groupby(["customer", "product"]).size()
    assert per_line.median() >= 6  # several lines per account x product over the year
    inv["q"] = [(d.month - 1) // 3 + 1 for d in inv["date"]]
    vol = inv.groupby(["customer", "q"])["quantity"].sum().unstack()
    tq = targets.groupby(["account_id", "quarter"])["volume"].sum().unstack()
    ratio = (vol.loc[drifting] / tq.loc[drifting]).to_numpy()
    assert (ratio[:, 3] < 0.45).all() and (ratio[:, 0] > ratio[:, 3]).all()
    others = [a for a in tq.index if a not in drifting and a in vol.index]
    total_ratio = vol.loc[others].sum().sum() / tq.loc[others].sum().sum()
    assert 0.9 < total_ratio < 1.1
    open_ = complaint_status(act)
    open_ = open_[open_["status"] == "open"]
    assert set(drifting) <= set(open_["account_id"])
    assert set(open_["account_id"]) == set(drifting)  # everyone else's complaints were resolved


@pytest.mark.parametrize("fmt,language", [("csv", "zh-CN"), ("xlsx", "en")])
def test_written_files_import_cleanly(tmp_path, company, fmt, language):
    data, config, targets = company
    inv, act = simulate_actuals(config, targets, config.plan_year, [1] if fmt == "xlsx" else [1, 2], seed=3)
    inv_path, act_path = write_actuals_files(tmp_path / "erp", inv, act, "q1", language=language, fmt=fmt)
    with Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True)) as ws:
        res = import_actuals(ws, [inv_path])
        assert not res.errors, res.all_problems()
        f = res.files[0]
        assert f.lines == len(inv) and {u.value for u in f.unmatched_values} == set(OUTSIDERS)
        matched = inv[~inv["customer"].isin(OUTSIDERS)]
        assert res.revenue_stored == pytest.approx(matched["amount"].sum())
        assert res.volume_stored == pytest.approx(matched["quantity"].sum())
        a = import_activities(ws, [act_path])
        assert not a.errors and a.rows_stored == len(act)
        stored = ws.store.activities()
        assert sorted(stored["kind"].unique()) == sorted(act["kind"].unique())
