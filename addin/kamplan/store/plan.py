"""Plan versions and the agreed plan in the store.

Bottom-up consolidations, top-down adjustments and undos are versions with all their lines; the newest
version of a year is current.  Agreement locks a version; reopening lifts the lock (the reason is kept).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from kamplan.messages.versions import VERSION_KINDS  # the one list of how a version came about
from kamplan.store import schema as s
from kamplan.store.frames import FrameError, to_frame, to_tuples
from kamplan.store.sql import (
    StoreError, frame_from_dicts, insert_event, insert_tuples, now, table_frame, to_json, whole,
)

_VERSION_KINDS = {"id": "int", "kind": "str", "round": "Int64", "parent_id": "Int64", "created_at": "datetime",
                  "by": "str", "description": "str", "instruction": "json", "summary": "json",
                  "volume": "float", "revenue": "float", "n_lines": "int"}


class AlreadyAgreedError(StoreError):
    """The plan is agreed already; ``agreement`` is the agreement in force."""

    def __init__(self, message: str, agreement: dict):
        super().__init__(message)
        self.agreement = agreement


class BaseMovedError(StoreError):
    """A new plan version was built on a version that is no longer current: someone stored another one
    since it was read.  Nothing was written; running the command again builds on the new version."""


def plan_lock(year: int) -> str:
    """The name of the lock every change of ``year``'s plan takes (consolidate, spread, undo, agree, reopen)."""
    return f"plan:{year}"


def _require_base(conn: sa.Connection, year: int, base: int | None) -> None:
    """Inside the locked write: refuse when the current version is not ``base``, the one the caller read."""
    current = _current_version(conn, year)
    if current == base:
        return
    row = conn.execute(sa.select(s.plan_versions).where(s.plan_versions.c.id == current)).one()
    read = f"version {base}" if base is not None else "that there was no version yet"
    raise BaseMovedError(f"version {current} ({row.kind}) was stored by {row.by} at {row.created_at:%H:%M:%S} "
                         f"since you read {read} — rerun the command to build on version {current} "
                         "(nothing was stored)")


def agreement_in_force(conn: sa.Connection, year: int) -> dict | None:
    """The newest agreement row of ``year`` when it agreed (not reopened), else None."""
    a = s.plan_agreements
    row = conn.execute(sa.select(a).where(a.c.year == year).order_by(a.c.id.desc()).limit(1)).first()
    return row._asdict() if row is not None and row.action == "agreed" else None


def _current_version(conn: sa.Connection, year: int) -> int | None:
    v = s.plan_versions
    return conn.execute(sa.select(sa.func.max(v.c.id)).where(v.c.year == year)).scalar()


def _plan_tuples(lines: pd.DataFrame, year: int) -> tuple[list[str], list[tuple]]:
    try:
        return to_tuples(lines[s.PLAN_LINES.columns], s.PLAN_LINES, f"plan version of {year}")
    except KeyError as exc:
        raise StoreError(f"plan lines lack the column(s) {exc}; give {s.PLAN_LINES.columns}") from None
    except FrameError as exc:
        raise StoreError(str(exc)) from None


def _parsed_version(row: dict[str, Any]) -> dict[str, Any]:
    """A version row with its instruction and summary parsed."""
    row["instruction"] = None if row["instruction"] is None else json.loads(row["instruction"])
    row["summary"] = json.loads(row["summary"])
    return row


