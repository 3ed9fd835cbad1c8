"""December workbooks of account teams: each member sees the accounts they carry and their share; one
person plans each line (the others see it read-only), and collect refuses a line typed by someone else."""
from __future__ import annotations

import numpy as np
import openpyxl
import pytest
import yaml

from kamplan.demo.salesforce import fill_target_workbook, layout_of, make_mistake
from kamplan.stages.plan import plan_view
from kamplan.stages.targets import collect_targets, issue_targets
from kamplan.workspace import Workspace

from support.teams import team_config_dict

# A1: owner r1, r2 30% of everything, r4 overlay; A2: owner r2, r3 70% of P2 (so r3 plans A2 P2)
TEAM = {"A1": [{"salesperson": "r2", "role": "member", "share": 0.3}, {"salesperson": "r4", "role": "overlay"}],
        "A2": [{"salesperson": "r3", "role": "technical", "share": {"P2": 0.7}}]}


@pytest.fixture
def ws(tmp_path):
    w = Workspace.init(tmp_path / "ws", yaml.safe_dump(team_config_dict(TEAM, language="en"), allow_unicode=True))
    issue_targets(w, round_no=1)
    yield w
    w.close()


def book(ws, rep):
    [path] = [p for p in ws.round_outbox(1).glob("*.xlsx") if p.name.startswith(rep + "_")]
    return path


def rows_of(path):
    wb = openpyxl.load_workbook(path)
    lay = layout_of(wb)
    tg, sheet = lay.targets, wb[lay.targets.sheet]
    out = {}
    for i, (acc, prod) in enumerate(tg.row_keys):
        r = tg.first_row + i
        out[(acc, prod)] = (sheet[tg.ref(r, "account")].value, sheet[tg.ref(r, "product")].value,
                            sheet[tg.ref(r, "volume_q1")].protection.locked)
    return out


def test_each_member_sees_the_accounts_they_carry_with_their_share_and_who_plans_each_line(ws):
    r2 = rows_of(book(ws, "r2"))
    assert {a for a, _ in r2} == {"A2", "A1"}
    name, product, locked = r2[("A1", "P1")]
    assert name == "Acme (your share 30%)" and product.endswith("planned by Rep 1") and locked
    name, product, locked = r2[("A2", "P2")]  # r2 owns A2, but r3 has the larger share of P2
    assert name == "Bolt (your share P1 100%, P2 30%)" and product.endswith("planned by Rep 3") and locked
    assert not r2[("A2", "P1")][2]  # r2 plans A2's P1
    r3 = rows_of(book(ws, "r3"))
    assert not r3[("A2", "P2")][2] and r3[("A2", "P1")][2]
    r4 = rows_of(book(ws, "r4"))
    assert set(r4) == {("A1", "P1"), ("A1", "P2")} and all(locked for _, _, locked in r4.values())
    assert r4[("A1", "P1")][0] == "Acme (full credit)"
    r1 = rows_of(book(ws, "r1"))
    assert r1[("A1", "P1")][0] == "Acme (your share 70%)" and not r1[("A1", "P1")][2]


def test_collect_stores_each_line_once_and_refuses_a_line_typed_by_someone_else(ws):
    filled = {}
    for rep in ("r1", "r2", "r3"):
        src = book(ws, rep)
        filled[rep] = ws.inbox / src.name
        fill_target_workbook(src, filled[rep], np.random.default_rng(3))
        # history is empty: make sure every line this person plans has a volume
        wb = openpyxl.load_workbook(filled[rep])
        lay = layout_of(wb)
        wb.close()
        for i, _ in enumerate(lay.targets.row_keys):
            if not rows_of(filled[rep])[lay.targets.row_keys[i]][2]:
                make_mistake(filled[rep], "targets", "volume_q1", 5, row_index=i)
    res = collect_targets(ws, list(filled.values()))
    assert all(o.outcome == "stored" for o in res.files), [o.problems for o in res.files]
    lines = {}
    plan = plan_view(ws.store, ws.config.plan_year).targets
    q1 = plan[(plan["quarter"] == 1) & (plan["volume"] > 0)]
    for key, g in q1.groupby(["account_id", "product_id"]):
        lines[key] = sorted(g["rep_id"])
    assert lines == {("A1", "P1"): ["r1"], ("A1", "P2"): ["r1"], ("A2", "P1"): ["r2"], ("A2", "P2"): ["r3"],
                     ("A3", "P1"): ["r3"], ("A3", "P2"): ["r3"]}

    # r2 unprotects the sheet and types into A1 P1, which r1 plans: refused with the cell
    wb = openpyxl.load_workbook(filled["r2"])
    lay = layout_of(wb)
    tg = lay.targets
    ref = tg.ref(tg.first_row + tg.row_keys.index(("A1", "P1")), "volume_q1")
    wb[tg.sheet].protection.sheet = False
    wb[tg.sheet][ref] = 9
    wb.save(filled["r2"])
    res = collect_targets(ws, [filled["r2"]])
    [f] = res.files
    assert f.outcome == "rejected"
    [p] = [p for p in f.errors if p.code == "not-your-line"]
    assert (p.sheet, p.cell) == ("Targets", ref) and "planned by r1" in p.message


def test_a_member_who_plans_no_line_may_send_the_workbook_back_as_it_is(ws):
    # r4 (overlay on A1, no account of their own) sees only locked lines: nothing to type, not "blank"
    src = book(ws, "r4")
    res = collect_targets(ws, [src])
    [f] = res.files
    assert f.outcome == "stored", f.problems
    assert len(ws.store.current_submission("r4", ws.config.plan_year, 1).targets) == 0
