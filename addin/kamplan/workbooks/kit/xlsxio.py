"""Low-level workbook file handling shared by every workbook kind.

Writing: build in memory, write to a temporary file beside the target, then
rename, so nobody ever sees half a file.  Reading: python-calamine for speed,
plus a small scan of the sheet XML for error values (#REF!, #VALUE!...), which
calamine reports as empty cells.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import xlsxwriter
from python_calamine import CalamineWorkbook
from xlsxwriter.packager import Packager

from kamplan.workbooks.kit.layout import SheetValues

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


@contextlib.contextmanager
def atomic_path(path: Path):
    """Yield a temporary path in ``path``'s folder; on success it replaces ``path`` in one rename.
    Temporary files a killed or failed write left in the folder are removed first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".kamplan-{os.getpid()}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file private (0600); give it the mode any new file would get, so colleagues
        # and sync tools on a shared folder can read what was issued
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


STALE_AFTER_SECONDS = 600  # a write takes seconds; a younger temp file may belong to a write still running


def remove_stale_temp_files(folder: Path, now: float | None = None) -> list[Path]:
    """Remove ``.kamplan-*`` files (the temporary files of ``atomic_path``) in ``folder`` whose writer has
    ended or that are older than ``STALE_AFTER_SECONDS``: a kill -9 or a full disk leaves one behind,
    visible on Windows as a broken workbook."""
    now = time.time() if now is None else now
    removed = []
    for stale in Path(folder).glob(".kamplan-*"):
        try:
            if stale.is_file() and (now - stale.stat().st_mtime > STALE_AFTER_SECONDS or _writer_gone(stale)):
                stale.unlink()
                removed.append(stale)
        except OSError:  # gone already, or another user's file: not ours to insist on
            continue
    return removed


def _writer_gone(temp: Path) -> bool:
    """Whether the process that made ``temp`` (``.kamplan-<pid>-...``) has ended (a kill -9): then its file
    can go at once.  Only where the check is harmless (POSIX); elsewhere the age rule alone applies."""
    m = re.match(r"\.kamplan-(\d+)-", temp.name)
    if not m or os.name != "posix":
        return False
    pid = int(m.group(1))
    if pid == os.getpid():
        return False  # this process may be writing it right now (another thread)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def legacy_password_hash(password: str) -> str:
    """The 16-bit legacy hash Excel uses for sheet and workbook protection (ECMA-376 Part 4, 14.7.1)."""
    h = 0
    for i, ch in enumerate(password):
        c = ord(ch) & 0x7FFF  # Excel hashes the low bytes of the code unit
        r = (i + 1) % 15
        c = ((c << r) | (c >> (15 - r))) & 0x7FFF
        h ^= c
    h ^= len(password)
    h ^= 0xCE4B
    return f"{h:X}"


_EMPTY_TEXT_RESULT = re.compile(rb'<c((?: (?!t=)[a-z]+="[^"]*")*)><f>([^<]*)</f><v></v></c>')


