"""Early warnings ranked by severity (issue 14 item 4) and never on mixed volume (issue 12 item 5)."""
from __future__ import annotations

import pandas as pd

from kamplan.config.evaluation import WarningRules
from kamplan.engine.early_warnings import FLAG_WEIGHTS, early_warnings, severity, with_min_flags
from kamplan.engine.units import UnitSystem


def _history(series: dict[tuple[str, str], list[tuple[float, float]]]) -> pd.DataFrame:
    """(account, product) -> eight quarters (2026 Q1 .. 2027 Q4 cut at 2027 Q2) of (volume, revenue)."""
    rows = []
    quarters = [(y, q) for y in (2025, 2026, 2027) for q in (1, 2, 3, 4) if (y, q) <= (2027, 2)]
    for (acc, prod), values in series.items():
        for (y, q), (v, r) in zip(quarters, values):
            rows.append({"year": y, "quarter": q, "account_id": acc, "product_id": prod, "volume": v, "revenue": r,
                         "gross_margin": 0.0})
    return pd.DataFrame(rows)


def test_more_and_heavier_flags_rank_before_more_revenue_at_risk():
    steady = [(100.0, 1000.0)] * 10
    falling = [(100.0, 100.0)] * 6 + [(95.0, 95.0), (90.0, 90.0), (80.0, 80.0), (60.0, 60.0)]
    h = _history({("BIG", "P"): steady, ("SMALL", "P"): falling, ("MID", "P"): [(50.0, 500.0)] * 10})
    visits = pd.DataFrame({"account_id": ["BIG", "MID"], "quarter": [2, 2], "rep_visits": [6, 6]})
    complaints = pd.DataFrame({"account_id": ["SMALL", "MID"], "date": ["2027-05-02", "2027-05-01"]})
    w = early_warnings(h, 2027, 2, WarningRules(), account_reps={"BIG": "r", "SMALL": "r", "MID": "r"},
                       plan_visits=visits, visits_made={"BIG": 0, "MID": 0}, open_complaints=complaints)
    # SMALL: yoy-decline + falling-trend + open complaint = 5.5, though only 335 at risk;
    # MID: few visits + complaint = 2.5 (2,000 at risk); BIG: few visits = 1 (4,000 at risk)
    assert w["account_id"].tolist() == ["SMALL", "MID", "BIG"]
    assert w["severity"].tolist() == [5.5, 2.5, 1.0] and w["rank"].tolist() == [1, 2, 3]
    assert w["revenue_at_risk"].tolist() == [95 + 90 + 80 + 60, 2000, 4000]
    kept = with_min_flags(w, 2)
    assert kept["account_id"].tolist() == ["SMALL", "MID"] and kept["rank"].tolist() == [1, 2]
    assert with_min_flags(w, 3)["account_id"].tolist() == ["SMALL"]
    assert with_min_flags(w, 1) is w


def test_equal_severity_is_decided_by_revenue_at_risk_then_id():
    h = _history({("A", "P"): [(10.0, 10.0)] * 10, ("B", "P"): [(10.0, 30.0)] * 10, ("C", "P"): [(10.0, 30.0)] * 10})
    visits = pd.DataFrame({"account_id": ["A", "B", "C"], "quarter": [2] * 3, "rep_visits": [4] * 3})
    w = early_warnings(h, 2027, 2, WarningRules(), account_reps={}, plan_visits=visits, visits_made={})
    assert w["account_id"].tolist() == ["B", "C", "A"]
    assert severity(["few-visits", "yoy-decline"]) == FLAG_WEIGHTS["few-visits"] + FLAG_WEIGHTS["yoy-decline"]


