"""Every formula cell is saved with its result (kit/results.py): hand-computed figures, the formula
vocabulary kamplan writes, what a reader sees, and that a returned workbook's figures come from its
typed inputs, never from formulas' saved results."""
from __future__ import annotations

import datetime as dt
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages.targets import read_context
from kamplan.workbooks.kit.results import UnsupportedFormula, cache_results
from kamplan.workbooks.kit.styles import new_workbook
from kamplan.workbooks.kit.xlsxio import read_sheets
from kamplan.workbooks.targets.reader import read_target_workbook
from support.workspaces import demo_workspace

STAMP = dt.datetime(2026, 12, 1, 9, 0)


def _book(tmp_path, fill):
    path = tmp_path / "book.xlsx"
    with new_workbook(path, title="t", company="c", created=STAMP, sheet_password="pw") as wb:
        fill(wb)
    return path


def _saved(path, sheet):
    wb = CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def _lines(wb):
    """A 'Lines' sheet: rep, product, quarter, revenue (one blank revenue, one text revenue)."""
    ws = wb.add_worksheet("Lines")
    rows = [("chen", "P1", 1, 100.25), ("chen", "P2", 2, 50.5), ("Chen", "P1", 1, 7.0),
            ("li", "P1", 1, 1000.0), ("li", "P2", 3, None), ("li", "P3", 3, "n/a")]
    for r, (rep, product, q, revenue) in enumerate(rows, start=1):
        ws.write_string(r, 0, rep)
        ws.write_string(r, 1, product)
        ws.write_number(r, 2, q)
        if isinstance(revenue, float):
            ws.write_number(r, 3, revenue)
        elif isinstance(revenue, str):
            ws.write_string(r, 3, revenue)
    return ws


def test_totals_lookups_and_conditions_are_saved_with_the_figures_computed_by_hand(tmp_path):
    formulas = {
        "A1": "=SUM('Lines'!D2:D7)",  # text and blank are skipped: 100.25 + 50.5 + 7 + 1000
        "A2": "=SUMIFS('Lines'!$D$2:$D$7,'Lines'!$A$2:$A$7,\"chen\",'Lines'!$C$2:$C$7,1)",  # case-blind: 107.25
        "A3": "=SUMIFS('Lines'!$D$2:$D$7,'Lines'!$A$2:$A$7,B3)",  # criterion from a cell (li): 1000
        "A4": "=SUMIFS('Lines'!$D$2:$D$7,'Lines'!$C$2:$C$7,\">1\")",  # 50.5
        "A5": "=SUMIF('Lines'!$B$2:$B$7,\"P*\",'Lines'!$D$2:$D$7)",  # wildcard: every line, 1157.75
        "A6": "=IFERROR(A2/C6-1,\"\")",  # C6 blank: division by zero, caught -> ""
        "A7": "=IF(N(C6)>0,A2/C6,\"\")",  # the branch not taken is not computed
        "A8": "=SUMPRODUCT(--('Lines'!$A$2:$A$7=B8))",  # rows of chen (case-blind): 3
        "A9": "=IFERROR(INDEX('Lines'!$D$2:$D$7,MATCH(B9,'Lines'!$B$2:$B$7,0)),0)",  # first P2: 50.5
        "A10": "=IF(TRIM(B10)=\"\",\"none\",TRIM(B10))",  # "a b"
        "A11": "=MAX(A2-A3,0)+MIN(3,A4)*2",  # 0 + 6
        "A12": "=IF(AND(ISNUMBER(A2),A2>=100),ROUND(A2/3,2),\"\")",  # 35.75
        "A13": "=COUNT('Lines'!C2:D7)/4",  # 10 numbers / 4
        "A14": "=A1-A2*2^2+-A4",  # precedence: 1157.75 - 429 - 50.5
        "A15": "=C15",  # a blank cell reads as 0
        "A16": "=SUMPRODUCT(D16:E16,--ISNUMBER(D17:E17))",  # 2*1 + 3*0
    }

    def fill(wb):
        _lines(wb)
        ws = wb.add_worksheet("Sums")
        for ref, f in formulas.items():
            ws.write_formula(ref, f)
        ws.write_string("B3", "li")
        ws.write_string("B8", "CHEN")
        ws.write_string("B9", "P2")
        ws.write_string("B10", "  a   b ")
        ws.write_number("D16", 2)
        ws.write_number("E16", 3)
        ws.write_number("D17", 1)
        ws.write_string("E17", "x")

    rows = _saved(_book(tmp_path, fill), "Sums")
    got = [rows[r][0] for r in range(16)]
    assert got == [1157.75, 107.25, 1000.0, 50.5, 1157.75, "", "", 3.0, 50.5, "a b", 6.0, 35.75, 2.5,
                   678.25, 0.0, 2.0]


