"""Share of wallet: our volume against the customer's usage (account plan Business sheet), and lost share."""
from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pandas as pd

from kamplan.config.evaluation import WarningRules
from kamplan.engine.early_warnings import FLAG_WEIGHTS, early_warnings
from kamplan.engine.plan_warnings import (
    new_competitors, old_complaints, open_since, opponent_decision_makers, satisfaction_drops, stale_plans,
)
from kamplan.engine.wallet import annual_wallet, lost_share, share_of_wallet, usage_by_quarter


def _history(rows):
    return pd.DataFrame(rows, columns=["account_id", "product_id", "year", "quarter", "volume", "revenue"])


def test_annual_usage_is_spread_pro_rata_and_a_year_without_a_plan_takes_the_nearest_plan():
    business = pd.DataFrame([{"account_id": "A", "year": 2027, "usage_P1": 400.0, "usage_P2": None}])
    u = usage_by_quarter(business, [2026, 2027])
    assert set(u["product_id"]) == {"P1"}  # blank usage is unknown, not 0
    assert list(u[u["year"] == 2027]["usage"]) == [100.0] * 4
    assert list(u[u["year"] == 2026]["usage"]) == [100.0] * 4  # 2026 has no plan: 2027's usage


def test_usage_given_per_quarter_is_taken_as_given():
    business = pd.DataFrame([{"account_id": "A", "year": 2027, "quarter": q, "usage_P1": v}
                             for q, v in ((1, 10.0), (2, 30.0), (3, 0.0), (4, 60.0))])
    u = usage_by_quarter(business, [2027])
    assert list(u["usage"]) == [10.0, 30.0, 0.0, 60.0]


def test_share_elsewhere_and_whitespace_against_an_independent_computation():
    business = pd.DataFrame([{"account_id": "A", "year": 2027, "usage_P1": 400.0, "usage_P2": 120.0}])
    h = _history([("A", "P1", 2027, 1, 30.0, 300.0), ("A", "P1", 2027, 1, 10.0, 100.0),
                  ("A", "P1", 2027, 2, 120.0, 1200.0), ("B", "P1", 2027, 1, 5.0, 50.0)])
    w = share_of_wallet(h, usage_by_quarter(business, [2027])).set_index(["product_id", "quarter"])
    assert Fraction(w.at[("P1", 1), "share"]).limit_denominator() == Fraction(40, 100)
    assert w.at[("P1", 1), "elsewhere"] == 60.0
    assert w.at[("P1", 2), "elsewhere"] == 0.0  # bought more than a quarter's usage: nothing elsewhere
    assert w.at[("P1", 2), "share"] == 1.2
    assert bool(w.at[("P2", 1), "whitespace"]) and not bool(w.at[("P1", 1), "whitespace"])
    assert "B" not in set(w.reset_index()["account_id"])  # no usage known: no share
    y = annual_wallet(w.reset_index(), 2027, 2).set_index("product_id")
    assert y.at["P1", "ours"] == 160.0 and y.at["P1", "usage"] == 200.0 and y.at["P1", "share"] == 0.8
    assert y.at["P1", "revenue"] == 1600.0


def test_lost_share_names_the_product_and_both_quarters():
    business = pd.DataFrame([{"account_id": "A", "year": 2027, "usage_P1": 400.0},
                             {"account_id": "A", "year": 2026, "usage_P1": 480.0}])
    h = _history([("A", "P1", 2026, 2, 72.0, 0.0), ("A", "P1", 2027, 2, 40.0, 0.0)])
    w = share_of_wallet(h, usage_by_quarter(business, [2026, 2027]))
    got = lost_share(w, 2027, 2, 0.05)
    assert len(got) == 1
    acc, (code, evidence, facts) = got[0]
    assert (acc, code) == ("A", "lost-share") and facts["product"] == "P1"
    assert (facts["share"], facts["share_before"]) == (0.4, 0.6)  # 40 of 100; 72 of 120
    assert "40% in 2027 Q2 vs 60% in 2026 Q2" in evidence
    assert lost_share(w, 2027, 2, 0.25) == []  # a 20-point drop is under a 25-point threshold


