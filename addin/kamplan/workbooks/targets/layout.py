"""The December target workbook: one description of every sheet.

``TargetLayout`` turns a salesperson's accounts and the company's products
into ``Table`` descriptions.  The writer lays cells out from them and the
reader checks and parses the returned file with the very same objects.

Two variants share this description: the bottom-up draft of round 1 and the
top-down *proposal* workbook of later rounds (``proposal=True``), which adds
locked columns with the salesperson's own figure and the proposal, live
differences, and a Response (Accept / Counter) per account × product row.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from typing import Iterable

from kamplan.model import QUARTERS
from kamplan.periods import quarter_span, span_text, year_span
from kamplan.workbooks.kit.i18n import t
from kamplan.workbooks.kit.identity import IdentitySpec
from kamplan.workbooks.kit.layout import FMT_DATE, FMT_INT, FMT_MONEY, FMT_PCT, FMT_VOLUME, Column, Table, quote_sheet

IDENTITY = IdentitySpec("kamplan.targets", 1)  # key/value rows only: the accounts and products are listed there


# Lists sheet: (list name, column); each list starts in row 2 under a header.
LIST_COLUMNS = {"accounts": 0, "kinds": 1, "kind_units": 2, "priorities": 3, "yesno": 4, "quarters": 5,
                "responses": 6}  # "responses": proposal workbooks only
RESPONSES = ("accept", "counter")
PROPOSAL_VARIANT = "proposal"  # identity block ``variant`` of a top-down proposal workbook
LIST_NAME_PREFIX = "kp_"  # defined names: kp_accounts, kp_kinds ... (unique across the workbook)

ACCOUNT_LABEL_SEP = " · "


@dataclass(frozen=True)
class AccountRow:
    id: str
    name: str
    cls: str  # class id


@dataclass(frozen=True)
class ProductRow:
    id: str
    name: str
    unit: str


class TargetLayout:
    """Where everything sits in one salesperson's target workbook."""

    HEADER_ROW = 4  # 0-based: title, subtitle, blank, totals, header
    LIST_HEADER_ROW = 3

    def __init__(self, language: str, year: int, accounts: list[AccountRow], products: list[ProductRow],
                 blank_rows: int = 40, currency: str = "CNY", first_month: int = 1, proposal: bool = False,
                 calendar=None):
        self.language = language
        self.proposal = proposal
        self.year = year
        # dates (deadlines, due dates) must fall in the plan's fiscal year; ``calendar`` (the config's
        # Calendar) decides it and each quarter's days, else ``first_month``
        calendar = first_month if calendar is None else calendar
        self.span = year_span(calendar, year)
        self.quarter_days = {q: span_text(*quarter_span(calendar, year, q), language) for q in QUARTERS}
        self.accounts = accounts
        self.products = products
        self.blank_rows = blank_rows
        self.currency = currency
        L = language
        self.sheet_names = {k: t(f"sheet.{k}", L) for k in
                            ("cover", "targets", "summary", "visits", "trainings", "services", "requests", "lists")}
        self.targets = self._targets_table()
        self.visits = self._visits_table()
        self.summary = self._summary_table()
        self.trainings = self._trainings_table()
        self.services = self._services_table()
        self.requests = self._requests_table()

    # -- helpers ---------------------------------------------------------------------------------
    def _tq(self, key: str, q: int) -> str:
        """A quarter's column header with its days: "Volume Q1 (1 Dec–28 Feb)"."""
        return f"{self._t(key, q=q)} ({self.quarter_days[q]})"

    def _t(self, key: str, **fmt) -> str:
        return t(key, self.language, **fmt)

    @property
    def tables(self) -> list[Table]:
        return [self.targets, self.summary, self.visits, self.trainings, self.services, self.requests]

    @property
    def unit(self) -> str:
        units = {p.unit for p in self.products}
        return units.pop() if len(units) == 1 else ""

    def account_label(self, a: AccountRow) -> str:
        return f"{a.id}{ACCOUNT_LABEL_SEP}{a.name}"

    def list_name(self, name: str) -> str:
        return LIST_NAME_PREFIX + name

    def signature(self) -> str:
        """Fingerprint of the column layout (not of the rows), stored in the identity block.

        A proposal workbook's fingerprint differs from a round-1 one (its variant and columns are part
        of it), so a file of the other kind cannot pass for this one.
        """
        variant = f"{PROPOSAL_VARIANT}|" if self.proposal else ""
        text = f"{IDENTITY.signature_head()}|{variant}" + "|".join(tb.layout_signature() for tb in self.tables)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def list_names(self) -> tuple[str, ...]:
        """The lists this workbook's dropdowns use (round 1 has no responses)."""
        return tuple(k for k in LIST_COLUMNS if k != "responses" or self.proposal)

    # -- Targets ---------------------------------------------------------------------------------
    def _targets_table(self) -> Table:
        L, u, cur = self.language, self.unit or "unit", self.currency
        cols: list[Column] = [
            Column("account_id", self._t("col.account_id"), "key", width=10),
            Column("account", self._t("col.account"), "info", width=22),
            Column("class", self._t("col.class"), "info", width=8),
            Column("product_id", self._t("col.product_id"), "key", width=10),
            Column("product", self._t("col.product"), "info", width=22),
            Column("unit", self._t("col.unit"), "info", width=6),
            Column("ly_volume", self._t("col.ly_volume") + f" ({self.year - 1})", "info", "number", 12, FMT_VOLUME),
            Column("ly_price", self._t("col.ly_price") + f" ({self.year - 1})", "info", "number", 12, FMT_MONEY),
            Column("ly_revenue", self._t("col.ly_revenue") + f" ({self.year - 1})", "info", "number", 14,
                   FMT_MONEY),
        ]
        for q in QUARTERS:
            cols.append(Column(f"volume_q{q}", self._tq("col.volume_q", q), "input", "number", 11, FMT_VOLUME,
                               minimum=0, help=t("val.volume", L, unit=u)))
        for q in QUARTERS:
            cols.append(Column(f"price_q{q}", self._tq("col.price_q", q), "input", "number", 11, FMT_MONEY,
                               minimum=0, help=t("val.price", L, unit=u)))
        for q in QUARTERS:
            cols.append(Column(f"revenue_q{q}", self._tq("col.revenue_q", q), "formula", "number", 13, FMT_MONEY,
                               quantity="revenue_q"))
        cols += [
            Column("volume_total", self._t("col.volume_total"), "formula", "number", 12, FMT_VOLUME,
                   quantity="volume_total"),
            Column("revenue_total", self._t("col.revenue_total") + f" ({cur})", "formula", "number", 15, FMT_MONEY,
                   quantity="revenue_total"),
            Column("growth_volume", self._t("col.growth_volume"), "formula", "number", 10, FMT_PCT,
                   quantity="growth_volume"),
            Column("growth_revenue", self._t("col.growth_revenue"), "formula", "number", 10, FMT_PCT,
                   quantity="growth_revenue"),
        ]
        if not self.proposal:
            cols.append(Column("comment", self._t("col.comment"), "input", "text", 32))
        else:
            cols += self._proposal_columns()
        keys = tuple((a.id, p.id) for a in self.accounts for p in self.products)
        table = Table("targets", self.sheet_names["targets"], tuple(cols), self.HEADER_ROW, row_keys=keys,
                      total_row=self.HEADER_ROW - 1, title=self._t("cover.title", year=self.year))
        return _with_formulas(table, _targets_formulas(table))

    def _proposal_columns(self) -> list[Column]:
        """Own figure, proposal and difference (locked), the response and the reason; then the proposal
        per quarter, locked, so the salesperson can always go back to it and the reader can compare."""
        L, cur = self.language, self.currency
        cols = [
            Column("own_volume", self._t("col.own_volume"), "info", "number", 12, FMT_VOLUME),
            Column("own_revenue", self._t("col.own_revenue") + f" ({cur})", "info", "number", 14, FMT_MONEY),
            Column("proposal_volume", self._t("col.proposal_volume"), "formula", "number", 12, FMT_VOLUME,
                   quantity="proposal_volume"),
            Column("proposal_revenue", self._t("col.proposal_revenue") + f" ({cur})", "info", "number", 14,
                   FMT_MONEY),
            Column("diff_revenue", self._t("col.diff_revenue") + f" ({cur})", "formula", "number", 14, FMT_MONEY,
                   quantity="diff_revenue"),
            Column("diff_pct", self._t("col.diff_pct"), "formula", "number", 10, FMT_PCT, quantity="diff_pct"),
            Column("response", self._t("col.response"), "input", "choice", 12, choices="responses",
                   help=t("val.response", L)),
            Column("comment", self._t("col.reason"), "input", "text", 36),
        ]
        for q in QUARTERS:
            cols.append(Column(f"prop_volume_q{q}", self._tq("col.prop_volume_q", q), "info", "number", 11,
                               FMT_VOLUME))
        for q in QUARTERS:
            cols.append(Column(f"prop_price_q{q}", self._tq("col.prop_price_q", q), "info", "number", 11,
                               FMT_MONEY))
        return cols

    @property
    def locked_figures(self) -> tuple[str, ...]:
        """Locked Targets cells the reader reads back in a proposal workbook (checked by the digest)."""
        if not self.proposal:
            return ()
        return (tuple(f"prop_volume_q{q}" for q in QUARTERS) + tuple(f"prop_price_q{q}" for q in QUARTERS)
                + ("own_volume", "own_revenue", "proposal_revenue"))

    # -- Account totals (summary) ----------------------------------------------------------------
    def _summary_table(self) -> Table:
        cur = self.currency
        cols = (
            Column("account_id", self._t("col.account_id"), "key", width=10),
            Column("account", self._t("col.account"), "info", width=24),
            Column("class", self._t("col.class"), "info", width=8),
            Column("ly_volume", self._t("col.ly_volume"), "formula", "number", 12, FMT_VOLUME,
                   quantity="acct_ly_volume"),
            Column("ly_revenue", self._t("col.ly_revenue") + f" ({cur})", "formula", "number", 15, FMT_MONEY,
                   quantity="acct_ly_revenue"),
        )
        if self.proposal:
            cols += (
                Column("own_volume", self._t("col.own_volume"), "formula", "number", 12, FMT_VOLUME,
                       quantity="acct_own_volume"),
                Column("own_revenue", self._t("col.own_revenue") + f" ({cur})", "formula", "number", 15,
                       FMT_MONEY, quantity="acct_own_revenue"),
                Column("proposal_volume", self._t("col.proposal_volume"), "formula", "number", 12, FMT_VOLUME,
                       quantity="acct_proposal_volume"),
                Column("proposal_revenue", self._t("col.proposal_revenue") + f" ({cur})", "formula", "number", 15,
                       FMT_MONEY, quantity="acct_proposal_revenue"),
            )
        cols += (
            Column("volume_total", self._t("col.volume_total"), "formula", "number", 12, FMT_VOLUME,
                   quantity="acct_volume_total"),
            Column("revenue_total", self._t("col.revenue_total") + f" ({cur})", "formula", "number", 15,
                   FMT_MONEY, quantity="acct_revenue_total"),
        )
        if self.proposal:
            cols += (
                Column("diff_revenue", self._t("col.diff_revenue") + f" ({cur})", "formula", "number", 15,
                       FMT_MONEY, quantity="acct_diff_revenue"),
                Column("diff_pct", self._t("col.diff_pct"), "formula", "number", 10, FMT_PCT,
                       quantity="acct_diff_pct"),
            )
        cols += (
            Column("growth_volume", self._t("col.growth_volume"), "formula", "number", 10, FMT_PCT,
                   quantity="acct_growth_volume"),
            Column("growth_revenue", self._t("col.growth_revenue"), "formula", "number", 10, FMT_PCT,
                   quantity="acct_growth_revenue"),
            Column("rep_visits_total", self._t("col.rep_visits_total"), "formula", "integer", 11, FMT_INT,
                   quantity="acct_rep_visits"),
            Column("exec_visits_total", self._t("col.exec_visits_total"), "formula", "integer", 11, FMT_INT,
                   quantity="acct_exec_visits"),
        )
        keys = tuple((a.id,) for a in self.accounts)
        table = Table("summary", self.sheet_names["summary"], cols, self.HEADER_ROW, row_keys=keys,
                      total_row=self.HEADER_ROW - 1)
        return _with_formulas(table, self._summary_formulas(table))

    def _summary_formulas(self, s: Table) -> dict:
        tg, vi = self.targets, self.visits
        n = lambda r: r + 1  # noqa: E731  (Excel rows are 1-based)
        acct = lambda r: f"$A{n(r)}"  # noqa: E731

        def sumifs(col):
            return lambda r: f"=SUMIFS({tg.qualified_span(col)},{tg.qualified_span('account_id')},{acct(r)})"

        def visits(col):
            return lambda r: (f"=IFERROR(INDEX({vi.qualified_span(col)},MATCH({acct(r)},"
                              f"{vi.qualified_span('account_id')},0)),0)")
        gv, gr = s.letter("growth_volume"), s.letter("growth_revenue")
        del gv, gr
        lyv, lyr, vt, rt = (s.letter(k) for k in ("ly_volume", "ly_revenue", "volume_total", "revenue_total"))
        return {
            "ly_volume": sumifs("ly_volume"), "ly_revenue": sumifs("ly_revenue"),
            "volume_total": sumifs("volume_total"), "revenue_total": sumifs("revenue_total"),
            "growth_volume": lambda r: f'=IF(N({lyv}{n(r)})>0,{vt}{n(r)}/{lyv}{n(r)}-1,"")',
            "growth_revenue": lambda r: f'=IF(N({lyr}{n(r)})>0,{rt}{n(r)}/{lyr}{n(r)}-1,"")',
            "rep_visits_total": visits("rep_visits_total"), "exec_visits_total": visits("exec_visits_total"),
            **(_difference_formulas(s) | {k: sumifs(k) for k in ("own_volume", "own_revenue", "proposal_volume",
                                                                "proposal_revenue")}
               if self.proposal else {}),
        }

    # -- Visit plan ------------------------------------------------------------------------------
    def _visits_table(self) -> Table:
        L = self.language
        cols = [
            Column("account_id", self._t("col.account_id"), "key", width=10),
            Column("account", self._t("col.account"), "info", width=24),
            Column("class", self._t("col.class"), "info", width=8),
            Column("default_visits", self._t("col.default_visits"), "info", "integer", 11, FMT_INT),
        ]
        for q in QUARTERS:
            cols.append(Column(f"rep_visits_q{q}", self._tq("col.rep_visits_q", q), "input", "integer", 10,
                               FMT_INT, minimum=0, maximum=90, help=t("val.visits", L)))
        for q in QUARTERS:
            cols.append(Column(f"exec_visits_q{q}", self._tq("col.exec_visits_q", q), "input", "integer", 10,
                               FMT_INT, minimum=0, maximum=90, help=t("val.visits", L)))
        cols += [Column("rep_visits_total", self._t("col.rep_visits_total"), "formula", "integer", 11, FMT_INT,
                        quantity="rep_visits_total"),
                 Column("exec_visits_total", self._t("col.exec_visits_total"), "formula", "integer", 11, FMT_INT,
                        quantity="exec_visits_total")]
        table = Table("visits", self.sheet_names["visits"], tuple(cols), self.HEADER_ROW,
                      row_keys=tuple((a.id,) for a in self.accounts), total_row=self.HEADER_ROW - 1)
        n = lambda r: r + 1  # noqa: E731
        r1, r4 = table.letter("rep_visits_q1"), table.letter("rep_visits_q4")
        e1, e4 = table.letter("exec_visits_q1"), table.letter("exec_visits_q4")
        return _with_formulas(table, {
            "rep_visits_total": lambda r: f"=SUM({r1}{n(r)}:{r4}{n(r)})",
            "exec_visits_total": lambda r: f"=SUM({e1}{n(r)}:{e4}{n(r)})",
        })

    # -- free-entry lists ------------------------------------------------------------------------
    def _account_pick(self) -> Column:
        return Column("account", self._t("col.account_pick"), "input", "choice", 30, choices="accounts",
                      required=True, help=t("val.pick", self.language))

    def _trainings_table(self) -> Table:
        L = self.language
        cols = (
            self._account_pick(),
            Column("quarter", self._t("col.quarter"), "input", "choice", 9, choices="quarters", required=True,
                   help=t("val.pick", L)),
            Column("topic", self._t("col.topic"), "input", "text", 36, required=True),
            Column("audience", self._t("col.audience"), "input", "text", 30),
        )
        return Table("trainings", self.sheet_names["trainings"], cols, self.LIST_HEADER_ROW,
                     free_rows=self.blank_rows)

    def _services_table(self) -> Table:
        L = self.language
        cols = (
            self._account_pick(),
            Column("commitment", self._t("col.commitment"), "input", "text", 44, required=True),
            Column("measure", self._t("col.measure"), "input", "text", 36, required=True),
            Column("due", self._t("col.due"), "input", "date", 12, FMT_DATE, required=True,
                   help=t("val.date", L, start=self.span[0].isoformat(), end=self.span[1].isoformat())),
        )
        return Table("services", self.sheet_names["services"], cols, self.LIST_HEADER_ROW,
                     free_rows=self.blank_rows)

    def _requests_table(self) -> Table:
        L = self.language
        cols = (
            self._account_pick(),
            Column("kind", self._t("col.kind"), "input", "choice", 16, choices="kinds", required=True,
                   help=t("val.pick", L)),
            Column("unit", self._t("col.unit"), "formula", "text", 8, quantity="request_unit"),
            Column("purpose", self._t("col.purpose"), "input", "text", 30, required=True),
            Column("task", self._t("col.task"), "input", "text", 36, required=True),
            Column("amount", self._t("col.amount"), "input", "number", 9, "0.0", required=True, minimum=0,
                   help=t("val.amount", L)),
            Column("deadline", self._t("col.deadline"), "input", "date", 12, FMT_DATE, required=True,
                   help=t("val.date", L, start=self.span[0].isoformat(), end=self.span[1].isoformat())),
            Column("priority", self._t("col.priority"), "input", "choice", 9, choices="priorities", required=True,
                   help=t("val.pick", L)),
            Column("divisible", self._t("col.divisible"), "input", "choice", 9, choices="yesno",
                   help=t("val.pick", L)),
        )
        table = Table("requests", self.sheet_names["requests"], cols, self.LIST_HEADER_ROW,
                      free_rows=self.blank_rows)
        kind = table.letter("kind")
        lists = quote_sheet(self.sheet_names["lists"])
        kc, uc = _col_letter(LIST_COLUMNS["kinds"]), _col_letter(LIST_COLUMNS["kind_units"])
        rng = lambda c: f"{lists}!${c}$2:${c}$4"  # noqa: E731
        return _with_formulas(table, {
            "unit": lambda r: f'=IF({kind}{r + 1}="","",IFERROR(INDEX({rng(uc)},MATCH({kind}{r + 1},{rng(kc)},0)),""))'
        })


