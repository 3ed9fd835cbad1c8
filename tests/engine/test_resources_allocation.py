"""Support allocation: hand-made cases with a known optimum, reasons for unmet requests, what-if."""
from __future__ import annotations

import math

import pytest

from kamplan.engine.resources.allocation import (
    ASSIGNMENT_COLUMNS, AccountValue, CoverageRule, Instance, Person, Pool, Request, Response, explain_unmet,
    generate_instance, greedy, instance_from_config, marginal_values, solve, with_capacity, with_forced,
)

ALL_Q = {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0}


def cap(**q):
    return {**ALL_Q, **{int(k[1]): float(v) for k, v in q.items()}}


def inst(requests, people, accounts, responses=None, pools=None, **kw):
    pools = pools or (Pool("technical", "days"),)
    responses = responses or {"default": Response.linear(100, 1.0)}
    kw.setdefault("priority_weights", {"high": 1.0, "medium": 1.0, "low": 1.0})  # value = account value x units
    return Instance(tuple(pools), tuple(people), tuple(accounts), tuple(requests), responses, **kw)


def test_response_is_concave_hull_and_evaluates():
    r = Response.points([(2, 20), (4, 26)])
    assert r.segments() == [(2.0, 10.0), (2.0, 3.0)]
    assert r.value(1) == 10 and r.value(3) == 23 and r.value(9) == 26
    s_shape = Response.adbudg(6, c=2.0, d=4.0)  # S-shaped: replaced by its concave hull
    slopes = [s for _, s in s_shape.segments()]
    assert slopes == sorted(slopes, reverse=True)
    assert s_shape.value(6) == pytest.approx(36 / 40)


def test_concave_response_textbook_optimum():
    # A: 10/unit for 2 units then 3/unit; B: 6/unit for 2 then 1/unit; 4 units: A 2 + B 2 = 32
    people = [Person("t1", "technical", cap(Q1=1, Q2=1, Q3=1, Q4=1))]
    accounts = [AccountValue("A", 1.0, "key"), AccountValue("B", 1.0, "develop")]
    responses = {"key": Response.points([(2, 20), (4, 26)]), "develop": Response.points([(2, 12), (4, 14)])}
    reqs = [Request("a", "A", "technical", 4), Request("b", "B", "technical", 4)]
    i = inst(reqs, people, accounts, responses)
    g, m = greedy(i), solve(i)
    assert g.objective == pytest.approx(32) and m.objective == pytest.approx(32)
    assert m.bound == pytest.approx(32, rel=1e-6) and m.gap < 1e-6 and m.status == "optimal"
    assert g.given == pytest.approx({"a": 2, "b": 2}) and m.given == pytest.approx({"a": 2, "b": 2})
    assert list(m.assignments.columns) == ASSIGNMENT_COLUMNS
    assert {u.code for u in m.unmet} == {"capacity"}  # t1 is booked, by the better half of both


def test_all_or_nothing_knapsack_milp_beats_greedy():
    # one person, 5 days in Q1; all-or-nothing 3 days worth 3.3/day, 3 days worth 3/day, 2 days worth 3/day
    people = [Person("t1", "technical", cap(Q1=5))]
    accounts = [AccountValue(a, v) for a, v in (("A", 3.3), ("B", 3.0), ("C", 3.0))]
    reqs = [Request("a", "A", "technical", 3, divisible=False), Request("b", "B", "technical", 3, divisible=False),
            Request("c", "C", "technical", 2, divisible=False)]
    i = inst(reqs, people, accounts)
    g, m = greedy(i), solve(i)
    assert g.objective == pytest.approx(3 * 3.3 + 2 * 3)  # greedy takes a, then c still fits
    assert m.objective == pytest.approx(15.9) and m.gap < 1e-6
    for a in (g, m):
        assert set(a.given.values()) <= {0.0, 2.0, 3.0}
    assert [u.request_id for u in m.unmet] == ["b"] and m.unmet[0].code == "capacity"
    # a case where greedy is wrong: 3 days at 3.3/day vs 2+2 at 3/day in 4 days
    people = [Person("t1", "technical", cap(Q1=4))]
    reqs = [Request("a", "A", "technical", 3, divisible=False), Request("b", "B", "technical", 2, divisible=False),
            Request("c", "C", "technical", 2, divisible=False)]
    i = inst(reqs, people, accounts)
    g, m = greedy(i), solve(i)
    assert g.objective == pytest.approx(9.9) and m.objective == pytest.approx(12.0)
    assert m.greedy_objective == pytest.approx(9.9)


