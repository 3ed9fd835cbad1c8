"""Sales history (account x product x quarter) from CSV or xlsx.

Columns: year, quarter, account_id, product_id, volume, price, revenue, gross_margin, cost_to_serve,
visits (price/revenue: one may be left empty and is derived; gross_margin, cost_to_serve, visits default
to 0).  Instead of year and quarter a row may give a ``date`` (an invoice date, or any day of the
period): the config's calendar (``kamplan.periods``) puts it in its fiscal quarter, and the rows of one
account x product x quarter are added up (so invoice lines can be imported as they are); a year and
quarter given next to a date must agree with it.  ``read_history_file`` returns ``(frame, problems)``:
every bad cell is reported with file, row and column; a file with errors gives no frame.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd

from kamplan.imports.columns import find_columns, repeated_headers
from kamplan.imports.replacing import Replacing
from kamplan.limits import limit_problem, margin_problem
from kamplan.model import HISTORY_COLUMNS
from kamplan.periods import period_map, unmapped_date_problem
from kamplan.messages import Message
from kamplan.problems import Problem, has_errors, problem
from kamplan.workbooks.kit import cells
from kamplan.workbooks.kit.safety import check_workbook_file

REQUIRED = ["year", "quarter", "account_id", "product_id", "volume"]
NUMBERS = ["volume", "price", "revenue", "gross_margin", "cost_to_serve", "visits"]
MAX_ERRORS = 200  # a file this wrong is listed no further
_FIRST_ROW = 2  # the header is row 1


def read_history_file(path: Path, known_accounts: set[str], known_products: set[str],
                      replacing: Replacing | None = None, calendar=None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The file's rows as ``HISTORY_COLUMNS`` (None if any cell is wrong) and the problems.  With
    ``replacing`` a row in a quarter the import may not replace is an error.  ``calendar`` (the config's
    ``Calendar``, or an int first month; default January quarters) maps a ``date`` column to quarters."""
    path = Path(path)
    name = path.name
    raw, read_problems = _read_raw(path)
    if raw is None:
        return None, read_problems
    raw, problems = _named_columns(raw, name)
    if raw is None:
        return None, read_problems + problems
    dated, date_problems = _dated_periods(raw, name, calendar)
    rows, problems = _parse_rows(raw, name, {"account_id": known_accounts, "product_id": known_products}, replacing,
                                 dated)
    problems = read_problems + date_problems + problems
    if has_errors(problems):
        return None, problems
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    if dated:
        return _summed_per_quarter(frame), problems
    repeated = _repeated_keys(frame, name)
    if repeated:
        return None, problems + repeated
    return frame, problems


def _read_raw(path: Path) -> tuple[pd.DataFrame | None, list[Problem]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        gate = check_workbook_file(path)
        if gate:
            return None, gate
        return pd.read_excel(path, dtype=object, engine="calamine"), []
    problems: list[Problem] = []
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese Excel saves "CSV" as GBK, which GB18030 contains
        try:
            # blank lines are kept (and skipped later) so that row numbers match the file's lines
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, skip_blank_lines=False)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            return None, [problem("history.csv-unreadable", reason=str(exc), file=path.name)]
        if encoding == "gb18030":
            problems.append(problem("history.gbk", file=path.name))
        header = next(csv.reader([path.read_bytes().decode(encoding).splitlines()[0]]), [])
        repeated = repeated_headers(header, {c: [c] for c in HISTORY_COLUMNS}, code="history-columns",
                                    file=path.name)
        return (None, repeated) if repeated else (raw, problems)
    return None, [problem("history.not-text", file=path.name)]


