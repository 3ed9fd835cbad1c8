"""A small company with account teams for the account plan tests, and filling a returned plan by hand."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import yaml

from kamplan.workbooks.account_plan.layout import AccountPlanLayout
from kamplan.workspace import Workspace
from support.teams import names, team_config_dict

SUPPORT_POOLS = [{"kind": "technical", "name": names("Technical"), "unit": "days",
                  "people": [{"id": "tech1", "name": names("Engineer One"), "capacity": {"Q1": 10}}]}]


def plan_workspace(root: Path, language: str = "en") -> Workspace:
    """r1 owns A1 (r2 member, r4 overlay), r2 owns A2 (r3 technical on P2), r3 owns A3; one support person."""
    data = team_config_dict(language=language, support_pools=SUPPORT_POOLS)
    return Workspace.init(root, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def layout_of(path: Path) -> AccountPlanLayout:
    """The layout the workbook at ``path`` was written with (rebuilt from its identity sheet)."""
    from kamplan.workbooks.account_plan.layout import IDENTITY, LIST_SHEETS
    from kamplan.workbooks.kit.identity import IDENTITY_SHEET, read_identity
    from kamplan.workbooks.kit.xlsxio import read_sheets
    sheets, _ = read_sheets(path, [IDENTITY_SHEET])
    ident = read_identity(sheets[IDENTITY_SHEET], IDENTITY)
    return AccountPlanLayout(ident["language"], int(ident["plan_year"]), currency=ident["currency"],
                             accounts=ident["accounts"], products=ident["products"], people=ident["people"],
                             rows={k: int(ident[f"rows.{k}"]) for k in LIST_SHEETS})


def fill(src: Path, dst: Path, edits: dict[str, dict[tuple[int, str], object]]) -> Path:
    """Copy ``src`` to ``dst`` with ``edits``: sheet key -> {(row offset in the table, column key): value}
    (None clears the cell).  Only input cells are edited, as a salesperson can (openpyxl keeps the rest)."""
    lay = layout_of(src)
    wb = openpyxl.load_workbook(src)
    for key, cells in edits.items():
        tb = lay.table(key)
        ws = wb[tb.sheet]
        for (off, col), value in cells.items():
            if tb.column(col).role != "input":
                raise AssertionError(f"{key}.{col} is not an input cell")
            ws.cell(tb.first_row + off + 1, tb.col(col) + 1).value = value
    wb.save(dst)
    return dst


TODAY = dt.date(2026, 11, 20)
