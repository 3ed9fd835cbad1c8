"""The allocation model: pools, people, accounts, requests, responses, rules, and the result."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamplan.problems import Problem

QUARTERS = (1, 2, 3, 4)
ASSIGNMENT_COLUMNS = ["request_id", "account_id", "kind", "person_id", "quarter", "amount", "cost"]
PRIORITY_WEIGHTS = {"high": 1.0, "medium": 0.7, "low": 0.4, 1: 1.0, 2: 0.7, 3: 0.4}
EPS = 1e-7  # amounts below this are zero
GENERALIST = "(one more)"
AON_PERSON_SLOTS = 20_000  # above this, all-or-nothing requests are packed onto people after solving


# ----------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Response:
    """A concave piecewise-linear response R(s), R(0) = 0, flat after the last breakpoint."""
    xs: tuple[float, ...]
    rs: tuple[float, ...]

    @classmethod
    def points(cls, pts) -> Response:
        """From (support, response) points; (0, 0) is added; a non-concave shape becomes its hull."""
        pts = sorted({(float(x), float(r)) for x, r in pts} | {(0.0, 0.0)})
        hull: list[tuple[float, float]] = []
        for p in pts:  # upper concave hull (monotone chain)
            while len(hull) >= 2:
                (x1, y1), (x2, y2) = hull[-2], hull[-1]
                if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) >= 0:
                    hull.pop()
                else:
                    break
            hull.append(p)
        # a falling tail is worth nothing to plan: cut at the maximum
        top = max(range(len(hull)), key=lambda i: (hull[i][1], -i))
        hull = hull[:top + 1]
        return cls(tuple(x for x, _ in hull), tuple(r for _, r in hull))

    @classmethod
    def linear(cls, saturation: float, slope: float = 1.0) -> Response:
        return cls.points([(saturation, saturation * slope)])

    @classmethod
    def adbudg(cls, max_units: float, c: float = 0.7, d: float = 1.0, r_max: float = 1.0,
               step: float = 1.0) -> Response:
        """ADBUDG r_max x^c / (d + x^c) sampled every ``step`` up to ``max_units`` (hull if c > 1)."""
        n = max(1, int(math.ceil(max_units / step - 1e-9)))
        xs = [min(max_units, i * step) for i in range(n + 1)]
        return cls.points([(x, r_max * x ** c / (d + x ** c)) for x in xs])

    def value(self, s: float) -> float:
        xs, rs = self.xs, self.rs
        if s <= 0:
            return 0.0
        if s >= xs[-1]:
            return rs[-1]
        j = int(np.searchsorted(xs, s, side="right")) - 1
        return rs[j] + (rs[j + 1] - rs[j]) * (s - xs[j]) / (xs[j + 1] - xs[j])

    def segments(self) -> list[tuple[float, float]]:
        """(length, slope) pairs with non-increasing slopes."""
        return [(self.xs[j + 1] - self.xs[j], (self.rs[j + 1] - self.rs[j]) / (self.xs[j + 1] - self.xs[j]))
                for j in range(len(self.xs) - 1)]

    def next_break(self, s: float) -> float:
        """The first breakpoint strictly above ``s`` (inf past the end)."""
        j = int(np.searchsorted(self.xs, s + 1e-12, side="right"))
        return self.xs[j] if j < len(self.xs) else math.inf


@dataclass(frozen=True)
class Pool:
    kind: str
    unit: str = "days"
    budget: float | None = None
    weight: float = 1.0
    integral: bool = False


@dataclass(frozen=True)
class Person:
    id: str
    pool: str
    capacity: dict  # quarter (1-4) -> units
    skills: frozenset = frozenset()
    regions: frozenset = frozenset()  # empty = all
    cost_per_unit: float = 0.0
    name: str = ""


@dataclass(frozen=True)
class AccountValue:
    account_id: str
    value: float
    cls: str = "develop"
    region: str = ""
    eligible: bool = True
    receive_capacity: dict | None = None  # quarter -> units the customer can receive (all pools)


@dataclass(frozen=True)
class Request:
    id: str
    account_id: str
    kind: str
    amount: float
    deadline: int = 4  # last quarter in which the support is still worth something
    priority: str | int = "medium"
    divisible: bool = True
    skill: str | None = None
    purpose: str = ""
    task: str = ""
    src: str | None = None


@dataclass(frozen=True)
class CoverageRule:
    cls: str
    kind: str
    minimum: float


@dataclass(frozen=True)
class Instance:
    pools: tuple[Pool, ...]
    people: tuple[Person, ...]
    accounts: tuple[AccountValue, ...]
    requests: tuple[Request, ...]
    responses: dict  # class or (class, kind) or "default" -> Response
    rules: tuple[CoverageRule, ...] = ()
    force_in: frozenset = frozenset()
    force_out: frozenset = frozenset()
    priority_weights: dict = field(default_factory=lambda: dict(PRIORITY_WEIGHTS))
    quarters: tuple[int, ...] = QUARTERS


@dataclass(frozen=True)
class Unmet:
    request_id: str
    account_id: str
    kind: str
    asked: float
    given: float
    code: str  # forced-out | class | eligibility | deadline | too-big | budget | capacity | customer | value
    reason: str
    fix: str


@dataclass
class Allocation:
    assignments: pd.DataFrame  # ASSIGNMENT_COLUMNS
    given: dict  # request id -> units given
    objective: float  # total value, recomputed from the assignments
    bound: float  # proven upper bound on the objective (nan if none was computed)
    gap: float  # (bound - objective) / |bound|
    status: str  # optimal | feasible | time-limit | greedy | lp | infeasible
    method: str  # greedy | milp | lp
    seconds: float
    greedy_objective: float = math.nan
    unmet: list[Unmet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    nodes: int = 0


# ----------------------------------------------------------------------------------------------
# what-if copies
# ----------------------------------------------------------------------------------------------
def with_forced(instance: Instance, force_in=(), force_out=()) -> Instance:
    """A copy with more requests forced in / out (a request moved from one list to the other)."""
    fin = (set(instance.force_in) | set(force_in)) - set(force_out)
    fout = (set(instance.force_out) | set(force_out)) - set(force_in)
    return dataclasses.replace(instance, force_in=frozenset(fin), force_out=frozenset(fout))


def with_capacity(instance: Instance, person_id: str, quarter: int, capacity: float) -> Instance:
    people = tuple(dataclasses.replace(p, capacity={**p.capacity, quarter: capacity}) if p.id == person_id else p
                   for p in instance.people)
    return dataclasses.replace(instance, people=people)


def with_budget(instance: Instance, kind: str, budget: float | None) -> Instance:
    pools = tuple(dataclasses.replace(p, budget=budget) if p.kind == kind else p for p in instance.pools)
    return dataclasses.replace(instance, pools=pools)
