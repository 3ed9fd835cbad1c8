"""Allocate scarce support (executives, technical staff, outside advisors) across key accounts.

Pure functions on plain data; no files, workbooks or printing.  The model (issue 5, after
Lodish's CALLPLAN):

* **Pools** (``Pool``): one per support kind, with a unit (visits or days), an optional money
  budget for the year, a value weight (an executive visit can be worth more than a technical day)
  and ``integral`` (whole units only, e.g. executive visits).
* **People** (``Person``): a pool, a capacity per quarter, skills, regions served (empty = all)
  and a cost per unit charged against the pool budget.
* **Accounts** (``AccountValue``): the money at stake (``value``: revenue at stake x
  profitability x risk, made by the caller from the segmentation), class, region, whether the
  class may get support at all and, optionally, how much support the customer can receive per
  quarter (``receive_capacity``, summed over all pools).
* **Requests** (``Request``): account, kind (= pool), amount, deadline quarter (support after it
  is worth nothing, so it is never planned), priority, divisible or all-or-nothing, optional skill.
  An all-or-nothing request (a 3-day commissioning visit) is served whole by one person within one
  quarter.
* **Value**: account ``a`` gets ``s[a,k] = sum(priority weight x units given)`` of pool ``k``;
  its value is ``a.value x pool.weight x R(s[a,k])`` with ``R`` a concave response per class
  (or per class and kind; ``Instance.responses``), piecewise linear with decreasing slopes
  (``Response.points``, ``Response.adbudg``).  Because it is concave and maximised, the linear
  segments make the MILP exact for it without extra binaries.  An S-shaped ADBUDG (c > 1) is
  replaced by its concave hull.
* **Rules**: ``CoverageRule(cls, kind, minimum)``: every eligible account of the class gets at
  least ``minimum`` units of the kind a year (hard constraint).  An account that asked for less
  gets a generated low-priority request (id ``coverage:<account>:<kind>``) for the rest.
  ``Instance.force_in`` / ``force_out``: request ids the VP insists on / rules out.

Functions (all take an ``Instance`` and return new data):

* ``greedy(instance)`` -> ``Allocation``: marginal analysis (forced requests, then coverage, then
  the best value per unit first, lazily re-evaluated).  Optimal in the textbook case: divisible
  requests, separable concave response, one capacity/budget per pool, no deadline conflicts.
* ``solve(instance, time_limit=5.0, mip_gap=1e-4, warm_start=True, relax=False, aon="auto")`` ->
  ``Allocation``: the MILP solved by HiGHS (highspy), started from the greedy solution; ``relax=True``
  gives the LP relaxation (its objective is a bound).  Always reports objective, proven bound and
  gap.  The model is in flow form: divisible support flows from people to groups of requests with
  the same eligible people (exact).  All-or-nothing requests get one binary per (person, quarter)
  (``aon="person"``, exact) or, when that would be more than ``AON_PERSON_SLOTS`` binaries, one per
  quarter (``aon="quarter"``, a relaxation): they are then packed onto single people afterwards
  (best fit, then a small MILP per quarter and pool); what does not pack is dropped, and the status
  says ``feasible`` instead of ``optimal`` (the gap stays honest).  ``time_limit`` covers it all.
* ``marginal_values(instance, allocation, resolve=False)`` -> frame: the value of one more unit
  of each person and each pool in each quarter, and of one more unit of budget, from the duals of
  the LP with the all-or-nothing choices fixed; ``resolve=True`` adds the gain of really re-solving
  with one more unit of a "generalist" (all skills, all regions) in each pool and quarter.
* ``explain_unmet(instance, allocation)`` -> list of ``Unmet``: every request not (fully) served,
  with the reason (code, message) and what would make it fit.  ``solve`` and ``greedy`` fill
  ``Allocation.unmet`` with it.
* ``with_forced``, ``with_capacity``, ``with_budget``: copies of an instance for what-if re-solves.
* ``instance_from_config(pools, classes, accounts, requests, ...)``: from the config's
  ``SupportPool`` / ``ClassRule`` objects and a ``model.REQUEST_COLUMNS`` frame.
* ``generate_instance(n_accounts, seed)``: a reproducible synthetic instance (tests, benchmarks).

``Allocation.assignments`` has the columns ``ASSIGNMENT_COLUMNS`` (request_id, account_id, kind,
person_id, quarter, amount, cost); ``Allocation.given`` maps request id -> units given.
Infeasible rule sets come back as ``status == "infeasible"`` with ``problems`` (``Problem``s
saying which rule cannot hold and what to change); nothing raises on bad data.
"""
from __future__ import annotations

import dataclasses
import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kamplan.problems import Problem, error, warning

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


