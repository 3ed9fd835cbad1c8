"""The evaluation engine on hand-made cases with known answers: attainment, the variance split,
the year-end forecast, early warnings, the scorecard and class suggestions."""
from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kamplan.config.evaluation import ClassChangeRules, Goal, WarningRules
from kamplan.engine.early_warnings import early_warnings
from kamplan.engine.evaluation import (
    activity_vs_plan, cents, goal_numbers, goal_vs_result, group_totals, scorecard, split_line,
    suggest_class_changes,
)
from kamplan.engine.forecast import forecast_series, risk_of_series, year_end_forecast


def plan(rows):
    return pd.DataFrame(rows, columns=["rep_id", "account_id", "product_id", "quarter", "volume", "price", "revenue"])


def hist(rows):
    cols = ["year", "quarter", "account_id", "product_id", "volume", "revenue", "gross_margin"]
    f = pd.DataFrame(rows, columns=cols)
    f["price"] = f["revenue"] / f["volume"]
    f["cost_to_serve"] = 0.0
    f["visits"] = 0.0
    return f


TARGETS = plan([
    ("r1", "A", "P1", 1, 100, 10, 1000), ("r1", "A", "P1", 2, 100, 10, 1000),
    ("r1", "A", "P2", 1, 50, 20, 1000), ("r1", "A", "P2", 2, 50, 20, 1000),
    ("r2", "B", "P1", 1, 10, 10, 100), ("r2", "B", "P1", 2, 10, 10, 100),
])
ACTUALS = hist([
    (2027, 1, "A", "P1", 120, 1080, 200), (2027, 1, "A", "P2", 40, 880, 300),
    (2027, 2, "A", "P1", 90, 990, 150), (2027, 2, "A", "P2", 60, 1260, 400),
    (2027, 2, "B", "P1", 5, 40, 4), (2027, 2, "B", "P3", 2, 60, 10),  # P3: sold without a target
])
REPS = {"A": "r1", "B": "r2"}
MARGINS = {"P1": 0.2, "P2": 0.3}


def test_attainment_variance_and_split_of_a_line_by_hand():
    res = goal_vs_result(TARGETS, ACTUALS, 2, REPS, MARGINS).set_index(["account_id", "product_id"])
    a1 = res.loc[("A", "P1")]
    # Q2: target 100 t at 10 = 1000; actual 90 t for 990 (price 11)
    assert a1["q_target_volume"] == 100 and a1["q_actual_volume"] == 90
    assert a1["q_revenue_var"] == -10 and a1["q_revenue_att"] == pytest.approx(0.99)
    assert a1["q_actual_price"] == pytest.approx(11.0) and a1["q_target_price"] == pytest.approx(10.0)
    # price effect (11 - 10) x 90 = 90; volume effect (90 - 100) x 10 = -100
    assert (a1["q_price_effect"], a1["q_volume_effect"]) == (90.0, -100.0)
    # YTD: target 200 t / 2000; actual 210 t / 2070; Pt 10 -> price 2070 - 2100 = -30, volume 2100 - 2000 = 100
    assert (a1["ytd_price_effect"], a1["ytd_volume_effect"], a1["ytd_revenue_var"]) == (-30.0, 100.0, 70.0)
    assert a1["ytd_target_gm"] == 400.0 and a1["ytd_actual_gm"] == 350.0 and a1["ytd_gm_att"] == pytest.approx(0.875)
    # a product sold without a target: no attainment, the whole variance is volume
    b3 = res.loc[("B", "P3")]
    assert math.isnan(b3["q_revenue_att"]) and b3["q_volume_effect"] == 60.0 and b3["q_price_effect"] == 0.0
    assert b3["rep_id"] == "r2"
    # a target without sales: the whole variance is volume, attainment 0
    b1q1 = goal_vs_result(TARGETS, ACTUALS, 1, REPS, MARGINS).set_index(["account_id", "product_id"]).loc[("B", "P1")]
    assert (b1q1["q_revenue_att"], b1q1["q_volume_effect"], b1q1["q_price_effect"]) == (0.0, -100.0, 0.0)


