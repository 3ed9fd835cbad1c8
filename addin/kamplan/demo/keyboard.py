"""Typing into a workbook file the way the demo's people do, without loading it into openpyxl.

A salesperson's copy differs from the issued file only in the cells they type into.  ``TypedWorkbook``
opens the file's zip, reads cells straight from the sheet XML, refuses a locked cell, and on ``save``
rewrites only the sheets typed into; every other part (styles, validations, protection, names) is copied
as it is.  Loading and saving with openpyxl took ~0.3-1 CPU-s per workbook (most of the demo's own time,
measured); this takes a few milliseconds.

The copy is what the demo always returned (it used to be saved by openpyxl), so the reads are the same:

* formulas keep their text but lose their saved results (``<v></v>``, no type), as a program that does
  not calculate saves them (openpyxl does so); ``kamplan.workbooks.kit.xlsxio`` reads such a file;
* a number is saved as ``repr(float)`` (or the integer), a text as an inline string, a date or time as
  its serial number in a cell whose style already shows a date (typing a date into another cell is
  refused: openpyxl would change its number format, which a person typing does not);
* values read back are openpyxl's: a formula cell reads as its text ``=...``, a number as int or float.
"""
from __future__ import annotations

import datetime as dt
import numbers
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape, unescape

from kamplan.workbooks.kit.xlsxio import sheet_parts

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_ATTR = re.compile(rb'\s([a-zA-Z:]+)="([^"]*)"')
_V = re.compile(rb"<v>([^<]*)</v>")
_IS_TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")
# a formula cell and its saved result: the result goes, as in a copy saved by a program that does not calculate
_FORMULA_RESULT = re.compile(rb'<c( r="[A-Z]+[0-9]+")([^>]*)>(<f\b(?:[^>]*/>|[^>]*>[^<]*</f>))(?:<v>[^<]*</v>|<v/>)?</c>')
_TYPE_ATTR = re.compile(rb'\st="[^"]*"')
_DATE_FORMAT_IDS = set(range(14, 23)) | {45, 46, 47}
_EPOCH = dt.datetime(1899, 12, 30)


class LockedCellError(Exception):
    """The simulated person tried to type into a protected cell."""


def _is_date_code(code: str) -> bool:
    """Whether a custom number format shows a date or time (outside quoted text and [colour] parts)."""
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code)
    return bool(re.search(r"[dmyhs]", bare, re.I))


class _Styles:
    """Per cell format (``s``): whether it is locked and whether its number format shows a date."""

    def __init__(self, data: bytes):
        root = ElementTree.fromstring(data)
        custom = {int(f.get("numFmtId")): f.get("formatCode", "")
                  for f in root.iter(f"{_NS}numFmt")}
        self.locked: list[bool] = []
        self.dated: list[bool] = []
        xfs = root.find(f"{_NS}cellXfs")
        for xf in (xfs if xfs is not None else []):
            prot = xf.find(f"{_NS}protection")
            self.locked.append(prot is None or prot.get("locked", "1") not in ("0", "false"))
            fmt = int(xf.get("numFmtId", "0"))
            self.dated.append(fmt in _DATE_FORMAT_IDS or (fmt in custom and _is_date_code(custom[fmt])))

    def is_locked(self, s: int) -> bool:
        return self.locked[s] if s < len(self.locked) else True

    def is_dated(self, s: int) -> bool:
        return self.dated[s] if s < len(self.dated) else False


def _shared_strings(data: bytes | None) -> list[str]:
    if not data:
        return []
    root = ElementTree.fromstring(data)
    out = []
    for si in root.iter(f"{_NS}si"):
        # the text and its runs, not the phonetic guide (rPh) a Japanese Excel adds
        texts = [si.find(f"{_NS}t")] + [r.find(f"{_NS}t") for r in si.findall(f"{_NS}r")]
        out.append("".join(t.text or "" for t in texts if t is not None))
    return out


class _Sheet:
    """One sheet's XML and where each of its cells is; edits are kept until the sheet is rebuilt."""

    def __init__(self, data: bytes):
        self.data = data
        self.cells = {m.group(1) + m.group(2): m for m in _CELL.finditer(data)}
        self.typed: dict[bytes, bytes] = {}  # ref -> the new cell element

    def attrs(self, ref: bytes) -> dict[bytes, bytes]:
        m = self.cells.get(ref)
        return dict(_ATTR.findall(m.group(3))) if m else {}

    def rebuilt(self) -> bytes:
        """The sheet with every typed cell in place of the cell it replaces."""
        out, at = [], 0
        for start, end, new in sorted((self.cells[ref].start(), self.cells[ref].end(), cell)
                                      for ref, cell in self.typed.items()):
            out += [self.data[at:start], new]
            at = end
        out.append(self.data[at:])
        return b"".join(out)


