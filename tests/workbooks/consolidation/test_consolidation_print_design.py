"""The consolidation's Accounts sheet as designed for paper (issue 13): the names, then one period per page
across (year, Q1-Q4) with account ID and name repeated, and no account's lines split by a page break."""
from __future__ import annotations

import openpyxl

from support.every_workbook import every_workbook


def test_accounts_prints_a_period_a_page_and_each_account_whole():
    ws = openpyxl.load_workbook(every_workbook()["consolidation_en.xlsx"])["Accounts"]
    header = 6  # 1-based: title, subtitle, two notes, period band, header
    band = [c.value for c in ws[header - 1]]
    starts = [i for i, v in enumerate(band) if v]  # 0-based columns where a period's band begins
    assert [b.id for b in ws.col_breaks.brk] == starts and len(starts) == 5
    assert ws.print_title_cols == "$A:$B" and ws.print_title_rows == f"${header - 1}:${header}"
    accounts = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    breaks = [b.id for b in ws.row_breaks.brk]  # a break after this (1-based) row
    assert breaks, "73 lines do not fit on one page down"
    for row in breaks:
        assert accounts[row - 1] != accounts[row], f"account {accounts[row]} split by the break after row {row}"
