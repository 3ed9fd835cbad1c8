"""The zh-CN evaluation workbook says every text it generates in Chinese (class-change reasons, early-warning
evidence, share of wallet), and it marks the lines of full-credit (overlay) roles: the demo company, its
account plans kept for the year, evaluated at Q4."""
from __future__ import annotations

import re

import openpyxl
import pytest

from kamplan.demo.account_plans import keep_plans
from kamplan.demo.actuals import drifting_accounts
from kamplan.demo.company import DEMO_SEED
from kamplan.stages.evaluation import evaluate
from kamplan.stages.plan import plan_view
from kamplan.workbooks.evaluation.layout import et
from kamplan.workbooks.evaluation.writer import OVERLAY_FILL
from support.evaluation import evaluation_workspace, layout_of

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")  # ids (C114), quarters (Q4) and units (t) are no words


@pytest.fixture(scope="module")
def year_end(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval-zh")
    ws = evaluation_workspace(root, root / "ws", language="zh-CN", quarters=(1, 2, 3, 4))
    targets = plan_view(ws.store, ws.config.plan_year).targets
    for q in (1, 2, 3, 4):
        keep_plans(ws, q, targets, drifting_accounts(targets, DEMO_SEED), DEMO_SEED)
    res = evaluate(ws, 4)
    assert res.ok, res.problems
    yield ws, res
    ws.close()


def test_reasons_and_evidence_are_chinese(year_end):
    ws, res = year_end
    lay = layout_of(res.paths["VP"])
    wb = openpyxl.load_workbook(res.paths["VP"])
    texts = []
    for tb, key in ((lay.warnings, "evidence"), (lay.warnings, "flags"), (lay.classes, "reason")):
        sheet = wb[tb.sheet]
        texts += [sheet[tb.ref(tb.first_row + i, key)].value for i in range(tb.n_rows)]
    assert lay.warnings.n_rows and lay.classes.n_rows and all(texts)
    english = [t for t in texts if ENGLISH_WORD.search(t)]
    assert english == [], english[:3]
    # the engine's flags with facts all reached the catalogue: e.g. a year-on-year decline reads in Chinese
    assert any("去年同期" in t or "目标" in t for t in texts)


def test_overlay_lines_are_shaded_and_explained(year_end):
    ws, res = year_end
    lines = res.data.lines
    full = lines.index[lines["full_credit"].astype(bool)].tolist()
    assert full, "the demo has an overlay"
    lay = layout_of(res.paths["VP"])
    tb = lay.results
    sheet = openpyxl.load_workbook(res.paths["VP"])[tb.sheet]
    shaded = set()
    for rng, rules in sheet.conditional_formatting._cf_rules.items():
        for rule in rules:
            fill = rule.dxf.fill if rule.dxf is not None else None
            if fill is not None and OVERLAY_FILL.lstrip("#") in str(fill.bgColor.rgb or fill.fgColor.rgb):
                shaded |= {cell_range.min_row - 1 for cell_range in rng.sqref.ranges}
    assert shaded == {tb.first_row + i for i in full}
    notes = [sheet.cell(r, 1).value for r in (3, 4)]
    assert et("overlay.note", "zh-CN") in notes
