"""Workbook structure after a LibreOffice save: LibreOffice drops the structure protection (it saves an
empty ``<workbookProtection/>``), so collecting tolerates the loss and still refuses what the protection
kept out: an added sheet, a renamed sheet."""
from __future__ import annotations

import re
import zipfile

import numpy as np
import openpyxl
import pytest

from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages.targets import collect_targets
from support.workspaces import demo_workspace

pytestmark = pytest.mark.libreoffice


def _protection(path) -> list[bytes]:
    with zipfile.ZipFile(path) as zf:
        return re.findall(rb"<workbookProtection[^>]*>", zf.read("xl/workbook.xml"))


@pytest.fixture
def saved_by_libreoffice(libreoffice, tmp_path_factory, tmp_path):
    """A filled target workbook saved by LibreOffice, in its workspace's inbox."""
    ws = demo_workspace(tmp_path_factory.mktemp("ws-cache"), "en", tmp_path / "ws")
    with ws:
        issued = sorted(ws.round_outbox(1).glob("*.xlsx"))[0]
        assert _protection(issued) and b'lockStructure="1"' in _protection(issued)[0]
        filled = tmp_path / "filled.xlsx"
        fill_target_workbook(issued, filled, np.random.default_rng(3))
        saved = ws.inbox / issued.name
        libreoffice.recalculate(filled, save_as=saved)
        yield ws, saved


def test_libreoffice_drops_the_structure_protection_and_the_workbook_is_still_collected(saved_by_libreoffice):
    ws, saved = saved_by_libreoffice
    assert b"lockStructure" not in b"".join(_protection(saved))  # the loss this test is about
    [f] = collect_targets(ws, [saved]).files
    assert not f.errors, f.errors


def _edited(path, edit):
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)


def test_a_sheet_added_after_the_protection_is_gone_is_refused(saved_by_libreoffice):
    ws, saved = saved_by_libreoffice
    _edited(saved, lambda wb: wb.create_sheet("My notes").cell(1, 1, "call Mr Li"))
    [f] = collect_targets(ws, [saved]).files
    assert [(p.code, p.sheet) for p in f.errors] == [("sheet-added", "My notes")]
    assert "delete the sheet 'My notes'" in f.errors[0].fix


def test_a_sheet_renamed_after_the_protection_is_gone_is_refused(saved_by_libreoffice):
    ws, saved = saved_by_libreoffice

    def rename(wb):
        wb["Visit plan"].title = "Visits"
    _edited(saved, rename)
    [f] = collect_targets(ws, [saved]).files
    assert [p.code for p in f.errors] == ["sheet-missing"]
    assert "'Visits'" in f.errors[0].message
