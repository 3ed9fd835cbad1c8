"""The store's audit log: one event per meaningful change (a round changed, a plan agreed, an import ...),
written in the same transaction as the change (``sql.insert_event``), plus those a command logs itself."""
from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from kamplan.store import schema as s
from kamplan.store.sql import frame_from_dicts, insert_event

_EVENT_KINDS = {"id": "int", "at": "datetime", "kind": "str", "detail": "json"}


class Audit:
    """The audit-log part of ``Store``."""

    def log_event(self, kind: str, detail: dict) -> None:
        with self.writing() as conn:
            insert_event(conn, kind, detail)

    def events(self, kind: str | None = None) -> pd.DataFrame:
        """id, at, kind, detail (a dict), oldest first."""
        e = s.events
        stmt = sa.select(e).order_by(e.c.id)
        if kind is not None:
            stmt = stmt.where(e.c.kind == kind)
        with self.reading() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
        for r in rows:
            r["detail"] = json.loads(r["detail"])
        return frame_from_dicts(rows, _EVENT_KINDS)
