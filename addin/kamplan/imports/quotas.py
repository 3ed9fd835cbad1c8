"""A quota table: one row per salesperson x period with the revenue that salesperson is to reach (CSV or xlsx).

``read_quota_file(path, config)`` returns ``(QuotaTable, problems)``.  Columns ``salesperson, period,
amount`` (Chinese headers and a few other names accepted, see ``HEADERS``).  ``period`` is a quarter of
the plan year: ``Q2``, ``2013-Q2`` / ``2013Q2`` / ``2013 Q2``, or any date inside it (mapped by the
config's calendar).  ``amount`` is revenue in the plan currency.  Every row is checked; with an error
among the problems nothing is to be stored:

* a salesperson who is not in the config (the close ids are suggested);
* a period that cannot be read, or that is not in the plan year;
* the same salesperson and period twice (both rows named);
* an amount that is text, empty, negative or absurd (outside ``LIMIT``).

Whether a salesperson has plan lines to carry their quota is for the stage to say (it knows the plan).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import polars as pl

from kamplan.imports.tables import ROW, TableFile
from kamplan.imports.values import bad_value_problems, empty_problems, parse_dates, where
from kamplan.limits import MONEY, Limit, limit_problem
from kamplan.periods import fiscal_year_quarter
from kamplan.messages import Message
from kamplan.problems import Problem, phrase, problem, unexpected

FIELDS = ("salesperson", "period", "amount")
HEADERS = {
    "salesperson": ["salesperson", "sales_rep", "rep", "salesperson_id", "业务员", "销售员", "销售代表"],
    "period": ["period", "quarter", "date", "期间", "季度", "日期"],
    "amount": ["amount", "quota", "target", "revenue", "金额", "指标", "配额"],
}
HEADER_FIX = Message("fix.quotas.headers",
                     accepted="; ".join(f"{f}: {', '.join(names[1:])}" for f, names in HEADERS.items()))
LIMIT = Limit(0.0, MONEY, "limit.what.quota")
_QUARTER = re.compile(r"^(?:(?P<year>\d{4})\s*-?\s*)?Q(?P<q>[1-4])$", re.IGNORECASE)
_CODE = "quotas-value"


@dataclass
class QuotaTable:
    """The quotas of one file: one row per salesperson and quarter of the plan year."""
    file: str = ""
    rows: int = 0
    frame: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["salesperson_id", "quarter",
                                                                              "amount", "row"]))

    def figures(self) -> dict[str, float]:
        """The quotas as top-down figure keys: ``{"R01:Q2": 1250000.0, ...}``."""
        return {f"{s}:Q{int(q)}": float(a) for s, q, a in
                self.frame[["salesperson_id", "quarter", "amount"]].itertuples(index=False)}

    def row_of(self, salesperson: str) -> int | None:
        """The first row of a salesperson's quotas (for a problem found later)."""
        mine = self.frame[self.frame["salesperson_id"] == salesperson]
        return int(mine["row"].min()) if len(mine) else None


def read_quota_file(path: Path, config) -> tuple[QuotaTable, list[Problem]]:
    """Read and check one quota table.  With an error among the problems nothing is to be stored."""
    reader = _QuotaFile(path, config)
    try:
        reader.read()
    except Exception as exc:
        reader.problems.append(unexpected(reader.name, exc))
    return reader.out, reader.problems


def quarters_of_dates(dates, calendar) -> tuple[list[int], list[int]]:
    """Fiscal year and quarter of each date by the config's calendar: the one place quota periods given
    as dates are mapped (``kamplan.periods.fiscal_year_quarter``).  A date outside the calendar's
    periods is a ValueError."""
    years, quarters = fiscal_year_quarter(dates, calendar)
    return [int(y) for y in years], [int(q) for q in quarters]


def close_ids(value: str, ids: list[str]) -> str:
    """``"did you mean R01, R10?"`` for an unknown id, or the ids there are."""
    close = difflib.get_close_matches(value, ids, n=3, cutoff=0.5)
    close += [i for i in ids if i.casefold() == value.casefold() and i not in close]
    if close:
        return Message("quotas.did-you-mean", ids=", ".join(close))
    if len(ids) > 10:
        return Message("quotas.salespeople-more", ids=", ".join(ids[:10]), more=len(ids) - 10)
    return Message("quotas.salespeople", ids=", ".join(ids))


