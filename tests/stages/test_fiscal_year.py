"""A fiscal year that starts in April: dates in the workbooks follow it, not the calendar year."""
from __future__ import annotations

import datetime as dt

import numpy as np
import yaml

from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.config import config_from_dict
from kamplan.demo.salesforce import fill_target_workbook, make_mistake
from kamplan.stages.targets import collect_targets, issue_targets
from kamplan.workspace import Workspace


def test_dates_follow_the_fiscal_year(tmp_path):
    data = demo_config_dict(language="en")
    data["calendar"] = {"first_month": 4}
    with Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True)) as ws:
        ws.store.replace_history(demo_history(config_from_dict(data)), source="test")
        src = issue_targets(ws, round_no=1).written[0]
        path = ws.inbox / src.name
        fill_target_workbook(src, path, np.random.default_rng(5))
        make_mistake(path, "requests", "deadline", dt.datetime(2028, 2, 15), row_index=0)  # fiscal Q4: fine
        bad = make_mistake(path, "services", "due", dt.datetime(2027, 1, 10), row_index=0)  # fiscal 2026
        [f] = collect_targets(ws, [path]).files
        assert [(p.code, p.cell) for p in f.errors] == [("date-outside-year", bad)]
        assert "2027-04-01 to 2028-03-31" in f.errors[0].message
