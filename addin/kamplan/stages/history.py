"""Import sales history (account x product x quarter) from CSV or xlsx into the store.

Columns: year, quarter, account_id, product_id, volume, price, revenue,
gross_margin, cost_to_serve, visits (price/revenue: one may be left empty and is
derived; gross_margin, cost_to_serve, visits default to 0).  Every bad cell is
reported with file, row and column; a file with errors is not imported at all.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from kamplan.model import HISTORY_COLUMNS
from kamplan.problems import Problem, error, has_errors, warning
from kamplan.workbooks.kit import cells
from kamplan.workbooks.kit.safety import check_workbook_file
from kamplan.workspace import Workspace

REQUIRED = ["year", "quarter", "account_id", "product_id", "volume"]
NUMBERS = ["volume", "price", "revenue", "gross_margin", "cost_to_serve", "visits"]


def read_history_file(path: Path, known_accounts: set[str], known_products: set[str]
                      ) -> tuple[pd.DataFrame | None, list[Problem]]:
    path = Path(path)
    name = path.name
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        gate = check_workbook_file(path)
        if gate:
            return None, gate
        raw = pd.read_excel(path, dtype=object, engine="calamine")
        first_row = 2
    else:
        try:
            # blank lines are kept (and skipped below) so that row numbers match the file's lines
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                              skip_blank_lines=False)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            return None, [error("history-unreadable", f"cannot read the file as UTF-8 CSV: {exc}",
                                "save it as CSV UTF-8 (Excel: Save As › CSV UTF-8)", file=name)]
        first_row = 2
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    problems: list[Problem] = []
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        return None, [error("history-columns", f"missing column(s): {', '.join(missing)}",
                            f"the header row needs: {', '.join(HISTORY_COLUMNS)}", file=name)]
    rows = []
    for i, rec in enumerate(raw.to_dict("records")):
        line = i + first_row
        if all(cells.is_blank(v) for v in rec.values()):
            continue
        row: dict = {}
        for col in ("year", "quarter"):
            v, why = cells.parse_integer(rec.get(col))
            if why or v is None:
                problems.append(error("history-value", why or f"{col} is empty", f"enter the {col} as a whole number",
                                      file=name, sheet=f"row {line}", cell=col))
            row[col] = v
        if row.get("quarter") is not None and row["quarter"] not in (1, 2, 3, 4):
            problems.append(error("history-value", f"quarter {row['quarter']} is not 1-4", "use 1, 2, 3 or 4",
                                  file=name, sheet=f"row {line}", cell="quarter"))
        for col, known, what in (("account_id", known_accounts, "account"), ("product_id", known_products, "product")):
            v = cells.parse_text(rec.get(col))[0]
            if not v:
                problems.append(error("history-value", f"{col} is empty", f"enter the {what} id",
                                      file=name, sheet=f"row {line}", cell=col))
            elif v not in known:
                problems.append(warning("history-unknown", f"{what} {v!r} is not in the plan's config",
                                        "add it to the config, or ignore: the row is kept in history",
                                        file=name, sheet=f"row {line}", cell=col))
            row[col] = v
        for col in NUMBERS:
            v, why = cells.parse_number(rec.get(col)) if col in raw.columns else (None, None)
            if why:
                problems.append(error("history-value", why, f"enter {col} as a number", file=name,
                                      sheet=f"row {line}", cell=col))
            row[col] = v
        bad_cells = {p.cell for p in problems if p.sheet == f"row {line}"}
        if row["volume"] is None and "volume" not in bad_cells:
            problems.append(error("history-value", "volume is empty", "enter the volume (0 if none)", file=name,
                                  sheet=f"row {line}", cell="volume"))
        vol = row["volume"] or 0.0
        if vol and row["price"] is None and row["revenue"] is None and not bad_cells & {"price", "revenue"}:
            problems.append(error("history-value", f"volume {vol:g} has neither a price nor a revenue",
                                  "enter the price or the revenue (one is enough)", file=name,
                                  sheet=f"row {line}", cell="revenue"))
        if row["revenue"] is None and row["price"] is not None:
            row["revenue"] = vol * row["price"]
        if row["price"] is None:
            row["price"] = row["revenue"] / vol if row["revenue"] is not None and vol else math.nan
        for col in ("revenue", "gross_margin", "cost_to_serve", "visits"):
            if row[col] is None:
                row[col] = 0.0
        rows.append(row)
        if sum(p.is_error for p in problems) >= 200:
            problems.append(error("too-many-problems", "more problems were not listed", "fix these first",
                                  file=name))
            break
    if has_errors(problems):
        return None, problems
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    dup = frame.duplicated(["year", "quarter", "account_id", "product_id"], keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        problems.append(error("history-duplicate", f"{int(dup.sum())} rows repeat a year/quarter/account/product, "
                              f"e.g. {first.year} Q{first.quarter} {first.account_id} {first.product_id}",
                              "add them up into one row each", file=name))
        return None, problems
    return frame, problems


def import_history(ws: Workspace, path: Path) -> tuple[int, list[Problem]]:
    cfg = ws.config
    frame, problems = read_history_file(path, {a.id for a in cfg.accounts}, {p.id for p in cfg.products})
    if frame is None:
        return 0, problems
    n = ws.store.replace_history(frame, source=Path(path).name)
    return n, problems
