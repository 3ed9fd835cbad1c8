"""What support is worth to each account, and the allocation instance built from the plan.

Pure functions (no files, no store).  The stage ``stages/resources.py`` gathers the inputs:

* ``account_values(accounts, rules)``: per account the money at stake (the plan's target revenue,
  else last year's revenue, or last year's revenue by ``rules.stake``), last year's profit margin
  ((gross margin - cost to serve) / revenue, never below ``rules.margin_floor``), the class weight,
  and ``value = stake x margin x weight`` (margin 1 when ``rules.use_profitability`` is off);
* ``responses(rules)``: the concave response per class (ADBUDG sampled per unit, its concave hull);
* ``support_instance(...)``: the engine ``Instance`` with pools weighted by ``rules.pool_weights``,
  priorities by ``rules.priority_weights``, coverage rules from ``rules.coverage``, the customer's
  capacity to receive support from ``rules.receive_per_quarter``, and the VP's forced choices and
  capacity changes applied.
"""
from __future__ import annotations

import bisect
import dataclasses

import pandas as pd

from kamplan.periods import as_date, quarter_span, year_span
from kamplan.engine.resources.allocation import CoverageRule, Instance, Response, instance_from_config, with_capacity

VALUE_COLUMNS = ["account_id", "cls", "region", "stake", "stake_source", "margin", "class_weight", "value"]


def account_values(accounts: pd.DataFrame, rules) -> pd.DataFrame:
    """``accounts``: account_id, cls, region, target_revenue, last_revenue, gross_margin, cost_to_serve
    (the last three of last year; NaN or 0 when unknown).  Returns ``VALUE_COLUMNS``."""
    rows = []
    for r in accounts.to_dict("records"):
        target = _num(r.get("target_revenue"))
        last = _num(r.get("last_revenue"))
        if rules.stake == "target_revenue" and target > 0:
            stake, source = target, "target revenue"
        else:
            stake, source = max(last, 0.0), "last year's revenue"
        margin = 1.0
        if rules.use_profitability:
            if last > 0:
                margin = (_num(r.get("gross_margin")) - _num(r.get("cost_to_serve"))) / last
            else:
                margin = rules.margin_floor
            margin = min(max(margin, rules.margin_floor), 1.0)
        cls = r["cls"]
        cr = rules.classes.get(cls)
        weight = float(cr.weight) if cr is not None else 1.0
        rows.append((r["account_id"], cls, r.get("region") or "", stake, source, margin, weight,
                     stake * margin * weight))
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)


def responses(rules) -> dict:
    """Class -> concave ``Response`` (share of the account's value secured by s weighted units)."""
    return {cls: Response.adbudg(cr.saturation, c=cr.c, d=cr.d, r_max=cr.share) for cls, cr in rules.classes.items()}


def fiscal_quarter(calendar, plan_year: int):
    """``quarter_of(date)``: 1-4 within the fiscal year, 0 before it starts, 4 after it ends.
    ``calendar``: the config's ``Calendar`` (any kind, ``kamplan.periods``) or an int first month."""
    first, _ = year_span(calendar, plan_year)
    ends = [quarter_span(calendar, plan_year, q)[1] for q in (1, 2, 3)]

    def quarter_of(d) -> int:
        d = as_date(d)
        if d < first:
            return 0
        return bisect.bisect_left(ends, d) + 1
    return quarter_of


def support_instance(pools, classes, rules, values: pd.DataFrame, requests: pd.DataFrame, quarter_of,
                     force_in=(), force_out=(), capacity_changes: dict | None = None) -> Instance:
    """The allocation instance of a plan.

    ``pools``/``classes``: the config's ``support_pools`` and ``classes``; ``values``: from
    ``account_values``; ``requests``: ``request_id`` + ``model.REQUEST_COLUMNS``;
    ``capacity_changes``: (person id, quarter) -> capacity replacing the config's.
    """
    accounts = [_Acc(r.account_id, r.region, r.cls) for r in values.itertuples(index=False)]
    val = dict(zip(values["account_id"], values["value"]))
    receive = {}
    if rules.receive_per_quarter:
        for r in values.itertuples(index=False):
            if r.cls in rules.receive_per_quarter:
                receive[r.account_id] = {q: float(rules.receive_per_quarter[r.cls]) for q in (1, 2, 3, 4)}
    inst = instance_from_config(pools, classes, accounts, requests, responses(rules), quarter_of=quarter_of,
                                values=val, receive_capacity=receive, force_in=force_in, force_out=force_out)
    pool_objs = tuple(dataclasses.replace(p, weight=float(rules.pool_weights.get(p.kind, 1.0))) for p in inst.pools)
    cover = tuple(CoverageRule(c.cls, c.kind, float(c.minimum)) for c in rules.coverage if c.minimum > 0)
    inst = dataclasses.replace(inst, pools=pool_objs, rules=cover,
                               priority_weights={**inst.priority_weights, **dict(rules.priority_weights)})
    for (person, q), capacity in (capacity_changes or {}).items():
        inst = with_capacity(inst, person, int(q), float(capacity))
    return inst


@dataclasses.dataclass(frozen=True)
class _Acc:
    id: str
    region: str
    cls: str


def _num(x) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if x != x else x
