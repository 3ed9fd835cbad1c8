"""Hard limits per field: a value outside is an error with the allowed range, never a warning.

A price of 1e308 stored with a "typo?" warning poisons the plan (the next top-down spread moves every
other line to 0), so every reader that takes a price, volume, revenue or margin from a person or an ERP
checks it here.  The limits are wide (nothing a real key account reaches) and only catch the absurd:
a mistyped exponent, a pasted account number, a NaN.  How far a price is from the list price stays a
warning in the target reader; this module is about what cannot be true.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from kamplan.problems import Problem, error


@dataclass(frozen=True)
class Limit:
    low: float
    high: float
    what: str  # "a price per plan unit", ...

    def why_not(self, value: float) -> str | None:
        """Why ``value`` cannot be stored, or None."""
        if value is None:
            return None
        if math.isnan(value):
            return "NaN is not a number"
        if math.isinf(value):
            return "an infinite value is not a number"
        if not self.low <= value <= self.high:
            return f"{value:,.6g} is outside the range allowed for {self.what} ({self.range_text()})"
        return None

    def range_text(self) -> str:
        return f"{self.low:,.0f} to {self.high:,.0f}"


MONEY = 1e12  # a quarter's revenue of one account x product; far above any real one
LIMITS = {
    "price": Limit(0.0, 1e8, "a price per plan unit"),
    "volume": Limit(0.0, 1e9, "a quarter's volume"),
    "revenue": Limit(-MONEY, MONEY, "a revenue"),
    "gross_margin": Limit(-MONEY, MONEY, "a gross margin"),
    "cost_to_serve": Limit(0.0, MONEY, "a cost to serve"),
    "visits": Limit(0.0, 1e5, "a number of visits"),
    "quantity": Limit(-1e12, 1e12, "a quantity"),  # ERP lines: credit notes are negative
    "amount": Limit(-MONEY, MONEY, "an amount"),
    "cost": Limit(-MONEY, MONEY, "a cost"),
}


def limit_problem(field: str, value, *, code: str, header: str | None = None, file: str | None = None,
                  sheet: str | None = None, cell: str | None = None, limit: Limit | None = None) -> Problem | None:
    """The error for ``value`` of ``field`` outside its limit (``LIMITS`` unless ``limit`` is given)."""
    limit = limit or LIMITS[field]
    why = limit.why_not(value)
    if why is None:
        return None
    return error(code, f"{header or field}: {why}",
                 f"enter {limit.what} between {limit.range_text()} (a typo? an extra digit or exponent?)",
                 file=file, sheet=sheet, cell=cell)


def margin_problem(revenue: float | None, margin: float | None, **where) -> Problem | None:
    """A gross margin above the revenue it is earned on cannot be true (the cost would be negative)."""
    if revenue is None or margin is None or revenue < 0 or margin <= revenue * (1 + 1e-9) + 0.005:
        return None
    return error(where.pop("code"), f"gross margin {margin:,.2f} is above the revenue {revenue:,.2f}",
                 "enter the gross margin as an amount (revenue minus cost), not above the revenue", **where)
