"""Actuals in: ERP invoice/delivery lines and the activity log, read, checked and stored.

``import_actuals(ws, paths)`` reads every file (CSV or xlsx) with the config's
``actuals`` rules, matches customers and products to the plan, converts units and
currency, sums the lines to one row per fiscal quarter x account x product and
stores them as one history import (``Store.replace_actuals``): the quarters they
cover replace what an earlier import gave for them, which stays in the store.

The rules every file follows:

* a bad value (a date or number that cannot be read, an empty customer ...) is an
  error with file, row and column; a file with an error stores nothing, the other
  files go on;
* a line whose customer or product is not in the plan is never silently dropped:
  it is counted, listed by value in the result, and written with its file and row
  to ``reports/actuals_unmatched_<time>.csv``;
* totals: every file's lines and totals in, matched and unmatched, and what the
  store holds after the import, so they can be checked against the ERP.

Files are read with polars (multi-threaded CSV reader, vectorised parsing, group-by):
10 million lines take seconds, see ``benchmarks/bench_actuals_import.py``.  Only
the quarterly sums reach the store.

``import_activities(ws, paths)`` does the same for the activity log (one row per
visit, training, service or complaint), stored with ``Store.replace_activities``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import polars as pl

from kamplan.config.actuals import ACTIVITY_REQUIRED, ACTUALS_FIELDS, ACTUALS_REQUIRED, ActualsRules
from kamplan.engine.actuals import lines_to_history
from kamplan.periods import fiscal_months
from kamplan.model import ACTIVITY_COLUMNS
from kamplan.problems import Problem, WithProblems, error, unexpected, warning
from kamplan.workbooks.kit.safety import Limits, check_workbook_file
from kamplan.workspace import Workspace

SHOWN_PER_COLUMN = 20  # bad values listed one by one per file and column; the rest are counted
ERP_LIMITS = Limits(max_file_bytes=1024 * 2**20, max_uncompressed_bytes=8 * 1024 * 2**20)  # ERP exports are big
_ROW = "_row"


# -- results ------------------------------------------------------------------------------------------
@dataclass
class UnmatchedValue:
    """One customer or product value of a file that is not in the plan."""
    file: str
    what: str  # "customer" or "product"
    value: str
    lines: int
    first_row: int
    quantity: float  # as in the file (file units)
    revenue: float  # in the plan currency

    def fix(self) -> str:
        key = "customers" if self.what == "customer" else "products"
        return (f"if it is one of the plan's {key}, map it in the config: actuals.aliases.{key}: "
                f"{{{self.value!r}: <id>}}; if not, nothing to do (it is not planned)")


@dataclass
class ActualsFile(WithProblems):
    """What one file held and what became of it."""
    path: Path
    outcome: str = "rejected"  # "read" (good, part of the import) or "rejected"
    lines: int = 0  # data lines (blank lines not counted)
    matched: int = 0
    unmatched: int = 0
    revenue_in: float = 0.0  # all lines, plan currency
    volume_matched: float = 0.0  # plan units
    revenue_matched: float = 0.0
    volume_unmatched: float = 0.0  # plan units where the product is known, else file units
    revenue_unmatched: float = 0.0
    without_cost: int = 0  # matched lines whose gross margin is estimated from the standard margin
    periods: list[tuple[int, int]] = field(default_factory=list)
    unmatched_values: list[UnmatchedValue] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def totals(self) -> dict:
        return {"file": self.path.name, "outcome": self.outcome, "lines": self.lines, "matched": self.matched,
                "unmatched": self.unmatched, "revenue_in": self.revenue_in, "volume_matched": self.volume_matched,
                "revenue_matched": self.revenue_matched, "volume_unmatched": self.volume_unmatched,
                "revenue_unmatched": self.revenue_unmatched, "without_cost": self.without_cost,
                "periods": self.periods}


@dataclass
class ActualsResult(WithProblems):
    files: list[ActualsFile]
    problems: list[Problem]  # import-wide (quarters not complete, nothing to store ...)
    history: pd.DataFrame | None = None  # the HISTORY_COLUMNS rows stored (or that would be, in a dry run)
    actuals_import_id: int | None = None
    rows_stored: int = 0
    periods: list[tuple[int, int]] = field(default_factory=list)
    unmatched_path: Path | None = None
    store_where: str = ""
    dry_run: bool = False

    @property
    def rejected(self) -> list[ActualsFile]:
        return [f for f in self.files if f.outcome == "rejected"]

    @property
    def stored(self) -> bool:
        return self.actuals_import_id is not None

    @property
    def volume_stored(self) -> float:
        return float(self.history["volume"].sum()) if self.history is not None else 0.0

    @property
    def revenue_stored(self) -> float:
        return float(self.history["revenue"].sum()) if self.history is not None else 0.0

    def all_problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems] + self.problems


# -- reading any table file into string columns ------------------------------------------------------
def read_table(path: Path, rules: ActualsRules, is_header: Callable[[list[str]], bool] = lambda h: True,
               wanted: dict[str, list[str]] | None = None) -> tuple[pl.DataFrame | None, str | None, list[Problem]]:
    """The file's first sheet (or ``rules.sheet``) or CSV as string columns under their own headers, plus
    ``_row``: the row number a person sees.  A CSV's header is its first line; in a workbook it is
    the first of the top 30 rows that ``is_header`` accepts (ERP exports often put a title above it),
    else the first row with anything in it.  Returns (frame, sheet name, problems)."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        return None, None, [error("actuals-missing", f"there is no file {path}", "check the path", file=name)]
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, rules, is_header)
    if suffix in (".xls", ".ods"):
        return None, None, [error("actuals-format", f"{suffix} files are not read",
                                  "save the export as .xlsx or CSV (UTF-8) and import that", file=name)]
    return _read_csv(path, rules, wanted)


