"""The gate in front of returned workbooks (kamplan.workbooks.kit.safety).

Every bad file is generated here, in tmp_path; nothing binary is committed.
"""
from __future__ import annotations

import hashlib
import os
import random
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
import xlsxwriter

from kamplan.problems import Severity
from kamplan.workbooks.kit import safety
from kamplan.workbooks.kit.safety import Limits, check_workbook_file, content_hash


# --------------------------------------------------------------------------
# helpers


def make_xlsx(path: Path, rows: int = 5) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Targets")
    ws.write_row(0, 0, ["Account", "Q1", "Q2", "Note"])
    for r in range(1, rows + 1):
        ws.write_row(r, 0, [f"Account {r}", r * 1000, r * 1100.5, "<!DOCTYPE not really>"])
    ws.write_formula(rows + 1, 1, f"=SUM(B2:B{rows + 1})")
    wb.close()
    return path


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_zip(path: Path, members: dict[str, bytes],
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def entry(name: str, data: bytes, **override) -> dict:
    """A raw zip entry: deflated data with a true CRC and sizes, unless overridden."""
    e = {"name": name, "method": 8, "raw": deflate(data), "crc": zlib.crc32(data),
         "usize": len(data)}
    e.update(override)
    return e


def raw_zip(entries: list[dict]) -> bytes:
    """A tiny zip writer that writes whatever the headers are told to say.  An
    entry with ``same_as=i`` gets only a directory record, pointing at entry
    i's data."""
    out, cd, offsets = bytearray(), bytearray(), []
    for e in entries:
        name = e["name"].encode()
        if "same_as" in e:
            offset = offsets[e["same_as"]]
        else:
            offset = len(out)
            out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, e["method"], 0, 0,
                               e["crc"], len(e["raw"]), e["usize"], len(name), 0)
            out += name + e["raw"]
        offsets.append(offset)
        cd += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, e["method"], 0, 0,
                          e["crc"], len(e["raw"]), e["usize"], len(name), 0, 0, 0, 0, 0,
                          offset) + name
    n = len(entries)
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(cd), len(out), 0)
    return bytes(out + cd + eocd)


def xlsx_entries(tmp_path: Path) -> list[dict]:
    members = members_of(make_xlsx(tmp_path / "src.xlsx"))
    return [entry(name, data) for name, data in members.items()]


# A minimal compound-file (OLE2 / CFB) writer, version 3, 512-byte sectors.
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _dir_entry(name: str, typ: int, start: int, size: int, *, child=NOSTREAM,
               right=NOSTREAM) -> bytes:
    raw = (name + "\0").encode("utf-16-le")
    return (raw.ljust(64, b"\0") + struct.pack("<HBB3I", len(raw), typ, 1, NOSTREAM, right, child)
            + bytes(16) + bytes(4) + bytes(16) + struct.pack("<IQ", start, size))


