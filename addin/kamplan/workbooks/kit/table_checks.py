"""Checks that a returned sheet still has the layout its Table describes.

Shared by every workbook reader: a header row changed by inserted or deleted
columns, rows inserted, deleted or overwritten in a fixed table, entries typed
below a table.  Each returns problems (file, sheet, cell, what, fix).
"""
from __future__ import annotations

import difflib

from xlsxwriter.utility import xl_col_to_name

from kamplan.messages import Message
from kamplan.problems import Problem, problem
from kamplan.workbooks.kit import cells
from kamplan.workbooks.kit.layout import SheetValues, Table

FRESH = Message("fix.fresh-copy")  # a reader may pass its own words for it


def key_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""


def header_problems(tb: Table, sheet: SheetValues, file: str, fresh: str = FRESH) -> list[Problem]:
    got = [str(sheet.get(tb.header_row, i)).strip() for i in range(len(tb.columns) + 3)]
    want = [c.header for c in tb.columns]
    if got[:len(want)] == want:
        if any(not cells.is_blank(v) for v in got[len(want):]):
            col = xl_col_to_name(len(want))
            return [problem("layout.column-extra", after=want[-1], column=col, file=file, sheet=tb.sheet,
                            cell=f"{col}{tb.header_row + 1}")]
        return []
    i = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
    col = xl_col_to_name(i)
    where = dict(file=file, sheet=tb.sheet, cell=f"{col}{tb.header_row + 1}")
    if i + 1 < len(got) and got[i + 1] == want[i]:
        return [problem("layout.column-inserted", column=col, found=got[i], expected=want[i], **where)]
    if i + 1 < len(want) and got[i] == want[i + 1]:
        return [problem("layout.column-deleted", header=want[i], column=col, fresh=fresh, **where)]
    return [problem("layout.header-changed", ref=f"{col}{tb.header_row + 1}", found=got[i], expected=want[i],
                    fresh=fresh, **where)]


def row_key_problems(tb: Table, sheet: SheetValues, file: str, fresh: str = FRESH,
                     max_reported: int = 10) -> list[Problem]:
    """Fixed tables: the key cells of every row must read exactly as issued, in order."""
    key_idx = [tb.col(c.key) for c in tb.key_columns()]
    n = len(tb.row_keys)
    rows = range(tb.first_row, max(len(sheet.rows), tb.first_row + n))
    # column by column (a text key, the usual one, needs only its spaces stripped): the same texts as
    # key_text of each cell, for tables of tens of thousands of rows
    columns = [[v.strip() if type(v) is str else key_text(v) for v in (sheet.get(r, i) for r in rows)]
               for i in key_idx]
    actual = list(zip(*columns)) if columns else [() for _ in rows]
    while actual and all(k == "" for k in actual[-1]):
        actual.pop()
    expected = list(tb.row_keys)
    if actual == expected:
        return []
    out: list[Problem] = []
    sm = difflib.SequenceMatcher(a=expected, b=actual, autojunk=False)
    for op, a1, a2, b1, b2 in sm.get_opcodes():
        if op == "equal":
            continue
        if len(out) >= max_reported:
            break
        row1 = tb.first_row + b1 + 1
        where = dict(file=file, sheet=tb.sheet, cell=f"A{row1}")
        if op == "insert":
            out.append(problem("layout.row-inserted", count=b2 - b1, row=row1, **where))
        elif op == "delete":
            lines = ", ".join("/".join(k) for k in expected[a1:a2][:5])
            out.append(problem("layout.row-deleted", lines=lines, row=row1, fresh=fresh, **where))
        else:
            got = "/".join(actual[b1])
            out.append(problem("layout.row-keys-changed", row=row1, expected="/".join(expected[a1]),
                               found=got or Message("word.empty"), **where))
    return out


def stray_entry_problems(tb: Table, sheet: SheetValues, file: str, where: str) -> list[Problem]:
    """An entry typed below the table would be silently ignored: say so (first one only)."""
    for r in range(tb.last_row + 1, len(sheet.rows)):
        for i in range(len(tb.columns)):
            if not cells.is_blank(sheet.get(r, i)):
                return [problem("layout.entry-outside-table", row=r + 1, where=where, file=file, sheet=tb.sheet,
                                cell=tb.ref(r, tb.columns[i].key))]
    return []
