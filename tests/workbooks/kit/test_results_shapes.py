"""Formula results computed once per shape (kit/results.py) are the results of computing every formula on
its own: on every workbook kind kamplan writes, and on the edges of references, criteria and ranges.

The reference (``_OneByOne``) parses and computes each formula by itself (``Evaluator``), reads every
range cell by cell and finds SUMIFS rows by comparing every row, keeping nothing between formulas."""
from __future__ import annotations

import math

import pytest
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from kamplan.workbooks.kit import results, styles
from kamplan.workbooks.kit.results import Book, Evaluator, Grid, UnsupportedFormula, cache_results
from support.golden import write_workbooks


class _Forgetful(dict):
    """A cache that keeps nothing."""

    def __setitem__(self, key, value):
        pass


class _OneByOne(Book):
    def __init__(self, wb):
        super().__init__(wb)
        self.sums = _Forgetful()
        self.number_lists = _Forgetful()

    def compute(self, sheet, formula):
        return Evaluator(self, sheet, formula).run()

    def grid(self, ref):
        return Grid([[self.value(ref.sheet, r, c) for c in range(ref.c1, ref.c2 + 1)]
                     for r in range(ref.r1, ref.r2 + 1)])

    def flat(self, ref):
        return [v for row in self.grid(ref) for v in row]

    def criteria_index(self, refs):
        columns = [[results._key(v) for v in self.flat(ref)] for ref in refs]
        positions = {}
        for i, keys in enumerate(zip(*columns)):
            positions.setdefault(keys, []).append(i)
        return positions


def _one_by_one(wb) -> dict:
    book = _OneByOne(wb)
    return {(ws.get_name(), r, c): results.saved(book.result(ws.get_name(), r, c, cell.formula))
            for ws in wb.worksheets() for r, row in ws.table.items() for c, cell in row.items()
            if type(cell).__name__ == "Formula"}


def _saved(wb) -> dict:
    return {(ws.get_name(), r, c): cell.value for ws in wb.worksheets() for r, row in ws.table.items()
            for c, cell in row.items() if type(cell).__name__ == "Formula"}


def _same(a, b) -> bool:
    return type(a) is type(b) and (a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b)))


def test_every_workbook_kind_gets_the_results_of_computing_each_formula_on_its_own(tmp_path, monkeypatch):
    checked = {"books": 0, "formulas": 0}
    differ = []

    def both(wb):
        expected = _one_by_one(wb)
        n = cache_results(wb)
        got = _saved(wb)
        assert got.keys() == expected.keys() and n == len(expected)
        differ.extend((k, expected[k], got[k]) for k in expected if not _same(expected[k], got[k]))
        checked["books"] += 1
        checked["formulas"] += n
        return n

    monkeypatch.setattr(styles, "cache_results", both)
    written = write_workbooks(tmp_path / "books")
    assert checked["books"] >= len(written) and checked["formulas"] > 5000, checked
    assert differ == [], differ[:20]


# -- edges, each computed both ways and by hand -------------------------------------------------------------
def _results(tmp_path, fill) -> dict:
    """{cell: saved result} of a one-sheet workbook ("S") filled by ``fill``, checked against the reference."""
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("S")
    fill(wb, ws)
    expected = _one_by_one(wb)
    cache_results(wb)
    got = _saved(wb)
    wb.close()
    assert got == expected
    assert all(type(got[k]) is type(expected[k]) for k in got)
    return {xl_rowcol_to_cell(r, c) if s == "S" else f"{s}!{xl_rowcol_to_cell(r, c)}": v for (s, r, c), v in got.items()}


def _column(ws, col: int, values, first_row: int = 0):
    for i, v in enumerate(values, start=first_row):
        if v is None:
            continue
        if isinstance(v, str):
            ws.write_string(i, col, v)
        elif isinstance(v, bool):
            ws.write_boolean(i, col, v)
        else:
            ws.write_number(i, col, v)