def build_cfb(streams: dict[str, bytes], *, directory_last: bool = False) -> bytes:
    ss = 512
    sectors: list[bytes | None] = []
    fat: list[int] = []

    def reserve(n: int) -> int:
        start = len(sectors)
        for k in range(n):
            sectors.append(None)
            fat.append(start + k + 1 if k < n - 1 else END)
        return start

    def fill(start: int, data: bytes) -> None:
        n = -(-len(data) // ss)
        data = data.ljust(n * ss, b"\0")
        for k in range(n):
            sectors[start + k] = data[k * ss:(k + 1) * ss]

    n_entries = 1 + len(streams)
    dir_sectors = -(-n_entries * 128 // ss)
    if not directory_last:
        dir_start = reserve(dir_sectors)
    starts = {}
    for name, data in streams.items():
        assert len(data) >= 4096, "keep streams out of the mini stream"
        starts[name] = reserve(-(-len(data) // ss))
        fill(starts[name], data)
    if directory_last:
        dir_start = reserve(dir_sectors)
    entries = [_dir_entry("Root Entry", 5, END, 0, child=1)]
    names = list(streams)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else NOSTREAM
        entries.append(_dir_entry(name, 2, starts[name], len(streams[name]), right=right))
    fill(dir_start, b"".join(entries))
    # FAT sectors go last; each covers 128 sectors
    n_fat = 1
    while n_fat * 128 < len(sectors) + n_fat:
        n_fat += 1
    fat_start = len(sectors)
    for _ in range(n_fat):
        sectors.append(None)
        fat.append(FATSECT)
    fat += [FREE] * (n_fat * 128 - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    for k in range(n_fat):
        sectors[fat_start + k] = fat_bytes[k * ss:(k + 1) * ss]
    difat = [fat_start + k for k in range(n_fat)] + [FREE] * (109 - n_fat)
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16)
              + struct.pack("<5H", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<9I", 0, n_fat, dir_start, 0, 4096, END, 0, END, 0)
              + struct.pack("<109I", *difat))
    assert len(header) == 512
    return header + b"".join(sectors)


def check(path: Path, limits: Limits = Limits()):
    problems = check_workbook_file(path, limits)
    assert isinstance(problems, list)
    return problems


def assert_problem(problems, code: str, name: str, *words: str):
    assert len(problems) == 1, problems
    p = problems[0]
    assert p.code == code, p
    assert p.severity is Severity.ERROR
    assert p.message.strip() and p.fix.strip()
    assert p.file == name
    assert p.sheet is None and p.cell is None
    assert name in p.message, p.message
    text = (p.message + " " + p.fix).lower()
    for w in words:
        assert w.lower() in text, (w, p)
    return p


# --------------------------------------------------------------------------
# files that pass


def test_real_xlsx_passes(tmp_path):
    assert check(make_xlsx(tmp_path / "plan.xlsx")) == []


def test_str_path_and_openpyxl_file_pass(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Kunde"
    wb.active["B1"] = 12.5
    p = tmp_path / "openpyxl.xlsx"
    wb.save(p)
    assert check_workbook_file(str(p)) == []


def test_stored_xlsx_passes(tmp_path):
    src = members_of(make_xlsx(tmp_path / "a.xlsx"))
    assert check(write_zip(tmp_path / "stored.xlsx", src, zipfile.ZIP_STORED)) == []


def test_big_legit_xlsx_shaped_zip_passes_quickly(tmp_path):
    rnd = random.Random(7)
    text = rnd.randbytes(10 * 2**20).hex().encode()  # 20 MiB of cell text
    sheet = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>' + text
             + b"</t></is></c></row></sheetData></worksheet>")
    members = members_of(make_xlsx(tmp_path / "a.xlsx"))
    p = tmp_path / "big.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in members.items():
            zf.writestr(name, sheet if name == "xl/worksheets/sheet1.xml" else data)
        zf.writestr("xl/media/image1.png", rnd.randbytes(10 * 2**20),
                    compress_type=zipfile.ZIP_STORED)
    assert p.stat().st_size > 19 * 2**20
    assert check(p) == []


def test_cell_text_that_looks_like_markup_is_fine(tmp_path):
    # make_xlsx writes "<!DOCTYPE not really>" into cells; it is escaped text
    p = make_xlsx(tmp_path / "plan.xlsx")
    assert b"&lt;!DOCTYPE" in members_of(p)["xl/sharedStrings.xml"]
    assert check(p) == []


def test_content_hash(tmp_path):
    p = make_xlsx(tmp_path / "plan.xlsx")
    assert content_hash(p) == hashlib.sha256(p.read_bytes()).hexdigest()
    assert content_hash(str(p)) == content_hash(p)


# --------------------------------------------------------------------------
# missing, folders, unreadable, empty, too large


def test_missing_file(tmp_path):
    assert_problem(check(tmp_path / "gone.xlsx"), "not-found", "gone.xlsx")


def test_missing_parent_is_not_found(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    assert_problem(check(f / "child.xlsx"), "not-found", "child.xlsx")


def test_directory(tmp_path):
    d = tmp_path / "plan.xlsx"
    d.mkdir()
    assert_problem(check(d), "not-found", "plan.xlsx", "folder")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_not_opened(tmp_path):
    p = tmp_path / "pipe.xlsx"
    os.mkfifo(p)
    assert_problem(check(p), "unreadable", "pipe.xlsx")


def test_permission_error_becomes_problem(tmp_path, monkeypatch):
    p = make_xlsx(tmp_path / "locked.xlsx")

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(safety, "open", deny, raising=False)
    assert_problem(check(p), "unreadable", "locked.xlsx", "permission denied")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can read anything")
def test_chmod_000(tmp_path):
    p = make_xlsx(tmp_path / "locked.xlsx")
    p.chmod(0)
    try:
        assert_problem(check(p), "unreadable", "locked.xlsx")
    finally:
        p.chmod(0o600)


def test_unexpected_failure_is_a_problem_too(tmp_path, monkeypatch):
    p = make_xlsx(tmp_path / "plan.xlsx")

    def boom(*args, **kwargs):
        raise RuntimeError("surprise")

    monkeypatch.setattr(safety, "_check_zip", boom)
    assert_problem(check(p), "unreadable", "plan.xlsx")


def test_weird_path_arguments_do_not_raise():
    assert check_workbook_file("bad\0name.xlsx")[0].code == "unreadable"
    assert check_workbook_file(None)[0].code == "unreadable"  # type: ignore[arg-type]


def test_zero_bytes(tmp_path):
    p = tmp_path / "empty.xlsx"
    p.write_bytes(b"")
    assert_problem(check(p), "empty-file", "empty.xlsx", "send it again")


def test_file_too_large(tmp_path):
    p = make_xlsx(tmp_path / "huge.xlsx")
    assert_problem(check(p, Limits(max_file_bytes=1000)), "file-too-large", "huge.xlsx")


# --------------------------------------------------------------------------
# OLE2: password-protected OOXML versus legacy .xls


def test_password_protected(tmp_path):
    p = tmp_path / "secret.xlsx"
    p.write_bytes(build_cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(4092),
                             "EncryptedPackage": os.urandom(8192)}))
    assert_problem(check(p), "password-protected", "secret.xlsx",
                   "Encrypt with Password")


def test_password_protected_with_directory_far_in_the_file(tmp_path, monkeypatch):
    # the directory sits after 200 KiB of stream data, beyond the first-64-KiB
    # fallback scan: only following the FAT chain (or olefile) finds it
    p = tmp_path / "secret.xlsx"
    p.write_bytes(build_cfb({"EncryptionInfo": bytes(4096),
                             "EncryptedPackage": os.urandom(200 * 1024)},
                            directory_last=True))
    assert_problem(check(p), "password-protected", "secret.xlsx")
    # and without olefile, with our own directory walk only
    monkeypatch.setattr(safety, "_olefile_names", lambda path: set())
    assert_problem(check(p), "password-protected", "secret.xlsx")
    with open(p, "rb") as f:
        names = safety._cfb_directory_names(f, p.stat().st_size)
    assert names >= {"encryptioninfo", "encryptedpackage"}


def test_password_protected_found_by_fallback_scan(tmp_path, monkeypatch):
    p = tmp_path / "secret.xlsx"
    p.write_bytes(build_cfb({"EncryptionInfo": bytes(4096), "EncryptedPackage": bytes(4096)}))
    monkeypatch.setattr(safety, "_olefile_names", lambda path: set())
    monkeypatch.setattr(safety, "_cfb_directory_names", lambda f, size: set())
    assert_problem(check(p), "password-protected", "secret.xlsx")


def test_legacy_xls_real_cfb(tmp_path):
    p = tmp_path / "old.xls"
    p.write_bytes(build_cfb({"Workbook": b"\x09\x08" + bytes(8190),
                             "\x05SummaryInformation": bytes(4096)}))
    assert_problem(check(p), "legacy-xls", "old.xls", ".xlsx", "save as")


def test_legacy_xls_minimal_header(tmp_path):
    p = tmp_path / "old.xlsx"
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))
    assert_problem(check(p), "legacy-xls", "old.xlsx")


def test_magic_only_cfb(tmp_path):
    p = tmp_path / "stub.xls"
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1"))
    assert_problem(check(p), "legacy-xls", "stub.xls")


def test_old_word_document(tmp_path):
    p = tmp_path / "letter.xls"
    p.write_bytes(build_cfb({"WordDocument": bytes(4096)}))
    assert_problem(check(p), "not-xlsx", "letter.xls", "Word")


# --------------------------------------------------------------------------
# text, CSV, HTML and other non-zip files

CSV = "Kunde,Umsatz Q1,Umsatz Q2\r\nMüller GmbH,1200,1300\r\n北京客户,500,600\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "utf-16", "utf-16-le",
                                      "cp1252"])