def test_a_formula_on_a_formula_on_another_sheet_is_computed_in_dependency_order(tmp_path):
    def fill(wb):
        summary = wb.add_worksheet("Summary")  # written first, refers to a sheet written later
        summary.write_formula("A1", "='Detail'!B1*2")
        detail = wb.add_worksheet("Detail")
        detail.write_formula("B1", "=SUM(A1:A3)")
        for r, v in enumerate((1.5, 2.5, 4)):
            detail.write_number(r, 0, v)

    assert _saved(_book(tmp_path, fill), "Summary")[0][0] == 16.0


def test_round_rounds_the_number_the_file_holds_as_a_spreadsheet_does(tmp_path):
    # 56073.534999999996 is written as 56073.535 (16 significant digits): a spreadsheet rounds that up
    held = 56073.535 - 1e-11
    assert repr(held) != "56073.535" and "%.16G" % held == "56073.535"

    def fill(wb):
        ws = wb.add_worksheet("S")
        ws.write_number(0, 0, held)
        ws.write_formula(0, 1, "=ROUND(A1,2)")
        ws.write_number(1, 0, -2.675)
        ws.write_formula(1, 1, "=ROUND(A2,2)")

    saved = _saved(_book(tmp_path, fill), "S")
    assert saved[0][1] == 56073.54 and saved[1][1] == -2.68  # half away from zero, on the decimal digits


def test_an_empty_text_result_is_saved_as_text_not_as_a_formula_without_result(tmp_path):
    path = _book(tmp_path, lambda wb: wb.add_worksheet("S").write_formula("A1", '=IF(1>2,1,"")'))
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="A1"[^>]* t="str"><f>IF\(1&gt;2,1,""\)</f><v></v></c>', xml), xml
    sheets, _ = read_sheets(path, ["S"])
    assert sheets["S"].errors == {}  # not taken for a formula typed without a result


@pytest.mark.parametrize("formula, why", [
    ("=VLOOKUP(1,B1:C2,2,FALSE)", "function VLOOKUP"),
    ("=SUM(MyName)", "defined names"),
    ("=A2", "circular"),
    ("=MATCH(1,B1:B2,1)", "exact matches"),
    ("=B1:B2+1", "a range where one value"),
])
def test_a_formula_outside_the_vocabulary_is_an_error_never_a_silent_zero(tmp_path, formula, why):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("S")
    ws.write_formula("A1", formula)
    ws.write_formula("A2", "=A1")
    with pytest.raises(UnsupportedFormula, match=why):
        cache_results(wb)
    wb.close()


# -- a returned workbook is read from its typed inputs ------------------------------------------------------
_FORMULA_CELL = re.compile(rb"(<c [^>]*>)<f>([^<]*)</f>(?:<v>[^<]*</v>|<v\s*/>)?")


def _with_false_results(src, dst) -> int:
    """``src`` with every formula's saved result replaced by 987654321 (what a user who changed a
    formula in a program that does not recalculate would leave); returns how many were changed."""
    changed = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data, n = _FORMULA_CELL.subn(rb"\g<1><f>\g<2></f><v>987654321</v>", data)
                changed += n
            zout.writestr(info, data)
    return changed


def test_collected_targets_come_from_the_typed_inputs_not_from_saved_formula_results(tmp_path_factory, tmp_path):
    ws = demo_workspace(tmp_path_factory.mktemp("ws-cache"), "en", tmp_path / "ws")
    with ws:
        issued = sorted(ws.round_outbox(1).glob("*.xlsx"))[0]
        filled = tmp_path / "filled.xlsx"
        fill_target_workbook(issued, filled, np.random.default_rng(5))
        tampered = tmp_path / "tampered.xlsx"
        assert _with_false_results(filled, tampered) > 100
        ctx = read_context(ws)
        honest, problems = read_target_workbook(filled, ctx)
        lied, problems_lied = read_target_workbook(tampered, ctx)
    assert honest is not None and lied is not None, problems + problems_lied
    assert len(honest.targets) > 0
    for frame in ("targets", "visits", "trainings", "services", "requests"):
        pd.testing.assert_frame_equal(getattr(honest, frame), getattr(lied, frame))
    assert [p.code for p in problems] == [p.code for p in problems_lied]
