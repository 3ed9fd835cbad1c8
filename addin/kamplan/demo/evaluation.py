"""The demo's VP at work: rate the judgement goals and set service statuses in an evaluation workbook.

``fill_vp_evaluation(src, dst, rng)`` types into the unlocked cells only, as a VP would in Excel, and
saves the result as ``dst`` (ready for ``kamplan evaluate collect``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from kamplan.demo.keyboard import TypedWorkbook
from kamplan.workbooks.evaluation.layout import IDENTITY, REVIEWER_CELL, EvaluationLayout, GoalSpec, et
from kamplan.workbooks.kit.identity import IDENTITY_SHEET, read_identity
from kamplan.workbooks.kit.xlsxio import read_sheets

_COMMENTS = {"en": ["Close to the customer's engineers", "Plan updated after every visit", "Needs more visits",
                    "Handled the complaint well"],
             "zh-CN": ["与客户技术人员联系紧密", "每次拜访后及时更新计划", "需要增加拜访", "投诉处理得当"]}


def evaluation_layout_of(path: Path) -> EvaluationLayout:
    """The layout of an evaluation workbook, rebuilt from its identity block."""
    sheets, _ = read_sheets(Path(path), [IDENTITY_SHEET])
    i = read_identity(sheets[IDENTITY_SHEET], IDENTITY)
    return EvaluationLayout(i["language"], int(i["year"]), int(i["quarter"]), i["evaluation"], i["audience"],
                            lines=i["lines"], accounts=i["accounts"], reps=[r[0] for r in i["reps"]],
                            goals=[GoalSpec(a, b, c, float(d)) for a, b, c, d in i["goals"]],
                            services=i["services"], n_warnings=int(i["n_warnings"]), n_classes=int(i["n_classes"]),
                            with_allocation=i["with_allocation"] == "1",
                            scale=(int(i["scale_min"]), int(i["scale_max"])), cap=float(i["cap"]),
                            currency=i["currency"], unit=i["unit"], n_wallet=int(i.get("n_wallet", "0")))


def fill_vp_evaluation(src: Path, dst: Path, rng: np.random.Generator, reviewer: str = "VP") -> int:
    """Rate every judgement goal of every salesperson, comment on some, and give each service commitment a
    status. Returns the number of ratings typed."""
    lay = evaluation_layout_of(src)
    wb = TypedWorkbook(src)
    sc, sv = lay.scorecard, lay.services
    wb.type(sc.sheet, xl_rowcol_to_cell(*REVIEWER_CELL), reviewer)
    kinds = {g.id: g.kind for g in lay.goals}
    lo, hi = lay.scale
    n = 0
    comments = _COMMENTS["zh-CN" if lay.language == "zh-CN" else "en"]
    for i, (_rep, goal) in enumerate(sc.row_keys):
        if kinds[goal] != "judgement":
            continue
        r = sc.first_row + i
        wb.type(sc.sheet, sc.ref(r, "rating"), int(rng.integers(max(lo, hi - 3), hi + 1)))
        if rng.random() < 0.3:
            wb.type(sc.sheet, sc.ref(r, "comment"), comments[int(rng.integers(0, len(comments)))])
        n += 1
    statuses = ["delivered", "in_progress", "open", "late"]
    for i in range(sv.n_rows):
        status = statuses[int(rng.integers(0, len(statuses)))]
        wb.type(sv.sheet, sv.ref(sv.first_row + i, "status"), et(f"status.{status}", lay.language))
    wb.save(dst)
    return n
