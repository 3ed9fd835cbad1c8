"""The account plan workbook (重点客户计划): one description of every sheet, for the writer and the reader.

One workbook per salesperson, with the accounts they carry (as owner or team member):

* **Read me**: what the workbook is, how to keep it current, and per account a live summary
  (pipeline value of the projects, competitors' estimated share, complaints raised and closed);
* **Contacts and decision map**: one row per contact of an account (role in the purchase, attitude,
  influence 1-5, relationship, our person who owns the relationship, last contact, reporting line =
  another contact of the same account, and a *personal note*: personal data, see below);
* **The customer's business**: one fixed row per account: annual usage of each of our products (the
  denominator of share of wallet), main products, markets, purchasing pattern;
* **Competitors**, **Projects**, **Actions**, **Visit reports**: one row per entry.

Every list sheet is a free-entry table: the rows kamplan pre-filled from the last collected version
come first, then ``blank`` empty rows.  The last column (hidden, locked) holds each row's id, so an edited row
is recognised as the same contact / project when it comes back; a new row has no id and is given one at
collect (``new_row_id``: the workbook's id and the sheet row, so collecting the same file again gives the
same ids).  The ids issued are kept in the identity block ("rows"), so the reader can tell a row that
disappeared (marked removed), an id typed or copied (refused) and a new row.

Personal data: the contacts' ``personal_note`` (002: family, school, hobbies) is the one personal field
(``PERSONAL_FIELDS``): it is written only into the salesperson's own workbook and kept in the store apart
from the other fields, so every VP-facing output can leave it out and ``forget-contact`` can erase it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kamplan.workbooks.kit.identity import Block, IdentitySpec
from kamplan.workbooks.kit.i18n import book_labels
from kamplan.workbooks.kit.layout import (
    FMT_DATE, FMT_INT, FMT_MONEY, FMT_PCT, FMT_VOLUME, Column, Table, quote_sheet, with_formulas,
)

HEADER_ROW = 4  # 0-based: title, subtitle, note, note, header
LIST_NAME_PREFIX = "kap_"
ID_COLUMN = "row_id"
PERSONAL_FIELDS = ("personal_note",)  # personal data (PIPL / GDPR): own workbook and store only
LIST_SHEETS = ("contacts", "competitors", "projects", "actions", "visits")  # free-entry tables
SHEETS = ("contacts", "business", "competitors", "projects", "actions", "visits")

# Closed choices: the id of each choice (stored) and its label key ``<list>.<id>`` in labels.toml.
CHOICES = {
    "role": ("user", "buyer", "technical", "decision_maker", "influencer", "gatekeeper"),
    "attitude": ("supporter", "favourable", "neutral", "sceptical", "opponent"),
    "relationship": ("strong", "medium", "weak", "none"),
    "stage": ("idea", "qualified", "proposal", "negotiation", "won", "lost"),
    "status": ("open", "in_progress", "done", "cancelled"),
    "threat": ("high", "medium", "low"),
}
IDENTITY = IdentitySpec("kamplan.account_plan", 1, blocks=(
    Block("accounts", 3, flat=True),
    Block("products", 4, headers=("product", "label"), keys=1),  # our products, as the usage headers name them
    Block("people", 6, flat=True),  # our people: staff and support people (owners)
    Block("rows", 7, headers=("sheet", "row_id", "account_id")),  # the rows pre-filled, with their ids
))

AT, at = book_labels(__file__)  # key -> (English, Chinese), and key, language -> text


@dataclass(frozen=True)
class Field:
    """One column of a list sheet: what the reader parses and the store keeps."""
    key: str
    dtype: str = "text"  # text, number, integer, date, choice, contact, project, account, person, product
    width: float = 16
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    max_len: int = 500


TEXT_LONG = 2000
FIELDS: dict[str, tuple[Field, ...]] = {
    "contacts": (Field("account", "account", 26, True), Field("name", "text", 16, True, max_len=120),
                 Field("title", width=16), Field("department", width=16), Field("role", "choice", 16),
                 Field("attitude", "choice", 14), Field("influence", "integer", 10, minimum=1, maximum=5),
                 Field("relationship", "choice", 13), Field("owner", "person", 18),
                 Field("last_contact", "date", 12), Field("reports_to", "contact", 16),
                 Field("personal_note", width=30, max_len=TEXT_LONG)),
    "competitors": (Field("account", "account", 26, True), Field("competitor", "text", 18, True, max_len=120),
                    Field("their_product", width=18), Field("our_product", "product", 20),
                    Field("share", "number", 10, minimum=0, maximum=1),
                    Field("satisfaction", "integer", 11, minimum=1, maximum=5), Field("their_salesperson", width=16),
                    Field("their_relationship", width=20), Field("threat", "choice", 10),
                    Field("last_price", "number", 11, minimum=0, maximum=1e9), Field("last_seen", "date", 12)),
    "projects": (Field("account", "account", 26, True), Field("project", "text", 22, True, max_len=200),
                 Field("problem", width=24), Field("value", "number", 12, minimum=0, maximum=1e12),
                 Field("stage", "choice", 12), Field("decision_maker", "contact", 16),
                 Field("influencer", "contact", 16), Field("timetable", width=16),
                 Field("budget", "number", 12, minimum=0, maximum=1e12), Field("buying_process", width=22),
                 Field("next_step", width=22), Field("next_date", "date", 12)),
    "actions": (Field("account", "account", 26, True), Field("action", "text", 30, True),
                Field("owner", "person", 18, True), Field("due", "date", 12), Field("status", "choice", 12),
                Field("project", "project", 20), Field("contact", "contact", 16), Field("support_request", width=18)),
    "visits": (Field("account", "account", 26, True), Field("date", "date", 12, True),
               Field("our_person", "person", 18), Field("met", "contact", 16), Field("purpose", width=22),
               Field("outcome", width=26, max_len=TEXT_LONG), Field("satisfaction", "integer", 11, minimum=1, maximum=5),
               Field("complaints_raised", "integer", 11, minimum=0, maximum=1000),
               Field("complaints_closed", "integer", 11, minimum=0, maximum=1000), Field("next_step", width=24)),
}
BUSINESS_TEXT = ("main_products", "markets", "purchasing_pattern")
_CHOICE_LIST = {"role": "role", "attitude": "attitude", "relationship": "relationship", "stage": "stage",
                "status": "status", "threat": "threat"}
_FORMATS = {"number": FMT_VOLUME, "integer": FMT_INT, "date": FMT_DATE}
_DTYPES = {"number": "number", "integer": "integer", "date": "date", "text": "text"}


def new_row_id(workbook_id: str, sheet: str, row: int) -> str:
    """The id a new row gets at collect: the same file collected again gives the same id."""
    return f"{sheet[:2]}-{workbook_id[:10]}-{row + 1}"


def choice_list(field: Field) -> str | None:
    """The Lists-sheet list a field's dropdown takes (None: free text, a number or a date)."""
    if field.dtype == "choice":
        return _CHOICE_LIST[field.key]
    if field.dtype in ("account", "person", "product"):
        return field.dtype + "s"
    return None