class Plan:
    """The plan-versions and agreement part of ``Store``."""

    def record_plan_version(self, year: int, kind: str, lines: pd.DataFrame, by: str, description: str,
                            round: int | None = None, parent_id: int | None = None,
                            instruction: Mapping[str, Any] | None = None,
                            summary: Mapping[str, Any] | None = None) -> int:
        """Store a new version of ``year``'s plan (``lines``: PLAN_LINE_COLUMNS) and return its id.

        ``parent_id`` is the version it was built on, which must still be the current version when the
        write transaction (holding the plan lock) checks it: else a BaseMovedError, nothing written, so
        two VPs spreading at once never silently lose the first one's figure.
        """
        year = whole(year, "year")
        if kind not in VERSION_KINDS:
            raise StoreError(f"a plan version is bottom-up, top-down or undo, not {kind!r}")
        names, tuples = _plan_tuples(lines, year)
        parent_id = whole(parent_id, "parent_id", missing_ok=True)
        with self.writing(lock=plan_lock(year)) as conn:
            _require_base(conn, year, parent_id)
            agreed = agreement_in_force(conn, year)
            if agreed is not None:
                raise StoreError(f"the {year} plan is agreed (version {agreed['version_id']}, "
                                 f"{agreed['at']:%Y-%m-%d} by {agreed['by']}): it cannot change; "
                                 "reopen it first (kamplan targets reopen --reason ...)")
            vid = conn.execute(s.plan_versions.insert().values(
                year=year, kind=kind, round=whole(round, "round", missing_ok=True),
                parent_id=parent_id, created_at=now(), by=str(by),
                description=str(description), instruction=None if instruction is None else to_json(instruction),
                summary=to_json(dict(summary or {})))).inserted_primary_key[0]
            insert_tuples(conn, s.plan_lines, names, tuples, extra={"version_id": vid})
            insert_event(conn, "plan.version", {"year": year, "version": vid, "kind": kind, "by": by,
                                                "description": description})
        return vid

    def plan_versions(self, year: int) -> pd.DataFrame:
        """Every version of ``year``, oldest first, with its volume and revenue totals."""
        v, ln = s.plan_versions, s.plan_lines
        totals = (sa.select(ln.c.version_id, sa.func.sum(ln.c.volume).label("volume"),
                            sa.func.sum(ln.c.revenue).label("revenue"), sa.func.count().label("n_lines"))
                  .group_by(ln.c.version_id).subquery())
        stmt = (sa.select(v.c.id, v.c.kind, v.c.round, v.c.parent_id, v.c.created_at, v.c.by, v.c.description,
                          v.c.instruction, v.c.summary, totals.c.volume, totals.c.revenue, totals.c.n_lines)
                .outerjoin(totals, totals.c.version_id == v.c.id)
                .where(v.c.year == whole(year, "year")).order_by(v.c.id))
        with self.reading() as conn:
            rows = [_parsed_version(r._asdict()) for r in conn.execute(stmt)]
        for r in rows:
            r["volume"], r["revenue"] = r["volume"] or 0.0, r["revenue"] or 0.0
            r["n_lines"] = r["n_lines"] or 0
        return frame_from_dicts(rows, _VERSION_KINDS)

    def plan_version(self, version_id: int) -> tuple[dict, pd.DataFrame]:
        """A version's record and its lines (PLAN_LINE_COLUMNS, in stored order)."""
        vid = whole(version_id, "version")
        v, ln = s.plan_versions, s.plan_lines
        with self.reading() as conn:
            row = conn.execute(sa.select(v).where(v.c.id == vid)).first()
            if row is None:
                raise StoreError(f"there is no plan version {vid}; kamplan targets versions lists them")
            lines = conn.execute(sa.select(*[ln.c[c] for c in s.PLAN_LINES.columns])
                                 .where(ln.c.version_id == vid).order_by(ln.c.line_no)).mappings()
            frame = to_frame(lines, s.PLAN_LINES)
        return _parsed_version(row._asdict()), frame

    def current_plan_version(self, year: int) -> int | None:
        with self.reading() as conn:
            return _current_version(conn, whole(year, "year"))

    def agree_plan(self, year: int, version_id: int, by: str, note: str = "",
                   before_commit: Callable[[dict], Mapping[str, Any] | None] | None = None,
                   at: dt.datetime | None = None) -> None:
        """Lock ``version_id`` (the current version of ``year``) as the agreed plan.

        ``before_commit(agreement)`` runs inside the locked transaction once the agreement is written
        and before it commits (agree puts the finished export in place there); if it raises, nothing
        is agreed.  What it returns is logged as a "plan.export" event in the same transaction.
        """
        year, vid = whole(year, "year"), whole(version_id, "version")
        with self.writing(lock=plan_lock(year)) as conn:
            current = _current_version(conn, year)
            if current is None:
                raise StoreError(f"there is no plan for {year} yet: collect and consolidate first")
            if vid != current:
                raise StoreError(f"version {vid} is not the current {year} plan (version {current} is): "
                                 f"agree the current version, or undo to version {vid} first")
            agreed = agreement_in_force(conn, year)
            if agreed is not None:
                raise AlreadyAgreedError(f"the {year} plan is already agreed (version {agreed['version_id']}, "
                                         f"{agreed['at']:%Y-%m-%d %H:%M} by {agreed['by']})", agreed)
            row = {"year": year, "action": "agreed", "version_id": vid, "at": at or now(), "by": str(by),
                   "note": str(note)}
            conn.execute(s.plan_agreements.insert().values(**row))
            insert_event(conn, "plan.agreed", {"year": year, "version": vid, "by": by, "note": note})
            exported = before_commit(row) if before_commit is not None else None
            if exported:
                insert_event(conn, "plan.export", dict(exported))

    def reopen_plan(self, year: int, by: str, note: str) -> int:
        """Lift the agreement of ``year`` (the reason is kept); returns the version that was agreed."""
        year = whole(year, "year")
        if not str(note).strip():
            raise StoreError("say why the agreed plan is reopened (--reason); it is kept with the plan")
        with self.writing(lock=plan_lock(year)) as conn:
            agreed = agreement_in_force(conn, year)
            if agreed is None:
                raise StoreError(f"the {year} plan is not agreed; nothing to reopen")
            conn.execute(s.plan_agreements.insert().values(year=year, action="reopened",
                                                           version_id=agreed["version_id"], at=now(),
                                                           by=str(by), note=str(note)))
            insert_event(conn, "plan.reopened", {"year": year, "version": agreed["version_id"], "by": by,
                                                 "note": note})
        return agreed["version_id"]

    def agreement(self, year: int) -> dict | None:
        """The agreement in force for ``year`` (version_id, at, by, note) or None."""
        with self.reading() as conn:
            return agreement_in_force(conn, whole(year, "year"))

    def agreements(self, year: int) -> pd.DataFrame:
        a = s.plan_agreements
        with self.reading() as conn:
            return table_frame(conn, a, sa.select(a).where(a.c.year == whole(year, "year")).order_by(a.c.id))
