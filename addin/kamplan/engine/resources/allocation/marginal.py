"""What-if: the value of one more unit of each person, pool and budget."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from kamplan.engine.resources.allocation.compiled import Compiled
from kamplan.engine.resources.allocation.milp import Milp, aon_mode
from kamplan.engine.resources.allocation.model import GENERALIST, Allocation, Instance, Person
from kamplan.engine.resources.allocation.outcome import total_value


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
    c = Compiled(instance)
    m = Milp(c, aon=aon_mode(c, "auto"))
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


def _rows(c: Compiled, allocation: Allocation) -> list[tuple[int, int, int, float]]:
    a = allocation.assignments
    return [(c.ridx[r], c.pidx[p], c.qidx[q], float(v)) for r, p, q, v in
            zip(a["request_id"], a["person_id"], a["quarter"], a["amount"]) if r in c.ridx and p in c.pidx]


def _resolve_gain(c: Compiled, allocation: Allocation, extra: Person, time_limit: float) -> float:
    import highspy
    skills = frozenset(r.skill for r in c.reqs if r.skill)
    inst = dataclasses.replace(c.inst, people=c.inst.people + (dataclasses.replace(extra, skills=skills),))
    c2 = Compiled(inst)
    m = Milp(c2, aon=aon_mode(c2, "auto"))
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
    new = total_value(c2, m.rows_of(np.asarray(s.col_value)))
    return max(new - allocation.objective, 0.0)