def test_all_or_nothing_needs_one_person_in_one_quarter():
    # 3 days asked; two people with 2 days each in Q1 can't do it: too big, with the fix
    people = [Person("t1", "technical", cap(Q1=2, Q2=2)), Person("t2", "technical", cap(Q1=2))]
    reqs = [Request("a", "A", "technical", 3, divisible=False)]
    m = solve(inst(reqs, people, [AccountValue("A", 1.0)]))
    assert m.given["a"] == 0 and m.unmet[0].code == "too-big"
    assert "make it divisible" in m.unmet[0].fix and "to 3" in m.unmet[0].fix


def test_deadline_no_support_after_it_and_the_fix():
    people = [Person("t1", "technical", cap(Q2=5, Q3=5))]
    reqs = [Request("early", "A", "technical", 2, deadline=1), Request("mid", "A", "technical", 2, deadline=2)]
    m = solve(inst(reqs, people, [AccountValue("A", 1.0)]))
    assert m.given == pytest.approx({"early": 0, "mid": 2})
    assert set(m.assignments["quarter"]) == {2}
    u = m.unmet[0]
    assert u.request_id == "early" and u.code == "deadline" and u.fix == "move the deadline to Q2"


def test_capacity_reason_names_the_period_and_the_missing_days():
    people = [Person("t1", "technical", cap(Q1=2, Q2=9))]
    accounts = [AccountValue("A", 5.0), AccountValue("B", 1.0)]
    reqs = [Request("a", "A", "technical", 2, deadline=1), Request("b", "B", "technical", 2, deadline=1)]
    m = solve(inst(reqs, people, accounts))
    assert m.given == pytest.approx({"a": 2, "b": 0})
    u = m.unmet[0]
    assert u.code == "capacity" and "Q1" in u.reason
    assert u.fix.startswith("2 more days of t1 in Q1") and "move the deadline to Q2" in u.fix


def test_eligibility_budget_customer_class_reasons():
    pools = (Pool("technical", "days"), Pool("advisor", "days", budget=1000.0))
    people = [Person("t1", "technical", cap(Q1=10), skills=frozenset({"quality"}), regions=frozenset({"north"})),
              Person("v1", "advisor", cap(Q1=10), cost_per_unit=600.0)]
    accounts = [AccountValue("N", 1.0, region="north", receive_capacity={1: 1.0, 2: 0, 3: 0, 4: 0}),
                AccountValue("S", 1.0, region="south"), AccountValue("D", 9.0, "drop", eligible=False)]
    reqs = [Request("skill", "N", "technical", 1, skill="process"),
            Request("region", "S", "technical", 1),
            Request("cust", "N", "technical", 3),
            Request("adv", "S", "advisor", 3),
            Request("drop", "D", "technical", 1)]
    m = solve(inst(reqs, people, accounts, pools=pools))
    codes = {u.request_id: u.code for u in m.unmet}
    assert codes == {"skill": "eligibility", "region": "eligibility", "cust": "customer", "adv": "budget",
                     "drop": "class"}
    assert m.given["adv"] == pytest.approx(1000 / 600)  # the budget, spent to the cent
    fixes = {u.request_id: u.fix for u in m.unmet}
    assert "skill 'process'" in fixes["skill"] and "region 'south'" in fixes["region"]
    assert fixes["adv"] == "raise the advisor budget by 800"
    # the same reasons in a Chinese resource plan or console: Chinese, ids and figures kept
    import re

    from kamplan.messages import render
    for u in m.unmet:
        for text in (render(u.reason, "zh-CN"), render(u.fix, "zh-CN")):
            assert re.search(r"[\u4e00-\u9fff]", text) and not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", text), text
    assert "800" in render(fixes["adv"], "zh-CN") and "'process'" in render(fixes["skill"], "zh-CN")


def test_minimum_coverage_is_honoured_and_generates_requests():
    pools = (Pool("executive", "visits", integral=True, weight=3.0),)
    people = [Person("ceo", "executive", cap(Q1=1, Q2=1, Q3=1, Q4=1))]
    accounts = [AccountValue("K1", 1.0, "key"), AccountValue("K2", 1.0, "key"), AccountValue("D", 50.0, "develop")]
    reqs = [Request("d", "D", "executive", 4)]
    i = inst(reqs, people, accounts, pools=pools, rules=(CoverageRule("key", "executive", 1),))
    for a in (greedy(i), solve(i)):
        assert a.given["coverage:K1:executive"] == 1 and a.given["coverage:K2:executive"] == 1
        assert a.given["d"] == 2 and a.status in ("optimal", "greedy")


