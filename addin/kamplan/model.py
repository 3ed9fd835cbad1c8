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

# Columns of the frames below; the store and the engine rely on these names.
HISTORY_COLUMNS = ["year", "quarter", "account_id", "product_id", "volume", "price", "revenue",
                   "gross_margin", "cost_to_serve", "visits"]
TARGET_COLUMNS = ["account_id", "product_id", "quarter", "volume", "price", "revenue", "comment", "src"]
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
