"""Instances from the config and the collected requests, and reproducible synthetic ones."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kamplan.engine.resources.allocation.model import (
    QUARTERS, AccountValue, CoverageRule, Instance, Person, Pool, Request, Response,
)


def instance_from_config(pools, classes, accounts, requests: pd.DataFrame, responses: dict,
                         quarter_of=None, values: dict | None = None, receive_capacity: dict | None = None,
                         force_in=(), force_out=()) -> Instance:
    """Build an ``Instance`` from the config's ``SupportPool`` list and ``ClassRule`` dict.

    ``accounts``: objects with ``id``, ``region`` and ``cls`` (the config's ``Account``);
    ``requests``: a ``model.REQUEST_COLUMNS`` frame (row index n gives request id ``R<n>``, or a
    ``request_id`` column); ``quarter_of(date) -> 1..4`` maps deadlines to fiscal quarters (a
    deadline that already is a quarter number is kept); ``values``: account id -> money at stake
    (default 1); ``ClassRule.executive_visits_per_year`` becomes a coverage rule and
    ``support_eligible`` the account's eligibility.
    """
    values = values or {}
    receive_capacity = receive_capacity or {}
    ps, people = [], []
    for pool in pools:
        ps.append(Pool(pool.kind, pool.unit, pool.budget, integral=pool.unit == "visits"))
        for p in pool.people:
            cap = {int(str(q).lstrip("Q")): float(v) for q, v in p.capacity.items()}
            people.append(Person(p.id, pool.kind, cap, frozenset(p.skills), frozenset(p.regions),
                                 float(p.cost_per_day)))
    accs = tuple(AccountValue(a.id, float(values.get(a.id, 1.0)), a.cls, a.region,
                              bool(classes[a.cls].support_eligible) if a.cls in classes else True,
                              receive_capacity.get(a.id)) for a in accounts)
    rules = tuple(CoverageRule(cls, "executive", float(rule.executive_visits_per_year))
                  for cls, rule in classes.items() if rule.executive_visits_per_year > 0)
    reqs = []
    ids = requests["request_id"] if "request_id" in requests.columns else [f"R{i}" for i in requests.index]
    for rid, row in zip(ids, requests.to_dict("records")):
        d = row.get("deadline")
        if d is None or (isinstance(d, float) and math.isnan(d)):
            dq = 4
        elif isinstance(d, (int, np.integer)):
            dq = int(d)
        else:
            dq = int(quarter_of(d)) if quarter_of else 4
        skill = row.get("skill")
        reqs.append(Request(str(rid), row["account_id"], row["kind"], float(row["amount"] or 0.0), dq,
                            row.get("priority") or "medium", bool(row.get("divisible", True)),
                            skill if isinstance(skill, str) and skill else None,
                            row.get("purpose") or "", row.get("task") or "", row.get("src")))
    return Instance(tuple(ps), tuple(people), accs, tuple(reqs), responses, rules, frozenset(force_in),
                    frozenset(force_out))


# ----------------------------------------------------------------------------------------------
# synthetic instances (tests, benchmarks)
# ----------------------------------------------------------------------------------------------
def generate_instance(n_accounts: int, seed: int = 0, requests_per_account: float = 2.0,
                      tightness: float = 0.55, coverage: bool = True) -> Instance:
    """A reproducible company: 3 pools x 4 quarters, ~``requests_per_account`` requests per account.

    Capacity is about ``tightness`` of what is asked, per pool; 6 regions; technical and advisor
    people have 2 of 4 skills and serve 3 regions; ~40 % of technical and half of the advisor
    requests are all-or-nothing; executive visits are whole units; key accounts must get one
    executive visit a year (when ``coverage``); customers receive at most 8 units a quarter.
    """
    rng = np.random.default_rng(seed)
    regions = [f"R{i}" for i in range(6)]
    classes = rng.choice(["key", "develop", "watch", "drop"], size=n_accounts, p=[0.2, 0.35, 0.3, 0.15])
    accounts = []
    for n in range(n_accounts):
        stake = float(np.round(rng.lognormal(13.0, 0.9), -2))
        margin = float(rng.uniform(0.1, 0.35))
        risk = float(rng.uniform(0.05, 0.3))
        accounts.append(AccountValue(f"A{n:04d}", round(stake * margin * risk * 10, 2), str(classes[n]),
                                     str(rng.choice(regions)), str(classes[n]) != "drop",
                                     {q: 8.0 for q in QUARTERS}))
    kinds = ["executive", "technical", "advisor"]
    tech_skills = ["process", "quality", "equipment", "safety"]
    adv_skills = ["finance", "strategy", "regulation", "export"]
    reqs = []
    asked = {k: 0.0 for k in kinds}
    n_req = rng.poisson(requests_per_account, size=n_accounts)
    for n, a in enumerate(accounts):
        for m in range(int(n_req[n])):
            kind = str(rng.choice(kinds, p=[0.35, 0.45, 0.2]))
            deadline = int(rng.choice([1, 2, 3, 4], p=[0.1, 0.2, 0.3, 0.4]))
            prio = str(rng.choice(["high", "medium", "low"], p=[0.3, 0.45, 0.25]))
            if kind == "executive":
                amount, div, skill = float(rng.integers(1, 4)), True, None
            elif kind == "technical":
                div = bool(rng.random() > 0.4)
                amount = float(rng.integers(1, 11)) if div else float(rng.integers(2, 6))
                skill = str(rng.choice(tech_skills)) if rng.random() < 0.5 else None
            else:
                div = bool(rng.random() > 0.5)
                amount = float(rng.integers(1, 6))
                skill = str(rng.choice(adv_skills)) if rng.random() < 0.5 else None
            asked[kind] += amount
            reqs.append(Request(f"{a.account_id}-{m}", a.account_id, kind, amount, deadline, prio, div, skill))
    n_exec = max(2, n_accounts // 60)
    n_tech = max(3, n_accounts // 25)
    n_adv = max(2, n_accounts // 50)
    people = []
    for kind, count, skills, cost in (("executive", n_exec, [], 0.0), ("technical", n_tech, tech_skills, 0.0),
                                      ("advisor", n_adv, adv_skills, 1.0)):
        per_q = max(asked[kind] * tightness / count / 4, 1.0)
        for i in range(count):
            cap = {q: float(max(1, round(per_q * rng.uniform(0.7, 1.3)))) for q in QUARTERS}
            sk = frozenset(rng.choice(skills, size=2, replace=False).tolist()) if skills else frozenset()
            reg = frozenset(rng.choice(regions, size=3, replace=False).tolist()) if kind != "executive" \
                else frozenset()
            people.append(Person(f"{kind[:3]}{i:02d}", kind, cap, sk, reg,
                                 round(float(rng.uniform(3000, 8000)), -2) if cost else 0.0))
    adv_cost = float(np.mean([p.cost_per_unit for p in people if p.pool == "advisor"]))
    pools = (Pool("executive", "visits", None, 3.0, True), Pool("technical", "days", None, 1.0),
             Pool("advisor", "days", round(asked["advisor"] * tightness * 0.8 * adv_cost, -3), 1.5))
    responses = {
        "key": Response.adbudg(8, c=0.8, d=1.5), "develop": Response.adbudg(8, c=0.7, d=2.5),
        "watch": Response.adbudg(8, c=0.6, d=1.0), "drop": Response.adbudg(4, c=0.5, d=4.0),
    }
    rules = (CoverageRule("key", "executive", 1.0),) if coverage else ()
    return Instance(pools, tuple(people), tuple(accounts), tuple(reqs), responses, rules)