def test_csv_renamed(tmp_path, encoding):
    text = CSV if encoding not in ("cp1252",) else CSV.replace("北京客户", "Chinese")
    p = tmp_path / "plan.xlsx"
    p.write_bytes((text * 50).encode(encoding))
    assert_problem(check(p), "not-xlsx-text", "plan.xlsx", "csv", "save as")


def test_xml_spreadsheet_2003(tmp_path):
    p = tmp_path / "export.xls"
    p.write_text('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
                 '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
                 "</Workbook>\n")
    assert_problem(check(p), "not-xlsx-text", "export.xls", "2003")


@pytest.mark.parametrize("start", ["<html><body>", "  <!DOCTYPE html>\n<html>", "<TABLE border=1>"])
def test_html_saved_as_xls(tmp_path, start):
    p = tmp_path / "report.xls"
    p.write_text(start + "<tr><td>Kunde</td><td>1200</td></tr></table></body></html>",
                 encoding="utf-8")
    assert_problem(check(p), "html-not-xlsx", "report.xls", "save as")


def test_html_utf16_with_bom(tmp_path):
    p = tmp_path / "report.xls"
    p.write_bytes("<html><table><tr><td>1</td></tr></table></html>".encode("utf-16"))
    assert_problem(check(p), "html-not-xlsx", "report.xls")


