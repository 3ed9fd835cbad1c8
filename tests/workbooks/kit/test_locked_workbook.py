"""A LockedWorkbook's file is byte for byte what XlsxWriter's file became after ``lock_structure``: the
structure locked and empty text results typed while the parts are zipped, instead of in a second zip."""
from __future__ import annotations

import datetime as dt
import zipfile

import pytest
import xlsxwriter

from kamplan.workbooks.kit.xlsxio import LockedWorkbook, legacy_password_hash, lock_structure

OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def fill(wb) -> None:
    wb.set_properties({"title": "t", "created": dt.datetime(2026, 12, 1, 9, 0)})
    ws = wb.add_worksheet("Data")
    ws.write_number(0, 0, 1.5)
    ws.write_string(1, 0, "zwölf 十二")
    ws.write_formula(2, 0, '=IF(A1>0,"","x")', None, "")  # an empty text result: typed t="str"
    ws.write_formula(3, 0, "=A1*2", None, 3.0)
    wb.add_worksheet("Other").write_formula(0, 0, '=""', None, "")


@pytest.mark.parametrize("password", ["kamplan", ""])
def test_the_same_bytes_as_a_plain_file_locked_afterwards(tmp_path, password):
    plain, locked = tmp_path / "plain.xlsx", tmp_path / "locked.xlsx"
    wb = xlsxwriter.Workbook(str(plain), OPTIONS)
    wb.in_memory = True
    fill(wb)
    wb.close()
    lock_structure(plain, password)
    wb = LockedWorkbook(str(locked), OPTIONS, password)
    fill(wb)
    wb.close()
    assert locked.read_bytes() == plain.read_bytes()
    with zipfile.ZipFile(locked) as z:
        book = z.read("xl/workbook.xml").decode()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        other = z.read("xl/worksheets/sheet2.xml").decode()
    expected = '<workbookProtection lockStructure="1"' + (
        f' workbookPassword="{legacy_password_hash(password)}"' if password else "") + "/><bookViews>"
    assert expected in book
    assert '<c r="A3" t="str"><f>IF(A1&gt;0,"","x")</f><v></v></c>' in sheet
    assert '<c r="A1" t="str"><f>""</f><v></v></c>' in other
    a4 = sheet[sheet.index('<c r="A4"'):]
    assert a4.startswith('<c r="A4"><f>A1*2</f><v>3'), a4[:60]  # a number result keeps no type


def test_a_workbook_xml_without_book_views_is_refused(tmp_path):
    from kamplan.workbooks.kit.xlsxio import locked_part
    with pytest.raises(ValueError, match="bookViews"):
        locked_part("xl/workbook.xml", b"<workbook><sheets/></workbook>", "pw")
    assert locked_part("xl/styles.xml", b"<c><f>x</f><v></v></c>", "pw") == b"<c><f>x</f><v></v></c>"