def _read_csv(path: Path, rules: ActualsRules, wanted: dict[str, list[str]] | None = None):
    """With ``wanted`` (field -> accepted headers) only the columns that match are read: an ERP export
    often has 30 columns of which 6 are used."""
    name = path.name
    opts = dict(infer_schema=False, separator=rules.delimiter, row_index_name=_ROW, row_index_offset=2)
    def read(source):
        if wanted is not None:
            header = pl.read_csv(source, n_rows=0, infer_schema=False, separator=rules.delimiter).columns
            keep = set(find_columns(header, wanted).values())
            # duplicate headers: read all (polars renames them); nothing known (wrong encoding?): read all
            if keep and len(set(header)) == len(header):
                opts["columns"] = [h for h in header if h in keep]
            if isinstance(source, io.BytesIO):
                source.seek(0)
        return pl.read_csv(source, **opts)

    try:
        if rules.encoding == "gb18030":
            frame = read(_recoded(path))
        else:
            try:
                frame = read(path)
            except pl.exceptions.ComputeError as exc:
                if rules.encoding != "auto" or "utf-8" not in str(exc).lower():
                    raise
                opts.pop("columns", None)
                frame = read(_recoded(path))  # Chinese Excel saves CSV as GBK/GB18030
    except UnicodeDecodeError:
        return None, None, [error("actuals-unreadable", "the file is neither UTF-8 nor GB18030 text",
                                  "save it as CSV UTF-8 (Excel: Save As › CSV UTF-8) or as .xlsx", file=name)]
    except (pl.exceptions.PolarsError, OSError) as exc:
        return None, None, [error("actuals-unreadable", f"cannot read the file as CSV: {str(exc).splitlines()[0]}",
                                  "check the delimiter (config actuals.delimiter) and save it again as CSV UTF-8",
                                  file=name)]
    return frame, None, []


def _recoded(path: Path) -> io.BytesIO:
    return io.BytesIO(path.read_bytes().decode("gb18030").encode("utf-8"))


def _read_xlsx(path: Path, rules: ActualsRules, is_header: Callable[[list[str]], bool]):
    from python_calamine import CalamineWorkbook
    name = path.name
    gate = check_workbook_file(path, ERP_LIMITS)
    if gate:
        return None, None, gate
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet_name = rules.sheet or book.sheet_names[0]
        if sheet_name not in book.sheet_names:
            return None, None, [error("actuals-sheet", f"the workbook has no sheet {sheet_name!r}",
                                      f"set actuals.sheet to one of {book.sheet_names}", file=name)]
        sheet = book.get_sheet_by_name(sheet_name)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for damaged files
        return None, None, [error("actuals-unreadable", f"cannot read the workbook: {exc}",
                                  "open it in Excel, save it again as .xlsx and import that", file=name)]
    filled = [i for i, r in enumerate(rows[:30]) if any(_cell_text(v) for v in r)]
    if not filled:
        return pl.DataFrame({_ROW: pl.Series([], dtype=pl.UInt32)}), sheet_name, []
    at = next((i for i in filled if is_header([_cell_text(v) or "" for v in rows[i]])), filled[0])
    header = [_cell_text(v) or f"column {i + 1}" for i, v in enumerate(rows[at])]
    width = len(header)
    body = rows[at + 1:]
    columns = list(zip(*[(list(r) + [""] * width)[:width] for r in body])) if body else [()] * width
    data = {h: pl.Series(h, [_cell_text(v) for v in col], dtype=pl.String)
            for h, col in zip(_unique_names(header), columns)}
    frame = pl.DataFrame(data).with_row_index(_ROW, offset=at + 2)  # rows[0] is sheet row 1
    return frame, sheet_name, []


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


