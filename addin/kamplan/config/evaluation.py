"""Rules of the quarterly and annual evaluation (config key ``evaluation``).

* ``scorecard``: the goals a salesperson is scored on. Number goals (revenue, volume, gross
  margin, visits, trainings, and from the account plans' visit reports satisfaction and complaint rate
  with their ``target``) score by attainment; judgement goals (relationship, account plan ...)
  score by the VP's rating on ``scale``. Each goal has a weight; the total score is the weighted
  mean of the goals that have a score.
* ``warnings``: when an account's numbers count as an early sign of defection.
* ``forecast``: how the year-end forecast reads the seasonality of earlier years.
* ``class_changes``: when the year's results suggest another class for next year.

``config/default.yaml`` shows and explains every key.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from kamplan.config.base import Names, Strict, WholeScale
from kamplan.config.base import refuse

NUMBER_GOALS: tuple[str, ...] = ("revenue", "volume", "gross_margin", "visits", "trainings", "satisfaction",
                                  "complaint_rate")
# Goals from the account plans' visit reports (issue 15): their target is given in the goal itself
# (``target``): satisfaction = the average satisfaction (1-5) of the salesperson's visit reports, year to
# date; complaint_rate = complaints raised per visit report (lower is better: attainment = target / result).
TARGET_GOALS: tuple[str, ...] = ("satisfaction", "complaint_rate")
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"


class Goal(Strict):
    id: str = Field(pattern=_ID)
    kind: Literal["number", "judgement"] = Field(
        description="number: scored by attainment (id must be one of revenue, volume, gross_margin, visits, "
                    "trainings); judgement: scored by the VP's rating")
    weight: float = Field(ge=0)
    name: Names | None = None
    target: float | None = Field(None, gt=0, le=1e6, description="the target of satisfaction (1-5) and "
                                 "complaint_rate (complaints per visit report); other goals take theirs from the plan")

    @model_validator(mode="after")
    def _number_goal_known(self):
        if self.kind == "number" and self.id not in NUMBER_GOALS:
            refuse("", "config.rule.goal-number", goal=repr(self.id), allowed=str(list(NUMBER_GOALS)))
        if self.kind == "number" and self.id in TARGET_GOALS and self.target is None:
            refuse("", "config.rule.goal-target", goal=repr(self.id))
        if self.target is not None and (self.kind != "number" or self.id not in TARGET_GOALS):
            refuse("", "config.rule.goal-no-target", goal=repr(self.id), allowed=str(list(TARGET_GOALS)))
        return self


class RatingScale(WholeScale):
    min: int = Field(1, ge=0, le=10)
    max: int = Field(5, ge=1, le=100)


DEFAULT_GOALS = [
    Goal(id="revenue", kind="number", weight=0.35),
    Goal(id="volume", kind="number", weight=0.15),
    Goal(id="gross_margin", kind="number", weight=0.15),
    Goal(id="visits", kind="number", weight=0.10),
    Goal(id="trainings", kind="number", weight=0.05),
    Goal(id="relationship", kind="judgement", weight=0.10,
         name=Names(en="Customer relationship", zh="客户关系")),
    Goal(id="account_plan", kind="judgement", weight=0.10,
         name=Names(en="Account plan kept up to date", zh="客户计划及时更新")),
]


class ScorecardRules(Strict):
    goals: list[Goal] = Field(default_factory=lambda: list(DEFAULT_GOALS), min_length=1)
    attainment_cap: float = Field(1.2, ge=1, le=3, description="attainment above this scores no higher")
    scale: RatingScale = RatingScale()

    @model_validator(mode="after")
    def _unique(self):
        ids = [g.id for g in self.goals]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            refuse("scorecard.goals", "config.rule.goals-twice", ids=str(dup))
        if sum(g.weight for g in self.goals) <= 0:
            refuse("scorecard.goals", "config.rule.goals-weight")
        return self


class WarningRules(Strict):
    yoy_decline: float = Field(0.15, ge=0, le=1, description="volume down this much vs the same quarter last year")
    plan_shortfall: float = Field(0.20, ge=0, le=1, description="volume this much under the quarter's target")
    trend_quarters: int = Field(3, ge=2, le=8,
                                description="moving annual total falling this many quarters in a row")
    visit_ratio: float = Field(0.5, ge=0, le=1, description="visits made under this share of the visit cycle")
    share_drop: float = Field(0.05, ge=0, le=1,
                              description="our share of the customer's purchases down this many points")
    min_revenue: float = Field(0, ge=0, description="accounts with less revenue in the last four quarters "
                                                    "are not warned about")
    complaint_days: int = Field(30, ge=1, le=3650, description="a complaint open longer than this many days "
                                                               "is an old-complaint flag")
    satisfaction_drop: float = Field(1.0, gt=0, le=4, description="average visit satisfaction (1-5) down this "
                                                                  "much against the quarter before")


class ForecastRules(Strict):
    history_years: int = Field(3, ge=1, le=10, description="earlier years whose seasonality is used")
    min_seen_share: float = Field(0.05, ge=0, le=1,
                                  description="below this seasonal share of the quarters so far, use the run-rate")


class ClassChangeRules(Strict):
    promote_attainment: float = Field(1.10, ge=0, description="revenue attainment that suggests moving up")
    promote_growth: float = Field(0.15, ge=-1, description="and growth vs last year (develop -> key)")
    demote_attainment: float = Field(0.70, ge=0, description="revenue attainment that suggests moving down")
    demote_decline: float = Field(0.20, ge=0, le=1, description="or a decline vs last year this large")


class EvaluationRules(Strict):
    scorecard: ScorecardRules = ScorecardRules()
    warnings: WarningRules = WarningRules()
    forecast: ForecastRules = ForecastRules()
    class_changes: ClassChangeRules = ClassChangeRules()
