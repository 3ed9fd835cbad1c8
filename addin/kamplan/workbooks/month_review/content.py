"""What the monthly account-plan review shows: tables computed by ``engine.month_review`` and
``engine.wallet`` from the stored plans (the VP side: personal notes are never part of it)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class MonthReviewContent:
    month: str  # "2027-05"
    start: dt.date
    end: dt.date
    year: int  # the plan year of the plans reviewed
    language: str
    company: str
    currency: str
    sheet_password: str
    generated_at: dt.datetime
    names: dict[str, dict[str, str]]  # "account" / "product" / "rep" / "person" -> id -> display name
    reps: list[str]  # the salespeople with a page, in the config's order
    changes: pd.DataFrame  # engine.month_review.month_changes
    overdue: pd.DataFrame  # overdue_actions
    freshness: pd.DataFrame  # plan_freshness
    coverage: pd.DataFrame  # decision_coverage
    pipeline: pd.DataFrame  # pipeline
    wallet: pd.DataFrame  # engine.wallet.annual_wallet + rep_id, usage_year (the customer's annual usage)
    note: str = ""  # the reviewer's note (optional)
    units: dict[str, str] = field(default_factory=dict)  # product -> unit
