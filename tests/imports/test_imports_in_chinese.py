"""Issue 14 (wave 2): the problems of the imports and the period helpers are said in zh-CN from the catalogue,
in English exactly as before, and carry their id and fields for --json."""
from __future__ import annotations

import re

from kamplan.imports.history import _amount_problems, _Cell, _plan_id
from kamplan.imports.replacing import Replacing, Totals, shrink_problem
from kamplan.imports.tables import read_table
from kamplan.config.actuals import ActualsRules
from kamplan.periods import choose_period

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"\b(the|is|has|not|and|are)\b ")


def _chinese(text: str) -> bool:
    return bool(CJK.search(text)) and not ENGLISH_SENTENCE.search(text)


def test_a_missing_file_is_said_in_both_languages(tmp_path):
    _, _, [p] = read_table(tmp_path / "nope.csv", ActualsRules())
    assert str(p) == f"nope.csv: there is no file {tmp_path / 'nope.csv'} — check the path"
    assert _chinese(p.render("zh-CN")) and p.to_dict()["id"] == "import.no-file"
    assert p.code == "actuals-missing"


def test_history_row_problems_are_chinese_and_keep_their_english():
    where = _Cell("h.csv", "row 4")
    [p] = _amount_problems({"volume": 5.0, "price": None, "revenue": None}, set(), where)
    assert p.message == "volume 5 has neither a price nor a revenue" and p.code == "history-value"
    assert _chinese(p.message_in("zh-CN")) and _chinese(p.fix_in("zh-CN"))
    _, [w] = _plan_id("X9", "account_id", "account", {"A1"}, where)
    assert w.message == "account 'X9' is not in the plan's config" and not w.is_error
    assert _chinese(w.message_in("zh-CN")) and w.to_dict()["fields"] == {"value": "'X9'"}


def test_a_shrinking_import_and_a_period_outside_the_years_are_chinese():
    p = shrink_problem((2026, 2), Totals(3, 10.0, 100.0), Totals(300, 1000.0, 10000.0), file="e.csv",
                       first_line="row 2")
    assert p.message == ("this import would replace fiscal 2026 Q2 as stored (300 row(s), volume 1,000.00, revenue "
                         "10,000) with 3 row(s), volume 10.00, revenue 100: 99% less; its line(s) start at row 2")
    assert _chinese(p.message_in("zh-CN")) and _chinese(p.fix_in("zh-CN"))
    q = Replacing.for_history(2027).line_problem((1999, 1), "date 1999-01-02", file="e.csv", sheet=None, cell=None)
    assert q.code == "import-period-outside" and _chinese(q.fix_in("zh-CN"))


def test_choosing_a_period_without_history_is_chinese():
    _, [p] = choose_period(None)
    assert p.message == "the store holds no sales history, so there is nothing to rank"
    assert _chinese(p.render("zh-CN")) and p.code == "no-history"
