"""Issue 18 item 6: a formula typed into an input cell with no saved result (as openpyxl, a script or any
program that does not calculate writes it) is an error "type a value, not a formula" at its cell, in every
reader (the kit's read_sheets finds them) — not an empty cell read as 0 or "no reason"."""
from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pytest

from kamplan.demo.salesforce import fill_target_workbook, layout_of as target_layout
from kamplan.stages.review import collect_reviews, segment_accounts
from kamplan.stages.targets import collect_targets
from support.review import fill_review
from support.review import review_workspace
from support.workspaces import demo_workspace


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("formula-cache")


def _problem(f, code):
    found = [p for p in f.problems if p.code == code]
    assert found, [str(p) for p in f.problems]
    return found[0]


def test_a_typed_formula_in_a_target_volume_is_an_error_at_its_cell(cache_root, tmp_path):
    with demo_workspace(cache_root, "en", tmp_path / "ws") as ws:
        issued = sorted((ws.outbox / "round-1").glob("*.xlsx"))
        bad, good = ws.inbox / issued[0].name, ws.inbox / issued[1].name
        fill_target_workbook(issued[0], bad, np.random.default_rng(1))
        fill_target_workbook(issued[1], good, np.random.default_rng(2))
        wb = openpyxl.load_workbook(bad)
        lay = target_layout(wb)
        tg = lay.targets
        ref = tg.ref(tg.first_row, "volume_q1")
        wb[tg.sheet][ref] = "=12*10"  # saved without a result, as every program that does not calculate does
        wb.save(bad)
        res = collect_targets(ws, [bad, good])
        outcome = {f.path.name: f for f in res.files}
        assert outcome[good.name].outcome == "stored"
        assert outcome[bad.name].outcome == "rejected"
        p = _problem(outcome[bad.name], "formula-no-value")
        assert (p.file, p.sheet, p.cell) == (bad.name, tg.sheet, ref)
        assert "=12*10" in p.message and "type a value, not a formula" in p.message


def test_a_typed_formula_as_an_override_reason_is_an_error_not_no_reason(cache_root, tmp_path):
    with review_workspace(cache_root, tmp_path / "ws") as ws:
        res = segment_accounts(ws, now=dt.datetime(2026, 12, 1, 9, 0))
        first = res.segmentation.accounts.index[0]
        fill_review(res.path, ws.inbox / "review.xlsx", overrides={first: ("Watch", '=CONCAT("lost ","tender")')})
        out = collect_reviews(ws, [ws.inbox / "review.xlsx"])
        [f] = out.files
        assert f.outcome == "rejected"
        p = _problem(f, "formula-no-value")
        assert p.file == "review.xlsx" and p.cell and "not a formula" in p.message
        assert ws.store.overrides(2027).empty


def test_a_returned_workbook_with_macros_is_refused(cache_root, tmp_path):
    import zipfile
    with demo_workspace(cache_root, "en", tmp_path / "ws") as ws:
        issued = sorted((ws.outbox / "round-1").glob("*.xlsx"))
        filled = tmp_path / issued[0].name
        fill_target_workbook(issued[0], filled, np.random.default_rng(3))
        macro = ws.inbox / (filled.stem + ".xlsm")
        with zipfile.ZipFile(filled) as src, zipfile.ZipFile(macro, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                dst.writestr(item, src.read(item))
            dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 VBA project")
        [f] = collect_targets(ws, [macro]).files
        assert f.outcome == "rejected"
        assert [p.code for p in f.problems if p.is_error] == ["macros"], [str(p) for p in f.problems]
