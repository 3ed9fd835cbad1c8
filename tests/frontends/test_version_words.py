"""A plan version in words (``kamplan.messages.versions``): English says the stored words, Chinese says the
version's record from the catalogue; a record kamplan cannot read keeps its stored words."""
from __future__ import annotations

import pickle

from kamplan.messages import render
from kamplan.messages.versions import VersionWords, version_kind, version_text

BOTTOM_UP = {"id": 1, "kind": "bottom-up", "round": 1, "description": "bottom-up, round 1: 7 salespeople submitted",
             "summary": {"submissions": [1, 2, 3, 4, 5, 6, 7]}}
QUOTAS = {"id": 2, "kind": "top-down", "description": "revenue quotas from q.xlsx", "instruction": {
    "measure": "revenue", "method": "proportional", "by": "rep", "source": {"file": "q.xlsx"},
    "figures": {"r1": 1000.5, "r2": 2000}, "holds": [["account", "C101"], ["rep", "r3"]],
    "bounds": [{"side": "floor", "text": "C102 >= 10"}], "note": "plan B"}}
UNDO = {"id": 3, "kind": "undo", "description": "back to version 1", "summary": {"restored": 1}}


def test_english_says_the_stored_words_and_chinese_the_record():
    versions = {1: BOTTOM_UP, 2: QUOTAS, 3: UNDO}
    for record in versions.values():
        assert version_text(record, "en", versions) == record["description"]
    assert version_text(BOTTOM_UP, "zh-CN") == "自下而上,第 1 轮:7 名销售人员已提交"
    assert version_text(QUOTAS, "zh-CN") == ("销售额配额来自 q.xlsx:2 个销售人员数字(合计 3,000.50),按自下而上目标比例分配"
                                             ";锁定:客户 C101、销售人员 r3;下限 C102 >= 10;备注:plan B")
    assert version_text(UNDO, "zh-CN", versions) == "恢复到版本 1(自下而上,第 1 轮:7 名销售人员已提交)"


def test_a_record_kamplan_cannot_read_keeps_its_stored_words():
    odd = {**QUOTAS, "instruction": {**QUOTAS["instruction"], "measure": "gross_margin"}}
    assert version_text(odd, "zh-CN") == QUOTAS["description"]
    assert version_text({"kind": "bottom-up", "summary": "old", "description": "as stored"}, "zh-CN") == "as stored"
    assert version_text({"kind": "top-down", "description": None}, "zh-CN") == ""


def test_the_words_of_a_version_travel_as_a_message():
    words = VersionWords(BOTTOM_UP)
    assert str(words) == BOTTOM_UP["description"] and render(words, "en") == BOTTOM_UP["description"]
    assert render(words, "zh-CN") == "自下而上,第 1 轮:7 名销售人员已提交"
    assert pickle.loads(pickle.dumps(words)) == BOTTOM_UP["description"]
    assert (render(version_kind("top-down"), "zh-CN"), version_kind("imported")) == ("自上而下", "imported")
