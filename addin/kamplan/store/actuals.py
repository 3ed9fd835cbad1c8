"""Actuals in the store: invoice and delivery imports (kept as history imports with what the files held
next to what was stored) and the activity log, whose quarters are replaced like history's."""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from kamplan.model import ACTIVITY_COLUMNS
from kamplan.periods import fiscal_year_quarter
from kamplan.store import schema as s
from kamplan.store.frames import FrameError, to_frame, to_tuples
from kamplan.store.history import current_rows, history_rows, point_periods, store_history, total
from kamplan.store.sql import (
    StoreError, insert_event, insert_rows, insert_tuples, now, parse_json, periods_list, table_frame, to_json, whole,
)

REPORT_COUNTS = ("n_files", "lines_in", "lines_matched", "lines_unmatched", "volume_in", "revenue_in",
                 "volume_unmatched", "revenue_unmatched")


def _report_counts(report: Mapping[str, Any]) -> dict[str, Any]:
    missing = [k for k in REPORT_COUNTS if k not in report]
    if missing:
        raise StoreError(f"the actuals report lacks {missing}; it needs {list(REPORT_COUNTS)}")
    return {k: (whole(report[k], k) if k.startswith(("n_", "lines_")) else float(report[k])) for k in REPORT_COUNTS}


def _activity_tuples(frame: pd.DataFrame, source: str, first_month: int) -> tuple[list[str], list[tuple]]:
    """The activity rows as tuples, with the fiscal year and quarter of each row's date unless given."""
    if not isinstance(frame, pd.DataFrame):
        raise StoreError(f"activities from {source}: expected a pandas DataFrame, got {type(frame).__name__}")
    frame = frame.copy()
    if "year" not in frame.columns or "quarter" not in frame.columns:
        missing = [c for c in ACTIVITY_COLUMNS if c not in frame.columns]
        if missing:
            raise StoreError(f"activities from {source} lack columns {missing}; "
                             f"the columns must be {ACTIVITY_COLUMNS}")
        try:
            frame["year"], frame["quarter"] = fiscal_year_quarter(frame["date"], first_month)
        except (ValueError, TypeError) as exc:
            raise StoreError(f"activities from {source}: {exc}") from None
    try:
        return to_tuples(frame, s.ACTIVITIES, f"activities from {source}")
    except FrameError as exc:
        raise StoreError(str(exc)) from None


