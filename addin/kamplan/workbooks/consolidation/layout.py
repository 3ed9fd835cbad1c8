"""The VP's consolidation workbook: one description of every sheet, for the writer and the reader.

Written after the bottom-up round (``kamplan targets consolidate``) and after every top-down step:

* **Read me**: the version shown, who submitted, how to enter a top-down instruction and run
  ``kamplan targets spread --from FILE``;
* **Summary**: per quarter and year, for the company and by region, salesperson, class and product:
  last year's actual, the salespeople's bottom-up target, the version shown, growth vs last year and
  change vs bottom-up, in volume and revenue, each a live SUMIFS over the Lines sheet;
* **Charts**: revenue target against last year by region and by salesperson (native clustered columns);
* **Accounts**: the same measures per account x product;
* **Lines**: the data every total adds up (one row per rep x account x product x quarter);
* **Status**, **Warnings**, **Versions**: read-only lists;
* **Top-down**: the only input sheet: measure, method, growth %, reference version, note; the company
  figure OR one per product OR one per region (with the live bottom-up and current totals and gaps);
  held items; floors and caps.

``ConsolidationLayout`` builds every ``Table``; the reader rebuilds the Top-down part from the
workbook's identity block (products, regions, rows), so writer and reader cannot drift.
"""
from __future__ import annotations

import dataclasses
import hashlib

from xlsxwriter.utility import xl_col_to_name

from kamplan.engine.topdown import HOLD_KINDS, MEASURES, METHODS
from kamplan.workbooks.kit.i18n import t
from kamplan.workbooks.kit.identity import Block, IdentitySpec
from kamplan.workbooks.kit.layout import FMT_CENTS, FMT_INT, FMT_MONEY, FMT_PCT, FMT_VOLUME, Column, Table, quote_sheet

# The products and regions in order rebuild the layout; the version ids are those the Reference list offers.
IDENTITY = IdentitySpec("kamplan.consolidation", 1, blocks=(
    Block("products", 3, flat=True), Block("regions", 4, flat=True), Block("versions", 5, flat=True),
))
LIST_NAME_PREFIX = "kc_"  # defined names: kc_measures, kc_methods, kc_hold_kinds, kc_sides, kc_versions

FMT_PRICE = FMT_CENTS
FMT_DATETIME = "yyyy-mm-dd hh:mm"

PERIODS = ("y", "q1", "q2", "q3", "q4")
MEASURE_ORDER = ("volume", "revenue")
WHATS = ("ly", "own", "cur", "growth", "vs_own")
SUMMARY_LEVELS = ("company", "region", "rep", "class", "product")
LEVEL_COLUMN = {"region": "region_id", "rep": "rep_id", "class": "cls", "product": "product_id"}
SIDES = ("floor", "cap")
TABLE_HEADER_ROW = 5  # 0-based: title, subtitle, two notes, period band, header

# Top-down sheet: fixed cells (0-based row, column)
PARAM_ROWS = {"measure": 4, "method": 5, "growth": 6, "reference": 7, "note": 8}
PARAM_COL = 1
FIGURES_TITLE_ROW = 10
HOLD_ROWS = 20
BOUND_ROWS = 12


def block_key(period: str, measure: str, what: str) -> str:
    return f"{period}_{measure}_{what}"


