"""Rules for finding, classifying and pricing key accounts (config key ``segmentation``).

Everything the account review computes is set here, with defaults that work on
history alone (no judgements yet):

* ``pareto``: which measure ranks the accounts (volume, revenue or gross margin),
  the share that makes the "core" (default 80 %), the A/B/C limits and an optional
  size threshold ("over 100 t a year", as seed 000 counts its key customers);
* ``profitability``: how account-level cost to serve is split over products, a cost
  per visit when the history's cost to serve leaves visits out, and the margin
  under which an account counts as unprofitable;
* ``scoring``: the indicators of seed 004 in three groups (hard, from data;
  strength and capability, judged on a scale), their weights, and how values are
  normalised across accounts;
* ``rules``: an ordered list of class rules, first match wins, each a list of
  conditions such as ``profit < 0`` or ``growth >= 15%`` on the metrics in
  ``METRICS``; ``default_class`` for accounts no rule matches;
* ``movement``: when a small account's growth makes it a candidate to develop and
  when a big account's decline is a warning;
* ``review``: how many accounts the review workbook lists.

``config/default.yaml`` shows and explains every key.
"""
from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import Field, model_validator

from kamplan.model import GROUPS, METRICS
from kamplan.config.base import Names, Strict, WholeScale
from kamplan.config.base import ConfigRule, refuse, rule

ClassId = Literal["key", "develop", "watch", "drop"]
Group = Literal["hard", "strength", "capability"]
Measure = Literal["volume", "revenue", "gross_margin"]

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"

# Metrics a data indicator may use (raw account figures, not scores or flags).
INDICATOR_METRICS: tuple[str, ...] = (
    "volume", "revenue", "gross_margin", "gross_margin_rate", "cost_to_serve", "cost_to_serve_rate", "visits",
    "visits_per_revenue", "profit", "profit_margin", "share", "growth",
)
OPERATORS: tuple[str, ...] = ("<=", ">=", "==", "!=", "<", ">")
_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|==|!=|<|>|=)\s*(\S.*?)\s*$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def _names(en: str, zh: str) -> Names:
    return Names(en=en, zh=zh)


# -- Pareto -------------------------------------------------------------------------------------------
class ParetoRules(Strict):
    """How accounts are ranked and which of them make up the core."""
    measure: Measure = Field("volume", description="what ranks the accounts")
    cutoff_share: float = Field(0.80, gt=0, le=1, description="the core makes up this share of the measure")
    abc: tuple[float, float] = Field((0.80, 0.95), description="A up to the first share, B up to the second")
    size_threshold: float | None = Field(None, ge=0, description="big = measure >= this (e.g. 100 t)")

    @model_validator(mode="after")
    def _abc_ordered(self):
        a, b = self.abc
        if not (0 < a < b <= 1):
            refuse("abc", "config.rule.abc", abc=str(list(self.abc)))
        return self


# -- profitability -------------------------------------------------------------------------------------
class ProfitabilityRules(Strict):
    allocation: Literal["revenue", "volume"] = Field(
        "revenue", description="how an account's cost to serve is split over its products")
    cost_per_visit: float = Field(0, ge=0, description="added per visit when cost_to_serve leaves visits out")
    unprofitable_margin: float = Field(0.0, ge=-1, le=1,
                                       description="profit margin under which an account is unprofitable")


# -- scoring -------------------------------------------------------------------------------------------
class Indicator(Strict):
    id: str = Field(pattern=_ID)
    name: Names
    group: Group
    source: Literal["data", "judgement"]
    metric: str | None = Field(None, description="for source: data, the account figure used")
    weight: float = Field(1.0, ge=0)
    higher_is_better: bool = True

    @model_validator(mode="after")
    def _metric_fits_source(self):
        if self.source == "data":
            if self.metric is None:
                refuse("metric", "config.rule.metric-needed", allowed=str(list(INDICATOR_METRICS)))
            if self.metric not in INDICATOR_METRICS:
                refuse("metric", "config.rule.metric-unknown", metric=repr(self.metric),
                       allowed=str(list(INDICATOR_METRICS)))
        elif self.metric is not None:
            refuse("metric", "config.rule.metric-judgement")
        return self


class JudgementScale(WholeScale):
    """Judgements are whole numbers from ``min`` (weakest) to ``max`` (strongest)."""
    min: int = Field(1, ge=0, le=100)
    max: int = Field(5, ge=1, le=100)


class GroupWeights(Strict):
    hard: float = Field(0.5, ge=0)
    strength: float = Field(0.25, ge=0)
    capability: float = Field(0.25, ge=0)

    def get(self, group: str) -> float:
        return float(getattr(self, group))


