"""Tests of the LibreOffice harness itself (tests/support/libreoffice.py)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import struct
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from support.libreoffice import (
    CellResult,
    LibreOffice,
    LibreOfficeError,
    Recalc,
    error_text,
    normalize_ref,
)

A1 = re.compile(r"^[A-Z]{1,3}[1-9][0-9]*$")


def build(path: Path, sheets: dict[str, dict[str, object]], hidden: tuple[str, ...] = ()) -> Path:
    """Write an xlsx with XlsxWriter: {sheet: {"A1": value or "=formula"}}."""
    wb = xlsxwriter.Workbook(str(path))
    for name, cells in sheets.items():
        ws = wb.add_worksheet(name)
        for ref, value in cells.items():
            if isinstance(value, str) and value.startswith("="):
                ws.write_formula(ref, value)
            else:
                ws.write(ref, value)
        if name in hidden:
            ws.hide()
    wb.close()
    return path


def _stat(pid: str | int) -> list[str] | None:
    """Fields after the command name in /proc/PID/stat: [state, ppid, pgrp, ...]."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """Running and not a zombie."""
    st = _stat(pid)
    return st is not None and st[0] != "Z"


def group_alive(pgid: int) -> bool:
    """Any non-zombie process left in process group ``pgid``."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(entry)
            if st is not None and st[2] == str(pgid) and st[0] != "Z":
                return True
    return False


# ---------------------------------------------------------------------------- pure helpers
def test_error_text_mapping() -> None:
    assert error_text(525) == "#NAME?"
    assert error_text(532) == "#DIV/0!"
    assert error_text(524) == "#REF!"
    assert error_text(519) == "#VALUE!"
    assert error_text(32767) == "#N/A"
    assert error_text(503) == "#NUM!"
    assert error_text(538) == "Err:538"


def test_normalize_ref() -> None:
    assert normalize_ref("$h$14") == "H14"
    assert normalize_ref("AB007") == "AB7"
    with pytest.raises(ValueError):
        normalize_ref("Sheet1!A1")


def test_recalc_value_raises_on_error_cell() -> None:
    ok = CellResult("S", "A1", "=1+1", 2.0, None)
    bad = CellResult("S", "A2", "=1/0", None, "#DIV/0!", 532)
    r = Recalc(cells={("S", "A1"): ok, ("S", "A2"): bad}, sheets=["S"])
    assert r.value("S", "$A$1") == 2.0
    assert r.errors() == [bad]
    with pytest.raises(ValueError, match="DIV/0"):
        r.value("S", "A2")
    with pytest.raises(KeyError, match="not a formula cell"):
        r.value("S", "B9")


# ---------------------------------------------------------------------------- recalculation
@pytest.mark.libreoffice
def test_sumifs_and_index_match(libreoffice: LibreOffice, tmp_path: Path) -> None:
    data = {"A1": "Region", "B1": "Product", "C1": "Amount"}
    rows = [("North", "Foo", 10), ("South", "Foo", 7), ("North", "Bar", 5), ("North", "Foo", 2.5)]
    for i, (region, product, amount) in enumerate(rows, start=2):
        data.update({f"A{i}": region, f"B{i}": product, f"C{i}": amount})
    data.update({
        "E1": '=SUMIFS(C:C,A:A,"North",B:B,"Foo")',
        "E2": '=INDEX(C2:C5,MATCH("Bar",B2:B5,0))',
        "E3": '=INDEX(A2:A5,MATCH(7,C2:C5,0))',
        "E4": '=SUMIFS(C2:C5,A2:A5,"West")',
    })
    xlsx = build(tmp_path / "sums.xlsx", {"Sales": data})

    r = libreoffice.recalculate(xlsx)

    assert r.value("Sales", "E1") == pytest.approx(12.5)
    assert r.value("Sales", "E2") == pytest.approx(5.0)
    assert r.value("Sales", "E3") == "South"
    assert r.value("Sales", "E4") == 0
    assert r.errors() == []
    assert set(r.cells) == {("Sales", ref) for ref in ("E1", "E2", "E3", "E4")}
    assert "SUMIFS" in r.cells[("Sales", "E1")].formula.upper()


