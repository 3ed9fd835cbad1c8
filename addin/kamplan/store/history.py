"""Sales history in the store: every import kept; each (year, quarter) shows the rows of its newest import.

``store_history`` and ``point_periods`` are shared with the actuals, which arrive as history imports.
"""
from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import sqlalchemy as sa

from kamplan.store import schema as s
from kamplan.store.frames import FrameError, to_frame, to_rows
from kamplan.store.sql import StoreError, insert_rows, now, parse_json, periods_list, table_frame, whole


def history_rows(frame: pd.DataFrame, what: str) -> list[dict[str, Any]]:
    """``frame`` (HISTORY_COLUMNS) as rows for ``history_rows``; a value that does not fit is a StoreError."""
    try:
        return to_rows(frame, s.HISTORY, what)
    except FrameError as exc:
        raise StoreError(exc.args[0] if len(exc.args) == 1 else str(exc)) from None  # a Message stays one


def total(rows: list[dict[str, Any]], column: str) -> float:
    return math.fsum(r[column] for r in rows if r[column] is not None)


def store_history(conn: sa.Connection, rows: list[dict[str, Any]], source: str) -> int:
    """One history import inside the caller's transaction; its quarters now show these rows. Returns its id."""
    periods = sorted({(r["year"], r["quarter"]) for r in rows})
    import_id = conn.execute(s.history_imports.insert().values(
        source=str(source), imported_at=now(), n_rows=len(rows),
        total_volume=total(rows, "volume"), total_revenue=total(rows, "revenue"),
        periods=json.dumps(periods))).inserted_primary_key[0]
    insert_rows(conn, s.history_rows, [{**r, "import_id": import_id} for r in rows])
    point_periods(conn, s.history_periods, periods, import_id)
    return import_id


def point_periods(conn: sa.Connection, table: sa.Table, periods: list[tuple[int, int]], import_id: int) -> None:
    """Make ``import_id`` the current import of each (year, quarter) in ``periods``."""
    for year, quarter in periods:
        at = (table.c.year == year) & (table.c.quarter == quarter)
        if conn.execute(table.update().where(at).values(import_id=import_id)).rowcount == 0:
            conn.execute(table.insert().values(year=year, quarter=quarter, import_id=import_id))


def current_rows(rows: sa.Table, periods: sa.Table) -> sa.ColumnElement:
    """The join condition that keeps only the rows of each period's current import."""
    return ((periods.c.year == rows.c.year) & (periods.c.quarter == rows.c.quarter)
            & (periods.c.import_id == rows.c.import_id))


class History:
    """The history part of ``Store``."""

    def replace_history(self, frame: pd.DataFrame, source: str) -> int:
        """Make ``frame`` (HISTORY_COLUMNS) the history of every (year, quarter) it contains.

        Other quarters keep what they had.  Earlier rows of the replaced quarters stay in
        the file under their own import; ``history_imports()`` lists every import.
        Returns the number of rows stored.
        """
        rows = history_rows(frame, f"history from {source}")
        with self.writing() as conn:
            store_history(conn, rows, source)
        return len(rows)

    def history(self, years: list[int] | None = None) -> pd.DataFrame:
        """The current history (HISTORY_COLUMNS) sorted by year, quarter, account, product."""
        h, p = s.history_rows, s.history_periods
        stmt = (sa.select(*[h.c[c] for c in s.HISTORY.columns]).join(p, current_rows(h, p))
                .order_by(h.c.year, h.c.quarter, h.c.account_id, h.c.product_id.nulls_last(), h.c.line_no))
        if years is not None:
            stmt = stmt.where(h.c.year.in_([whole(y, "year") for y in years]))
        with self.reading() as conn:
            return to_frame(conn.execute(stmt).mappings(), s.HISTORY)

    def history_totals(self, year: int) -> pd.DataFrame:
        """One year's current history summed per account x product (year, account_id, product_id, volume,
        revenue), computed by the database: what issue and collect need of last year, without loading
        every quarter line."""
        h, p = s.history_rows, s.history_periods
        stmt = (sa.select(h.c.year, h.c.account_id, h.c.product_id, sa.func.sum(h.c.volume).label("volume"),
                          sa.func.sum(h.c.revenue).label("revenue"))
                .join(p, current_rows(h, p))
                .where(h.c.year == whole(year, "year"))
                .group_by(h.c.year, h.c.account_id, h.c.product_id)
                .order_by(h.c.account_id, h.c.product_id))
        names = ["year", "account_id", "product_id", "volume", "revenue"]
        with self.reading() as conn:
            rows = conn.execute(stmt).all()
        # column by column: pandas given the Row objects themselves asks each one for namedtuple fields, which
        # SQLAlchemy answers by raising and catching an error per row (most of the time of a collect's start)
        frame = pd.DataFrame(dict(zip(names, zip(*rows))), columns=names) if rows else pd.DataFrame([], columns=names)
        return frame.astype({"year": "int64", "volume": "float64", "revenue": "float64"})

    def history_imports(self) -> pd.DataFrame:
        """Every history import, oldest first: id, source, imported_at, n_rows, totals, periods."""
        with self.reading() as conn:
            return parse_json(table_frame(conn, s.history_imports), "periods", then=periods_list)