class _QuotaFile(TableFile):
    """One quota table on its way: header match → parse → validate → check people, periods, duplicates."""

    def __init__(self, path: Path, config):
        super().__init__(path, config)
        self.out = QuotaTable(file=self.name)

    def read(self) -> None:
        frame = self.rows(HEADERS, FIELDS, code="quotas-columns", config_key="the quota file's header",
                          stripped=True,
                          empty="quotas.empty-file")
        if frame is None:
            # There is no config key for these headers: say the names to use instead.
            self.problems = [replace(p, fix=HEADER_FIX) if p.message.startswith("no column") else p
                             for p in self.problems]
            return
        self.out.rows = frame.height
        if frame.height == 0:
            self.problems[-1] = problem("quotas.no-rows", file=self.name, sheet=self.sheet)
            return
        frame = self.parse(frame)
        self.validate(frame)  # every row's problems at once: values, people, periods, duplicates
        self.check_people(frame)
        self.check_duplicates(frame)
        if not self.failed():
            self.out.frame = pd.DataFrame({"salesperson_id": frame["raw_salesperson"].to_list(),
                                           "quarter": frame["quarter"].to_list(),
                                           "amount": frame["amount"].to_list(), "row": frame[ROW].to_list()})

    def parse(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The amount as a number and the period as a quarter of the plan year (null where unreadable;
        the period's problems are added here, where the reason is known)."""
        quarters = [self.quarter(text, row) for text, row in zip(frame["raw_period"].to_list(), frame[ROW].to_list())]
        amount = pl.col("raw_amount").str.replace_all(r"\s", "")
        if self.rules.decimal == ",":  # 1.250.000,50
            amount = amount.str.replace_all(".", "", literal=True).str.replace_all(",", ".", literal=True)
        else:  # 1,250,000.50
            amount = amount.str.replace_all(",", "", literal=True)
        return frame.with_columns(amount.cast(pl.Float64, strict=False).alias("amount"),
                                  pl.Series("quarter", quarters, dtype=pl.Int64))

    def quarter(self, text: str | None, row: int) -> int | None:
        """The plan year's quarter ``text`` names, or None with the problem added."""
        if text is None:
            return None  # empty: said by validate
        year = self.config.plan_year
        m = _QUARTER.match(text.strip())
        if m:
            if m.group("year") and int(m.group("year")) != year:
                self.period_problem(text, row, phrase("quotas.period-other-year", found=int(m.group("year")),
                                                      year=year))
                return None
            return int(m.group("q"))
        date = parse_dates(pl.Series([text]), self.rules.date_formats).get(text)
        if date is None:
            self.period_problem(text, row, phrase("quotas.period-unreadable"))
            return None
        try:
            (fy,), (q,) = quarters_of_dates([date], self.config.calendar)
        except ValueError as exc:
            self.period_problem(text, row, phrase("quotas.period-outside-calendar", reason=str(exc)))
            return None
        if fy != year:
            self.period_problem(text, row, phrase("quotas.period-fiscal-other-year", found=fy, quarter=q, year=year))
            return None
        return q

    def period_problem(self, text: str, row: int, why: str) -> None:
        year = self.config.plan_year
        self.problems.append(problem("quotas.period", header=self.cols["period"], value=repr(text), why=why,
                                     year=year, file=self.name, sheet=where(self.sheet, row), cell=self.cols["period"]))

    def validate(self, frame: pl.DataFrame) -> None:
        cols, name, sheet = self.cols, self.name, self.sheet
        self.problems += bad_value_problems(frame, "raw_amount", "amount", cols["amount"], phrase("import.what.number"),
                                            Message("fix.quotas.amount"), name, sheet, _CODE)
        for f in FIELDS:
            self.problems += empty_problems(frame, f"raw_{f}", cols[f], name, sheet,
                                            Message("fix.import.fill-in-row", field=f))
        for row, value in frame.filter(pl.col("amount").is_not_null()).select(ROW, "amount").iter_rows():
            p = limit_problem("amount", value, code=_CODE, header=cols["amount"], file=name,
                              sheet=where(sheet, row), cell=cols["amount"], limit=LIMIT)
            if p is not None:
                self.problems.append(p)

    def check_people(self, frame: pl.DataFrame) -> None:
        """Every salesperson must be one of the config's (ids as they are; a near miss is suggested)."""
        ids = [s.id for s in self.config.staff]
        known = set(ids)
        for value, first in (frame.filter(~pl.col("raw_salesperson").is_in(list(known)))
                             .group_by("raw_salesperson").agg(pl.col(ROW).min()).sort(ROW).iter_rows()):
            self.problems.append(problem(
                "quotas.unknown-salesperson", header=self.cols["salesperson"], value=repr(value),
                hint=close_ids(value, ids), file=self.name, sheet=where(self.sheet, first),
                cell=self.cols["salesperson"]))

    def check_duplicates(self, frame: pl.DataFrame) -> None:
        """A salesperson and quarter given twice: which quota is meant cannot be guessed."""
        dup = (frame.filter(pl.col("quarter").is_not_null())
               .group_by("raw_salesperson", "quarter").agg(pl.col(ROW).sort()).filter(pl.col(ROW).list.len() > 1)
               .sort(pl.col(ROW).list.first()))
        for person, quarter, rows in dup.iter_rows():
            self.problems.append(problem(
                "quotas.duplicate", salesperson=person, quarter=quarter, times=len(rows),
                rows=", ".join(map(str, rows)), file=self.name, sheet=where(self.sheet, rows[1]),
                cell=self.cols["period"]))


def no_lines_problem(table: QuotaTable, salesperson: str, quarter: int | None) -> Problem:
    """The error for a quota no plan line can carry (the stage finds it: it knows the plan)."""
    row = table.row_of(salesperson)
    where_row = None if row is None else Message("where.row", row=row)
    if quarter:
        return problem("quotas.no-lines-quarter", salesperson=salesperson, quarter=quarter, file=table.file,
                       sheet=where_row)
    return problem("quotas.no-lines", salesperson=salesperson, file=table.file, sheet=where_row)
