"""Macro-enabled VP workbooks: the .xlsx from the normal writers stays macro-free; the .xlsm variant has
the macro-enabled content type, a VBA project whose modules hold the button subs, buttons that call
existing macros, and reads back (and recalculates) exactly like the .xlsx."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.workbooks.consolidation.reader import read_topdown_instruction
from kamplan.workbooks.consolidation.writer import write_consolidation_workbook
from kamplan.workbooks.review.reader import read_review_workbook
from kamplan.xl import build, macrobook
from kamplan.xl.actions import run_action
from support.consolidation import small_config, small_content
from support.workspaces import demo_workspace

pytest.importorskip("ms_ovba", reason="pip install '.[test]' (ms-ovba builds the VBA project)")
olevba = pytest.importorskip("oletools.olevba", reason="pip install '.[test]'")


def _modules(path) -> dict[str, str]:
    parser = olevba.VBA_Parser(str(path))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _button_macros(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        vml = [z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".vml")]
    return [m for text in vml for m in re.findall(r"<x:FmlaMacro>\[0\]!([^<]+)</x:FmlaMacro>", text)]


@pytest.fixture(scope="module")
def consolidation(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xlsm")
    src = write_consolidation_workbook(folder / "consolidation_2027_v2.xlsx", small_content("zh-CN"))
    return src, macrobook.make_macro_workbook(src)


def test_the_plain_workbook_has_no_macros(consolidation):
    src, _ = consolidation
    parts = build.package_parts(src)
    assert "/xl/vbaProject.bin" not in parts
    assert parts["/xl/workbook.xml"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    assert _button_macros(src) == []


def test_the_xlsm_is_macro_enabled_with_buttons_calling_existing_subs(consolidation):
    _, xlsm = consolidation
    assert xlsm.suffix == ".xlsm"
    parts = build.package_parts(xlsm)
    assert parts["/xl/workbook.xml"] == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    assert parts["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    with zipfile.ZipFile(xlsm) as z:
        assert "relationships/vbaProject" in z.read("xl/_rels/workbook.xml.rels").decode()
        assert 'codeName="ThisWorkbook"' in z.read("xl/workbook.xml").decode()
    mods = _modules(xlsm)
    subs = set(re.findall(r"Public Sub (Button_\w+)\(\)", mods["KamplanButtons"]))
    macros = _button_macros(xlsm)
    assert macros == [f"Button_{a}" for a in macrobook.BUTTONS["kamplan.consolidation"]]
    assert set(macros) <= subs
    for m in macros:  # each wrapper only calls the dispatcher with its action id
        assert f'Public Sub {m}()\r\n    KamRun "{m.removeprefix("Button_")}"' in mods["KamplanButtons"]
    assert "Public Sub KamRun(ByVal actionId As String)" in mods["KamplanMain"]
    assert 'Public Const PROJECT_NAME As String = "kamplan"' in mods["xlwings"]
    assert "kamplan_udfs" not in mods  # the worksheet functions live in the add-in only


def test_every_sheet_has_its_document_module_and_the_actions_sheet_is_second(consolidation):
    src, xlsm = consolidation
    import openpyxl
    before = openpyxl.load_workbook(src).sheetnames
    wb = openpyxl.load_workbook(xlsm, keep_vba=True)
    assert wb.sheetnames == [before[0], "操作", *before[1:]]
    actions = wb["操作"]
    assert actions.protection.sheet
    texts = [c.value for row in actions.iter_rows() for c in row if c.value]
    assert "自上而下分解" not in texts  # labels are on the buttons; the cells hold the help texts
    assert any("汇总工作簿" in t for t in texts)
    mods = _modules(xlsm)
    with zipfile.ZipFile(xlsm) as z:
        names = re.findall(r'codeName="([^"]+)"', "".join(z.read(n).decode("utf-8") for n in z.namelist()
                                                            if n.startswith("xl/worksheets/sheet")))
    assert len(names) == len(before) + 1 and set(names) <= set(mods)


def test_the_instruction_reads_back_from_the_xlsm_like_from_the_xlsx(consolidation, tmp_path):
    from kamplan.engine.topdown import TopDownSpec
    spec = TopDownSpec("revenue", "company", {"*": 1.2e8}, note="board figure")
    src = write_consolidation_workbook(tmp_path / "c.xlsx", small_content("en", spec))
    xlsm = macrobook.make_macro_workbook(src)
    a, pa = read_topdown_instruction(src, small_config("en"))
    b, pb = read_topdown_instruction(xlsm, small_config("en"))
    assert a == b == spec
    assert [(p.code, p.sheet, p.cell) for p in pa] == [(p.code, p.sheet, p.cell) for p in pb]


def test_an_existing_xlsm_is_kept_and_other_files_are_refused(consolidation, tmp_path):
    src, xlsm = consolidation
    with pytest.raises(build.BuildError, match="exists"):
        macrobook.make_macro_workbook(src)
    with pytest.raises(build.BuildError, match="already holds macros"):
        macrobook.make_macro_workbook(xlsm, tmp_path / "again.xlsm")
    with pytest.raises(build.BuildError, match=".xlsm"):
        macrobook.make_macro_workbook(src, tmp_path / "x.xlsx")
    other = tmp_path / "plain.xlsx"
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(other))
    wb.add_worksheet("Sheet1")
    wb.close()
    with pytest.raises(build.BuildError, match="not a kamplan VP workbook"):
        macrobook.make_macro_workbook(other)


def test_addin_build_writes_the_xlsm_of_the_newest_vp_workbooks(tmp_path_factory, tmp_path):
    ws = demo_workspace(tmp_path_factory.mktemp("demo"), "en", tmp_path / "ws")
    ws.close()
    review = run_action("kam_segment", workspace=ws.root).output
    book = run_action("kam_consolidate", workspace=ws.root).output
    res = CliRunner().invoke(cli, ["addin", "build", "--out", str(tmp_path / "dist" / "kamplan.xlam"),
                                   "--workspace", str(ws.root)])
    assert res.exit_code == 0, res.output
    for xlsx in (review, book):
        xlsm = xlsx.with_suffix(".xlsm")
        assert xlsm.exists() and xlsm.name in res.output.replace("\n", "")
        assert build.package_parts(xlsx).get("/xl/vbaProject.bin") is None
        assert set(_button_macros(xlsm)) <= set(re.findall(r"Sub (Button_\w+)", _modules(xlsm)["KamplanButtons"]))
    # the review workbook saved as .xlsm still reads back
    got, problems = read_review_workbook(review.with_suffix(".xlsm"), ws.config)
    assert got is not None and not [p for p in problems if p.is_error]
    again = CliRunner().invoke(cli, ["addin", "build", "--out", str(tmp_path / "dist" / "kamplan.xlam"),
                                     "--workspace", str(ws.root)])
    assert again.exit_code == 0 and "kept" in again.output


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_xlsm_like_the_xlsx(consolidation, libreoffice):
    src, xlsm = consolidation
    a, b = libreoffice.recalculate(src), libreoffice.recalculate(xlsm)
    assert not b.errors()
    assert {k: c.value for k, c in a.cells.items()} == {k: c.value for k, c in b.cells.items()}
    assert b.sheets == [a.sheets[0], "操作", *a.sheets[1:]]


def test_the_readers_know_the_add_ins_actions_sheet():
    from kamplan.workbooks.kit.reading import ADDIN_ACTIONS_SHEETS
    from kamplan.xl.macrobook import SHEET_NAME
    assert set(ADDIN_ACTIONS_SHEETS) == set(SHEET_NAME.values())
