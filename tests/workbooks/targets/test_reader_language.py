"""Issue 14 (wave 2): what a salesperson gets back about a returned target workbook is said in their language.

A zh-CN workbook with a bad number is rejected with a Chinese problem (console, feedback letter); the same
problem said in English is word for word what kamplan said before the catalogue.
"""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.demo.salesforce import fill_target_workbook, make_mistake
from kamplan.stages.feedback import feedback_for
from kamplan.stages.targets import collect_targets
from support.demo_fixture import demo_workspace_fixture

zh_ws = demo_workspace_fixture("zh-CN")


def _bad_workbook(ws, value="abc", key="volume_q2"):
    src = sorted(ws.round_outbox(1).glob("*.xlsx"))[0]
    dst = ws.inbox / src.name
    fill_target_workbook(src, dst, np.random.default_rng(5))
    return dst, make_mistake(dst, "targets", key, value, row_index=3)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_a_bad_number_in_a_chinese_workbook_is_said_in_chinese_and_in_todays_english(zh_ws):
    path, ref = _bad_workbook(zh_ws)
    [f] = collect_targets(zh_ws, [path]).files
    assert f.outcome == "rejected"
    [p] = f.errors
    assert (p.code, p.id, p.cell) == ("bad-value", "targets.bad-value", ref)
    unit = zh_ws.config.products[0].unit
    assert p.message_in("zh-CN") == '"abc" 不是数字'
    assert p.fix_in("zh-CN") == f"请以数字填写 Q2 的数量(单位:{unit})"
    # the English rendering is the text of before the catalogue, word for word
    assert p.render("en") == f'{path.name} › {p.sheet} › {ref}: "abc" is not a number — enter the Q2 volume in ' \
                             f'{unit} as a number'
    assert p.to_dict()["fields"]["why"] == '"abc" is not a number'


def test_the_feedback_letter_of_a_rejected_chinese_workbook_is_chinese(zh_ws):
    path, ref = _bad_workbook(zh_ws, value="-5", key="price_q1")
    [f] = collect_targets(zh_ws, [path]).files
    letter, _ = feedback_for(zh_ws, path, f.problems)
    assert letter.name.endswith("_问题.txt")
    text = letter.read_text(encoding="utf-8")
    what = [line for line in text.splitlines() if line.strip().startswith(("问题:", "怎么改:"))]
    assert what and all(_has_chinese(line) for line in what)
    assert f"› {ref}" in text and '"-5" 小于 0' in text and "请以数字填写 Q1 每 " in text
    assert "is below" not in text and "enter the" not in text


def test_targets_collect_in_a_chinese_workspace_prints_the_rejected_cells_problem_in_chinese(zh_ws, monkeypatch):
    monkeypatch.delenv("KAMPLAN_LANG", raising=False)  # the workspace's language (zh-CN) speaks
    path, ref = _bad_workbook(zh_ws)
    root = zh_ws.root
    zh_ws.close()
    res = CliRunner().invoke(cli, ["-w", str(root), "targets", "collect"], catch_exceptions=False)
    out = res.output.replace("\n", "")
    assert ref in out and '"abc" 不是数字' in out and "请以数字填写 Q2 的数量" in out, res.output
    assert "enter the Q2 volume" not in out
    # (the status table's "reasons" column shows the problem as the store kept it: English text, until the store
    # keeps a problem's catalogue id and fields; the store is converted in another part of this wave)


@pytest.mark.parametrize("pid, fields, english", [
    ("targets.wrong-year", {"year": 2026, "plan_year": 2027},
     "this workbook is for 2026; the plan being collected is 2027 — send the 2027 workbook (last year's file was "
     "probably attached by mistake)"),
    ("targets.stale-round", {"round": 1, "current": 2},
     "this is the round 1 workbook, but round 2 is open — fill in the round 2 workbook you were sent"),
    ("targets.account-moved", {"account": "C7", "owner": "lina"},
     "account C7 now belongs to lina; its lines here were not stored — give the figures to lina, or ask the VP "
     "to move the account back"),
    ("targets.too-large", {"value": "9e9", "top": 1e9, "low": "0", "typed": "enter the Q1 price per t as a number"},
     "9e9 is above the limit 1,000,000,000 — enter the Q1 price per t as a number between 0 and 1,000,000,000 "
     "(a typo?)"),
    ("review.override-without-reason", {"account": "C1", "name": "A", "header": "Reason"},
     "account C1: the override to 'A' has no reason — say why in 'Reason', or clear the override class"),
    ("resources.wrong-year", {"year": 2026, "plan_year": 2027},
     "this resource plan is for 2026; the plan year is 2027 — give the 2027 resource plan"),
    ("evaluation.not-the-vp-workbook", {"rep": "lina"},
     "this is the copy for salesperson 'lina'; it has no rating cells — enter ratings in the VP's workbook "
     "(evaluation_YEAR_Qn_VP.xlsx or evaluation_YEAR_annual_summary.xlsx) and collect that one"),
])
def test_a_sample_of_the_readers_problems_english_as_before_and_chinese(pid, fields, english):
    from kamplan.problems import problem
    p = problem(pid, **fields)
    assert p.render("en") == english
    zh = p.render("zh-CN")
    assert _has_chinese(zh) and zh != english


def test_the_changed_figures_of_a_proposal_line_are_listed_in_the_sentences_language_after_a_worker_process():
    import pickle
    from kamplan.problems import phrase, problem
    from kamplan.workbooks.targets.reader import _Listed
    what = _Listed([phrase("targets.changed-figure", header="Q1 volume", value="5", proposed="4"),
                    phrase("targets.changed-figure", header="Q2 volume", value="6", proposed="4")])
    p = pickle.loads(pickle.dumps(problem(
        "targets.changed-without-counter", what=what, counter="Counter", response="Response", response_cell="R7",
        comment="Comment", comment_cell="S7", restore="Q1 volume 4, Q2 volume 4", sheet="Targets", cell="K7")))
    assert p.message_in("en") == ("Q1 volume 5 (proposal 4), Q2 volume 6 (proposal 4) differ from the proposal, "
                                  "but the line is not marked Counter")
    assert p.message_in("zh-CN").startswith("Q1 volume 5(建议 4)、Q2 volume 6(建议 4) 与建议方案不同")
    assert p.to_dict()["fields"]["what"] == "Q1 volume 5 (proposal 4), Q2 volume 6 (proposal 4)"