def _ind(id: str, en: str, zh: str, group: str, source: str, weight: float, metric: str | None = None,
         higher_is_better: bool = True) -> Indicator:
    return Indicator(id=id, name=_names(en, zh), group=group, source=source, metric=metric, weight=weight,
                     higher_is_better=higher_is_better)


# Seed 004: hard indicators (sales, gross margin, cost to serve, management cost, growth), strength
# indicators (capital, network, logistics, relations, people) and capability indicators (business
# thinking, management level, marketing method).
DEFAULT_INDICATORS: tuple[Indicator, ...] = (
    _ind("sales", "Sales", "销售额", "hard", "data", 0.30, "revenue"),
    _ind("gross_margin", "Gross margin rate", "毛利率", "hard", "data", 0.20, "gross_margin_rate"),
    _ind("cost_to_serve", "Cost to serve / revenue", "服务费用率", "hard", "data", 0.20, "cost_to_serve_rate",
         higher_is_better=False),
    _ind("management_cost", "Visits per million revenue", "管理成本(每百万销售额拜访次数)", "hard", "data", 0.10,
         "visits_per_revenue", higher_is_better=False),
    _ind("growth", "Growth", "增长", "hard", "data", 0.20, "growth"),
    _ind("capital", "Capital", "资金实力", "strength", "judgement", 1.0),
    _ind("network", "Network", "网络资源", "strength", "judgement", 1.0),
    _ind("logistics", "Logistics", "物流实力", "strength", "judgement", 1.0),
    _ind("relations", "Social relations", "社会关系", "strength", "judgement", 1.0),
    _ind("people", "People", "人力资源", "strength", "judgement", 1.0),
    _ind("thinking", "Business thinking", "经营思路", "capability", "judgement", 1.0),
    _ind("management", "Management level", "管理水平", "capability", "judgement", 1.0),
    _ind("marketing", "Marketing method", "营销方法", "capability", "judgement", 1.0),
)


class ScoringRules(Strict):
    indicators: tuple[Indicator, ...] = DEFAULT_INDICATORS
    group_weights: GroupWeights = GroupWeights()
    normalisation: Literal["percentile", "minmax"] = Field(
        "percentile", description="how data indicators are put on 0-100 across accounts")
    judgement_normalisation: Literal["scale", "percentile", "minmax"] = Field(
        "scale", description="how judgements are put on 0-100")
    scale: JudgementScale = JudgementScale()
    min_coverage: float = Field(0.6, ge=0, le=1, description="share of a group's weight that must be known")

    @model_validator(mode="after")
    def _consistent(self):
        problems = []
        seen: set[str] = set()
        for i, ind in enumerate(self.indicators):
            if ind.id in seen:
                problems.append(rule(f"indicators[{i}].id", "config.rule.id-twice", id=repr(ind.id)))
            seen.add(ind.id)
        for g in GROUPS:
            if self.group_weights.get(g) > 0 and not any(i.group == g and i.weight > 0 for i in self.indicators):
                problems.append(rule(f"group_weights.{g}", "config.rule.group-without-indicator",
                                     weight=self.group_weights.get(g)))
        if sum(self.group_weights.get(g) for g in GROUPS) <= 0:
            problems.append(rule("group_weights", "config.rule.group-weights"))
        if problems:
            raise ConfigRule(problems)
        return self

    def of_group(self, group: str) -> list[Indicator]:
        return [i for i in self.indicators if i.group == group]

    @property
    def judged(self) -> list[Indicator]:
        return [i for i in self.indicators if i.source == "judgement"]

    @property
    def from_data(self) -> list[Indicator]:
        return [i for i in self.indicators if i.source == "data"]


