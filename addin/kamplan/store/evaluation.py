"""The VP's evaluation inputs in the store: ratings and comments per salesperson and goal, and the
status of each service commitment.

Rows are only ever added (one transaction per collected workbook); the newest per key is in
force, so a re-collected older workbook never loses what came after -- the stage only stores what
changed against what is in force.  Functions take a ``Store`` so this feature's storage lives
in its own module.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from kamplan.store import schema as s
from kamplan.store.db import Store, StoreError, _frame_from_dicts, _insert, _insert_event, _kind_of, _whole

SERVICE_STATUSES = ("open", "in_progress", "delivered", "late", "dropped")


def record_evaluation_inputs(store: Store, year: int, quarter: int, ratings: Sequence[Mapping[str, Any]] = (),
                             statuses: Sequence[Mapping[str, Any]] = ()) -> tuple[int, int]:
    """Add ratings (rep_id, goal, rating or None, comment or None, by, at, source, workbook_id) and service
    statuses (account_id, commitment, status or None, note, by, at, source, workbook_id) in one transaction.

    ``quarter`` 1-4 for a quarterly evaluation, 0 for the annual one. Returns how many of each.
    """
    year, quarter = _whole(year, "year"), _whole(quarter, "quarter")
    if not 0 <= quarter <= 4:
        raise StoreError(f"quarter {quarter} must be 0 (annual) or 1-4")
    r_rows, s_rows = [], []
    for r in ratings:
        rating = r.get("rating")
        if rating is not None:
            rating = float(rating)
            if not math.isfinite(rating):
                raise StoreError(f"rating of {r.get('rep_id')}/{r.get('goal')} must be a finite number")
        _check_at(r)
        r_rows.append({"year": year, "quarter": quarter, "rep_id": str(r["rep_id"]), "goal": str(r["goal"]),
                       "rating": rating, "comment": r.get("comment") or None, "by": str(r.get("by") or ""),
                       "at": r["at"], "source": str(r.get("source") or ""),
                       "workbook_id": str(r.get("workbook_id") or "")})
    for x in statuses:
        status = x.get("status")
        if status is not None and status not in SERVICE_STATUSES:
            raise StoreError(f"service status {status!r} is not one of {SERVICE_STATUSES}")
        _check_at(x)
        s_rows.append({"year": year, "quarter": quarter, "account_id": str(x["account_id"]),
                       "commitment": str(x["commitment"]), "status": status, "note": x.get("note") or None,
                       "by": str(x.get("by") or ""), "at": x["at"], "source": str(x.get("source") or ""),
                       "workbook_id": str(x.get("workbook_id") or "")})
    with store._write() as conn:
        if r_rows:
            _insert(conn, s.evaluation_ratings, r_rows)
        if s_rows:
            _insert(conn, s.service_statuses, s_rows)
        if r_rows or s_rows:
            _insert_event(conn, "evaluation.collect", {"year": year, "quarter": quarter, "ratings": len(r_rows),
                                                       "statuses": len(s_rows)})
    return len(r_rows), len(s_rows)


def _check_at(row: Mapping[str, Any]) -> None:
    if not isinstance(row.get("at"), dt.datetime):
        raise StoreError(f"at must be a datetime, got {row.get('at')!r}")


def evaluation_ratings(store: Store, year: int, quarter: int | None = None,
                       include_history: bool = False) -> pd.DataFrame:
    """Ratings in force (the newest per year, quarter, salesperson and goal), or every row oldest first.

    Columns: id, year, quarter, rep_id, goal, rating, comment, by, at, source, workbook_id.
    """
    t = s.evaluation_ratings
    stmt = sa.select(t).where(t.c.year == _whole(year, "year")).order_by(t.c.id)
    if quarter is not None:
        stmt = stmt.where(t.c.quarter == _whole(quarter, "quarter"))
    return _newest(store, t, stmt, ("year", "quarter", "rep_id", "goal"), include_history)


def service_statuses(store: Store, year: int, include_history: bool = False) -> pd.DataFrame:
    """Service statuses in force (the newest per account and commitment), or every row oldest first.

    Columns: id, year, quarter, account_id, commitment, status, note, by, at, source, workbook_id.
    """
    t = s.service_statuses
    stmt = sa.select(t).where(t.c.year == _whole(year, "year")).order_by(t.c.id)
    return _newest(store, t, stmt, ("year", "account_id", "commitment"), include_history)


def _newest(store: Store, table: sa.Table, stmt, key: tuple[str, ...], include_history: bool) -> pd.DataFrame:
    kinds = {c.name: _kind_of(c) for c in table.columns}
    with store._read() as conn:
        rows = [r._asdict() for r in conn.execute(stmt)]
    if not include_history:
        newest: dict[tuple, dict] = {}
        for r in rows:
            newest[tuple(r[k] for k in key)] = r
        rows = sorted(newest.values(), key=lambda r: tuple(r[k] for k in key))
    return _frame_from_dicts(rows, kinds)