def test_group_split_has_a_mix_effect_that_closes_the_sum():
    lines = goal_vs_result(TARGETS, ACTUALS, 2, REPS, MARGINS)
    acc = group_totals(lines, ["account_id"]).set_index("account_id").loc["A"]
    # Q2 account A: target 150 t / 2000 (avg 13.333); actual 150 t / 2250.
    # lines: P1 price 90 vol -100; P2 price (21-20) x 60 = 60, vol (60-50) x 20 = 200
    assert acc["q_price_effect"] == 150.0
    # pure volume: (150 - 150) x 13.33 = 0; mix: (10 x 90 + 20 x 60) - 13.333 x 150 = 2100 - 2000 = 100
    assert acc["q_volume_effect"] == 0.0 and acc["q_mix_effect"] == 100.0
    assert acc["q_revenue_var"] == 250.0
    company = group_totals(lines, [])
    assert len(company) == 1
    c = company.iloc[0]
    assert c["ytd_revenue_var"] == pytest.approx(ACTUALS["revenue"].sum() - TARGETS["revenue"].sum())


# Amounts stay below 1e13 (floats hold whole cents exactly up to 2**53): volumes 0 or 0.1 t to 1,000,000 t,
# prices up to 100,000 a unit, revenue on no volume (a credit note, a service fee) up to 10,000.
volume = st.one_of(st.just(0.0), st.floats(min_value=0.1, max_value=1e6))
price = st.floats(min_value=0, max_value=1e5)
money = st.floats(min_value=-1e4, max_value=1e4)


@st.composite
def line(draw):
    vt, va = draw(volume), draw(volume)
    rt = vt * draw(price) if vt > 0 else draw(money)
    ra = va * draw(price) if va > 0 else draw(money)
    return vt, rt, va, ra


@settings(max_examples=300, deadline=None)
@given(st.lists(line(), min_size=1, max_size=12))
def test_price_volume_and_mix_add_up_exactly_to_the_variance(lines):
    vt, rt, va, ra = (np.array(x, dtype="float64") for x in zip(*lines))
    var, price, vol = split_line(vt, rt, va, ra)
    assert np.array_equal(price + vol, var)  # whole cents: exact
    assert np.array_equal(var, cents(ra) - cents(rt))
    # in the frame: floats of whole cents; Decimal sums are exact
    n = len(lines)
    t = plan([("r", f"A{i % 3}", f"P{i}", 1, vt[i], 0, rt[i]) for i in range(n)])
    a = hist([(2027, 1, f"A{i % 3}", f"P{i}", va[i], ra[i], 0.0) for i in range(n)])
    res = goal_vs_result(t, a, 1, {"A0": "r", "A1": "r", "A2": "r"})
    for r in res.itertuples():
        assert Decimal(round(r.q_price_effect * 100)) + Decimal(round(r.q_volume_effect * 100)) == \
            Decimal(round(r.q_revenue_var * 100))
    for by in (["account_id"], []):
        for g in group_totals(res, by).itertuples():
            parts = sum(int(round(x * 100)) for x in (g.q_price_effect, g.q_volume_effect, g.q_mix_effect))
            assert parts == int(round(g.q_revenue_var * 100))
            # amounts are full precision (rounded only for display, half away from zero like ROUND):
            # the variance is the difference of the displayed cents
            assert int(round(g.q_revenue_var * 100)) == int(cents(g.q_actual_revenue)) - int(cents(g.q_target_revenue))


def test_cents_round_half_away_from_zero_like_a_spreadsheet():
    assert cents([0.125, -0.125, 2.5e-3, 1.0]).tolist() == [13, -13, 0, 100]


# -- forecast ----------------------------------------------------------------------------------------------
def test_year_end_forecast_uses_each_accounts_own_seasonality():
    rows = []
    for y in (2025, 2026):  # A sells 10/20/30/40 % per quarter; B is flat
        for q, s in zip((1, 2, 3, 4), (0.1, 0.2, 0.3, 0.4)):
            rows.append((y, q, "A", "P", 1, 1000 * s, 0))
            rows.append((y, q, "B", "P", 1, 250, 0))
    rows += [(2027, 1, "A", "P", 1, 150, 0), (2027, 2, "A", "P", 1, 300, 0),
             (2027, 1, "B", "P", 1, 300, 0), (2027, 2, "B", "P", 1, 300, 0),
             (2027, 1, "C", "P", 1, 50, 0), (2027, 2, "C", "P", 1, 70, 0)]  # C: new, company seasonality
    f = year_end_forecast(hist(rows), 2027, 2, {"A": 1200, "B": 1000, "D": 500}).set_index("account_id")
    assert f.at["A", "forecast"] == pytest.approx(450 / 0.3) and f.at["A", "method"] == "seasonal"
    assert f.at["A", "gap"] == pytest.approx(1500 - 1200)
    assert f.at["B", "forecast"] == pytest.approx(1200)
    company_share = (100 + 200 + 250 * 2) / 2000  # Q1+Q2 of A and B over both years
    assert f.at["C", "forecast"] == pytest.approx(120 / company_share) and f.at["C", "method"] == "company seasonal"
    assert f.at["D", "forecast"] == 0 and f.at["D", "gap"] == -500


