"""What the account plans tell the evaluation (issue 15): share of wallet and the account-plan warnings.

``plan_signals`` reads the stored account plans (current versions; the VP side: never personal data) and
the activity log, and runs ``engine.wallet`` and ``engine.plan_warnings`` for one quarter.  Without any
collected account plan it returns empty frames and no flags, so a workspace that keeps no plans sees no
change.  ``say_evidence`` says a flag's evidence in a language from the catalogue (``warning.<code>``),
``warning.<code>.<variant>`` where the facts name a variant), the engine's English sentence where the
catalogue has no entry.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamplan.engine.plan_warnings import (
    new_competitors, old_complaints, open_since, opponent_decision_makers, satisfaction_drops, stale_plans,
)
from kamplan.engine.wallet import WALLET_COLUMNS, lost_share, share_of_wallet, usage_by_quarter
from kamplan.messages import has, say
from kamplan.periods import period_map
from kamplan.workspace import Workspace


@dataclass
class PlanSignals:
    """Share of wallet per account, product and quarter, and the flags for ``early_warnings``."""
    wallet: pd.DataFrame
    wallet_flags: list = field(default_factory=list)  # lost-share from the usage
    flags: list = field(default_factory=list)  # engine.plan_warnings


def _rows(ws: Workspace, year: int, sheet: str) -> pd.DataFrame:
    fn = getattr(ws.store, "account_plan_rows", None)
    return fn(year, sheet) if fn is not None else pd.DataFrame()


def _with_quarters(frame: pd.DataFrame, ws: Workspace, column: str = "date") -> pd.DataFrame:
    """``frame`` with the fiscal year and quarter of ``column``; rows without a date (or outside the calendar)
    are left out."""
    if not len(frame) or column not in frame:
        return frame.assign(year=pd.Series(dtype=int), quarter=pd.Series(dtype=int))
    dates = pd.to_datetime(frame[column], errors="coerce")
    f = frame[dates.notna()].copy()
    if not len(f):
        return f.assign(year=pd.Series(dtype=int), quarter=pd.Series(dtype=int))
    found = period_map(dates[dates.notna()], ws.config.calendar)
    f["year"], f["quarter"] = found.year, found.quarter
    return f[np.asarray(found.mapped)]


def visit_reports(ws: Workspace, year: int, quarter: int) -> pd.DataFrame:
    """The visit reports of the current plans of ``year`` dated in fiscal ``year`` up to ``quarter`` (the
    scorecard's year to date): rep_id (whose plan), account_id, date, satisfaction, complaints_raised ..."""
    v = _with_quarters(_rows(ws, year, "visits"), ws)
    return v[(v["year"] == year) & (v["quarter"] <= quarter)] if len(v) else v


def business_usage(ws: Workspace, years) -> pd.DataFrame:
    """The customers' usage per account, product, year and quarter from the Business sheets of the plans
    of ``years`` (``engine.wallet.usage_by_quarter``)."""
    parts = [b.assign(year=y) for y in sorted(set(years)) if len(b := _rows(ws, y, "business"))]
    business = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return usage_by_quarter(business, years)


def plan_signals(ws: Workspace, history: pd.DataFrame, year: int, quarter: int, activities: pd.DataFrame,
                 open_complaints: pd.DataFrame | None) -> PlanSignals:
    """Share of wallet and the account-plan flags of quarter ``quarter`` of ``year``; ``open_complaints``:
    account_id, date of the activity log's complaints open at the quarter's end."""
    versions = ws.store.account_plan_versions() if hasattr(ws.store, "account_plan_versions") else pd.DataFrame()
    if not len(versions):
        return PlanSignals(pd.DataFrame(columns=WALLET_COLUMNS))
    cfg = ws.config
    start, end = cfg.calendar.quarter_span(year, quarter)
    usage = business_usage(ws, [year - 1, year])
    wallet = share_of_wallet(history, usage)
    wallet_flags = lost_share(wallet, year, quarter, cfg.evaluation.warnings.share_drop)
    current = versions[versions["current"] & (versions["year"] == year)]
    changes = ws.store.account_plan_changes(year=year)
    flags = new_competitors(_rows(ws, year, "competitors"), changes, versions[versions["year"] == year], start, end)
    flags += opponent_decision_makers(_rows(ws, year, "contacts"))
    flags += _stale(ws, year, current, activities, end)
    visits = _with_quarters(_rows(ws, year, "visits"), ws)
    rules = cfg.evaluation.warnings
    flags += satisfaction_drops(visits, year, quarter, rules.satisfaction_drop)
    still = open_since(visits, end)
    if open_complaints is not None and len(open_complaints):
        # an account whose complaints the activity log tracks is judged by it (the visit reports would count
        # the same complaints twice); the others by their visit reports
        logged = open_complaints[["account_id", "date"]]
        still = pd.concat([still[~still["account_id"].isin(set(logged["account_id"]))], logged], ignore_index=True)
    flags += old_complaints(still, end, rules.complaint_days)
    return PlanSignals(wallet, wallet_flags, flags)


def _stale(ws: Workspace, year: int, current: pd.DataFrame, activities: pd.DataFrame, as_of: dt.date) -> list:
    """stale-plan flags: when each account's plan was last collected against its last salesperson visit."""
    if not len(current):
        return []
    business = _rows(ws, year, "business")
    collected = dict(zip(current["id"], current["collected_at"]))
    updated: dict[str, object] = {}
    for version, account in zip(business["version_id"], business["account_id"]):
        when = collected.get(version)
        if when is not None and (account not in updated or when > updated[account]):
            updated[account] = when
    last_visit: dict[str, object] = {}
    if len(activities):
        days = pd.to_datetime(activities["date"], errors="coerce")
        visits = activities[(activities["kind"] == "rep_visit") & days.notna() & (days.dt.date <= as_of)]
        last_visit = pd.to_datetime(visits["date"]).groupby(visits["account_id"]).max().map(lambda d: d.date()).to_dict()
    return stale_plans(updated, last_visit, as_of, ws.config.account_plan.stale_days)


def say_evidence(code: str, english: str, facts: dict | None, language: str) -> str:
    """A flag's evidence in ``language``: the catalogue's ``warning.<code>`` with the flag's facts, else the
    engine's English sentence."""
    if not facts:
        return english
    fields = {k: v for k, v in facts.items() if k != "variant"}
    key = f"warning.{code}" + (f".{facts['variant']}" if "variant" in facts else "")
    return say(key, language, **fields) if has(key, language) else english
