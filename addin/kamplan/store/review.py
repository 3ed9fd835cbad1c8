"""The account review in the store: every classification run (``kamplan accounts segment`` or collect)
with its rows, the VP's class overrides and the judgement scores.

Overrides and judgements are only ever added: the newest row is in force, older ones stay.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from kamplan.messages import Message
from kamplan.store import schema as s
from kamplan.store.sql import (
    StoreError, add_logged, frame_from_dicts, frame_of, insert_event, insert_rows, kinds_of, newest_per_key, now,
    oldest_first, parse_json, require_datetime, table_frame, to_json, whole,
)

CLASS_IDS = ("key", "develop", "watch", "drop")
_NULLABLE_SCORES = ("share", "cum_share", "growth", "score_hard", "score_strength", "score_capability", "score")


def _classification_records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of one run as ``classifications`` records; refuses unknown classes and repeated accounts."""
    bad = sorted({c for c in rows["cls"] if c not in CLASS_IDS}) if len(rows) else []
    if bad:
        raise StoreError(Message("store.review.not-classes", classes=str(bad), allowed=str(CLASS_IDS)))
    if len(rows) and rows["account_id"].duplicated().any():
        dup = rows.loc[rows["account_id"].duplicated(), "account_id"].iloc[0]
        raise StoreError(Message("store.review.account-twice", account=repr(dup)))
    records = []
    for r in rows.to_dict("records"):
        rec = {"account_id": str(r["account_id"]), "cls": r["cls"], "rule": str(r.get("rule") or ""),
               "reason": str(r.get("reason") or ""),
               "rule_values": to_json(r.get("rule_values") or {}), "rank": whole(int(r["rank"]), "rank"),
               "measure": float(r["measure"]), "profit": float(r["profit"]),
               "flags": to_json(list(r.get("flags") or []))}
        for c in _NULLABLE_SCORES:
            v = r.get(c)
            rec[c] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
        records.append(rec)
    return records


def _override_row(plan_year: int, o: Mapping[str, Any]) -> dict[str, Any]:
    cls = o.get("cls")
    if cls is not None and cls not in CLASS_IDS:
        raise StoreError(Message("store.review.override-class", account=repr(o.get("account_id")), cls=repr(cls),
                                 allowed=str(CLASS_IDS)))
    if cls is not None and not str(o.get("reason") or "").strip():
        raise StoreError(Message("store.review.override-reason", account=repr(o.get("account_id"))))
    require_datetime(o.get("at"), f"override for {o.get('account_id')!r}: at")
    return {"plan_year": plan_year, "account_id": str(o["account_id"]), "cls": cls,
            "reason": str(o.get("reason") or ""), "by": str(o.get("by") or ""), "at": o["at"],
            "source": str(o.get("source") or "")}


def _judgement_row(plan_year: int, j: Mapping[str, Any]) -> dict[str, Any]:
    try:
        score = float(j["score"])
    except (TypeError, ValueError):
        raise StoreError(Message("store.review.judgement-not-number", account=j.get("account_id"),
                                 indicator=j.get("indicator"), score=repr(j.get("score")))) from None
    if not math.isfinite(score):
        raise StoreError(Message("store.review.judgement-not-finite", account=j.get("account_id"),
                                 indicator=j.get("indicator")))
    require_datetime(j.get("at"), f"judgement {j.get('account_id')}: at")
    return {"plan_year": plan_year, "account_id": str(j["account_id"]), "indicator": str(j["indicator"]),
            "score": score, "judge": str(j.get("judge") or ""), "at": j["at"], "source": str(j.get("source") or "")}