def _salesperson_rows(frame: pd.DataFrame | None, rows: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """The rows of ``actuals_lines`` (line_no from 0); without a split, one row per history row with no
    salesperson.  A split that does not add up to the history rows per key is a StoreError."""
    cols = ("year", "quarter", "account_id", "product_id", "volume", "revenue", "gross_margin")
    if frame is None:
        return [{**{c: r[c] for c in cols}, "salesperson_id": None, "line_no": i} for i, r in enumerate(rows)]
    out = []
    sums: dict[tuple, list[float]] = {}
    for i, r in enumerate(frame.to_dict("records")):
        sp = r.get("salesperson_id")
        row = {"line_no": i, "year": whole(r["year"], "year"), "quarter": whole(r["quarter"], "quarter"),
               "account_id": str(r["account_id"]), "product_id": str(r["product_id"]),
               "salesperson_id": None if sp is None or (isinstance(sp, float) and math.isnan(sp)) else str(sp),
               **{c: float(r[c]) for c in ("volume", "revenue", "gross_margin")}}
        out.append(row)
        key = (row["year"], row["quarter"], row["account_id"], row["product_id"])
        sums.setdefault(key, []).append(row["revenue"])
    want = {(r["year"], r["quarter"], r["account_id"], r["product_id"]): r["revenue"] for r in rows}
    bad = [k for k in set(want) | set(sums) if abs(math.fsum(sums.get(k, [])) - (want.get(k) or 0.0)) >= 0.005]
    if bad:
        raise StoreError(f"actuals from {source}: the lines per salesperson do not add up to the history rows "
                         f"(first: {sorted(bad)[0]}); nothing was stored")
    return out


class Actuals:
    """The actuals and activity-log part of ``Store``."""

    def replace_actuals(self, frame: pd.DataFrame, source: str, report: Mapping[str, Any],
                        by_salesperson: pd.DataFrame | None = None) -> tuple[int, int]:
        """Store actuals summed to HISTORY_COLUMNS as a history import (its quarters replace earlier
        imports of them, which stay in the file) together with its ``actuals_imports`` record, in one
        transaction.  Later stages read them with ``history(years=[y])``.

        ``report`` holds the counts and totals of the import: n_files, lines_in, lines_matched,
        lines_unmatched, volume_in, revenue_in, volume_unmatched, revenue_unmatched and ``detail``
        (anything JSON can hold: per-file figures, unmatched values).  Stored totals are computed here.
        ``by_salesperson``: the same rows split by the ERP's salesperson (``salesperson_id`` after
        ``product_id``, None where a line named none), kept in ``actuals_lines``; summed over the
        salespeople they must be ``frame`` (to the cent), else nothing is stored.
        Returns (actuals import id, history rows stored).
        """
        rows = history_rows(frame, f"actuals from {source}")
        split = _salesperson_rows(by_salesperson, rows, source)
        counts = _report_counts(report)
        periods = sorted({(r["year"], r["quarter"]) for r in rows})
        with self.writing() as conn:
            history_id = store_history(conn, rows, source)
            actuals_id = conn.execute(s.actuals_imports.insert().values(
                history_import_id=history_id, source=str(source), imported_at=now(), **counts,
                volume_stored=total(rows, "volume"), revenue_stored=total(rows, "revenue"),
                rows_stored=len(rows), periods=json.dumps(periods),
                detail=to_json(report.get("detail", {})))).inserted_primary_key[0]
            insert_rows(conn, s.actuals_lines, [{**r, "actuals_import_id": actuals_id} for r in split])
            insert_event(conn, "actuals.import", {"actuals_import": actuals_id, "history_import": history_id,
                                                  "source": str(source), "rows": len(rows), "periods": periods})
        return actuals_id, len(rows)

    def actuals_by_salesperson(self, years: list[int] | None = None) -> pd.DataFrame:
        """The current actuals per ERP salesperson: year, quarter, account_id, product_id, salesperson_id
        (None: the line named none, or the quarter came from a history import), volume, revenue,
        gross_margin.  Per (year, quarter) they add up to ``history()``."""
        h, p, ai, al = s.history_rows, s.history_periods, s.actuals_imports, s.actuals_lines
        cols = ["year", "quarter", "account_id", "product_id", "salesperson_id", "volume", "revenue", "gross_margin"]
        stmt = (sa.select(*[al.c[c] for c in cols])
                .join(ai, ai.c.id == al.c.actuals_import_id)
                .join(p, (p.c.import_id == ai.c.history_import_id) & (p.c.year == al.c.year)
                      & (p.c.quarter == al.c.quarter))
                .order_by(al.c.year, al.c.quarter, al.c.account_id, al.c.product_id, al.c.line_no))
        if years is not None:
            stmt = stmt.where(al.c.year.in_([whole(y, "year") for y in years]))
        with self.reading() as conn:
            split = pd.DataFrame([tuple(r) for r in conn.execute(stmt).all()], columns=cols)
            covered = {(int(y), int(q)) for y, q in zip(split["year"], split["quarter"])}
        rest = self.history(years)
        keep = [(int(y), int(q)) not in covered for y, q in zip(rest["year"], rest["quarter"])]
        rest = rest[keep].assign(salesperson_id=None)[cols]
        out = pd.concat([split, rest], ignore_index=True) if len(rest) else split
        out = out.astype({"year": "int64", "quarter": "int64", "volume": "float64", "revenue": "float64",
                          "gross_margin": "float64"})
        for c in ("account_id", "product_id", "salesperson_id"):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
        return out.sort_values(["year", "quarter", "account_id", "product_id"], kind="mergesort").reset_index(drop=True)

    def actuals_imports(self) -> pd.DataFrame:
        """Every actuals import, oldest first: the columns of ``actuals_imports``; periods as a list of
        (year, quarter), detail as a dict."""
        with self.reading() as conn:
            frame = table_frame(conn, s.actuals_imports)
        return parse_json(parse_json(frame, "periods", then=periods_list), "detail")

    def replace_activities(self, frame: pd.DataFrame, source: str, first_month: int = 1) -> int:
        """Make ``frame`` (ACTIVITY_COLUMNS) the activity log of every fiscal quarter it covers.

        The fiscal year and quarter of each row come from its date and ``first_month`` (the
        config's ``calendar.first_month``) unless the frame already has ``year`` and ``quarter``
        columns.  Other quarters keep what they had; earlier rows of the replaced quarters stay
        in the file under their own import.  Returns the number of rows stored.
        """
        names, tuples = _activity_tuples(frame, source, first_month)
        yi, qi = names.index("year"), names.index("quarter")
        periods = sorted({(t[yi], t[qi]) for t in tuples})
        with self.writing() as conn:
            import_id = conn.execute(s.activity_imports.insert().values(
                source=str(source), imported_at=now(), n_rows=len(tuples),
                periods=json.dumps(periods))).inserted_primary_key[0]
            insert_tuples(conn, s.activity_rows, names, tuples, {"import_id": import_id})
            point_periods(conn, s.activity_periods, periods, import_id)
        return len(tuples)

    def activities(self, years: list[int] | None = None) -> pd.DataFrame:
        """The current activity log (ACTIVITY_COLUMNS + year, quarter), sorted by date, account and
        import order; ``years`` are fiscal years."""
        a, p = s.activity_rows, s.activity_periods
        stmt = (sa.select(*[a.c[c] for c in s.ACTIVITIES.columns]).join(p, current_rows(a, p))
                .order_by(a.c.date, a.c.account_id, a.c.import_id, a.c.line_no))
        if years is not None:
            stmt = stmt.where(a.c.year.in_([whole(y, "year") for y in years]))
        with self.reading() as conn:
            return to_frame(conn.execute(stmt).mappings(), s.ACTIVITIES)

    def activity_imports(self) -> pd.DataFrame:
        """Every activity-log import, oldest first: id, source, imported_at, n_rows, periods."""
        with self.reading() as conn:
            return parse_json(table_frame(conn, s.activity_imports), "periods", then=periods_list)
