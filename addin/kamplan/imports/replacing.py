"""Which stored quarters an import may replace, so that one mistyped date cannot replace a quarter.

An import replaces every fiscal quarter its lines fall in.  A line dated a year early would therefore
replace last year's quarter (238 rows, 38 M) with that one line, and a line dated 1999 would create a
1999 Q1.  The rules:

* a line must fall in the years the import may hold (actuals: the plan year and the year before;
  history: the ten years before the plan year and the plan year); a line outside is an error naming
  its row and date;
* with ``--periods`` the import states the quarters it replaces: a line in any other quarter is an error;
* replacing a stored quarter with less than half its volume or revenue is an error (the quarter, the
  stored and the new totals, the first line) unless the quarter is stated with ``--periods``;
* ``--force`` lifts the year range and the shrink rule (never the stated periods: stating is explicit).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kamplan.messages import Message
from kamplan.periods import QuarterLabel
from kamplan.problems import Problem, problem

ACTUALS_YEARS_BACK = 1  # late actuals of last year arrive after the plan year moved on
HISTORY_YEARS_BACK = 10
SHRINK_LIMIT = 0.5  # a stored quarter replaced by less than this share of its volume or revenue is refused

Period = tuple[int, int]
_PERIOD = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*(?:[Qq]\s*([1-4]))?\s*$")


class PeriodsError(ValueError):
    """A ``--periods`` value kamplan cannot read."""


def parse_periods(values) -> frozenset[Period] | None:
    """``["2027Q1", "2027-Q2,2026"]`` -> {(2027, 1), (2027, 2), (2026, 1..4)}; None when nothing is given."""
    out: set[Period] = set()
    for value in values or ():
        for part in str(value).split(","):
            if not part.strip():
                continue
            m = _PERIOD.match(part)
            if not m:
                raise PeriodsError(f"--periods {part.strip()!r} is not a fiscal quarter; write e.g. 2027Q1 "
                                   "(or 2027 for all four quarters), several separated by commas")
            year = int(m.group(1))
            out |= {(year, int(m.group(2)))} if m.group(2) else {(year, q) for q in (1, 2, 3, 4)}
    return frozenset(out) if out else None


def label(period: Period) -> str:
    return f"{period[0]}Q{period[1]}"


def named(period: Period, calendar=None) -> str:
    """"fiscal 2013 Q1", with the quarter's days when the calendar is known: "fiscal 2013 Q1 (1 Dec–28 Feb)"."""
    if calendar is None:
        return Message("period.fiscal-quarter", year=period[0], quarter=period[1])
    try:
        return Message("period.fiscal-label", year=period[0], label=QuarterLabel(calendar, period[0], period[1]))
    except ValueError:  # a year the calendar does not define: the plain name
        return Message("period.fiscal-quarter", year=period[0], quarter=period[1])


@dataclass(frozen=True)
class Replacing:
    """What an import may replace: fiscal years ``first_year``..``last_year``, the ``stated`` quarters
    (None: any), and whether the range and shrink rules are lifted (``force``).  Quarters are fiscal
    quarters of the config's calendar (any kind: first month, period ends, weeks); ``calendar`` only
    adds each quarter's days to the messages."""
    first_year: int
    last_year: int
    stated: frozenset[Period] | None = None
    force: bool = False
    calendar: object = None

    @classmethod
    def for_actuals(cls, plan_year: int, stated=None, force: bool = False, calendar=None) -> "Replacing":
        return cls(plan_year - ACTUALS_YEARS_BACK, plan_year, stated, force, calendar)

    @classmethod
    def for_history(cls, plan_year: int, stated=None, force: bool = False, calendar=None) -> "Replacing":
        return cls(plan_year - HISTORY_YEARS_BACK, plan_year, stated, force, calendar)

    def line_problem(self, period: Period, what: str, *, file: str, sheet: str | None, cell: str | None
                     ) -> Problem | None:
        """The error for ``what`` (e.g. "date 1999-03-02 (row 7)") falling in ``period``, or None."""
        year = period[0]
        if self.stated is not None and period not in self.stated:
            stated = ", ".join(label(p) for p in sorted(self.stated))
            return problem("import.period-not-stated", what=what, period=named(period, self.calendar), stated=stated,
                           label=label(period), file=file, sheet=sheet, cell=cell)
        if not self.force and not self.first_year <= year <= self.last_year:
            return problem("import.period-outside", what=what, period=named(period, self.calendar),
                           first=self.first_year, last=self.last_year, label=label(period),
                           file=file, sheet=sheet, cell=cell)
        return None

    def shrinks(self, period: Period, new: "Totals", stored: "Totals") -> bool:
        """Whether replacing ``stored`` with ``new`` for ``period`` needs stating (a drastic drop)."""
        if self.force or (self.stated is not None and period in self.stated) or stored.rows == 0:
            return False
        return any(s > 0 and n < SHRINK_LIMIT * s for n, s in ((new.volume, stored.volume),
                                                                (new.revenue, stored.revenue)))


@dataclass(frozen=True)
class Totals:
    """A quarter's rows, volume and revenue (stored, or in an import)."""
    rows: int
    volume: float
    revenue: float

    def text(self, currency: str = "") -> str:
        return Message("import.totals", rows=self.rows, volume=self.volume, revenue=self.revenue,
                       currency=" " + currency if currency else "")


def period_totals(frame) -> dict[Period, Totals]:
    """(year, quarter) -> Totals of a HISTORY_COLUMNS frame (pandas)."""
    if frame is None or len(frame) == 0:
        return {}
    g = frame.groupby(["year", "quarter"]).agg(rows=("volume", "size"), volume=("volume", "sum"),
                                                revenue=("revenue", "sum"))
    return {(int(y), int(q)): Totals(int(r.rows), float(r.volume), float(r.revenue))
            for (y, q), r in g.iterrows()}


def shrink_problem(period: Period, new: Totals, stored: Totals, *, file: str | None, first_line: str | None,
                   currency: str = "") -> Problem:
    """The error for an import that would replace ``period``'s stored totals with far less."""
    base = stored.revenue if stored.revenue > 0 else stored.volume
    now = new.revenue if stored.revenue > 0 else new.volume
    drop = 1 - now / base if base else 1.0
    fields = dict(year=period[0], quarter=period[1], stored=stored.text(currency), new=new.text(currency),
                  drop=f"{drop:.0%}", label=label(period), file=file)
    if first_line:
        return problem("import.period-shrinks-at", first_line=first_line, **fields)
    return problem("import.period-shrinks", **fields)
