"""Account plans under a calendar of period end dates (quarters ending 28 Feb, 30 May, 30 Aug, 30 Nov): the demo's
salespeople keep their plans through the fiscal quarters, visit reports count in the fiscal quarter their date
falls in (not a calendar-month quarter), and the account-plan warnings judge at the fiscal quarter's end."""
from __future__ import annotations

import bisect
import datetime as dt

import pandas as pd
import yaml

from kamplan.config import config_from_dict
from kamplan.demo.account_plans import calendar_months, keep_plans
from kamplan.demo.actuals import drifting_accounts
from kamplan.demo.company import DEMO_SEED, demo_config_dict, demo_history
from kamplan.stages.wallet import plan_signals, visit_reports
from kamplan.workspace import Workspace

ENDS = [dt.date(2027, 2, 28), dt.date(2027, 5, 30), dt.date(2027, 8, 30), dt.date(2027, 11, 30)]


def _fiscal(day: dt.date) -> tuple[int, int]:
    """Fiscal (year, quarter) of ``day``, from the period ends alone (fiscal 2026 ended 2026-11-30)."""
    if day <= dt.date(2026, 11, 30):
        return 2026, 4
    return 2027, bisect.bisect_left(ENDS, day) + 1


def test_plans_kept_through_fiscal_quarters_of_period_end_dates(tmp_path):
    data = demo_config_dict(language="en")
    data["calendar"] = {"period_ends": [d.isoformat() for d in ENDS]}
    cfg = config_from_dict(data)
    assert calendar_months(cfg, 2027, 1) == [(2026, 12), (2027, 1), (2027, 2)]
    assert calendar_months(cfg, 2027, 3) == [(2027, 6), (2027, 7), (2027, 8)]  # from 31 May
    with Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True, sort_keys=False)) as ws:
        year = ws.config.plan_year
        assert year == 2027
        ws.store.replace_history(demo_history(cfg), source="test")
        h = ws.store.history([year - 1])
        targets = h.groupby(["account_id", "product_id"], as_index=False)["volume"].sum()
        drifting = drifting_accounts(targets.assign(quarter=1), DEMO_SEED)
        for q in (1, 2):
            assert keep_plans(ws, q, targets, drifting, DEMO_SEED) == len(ws.config.staff)
        visits = ws.store.account_plan_rows(year, "visits")
        days = pd.to_datetime(visits["date"]).dt.date
        assert any(d.month == 12 and d.year == 2026 for d in days)  # fiscal 2027 Q1, calendar 2026 Q4
        for q in (1, 2):
            got = visit_reports(ws, year, q)
            expected = sorted(str(d) for d in days if _fiscal(d)[0] == year and _fiscal(d)[1] <= q)
            assert sorted(str(d) for d in pd.to_datetime(got["date"]).dt.date) == expected
        # the warnings of fiscal Q2 judge at its end, 30 May: a plan's days without update count to that day
        signals = plan_signals(ws, ws.store.history(), year, 2, ws.store.activities([year]), None)
        stale = [facts for _, (code, _, facts) in signals.flags if code == "stale-plan"]
        for facts in stale:
            updated = dt.date.fromisoformat(facts["updated"])
            assert facts["days"] == (ENDS[1] - updated).days
        assert set(signals.wallet["quarter"]) <= {1, 2, 3, 4} and len(signals.wallet)