class Review:
    """The account-review part of ``Store``."""

    def record_classification(self, plan_year: int, basis: str, period: tuple[str, str], measure: str,
                              rules: Mapping[str, Any], summary: Mapping[str, Any], rows: pd.DataFrame,
                              at: dt.datetime | None = None) -> int:
        """Keep one classification run and its rows; returns the run id.

        ``rows``: one per account with account_id, cls, rule, reason, rule_values (dict), rank,
        measure, share, cum_share, profit, growth, score_hard, score_strength, score_capability,
        score, flags (list of codes).  Empty numbers (NaN) are stored as NULL.
        """
        plan_year = whole(plan_year, "plan_year")
        records = _classification_records(rows)
        with self.writing() as conn:
            run_id = conn.execute(s.classification_runs.insert().values(
                plan_year=plan_year, basis=str(basis), period_start=period[0], period_end=period[1],
                measure=str(measure), created_at=at or now(), rules=to_json(rules),
                summary=to_json(summary))).inserted_primary_key[0]
            insert_rows(conn, s.classifications, [{**r, "run_id": run_id} for r in records])
            insert_event(conn, "accounts.segment", {"run_id": run_id, "plan_year": plan_year,
                                                    "period": list(period), "accounts": len(records)})
        return run_id

    def classification_runs(self, plan_year: int | None = None) -> pd.DataFrame:
        """id, plan_year, basis, period_start, period_end, measure, created_at, rules, summary (dicts); oldest first."""
        t = s.classification_runs
        stmt = oldest_first(t, plan_year=whole(plan_year, "plan_year", missing_ok=True))
        with self.reading() as conn:
            return parse_json(table_frame(conn, t, stmt), "rules", "summary")

    def classification(self, plan_year: int, run_id: int | None = None) -> tuple[dict | None, pd.DataFrame]:
        """The newest classification run for ``plan_year`` (or run ``run_id``): (run, rows by rank).

        Returns (None, empty frame) when there is none.  ``rule_values`` and ``flags`` come back parsed.
        """
        t, c = s.classification_runs, s.classifications
        stmt = sa.select(t).where(t.c.plan_year == whole(plan_year, "plan_year"))
        stmt = stmt.where(t.c.id == whole(run_id, "run_id")) if run_id is not None else \
            stmt.order_by(t.c.id.desc()).limit(1)
        kinds = kinds_of(c)
        with self.reading() as conn:
            run = conn.execute(stmt).mappings().first()
            if run is None:
                return None, frame_from_dicts([], kinds)
            rows = frame_of(conn.execute(sa.select(c).where(c.c.run_id == run["id"]).order_by(c.c.rank)), kinds)
        run = dict(run)
        run["rules"], run["summary"] = json.loads(run["rules"]), json.loads(run["summary"])
        return run, parse_json(rows, "rule_values", "flags")

    def record_review(self, plan_year: int, overrides: list[Mapping[str, Any]] = (),
                      judgements: list[Mapping[str, Any]] = ()) -> tuple[int, int]:
        """Add class overrides and judgement scores in one transaction; returns how many of each.

        Override: account_id, cls (a class, or None to lift the override), reason, by, at, source.
        Judgement: account_id, indicator, score, judge, at, source.
        """
        plan_year = whole(plan_year, "plan_year")
        o_rows = [_override_row(plan_year, o) for o in overrides]
        j_rows = [_judgement_row(plan_year, j) for j in judgements]
        with self.writing() as conn:
            add_logged(conn, {s.class_overrides: o_rows, s.judgements: j_rows}, "accounts.review",
                       {"plan_year": plan_year, "overrides": len(o_rows), "judgements": len(j_rows)})
        return len(o_rows), len(j_rows)

    def overrides(self, plan_year: int, include_history: bool = False) -> pd.DataFrame:
        """The VP's class overrides for ``plan_year``: id, account_id, cls, reason, by, at, source.

        By default only those in force (the newest per account, unless it lifted the override);
        ``include_history`` gives every row, oldest first.
        """
        plan_year = whole(plan_year, "plan_year")
        t = s.class_overrides
        kinds = kinds_of(t, skip=("plan_year",))
        stmt = sa.select(*[t.c[c] for c in kinds]).where(t.c.plan_year == plan_year).order_by(t.c.id)
        with self.reading() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
        if not include_history:
            rows = newest_per_key(rows, ("account_id",), lambda r: r["cls"] is not None)
        return frame_from_dicts(rows, kinds)

    def judgements(self, plan_year: int, include_history: bool = False) -> pd.DataFrame:
        """Judgement scores in force for ``plan_year``: id, plan_year, account_id, indicator, score, judge,
        at, source -- the newest per account and indicator made for ``plan_year`` or an earlier year
        (a judgement carries over until it is judged again).  ``include_history``: every row of
        ``plan_year``, oldest first."""
        plan_year = whole(plan_year, "plan_year")
        t = s.judgements
        if include_history:
            stmt = sa.select(t).where(t.c.plan_year == plan_year).order_by(t.c.id)
        else:
            stmt = sa.select(t).where(t.c.plan_year <= plan_year).order_by(t.c.plan_year, t.c.id)
        with self.reading() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
        if not include_history:
            rows = newest_per_key(rows, ("account_id", "indicator"))
        return frame_from_dicts(rows, kinds_of(t))
