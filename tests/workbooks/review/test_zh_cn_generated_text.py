"""Every text kamplan writes into a Chinese workbook is Chinese (issue 13): the review's reasons, movement,
develop candidates and warnings, the consolidation's version descriptions, the targets, agreed targets,
account plan, monthly review and resource plan workbooks.  An English sentence (three or more English words in a row)
in a zh-CN workbook is generated text that lost its language, unless it is what a person typed (the
demo salesperson types English topics and commitments) or a command or file name the reader types.
The evaluation workbook's words are checked with it (tests/workbooks/evaluation)."""
from __future__ import annotations

import ast
import inspect
import re

import pytest
from python_calamine import CalamineWorkbook

import kamplan.demo.salesforce
from support.every_workbook import every_workbook
from support.plan_books import plan_books

KINDS = ("targets_round1", "targets_round2_proposal", "account_review", "consolidation", "agreed_targets",
         "management_summary", "account_plan", "month_review", "resource_plan")
SENTENCE = re.compile(r"(?:\b[A-Za-z][a-z'’-]+\b[\s,;:.()\d%+#\"-]*){3,}")  # numbers may sit between words
# what the reader types: a command line (up to its end or the next Chinese character), a file name
COMMAND = re.compile(r"kamplan(?: +[-\w./]+)+")
FILE = re.compile(r"\S+\.xlsx")


def _typed() -> set[str]:
    """The texts the demo salesperson types into their workbooks (kamplan/demo/salesforce.py)."""
    tree = ast.parse(inspect.getsource(kamplan.demo.salesforce))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def english_sentences(text: str) -> list[str]:
    return SENTENCE.findall(FILE.sub(" ", COMMAND.sub(" ", text)))


def test_the_sentence_finder_finds_english_and_spares_commands_and_ids():
    assert english_sentences("bottom-up, round 1: 1 salespeople submitted")
    assert english_sentences("自上而下:revenue company 51,320,000.00 by proportional")
    assert not english_sentences("保存后运行 kamplan accounts collect 文件名.xlsx:调整和评分存入系统")
    assert not english_sentences("销售额:公司 51,320,000.00,按自下而上目标比例分配 C114 HCR")


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    out = {name: path for name, path in every_workbook().items() if name.endswith("_zh-CN.xlsx")}
    return out | plan_books(tmp_path_factory.mktemp("plans"), "zh-CN")


@pytest.mark.parametrize("kind", KINDS)
def test_a_chinese_workbook_holds_no_english_text_kamplan_wrote(books, kind):
    wb = CalamineWorkbook.from_path(str(books[f"{kind}_zh-CN.xlsx"]))
    typed = _typed()
    found = []
    for sheet in wb.sheet_names:
        for r, row in enumerate(wb.get_sheet_by_name(sheet).to_python()):
            for c, value in enumerate(row):
                if isinstance(value, str) and value not in typed and english_sentences(value):
                    found.append(f"{sheet}!R{r + 1}C{c + 1}: {value[:100]!r}")
    assert not found, f"{len(found)} English texts: {found[:6]}"