def lock_structure(path: Path, password: str) -> None:
    """Protect the workbook structure of the file ``path`` (no renaming, deleting, unhiding or inserting
    sheets) and type its empty text results (``locked_part``): every part read, patched and zipped again.
    A workbook written by ``LockedWorkbook`` is so already, without the second zip."""
    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    tmp = path.with_name(path.name + ".lock-tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            zout.writestr(info, locked_part(info.filename, data, password))
    os.replace(tmp, path)


def locked_part(name: str, data: bytes, password: str) -> bytes:
    """Part ``name`` of a freshly written workbook as kamplan saves it.

    XlsxWriter cannot protect the workbook structure itself: ``xl/workbook.xml`` gets the
    ``workbookProtection`` element.  And a formula whose saved result is an empty text gets the type
    ``t="str"`` in the sheet parts (XlsxWriter saves it as ``<v></v>`` without a type, which readers take
    for a formula with no saved result).  Any other part is returned as it is.
    """
    if name == "xl/workbook.xml":
        attrs = 'lockStructure="1"'
        if password:
            attrs += f' workbookPassword="{legacy_password_hash(password)}"'
        # CT_Workbook order: fileVersion, fileSharing, workbookPr, workbookProtection, bookViews ...
        if b"<bookViews>" not in data:
            raise ValueError("xl/workbook.xml has no <bookViews>: cannot lock the workbook structure")
        return data.replace(b"<bookViews>", f"<workbookProtection {attrs}/>".encode() + b"<bookViews>", 1)
    if name.startswith("xl/worksheets/sheet"):
        return _EMPTY_TEXT_RESULT.sub(rb'<c\1 t="str"><f>\2</f><v></v></c>', data)
    return data


class _LockingPackager(Packager):
    """XlsxWriter's packager, its parts patched by ``locked_part`` before they are zipped."""

    def __init__(self, password: str):
        super().__init__()
        self.password = password

    def _create_package(self):
        files = super()._create_package()
        if not self.in_memory:
            raise ValueError("a LockedWorkbook is built in memory (in_memory=True)")
        patched = []
        for part, name, is_binary in files:
            data = part.getvalue() if is_binary else part.getvalue().encode("utf-8")
            patched.append((io.BytesIO(locked_part(name, data, self.password)), name, True))
        return patched


class LockedWorkbook(xlsxwriter.Workbook):
    """An XlsxWriter workbook built in memory whose file comes out with its structure locked with
    ``password`` and its empty text results typed (``locked_part``): the same bytes ``lock_structure``
    made of the file, zipped once instead of twice (a zip pass took a tenth of writing a workbook)."""

    def __init__(self, filename, options: dict, password: str):
        super().__init__(filename, options)
        self.in_memory = True
        self._structure_password = password

    def _get_packager(self):
        return _LockingPackager(self._structure_password)


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name (e.g. 'xl/worksheets/sheet2.xml')."""
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for s in wb.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(s.get(f"{_NS_REL}id"), "")
        target = target.lstrip("/")
        out[s.get("name")] = target if target.startswith("xl/") else "xl/" + target
    return out


_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>(.*?)</c>', re.S)
_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")


def error_cells(zf: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Cells of one sheet part that hold an error value, e.g. {'H14': '#REF!'}."""
    data = zf.read(part)
    if b't="e"' not in data:
        return {}
    out = {}
    for m in _ERROR_CELL.finditer(data):
        ref = _REF.search(m.group(1))
        val = _VALUE.search(m.group(2))
        if ref:
            out[ref.group(1).decode()] = val.group(1).decode() if val else "#ERROR"
    return out


_FORMULA_START = re.compile(rb"<f[\s>/]")
_CELL_START = re.compile(rb"<c[\s>]")
_SAVED = re.compile(rb"<v>[^<]+</v>")
_FORMULA_TEXT = re.compile(rb"<f[^>]*>([^<]*)</f>")


def formula_cells(data: bytes, starts: list[int] | None = None):
    """(attributes, body) of every cell ``<c ...>...</c>`` of sheet XML ``data`` that holds a formula
    (``<f>``, ``<f .../>``), in order; with ``starts`` (positions of formula elements), of the cells
    around those only.  Found from each formula element back to its cell's start tag: one pass over the
    formula cells, not a character-by-character scan of every cell (which took a fifth of the time to
    collect a target workbook, measured; this is 3-4 times faster)."""
    last_cell = -1
    for at in (m.start() for m in _FORMULA_START.finditer(data)) if starts is None else starts:
        start = data.rfind(b"<c", 0, at)
        while start >= 0 and not _CELL_START.match(data, start):
            start = data.rfind(b"<c", 0, start)
        if start < 0 or start == last_cell:
            continue  # not inside a cell, or a second formula element of the same cell
        tag_end = data.find(b">", start)
        end = data.find(b"</c>", at)
        if tag_end < 0 or tag_end > at or data[tag_end - 1:tag_end] == b"/" or end < 0 \
                or data.find(b"</c>", start, at) >= 0:
            continue  # the nearest cell before it is empty (<c .../>) or already closed
        last_cell = start
        yield data[start + 2:tag_end], data[tag_end + 1:end]


# A formula element and, when it is followed at once by one, its saved result: a formula cell so written
# has a result (its body holds ``_SAVED``), whatever else the cell holds.
_FORMULA_AND_RESULT = re.compile(rb"<f[\s>/](?:(?:[^<]*</f>|[^>]*/>)(<v>[^<]+</v>)?)?")


def unsaved_formula_cells(zf: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Cells of one sheet part holding a formula with no saved result, e.g. {'F9': '=D9*2'}: a program
    that does not calculate (a script, a converter) writes a typed formula so, and its value would read
    as empty.  A formula whose saved result is an empty text (``t="str"``) has a result.  Only the cells
    of formula elements not followed by a saved result are looked at closely (in a file Excel saved,
    every formula has one)."""
    data = zf.read(part)
    if b"<f" not in data:
        return {}
    out = {}
    doubtful = [m.start() for m in _FORMULA_AND_RESULT.finditer(data) if m.group(1) is None]
    for attrs, body in formula_cells(data, doubtful):
        if _SAVED.search(body) or (b't="str"' in attrs and b"<v" in body):
            continue
        ref = _REF.search(attrs)
        if ref:
            text = _FORMULA_TEXT.search(body)
            out[ref.group(1).decode()] = "=" + (text.group(1).decode("utf-8", "replace") if text else "")
    return out


def not_an_entry(value: str) -> tuple[str, str]:
    """(code, message) for a cell in ``SheetValues.errors``: an error value (#REF!), or a formula with no
    saved result (kept there as its text, starting with =)."""
    if value.startswith("="):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return "formula-no-value", (f"the cell holds a formula ({shown}) with no saved result: type a value, "
                                    "not a formula")
    return "error-value", f"{value} is an error value, not an entry"


def read_sheets(path: Path, names: list[str]) -> tuple[dict[str, SheetValues], list[str]]:
    """Read the named sheets (values as Python objects, origin A1), their error cells and their formulas
    with no saved result (both in ``SheetValues.errors``: neither is an entry).

    Returns the sheets found and the workbook's full list of sheet names.
    """
    wb = CalamineWorkbook.from_path(str(path))
    try:
        all_names = list(wb.sheet_names)
        wanted = [n for n in names if n in all_names]
        out = {}
        for n in wanted:
            sheet = wb.get_sheet_by_name(n)
            rows = sheet.to_python(skip_empty_area=False)
            out[n] = SheetValues(n, rows)
    finally:
        with contextlib.suppress(Exception):
            wb.close()
    if wanted:
        with zipfile.ZipFile(path) as zf:
            parts = sheet_parts(zf)
            for n in wanted:
                if n in parts and parts[n] in zf.namelist():
                    out[n].errors = {**unsaved_formula_cells(zf, parts[n]), **error_cells(zf, parts[n])}
    return out, all_names