def test_year_end_forecast_without_history_is_the_run_rate():
    f = year_end_forecast(hist([(2027, 1, "A", "P", 1, 100, 0), (2027, 2, "A", "P", 1, 200, 0),
                                (2027, 3, "A", "P", 1, 300, 0)]), 2027, 3, {"A": 1000})
    assert f.iloc[0]["forecast"] == pytest.approx(800) and f.iloc[0]["method"] == "run-rate"


def test_forecast_series_completes_the_season_and_repeats_it():
    assert forecast_series([10, 20, 30, 40, 12, 24]) == pytest.approx([36, 48])
    assert forecast_series([10, 20, 30, 40]) == pytest.approx([10, 20, 30, 40])
    assert forecast_series([10, 20, 30, 40, 12], horizon=5) == pytest.approx([24, 36, 48, 12, 24])
    assert forecast_series([5, 5], season_length=4) == pytest.approx([5, 5])  # no full season: run-rate
    assert forecast_series([], horizon=2) == [0.0, 0.0]
    with pytest.raises(ValueError):
        forecast_series([1, 2], season_length=0)


def test_risk_of_series_names_its_reasons():
    risky, why = risk_of_series([100, 100, 100, 100, 95, 90, 85, 70])
    assert risky and len(why) == 2 and "30%" in why[0] and "moving total fell 3" in why[1]
    assert risk_of_series([100, 100, 100, 100, 100, 110, 100, 95]) == (False, [])
    assert risk_of_series([10, 10, 10, 10, 10, 10, 10, 0])[1][-1] == "no sales in the last period" or \
        "no sales in the last period" in risk_of_series([10, 10, 10, 10, 10, 10, 10, 0])[1]


# -- warnings ----------------------------------------------------------------------------------------------
def test_early_warnings_flag_with_evidence_and_rank_by_revenue_at_risk():
    rows = []
    for y in (2025, 2026, 2027):
        for q in (1, 2, 3, 4):
            if (y, q) > (2027, 2):
                break
            rows.append((y, q, "A", "P", 100, 1000, 0))  # steady
            drop = {(2026, 3): 95, (2026, 4): 90, (2027, 1): 80, (2027, 2): 70}.get((y, q), 100)
            rows.append((y, q, "B", "P", drop, drop * 10, 0))  # falls a little every quarter
            rows.append((y, q, "C", "P", 20, 100, 0))
    h = hist(rows)
    targets = plan([("r1", "A", "P", 2, 150, 10, 1500), ("r1", "B", "P", 2, 70, 10, 700)])
    visits = pd.DataFrame({"account_id": ["A", "C"], "quarter": [2, 2], "rep_visits": [6, 4]})
    complaints = pd.DataFrame({"account_id": ["C", "C"], "date": ["2027-05-02", "2027-04-11"]})
    buys = pd.DataFrame({"account_id": ["A", "A"], "year": [2026, 2027], "quarter": [2, 2],
                         "total_volume": [200, 250]})
    w = early_warnings(h, 2027, 2, WarningRules(), account_reps={"A": "r1", "B": "r1", "C": "r2"},
                       targets=targets, plan_visits=visits, visits_made={"A": 2, "C": 4}, open_complaints=complaints,
                       customer_purchases=buys, unit="t").set_index("account_id")
    assert list(w.index) == ["A", "B", "C"]  # A 4,000 at risk, B 3,350, C 400
    assert w.at["A", "revenue_at_risk"] == 4000 and w.at["B", "revenue_at_risk"] == 950 + 900 + 800 + 700
    assert w.at["A", "flags"] == ["below-plan", "few-visits", "lost-share"]
    assert w.at["A", "evidence"][0] == "volume 2027 Q2 100.0 t vs target 150.0 t (-33%)"
    assert w.at["A", "evidence"][1] == "2 of 6 planned visits in 2027 Q2"
    assert w.at["A", "evidence"][2] == "share of the customer's purchases 40% in 2027 Q2 vs 50% in 2026 Q2"
    assert w.at["B", "flags"] == ["yoy-decline", "falling-trend"]  # 70 vs 100: -30 %; on plan (70)
    assert w.at["B", "evidence"][1].startswith("moving annual volume fell 3 quarters in a row: 395.0 → 385.0 → 365.0 → 335.0")
    assert w.at["C", "flags"] == ["open-complaints"]
    assert w.at["C", "evidence"] == ["2 open complaint(s), the oldest since 2027-04-11"]
    assert w["rank"].tolist() == [1, 2, 3]


