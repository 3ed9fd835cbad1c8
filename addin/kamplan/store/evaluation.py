"""The VP's evaluation inputs in the store: ratings and comments per salesperson and goal, and the
status of each service commitment.

Rows are only ever added (one transaction per collected workbook); the newest per key is in
force, so a re-collected older workbook never loses what came after -- the stage only stores what
changed against what is in force.  Functions take a ``Store`` so this feature's storage lives
in its own module.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from kamplan.store import schema as s
from kamplan.store.db import Store
from kamplan.store.sql import (
    StoreError, add_logged, frame_from_dicts, kinds_of, newest_per_key, require_datetime, whole,
)

SERVICE_STATUSES = ("open", "in_progress", "delivered", "late", "dropped")


def record_evaluation_inputs(store: Store, year: int, quarter: int, ratings: Sequence[Mapping[str, Any]] = (),
                             statuses: Sequence[Mapping[str, Any]] = ()) -> tuple[int, int]:
    """Add ratings (rep_id, goal, rating or None, comment or None, by, at, source, workbook_id) and service
    statuses (account_id, commitment, status or None, note, by, at, source, workbook_id) in one transaction.

    ``quarter`` 1-4 for a quarterly evaluation, 0 for the annual one. Returns how many of each.
    """
    year, quarter = whole(year, "year"), whole(quarter, "quarter")
    if not 0 <= quarter <= 4:
        raise StoreError(f"quarter {quarter} must be 0 (annual) or 1-4")
    r_rows, s_rows = [], []
    for r in ratings:
        rating = r.get("rating")
        if rating is not None:
            rating = float(rating)
            if not math.isfinite(rating):
                raise StoreError(f"rating of {r.get('rep_id')}/{r.get('goal')} must be a finite number")
        require_datetime(r.get("at"), "at")
        r_rows.append({"year": year, "quarter": quarter, "rep_id": str(r["rep_id"]), "goal": str(r["goal"]),
                       "rating": rating, "comment": r.get("comment") or None, "by": str(r.get("by") or ""),
                       "at": r["at"], "source": str(r.get("source") or ""),
                       "workbook_id": str(r.get("workbook_id") or "")})
    for x in statuses:
        status = x.get("status")
        if status is not None and status not in SERVICE_STATUSES:
            raise StoreError(f"service status {status!r} is not one of {SERVICE_STATUSES}")
        require_datetime(x.get("at"), "at")
        s_rows.append({"year": year, "quarter": quarter, "account_id": str(x["account_id"]),
                       "commitment": str(x["commitment"]), "status": status, "note": x.get("note") or None,
                       "by": str(x.get("by") or ""), "at": x["at"], "source": str(x.get("source") or ""),
                       "workbook_id": str(x.get("workbook_id") or "")})
    with store.writing() as conn:
        add_logged(conn, {s.evaluation_ratings: r_rows, s.service_statuses: s_rows}, "evaluation.collect",
                   {"year": year, "quarter": quarter, "ratings": len(r_rows), "statuses": len(s_rows)})
    return len(r_rows), len(s_rows)


def evaluation_ratings(store: Store, year: int, quarter: int | None = None,
                       include_history: bool = False) -> pd.DataFrame:
    """Ratings in force (the newest per year, quarter, salesperson and goal), or every row oldest first.

    Columns: id, year, quarter, rep_id, goal, rating, comment, by, at, source, workbook_id.
    """
    t = s.evaluation_ratings
    stmt = sa.select(t).where(t.c.year == whole(year, "year")).order_by(t.c.id)
    if quarter is not None:
        stmt = stmt.where(t.c.quarter == whole(quarter, "quarter"))
    return _newest(store, t, stmt, ("year", "quarter", "rep_id", "goal"), include_history)


def service_statuses(store: Store, year: int, include_history: bool = False) -> pd.DataFrame:
    """Service statuses in force (the newest per account and commitment), or every row oldest first.

    Columns: id, year, quarter, account_id, commitment, status, note, by, at, source, workbook_id.
    """
    t = s.service_statuses
    stmt = sa.select(t).where(t.c.year == whole(year, "year")).order_by(t.c.id)
    return _newest(store, t, stmt, ("year", "account_id", "commitment"), include_history)


def _newest(store: Store, table: sa.Table, stmt, key: tuple[str, ...], include_history: bool) -> pd.DataFrame:
    with store.reading() as conn:
        rows = [r._asdict() for r in conn.execute(stmt)]
    if not include_history:
        rows = newest_per_key(rows, key)
    return frame_from_dicts(rows, kinds_of(table))