@pytest.mark.libreoffice
def test_division_by_zero_is_reported(libreoffice: LibreOffice, tmp_path: Path) -> None:
    xlsx = build(tmp_path / "div.xlsx", {"S": {"A1": 0, "B2": "=1/0", "B3": "=5/A1", "B4": "=2+2"}})

    r = libreoffice.recalculate(xlsx)

    assert r.cells[("S", "B2")].error == "#DIV/0!"
    assert r.cells[("S", "B2")].error_code == 532
    assert r.cells[("S", "B2")].value is None
    assert r.cells[("S", "B3")].error == "#DIV/0!"
    assert sorted(c.ref for c in r.errors()) == ["B2", "B3"]
    assert r.value("S", "B4") == 4


@pytest.mark.libreoffice
def test_unknown_function_is_name_error(libreoffice: LibreOffice, tmp_path: Path) -> None:
    xlsx = build(tmp_path / "name.xlsx", {"S": {
        "A1": "=FOOBAR(1)", "A2": "=A1+1", "A3": "=NA()", "A4": '="x"+1', "A5": "=SUM(1,2)"}})

    r = libreoffice.recalculate(xlsx)

    assert r.cells[("S", "A1")].error == "#NAME?"
    assert r.cells[("S", "A1")].error_code == 525
    assert r.cells[("S", "A2")].error == "#NAME?"  # errors propagate
    assert r.cells[("S", "A3")].error == "#N/A"
    assert r.cells[("S", "A4")].error == "#VALUE!"
    assert r.cells[("S", "A5")].error is None and r.value("S", "A5") == 3
    assert len(r.errors()) == 4


@pytest.mark.libreoffice
def test_hidden_sheet_formulas_are_included(libreoffice: LibreOffice, tmp_path: Path) -> None:
    xlsx = build(
        tmp_path / "hidden.xlsx",
        {"Visible": {"A1": 21, "B1": "=Calc!A1+1"}, "Calc": {"A1": "=Visible!A1*2", "A2": "=1/0"}},
        hidden=("Calc",),
    )

    r = libreoffice.recalculate(xlsx)

    assert r.sheets == ["Visible", "Calc"]
    assert r.hidden_sheets == ["Calc"]
    assert r.value("Calc", "A1") == 42
    assert r.value("Visible", "B1") == 43
    assert [(c.sheet, c.ref, c.error) for c in r.errors()] == [("Calc", "A2", "#DIV/0!")]


