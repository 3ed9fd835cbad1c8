"""Build what one salesperson's target workbook shows from the config and history.

Round 1 shows last year and blank inputs.  Later rounds (``proposal`` given) show
the VP's top-down proposal against the salesperson's own figure, and carry their
last submission (``prefill``) back in, so nobody types anything twice.
"""
from __future__ import annotations

import datetime as dt
import math
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kamplan.config import PlanConfig
from kamplan.engine.targets import default_price, last_year_lines
from kamplan.model import QUARTERS, Submission, WorkbookIdentity
from kamplan.periods import as_date
from kamplan.workbooks.kit.i18n import t
from kamplan.workbooks.targets.layout import (
    ACCOUNT_LABEL_SEP, IDENTITY, AccountRow, ProductRow, TargetLayout,
)
from kamplan.workbooks.targets.writer import ProposalLine, TargetWorkbookContent

KIND_IDS = ("executive", "technical", "advisor")


@dataclass
class TeamView:
    """One salesperson's view of their account teams: their share per account (a fraction, or per
    product, or "full" for a full-credit role) and the lines someone else plans -> that person's name."""
    shares: dict[str, float | dict[str, float] | str] = field(default_factory=dict)
    planned_by: dict[tuple[str, str], str] = field(default_factory=dict)

    def share_label(self, account_id: str, language: str) -> str:
        share = self.shares.get(account_id)
        if share is None:
            return ""
        zh = language == "zh-CN"
        if share == "full":
            return "（全额业绩）" if zh else " (full credit)"
        if isinstance(share, dict):
            text = ", ".join(f"{p} {v:.0%}" for p, v in sorted(share.items()))
        else:
            text = f"{share:.0%}"
        return f"（您的份额 {text}）" if zh else f" (your share {text})"

    def planned_in(self, accounts: list[AccountRow]) -> dict[tuple[str, str], str]:
        """The lines of ``accounts`` someone else plans -> their name."""
        ids = {a.id for a in accounts}
        return {k: v for k, v in self.planned_by.items() if k[0] in ids}


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


def _own_lines(company_last_year: dict, accounts, products) -> dict:
    """The last-year lines of the accounts this workbook shows.  Only they travel with the content: issue
    hands every content to a worker process, and the whole company's map in each made issuing 500
    workbooks grow with the square of the salesforce."""
    return {(a.id, p.id): company_last_year[(a.id, p.id)] for a in accounts for p in products
            if (a.id, p.id) in company_last_year}


