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

from kamplan.messages import Message
from kamplan.problems import Problem, phrase, problem


@dataclass(frozen=True)
class Limit:
    low: float
    high: float
    what: str  # the catalogue key of what it limits: "limit.what.price" ("limit.what.price"), ...

    def why_not(self, value: float) -> str | None:
        """Why ``value`` cannot be stored (a catalogue phrase), or None."""
        if value is None:
            return None
        if math.isnan(value):
            return phrase("limit.nan")
        if math.isinf(value):
            return phrase("limit.infinite")
        if not self.low <= value <= self.high:
            return phrase("limit.outside", value=float(f"{value:.6g}"), what=Message(self.what),
                          range=self.range_text())
        return None

    def range_text(self) -> str:
        return Message("limit.range", low=self.low, high=self.high)


MONEY = 1e12  # a quarter's revenue of one account x product; far above any real one
LIMITS = {
    "price": Limit(0.0, 1e8, "limit.what.price"),
    "volume": Limit(0.0, 1e9, "limit.what.volume"),
    "revenue": Limit(-MONEY, MONEY, "limit.what.revenue"),
    "gross_margin": Limit(-MONEY, MONEY, "limit.what.gross_margin"),
    "cost_to_serve": Limit(0.0, MONEY, "limit.what.cost_to_serve"),
    "visits": Limit(0.0, 1e5, "limit.what.visits"),
    "quantity": Limit(-1e12, 1e12, "limit.what.quantity"),  # ERP lines: credit notes are negative
    "amount": Limit(-MONEY, MONEY, "limit.what.amount"),
    "cost": Limit(-MONEY, MONEY, "limit.what.cost"),
}


def limit_problem(field: str, value, *, code: str, header: str | None = None, file: str | None = None,
                  sheet: str | None = None, cell: str | None = None, limit: Limit | None = None) -> Problem | None:
    """The error for ``value`` of ``field`` outside its limit (``LIMITS`` unless ``limit`` is given)."""
    limit = limit or LIMITS[field]
    why = limit.why_not(value)
    if why is None:
        return None
    return problem("limit.out-of-range", code=code, header=header or field, why=why, what=Message(limit.what),
                   range=limit.range_text(), file=file, sheet=sheet, cell=cell)


def margin_problem(revenue: float | None, margin: float | None, **where) -> Problem | None:
    """A gross margin above the revenue it is earned on cannot be true (the cost would be negative)."""
    if revenue is None or margin is None or revenue < 0 or margin <= revenue * (1 + 1e-9) + 0.005:
        return None
    return problem("limit.margin-above-revenue", margin=margin, revenue=revenue, **where)
