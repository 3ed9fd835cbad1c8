"""``solve``: the MILP solved by HiGHS from the greedy start, with prechecks for rules that cannot hold."""
from __future__ import annotations

import math
import time

import numpy as np

from kamplan.problems import Message, Problem, problem
from kamplan.engine.resources.allocation.compiled import Compiled
from kamplan.engine.resources.allocation.explanations import explain_unmet
from kamplan.engine.resources.allocation.heuristic import greedy_state
from kamplan.engine.resources.allocation.milp import Milp, aon_mode
from kamplan.engine.resources.allocation.model import EPS, Allocation, Instance
from kamplan.engine.resources.allocation.outcome import allocation_from_rows, infeasible, total_value


_STATUS = {"Optimal": "optimal", "Time limit reached": "time-limit", "Infeasible": "infeasible",
           "Primal infeasible or unbounded": "infeasible", "Model empty": "optimal", "Empty": "optimal"}


def solve(instance: Instance, time_limit: float = 5.0, mip_gap: float = 1e-4, warm_start: bool = True,
          relax: bool = False, threads: int | None = None, aon: str = "auto") -> Allocation:
    """Maximise total value with HiGHS within ``time_limit`` seconds; see the module docstring.

    ``relax=True`` solves the LP relaxation (a bound) instead; ``warm_start`` gives HiGHS the greedy
    solution, which is also returned if HiGHS finds nothing better in time (status ``greedy``
    when HiGHS found no solution at all).  ``threads``: HiGHS threads (its default when None)."""
    t0 = time.perf_counter()
    c = Compiled(instance)
    if any(p.is_error for p in c.problems):
        return infeasible(c, c.problems, t0)
    pre = _precheck(c)
    if pre:
        return infeasible(c, c.problems + pre, t0)
    gst = greedy_state(c) if warm_start and not relax else None
    m = Milp(c, aon=aon_mode(c, aon))
    h = m.highs(relax=relax)
    reserve = 0.1 * time_limit if m.aon == "quarter" and not relax else 0.0  # for packing onto people
    h.setOptionValue("time_limit", float(max(time_limit - reserve - (time.perf_counter() - t0), 0.05)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if threads:
        h.setOptionValue("threads", int(threads))
    greedy_obj = _warm_start(h, c, m, gst)
    h.run()
    status = _STATUS.get(h.modelStatusToString(h.getModelStatus()), h.modelStatusToString(h.getModelStatus()))
    info = h.getInfo()
    if status == "infeasible":
        return infeasible(c, c.problems + [_why_infeasible(c)], t0)
    has, rows = _solution_rows(h, m, info, relax, gst, t0 + time_limit)
    bound = _bound(m, info, status, relax)
    method, status = ("lp", "lp" if status == "optimal" else status) if relax else ("milp", status)
    alloc = allocation_from_rows(c, rows, status if has or gst is None else "greedy", method, bound,
                                 time.perf_counter() - t0)
    if _greedy_is_better(gst, greedy_obj, alloc):
        alloc = allocation_from_rows(c, gst.rows, status, method, bound, time.perf_counter() - t0)
    if has and not relax and m.aon == "quarter" and status == "optimal" and _lost_in_packing(alloc, info):
        alloc.status = "feasible"  # an all-or-nothing request did not pack onto one person: not proven optimal
    alloc.greedy_objective = greedy_obj
    alloc.nodes = max(int(info.mip_node_count), 0) if not relax else 0
    alloc.problems = list(c.problems)
    alloc.unmet = explain_unmet(instance, alloc, _compiled=c)
    alloc.seconds = time.perf_counter() - t0
    return alloc


def _warm_start(h, c: Compiled, m: Milp, gst) -> float:
    """Give HiGHS the greedy solution (when the greedy met every rule); returns the greedy's value."""
    if gst is None:
        return math.nan
    if not any(p.is_error for p in gst.problems):
        import highspy
        sol = highspy.HighsSolution()
        sol.col_value = m.vector(gst.rows)
        sol.value_valid = True
        h.setSolution(sol)
    return total_value(c, gst.rows)


def _solution_rows(h, m: Milp, info, relax: bool, gst, until: float) -> tuple[bool, list]:
    """Whether HiGHS found a solution, and the rows on named people: its solution's, else the greedy's."""
    sol = h.getSolution()
    has = (info.primal_solution_status == 2 and sol.value_valid) or m.n_col == 0
    if has:
        return has, m.rows_of(np.asarray(sol.col_value), relaxed=relax, until=until)
    return has, gst.rows if gst is not None else []


def _greedy_is_better(gst, greedy_obj: float, alloc: Allocation) -> bool:
    return gst is not None and not math.isnan(greedy_obj) and greedy_obj > alloc.objective + 1e-9 \
        and not any(p.is_error for p in gst.problems)


def _lost_in_packing(alloc: Allocation, info) -> bool:
    """The allocation on named people is worth less than the solver's optimum."""
    return alloc.objective < info.objective_function_value - 1e-6 * abs(info.objective_function_value) - 1e-6


def _bound(m: Milp, info, status: str, relax: bool) -> float:
    """The proven upper bound: an LP's optimum, else the MILP's dual bound (inf when there is none),
    plus the tiny costs the model charges per unit."""
    if relax or not m.integ.any():
        return (info.objective_function_value if m.n_col else 0.0) + m.eps * m.total_cap \
            if status == "optimal" else math.inf
    db = info.mip_dual_bound
    return db + m.eps * m.total_cap if math.isfinite(db) else math.inf


def _precheck(c: Compiled) -> list[Problem]:
    """Rule sets that cannot hold, found without a solver (with the fix)."""
    out = []
    for key, m in c.cover.items():
        aid, kind = key
        ks = [k for k, r in enumerate(c.reqs) if (r.account_id, r.kind) == key and c.r_slots[k]]
        if not ks:
            people = c.by_pool.get(kind, [])
            out.append(problem("alloc.coverage-impossible", account=aid, minimum=f"{m:g}", kind=kind,
                             why=Message("alloc.why-no-one" if not people else "alloc.why-region"),
                             region=repr(c.acc[aid].region), cls=repr(c.acc[aid].cls)))
    need: dict[str, float] = {}
    for (aid, kind), m in c.cover.items():
        need[kind] = need.get(kind, 0.0) + m
    for kind, n in need.items():
        have = sum(sum(c.cap[i]) for i in c.by_pool.get(kind, []))
        if n > have + EPS:
            out.append(problem("alloc.coverage-over-capacity", need=f"{n:g}", kind=kind, have=f"{have:g}",
                             more=f"{n - have:g}"))
        pool = c.pools.get(kind)
        if pool and pool.budget is not None:
            cmin = min((c.cost[i] for i in c.by_pool.get(kind, [])), default=0.0)
            if n * cmin > pool.budget + EPS:
                out.append(problem("alloc.coverage-over-budget", need=n * cmin, kind=kind, budget=pool.budget))
    for k, r in enumerate(c.reqs):
        if r.id in c.inst.force_in and not c.r_slots[k]:
            out.append(problem("alloc.forced-request-impossible", request=r.id, why=str(c.r_static[k])))
    return out


def _why_infeasible(c: Compiled) -> Problem:
    forced = sorted(c.inst.force_in)
    rules = sorted({(k[1], m) for k, m in c.cover.items()})
    return problem("alloc.infeasible", rules=str(rules), forced=str(forced[:10]))
