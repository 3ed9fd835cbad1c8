"""The MILP in flow form, built for HiGHS, and the packing of its solution onto named people."""
from __future__ import annotations

import math
import time

import numpy as np

from kamplan.engine.resources.allocation.compiled import Compiled
from kamplan.engine.resources.allocation.model import AON_PERSON_SLOTS, EPS


class Milp:
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

    def __init__(self, c: Compiled, aon: str = "person"):
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


def aon_mode(c: Compiled, aon: str) -> str:
    """``person`` (exact) unless the all-or-nothing person slots are too many, then ``quarter``."""
    if aon != "auto":
        return aon
    n = sum(len(s) for k, s in enumerate(c.r_slots) if not c.reqs[k].divisible)
    return "person" if n <= AON_PERSON_SLOTS else "quarter"
