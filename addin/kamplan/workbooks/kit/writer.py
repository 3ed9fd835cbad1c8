"""What every workbook writer shares: the sheet skeleton, tables, totals, protection, print setup, identity.

A workbook's writer subclasses ``WorkbookWriter`` and says three things: the sheets in tab order
(``tab_order``), how to fill them (``write_sheets``, ``write_lists``) and what its identity sheet
holds (``identity``).  ``write`` then always builds the same skeleton: the sheets in that order, the
hidden Lists sheet, the very hidden identity sheet last, the cover active.  ``write_book`` is the
one way a ``write_<book>_workbook(path, content)`` opens, fills and atomically saves the file.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Callable

import pandas as pd

from kamplan.workbooks.kit.i18n import t
from kamplan.workbooks.kit.identity import IDENTITY_SHEET, IdentitySpec, write_identity
from kamplan.workbooks.kit.layout import Table
from kamplan.workbooks.kit.styles import Styles, new_workbook, page_setup, protect_sheet

HEADER_HEIGHT = 45  # points: room for two or three lines of a wrapped column header


def write_book(path: Path, make_writer: Callable[[object], "WorkbookWriter"], *, title: str, company: str,
               created: dt.datetime, password: str) -> Path:
    """Build the workbook with ``make_writer(wb).write()`` and save it atomically to ``path``."""
    with new_workbook(Path(path), title=title, company=company, created=created, sheet_password=password) as wb:
        make_writer(wb).write()
    return Path(path)


def write_value(ws, r: int, c: int, value, fmt) -> None:
    """One value into one cell with the right type: blank for None/NaN/NaT/infinity, numpy scalars as
    Python values, dates as dates (time zone dropped), lists joined with "; ", anything else as text
    (never a formula or a number)."""
    kind = type(value)  # the common cases first: a table writes hundreds of thousands of cells
    if kind is float:
        if value != value or value in _INFINITE:
            ws.write_blank(r, c, None, fmt)
        else:
            ws.write_number(r, c, value, fmt)
        return
    if kind is str:
        ws.write_string(r, c, value, fmt)
        return
    if hasattr(value, "item") and not isinstance(value, (str, bytes, dt.date)):  # numpy scalar
        value = value.item()
    if _blank(value):
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, float(value), fmt)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, pd.Timestamp(value).to_pydatetime().replace(tzinfo=None), fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), fmt)
    elif isinstance(value, (list, tuple)):
        ws.write_string(r, c, "; ".join(str(v) for v in value), fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


_INFINITE = (math.inf, -math.inf)


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value) or math.isinf(value)
    return value is pd.NaT


class WorkbookWriter:
    """The writer of one workbook: ``wb`` (XlsxWriter), ``st`` (its Styles), ``layout``, content ``c``."""
    text_dtypes = ("text", "choice")  # columns whose cells are formatted as text
    header_height = HEADER_HEIGHT

    def __init__(self, wb, st, layout, content, *, language: str | None = None, password: str | None = None):
        """``language`` and ``password``: the content's ``language`` and ``sheet_password`` unless given."""
        self.wb, self.st, self.layout, self.c = wb, st, layout, content
        self.L = language if language is not None else content.language
        self.password = password if password is not None else content.sheet_password

    @classmethod
    def save(cls, path: Path, content, *, title: str, styles=Styles, layout=None) -> Path:
        """Write ``content`` (its layout unless given) with this writer to ``path``; the company, the time
        written and the sheet password come from the content and its identity."""
        layout = layout if layout is not None else content.layout()
        return write_book(path, lambda wb: cls(wb, styles(wb), layout, content), title=title,
                          company=content.company, created=content.identity.generated_at,
                          password=content.sheet_password)

    # -- the skeleton ------------------------------------------------------------------------------------
    def tab_order(self) -> list[tuple[str, str]]:
        """(key, sheet name) of every sheet before Lists, in tab order; "cover" is one of them.  Unless
        a workbook says otherwise: the cover, the charts (if any), then the layout's tables."""
        names = self.layout.sheet_names
        front = [(key, names[key]) for key in ("cover", "charts") if key in names]
        return front + [(tb.key, tb.sheet) for tb in self.layout.tables]

    def write_lists(self, ws) -> None:
        """The hidden Lists sheet: drop-down choices and their defined names."""
        raise NotImplementedError

    def write_sheets(self, sheets: dict) -> None:
        """Fill the sheets of ``tab_order`` (by key), in the order the workbook needs."""
        raise NotImplementedError

    def fill(self, sheets: dict, keys) -> None:
        """Fill the sheets ``keys`` with this writer's ``_<key>`` methods, in that order: a sheet that
        refers to another's rows (a cover's totals, a chart's ranges) comes after it."""
        for key in keys:
            getattr(self, "_" + key)(sheets[key])

    def identity(self) -> tuple[IdentitySpec, list[tuple[str, str]], dict]:
        """The identity sheet: the declaration, the key/value rows after kind and version, the block rows."""
        raise NotImplementedError

    def write(self) -> None:
        sheets = {key: self.wb.add_worksheet(name) for key, name in self.tab_order()}
        lists = self.wb.add_worksheet(self.layout.sheet_names["lists"])
        ident = self.wb.add_worksheet(IDENTITY_SHEET)
        self.write_lists(lists)
        self.write_sheets(sheets)
        spec, values, blocks = self.identity()
        write_identity(ident, spec, values, blocks, password=self.password)
        sheets["cover"].activate()

    # -- sheet furniture ---------------------------------------------------------------------------------
    def protect(self, ws, autofilter: bool = False) -> None:
        protect_sheet(ws, self.password, autofilter)

    def page(self, ws, table: Table | None, **options) -> None:
        page_setup(ws, table.header_row if table is not None else None, language=self.L,
                   header=self.print_header(), **options)

    def print_header(self) -> str:
        """The printed page header: the workbook's title, and where the content names them the
        salesperson and the round."""
        parts = [self.wb.doc_properties.get("title", "")]
        parts.append(getattr(self.c, "rep_name", "") or "")
        round_no = getattr(getattr(self.c, "identity", None), "round", 0)
        if isinstance(round_no, int) and round_no > 0:
            parts.append(t("print.round", self.L, round=round_no))
        return " · ".join(p for p in parts if p)

    def subtitle(self) -> str:
        """The second line of every table sheet (company, period, ...)."""
        return ""

    def table_title(self, table: Table) -> str:
        return table.title or table.sheet

    def header(self, ws, table: Table, notes=(), *, subtitle: str = "", widths: bool = True) -> None:
        """Title, subtitle (this sheet's, or the workbook's) and notes above the table, then its column
        headers (and widths)."""
        st = self.st
        ws.write_string(0, 0, self.table_title(table), st.title)
        ws.write_string(1, 0, subtitle or self.subtitle(), st.subtitle)
        for i, note in enumerate(notes):
            ws.write_string(2 + i, 0, note, st.subtitle)
        ws.set_row(table.header_row, self.header_height)
        for i, col in enumerate(table.columns):
            ws.write_string(table.header_row, i, col.header, st.header)
            if widths:
                ws.set_column(i, i, col.width)

    # -- tables --------------------------------------------------------------------------------------------
    def put(self, ws, r: int, c: int, value, fmt) -> None:
        write_value(ws, r, c, value, fmt)

    def row(self, ws, table: Table, r: int, values: dict) -> None:
        """One table row: formulas from the layout, values (or blank input cells) from ``values``."""
        put, get, write_formula = self.put, values.get, ws.write_formula
        for i, key, formula, fmt in self._row_plan(table):
            if formula is not None:
                write_formula(r, i, formula(r), fmt)
            else:
                put(ws, r, i, get(key), fmt)

    def _row_plan(self, table: Table) -> list[tuple[int, str, object, object]]:
        """(index, key, formula of a formula column or None, cell format) of ``table``'s columns."""
        plans = self.__dict__.setdefault("_row_plans", {})
        if id(table) not in plans:
            plans[id(table)] = (table, [(i, col.key, col.formula if col.role == "formula" else None, fmt)
                                        for i, col, fmt in self._columns_with_formats(table)])
        return plans[id(table)][1]

    def _columns_with_formats(self, table: Table) -> list[tuple[int, object, object]]:
        """(index, column, cell format) of ``table``'s columns, worked out once per table, not per cell."""
        plans = self.__dict__.setdefault("_column_plans", {})
        if id(table) not in plans:
            plans[id(table)] = (table, [(i, col, self.st.cell(col.num_format, input=col.role == "input",
                                                               text=col.dtype in self.text_dtypes))
                                        for i, col in enumerate(table.columns)])
        return plans[id(table)][1]

    def rows(self, ws, table: Table, rows: list[dict]) -> None:
        for off, values in enumerate(rows):
            self.row(ws, table, table.first_row + off, values)

    def validate(self, ws, table: Table, i: int, col) -> None:
        """The data validation (and input help) of input column ``i``."""
        raise NotImplementedError

    def validate_inputs(self, ws, table: Table) -> None:
        for i, col in enumerate(table.columns):
            if col.role == "input":
                self.validate(ws, table, i, col)

    def finish(self, ws, table: Table | None, freeze: int) -> None:
        """Frozen panes below the header and left of column ``freeze``, protection, print setup."""
        if table is not None:
            ws.freeze_panes(table.first_row, freeze)
        self.protect(ws)
        self.page(ws, table)

    def table(self, ws, table: Table, rows: list[dict], freeze: int = 3, autofilter: bool = True,
              notes=()) -> None:
        """A whole table sheet: header, rows, frozen panes, filter, protection, print setup."""
        self.header(ws, table, notes)
        self.rows(ws, table, rows)
        ws.freeze_panes(table.first_row, freeze)
        if autofilter and rows:
            ws.autofilter(table.header_row, 0, table.last_row, len(table.columns) - 1)
        self.protect(ws, autofilter=autofilter and bool(rows))
        self.page(ws, table)

    def totals(self, ws, table: Table, label: str, sums, values: dict | None = None,
               extra: dict | None = None) -> None:
        """The totals line: ``extra`` formulas (text, or a function of the row), a given value
        (``values``: all rows when the table is cut), or the SUM of each column in ``sums``."""
        st = self.st
        r = table.total_row
        ws.write_string(r, 0, label, st.cell(None, total=True))
        for i, col in enumerate(table.columns[1:], start=1):
            fmt = st.cell(col.num_format, total=True)
            if extra and col.key in extra:
                formula = extra[col.key]
                ws.write_formula(r, i, formula(r) if callable(formula) else formula, fmt)
            elif col.key in sums:
                if values is not None and col.key in values:
                    ws.write_number(r, i, float(values[col.key]), fmt)
                elif table.n_rows:
                    ws.write_formula(r, i, f"=SUM({table.span(col.key, absolute=False)})", fmt)
                else:
                    ws.write_number(r, i, 0.0, fmt)
            else:
                ws.write_blank(r, i, None, fmt)
