"""Resource allocation in the store: every ``kamplan resources allocate`` run with what it gave, and the
VP's forced in / out choices and capacity changes (never deleted: the newest row is in force).

Functions take an open ``Store``; each write is one transaction.  Queries for later stages:

* ``latest_allocation(store, year)``: the newest run of a plan year with its requests, assignments,
  unmet requests and marginal values;
* ``support_by_account(store, year)``: per account what it will get (kind, person, quarter, amount,
  purpose, task, deadline), for the agreed plan's salesperson workbooks.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from typing import Any, Mapping

import pandas as pd
import sqlalchemy as sa

from kamplan.messages import Message
from kamplan.store import schema as s
from kamplan.store.db import Store
from kamplan.store.sql import (
    StoreError, add_logged, frame_from_dicts, frame_of, insert_event, insert_rows, kinds_of, newest_per_key, now,
    oldest_first, table_frame, to_json, whole,
)

CHOICES = ("in", "out")
SUPPORT_COLUMNS = ["account_id", "kind", "person", "quarter", "amount", "purpose", "task", "deadline"]


@dataclasses.dataclass
class StoredAllocation:
    """One stored run: ``run`` (id, plan_year, created_at, by, settings (dict), method, status, objective,
    bound, gap, greedy_objective, seconds, workbook) and its frames."""
    run: dict
    requests: pd.DataFrame
    assignments: pd.DataFrame
    unmet: pd.DataFrame
    marginals: pd.DataFrame


def _clean(v: Any) -> Any:
    """Plain Python values for the driver: numpy scalars unboxed, NaN/NaT -> None."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v


def _rows(frame: pd.DataFrame | None, table: sa.Table, run_id: int, numbered: bool = False) -> list[dict]:
    if frame is None or not len(frame):
        return []
    names = [c.name for c in table.columns if c.name not in ("run_id", "line_no")]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise StoreError(Message("store.frame-lacks-columns", table=table.name, columns=str(missing)))
    out = []
    for i, rec in enumerate(frame[names].to_dict("records")):
        row = {"run_id": run_id, **{k: _clean(v) for k, v in rec.items()}}
        if numbered:
            row["line_no"] = i
        out.append(row)
    return out


def record_allocation(store: Store, plan_year: int, *, by: str, settings: Mapping[str, Any], method: str,
                      status: str, objective: float | None, bound: float | None, gap: float | None,
                      greedy_objective: float | None, seconds: float, requests: pd.DataFrame,
                      assignments: pd.DataFrame, unmet: pd.DataFrame, marginals: pd.DataFrame,
                      workbook: str | None = None, at: dt.datetime | None = None) -> int:
    """Keep one allocation run and everything it gave, in one transaction; returns the run id.

    Frames carry the columns of ``allocation_requests`` / ``_assignments`` / ``_unmet`` /
    ``_marginals`` (without ``run_id`` and ``line_no``)."""
    plan_year = whole(plan_year, "plan_year")

    def fin(x):
        x = _clean(x)
        return x if x is None or math.isfinite(x) else None
    with store.writing() as conn:
        run_id = conn.execute(s.allocation_runs.insert().values(
            plan_year=plan_year, created_at=at or now(), by=str(by), settings=to_json(dict(settings)),
            method=str(method), status=str(status), objective=fin(objective), bound=fin(bound), gap=fin(gap),
            greedy_objective=fin(greedy_objective), seconds=float(seconds), workbook=workbook,
        )).inserted_primary_key[0]
        insert_rows(conn, s.allocation_requests, _rows(requests, s.allocation_requests, run_id))
        insert_rows(conn, s.allocation_assignments, _rows(assignments, s.allocation_assignments, run_id, True))
        insert_rows(conn, s.allocation_unmet, _rows(unmet, s.allocation_unmet, run_id))
        insert_rows(conn, s.allocation_marginals, _rows(marginals, s.allocation_marginals, run_id, True))
        insert_event(conn, "resources.allocated", {"plan_year": plan_year, "run_id": run_id, "status": status,
                                                   "objective": fin(objective), "gap": fin(gap),
                                                   "workbook": workbook})
    return int(run_id)


def allocation_runs(store: Store, plan_year: int | None = None) -> pd.DataFrame:
    """Every run, oldest first (settings as JSON text)."""
    t = s.allocation_runs
    with store.reading() as conn:
        return table_frame(conn, t, oldest_first(t, plan_year=whole(plan_year, "plan_year", missing_ok=True)))


def latest_allocation(store: Store, plan_year: int, run_id: int | None = None) -> StoredAllocation | None:
    """The newest run of ``plan_year`` (or run ``run_id``) with its frames; None when there is none."""
    plan_year = whole(plan_year, "plan_year")
    t = s.allocation_runs
    stmt = sa.select(t).where(t.c.plan_year == plan_year)
    stmt = stmt.where(t.c.id == whole(run_id, "run_id")) if run_id is not None else stmt.order_by(t.c.id.desc())
    with store.reading() as conn:
        run = conn.execute(stmt.limit(1)).mappings().first()
        if run is None:
            return None
        rid = run["id"]
        frames = {}
        for key, table, order in (("requests", s.allocation_requests, s.allocation_requests.c.request_id),
                                  ("assignments", s.allocation_assignments, s.allocation_assignments.c.line_no),
                                  ("unmet", s.allocation_unmet, s.allocation_unmet.c.request_id),
                                  ("marginals", s.allocation_marginals, s.allocation_marginals.c.line_no)):
            kinds = kinds_of(table, skip=("run_id", "line_no"))
            sel = sa.select(*[table.c[c] for c in kinds]).where(table.c.run_id == rid).order_by(order)
            frames[key] = frame_of(conn.execute(sel), kinds)
    run = dict(run)
    run["settings"] = json.loads(run["settings"])
    return StoredAllocation(run, **frames)


