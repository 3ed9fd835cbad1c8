"""How support (executives, technical staff, outside advisors) is valued and allocated (config key ``resources``).

The pools, their people and capacities are ``support_pools``; this section says what a unit of
support is worth to an account and which rules bind (issue 5, after Lodish's CALLPLAN):

* **Money at stake** per account: the plan's target revenue of the account (``stake: target_revenue``;
  last year's revenue when the account has no target yet), or last year's revenue
  (``stake: last_year_revenue``);
* times its **profit margin** last year, (gross margin - cost to serve) / revenue, never below
  ``margin_floor`` (so a loss-making account still counts a little) -- when ``use_profitability``;
* times the class ``weight`` (risk and strategy: a watch account that may defect can be worth
  defending more per yuan than a safe one; drop accounts get no support when their class says
  ``support_eligible: false``).
* The **response** to support is concave per class (ADBUDG): ``share x s^c / (d + s^c)`` of that
  value for ``s`` priority-weighted units of one kind, flat after ``saturation`` units; ``share``
  is the most of the money at stake that support can secure.  Pool ``weights`` say what one unit
  of each kind is worth against a technical day (an executive visit counts ``3``).
* **Coverage**: "every key account gets at least one executive visit a year" is a hard rule;
  a rule that cannot hold with the capacities is reported, never silently dropped.
* ``receive_per_quarter``: how many units of support (all kinds) a customer of the class can
  receive in one quarter (empty = no limit).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from kamplan.config.base import Strict

ClassId = Literal["key", "develop", "watch", "drop"]
SupportKind = Literal["executive", "technical", "advisor"]
PriorityId = Literal["high", "medium", "low"]


class ClassResponse(Strict):
    weight: float = Field(1.0, ge=0, description="multiplier on the money at stake (risk, strategy)")
    share: float = Field(0.1, gt=0, le=1, description="most of the money at stake that support can secure")
    saturation: float = Field(12, gt=0, le=1000, description="units of one kind after which more adds nothing")
    c: float = Field(0.8, gt=0, le=5, description="ADBUDG shape; below 1 every unit adds less than the one before")
    d: float = Field(2.0, gt=0, description="ADBUDG: s^c = d gives half of share")


class CoverageRuleConfig(Strict):
    cls: ClassId = Field(alias="class")
    kind: SupportKind
    minimum: float = Field(ge=0, le=1000, description="units a year every eligible account of the class gets")


def _default_classes() -> dict:
    return {"key": ClassResponse(weight=1.0, share=0.12, c=0.8, d=1.5),
            "develop": ClassResponse(weight=1.0, share=0.10, c=0.7, d=2.5),
            "watch": ClassResponse(weight=1.2, share=0.08, c=0.6, d=1.0),
            "drop": ClassResponse(weight=0.3, share=0.04, saturation=4, c=0.5, d=4.0)}


class ResourceRules(Strict):
    stake: Literal["target_revenue", "last_year_revenue"] = "target_revenue"
    use_profitability: bool = True
    margin_floor: float = Field(0.02, ge=0, le=1)
    classes: dict[ClassId, ClassResponse] = Field(default_factory=_default_classes)
    pool_weights: dict[SupportKind, float] = Field(
        default_factory=lambda: {"executive": 3.0, "technical": 1.0, "advisor": 1.5})
    priority_weights: dict[PriorityId, float] = Field(
        default_factory=lambda: {"high": 1.0, "medium": 0.7, "low": 0.4})
    coverage: list[CoverageRuleConfig] = Field(
        default_factory=lambda: [CoverageRuleConfig(cls="key", kind="executive", minimum=1)])
    receive_per_quarter: dict[ClassId, float] = Field(default_factory=dict)
    time_limit: float = Field(10.0, gt=0, le=3600, description="seconds the optimiser may take")