@pytest.mark.libreoffice
def test_many_formula_cells_are_all_collected(libreoffice: LibreOffice, tmp_path: Path) -> None:
    # 5 sheets x 400 formulas, interleaved with constants and gaps so that the
    # formula ranges are fragmented; one sheet hidden.
    wb = xlsxwriter.Workbook(str(tmp_path / "big.xlsx"))
    expected: dict[tuple[str, str], float | str] = {}
    for s in range(5):
        ws = wb.add_worksheet(f"P{s}")
        for r in range(100):
            row = r + 1 + (r // 10)  # a blank row after every ten
            ws.write(f"A{row}", r)
            ws.write_formula(f"B{row}", f"=A{row}*{s + 1}")
            expected[(f"P{s}", f"B{row}")] = r * (s + 1)
            ws.write(f"C{row}", "text")
            ws.write_formula(f"D{row}", f'=IF(MOD(A{row},2)=0,"even","odd")')
            expected[(f"P{s}", f"D{row}")] = "even" if r % 2 == 0 else "odd"
            ws.write_formula(f"AA{row}", f"=SUM($A$1:A{row})")
            expected[(f"P{s}", f"AA{row}")] = sum(range(r + 1))
            ref = f"=P{s - 1}!B{row}+0.5" if s else f"=B{row}+0.5"
            ws.write_formula(f"AB{row}", ref)
            expected[(f"P{s}", f"AB{row}")] = (r * s if s else r) + 0.5
        if s == 3:
            ws.hide()
    wb.close()

    r = libreoffice.recalculate(tmp_path / "big.xlsx")

    assert len(r.cells) == 2000
    assert set(r.cells) == set(expected)
    for key, want in expected.items():
        got = r.cells[key].value
        assert got == (pytest.approx(want) if isinstance(want, (int, float)) else want), key
    assert all(A1.match(ref) for _sheet, ref in r.cells)
    assert r.errors() == []
    assert r.hidden_sheets == ["P3"]


# ---------------------------------------------------------------------------- cached values
@pytest.mark.libreoffice
def test_saved_file_with_changed_input_is_recalculated(libreoffice: LibreOffice, tmp_path: Path) -> None:
    src = build(tmp_path / "src.xlsx", {"In": {"A1": 10}, "Out": {"B1": "=In!A1*2", "B2": "=SUM(In!A1:A3)"}})
    saved = tmp_path / "saved.xlsx"

    first = libreoffice.recalculate(src, save_as=saved)
    assert first.value("Out", "B1") == 20

    # The re-saved workbook is a real xlsx carrying LibreOffice's cached results.
    cached = openpyxl.load_workbook(saved, data_only=True)
    assert cached["Out"]["B1"].value == 20

    wb = openpyxl.load_workbook(saved)
    assert wb["Out"]["B1"].value == "=In!A1*2"
    wb["In"]["A1"] = 15
    wb["In"]["A2"] = 100
    changed = tmp_path / "changed.xlsx"
    wb.save(changed)

    again = libreoffice.recalculate(changed)
    assert again.value("Out", "B1") == 30
    assert again.value("Out", "B2") == 115


def _set_number_keeping_cache(src: Path, dst: Path, sheet_xml: str, ref: str, old: str, new: str) -> None:
    """Change one constant cell inside the xlsx zip, leaving every cached formula result as is."""
    pattern = re.compile(rf'(<c r="{ref}"[^>]*>)<v>{re.escape(old)}</v>')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == sheet_xml:
                text, n = pattern.subn(rf"\g<1><v>{new}</v>", data.decode("utf-8"))
                assert n == 1, f"{ref} with value {old} not found in {sheet_xml}"
                data = text.encode("utf-8")
            zout.writestr(item, data)


@pytest.mark.libreoffice
def test_stale_cached_values_are_not_trusted(libreoffice: LibreOffice, tmp_path: Path) -> None:
    src = build(tmp_path / "src.xlsx", {"In": {"A1": 10}, "Out": {"B1": "=In!A1*2"}})
    saved = tmp_path / "saved.xlsx"
    libreoffice.recalculate(src, save_as=saved)

    stale = tmp_path / "stale.xlsx"
    _set_number_keeping_cache(saved, stale, "xl/worksheets/sheet1.xml", "A1", "10", "15")
    # The file now says In!A1 = 15 but still carries the cached result 20 for Out!B1.
    cached = openpyxl.load_workbook(stale, data_only=True)
    assert cached["In"]["A1"].value == 15
    assert cached["Out"]["B1"].value == 20

    assert libreoffice.recalculate(stale).value("Out", "B1") == 30


@pytest.mark.libreoffice
def test_profile_forces_recalculation_on_load(libreoffice: LibreOffice) -> None:
    xcu = (libreoffice.profile_dir / "user" / "registrymodifications.xcu").read_text()
    for mode in ("OOXMLRecalcMode", "ODFRecalcMode"):
        assert re.search(rf'oor:name="{mode}" oor:op="fuse"><value>0</value>', xcu), mode


# ---------------------------------------------------------------------------- rendering
def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def _two_sheet_workbook(tmp_path: Path) -> Path:
    return build(
        tmp_path / "render.xlsx",
        {"Cover": {"A1": "COVERSHEETMARKER"},
         "Plan": {"A1": "PLANSHEETMARKER", "B2": 1234, "B3": "=B2*2"},
         "Secret": {"A1": "SECRETSHEETMARKER"}},
        hidden=("Secret",),
    )


@pytest.mark.libreoffice
def test_render_png_of_named_sheet(libreoffice: LibreOffice, tmp_path: Path) -> None:
    xlsx = _two_sheet_workbook(tmp_path)
    out = tmp_path / "shots" / "plan.png"

    got = libreoffice.render_png(xlsx, "Plan", out, dpi=50)

    assert got == out.resolve() and out.is_file()
    width, height = _png_size(out)
    # A4 portrait at 50 dpi is about 413 x 585 pixels.
    assert 380 <= width <= 450 and 540 <= height <= 620
    assert out.stat().st_size > 1000
    big = libreoffice.render_png(xlsx, "Plan", tmp_path / "plan100.png", dpi=100)
    assert _png_size(big)[0] > 1.8 * width
    assert not list(tmp_path.glob(".~lock.*"))


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_pdf_export_contains_only_the_named_sheet(libreoffice: LibreOffice, tmp_path: Path) -> None:
    xlsx = _two_sheet_workbook(tmp_path)

    def text_of(sheet: str) -> str:
        pdf = libreoffice.export_pdf(xlsx, sheet, tmp_path / f"{sheet}.pdf")
        return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout

    plan = text_of("Plan")
    assert "PLANSHEETMARKER" in plan and "2468" in plan
    assert "COVERSHEETMARKER" not in plan and "SECRETSHEETMARKER" not in plan
    cover = text_of("Cover")
    assert "COVERSHEETMARKER" in cover and "PLANSHEETMARKER" not in cover
    secret = text_of("Secret")  # a hidden sheet can be rendered too
    assert "SECRETSHEETMARKER" in secret and "PLANSHEETMARKER" not in secret
    with pytest.raises(LibreOfficeError, match="no sheet 'Nope'"):
        libreoffice.export_pdf(xlsx, "Nope", tmp_path / "nope.pdf")


# ---------------------------------------------------------------------------- robustness
@pytest.mark.libreoffice
def test_stale_lock_file_does_not_block_loading(libreoffice: LibreOffice, tmp_path: Path) -> None:
    xlsx = build(tmp_path / "locked.xlsx", {"S": {"A1": 2, "A2": "=A1*3"}})
    lock = tmp_path / ".~lock.locked.xlsx#"
    lock.write_text(",someone,otherhost,01.01.2024 00:00,file:///home/someone/.config/libreoffice/4;")

    assert libreoffice.recalculate(xlsx).value("S", "A2") == 6
    assert not lock.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["locked.xlsx"]


@pytest.mark.libreoffice
def test_broken_file_raises_and_harness_keeps_working(libreoffice: LibreOffice, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a zip file")
    with pytest.raises(LibreOfficeError, match="broken.xlsx"):
        libreoffice.recalculate(broken)
    with pytest.raises(FileNotFoundError):
        libreoffice.recalculate(tmp_path / "missing.xlsx")

    xlsx = build(tmp_path / "fine.xlsx", {"S": {"A1": "=6*7"}})
    assert libreoffice.recalculate(xlsx).value("S", "A1") == 42


@pytest.mark.libreoffice
def test_lifecycle_restart_and_cleanup(libreoffice: LibreOffice, tmp_path: Path) -> None:
    # Uses its own instance (the session one must stay up); `libreoffice` only
    # provides the skip / CI-fail logic.
    xlsx = build(tmp_path / "x.xlsx", {"S": {"A1": "=1+1"}})
    lo = LibreOffice()
    with pytest.raises(RuntimeError, match="boom"):
        with lo:
            profile = lo.profile_dir
            assert profile.is_dir()
            first_pid = lo.soffice_pid
            assert lo.recalculate(xlsx).value("S", "A1") == 2

            # soffice crashes: the next call starts a fresh one
            os.killpg(first_pid, signal.SIGKILL)
            assert lo.recalculate(xlsx).value("S", "A1") == 2
            second_pid = lo.soffice_pid
            assert second_pid != first_pid and alive(second_pid)
            raise RuntimeError("boom")
    assert not alive(second_pid)
    assert not group_alive(second_pid) and not group_alive(first_pid)
    assert not profile.exists()
    with pytest.raises(LibreOfficeError, match="not started"):
        lo.recalculate(xlsx)