def test_infeasible_minimum_coverage_found_before_solving():
    pools = (Pool("executive", "visits", integral=True),)
    people = [Person("ceo", "executive", cap(Q1=1, Q2=1))]
    accounts = [AccountValue(f"K{i}", 1.0, "key") for i in range(3)]
    i = inst([], people, accounts, pools=pools, rules=(CoverageRule("key", "executive", 1),))
    m = solve(i)
    assert m.status == "infeasible" and math.isnan(m.objective)
    p = [p for p in m.problems if p.code == "coverage-over-capacity"][0]
    assert "3 executive" in p.message and p.fix == "add 1 units of executive capacity, or lower the minimum"


def test_infeasible_only_the_solver_can_see():
    # enough visits in the year, but both key accounts need theirs in Q1, and Q1 has one
    pools = (Pool("executive", "visits", integral=True),)
    people = [Person("ceo", "executive", cap(Q1=1, Q4=5))]
    accounts = [AccountValue("K1", 1.0, "key"), AccountValue("K2", 1.0, "key")]
    reqs = [Request("k1", "K1", "executive", 1, deadline=1), Request("k2", "K2", "executive", 1, deadline=1)]
    i = inst(reqs, people, accounts, pools=pools, rules=(CoverageRule("key", "executive", 1),))
    m = solve(i)
    assert m.status == "infeasible" and [p.code for p in m.problems] == ["allocation-infeasible"]
    assert greedy(i).status == "infeasible"


def test_degenerate_ties_give_the_same_value_and_a_stable_greedy():
    people = [Person("t1", "technical", cap(Q1=2)), Person("t2", "technical", cap(Q1=2))]
    accounts = [AccountValue(a, 1.0) for a in "ABCD"]
    reqs = [Request(a.lower(), a, "technical", 2, divisible=False) for a in "ABCD"]
    i = inst(reqs, people, accounts)
    g1, g2, m = greedy(i), greedy(i), solve(i)
    assert g1.objective == m.objective == pytest.approx(4.0)
    assert g1.assignments.equals(g2.assignments)
    assert sum(v > 0 for v in m.given.values()) == 2
    assert m.gap < 1e-6


def test_forced_in_and_out_are_honoured_and_cost_value():
    people = [Person("t1", "technical", cap(Q1=3))]
    accounts = [AccountValue("A", 5.0), AccountValue("B", 1.0)]
    reqs = [Request("a", "A", "technical", 3), Request("b", "B", "technical", 2, divisible=False)]
    i = inst(reqs, people, accounts)
    base = solve(i)
    assert base.given == pytest.approx({"a": 3, "b": 0})
    forced = solve(with_forced(i, force_in=["b"]))
    assert forced.given == pytest.approx({"a": 1, "b": 2}) and forced.objective == pytest.approx(7.0)
    out = solve(with_forced(i, force_out=["a"]))
    assert out.given["a"] == 0 and out.given["b"] == 2
    assert [u.code for u in out.unmet] == ["forced-out"]
    both = with_forced(with_forced(i, force_out=["b"]), force_in=["b"])  # moving it back in
    assert "b" in both.force_in and "b" not in both.force_out


def test_forced_request_that_cannot_fit_is_reported():
    people = [Person("t1", "technical", cap(Q1=1))]
    reqs = [Request("a", "A", "technical", 3, divisible=False)]
    m = solve(inst(reqs, people, [AccountValue("A", 1.0)], force_in=frozenset({"a"})))
    assert m.status == "infeasible" and m.problems[0].code == "forced-request-impossible"


def test_marginal_values_from_duals_and_resolve():
    people = [Person("t1", "technical", cap(Q1=2, Q2=2)), Person("t2", "technical", cap(Q2=5))]
    accounts = [AccountValue("A", 10.0), AccountValue("B", 1.0)]
    reqs = [Request("a", "A", "technical", 6, deadline=1), Request("b", "B", "technical", 3)]
    i = inst(reqs, people, accounts)
    m = solve(i)
    assert m.objective == pytest.approx(10 * 2 + 3)
    mv = marginal_values(i, m, resolve=True)
    row = mv[(mv.person_id == "t1") & (mv.quarter == 1)].iloc[0]
    assert row.value_per_unit == pytest.approx(10.0) and row.used == 2
    q2 = mv[(mv.person_id == "t2") & (mv.quarter == 2)].iloc[0]
    assert q2.value_per_unit == pytest.approx(0.0)  # 4 days of Q2 left unused
    pool_q1 = mv[(mv.person_id == "*") & (mv.quarter == 1)].iloc[0]
    assert pool_q1.value_per_unit == pytest.approx(10.0) and pool_q1.resolve_gain == pytest.approx(10.0)
    # what-if: the person's capacity changed, re-solved
    more = solve(with_capacity(i, "t1", 1, 4))
    assert more.objective - m.objective == pytest.approx(20.0)


