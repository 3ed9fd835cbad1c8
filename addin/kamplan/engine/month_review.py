"""The monthly account-plan review (每月作出分析, issue 15 item 4): pure tables from the stored plans.

Every function takes frames as the store gives them (``account_plan_rows`` / ``account_plan_changes`` /
``account_plan_versions``, the VP side: no personal data) and the review's month as ``start`` / ``end``
dates, and returns one table of the review workbook.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from kamplan.engine.plan_warnings import as_date

OPEN_STATUSES = ("open", "in_progress", None, "")
CHANGES_COLUMNS = ["rep_id", "account_id", "sheet", "row_id", "change", "field", "old", "new", "collected_at"]
SUBJECTS = ("contacts", "competitors", "projects", "business")  # what "what changed" reports


def month_span(month: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the calendar month of ``month``."""
    first = month.replace(day=1)
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def month_changes(changes: pd.DataFrame, versions: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """CHANGES_COLUMNS: what the plans collected from ``start`` to ``end`` changed in contacts, competitors,
    projects and the customer's business (shares and usage); personal fields never (``personal`` rows left out)."""
    if not len(changes) or not len(versions):
        return pd.DataFrame(columns=CHANGES_COLUMNS)
    when = {i: as_date(c) for i, c in zip(versions["id"], versions["collected_at"])}
    c = changes[changes["sheet"].isin(SUBJECTS) & ~changes["personal"].astype(bool)
                & (changes["field"].fillna("") != "personal_note")].copy()
    c["collected_at"] = c["version_id"].map(when)
    c = c[c["collected_at"].map(lambda d: d is not None and start <= d <= end)]
    return c[CHANGES_COLUMNS].sort_values(["rep_id", "account_id", "sheet", "row_id"], kind="mergesort").reset_index(drop=True)


def overdue_actions(actions: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """rep_id, account_id, action, owner, due, status, days_overdue: open actions due before ``as_of``."""
    cols = ["rep_id", "account_id", "action", "owner", "due", "status", "days_overdue"]
    if not len(actions) or "due" not in actions:
        return pd.DataFrame(columns=cols)
    a = actions.assign(due=actions["due"].map(as_date))
    status = a["status"].where(a["status"].notna(), None) if "status" in a else pd.Series(None, index=a.index)
    a = a[a["due"].notna() & status.isin(OPEN_STATUSES)]
    a = a[a["due"].map(lambda d: d < as_of)]
    a = a.assign(days_overdue=a["due"].map(lambda d: (as_of - d).days))
    for c in cols:
        if c not in a:
            a[c] = None
    return a[cols].sort_values(["rep_id", "days_overdue"], ascending=[True, False], kind="mergesort").reset_index(drop=True)


def plan_freshness(carried: dict[str, list[str]], versions: pd.DataFrame, as_of: dt.date,
                   stale_days: int) -> pd.DataFrame:
    """rep_id, account_id, updated, days, stale: each salesperson's plan per account they carry; never
    collected or older than ``stale_days`` at ``as_of`` is stale."""
    newest = {}
    if len(versions):
        for rep, when in zip(versions["rep_id"], versions["collected_at"]):
            d = as_date(when)
            if d is not None and d <= as_of and (rep not in newest or d > newest[rep]):
                newest[rep] = d
    rows = []
    for rep, accounts in carried.items():
        d = newest.get(rep)
        days = (as_of - d).days if d is not None else None
        for acc in accounts:
            rows.append({"rep_id": rep, "account_id": acc, "updated": d, "days": days,
                         "stale": d is None or days > stale_days})
    return pd.DataFrame(rows, columns=["rep_id", "account_id", "updated", "days", "stale"])


def decision_coverage(carried: dict[str, list[str]], contacts: pd.DataFrame) -> pd.DataFrame:
    """rep_id, account_id, decision_makers, covered: whether the account's decision map has a decision maker
    whose relationship one of our people owns (an owner and a relationship other than none)."""
    has = contacts if len(contacts) and "role" in contacts else pd.DataFrame(columns=["account_id", "role"])
    dm = has[has["role"] == "decision_maker"]
    # counted per account once (a filter per account took a fifth of the demo's monthly reviews, measured)
    owned = dm["owner"].fillna("").astype(str) != "" if "owner" in dm else pd.Series(False, index=dm.index)
    if "relationship" in dm:
        owned &= dm["relationship"].fillna("") != "none"
    makers = dm.groupby("account_id").size().to_dict() if len(dm) else {}
    covered = set(dm.loc[owned, "account_id"]) if len(dm) else set()
    rows = [{"rep_id": rep, "account_id": acc, "decision_makers": int(makers.get(acc, 0)), "covered": acc in covered}
            for rep, accounts in carried.items() for acc in accounts]
    return pd.DataFrame(rows, columns=["rep_id", "account_id", "decision_makers", "covered"])


def pipeline(projects: pd.DataFrame) -> pd.DataFrame:
    """rep_id, month ("YYYY-MM" of the next step's date, "" without one), stage, projects, value."""
    cols = ["rep_id", "month", "stage", "projects", "value"]
    if not len(projects):
        return pd.DataFrame(columns=cols)
    p = projects.assign(month=projects["next_date"].map(lambda v: (d := as_date(v)) and f"{d:%Y-%m}" or "")
                        if "next_date" in projects else "",
                        stage=projects["stage"].fillna("") if "stage" in projects else "",
                        value=pd.to_numeric(projects.get("value"), errors="coerce").fillna(0.0))
    out = p.groupby(["rep_id", "month", "stage"], as_index=False).agg(projects=("row_id", "count"),
                                                                      value=("value", "sum"))
    return out[cols].sort_values(["rep_id", "month", "stage"], kind="mergesort").reset_index(drop=True)
