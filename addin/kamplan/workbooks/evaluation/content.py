"""What an evaluation workbook shows (built by ``stages.evaluation``) and its identity record."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from kamplan.workbooks.evaluation.layout import IDENTITY, EvaluationLayout, GoalSpec
from kamplan.workbooks.kit.identity import Identity


@dataclass(kw_only=True)
class EvaluationIdentity(Identity):
    year: int
    quarter: int
    evaluation: str  # "quarter" or "annual"
    audience: str  # "vp" or "rep"
    rep_id: str  # the salesperson of a rep workbook; "" for the VP's


@dataclass
class EvaluationContent:
    """Everything an evaluation workbook shows; built by ``stages.evaluation``."""
    identity: EvaluationIdentity
    language: str
    company: str
    currency: str
    unit: str
    rep_names: dict[str, str]
    account_names: dict[str, str]
    product_names: dict[str, str]
    lines: pd.DataFrame  # engine.evaluation.goal_vs_result rows shown
    accounts: pd.DataFrame  # group_totals by rep_id, account_id + forecast, annual_target, method
    activity: pd.DataFrame  # engine.evaluation.activity_vs_plan rows (same accounts, same order)
    services: pd.DataFrame  # rep_id, account_id, no, commitment, measure, due, status, note
    goals: list[GoalSpec]
    reps: list[str]
    ratings: dict[tuple[str, str], tuple[float | None, str | None]]  # (rep, goal) -> (rating, comment)
    quarters: pd.DataFrame  # quarter 1-4, target_revenue, actual_revenue (NaN after the quarter)
    warnings: pd.DataFrame  # rank, account_id, rep_id, revenue_at_risk, flags (labels), evidence
    classes: pd.DataFrame  # account_id, rep_id, cls, suggested, attainment, growth, reason (labels)
    history: dict[tuple[str, str, int], tuple[float | None, float | None, str | None]] = field(default_factory=dict)
    with_allocation: bool = False
    scale: tuple[int, int] = (1, 5)
    cap: float = 1.2
    sheet_password: str = "kamplan"
    reviewer: str | None = None
    # share of wallet rows shown (issue 15): rep_id, account_id, product_id, unit, usage, ours, revenue
    wallet: pd.DataFrame | None = None
    # The newest rating and service-status entry ids in the store when written: an entry with a higher id
    # was made after this workbook, so collecting this workbook again must not undo it.
    entries_seen: tuple[int, int] = (0, 0)

    def layout(self) -> EvaluationLayout:
        i = self.identity
        return EvaluationLayout(
            self.language, i.year, i.quarter, i.evaluation, i.audience,
            lines=list(zip(self.lines["rep_id"], self.lines["account_id"], self.lines["product_id"])),
            accounts=list(zip(self.accounts["rep_id"], self.accounts["account_id"])), reps=list(self.reps),
            goals=self.goals, services=[(r, a, str(n)) for r, a, n in zip(self.services["rep_id"],
                                                                           self.services["account_id"],
                                                                           self.services["no"])],
            n_warnings=len(self.warnings), n_classes=len(self.classes), with_allocation=self.with_allocation,
            scale=self.scale, cap=self.cap, currency=self.currency, unit=self.unit,
            n_wallet=0 if self.wallet is None else len(self.wallet))


def new_identity(year: int, quarter: int, evaluation: str, audience: str, rep_id: str, generated_at: dt.datetime,
                 workbook_id: str) -> EvaluationIdentity:
    return EvaluationIdentity(kind=IDENTITY.kind, schema_version=IDENTITY.schema_version, year=year, quarter=quarter,
                              evaluation=evaluation, audience=audience, rep_id=rep_id, generated_at=generated_at,
                              workbook_id=workbook_id)
