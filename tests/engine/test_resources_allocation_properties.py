"""Properties of any allocation: capacities, deadlines, budgets, forced choices, all-or-nothing, bounds."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamplan.engine.resources.allocation import (
    AccountValue, CoverageRule, Instance, Person, Pool, Request, Response, greedy, solve,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = ("executive", "technical", "advisor")
REGIONS = ("north", "south")
SKILLS = ("process", "quality")
TOL = 1e-6


@st.composite
def instances(draw, textbook=False):
    pools = (Pool("executive", "visits", None, 2.0, integral=not textbook),
             Pool("technical", "days"),
             Pool("advisor", "days", None if textbook else draw(st.sampled_from([None, 0.0, 2000.0, 5000.0])), 1.5))
    people = []
    for n in range(draw(st.integers(1, 5))):
        kind = KINDS[n % 3] if n < 3 else draw(st.sampled_from(KINDS))
        caps = {q: float(draw(st.integers(0, 4))) for q in (1, 2, 3, 4)}
        skills = frozenset() if textbook else frozenset(draw(st.lists(st.sampled_from(SKILLS), max_size=2)))
        regions = frozenset() if textbook else frozenset(draw(st.lists(st.sampled_from(REGIONS), max_size=1)))
        cost = 0.0 if textbook or kind != "advisor" else float(draw(st.sampled_from([500, 1000])))
        people.append(Person(f"p{n}", kind, caps, skills, regions, cost))
    accounts = []
    for n in range(draw(st.integers(1, 4))):
        rc = None if textbook else draw(st.one_of(st.none(), st.just({1: 2.0, 2: 2.0, 3: 2.0, 4: 2.0})))
        cls = draw(st.sampled_from(["key", "develop"]))
        accounts.append(AccountValue(f"A{n}", float(draw(st.integers(1, 20))), cls, draw(st.sampled_from(REGIONS)),
                                     receive_capacity=rc))
    reqs = []
    for n in range(draw(st.integers(0, 8))):
        a = draw(st.sampled_from(accounts))
        kind = draw(st.sampled_from(KINDS))
        reqs.append(Request(f"r{n}", a.account_id, kind, float(draw(st.integers(1, 5))),
                            4 if textbook else draw(st.integers(1, 4)),
                            draw(st.sampled_from(["high", "medium", "low"])),
                            True if textbook else draw(st.booleans()),
                            None if textbook else draw(st.sampled_from([None, None, "process"]))))
    responses = {"key": Response.adbudg(6, c=0.7, d=1.0), "develop": Response.points([(2, 0.5), (5, 0.8)])}
    force_in, force_out, rules = frozenset(), frozenset(), ()
    if not textbook and reqs:
        force_in = frozenset(draw(st.lists(st.sampled_from([r.id for r in reqs]), max_size=1)))
        force_out = frozenset(draw(st.lists(st.sampled_from([r.id for r in reqs]), max_size=2))) - force_in
        if draw(st.booleans()):
            rules = (CoverageRule("key", "executive", 1.0),)
    return Instance(pools, tuple(people), tuple(accounts), tuple(reqs), responses, rules, force_in, force_out)


def check_feasible(inst: Instance, alloc):
    a = alloc.assignments
    people = {p.id: p for p in inst.people}
    reqs = {r.id: r for r in inst.requests}
    accounts = {x.account_id: x for x in inst.accounts}
    for (pid, q), used in a.groupby(["person_id", "quarter"])["amount"].sum().items():
        assert used <= people[pid].capacity.get(q, 0) + TOL, f"{pid} over capacity in Q{q}"
    for row in a.itertuples():
        assert row.amount > 0
        r = reqs.get(row.request_id)
        p = people[row.person_id]
        if r is None:  # a generated coverage request
            assert row.request_id.startswith("coverage:")
            continue
        assert row.quarter <= r.deadline, f"{r.id} after its deadline"
        assert p.pool == r.kind
        assert not r.skill or r.skill in p.skills
        assert not p.regions or accounts[r.account_id].region in p.regions
        if inst.pools[[x.kind for x in inst.pools].index(r.kind)].integral:
            assert row.amount == pytest.approx(round(row.amount))
    for rid, g in alloc.given.items():
        r = reqs.get(rid)
        if r is None:
            continue
        assert g <= r.amount + TOL
        if not r.divisible:
            rows = a[a.request_id == rid]
            assert g in (0.0, r.amount) and len(rows) <= 1, f"all-or-nothing {rid} split or partial"
        if rid in inst.force_out:
            assert g == 0
    for pool in inst.pools:
        if pool.budget is not None:
            assert a.loc[a.kind == pool.kind, "cost"].sum() <= pool.budget + 1e-4
    for acc in inst.accounts:
        if acc.receive_capacity:
            got = a[a.account_id == acc.account_id].groupby("quarter")["amount"].sum()
            for q, v in got.items():
                assert v <= acc.receive_capacity[q] + TOL


@SETTINGS
@given(instances())
def test_any_allocation_is_feasible_and_bounded(inst):
    g = greedy(inst)
    m = solve(inst, time_limit=5)
    if m.status == "infeasible":
        assert m.problems and all(p.fix for p in m.problems)
        return
    for alloc in (g, m):
        if alloc.status != "infeasible":
            check_feasible(inst, alloc)
    check_feasible(inst, m)
    assert m.status == "optimal" and m.gap <= 1e-4 + 1e-9
    assert m.objective <= m.bound * (1 + 1e-7) + 1e-7
    if g.status != "infeasible":
        assert g.objective <= m.objective * (1 + 1e-7) + 1e-7
    for rid in inst.force_in:
        r = next(r for r in inst.requests if r.id == rid)
        assert m.given[rid] == pytest.approx(r.amount)
    for (aid, kind), _ in [((a.account_id, rule.kind), rule) for rule in inst.rules for a in inst.accounts
                           if a.cls == rule.cls]:
        got = m.assignments[(m.assignments.account_id == aid) & (m.assignments.kind == kind)]["amount"].sum()
        assert got >= 1 - TOL
    unmet = {u.request_id for u in m.unmet}
    assert unmet == {rid for rid, v in m.given.items() if v < _amount(inst, m, rid) - 1e-6}
    assert all(u.reason and u.fix for u in m.unmet)


def _amount(inst, alloc, rid):
    r = next((r for r in inst.requests if r.id == rid), None)
    if r is not None:
        return r.amount
    return next(u.asked for u in alloc.unmet if u.request_id == rid) if any(
        u.request_id == rid for u in alloc.unmet) else alloc.given[rid]


@SETTINGS
@given(instances(textbook=True))
def test_greedy_is_optimal_in_the_textbook_case(inst):
    g = greedy(inst)
    m = solve(inst, warm_start=False)
    assert m.status == "optimal"
    assert g.objective == pytest.approx(m.objective, rel=1e-7, abs=1e-7)


@SETTINGS
@given(instances(), st.data())
def test_forcing_the_solution_changes_nothing_and_forcing_out_never_gains(inst, data):
    m = solve(inst)
    if m.status == "infeasible" or not inst.requests:
        return
    served = [r.id for r in inst.requests if m.given.get(r.id, 0) > 0 and r.id not in inst.force_in]
    if served:
        rid = data.draw(st.sampled_from(served))
        out = solve(dataclasses.replace(inst, force_out=inst.force_out | {rid}))
        if out.status != "infeasible":
            assert out.objective <= m.objective * (1 + 1e-4) + 1e-7
            assert out.given[rid] == 0


@pytest.mark.parametrize("aon", ["person", "quarter"])
def test_generated_instance_is_feasible_in_both_all_or_nothing_modes(aon):
    from kamplan.engine.resources.allocation import generate_instance
    inst = generate_instance(150, seed=3)
    m = solve(inst, time_limit=10, aon=aon)
    check_feasible(inst, m)
    assert m.objective <= m.bound * (1 + 1e-7) and m.gap < 0.01
    assert m.objective >= m.greedy_objective - 1e-6