def _named_columns(raw: pd.DataFrame, name: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The frame with the history columns under their own names (headers match as in every import:
    case and white space do not count)."""
    headers = [str(c) for c in raw.columns]
    cols = find_columns(headers, {c: [c] for c in HISTORY_COLUMNS + ["date"]})
    missing = [c for c in REQUIRED if c not in cols and not (c in ("year", "quarter") and "date" in cols)]
    if missing:
        return None, [problem("history.columns", missing=", ".join(missing),
                              columns=", ".join(HISTORY_COLUMNS), file=name)]
    raw.columns = headers
    return raw.rename(columns={h: f for f, h in cols.items()}), []


def _parse_rows(raw: pd.DataFrame, name: str, known: dict[str, set[str]], replacing: Replacing | None = None,
                dated: dict[int, tuple[int, int]] | None = None) -> tuple[list[dict], list[Problem]]:
    """The non-blank rows parsed; stops listing after ``MAX_ERRORS`` errors.  ``dated``: row index ->
    the fiscal (year, quarter) of its date."""
    rows, problems = [], []
    present = set(raw.columns)
    for i, rec in enumerate(raw.to_dict("records")):
        if all(cells.is_blank(v) for v in rec.values()):
            continue
        if dated and dated.get(i, ()) is None:
            continue  # its date is wrong (reported): nothing else of the row can be placed
        where = _Cell(name, Message("where.row", row=i + _FIRST_ROW))
        row, row_problems = _parse_row(rec, where, known, present, (dated or {}).get(i))
        if replacing and not has_errors(row_problems):
            period = replacing.line_problem((row["year"], row["quarter"]), Message(
                "history.what.year-quarter", year=row["year"], quarter=row["quarter"]), **where.at("year"))
            row_problems += [period] if period else []
        rows.append(row)
        problems += row_problems
        if sum(p.is_error for p in problems) >= MAX_ERRORS:
            problems.append(problem("history.too-many", file=name))
            break
    return rows, problems


class _Cell:
    """Where a row's problems point: file and row; ``at(col)`` adds the column."""

    def __init__(self, file: str, row: str):
        self.file, self.row = file, row

    def at(self, col: str) -> dict:
        return {"file": self.file, "sheet": self.row, "cell": col}


def _parse_row(rec: dict, where: _Cell, known: dict[str, set[str]], present: set[str],
               period: tuple[int, int] | None = None) -> tuple[dict, list[Problem]]:
    """One row: whole-number year and quarter (or ``period``, its date's), known ids, numbers; price or
    revenue derived from the other."""
    problems, row = _year_quarter(rec, where, period)
    for col, what in (("account_id", "account"), ("product_id", "product")):
        row[col], found = _plan_id(rec.get(col), col, what, known[col], where)
        problems += found
    for col in NUMBERS:
        v, why = cells.parse_number(rec.get(col)) if col in present else (None, None)
        if why:
            problems.append(problem("history.cell", why=why, fix=Message("fix.history.number", column=col),
                                    **where.at(col)))
        row[col] = v
    problems += _limit_problems(row, {p.cell for p in problems}, where)
    problems += _amount_problems(row, {p.cell for p in problems}, where)
    _derive(row)
    return row, problems


def _year_quarter(rec: dict, where: _Cell, period: tuple[int, int] | None) -> tuple[list[Problem], dict]:
    """The row's year and quarter: its date's when it has one (a year or quarter next to it must agree),
    else the whole numbers in the year and quarter cells."""
    problems: list[Problem] = []
    row: dict = {}
    for col in ("year", "quarter"):
        if period is not None and cells.is_blank(rec.get(col)):
            row[col] = period[0] if col == "year" else period[1]
            continue
        v, why = cells.parse_integer(rec.get(col))
        if why or v is None:
            problems.append(problem("history.cell", why=why or Message("history.what.empty", column=col),
                                    fix=Message("fix.history.whole", column=col), **where.at(col)))
        elif period is not None and v != (period[0] if col == "year" else period[1]):
            problems.append(problem("history.disagrees", column=col, value=v, date=str(rec.get("date")),
                                    year=period[0], quarter=period[1], **where.at(col)))
        row[col] = v
    if row.get("quarter") is not None and row["quarter"] not in (1, 2, 3, 4):
        problems.append(problem("history.quarter", quarter=row["quarter"], **where.at("quarter")))
    return problems, row


def _dated_periods(raw: pd.DataFrame, name: str, calendar
                   ) -> tuple[dict[int, tuple[int, int] | None], list[Problem]]:
    """Row index -> fiscal (year, quarter) of each row's ``date`` (None: the date is wrong; rows without
    a date are left out), and an error for each date that cannot be read or lies in no fiscal period."""
    if "date" not in raw.columns:
        return {}, []
    problems, days, out = [], {}, {}
    for i, value in enumerate(raw["date"].tolist()):
        day, why = cells.parse_date(value)
        if why:
            problems.append(problem("history.date", why=why, file=name,
                                    sheet=Message("where.row", row=i + _FIRST_ROW), cell="date"))
            out[i] = None
        elif day is not None:
            days[i] = day
    if not days:
        return out, problems
    found = period_map(list(days.values()), 1 if calendar is None else calendar)
    for (i, day), ok, year, quarter in zip(days.items(), found.mapped, found.year, found.quarter):
        if ok:
            out[i] = (int(year), int(quarter))
        else:
            out[i] = None
            if len(problems) < MAX_ERRORS:
                problems.append(unmapped_date_problem(day, calendar, code="history-period", file=name,
                                                      sheet=Message("where.row", row=i + _FIRST_ROW), cell="date"))
    return out, problems


def _summed_per_quarter(frame: pd.DataFrame) -> pd.DataFrame:
    """Dated rows added up per year x quarter x account x product (first appearance first); the price is
    revenue / volume of the sums."""
    key = ["year", "quarter", "account_id", "product_id"]
    amounts = ["volume", "revenue", "gross_margin", "cost_to_serve", "visits"]
    summed = frame.groupby(key, sort=False, as_index=False)[amounts].sum()
    volume = summed["volume"].to_numpy(dtype=float)
    summed["price"] = np.divide(summed["revenue"].to_numpy(dtype=float), volume,
                                out=np.full(len(summed), np.nan), where=volume != 0)
    return summed[HISTORY_COLUMNS]


def _limit_problems(row: dict, bad_cells: set[str], where: _Cell) -> list[Problem]:
    """Numbers outside their hard limit (``kamplan.limits``) and a gross margin above the revenue."""
    out = [limit_problem(col, row[col], code="history-limit", header=col, **where.at(col))
           for col in NUMBERS if row[col] is not None and col not in bad_cells]
    if not bad_cells & {"volume", "price", "revenue", "gross_margin"} and not any(out):
        revenue = row["revenue"]
        if revenue is None and row["price"] is not None:
            revenue = (row["volume"] or 0.0) * row["price"]
        out.append(margin_problem(revenue, row["gross_margin"], code="history-limit",
                                  **where.at("gross_margin")))
    return [p for p in out if p]


_ID_FIX = {"account": "fix.history.account-id", "product": "fix.history.product-id"}
_UNKNOWN = {"account": "history.unknown-account", "product": "history.unknown-product"}


def _plan_id(value, col: str, what: str, known: set[str], where: _Cell) -> tuple[str | None, list[Problem]]:
    """The id as text; an error if empty, a warning (the row is kept) if the plan does not know it."""
    v = cells.parse_text(value)[0]
    if not v:
        return v, [problem("history.cell", why=Message("history.what.empty", column=col),
                           fix=Message(_ID_FIX[what]), **where.at(col))]
    if v not in known:
        return v, [problem(_UNKNOWN[what], value=repr(v), **where.at(col))]
    return v, []


def _amount_problems(row: dict, bad_cells: set[str], where: _Cell) -> list[Problem]:
    """A volume is needed, and with a volume a price or a revenue (unless those cells are already wrong)."""
    if row["volume"] is None and "volume" not in bad_cells:
        return [problem("history.no-volume", **where.at("volume"))]
    vol = row["volume"] or 0.0
    if vol and row["price"] is None and row["revenue"] is None and not bad_cells & {"price", "revenue"}:
        return [problem("history.no-price", volume=f"{vol:g}", **where.at("revenue"))]
    return []


def _derive(row: dict) -> None:
    """Revenue from price, price from revenue; the optional amounts 0 where empty."""
    vol = row["volume"] or 0.0
    if row["revenue"] is None and row["price"] is not None:
        row["revenue"] = vol * row["price"]
    if row["price"] is None:
        row["price"] = row["revenue"] / vol if row["revenue"] is not None and vol else math.nan
    for col in ("revenue", "gross_margin", "cost_to_serve", "visits"):
        if row[col] is None:
            row[col] = 0.0


def _repeated_keys(frame: pd.DataFrame, name: str) -> list[Problem]:
    dup = frame.duplicated(["year", "quarter", "account_id", "product_id"], keep=False)
    if not dup.any():
        return []
    first = frame[dup].iloc[0]
    return [problem("history.duplicate", rows=int(dup.sum()), year=first.year, quarter=first.quarter,
                    account=first.account_id, product=first.product_id, file=name)]
