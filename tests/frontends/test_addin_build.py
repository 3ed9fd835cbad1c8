"""The built add-in: an Office package Excel loads as an add-in, with the ribbon and the VBA source inside."""
from __future__ import annotations

import io
import os
import zipfile

import pytest

from kamplan.xl import build, ribbon
from kamplan.xl.actions import ACTIONS
from kamplan.xl.cfb import write_cfb

pytest.importorskip("ms_ovba", reason="pip install '.[test]' (ms-ovba builds the VBA project)")
olevba = pytest.importorskip("oletools.olevba", reason="pip install '.[test]'")


@pytest.fixture(scope="module")
def addin(tmp_path_factory):
    return build.build_addin(tmp_path_factory.mktemp("addin") / "kamplan.xlam")


def _modules(path) -> dict[str, str]:
    parser = olevba.VBA_Parser(str(path))
    try:
        return {name.rsplit(".", 1)[0]: build._body(code)
                for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_content_types_make_it_an_add_in_with_a_vba_project(addin):
    parts = build.package_parts(addin)
    assert parts["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert parts["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    assert "/customUI/customUI14.xml" in parts
    with zipfile.ZipFile(addin) as z:
        rels = z.read("_rels/.rels").decode()
        assert f'Type="{ribbon.RELATIONSHIP}" Target="customUI/customUI14.xml"' in rels
        assert z.read("customUI/customUI14.xml").decode() == ribbon.render_ribbon("en")
        wb_rels = z.read("xl/_rels/workbook.xml.rels").decode()
        assert "relationships/vbaProject" in wb_rels
        assert 'codeName="ThisWorkbook"' in z.read("xl/workbook.xml").decode()


def test_every_vba_module_holds_its_source(addin):
    mods = _modules(addin)
    assert set(mods) == {"ThisWorkbook", "Sheet1", "KamplanMain", "xlwings", "Dictionary", "kamplan_udfs"}
    src = build.sources_dir()
    assert mods["KamplanMain"].strip() == build._body((src / "KamplanMain.bas").read_text()).strip()
    assert 'RunPython "import kamplan.xl.macros as m; m.run(' in mods["KamplanMain"]
    assert "Private Sub Workbook_Open()" in mods["ThisWorkbook"]
    assert mods["xlwings"].strip() == build.xlwings_module().code.strip()
    assert 'Public Const PROJECT_NAME As String = "kamplan"' in mods["xlwings"]
    for name in ("KAM_SPREAD", "KAM_PARETO", "KAM_CLASS", "KAM_TARGET"):
        assert f'XLPy.CallUDF("kamplan.xl.udfs", "{name}"' in mods["kamplan_udfs"]
    assert "Function KAM_CLASS(metrics, values, Optional what, Optional workspace)" in mods["kamplan_udfs"]
    assert "Array(metrics, values, what, workspace, Nothing)" in mods["kamplan_udfs"]  # the caller slot


def test_ribbon_callback_exists_in_the_vba(addin):
    mods = _modules(addin)
    assert f"Public Sub {ribbon.CALLBACK}(control As IRibbonControl)" in mods["KamplanMain"]
    assert {a.id for a in ACTIONS} <= set(ribbon.button_ids(ribbon.render_ribbon()))


def test_build_refuses_another_extension(tmp_path):
    with pytest.raises(build.BuildError, match=".xlam"):
        build.build_addin(tmp_path / "kamplan.xlsm")


def test_compound_file_writer_round_trips_through_olefile():
    olefile = pytest.importorskip("olefile")
    streams = {"PROJECT": os.urandom(399), "VBA/dir": os.urandom(1446), "VBA/_VBA_PROJECT": os.urandom(7),
               "VBA/empty": b"", "VBA/big": os.urandom(45959), "VBA/edge": os.urandom(4096),
               "VBA/under": os.urandom(4095)}
    ole = olefile.OleFileIO(io.BytesIO(write_cfb(streams)))
    assert sorted("/".join(e) for e in ole.listdir()) == sorted(streams)
    for name, data in streams.items():
        assert ole.openstream(name).read() == data
