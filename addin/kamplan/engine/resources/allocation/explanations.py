"""Unmet requests: why each was not (fully) served, and what would make it fit."""
from __future__ import annotations

import math

from kamplan.engine.resources.allocation.compiled import Compiled
from kamplan.engine.resources.allocation.model import EPS, Allocation, Instance, Request, Unmet
from kamplan.engine.resources.allocation.state import State
from kamplan.problems import Message  # the reasons are said in the workbook's or console's language


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


Explanation = tuple[str, Message, Message]  # code, reason, fix (the catalogue's resources.why.* / resources.fix.*)


def _said(code: str, why: str, fix: str, **fields) -> Explanation:
    return code, Message(f"resources.why.{why}", **fields), Message(f"resources.fix.{fix}", **fields)


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
        return _said("forced-out", "forced-out", "forced-out")
    a = c.acc.get(r.account_id)
    if static == "class":
        return _said("class", "class", "class", account=r.account_id, cls=a.cls if a else "?")
    if static == "eligibility":
        return _eligibility_reason(c, r, a)
    elig = c.eligible_people(r)
    if static == "too-big":
        best = max(((c.cap[i][j], i, j) for i in elig for j in range(len(c.quarters))), default=(0, 0, 0))
        return _said("too-big", "too-big", "too-big", amount=f"{r.amount:g}", unit=unit, person=c.people[best[1]].id,
                     most=f"{best[0]:g}", quarter=qname[best[2]])
    later = _later_quarters(c, c.cap, r, need, elig)
    if later:
        return _said("deadline", "deadline", "move-deadline", deadline=r.deadline, later=later[0])
    return _said("deadline", "deadline", "capacity-before-deadline", deadline=r.deadline)


def _eligibility_reason(c: Compiled, r: Request, a) -> Explanation:
    if r.kind not in c.pools or not c.by_pool.get(r.kind):
        return _said("eligibility", "no-pool", "no-pool", kind=r.kind)
    region = repr(a.region) if a else "?"
    if r.skill:
        return _said("eligibility", "no-skill-region", "skill-region", kind=r.kind, skill=repr(r.skill), region=region)
    return _said("eligibility", "no-region", "region", kind=r.kind, region=region)


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
        return _said("budget", "budget", "budget", kind=r.kind, left=f"{st.budget[r.kind]:,.0f}",
                     needed=f"{need * cmin:,.0f}", more=f"{more:,.0f}")
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
    busy = ", ".join(f"{c.people[i].id} {qname[j]} {v:g}" for (i, j), v in sorted(free.items())[:6])
    i_best, j_best = max(free, key=lambda s: (free[s], s[1]))
    missing = need - (sum(free.values()) if r.divisible else free[(i_best, j_best)])
    later = _later_quarters(c, st.cap, r, need, c.eligible_people(r))
    fields = {"quarters": "-".join(qname[j] for j in (qs[0], qs[-1])), "deadline": r.deadline, "busy": busy,
              "missing": f"{missing:g}", "unit": unit, "person": c.people[i_best].id, "quarter": qname[j_best]}
    if later:
        return _said("capacity", "capacity", "capacity-or-deadline", later=later[0], **fields)
    return _said("capacity", "capacity", "capacity", **fields)


def _customer_reason(c: Compiled, st: State, k: int, r: Request, need: float) -> Explanation | None:
    rec = st.receive.get(r.account_id)
    if rec is None:
        return None
    room = [min(st.cap[i][j], rec[j]) for i, j in c.r_slots[k]]
    if (sum(room) < need - 1e-6) if r.divisible else not any(v >= need - 1e-6 for v in room):
        return _said("customer", "customer", "customer", account=r.account_id)
    return None


def _value_reason(c: Compiled, st: State, k: int, r: Request, need: float, unit: str, marginal) -> Explanation:
    g = c.r_group[k]
    s = st.s[g]
    resp = c.g_resp[g]
    step = min(need, 1.0) if r.divisible else need
    mine = c.g_scale[g] * (resp.value(s + c.r_pw[k] * step) - resp.value(s)) / step
    price = marginal.get(r.kind, 0.0)
    return _said("value", "value", "value", value=f"{mine:,.0f}", per=unit.rstrip("s"), kind=r.kind,
                 price=f"{price:,.0f}")
