"""Greedy marginal analysis: forced requests, then coverage, then the best value per unit first."""
from __future__ import annotations

import heapq
import math
import time

from kamplan.problems import problem
from kamplan.engine.resources.allocation.compiled import Compiled
from kamplan.engine.resources.allocation.explanations import explain_unmet
from kamplan.engine.resources.allocation.model import EPS, Allocation, Instance
from kamplan.engine.resources.allocation.outcome import allocation_from_rows
from kamplan.engine.resources.allocation.state import State


def greedy(instance: Instance) -> Allocation:
    """Marginal analysis: forced requests, then coverage minimums, then the best value per unit first."""
    t0 = time.perf_counter()
    c = Compiled(instance)
    st = greedy_state(c)
    alloc = allocation_from_rows(c, st.rows, "greedy", "greedy", math.nan, time.perf_counter() - t0)
    alloc.problems = c.problems + st.problems
    if any(p.is_error for p in st.problems):
        alloc.status = "infeasible"
    alloc.greedy_objective = alloc.objective
    alloc.unmet = explain_unmet(instance, alloc, _compiled=c)
    return alloc


def greedy_state(c: Compiled) -> State:
    """The greedy's support: forced requests, then coverage minimums, then marginal analysis;
    ``State.problems`` says what could not be placed."""
    st = State(c)
    st.problems = []
    _place_forced(c, st)
    _place_coverage(c, st)
    _marginal_analysis(c, st)
    return st


def _place_forced(c: Compiled, st: State) -> None:
    for k, r in enumerate(c.reqs):
        if r.id in c.inst.force_in:
            got = st.place(k, r.amount)
            if got < r.amount - EPS:
                st.problems.append(problem("alloc.forced-request-does-not-fit", request=r.id, amount=f"{r.amount:g}",
                                           kind=r.kind, got=f"{got:g}"))


def _place_coverage(c: Compiled, st: State) -> None:
    """Per (account, kind) with a minimum, most valuable account first: its requests, highest
    priority first, until the minimum is met."""
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
            st.problems.append(problem("alloc.coverage-not-met", account=key[0], found=f"{st.raw.get(key, 0.0):g}",
                                       minimum=f"{m:g}", kind=key[1]))


def _chunk(c: Compiled, st: State, k: int) -> tuple[float, float]:
    """The next piece of request k worth placing (to the response's next breakpoint, one whole unit,
    or the whole all-or-nothing request) and its value per unit; (0, 0) when there is none."""
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


def _marginal_analysis(c: Compiled, st: State) -> None:
    """Best value per unit first, with a lazy heap (ratios only fall as support grows: concave response)."""
    heap = []
    for k in range(len(c.reqs)):
        amt, ratio = _chunk(c, st, k)
        if ratio > 0:
            heap.append((-ratio, k))
    heapq.heapify(heap)
    while heap:
        neg, k = heapq.heappop(heap)
        amt, ratio = _chunk(c, st, k)
        if ratio <= 0:
            continue
        if ratio < -neg * (1 - 1e-12) - 1e-15:
            heapq.heappush(heap, (-ratio, k))
            continue
        got = st.place(k, amt)
        if got > EPS and c.reqs[k].divisible:
            amt2, ratio2 = _chunk(c, st, k)
            if ratio2 > 0:
                heapq.heappush(heap, (-ratio2, k))