def test_pdf_and_random_bytes(tmp_path):
    pdf = tmp_path / "plan.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    assert_problem(check(pdf), "not-xlsx", "plan.xlsx", "PDF")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(random.Random(1).randbytes(5000))
    assert_problem(check(junk), "not-xlsx", "junk.xlsx")


# --------------------------------------------------------------------------
# zips that are not xlsx, or are damaged


def test_truncated_xlsx(tmp_path):
    data = make_xlsx(tmp_path / "a.xlsx").read_bytes()
    p = tmp_path / "cut.xlsx"
    p.write_bytes(data[: len(data) // 2])
    assert_problem(check(p), "corrupt-zip", "cut.xlsx", "send it again")


def test_crc_error(tmp_path):
    entries = xlsx_entries(tmp_path)
    for e in entries:
        if e["name"] == "xl/worksheets/sheet1.xml":
            e["crc"] ^= 0xDEADBEEF
    p = tmp_path / "crc.xlsx"
    p.write_bytes(raw_zip(entries))
    assert_problem(check(p), "corrupt-zip", "crc.xlsx", "CRC")


def test_damaged_deflate_data(tmp_path):
    entries = xlsx_entries(tmp_path)
    for e in entries:
        if e["name"] == "xl/worksheets/sheet1.xml":
            e["raw"] = b"\xff" * len(e["raw"])
    p = tmp_path / "bad.xlsx"
    p.write_bytes(raw_zip(entries))
    assert_problem(check(p), "corrupt-zip", "bad.xlsx")


def test_docx_renamed(tmp_path):
    p = write_zip(tmp_path / "plan.xlsx", {
        "[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document/>"})
    assert_problem(check(p), "not-xlsx-zip", "plan.xlsx", "Word")


def test_ods_renamed(tmp_path):
    p = tmp_path / "plan.xlsx"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                    compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", "<office:document-content/>")
        zf.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    assert_problem(check(p), "not-xlsx-zip", "plan.xlsx", ".ods", "Excel 2007-365")


def test_plain_zip_and_empty_zip(tmp_path):
    p = write_zip(tmp_path / "plan.xlsx", {"folder/notes.txt": b"hello"})
    assert_problem(check(p), "not-xlsx-zip", "plan.xlsx", "zip")
    empty = write_zip(tmp_path / "empty.xlsx", {})
    assert_problem(check(empty), "not-xlsx-zip", "empty.xlsx")


# --------------------------------------------------------------------------
# zip bombs


def zeros_deflated(mib: int) -> tuple[bytes, int]:
    """The deflate stream of `mib` MiB of zeros, built without compressing them:
    after a full flush, deflating the same block again gives the same bytes."""
    block = bytes(2**20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(block, crc)
    return piece * mib + b"\x03\x00", crc


def test_zip_bomb_400_mib_of_zeros(tmp_path):
    raw, crc = zeros_deflated(400)
    entries = xlsx_entries(tmp_path) + [
        {"name": "xl/media/zeros.bin", "method": 8, "raw": raw, "crc": crc, "usize": 400 * 2**20}]
    p = tmp_path / "bomb.xlsx"
    p.write_bytes(raw_zip(entries))
    assert p.stat().st_size < 1 * 2**20
    assert_problem(check(p), "zip-bomb", "bomb.xlsx", "zeros.bin")


def test_declared_total_over_limit(tmp_path):
    p = make_xlsx(tmp_path / "wide.xlsx", rows=2000)
    assert_problem(check(p, Limits(max_uncompressed_bytes=50_000)), "archive-too-large",
                   "wide.xlsx")


def test_too_many_members(tmp_path):
    members = members_of(make_xlsx(tmp_path / "a.xlsx"))
    members.update({f"xl/media/x{i}.bin": b"" for i in range(2001)})
    p = write_zip(tmp_path / "many.xlsx", members, zipfile.ZIP_STORED)
    assert_problem(check(p), "archive-too-large", "many.xlsx", "2,000")


def test_member_count_is_walked_not_trusted(tmp_path):
    # the end record claims 3 entries; the central directory really has 20
    members = members_of(make_xlsx(tmp_path / "a.xlsx"))
    members.update({f"xl/media/x{i}.bin": b"" for i in range(20)})
    data = bytearray(write_zip(tmp_path / "m.xlsx", members).read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<2H", data, eocd + 8, 3, 3)
    p = tmp_path / "liar.xlsx"
    p.write_bytes(bytes(data))
    assert_problem(check(p, Limits(max_members=10)), "archive-too-large", "liar.xlsx")


def test_lying_uncompressed_size(tmp_path):
    big = b"<row/>" * (5 * 2**20 // 6)  # 5 MiB, claimed to be 1000 bytes
    entries = xlsx_entries(tmp_path)
    for e in entries:
        if e["name"] == "xl/worksheets/sheet1.xml":
            e.update(raw=deflate(big), crc=zlib.crc32(big[:1000]), usize=1000)
    p = tmp_path / "liar.xlsx"
    p.write_bytes(raw_zip(entries))
    assert_problem(check(p), "zip-bomb", "liar.xlsx", "declares")


def test_overlapping_members(tmp_path):
    # two directory records share one member's data (the trick behind
    # overlapping-file zip bombs); each alone is small and honest
    entries = xlsx_entries(tmp_path)
    i = next(k for k, e in enumerate(entries) if e["name"] == "xl/worksheets/sheet1.xml")
    p = tmp_path / "overlap.xlsx"
    p.write_bytes(raw_zip(entries + [dict(entries[i], same_as=i)]))
    assert_problem(check(p), "zip-bomb", "overlap.xlsx")


# --------------------------------------------------------------------------
# XML bombs

LAUGHS = ('<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
          + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
                    for i in range(1, 10))
          + "]>\n")


def with_sheet(tmp_path: Path, name: str, make_sheet) -> Path:
    members = members_of(make_xlsx(tmp_path / "src.xlsx"))
    members["xl/worksheets/sheet1.xml"] = make_sheet(members["xl/worksheets/sheet1.xml"])
    return write_zip(tmp_path / name, members)


def _after_declaration(sheet: bytes, insert: bytes) -> bytes:
    end = sheet.index(b"?>") + 2
    return sheet[:end] + b"\n" + insert + sheet[end:]


def test_billion_laughs(tmp_path):
    p = with_sheet(tmp_path, "laughs.xlsx",
                   lambda s: _after_declaration(s, LAUGHS.encode()).replace(
                       b"<sheetData>", b"<sheetData><!-- &lol9; -->", 1))
    assert_problem(check(p), "xml-entities", "laughs.xlsx", "sheet1.xml")


def test_external_entity_in_content_types(tmp_path):
    members = members_of(make_xlsx(tmp_path / "src.xlsx"))
    members["[Content_Types].xml"] = _after_declaration(
        members["[Content_Types].xml"],
        b'<!DOCTYPE Types [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    p = write_zip(tmp_path / "xxe.xlsx", members)
    assert_problem(check(p), "xml-entities", "xxe.xlsx")


def test_doctype_behind_a_long_comment(tmp_path):
    p = with_sheet(tmp_path, "padded.xlsx", lambda s: _after_declaration(
        s, b"<!--" + b"x" * 40_000 + b"-->" + LAUGHS.encode()))
    assert_problem(check(p), "xml-entities", "padded.xlsx")


def test_prolog_longer_than_the_scan_window(tmp_path):
    p = with_sheet(tmp_path, "padded.xlsx", lambda s: _after_declaration(
        s, b"<!--" + b"x" * 100_000 + b"-->" + LAUGHS.encode()))
    assert_problem(check(p), "xml-entities", "padded.xlsx")


def test_doctype_in_utf16(tmp_path):
    def utf16(sheet: bytes) -> bytes:
        text = sheet.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
        end = text.index("?>") + 2
        return (text[:end] + "\n" + LAUGHS + text[end:]).encode("utf-16")

    p = with_sheet(tmp_path, "wide.xlsx", utf16)
    assert b"<\x00!\x00D\x00O\x00C" in members_of(p)["xl/worksheets/sheet1.xml"]
    assert_problem(check(p), "xml-entities", "wide.xlsx")


def test_plain_utf16_sheet_passes(tmp_path):
    p = with_sheet(tmp_path, "wide.xlsx", lambda s: s.decode().replace(
        'encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    assert check(p) == []


def test_doctype_hidden_in_utf7(tmp_path):
    p = with_sheet(tmp_path, "utf7.xlsx", lambda s: (
        b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE x+AD4-' + s[s.index(b"?>") + 2:]))
    assert_problem(check(p), "xml-entities", "utf7.xlsx")


def test_cheap_on_big_sheets(tmp_path, monkeypatch):
    # the prolog scan only ever sees the first 64 KiB of a part
    seen = []
    real = safety._xml_prolog_problem
    monkeypatch.setattr(safety, "_xml_prolog_problem",
                        lambda head, complete: seen.append(len(head)) or real(head, complete))
    rows = "".join(f'<row r="{r}"><c r="B{r}"><v>{r * 7919 % 10007}</v></c></row>'
                   for r in range(100, 150_000)).encode()
    p = with_sheet(tmp_path, "big.xlsx",
                   lambda s: s.replace(b"</sheetData>", rows + b"</sheetData>", 1))
    assert check(p) == []
    assert seen and max(seen) <= 64 * 1024


# --------------------------------------------------------------------------
# never raises


def test_never_raises_on_mangled_files(tmp_path):
    good = make_xlsx(tmp_path / "good.xlsx").read_bytes()
    rnd = random.Random(20240601)
    p = tmp_path / "mangled.xlsx"
    codes = set()
    for i in range(300):
        data = bytearray(good)
        how = i % 3
        if how == 0:
            data = data[: rnd.randrange(1, len(data))]
        elif how == 1:
            for _ in range(rnd.randrange(1, 8)):
                data[rnd.randrange(len(data))] = rnd.randrange(256)
        else:
            start = rnd.randrange(len(data))
            data[start:start + rnd.randrange(1, 64)] = rnd.randbytes(rnd.randrange(0, 64))
        p.write_bytes(bytes(data))
        problems = check_workbook_file(p)
        assert len(problems) <= 1
        for prob in problems:
            assert prob.message and prob.fix and prob.file == "mangled.xlsx"
            codes.add(prob.code)
    assert "corrupt-zip" in codes
    assert "unreadable" not in codes  # no unexpected exception slipped through
