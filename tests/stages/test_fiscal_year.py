"""A fiscal year that starts in April: dates in the workbooks follow it, not the calendar year."""
from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import yaml

from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.config import config_from_dict
from kamplan.demo.salesforce import fill_target_workbook, layout_of, make_mistake
from kamplan.stages.targets import collect_targets, issue_targets
from kamplan.workbooks.targets.layout import TargetLayout
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


def _target_headers(path) -> list[str]:
    """The header texts of the Targets sheet, as the salesperson sees them."""
    wb = openpyxl.load_workbook(path)
    ws = wb[layout_of(wb).targets.sheet]
    return [str(c.value) for c in ws[TargetLayout.HEADER_ROW + 1] if c.value is not None]


def test_period_end_dates_show_in_the_workbook_and_bound_its_dates(tmp_path):
    """Quarters ending 28 Feb / 30 May / 30 Aug / 30 Nov: the fiscal year runs 1 Dec to 30 Nov, the quarter
    headers name their days (in the workbook's language), and dates outside the year are refused."""
    data = demo_config_dict(language="en")
    year = data["plan_year"]
    data["calendar"] = {"period_ends": [f"{year}-02-28", f"{year}-05-30", f"{year}-08-30", f"{year}-11-30"]}
    with Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True)) as ws:
        ws.store.replace_history(demo_history(config_from_dict(data)), source="test")
        src = issue_targets(ws, round_no=1).written[0]
        headers = _target_headers(src)
        assert "Volume Q1 (1 Dec–28 Feb)" in headers and "Price Q3 (31 May–30 Aug)" in headers
        assert any(h.startswith("Revenue Q4 (31 Aug–30 Nov)") for h in headers)
        path = ws.inbox / src.name
        fill_target_workbook(src, path, np.random.default_rng(5))
        make_mistake(path, "requests", "deadline", dt.datetime(year - 1, 12, 1), row_index=0)  # fiscal Q1: fine
        bad = make_mistake(path, "services", "due", dt.datetime(year, 12, 1), row_index=0)  # next fiscal year
        [f] = collect_targets(ws, [path]).files
        assert [(p.code, p.cell) for p in f.errors] == [("date-outside-year", bad)]
        assert f"{year - 1}-12-01 to {year}-11-30" in f.errors[0].message


def test_chinese_workbooks_name_the_quarters_days_in_chinese(tmp_path):
    data = demo_config_dict(language="zh-CN")
    year = data["plan_year"]
    data["calendar"] = {"weeks": [4, 4, 5], "start": f"{year - 1}-12-28"}
    with Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True)) as ws:
        ws.store.replace_history(demo_history(config_from_dict(data)), source="test")
        src = issue_targets(ws, round_no=1).written[0]
        headers = _target_headers(src)
        assert any(h.startswith("Q1") and h.endswith("(12月28日–3月28日)") for h in headers), headers
