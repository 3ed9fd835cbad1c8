"""Issue 14 item 3: the feedback letter and marked copy of a rejected workbook, in the salesperson's language."""
from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import openpyxl

from kamplan.problems import error, problem
from kamplan.stages.feedback import feedback_for, write_feedback
from kamplan.workbooks.kit import cells
from kamplan.workbooks.kit.safety import check_workbook_file


def _ws(tmp_path: Path, language: str = "en"):
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return SimpleNamespace(inbox=tmp_path / "inbox", config=SimpleNamespace(language=language))


def _chinese_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "目标"
    book["目标"]["K6"] = "abc"
    book.save(path)
    return path


def test_a_chinese_workbook_gets_a_chinese_letter_and_a_marked_copy(tmp_path):
    ws = _ws(tmp_path, "en")  # the workbook's language wins over the workspace's
    sent = _chinese_workbook(tmp_path / "inbox" / "huangtao_2027_r1.xlsx")
    before = hashlib.sha256(sent.read_bytes()).hexdigest()
    _, why = cells.parse_number("abc")
    problems = [error("not-a-number", why, "", file=sent.name, sheet="目标", cell="K6"),
                problem("layout.row-inserted", count=1, row=9, file=sent.name, sheet="目标", cell="A9")]
    letter, marked = feedback_for(ws, sent, problems)
    assert letter.name == "huangtao_2027_r1_问题.txt" and marked.name == "huangtao_2027_r1_问题.xlsx"
    text = letter.read_text(encoding="utf-8")
    assert "huangtao_2027_r1.xlsx:收取本工作簿之前需要修改的地方" in text and "有 2 个问题使它无法进入计划。" in text
    assert '1. [错误] 目标 › K6\n   问题:"abc" 不是数字' in text
    assert "问题:在第 9 行插入了 1 行" in text and "怎么改:请删除插入的行" in text
    sheet = openpyxl.load_workbook(marked)["目标"]
    assert sheet["K6"].comment.text == '"abc" 不是数字' and sheet["K6"].fill.start_color.rgb == "FFFF9999"
    assert "在第 9 行插入了 1 行" in sheet["A9"].comment.text
    assert hashlib.sha256(sent.read_bytes()).hexdigest() == before


def test_a_file_that_is_no_workbook_gets_a_letter_in_the_workspaces_language_and_no_copy(tmp_path):
    ws = _ws(tmp_path, "zh-CN")
    sent = tmp_path / "inbox" / "lina_2027_r1.xlsx"
    sent.write_text("account,volume\nC001,12\n", encoding="utf-8")
    problems = check_workbook_file(sent)
    outcome = SimpleNamespace(outcome="rejected", path=sent, problems=problems)
    stored = SimpleNamespace(outcome="stored", path=sent, problems=[])
    assert write_feedback(ws, [outcome, stored]) == outcome.feedback
    [letter] = outcome.feedback
    assert letter.name == "lina_2027_r1_问题.txt" and not hasattr(stored, "feedback")
    text = letter.read_text(encoding="utf-8")
    assert "1. [错误] 整个文件" in text and "是纯文本/CSV 文件" in text and "另存为" in text
