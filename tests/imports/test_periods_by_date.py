"""Issue 12 item 4: quota periods that end on 28 Feb, 30 May, 30 Aug and 30 Nov.  An ERP export and a
history file put each line in the period its date falls in (checked against an independent computation
written here), and a date outside every period of a calendar of explicit years is a precise problem."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import yaml

from kamplan.stages.actuals import import_actuals
from kamplan.stages.history import import_history
from kamplan.workspace import Workspace, default_config_text

ENDS = ["2027-02-28", "2027-05-30", "2027-08-30", "2027-11-30"]  # plan year 2027 = 2026-12-01 .. 2027-11-30
ACCOUNTS, PRODUCTS = ("C001", "C002", "C003"), ("CCR", "SGR")


def _workspace(tmp_path: Path, calendar: dict) -> Workspace:
    data = yaml.safe_load(default_config_text())
    data["calendar"] = calendar
    return Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True))


def _period_of(day: dt.date) -> tuple[int, int]:
    """Fiscal year and quarter written out by hand: a quarter ends on its (month, day); Q1 of fiscal Y
    runs from 1 Dec of Y-1 to 28 Feb of Y (28 Feb also in leap years)."""
    ends = [(2, 28), (5, 30), (8, 30), (11, 30)]
    if (day.month, day.day) > ends[3]:
        return day.year + 1, 1
    return day.year, next(q for q, end in enumerate(ends, start=1) if (day.month, day.day) <= end)


def _lines(n: int, first: dt.date, last: dt.date, seed: int) -> list[tuple[dt.date, str, str, int, str]]:
    rng = np.random.default_rng(seed)
    boundary = [dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2027, 2, 28), dt.date(2027, 3, 1),
                dt.date(2027, 5, 30), dt.date(2027, 5, 31), dt.date(2027, 8, 30), dt.date(2027, 8, 31),
                dt.date(2027, 11, 30)]
    days = boundary + [first + dt.timedelta(days=int(d)) for d in rng.integers(0, (last - first).days + 1, n)]
    return [(d, ACCOUNTS[i % 3], PRODUCTS[i % 2], int(rng.integers(1, 9)), f"{rng.uniform(100, 9999):.2f}")
            for i, d in enumerate(days)]


def _expected(lines) -> dict[tuple, tuple[int, Decimal]]:
    out: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for day, account, product, quantity, amount in lines:
        key = (*_period_of(day), account, product)
        out[key][0] += quantity
        out[key][1] += Decimal(amount)
    return {k: (v[0], v[1]) for k, v in out.items()}


def _stored(ws: Workspace, years: list[int]) -> dict[tuple, tuple[int, Decimal]]:
    h = ws.store.history(years=years)
    return {(int(r.year), int(r.quarter), r.account_id, r.product_id):
            (round(r.volume), Decimal(f"{r.revenue:.2f}")) for r in h.itertuples()}


def test_an_erp_export_lands_in_the_periods_its_dates_fall_in(tmp_path):
    lines = _lines(400, dt.date(2026, 11, 1), dt.date(2027, 11, 30), seed=3)
    text = "date,customer,product,quantity,amount\n" + "".join(
        f"{d.isoformat()},{a},{p},{q},{m}\n" for d, a, p, q, m in lines)
    path = tmp_path / "erp.csv"
    path.write_text(text, encoding="utf-8")
    with _workspace(tmp_path, {"period_ends": ENDS}) as ws:
        res = import_actuals(ws, [path])
        assert res.stored and not res.errors, [str(p) for p in res.all_problems()]
        want = _expected(lines)
        assert _stored(ws, [2026, 2027]) == want
        assert {(2026, 4), (2027, 1), (2027, 4)} <= set(res.periods)


def test_a_history_file_of_dated_lines_is_summed_per_period(tmp_path):
    lines = _lines(300, dt.date(2024, 12, 1), dt.date(2026, 11, 30), seed=4)
    text = "date,account_id,product_id,volume,revenue\n" + "".join(
        f"{d.isoformat()},{a},{p},{q},{m}\n" for d, a, p, q, m in lines if d <= dt.date(2026, 11, 30))
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    with _workspace(tmp_path, {"period_ends": ENDS}) as ws:
        n, problems = import_history(ws, path)
        assert not [p for p in problems if p.is_error], [str(p) for p in problems]
        want = _expected([line for line in lines if line[0] <= dt.date(2026, 11, 30)])
        assert n == len(want) and _stored(ws, [2025, 2026]) == want


def test_a_year_and_quarter_next_to_a_date_must_agree_with_it(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("date,year,quarter,account_id,product_id,volume,revenue\n"
                    "2026-02-28,2026,1,C001,CCR,1,10\n2026-03-01,2026,1,C001,CCR,1,10\n", encoding="utf-8")
    with _workspace(tmp_path, {"period_ends": ENDS}) as ws:
        n, problems = import_history(ws, path)
        [p] = [p for p in problems if p.is_error]
        assert n == 0 and (p.sheet, p.cell) == ("row 3", "quarter")
        assert "2026-03-01" in p.message and "fiscal 2026 Q2" in p.message


def test_a_date_outside_the_explicit_years_is_refused_with_its_row(tmp_path):
    calendar = {"years_explicit": {2026: ["2026-02-28", "2026-05-30", "2026-08-30", "2026-11-30"],
                                   2027: ENDS}}
    path = tmp_path / "erp.csv"
    path.write_text("date,customer,product,quantity,amount\n2027-01-05,C001,CCR,1,10\n"
                    "2027-12-01,C002,CCR,1,10\n2027-12-01,C002,CCR,1,10\n", encoding="utf-8")
    with _workspace(tmp_path, calendar) as ws:
        res = import_actuals(ws, [path])
        assert not res.stored and [f.outcome for f in res.files] == ["rejected"]
        [p] = [p for p in res.files[0].problems if p.is_error]
        assert (p.code, p.sheet, p.cell) == ("actuals-period", "row 3", "date")
        assert "2027-12-01 (2 lines, this is the first)" in p.message
        assert "fiscal 2026 (2025-12-01 to 2026-11-30), fiscal 2027 (2026-12-01 to 2027-11-30)" in p.message
        assert "calendar.years_explicit" in p.fix
        assert len(ws.store.history()) == 0
        hist = tmp_path / "h.csv"
        hist.write_text("date,account_id,product_id,volume,revenue\n2025-11-30,C001,CCR,1,10\n", encoding="utf-8")
        n, problems = import_history(ws, hist)
        [p] = [p for p in problems if p.is_error]
        assert n == 0 and (p.code, p.sheet, p.cell) == ("history-period", "row 2", "date")


def test_the_quarters_partly_covered_are_named_by_their_days(tmp_path):
    path = tmp_path / "erp.csv"
    path.write_text("date,customer,product,quantity,amount\n2027-03-01,C001,CCR,1,10\n2027-04-30,C001,CCR,1,10\n",
                    encoding="utf-8")
    with _workspace(tmp_path, {"period_ends": ENDS}) as ws:
        res = import_actuals(ws, [path], dry_run=True)
        [p] = [p for p in res.problems if p.code == "actuals-quarter-partial"]
        assert "2027 Q2 has lines only in 1 Mar–30 Mar, 31 Mar–30 Apr (none in 1 May–30 May)" in p.message


def test_activities_take_the_calendars_quarters_and_refuse_a_date_outside_it(tmp_path):
    from kamplan.stages.actuals import import_activities
    log = tmp_path / "log.csv"
    log.write_text("date,account,kind\n2027-02-28,C001,rep_visit\n2027-03-01,C002,rep_visit\n", encoding="utf-8")
    with _workspace(tmp_path, {"period_ends": ENDS}) as ws:
        res = import_activities(ws, [log])
        assert not res.errors and res.periods == [(2027, 1), (2027, 2)]
    calendar = {"years_explicit": {2027: ENDS}}
    log.write_text("date,account,kind\n2027-02-28,C001,rep_visit\n2027-12-01,C002,rep_visit\n", encoding="utf-8")
    with _workspace(tmp_path / "b", calendar) as ws:
        res = import_activities(ws, [log])
        [p] = res.errors
        assert p.code == "activities-period" and "2027-12-01" in p.message and res.rows_stored == 0
