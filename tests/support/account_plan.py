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
                             accounts=ident["accounts"], products=[tuple(x) for x in ident["products"]], people=ident["people"],
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


def sample_content(language: str = "en", blank_rows: int = 5):
    """A pre-filled account plan of one salesperson with two accounts, as a stage would build it."""
    from kamplan.workbooks.account_plan.content import AccountPlanContent, new_identity
    ident = new_identity(2027, "zhangwei", 3, dt.datetime(2026, 12, 1, 9, 0))
    rows = {
        "contacts": [
            {"row_id": "c1", "account": "A1", "name": "Wang Fang", "title": "Plant manager", "department": "Production",
             "role": "decision_maker", "attitude": "supporter", "influence": 5, "relationship": "strong",
             "owner": "zhangwei", "last_contact": dt.date(2026, 11, 3), "personal_note": "daughter at Fudan"},
            {"row_id": "c2", "account": "A1", "name": "Li Lei", "title": "Buyer", "role": "buyer",
             "attitude": "neutral", "influence": 3, "owner": "tech1", "reports_to": "Wang Fang"},
            {"row_id": "c3", "account": "A2", "name": "Zhao Min", "role": "technical", "attitude": "opponent",
             "influence": 4}],
        "competitors": [{"row_id": "k1", "account": "A1", "competitor": "RivalChem", "their_product": "N-99",
                         "our_product": "P1", "share": 0.35, "satisfaction": 3, "threat": "high",
                         "last_price": 41.5, "last_seen": dt.date(2026, 10, 1)}],
        "projects": [{"row_id": "p1", "account": "A1", "project": "New feed line", "problem": "yield",
                      "value": 250000.0, "stage": "proposal", "decision_maker": "Wang Fang", "influencer": "Li Lei",
                      "budget": 300000.0, "next_step": "trial", "next_date": dt.date(2027, 1, 15)}],
        "actions": [{"row_id": "x1", "account": "A1", "action": "Send trial samples", "owner": "tech1",
                     "due": dt.date(2026, 12, 20), "status": "open", "project": "New feed line",
                     "contact": "Li Lei", "support_request": "zhangwei-12"}],
        "visits": [{"row_id": "v1", "account": "A1", "date": dt.date(2026, 11, 3), "our_person": "zhangwei",
                    "met": "Wang Fang", "purpose": "review", "outcome": "trial agreed", "satisfaction": 4,
                    "complaints_raised": 2, "complaints_closed": 1, "next_step": "samples"},
                   {"row_id": "v2", "account": "A2", "date": dt.date(2026, 11, 10), "met": "Zhao Min",
                    "complaints_raised": 1}],
    }
    return AccountPlanContent(
        identity=ident, language=language, company="Acme", currency="CNY", rep_name="Zhang Wei",
        accounts=[("A1", "Alpha Co"), ("A2", "Beta Co")], products=[("P1", "Niacin", "t"), ("P2", "B5", "kg")],
        people=[("zhangwei", "Zhang Wei"), ("liuyang", "Liu Yang"), ("tech1", "Engineer One")], rows=rows,
        business={"A1": {"usage_P1": 1200.0, "usage_P2": 15.5, "main_products": "feed", "markets": "Asia",
                         "purchasing_pattern": "quarterly tender"}}, blank_rows=blank_rows)
