"""The kit's print design (kit/printing.py): the scale from the column widths, repeated keys on wide
sheets, the header and footer in the workbook's language, no chart across a page break."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from kamplan.workbooks.kit.styles import new_workbook, page_setup

STAMP = dt.datetime(2026, 12, 1, 9, 0)
PAGE_WIDTH = 841.89 - 2 * 0.4 * 72  # A4 landscape inside 0.4 in side margins, in points


def _written(tmp_path, fill):
    path = tmp_path / "print.xlsx"
    with new_workbook(path, title="Targets 2027", company="A&B Rolls", created=STAMP, sheet_password="pw") as wb:
        fill(wb)
    return openpyxl.load_workbook(path)


def _columns_sheet(wb, n_columns: int, width: float = 20, **options):
    ws = wb.add_worksheet("S")
    ws.set_column(0, n_columns - 1, width)
    for c in range(n_columns):
        ws.write_string(4, c, f"h{c}")
    page_setup(ws, 4, **options)
    return ws


def _expected_percent(n_columns: int, width: float = 20) -> int:
    """Independent arithmetic: a column of w characters is w*7+5 pixels (Excel's rule), 0.75 pt each;
    LibreOffice needs ~12 % more room than that; the scale is capped at 100."""
    points = n_columns * (int(width * 7 + 0.5) + 5) * 0.75 * 1.12
    return min(100, int(PAGE_WIDTH / points * 100))


@pytest.mark.parametrize("n_columns", [4, 7, 8])
def test_a_sheet_that_fits_at_8_pt_or_more_prints_one_page_wide_at_the_scale_its_width_needs(tmp_path, n_columns):
    ws = _written(tmp_path, lambda wb: _columns_sheet(wb, n_columns))["S"]
    percent = _expected_percent(n_columns)
    assert percent >= 80
    assert (ws.page_setup.scale or 100) == percent  # 100 % is the default, not written
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$5:$5"


def test_a_sheet_too_wide_for_8_pt_prints_at_80_percent_across_pages_with_its_keys_repeated(tmp_path):
    assert _expected_percent(12) < 80
    ws = _written(tmp_path, lambda wb: _columns_sheet(wb, 12, key_columns=2))["S"]
    assert ws.page_setup.scale == 80
    assert ws.print_title_cols == "$A:$B"
    assert not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage)


def test_text_running_past_the_last_column_counts_for_the_width(tmp_path):
    def fill(wb):
        ws = _columns_sheet(wb, 3)
        ws.write_string(1, 0, "x" * 300)  # a long note in A2, the cells right of it empty
    assert _written(tmp_path, fill)["S"].page_setup.scale == 80


def test_header_and_footer_name_workbook_sheet_and_pages_in_the_workbooks_language(tmp_path):
    def fill(wb):
        _columns_sheet(wb, 3, language="zh-CN", header="Targets 2027 · Chen Jing · A&B")
    ws = _written(tmp_path, fill)["S"]
    assert ws.oddHeader.left.text == "Targets 2027 · Chen Jing · A&&B"  # & is a code there: escaped as &&
    assert ws.oddFooter.left.text == "&F › &A"
    assert ws.oddFooter.right.text == "第 &P 页，共 &N 页"


def test_a_chart_that_would_straddle_a_page_break_starts_a_new_page(tmp_path):
    # 100 % scale (4 narrow columns), 15 pt rows: a page holds (595.28 - 2*0.6*72) / 15 = 33.9 rows
    def fill(wb):
        ws = _columns_sheet(wb, 4, width=10)
        for r in range(80):
            ws.write_number(r, 0, r)
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"values": "='S'!$A$1:$A$5"})
        ws.insert_chart(25, 1, chart)  # 288 px = 216 pt tall from row 26: crosses the first page's end
        other = wb.add_chart({"type": "column"})
        other.add_series({"values": "='S'!$A$1:$A$5"})
        # the second page (from the break at row 25, 375 pt) holds 509 pt: a chart from row 40 (600 pt)
        # ends at 816 pt, inside it
        ws.insert_chart(40, 1, other)
    ws = _written(tmp_path, fill)["S"]
    assert (ws.page_setup.scale or 100) == 100
    assert [b.id for b in ws.row_breaks.brk] == [25]