class ConsolidationLayout:
    """Where everything sits in the consolidation workbook.

    ``products`` and ``regions`` (ids, in order) give the figure rows of the Top-down sheet;
    ``summary_rows`` ((level, id) pairs), ``account_rows`` ((account, product) pairs) and ``n_lines``
    size the read-only sheets (the reader passes none of them).
    """

    def __init__(self, language: str, products: list[str], regions: list[str], *,
                 summary_rows: list[tuple[str, str]] = (), account_rows: list[tuple[str, str]] = (),
                 account_blocks: list[tuple[int, int]] = (), n_lines: int = 0, currency: str = "CNY",
                 hold_rows: int = HOLD_ROWS, bound_rows: int = BOUND_ROWS):
        self.language = language
        self.currency = currency
        self.products = list(products)
        self.regions = list(regions)
        self.hold_rows, self.bound_rows = hold_rows, bound_rows
        self.sheet_names = {k: self.t(f"cons.sheet.{k}") for k in
                            ("cover", "summary", "charts", "accounts", "lines", "status", "warnings", "versions",
                             "topdown", "lists")}
        self._spans: dict[str, str] = {}
        self.lines = self._lines_table(n_lines)
        self.summary = self._summary_table(list(summary_rows))
        self.accounts = self._accounts_table(list(account_rows), list(account_blocks))
        self.status = self._status_table()
        self.warnings = self._warnings_table()
        self.versions = self._versions_table()
        self.figures = self._figures_table()
        self.holds = self._holds_table()
        self.bounds = self._bounds_table()

    # -- helpers -----------------------------------------------------------------------------------
    def t(self, key: str, **fmt) -> str:
        return t(key, self.language, **fmt)

    def list_name(self, name: str) -> str:
        return LIST_NAME_PREFIX + name

    @property
    def input_tables(self) -> list[Table]:
        return [self.figures, self.holds, self.bounds]

    def signature(self) -> str:
        """Fingerprint of the Top-down sheet's layout (columns and rows), stored in the identity block."""
        tables = "|".join(tb.layout_signature() for tb in self.input_tables)
        text = (f"{IDENTITY.signature_head()}|{self.language}|{tables}"
                + f"|{len(self.products)}/{len(self.regions)}/{self.hold_rows}/{self.bound_rows}")
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def measure_label(self, measure: str) -> str:
        return self.t(f"cons.measure.{measure}")

    def method_label(self, method: str) -> str:
        return self.t(f"cons.method.{method}")

    def hold_label(self, kind: str) -> str:
        return self.t(f"cons.level.{kind}")

    def side_label(self, side: str) -> str:
        return self.t(f"cons.td.side.{side}")

    def lines_span(self, key: str, block: tuple[int, int] | None = None) -> str:
        """Absolute range of one Lines column (one empty row when there are no lines: never a bad range),
        or of the lines ``block`` (first, last; 0-based line numbers) only."""
        if block is None and key in self._spans:
            return self._spans[key]
        tb = self.lines
        c = tb.letter(key)
        if block is None:
            a, b = tb.first_row + 1, max(tb.last_row, tb.first_row) + 1
        else:
            a, b = tb.first_row + block[0] + 1, tb.first_row + block[1] + 1
        span = f"{quote_sheet(tb.sheet)}!${c}${a}:${c}${b}"
        if block is None:
            self._spans[key] = span
        return span

    # -- Lines (data) ---------------------------------------------------------------------------------
    def _lines_table(self, n: int) -> Table:
        cur = self.currency
        cols = (
            Column("region_id", self.t("cons.col.region_id"), "info", width=10),
            Column("rep_id", self.t("cons.col.rep_id"), "info", width=11),
            Column("rep", self.t("cons.col.rep"), "info", width=14),
            Column("cls", self.t("cons.col.cls"), "info", width=9),
            Column("class", self.t("cons.col.class"), "info", width=10),
            Column("account_id", self.t("cons.col.account_id"), "info", width=11),
            Column("account", self.t("cons.col.account"), "info", width=24),
            Column("product_id", self.t("cons.col.product_id"), "info", width=10),
            Column("product", self.t("cons.col.product"), "info", width=18),
            Column("quarter", self.t("cons.col.quarter"), "info", "integer", 8, FMT_INT),
            Column("basis", self.t("cons.col.basis"), "info", width=11),
            Column("volume", self.t("cons.col.volume"), "info", "number", 12, FMT_VOLUME),
            Column("price", f"{self.t('cons.col.price')} ({cur})", "info", "number", 12, FMT_PRICE),
            Column("revenue", f"{self.t('cons.col.revenue')} ({cur})", "info", "number", 15, FMT_MONEY),
            Column("ly_volume", self.t("cons.col.ly_volume"), "info", "number", 12, FMT_VOLUME),
            Column("ly_revenue", f"{self.t('cons.col.ly_revenue')} ({cur})", "info", "number", 15, FMT_MONEY),
            Column("own_volume", self.t("cons.col.own_volume"), "info", "number", 12, FMT_VOLUME),
            Column("own_revenue", f"{self.t('cons.col.own_revenue')} ({cur})", "info", "number", 15, FMT_MONEY),
        )
        return Table("lines", self.sheet_names["lines"], cols, 3, row_keys=tuple((i,) for i in range(n)),
                     title=self.t("cons.sheet.lines"))

    # -- measure blocks shared by Summary and Accounts -----------------------------------------------------
    def _block_columns(self) -> list[Column]:
        cols = []
        for p in PERIODS:
            for m in MEASURE_ORDER:
                label = self.t(f"cons.m.{m}")
                fmt = FMT_VOLUME if m == "volume" else FMT_MONEY
                unit = "" if m == "volume" else f" ({self.currency})"
                cols += [
                    Column(block_key(p, m, "ly"), self.t("cons.col.m_ly", m=label) + unit, "formula", "number", 13, fmt,
                       quantity=f"ly_{m}"),
                    Column(block_key(p, m, "own"), self.t("cons.col.m_own", m=label) + unit, "formula", "number", 13,
                       fmt, quantity=f"own_{m}"),
                    Column(block_key(p, m, "cur"), self.t("cons.col.m_cur", m=label) + unit, "formula", "number", 13,
                       fmt, quantity=m),
                    Column(block_key(p, m, "growth"), self.t("cons.col.m_growth", m=label), "formula", "number", 10,
                       FMT_PCT, quantity=f"growth_{m}"),
                    Column(block_key(p, m, "vs_own"), self.t("cons.col.m_vs_own", m=label), "formula", "number", 10,
                       FMT_PCT, quantity=f"vs_own_{m}"),
                ]
        return cols

    def period_label(self, period: str) -> str:
        return self.t("cons.period.year") if period == "y" else self.t("cons.period.q", q=period[1])

    def _block_formulas(self, table: Table, criteria, block=None) -> dict:
        """SUMIFS per quarter over Lines (``criteria(r)``: [(lines column, criterion cell)]; ``block(r)``:
        the row's own lines (first, last), or None for all lines); the year is the sum of its quarters;
        growth and change vs bottom-up are ratios of those cells."""
        src = {"ly": "ly_{m}", "own": "own_{m}", "cur": "{m}"}
        f: dict = {}
        for m in MEASURE_ORDER:
            for w in ("ly", "own", "cur"):
                for q in range(1, 5):
                    def sumifs(r, key=src[w].format(m=m), q=q):
                        rows = block(r) if block else None
                        conds = "".join(f",{self.lines_span(k, rows)},{cell(r)}" for k, cell in criteria(r))
                        return f"=SUMIFS({self.lines_span(key, rows)}{conds},{self.lines_span('quarter', rows)},{q})"
                    f[block_key(f"q{q}", m, w)] = sumifs
                letters = [table.letter(block_key(f"q{q}", m, w)) for q in range(1, 5)]
                f[block_key("y", m, w)] = (lambda letters: lambda r: "=" + "+".join(
                    f"{c}{r + 1}" for c in letters))(letters)
            for p in PERIODS:
                ly, own, cur = (table.letter(block_key(p, m, w)) for w in ("ly", "own", "cur"))
                f[block_key(p, m, "growth")] = (lambda ly, cur: lambda r: (
                    f'=IF(N({ly}{r + 1})>0,{cur}{r + 1}/{ly}{r + 1}-1,"")'))(ly, cur)
                f[block_key(p, m, "vs_own")] = (lambda own, cur: lambda r: (
                    f'=IF(N({own}{r + 1})>0,{cur}{r + 1}/{own}{r + 1}-1,"")'))(own, cur)
        return f

    def runrate_label(self) -> str:
        return self.t("cons.basis.run-rate")

    def _runrate_formula(self, table: Table, criteria):
        rev = table.letter(block_key("y", "revenue", "cur"))
        label = self.runrate_label().replace('"', '""')

        def formula(r):
            conds = "".join(f",{self.lines_span(k)},{cell(r)}" for k, cell in criteria(r))
            part = f'SUMIFS({self.lines_span("revenue")}{conds},{self.lines_span("basis")},"{label}")'
            return f'=IF(N({rev}{r + 1})>0,{part}/{rev}{r + 1},"")'
        return formula

    # -- Summary -------------------------------------------------------------------------------------------
    def _summary_table(self, rows: list[tuple[str, str]]) -> Table:
        cols = [Column("level", self.t("cons.col.level"), "key", width=12),
                Column("id", self.t("cons.col.id"), "key", width=10),
                Column("name", self.t("cons.col.name"), "info", width=22),
                Column("basis", self.t("cons.col.basis"), "info", width=18),
                Column("runrate_share", self.t("cons.col.runrate_share"), "formula", "number", 11, FMT_PCT,
                   quantity="runrate_share"),
                *self._block_columns()]
        table = Table("summary", self.sheet_names["summary"], tuple(cols), TABLE_HEADER_ROW, row_keys=tuple(rows),
                      title=self.t("cons.sheet.summary"))
        id_col = table.letter("id")

        def criteria(r):
            level = rows[r - table.first_row][0]
            if level == "company":
                return []
            return [(LEVEL_COLUMN[level], lambda r: f"${id_col}{r + 1}")]
        formulas = self._block_formulas(table, criteria)
        formulas["runrate_share"] = self._runrate_formula(table, criteria)
        return _with_formulas(table, formulas)

    def summary_rows_of(self, level: str) -> tuple[int, int] | None:
        """First and last 0-based sheet row of one level in the Summary table (for the charts)."""
        idx = [i for i, (lv, _) in enumerate(self.summary.row_keys) if lv == level]
        if not idx:
            return None
        return self.summary.first_row + idx[0], self.summary.first_row + idx[-1]

    # -- Accounts ------------------------------------------------------------------------------------------
    def _accounts_table(self, rows: list[tuple[str, str]], blocks: list[tuple[int, int]]) -> Table:
        """One row per account x product; ``blocks``: the first and last line of each row's lines, which
        the writer keeps together, so each SUMIFS reads four lines instead of all of them."""
        cols = [Column("account_id", self.t("cons.col.account_id"), "key", width=11),
                Column("account", self.t("cons.col.account"), "info", width=24),
                Column("rep", self.t("cons.col.rep"), "info", width=14),
                Column("region", self.t("cons.col.region"), "info", width=12),
                Column("class", self.t("cons.col.class"), "info", width=10),
                Column("product_id", self.t("cons.col.product_id"), "key", width=10),
                Column("product", self.t("cons.col.product"), "info", width=18),
                Column("basis", self.t("cons.col.basis"), "info", width=18),
                *self._block_columns()]
        table = Table("accounts", self.sheet_names["accounts"], tuple(cols), TABLE_HEADER_ROW,
                      row_keys=tuple(rows), title=self.t("cons.sheet.accounts"))
        a, p = table.letter("account_id"), table.letter("product_id")

        def criteria(r):
            return [("account_id", lambda r: f"${a}{r + 1}"), ("product_id", lambda r: f"${p}{r + 1}")]

        def block(r):
            return blocks[r - table.first_row] if blocks else None
        return _with_formulas(table, self._block_formulas(table, criteria, block))

    # -- read-only lists ---------------------------------------------------------------------------------------
    def _status_table(self) -> Table:
        cols = (Column("rep_id", self.t("cons.col.rep_id"), "key", width=11),
                Column("rep", self.t("cons.col.rep"), "info", width=16),
                Column("region", self.t("cons.col.region"), "info", width=12),
                Column("state", self.t("cons.col.state"), "info", width=11),
                Column("file_name", self.t("cons.col.file_name"), "info", width=30),
                Column("at", self.t("cons.col.at"), "info", "date", 17, FMT_DATETIME),
                Column("reasons", self.t("cons.col.reasons"), "info", width=60),
                Column("last_good_file", self.t("cons.col.last_good_file"), "info", width=30))
        return Table("status", self.sheet_names["status"], cols, 3, title=self.t("cons.sheet.status"))

    def _warnings_table(self) -> Table:
        cols = (Column("severity", self.t("cons.col.severity"), "info", width=9),
                Column("where", self.t("cons.col.where"), "info", width=40),
                Column("code", self.t("cons.col.code"), "info", width=18),
                Column("message", self.t("cons.col.message"), "info", width=60),
                Column("fix", self.t("cons.col.fix"), "info", width=50))
        return Table("warnings", self.sheet_names["warnings"], cols, 3, title=self.t("cons.sheet.warnings"))

    def _versions_table(self) -> Table:
        cur = self.currency
        cols = (Column("id", self.t("cons.col.version"), "key", "integer", 8, FMT_INT),
                Column("kind", self.t("cons.col.kind"), "info", width=11),
                Column("created_at", self.t("cons.col.created_at"), "info", "date", 17, FMT_DATETIME),
                Column("by", self.t("cons.col.by"), "info", width=14),
                Column("description", self.t("cons.col.description"), "info", width=60),
                Column("volume", self.t("cons.col.volume"), "info", "number", 14, FMT_VOLUME),
                Column("revenue", f"{self.t('cons.col.revenue')} ({cur})", "info", "number", 16, FMT_MONEY),
                Column("shown", self.t("cons.col.shown"), "info", width=14))
        return Table("versions", self.sheet_names["versions"], cols, 3, title=self.t("cons.sheet.versions"))

    # -- Top-down (input) --------------------------------------------------------------------------------------
    def param_ref(self, key: str) -> str:
        return f"{_letter(PARAM_COL)}{PARAM_ROWS[key] + 1}"

    def figure_rows(self) -> list[tuple[str, str]]:
        """(level, id) of every figure row: the company, then each product, then each region."""
        return [("company", "*"), *(("product", p) for p in self.products), *(("region", r) for r in self.regions)]

    def _figures_table(self) -> Table:
        cols = (Column("level", self.t("cons.col.level"), "key", width=32),
                Column("name", self.t("cons.col.name"), "info", width=36),
                Column("id", self.t("cons.col.id"), "key", width=10),
                Column("ly", self.t("cons.td.col.ly"), "formula", "number", 15, FMT_MONEY, quantity="ly"),
                Column("own", self.t("cons.td.col.own"), "formula", "number", 15, FMT_MONEY, quantity="own"),
                Column("cur", self.t("cons.td.col.cur"), "formula", "number", 15, FMT_MONEY, quantity="cur"),
                Column("figure", self.t("cons.td.col.figure"), "input", "number", 15, FMT_MONEY, minimum=0,
                   help=self.t("cons.td.val.figure")),
                Column("gap_cur", self.t("cons.td.col.gap_cur"), "formula", "number", 15, FMT_MONEY, quantity="gap_cur"),
                Column("gap_own", self.t("cons.td.col.gap_own"), "formula", "number", 15, FMT_MONEY, quantity="gap_own"),
                Column("growth", self.t("cons.td.col.growth"), "formula", "number", 11, FMT_PCT, quantity="growth"))
        rows = self.figure_rows()
        keys = tuple((self.t(f"cons.level.{lv}"), i) for lv, i in rows)
        table = Table("figures", self.sheet_names["topdown"], cols, FIGURES_TITLE_ROW + 1, row_keys=keys,
                      title=self.t("cons.td.figures"))
        measure = f"${_letter(PARAM_COL)}${PARAM_ROWS['measure'] + 1}"
        volume_label = self.measure_label("volume").replace('"', '""')
        id_col = table.letter("id")

        def total(src: str):
            def formula(r):
                level = rows[r - table.first_row][0]
                parts = []
                for m in ("volume", "revenue"):
                    col = self.lines_span(src.format(m=m))
                    if level == "company":
                        parts.append(f"SUM({col})")
                    else:
                        parts.append(f"SUMIFS({col},{self.lines_span(LEVEL_COLUMN[level])},${id_col}{r + 1})")
                return f'=IF({measure}="{volume_label}",{parts[0]},{parts[1]})'
            return formula
        L = table.letter
        fig, ly, own, cur = L("figure"), L("ly"), L("own"), L("cur")
        return _with_formulas(table, {
            "ly": total("ly_{m}"), "own": total("own_{m}"), "cur": total("{m}"),
            "gap_cur": lambda r: f'=IF(ISNUMBER({fig}{r + 1}),{fig}{r + 1}-{cur}{r + 1},"")',
            "gap_own": lambda r: f'=IF(ISNUMBER({fig}{r + 1}),{fig}{r + 1}-{own}{r + 1},"")',
            "growth": lambda r: f'=IF(AND(ISNUMBER({fig}{r + 1}),N({ly}{r + 1})>0),{fig}{r + 1}/{ly}{r + 1}-1,"")',
        })

    def figure_row(self, level: str, ident: str) -> int:
        return self.figures.first_row + self.figure_rows().index((level, ident))

    def _holds_table(self) -> Table:
        cols = (Column("kind", self.t("cons.td.col.hold_kind"), "input", "choice", 14, choices="hold_kinds",
                   help=self.t("val.pick")),
                Column("id", self.t("cons.td.col.hold_id"), "input", "text", 36, help=self.t("cons.td.val.hold_id")))
        header = self.figures.last_row + 3
        return Table("holds", self.sheet_names["topdown"], cols, header, free_rows=self.hold_rows,
                     title=self.t("cons.td.holds"))

    def _bounds_table(self) -> Table:
        cols = (Column("side", self.t("cons.td.col.side"), "input", "choice", 14, choices="sides",
                   help=self.t("val.pick")),
                Column("rule", self.t("cons.td.col.rule"), "input", "text", 36, help=self.t("cons.td.val.rule")))
        header = self.holds.last_row + 4  # blank, title, syntax line, header
        return Table("bounds", self.sheet_names["topdown"], cols, header, free_rows=self.bound_rows,
                     title=self.t("cons.td.bounds"))

    # -- closed choices (ids -> label) --------------------------------------------------------------------------
    def choices(self) -> dict[str, list[tuple[str, str]]]:
        return {"measures": [(m, self.measure_label(m)) for m in MEASURES],
                "methods": [(m, self.method_label(m)) for m in METHODS],
                "hold_kinds": [(k, self.hold_label(k)) for k in HOLD_KINDS],
                "sides": [(s, self.side_label(s)) for s in SIDES]}


def _with_formulas(table: Table, formulas: dict) -> Table:
    cols = tuple(dataclasses.replace(c, formula=formulas[c.key]) if c.key in formulas else c for c in table.columns)
    return dataclasses.replace(table, columns=cols)


def _letter(i: int) -> str:
    return xl_col_to_name(i)