def _col_letter(i: int) -> str:
    from xlsxwriter.utility import xl_col_to_name
    return xl_col_to_name(i)


def _with_formulas(table: Table, formulas: dict) -> Table:
    cols = tuple(replace(c, formula=formulas[c.key]) if c.key in formulas else c for c in table.columns)
    return replace(table, columns=cols)


def _targets_formulas(tb: Table) -> dict:
    n = lambda r: r + 1  # noqa: E731
    L = tb.letter
    f: dict = {}
    for q in QUARTERS:
        v, p = L(f"volume_q{q}"), L(f"price_q{q}")
        # N() turns a stray text entry into 0 instead of #VALUE!; the reader reports the text itself.
        f[f"revenue_q{q}"] = (lambda v, p: lambda r: f"=N({v}{n(r)})*N({p}{n(r)})")(v, p)
    v1, v4, r1, r4 = L("volume_q1"), L("volume_q4"), L("revenue_q1"), L("revenue_q4")
    lyv, lyr, vt, rt = L("ly_volume"), L("ly_revenue"), L("volume_total"), L("revenue_total")
    f["volume_total"] = lambda r: f"=SUM({v1}{n(r)}:{v4}{n(r)})"
    f["revenue_total"] = lambda r: f"=SUM({r1}{n(r)}:{r4}{n(r)})"
    f["growth_volume"] = lambda r: f'=IF(N({lyv}{n(r)})>0,{vt}{n(r)}/{lyv}{n(r)}-1,"")'
    f["growth_revenue"] = lambda r: f'=IF(N({lyr}{n(r)})>0,{rt}{n(r)}/{lyr}{n(r)}-1,"")'
    if any(c.key == "response" for c in tb.columns):  # a proposal workbook
        p1, p4 = L("prop_volume_q1"), L("prop_volume_q4")
        f["proposal_volume"] = lambda r: f"=SUM({p1}{n(r)}:{p4}{n(r)})"
        f.update(_difference_formulas(tb))
    return f


