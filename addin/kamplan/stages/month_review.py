"""The monthly account-plan review (每月作出分析): ``kamplan accounts review-month [--month YYYY-MM]``.

``review_month`` reads the current account plans of the plan year (the VP side of the store: never
personal data), the change records of the plans collected in the month, and the actuals (share of
wallet, year to date through the month's fiscal quarter), and writes
``reports/month-review/account_plan_review_YYYY-MM.xlsx`` (an existing file of the same month is kept:
the new one takes the next free name, ``..._YYYY-MM-2.xlsx``).  Nothing is stored; the workspace is
only read.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kamplan.engine.month_review import (
    decision_coverage, month_changes, month_span, overdue_actions, pipeline, plan_freshness,
)
from kamplan.engine.wallet import annual_wallet, share_of_wallet
from kamplan.periods import period_map
from kamplan.problems import Problem, WithProblems
from kamplan.stages.account_plan import carried, our_people
from kamplan.stages.evaluation import new_name
from kamplan.stages.wallet import business_usage
from kamplan.workbooks.month_review.content import MonthReviewContent
from kamplan.workbooks.month_review.writer import write_month_review_workbook
from kamplan.workspace import Workspace

FOLDER = "month-review"


@dataclass
class MonthReviewResult(WithProblems):
    month: str = ""
    path: Path | None = None
    reps: int = 0
    changes: int = 0
    overdue: int = 0
    stale: int = 0
    uncovered: int = 0
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"month": self.month, "path": str(self.path) if self.path else None, "salespeople": self.reps,
                "changes": self.changes, "overdue_actions": self.overdue, "stale_plans": self.stale,
                "decision_maps_uncovered": self.uncovered, "problems": self.problems}


def parse_month(text: str | None, today: dt.date | None = None) -> dt.date:
    """The first day of month ``YYYY-MM`` (default: this month); ValueError for anything else."""
    if not text:
        return (today or dt.date.today()).replace(day=1)
    year, _, month = text.strip().partition("-")
    if not (year.isdigit() and month.isdigit() and len(year) == 4 and 1 <= int(month) <= 12):
        raise ValueError(text)
    return dt.date(int(year), int(month), 1)


class PlanReads:
    """What a review reads from the store and the config, read once for the reviews of several months (the
    three months of a quarter read the same plans, changes, usage and sales; reading them once per month
    was a third of the demo's monthly reviews, measured)."""

    def __init__(self, ws: Workspace):
        cfg, store = ws.config, ws.store
        self.year = year = cfg.plan_year
        self.versions = store.account_plan_versions(year)
        self.changes = store.account_plan_changes(year=year)
        # the VP side: personal fields are left out
        self.rows = {sheet: store.account_plan_rows(year, sheet) for sheet in ("actions", "contacts", "projects")}
        self.carried = carried(ws)
        self.usage = business_usage(ws, [year])
        self.wallet = share_of_wallet(store.history([year]), self.usage)


def review_content(ws: Workspace, month: dt.date, *, note: str = "", language: str | None = None,
                   now: dt.datetime | None = None, reads: PlanReads | None = None) -> MonthReviewContent:
    """The review of ``month`` (any day in it); ``reads``: the store's tables read already."""
    cfg = ws.config
    got = reads or PlanReads(ws)
    lang = language or cfg.language
    start, end = month_span(month)
    year = got.year
    versions = got.versions
    upto = versions[versions["collected_at"].map(lambda d: pd.Timestamp(d).date() <= end)] if len(versions) else versions
    mine = got.carried
    reps = [s.id for s in cfg.staff if s.id in mine]
    changes = month_changes(got.changes, versions, start, end)
    overdue = overdue_actions(got.rows["actions"], end)
    freshness = plan_freshness({r: mine[r] for r in reps}, upto, end, cfg.account_plan.stale_days)
    coverage = decision_coverage({r: mine[r] for r in reps}, got.rows["contacts"])
    projects = pipeline(got.rows["projects"])
    wallet = _wallet(ws, got, end, reps)
    names = {"account": {a.id: a.name.get(lang) for a in cfg.accounts},
             "product": {p.id: p.name.get(lang) for p in cfg.products},
             "rep": {s.id: s.name.get(lang) for s in cfg.staff}, "person": dict(our_people(cfg))}
    return MonthReviewContent(
        month=f"{start:%Y-%m}", start=start, end=end, year=year, language=lang, company=cfg.company.name.get(lang),
        currency=cfg.currency, sheet_password=cfg.workbook.sheet_password,
        generated_at=(now or dt.datetime.now()).replace(microsecond=0), names=names, reps=reps, changes=changes,
        overdue=overdue, freshness=freshness, coverage=coverage, pipeline=projects, wallet=wallet, note=note,
        units={p.id: p.unit for p in cfg.products})


def _wallet(ws: Workspace, got: PlanReads, end: dt.date, reps: list[str]) -> pd.DataFrame:
    """Share of wallet per salesperson, account and product, the fiscal year to date through the quarter of
    ``end`` (a month outside the plan year reviews the whole year)."""
    year, mine, usage = got.year, got.carried, got.usage
    found = period_map(pd.Series([pd.Timestamp(end)]), ws.config.calendar)
    fy, fq = int(found.year[0]), int(found.quarter[0])
    last = fq if fy == year and bool(found.mapped[0]) else 4
    w = annual_wallet(got.wallet, year, last)
    if not len(w):
        return w.assign(rep_id=pd.Series(dtype=object), usage_year=pd.Series(dtype=float))
    annual = usage.groupby(["account_id", "product_id"])["usage"].sum()
    w["usage_year"] = [float(annual.get((a, p), 0.0)) for a, p in zip(w["account_id"], w["product_id"])]
    out = [w[w["account_id"].isin(mine[r])].assign(rep_id=r) for r in reps]
    return pd.concat(out, ignore_index=True) if out else w.assign(rep_id=pd.Series(dtype=object))


def review_month(ws: Workspace, month: dt.date, *, note: str = "", language: str | None = None,
                 now: dt.datetime | None = None, reads: PlanReads | None = None) -> MonthReviewResult:
    """Write the review workbook of ``month``; see the module docstring."""
    content = review_content(ws, month, note=note, language=language, now=now, reads=reads)
    folder = ws.reports / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = write_month_review_workbook(new_name(folder / f"account_plan_review_{content.month}.xlsx"), content)
    return _result(path, content)


def _result(path: Path, content: MonthReviewContent) -> MonthReviewResult:
    return MonthReviewResult(month=content.month, path=path, reps=len(content.reps), changes=len(content.changes),
                             overdue=len(content.overdue), stale=int(content.freshness["stale"].sum()),
                             uncovered=int((~content.coverage["covered"].astype(bool)).sum()))


def review_month_jobs(ws: Workspace, months: list[tuple[dt.date, dt.datetime | None]], *, note: str = "",
                      language: str | None = None) -> list[tuple[Path, MonthReviewContent]]:
    """(path, content) of the review of each (month, now), the store read once for all of them: for
    ``write_month_review_workbook``, here or in another process (the demo writes them on its second core)."""
    if len({m.replace(day=1) for m, _ in months}) < len(months):
        raise ValueError("each month once: two reviews of one month would take the same file name")
    reads = PlanReads(ws)
    folder = ws.reports / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for month, now in months:
        content = review_content(ws, month, note=note, language=language, now=now, reads=reads)
        out.append((new_name(folder / f"account_plan_review_{content.month}.xlsx"), content))
    return out


def review_months(ws: Workspace, months: list[tuple[dt.date, dt.datetime | None]], *, note: str = "",
                  language: str | None = None) -> list[MonthReviewResult]:
    """The review workbooks of several (month, now) in order, the store read once for all of them."""
    return [_result(write_month_review_workbook(path, content), content)
            for path, content in review_month_jobs(ws, months, note=note, language=language)]
