"""What the resource plan workbook shows (built by ``stages.resources``) and its identity record."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from kamplan.workbooks.kit.identity import Identity
from kamplan.workbooks.resources.layout import IDENTITY, ResourceLayout


@dataclass(kw_only=True)
class ResourceIdentity(Identity):
    plan_year: int
    run_id: int


@dataclass
class ResourceWorkbookContent:
    """Everything the resource plan workbook shows; rows are dicts keyed by the layout's column keys."""
    identity: ResourceIdentity
    language: str
    company: str
    currency: str
    source: str  # where the requests come from (the plan view's source line)
    figures: dict  # objective, bound, gap, status, method, seconds, greedy_objective, requests, unmet
    budgets: list[tuple[str, float]]  # (kind, budget) of pools with a money budget
    schedule: list[dict]
    requests: list[dict]
    accounts: list[dict]
    unmet: list[dict]
    people: list[dict]
    pools: dict  # (kind, "Q1".."Q4" | "year") -> {"mv": float, "resolve_gain": float}
    units: dict  # kind -> unit label
    class_labels: dict  # class id -> label (as in the Requests sheet's class column)
    choices: list[dict]  # request rows the VP may force, with "in_force" choice id ("in"/"out"/None)
    capacity: list[dict]  # person rows with "cap_q1".. and "new_q1".. (changes in force)
    problems: list[str] = field(default_factory=list)  # solver problems, shown on the cover
    sheet_password: str = "kamplan"

    def layout(self) -> ResourceLayout:
        return ResourceLayout(
            self.language, self.identity.plan_year, currency=self.currency,
            schedule=[(r["person_id"], r["quarter"], r["request_id"]) for r in self.schedule],
            requests=[(r["request_id"],) for r in self.requests], accounts=[(r["account_id"],) for r in self.accounts],
            unmet=[(r["request_id"],) for r in self.unmet], people=[(r["person_id"],) for r in self.people],
            choices=[(r["request_id"],) for r in self.choices], capacity=[(r["person_id"],) for r in self.capacity])


def new_identity(plan_year: int, run_id: int, generated_at: dt.datetime | None = None) -> ResourceIdentity:
    stamp = (generated_at or dt.datetime.now()).replace(microsecond=0)
    return ResourceIdentity(kind=IDENTITY.kind, schema_version=IDENTITY.schema_version, plan_year=plan_year,
                            run_id=int(run_id), generated_at=stamp, workbook_id=uuid.uuid4().hex)
