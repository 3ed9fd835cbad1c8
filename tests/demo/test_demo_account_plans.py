"""The demo's salespeople keep their account plans (issue 15 item 6): collected through the real stage each
quarter, a competitor appearing at a drifting account, a lost decision maker, a plan left to go stale --
and the warnings the evaluation draws from them."""
from __future__ import annotations

import pytest

from kamplan.demo.account_plans import COMPETITOR, keep_plans
from kamplan.demo.actuals import drifting_accounts
from kamplan.demo.company import DEMO_SEED
from kamplan.stages.wallet import plan_signals
from support.workspaces import demo_workspace


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-plans")
    with demo_workspace(root, "zh-CN", root / "ws") as ws:
        year = ws.config.plan_year
        h = ws.store.history([year - 1])
        targets = h.groupby(["account_id", "product_id"], as_index=False)["volume"].sum()  # a plan stand-in
        drifting = drifting_accounts(targets.assign(quarter=1), DEMO_SEED)
        stored = [keep_plans(ws, q, targets, drifting, DEMO_SEED) for q in (1, 2, 3, 4)]
        yield ws, stored, drifting


def test_every_salesperson_keeps_a_plan_and_one_stops_after_q2(kept):
    ws, stored, _ = kept
    n = len(ws.config.staff)
    assert stored == [n, n, n - 1, n - 1]
    versions = ws.store.account_plan_versions(ws.config.plan_year)
    assert sorted(versions.groupby("rep_id").size().unique()) == [2, 4]


def test_the_drifting_accounts_tell_their_story_in_the_plans(kept):
    ws, _, drifting = kept
    year = ws.config.plan_year
    comp = ws.store.account_plan_rows(year, "competitors")
    assert list(comp["account_id"]) == [drifting[0]] and list(comp["competitor"]) == [COMPETITOR]
    contacts = ws.store.account_plan_rows(year, "contacts")
    dm = contacts[(contacts["account_id"] == drifting[1]) & (contacts["role"] == "decision_maker")]
    assert set(dm["attitude"]) == {"opponent"}
    business = ws.store.account_plan_rows(year, "business")
    assert business.filter(like="usage_").notna().any(axis=None)
    history = ws.store.history()
    signals = plan_signals(ws, history, year, 4, ws.store.activities([year]), None)
    flags = {(acc, code) for acc, (code, _, _) in signals.flags}
    assert (drifting[0], "new-competitor") in flags and (drifting[0], "satisfaction-drop") in flags
    assert (drifting[1], "opponent-decision-maker") in flags
    assert any(code == "stale-plan" for _, code in flags)
    assert len(signals.wallet) and signals.wallet["share"].notna().any()
