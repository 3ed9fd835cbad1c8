"""An ``Allocation`` from (request, person, quarter, amount) rows, with its value and gap."""
from __future__ import annotations

import math
import time

import pandas as pd

from kamplan.engine.resources.allocation.compiled import Compiled
from kamplan.engine.resources.allocation.model import ASSIGNMENT_COLUMNS, GENERALIST, Allocation


def infeasible(c: Compiled, problems, t0) -> Allocation:
    return Allocation(pd.DataFrame({col: [] for col in ASSIGNMENT_COLUMNS}), {}, math.nan, math.nan, math.nan,
                      "infeasible", "milp", time.perf_counter() - t0, problems=list(problems))


def total_value(c: Compiled, rows) -> float:
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


def allocation_from_rows(c: Compiled, rows, status, method, bound, seconds) -> Allocation:
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
    obj = total_value(c, rows)
    gap = _gap(obj, bound)
    return Allocation(frame, given, obj, bound, gap, status, method, seconds)
