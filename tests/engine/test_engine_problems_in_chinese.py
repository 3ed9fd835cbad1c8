"""Issue 14 (wave 2): the engine's warnings come from the catalogue: English as before, zh-CN Chinese."""
from __future__ import annotations

import re

import numpy as np

from kamplan.engine.spreading import spread

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"\b(the|is|has|not|and|are|lines|figure)\b ")


def _chinese(text: str) -> bool:
    return bool(CJK.search(text)) and not ENGLISH_SENTENCE.search(text)


def test_an_unreachable_figure_is_said_in_chinese_and_english():
    res = spread(1000.0, np.array([10.0, 20.0]), caps=np.array([30.0, 40.0]))
    [p] = [p for p in res.problems if p.code == "spread-figure-unreachable"]
    assert p.message.startswith("figure 1,000.00 is ") and "free lines at their cap" in p.message
    assert p.message in res.notes
    assert _chinese(p.message_in("zh-CN")) and _chinese(p.fix_in("zh-CN"))
    assert p.to_dict()["id"] == "spread.figure-unreachable"


def test_an_allocation_problem_is_said_in_chinese():
    from kamplan.engine.resources.allocation import solver
    assert hasattr(solver, "_why_infeasible")
    from kamplan.problems import problem
    p = problem("alloc.coverage-over-capacity", need="12", kind="service", have="10", more="2")
    assert p.message == "minimum coverage needs 12 service units but the pool has 10 in the year"
    assert p.fix == "add 2 units of service capacity, or lower the minimum" and p.code == "coverage-over-capacity"
    assert CJK.search(p.render("zh-CN")) and "units but" not in p.render("zh-CN")
