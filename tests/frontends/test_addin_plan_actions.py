"""The add-in's plan and evaluation buttons as plain Python on a demo workspace: consolidate, spread
(instruction typed into the consolidation workbook), agree, allocate, import actuals."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from kamplan.demo.actuals import OUTSIDERS, simulate_actuals, write_actuals_files
from kamplan.workbooks.consolidation.layout import IDENTITY, ConsolidationLayout
from kamplan.workbooks.kit.identity import read_identity
from kamplan.workbooks.kit.xlsxio import read_sheets
from kamplan.workspace import Workspace
from kamplan.xl.actions import run_action
from kamplan.xl.tasks import ACTIVITIES_FOLDER, ACTUALS_FOLDER
from support.collected import collected_workspace
from support.workspaces import demo_workspace

@pytest.fixture
def collected(tmp_path_factory, tmp_path) -> Path:
    """The demo after round 1 (every salesperson but the last returned a filled workbook), closed."""
    collected_workspace(tmp_path_factory, tmp_path / "ws").close()
    return tmp_path / "ws"


def type_company_figure(book: Path, figure: float) -> None:
    """The VP types a company revenue figure into the Top-down sheet (only that one figure) and saves."""
    sheets, _ = read_sheets(book, ["_kamplan"])
    ident = read_identity(sheets["_kamplan"], IDENTITY)
    lay = ConsolidationLayout(ident["language"], ident["products"], ident["regions"], currency=ident["currency"],
                              hold_rows=int(ident["hold_rows"]), bound_rows=int(ident["bound_rows"]))
    wb = openpyxl.load_workbook(book)
    sh = wb[lay.sheet_names["topdown"]]
    fig = lay.figures
    for r in range(fig.first_row, fig.last_row + 1):
        sh[fig.ref(r, "figure")] = None
    ref = fig.ref(lay.figure_row("company", "*"), "figure")
    assert not sh[ref].protection.locked
    sh[ref] = figure
    wb.save(book)


def _revenue(root: Path, version: int) -> float:
    with Workspace.open(root) as ws:
        return float(ws.store.plan_version(version)[1]["revenue"].sum())


def test_consolidate_spread_agree_and_allocate_run_the_stages(collected):
    root = collected
    res = run_action("kam_consolidate", workspace=root)
    assert res.ok, res.message
    first = res.output
    assert first == root / "reports" / "consolidation_2027_v1.xlsx" and first.exists()
    assert "new bottom-up version 1" in res.message and "run-rate" in res.message
    again = run_action("kam_consolidate", workspace=root)
    assert again.ok and "submissions unchanged" in again.message and again.output == first
    # the VP types a figure 4% above the bottom-up total into the workbook and presses Spread
    target = round(_revenue(root, 1) * 1.04, -3)
    type_company_figure(first, target)
    steps: list[str] = []
    res = run_action("kam_spread", book=first, progress=steps.append)
    assert res.ok, res.message
    assert "Stored as version 2 (from 1)" in res.message
    assert res.output == root / "reports" / "consolidation_2027_v2.xlsx" and res.output.exists()
    assert _revenue(root, 2) == pytest.approx(target, abs=1.0)
    assert any("Top-down" in s for s in steps)
    # the same (now stale) workbook again: applied to the current version, with a warning saying so
    stale = run_action("kam_spread", book=first)
    assert stale.ok and any(p.code == "stale-consolidation" for p in stale.problems)
    # agree: locked, annual targets written; spreading again is refused with the stage's reason
    res = run_action("kam_agree", workspace=root)
    assert res.ok and "agreed: version 3" in res.message
    assert res.output.is_dir() and (res.output / "management_2027.xlsx").exists()
    assert len(list(res.output.glob("*_targets.xlsx"))) == 8
    refused = run_action("kam_spread", book=res.output.parent / "consolidation_2027_v2.xlsx")
    assert not refused.ok and "agreed" in refused.message and refused.output is None
    assert not run_action("kam_agree", workspace=root).ok  # agreeing twice is refused, not a traceback
    # allocate: the resource plan workbook of the agreed plan
    res = run_action("kam_allocate", workspace=root)
    assert res.ok, res.message
    assert res.output.exists() and res.output.parent == root / "reports" and str(res.output) in res.message


def test_spread_with_a_bad_entry_changes_nothing_and_names_the_cell(collected):
    root = collected
    book = run_action("kam_consolidate", workspace=root).output
    type_company_figure(book, "lots")
    res = run_action("kam_spread", book=book)
    assert not res.ok and res.message.startswith("Nothing changed")
    assert any(p.sheet == "Top-down" and p.cell for p in res.errors)
    with Workspace.open(root) as ws:
        assert len(ws.store.plan_versions(2027)) == 1


def test_consolidate_before_anything_was_collected_warns_that_it_is_run_rate_only(tmp_path_factory, tmp_path):
    ws = demo_workspace(tmp_path_factory.mktemp("fresh"), "en", tmp_path / "ws")
    ws.close()
    res = run_action("kam_consolidate", workspace=ws.root)
    assert "0 salespeople submitted; 8 missing" in res.message and res.output.exists()
    assert [p.code for p in res.problems] == ["nothing-submitted"]


def test_import_actuals_reads_the_actuals_folder_and_names_the_unmatched_file(collected):
    root = collected
    res = run_action("kam_actuals", workspace=root)  # nothing there yet: says where to put the files
    assert not res.ok and str(root / ACTUALS_FOLDER) in res.message
    assert (root / ACTUALS_FOLDER / ACTIVITIES_FOLDER).is_dir()
    with Workspace.open(root) as ws:
        cfg = ws.config
        targets = ws.store.targets_frame(cfg.plan_year, 1)[["account_id", "product_id", "quarter", "volume",
                                                             "price"]]
    invoices, activities = simulate_actuals(cfg, targets, cfg.plan_year, [1], seed=3)
    inv, act = write_actuals_files(root / ACTUALS_FOLDER, invoices, activities, "q1", language="en")
    act.rename(root / ACTUALS_FOLDER / ACTIVITIES_FOLDER / act.name)
    res = run_action("kam_actuals", workspace=root)
    assert res.ok, res.message
    assert "Actuals: 1 file(s) read" in res.message and f"for {cfg.plan_year} Q1" in res.message
    assert res.output.name.startswith("actuals_unmatched_") and str(res.output) in res.message
    unmatched = res.output.read_text(encoding="utf-8")
    assert all(o in unmatched for o in OUTSIDERS if o in set(invoices["customer"]))
    assert "Activities: 1 file(s) read" in res.message
    with Workspace.open(root) as ws:
        stored = ws.store.history([cfg.plan_year])
        planned = {a.id for a in cfg.accounts}
        assert len(stored) and set(stored["account_id"]) <= planned
        inside = invoices[invoices["customer"].isin(planned)]
        assert stored["revenue"].sum() == pytest.approx(inside["amount"].sum(), rel=1e-9)
    # the actuals folder is outside inbox/: Collect does not see the ERP files
    res = run_action("kam_collect", workspace=root)
    assert res.ok and "0 rejected" in res.message
    # the quarter with actuals is evaluated from Excel like `kamplan evaluate`
    res = run_action("kam_evaluate", workspace=root)
    assert res.ok, res.message
    assert f"{cfg.plan_year} Q1 evaluated" in res.message and res.output.exists()
    assert res.output.name == f"evaluation_{cfg.plan_year}_Q1_VP.xlsx"
