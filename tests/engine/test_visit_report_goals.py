"""Satisfaction and complaint rate in the salesperson's scorecard (issue 15 item 5)."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from pydantic import ValidationError

from kamplan.config.evaluation import Goal, ScorecardRules
from kamplan.engine.evaluation import scorecard, visit_report_numbers

GOALS = [Goal(id="revenue", kind="number", weight=0.5), Goal(id="satisfaction", kind="number", weight=0.25, target=4),
         Goal(id="complaint_rate", kind="number", weight=0.25, target=0.2)]


def test_results_from_the_visit_reports_and_the_scores():
    visits = pd.DataFrame({"rep_id": ["a", "a", "a", "a", "b"], "satisfaction": [5, 4, None, 3, 5],
                           "complaints_raised": [1, 0, 1, None, 0]})
    n = visit_report_numbers(visits, GOALS, ["a", "b", "c"]).set_index(["rep_id", "goal"])
    assert n.at[("a", "satisfaction"), "result"] == 4.0  # (5 + 4 + 3) / 3: a blank is no rating
    assert n.at[("a", "complaint_rate"), "result"] == 0.5  # 2 complaints in 4 reports
    assert n.at[("b", "complaint_rate"), "result"] == 0.0
    assert math.isnan(n.at[("c", "satisfaction"), "result"])  # no report: no result
    numbers = pd.concat([n.reset_index(), pd.DataFrame({"rep_id": ["a", "b", "c"], "goal": "revenue",
                                                        "target": 100.0, "result": [90.0, 100.0, 80.0]})])
    lines, totals = scorecard(numbers, GOALS, ["a", "b", "c"], attainment_cap=1.2)
    s = lines.set_index(["rep_id", "goal"])["score"]
    assert s[("a", "satisfaction")] == 100.0 and s[("a", "complaint_rate")] == pytest.approx(40.0)  # 0.2 / 0.5
    assert s[("b", "complaint_rate")] == 120.0  # no complaint at all: the cap
    assert s[("b", "satisfaction")] == pytest.approx(120.0)  # 5 / 4 capped at 1.2
    t = totals.set_index("rep_id")["score"]
    assert t["a"] == pytest.approx(0.5 * 90 + 0.25 * 100 + 0.25 * 40)
    assert t["c"] == pytest.approx(80.0)  # only revenue has a score: it carries the weight


def test_no_visit_goal_configured_changes_nothing():
    assert visit_report_numbers(pd.DataFrame({"rep_id": ["a"], "satisfaction": [1]}), GOALS[:1], ["a"]).empty


def test_config_asks_for_the_target_and_refuses_one_elsewhere():
    with pytest.raises(ValidationError, match="give its target"):
        Goal(id="satisfaction", kind="number", weight=0.1)
    with pytest.raises(ValidationError, match="only"):
        Goal(id="revenue", kind="number", weight=0.1, target=3)
    assert not any(g.id == "satisfaction" for g in ScorecardRules().goals)  # default: not scored
