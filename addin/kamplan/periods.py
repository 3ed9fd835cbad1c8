"""Periods: fiscal quarters of dates, and analysis periods: a history year or the rolling last four
quarters, and the period before.

A period is a run of whole quarters.  ``previous()`` is always the same quarters one
year earlier, so growth is like for like: a year whose history stops after Q3 is
compared with Q1-Q3 of the year before, never with a full year.

Fiscal quarters come from the config's calendar (``kamplan.config.schema.Calendar``): whole months from
``first_month`` (the fiscal year named after the calendar year it starts in: with 4, 2026-03-31 is fiscal
2025 Q4 and 2026-04-01 fiscal 2026 Q1), period end dates (28 Feb / 30 May / 30 Aug / 30 Nov: fiscal 2013
is 2012-12-01 .. 2013-11-30, named after the year its first quarter ends in), a 4-4-5 week pattern, or
explicit years.  ``fiscal_year_quarter`` / ``period_map`` is the one place a date becomes a (year,
quarter); quarters stay numbered 1-4 everywhere.  This module is the ground floor: the engine, the store
and the stages all take periods from here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamplan.messages import Message, current_language, normalise_language
from kamplan.problems import Problem, problem


def quarter_index(year, quarter):
    """Quarters as consecutive integers (2026 Q1 -> 8104); works on scalars and arrays."""
    return year * 4 + (quarter - 1)


# -- fiscal calendars ---------------------------------------------------------------------------------
# A calendar is read through a few attributes (duck typing keeps this floor free of the config layer):
# ``first_month``, ``period_ends``, ``weeks`` + ``start`` + ``years``, ``years_explicit`` (see
# ``kamplan.config.schema.Calendar``).  An int is a calendar by first month, as before.

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY = dt.timedelta(days=1)
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class _ByMonth:
    first_month: int


def _rules(calendar):
    """The calendar as attributes; an int (or None) is the first month of a month calendar."""
    if calendar is None or isinstance(calendar, int | np.integer):
        month = 1 if calendar is None else int(calendar)
        if not 1 <= month <= 12:
            raise ValueError(f"first_month {calendar!r} is not a month 1-12")
        return _ByMonth(month)
    return calendar


def _shift_year(day: dt.date, years: int) -> dt.date:
    """The same month-day ``years`` later; 29 Feb becomes 28 Feb in a year that has none."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not _is_leap(year):
        return dt.date(year, 2, 28)
    return day.replace(year=year)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _month_start(year: int, month: int) -> dt.date:
    """The first day of ``month`` counted from January of ``year`` (month 13 is next January)."""
    return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _pattern_ends(cal, year: int) -> tuple[dt.date, ...] | None:
    """The last days of fiscal ``year``'s four quarters by the calendar's pattern (None: no pattern)."""
    first_month = getattr(cal, "first_month", None)
    if first_month:
        return tuple(_month_start(year, first_month + 3 * q) - _DAY for q in (1, 2, 3, 4))
    ends = getattr(cal, "period_ends", None)
    if ends:
        return tuple(_shift_year(e, year - ends[0].year) for e in ends)
    if getattr(cal, "weeks", None):
        start = _week_year_start(cal, year)
        weeks = _quarter_weeks(cal, year)
        return tuple(start + dt.timedelta(weeks=sum(weeks[:q])) - _DAY for q in (1, 2, 3, 4))
    return None


def week_anchor_year(start: dt.date, weeks: list[int]) -> int:
    """The fiscal year a week calendar's ``start`` begins: named after the year its first quarter ends in."""
    return (start + dt.timedelta(weeks=sum(weeks[:3]) if len(weeks) == 12 else sum(weeks)) - _DAY).year


def _year_weeks(cal, year: int) -> int:
    return int((getattr(cal, "years", None) or {}).get(year, 52))


def _week_year_start(cal, year: int) -> dt.date:
    anchor = week_anchor_year(cal.start, list(cal.weeks))
    if year >= anchor:
        weeks = sum(_year_weeks(cal, y) for y in range(anchor, year))
    else:
        weeks = -sum(_year_weeks(cal, y) for y in range(year, anchor))
    return cal.start + dt.timedelta(weeks=weeks)


