"""Build what one salesperson's target workbook shows from the config and history."""
from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pandas as pd

from kamplan.config import PlanConfig
from kamplan.engine.targets import default_price, last_year_lines
from kamplan.model import WorkbookIdentity
from kamplan.workbooks.i18n import t
from kamplan.workbooks.target_layout import KIND, SCHEMA_VERSION, AccountRow, ProductRow, TargetLayout
from kamplan.workbooks.target_writer import TargetWorkbookContent

KIND_IDS = ("executive", "technical", "advisor")


def kinds_for(config: PlanConfig, language: str) -> list[tuple[str, str, str]]:
    return [(k, t(f"kind.{k}", language), t(f"unit.{config.unit_of_kind(k)}", language)) for k in KIND_IDS]


def last_year_map(config: PlanConfig, history: pd.DataFrame) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(account, product) -> last year's volume, average price, revenue; computed once per issue run."""
    out: dict = {}
    if len(history):
        ly = last_year_lines(history, config.plan_year - 1)
        for row in ly.itertuples(index=False):
            out[(row.account_id, row.product_id)] = (float(row.ly_volume), float(row.ly_price),
                                                     float(row.ly_revenue))
    return out


def target_content(config: PlanConfig, history: pd.DataFrame | dict, rep_id: str, round_no: int,
                   generated_at: dt.datetime | None = None, workbook_id: str | None = None,
                   language: str | None = None, accounts_of_rep: list | None = None,
                   classes: dict[str, str] | None = None) -> TargetWorkbookContent:
    """``history`` is the history frame or, when issuing many workbooks, ``last_year_map()`` of it.

    ``classes`` gives each account's class for the plan year (override > computed > config); the
    visit cycle pre-filled in the workbook follows it.
    """
    lang = language or config.language
    rep = config.staff_member(rep_id)
    region = next((r for r in config.regions if r.id == rep.region), None)
    mine = accounts_of_rep if accounts_of_rep is not None else config.accounts_of(rep_id)
    accounts = [AccountRow(a.id, a.name.get(lang), (classes or {}).get(a.id, a.cls)) for a in mine]
    products = [ProductRow(p.id, p.name.get(lang), p.unit) for p in config.products]
    last_year = history if isinstance(history, dict) else last_year_map(config, history)
    prices = {}
    for a in accounts:
        for p in config.products:
            lyp = last_year.get((a.id, p.id), (0.0, float("nan"), 0.0))[1]
            prices[(a.id, p.id)] = default_price(lyp, p.list_price)
    layout = TargetLayout(lang, config.plan_year, accounts, products, config.workbook.blank_rows, config.currency,
                          config.calendar.first_month)
    identity = WorkbookIdentity(
        kind=KIND, schema_version=SCHEMA_VERSION, year=config.plan_year, round=round_no, rep_id=rep_id,
        generated_at=(generated_at or dt.datetime.now()).replace(microsecond=0),
        workbook_id=workbook_id or uuid.uuid4().hex, layout_hash=layout.signature())
    return TargetWorkbookContent(
        identity=identity, language=lang, currency=config.currency, company=config.company.name.get(lang),
        rep_name=rep.name.get(lang), rep_region=region.name.get(lang) if region else rep.region,
        deadline=config.workbook.deadline, accounts=accounts, products=products, last_year=last_year,
        default_price=prices, class_labels={c: r.name.get(lang) for c, r in config.classes.items()},
        default_visits={c: r.visits_per_quarter for c, r in config.classes.items()},
        exec_visits_per_year={c: r.executive_visits_per_year for c, r in config.classes.items()},
        kinds=kinds_for(config, lang), max_volume=config.targets.max_volume_per_line,
        growth_warning=config.targets.growth_warning, decline_warning=config.targets.decline_warning,
        sheet_password=config.workbook.sheet_password, blank_rows=config.workbook.blank_rows,
        first_month=config.calendar.first_month)


def target_file_name(rep_id: str, year: int, round_no: int) -> str:
    return f"{rep_id}_{year}_r{round_no}.xlsx"


def rep_from_file_name(file: str, staff: set[str]) -> str | None:
    """The salesperson a file is named for, if it follows the issued pattern REP_YEAR_rN(.xlsx).

    Salespeople often add a suffix (``zhang_2027_r1 final(2).xlsx``); the prefix still counts.
    """
    parts = Path(file).stem.split("_")
    for cut in range(len(parts) - 1, 0, -1):
        cand = "_".join(parts[:cut])
        if cand in staff and parts[cut][:4].isdigit():
            return cand
    return None
