"""Support given so far: capacity, budget and customer room left, and the response reached."""
from __future__ import annotations

import math

from kamplan.engine.resources.allocation.compiled import Compiled
from kamplan.engine.resources.allocation.model import EPS, Request


class State:
    def __init__(self, c: Compiled):
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
