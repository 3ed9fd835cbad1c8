"""xlsxio.formula_cells finds exactly the formula cells the former whole-cell regular expression found
(kept here as the reference), in crafted sheet XML and in every sheet of real workbooks."""
from __future__ import annotations

import re
import zipfile

import numpy as np

from kamplan.demo.salesforce import fill_target_workbook
from kamplan.workbooks.kit.xlsxio import formula_cells, unsaved_formula_cells
from support.workspaces import demo_workspace

# the expression collect used before (kit/xlsxio.py up to this change)
_REFERENCE = re.compile(rb'<c\b([^>]*?)(?<!/)>((?:(?!</c>).)*?<f[\s>/](?:(?!</c>).)*)</c>', re.S)


def _reference(data: bytes) -> list[tuple[bytes, bytes]]:
    return [(m.group(1), m.group(2)) for m in _REFERENCE.finditer(data)]


CRAFTED = [
    b'<sheetData><row r="1"><c r="A1" s="1"/><c r="B1"><f>A1*2</f><v>4</v></c>'
    b'<c r="C1" t="str"><f>""</f><v></v></c><c r="D1"><f>SUM(A1:B1)</f></c></row>'
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>x&lt;f&gt;</t></is></c><c r="B2"><f t="shared" si="0"/></c>'
    b'<c r="C2"><v>1</v></c><c r="D2"><f ref="D2:D3" t="array">A2</f><v>0</v></c></row></sheetData>'
    b'<conditionalFormatting><cfRule><formula>A1&gt;0</formula></cfRule></conditionalFormatting>',
    b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><f>',  # a stray <f> outside any cell
    b'<sheetData><row r="1"><c r="A1"/><c r="B1"/></row></sheetData>',
]


def test_crafted_sheets_give_the_cells_the_reference_expression_gives():
    for data in CRAFTED:
        assert list(formula_cells(data)) == _reference(data), data
    assert len(list(formula_cells(CRAFTED[0]))) == 5


def test_every_sheet_of_issued_and_returned_workbooks_gives_the_same_cells(tmp_path_factory, tmp_path):
    ws = demo_workspace(tmp_path_factory.mktemp("ws-cells"), "en", tmp_path / "ws")
    with ws:
        books = sorted(ws.round_outbox(1).glob("*.xlsx"))[:2]
    filled = tmp_path / "filled.xlsx"
    fill_target_workbook(books[0], filled, np.random.default_rng(3))
    found = 0
    for book in [*books, filled]:
        with zipfile.ZipFile(book) as zf:
            for part in (n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")):
                data = zf.read(part)
                assert list(formula_cells(data)) == _reference(data), (book.name, part)
                found += len(_reference(data))
                assert unsaved_formula_cells(zf, part) == _reference_unsaved(data), (book.name, part)
    assert found > 500


def _reference_unsaved(data: bytes) -> dict[str, str]:
    out = {}
    for attrs, body in _reference(data):
        if re.search(rb"<v>[^<]+</v>", body) or (b't="str"' in attrs and b"<v" in body):
            continue
        ref = re.search(rb'\br="([A-Z]+[0-9]+)"', attrs)
        if ref:
            text = re.search(rb"<f[^>]*>([^<]*)</f>", body)
            out[ref.group(1).decode()] = "=" + (text.group(1).decode("utf-8", "replace") if text else "")
    return out


class _Zip:
    def __init__(self, data):
        self.data = data

    def read(self, part):
        return self.data


UNSAVED = CRAFTED + [
    b'<sheetData><row r="1"><c r="A1"><f>A2</f><v></v></c><c r="B1"><f>A2</f><is><t>x</t></is><v>2</v></c>'
    b'<c r="C1"><f>1</f><v/></c><c r="D1" t="str"><f>""</f><v></v></c><c r="E1"><f>2</f></c></row></sheetData>',
]


def test_the_unsaved_formula_cells_are_those_the_reference_expression_finds():
    for data in UNSAVED:
        assert unsaved_formula_cells(_Zip(data), "x") == _reference_unsaved(data), data
    assert sorted(unsaved_formula_cells(_Zip(UNSAVED[-1]), "x")) == ["A1", "C1", "E1"]
