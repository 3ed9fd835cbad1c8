"""The demo's account teams and the ERP salesperson column: lines credited to the right person."""
from __future__ import annotations

import math

import yaml

from kamplan.config import config_from_dict
from kamplan.demo.actuals import simulate_actuals, write_actuals_files
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.engine.credit import credit_actuals
from kamplan.stages.actuals import import_actuals
from kamplan.workspace import Workspace


def test_demo_accounts_have_teams_and_the_erp_names_their_salespeople(tmp_path):
    data = demo_config_dict(language="en")
    config = config_from_dict(data)
    teams = {a.id: a.team for a in config.accounts if a.team}
    assert len(teams) == 3
    assert all(any(m.role == "member" and m.share == 0.3 for m in t) for t in teams.values())
    assert sum(any(m.role == "overlay" for m in t) for t in teams.values()) == 1
    last = demo_history(config)
    last = last[last["year"] == config.plan_year - 1]
    targets = last.groupby(["account_id", "product_id", "quarter"], as_index=False).agg(
        volume=("volume", "sum"), price=("price", "mean"))
    inv, act = simulate_actuals(config, targets, config.plan_year, [1, 2], seed=3)
    team_lines = inv[inv["customer"].isin(teams)]
    assert set(team_lines["salesperson"]) == {"zhangwei", "liuyang"}
    member_share = (team_lines["salesperson"] == "liuyang").mean()
    assert len(team_lines) > 50 and 0.15 < member_share < 0.45  # about the member's share of the lines
    assert inv[~inv["customer"].isin(teams)]["salesperson"].isna().all()
    inv_path, _ = write_actuals_files(tmp_path / "erp", inv, act, "q1", language="zh-CN", fmt="csv")
    with Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True)) as ws:
        res = import_actuals(ws, [inv_path])
        assert res.stored and not res.errors
        split = ws.store.actuals_by_salesperson([config.plan_year])
        assert set(split["salesperson_id"].dropna()) == {"zhangwei", "liuyang"}
        credit = credit_actuals(split, ws.store.account_team(), {a.id: a.rep for a in config.accounts},
                                config.teams.full_credit_roles)
        counted = credit[~credit["full_credit"]]
        assert round(math.fsum(counted["revenue"]), 2) == round(res.revenue_stored, 2)
        assert set(credit[credit["full_credit"]]["salesperson_id"]) == {"wanglei"}
