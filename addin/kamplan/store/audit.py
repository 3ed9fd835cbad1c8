"""The store's audit log: one event per meaningful change (a round changed, a plan agreed, an import ...),
written in the same transaction as the change (``sql.insert_event``), plus those a command logs itself."""
from __future__ import annotations

import pandas as pd

from kamplan.store import schema as s
from kamplan.store.sql import insert_event, oldest_first, parse_json, table_frame


class Audit:
    """The audit-log part of ``Store``."""

    def log_event(self, kind: str, detail: dict) -> None:
        with self.writing() as conn:
            insert_event(conn, kind, detail)

    def events(self, kind: str | None = None) -> pd.DataFrame:
        """id, at, kind, detail (a dict), oldest first."""
        with self.reading() as conn:
            return parse_json(table_frame(conn, s.events, oldest_first(s.events, kind=kind)), "detail")