def _cell_text(value) -> str | None:
    """An xlsx cell as the text a CSV export would hold (dates ISO, whole numbers without .0)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if (value.hour, value.minute, value.second) != (0, 0, 0) \
            else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _normal(header: str) -> str:
    return re.sub(r"\s+", "", str(header)).casefold()


def find_columns(headers: list[str], wanted: dict[str, list[str]]) -> dict[str, str]:
    """field -> the file's header for it: the first accepted name (in the config's order) the file has."""
    by_normal: dict[str, str] = {}
    for h in headers:
        by_normal.setdefault(_normal(h), h)
    out: dict[str, str] = {}
    used: set[str] = set()
    for fld, names in wanted.items():
        for n in names:
            h = by_normal.get(_normal(n))
            if h is not None and h not in used:
                out[fld] = h
                used.add(h)
                break
    return out


# -- parsing values (vectorised) ---------------------------------------------------------------------
def _text(col: str) -> pl.Expr:
    """Stripped text; empty -> null."""
    s = pl.col(col).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _number(col: str, rules: ActualsRules) -> pl.Expr:
    s = _text(col).str.replace_all(r"\s", "")
    if rules.thousands:
        s = s.str.replace_all(rules.thousands, "", literal=True)
    if rules.decimal == ",":
        s = s.str.replace_all(",", ".", literal=True)
    return s.cast(pl.Float64, strict=False)


def _number_series(values: pl.Series, rules: ActualsRules) -> pl.Series:
    """Numbers of a text column: a plain cast where it works (most values of most exports), the
    cleaning of ``_number`` (spaces, thousands separator, decimal comma) only for the rest."""
    plain = rules.decimal == "." and not rules.thousands
    out = values.cast(pl.Float64, strict=False) if plain else None
    todo = values.is_not_null() if out is None else (out.is_null() & values.is_not_null())
    if out is None or todo.any():
        cleaned = pl.DataFrame({"v": values.filter(todo)}).select(_number("v", rules)).to_series()
        base = out if out is not None else pl.Series(values.name, [None] * len(values), dtype=pl.Float64)
        out = base.scatter(todo.arg_true(), cleaned)
    return out.alias(values.name)


def _parse_dates(values: pl.Series, formats: list[str]) -> dict[str, dt.date | None]:
    """Each distinct text -> its date (first format that reads it), parsed once per distinct value."""
    uniq = values.drop_nulls().unique()
    stripped = uniq.str.strip_chars()
    parsed = pl.select(pl.coalesce([stripped.str.to_datetime(f, strict=False).dt.date() for f in formats])).to_series()
    return dict(zip(uniq.to_list(), parsed.to_list()))


def _date(col: str, frame: pl.DataFrame, rules: ActualsRules) -> pl.Expr:
    mapping = _parse_dates(frame.select(_text(col)).to_series(), rules.date_formats)
    good = {k: v for k, v in mapping.items() if v is not None}
    return _text(col).replace_strict(list(good), list(good.values()), default=None, return_dtype=pl.Date)


def _bad_value_problems(frame: pl.DataFrame, raw: str, parsed: str, header: str, what: str, fix: str,
                        name: str, sheet: str | None, code: str = "actuals-value") -> list[Problem]:
    """Errors for rows where ``raw`` has text but ``parsed`` is null: the first ones by row, then a count."""
    bad = frame.filter(pl.col(raw).is_not_null() & pl.col(parsed).is_null())
    out = [error(code, f"{header} = {value!r} is not {what}", fix, file=name, sheet=_where(sheet, row),
                 cell=header)
           for row, value in bad.head(SHOWN_PER_COLUMN).select(_ROW, raw).iter_rows()]
    if bad.height > SHOWN_PER_COLUMN:
        out.append(error(code, f"{bad.height - SHOWN_PER_COLUMN:,} more rows have a {header} that is not {what}",
                         fix, file=name, cell=header))
    return out


def _empty_problems(frame: pl.DataFrame, col: str, header: str, name: str, sheet: str | None,
                    fix: str) -> list[Problem]:
    empty = frame.filter(pl.col(col).is_null())
    out = [error("actuals-empty", f"{header} is empty", fix, file=name, sheet=_where(sheet, row), cell=header)
           for (row,) in empty.head(SHOWN_PER_COLUMN).select(_ROW).iter_rows()]
    if empty.height > SHOWN_PER_COLUMN:
        out.append(error("actuals-empty", f"{empty.height - SHOWN_PER_COLUMN:,} more rows have no {header}", fix,
                         file=name, cell=header))
    return out


def _where(sheet: str | None, row: int) -> str:
    return f"{sheet} › row {row}" if sheet else f"row {row}"


# -- matching ----------------------------------------------------------------------------------------
def _lookup(ids: list[str], names: dict[str, list[str]], aliases: dict[str, str], match_names: bool
            ) -> dict[str, str]:
    """Normalised key -> plan id: ids, then aliases, then (unambiguous) names."""
    out: dict[str, str] = {}
    if match_names:
        count: dict[str, set[str]] = {}
        for i, ns in names.items():
            for n in ns:
                count.setdefault(_normal(n), set()).add(i)
        out.update({k: next(iter(v)) for k, v in count.items() if len(v) == 1})
    out.update({_normal(k): v for k, v in aliases.items()})
    out.update({_normal(i): i for i in ids})
    return out


def _matcher(values: pl.Series, lookup: dict[str, str]) -> dict[str, str]:
    """Each distinct value of the file -> plan id, for those that match."""
    out = {}
    for v in values.drop_nulls().unique().to_list():
        hit = lookup.get(_normal(v))
        if hit is not None:
            out[v] = hit
    return out


# -- actuals -----------------------------------------------------------------------------------------
@dataclass
class _Prepared:
    """A good file's matched lines summed per quarter x account x product (and whether cost was known)."""
    sums: pl.DataFrame
    months: pl.DataFrame  # distinct (year, quarter, month) with lines
    unmatched_lines: pl.DataFrame  # file, row, customer, product, date, quantity, amount, reason


def read_actuals_file(path: Path, config, progress: Callable[[str], None] | None = None
                      ) -> tuple[ActualsFile, _Prepared | None]:
    """Read and check one export; a file with errors comes back rejected with no prepared data."""
    path = Path(path)
    result = ActualsFile(path)
    try:
        prepared = _read_actuals(path, config, result)
    except Exception as exc:  # a bug must not stop the other files
        result.problems.append(unexpected(path.name, exc))
        prepared = None
    if any(p.is_error for p in result.problems):
        return result, None
    result.outcome = "read"
    return result, prepared


