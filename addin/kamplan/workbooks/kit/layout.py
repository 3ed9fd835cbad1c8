"""Declarative description of a sheet as a table of columns.

The same ``Table`` drives the writer (headers, formats, formulas, validation,
locking) and the reader (header check, key check, parsing inputs), so the two
cannot drift apart.  Positions are 0-based internally; ``ref()`` gives A1.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Literal

from xlsxwriter.utility import xl_col_to_name

# Number formats (Excel format codes) the workbooks share.
FMT_VOLUME = "#,##0.0"
FMT_MONEY = "#,##0"
FMT_CENTS = "#,##0.00"
FMT_PCT = "0.0%"
FMT_INT = "0"
FMT_SCORE = "0.0"
FMT_DATE = "yyyy-mm-dd"

Role = Literal["key", "info", "input", "formula"]
DType = Literal["text", "number", "integer", "date", "choice"]


@dataclass(frozen=True)
class Column:
    key: str  # field name, e.g. "volume_q1"
    header: str  # label shown in the header row (already translated)
    role: Role
    dtype: DType = "text"
    width: float = 12
    num_format: str | None = None
    choices: str | None = None  # name of a list on the Lists sheet, for dropdowns
    required: bool = False  # in free-entry tables: must be filled when the row is used
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""  # what to type: shown by the validation and in problems' "fix"
    # formula cells: row index (0-based) -> formula text; ``quantity`` names the engine value it must equal
    formula: Callable[[int], str] | None = None
    quantity: str | None = None


@dataclass(frozen=True)
class Table:
    key: str  # e.g. "targets"
    sheet: str  # sheet name shown to the user
    columns: tuple[Column, ...]
    header_row: int  # 0-based row of the header labels
    row_keys: tuple[tuple[str, ...], ...] = ()  # fixed rows (values of the key columns), or () for free entry
    free_rows: int = 0  # number of empty input rows for free-entry tables
    total_row: int | None = None  # 0-based row of a totals line; sits just above the header row
    title: str = ""
    note: str = ""

    @property
    def first_row(self) -> int:
        return self.header_row + 1

    @property
    def n_rows(self) -> int:
        return len(self.row_keys) if self.row_keys else self.free_rows

    @property
    def last_row(self) -> int:
        return self.first_row + self.n_rows - 1

    def __post_init__(self):
        # The reader asks for positions ~100,000 times per file: look them up, don't search.
        object.__setattr__(self, "_index", {c.key: i for i, c in enumerate(self.columns)})
        object.__setattr__(self, "_letters", [xl_col_to_name(i) for i in range(len(self.columns))])

    def col(self, key: str) -> int:
        return self._index[key]

    def column(self, key: str) -> Column:
        return self.columns[self.col(key)]

    def letter(self, key: str) -> str:
        return self._letters[self._index[key]]

    def ref(self, row: int, key: str) -> str:
        return f"{self._letters[self._index[key]]}{row + 1}"

    def span(self, key: str, absolute: bool = True) -> str:
        """The data range of one column, e.g. ``$J$8:$J$207``."""
        c = self.letter(key)
        a, b = self.first_row + 1, self.last_row + 1
        return f"${c}${a}:${c}${b}" if absolute else f"{c}{a}:{c}{b}"

    def qualified_span(self, key: str) -> str:
        return f"{quote_sheet(self.sheet)}!{self.span(key)}"

    def key_columns(self) -> list[Column]:
        return [c for c in self.columns if c.role == "key"]

    def input_columns(self) -> list[Column]:
        return [c for c in self.columns if c.role == "input"]

    def layout_signature(self) -> str:
        return self.key + ":" + ",".join(f"{c.key}/{c.role}/{c.dtype}" for c in self.columns)


@dataclass
class SheetValues:
    """A sheet as read back: a 2-D list of values plus the cells that hold error values."""
    name: str
    rows: list[list]
    errors: dict[str, str] = field(default_factory=dict)  # "H14" -> "#REF!"

    def get(self, row: int, col: int):
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return ""


def quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def with_formulas(table: Table, formulas: dict[str, Callable[[int], str]]) -> Table:
    """``table`` with the formula of each column named in ``formulas`` set."""
    cols = tuple(dataclasses.replace(c, formula=formulas[c.key]) if c.key in formulas else c for c in table.columns)
    return dataclasses.replace(table, columns=cols)