class TypedWorkbook:
    """A workbook file opened for typing: ``value`` and ``locked`` read cells, ``type`` types into one,
    ``save`` writes the copy."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as zf:
            self._items = [(info, zf.read(info.filename)) for info in zf.infolist()]
            self._parts = sheet_parts(zf)
        data = dict((i.filename, d) for i, d in self._items)
        self._styles = _Styles(data["xl/styles.xml"])
        self._strings = _shared_strings(data.get("xl/sharedStrings.xml"))
        self._data = data
        self._sheets: dict[str, _Sheet] = {}
        self.typed: set[tuple[str, str]] = set()

    @property
    def sheet_names(self) -> list[str]:
        return list(self._parts)

    def _sheet(self, name: str) -> _Sheet:
        if name not in self._sheets:
            if name not in self._parts:
                raise KeyError(f"Worksheet {name} does not exist.")
            self._sheets[name] = _Sheet(self._data[self._parts[name]])
        return self._sheets[name]

    def used_rows(self, sheet: str) -> list[int]:
        """The numbers of the rows that have a cell, in order."""
        return sorted({int(m.group(2)) for m in self._sheet(sheet).cells.values()})

    def locked(self, sheet: str, ref: str) -> bool:
        return self._styles.is_locked(int(self._sheet(sheet).attrs(ref.encode()).get(b"s", b"0")))

    def value(self, sheet: str, ref: str):
        """The cell's value as openpyxl reads it (a formula as its text ``=...``); what was typed, once typed."""
        sh = self._sheet(sheet)
        key = ref.encode()
        if key in sh.typed:
            m = _CELL.match(sh.typed[key])
        else:
            m = sh.cells.get(key)
        if not m or not m.group(4):
            return None
        attrs, body = dict(_ATTR.findall(m.group(3))), m.group(4)
        return self._decode(attrs, body)

    def _decode(self, attrs: dict[bytes, bytes], body: bytes):
        f = re.search(rb"<f\b[^>]*>([^<]*)</f>", body)
        if f:
            return "=" + _unescape(f.group(1))
        kind = attrs.get(b"t", b"n")
        if kind == b"inlineStr":
            return "".join(_unescape(t) for t in _IS_TEXT.findall(body))
        v = _V.search(body)
        if not v:
            return None
        text = v.group(1)
        if kind == b"s":
            return self._strings[int(text)]
        if kind in (b"str", b"e"):
            return _unescape(text)
        if kind == b"b":
            return text == b"1"
        number = float(text) if re.search(rb"[.eE]", text) else int(text)
        if self._styles.is_dated(int(attrs.get(b"s", b"0"))):
            return _EPOCH + dt.timedelta(days=number)
        return number

    def type(self, sheet: str, ref: str, value) -> None:
        """Type ``value`` into an unlocked cell (``None`` clears it), keeping the cell's format."""
        if self.locked(sheet, ref):
            raise LockedCellError(f"{sheet}!{ref} is locked")
        sh = self._sheet(sheet)
        key = ref.encode()
        if key not in sh.cells:
            # kamplan writes every input cell (blank, with its format); a cell the file lacks has the default
            # format, which is locked unless the file unlocked it (not one of kamplan's)
            raise ValueError(f"{sheet}!{ref}: the workbook has no such cell to type into")
        s = sh.attrs(key).get(b"s")
        style = b' s="%s"' % s if s else b""
        sh.typed[key] = self._cell(key, style, int(s or b"0"), value, f"{sheet}!{ref}")
        self.typed.add((sheet, ref))

    def _cell(self, ref: bytes, style: bytes, s: int, value, where: str) -> bytes:
        head = b'<c r="' + ref + b'"' + style
        if value is None:
            return head + b"/>"
        if isinstance(value, bool):
            return head + b' t="b"><v>%d</v></c>' % value
        if isinstance(value, (dt.date, dt.datetime)):
            if not self._styles.is_dated(s):
                raise ValueError(f"{where}: a date typed into a cell that does not show dates")
            if not isinstance(value, dt.datetime):
                value = dt.datetime.combine(value, dt.time())
            value = (value - _EPOCH) / dt.timedelta(days=1)
        if isinstance(value, numbers.Integral):
            return head + b"><v>%d</v></c>" % int(value)
        if isinstance(value, numbers.Real):
            return head + b"><v>" + repr(float(value)).encode() + b"</v></c>"
        text = str(value)
        if text.startswith("="):
            raise ValueError(f"{where}: the demo types values, not formulas")
        space = b' xml:space="preserve"' if text != text.strip() else b""
        return head + b' t="inlineStr"><is><t' + space + b">" + escape(text).encode() + b"</t></is></c>"

    def save(self, dst: Path) -> None:
        """Write the copy: the typed sheets rebuilt, every formula's saved result removed (see the module
        docstring), every other part as it was."""
        rebuilt = {self._parts[n]: sh.rebuilt() for n, sh in self._sheets.items() if sh.typed}
        dst = Path(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info, data in self._items:
                data = rebuilt.get(info.filename, data)
                if info.filename in self._parts.values():
                    data = _FORMULA_RESULT.sub(_without_result, data)
                zout.writestr(info, data)


def _without_result(m: re.Match) -> bytes:
    return b"<c" + m.group(1) + _TYPE_ATTR.sub(b"", m.group(2)) + b">" + m.group(3) + b"<v></v></c>"


def _unescape(text: bytes) -> str:
    s = unescape(text.decode("utf-8"), {"&quot;": '"', "&apos;": "'"})
    return re.sub(r"&#(x?)([0-9a-fA-F]+);", lambda m: chr(int(m.group(2), 16 if m.group(1) else 10)), s)
