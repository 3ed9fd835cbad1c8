"""The gate in front of every returned workbook: is this file safe, and is it
really an .xlsx?

Nothing here opens a file with a spreadsheet library.  ``check_workbook_file``
looks at the raw bytes and either says "go ahead" (``[]``) or returns exactly
one error :class:`~kamplan.problems.Problem` that tells the VP what the file is
and what the salesperson should do about it.  It never raises, whatever the
file contains.

What it reads, and why that is cheap:

* ``os.stat`` first (missing, folder, FIFO, empty, too large) - no bytes read.
* The first 64 KiB: OLE2 / zip / text / HTML sniffing.
* For a zip: the end-of-central-directory record, then the central directory
  is *walked* (not loaded) so a file with a million entries is rejected after
  ``max_members + 1`` of them.  Declared sizes and ratios are checked before a
  single byte is inflated.
* Then every member is inflated as a stream, in chunks, never more than its
  *declared* size + 1 chunk (a member that produces more is lying about its
  size and is a zip bomb), never more than ``max_uncompressed_bytes`` in total,
  and its CRC is verified.  Output is thrown away; only the first 64 KiB of XML
  members is kept.
* XML bombs ("billion laughs", external entities) need a ``<!DOCTYPE`` with an
  internal subset (``<!ENTITY`` ...), and XML only allows a DOCTYPE in the
  prolog, i.e. *before* the root element's start tag; an ``<!ENTITY`` or
  ``&name;`` anywhere else is a well-formedness error, not an expansion.  So
  instead of searching whole sheets with an overlap window we parse only the
  prolog (XML declaration, comments, processing instructions, whitespace) up to
  the root element: O(prolog), usually ~60 bytes, independent of sheet size.
  The prolog is decoded the way an XML parser would (BOM / UTF-16 / UTF-32
  sniffing, ``encoding=`` checked), so ``<\\0!\\0D\\0O\\0...`` in UTF-16 or a UTF-7
  ``+ADw-!DOCTYPE`` cannot sneak past a byte search.  A prolog that does not end
  within 64 KiB, or that contains anything but the above, is refused too -
  Excel, WPS and LibreOffice never write one.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kamplan.messages import Message
from kamplan.problems import Problem, problem as _catalogue_problem

__all__ = ["Limits", "check_workbook_file", "content_hash"]


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * 2**20
    max_members: int = 2000
    max_uncompressed_bytes: int = 300 * 2**20  # sum over members
    max_member_ratio: float = 200.0  # uncompressed/compressed for members bigger than ~1 MiB


_KIB = 1024
_MIB = 2**20
_HEAD_BYTES = 64 * _KIB  # sniffed at the start of the file
_XML_HEAD_BYTES = 64 * _KIB  # the XML prolog must end within this many bytes
_RATIO_MIN_MEMBER = 1 * _MIB  # ratio only matters for members bigger than this
_IN_CHUNK = 256 * _KIB
_OUT_CHUNK = 1 * _MIB

_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_XML_SUFFIXES = (".xml", ".rels", ".vml")

# The words are in the catalogue (kamplan.messages, ids file.*; shared fixes fix.save-as-xlsx, fix.resend,
# fix.resave-safe, fix.send-xlsx).


def _problem(pid: str, name: str, **fields) -> Problem:
    return _catalogue_problem(pid, file=name, name=name, **fields)


# --------------------------------------------------------------------------
# public API


def check_workbook_file(path: Path, limits: Limits = Limits()) -> list[Problem]:
    """``[]`` if ``path`` may be opened by python-calamine/openpyxl, else one
    error problem (``file`` = the file's name).  Never raises."""
    try:
        name = _display_name(path)
    except Exception:
        name = str(path) if isinstance(path, str) else "(unknown file)"
    try:
        problem = _check(Path(path), name, limits)
    except OSError as exc:
        problem = _unreadable(name, exc)
    except Exception as exc:  # the gate must never raise, whatever the bytes are
        problem = _problem("file.check-failed", name, reason=f"{type(exc).__name__}: {exc}")
    return [problem] if problem is not None else []


def content_hash(path: Path) -> str:
    """SHA-256 hex digest of the file's bytes, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


# --------------------------------------------------------------------------
# the checks, in the order they are cheap


def _check(path: Path, name: str, limits: Limits) -> Problem | None:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return _problem("file.not-found", name, path=str(path))
    except (OSError, ValueError) as exc:  # ValueError: embedded NUL in the path
        return _unreadable(name, exc)
    if stat.S_ISDIR(st.st_mode):
        return _problem("file.is-folder", name)
    if not stat.S_ISREG(st.st_mode):
        return _problem("file.not-regular", name)
    size = st.st_size
    if size == 0:
        return _empty(name)
    if size > limits.max_file_bytes:
        return _problem("file.too-large", name, size=_size(size), limit=_size(limits.max_file_bytes))
    with open(path, "rb") as f:
        head = f.read(_HEAD_BYTES)
        if not head:
            return _empty(name)
        if head.startswith(_OLE_MAGIC):
            return _check_ole(path, f, size, head, name)
        if head.startswith(_ZIP_STARTS):
            return _check_zip(f, size, name, limits)
        kind = _text_kind(head)
        if kind is not None:
            return _text_problem(kind, name)
        what = _known_binary(head)
        if what:
            return _problem("file.not-xlsx-known", name, what=what)
        return _problem("file.not-xlsx-unknown", name)


def _display_name(path) -> str:
    p = os.fspath(path)
    if isinstance(p, bytes):
        p = os.fsdecode(p)
    return Path(p).name or p


def _unreadable(name: str, exc: BaseException) -> Problem:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else (
        str(exc) or type(exc).__name__)
    return _problem("file.unreadable", name, reason=reason)


def _empty(name: str) -> Problem:
    return _problem("file.empty", name)


def _size(n: int) -> str:
    if n >= _MIB:
        return Message("size.mb", size=round(n / _MIB, 1))
    if n >= _KIB:
        return Message("size.kb", size=round(n / _KIB))
    return Message("size.bytes", size=n)


# --------------------------------------------------------------------------
# text, HTML and other non-zip files

_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1a\x1b") + b"\x7f"
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)
_HTML_STARTS = ("<html", "<!doctype html", "<table", "<head", "<body", "<meta",
                "<style", "<title")


def _text_kind(head: bytes) -> str | None:
    """'html', 'xml2003', 'mht', 'text' or None (binary)."""
    enc = None
    if head.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
    elif head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        enc = "utf-32"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
    else:
        enc = _bomless_utf16(head)
    if enc is not None:
        sample = head[: len(head) - len(head) % 4]
        text = sample.decode(enc, errors="replace")
    else:
        if b"\x00" in head:
            return None
        controls = len(head.translate(None, _NOT_CONTROL))
        if controls > len(head) // 100:
            return None
        text = head.decode("utf-8", errors="replace")
    s = text.lstrip("\ufeff \t\r\n").lower()
    if s.startswith(_HTML_STARTS):
        return "html"
    if s.startswith("mime-version:") or ("content-type: multipart/related" in s[:2000]):
        return "mht"
    if s.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in s or "excel.sheet" in s:
            return "xml2003"
        if "<html" in s[:2000]:
            return "html"
    return "text"


def _bomless_utf16(head: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for UTF-16 text without a BOM, else None."""
    sample = head[:4096]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 4:  # only a pair cut at the end is fine
                continue
            text = sample[: exc.start].decode(enc)
        if not text:
            continue
        controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f")
        plain = sum(1 for ch in text if " " <= ch < "\x7f" or ch in "\t\n\r")
        if controls <= len(text) // 100 and plain >= len(text) // 10:
            return enc
    return None


def _text_problem(kind: str, name: str) -> Problem:
    return _problem({"html": "file.html", "mht": "file.mht", "xml2003": "file.xml2003"}.get(kind, "file.text"), name)


_SIGNATURES = (
    (b"%PDF", "what.pdf"),
    (b"\x89PNG", "what.png"),
    (b"\xff\xd8\xff", "what.jpeg"),
    (b"GIF8", "what.gif"),
    (b"Rar!", "what.rar"),
    (b"7z\xbc\xaf\x27\x1c", "what.7z"),
    (b"\x1f\x8b", "what.gzip"),
    (b"MZ", "what.exe"),
    (b"\x09\x08", "what.old-excel"),
    (b"\x09\x04", "what.old-excel"),
    (b"{\\rtf", "what.rtf"),
)


def _known_binary(head: bytes) -> str | None:
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return Message(what)
    return None


# --------------------------------------------------------------------------
# OLE2 compound files: encrypted OOXML versus legacy .xls

_ENCRYPTED_STREAMS = {"encryptioninfo", "encryptedpackage"}
_CFB_INTERESTING = {"encryptioninfo", "encryptedpackage", "workbook", "book",
                    "worddocument", "powerpoint document"}


def _check_ole(path: Path, f: BinaryIO, size: int, head: bytes, name: str) -> Problem:
    names: set[str] = set()
    try:
        names |= _olefile_names(path)
    except Exception:
        pass
    if not names:
        try:
            names |= _cfb_directory_names(f, size)
        except Exception:
            pass
    names |= _scan_cfb_entries(head)
    if names & _ENCRYPTED_STREAMS:
        return _problem("file.password", name)
    if not names & {"workbook", "book"} and names & {"worddocument", "powerpoint document"}:
        return _problem("file.old-office", name, program="Word" if "worddocument" in names else "PowerPoint")
    return _problem("file.legacy-xls", name)


def _olefile_names(path: Path) -> set[str]:
    try:
        import olefile  # optional dependency
    except ImportError:
        return set()
    ole = olefile.OleFileIO(str(path))
    try:
        return {part.lower() for entry in ole.listdir(streams=True, storages=True)
                for part in entry}
    finally:
        ole.close()


_MAXREGSECT = 0xFFFFFFFA


def _cfb_directory_names(f: BinaryIO, size: int) -> set[str]:
    """Names of all directory entries, following the FAT chain of the
    directory.  Reads the header, the FAT sectors it needs and the directory."""
    f.seek(0)
    hdr = f.read(512)
    if len(hdr) < 512:
        return set()
    shift = struct.unpack_from("<H", hdr, 30)[0]
    if shift not in (9, 12):
        return set()
    ss = 1 << shift
    per = ss // 4
    n_sectors = max(0, (size - ss) // ss + (1 if (size - ss) % ss else 0))
    n_fat, first_dir = struct.unpack_from("<II", hdr, 44)
    first_difat, n_difat = struct.unpack_from("<II", hdr, 68)
    n_fat = min(n_fat, n_sectors)

    def sector(sid: int) -> bytes:
        if sid >= n_sectors:
            raise ValueError("sector out of range")
        f.seek((sid + 1) * ss)
        data = f.read(ss)
        if len(data) < ss:
            data += bytes(ss - len(data))
        return data

    fat_sids = list(struct.unpack_from("<109I", hdr, 76))[: min(n_fat, 109)]
    sid, steps = first_difat, 0
    while len(fat_sids) < n_fat and sid < _MAXREGSECT and steps <= min(n_difat, n_sectors):
        block = struct.unpack_from(f"<{per}I", sector(sid))
        fat_sids.extend(block[:-1])
        sid, steps = block[-1], steps + 1
    fat_sids = fat_sids[:n_fat]
    fat_cache: dict[int, tuple[int, ...]] = {}

    def next_sid(sid: int) -> int:
        idx = sid // per
        if idx not in fat_cache:
            fat_cache[idx] = struct.unpack_from(f"<{per}I", sector(fat_sids[idx]))
        return fat_cache[idx][sid % per]

    names: set[str] = set()
    sid, steps = first_dir, 0
    while sid < _MAXREGSECT and steps <= n_sectors:
        data = sector(sid)
        for off in range(0, ss, 128):
            entry_name = _cfb_entry_name(data, off)
            if entry_name:
                names.add(entry_name.lower())
        sid, steps = next_sid(sid), steps + 1
    return names


def _cfb_entry_name(data: bytes, off: int) -> str | None:
    if off + 128 > len(data):
        return None
    name_len = struct.unpack_from("<H", data, off + 64)[0]
    if data[off + 66] not in (1, 2, 5) or not 2 <= name_len <= 64 or name_len % 2:
        return None
    try:
        return data[off: off + name_len - 2].decode("utf-16-le")
    except UnicodeDecodeError:
        return None


def _scan_cfb_entries(head: bytes) -> set[str]:
    """Fallback: look at every 128-byte aligned slot of the first bytes for a
    directory entry with one of the names we care about."""
    found = set()
    for off in range(512, len(head) - 127, 128):
        entry_name = _cfb_entry_name(head, off)
        if entry_name and entry_name.lower() in _CFB_INTERESTING:
            found.add(entry_name.lower())
    return found


# --------------------------------------------------------------------------
# zip containers


class _ZipFault(Exception):
    """Internal: a structural fault found while walking the zip ourselves (its argument: a Message)."""


def _said(exc: Exception):
    """The Message a _ZipFault or _Lying was raised with (said in the reader's language later)."""
    return exc.args[0] if exc.args else ""


def _corrupt(name: str, detail: str) -> Problem:
    return _problem("file.corrupt", name, detail=detail)


def _too_large(name: str, what: str) -> Problem:
    return _problem("file.archive-too-large", name, what=what)


def _bomb(name: str, what: str) -> Problem:
    return _problem("file.zip-bomb", name, what=what)


def _check_zip(f: BinaryIO, size: int, name: str, limits: Limits) -> Problem | None:
    """The zip container, step by step; the first problem found, or None."""
    # 1. find and walk the central directory ourselves, so a huge member count
    #    is refused before zipfile builds a ZipInfo for each of them
    try:
        cd_start, cd_size, declared_count = _find_central_directory(f, size)
        if declared_count > limits.max_members:
            return _too_large(name, Message("what.parts", count=declared_count, limit=limits.max_members))
        count = _count_central_directory(f, cd_start, cd_size, limits.max_members)
    except _ZipFault as exc:
        return _corrupt(name, _said(exc))
    if count > limits.max_members:
        return _too_large(name, Message("what.more-parts", limit=limits.max_members))

    # 2. let zipfile parse the (now known to be small) central directory
    try:
        zf = zipfile.ZipFile(f)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError,
            EOFError, struct.error, UnicodeDecodeError, OverflowError) as exc:
        return _corrupt(name, Message("zip.fault.directory-unreadable", reason=str(exc)))
    # 3. is it an xlsx at all?  4. declared sizes: ratio per member, then the sum
    problem = _not_an_xlsx_problem(zf, infos, name) or _declared_size_problem(infos, name, limits)
    if problem is not None:
        return problem
    # 5. where the data lies: local headers match, members do not overlap
    try:
        spans = _member_spans(f, infos, cd_start)
    except _ZipFault as exc:
        return _corrupt(name, _said(exc))
    # 6. stream every member: true size, CRC, and the XML prolog
    return _overlap_problem(spans, name) or _stream_problem(f, spans, name, limits)


def _not_an_xlsx_problem(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str) -> Problem | None:
    """The parts an xlsx must have; no zip password; only the compression methods Excel uses."""
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return _not_xlsx_zip(zf, names, name)
    for info in infos:
        if info.flag_bits & 0x1:
            return _problem("file.zip-password", name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return _problem("file.zip-method", name, method=str(info.compress_type), part=info.filename)
    return None


def _declared_size_problem(infos: list[zipfile.ZipInfo], name: str, limits: Limits) -> Problem | None:
    """Declared sizes: the expansion ratio of each member, then the sum."""
    for info in infos:
        if info.file_size > _RATIO_MIN_MEMBER:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_member_ratio:
                return _bomb(name, Message("what.ratio", part=info.filename, ratio=round(ratio),
                                           packed=_size(info.compress_size), unpacked=_size(info.file_size)))
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        return _too_large(name, Message("what.would-unpack", size=_size(total),
                                        limit=_size(limits.max_uncompressed_bytes)))
    return None


def _overlap_problem(spans: list[tuple[zipfile.ZipInfo, int]], name: str) -> Problem | None:
    """Members must not share packed data (a classic zip bomb)."""
    previous_end, previous_name = 0, None
    for info, data_start in sorted(spans, key=lambda s: s[0].header_offset):
        if info.header_offset < previous_end:
            return _bomb(name, Message("what.shared-data", first=previous_name, second=info.filename))
        previous_end, previous_name = data_start + info.compress_size, info.filename
    return None


def _stream_problem(f: BinaryIO, spans: list[tuple[zipfile.ZipInfo, int]], name: str,
                    limits: Limits) -> Problem | None:
    """Stream every member: true size, CRC, and the XML prolog."""
    budget = limits.max_uncompressed_bytes
    for info, data_start in spans:
        want_xml = info.filename.lower().endswith(_XML_SUFFIXES)
        try:
            produced, head = _stream_member(f, info, data_start, budget, want_xml)
        except _Lying as exc:
            return _bomb(name, Message("what.lying", part=info.filename, detail=_said(exc)))
        except _OverBudget:
            return _too_large(name, Message("what.unpacks-more", limit=_size(limits.max_uncompressed_bytes)))
        except _ZipFault as exc:
            return _corrupt(name, Message("zip.fault.in-part", part=info.filename, fault=_said(exc)))
        budget -= produced
        if want_xml:
            reason = _xml_prolog_problem(head, complete=len(head) < _XML_HEAD_BYTES
                                         or produced == len(head))
            if reason is not None:
                return _xml_problem(name, info.filename, reason)
    return None


def _not_xlsx_zip(zf: zipfile.ZipFile, names: set[str], name: str) -> Problem:
    mimetype = b""
    if "mimetype" in names:
        try:
            with zf.open("mimetype") as m:
                mimetype = m.read(200)
        except Exception:
            pass
    kind = _zip_kind(names, mimetype)
    fix = Message(f"fix.zip.{kind}") if kind in _ZIP_FIXES else None
    return _catalogue_problem("file.other-zip", file=name, name=name, what=Message(f"what.zip.{kind}"), fix=fix)


_ZIP_FIXES = {"ods", "odt", "docx", "pptx", "nested", "zip"}


def _zip_kind(names: set[str], mimetype: bytes) -> str:
    """What a zip that is not an xlsx holds (the catalogue says it: ``what.zip.<kind>``)."""
    if b"opendocument" in mimetype or ("content.xml" in names and "META-INF/manifest.xml" in names):
        return "ods" if b"spreadsheet" in mimetype or not mimetype else "odt"
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if any(n.lower().endswith((".xlsx", ".xlsm")) for n in names):
        return "nested"
    return "zip"


def _find_central_directory(f: BinaryIO, size: int) -> tuple[int, int, int]:
    """(offset of the central directory, its size, declared entry count)."""
    tail_len = min(size, 22 + 65535)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    pos = -1
    if tail[-22:-18] == b"PK\x05\x06" and tail[-2:] == b"\x00\x00":
        pos = len(tail) - 22
    else:
        pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise _ZipFault(Message("zip.fault.end-missing"))
    (_, disk, cd_disk, _n_disk, count, cd_size, cd_offset, _comment) = struct.unpack_from(
        "<4s4H2LH", tail, pos)
    eocd = size - tail_len + pos
    cd_end = eocd
    if count == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        loc = eocd - 20
        if loc < 0:
            raise _ZipFault(Message("zip.fault.zip64"))
        f.seek(loc)
        locator = f.read(20)
        if locator[:4] == b"PK\x06\x07":
            rec = loc - 56
            if rec < 0:
                raise _ZipFault(Message("zip.fault.zip64"))
            f.seek(rec)
            data = f.read(56)
            if len(data) < 56 or data[:4] != b"PK\x06\x06":
                raise _ZipFault(Message("zip.fault.zip64"))
            (_, _sz, _v1, _v2, disk, cd_disk, _n_disk, count, cd_size,
             cd_offset) = struct.unpack("<4sQ2H2L4Q", data)
            cd_end = rec
    if disk != 0 or cd_disk != 0:
        raise _ZipFault(Message("zip.fault.split"))
    cd_start = cd_end - cd_size
    if cd_start < 0:
        raise _ZipFault(Message("zip.fault.directory-outside"))
    return cd_start, cd_size, count


def _count_central_directory(f: BinaryIO, cd_start: int, cd_size: int, max_members: int) -> int:
    """Walk the entries exactly like zipfile does; stop after max_members + 1."""
    f.seek(cd_start)
    pos, count = 0, 0
    while pos < cd_size:
        hdr = f.read(46)
        if len(hdr) != 46 or hdr[:4] != b"PK\x01\x02":
            raise _ZipFault(Message("zip.fault.directory-damaged"))
        n, m, k = struct.unpack_from("<3H", hdr, 28)
        skip = n + m + k
        f.seek(skip, os.SEEK_CUR)
        pos += 46 + skip
        count += 1
        if count > max_members:
            break
    return count


def _member_spans(f: BinaryIO, infos: list[zipfile.ZipInfo], cd_start: int):
    spans = []
    for info in infos:
        if not 0 <= info.header_offset < cd_start:
            raise _ZipFault(Message("zip.fault.data-outside", part=info.filename))
        f.seek(info.header_offset)
        hdr = f.read(30)
        if len(hdr) != 30 or hdr[:4] != b"PK\x03\x04":
            raise _ZipFault(Message("zip.fault.data-missing", part=info.filename))
        flags = struct.unpack_from("<H", hdr, 6)[0]
        n, m = struct.unpack_from("<2H", hdr, 26)
        raw = f.read(n)
        local = raw.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        if local != info.orig_filename:
            raise _ZipFault(Message("zip.fault.two-names", part=info.filename))
        data_start = info.header_offset + 30 + n + m
        if info.compress_size < 0 or data_start + info.compress_size > cd_start:
            raise _ZipFault(Message("zip.fault.part-cut-off", part=info.filename))
        spans.append((info, data_start))
    return spans


class _Lying(Exception):
    pass


class _OverBudget(Exception):
    pass


def _stream_member(f: BinaryIO, info: zipfile.ZipInfo, data_start: int, budget: int,
                   want_head: bool) -> tuple[int, bytes]:
    """Inflate one member without keeping it: returns (bytes produced, first
    _XML_HEAD_BYTES if wanted).  Raises _Lying / _OverBudget / _ZipFault."""
    declared = info.file_size
    limit = min(declared, budget)
    head = bytearray()
    produced, crc = 0, 0

    def take(out: bytes) -> None:
        nonlocal produced, crc
        produced += len(out)
        if produced > declared:
            raise _Lying(Message("zip.fault.more-than-declared", size=_size(declared)))
        if produced > limit:
            raise _OverBudget()
        crc = zlib.crc32(out, crc)
        if want_head and len(head) < _XML_HEAD_BYTES:
            head.extend(out[: _XML_HEAD_BYTES - len(head)])

    f.seek(data_start)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left:
            chunk = f.read(min(_IN_CHUNK, left))
            if not chunk:
                raise _ZipFault(Message("zip.fault.cut-off"))
            left -= len(chunk)
            take(chunk)
    else:
        d = zlib.decompressobj(-15)
        try:
            while left and not d.eof:
                chunk = f.read(min(_IN_CHUNK, left))
                if not chunk:
                    raise _ZipFault(Message("zip.fault.cut-off"))
                left -= len(chunk)
                while chunk and not d.eof:
                    take(d.decompress(chunk, _OUT_CHUNK))
                    chunk = d.unconsumed_tail
            while not d.eof:  # output zlib still holds back, bounded per call
                out = d.decompress(b"", _OUT_CHUNK)
                if not out:
                    break
                take(out)
        except zlib.error as exc:
            raise _ZipFault(Message("zip.fault.packed-damaged", reason=str(exc))) from None
        if not d.eof:
            raise _ZipFault(Message("zip.fault.ends-early"))
    if produced != declared:
        raise _ZipFault(Message("zip.fault.size", produced=_size(produced), declared=_size(declared)))
    if crc != info.CRC:
        raise _ZipFault(Message("zip.fault.crc"))
    return produced, bytes(head)


# --------------------------------------------------------------------------
# XML prolog: DOCTYPE / ENTITY declarations can only live before the root

_ASCII_COMPATIBLE = re.compile(
    r"utf-?8|(us-)?ascii|iso[-_]?8859[-_]?\d{1,2}|latin-?\d|l\d|(windows|cp)-?125\d|"
    r"cp-?(437|850|932|936|949|950)|gb2312|gbk|gb18030|big5(-hkscs)?|shift[-_]jis|sjis|"
    r"ms_kanji|euc[-_](jp|kr|cn)|ks_c_5601-1987|koi8-[ru]|tis-620", re.I)
_WIDE_UNICODE = re.compile(r"utf-?(16|32)([-_]?[lb]e)?|ucs-?[24]|iso-10646-ucs-[24]", re.I)
_ENCODING_DECL = re.compile(r"""encoding\s*=\s*(["'])([^"']*)\1""")


def _sniff_xml_encoding(head: bytes) -> tuple[str, int]:
    """(codec, BOM length) the way an XML parser autodetects it; "latin-1"
    stands for every ASCII-compatible encoding (markup is ASCII there)."""
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                       (b"\xef\xbb\xbf", "latin-1"), (b"\xff\xfe", "utf-16-le"),
                       (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return codec, len(bom)
    if len(head) >= 4:
        if head[1:4] == b"\x00\x00\x00" and head[0]:
            return "utf-32-le", 0
        if head[:3] == b"\x00\x00\x00" and head[3]:
            return "utf-32-be", 0
    if len(head) >= 2:
        if head[0] and not head[1]:
            return "utf-16-le", 0
        if head[1] and not head[0]:
            return "utf-16-be", 0
    return "latin-1", 0


def _xml_prolog_problem(head: bytes, complete: bool) -> str | None:
    """None if the prolog is plain (or the part is empty), else a reason:
    'doctype', 'encoding', 'junk' or 'too-long'."""
    text, wide = _decoded_head(head)
    cut = None if complete else "too-long"  # what reaching the end of ``head`` means
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            return cut
        if text[i] != "<":
            return "junk"
        if i + 1 >= n:
            return cut
        step = _prolog_item(text, i, wide, cut)
        if not isinstance(step, int):
            return step
        i = step


def _decoded_head(head: bytes) -> tuple[str, bool]:
    """The head as text in its sniffed encoding (a cut last character dropped), and whether the
    encoding is a wide one (UTF-16 or UTF-32)."""
    codec, bom = _sniff_xml_encoding(head)
    body = head[bom:]
    unit = 4 if "32" in codec else 2 if "16" in codec else 1
    body = body[: len(body) - len(body) % unit]
    return body.decode(codec, errors="replace"), unit > 1


def _prolog_item(text: str, i: int, wide: bool, cut: str | None) -> int | str | None:
    """The prolog item starting with "<" at ``i``: the index after it (an XML declaration, processing
    instruction or comment), or the verdict: None at the root element, else a reason."""
    c = text[i + 1]
    if c == "?":
        end = text.find("?>", i + 2)
        if end < 0:
            return cut
        if i == 0 and re.match(r"<\?xml[\s?]", text[: end + 2]):
            m = _ENCODING_DECL.search(text, 0, end)
            if m:
                declared = m.group(2).strip()
                family = _WIDE_UNICODE if wide else _ASCII_COMPATIBLE
                if not family.fullmatch(declared):
                    return "encoding"
        return end + 2
    if c == "!":
        if text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            return cut if end < 0 else end + 3
        if "<!--".startswith(text[i:]):  # "<!" or "<!-" at the very end
            return cut
        return "doctype"  # <!DOCTYPE, <!ENTITY, <![CDATA[ ... before the root
    if c.isalpha() or c in "_:" or (ord(c) >= 0x80 and c != "\ufffd"):
        return None  # the root element: the prolog is over
    return "junk"


def _xml_problem(name: str, member: str, reason: str) -> Problem:
    known = reason if reason in ("doctype", "encoding", "too-long") else "junk"
    return _problem("file.xml-unsafe", name, what=Message(f"what.xml.{known}", part=member))
