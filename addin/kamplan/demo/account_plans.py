"""The demo's salespeople keep their account plans (issue 15): filled workbooks collected through the real stage.

Once a quarter each salesperson gets their plan (pre-filled from the last version), types the quarter into
it and returns it: ``keep_plans`` issues, fills (only input cells, as a person would) and collects them
(from ``account-plans-returned/Qn/``, not ``inbox/``: see ``keep_plans``).

* Q1: the first plan: per account a decision maker (supporter, owned by the salesperson) and a buyer, the
  customer's annual usage of each product the account buys (our plan volume over a share of 55-85 %), one
  project with its next step, one action;
* every quarter: a few visit reports a month (satisfaction 4-5), an action due in the quarter;
* the first drifting account (``demo.actuals.drifting_accounts``): a competitor appears in Q4, and visit
  satisfaction falls to 2 in Q4 with a complaint raised at each visit;
* the second drifting account: its decision maker is lost in Q3 (now an opponent, relationship none);
* the last salesperson without a drifting account stops keeping the plan after Q2 (stale plans at the end
  of the year).
Deterministic for a seed: every choice draws from ``numpy`` streams seeded by (seed, quarter, rep).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from kamplan.demo.keyboard import TypedWorkbook
from kamplan.stages.account_plan import collect_plans, issue_plans
from kamplan.workbooks.account_plan.layout import ID_COLUMN, IDENTITY, LIST_SHEETS, AccountPlanLayout
from kamplan.workbooks.kit.identity import IDENTITY_SHEET, read_identity
from kamplan.workbooks.kit.xlsxio import read_sheets
from kamplan.workspace import Workspace

COMPETITOR = "宝晟轧辊"  # invented, like every name in the demo


def _layout(path: Path) -> AccountPlanLayout:
    sheets, _ = read_sheets(path, [IDENTITY_SHEET])
    ident = read_identity(sheets[IDENTITY_SHEET], IDENTITY)
    return AccountPlanLayout(ident["language"], int(ident["plan_year"]), currency=ident["currency"],
                             accounts=ident["accounts"], products=[tuple(x) for x in ident["products"]],
                             people=ident["people"], rows={k: int(ident[f"rows.{k}"]) for k in LIST_SHEETS})


class _Sheet:
    """New rows of one list sheet, typed after the rows kamplan pre-filled."""

    def __init__(self, wb: TypedWorkbook, layout: AccountPlanLayout, key: str):
        self.tb, self.wb = layout.table(key), wb
        self.ids = [wb.value(self.tb.sheet, self.tb.ref(self.tb.first_row + i, ID_COLUMN)) for i in range(self.tb.n_rows)]
        self.next = sum(1 for i in self.ids if i)  # the pre-filled rows come first

    def offset(self, row_id: str) -> int | None:
        return self.ids.index(row_id) if row_id in self.ids else None

    def put(self, offset: int, values: dict) -> None:
        for col, value in values.items():
            if self.tb.column(col).role != "input":
                raise AssertionError(f"{self.tb.key}.{col} is not an input cell")
            self.wb.type(self.tb.sheet, self.tb.ref(self.tb.first_row + offset, col), value)

    def add(self, values: dict) -> None:
        if self.next >= self.tb.n_rows:
            return  # the blank rows are used up: a person would ask for a new workbook; the demo stops typing
        self.put(self.next, values)
        self.next += 1


def _days(year: int, month: int, rng, n: int) -> list[dt.date]:
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return sorted(dt.date(year, month, int(d)) for d in rng.choice(np.arange(1, last + 1), size=n, replace=False))


def calendar_months(cfg, year: int, quarter: int) -> list[tuple[int, int]]:
    """(year, month) of the three months fiscal ``quarter`` of ``year`` mostly covers, in order: the calendar's own
    quarter (first_month, period_ends or weeks), not a calendar-year quarter."""
    start, _ = cfg.calendar.quarter_span(year, quarter)
    out, day = [], (start + dt.timedelta(days=15)).replace(day=1)  # a quarter from 31 May is June to August
    for _ in range(3):
        out.append((day.year, day.month))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def keep_plans(ws: Workspace, quarter: int, targets: pd.DataFrame, drifting: list[str], seed: int) -> int:
    """Issue, fill and collect the quarter's account plans; returns how many were stored."""
    cfg = ws.config
    reps = [s.id for s in cfg.staff]
    carried = {a.rep: set() for a in cfg.accounts}
    for a in cfg.accounts:
        carried[a.rep].add(a.id)
    # the last salesperson who carries no drifting account (their drift is told by the plans they keep)
    quitter = next((r for r in reversed(reps) if not carried.get(r, set()) & set(drifting)), reps[-1])
    if quarter > 2:
        reps = [r for r in reps if r != quitter]
    months = calendar_months(cfg, cfg.plan_year, quarter)
    issued = issue_plans(ws, reps=reps, force=True, now=dt.datetime(*months[0], 1, 8)).written
    # not in inbox/: a newcomer's first `targets collect` there would take them for target workbooks
    inbox = ws.root / "account-plans-returned" / f"Q{quarter}"
    inbox.mkdir(parents=True, exist_ok=True)
    for path in issued:
        rep = path.name.split("_account_plan_")[0]
        rng = np.random.default_rng([seed, 7100, quarter, sum(map(ord, rep))])
        _fill(ws, path, inbox / path.name, rep, quarter, months, targets, drifting, rng)
    y, m = months[-1]
    collected_at = dt.datetime(y + (m == 12), m % 12 + 1, 1, 0) - dt.timedelta(hours=4)  # the quarter's last evening
    res = collect_plans(ws, [inbox], now=collected_at)
    return sum(f.outcome == "stored" for f in res.files)