# ----------------------------------------------------------------------------------------------
# compiled form shared by greedy, MILP and explanations
# ----------------------------------------------------------------------------------------------
class _Compiled:
    """Index everything once: requests with their eligible (person, quarter) slots, groups, rows."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.problems: list[Problem] = []
        self.pools = {p.kind: p for p in inst.pools}
        self.people = list(inst.people)
        self.pidx = {p.id: i for i, p in enumerate(self.people)}
        self.quarters = tuple(inst.quarters)
        self.qidx = {q: j for j, q in enumerate(self.quarters)}
        self.acc = {a.account_id: a for a in inst.accounts}
        self.cap = [[float(p.capacity.get(q, 0.0) or 0.0) for q in self.quarters] for p in self.people]
        self.cost = [float(p.cost_per_unit or 0.0) for p in self.people]
        reqs = list(inst.requests)
        ids = [r.id for r in reqs]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
            self.problems.append(error("request-id-twice", f"request ids used more than once: {dup}",
                                       "give every request its own id"))
        for r in reqs:
            if r.kind not in self.pools:
                self.problems.append(warning("request-unknown-kind", f"request {r.id}: no pool of kind {r.kind!r}",
                                             f"use one of {sorted(self.pools)}"))
            if r.account_id not in self.acc:
                self.problems.append(warning("request-unknown-account",
                                             f"request {r.id}: account {r.account_id!r} has no value",
                                             "add the account to the instance's accounts"))
        # coverage: generated requests where an account asked for less than the minimum
        self.cover: dict[tuple[str, str], float] = {}
        asked: dict[tuple[str, str], float] = {}
        for r in reqs:
            if r.id not in inst.force_out:
                asked[(r.account_id, r.kind)] = asked.get((r.account_id, r.kind), 0.0) + r.amount
        for rule in inst.rules:
            for a in inst.accounts:
                if a.cls != rule.cls or not a.eligible or rule.minimum <= 0:
                    continue
                key = (a.account_id, rule.kind)
                self.cover[key] = max(self.cover.get(key, 0.0), rule.minimum)
        for (aid, kind), m in self.cover.items():
            short = m - asked.get((aid, kind), 0.0)
            if short > EPS:
                reqs.append(Request(f"coverage:{aid}:{kind}", aid, kind, short, max(self.quarters), "low", True,
                                    None, "minimum coverage", "coverage rule"))
        self.reqs = reqs
        self.ridx = {r.id: i for i, r in enumerate(reqs)}
        # groups (account, kind) with response segments and value scale
        self.groups: dict[tuple[str, str], int] = {}
        self.g_resp: list[Response] = []
        self.g_scale: list[float] = []
        self.r_group: list[int] = []
        self.r_pw: list[float] = []
        self.r_slots: list[list[tuple[int, int]]] = []  # eligible (person index, quarter index), preferred first
        self.r_static: list[str | None] = []  # why a request cannot be served at all (code)
        by_pool: dict[str, list[int]] = {}
        for i, p in enumerate(self.people):
            by_pool.setdefault(p.pool, []).append(i)
        self.by_pool = by_pool
        for r in reqs:
            key = (r.account_id, r.kind)
            if key not in self.groups:
                a = self.acc.get(r.account_id)
                self.groups[key] = len(self.g_resp)
                resp = self.response(a.cls if a else "", r.kind)
                self.g_resp.append(resp)
                pool = self.pools.get(r.kind)
                self.g_scale.append((a.value if a else 0.0) * (pool.weight if pool else 0.0))
            self.r_group.append(self.groups[key])
            self.r_pw.append(float(inst.priority_weights.get(r.priority, 0.7)))
            self.r_slots.append(self._slots(r))
            self.r_static.append(self._static_reason(r, self.r_slots[-1]))

    def response(self, cls: str, kind: str) -> Response:
        rs = self.inst.responses
        for k in ((cls, kind), cls, (None, kind), "default"):
            if k in rs:
                return rs[k]
        return Response.linear(1.0, 0.0)

    def eligible_people(self, r: Request) -> list[int]:
        a = self.acc.get(r.account_id)
        region = a.region if a else ""
        out = []
        for i in self.by_pool.get(r.kind, []):
            p = self.people[i]
            if r.skill and r.skill not in p.skills:
                continue
            if p.regions and region not in p.regions:
                continue
            out.append(i)
        return out

    def _slots(self, r: Request) -> list[tuple[int, int]]:
        a = self.acc.get(r.account_id)
        if r.id in self.inst.force_out or a is None or not a.eligible or r.amount <= EPS:
            return []
        slots = []
        for i in self.eligible_people(r):
            for j, q in enumerate(self.quarters):
                if q > r.deadline:
                    continue
                c = self.cap[i][j]
                if c <= EPS or (not r.divisible and c < r.amount - EPS):
                    continue
                if self.pools[r.kind].integral and c < 1 - EPS:
                    continue
                slots.append((i, j))
        # latest quarter first (keeps early capacity for early deadlines), then cheapest, then most capacity
        slots.sort(key=lambda s: (-s[1], self.cost[s[0]], -self.cap[s[0]][s[1]], s[0]))
        return slots

    def _static_reason(self, r: Request, slots) -> str | None:
        if slots:
            return None
        a = self.acc.get(r.account_id)
        if r.id in self.inst.force_out:
            return "forced-out"
        if a is None or not a.eligible:
            return "class"
        if r.kind not in self.pools or not self.eligible_people(r):
            return "eligibility"
        if not r.divisible:
            fits_later = any(self.cap[i][j] >= r.amount - EPS for i in self.eligible_people(r)
                             for j in range(len(self.quarters)))
            if fits_later and not any(self.cap[i][j] >= r.amount - EPS for i in self.eligible_people(r)
                                      for j, q in enumerate(self.quarters) if q <= r.deadline):
                return "deadline"
            return "too-big"
        return "deadline"


# ----------------------------------------------------------------------------------------------
# greedy marginal analysis
# ----------------------------------------------------------------------------------------------
class _State:
    def __init__(self, c: _Compiled):
        self.c = c
        self.cap = [row[:] for row in c.cap]
        self.budget = {k: (p.budget if p.budget is not None else math.inf) for k, p in c.pools.items()}
        self.receive = {}
        for a in c.inst.accounts:
            if a.receive_capacity is not None:
                self.receive[a.account_id] = [float(a.receive_capacity.get(q, 0.0) or 0.0) for q in c.quarters]
        self.s = [0.0] * len(c.g_resp)
        self.given = [0.0] * len(c.reqs)
        self.raw = {}  # (account, kind) -> units given
        self.rows: list[tuple[int, int, int, float]] = []  # request, person, quarter index, amount

    def room(self, r: Request, i: int, j: int) -> float:
        room = self.cap[i][j]
        cost = self.c.cost[i]
        if cost > 0:
            room = min(room, self.budget[r.kind] / cost)
        rec = self.receive.get(r.account_id)
        if rec is not None:
            room = min(room, rec[j])
        return room

    def put(self, k: int, i: int, j: int, amt: float):
        r = self.c.reqs[k]
        self.cap[i][j] -= amt
        if self.c.cost[i] > 0:
            self.budget[r.kind] -= amt * self.c.cost[i]
        rec = self.receive.get(r.account_id)
        if rec is not None:
            rec[j] -= amt
        self.given[k] += amt
        self.s[self.c.r_group[k]] += self.c.r_pw[k] * amt
        key = (r.account_id, r.kind)
        self.raw[key] = self.raw.get(key, 0.0) + amt
        self.rows.append((k, i, j, amt))

    def place(self, k: int, want: float) -> float:
        """Give request k up to ``want`` units on its preferred slots; returns what was placed."""
        c = self.c
        r = c.reqs[k]
        integral = c.pools[r.kind].integral
        if not r.divisible:
            for i, j in c.r_slots[k]:
                if self.room(r, i, j) >= r.amount - EPS:
                    self.put(k, i, j, r.amount)
                    return r.amount
            return 0.0
        left = want
        for i, j in c.r_slots[k]:
            if left <= EPS:
                break
            room = self.room(r, i, j)
            if integral:
                room = math.floor(room + EPS)
            amt = min(left, room)
            if amt > EPS:
                self.put(k, i, j, amt)
                left -= amt
        return want - left

    def gain(self, k: int, amt: float) -> float:
        g = self.c.r_group[k]
        resp = self.c.g_resp[g]
        s = self.s[g]
        return self.c.g_scale[g] * (resp.value(s + self.c.r_pw[k] * amt) - resp.value(s))


def greedy(instance: Instance) -> Allocation:
    """Marginal analysis: forced requests, then coverage minimums, then the best value per unit first."""
    t0 = time.perf_counter()
    c = _Compiled(instance)
    st = _greedy_state(c)
    alloc = _allocation(c, st.rows, "greedy", "greedy", math.nan, time.perf_counter() - t0)
    alloc.problems = c.problems + st.problems
    if any(p.is_error for p in st.problems):
        alloc.status = "infeasible"
    alloc.greedy_objective = alloc.objective
    alloc.unmet = explain_unmet(instance, alloc, _compiled=c)
    return alloc


def _greedy_state(c: _Compiled) -> _State:
    st = _State(c)
    st.problems = []
    n = len(c.reqs)
    # 1. forced in
    for k, r in enumerate(c.reqs):
        if r.id in c.inst.force_in:
            got = st.place(k, r.amount)
            if got < r.amount - EPS:
                st.problems.append(error("forced-request-does-not-fit",
                                         f"forced request {r.id} ({r.amount:g} {r.kind}) gets only {got:g}",
                                         "free capacity for it, or take it off the forced-in list"))
    # 2. coverage: per (account, kind), highest priority first
    by_group: dict[tuple[str, str], list[int]] = {}
    for k, r in enumerate(c.reqs):
        by_group.setdefault((r.account_id, r.kind), []).append(k)
    order = sorted(c.cover.items(), key=lambda kv: -(c.acc[kv[0][0]].value if kv[0][0] in c.acc else 0))
    for key, m in order:
        for k in sorted(by_group.get(key, []), key=lambda k: (-c.r_pw[k], not c.reqs[k].divisible)):
            need = m - st.raw.get(key, 0.0)
            if need <= EPS:
                break
            r = c.reqs[k]
            if r.divisible:
                st.place(k, min(need, r.amount - st.given[k]))
            elif st.given[k] <= EPS:
                st.place(k, r.amount)
        if m - st.raw.get(key, 0.0) > EPS:
            st.problems.append(error("coverage-not-met",
                                     f"account {key[0]}: the greedy finds only {st.raw.get(key, 0.0):g} of the "
                                     f"minimum {m:g} {key[1]}", "see solve() for a proof or a plan that meets it"))
    # 3. marginal analysis with a lazy heap (ratios only fall as support grows: concave response)
    heap = []

    def chunk(k):
        r = c.reqs[k]
        left = r.amount - st.given[k]
        if left <= EPS or not c.r_slots[k]:
            return 0.0, 0.0
        if not r.divisible:
            if st.given[k] > EPS:
                return 0.0, 0.0
            amt = r.amount
        elif c.pools[r.kind].integral:
            amt = min(1.0, left)
        else:
            g = c.r_group[k]
            nb = c.g_resp[g].next_break(st.s[g])
            if nb == math.inf:
                return 0.0, 0.0
            amt = min(left, (nb - st.s[g]) / c.r_pw[k])
        gain = st.gain(k, amt)
        return amt, gain / amt if amt > EPS else 0.0

    for k in range(n):
        amt, ratio = chunk(k)
        if ratio > 0:
            heap.append((-ratio, k))
    heapq.heapify(heap)
    while heap:
        neg, k = heapq.heappop(heap)
        amt, ratio = chunk(k)
        if ratio <= 0:
            continue
        if ratio < -neg * (1 - 1e-12) - 1e-15:
            heapq.heappush(heap, (-ratio, k))
            continue
        got = st.place(k, amt)
        if got > EPS and c.reqs[k].divisible:
            amt2, ratio2 = chunk(k)
            if ratio2 > 0:
                heapq.heappush(heap, (-ratio2, k))
    return st


# ----------------------------------------------------------------------------------------------
# the MILP
# ----------------------------------------------------------------------------------------------
class _Milp:
    """The MILP in flow form.

    Columns: ``y[r,q]`` units given to divisible request r in quarter q (integer in whole-unit
    pools), or a binary for an all-or-nothing request; ``f[t,i,q]`` units person i gives in
    quarter q to requests of eligibility type t (requests with the same eligible people: exact,
    because any of them can be served by any of those people); ``x[r,i,q]`` binaries for
    all-or-nothing requests served by one named person (``aon="person"``); ``z`` the response
    segments.  With ``aon="quarter"`` all-or-nothing requests draw on the type's flow like
    divisible ones (a relaxation: one person must still fit the whole request) and
    ``rows_of`` packs them onto people, dropping what does not fit.
    """

    def __init__(self, c: _Compiled, aon: str = "person"):
        self.c = c
        self.aon = aon
        inst = c.inst
        nq = len(c.quarters)
        kind_col, c_a, c_b, c_q = [], [], [], []  # kind 0=y (r,-,q) 1=x (r,i,q) 2=f (t,i,q) 3=z (g,seg,-)
        lo, hi, obj, integ = [], [], [], []
        rows_i, vals = [], []  # per column lists, flattened with col index
        cols_i = []
        row_lo, row_hi = [], []
        self.row_tag: list[tuple] = []

        def new_row(lb, ub, tag):
            row_lo.append(lb)
            row_hi.append(ub)
            self.row_tag.append(tag)
            return len(row_lo) - 1

        def new_col(kind, a, b, q, lb, ub, cost, integral, entries):
            col = len(lo)
            kind_col.append(kind)
            c_a.append(a)
            c_b.append(b)
            c_q.append(q)
            lo.append(lb)
            hi.append(ub)
            obj.append(cost)
            integ.append(1 if integral else 0)
            for row, v in entries:
                rows_i.append(row)
                cols_i.append(col)
                vals.append(v)
            return col

        cap, cost = c.cap, c.cost
        cap_row = {(i, j): new_row(-math.inf, cap[i][j], ("capacity", i, j))
                   for i in range(len(c.people)) for j in range(nq) if cap[i][j] > EPS}
        budget_row = {kind: new_row(-math.inf, pool.budget, ("budget", kind))
                      for kind, pool in c.pools.items() if pool.budget is not None}
        recv_row = {}
        for a in inst.accounts:
            if a.receive_capacity is not None:
                for j, q in enumerate(c.quarters):
                    recv_row[(a.account_id, j)] = new_row(-math.inf, float(a.receive_capacity.get(q, 0.0) or 0.0),
                                                          ("receive", a.account_id, j))
        link_row = [new_row(-math.inf, 0.0, ("link", g)) for g in range(len(c.g_resp))]
        cover_row = {key: new_row(m, math.inf, ("cover",) + key) for key, m in c.cover.items()}
        scale_max = max([s * (seg[0][1] if seg else 0) for s, seg in
                         zip(c.g_scale, (r.segments() for r in c.g_resp))] + [1.0])
        self.eps = 1e-9 * scale_max  # a tiny cost per unit: no support where it is worth nothing
        self.total_cap = sum(sum(row) for row in cap)
        # types: requests with the same eligible people
        type_of: dict[tuple, int] = {}
        r_type = []
        for k, r in enumerate(c.reqs):
            key = (r.kind, tuple(sorted({i for i, _ in c.r_slots[k]}))) if c.r_slots[k] else None
            if key is not None and key not in type_of:
                type_of[key] = len(type_of)
            r_type.append(type_of.get(key, -1))
        self.types = list(type_of)
        type_row = {}
        for k, r in enumerate(c.reqs):
            if not c.r_slots[k]:
                continue
            forced = r.id in inst.force_in
            rr = new_row((1.0 if not r.divisible else r.amount) if forced else -math.inf,
                         1.0 if not r.divisible else r.amount, ("request", k))
            coef = r.amount if not r.divisible else 1.0
            common = [(rr, 1.0), (link_row[c.r_group[k]], -c.r_pw[k] * coef)]
            if (r.account_id, r.kind) in cover_row:
                common.append((cover_row[(r.account_id, r.kind)], coef))
            if not r.divisible and aon == "person":
                for i, j in c.r_slots[k]:
                    ent = common + [(cap_row[(i, j)], coef)]
                    if cost[i] > 0 and r.kind in budget_row:
                        ent.append((budget_row[r.kind], cost[i] * coef))
                    if (r.account_id, j) in recv_row:
                        ent.append((recv_row[(r.account_id, j)], coef))
                    new_col(1, k, i, j, 0.0, 1.0, -self.eps * coef, True, ent)
                continue
            t = r_type[k]
            for j in sorted({j for _, j in c.r_slots[k]}):
                if (t, j) not in type_row:
                    type_row[(t, j)] = new_row(-math.inf, 0.0, ("type", t, j))
                ent = common + [(type_row[(t, j)], coef)]
                if (r.account_id, j) in recv_row:
                    ent.append((recv_row[(r.account_id, j)], coef))
                ub = 1.0 if not r.divisible else r.amount
                new_col(0, k, -1, j, 0.0, ub, 0.0, (not r.divisible) or c.pools[r.kind].integral, ent)
        for (t, j), row in type_row.items():
            kind, persons = self.types[t]
            for i in persons:
                if cap[i][j] <= EPS:
                    continue
                ent = [(row, -1.0), (cap_row[(i, j)], 1.0)]
                if cost[i] > 0 and kind in budget_row:
                    ent.append((budget_row[kind], cost[i]))
                new_col(2, t, i, j, 0.0, cap[i][j], -self.eps, c.pools[kind].integral, ent)
        self.seg_cols: list[list[int]] = []
        for g, resp in enumerate(c.g_resp):
            self.seg_cols.append([new_col(3, g, s, -1, 0.0, length, c.g_scale[g] * slope, False, [(link_row[g], 1.0)])
                                  for s, (length, slope) in enumerate(resp.segments())])
        self.r_type = r_type
        self.kind_col = np.array(kind_col, dtype=np.int64)
        self.c_a, self.c_b, self.c_q = (np.array(v, dtype=np.int64) for v in (c_a, c_b, c_q))
        self.lo, self.hi = np.array(lo), np.array(hi)
        self.obj = np.array(obj)
        self.integ = np.array(integ, dtype=np.int64)
        self.row_lo, self.row_hi = np.array(row_lo), np.array(row_hi)
        self.cap_row, self.budget_row = cap_row, budget_row
        n_col, n_row = len(lo), len(row_lo)
        ci = np.array(cols_i, dtype=np.int64)  # already grouped by column, in column order
        self.a_index = np.array(rows_i, dtype=np.int32)
        self.a_value = np.array(vals, dtype=float)
        self.a_start = np.searchsorted(ci, np.arange(n_col + 1)).astype(np.int32)
        self.n_col, self.n_row = n_col, n_row
        self.is_aon = np.array([kind in (0, 1) and not c.reqs[a].divisible
                                for kind, a in zip(kind_col, c_a)], dtype=bool)

    def highs(self, relax=False, fix=None):
        import highspy
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_col, self.n_row
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_cost_ = self.obj
        lo, hi = self.lo.copy(), self.hi.copy()
        if fix is not None:
            idx, v = fix
            lo[idx] = v
            hi[idx] = v
        lp.col_lower_, lp.col_upper_ = lo, hi
        lp.row_lower_, lp.row_upper_ = self.row_lo, self.row_hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = self.a_start
        lp.a_matrix_.index_ = self.a_index
        lp.a_matrix_.value_ = self.a_value
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.n_col, self.n_row
        if not relax and self.integ.any():
            lp.integrality_ = [highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
                               for v in self.integ]
        h.passModel(lp)
        return h

    def vector(self, rows) -> np.ndarray:
        """Column values of (request, person, quarter index, amount) rows, e.g. the greedy's."""
        c = self.c
        x = np.zeros(self.n_col)
        where = {(int(kd), int(a), int(b), int(q)): col for col, (kd, a, b, q) in
                 enumerate(zip(self.kind_col, self.c_a, self.c_b, self.c_q)) if kd != 3}
        s = [0.0] * len(c.g_resp)
        for k, i, j, amt in rows:
            r = c.reqs[k]
            coef_v = 1.0 if not r.divisible else amt
            if not r.divisible and self.aon == "person":
                x[where[(1, k, i, j)]] += 1.0
            else:
                x[where[(0, k, -1, j)]] += coef_v
                x[where[(2, self.r_type[k], i, j)]] += amt
            s[c.r_group[k]] += c.r_pw[k] * amt
        for g, cols in enumerate(self.seg_cols):
            left = s[g]
            for col in cols:
                z = min(left, self.hi[col])
                x[col] = z
                left -= z
        return x

    def rows_of(self, x: np.ndarray, relaxed: bool = False, until: float | None = None
                ) -> list[tuple[int, int, int, float]]:
        """Named people from a solution: all-or-nothing first (best fit), then divisible flows.

        ``relaxed``: an LP solution; fractions of all-or-nothing requests are kept as amounts."""
        c = self.c
        vals = x if relaxed else np.where(self.integ == 1, np.round(x), x)
        out = []
        flow: dict[tuple[int, int], dict[int, float]] = {}  # (type, quarter) -> person -> units
        need: dict[tuple[int, int], list[tuple[int, float]]] = {}
        for col in np.nonzero((vals > 1e-6) & (self.kind_col != 3))[0]:
            kd, a, b, q, v = int(self.kind_col[col]), int(self.c_a[col]), int(self.c_b[col]), int(self.c_q[col]), \
                float(vals[col])
            if kd == 1:
                out.append((a, b, q, c.reqs[a].amount * (v if relaxed else 1.0)))
            elif kd == 2:
                flow.setdefault((a, q), {})[b] = v
            else:
                r = c.reqs[a]
                amt = v * r.amount if not r.divisible and relaxed else r.amount if not r.divisible else v
                need.setdefault((self.r_type[a], q), []).append((a, amt))
        # capacity no flow uses, and budget no flow spends: all-or-nothing requests that do not fit
        # into one person's share of their type's flow may top it up from there
        free = {}
        spent: dict[str, float] = {}
        for (t, j), per in flow.items():
            kind = self.types[t][0]
            for i, v in per.items():
                free[(i, j)] = free.get((i, j), c.cap[i][j]) - v
                spent[kind] = spent.get(kind, 0.0) + v * c.cost[i]
        budget_left = {k: (p.budget - spent.get(k, 0.0) if p.budget is not None else math.inf)
                       for k, p in c.pools.items()}
        dropped: set[tuple[int, str]] = set()
        for key, items in sorted(need.items(), key=lambda kv: kv[0][1]):
            left = flow.get(key, {})
            items.sort(key=lambda kv: (c.reqs[kv[0]].divisible, -kv[1], kv[0]))
            for k, amt in items:
                r = c.reqs[k]
                if not r.divisible and not relaxed:
                    j = key[1]
                    fit = [i for i, v in left.items() if v >= amt - 1e-6]
                    if fit:
                        i = min(fit, key=lambda i: (left[i], i))
                        left[i] -= amt
                        out.append((k, i, j, amt))
                        continue
                    top = [i for i in self.types[key[0]][1] if
                           left.get(i, 0.0) + free.get((i, j), c.cap[i][j]) >= amt - 1e-6 and
                           c.cost[i] * (amt - left.get(i, 0.0)) <= budget_left[r.kind] + 1e-6]
                    if not top:
                        dropped.add((j, r.kind))  # repacked below
                        continue
                    i = max(top, key=lambda i: (left.get(i, 0.0), -i))
                    extra = amt - left.get(i, 0.0)
                    left[i] = 0.0
                    free[(i, j)] = free.get((i, j), c.cap[i][j]) - extra
                    budget_left[r.kind] -= c.cost[i] * extra
                    out.append((k, i, j, amt))
                    continue
                for i in sorted(left):
                    if amt <= 1e-6:
                        break
                    take = min(amt, left[i])
                    if take > 1e-6:
                        left[i] -= take
                        amt -= take
                        out.append((k, i, key[1], take))
        todo = sorted(dropped)
        for n, (j, kind) in enumerate(todo):
            left_s = 1.0 if until is None else (until - time.perf_counter()) / (len(todo) - n)
            out = self._repack(out, need, j, kind, time_limit=min(1.0, max(0.1, left_s)))
        return out

    def _repack(self, rows, need, j: int, kind: str, time_limit: float = 1.0):
        """Pack quarter j of one pool again as a small MILP: every request keeps its amount (or is
        dropped), all-or-nothing on one person, people's capacity and the pool's budget hold."""
        import highspy
        c = self.c
        items = [(k, amt) for (t, q), its in need.items() if q == j and self.types[t][0] == kind for k, amt in its]
        mine = [row for row in rows if row[2] == j and c.reqs[row[0]].kind == kind]
        others = [row for row in rows if not (row[2] == j and c.reqs[row[0]].kind == kind)]
        pool = c.pools[kind]
        budget = math.inf if pool.budget is None else \
            pool.budget - sum(a * c.cost[i] for k, i, _, a in others if c.reqs[k].kind == kind)
        cols, lo, hi, obj, integ, ent = [], [], [], [], [], []
        persons = sorted({i for k, _ in items for i, jj in c.r_slots[k] if jj == j})
        prow = {i: n for n, i in enumerate(persons)}
        n_rows = len(persons) + 1 + len(items)
        for n, (k, amt) in enumerate(items):
            r = c.reqs[k]
            w = c.g_scale[c.r_group[k]] * c.r_pw[k] + 1.0
            for i, jj in c.r_slots[k]:
                if jj != j:
                    continue
                aon = not r.divisible
                cols.append((k, i, amt if aon else None))
                lo.append(0.0)
                hi.append(1.0 if aon else amt)
                obj.append(w * (amt if aon else 1.0))
                integ.append(aon or pool.integral)
                coef = amt if aon else 1.0
                ent.append([(prow[i], coef), (len(persons), c.cost[i] * coef), (len(persons) + 1 + n, 1.0)])
        if not cols:
            return rows
        start, index, value = [0], [], []
        for e in ent:
            for row, v in e:
                index.append(row)
                value.append(v)
            start.append(len(index))
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(time_limit))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(cols), n_rows
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.array(obj), np.array(lo), np.array(hi)
        lp.row_lower_ = np.full(n_rows, -math.inf)
        lp.row_upper_ = np.array([c.cap[i][j] for i in persons] + [budget] +
                                 [1.0 if not c.reqs[k].divisible else amt for k, amt in items])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.array(start, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value)
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = len(cols), n_rows
        lp.integrality_ = [highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous for v in integ]
        h.passModel(lp)
        h.run()
        sol = h.getSolution()
        if not sol.value_valid:
            return rows
        x = np.asarray(sol.col_value)
        new = []
        for (k, i, aon_amt), v in zip(cols, x):
            v = float(round(v)) if (aon_amt is not None or pool.integral) else float(v)
            if v > 1e-6:
                new.append((k, i, j, aon_amt if aon_amt is not None else v))
        weight = lambda rs: sum(a * (c.g_scale[c.r_group[k]] * c.r_pw[k] + 1.0) for k, _, _, a in rs)
        return others + new if weight(new) > weight(mine) + 1e-9 else rows


