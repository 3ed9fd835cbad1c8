"""The resource plan workbook: one description of every sheet, for the writer and the reader.

The VP's workbook after ``kamplan resources allocate``:

* **Read me**: the optimiser's figures (value, proven bound, gap, status), the budgets (spent as a
  live formula), how to read and use the workbook (English or Chinese);
* **Charts**: utilisation per person, utilisation per pool and quarter, asked vs given by class
  (native Excel charts);
* **Schedule**: per person and quarter, who goes to which account, for what purpose and task, by
  which deadline, how many units, at what cost;
* **Requests**: every request with what was asked and (live, from the Schedule) what was given;
* **Accounts** and **By class**: asked vs given per kind (live SUMIFS over Requests);
* **Unmet**: every request not (fully) served, why, and what would make it fit;
* **People** and **Pools**: capacity, use and utilisation per person / pool and quarter (live),
  and the value of one more unit (day or visit) in each quarter;
* **Choices** and **Capacity** (the only input sheets): force a request in or out (dropdown), change
  a person's capacity per quarter.  ``kamplan resources allocate`` reads them back on its next run.

``ResourceLayout`` builds every ``Table`` from the row keys; the reader rebuilds the two input
tables from the workbook's identity block.
"""
from __future__ import annotations

import hashlib

from kamplan.workbooks.kit.identity import Block, IdentitySpec
from kamplan.workbooks.kit.i18n import book_labels
from kamplan.workbooks.kit.layout import (
    FMT_DATE, FMT_MONEY, FMT_PCT, FMT_VOLUME, Column, Table, quote_sheet, with_formulas,
)

LIST_NAME_PREFIX = "kres_"
HEADER_ROW = 4  # 0-based: title, subtitle, note, note, header
KINDS = ("executive", "technical", "advisor")
CLASSES = ("key", "develop", "watch", "drop")
QUARTERS = (1, 2, 3, 4)
# The choices and capacity changes in force when written, so a re-collected older file cannot undo later ones.
IDENTITY = IdentitySpec("kamplan.resources", 1, blocks=(
    Block("choices", 3, headers=("request_id", "account_id", "kind", "choice_in_force")),
    Block("capacity", 8, headers=("person_id", *(f"capacity_in_force_q{q}" for q in QUARTERS))),
))
YEAR = "year"
SMALL = "0.000001"  # amounts below this count as zero in the sheets' formulas

FMT_UNITS = FMT_VOLUME

RT, rt = book_labels(__file__)  # key -> (English, Chinese), and key, language -> text


