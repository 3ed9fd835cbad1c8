"""Plain data shared by every layer: what a returned target workbook holds.

Tables are pandas frames with the fixed columns below, so the engine can work
on them directly and the store can write them as rows.  Each input line keeps
the cell it came from (``src_*`` columns) so a later check can point at it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from kamplan.problems import Problem

QUARTERS = (1, 2, 3, 4)

# The account review's vocabulary, shared by the config (which validates rules against it) and the
# engine (which computes it).  Indicator groups, weakest to strongest evidence:
GROUPS: tuple[str, ...] = ("hard", "strength", "capability")

# Every metric a class rule or a data indicator can use: name -> (kind, meaning).
# kind "number" compares with numbers, "flag" is 1 or 0, "text" compares with == / != only.
METRICS: dict[str, tuple[str, str]] = {
    "volume": ("number", "volume in the period, in the product unit"),
    "revenue": ("number", "revenue in the period"),
    "gross_margin": ("number", "gross margin (money) in the period"),
    "gross_margin_rate": ("number", "gross margin / revenue"),
    "cost_to_serve": ("number", "cost to serve in the period (plus visits x cost_per_visit)"),
    "cost_to_serve_rate": ("number", "cost to serve / revenue"),
    "visits": ("number", "sales visits in the period"),
    "visits_per_revenue": ("number", "visits per million of revenue (management effort)"),
    "profit": ("number", "gross margin - cost to serve"),
    "profit_margin": ("number", "profit / revenue"),
    "profit_rank": ("number", "1 = the account that earns most"),
    "measure": ("number", "the value of the Pareto measure (pareto.measure)"),
    "share": ("number", "share of the Pareto measure's total, 0-1"),
    "cum_share": ("number", "cumulative share down the ranking, this account included"),
    "rank": ("number", "1 = the biggest account by the Pareto measure"),
    "core": ("flag", "1 when among the accounts that make up pareto.cutoff_share"),
    "big": ("flag", "1 when over pareto.size_threshold, or (no threshold) when core"),
    "abc": ("text", "A, B or C by pareto.abc"),
    "previous": ("number", "the Pareto measure in the previous period"),
    "growth": ("number", "measure / previous - 1; unknown without a previous value"),
    "is_new": ("flag", "1 when the account bought in the period but not in the previous one"),
    "score_hard": ("number", "score of the hard indicators, 0-100"),
    "score_strength": ("number", "score of the strength indicators, 0-100"),
    "score_capability": ("number", "score of the capability indicators, 0-100"),
    "score": ("number", "total score of the three groups, 0-100"),
    "potential": ("number", "strength and capability together, 0-100 (what the customer could become)"),
    "judged": ("number", "share of judgement indicators judged for the account, 0-1"),
}

# Columns of the frames below; the store and the engine rely on these names.
HISTORY_COLUMNS = ["year", "quarter", "account_id", "product_id", "volume", "price", "revenue",
                   "gross_margin", "cost_to_serve", "visits"]
# ``response``: in a top-down round, what the salesperson said to the proposal ("accept" or "counter";
# None in round 1).  The reason of a counter is the line's ``comment``.
TARGET_COLUMNS = ["account_id", "product_id", "quarter", "volume", "price", "revenue", "comment", "src",
                  "response"]
VISIT_COLUMNS = ["account_id", "quarter", "rep_visits", "exec_visits", "src"]
TRAINING_COLUMNS = ["account_id", "quarter", "topic", "audience", "src"]
SERVICE_COLUMNS = ["account_id", "commitment", "measure", "due", "src"]
REQUEST_COLUMNS = ["account_id", "kind", "purpose", "task", "amount", "unit", "deadline", "priority",
                   "divisible", "src"]

ROUND_NAMES = {"en": {1: "bottom-up draft", "n": "top-down proposal", "agreed": "agreed"},
               "zh-CN": {1: "自下而上草案", "n": "自上而下建议", "agreed": "已确认"}}


def round_name(round_no: int, language: str = "en") -> str:
    names = ROUND_NAMES["zh-CN" if language == "zh-CN" else "en"]
    return names[1] if round_no == 1 else names["n"]


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


@dataclass(frozen=True)
class WorkbookIdentity:
    """The hidden identity block every generated workbook carries; collect checks it."""
    kind: str  # e.g. "kamplan.targets"
    schema_version: int
    year: int
    round: int
    rep_id: str
    generated_at: dt.datetime
    workbook_id: str  # uuid4 hex, unique per issued workbook
    layout_hash: str  # fingerprint of the layout that wrote it


@dataclass
class Submission:
    """One salesperson's returned target workbook, read and checked."""
    identity: WorkbookIdentity
    file_name: str
    content_hash: str  # sha256 of the file bytes
    targets: pd.DataFrame  # TARGET_COLUMNS, one row per account x product x quarter
    visits: pd.DataFrame  # VISIT_COLUMNS
    trainings: pd.DataFrame  # TRAINING_COLUMNS
    services: pd.DataFrame  # SERVICE_COLUMNS
    requests: pd.DataFrame  # REQUEST_COLUMNS
    warnings: list[Problem] = field(default_factory=list)

# -- actuals (issue 6): the activity log, one row per event -------------------------------------------
# kind: one of ACTIVITY_KINDS; quantity: how many (visits, trainings, people trained ...; 1 when empty);
# status: complaints only, "open" or "resolved".  ``ref`` names the complaint (e.g. the ERP ticket
# number): a later row of the same account and ref with status "resolved" closes it; a complaint
# without a ref is its own complaint and stays open until a row with the same ref resolves it.
ACTIVITY_COLUMNS = ["date", "account_id", "kind", "person_id", "quantity", "status", "note", "ref"]
ACTIVITY_KINDS = ("rep_visit", "exec_visit", "training", "service", "complaint")
COMPLAINT_STATUSES = ("open", "resolved")
