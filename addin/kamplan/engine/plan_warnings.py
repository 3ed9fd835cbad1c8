"""Early-warning flags from the account plans (issue 15): what the salesperson wrote down about an account.

Each function returns ``(account, (code, evidence, facts))``: the English evidence sentence and its facts
(plain values, dates as ISO text) for the catalogue to say in the workbook's language.

* ``new-competitor``: a competitor added to an account's plan by a version after the first one (the first
  collected plan lists what was already there), seen (its ``last_seen``, else the day the plan was
  collected) from ``start`` to ``end``;
* ``opponent-decision-maker``: a contact whose role is decision maker and whose attitude is opponent;
* ``stale-plan``: a salesperson visit (activity log) after the plan was last collected, or the plan not
  collected for more than ``stale_days`` at ``as_of``;
* ``satisfaction-drop``: the average satisfaction of the quarter's visit reports at least
  ``satisfaction_drop`` below the previous quarter's;
* ``old-complaint``: a complaint still open at ``as_of`` that was raised more than ``complaint_days`` earlier
  (from the activity log, and from the visit reports' raised / closed counts, oldest raised closed first).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

Found = list[tuple[str, tuple[str, str, dict]]]


def as_date(value) -> dt.date | None:
    """A date from a date, a datetime or ISO text; None for blank or unreadable values."""
    if value is None or (not isinstance(value, (dt.date, str)) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def new_competitors(competitors: pd.DataFrame, changes: pd.DataFrame, versions: pd.DataFrame,
                    start: dt.date, end: dt.date) -> Found:
    """``competitors``: current rows (account_id, row_id, competitor, last_seen); ``changes``: the store's
    change records (version_id, sheet, row_id, change); ``versions``: id, rep_id, collected_at."""
    if not len(competitors) or not len(changes) or not len(versions):
        return []
    first = versions.groupby("rep_id")["id"].min().to_dict()
    rep_of = dict(zip(versions["id"], versions["rep_id"]))
    collected = {i: as_date(c) for i, c in zip(versions["id"], versions["collected_at"])}
    added = changes[(changes["sheet"] == "competitors") & (changes["change"] == "added")]
    added_by = {r: int(v) for r, v in zip(added["row_id"], added["version_id"])}
    out = []
    for r in competitors.itertuples():
        version = added_by.get(r.row_id)
        if version is None or first.get(rep_of.get(version)) == version:
            continue
        seen = as_date(getattr(r, "last_seen", None)) or collected.get(version)
        if seen is not None and start <= seen <= end:
            out.append((r.account_id, ("new-competitor", f"competitor {r.competitor} newly seen on {seen.isoformat()}",
                                       {"competitor": str(r.competitor), "date": seen.isoformat()})))
    return out


def opponent_decision_makers(contacts: pd.DataFrame) -> Found:
    """``contacts``: current rows (account_id, name, title, role, attitude)."""
    if not len(contacts) or "role" not in contacts or "attitude" not in contacts:
        return []
    hit = contacts[(contacts["role"] == "decision_maker") & (contacts["attitude"] == "opponent")]
    out = []
    for r in hit.itertuples():
        title = "" if pd.isna(getattr(r, "title", None)) else str(getattr(r, "title", "") or "")
        out.append((r.account_id, ("opponent-decision-maker",
                                   f"decision maker {r.name}{f' ({title})' if title else ''} is an opponent",
                                   {"contact": str(r.name), "title": title, "variant": "title" if title else "plain"})))
    return out


def stale_plans(updated: Mapping[str, object], last_visit: Mapping[str, object], as_of: dt.date,
                stale_days: int) -> Found:
    """``updated``: account -> when its plan was last collected; ``last_visit``: account -> the last
    salesperson visit up to ``as_of``."""
    out = []
    for acc in sorted(updated):
        when = as_date(updated[acc])
        if when is None or when > as_of:
            continue
        visit = as_date(last_visit.get(acc))
        if visit is not None and visit > when:
            out.append((acc, ("stale-plan", f"plan last updated {when.isoformat()}, before the visit on "
                                            f"{visit.isoformat()}",
                              {"updated": when.isoformat(), "visit": visit.isoformat(), "days": (as_of - when).days,
                               "variant": "visit"})))
        elif (as_of - when).days > stale_days:
            out.append((acc, ("stale-plan", f"plan not updated for {(as_of - when).days} days (since "
                                            f"{when.isoformat()})",
                              {"updated": when.isoformat(), "days": (as_of - when).days, "variant": "days"})))
    return out


def satisfaction_drops(visits: pd.DataFrame, year: int, quarter: int, drop: float) -> Found:
    """``visits``: account_id, year, quarter (fiscal, of the visit date), satisfaction (1-5, may be blank)."""
    if not len(visits) or "satisfaction" not in visits:
        return []
    v = visits.assign(satisfaction=pd.to_numeric(visits["satisfaction"], errors="coerce")).dropna(subset=["satisfaction"])
    now = (year, quarter)
    before = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    mean = v.groupby(["account_id", "year", "quarter"])["satisfaction"].mean()
    out = []
    for acc in sorted(set(v["account_id"])):
        cur, prev = mean.get((acc, *now)), mean.get((acc, *before))
        if cur is not None and prev is not None and prev - cur >= drop:
            out.append((acc, ("satisfaction-drop", f"visit satisfaction {cur:.1f} in {now[0]} Q{now[1]} vs "
                                                   f"{prev:.1f} in {before[0]} Q{before[1]}",
                              {"now": float(cur), "before": float(prev), "period": f"{now[0]} Q{now[1]}",
                               "period_before": f"{before[0]} Q{before[1]}"})))
    return out


def open_since(visits: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """account_id, date of the complaints the visit reports leave open at ``as_of``: each report's
    ``complaints_raised`` opens that many on its date, ``complaints_closed`` closes the oldest open ones."""
    rows = []
    if len(visits) and "complaints_raised" in visits:
        v = visits.assign(day=visits["date"].map(as_date)).dropna(subset=["day"])
        for acc, g in v[v["day"] <= as_of].sort_values("day", kind="mergesort").groupby("account_id"):
            still: list[dt.date] = []
            for day, raised, closed in zip(g["day"], g["complaints_raised"], g.get("complaints_closed", 0)):
                still = still[int(_count(closed)):] + [day] * int(_count(raised))
            rows += [(acc, d) for d in still]
    return pd.DataFrame(rows, columns=["account_id", "date"])


def _count(x) -> float:
    value = pd.to_numeric(x, errors="coerce")
    return 0.0 if pd.isna(value) else max(float(value), 0.0)


def old_complaints(open_complaints: pd.DataFrame, as_of: dt.date, days: int) -> Found:
    """``open_complaints``: account_id, date (raised) of the complaints still open at ``as_of``."""
    out = []
    if not len(open_complaints):
        return out
    dated = open_complaints.assign(day=open_complaints["date"].map(as_date)).dropna(subset=["day"])
    for acc, g in dated.groupby("account_id"):
        oldest = min(g["day"])
        age = (as_of - oldest).days
        if age > days:
            n = int((as_of - g["day"]).map(lambda d: d.days > days).sum())
            out.append((acc, ("old-complaint", f"{n} complaint(s) open for more than {days} days, the oldest since "
                                               f"{oldest.isoformat()} ({age} days)",
                              {"n": n, "days": days, "date": oldest.isoformat(), "age": age})))
    return out