class ResourceLayout:
    """Where everything sits in the resource plan workbook.

    Row keys: ``schedule`` (person, quarter "Q1".., request), ``requests`` (request id),
    ``accounts`` (account id), ``unmet`` (request id), ``people`` (person id), ``choices``
    (request ids the VP may force), ``capacity`` (person ids).  The reader passes only
    ``choices`` and ``capacity``; the column layout (and so the signature) does not depend on rows.
    """

    def __init__(self, language: str, plan_year: int, *, schedule=(), requests=(), accounts=(), unmet=(),
                 people=(), choices=(), capacity=(), currency: str = "CNY"):
        self.language = language
        self.plan_year = plan_year
        self.currency = currency
        self.sheet_names = {k: rt(f"sheet.{k}", language) for k in
                            ("cover", "charts", "schedule", "requests", "accounts", "classes", "unmet", "people",
                             "pools", "choices", "capacity", "lists")}
        self.schedule = self._schedule(list(schedule))
        self.requests = self._requests(list(requests))
        self.accounts = self._accounts(list(accounts))
        self.classes = self._classes()
        self.unmet = self._unmet(list(unmet))
        self.people = self._people(list(people))
        self.pools = self._pools()
        self.choices = self._choices(list(choices))
        self.capacity = self._capacity(list(capacity))

    def _t(self, key: str, **fmt) -> str:
        return rt(key, self.language, **fmt)

    @property
    def tables(self) -> list[Table]:
        return [self.schedule, self.requests, self.accounts, self.classes, self.unmet, self.people, self.pools,
                self.choices, self.capacity]

    def list_name(self, name: str) -> str:
        return LIST_NAME_PREFIX + name

    def signature(self) -> str:
        text = f"{IDENTITY.signature_head()}|" + "|".join(tb.layout_signature() for tb in self.tables)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def kind_label(self, kind: str) -> str:
        return self._t(f"kind.{kind}") if kind in KINDS else kind

    def choice_label(self, choice: str | None) -> str:
        return self._t(f"choice.{choice}") if choice in ("in", "out") else ""

    def _table(self, key, cols, rows, **kw) -> Table:
        # an empty table keeps one blank row so its ranges (SUMIFS over it) stay valid
        return Table(key, self.sheet_names[key], tuple(cols), HEADER_ROW, row_keys=tuple(rows),
                     free_rows=0 if rows else 1, title=self._t(f"sheet.{key}"), **kw)

    # -- Schedule -------------------------------------------------------------------------------------
    def _schedule(self, rows) -> Table:
        cols = [Column("person_id", self._t("col.person_id"), "key", width=12),
                Column("quarter", self._t("col.quarter"), "key", width=8),
                Column("request_id", self._t("col.request_id"), "key", width=16),
                Column("person", self._t("col.person"), "info", width=20),
                Column("pool", self._t("col.pool"), "info", width=14),
                Column("account_id", self._t("col.account_id"), "info", width=11),
                Column("account", self._t("col.account"), "info", width=22),
                Column("purpose", self._t("col.purpose"), "info", width=24),
                Column("task", self._t("col.task"), "info", width=36),
                Column("deadline", self._t("col.deadline"), "info", "date", 11, FMT_DATE),
                Column("amount", self._t("col.amount"), "info", "number", 9, FMT_UNITS),
                Column("unit", self._t("col.unit"), "info", width=7),
                Column("cost", self._t("col.cost", currency=self.currency), "info", "number", 11, FMT_MONEY)]
        return self._table("schedule", cols, rows)

    # -- Requests ---------------------------------------------------------------------------------------
    def _requests(self, rows) -> Table:
        cols = [Column("request_id", self._t("col.request_id"), "key", width=16),
                Column("rep", self._t("col.rep"), "info", width=12),
                Column("account_id", self._t("col.account_id"), "info", width=11),
                Column("account", self._t("col.account"), "info", width=22),
                Column("class", self._t("col.class"), "info", width=10),
                Column("kind", self._t("col.kind"), "info", width=14),
                Column("purpose", self._t("col.purpose"), "info", width=24),
                Column("task", self._t("col.task"), "info", width=36),
                Column("deadline_q", self._t("col.deadline_q"), "info", width=9),
                Column("priority", self._t("col.priority"), "info", width=9),
                Column("divisible", self._t("col.divisible"), "info", width=9),
                Column("asked", self._t("col.asked"), "info", "number", 9, FMT_UNITS),
                Column("unit", self._t("col.unit"), "info", width=7),
                Column("given", self._t("col.given"), "formula", "number", 9, FMT_UNITS, quantity="given"),
                Column("short", self._t("col.short"), "formula", "number", 9, FMT_UNITS, quantity="short"),
                Column("status", self._t("col.status"), "formula", width=11, quantity="status")]
        tb = self._table("requests", cols, rows)
        sc = self.schedule
        a, g, s = tb.letter("asked"), tb.letter("given"), tb.letter("short")
        met, partly, unmet = (self._t(f"status.{k}") for k in ("met", "partly", "unmet"))
        return with_formulas(tb, {
            "given": lambda r: (f"=SUMIFS({sc.qualified_span('amount')},{sc.qualified_span('request_id')},"
                                f"{tb.ref(r, 'request_id')})"),
            "short": lambda r: f"=MAX({a}{r + 1}-{g}{r + 1},0)",
            "status": lambda r: (f'=IF({s}{r + 1}<={SMALL},"{met}",IF({g}{r + 1}>{SMALL},"{partly}","{unmet}"))')})

    # -- Accounts and classes: asked vs given ----------------------------------------------------------
    def _asked_given_formulas(self, tb: Table, match_key: str, match_col: str) -> dict:
        rq = self.requests
        out = {}
        for kind in KINDS:
            label = self.kind_label(kind).replace('"', '""')
            for what in ("asked", "given"):
                out[f"{what}_{kind}"] = (lambda r, what=what, label=label: (
                    f"=SUMIFS({rq.qualified_span(what)},{rq.qualified_span(match_col)},{tb.ref(r, match_key)},"
                    f'{rq.qualified_span("kind")},"{label}")'))
        return out

    def _kind_columns(self) -> list[Column]:
        cols = []
        for kind in KINDS:
            k = self.kind_label(kind)
            cols += [Column(f"asked_{kind}", self._t("col.asked_kind", kind=k), "formula", "number", 11, FMT_UNITS,
                        quantity=f"asked_{kind}"),
                     Column(f"given_{kind}", self._t("col.given_kind", kind=k), "formula", "number", 11, FMT_UNITS,
                        quantity=f"given_{kind}")]
        return cols

    def _accounts(self, rows) -> Table:
        cols = [Column("account_id", self._t("col.account_id"), "key", width=11),
                Column("account", self._t("col.account"), "info", width=22),
                Column("class", self._t("col.class"), "info", width=10),
                Column("value", self._t("col.value", currency=self.currency), "info", "number", 14, FMT_MONEY),
                *self._kind_columns()]
        tb = self._table("accounts", cols, rows)
        return with_formulas(tb, self._asked_given_formulas(tb, "account_id", "account_id"))

    def _classes(self) -> Table:
        cols = [Column("class_id", "ID", "key", width=9), Column("class", self._t("col.class"), "info", width=12),
                *self._kind_columns()]
        tb = self._table("classes", cols, [(c,) for c in CLASSES])
        return with_formulas(tb, self._asked_given_formulas(tb, "class", "class"))

    # -- Unmet ---------------------------------------------------------------------------------------------
    def _unmet(self, rows) -> Table:
        cols = [Column("request_id", self._t("col.request_id"), "key", width=16),
                Column("account_id", self._t("col.account_id"), "info", width=11),
                Column("account", self._t("col.account"), "info", width=22),
                Column("kind", self._t("col.kind"), "info", width=14),
                Column("asked", self._t("col.asked"), "info", "number", 9, FMT_UNITS),
                Column("given", self._t("col.given"), "info", "number", 9, FMT_UNITS),
                Column("code", self._t("col.code"), "info", width=11),
                Column("reason", self._t("col.reason"), "info", width=60),
                Column("fix", self._t("col.fix"), "info", width=50)]
        return self._table("unmet", cols, rows)

    # -- People and pools ------------------------------------------------------------------------------
    def _people(self, rows) -> Table:
        cols = [Column("person_id", self._t("col.person_id"), "key", width=12),
                Column("person", self._t("col.person"), "info", width=22),
                Column("pool", self._t("col.pool"), "info", width=14),
                Column("unit", self._t("col.unit"), "info", width=7)]
        cols += [Column(f"cap_q{q}", self._t("col.cap_q", q=q), "info", "number", 9, FMT_UNITS) for q in QUARTERS]
        cols += [Column(f"used_q{q}", self._t("col.used_q", q=q), "formula", "number", 9, FMT_UNITS,
                    quantity=f"used_q{q}") for q in QUARTERS]
        cols += [Column("cap_year", self._t("col.cap_year"), "formula", "number", 10, FMT_UNITS, quantity="cap_year"),
                 Column("used_year", self._t("col.used_year"), "formula", "number", 10, FMT_UNITS, quantity="used_year"),
                 Column("utilisation", self._t("col.utilisation"), "formula", "number", 10, FMT_PCT,
                    quantity="utilisation")]
        cols += [Column(f"mv_q{q}", self._t("col.mv_q", q=q), "info", "number", 12, FMT_MONEY) for q in QUARTERS]
        tb = self._table("people", cols, rows)
        sc = self.schedule
        f = {f"used_q{q}": (lambda r, q=q: (
            f"=SUMIFS({sc.qualified_span('amount')},{sc.qualified_span('person_id')},{tb.ref(r, 'person_id')},"
            f'{sc.qualified_span("quarter")},"Q{q}")')) for q in QUARTERS}
        c1, c4 = tb.letter("cap_q1"), tb.letter("cap_q4")
        u1, u4 = tb.letter("used_q1"), tb.letter("used_q4")
        cy, uy = tb.letter("cap_year"), tb.letter("used_year")
        f["cap_year"] = lambda r: f"=SUM({c1}{r + 1}:{c4}{r + 1})"
        f["used_year"] = lambda r: f"=SUM({u1}{r + 1}:{u4}{r + 1})"
        f["utilisation"] = lambda r: f'=IF({cy}{r + 1}>0,{uy}{r + 1}/{cy}{r + 1},"")'
        return with_formulas(tb, f)

    def _pools(self) -> Table:
        cols = [Column("pool_id", "ID", "key", width=10), Column("quarter", self._t("col.quarter"), "key", width=8),
                Column("pool", self._t("col.pool"), "info", width=16), Column("unit", self._t("col.unit"), "info", width=7),
                Column("capacity", self._t("col.capacity"), "formula", "number", 10, FMT_UNITS, quantity="capacity"),
                Column("used", self._t("col.used"), "formula", "number", 10, FMT_UNITS, quantity="used"),
                Column("utilisation", self._t("col.utilisation"), "formula", "number", 10, FMT_PCT,
                   quantity="utilisation"),
                Column("mv", self._t("col.mv", currency=self.currency), "info", "number", 14, FMT_MONEY),
                Column("resolve_gain", self._t("col.resolve_gain"), "info", "number", 14, FMT_MONEY)]
        rows = [(k, f"Q{q}") for k in KINDS for q in QUARTERS] + [(k, YEAR) for k in KINDS]
        tb = self._table("pools", cols, rows)
        pe = self.people

        def col_of(r, what):
            q = rows[r - tb.first_row][1]
            return f"{what}_year" if q == YEAR else f"{what}_q{q[1]}"
        f = {w: (lambda r, w=w, src=src: (f"=SUMIFS({pe.qualified_span(col_of(r, src))},{pe.qualified_span('pool')},"
                                          f"{tb.ref(r, 'pool')})")) for w, src in (("capacity", "cap"),
                                                                                   ("used", "used"))}
        cap, used = tb.letter("capacity"), tb.letter("used")
        f["utilisation"] = lambda r: f'=IF({cap}{r + 1}>0,{used}{r + 1}/{cap}{r + 1},"")'
        return with_formulas(tb, f)

    # -- inputs ------------------------------------------------------------------------------------------
    def _choices(self, rows) -> Table:
        cols = [Column("request_id", self._t("col.request_id"), "key", width=16),
                Column("account_id", self._t("col.account_id"), "info", width=11),
                Column("account", self._t("col.account"), "info", width=22),
                Column("kind", self._t("col.kind"), "info", width=14),
                Column("purpose", self._t("col.purpose"), "info", width=24),
                Column("asked", self._t("col.asked"), "info", "number", 9, FMT_UNITS),
                Column("given", self._t("col.given"), "info", "number", 9, FMT_UNITS),
                Column("in_force", self._t("col.in_force"), "info", width=14),
                Column("choice", self._t("col.choice"), "input", "choice", 16, choices="choices",
                   help=self._t("val.choice"))]
        return self._table("choices", cols, rows)

    def _capacity(self, rows) -> Table:
        cols = [Column("person_id", self._t("col.person_id"), "key", width=12),
                Column("person", self._t("col.person"), "info", width=22),
                Column("pool", self._t("col.pool"), "info", width=14),
                Column("unit", self._t("col.unit"), "info", width=7)]
        cols += [Column(f"cap_q{q}", self._t("col.cap_q", q=q), "info", "number", 9, FMT_UNITS) for q in QUARTERS]
        cols += [Column(f"new_q{q}", self._t("col.new_q", q=q), "input", "number", 10, FMT_UNITS, minimum=0,
                    maximum=1000, help=self._t("val.capacity", unit="")) for q in QUARTERS]
        return self._table("capacity", cols, rows)


def list_ref(sheet: str, n: int) -> str:
    return f"={quote_sheet(sheet)}!$A$2:$A${n + 1}"
