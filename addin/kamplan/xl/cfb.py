"""A minimal writer of Compound File Binary files (MS-CFB version 3), the container of ``vbaProject.bin``.

ms-ovba produces the VBA project's streams correctly, but the container writer it uses (ms-cfb
0.0.6) cuts some streams short (found by reading its files back with olefile).  This writer does
only what a VBA project needs: storages and streams from a dict of paths, 512-byte sectors, streams
under 4096 bytes in the mini stream, no DIFAT (up to 109 FAT sectors, about 7 MB), all
directory entries black in a balanced tree.
"""
from __future__ import annotations

import struct

SECTOR = 512
MINI = 64
CUTOFF = 4096
ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _sort_key(name: str) -> tuple[int, str]:
    """CFB orders siblings by name length, then by upper-cased name."""
    return len(name), name.upper()


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        self.name, self.kind, self.data = name, kind, data  # kind: 1 storage, 2 stream, 5 root
        self.children: dict[str, _Entry] = {}
        self.left = self.right = self.child = NOSTREAM
        self.start, self.size = ENDOFCHAIN, 0
        self.id = 0


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else ENDOFCHAIN


def _sectors(n_bytes: int, size: int = SECTOR) -> int:
    """How many sectors of ``size`` bytes hold ``n_bytes``."""
    return -(-n_bytes // size)


def _tree_of(streams: dict[str, bytes]) -> _Entry:
    """The root entry with a storage per folder and a stream per path."""
    root = _Entry("Root Entry", 5)
    for path, data in streams.items():
        node = root
        *folders, leaf = path.split("/")
        for f in folders:
            node = node.children.setdefault(f, _Entry(f, 1))
        if len(leaf) > 31:
            raise ValueError(f"stream name {leaf!r} is longer than 31 characters")
        node.children[leaf] = _Entry(leaf, 2, bytes(data))
    return root


def _numbered(root: _Entry) -> list[_Entry]:
    """Every entry in directory order (depth first, siblings sorted), each sibling set a balanced tree."""
    entries: list[_Entry] = []

    def number(e: _Entry) -> None:
        e.id = len(entries)
        entries.append(e)
        kids = sorted(e.children.values(), key=lambda k: _sort_key(k.name))
        for k in kids:
            number(k)
        e.child = _balanced(kids)

    number(root)
    return entries


def _balanced(kids: list[_Entry]) -> int:
    """Link ``kids`` (numbered, sorted) as a balanced binary tree; returns the id of its top."""
    if not kids:
        return NOSTREAM
    mid = len(kids) // 2
    top = kids[mid]
    top.left, top.right = _balanced(kids[:mid]), _balanced(kids[mid + 1:])
    return top.id


def _mini_stream(small: list[_Entry]) -> tuple[list[int], bytearray]:
    """The mini allocation table and the mini stream holding the ``small`` streams (their starts set)."""
    mini_fat: list[int] = []
    mini_stream = bytearray()
    for e in small:
        n = _sectors(len(e.data), MINI)
        e.size = len(e.data)
        if n:
            e.start = len(mini_fat)
            mini_fat += [0] * n
            _chain(mini_fat, e.start, n)
            mini_stream += e.data.ljust(n * MINI, b"\0")
        else:
            e.start = ENDOFCHAIN
    return mini_fat, mini_stream


def _fat_sector_count(n_other: int) -> int:
    """FAT sectors needed to map themselves and ``n_other`` further sectors."""
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + n_other:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("the VBA project is too large for this writer (more than 109 FAT sectors)")
    return n_fat


def _header(n_fat: int, dir_start: int, minifat_start: int, n_minifat: int) -> bytes:
    difat = list(range(n_fat)) + [FREESECT] * (109 - n_fat)
    return struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3,
                       0xFFFE, 9, 6, b"\0" * 6, 0, n_fat, dir_start, 0, CUTOFF, minifat_start, n_minifat,
                       ENDOFCHAIN, 0) + struct.pack("<109I", *difat)


def _directory(entries: list[_Entry], n_dir: int) -> bytearray:
    directory = bytearray()
    for e in entries:
        name = (e.name + "\0").encode("utf-16-le")
        directory += struct.pack("<64sHBBIII16sIQQIQ", name.ljust(64, b"\0"), len(name), e.kind, 1,
                                 e.left, e.right, e.child, b"\0" * 16, 0, 0, 0,
                                 e.start if e.kind != 1 else 0, e.size)
    directory = directory.ljust(n_dir * SECTOR, b"\0")
    for i in range(len(entries) * 128, n_dir * SECTOR, 128):  # unused entries: empty, no siblings
        directory[i + 68:i + 80] = struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)
    return directory


def write_cfb(streams: dict[str, bytes]) -> bytes:
    """The bytes of a compound file holding ``streams`` ({"PROJECT": ..., "VBA/dir": ...}).

    Sectors in file order: the FAT, the mini FAT, the directory, the mini stream, then each big stream.
    """
    root = _tree_of(streams)
    entries = _numbered(root)
    small = [e for e in entries if e.kind == 2 and len(e.data) < CUTOFF]
    big = [e for e in entries if e.kind == 2 and len(e.data) >= CUTOFF]
    mini_fat, mini_stream = _mini_stream(small)
    n_minifat = _sectors(len(mini_fat) * 4)
    n_dir = _sectors(len(entries) * 128)
    n_ministream = _sectors(len(mini_stream))
    n_fat = _fat_sector_count(n_minifat + n_dir + n_ministream + sum(_sectors(len(e.data)) for e in big))
    fat = [FREESECT] * (n_fat * SECTOR // 4)
    for i in range(n_fat):
        fat[i] = FATSECT
    pos = n_fat
    minifat_start = pos if n_minifat else ENDOFCHAIN
    _chain(fat, pos, n_minifat)
    pos += n_minifat
    dir_start = pos
    _chain(fat, pos, n_dir)
    pos += n_dir
    root.start, root.size = (pos if n_ministream else ENDOFCHAIN), len(mini_stream)
    _chain(fat, pos, n_ministream)
    pos += n_ministream
    body = bytearray()
    for e in big:
        n = _sectors(len(e.data))
        e.start, e.size = pos, len(e.data)
        _chain(fat, pos, n)
        pos += n
        body += e.data.ljust(n * SECTOR, b"\0")

    out = bytearray(_header(n_fat, dir_start, minifat_start, n_minifat))
    out += struct.pack(f"<{len(fat)}I", *fat)
    out += struct.pack(f"<{len(mini_fat)}I", *mini_fat).ljust(n_minifat * SECTOR, b"\xff")
    out += _directory(entries, n_dir)
    out += bytes(mini_stream).ljust(n_ministream * SECTOR, b"\0")
    out += body
    return bytes(out)
