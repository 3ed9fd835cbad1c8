"""kamplan's vbaProject.bin against one that Excel saved, record by record.

The Excel-saved reference in CI is the VBA project inside xlwings' own shipped add-in
(``xlwings/addin/xlwings.xlam``, installed with xlwings): an add-in that runs in Excel on many PCs.
Compared: the compound-file container, the ``dir`` stream's records (project information,
references, modules), the ``PROJECT`` and ``PROJECTwm`` streams, ``_VBA_PROJECT`` and the module
streams.  Every difference left is listed in ``ALLOWED`` with the reason kamplan's content needs it;
a new difference fails the test.  What this proves and what it cannot is in docs/addin.md.
"""
from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from kamplan.xl import build

olefile = pytest.importorskip("olefile", reason="pip install '.[test]' (comes with oletools)")
from oletools.olevba import decompress_stream  # noqa: E402

PROJECTVERSION = 0x09  # its size field is Reserved3 (4 bytes, 0x00000004) and 6 bytes follow
MODULE_NAME, MODULE_END, MODULE_OFFSET, MODULE_COOKIE = 0x19, 0x2B, 0x31, 0x2C
REFERENCE_NAME, PROJECT_MODULES = 0x16, 0x0F


def _excel_saved() -> bytes:
    import xlwings
    path = Path(xlwings.__file__).parent / "addin" / "xlwings.xlam"
    with zipfile.ZipFile(path) as z:
        return z.read("xl/vbaProject.bin")


def _kamplan() -> bytes:
    with zipfile.ZipFile(build.PREBUILT) as z:
        return z.read("xl/vbaProject.bin")


def records(data: bytes) -> list[tuple[int, bytes]]:
    """The dir stream's records (MS-OVBA 2.3.4.2) as (id, payload)."""
    out, i = [], 0
    while i < len(data):
        rid, size = struct.unpack_from("<HI", data, i)
        if rid == PROJECTVERSION:
            size = 6
        out.append((rid, data[i + 6:i + 6 + size]))
        i += 6 + size
    return out


class Project:
    def __init__(self, raw: bytes):
        self.raw = raw
        self.ole = olefile.OleFileIO(io.BytesIO(raw))
        self.dir = records(decompress_stream(bytearray(self.stream("VBA/dir"))))

    def stream(self, name: str) -> bytes:
        return self.ole.openstream(name).read()

    def info_ids(self) -> list[int]:
        """Record ids of the project information, up to the first reference."""
        ids = [r for r, _ in self.dir]
        return ids[:ids.index(REFERENCE_NAME)]

    def references(self) -> list[list[int]]:
        ids = [r for r, _ in self.dir]
        refs, cur = [], None
        for r in ids[ids.index(REFERENCE_NAME):ids.index(PROJECT_MODULES)]:
            if r == REFERENCE_NAME:
                cur = []
                refs.append(cur)
            cur.append(r)
        return refs

    def modules(self) -> dict[str, list[tuple[int, bytes]]]:
        mods, cur = {}, None
        for r, v in self.dir:
            if r == MODULE_NAME:
                cur = mods.setdefault(v.decode("cp1252"), [])
            if cur is not None:
                cur.append((r, v))
            if r == MODULE_END:
                cur = None
        return mods

    def project_lines(self) -> list[str]:
        return self.stream("PROJECT").decode("cp1252").split("\r\n")


@pytest.fixture(scope="module")
def excel():
    return Project(_excel_saved())


@pytest.fixture(scope="module")
def ours():
    return Project(_kamplan())