# -- activity and scorecard ---------------------------------------------------------------------------------
def test_activity_vs_plan_and_scorecard_by_hand():
    visits = pd.DataFrame({"account_id": ["A", "A", "B"], "quarter": [1, 2, 2], "rep_visits": [3, 3, 2],
                           "exec_visits": [0, 1, 0]})
    trainings = pd.DataFrame({"account_id": ["A", "B"], "quarter": [2, 2]})
    acts = pd.DataFrame({
        "account_id": ["A", "A", "A", "A", "B", "B", "B"],
        "kind": ["rep_visit", "rep_visit", "exec_visit", "training", "service", "complaint", "complaint"],
        "quantity": [2, 3, 1, 12, 2.5, 1, 1],  # 12 people at one training
        "status": [None, None, None, None, None, "open", "resolved"],
        "ref": [None, None, None, None, None, "T1", "T2"],
        "date": pd.to_datetime(["2027-02-01", "2027-04-02", "2027-05-03", "2027-05-04", "2027-06-05", "2027-06-06",
                                "2027-03-07"]),
        "quarter": [1, 2, 2, 2, 2, 2, 1]})
    act = activity_vs_plan(visits, trainings, acts, 2, REPS,
                           support_allocated=pd.DataFrame({"account_id": ["B", "B"], "amount": [4.0, 10.0],
                                                                           "quarter": [2, 3]})).set_index("account_id")
    assert act.at["A", "ytd_rep_planned"] == 6 and act.at["A", "ytd_rep_made"] == 5 and act.at["A", "q_rep_made"] == 3
    assert act.at["A", "q_exec_made"] == 1 and act.at["A", "q_trainings_held"] == 1
    assert act.at["B", "ytd_support_delivered"] == 2.5 and act.at["B", "support_allocated"] == 4.0
    assert act.at["B", "open_complaints"] == 1 and act.at["B", "complaints"] == 2
    numbers = goal_numbers(goal_vs_result(TARGETS, ACTUALS, 2, REPS, MARGINS), act.reset_index())
    goals = [Goal(id="revenue", kind="number", weight=0.5), Goal(id="visits", kind="number", weight=0.25),
             Goal(id="relationship", kind="judgement", weight=0.25)]
    lines, totals = scorecard(numbers, goals, ["r1", "r2"], {("r1", "relationship"): 4}, attainment_cap=1.2)
    lines = lines.set_index(["rep_id", "goal"])
    # r1: revenue 4210 / 4000 = 105.25 %; visits 5 / 6; relationship 4 on 1-5 = 75
    assert lines.at[("r1", "revenue"), "score"] == pytest.approx(105.25)
    assert lines.at[("r1", "visits"), "score"] == pytest.approx(500 / 6)
    assert lines.at[("r1", "relationship"), "score"] == pytest.approx(75)
    t = totals.set_index("rep_id")
    assert t.at["r1", "score"] == pytest.approx(0.5 * 105.25 + 0.25 * 500 / 6 + 0.25 * 75)
    # r2: revenue 100 / 200 -> 50; visits 0 / 2 -> 0; not rated: weighted over the scored goals only
    assert t.at["r2", "score"] == pytest.approx((0.5 * 50 + 0.25 * 0) / 0.75)


def test_attainment_above_the_cap_scores_the_cap():
    numbers = pd.DataFrame({"rep_id": ["r"], "goal": ["revenue"], "target": [100.0], "result": [300.0]})
    lines, totals = scorecard(numbers, [Goal(id="revenue", kind="number", weight=1)], ["r"], attainment_cap=1.2)
    assert lines.iloc[0]["score"] == pytest.approx(120) and totals.iloc[0]["score"] == pytest.approx(120)


def test_class_suggestions_from_the_years_results():
    rev = pd.DataFrame({"account_id": ["A", "B", "C", "D", "E"], "target": [100, 100, 100, 100, 100],
                        "actual": [120, 60, 105, 70, 90], "last_year": [100, 100, 100, 100, 90]})
    s = suggest_class_changes({"A": "develop", "B": "key", "C": "watch", "D": "watch", "E": "key"}, rev, {"E": 2},
                              ClassChangeRules()).set_index("account_id")
    assert s["suggested"].to_dict() == {"A": "key", "B": "watch", "C": "key", "D": "drop", "E": "watch"}
    assert s.at["B", "reason"] == "attainment 60%, growth -40%" and s.at["E", "reason"] == "2 early warnings"