def _read_actuals(path: Path, config, result: ActualsFile) -> _Prepared | None:
    """Parse every line once (vectorised), then sum the lines per month x raw customer x raw product
    (x unit x currency) right away: matching, units, currency and fiscal quarters work on those few
    sums, not on millions of lines."""
    rules: ActualsRules = config.actuals
    name = path.name
    wanted = {f: rules.headers(f) for f in ACTUALS_FIELDS}
    frame, sheet, problems = read_table(
        path, rules, lambda h: all(f in find_columns(h, wanted) for f in ACTUALS_REQUIRED), wanted)
    result.problems.extend(problems)
    if frame is None:
        return None
    headers = [c for c in frame.columns if c != _ROW]
    cols = find_columns(headers, wanted)
    missing = [f for f in ACTUALS_REQUIRED if f not in cols]
    if missing:
        result.problems.append(error(
            "actuals-columns", f"no column for {', '.join(missing)} (the file has {', '.join(headers[:12])})",
            "rename the header(s), or add the file's header names to actuals.columns in the config "
            "(accepted now: " + "; ".join(f"{f}: {', '.join(rules.headers(f)[:4])}" for f in missing) + ")",
            file=name, sheet=sheet))
        return None
    # Values stay as read (an empty field is null): stripping 10 million strings costs more than all the
    # rest; numbers are cleaned only where a plain cast fails, keys after summing.
    frame = frame.select(pl.col(_ROW), *[pl.col(h).alias(f"raw_{f}") for f, h in cols.items()])
    frame = frame.filter(pl.any_horizontal(pl.col(f"raw_{f}").is_not_null() for f in cols))  # skip blank rows
    result.lines = frame.height
    if frame.height == 0:
        result.problems.append(warning("actuals-empty-file", "the file has no data lines",
                                       "check that it is the right export", file=name, sheet=sheet))
        return _Prepared(pl.DataFrame(), pl.DataFrame(), pl.DataFrame())
    month_of = {k: v.year * 100 + v.month for k, v in
                _parse_dates(frame["raw_date"], rules.date_formats).items() if v is not None}
    frame = frame.with_columns(
        pl.col("raw_date").replace_strict(month_of, default=None, return_dtype=pl.Int32).alias("ym"),
        _number_series(frame["raw_quantity"], rules).alias("quantity"),
        _number_series(frame["raw_amount"], rules).alias("amount"),
        (_number_series(frame["raw_cost"], rules) if "cost" in cols else pl.lit(None, dtype=pl.Float64))
        .alias("cost"))
    p = result.problems
    parsed = {"date": "ym", "quantity": "quantity", "amount": "amount", "cost": "cost"}
    checks = frame.select(
        *[(pl.col(f"raw_{f}").is_not_null() & pl.col(c).is_null()).any().alias(f"bad_{f}")
          for f, c in parsed.items() if f in cols],
        *[pl.col(f"raw_{f}").is_null().any().alias(f"empty_{f}") for f in ACTUALS_REQUIRED]).row(0, named=True)
    fmt = ", ".join(rules.date_formats[:3])
    number_fix = (f"write a plain number; the config reads {rules.decimal!r} as the decimal mark"
                  + (f" and removes {rules.thousands!r}" if rules.thousands else
                     " and no thousands separator (set actuals.thousands)"))
    for f, c in parsed.items():
        if checks.get(f"bad_{f}"):
            what, fix = (("a date", f"write dates like 2026-03-31, or add the file's format to actuals.date_formats "
                                    f"(now {fmt} ...)") if f == "date" else ("a number", number_fix))
            p += _bad_value_problems(frame, f"raw_{f}", c, cols[f], what, fix, name, sheet)
    for f in ACTUALS_REQUIRED:
        if checks[f"empty_{f}"]:
            p += _empty_problems(frame, f"raw_{f}", cols[f], name, sheet,
                                 f"fill in the {f}, or delete the line in the export if it is not a sale")
    if any(x.is_error for x in p):
        return None

    # sum the lines per month and raw key; everything below works on these sums
    keys = ["ym", "raw_customer", "raw_product"] + [f"raw_{f}" for f in ("unit", "currency") if f in cols]
    no_cost = pl.col("cost").is_null()
    g = frame.group_by(keys).agg(
        pl.len().alias("lines"), pl.col(_ROW).min().alias("first_row"), pl.col("quantity").sum(),
        pl.col("amount").sum(), pl.col("cost").sum(), pl.col("amount").filter(no_cost).sum().alias("amount_no_cost"),
        no_cost.sum().alias("lines_no_cost"))
    for f in ("unit", "currency"):
        if f not in cols:
            g = g.with_columns(pl.lit(None, dtype=pl.String).alias(f"raw_{f}"))
    g = g.with_columns(pl.col("raw_customer").alias("orig_customer"), pl.col("raw_product").alias("orig_product"),
                       *[_text(f"raw_{f}").alias(f"raw_{f}") for f in ("customer", "product", "unit", "currency")])
    for f in ("customer", "product"):
        blank = g.filter(pl.col(f"raw_{f}").is_null()).sort("first_row")
        for row, n in blank.select("first_row", "lines").head(SHOWN_PER_COLUMN).iter_rows():
            p.append(error("actuals-empty", f"{cols[f]} is empty" + (f" ({n} lines, this is the first)" if n > 1
                                                                       else ""),
                           f"fill in the {f}, or delete the line in the export if it is not a sale",
                           file=name, sheet=_where(sheet, row), cell=cols[f]))
    if any(x.is_error for x in p):
        return None

    # match customers and products
    accounts = config.accounts
    products = {pr.id: pr for pr in config.products}
    account_of = _matcher(g["raw_customer"], _lookup(
        [a.id for a in accounts], {a.id: [a.name.en, a.name.zh] for a in accounts}, rules.aliases.customers,
        rules.match_names))
    product_of = _matcher(g["raw_product"], _lookup(
        list(products), {i: [pr.name.en, pr.name.zh] for i, pr in products.items()}, rules.aliases.products,
        rules.match_names))
    g = g.with_columns(
        pl.col("raw_customer").replace_strict(account_of, default=None, return_dtype=pl.String).alias("account_id"),
        pl.col("raw_product").replace_strict(product_of, default=None, return_dtype=pl.String).alias("product_id"),
        pl.col("raw_unit").fill_null(pl.lit(rules.units.file_unit, dtype=pl.String)).alias("unit"),
        pl.col("raw_currency").str.to_uppercase().fill_null(
            pl.lit(rules.currency.file_currency or config.currency)).alias("currency"))

    # units and currency
    factors: dict[tuple, float] = {}
    for pid, unit in g.select("product_id", "unit").unique().iter_rows():
        if pid is None:
            continue
        f = _unit_factor(rules, pid, products[pid].unit, unit)
        if f is not None:
            factors[(pid, unit)] = f
            continue
        rows = g.filter((pl.col("product_id") == pid) & (pl.col("unit") == unit))
        p.append(error("actuals-unit", f"{int(rows['lines'].sum()):,} line(s) of product {pid} are in {unit!r}, "
                       f"which kamplan cannot turn into the plan unit {products[pid].unit!r} "
                       f"(first: row {int(rows['first_row'].min())})",
                       f"add it to the config: actuals.units.factors: {{{unit}: {{{products[pid].unit}: <factor>}}}} "
                       f"or actuals.units.products: {{{pid}: {{{unit}: <factor>}}}}", file=name, sheet=sheet,
                       cell=cols.get("unit")))
    plan_currency = config.currency
    rates: dict[str, float] = {}
    for (cur,) in g.select("currency").unique().iter_rows():
        if cur == plan_currency or cur in rules.currency.rates:
            rates[cur] = 1.0 if cur == plan_currency else float(rules.currency.rates[cur])
            continue
        rows = g.filter(pl.col("currency") == cur)
        p.append(error("actuals-currency", f"{int(rows['lines'].sum()):,} line(s) are in {cur}, which has no "
                       f"exchange rate to {plan_currency} (first: row {int(rows['first_row'].min())})",
                       f"add it to the config: actuals.currency.rates: {{{cur}: <{plan_currency} per {cur}>}}",
                       file=name, sheet=sheet, cell=cols.get("currency")))
    if any(x.is_error for x in p):
        return None
    factor_frame = pl.DataFrame({"product_id": [k[0] for k in factors], "unit": [k[1] for k in factors],
                                 "factor": list(factors.values())},
                                schema={"product_id": pl.String, "unit": pl.String, "factor": pl.Float64})
    g = g.join(factor_frame, on=["product_id", "unit"], how="left", nulls_equal=True)
    rate = pl.col("currency").replace_strict(rates, return_dtype=pl.Float64)
    first_month = config.calendar.first_month
    month = pl.col("ym") % 100
    g = g.with_columns(
        (pl.col("quantity") * pl.col("factor").fill_null(1.0)).alias("volume"),
        (pl.col("amount") * rate).alias("revenue"), (pl.col("cost") * rate).alias("cost"),
        (pl.col("amount_no_cost") * rate).alias("revenue_no_cost"),
        (pl.col("ym") // 100 - (month < first_month).cast(pl.Int32)).cast(pl.Int64).alias("year"),
        ((month - first_month) % 12 // 3 + 1).cast(pl.Int64).alias("quarter"), month.alias("month"))

    is_matched = pl.col("account_id").is_not_null() & pl.col("product_id").is_not_null()
    totals = g.select(
        pl.col("revenue").sum().alias("revenue_in"), pl.col("lines").filter(is_matched).sum().alias("matched"),
        pl.col("volume").filter(is_matched).sum().alias("volume_matched"),
        pl.col("revenue").filter(is_matched).sum().alias("revenue_matched"),
        pl.col("volume").filter(~is_matched).sum().alias("volume_unmatched"),
        pl.col("revenue").filter(~is_matched).sum().alias("revenue_unmatched"),
        pl.col("lines_no_cost").filter(is_matched).sum().alias("without_cost"),
    ).row(0, named=True)
    result.matched = int(totals["matched"] or 0)
    result.unmatched = result.lines - result.matched
    for k in ("revenue_in", "volume_matched", "revenue_matched", "volume_unmatched", "revenue_unmatched"):
        setattr(result, k, float(totals[k] or 0.0))
    result.without_cost = int(totals["without_cost"] or 0)

    unmatched = g.filter(~is_matched)
    if unmatched.height:
        result.unmatched_values = _unmatched_values(unmatched, name)
    matched = g.filter(is_matched)
    # two rows per key: the part with a known cost, and the revenue without one (cost NaN: standard margin)
    with_cost = matched.select("year", "quarter", "account_id", "product_id", "volume",
                               (pl.col("revenue") - pl.col("revenue_no_cost")).alias("revenue"), "cost",
                               pl.lit(False).alias("no_cost"))
    without = matched.filter(pl.col("lines_no_cost") > 0).select(
        "year", "quarter", "account_id", "product_id", pl.lit(0.0).alias("volume"),
        pl.col("revenue_no_cost").alias("revenue"), pl.lit(0.0).alias("cost"), pl.lit(True).alias("no_cost"))
    sums = pl.concat([with_cost, without])
    result.periods = sorted(set(matched.select("year", "quarter").unique().iter_rows()))
    months = matched.select("year", "quarter", "month").unique()
    bad_customers = unmatched.filter(pl.col("account_id").is_null())["orig_customer"].unique()
    bad_products = unmatched.filter(pl.col("product_id").is_null())["orig_product"].unique()
    reasons = (pl.when(~pl.col("customer").is_in(bad_customers.implode())).then(pl.lit("product not in the plan"))
               .when(~pl.col("product").is_in(bad_products.implode())).then(pl.lit("customer not in the plan"))
               .otherwise(pl.lit("customer and product not in the plan")))
    unmatched_lines = (frame.filter(pl.col("raw_customer").is_in(bad_customers.implode())
                                    | pl.col("raw_product").is_in(bad_products.implode()))
                       .select(pl.lit(name).alias("file"), pl.col(_ROW).cast(pl.Int64).alias("row"),
                               pl.col("raw_customer").alias("customer"), pl.col("raw_product").alias("product"),
                               pl.col("raw_date").alias("date"), "quantity", "amount",
                               *([pl.col("raw_unit").alias("unit")] if "unit" in cols else []),
                               *([pl.col("raw_currency").alias("currency")] if "currency" in cols else []))
                       .with_columns(reasons.alias("reason")))
    return _Prepared(sums, months, unmatched_lines)


def _unit_factor(rules: ActualsRules, product_id: str, plan_unit: str, unit: str | None) -> float | None:
    if unit is None or _normal(unit) == _normal(plan_unit):
        return 1.0
    for u, f in rules.units.products.get(product_id, {}).items():
        if _normal(u) == _normal(unit):
            return float(f)
    for u, targets in rules.units.factors.items():
        if _normal(u) == _normal(unit):
            for t, f in targets.items():
                if _normal(t) == _normal(plan_unit):
                    return float(f)
    return None


def _unmatched_values(unmatched: pl.DataFrame, name: str) -> list[UnmatchedValue]:
    out = []
    for what, col, other in (("customer", "raw_customer", "account_id"), ("product", "raw_product", "product_id")):
        g = (unmatched.filter(pl.col(other).is_null())
             .group_by(col).agg(pl.col("lines").sum(), pl.col("first_row").min(),
                                pl.col("quantity").sum(), pl.col("revenue").sum())
             .sort(["revenue", col], descending=[True, False]))
        out += [UnmatchedValue(name, what, v, int(n), int(r), float(q), float(rv))
                for v, n, r, q, rv in g.iter_rows()]
    return out


def import_actuals(ws: Workspace, paths: list[Path], dry_run: bool = False,
                   progress: Callable[[str], None] | None = None, now: dt.datetime | None = None) -> ActualsResult:
    """Read every file, then store the good ones together as one import (unless ``dry_run``).

    The quarters the good files cover replace earlier imports of them, so give all files of
    a quarter together (e.g. the three monthly exports).  A file given twice is read once.
    """
    config = ws.config
    files: list[ActualsFile] = []
    prepared: list[_Prepared] = []
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        digest = _digest(path)
        if digest is not None and digest in seen:
            f = ActualsFile(path, outcome="rejected", problems=[warning(
                "actuals-same-file", f"this file has the same content as {seen[digest]}; it was read once",
                "nothing to do, unless a different file was meant", file=path.name)])
            files.append(f)
            continue
        if digest is not None:
            seen[digest] = path.name
        f, prep = read_actuals_file(path, config)
        files.append(f)
        if prep is not None:
            prepared.append(prep)
        if progress:
            progress(path.name)
    result = ActualsResult(files=files, problems=[], dry_run=dry_run, store_where=str(ws.store_target()))
    good = [f for f in files if f.outcome == "read"]
    if not good:
        result.problems.append(error("actuals-nothing", "no file could be imported; nothing was stored",
                                     "fix the problems listed for each file and run the import again"))
        return result
    sums = [p.sums for p in prepared if p.sums.height]
    # The sums are small (quarter x account x product); a plain dict hand-over avoids needing pyarrow,
    # which polars' to_pandas() requires.
    lines = (pd.DataFrame(pl.concat(sums).to_dict(as_series=False)) if sums else
             pd.DataFrame(columns=["year", "quarter", "account_id", "product_id", "no_cost", "volume", "revenue",
                                   "cost"]))
    if len(lines):
        lines.loc[lines["no_cost"].astype(bool), "cost"] = float("nan")
    margins = {p.id: p.standard_margin for p in config.products}
    history = lines_to_history(lines.drop(columns="no_cost"), margins)
    result.history = history
    result.periods = sorted({(int(y), int(q)) for y, q in zip(history["year"], history["quarter"])})
    result.problems += _coverage_warnings(prepared, config.calendar.first_month)
    without_cost = sum(f.without_cost for f in good)
    if without_cost:
        result.problems.append(warning(
            "actuals-no-cost", f"{without_cost:,} matched line(s) have no cost; their gross margin is the product's "
            "standard margin x revenue", "export the cost column too for the real gross margin"))
    unmatched = [p.unmatched_lines for p in prepared if p.unmatched_lines.height]
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    if unmatched and not dry_run:
        ws.reports.mkdir(parents=True, exist_ok=True)
        result.unmatched_path = ws.reports / f"actuals_unmatched_{stamp}.csv"
        _write_csv_atomic(pl.concat(unmatched, how="vertical_relaxed"), result.unmatched_path)
    if dry_run:
        return result
    if len(history) == 0:
        result.problems.append(warning("actuals-nothing-matched", "no line matched a plan account and product; "
                                       "nothing was stored", "map the ERP codes in actuals.aliases (see the "
                                       "unmatched values above)"))
        return result
    source = "; ".join(f.path.name for f in good)
    report = {"n_files": len(good), "lines_in": sum(f.lines for f in good),
              "lines_matched": sum(f.matched for f in good), "lines_unmatched": sum(f.unmatched for f in good),
              "volume_in": sum(f.volume_matched + f.volume_unmatched for f in good),
              "revenue_in": sum(f.revenue_in for f in good),
              "volume_unmatched": sum(f.volume_unmatched for f in good),
              "revenue_unmatched": sum(f.revenue_unmatched for f in good),
              "detail": {"files": [f.totals() for f in good],
                         "rejected": [f.path.name for f in files if f.outcome == "rejected"],
                         "unmatched_file": str(result.unmatched_path) if result.unmatched_path else None,
                         "unmatched": [vars(u) for f in good for u in f.unmatched_values[:50]]}}
    result.actuals_import_id, result.rows_stored = ws.store.replace_actuals(history, source, report)
    return result


def _coverage_warnings(prepared: list[_Prepared], first_month: int) -> list[Problem]:
    months = [p.months for p in prepared if p.months.height]
    if not months:
        return []
    have = pl.concat(months).unique()
    names = fiscal_months(first_month)
    out = []
    for (year, quarter), g in have.group_by("year", "quarter"):
        got = sorted(set(g["month"].to_list()))
        if len(got) < 3:
            missing = [m for m in names[quarter] if m not in got]
            out.append(warning("actuals-quarter-partial",
                               f"{year} Q{quarter} has lines only in month(s) {', '.join(map(str, got))} "
                               f"(none in {', '.join(map(str, missing))}); the import replaces the whole quarter",
                               "import all months of a quarter together (give every file of the quarter)"))
    return sorted(out, key=lambda p: p.message)


def _digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _write_csv_atomic(frame: pl.DataFrame, path: Path) -> None:
    from kamplan.workbooks.kit.xlsxio import atomic_path
    with atomic_path(path) as tmp:
        frame.write_csv(tmp, include_bom=True)  # the BOM makes Excel open the Chinese text as UTF-8


# -- activity log ------------------------------------------------------------------------------------
@dataclass
class ActivityFile(WithProblems):
    path: Path
    outcome: str = "rejected"  # "read" or "rejected"
    lines: int = 0
    matched: int = 0
    unmatched: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ActivityResult(WithProblems):
    files: list[ActivityFile]
    problems: list[Problem]
    rows_stored: int = 0
    periods: list[tuple[int, int]] = field(default_factory=list)
    store_where: str = ""
    dry_run: bool = False
    frame: pd.DataFrame | None = None

    @property
    def rejected(self) -> list[ActivityFile]:
        return [f for f in self.files if f.outcome == "rejected"]

    def all_problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems] + self.problems


def read_activity_file(path: Path, config) -> tuple[ActivityFile, pd.DataFrame | None]:
    path = Path(path)
    result = ActivityFile(path)
    try:
        frame = _read_activities(path, config, result)
    except Exception as exc:
        result.problems.append(unexpected(path.name, exc))
        frame = None
    if any(p.is_error for p in result.problems):
        return result, None
    result.outcome = "read"
    return result, frame


def _read_activities(path: Path, config, result: ActivityFile) -> pd.DataFrame | None:
    rules: ActualsRules = config.actuals
    name = path.name
    fields = ("date", "account", "kind", "person", "quantity", "status", "note", "ref")
    wanted = {f: rules.activity_headers(f) for f in fields}
    frame, sheet, problems = read_table(
        path, rules, lambda h: all(f in find_columns(h, wanted) for f in ACTIVITY_REQUIRED))
    result.problems.extend(problems)
    if frame is None:
        return None
    headers = [c for c in frame.columns if c != _ROW]
    cols = find_columns(headers, wanted)
    missing = [f for f in ACTIVITY_REQUIRED if f not in cols]
    if missing:
        result.problems.append(error(
            "activities-columns", f"no column for {', '.join(missing)} (the file has {', '.join(headers[:12])})",
            "rename the header(s), or add the file's header names to actuals.activity_columns in the config",
            file=name, sheet=sheet))
        return None
    frame = frame.select(pl.col(_ROW), *[_text(h).alias(f"raw_{f}") for f, h in cols.items()])
    frame = frame.filter(pl.any_horizontal(pl.col(f"raw_{f}").is_not_null() for f in cols))
    result.lines = frame.height
    if frame.height == 0:
        result.problems.append(warning("activities-empty-file", "the file has no rows",
                                       "check that it is the right file", file=name, sheet=sheet))
        return pd.DataFrame(columns=ACTIVITY_COLUMNS)
    kind_of = {_normal(w): k for k, words in rules.activity_kinds.items() for w in [k, *words]}
    status_of = {_normal(w): s for s, words in rules.complaint_statuses.items() for w in [s, *words]}
    kinds = {v: kind_of.get(_normal(v)) for v in frame["raw_kind"].drop_nulls().unique().to_list()}
    frame = frame.with_columns(
        _date("raw_date", frame, rules).alias("date"),
        pl.col("raw_kind").replace_strict({k: v for k, v in kinds.items() if v}, default=None,
                                          return_dtype=pl.String).alias("kind"),
        (_number("raw_quantity", rules) if "quantity" in cols else pl.lit(None, dtype=pl.Float64)).alias("quantity"))
    if "status" in cols:
        statuses = {v: status_of.get(_normal(v)) for v in frame["raw_status"].drop_nulls().unique().to_list()}
        frame = frame.with_columns(pl.col("raw_status").replace_strict(
            {k: v for k, v in statuses.items() if v}, default=None, return_dtype=pl.String).alias("status"))
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("status"), pl.lit(None, dtype=pl.String)
                                   .alias("raw_status"))
    p = result.problems
    p += _bad_value_problems(frame, "raw_date", "date", cols["date"], "a date",
                             "write dates like 2026-03-31, or add the format to actuals.date_formats",
                             name, sheet, "activities-value")
    p += _bad_value_problems(frame, "raw_kind", "kind", cols["kind"],
                             f"a kind of activity ({', '.join(rules.activity_kinds)})",
                             "use one of the kinds, or add the word to actuals.activity_kinds", name, sheet,
                             "activities-value")
    if "quantity" in cols:
        p += _bad_value_problems(frame, "raw_quantity", "quantity", cols["quantity"], "a number",
                                 "write a plain number (empty = 1)", name, sheet, "activities-value")
    if "status" in cols:
        p += _bad_value_problems(frame, "raw_status", "status", cols["status"], "open or resolved",
                                 "use open or resolved (or a word in actuals.complaint_statuses)", name, sheet,
                                 "activities-value")
    for f in ACTIVITY_REQUIRED:
        p += _empty_problems(frame, f"raw_{f}", cols[f], name, sheet, f"fill in the {f}, or delete the row")
    if any(x.is_error for x in p):
        return None
    accounts = config.accounts
    account_of = _matcher(frame["raw_account"], _lookup(
        [a.id for a in accounts], {a.id: [a.name.en, a.name.zh] for a in accounts}, rules.aliases.customers,
        rules.match_names))
    frame = frame.with_columns(pl.col("raw_account").replace_strict(account_of, default=None,
                                                                    return_dtype=pl.String).alias("account_id"))
    unknown = frame.filter(pl.col("account_id").is_null())
    result.unmatched = unknown.height
    result.matched = frame.height - unknown.height
    for value, n, first in (unknown.group_by("raw_account").agg(pl.len(), pl.col(_ROW).min())
                            .sort(_ROW).iter_rows()):
        p.append(warning("activities-unknown-account",
                         f"{value!r} is not a plan account: {n} row(s) not stored (first: row {first})",
                         f"map it in the config (actuals.aliases.customers: {{{value!r}: <account id>}}) "
                         "and import the file again; rows of other accounts were read",
                         file=name, sheet=sheet, cell=cols["account"]))
    people = {s.id for s in config.staff} | {q.id for pool in config.support_pools for q in pool.people}
    if "person" in cols:
        for value, n in (frame.filter(pl.col("raw_person").is_not_null() & ~pl.col("raw_person").is_in(list(people)))
                         .group_by("raw_person").agg(pl.len()).sort("raw_person").iter_rows()):
            p.append(warning("activities-unknown-person", f"{value!r} ({n} row(s)) is not a salesperson or support "
                             "person of the config; the rows are kept as they are",
                             "use the person's id from the config if it is one of them", file=name, sheet=sheet,
                             cell=cols["person"]))
    complaints_without_status = frame.filter((pl.col("kind") == "complaint") & pl.col("status").is_null()).height
    if complaints_without_status:
        p.append(warning("activities-complaint-status", f"{complaints_without_status} complaint(s) have no status; "
                         "they count as open", "write open or resolved in the status column", file=name,
                         sheet=sheet))
    kept = frame.filter(pl.col("account_id").is_not_null())
    out = pd.DataFrame({
        "date": kept["date"].to_list(),
        "account_id": kept["account_id"].to_list(),
        "kind": kept["kind"].to_list(),
        "person_id": kept["raw_person"].to_list() if "person" in cols else [None] * kept.height,
        "quantity": kept["quantity"].fill_null(1.0).to_list(),
        "status": [s if k == "complaint" else None for s, k in zip(
            kept["status"].to_list(), kept["kind"].to_list())],
        "note": kept["raw_note"].to_list() if "note" in cols else [None] * kept.height,
        "ref": kept["raw_ref"].to_list() if "ref" in cols else [None] * kept.height,
    }, columns=ACTIVITY_COLUMNS)
    for c in ("account_id", "kind", "person_id", "status", "note", "ref", "date"):
        out[c] = out[c].astype(object)
    out["status"] = [("open" if k == "complaint" and s is None else s) for s, k in zip(out["status"], out["kind"])]
    return out


def import_activities(ws: Workspace, paths: list[Path], dry_run: bool = False,
                      progress: Callable[[str], None] | None = None) -> ActivityResult:
    """Read every activity log file and store the good ones together; their fiscal quarters replace
    what earlier imports gave for them (kept in the store)."""
    config = ws.config
    files, frames = [], []
    for path in paths:
        f, frame = read_activity_file(Path(path), config)
        files.append(f)
        if frame is not None:
            frames.append(frame)
        if progress:
            progress(Path(path).name)
    result = ActivityResult(files=files, problems=[], dry_run=dry_run, store_where=str(ws.store_target()))
    good = [f for f in files if f.outcome == "read"]
    if not good:
        result.problems.append(error("activities-nothing", "no file could be imported; nothing was stored",
                                     "fix the problems listed for each file and run the import again"))
        return result
    frame = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else None
    if frame is None or len(frame) == 0:
        result.problems.append(warning("activities-nothing-matched", "no row belongs to a plan account; nothing "
                                       "was stored", "map the account codes in actuals.aliases.customers"))
        return result
    from kamplan.periods import fiscal_year_quarter
    year, quarter = fiscal_year_quarter(frame["date"], config.calendar.first_month)
    result.periods = sorted(set(zip(year.tolist(), quarter.tolist())))
    result.frame = frame
    if not dry_run:
        result.rows_stored = ws.store.replace_activities(frame, "; ".join(f.path.name for f in good),
                                                         first_month=config.calendar.first_month)
    return result
