"""What an account plan workbook shows: its identity, the accounts, our products and people, the rows.

Rows are dicts of stored values: choices as their ids ("decision_maker"), accounts, people and
products as ids, contacts and projects (links) as names, dates as ``datetime.date``; ``row_id`` is the
row's id ("" for none).  The writer turns ids into the dropdown labels of the workbook's language.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from kamplan.model import WorkbookIdentity
from kamplan.workbooks.kit.identity import Identity
from kamplan.workbooks.account_plan.layout import IDENTITY, LIST_SHEETS, AccountPlanLayout

PLAN_ROUND = 0  # the account plan is not part of a target round: issued_workbooks.round = 0


@dataclass(kw_only=True)
class AccountPlanIdentity(Identity):
    plan_year: int
    rep_id: str
    based_on: int | None = None  # the stored version the workbook was pre-filled from

    def workbook_identity(self) -> WorkbookIdentity:
        """The record ``store.record_issued`` keeps (round 0: outside the target rounds)."""
        return WorkbookIdentity(kind=self.kind, schema_version=self.schema_version, year=self.plan_year,
                                round=PLAN_ROUND, rep_id=self.rep_id, generated_at=self.generated_at,
                                workbook_id=self.workbook_id, layout_hash=self.layout_hash)


@dataclass(kw_only=True)
class AccountPlanContent:
    identity: AccountPlanIdentity
    language: str
    company: str
    currency: str
    rep_name: str
    accounts: list[tuple[str, str]]  # (id, name) of the accounts the salesperson carries
    products: list[tuple[str, str, str]]  # (id, name, unit) of our products
    people: list[tuple[str, str]]  # (id, name) of our people: staff, then support people
    rows: dict[str, list[dict]]  # list sheet -> the pre-filled rows
    business: dict[str, dict]  # account id -> {"usage_<product>": float, "main_products": ...}
    prefilled_at: dt.datetime | None = None
    blank_rows: int = 20
    sheet_password: str = "kamplan"
    problems: list[str] = field(default_factory=list)

    def layout(self) -> AccountPlanLayout:
        return AccountPlanLayout(self.language, self.identity.plan_year, currency=self.currency,
                                 accounts=[a for a, _ in self.accounts], products=[(p, product_label(n, u)) for p, n, u in self.products],
                                 people=[p for p, _ in self.people],
                                 rows={k: len(self.rows.get(k, [])) + self.blank_rows for k in LIST_SHEETS})


def new_identity(plan_year: int, rep_id: str, based_on: int | None,
                 generated_at: dt.datetime | None = None) -> AccountPlanIdentity:
    stamp = (generated_at or dt.datetime.now()).replace(microsecond=0)
    return AccountPlanIdentity(kind=IDENTITY.kind, schema_version=IDENTITY.schema_version, plan_year=plan_year,
                               rep_id=rep_id, based_on=based_on, generated_at=stamp, workbook_id=uuid.uuid4().hex)


def product_label(name: str, unit: str) -> str:
    """How a product reads in the usage headers and the dropdown: its name and unit, e.g. "Niacin (t)"."""
    return f"{name} ({unit})"


def plan_file_name(rep_id: str, plan_year: int) -> str:
    return f"{rep_id}_account_plan_{plan_year}.xlsx"