def test_the_same_shape_with_a_cell_in_one_row_and_a_range_in_another_computes_each(tmp_path):
    def fill(wb, ws):
        _column(ws, 0, [1, 2, 3, "x", None])
        ws.write_formula("C1", "=SUM(A1)")        # one cell in SUM: a number
        ws.write_formula("C2", "=SUM(A1:A3)")     # the same shape over a range: 6
        ws.write_formula("C3", "=SUM(A4)")        # text in SUM's cell is left out: 0
        ws.write_formula("C4", "=N(A1:A3)")       # N of a range: its first value
        ws.write_formula("C5", "=N(A2)")
        ws.write_formula("C6", "=ISNUMBER(A4)")
        ws.write_formula("C7", "=ISNUMBER(A3)")
    got = _results(tmp_path, fill)
    assert [got[f"C{i}"] for i in range(1, 8)] == [1, 6, 0, 1, 2, False, True]


def test_a_range_where_one_value_is_expected_is_an_error_in_a_shape_that_once_took_a_cell(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("S")
    ws.write_formula("C1", "=A1+1")
    ws.write_formula("C2", "=A1:A2+1")
    with pytest.raises(UnsupportedFormula, match="R2C3 =A1:A2\\+1: a range where one value"):
        cache_results(wb)
    wb.close()


def test_references_beside_texts_names_and_quoted_sheets_are_found_as_the_tokens_find_them(tmp_path):
    def fill(wb, ws):
        other = wb.add_worksheet("It's 2026")
        _column(other, 0, [10, 20])
        _column(ws, 0, ["B2", 5, 7])
        ws.write_formula("C1", '=IF(A1="B2","text B2","no")')   # a reference's look-alike inside a text
        ws.write_formula("C2", '="A2"&A2')                       # "A2" then A2: A25
        ws.write_formula("C3", "='It''s 2026'!A1+'It''s 2026'!A2")
        ws.write_formula("C4", "=SUM('It''s 2026'!A1:A2)*A3")
        ws.write_formula("C5", "=IF(TRUE,A2,VLOOKUP(1,A1:A2,2,FALSE))")  # never reached: not evaluated
        ws.write_formula("C6", "=-A2^2")
        ws.write_formula("C7", "=1E2+A2")                        # a number's exponent is no column E
    got = _results(tmp_path, fill)
    assert [got[f"C{i}"] for i in range(1, 8)] == ["text B2", "A25", 30, 210, 5, 25, 105]


def test_sumifs_matches_equality_wildcard_comparison_and_blank_criteria_as_before(tmp_path):
    reps = ["chen", "Chen", "li", "li", None, "wang", "li"]
    products = ["P1", "P1", "P1", "P2", "P1", "P2", 1]
    quarter = [1, 1, 2, 1, 1, 3, 1]
    revenue = [100.25, 7, 1000, 50.5, 3, "n/a", 11]

    def fill(wb, ws):
        for col, values in enumerate((reps, products, quarter, revenue)):
            _column(ws, col, values)
        ws.write_string("H1", "li")
        formulas = {
            "G1": '=SUMIFS($D$1:$D$7,$A$1:$A$7,"chen",$B$1:$B$7,"P1")',  # case-blind: 107.25
            "G2": "=SUMIFS($D$1:$D$7,$A$1:$A$7,H1,$C$1:$C$7,1)",          # from a cell, a number: 50.5 + 11
            "G3": '=SUMIFS($D$1:$D$7,$A$1:$A$7,"ch*",$C$1:$C$7,">=1")',   # wildcard and comparison: 107.25
            "G4": '=SUMIFS($D$1:$D$7,$A$1:$A$7,"",$B$1:$B$7,"P1")',       # a blank rep: 3
            "G5": '=SUMIFS($D$1:$D$7,$B$1:$B$7,1)',                       # number 1, not text "P1": 11
            "G6": '=SUMIFS($D$1:$D$7,$B$1:$B$7,"1")',                     # "1" matches the number 1: 11
            "G7": '=SUMIFS($D$1:$D$7,$A$1:$A$7,"<>li",$B$1:$B$7,"P2")',   # the text in D is no number: 0
            "G8": '=SUMIFS($D$1:$D$7,$A$1:$A$7,"?i",$C$1:$C$7,1,$B$1:$B$7,"P?")',  # 50.5
            "G9": '=SUMIF($A$1:$A$7,"li",$D$1:$D$7)',                     # 1061.5
            "G10": '=SUMIFS($D$1:$D$7,$A$1:$A$7,"li",$B$1:$B$6,"P1")',    # ranges of different sizes
            "G11": '=SUMIFS($D$1:$D$7,$A$1:$A$7,1/0)',                    # an error as criterion
        }
        for cell, formula in formulas.items():
            ws.write_formula(cell, formula)
    got = _results(tmp_path, fill)
    assert [got[f"G{i}"] for i in range(1, 12)] == [
        107.25, 61.5, 107.25, 3, 11, 11, 0, 50.5, 1061.5, "#VALUE!", "#DIV/0!"]


def test_an_error_in_a_matched_row_is_the_result_and_one_in_another_row_is_not(tmp_path):
    def fill(wb, ws):
        _column(ws, 0, ["a", "b", "a"])
        _column(ws, 1, [1, None, 2])
        ws.write_formula("B2", "=1/0")
        ws.write_formula("D1", '=SUMIFS(B1:B3,A1:A3,"a")')
        ws.write_formula("D2", '=SUMIFS(B1:B3,A1:A3,"b")')
        ws.write_formula("D3", "=SUM(B1:B3)")
        ws.write_formula("D4", "=IFERROR(SUM(B1:B3),-1)")
        ws.write_formula("D5", "=SUM(B1,B3,\"4\")")               # a typed number's text counts: 7
        ws.write_formula("D6", "=MAX(B1,B3)+MIN(B1:B1)+COUNT(A1:B3)")
    got = _results(tmp_path, fill)
    assert [got[f"D{i}"] for i in range(1, 7)] == [3, "#DIV/0!", "#DIV/0!", -1, 7, 5]


def test_running_totals_read_a_column_once_and_a_formula_in_it_is_no_circle(tmp_path):
    def fill(wb, ws):
        _column(ws, 0, [float(i) for i in range(1, 21)])
        for r in range(20):
            ws.write_formula(r, 1, f"=SUM($A$1:A{r + 1})")       # 1, 3, 6, ...
            ws.write_formula(r, 2, f"=SUM($B$1:B{r + 1})/10" if r else "=B1")  # on the totals above
    got = _results(tmp_path, fill)
    assert [got[f"B{r}"] for r in range(1, 21)] == [r * (r + 1) // 2 for r in range(1, 21)]
    assert got["C20"] == sum(r * (r + 1) // 2 for r in range(1, 21)) / 10


@pytest.mark.parametrize("formulas", [
    {"A1": "=SUM(A1:A3)"},                                  # a range holding the formula itself
    {"A3": "=SUM(A1,B1)", "A1": "=1/0", "B1": "=A3"},       # behind an error: every argument is read
    {"A5": "=SUMIFS(B1:B3,C1:C3,1/0)+B3", "B3": "=A5"},
])
def test_a_circle_is_found_as_before(tmp_path, formulas):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("S")
    for cell, formula in formulas.items():
        ws.write_formula(cell, formula)
    with pytest.raises(UnsupportedFormula, match="circular"):
        cache_results(wb)
    wb.close()


def test_a_reference_is_read_as_xlsxwriter_reads_it():
    for text in ("A1", "$B$7:$C$1890", "'Goal vs result'!$AB$7:$AB$1896", "xfd1048576", "'It''s'!b2:A1",
                 "Plan_1.x!$Q$3", "ZZ10:A1"):
        assert results._quick_reference(text) == results._reference(text), text