class AccountPlanLayout:
    """Where everything sits.  ``rows``: sheet key -> rows in the table (pre-filled + blank);
    ``accounts`` (ids, in order), ``products`` (ids) and ``people`` (ids) make the dropdowns and the
    Business sheet's rows and columns; the reader rebuilds the same layout from the identity block."""

    def __init__(self, language: str, plan_year: int, *, accounts=(), products=(), people=(), rows=None,
                 currency: str = "CNY"):
        """``products``: (id, label) pairs, the label as the usage columns name the product."""
        self.language, self.plan_year, self.currency = language, plan_year, currency
        self.product_labels = {p: label for p, label in products}
        self.accounts, self.products, self.people = list(accounts), list(self.product_labels), list(people)
        rows = rows or {}
        self.sheet_names = {k: at(f"sheet.{k}", language) for k in ("cover", *SHEETS, "lists")}
        self.lists_tables = {k: self._list_table(k, int(rows.get(k, 1))) for k in LIST_SHEETS}
        self.business = self._business()
        self.summary = self._summary()

    def _t(self, key: str, **fmt) -> str:
        return at(key, self.language, **fmt)

    @property
    def tables(self) -> list[Table]:
        lt = self.lists_tables
        return [lt["contacts"], self.business, lt["competitors"], lt["projects"], lt["actions"], lt["visits"]]

    def table(self, key: str) -> Table:
        return self.business if key == "business" else self.lists_tables[key]

    def list_name(self, name: str) -> str:
        return LIST_NAME_PREFIX + name

    def signature(self) -> str:
        text = "|".join([IDENTITY.signature_head(), *(tb.layout_signature() for tb in self.tables),
                         self.summary.layout_signature()])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def label(self, list_key: str, choice: str) -> str:
        return self._t(f"{list_key}.{choice}")

    def column_header(self, sheet: str, key: str) -> str:
        return self._t(f"col.{sheet}.{key}") if f"col.{sheet}.{key}" in AT else self._t(f"col.{key}")

    # -- the list sheets ------------------------------------------------------------------------------
    def _list_table(self, key: str, n_rows: int) -> Table:
        cols = []
        for f in FIELDS[key]:
            dtype = _DTYPES.get(f.dtype, "choice" if choice_list(f) else "text")
            cols.append(Column(f.key, self.column_header(key, f.key), "input", dtype, f.width,
                               FMT_PCT if f.key == "share" else _FORMATS.get(f.dtype), choices=choice_list(f),
                               required=f.required, minimum=f.minimum, maximum=f.maximum,
                               help=self._t(f"help.{f.dtype}" if f.key != "share" else "help.share",
                                            min=f"{f.minimum:g}" if f.minimum is not None else "",
                                            max=f"{f.maximum:g}" if f.maximum is not None else "")))
        # the row id last (and hidden): the title and notes above the table stay visible in column A
        cols.append(Column(ID_COLUMN, "ID", "info", width=4))
        return Table(key, self.sheet_names[key], tuple(cols), HEADER_ROW, free_rows=max(1, n_rows),
                     title=self._t(f"title.{key}"))

    # -- the customer's business: one row per account ------------------------------------------------
    def _business(self) -> Table:
        cols = [Column("account_id", self._t("col.account_id"), "key", width=12),
                Column("account_name", self._t("col.account_name"), "info", width=24)]
        cols += [Column(f"usage_{p}", self._t("col.usage", product=label), "input", "number", 14, FMT_VOLUME,
                        minimum=0, maximum=1e12, help=self._t("help.usage")) for p, label in self.product_labels.items()]
        cols += [Column(k, self._t(f"col.{k}"), "input", "text", 28, help=self._t("help.text"))
                 for k in BUSINESS_TEXT]
        return Table("business", self.sheet_names["business"], tuple(cols), HEADER_ROW,
                     row_keys=tuple((a,) for a in self.accounts) or (("",),), title=self._t("title.business"))

    # -- the cover's live summary per account ----------------------------------------------------------
    def _summary(self) -> Table:
        cols = [Column("account_id", self._t("col.account_id"), "key", width=14),
                Column("account_label", self._t("col.account"), "info", width=30),
                Column("pipeline", self._t("col.pipeline", currency=self.currency), "formula", "number", 14,
                       FMT_MONEY, quantity="pipeline"),
                Column("competitor_share", self._t("col.competitor_share"), "formula", "number", 14, FMT_PCT,
                       quantity="competitor_share"),
                Column("complaints_raised", self._t("col.complaints_raised"), "formula", "number", 12, FMT_INT,
                       quantity="complaints_raised"),
                Column("complaints_closed", self._t("col.complaints_closed"), "formula", "number", 12, FMT_INT,
                       quantity="complaints_closed")]
        tb = Table("summary", self.sheet_names["cover"], tuple(cols), 8,
                   row_keys=tuple((a,) for a in self.accounts) or (("",),))
        lt = self.lists_tables
        key = tb.letter("account_id")

        def sums(sheet: str, what: str):
            # an account cell reads "A1 Acme" (picked) or "A1" (typed): the id alone, or the id, a space, anything
            src = lt[sheet]
            values, accounts = src.qualified_span(what), src.qualified_span("account")
            return lambda r: (f"=SUMIFS({values},{accounts},${key}{r + 1})"
                              f'+SUMIFS({values},{accounts},${key}{r + 1}&" *")')
        return with_formulas(tb, {"pipeline": sums("projects", "value"),
                                  "competitor_share": sums("competitors", "share"),
                                  "complaints_raised": sums("visits", "complaints_raised"),
                                  "complaints_closed": sums("visits", "complaints_closed")})


def list_ref(sheet: str, col: int, n: int) -> str:
    letter = chr(ord("A") + col)
    return f"={quote_sheet(sheet)}!${letter}$2:${letter}${n + 1}"


def account_label(account_id: str, name: str) -> str:
    """How an account reads in the dropdowns: its id first (ids hold no spaces), then its name."""
    return f"{account_id} {name}".strip()


def label_id(text: str) -> str:
    """The id in a label typed or picked from a dropdown ("A001 Acme" -> "A001")."""
    parts = str(text).split()
    return parts[0] if parts else ""
