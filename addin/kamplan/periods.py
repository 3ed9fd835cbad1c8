"""Periods: fiscal quarters of dates, and analysis periods: a history year or the rolling last four quarters, and the period before.

A period is a run of whole quarters.  ``previous()`` is always the same quarters one
year earlier, so growth is like for like: a year whose history stops after Q3 is
compared with Q1-Q3 of the year before, never with a full year.

The fiscal year is named after the calendar year it starts in (``Calendar.year_span``): with
``first_month`` 4, 2026-03-31 is in fiscal 2025 Q4 and 2026-04-01 in fiscal 2026 Q1.  This
module is the ground floor: the engine, the store and the stages all take periods from here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamplan.problems import Problem, error, warning


def quarter_index(year, quarter):
    """Quarters as consecutive integers (2026 Q1 -> 8104); works on scalars and arrays."""
    return year * 4 + (quarter - 1)


def fiscal_year_quarter(dates, first_month: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Fiscal year and quarter (int64 arrays) of ``dates`` (anything ``pd.to_datetime`` reads; no missing)."""
    if not 1 <= int(first_month) <= 12:
        raise ValueError(f"first_month {first_month!r} is not a month 1-12")
    stamps = pd.DatetimeIndex(pd.to_datetime(dates))
    if stamps.hasnans:
        raise ValueError("a date is missing; every dated line needs a date")
    month = stamps.month.to_numpy(dtype="int64")
    year = stamps.year.to_numpy(dtype="int64") - (month < first_month)
    quarter = (month - first_month) % 12 // 3 + 1
    return year, quarter


def fiscal_months(first_month: int = 1) -> dict[int, list[int]]:
    """Quarter -> its calendar months, e.g. first_month 4: {1: [4, 5, 6], ..., 4: [1, 2, 3]}."""
    return {q: [(first_month - 1 + 3 * (q - 1) + i) % 12 + 1 for i in range(3)] for q in (1, 2, 3, 4)}



def as_date(value) -> dt.date:
    """The calendar date of a stored or typed value: a date, a date-time (its day), a numpy or pandas
    time stamp, or ISO text ("2027-03-31", a time after it ignored).  Anything else is a TypeError."""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip()[:10])
    raise TypeError(f"{value!r} is not a date")


@dataclass(frozen=True)
class Period:
    start: int  # quarter_index of the first quarter
    end: int  # quarter_index of the last quarter (inclusive)
    basis: str  # "year" or "rolling"

    @classmethod
    def year(cls, year: int, last_quarter: int = 4) -> Period:
        return cls(quarter_index(year, 1), quarter_index(year, last_quarter), "year")

    @classmethod
    def rolling(cls, year: int, quarter: int) -> Period:
        end = quarter_index(year, quarter)
        return cls(end - 3, end, "rolling")

    @property
    def n_quarters(self) -> int:
        return self.end - self.start + 1

    @property
    def end_year(self) -> int:
        return self.end // 4

    def quarters(self) -> list[tuple[int, int]]:
        return [(i // 4, i % 4 + 1) for i in range(self.start, self.end + 1)]

    def previous(self) -> Period:
        return Period(self.start - 4, self.end - 4, self.basis)

    def contains(self, year, quarter):
        q = quarter_index(year, quarter)
        return (q >= self.start) & (q <= self.end)

    @property
    def label(self) -> str:
        (y1, q1), (y2, q2) = divmod(self.start, 4), divmod(self.end, 4)
        if self.basis == "year" and y1 == y2 and q1 == 0 and q2 == 3:
            return str(y1)
        if y1 == y2:
            return f"{y1} Q{q1 + 1}–Q{q2 + 1}"
        return f"{y1} Q{q1 + 1} – {y2} Q{q2 + 1}"

    def key(self) -> tuple[str, str]:
        """("2026Q1", "2026Q4"): how the store records the period."""
        return (f"{self.start // 4}Q{self.start % 4 + 1}", f"{self.end // 4}Q{self.end % 4 + 1}")

    @classmethod
    def from_key(cls, start: str, end: str, basis: str) -> Period:
        ys, qs = start.split("Q")
        ye, qe = end.split("Q")
        return cls(quarter_index(int(ys), int(qs)), quarter_index(int(ye), int(qe)), basis)


def choose_period(history: pd.DataFrame, year: int | None = None, rolling: bool = False,
                  default_year: int | None = None) -> tuple[Period | None, list[Problem]]:
    """The period to analyse, and warnings about it (or an error when the history cannot give one).

    * ``rolling``: the four quarters ending with the last quarter in the history (of ``year``,
      when given);
    * otherwise the year ``year``, else ``default_year`` (the year before the plan year) when the
      history has it, else the latest year in the history.  A year with missing quarters runs
      from Q1 to its last quarter, with a warning.
    """
    problems: list[Problem] = []
    if history is None or len(history) == 0:
        return None, [error("no-history", "the store holds no sales history, so there is nothing to rank",
                            "import three years of history first: kamplan history import FILE.csv")]
    years = np.asarray(history["year"], dtype="int64")
    quarters = np.asarray(history["quarter"], dtype="int64")
    present = np.unique(quarter_index(years, quarters))
    have_years = sorted({int(p) // 4 for p in present})
    if year is not None and year not in have_years:
        return None, [error("year-not-in-history", f"the history has no rows for {year}",
                            f"choose one of {', '.join(map(str, have_years))}, or import {year}'s history")]
    if rolling:
        candidates = present if year is None else present[present // 4 == year]
        end = int(candidates.max())
        period = Period(end - 3, end, "rolling")
        missing = [f"{i // 4} Q{i % 4 + 1}" for i in range(period.start, period.end + 1) if i not in set(present)]
        if missing:
            problems.append(warning("quarters-missing", f"the history has no rows for {', '.join(missing)}; "
                                    f"the rolling period {period.label} counts them as nothing sold",
                                    "import the missing quarters, or use the calendar year instead"))
        return period, problems
    if year is None:
        if default_year is not None and default_year in have_years:
            year = default_year
        else:
            year = have_years[-1]
            if default_year is not None:
                problems.append(warning("plan-year-history-missing",
                                        f"the history has no rows for {default_year} (the year before the plan "
                                        f"year); the review uses {year}, the latest year it has",
                                        f"import {default_year}'s history, or pass --year to choose"))
    in_year = sorted(int(p) % 4 + 1 for p in present if int(p) // 4 == year)
    last = in_year[-1]
    period = Period.year(year, last)
    gaps = [q for q in range(1, last + 1) if q not in in_year]
    if last < 4 or gaps:
        shown = ", ".join(f"Q{q}" for q in in_year)
        problems.append(warning("year-incomplete",
                                f"the history of {year} has only {shown}; shares cover {period.label}, and growth "
                                f"compares with the same quarters of {year - 1}",
                                "import the missing quarters, or use the rolling last four quarters (--rolling)"))
    return period, problems
