"""The MILP in flow form, built for HiGHS, and the packing of its solution onto named people."""
from __future__ import annotations

import math
import time

import numpy as np

from kamplan.engine.resources.allocation.compiled import Compiled
from kamplan.engine.resources.allocation.model import AON_PERSON_SLOTS, EPS


class _Builder:
    """Rows and columns as they are added; the columns' matrix entries in column order."""

    def __init__(self):
        self.kind_col, self.c_a, self.c_b, self.c_q = [], [], [], []  # kind 0=y (r,-,q) 1=x (r,i,q) 2=f (t,i,q) 3=z
        self.lo, self.hi, self.obj, self.integ = [], [], [], []
        self.rows_i, self.cols_i, self.vals = [], [], []
        self.row_lo, self.row_hi = [], []
        self.row_tag: list[tuple] = []

    def row(self, lb, ub, tag) -> int:
        self.row_lo.append(lb)
        self.row_hi.append(ub)
        self.row_tag.append(tag)
        return len(self.row_lo) - 1

    def col(self, kind, a, b, q, lb, ub, cost, integral, entries) -> int:
        col = len(self.lo)
        self.kind_col.append(kind)
        self.c_a.append(a)
        self.c_b.append(b)
        self.c_q.append(q)
        self.lo.append(lb)
        self.hi.append(ub)
        self.obj.append(cost)
        self.integ.append(1 if integral else 0)
        for row, v in entries:
            self.rows_i.append(row)
            self.cols_i.append(col)
            self.vals.append(v)
        return col


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
        bld = _Builder()
        self.row_tag = bld.row_tag
        self._resource_rows(bld)
        scale_max = max([s * (seg[0][1] if seg else 0) for s, seg in
                         zip(c.g_scale, (r.segments() for r in c.g_resp))] + [1.0])
        self.eps = 1e-9 * scale_max  # a tiny cost per unit: no support where it is worth nothing
        self.total_cap = sum(sum(row) for row in c.cap)
        self._eligibility_types()
        type_row = self._request_columns(bld)
        self._flow_columns(bld, type_row)
        self.seg_cols: list[list[int]] = []
        for g, resp in enumerate(c.g_resp):
            self.seg_cols.append([bld.col(3, g, s, -1, 0.0, length, c.g_scale[g] * slope, False,
                                          [(self.link_row[g], 1.0)])
                                  for s, (length, slope) in enumerate(resp.segments())])
        self._arrays(bld)

    def _resource_rows(self, bld: _Builder) -> None:
        """Capacity per person and quarter, budget per pool, what a customer can receive per quarter,
        the link of each (account, kind) group to its response, and the coverage minimums."""
        c = self.c
        cap = c.cap
        self.cap_row = {(i, j): bld.row(-math.inf, cap[i][j], ("capacity", i, j))
                        for i in range(len(c.people)) for j in range(len(c.quarters)) if cap[i][j] > EPS}
        self.budget_row = {kind: bld.row(-math.inf, pool.budget, ("budget", kind))
                           for kind, pool in c.pools.items() if pool.budget is not None}
        self.recv_row = {}
        for a in c.inst.accounts:
            if a.receive_capacity is not None:
                for j, q in enumerate(c.quarters):
                    self.recv_row[(a.account_id, j)] = bld.row(
                        -math.inf, float(a.receive_capacity.get(q, 0.0) or 0.0), ("receive", a.account_id, j))
        self.link_row = [bld.row(-math.inf, 0.0, ("link", g)) for g in range(len(c.g_resp))]
        self.cover_row = {key: bld.row(m, math.inf, ("cover",) + key) for key, m in c.cover.items()}

    def _eligibility_types(self) -> None:
        """Types: requests of one kind with the same eligible people (-1: nobody can serve it)."""
        c = self.c
        type_of: dict[tuple, int] = {}
        r_type = []
        for k, r in enumerate(c.reqs):
            key = (r.kind, tuple(sorted({i for i, _ in c.r_slots[k]}))) if c.r_slots[k] else None
            if key is not None and key not in type_of:
                type_of[key] = len(type_of)
            r_type.append(type_of.get(key, -1))
        self.types = list(type_of)
        self.r_type = r_type

    def _request_columns(self, bld: _Builder) -> dict[tuple[int, int], int]:
        """One row per servable request; its columns per quarter (or per person and quarter for
        all-or-nothing requests with ``aon="person"``).  Returns the (type, quarter) flow rows."""
        c = self.c
        type_row: dict[tuple[int, int], int] = {}
        for k, r in enumerate(c.reqs):
            if not c.r_slots[k]:
                continue
            forced = r.id in c.inst.force_in
            rr = bld.row((1.0 if not r.divisible else r.amount) if forced else -math.inf,
                         1.0 if not r.divisible else r.amount, ("request", k))
            coef = r.amount if not r.divisible else 1.0
            common = [(rr, 1.0), (self.link_row[c.r_group[k]], -c.r_pw[k] * coef)]
            if (r.account_id, r.kind) in self.cover_row:
                common.append((self.cover_row[(r.account_id, r.kind)], coef))
            if not r.divisible and self.aon == "person":
                self._person_columns(bld, k, coef, common)
            else:
                self._quarter_columns(bld, k, coef, common, type_row)
        return type_row

    def _person_columns(self, bld: _Builder, k: int, coef: float, common: list) -> None:
        c = self.c
        r = c.reqs[k]
        for i, j in c.r_slots[k]:
            ent = common + [(self.cap_row[(i, j)], coef)]
            if c.cost[i] > 0 and r.kind in self.budget_row:
                ent.append((self.budget_row[r.kind], c.cost[i] * coef))
            if (r.account_id, j) in self.recv_row:
                ent.append((self.recv_row[(r.account_id, j)], coef))
            bld.col(1, k, i, j, 0.0, 1.0, -self.eps * coef, True, ent)

    def _quarter_columns(self, bld: _Builder, k: int, coef: float, common: list, type_row: dict) -> None:
        c = self.c
        r = c.reqs[k]
        t = self.r_type[k]
        for j in sorted({j for _, j in c.r_slots[k]}):
            if (t, j) not in type_row:
                type_row[(t, j)] = bld.row(-math.inf, 0.0, ("type", t, j))
            ent = common + [(type_row[(t, j)], coef)]
            if (r.account_id, j) in self.recv_row:
                ent.append((self.recv_row[(r.account_id, j)], coef))
            ub = 1.0 if not r.divisible else r.amount
            bld.col(0, k, -1, j, 0.0, ub, 0.0, (not r.divisible) or c.pools[r.kind].integral, ent)

    def _flow_columns(self, bld: _Builder, type_row: dict) -> None:
        """What each eligible person gives to a type in a quarter, against capacity and budget."""
        c = self.c
        for (t, j), row in type_row.items():
            kind, persons = self.types[t]
            for i in persons:
                if c.cap[i][j] <= EPS:
                    continue
                ent = [(row, -1.0), (self.cap_row[(i, j)], 1.0)]
                if c.cost[i] > 0 and kind in self.budget_row:
                    ent.append((self.budget_row[kind], c.cost[i]))
                bld.col(2, t, i, j, 0.0, c.cap[i][j], -self.eps, c.pools[kind].integral, ent)

    def _arrays(self, bld: _Builder) -> None:
        """The model as numpy arrays, the matrix column-wise as HiGHS takes it."""
        self.kind_col = np.array(bld.kind_col, dtype=np.int64)
        self.c_a, self.c_b, self.c_q = (np.array(v, dtype=np.int64) for v in (bld.c_a, bld.c_b, bld.c_q))
        self.lo, self.hi = np.array(bld.lo), np.array(bld.hi)
        self.obj = np.array(bld.obj)
        self.integ = np.array(bld.integ, dtype=np.int64)
        self.row_lo, self.row_hi = np.array(bld.row_lo), np.array(bld.row_hi)
        n_col, n_row = len(bld.lo), len(bld.row_lo)
        ci = np.array(bld.cols_i, dtype=np.int64)  # already grouped by column, in column order
        self.a_index = np.array(bld.rows_i, dtype=np.int32)
        self.a_value = np.array(bld.vals, dtype=float)
        self.a_start = np.searchsorted(ci, np.arange(n_col + 1)).astype(np.int32)
        self.n_col, self.n_row = n_col, n_row
        self.is_aon = np.array([kind in (0, 1) and not self.c.reqs[a].divisible
                                for kind, a in zip(bld.kind_col, bld.c_a)], dtype=bool)

    def highs(self, relax=False, fix=None):
        """The model passed to a HiGHS instance; ``relax``: as an LP; ``fix``: (columns, values) held fixed."""
        lo, hi = self.lo.copy(), self.hi.copy()
        if fix is not None:
            idx, v = fix
            lo[idx] = v
            hi[idx] = v
        integral = self.integ if not relax and self.integ.any() else None
        return _maximise(self.obj, lo, hi, self.row_lo, self.row_hi, self.a_start, self.a_index, self.a_value,
                         integral)

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

        ``relaxed``: an LP solution; fractions of all-or-nothing requests are kept as amounts.
        What does not pack is repacked per quarter and pool (``_repack``) within ``until``."""
        out, flow, need = self._solution_parts(x, relaxed)
        free, budget_left = self._unused(flow)
        dropped: set[tuple[int, str]] = set()
        for key, items in sorted(need.items(), key=lambda kv: kv[0][1]):
            left = flow.get(key, {})
            items.sort(key=lambda kv: (self.c.reqs[kv[0]].divisible, -kv[1], kv[0]))
            for k, amt in items:
                r = self.c.reqs[k]
                if not r.divisible and not relaxed:
                    row = self._one_person(k, amt, key, left, free, budget_left)
                    if row is None:
                        dropped.add((key[1], r.kind))  # repacked below
                    else:
                        out.append(row)
                else:
                    out += _share_flow(k, amt, key[1], left)
        todo = sorted(dropped)
        for n, (j, kind) in enumerate(todo):
            left_s = 1.0 if until is None else (until - time.perf_counter()) / (len(todo) - n)
            out = self._repack(out, need, j, kind, time_limit=min(1.0, max(0.1, left_s)))
        return out

    def _solution_parts(self, x: np.ndarray, relaxed: bool):
        """From the column values: rows of all-or-nothing requests on named people, the flows
        (type, quarter) -> person -> units, and the requests drawing on each flow with their amounts."""
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
        return out, flow, need

    def _unused(self, flow) -> tuple[dict, dict]:
        """Capacity no flow uses, and budget no flow spends: all-or-nothing requests that do not fit
        into one person's share of their type's flow may top it up from there."""
        c = self.c
        free = {}
        spent: dict[str, float] = {}
        for (t, j), per in flow.items():
            kind = self.types[t][0]
            for i, v in per.items():
                free[(i, j)] = free.get((i, j), c.cap[i][j]) - v
                spent[kind] = spent.get(kind, 0.0) + v * c.cost[i]
        budget_left = {k: (p.budget - spent.get(k, 0.0) if p.budget is not None else math.inf)
                       for k, p in c.pools.items()}
        return free, budget_left

    def _one_person(self, k: int, amt: float, key: tuple[int, int], left: dict, free: dict,
                    budget_left: dict) -> tuple[int, int, int, float] | None:
        """An all-or-nothing request on one person: the tightest share of the flow that fits it, else
        the fullest share topped up from unused capacity and budget; None when nobody can take it."""
        c = self.c
        r = c.reqs[k]
        j = key[1]
        fit = [i for i, v in left.items() if v >= amt - 1e-6]
        if fit:
            i = min(fit, key=lambda i: (left[i], i))
            left[i] -= amt
            return k, i, j, amt
        top = [i for i in self.types[key[0]][1] if
               left.get(i, 0.0) + free.get((i, j), c.cap[i][j]) >= amt - 1e-6 and
               c.cost[i] * (amt - left.get(i, 0.0)) <= budget_left[r.kind] + 1e-6]
        if not top:
            return None
        i = max(top, key=lambda i: (left.get(i, 0.0), -i))
        extra = amt - left.get(i, 0.0)
        left[i] = 0.0
        free[(i, j)] = free.get((i, j), c.cap[i][j]) - extra
        budget_left[r.kind] -= c.cost[i] * extra
        return k, i, j, amt

    def _repack(self, rows, need, j: int, kind: str, time_limit: float = 1.0):
        """Pack quarter j of one pool again as a small MILP: every request keeps its amount (or is
        dropped), all-or-nothing on one person, people's capacity and the pool's budget hold.
        The new packing replaces the old one only when it places more weighted support."""
        c = self.c
        items = [(k, amt) for (t, q), its in need.items() if q == j and self.types[t][0] == kind for k, amt in its]
        mine = [row for row in rows if row[2] == j and c.reqs[row[0]].kind == kind]
        others = [row for row in rows if not (row[2] == j and c.reqs[row[0]].kind == kind)]
        pool = c.pools[kind]
        budget = math.inf if pool.budget is None else \
            pool.budget - sum(a * c.cost[i] for k, i, _, a in others if c.reqs[k].kind == kind)
        small = _Repacking(c, items, j, pool.integral)
        if not small.cols:
            return rows
        x = small.solve(budget, time_limit)
        if x is None:
            return rows
        new = []
        for (k, i, aon_amt), v in zip(small.cols, x):
            v = float(round(v)) if (aon_amt is not None or pool.integral) else float(v)
            if v > 1e-6:
                new.append((k, i, j, aon_amt if aon_amt is not None else v))
        weight = lambda rs: sum(a * (c.g_scale[c.r_group[k]] * c.r_pw[k] + 1.0) for k, _, _, a in rs)
        return others + new if weight(new) > weight(mine) + 1e-9 else rows


def _share_flow(k: int, amt: float, j: int, left: dict) -> list[tuple[int, int, int, float]]:
    """A divisible request drawn from the people's shares of its type's flow, in person order."""
    out = []
    for i in sorted(left):
        if amt <= 1e-6:
            break
        take = min(amt, left[i])
        if take > 1e-6:
            left[i] -= take
            amt -= take
            out.append((k, i, j, take))
    return out


class _Repacking:
    """The small MILP of one quarter and pool: a column per (request, eligible person), rows for
    the people's capacity, the budget and each request's amount; value per unit weighted by
    priority and account value (+1, so any placed unit counts)."""

    def __init__(self, c: Compiled, items: list[tuple[int, float]], j: int, integral_pool: bool):
        self.c, self.items, self.j = c, items, j
        self.cols, self.lo, self.hi, self.obj, self.integ, self.ent = [], [], [], [], [], []
        self.persons = sorted({i for k, _ in items for i, jj in c.r_slots[k] if jj == j})
        prow = {i: n for n, i in enumerate(self.persons)}
        n_p = len(self.persons)
        for n, (k, amt) in enumerate(items):
            r = c.reqs[k]
            w = c.g_scale[c.r_group[k]] * c.r_pw[k] + 1.0
            for i, jj in c.r_slots[k]:
                if jj != j:
                    continue
                aon = not r.divisible
                self.cols.append((k, i, amt if aon else None))
                self.lo.append(0.0)
                self.hi.append(1.0 if aon else amt)
                self.obj.append(w * (amt if aon else 1.0))
                self.integ.append(aon or integral_pool)
                coef = amt if aon else 1.0
                self.ent.append([(prow[i], coef), (n_p, c.cost[i] * coef), (n_p + 1 + n, 1.0)])

    def solve(self, budget: float, time_limit: float) -> np.ndarray | None:
        """The column values, or None when HiGHS finds no solution."""
        c = self.c
        start, index, value = [0], [], []
        for e in self.ent:
            for row, v in e:
                index.append(row)
                value.append(v)
            start.append(len(index))
        n_rows = len(self.persons) + 1 + len(self.items)
        row_hi = np.array([c.cap[i][self.j] for i in self.persons] + [budget] +
                          [1.0 if not c.reqs[k].divisible else amt for k, amt in self.items])
        h = _maximise(np.array(self.obj), np.array(self.lo), np.array(self.hi), np.full(n_rows, -math.inf), row_hi,
                      np.array(start, dtype=np.int32), np.array(index, dtype=np.int32), np.array(value), self.integ)
        h.setOptionValue("time_limit", float(time_limit))
        h.run()
        sol = h.getSolution()
        return np.asarray(sol.col_value) if sol.value_valid else None


def _maximise(obj, lo, hi, row_lo, row_hi, start, index, value, integral=None):
    """A HiGHS instance holding max obj.x, lo <= x <= hi, row_lo <= A x <= row_hi (A column-wise);
    ``integral``: per column, whether it is an integer (None: an LP)."""
    import highspy
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(obj), len(row_lo)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = obj
    lp.col_lower_, lp.col_upper_ = lo, hi
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = len(obj), len(row_lo)
    if integral is not None:
        lp.integrality_ = [highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
                           for v in integral]
    h.passModel(lp)
    return h


def aon_mode(c: Compiled, aon: str) -> str:
    """``person`` (exact) unless the all-or-nothing person slots are too many, then ``quarter``."""
    if aon != "auto":
        return aon
    n = sum(len(s) for k, s in enumerate(c.r_slots) if not c.reqs[k].divisible)
    return "person" if n <= AON_PERSON_SLOTS else "quarter"
