"""The scorecard's volume goal adds volume only within one unit (issue 12 item 5)."""
from __future__ import annotations

import math

import pandas as pd

from kamplan.config.evaluation import Goal
from kamplan.engine.evaluation import goal_numbers, scorecard
from kamplan.engine.units import UnitSystem

UNITS = UnitSystem({"BIKE": "pcs", "SOCK": "pcs", "CASE": "case", "PC": "pcs"},
                   conversions={"case": {"pcs": 12}}, total_unit="pcs",
                   list_prices={"BIKE": 877.0, "SOCK": 29.0, "CASE": 240.0, "PC": 21.0})


def _results(rows):
    return pd.DataFrame(rows, columns=["rep_id", "account_id", "product_id", "ytd_target_volume", "ytd_actual_volume",
                                       "ytd_target_revenue", "ytd_actual_revenue", "ytd_target_gm", "ytd_actual_gm"])


ACTIVITY = pd.DataFrame(columns=["rep_id", "ytd_rep_planned", "ytd_rep_made", "ytd_trainings_planned",
                                 "ytd_trainings_held"])


def test_volume_goal_per_unit_converted_or_left_out():
    results = _results([
        ("mixed", "A", "BIKE", 10, 8, 8770, 7016, 0, 0), ("mixed", "A", "SOCK", 1000, 1300, 29000, 37700, 0, 0),
        ("bikes", "B", "BIKE", 20, 15, 17540, 13155, 0, 0),
        ("cases", "C", "CASE", 10, 12, 2400, 2880, 0, 0), ("cases", "C", "PC", 60, 30, 1260, 630, 0, 0)])
    n = goal_numbers(results, ACTIVITY, UNITS).set_index(["rep_id", "goal"])
    assert math.isnan(n.at[("mixed", "volume"), "target"]) and math.isnan(n.at[("mixed", "volume"), "result"])
    assert n.at[("mixed", "revenue"), "target"] == 8770 + 29000
    assert (n.at[("bikes", "volume"), "target"], n.at[("bikes", "volume"), "result"]) == (20, 15)
    assert (n.at[("cases", "volume"), "target"], n.at[("cases", "volume"), "result"]) == (10 * 12 + 60, 12 * 12 + 30)
    # without units the old sum (bikes + socks as pieces) is kept for callers that do not know them
    assert goal_numbers(results, ACTIVITY).set_index(["rep_id", "goal"]).at[("mixed", "volume"), "target"] == 1010
    goals = [Goal(id="revenue", kind="number", weight=0.5), Goal(id="volume", kind="number", weight=0.5)]
    lines, totals = scorecard(goal_numbers(results, ACTIVITY, UNITS), goals, ["mixed", "bikes"])
    t = totals.set_index("rep_id")
    # mixed: scored on revenue alone (44,716 / 37,770, capped at 120 %); its volume goal has no score
    assert t.at["mixed", "score"] == 100 * min((7016 + 37700) / (8770 + 29000), 1.2)
    assert t.at["mixed", "scored_weight"] == 0.5
    assert t.at["bikes", "score"] == 0.5 * 100 * 13155 / 17540 + 0.5 * 100 * 15 / 20