_STATUS = {"Optimal": "optimal", "Time limit reached": "time-limit", "Infeasible": "infeasible",
           "Primal infeasible or unbounded": "infeasible", "Model empty": "optimal", "Empty": "optimal"}


def solve(instance: Instance, time_limit: float = 5.0, mip_gap: float = 1e-4, warm_start: bool = True,
          relax: bool = False, threads: int | None = None, aon: str = "auto") -> Allocation:
    """Maximise total value with HiGHS within ``time_limit`` seconds; see the module docstring.

    ``relax=True`` solves the LP relaxation (a bound) instead; ``warm_start`` gives HiGHS the greedy
    solution, which is also returned if HiGHS finds nothing better in time (status ``greedy``
    when HiGHS found no solution at all).  ``threads``: HiGHS threads (its default when None)."""
    t0 = time.perf_counter()
    c = _Compiled(instance)
    if any(p.is_error for p in c.problems):
        return _infeasible(c, c.problems, t0)
    pre = _precheck(c)
    if pre:
        return _infeasible(c, c.problems + pre, t0)
    gst = _greedy_state(c) if warm_start and not relax else None
    m = _Milp(c, aon=_aon_mode(c, aon))
    h = m.highs(relax=relax)
    reserve = 0.1 * time_limit if m.aon == "quarter" and not relax else 0.0  # for packing onto people
    h.setOptionValue("time_limit", float(max(time_limit - reserve - (time.perf_counter() - t0), 0.05)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if threads:
        h.setOptionValue("threads", int(threads))
    greedy_obj = math.nan
    if gst is not None:
        greedy_obj = _objective(c, gst.rows)
        if not any(p.is_error for p in gst.problems):
            import highspy
            sol = highspy.HighsSolution()
            sol.col_value = m.vector(gst.rows)
            sol.value_valid = True
            h.setSolution(sol)
    h.run()
    status = _STATUS.get(h.modelStatusToString(h.getModelStatus()), h.modelStatusToString(h.getModelStatus()))
    info = h.getInfo()
    if status == "infeasible":
        return _infeasible(c, c.problems + [_why_infeasible(c)], t0)
    sol = h.getSolution()
    has = (info.primal_solution_status == 2 and sol.value_valid) or m.n_col == 0
    if has:
        rows = m.rows_of(np.asarray(sol.col_value), relaxed=relax, until=t0 + time_limit)
    else:
        rows = gst.rows if gst is not None else []
    if relax or not m.integ.any():  # an LP: its optimum is the bound
        bound = (info.objective_function_value if m.n_col else 0.0) + m.eps * m.total_cap \
            if status == "optimal" else math.inf
    if relax:
        method, status = "lp", "lp" if status == "optimal" else status
    else:
        if m.integ.any():
            db = info.mip_dual_bound
            bound = db + m.eps * m.total_cap if math.isfinite(db) else math.inf
        method = "milp"
    alloc = _allocation(c, rows, status if has or gst is None else "greedy", method, bound,
                        time.perf_counter() - t0)
    if gst is not None and not math.isnan(greedy_obj) and greedy_obj > alloc.objective + 1e-9 \
            and not any(p.is_error for p in gst.problems):
        alloc = _allocation(c, gst.rows, status, method, bound, time.perf_counter() - t0)
    if has and not relax and m.aon == "quarter" and status == "optimal" \
            and alloc.objective < info.objective_function_value - 1e-6 * abs(info.objective_function_value) - 1e-6:
        alloc.status = "feasible"  # an all-or-nothing request did not pack onto one person: not proven optimal
    alloc.greedy_objective = greedy_obj
    alloc.nodes = max(int(info.mip_node_count), 0) if not relax else 0
    alloc.problems = list(c.problems)
    alloc.unmet = explain_unmet(instance, alloc, _compiled=c)
    alloc.seconds = time.perf_counter() - t0
    return alloc


def _precheck(c: _Compiled) -> list[Problem]:
    """Rule sets that cannot hold, found without a solver (with the fix)."""
    out = []
    for key, m in c.cover.items():
        aid, kind = key
        ks = [k for k, r in enumerate(c.reqs) if (r.account_id, r.kind) == key and c.r_slots[k]]
        if not ks:
            people = c.by_pool.get(kind, [])
            out.append(error("coverage-impossible",
                             f"account {aid} must get {m:g} {kind} a year, but no {kind} person can serve it "
                             f"({'no one in the pool' if not people else 'region, skill or capacity'})",
                             f"let a {kind} person serve region {c.acc[aid].region!r}, or drop the rule for "
                             f"class {c.acc[aid].cls!r}"))
    need: dict[str, float] = {}
    for (aid, kind), m in c.cover.items():
        need[kind] = need.get(kind, 0.0) + m
    for kind, n in need.items():
        have = sum(sum(c.cap[i]) for i in c.by_pool.get(kind, []))
        if n > have + EPS:
            out.append(error("coverage-over-capacity",
                             f"minimum coverage needs {n:g} {kind} units but the pool has {have:g} in the year",
                             f"add {n - have:g} units of {kind} capacity, or lower the minimum"))
        pool = c.pools.get(kind)
        if pool and pool.budget is not None:
            cmin = min((c.cost[i] for i in c.by_pool.get(kind, [])), default=0.0)
            if n * cmin > pool.budget + EPS:
                out.append(error("coverage-over-budget",
                                 f"minimum coverage needs at least {n * cmin:,.0f} of the {kind} budget "
                                 f"{pool.budget:,.0f}", f"raise the {kind} budget to {n * cmin:,.0f}"))
    for k, r in enumerate(c.reqs):
        if r.id in c.inst.force_in and not c.r_slots[k]:
            out.append(error("forced-request-impossible",
                             f"forced request {r.id} cannot be served at all ({c.r_static[k]})",
                             "take it off the forced-in list, or fix what the unmet list says about it"))
    return out


def _why_infeasible(c: _Compiled) -> Problem:
    forced = sorted(c.inst.force_in)
    rules = sorted({(k[1], m) for k, m in c.cover.items()})
    return error("allocation-infeasible",
                 f"the rules cannot all hold together: minimum coverage {rules}, forced requests {forced[:10]}, "
                 "with the capacities, deadlines, budgets and customer capacities given",
                 "lower a minimum-coverage rule, take requests off the forced-in list, or add capacity")


def _infeasible(c: _Compiled, problems, t0) -> Allocation:
    return Allocation(pd.DataFrame({col: [] for col in ASSIGNMENT_COLUMNS}), {}, math.nan, math.nan, math.nan,
                      "infeasible", "milp", time.perf_counter() - t0, problems=list(problems))


def _objective(c: _Compiled, rows) -> float:
    s = [0.0] * len(c.g_resp)
    for k, _i, _j, amt in rows:
        s[c.r_group[k]] += c.r_pw[k] * amt
    return float(sum(sc * resp.value(v) for sc, resp, v in zip(c.g_scale, c.g_resp, s)))


def _gap(obj: float, bound: float) -> float:
    """(bound - objective) / |bound|: 0 when they agree (to rounding), nan without a finite bound."""
    if bound is None or not math.isfinite(bound):
        return math.inf if bound == math.inf else math.nan
    diff = bound - obj
    if diff <= 1e-7 * abs(bound) + 1e-6:
        return 0.0
    return diff / abs(bound) if bound else math.inf


def _allocation(c: _Compiled, rows, status, method, bound, seconds) -> Allocation:
    given: dict[str, float] = {r.id: 0.0 for r in c.reqs}
    recs = {}
    for k, i, j, amt in rows:
        key = (k, i, j)
        recs[key] = recs.get(key, 0.0) + amt
    out = []
    for (k, i, j), amt in recs.items():
        r = c.reqs[k]
        given[r.id] += amt
        p = c.people[i] if i < len(c.people) else None
        out.append((r.id, r.account_id, r.kind, p.id if p else GENERALIST, c.quarters[j], amt,
                    amt * (p.cost_per_unit if p else 0.0)))
    frame = pd.DataFrame(out, columns=ASSIGNMENT_COLUMNS)
    frame = frame.sort_values(["person_id", "quarter", "request_id"], kind="stable").reset_index(drop=True)
    obj = _objective(c, rows)
    gap = _gap(obj, bound)
    return Allocation(frame, given, obj, bound, gap, status, method, seconds)


# ----------------------------------------------------------------------------------------------
# what-if: marginal values
# ----------------------------------------------------------------------------------------------
MARGINAL_COLUMNS = ["pool", "person_id", "quarter", "capacity", "used", "value_per_unit", "resolve_gain"]


def marginal_values(instance: Instance, allocation: Allocation, resolve: bool = False, delta: float = 1.0,
                    time_limit: float = 2.0) -> pd.DataFrame:
    """Value of one more unit per person x quarter, per pool x quarter (best person) and per budget unit.

    ``value_per_unit`` is the dual price of the capacity (or budget) in the LP where the
    all-or-nothing choices of ``allocation`` are fixed and whole-unit pools are relaxed: the gain
    per unit of a small increase.  With ``resolve=True`` each pool x quarter row also gets
    ``resolve_gain``: the objective gained by re-solving the MILP with ``delta`` more units of a
    generalist (all skills and regions, the pool's lowest cost) in that quarter.  Person rows
    have ``person_id``; pool rows have ``person_id == "*"``; budget rows have ``quarter == 0``.
    """
    c = _Compiled(instance)
    m = _Milp(c, aon=_aon_mode(c, "auto"))
    h = m.highs(relax=True, fix=(np.nonzero(m.is_aon)[0], m.vector(_rows(c, allocation))[m.is_aon]))
    h.run()
    sol = h.getSolution()
    ok = h.modelStatusToString(h.getModelStatus()) == "Optimal" and sol.dual_valid
    duals = np.abs(np.asarray(sol.row_dual)) if ok else np.full(m.n_row, math.nan)
    used = allocation.assignments.groupby(["person_id", "quarter"])["amount"].sum().to_dict()
    rows = []
    for i, p in enumerate(c.people):
        for j, q in enumerate(c.quarters):
            row = m.cap_row.get((i, j))
            rows.append((p.pool, p.id, q, c.cap[i][j], float(used.get((p.id, q), 0.0)),
                         float(duals[row]) if row is not None else 0.0, math.nan))
    out = pd.DataFrame(rows, columns=MARGINAL_COLUMNS)
    pool_rows = []
    for kind in c.pools:
        for q in c.quarters:
            sub = out[(out["pool"] == kind) & (out["quarter"] == q)]
            gain = math.nan
            if resolve:
                cost = min((c.cost[i] for i in c.by_pool.get(kind, [])), default=0.0)
                extra = Person(GENERALIST, kind, {q: delta}, cost_per_unit=cost)
                gain = _resolve_gain(c, allocation, extra, time_limit) / delta
            pool_rows.append((kind, "*", q, float(sub["capacity"].sum()), float(sub["used"].sum()),
                              float(sub["value_per_unit"].max()) if len(sub) else 0.0, gain))
        if kind in m.budget_row:
            spent = float(allocation.assignments.loc[allocation.assignments["kind"] == kind, "cost"].sum())
            pool_rows.append((kind, "budget", 0, float(c.pools[kind].budget), spent,
                              float(duals[m.budget_row[kind]]), math.nan))
    return pd.concat([out, pd.DataFrame(pool_rows, columns=MARGINAL_COLUMNS)], ignore_index=True)


def _rows(c: _Compiled, allocation: Allocation) -> list[tuple[int, int, int, float]]:
    a = allocation.assignments
    return [(c.ridx[r], c.pidx[p], c.qidx[q], float(v)) for r, p, q, v in
            zip(a["request_id"], a["person_id"], a["quarter"], a["amount"]) if r in c.ridx and p in c.pidx]


def _resolve_gain(c: _Compiled, allocation: Allocation, extra: Person, time_limit: float) -> float:
    import highspy
    skills = frozenset(r.skill for r in c.reqs if r.skill)
    inst = dataclasses.replace(c.inst, people=c.inst.people + (dataclasses.replace(extra, skills=skills),))
    c2 = _Compiled(inst)
    m = _Milp(c2, aon=_aon_mode(c2, "auto"))
    h = m.highs()
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-5)
    sol = highspy.HighsSolution()
    sol.col_value = m.vector(_rows(c2, allocation))
    sol.value_valid = True
    h.setSolution(sol)
    h.run()
    s = h.getSolution()
    if not s.value_valid:
        return math.nan
    new = _objective(c2, m.rows_of(np.asarray(s.col_value)))
    return max(new - allocation.objective, 0.0)


def _aon_mode(c: _Compiled, aon: str) -> str:
    """``person`` (exact) unless the all-or-nothing person slots are too many, then ``quarter``."""
    if aon != "auto":
        return aon
    n = sum(len(s) for k, s in enumerate(c.r_slots) if not c.reqs[k].divisible)
    return "person" if n <= AON_PERSON_SLOTS else "quarter"


# ----------------------------------------------------------------------------------------------
# unmet requests: why, and what would make them fit
# ----------------------------------------------------------------------------------------------
def explain_unmet(instance: Instance, allocation: Allocation, _compiled: _Compiled | None = None) -> list[Unmet]:
    """Every request given less than it asked, with the binding reason and a fix, in request order."""
    c = _compiled or _Compiled(instance)
    if allocation.status == "infeasible" and not allocation.given:
        return []
    st = _State(c)
    a = allocation.assignments
    for rid, pid, q, amt in zip(a["request_id"], a["person_id"], a["quarter"], a["amount"]):
        if rid in c.ridx and pid in c.pidx:
            st.put(c.ridx[rid], c.pidx[pid], c.qidx[q], float(amt))
    marginal = _marginal_ratio(c, st)
    out = []
    for k, r in enumerate(c.reqs):
        given = float(allocation.given.get(r.id, 0.0))
        if given >= r.amount - 1e-6:
            continue
        need = r.amount - given if r.divisible else r.amount
        unit = c.pools[r.kind].unit if r.kind in c.pools else "units"
        code, reason, fix = _reason(c, st, k, r, need, unit, marginal)
        out.append(Unmet(r.id, r.account_id, r.kind, r.amount, given, code, reason, fix))
    return out


def _marginal_ratio(c: _Compiled, st: _State) -> dict[str, float]:
    """Per pool: the lowest value per unit among the support actually given (the price of a unit)."""
    low: dict[str, float] = {}
    for k, i, j, amt in st.rows:
        g = c.r_group[k]
        resp = c.g_resp[g]
        s = st.s[g]
        step = c.r_pw[k] * min(amt, 1.0)
        v = c.g_scale[g] * (resp.value(s) - resp.value(max(s - step, 0.0))) / max(min(amt, 1.0), EPS)
        kind = c.reqs[k].kind
        low[kind] = min(low.get(kind, math.inf), v)
    return low


def _reason(c: _Compiled, st: _State, k: int, r: Request, need: float, unit: str, marginal) -> tuple[str, str, str]:
    qname = {j: f"Q{q}" for j, q in enumerate(c.quarters)}
    static = c.r_static[k]
    if static == "forced-out":
        return "forced-out", "ruled out by the VP (forced out)", "take it off the forced-out list"
    if static == "class":
        a = c.acc.get(r.account_id)
        return ("class", f"account {r.account_id} ({a.cls if a else 'unknown'}) may not get support",
                "change the account's class or the class rule (support_eligible)")
    if static == "eligibility":
        a = c.acc.get(r.account_id)
        if r.kind not in c.pools or not c.by_pool.get(r.kind):
            return "eligibility", f"there is no {r.kind} pool or person", f"add a {r.kind} person"
        why = []
        if r.skill:
            why.append(f"skill {r.skill!r}")
        why.append(f"region {a.region!r}" if a else "its region")
        return ("eligibility", f"no {r.kind} person has {' and '.join(why)}",
                f"give a {r.kind} person serving {a.region if a else 'its region'!r} the skill {r.skill!r}"
                if r.skill else f"let a {r.kind} person serve region {a.region if a else ''!r}")
    elig = c.eligible_people(r)
    if static == "too-big":
        best = max(((c.cap[i][j], i, j) for i in elig for j in range(len(c.quarters))), default=(0, 0, 0))
        return ("too-big", f"all-or-nothing {r.amount:g} {unit}: no eligible person has that much in one quarter "
                f"(most: {c.people[best[1]].id} {best[0]:g} in {qname[best[2]]})",
                f"make it divisible, or raise {c.people[best[1]].id}'s {qname[best[2]]} capacity to {r.amount:g}")
    if static == "deadline":
        later = [q for j, q in enumerate(c.quarters) if q > r.deadline
                 and any(c.cap[i][j] >= (need if not r.divisible else EPS) for i in elig)]
        return ("deadline", f"no eligible capacity by the deadline Q{r.deadline}",
                f"move the deadline to Q{later[0]}" if later else "add capacity before the deadline")
    slots = c.r_slots[k]
    pool = c.pools[r.kind]
    if pool.budget is not None:
        cmin = min(c.cost[i] for i, _ in slots)
        if cmin > 0 and st.budget[r.kind] < need * cmin - 1e-6:
            more = need * cmin - st.budget[r.kind]
            return ("budget", f"the {r.kind} budget is spent ({st.budget[r.kind]:,.0f} left, "
                    f"{need * cmin:,.0f} needed)", f"raise the {r.kind} budget by {more:,.0f}")
    free = {}
    for i, j in slots:
        free[(i, j)] = st.cap[i][j]
    if r.divisible:
        total = sum(free.values())
        short = total < need - 1e-6
    else:
        short = not any(v >= need - 1e-6 for v in free.values())
    if short:
        qs = sorted({j for _, j in slots})
        busy = ", ".join(f"{c.people[i].id} {qname[j]} {v:g} free" for (i, j), v in sorted(free.items())[:6])
        i_best, j_best = max(free, key=lambda s: (free[s], s[1]))
        missing = need - (sum(free.values()) if r.divisible else free[(i_best, j_best)])
        later = [q for j, q in enumerate(c.quarters) if q > r.deadline and
                 any(st.cap[i][j] >= (need if not r.divisible else EPS) for i in elig)]
        fix = f"{missing:g} more {unit} of {c.people[i_best].id} in {qname[j_best]}"
        if later:
            fix += f", or move the deadline to Q{later[0]}"
        return ("capacity", f"eligible people are booked in {'-'.join(qname[j] for j in (qs[0], qs[-1]))} "
                f"by the deadline Q{r.deadline} ({busy})", fix)
    rec = st.receive.get(r.account_id)
    if rec is not None:
        room = [min(free[(i, j)], rec[j]) for i, j in slots]
        if (sum(room) < need - 1e-6) if r.divisible else not any(v >= need - 1e-6 for v in room):
            return ("customer", f"customer {r.account_id} cannot receive more support in those quarters",
                    "agree more visit days with the customer, or move the deadline")
    g = c.r_group[k]
    s = st.s[g]
    resp = c.g_resp[g]
    step = min(need, 1.0) if r.divisible else need
    mine = c.g_scale[g] * (resp.value(s + c.r_pw[k] * step) - resp.value(s)) / step
    price = marginal.get(r.kind, 0.0)
    return ("value", f"its value ({mine:,.0f} per {unit.rstrip('s')}) is below what the {r.kind} capacity earns "
            f"elsewhere (at least {price:,.0f} per {unit.rstrip('s')})",
            "raise its priority or the account's value, force it in (re-solve to see the cost), or add capacity")


# ----------------------------------------------------------------------------------------------
# from the config and the collected requests
# ----------------------------------------------------------------------------------------------
def instance_from_config(pools, classes, accounts, requests: pd.DataFrame, responses: dict,
                         quarter_of=None, values: dict | None = None, receive_capacity: dict | None = None,
                         force_in=(), force_out=()) -> Instance:
    """Build an ``Instance`` from the config's ``SupportPool`` list and ``ClassRule`` dict.

    ``accounts``: objects with ``id``, ``region`` and ``cls`` (the config's ``Account``);
    ``requests``: a ``model.REQUEST_COLUMNS`` frame (row index n gives request id ``R<n>``, or a
    ``request_id`` column); ``quarter_of(date) -> 1..4`` maps deadlines to fiscal quarters (a
    deadline that already is a quarter number is kept); ``values``: account id -> money at stake
    (default 1); ``ClassRule.executive_visits_per_year`` becomes a coverage rule and
    ``support_eligible`` the account's eligibility.
    """
    values = values or {}
    receive_capacity = receive_capacity or {}
    ps, people = [], []
    for pool in pools:
        ps.append(Pool(pool.kind, pool.unit, pool.budget, integral=pool.unit == "visits"))
        for p in pool.people:
            cap = {int(str(q).lstrip("Q")): float(v) for q, v in p.capacity.items()}
            people.append(Person(p.id, pool.kind, cap, frozenset(p.skills), frozenset(p.regions),
                                 float(p.cost_per_day)))
    accs = tuple(AccountValue(a.id, float(values.get(a.id, 1.0)), a.cls, a.region,
                              bool(classes[a.cls].support_eligible) if a.cls in classes else True,
                              receive_capacity.get(a.id)) for a in accounts)
    rules = tuple(CoverageRule(cls, "executive", float(rule.executive_visits_per_year))
                  for cls, rule in classes.items() if rule.executive_visits_per_year > 0)
    reqs = []
    ids = requests["request_id"] if "request_id" in requests.columns else [f"R{i}" for i in requests.index]
    for rid, row in zip(ids, requests.to_dict("records")):
        d = row.get("deadline")
        if d is None or (isinstance(d, float) and math.isnan(d)):
            dq = 4
        elif isinstance(d, (int, np.integer)):
            dq = int(d)
        else:
            dq = int(quarter_of(d)) if quarter_of else 4
        skill = row.get("skill")
        reqs.append(Request(str(rid), row["account_id"], row["kind"], float(row["amount"] or 0.0), dq,
                            row.get("priority") or "medium", bool(row.get("divisible", True)),
                            skill if isinstance(skill, str) and skill else None,
                            row.get("purpose") or "", row.get("task") or "", row.get("src")))
    return Instance(tuple(ps), tuple(people), accs, tuple(reqs), responses, rules, frozenset(force_in),
                    frozenset(force_out))


# ----------------------------------------------------------------------------------------------
# synthetic instances (tests, benchmarks)
# ----------------------------------------------------------------------------------------------
def generate_instance(n_accounts: int, seed: int = 0, requests_per_account: float = 2.0,
                      tightness: float = 0.55, coverage: bool = True) -> Instance:
    """A reproducible company: 3 pools x 4 quarters, ~``requests_per_account`` requests per account.

    Capacity is about ``tightness`` of what is asked, per pool; 6 regions; technical and advisor
    people have 2 of 4 skills and serve 3 regions; ~40 % of technical and half of the advisor
    requests are all-or-nothing; executive visits are whole units; key accounts must get one
    executive visit a year (when ``coverage``); customers receive at most 8 units a quarter.
    """
    rng = np.random.default_rng(seed)
    regions = [f"R{i}" for i in range(6)]
    classes = rng.choice(["key", "develop", "watch", "drop"], size=n_accounts, p=[0.2, 0.35, 0.3, 0.15])
    accounts = []
    for n in range(n_accounts):
        stake = float(np.round(rng.lognormal(13.0, 0.9), -2))
        margin = float(rng.uniform(0.1, 0.35))
        risk = float(rng.uniform(0.05, 0.3))
        accounts.append(AccountValue(f"A{n:04d}", round(stake * margin * risk * 10, 2), str(classes[n]),
                                     str(rng.choice(regions)), str(classes[n]) != "drop",
                                     {q: 8.0 for q in QUARTERS}))
    kinds = ["executive", "technical", "advisor"]
    tech_skills = ["process", "quality", "equipment", "safety"]
    adv_skills = ["finance", "strategy", "regulation", "export"]
    reqs = []
    asked = {k: 0.0 for k in kinds}
    n_req = rng.poisson(requests_per_account, size=n_accounts)
    for n, a in enumerate(accounts):
        for m in range(int(n_req[n])):
            kind = str(rng.choice(kinds, p=[0.35, 0.45, 0.2]))
            deadline = int(rng.choice([1, 2, 3, 4], p=[0.1, 0.2, 0.3, 0.4]))
            prio = str(rng.choice(["high", "medium", "low"], p=[0.3, 0.45, 0.25]))
            if kind == "executive":
                amount, div, skill = float(rng.integers(1, 4)), True, None
            elif kind == "technical":
                div = bool(rng.random() > 0.4)
                amount = float(rng.integers(1, 11)) if div else float(rng.integers(2, 6))
                skill = str(rng.choice(tech_skills)) if rng.random() < 0.5 else None
            else:
                div = bool(rng.random() > 0.5)
                amount = float(rng.integers(1, 6))
                skill = str(rng.choice(adv_skills)) if rng.random() < 0.5 else None
            asked[kind] += amount
            reqs.append(Request(f"{a.account_id}-{m}", a.account_id, kind, amount, deadline, prio, div, skill))
    n_exec = max(2, n_accounts // 60)
    n_tech = max(3, n_accounts // 25)
    n_adv = max(2, n_accounts // 50)
    people = []
    for kind, count, skills, cost in (("executive", n_exec, [], 0.0), ("technical", n_tech, tech_skills, 0.0),
                                      ("advisor", n_adv, adv_skills, 1.0)):
        per_q = max(asked[kind] * tightness / count / 4, 1.0)
        for i in range(count):
            cap = {q: float(max(1, round(per_q * rng.uniform(0.7, 1.3)))) for q in QUARTERS}
            sk = frozenset(rng.choice(skills, size=2, replace=False).tolist()) if skills else frozenset()
            reg = frozenset(rng.choice(regions, size=3, replace=False).tolist()) if kind != "executive" \
                else frozenset()
            people.append(Person(f"{kind[:3]}{i:02d}", kind, cap, sk, reg,
                                 round(float(rng.uniform(3000, 8000)), -2) if cost else 0.0))
    adv_cost = float(np.mean([p.cost_per_unit for p in people if p.pool == "advisor"]))
    pools = (Pool("executive", "visits", None, 3.0, True), Pool("technical", "days", None, 1.0),
             Pool("advisor", "days", round(asked["advisor"] * tightness * 0.8 * adv_cost, -3), 1.5))
    responses = {
        "key": Response.adbudg(8, c=0.8, d=1.5), "develop": Response.adbudg(8, c=0.7, d=2.5),
        "watch": Response.adbudg(8, c=0.6, d=1.0), "drop": Response.adbudg(4, c=0.5, d=4.0),
    }
    rules = (CoverageRule("key", "executive", 1.0),) if coverage else ()
    return Instance(pools, tuple(people), tuple(accounts), tuple(reqs), responses, rules)
