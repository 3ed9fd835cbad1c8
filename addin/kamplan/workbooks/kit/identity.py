"""The hidden identity sheet every kamplan workbook carries, written and read in one way.

The sheet (``_kamplan``, very hidden, protected) holds key/value rows in columns A/B (kind, schema
version, when written, workbook id, layout hash and whatever the workbook's reader needs to rebuild
its layout) and, to the right, *blocks*: a header row and then one row per entry (the accounts in
order, the indicators, what a cell showed when written, ...).  Each workbook declares its blocks once
(in its ``layout.py``) as ``Block`` values; ``write_identity`` and ``read_identity`` are driven by
that declaration, so writer and reader cannot drift apart.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from kamplan.workbooks.kit.layout import SheetValues
from kamplan.workbooks.kit.styles import protect_sheet
from kamplan.workbooks.kit.table_checks import key_text

IDENTITY_SHEET = "_kamplan"


@dataclass(kw_only=True)
class Identity:
    """What every identity block says; a workbook's record adds its own fields (year, run, ...)."""
    kind: str
    schema_version: int
    generated_at: dt.datetime
    workbook_id: str = ""
    layout_hash: str = ""

    @property
    def stamp(self) -> str:
        """``generated_at`` as the identity sheet writes it."""
        return self.generated_at.isoformat(timespec="seconds")


@dataclass(frozen=True)
class Block:
    """One block of the identity sheet: ``headers`` in the first row from column ``col`` (0-based), then
    one row per entry.  The first ``keys`` cells of a row are read as keys (``key_text``), the rest as
    stripped text; a row counts when its first cell is not empty.  A ``flat`` block is one column read
    as a list of values instead of a list of tuples."""
    name: str  # the entry of read_identity's result
    col: int
    headers: tuple[str, ...] = ()  # default: (name,)
    width: int = 0  # default: len(headers)
    keys: int | None = None  # default: every cell is a key
    flat: bool = False

    @property
    def heads(self) -> tuple[str, ...]:
        return self.headers or (self.name,)

    @property
    def cells(self) -> int:
        return self.width or len(self.heads)

    def entry(self, get) -> tuple | str:
        keys = self.cells if self.keys is None else self.keys
        cells = tuple(key_text(get(self.col + k)) if k < keys else str(get(self.col + k)).strip()
                      for k in range(self.cells))
        return cells[0] if self.flat else cells


@dataclass(frozen=True)
class IdentitySpec:
    """One workbook kind's identity sheet: its kind, layout version and blocks (in writing order)."""
    kind: str
    schema_version: int
    blocks: tuple[Block, ...] = ()

    def signature_head(self) -> str:
        """How every layout signature starts, so a new kind or version never reads an old layout."""
        return f"{self.kind}/{self.schema_version}"


Row = Sequence[str | None]  # None: the cell stays empty


def write_identity(ws, spec: IdentitySpec, values: Iterable[tuple[str, str]],
                   blocks: Mapping[str, Iterable[Row | str]] | None = None, *, password: str) -> None:
    """Write kind and schema version, then the key/value rows, then each declared block's headers and
    rows (a flat block takes plain strings); hide the sheet (very hidden) and protect it."""
    head = [("kind", spec.kind), ("schema_version", str(spec.schema_version))]
    for r, (key, value) in enumerate(head + list(values)):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, value)
    for block in spec.blocks:
        for k, title in enumerate(block.heads):
            ws.write_string(0, block.col + k, title)
        for r, row in enumerate((blocks or {}).get(block.name, ()), start=1):
            for k, cell in enumerate((row,) if block.flat else row):
                if cell is not None:
                    ws.write_string(r, block.col + k, cell)
    ws.very_hidden()
    protect_sheet(ws, password)


def read_identity(sheet: SheetValues | None, spec: IdentitySpec | None = None) -> dict:
    """The key/value rows (A/B) as ``{key: text}`` plus ``{block.name: [entry, ...]}`` for each block
    ``spec`` declares (no spec: the key/value rows of any kind's sheet); only the empty block lists when
    the sheet is missing."""
    blocks = spec.blocks if spec is not None else ()
    out: dict = {b.name: [] for b in blocks}
    if sheet is None:
        return out
    for r, row in enumerate(sheet.rows):
        def get(c):
            return row[c] if c < len(row) else ""
        if isinstance(get(0), str) and get(0) and not isinstance(out.get(get(0).strip()), list):
            out[get(0).strip()] = str(get(1)).strip()
        if r == 0:
            continue
        for block in blocks:
            entry = block.entry(get)
            if entry if block.flat else entry[0]:
                out[block.name].append(entry)
    return out