def test_marginal_value_of_budget():
    pools = (Pool("advisor", "days", budget=1000.0),)
    people = [Person("v1", "advisor", cap(Q1=10), cost_per_unit=500.0)]
    i = inst([Request("a", "A", "advisor", 5)], people, [AccountValue("A", 100.0)], pools=pools)
    m = solve(i)
    mv = marginal_values(i, m)
    b = mv[mv.person_id == "budget"].iloc[0]
    assert b.used == 1000 and b.value_per_unit == pytest.approx(100 / 500)


def test_greedy_equals_milp_on_textbook_generated_instances():
    # separable concave response, everything divisible, one capacity per pool, no deadlines or customer limits
    for seed in range(3):
        g0 = generate_instance(40, seed, coverage=False)
        import dataclasses
        reqs = tuple(dataclasses.replace(r, divisible=True, deadline=4, skill=None) for r in g0.requests)
        people = tuple(dataclasses.replace(p, regions=frozenset(), cost_per_unit=0.0) for p in g0.people)
        accounts = tuple(dataclasses.replace(a, receive_capacity=None) for a in g0.accounts)
        pools = tuple(dataclasses.replace(p, integral=False, budget=None) for p in g0.pools)
        i = dataclasses.replace(g0, requests=reqs, people=people, accounts=accounts, pools=pools)
        g, m = greedy(i), solve(i, warm_start=False)
        assert m.status == "optimal"
        assert g.objective == pytest.approx(m.objective, rel=1e-7)
        assert g.objective <= m.bound * (1 + 1e-9)


def test_generated_instance_solves_with_a_small_gap():
    i = generate_instance(120, seed=7)
    g = greedy(i)
    m = solve(i, time_limit=10)
    lp = solve(i, relax=True)
    assert m.objective >= g.objective - 1e-6
    assert m.objective <= m.bound * (1 + 1e-9) <= lp.bound * (1 + 1e-6)
    assert m.gap <= 1e-3
    assert (lp.bound - g.objective) / lp.bound < 0.02
    explained = {u.request_id for u in explain_unmet(i, m)}
    assert explained == {rid for rid, v in m.given.items()
                         if v < next(r.amount for r in _all_requests(i, m) if r.id == rid) - 1e-6}


def _all_requests(i, alloc):
    from kamplan.engine.resources.allocation import all_requests
    return all_requests(i)


def test_instance_from_config_models():
    import datetime as dt

    import pandas as pd

    from kamplan.config.schema import Account, ClassRule, SupportPerson, SupportPool
    from kamplan.model import REQUEST_COLUMNS
    gm = SupportPerson(id="gm", name={"en": "GM", "zh-CN": "总经理"}, capacity={"Q1": 1, "Q2": 1, "Q3": 1, "Q4": 1})
    pools = [SupportPool(kind="executive", name={"en": "Executives", "zh-CN": "高层"}, unit="visits", people=[gm])]
    classes = {c: ClassRule(name={"en": c, "zh-CN": c}, visits_per_quarter=1,
                            executive_visits_per_year=1 if c == "key" else 0, support_eligible=c != "drop")
               for c in ("key", "develop", "watch", "drop")}
    accounts = [Account(id="K", name={"en": "K", "zh-CN": "K"}, region="north", rep="r1", **{"class": "key"}),
                Account(id="X", name={"en": "X", "zh-CN": "X"}, region="north", rep="r1", **{"class": "drop"})]
    reqs = pd.DataFrame([["K", "executive", "renewal", "meet the CEO", 2, "visits", dt.date(2026, 5, 1), "high", True,
                          "Requests!B5"],
                         ["X", "executive", "", "", 1, "visits", dt.date(2026, 12, 1), "low", True, None]],
                        columns=REQUEST_COLUMNS)
    i = instance_from_config(pools, classes, accounts, reqs, {"default": Response.linear(5)},
                             quarter_of=lambda d: (d.month - 1) // 3 + 1, values={"K": 10.0, "X": 10.0})
    assert i.requests[0].deadline == 2 and i.requests[0].src == "Requests!B5"
    assert i.pools[0].integral and i.rules == (CoverageRule("key", "executive", 1.0),)
    m = solve(i)
    assert m.given == {"R0": 2.0, "R1": 0.0}
    assert [u.code for u in m.unmet] == ["class"]