# -- class rules ---------------------------------------------------------------------------------------
class Condition(Strict):
    """``metric op value``; written in YAML as text, e.g. ``profit < 0``, ``growth >= 15%``, ``abc == C``."""
    metric: str
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: float | str

    @model_validator(mode="before")
    @classmethod
    def _parse_text(cls, data):
        if isinstance(data, str):
            m = _CONDITION.match(data)
            if not m:
                refuse("", "config.rule.not-a-condition", text=repr(data), operators=" ".join(OPERATORS))
            metric, op, raw = m.groups()
            op = "==" if op == "=" else op
            if _NUMBER.match(raw):
                value: float | str = float(raw.rstrip("%")) / (100 if raw.endswith("%") else 1)
            else:
                value = raw.strip("'\"")
            return {"metric": metric, "op": op, "value": value}
        return data

    @model_validator(mode="after")
    def _known(self):
        if self.metric not in METRICS:
            refuse("", "config.rule.not-a-metric", metric=repr(self.metric), known=", ".join(METRICS))
        kind = METRICS[self.metric][0]
        if kind == "text":
            if self.op not in ("==", "!="):
                refuse("", "config.rule.text-metric", metric=self.metric)
            if not isinstance(self.value, str):
                object.__setattr__(self, "value", _plain(self.value))
        elif isinstance(self.value, str):
            refuse("", "config.rule.number-metric", condition=str(self), metric=self.metric, value=repr(self.value))
        elif not math.isfinite(self.value):
            refuse("", "config.rule.not-finite", metric=self.metric)
        return self

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {_show_value(self.metric, self.value)}"


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _show_value(metric: str, value) -> str:
    if isinstance(value, str):
        return value
    if metric in ("growth", "share", "cum_share", "gross_margin_rate", "cost_to_serve_rate", "profit_margin",
                  "judged") and abs(value) < 10:
        return f"{value * 100:g}%"
    return f"{value:g}"


class SegmentRule(Strict):
    """One class rule: the account gets ``class`` when every condition of ``when`` holds."""
    id: str = Field(pattern=_ID)
    cls: ClassId = Field(alias="class")
    when: tuple[Condition, ...]
    name: Names | None = None

    @model_validator(mode="before")
    @classmethod
    def _some_conditions(cls, data):
        if isinstance(data, dict):
            when = data.get("when")
            if isinstance(when, str):  # a single condition written without a list
                data = {**data, "when": [when]}
            elif isinstance(when, (list, tuple)) and not when:
                refuse("when", "config.rule.when-empty")
        return data

    def label(self, language: str) -> str:
        return self.name.get(language) if self.name else self.id

    def text(self) -> str:
        return " and ".join(str(c) for c in self.when)


def _rule(id: str, cls: str, when: list[str], en: str, zh: str) -> SegmentRule:
    return SegmentRule.model_validate({"id": id, "class": cls, "when": when, "name": {"en": en, "zh-CN": zh}})


# Ordered; the first rule whose conditions all hold gives the class.  They need no judgements:
# size (big), profit and trend decide; potential (strength and capability) adds a way in for small
# accounts once judgements are entered.
DEFAULT_RULES: tuple[SegmentRule, ...] = (
    _rule("big-unprofitable", "watch", ["big == 1", "profit < 0"],
          "Big but loses money after cost to serve", "大客户但扣除服务成本后亏损"),
    _rule("big", "key", ["big == 1"], "Big account", "大客户"),
    _rule("high-potential", "develop", ["potential >= 70", "profit >= 0"],
          "Strong and capable, judged", "实力和能力评分高"),
    _rule("new", "develop", ["is_new == 1"], "New customer", "新客户"),
    _rule("growing", "develop", ["growth >= 15%", "profit >= 0"], "Growing and profitable", "增长且盈利"),
    _rule("unprofitable", "drop", ["profit < 0"], "Small and loses money", "小客户且亏损"),
    _rule("tail", "drop", ["abc == C"], "In the tail (class C)", "尾部客户(C类)"),
    _rule("declining", "watch", ["growth <= -20%"], "Buying much less", "采购量明显下降"),
)


class MovementRules(Strict):
    candidate_growth: float = Field(0.15, ge=0, description="a small account growing this much is a candidate")
    big_decline_warning: float = Field(0.20, ge=0, le=1,
                                       description="a big account falling this much is flagged (defection risk)")


class ReviewRules(Strict):
    max_rows: int = Field(2000, ge=10, le=100000, description="accounts listed in the review workbook")
    chart_points: int = Field(120, ge=10, le=2000, description="accounts shown in the Pareto chart")


class SegmentationRules(Strict):
    """The ``segmentation`` section of the planning config."""
    basis: Literal["year", "rolling"] = Field("year", description="last history year, or the last 4 quarters")
    pareto: ParetoRules = ParetoRules()
    profitability: ProfitabilityRules = ProfitabilityRules()
    scoring: ScoringRules = ScoringRules()
    rules: tuple[SegmentRule, ...] = DEFAULT_RULES
    default_class: ClassId = "develop"
    movement: MovementRules = MovementRules()
    review: ReviewRules = ReviewRules()

    @model_validator(mode="after")
    def _unique_rule_ids(self):
        seen: set[str] = set()
        problems = []
        for i, r in enumerate(self.rules):
            if r.id in seen:
                problems.append(rule(f"rules[{i}].id", "config.rule.rule-twice", id=repr(r.id)))
            seen.add(r.id)
        if problems:
            raise ConfigRule(problems)
        return self

    def rule(self, rule_id: str) -> SegmentRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)