def _fill(ws: Workspace, src: Path, dst: Path, rep: str, quarter: int, months, targets: pd.DataFrame,
          drifting: list[str], rng) -> None:
    layout = _layout(src)
    have = ws.store.account_plan_rows(ws.config.plan_year, rep_id=rep)
    wb = TypedWorkbook(src)
    sheets = {k: _Sheet(wb, layout, k) for k in LIST_SHEETS}
    accounts = layout.accounts
    if quarter == 1 and not len(have):
        _first_plan(wb, layout, sheets, rep, accounts, targets, months, rng)
    _quarter(sheets, rep, accounts, quarter, months, drifting, have, rng)
    wb.save(dst)


def _first_plan(wb, layout, sheets, rep, accounts, targets, months, rng) -> None:
    business = layout.table("business")
    annual = targets.groupby(["account_id", "product_id"])["volume"].sum()
    for i, acc in enumerate(accounts):
        sheets["contacts"].add({"account": acc, "name": f"{acc}-总经理", "title": "总经理", "role": "decision_maker",
                                "attitude": "supporter", "influence": 5, "relationship": "strong", "owner": rep,
                                "last_contact": dt.date(*months[0], 10)})
        sheets["contacts"].add({"account": acc, "name": f"{acc}-采购", "title": "采购经理", "role": "buyer",
                                "attitude": "neutral", "influence": 3, "relationship": "medium", "owner": rep})
        for p in layout.products:
            ours = float(annual.get((acc, p), 0.0))
            if ours > 0:
                usage = round(ours / float(rng.uniform(0.55, 0.85)), 0)
                wb.type(business.sheet, business.ref(business.first_row + i, f"usage_{p}"), usage)
        sheets["projects"].add({"account": acc, "project": f"{acc} 新产线轧辊", "value": float(rng.integers(5, 40)) * 10000,
                                "stage": str(rng.choice(["qualified", "proposal", "negotiation"])),
                                "decision_maker": f"{acc}-总经理", "next_step": "技术交流",
                                "next_date": dt.date(*months[-1], 15)})


def _quarter(sheets, rep, accounts, quarter, months, drifting, have, rng) -> None:
    first_drift, second_drift = (drifting + [None, None])[:2]
    for y, m in months:
        days = _days(y, m, rng, min(3, len(accounts)))
        # a drifting account is visited every month, so its satisfaction is on record quarter by quarter
        chosen = [first_drift if first_drift in accounts else str(rng.choice(accounts))]
        chosen += [str(rng.choice(accounts)) for _ in days[1:]]
        for day, acc in zip(days, chosen):
            sat = 4 + sum(map(ord, acc)) % 2  # each customer's own steady level (4 or 5)
            raised = 0
            if acc == first_drift and quarter >= 4:
                sat, raised = 2, 1
            sheets["visits"].add({"account": acc, "date": day, "our_person": rep, "met": f"{acc}-采购",
                                  "purpose": "季度回顾", "satisfaction": sat, "complaints_raised": raised,
                                  "next_step": "跟进"})
    y, m = months[1]
    sheets["actions"].add({"account": accounts[0], "action": "提交样品与报价", "owner": rep,
                           "due": dt.date(y, m, 20), "status": "open" if quarter % 2 else "done"})
    if first_drift in accounts and quarter == 4:
        sheets["competitors"].add({"account": first_drift, "competitor": COMPETITOR, "their_product": "高铬轧辊",
                                   "share": 0.3, "threat": "high", "last_seen": dt.date(*months[1], 12)})
    if second_drift in accounts and quarter == 3 and len(have):
        dm = have[(have["sheet"] == "contacts") & (have["account_id"] == second_drift)
                  & (have.get("role", pd.Series(dtype=object)) == "decision_maker")]
        offset = sheets["contacts"].offset(str(dm["row_id"].iloc[0])) if len(dm) else None
        if offset is not None:
            sheets["contacts"].put(offset, {"attitude": "opponent", "relationship": "none"})