def target_content(config: PlanConfig, history: pd.DataFrame | dict, rep_id: str, round_no: int,
                   generated_at: dt.datetime | None = None, workbook_id: str | None = None,
                   language: str | None = None, accounts_of_rep: list | None = None,
                   classes: dict[str, str] | None = None, proposal: pd.DataFrame | None = None,
                   prefill: Submission | None = None, team: TeamView | None = None) -> TargetWorkbookContent:
    """``history`` is the history frame or, when issuing many workbooks, ``last_year_map()`` of it.

    ``classes`` gives each account's class for the plan year (override > computed > config); the
    visit cycle pre-filled in the workbook follows it.

    ``proposal`` (round 2 and later) makes it a top-down proposal workbook: one row per account ×
    product × quarter with ``account_id, product_id, quarter, volume, price, revenue`` (the proposal)
    and ``own_volume, own_price, own_revenue`` (the salesperson's own latest figure; NaN where none).
    Lines of other salespeople's accounts are ignored; a missing line means "no target".
    ``prefill`` is the salesperson's latest stored Submission: its visit plan, trainings, service
    commitments, support requests and line comments are filled in again.
    ``team`` (account teams): the salesperson's share of the accounts they carry with others, shown with
    the account's name, and the lines another member plans (shown read-only).
    """
    lang = language or config.language
    rep = config.staff_member(rep_id)
    region = next((r for r in config.regions if r.id == rep.region), None)
    mine = accounts_of_rep if accounts_of_rep is not None else config.accounts_of(rep_id)
    team = team or TeamView()
    accounts = [AccountRow(a.id, a.name.get(lang) + team.share_label(a.id, lang), (classes or {}).get(a.id, a.cls))
                for a in mine]
    products = [ProductRow(p.id, p.name.get(lang), p.unit) for p in config.products]
    last_year = _own_lines(history if isinstance(history, dict) else last_year_map(config, history),
                           accounts, config.products)
    prices = {}
    for a in accounts:
        for p in config.products:
            lyp = last_year.get((a.id, p.id), (0.0, float("nan"), 0.0))[1]
            prices[(a.id, p.id)] = default_price(lyp, p.list_price)
    blank_rows = config.workbook.blank_rows
    lists: dict[str, list[dict]] = {}
    if prefill is not None:
        lists = _list_prefill(prefill, accounts, lang, config)
        # room for what comes back and as many new rows as round 1 had
        blank_rows = max(blank_rows, max((len(v) for v in lists.values()), default=0) + blank_rows // 2)
    lines = _proposal_lines(proposal, accounts, products, prices) if proposal is not None else None
    layout = TargetLayout(lang, config.plan_year, accounts, products, blank_rows, config.currency,
                          proposal=lines is not None, calendar=config.calendar)
    identity = WorkbookIdentity(
        kind=IDENTITY.kind, schema_version=IDENTITY.schema_version, year=config.plan_year, round=round_no, rep_id=rep_id,
        generated_at=(generated_at or dt.datetime.now()).replace(microsecond=0),
        workbook_id=workbook_id or uuid.uuid4().hex, layout_hash=layout.signature())
    return TargetWorkbookContent(
        identity=identity, language=lang, currency=config.currency, company=config.company.name.get(lang),
        rep_name=rep.name.get(lang), rep_region=region.name.get(lang) if region else t("region.none", lang),
        deadline=config.workbook.deadline, accounts=accounts, products=products, last_year=last_year,
        default_price=prices, class_labels={c: r.name.get(lang) for c, r in config.classes.items()},
        default_visits={c: r.visits_per_quarter for c, r in config.classes.items()},
        exec_visits_per_year={c: r.executive_visits_per_year for c, r in config.classes.items()},
        kinds=kinds_for(config, lang), max_volume=config.targets.max_volume_per_line,
        growth_warning=config.targets.growth_warning, decline_warning=config.targets.decline_warning,
        sheet_password=config.workbook.sheet_password, blank_rows=blank_rows,
        first_month=config.calendar.first_month or 1, calendar=config.calendar, prefill=lists, proposal=lines,
        visit_prefill=_visit_prefill(prefill, accounts) if prefill is not None else {},
        comments=_comment_prefill(prefill) if prefill is not None else {},
        planned_by=team.planned_in(accounts))


def _number(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _proposal_lines(proposal: pd.DataFrame, accounts: list[AccountRow], products: list[ProductRow],
                    default_prices: dict[tuple[str, str], float]) -> dict[tuple[str, str], ProposalLine]:
    """The proposal frame as one ProposalLine per account × product of this workbook."""
    keys = {(a.id, p.id) for a in accounts for p in products}
    by_key: dict[tuple[str, str], dict[int, tuple]] = {}
    for r in proposal.itertuples(index=False):
        key = (str(r.account_id), str(r.product_id))
        if key in keys:
            by_key.setdefault(key, {})[int(r.quarter)] = r
    out = {}
    for key, quarters in by_key.items():
        vols, prices, revenue, own_v, own_r = [], [], 0.0, [], []
        for q in QUARTERS:
            r = quarters.get(q)
            vol = _number(r.volume) if r is not None else 0.0
            vol = 0.0 if math.isnan(vol) else vol
            price = _number(r.price) if r is not None else math.nan
            price = default_prices[key] if math.isnan(price) or (price <= 0 and vol == 0) else price
            rev = _number(r.revenue) if r is not None else 0.0
            revenue += vol * price if math.isnan(rev) else rev
            vols.append(vol)
            prices.append(price)
            if r is not None:
                own_v.append(_number(getattr(r, "own_volume", math.nan)))
                own_r.append(_number(getattr(r, "own_revenue", math.nan)))
        own_v, own_r = [v for v in own_v if not math.isnan(v)], [v for v in own_r if not math.isnan(v)]
        out[key] = ProposalLine(tuple(vols), tuple(prices), revenue,
                                sum(own_v) if own_v else math.nan, sum(own_r) if own_r else math.nan)
    return out


def _visit_prefill(sub: Submission, accounts: list[AccountRow]) -> dict[str, dict[int, tuple[int, int]]]:
    mine = {a.id for a in accounts}
    out: dict[str, dict[int, tuple[int, int]]] = {}
    for r in sub.visits.itertuples(index=False):
        if r.account_id in mine:
            out.setdefault(r.account_id, {})[int(r.quarter)] = (int(r.rep_visits), int(r.exec_visits))
    return out


def _comment_prefill(sub: Submission) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for r in sub.targets.itertuples(index=False):  # one comment per row: its quarters share it
        if isinstance(r.comment, str) and r.comment and (r.account_id, r.product_id) not in out:
            out[(r.account_id, r.product_id)] = r.comment
    return out


def _list_prefill(sub: Submission, accounts: list[AccountRow], lang: str,
                  config: PlanConfig) -> dict[str, list[dict]]:
    """Trainings, service commitments and support requests as their cells show them (dropdown labels).

    Rows of accounts no longer in this workbook are left out: their new owner plans them."""
    labels = {a.id: f"{a.id}{ACCOUNT_LABEL_SEP}{a.name}" for a in accounts}

    def text(v):
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v
    trainings = [{"account": labels[r.account_id], "quarter": f"Q{int(r.quarter)}", "topic": r.topic,
                  "audience": text(r.audience)}
                 for r in sub.trainings.itertuples(index=False) if r.account_id in labels]
    services = [{"account": labels[r.account_id], "commitment": r.commitment, "measure": r.measure,
                 "due": _date(r.due)} for r in sub.services.itertuples(index=False) if r.account_id in labels]
    requests = []
    for r in sub.requests.itertuples(index=False):
        if r.account_id not in labels:
            continue
        requests.append({"account": labels[r.account_id], "kind": t(f"kind.{r.kind}", lang),
                         "purpose": r.purpose, "task": r.task, "amount": float(r.amount),
                         "deadline": _date(r.deadline), "priority": t(f"priority.{r.priority}", lang),
                         "divisible": t("yes" if bool(r.divisible) else "no", lang)})
    return {"trainings": trainings, "services": services, "requests": requests}


def _date(v) -> dt.date | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return as_date(v if isinstance(v, dt.date | pd.Timestamp) else str(v))


def target_file_name(rep_id: str, year: int, round_no: int) -> str:
    return f"{rep_id}_{year}_r{round_no}.xlsx"


def rep_from_file_name(file: str, staff: set[str]) -> str | None:
    """The salesperson a file is named for, if it follows the issued pattern REP_YEAR_rN(.xlsx).

    Salespeople often add a suffix (``zhang_2027_r1 final(2).xlsx``); the prefix still counts.
    """
    # a name unpacked on a Mac spells "josé1" decomposed (NFD); config ids are NFC
    parts = unicodedata.normalize("NFC", Path(file).stem).split("_")
    for cut in range(len(parts) - 1, 0, -1):
        cand = "_".join(parts[:cut])
        if cand in staff and parts[cut][:4].isdigit():
            return cand
    return None
