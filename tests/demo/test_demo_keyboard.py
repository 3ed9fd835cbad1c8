"""The demo's people type into the workbook file itself (``kamplan.demo.keyboard``), not through openpyxl:
their copy must read exactly as the copy openpyxl saved when it was given the same values (the demo's
outcomes stay the same), and a locked cell stays out of reach."""
from __future__ import annotations

import datetime as dt
import html
import zipfile

import numpy as np
import openpyxl
import pytest

from kamplan.demo.keyboard import LockedCellError, TypedWorkbook
from kamplan.demo.salesforce import fill_target_workbook, layout_of, make_mistake
from kamplan.workbooks.kit.xlsxio import read_sheets
from support.workspaces import demo_workspace


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    root = tmp_path_factory.mktemp("keyboard")
    with demo_workspace(root, "zh-CN", root / "ws") as ws:
        yield root, sorted((ws.outbox / "round-1").glob("*.xlsx"))


def _openpyxl_copy(src, typed_copy, cells, dst):
    """The oracle: openpyxl given the values the typed copy holds, saved as the demo used to save."""
    typed = TypedWorkbook(typed_copy)
    wb = openpyxl.load_workbook(src)
    for sheet, ref in cells:
        wb[sheet][ref].value = typed.value(sheet, ref)
    wb.save(dst)


def _reads(path):
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    sheets, _ = read_sheets(path, names)
    # openpyxl writes the non-ASCII letters of a formula as character references (&#38144;), Excel and the
    # issued file as UTF-8: the same formula either way
    return {n: ([[(type(v).__name__, v) for v in row] for row in s.rows],
                {k: html.unescape(v) for k, v in s.errors.items()}) for n, s in sheets.items()}


def test_a_typed_copy_reads_as_the_openpyxl_copy_of_the_same_values(issued):
    root, books = issued
    src = books[0]
    mine, theirs = root / "typed.xlsx", root / "openpyxl.xlsx"
    filled = fill_target_workbook(src, mine, np.random.default_rng(11))
    make_mistake(mine, "targets", "volume_q2", "abc", row_index=0)  # a text in a number cell
    make_mistake(mine, "services", "due", dt.datetime(2027, 9, 30), row_index=1)  # a date
    make_mistake(mine, "visits", "rep_visits_q3", None, row_index=0)  # a cell cleared
    lay = layout_of(TypedWorkbook(src))
    extra = {(lay.targets.sheet, lay.targets.ref(lay.targets.first_row, "volume_q2")),
             (lay.services.sheet, lay.services.ref(lay.services.first_row + 1, "due")),
             (lay.visits.sheet, lay.visits.ref(lay.visits.first_row, "rep_visits_q3"))}
    assert len(filled.cells) > 50 and filled.volumes and filled.requests
    _openpyxl_copy(src, mine, filled.cells | extra, theirs)
    assert _reads(mine) == _reads(theirs)
    back = TypedWorkbook(mine)
    assert back.value(lay.targets.sheet, lay.targets.ref(lay.targets.first_row, "volume_q2")) == "abc"
    assert back.value(lay.services.sheet, lay.services.ref(lay.services.first_row + 1, "due")) \
        == dt.datetime(2027, 9, 30)
    # every other part of the file is the issued one (validations, protection, styles kept as they were)
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(mine) as b:
        assert a.namelist() == b.namelist()
        assert a.read("xl/styles.xml") == b.read("xl/styles.xml")
        assert a.read("xl/workbook.xml") == b.read("xl/workbook.xml")


def test_cells_read_and_lock_as_openpyxl_reads_them(issued):
    _, books = issued
    src = books[1]
    wb = openpyxl.load_workbook(src)
    typed = TypedWorkbook(src)
    checked = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.coordinate.encode() not in typed._sheet(ws.title).cells:
                    continue  # openpyxl makes up empty cells inside the used range
                assert typed.value(ws.title, cell.coordinate) == cell.value, (ws.title, cell.coordinate)
                assert typed.locked(ws.title, cell.coordinate) == cell.protection.locked, (ws.title, cell.coordinate)
                checked += 1
    assert checked > 1000


def test_a_locked_cell_is_refused_and_nothing_is_written(issued):
    root, books = issued
    typed = TypedWorkbook(books[2])
    lay = layout_of(typed)
    ref = lay.targets.ref(lay.targets.first_row, "ly_volume")  # last year's figure: kamplan's, locked
    with pytest.raises(LockedCellError):
        typed.type(lay.targets.sheet, ref, 1.0)
    with pytest.raises(ValueError, match="does not show dates"):
        typed.type(lay.services.sheet, lay.services.ref(lay.services.first_row, "commitment"), dt.date(2027, 1, 1))
    assert not typed.typed