def _difference_formulas(tb: Table) -> dict:
    """Current revenue against the salesperson's own, in money and %; "" when they had no own revenue."""
    rt, own = tb.letter("revenue_total"), tb.letter("own_revenue")
    return {"diff_revenue": lambda r: f"=N({rt}{r + 1})-N({own}{r + 1})",
            "diff_pct": lambda r: f'=IF(N({own}{r + 1})>0,N({rt}{r + 1})/{own}{r + 1}-1,"")'}


def figure_text(value) -> str:
    """A locked figure as the proposal digest sees it: blank and 0 alike, 12 significant digits.

    XlsxWriter writes numbers with 16 significant digits and spreadsheet programs may save them
    back differently in the last digit; 12 digits make the digest insensitive to that, not to edits.
    """
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return "0"
    x = float(f"{float(value):.16G}")
    return "0" if x == 0 else f"{x:.12g}"


def proposal_digest(rows: Iterable[tuple[tuple[str, str], Iterable]]) -> str:
    """Fingerprint of a proposal workbook's locked figures: ((account, product), figures) per row in
    layout order, figures in the order of ``TargetLayout.locked_figures``.  The writer stores it in the
    identity block; the reader recomputes it from the cells, so a changed proposal cell is caught."""
    h = hashlib.sha256()
    for (acc, prod), figures in rows:
        h.update(f"{acc}|{prod}|{','.join(figure_text(v) for v in figures)}\n".encode())
    return h.hexdigest()[:24]
