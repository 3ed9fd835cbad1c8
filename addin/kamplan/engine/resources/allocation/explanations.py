"""Unmet requests: why each was not (fully) served, and what would make it fit."""
from __future__ import annotations

import math

from kamplan.engine.resources.allocation.compiled import Compiled
from kamplan.engine.resources.allocation.model import EPS, Allocation, Instance, Request, Unmet
from kamplan.engine.resources.allocation.state import State


def explain_unmet(instance: Instance, allocation: Allocation, _compiled: Compiled | None = None) -> list[Unmet]:
    """Every request given less than it asked, with the binding reason and a fix, in request order."""
    c = _compiled or Compiled(instance)
    if allocation.status == "infeasible" and not allocation.given:
        return []
    st = State(c)
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


def _marginal_ratio(c: Compiled, st: State) -> dict[str, float]:
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


Explanation = tuple[str, str, str]  # code, reason, fix


def _reason(c: Compiled, st: State, k: int, r: Request, need: float, unit: str, marginal) -> Explanation:
    """The first reason that holds, in this order: why the request can never be served, the budget,
    the capacity, the customer's room, and last its value compared with what the capacity earns."""
    qname = {j: f"Q{q}" for j, q in enumerate(c.quarters)}
    static = c.r_static[k]
    if static is not None:
        return _static_reason(c, r, static, need, unit, qname)
    return (_budget_reason(c, st, k, r, need) or _capacity_reason(c, st, k, r, need, unit, qname)
            or _customer_reason(c, st, k, r, need) or _value_reason(c, st, k, r, need, unit, marginal))


def _static_reason(c: Compiled, r: Request, static: str, need: float, unit: str, qname: dict) -> Explanation:
    """Requests no plan can serve: forced out, class, nobody eligible, too big, past the deadline."""
    if static == "forced-out":
        return "forced-out", "ruled out by the VP (forced out)", "take it off the forced-out list"
    a = c.acc.get(r.account_id)
    if static == "class":
        return ("class", f"account {r.account_id} ({a.cls if a else 'unknown'}) may not get support",
                "change the account's class or the class rule (support_eligible)")
    if static == "eligibility":
        return _eligibility_reason(c, r, a)
    elig = c.eligible_people(r)
    if static == "too-big":
        best = max(((c.cap[i][j], i, j) for i in elig for j in range(len(c.quarters))), default=(0, 0, 0))
        return ("too-big", f"all-or-nothing {r.amount:g} {unit}: no eligible person has that much in one quarter "
                f"(most: {c.people[best[1]].id} {best[0]:g} in {qname[best[2]]})",
                f"make it divisible, or raise {c.people[best[1]].id}'s {qname[best[2]]} capacity to {r.amount:g}")
    later = _later_quarters(c, c.cap, r, need, elig)
    return ("deadline", f"no eligible capacity by the deadline Q{r.deadline}",
            f"move the deadline to Q{later[0]}" if later else "add capacity before the deadline")


def _eligibility_reason(c: Compiled, r: Request, a) -> Explanation:
    if r.kind not in c.pools or not c.by_pool.get(r.kind):
        return "eligibility", f"there is no {r.kind} pool or person", f"add a {r.kind} person"
    why = []
    if r.skill:
        why.append(f"skill {r.skill!r}")
    why.append(f"region {a.region!r}" if a else "its region")
    return ("eligibility", f"no {r.kind} person has {' and '.join(why)}",
            f"give a {r.kind} person serving {a.region if a else 'its region'!r} the skill {r.skill!r}"
            if r.skill else f"let a {r.kind} person serve region {a.region if a else ''!r}")


def _later_quarters(c: Compiled, cap, r: Request, need: float, elig: list[int]) -> list[int]:
    """Quarters after the deadline in which an eligible person has room for the request."""
    return [q for j, q in enumerate(c.quarters) if q > r.deadline
            and any(cap[i][j] >= (need if not r.divisible else EPS) for i in elig)]


def _budget_reason(c: Compiled, st: State, k: int, r: Request, need: float) -> Explanation | None:
    if c.pools[r.kind].budget is None:
        return None
    cmin = min(c.cost[i] for i, _ in c.r_slots[k])
    if cmin > 0 and st.budget[r.kind] < need * cmin - 1e-6:
        more = need * cmin - st.budget[r.kind]
        return ("budget", f"the {r.kind} budget is spent ({st.budget[r.kind]:,.0f} left, "
                f"{need * cmin:,.0f} needed)", f"raise the {r.kind} budget by {more:,.0f}")
    return None


def _capacity_reason(c: Compiled, st: State, k: int, r: Request, need: float, unit: str,
                     qname: dict) -> Explanation | None:
    slots = c.r_slots[k]
    free = {(i, j): st.cap[i][j] for i, j in slots}
    if r.divisible:
        short = sum(free.values()) < need - 1e-6
    else:
        short = not any(v >= need - 1e-6 for v in free.values())
    if not short:
        return None
    qs = sorted({j for _, j in slots})
    busy = ", ".join(f"{c.people[i].id} {qname[j]} {v:g} free" for (i, j), v in sorted(free.items())[:6])
    i_best, j_best = max(free, key=lambda s: (free[s], s[1]))
    missing = need - (sum(free.values()) if r.divisible else free[(i_best, j_best)])
    later = _later_quarters(c, st.cap, r, need, c.eligible_people(r))
    fix = f"{missing:g} more {unit} of {c.people[i_best].id} in {qname[j_best]}"
    if later:
        fix += f", or move the deadline to Q{later[0]}"
    return ("capacity", f"eligible people are booked in {'-'.join(qname[j] for j in (qs[0], qs[-1]))} "
            f"by the deadline Q{r.deadline} ({busy})", fix)


def _customer_reason(c: Compiled, st: State, k: int, r: Request, need: float) -> Explanation | None:
    rec = st.receive.get(r.account_id)
    if rec is None:
        return None
    room = [min(st.cap[i][j], rec[j]) for i, j in c.r_slots[k]]
    if (sum(room) < need - 1e-6) if r.divisible else not any(v >= need - 1e-6 for v in room):
        return ("customer", f"customer {r.account_id} cannot receive more support in those quarters",
                "agree more visit days with the customer, or move the deadline")
    return None


def _value_reason(c: Compiled, st: State, k: int, r: Request, need: float, unit: str, marginal) -> Explanation:
    g = c.r_group[k]
    s = st.s[g]
    resp = c.g_resp[g]
    step = min(need, 1.0) if r.divisible else need
    mine = c.g_scale[g] * (resp.value(s + c.r_pw[k] * step) - resp.value(s)) / step
    price = marginal.get(r.kind, 0.0)
    return ("value", f"its value ({mine:,.0f} per {unit.rstrip('s')}) is below what the {r.kind} capacity earns "
            f"elsewhere (at least {price:,.0f} per {unit.rstrip('s')})",
            "raise its priority or the account's value, force it in (re-solve to see the cost), or add capacity")