def _part_weeks(cal, year: int) -> list[list[int]]:
    """Weeks of each part (4-4-5 "month") of each quarter; a 53-week year's extra week is in the last part."""
    weeks = list(cal.weeks)
    per_quarter = [weeks[3 * q:3 * q + 3] for q in range(4)] if len(weeks) == 12 else [list(weeks) for _ in range(4)]
    if _year_weeks(cal, year) == 53:
        per_quarter[3][-1] += 1
    return per_quarter


def _quarter_weeks(cal, year: int) -> list[int]:
    return [sum(p) for p in _part_weeks(cal, year)]


def quarter_ends(calendar, year: int) -> tuple[dt.date, ...] | None:
    """The last days of fiscal ``year``'s quarters 1-4, or None when the calendar does not define the year
    (``years_explicit`` only, and not this year)."""
    cal = _rules(calendar)
    explicit = getattr(cal, "years_explicit", None) or {}
    if year in explicit:
        return tuple(explicit[year])
    return _pattern_ends(cal, year)


def year_span(calendar, year: int) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal ``year``; a ValueError naming the defined years when it has none."""
    ends = quarter_ends(calendar, year)
    if ends is None:
        raise ValueError(f"fiscal year {year} is not in the calendar: {defined_years_text(calendar)}; add it to "
                         "calendar.years_explicit")
    before = quarter_ends(calendar, year - 1)
    first = before[3] + _DAY if before is not None else _shift_year(ends[3], -1) + _DAY
    return first, ends[3]


def quarter_span(calendar, year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal ``year`` quarter ``quarter`` (1-4)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter {quarter!r} is not 1-4")
    first, _ = year_span(calendar, year)
    ends = quarter_ends(calendar, year)
    return (first if quarter == 1 else ends[quarter - 2] + _DAY), ends[quarter - 1]


def quarter_parts(calendar, year: int, quarter: int) -> list[tuple[dt.date, dt.date]]:
    """The quarter cut into its "months", first to last: calendar months (first month), the weeks of a
    4-4-5 pattern, or month-long parts ending on the period end's day of the month (28 Feb: 1-28 Dec,
    29 Dec-28 Jan, 29 Jan-28 Feb).  Import coverage warnings count these."""
    first, last = quarter_span(calendar, year, quarter)
    cal = _rules(calendar)
    if getattr(cal, "weeks", None) and year not in (getattr(cal, "years_explicit", None) or {}):
        ends, day = [], first
        for weeks in _part_weeks(cal, year)[quarter - 1]:
            day += dt.timedelta(weeks=weeks)
            ends.append(day - _DAY)
    else:
        n = max(1, round(((last - first).days + 1) / 30.44))
        ends = [_months_back(last, k) for k in range(n - 1, 0, -1)] + [last]
    starts = [first] + [e + _DAY for e in ends[:-1]]
    return list(zip(starts, ends))


def _months_back(day: dt.date, months: int) -> dt.date:
    """``months`` before ``day``: the same day of the month (or that month's last day when it has fewer),
    or the month's last day when ``day`` is a month end."""
    month_end = (day + _DAY).day == 1
    target = _month_start(day.year, day.month - months)
    next_start = _month_start(target.year, target.month + 1)
    return next_start - _DAY if month_end else min(target.replace(day=1) + dt.timedelta(days=day.day - 1),
                                                   next_start - _DAY)


def short_date(day: dt.date, language: str = "en") -> str:
    """"1 Dec" / "12月1日"."""
    return f"{day.month}月{day.day}日" if language.startswith("zh") else f"{day.day} {_MONTHS_EN[day.month - 1]}"


def span_text(first: dt.date, last: dt.date, language: str = "en") -> str:
    return f"{short_date(first, language)}–{short_date(last, language)}"


def quarter_label(calendar, year: int, quarter: int, language: str = "en") -> str:
    """"Q1 (1 Dec–28 Feb)" / "第1季度(12月1日–2月28日)": the quarter and its days in fiscal ``year``."""
    span = span_text(*quarter_span(calendar, year, quarter), language)
    return f"第{quarter}季度({span})" if language.startswith("zh") else f"Q{quarter} ({span})"


class Joined(Message):
    """Catalogue texts joined by commas, as one field said in the language of its sentence."""

    def __new__(cls, parts: list, sep: str = ", ", zh_sep: str = "、"):
        self = str.__new__(cls, sep.join(map(str, parts)))
        self.key, self.fields, self.parts, self.seps = "period.joined", {}, list(parts), (sep, zh_sep)
        return self

    def render(self, language: str | None = None) -> str:
        sep = self.seps[(normalise_language(language) or current_language()) == "zh-CN"]
        return sep.join(p.render(language) if isinstance(p, Message) else str(p) for p in self.parts)

    def __reduce__(self):
        return Joined, (self.parts, *self.seps)


class QuarterLabel(Message):
    """``quarter_label`` as a catalogue field: "Q1 (1 Dec–28 Feb)" in English, said again in the language
    of the sentence it is part of."""

    def __new__(cls, calendar, year: int, quarter: int):
        self = str.__new__(cls, quarter_label(calendar, year, quarter, "en"))
        self.key, self.fields = "period.quarter-label", {}
        self.calendar, self.year, self.quarter = calendar, year, quarter
        return self

    def render(self, language: str | None = None) -> str:
        return quarter_label(self.calendar, self.year, self.quarter, normalise_language(language) or current_language())

    def __reduce__(self):
        return QuarterLabel, (self.calendar, self.year, self.quarter)


def defined_years_text(calendar) -> str:
    """What the calendar defines, for messages: "every year" or the explicit years with their days."""
    cal = _rules(calendar)
    explicit = getattr(cal, "years_explicit", None) or {}
    if _pattern_ends(cal, 2000) is not None or not explicit:
        return Message("period.defines-every-year")
    return Message("period.defines-only", years=Joined([
        Message("period.fiscal-year-span", year=y, first=str(year_span(cal, y)[0]), last=str(year_span(cal, y)[1]))
        for y in sorted(explicit)]))


class PeriodMap:
    """The fiscal period of each date: ``year``, ``quarter`` and ``part`` (the quarter's "month", see
    ``quarter_parts``), int64 arrays, 0 where ``mapped`` is False (a date in no period of the calendar).
    Each array is gathered when first asked for, so a caller that needs two of them pays for two."""

    def __init__(self, row: np.ndarray, table: tuple[np.ndarray, ...]):
        self._row, self._table = row, table  # row: index into the part table, -1 for an unmapped date
        self.mapped = row >= 0

    def _column(self, i: int) -> np.ndarray:
        column = np.r_[self._table[i], 0]  # row -1 picks the appended 0
        return column[self._row]

    @property
    def year(self) -> np.ndarray:
        return self._column(2)

    @property
    def quarter(self) -> np.ndarray:
        return self._column(3)

    @property
    def part(self) -> np.ndarray:
        return self._column(4)


class UnmappedDatesError(ValueError):
    """Dates in no fiscal period of the calendar (``years_explicit`` without a pattern)."""

    def __init__(self, dates: list[dt.date], calendar):
        self.dates = dates
        shown = ", ".join(str(d) for d in dates[:5]) + (f" and {len(dates) - 5} more" if len(dates) > 5 else "")
        super().__init__(f"date(s) {shown} fall in no fiscal period of the calendar ({defined_years_text(calendar)})")


_NS_PER_DAY = 86_400 * 10**9


def _day_numbers(dates) -> np.ndarray:
    """Days since 1970-01-01 (int64) of ``dates``: anything ``pd.to_datetime`` reads, no missing."""
    stamps = pd.to_datetime(dates)
    if isinstance(stamps, pd.Timestamp):
        stamps = pd.DatetimeIndex([stamps])
    stamps = pd.DatetimeIndex(stamps, copy=False)
    if stamps.hasnans:
        raise ValueError("a date is missing; every dated line needs a date")
    if stamps.tz is not None:
        stamps = stamps.tz_localize(None)  # the local calendar day, as the month arithmetic had it
    nanos = stamps.as_unit("ns").asi8
    return nanos // _NS_PER_DAY  # floor division: days before 1970 round down too


def _part_table(cal, years) -> tuple[np.ndarray, ...]:
    """First day (day number), last day, year, quarter, part of every part of the defined ``years``."""
    rows = []
    for year in years:
        if quarter_ends(cal, year) is None:
            continue
        for quarter in (1, 2, 3, 4):
            for part, (first, last) in enumerate(quarter_parts(cal, year, quarter), start=1):
                rows.append(((first - _EPOCH).days, (last - _EPOCH).days, year, quarter, part))
    table = np.array(rows, dtype="int64").reshape(-1, 5)
    return tuple(table[:, i] for i in range(5))


def period_map(dates, calendar=1) -> PeriodMap:
    """The fiscal year, quarter and part of every date, vectorised: each day between the first and the
    last date is looked up once among the parts (binary search), then every date takes its day's row
    from that table (one gather), so ten million dates cost about what reading their months did
    (``benchmarks/bench_periods.py``)."""
    cal = _rules(calendar)
    days = _day_numbers(dates)
    if len(days) == 0:
        return PeriodMap(np.zeros(0, dtype="int32"), _part_table(cal, ()))
    lo, hi = int(days.min()), int(days.max())
    table = _part_table(cal, range((_EPOCH + dt.timedelta(days=lo)).year - 1,
                                   (_EPOCH + dt.timedelta(days=hi)).year + 2))
    first, last = table[0], table[1]
    if len(first) == 0:  # explicit years only, none near these dates
        return PeriodMap(np.full(len(days), -1, dtype="int32"), table)
    every_day = np.arange(lo, hi + 1, dtype="int64")
    row = np.searchsorted(first, every_day, side="right") - 1
    inside = (row >= 0) & (every_day <= last[np.clip(row, 0, None)])
    row_of_day = np.where(inside, row, -1).astype("int32")
    days -= lo  # in place: the day's position in row_of_day
    return PeriodMap(row_of_day[days], table)


def fiscal_year_quarter(dates, calendar=1) -> tuple[np.ndarray, np.ndarray]:
    """Fiscal year and quarter (int64 arrays) of ``dates`` (anything ``pd.to_datetime`` reads; no missing).

    ``calendar``: the config's ``Calendar`` or an int first month (1 by default).  A date in no period
    (a calendar of ``years_explicit`` only) raises ``UnmappedDatesError``; callers that report such dates
    row by row use ``period_map`` and its ``mapped`` mask."""
    found = period_map(dates, calendar)
    if not found.mapped.all():
        days = _day_numbers(dates)[~found.mapped]
        raise UnmappedDatesError([_EPOCH + dt.timedelta(days=int(d)) for d in np.unique(days)], calendar)
    return found.year, found.quarter


def unmapped_date_problem(date, calendar, *, code: str, file=None, sheet=None, cell=None, lines: int = 1) -> Problem:
    """The error for a line whose date lies in no fiscal period: the date, what the calendar defines,
    and what to do."""
    what = (Message("import.what.date-lines", date=str(date), lines=lines) if lines > 1
            else Message("import.what.date-of-line", date=str(date)))
    return problem("period.date-unmapped", code=code, what=what, defines=defined_years_text(calendar),
                   file=file, sheet=sheet, cell=cell)


def fiscal_months(first_month: int = 1) -> dict[int, list[int]]:
    """Quarter -> its calendar months, e.g. first_month 4: {1: [4, 5, 6], ..., 4: [1, 2, 3]} (month
    calendars only; ``quarter_parts`` cuts a quarter of any calendar)."""
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
        return None, [problem("period.no-history")]
    years = np.asarray(history["year"], dtype="int64")
    quarters = np.asarray(history["quarter"], dtype="int64")
    present = np.unique(quarter_index(years, quarters))
    have_years = sorted({int(p) // 4 for p in present})
    if year is not None and year not in have_years:
        return None, [problem("period.year-not-in-history", year=year, years=", ".join(map(str, have_years)))]
    if rolling:
        candidates = present if year is None else present[present // 4 == year]
        end = int(candidates.max())
        period = Period(end - 3, end, "rolling")
        missing = [f"{i // 4} Q{i % 4 + 1}" for i in range(period.start, period.end + 1) if i not in set(present)]
        if missing:
            problems.append(problem("period.quarters-missing", missing=", ".join(missing), period=period.label))
        return period, problems
    if year is None:
        if default_year is not None and default_year in have_years:
            year = default_year
        else:
            year = have_years[-1]
            if default_year is not None:
                problems.append(problem("period.plan-year-history-missing", default_year=default_year, year=year))
    in_year = sorted(int(p) % 4 + 1 for p in present if int(p) // 4 == year)
    last = in_year[-1]
    period = Period.year(year, last)
    gaps = [q for q in range(1, last + 1) if q not in in_year]
    if last < 4 or gaps:
        shown = ", ".join(f"Q{q}" for q in in_year)
        problems.append(problem("period.year-incomplete", year=year, shown=shown, period=period.label,
                                previous=year - 1))
    return period, problems