def support_by_account(store: Store, plan_year: int) -> pd.DataFrame:
    """Per account what the newest allocation of ``plan_year`` gives it: ``SUPPORT_COLUMNS``, one row per
    (account, kind, person, quarter, request), sorted by account, quarter, kind, person.  Empty when the
    year has no allocation yet."""
    got = latest_allocation(store, plan_year)
    if got is None or not len(got.assignments):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SUPPORT_COLUMNS})
    req = got.requests.set_index("request_id")
    a = got.assignments
    out = pd.DataFrame({
        "account_id": a["account_id"].astype(object), "kind": a["kind"].astype(object),
        "person": a["person_id"].astype(object), "quarter": a["quarter"].astype("int64"),
        "amount": a["amount"].astype("float64"),
        "purpose": a["request_id"].map(req["purpose"]).astype(object),
        "task": a["request_id"].map(req["task"]).astype(object),
        "deadline": a["request_id"].map(req["deadline"]).astype(object)})
    return out.sort_values(["account_id", "quarter", "kind", "person"], kind="stable").reset_index(drop=True)


# -- the VP's choices -----------------------------------------------------------------------------------
def record_choices(store: Store, plan_year: int, choices: list[Mapping[str, Any]] = (),
                   capacity: list[Mapping[str, Any]] = ()) -> tuple[int, int]:
    """Add forced choices (request_id, account_id, kind, choice "in"/"out"/None, by, at, source) and
    capacity changes (person_id, quarter, capacity or None, by, at, source); returns how many of each."""
    plan_year = whole(plan_year, "plan_year")
    c_rows, k_rows = [], []
    for c in choices:
        if c.get("choice") not in (*CHOICES, None):
            raise StoreError(Message("store.resources.not-a-choice", request=repr(c.get("request_id")),
                                     choice=repr(c.get("choice"))))
        if not isinstance(c.get("at"), dt.datetime):
            raise StoreError(Message("store.resources.choice-at", request=repr(c.get("request_id"))))
        c_rows.append({"plan_year": plan_year, "request_id": str(c["request_id"]),
                       "account_id": str(c["account_id"]), "kind": str(c["kind"]), "choice": c.get("choice"),
                       "by": str(c.get("by") or ""), "at": c["at"], "source": str(c.get("source") or "")})
    for k in capacity:
        value = k.get("capacity")
        if value is not None and (not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0):
            raise StoreError(Message("store.resources.capacity", person=repr(k.get("person_id")),
                                     quarter=k.get("quarter"), value=repr(value)))
        if not isinstance(k.get("at"), dt.datetime):
            raise StoreError(Message("store.resources.capacity-at", person=repr(k.get("person_id"))))
        k_rows.append({"plan_year": plan_year, "person_id": str(k["person_id"]),
                       "quarter": whole(k["quarter"], "quarter"),
                       "capacity": None if value is None else float(value), "by": str(k.get("by") or ""),
                       "at": k["at"], "source": str(k.get("source") or "")})
    with store.writing() as conn:
        add_logged(conn, {s.allocation_choices: c_rows, s.allocation_capacity: k_rows}, "resources.choices",
                   {"plan_year": plan_year, "choices": len(c_rows), "capacity": len(k_rows)})
    return len(c_rows), len(k_rows)


def choices(store: Store, plan_year: int, include_history: bool = False) -> pd.DataFrame:
    """Forced choices in force for ``plan_year`` (the newest per request, unless it lifted the choice);
    ``include_history``: every row, oldest first."""
    return _newest(store, s.allocation_choices, plan_year, ("request_id",), "choice", include_history)


def capacity_changes(store: Store, plan_year: int, include_history: bool = False) -> pd.DataFrame:
    """Capacity changes in force (newest per person and quarter, unless it went back to the config's)."""
    return _newest(store, s.allocation_capacity, plan_year, ("person_id", "quarter"), "capacity", include_history)


def _newest(store: Store, t: sa.Table, plan_year: int, key: tuple[str, ...], value: str,
            include_history: bool) -> pd.DataFrame:
    plan_year = whole(plan_year, "plan_year")
    kinds = kinds_of(t, skip=("plan_year",))
    stmt = sa.select(*[t.c[c] for c in kinds]).where(t.c.plan_year == plan_year).order_by(t.c.id)
    with store.reading() as conn:
        rows = [r._asdict() for r in conn.execute(stmt)]
    if not include_history:
        rows = newest_per_key(rows, key, lambda r: r[value] is not None)
    return frame_from_dicts(rows, kinds)
