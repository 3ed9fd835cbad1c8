"""Parsing a file's text values, vectorised: numbers (spaces, thousands separators, decimal commas),
dates (the config's formats, each distinct text parsed once), and the problems for values that
cannot be read or are missing."""
from __future__ import annotations

import datetime as dt

import polars as pl

from kamplan.config.actuals import ActualsRules
from kamplan.imports.tables import ROW, text
from kamplan.messages import Message
from kamplan.problems import Problem, problem

SHOWN_PER_COLUMN = 20  # bad values listed one by one per file and column; the rest are counted


def number(col: str, rules: ActualsRules) -> pl.Expr:
    s = text(col).str.replace_all(r"\s", "")
    if rules.thousands:
        s = s.str.replace_all(rules.thousands, "", literal=True)
    if rules.decimal == ",":
        s = s.str.replace_all(",", ".", literal=True)
    return s.cast(pl.Float64, strict=False)


def number_series(values: pl.Series, rules: ActualsRules) -> pl.Series:
    """Numbers of a text column: a plain cast where it works (most values of most exports), the
    cleaning of ``number`` (spaces, thousands separator, decimal comma) only for the rest."""
    plain = rules.decimal == "." and not rules.thousands
    out = values.cast(pl.Float64, strict=False) if plain else None
    todo = values.is_not_null() if out is None else (out.is_null() & values.is_not_null())
    if out is None or todo.any():
        cleaned = pl.DataFrame({"v": values.filter(todo)}).select(number("v", rules)).to_series()
        base = out if out is not None else pl.Series(values.name, [None] * len(values), dtype=pl.Float64)
        out = base.scatter(todo.arg_true(), cleaned)
    return out.alias(values.name)


def parse_dates(values: pl.Series, formats: list[str]) -> dict[str, dt.date | None]:
    """Each distinct text -> its date (first format that reads it), parsed once per distinct value."""
    uniq = values.drop_nulls().unique()
    stripped = uniq.str.strip_chars()
    parsed = pl.select(pl.coalesce([stripped.str.to_datetime(f, strict=False).dt.date() for f in formats])).to_series()
    return dict(zip(uniq.to_list(), parsed.to_list()))


def date(col: str, frame: pl.DataFrame, rules: ActualsRules) -> pl.Expr:
    mapping = parse_dates(frame.select(text(col)).to_series(), rules.date_formats)
    good = {k: v for k, v in mapping.items() if v is not None}
    return text(col).replace_strict(list(good), list(good.values()), default=None, return_dtype=pl.Date)


def where(sheet: str | None, row: int) -> str:
    return Message("where.sheet-row", sheet=sheet, row=row) if sheet else Message("where.row", row=row)


def bad_value_problems(frame: pl.DataFrame, raw: str, parsed: str, header: str, what: str, fix: str,
                       name: str, sheet: str | None, code: str = "actuals-value") -> list[Problem]:
    """Errors for rows where ``raw`` has text but ``parsed`` is null: the first ones by row, then a count."""
    bad = frame.filter(pl.col(raw).is_not_null() & pl.col(parsed).is_null())
    out = [problem("import.bad-value", code=code, header=header, value=repr(value), what=what, fix=fix, file=name,
                   sheet=where(sheet, row), cell=header)
           for row, value in bad.head(SHOWN_PER_COLUMN).select(ROW, raw).iter_rows()]
    if bad.height > SHOWN_PER_COLUMN:
        out.append(problem("import.bad-value-more", code=code, count=bad.height - SHOWN_PER_COLUMN, header=header,
                           what=what, fix=fix, file=name, cell=header))
    return out


def empty_problems(frame: pl.DataFrame, col: str, header: str, name: str, sheet: str | None,
                   fix: str) -> list[Problem]:
    empty = frame.filter(pl.col(col).is_null())
    out = [problem("import.empty", header=header, fix=fix, file=name, sheet=where(sheet, row), cell=header)
           for (row,) in empty.head(SHOWN_PER_COLUMN).select(ROW).iter_rows()]
    if empty.height > SHOWN_PER_COLUMN:
        out.append(problem("import.empty-more", count=empty.height - SHOWN_PER_COLUMN, header=header, fix=fix,
                           file=name, cell=header))
    return out