def test_bikes_and_socks_are_watched_by_revenue_not_by_adding_their_pieces():
    # the account sells fewer socks but twice the bikes: its pieces fall 40 %, its revenue only 8 %
    ly, now = (10.0, 8770.0), (20.0, 17540.0)
    socks_ly, socks_now = (1000.0, 29000.0), (590.0, 17110.0)
    bikes = [ly] * 6 + [ly, ly, ly, now]
    socks = [socks_ly] * 6 + [socks_ly, socks_ly, socks_ly, socks_now]
    h = _history({("A", "BIKE"): bikes, ("A", "SOCK"): socks})
    units = UnitSystem({"BIKE": "pcs", "SOCK": "pcs"}, list_prices={"BIKE": 877.0, "SOCK": 29.0})
    naive = early_warnings(h, 2027, 2, WarningRules(), account_reps={"A": "r"}, unit="pcs")
    assert naive["flags"].tolist() == [["yoy-decline"]]  # 610 pcs vs 1,010 pcs: adding bikes to socks
    by_revenue = early_warnings(h, 2027, 2, WarningRules(), account_reps={"A": "r"}, unit="pcs", units=units,
                                currency="USD")
    assert by_revenue.empty  # revenue 34,650 vs 37,770 is -8 %: under the 15 % of yoy_decline
    socks = [socks_ly] * 6 + [socks_ly, socks_ly, socks_ly, (400.0, 11600.0)]
    h = _history({("A", "BIKE"): bikes, ("A", "SOCK"): socks})
    w = early_warnings(h, 2027, 2, WarningRules(), account_reps={"A": "r"}, units=units, currency="USD")
    assert w["flags"].tolist() == [["yoy-decline"]]
    assert w["evidence"][0][0] == "revenue 2027 Q2 29,140.0 USD vs 2026 Q2 37,770.0 USD (-23%)"


def test_converted_volume_where_a_conversion_joins_the_units():
    h = _history({("A", "CASE"): [(10.0, 1200.0)] * 9 + [(5.0, 600.0)], ("A", "PC"): [(120.0, 1200.0)] * 10})
    units = UnitSystem({"CASE": "case", "PC": "pcs"}, conversions={"case": {"pcs": 12}}, total_unit="pcs",
                       list_prices={"CASE": 120.0, "PC": 10.0})
    w = early_warnings(h, 2027, 2, WarningRules(yoy_decline=0.2), account_reps={"A": "r"}, units=units)
    assert w["evidence"][0][0] == "volume 2027 Q2 180.0 pcs vs 2026 Q2 240.0 pcs (-25%)"


def test_every_figure_flag_is_said_in_chinese_with_its_numbers():
    """The figure flags carry facts, so a Chinese workbook or console says them in Chinese (issue 13/14)."""
    import re

    from kamplan.stages.wallet import say_evidence
    falling = [(100.0, 100.0)] * 6 + [(95.0, 95.0), (90.0, 90.0), (80.0, 80.0), (60.0, 60.0)]
    h = _history({("SMALL", "P"): falling})
    targets = pd.DataFrame({"account_id": ["SMALL"], "product_id": ["P"], "quarter": [2], "volume": [100.0],
                            "price": [1.0]})
    visits = pd.DataFrame({"account_id": ["SMALL"], "quarter": [2], "rep_visits": [6]})
    complaints = pd.DataFrame({"account_id": ["SMALL", "SMALL"], "date": ["2027-05-02", "2027-04-11"]})
    purchases = pd.DataFrame({"account_id": ["SMALL", "SMALL"], "year": [2026, 2027], "quarter": [2, 2],
                              "total_volume": [100.0, 100.0]})
    w = early_warnings(h, 2027, 2, WarningRules(), account_reps={"SMALL": "r"}, targets=targets,
                       plan_visits=visits, visits_made={"SMALL": 1}, open_complaints=complaints,
                       customer_purchases=purchases, unit="t")
    row = w.iloc[0]
    assert set(row["flags"]) == {"yoy-decline", "below-plan", "falling-trend", "few-visits", "open-complaints",
                                 "lost-share"}
    said = {code: say_evidence(code, ev, facts, "zh-CN")
            for code, ev, facts in zip(row["flags"], row["evidence"], row["facts"])}
    for code, text in said.items():
        assert not re.search(r"[A-Za-z]{3,}\W+[A-Za-z]{3,}", text), (code, text)  # no English phrase left
        assert re.search(r"[\u4e00-\u9fff]", text), (code, text)
    assert "60.0" in said["yoy-decline"] and "-40%" in said["yoy-decline"]  # 60 t against 100 t a year ago
    assert "2027-04-11" in said["open-complaints"] and "2" in said["open-complaints"]
    assert "1" in said["few-visits"] and "6" in said["few-visits"]
    english = {code: say_evidence(code, ev, facts, "en")
               for code, ev, facts in zip(row["flags"], row["evidence"], row["facts"])}
    assert english["yoy-decline"] == row["evidence"][row["flags"].index("yoy-decline")]  # same words as logged