def test_no_lost_share_against_a_usage_borrowed_from_another_year():
    business = pd.DataFrame([{"account_id": "A", "year": 2027, "usage_P1": 400.0}])
    h = _history([("A", "P1", 2026, 2, 72.0, 0.0), ("A", "P1", 2027, 2, 40.0, 0.0)])
    w = share_of_wallet(h, usage_by_quarter(business, [2026, 2027]))
    ly = w[(w["year"] == 2026) & (w["quarter"] == 2)].iloc[0]
    assert ly["share"] == 0.72 and not ly["own"]
    assert lost_share(w, 2027, 2, 0.05) == []  # the volume drop is yoy-decline's to name


def test_plan_flags_enter_the_ranking_with_their_weights_and_facts():
    h = _history([("A", "P1", 2027, 2, 100.0, 1000.0), ("B", "P1", 2027, 2, 100.0, 5000.0)])
    extra = opponent_decision_makers(pd.DataFrame([
        {"account_id": "A", "name": "Wang", "title": "GM", "role": "decision_maker", "attitude": "opponent"},
        {"account_id": "B", "name": "Li", "title": "", "role": "buyer", "attitude": "opponent"}]))
    w = early_warnings(h, 2027, 2, WarningRules(), account_reps={"A": "r", "B": "r"}, extra=extra)
    assert list(w["account_id"]) == ["A"]  # a buyer against us is no decision maker
    assert w.at[0, "flags"] == ["opponent-decision-maker"]
    assert w.at[0, "severity"] == FLAG_WEIGHTS["opponent-decision-maker"] == 1.5
    assert w.at[0, "facts"][0]["contact"] == "Wang" and w.at[0, "evidence"][0] == "decision maker Wang (GM) is an opponent"


def test_new_competitor_only_after_the_first_plan_and_within_the_quarter():
    versions = pd.DataFrame({"id": [1, 2], "rep_id": ["r", "r"],
                             "collected_at": [dt.datetime(2027, 1, 5), dt.datetime(2027, 5, 2)]})
    changes = pd.DataFrame({"version_id": [1, 2, 2], "sheet": ["competitors"] * 3, "row_id": ["c1", "c2", "c3"],
                            "change": ["added"] * 3})
    comp = pd.DataFrame({"account_id": ["A", "A", "B"], "row_id": ["c1", "c2", "c3"],
                         "competitor": ["Old Co", "New Co", "Early Co"], "last_seen": [None, None, "2027-03-01"]})
    got = new_competitors(comp, changes, versions, dt.date(2027, 4, 1), dt.date(2027, 6, 30))
    assert [(a, f[0], f[2]["competitor"], f[2]["date"]) for a, f in got] == [("A", "new-competitor", "New Co", "2027-05-02")]


def test_stale_plan_after_a_visit_or_after_stale_days():
    got = dict(stale_plans({"A": dt.datetime(2027, 5, 1, 9), "B": "2027-03-01", "C": "2027-06-01"},
                           {"A": dt.date(2027, 5, 20), "C": dt.date(2027, 5, 30)}, dt.date(2027, 6, 30), 60))
    assert got["A"][2]["variant"] == "visit" and got["A"][2]["visit"] == "2027-05-20"
    assert got["B"][2] == {"updated": "2027-03-01", "days": 121, "variant": "days"}
    assert "C" not in got  # updated after its last visit, 29 days ago


def test_satisfaction_drop_compares_quarter_averages():
    v = pd.DataFrame({"account_id": ["A"] * 4 + ["B"] * 2, "year": [2027] * 6, "quarter": [1, 1, 2, 2, 1, 2],
                      "satisfaction": [5, 4, 3, None, 4, 4]})
    got = satisfaction_drops(v, 2027, 2, 1.0)
    assert [(a, f[2]["now"], f[2]["before"]) for a, f in got] == [("A", 3.0, 4.5)]
    assert satisfaction_drops(v, 2027, 2, 2.0) == []


def test_old_complaints_from_visit_reports_close_the_oldest_first():
    v = pd.DataFrame({"account_id": ["A", "A", "A"], "date": ["2027-04-01", "2027-04-20", "2027-06-20"],
                      "complaints_raised": [2, 1, 0], "complaints_closed": [0, 1, 1]})
    still = open_since(v, dt.date(2027, 6, 30))
    assert list(still["date"]) == [dt.date(2027, 4, 20)]  # the two of 1 April were closed first
    got = old_complaints(still, dt.date(2027, 6, 30), 30)
    assert got[0][1][2] == {"n": 1, "days": 30, "date": "2027-04-20", "age": 71}
    assert old_complaints(still, dt.date(2027, 6, 30), 90) == []
