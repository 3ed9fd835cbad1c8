"""The compiled form of an instance shared by greedy, MILP and explanations."""
from __future__ import annotations

from kamplan.problems import Problem, problem
from kamplan.engine.resources.allocation.model import EPS, Instance, Request, Response


class Compiled:
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
        self._check_requests(reqs)
        self.cover = self._coverage_minimums()
        reqs += self._coverage_requests(reqs)
        self.reqs = reqs
        self.ridx = {r.id: i for i, r in enumerate(reqs)}
        by_pool: dict[str, list[int]] = {}
        for i, p in enumerate(self.people):
            by_pool.setdefault(p.pool, []).append(i)
        self.by_pool = by_pool
        self._index_requests()

    def _check_requests(self, reqs: list[Request]) -> None:
        """Ids used twice (an error), unknown kinds and accounts (warnings)."""
        ids = [r.id for r in reqs]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
            self.problems.append(problem("alloc.request-id-twice", ids=str(dup)))
        for r in reqs:
            if r.kind not in self.pools:
                self.problems.append(problem("alloc.request-unknown-kind", request=r.id, kind=repr(r.kind),
                                             kinds=str(sorted(self.pools))))
            if r.account_id not in self.acc:
                self.problems.append(problem("alloc.request-unknown-account", request=r.id,
                                             account=repr(r.account_id)))

    def _coverage_minimums(self) -> dict[tuple[str, str], float]:
        """(account, kind) -> the largest minimum a coverage rule sets for the eligible account."""
        cover: dict[tuple[str, str], float] = {}
        for rule in self.inst.rules:
            for a in self.inst.accounts:
                if a.cls != rule.cls or not a.eligible or rule.minimum <= 0:
                    continue
                key = (a.account_id, rule.kind)
                cover[key] = max(cover.get(key, 0.0), rule.minimum)
        return cover

    def _coverage_requests(self, reqs: list[Request]) -> list[Request]:
        """Generated low-priority requests where an account asked for less than its minimum."""
        asked: dict[tuple[str, str], float] = {}
        for r in reqs:
            if r.id not in self.inst.force_out:
                asked[(r.account_id, r.kind)] = asked.get((r.account_id, r.kind), 0.0) + r.amount
        out = []
        for (aid, kind), m in self.cover.items():
            short = m - asked.get((aid, kind), 0.0)
            if short > EPS:
                out.append(Request(f"coverage:{aid}:{kind}", aid, kind, short, max(self.quarters), "low", True,
                                   None, "minimum coverage", "coverage rule"))
        return out

    def _index_requests(self) -> None:
        """Groups (account, kind) with response and value scale; per request its group, priority weight,
        eligible slots and why it cannot be served at all."""
        self.groups: dict[tuple[str, str], int] = {}
        self.g_resp: list[Response] = []
        self.g_scale: list[float] = []
        self.r_group: list[int] = []
        self.r_pw: list[float] = []
        self.r_slots: list[list[tuple[int, int]]] = []  # eligible (person index, quarter index), preferred first
        self.r_static: list[str | None] = []  # why a request cannot be served at all (code)
        for r in self.reqs:
            key = (r.account_id, r.kind)
            if key not in self.groups:
                a = self.acc.get(r.account_id)
                self.groups[key] = len(self.g_resp)
                self.g_resp.append(self.response(a.cls if a else "", r.kind))
                pool = self.pools.get(r.kind)
                self.g_scale.append((a.value if a else 0.0) * (pool.weight if pool else 0.0))
            self.r_group.append(self.groups[key])
            self.r_pw.append(float(self.inst.priority_weights.get(r.priority, 0.7)))
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


def all_requests(instance: Instance) -> list[Request]:
    """The requests a run sees: the instance's, then the generated coverage requests
    (``coverage:<account>:<kind>``) for accounts that asked for less than their minimum."""
    return Compiled(instance).reqs