def test_container_as_excel_writes_it(excel, ours):
    for p in (excel, ours):
        assert p.raw[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    assert (ours.ole.dll_version, ours.ole.sector_size, ours.ole.mini_sector_size, ours.ole.minisectorcutoff) == \
           (excel.ole.dll_version, excel.ole.sector_size, excel.ole.mini_sector_size, excel.ole.minisectorcutoff) \
           == (3, 512, 64, 4096)
    assert ours.ole.byte_order == excel.ole.byte_order == 0xFFFE
    # ALLOWED: the minor version; MS-CFB says 0x003E, xlwings' file has 0x0021 (its last writer was not
    # Excel); both are read by Excel and olefile.  kamplan keeps the specification's value.
    assert ours.ole.minor_version == 0x3E
    kinds = {tuple(e.name for e in p.ole.direntries if e and e.entry_type == 1) for p in (excel, ours)}
    assert kinds == {("VBA",)}  # one storage, VBA, beside PROJECT and PROJECTwm in the root
    for p in (excel, ours):
        root_streams = {"/".join(e) for e in p.ole.listdir() if len(e) == 1}
        assert root_streams == {"PROJECT", "PROJECTwm"}
        assert {"dir", "_VBA_PROJECT"} <= {e[1] for e in p.ole.listdir() if e[0] == "VBA"}
        assert {e.clsid for e in p.ole.direntries if e} == {""}  # no CLSIDs, no timestamps either
        assert {(e.createTime, e.modifyTime) for e in p.ole.direntries if e} == {(0, 0)}
        assert {e.color for e in p.ole.direntries if e} == {1}  # all black


def test_dir_stream_records_in_excels_order(excel, ours):
    assert ours.info_ids() == excel.info_ids()
    assert ours.references() == excel.references()  # stdole and Office, registered references
    refs = [(r, v) for r, v in ours.dir if r in (REFERENCE_NAME, 0x3E, 0x0D)]
    assert refs == [(r, v) for r, v in excel.dir if r in (REFERENCE_NAME, 0x3E, 0x0D)]  # byte for byte
    info = dict(ours.dir[:len(ours.info_ids())])
    ref = dict(excel.dir[:len(excel.info_ids())])
    for rid in (0x01, 0x02, 0x14, 0x03, 0x07, 0x08):  # SysKind win32, LCIDs, code page 1252, help, flags
        assert info[rid] == ref[rid], hex(rid)
    # ALLOWED: PROJECTNAME ("VBAProject", Excel's default, vs "xlwings"), PROJECTVERSION (Excel writes
    # its build there; any value reads), docstrings and help file (empty in both).
    by_kind = {}
    for p in (excel, ours):
        for name, recs in p.modules().items():
            kind = next(r for r, _ in recs if r in (0x21, 0x22))  # procedural / document-or-class
            by_kind.setdefault((id(p), kind), set()).add(tuple(r for r, _ in recs))
    for kind in (0x21, 0x22):
        assert by_kind[(id(ours), kind)] == by_kind[(id(excel), kind)], hex(kind)


def test_module_streams_hold_the_source_where_dir_says(excel, ours):
    for p in (excel, ours):
        for name, recs in p.modules().items():
            offset = struct.unpack("<I", dict(recs)[MODULE_OFFSET])[0]
            stream = p.stream(f"VBA/{name}")
            source = decompress_stream(bytearray(stream[offset:])).decode("cp1252")
            assert source.startswith(f'Attribute VB_Name = "{name}"'), (name, source[:40])
            assert dict(recs)[0x47].decode("utf-16-le") == name  # MODULENAMEUNICODE
    # ALLOWED: kamplan's module streams start with the source (offset 0): there is no compiled code
    # (p-code, the performance cache) without Excel; xlwings' keep Excel's cache before the source.
    assert {struct.unpack("<I", dict(r)[MODULE_OFFSET])[0] for r in ours.modules().values()} == {0}


def test_vba_project_stream_tells_excel_to_compile_the_source(excel, ours):
    assert ours.stream("VBA/_VBA_PROJECT") == excel.stream("VBA/_VBA_PROJECT") == bytes.fromhex("cc61ffff000100")


def test_project_stream_has_excels_keys_in_excels_order(excel, ours):
    def keys(p):
        return [ln.split("=", 1)[0] if "=" in ln and not ln.startswith("&H") else ln for ln in p.project_lines()
                if not ln.startswith(("Document=", "Module=", "Class="))]
    workspace = keys(ours).index("[Workspace]")
    assert keys(ours)[:workspace + 1] == keys(excel)[:keys(excel).index("[Workspace]") + 1]
    assert 'VersionCompatible32="393222000"' in ours.project_lines()
    declared = [ln.split("=", 1)[1].split("/")[0] for ln in ours.project_lines()
                if ln.startswith(("Document=", "Module=", "Class="))]
    assert set(declared) == set(ours.modules())
    window = ours.project_lines()[ours.project_lines().index("[Workspace]") + 1:]
    assert [ln.split("=")[0] for ln in window if ln] == list(ours.modules())


def test_projectwm_names_every_module_in_both_encodings(excel, ours):
    for p in (excel, ours):
        data, names, i = p.stream("PROJECTwm"), [], 0
        while data[i:i + 2] != b"\0\0" or not names:
            end = data.index(b"\0", i)
            mbcs = data[i:end].decode("cp1252")
            j = end + 1
            k = j
            while data[k:k + 2] != b"\0\0":
                k += 2
            assert data[j:k].decode("utf-16-le") == mbcs
            names.append(mbcs)
            i = k + 2
        assert set(names) == set(p.modules())
