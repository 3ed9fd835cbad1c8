"""imports.quotas: a quota table read and checked row by row (periods by the config's calendar)."""
from __future__ import annotations

import datetime as dt

from openpyxl import Workbook

from kamplan.config import config_from_dict
from kamplan.demo.company import demo_config_dict
from kamplan.imports.quotas import read_quota_file


def config(first_month: int = 1):
    data = demo_config_dict(language="en")
    data["calendar"] = {"first_month": first_month}
    return config_from_dict(data)


def test_dates_map_to_the_fiscal_quarter_of_the_calendar_and_real_date_cells_are_read(tmp_path):
    cfg = config(first_month=4)  # fiscal year 2027 = Apr 2027 .. Mar 2028
    year = cfg.plan_year
    person = cfg.staff[0].id
    book = tmp_path / "q.xlsx"
    wb = Workbook()
    sh = wb.active
    sh.append(["Salesperson", "Period", "Quota"])
    sh.append([person, dt.date(year, 4, 1), 100.25])       # first day of fiscal Q1
    sh.append([person, dt.datetime(year, 9, 30), 200])     # last day of Q2, a date-time cell
    sh.append([person, f"{year + 1}-02-15", "1,300.5"])    # text date in Q4, thousands separator
    sh.append([person, f"{year}Q3", 400])
    wb.save(book)
    table, problems = read_quota_file(book, cfg)
    assert problems == []
    assert table.figures() == {f"{person}:Q1": 100.25, f"{person}:Q2": 200.0, f"{person}:Q4": 1300.5,
                               f"{person}:Q3": 400.0}
    assert table.frame["row"].tolist() == [2, 3, 4, 5]


def test_a_date_of_another_fiscal_year_and_an_empty_file_are_errors(tmp_path):
    cfg = config(first_month=4)
    year = cfg.plan_year
    person = cfg.staff[0].id
    path = tmp_path / "q.csv"
    path.write_text(f"salesperson,period,amount\n{person},{year}-03-31,5\n{person},,5\n,Q2,\n", encoding="utf-8")
    table, problems = read_quota_file(path, cfg)
    text = [str(p) for p in problems]
    assert any(f"row 2 › period: period = '{year}-03-31' falls in fiscal {year - 1} Q4, not in the plan year"
               in t for t in text), text
    assert any("row 3 › period: period is empty" in t for t in text), text
    assert any("row 4 › salesperson: salesperson is empty" in t for t in text), text
    assert any("row 4 › amount: amount is empty" in t for t in text), text
    assert len(table.frame) == 0
    empty = tmp_path / "empty.csv"
    empty.write_text("salesperson,period,amount\n", encoding="utf-8")
    _, problems = read_quota_file(empty, cfg)
    assert [(p.code, p.is_error) for p in problems] == [("quotas-empty-file", True)]


def test_a_missing_column_names_what_is_accepted(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("who,when,how much\nx,Q1,5\n", encoding="utf-8")
    _, problems = read_quota_file(path, config())
    assert [p.code for p in problems] == ["quotas-columns"]
    assert "业务员" in problems[0].fix and "salesperson" in problems[0].message
