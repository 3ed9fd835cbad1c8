"""Find, classify and price key accounts: indicators, scores, class rules, reasons, movement.

``segment()`` takes the sales history, the config's ``segmentation`` rules and a period and
returns a ``Segmentation``: one ranked row per account with its figures, Pareto shares,
profit, indicator scores, class, the rule and the values that gave it, last year's class
and flags; the account x product profit lines; the whale curve; the headline; the accounts
that moved class; the small accounts that are candidates to develop; and warnings.

How scores are made (the review workbook's formulas follow it):

* every indicator gets a raw value per account: data indicators from the account's figures
  (``Indicator.metric``), judgement indicators from the judgements entered on the scale;
* raw values are put on 0-100 across accounts.  ``percentile``: (average rank - 1) / (n - 1) x 100
  among the accounts with a value (ties share their average rank; one account alone gets 50);
  ``minmax``: (x - min) / (max - min) x 100 (all equal: 50); ``scale`` (judgements only):
  (x - scale.min) / (scale.max - scale.min) x 100.  Lower-is-better indicators are turned
  round (100 - value);
* a group's score is the weighted mean of its known normalised indicators, if the known ones
  carry at least ``min_coverage`` of the group's weight; otherwise the group score is unknown;
* ``score`` is the weighted mean of the group scores (every group with a weight must be known);
  ``potential`` the weighted mean of strength and capability (both must be known);
* nothing unknown is ever taken as zero: an account without judgements has no strength or
  capability score, a rule that needs it is not applied to the account, and the account is
  flagged and counted in a warning.

Class rules are ordered; the first whose conditions all hold gives the class.  A condition on
an unknown value (growth without last year's figure, a score without judgements) neither holds
nor fails: the rule is skipped for that account and the skip is recorded in the reason.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kamplan.model import GROUPS, METRICS
from kamplan.engine.pareto import Headline, headline, pareto
from kamplan.periods import Period
from kamplan.engine.profitability import (
    WhaleSummary, account_sums, add_ratios, in_period, prepare, product_lines, whale_curve,
)
from kamplan.problems import Message, Problem, problem  # Message: the engine's ground floor is kamplan.problems

# The engine reads the validated ``segmentation`` section of the config (kamplan.config.review's
# SegmentationRules and SegmentRule) by attribute only, so it does not import the config layer.
Rules = Any
Rule = Any

CLASS_IDS = ("key", "develop", "watch", "drop")
CLASS_ORDER = {"key": 3, "develop": 2, "watch": 1, "drop": 0}  # by attention: visits, executives, support
COVERAGE_EPS = 1e-9

# Metric names in reasons (English, Chinese).
METRIC_NAMES: dict[str, tuple[str, str]] = {
    "volume": ("volume", "销量"), "revenue": ("revenue", "销售额"), "gross_margin": ("gross margin", "毛利"),
    "gross_margin_rate": ("gross margin rate", "毛利率"), "cost_to_serve": ("cost to serve", "服务成本"),
    "cost_to_serve_rate": ("cost to serve / revenue", "服务成本率"), "visits": ("visits", "拜访次数"),
    "visits_per_revenue": ("visits per million revenue", "每百万销售额拜访次数"), "profit": ("profit", "利润"),
    "profit_margin": ("profit margin", "利润率"), "profit_rank": ("profit rank", "利润排名"),
    "measure": ("size", "规模"), "share": ("share", "占比"), "cum_share": ("cumulative share", "累计占比"),
    "rank": ("rank", "排名"), "core": ("in the core", "核心客户"), "big": ("big", "大客户"),
    "abc": ("ABC class", "ABC 类"), "previous": ("last period", "上期"), "growth": ("growth", "增长"),
    "is_new": ("new customer", "新客户"), "score_hard": ("hard score", "硬指标得分"),
    "score_strength": ("strength score", "实力得分"), "score_capability": ("capability score", "能力得分"),
    "score": ("score", "总分"), "potential": ("potential", "潜力(实力+能力)"), "judged": ("judged", "已评分比例"),
}
_PCT = {"growth", "share", "cum_share", "gross_margin_rate", "cost_to_serve_rate", "profit_margin", "judged"}
_MONEY = {"revenue", "gross_margin", "cost_to_serve", "profit"}

# Flags an account can carry (their words are the review workbook's labels, flag.<code>).
FLAGS: tuple[str, ...] = ("big-unprofitable", "big-declining", "develop-candidate", "judgements-missing",
                          "not-in-config", "no-sales", "override")


# -- small helpers ---------------------------------------------------------------------------------------
def fmt_value(metric: str, value, language: str = "en") -> str:
    """A metric's value as a person reads it in a reason."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "未知" if language == "zh-CN" else "unknown"
    if isinstance(value, str):
        return value
    kind = METRICS.get(metric, ("number", ""))[0]
    if kind == "flag":
        yes = bool(value)
        return ("是" if yes else "否") if language == "zh-CN" else ("yes" if yes else "no")
    if metric == "growth":
        return f"{value:+.0%}"
    if metric in _PCT:
        return f"{value:.1%}"
    if metric in _MONEY:
        return f"{value:,.0f}"
    if metric in ("rank", "profit_rank"):
        return f"{value:.0f}"
    if metric.startswith("score") or metric == "potential":
        return f"{value:.0f}"
    return f"{value:,.1f}"


def _metric_name(metric: str, language: str) -> str:
    en, zh = METRIC_NAMES.get(metric, (metric, metric))
    return zh if language == "zh-CN" else en


def _num(x) -> float | str | None:
    """A plain JSON-able value."""
    if x is None:
        return None
    if isinstance(x, str):
        return x
    x = float(x)
    return None if math.isnan(x) else x


# -- normalisation and scores ---------------------------------------------------------------------------
def normalise(values: pd.Series, method: str, higher_is_better: bool = True,
              scale: tuple[float, float] | None = None) -> pd.Series:
    """``values`` on 0-100 by ``method`` (percentile, minmax or scale); NaN stays NaN."""
    x = values.astype("float64")
    known = x.notna()
    out = pd.Series(np.nan, index=x.index, dtype="float64")
    k = x[known]
    if len(k):
        if method == "percentile":
            if len(k) == 1:
                out[known] = 50.0
            else:
                out[known] = (k.rank(method="average") - 1.0) / (len(k) - 1) * 100.0
        elif method == "minmax":
            lo, hi = float(k.min()), float(k.max())
            out[known] = 50.0 if hi == lo else (k - lo) / (hi - lo) * 100.0
        elif method == "scale":
            lo, hi = scale
            out[known] = (k - lo) / (hi - lo) * 100.0
        else:
            raise ValueError(f"unknown normalisation {method!r}")
    if not higher_is_better:
        out = 100.0 - out
    return out


def group_score(norm: pd.DataFrame, weights: dict[str, float], min_coverage: float) -> tuple[pd.Series, pd.Series]:
    """Weighted mean of the known normalised values, and the share of weight known (coverage)."""
    cols = [c for c, w in weights.items() if w > 0]
    if not cols:
        nan = pd.Series(np.nan, index=norm.index)
        return nan, nan
    w = np.array([weights[c] for c in cols], dtype="float64")
    v = norm[cols].to_numpy(dtype="float64")
    known = ~np.isnan(v)
    wk = (known * w).sum(axis=1)
    num = (np.where(known, v, 0.0) * w).sum(axis=1)
    total = w.sum()
    ok = (wk > 0) & (wk >= min_coverage * total - COVERAGE_EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(ok, num / wk, np.nan)
    return pd.Series(score, index=norm.index), pd.Series(wk / total, index=norm.index)


def weighted_all(parts: dict[str, pd.Series], weights: dict[str, float], index) -> pd.Series:
    """Weighted mean of ``parts`` with weight > 0; unknown unless every weighted part is known."""
    use = [g for g, w in weights.items() if w > 0]
    if not use:
        return pd.Series(np.nan, index=index, dtype="float64")
    num = sum(parts[g] * weights[g] for g in use)
    return num / sum(weights[g] for g in use)


# -- one period --------------------------------------------------------------------------------------------
@dataclass
class Evaluation:
    """Everything computed for one period."""
    period: Period
    metrics: pd.DataFrame  # index account_id, rank order; every METRICS column and the figures
    ranked: pd.DataFrame  # pareto() of the measure
    raw: pd.DataFrame  # indicator raw values (columns: indicator ids)
    norm: pd.DataFrame  # indicator values on 0-100
    classes: pd.DataFrame  # cls, rule, rule_values, skipped
    lines: pd.DataFrame
    whale: pd.DataFrame
    whale_summary: WhaleSummary
    judgement_problems: list[Problem] = field(default_factory=list)


def _judgement_table(judgements: pd.DataFrame | None, index: pd.Index, rules: Rules
                     ) -> tuple[pd.DataFrame, list[Problem]]:
    """Judgements pivoted to account x indicator on the scale; unknown or out-of-scale ones reported."""
    ids = [i.id for i in rules.scoring.judged]
    table = pd.DataFrame(np.nan, index=index, columns=ids, dtype="float64")
    problems: list[Problem] = []
    if judgements is None or len(judgements) == 0 or not ids:
        return table, problems
    lo, hi = rules.scoring.scale.min, rules.scoring.scale.max
    j = judgements[["account_id", "indicator", "score"]].copy()
    j["score"] = pd.to_numeric(j["score"], errors="coerce")
    unknown_ind = sorted(set(j["indicator"]) - set(ids))
    if unknown_ind:
        problems.append(problem("review.judgement-indicator-unknown", indicators=", ".join(unknown_ind)))
    j = j[j["indicator"].isin(ids)]
    bad = j[(j["score"] < lo) | (j["score"] > hi) | j["score"].isna()]
    if len(bad):
        ex = ", ".join(f"{r.account_id}/{r.indicator}={r.score:g}" for r in bad.head(5).itertuples())
        problems.append(problem("review.judgement-outside-scale", count=len(bad), low=lo, high=hi, examples=ex))
        j = j.drop(bad.index)
    stray = sorted(set(j["account_id"]) - set(index))
    if stray:
        problems.append(problem("review.judgement-account-unknown", count=len(stray),
                                accounts=", ".join(map(str, stray[:5])) + (" ..." if len(stray) > 5 else "")))
        j = j[j["account_id"].isin(index)]
    if len(j):
        piv = j.drop_duplicates(["account_id", "indicator"], keep="last").pivot(
            index="account_id", columns="indicator", values="score")
        table.update(piv.astype("float64"))
    return table, problems


def evaluate(history: pd.DataFrame, rules: Rules, period: Period, base_ids=(),
             judgements: pd.DataFrame | None = None) -> Evaluation:
    """Figures, Pareto, profit, scores and rule-based classes of every account for ``period``.

    The accounts are those in ``base_ids`` (the config's) and every account with history rows in
    the period or the previous one.
    """
    cfg = rules
    history = prepare(history)
    prev_period = period.previous()
    cur = account_sums(history, period)
    prev = account_sums(history, prev_period)
    ids = pd.Index(pd.unique(np.concatenate([np.asarray(list(base_ids), dtype=object),
                                             np.asarray(cur.index, dtype=object),
                                             np.asarray(prev.index, dtype=object)])), dtype=object)
    cur = add_ratios(cur.reindex(ids, fill_value=0.0), cfg.profitability.cost_per_visit)
    prev = prev.reindex(ids, fill_value=0.0)
    m = cfg.pareto.measure
    measure = cur[m]
    previous = prev[m]
    ranked = pareto(measure, cfg.pareto.cutoff_share, tuple(cfg.pareto.abc), cfg.pareto.size_threshold)
    order = pd.Index(ranked["account_id"], dtype=object)
    met = cur.reindex(order)
    met["measure"] = ranked["value"].to_numpy()
    for col in ("rank", "share", "cum_share", "abc"):
        met[col] = ranked[col].to_numpy()
    met["core"] = ranked["core"].to_numpy().astype("float64")
    met["big"] = ranked["big"].to_numpy().astype("float64")
    pv = previous.reindex(order).to_numpy(dtype="float64")
    mv = met["measure"].to_numpy()
    met["previous"] = pv
    with np.errstate(divide="ignore", invalid="ignore"):
        met["growth"] = np.where(pv > 0, mv / pv - 1.0, np.nan)
    met["is_new"] = ((pv <= 0) & (mv > 0)).astype("float64")
    whale, whale_summary = whale_curve(met["profit"])
    met["profit_rank"] = pd.Series(whale["profit_rank"].to_numpy(), index=whale["account_id"]).reindex(order)\
        .astype("float64").to_numpy()
    lines = product_lines(history, period, met["cost_to_serve"], cfg.profitability.allocation)

    # indicators
    sc = cfg.scoring
    judged, jproblems = _judgement_table(judgements, order, cfg)
    raw = pd.DataFrame(index=order)
    norm = pd.DataFrame(index=order)
    lo, hi = sc.scale.min, sc.scale.max
    for ind in sc.indicators:
        if ind.source == "data":
            raw[ind.id] = met[ind.metric].astype("float64")
            norm[ind.id] = normalise(raw[ind.id], sc.normalisation, ind.higher_is_better)
        else:
            raw[ind.id] = judged[ind.id]
            norm[ind.id] = normalise(raw[ind.id], sc.judgement_normalisation, ind.higher_is_better, (lo, hi))
    groups: dict[str, pd.Series] = {}
    for g in GROUPS:
        inds = sc.of_group(g)
        score, coverage = group_score(norm, {i.id: i.weight for i in inds}, sc.min_coverage)
        groups[g] = score
        met[f"score_{g}"] = score.to_numpy()
        met[f"coverage_{g}"] = coverage.to_numpy()
    gw = {g: sc.group_weights.get(g) for g in GROUPS}
    met["score"] = weighted_all(groups, gw, order).to_numpy()
    met["potential"] = weighted_all(groups, {g: gw[g] for g in ("strength", "capability")}, order).to_numpy()
    if sc.judged:
        met["judged"] = raw[[i.id for i in sc.judged]].notna().sum(axis=1).to_numpy() / len(sc.judged)
    else:
        met["judged"] = np.nan
    classes = classify(met, cfg.rules, cfg.default_class)
    met.index.name = "account_id"
    return Evaluation(period, met, ranked, raw, norm, classes, lines, whale, whale_summary, jproblems)


# -- class rules ---------------------------------------------------------------------------------------
def _condition(metrics: pd.DataFrame, cond) -> tuple[np.ndarray, np.ndarray]:
    """(known, holds) masks of one condition over the accounts."""
    col = metrics[cond.metric]
    if METRICS[cond.metric][0] == "text":
        vals = col.astype(object).to_numpy()
        known = np.array([v is not None and v == v for v in vals], dtype=bool)
        eq = np.array([str(v) == str(cond.value) for v in vals], dtype=bool)
        holds = eq if cond.op == "==" else ~eq
        return known, known & holds
    vals = col.to_numpy(dtype="float64")
    known = ~np.isnan(vals)
    t = float(cond.value)
    with np.errstate(invalid="ignore"):
        holds = {"<": vals < t, "<=": vals <= t, ">": vals > t, ">=": vals >= t,
                 "==": vals == t, "!=": vals != t}[cond.op]
    return known, known & holds


def classify(metrics: pd.DataFrame, rules: tuple[Rule, ...], default_class: str) -> pd.DataFrame:
    """The class of each account by the ordered rules (first match wins).

    Returns (index as ``metrics``) cls, rule (id, or "" for the default), rule_values (the matched
    rule's metrics and their values) and skipped (rules passed over for unknown values:
    ``[(rule_id, [metric, ...]), ...]``).
    """
    n = len(metrics)
    cls = np.full(n, default_class, dtype=object)
    rule_of = np.full(n, "", dtype=object)
    open_ = np.ones(n, dtype=bool)
    skipped: list[list] = [[] for _ in range(n)]
    for rule in rules:
        false_any = np.zeros(n, dtype=bool)
        unknown: list[tuple[str, np.ndarray]] = []
        for cond in rule.when:
            known, holds = _condition(metrics, cond)
            false_any |= known & ~holds
            unknown.append((cond.metric, ~known))
        unknown_any = np.zeros(n, dtype=bool)
        for _, u in unknown:
            unknown_any |= u
        match = open_ & ~false_any & ~unknown_any
        skip = open_ & ~false_any & unknown_any
        for i in np.flatnonzero(skip):
            skipped[i].append((rule.id, sorted({mt for mt, u in unknown if u[i]})))
        cls[match] = rule.cls
        rule_of[match] = rule.id
        open_ &= ~match
    by_id = {r.id: r for r in rules}
    cols = {c: metrics[c].to_numpy() for c in {c.metric for r in rules for c in r.when}}
    values = []
    for i in range(n):
        r = by_id.get(rule_of[i])
        values.append({} if r is None else {c.metric: _num(cols[c.metric][i]) for c in r.when})
    return pd.DataFrame({"cls": cls, "rule": rule_of, "rule_values": values, "skipped": skipped},
                        index=metrics.index)


def reason_text(rule: Rule | None, values: dict, skipped: list, default_class: str,
                language: str = "en", class_names: dict[str, str] | None = None) -> str:
    """Why an account has its class, in words: the rule and the values that met its conditions."""
    zh = language == "zh-CN"
    parts = []
    if rule is not None:
        conds = []
        for c in rule.when:
            v = values.get(c.metric)
            name = _metric_name(c.metric, language)
            if METRICS[c.metric][0] == "flag":
                conds.append(f"{name}: {fmt_value(c.metric, v, language)}")
            elif METRICS[c.metric][0] == "text":
                conds.append(f"{name} {v}")
            else:
                op = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "="}.get(c.op, c.op)
                conds.append(f"{name} {fmt_value(c.metric, v, language)} {op} {fmt_value(c.metric, c.value, language)}")
        sep = ";" if zh else "; "
        parts.append(f"{rule.label(language)} ({sep.join(conds)})" if not zh else
                     f"{rule.label(language)}({sep.join(conds)})")
    else:
        name = (class_names or {}).get(default_class, default_class)
        parts.append(f"无规则适用,默认为{name}" if zh else f"no rule applies; default class {name}")
    if skipped:
        items = []
        for rid, metrics in skipped:
            what = "、".join(_metric_name(m, language) for m in metrics) if zh else \
                ", ".join(_metric_name(m, language) for m in metrics)
            items.append(f"{rid}({what}未知)" if zh else f"{rid} ({what} unknown)")
        parts.append(("未判断:" + "、".join(items)) if zh else ("not checked: " + ", ".join(items)))
    return (";" if zh else "; ").join(parts)


def override_text(by, reason, language: str = "en") -> str:
    """Why an overridden account has its class: who set it and their reason."""
    who = by if isinstance(by, str) and by else "?"
    why = reason if isinstance(reason, str) else ""
    return f"副总调整({who}):{why}" if language == "zh-CN" else f"VP override ({who}): {why}"


# -- movement and candidates ---------------------------------------------------------------------------
def movement(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Class now against last year's, per account.

    ``current``: index account_id, columns class, reason.  ``previous``: columns account_id,
    class, reason, source.  Returns account_id, previous_class, class, change ("same", "up",
    "down", "new" without a class last year, "gone" with no class now), previous_reason,
    reason, previous_source; in ``current``'s order, gone accounts last.
    """
    cols = ["account_id", "previous_class", "class", "change", "previous_reason", "reason", "previous_source"]
    cur_ids = pd.Index(np.asarray(current.index, dtype=object))
    if previous is not None and len(previous):
        prev = previous.drop_duplicates("account_id", keep="last")
        prev = pd.DataFrame({c: prev[c].to_numpy(dtype=object) for c in ("class", "reason", "source")},
                            index=pd.Index(prev["account_id"].to_numpy(dtype=object)))
    else:
        prev = pd.DataFrame({c: pd.Series(dtype=object) for c in ("class", "reason", "source")},
                            index=pd.Index([], dtype=object))
    gone = prev.index[~prev.index.isin(cur_ids)]
    ids = cur_ids.append(pd.Index(np.asarray(gone, dtype=object)))
    now = np.concatenate([current["class"].to_numpy(dtype=object), np.full(len(gone), None, dtype=object)])
    reason = np.concatenate([current["reason"].to_numpy(dtype=object), np.full(len(gone), None, dtype=object)])
    p = prev.reindex(ids)
    then = p["class"].to_numpy(dtype=object)
    rank = {c: i for c, i in CLASS_ORDER.items()}
    r_now = np.array([rank.get(c, -1) if isinstance(c, str) else -1 for c in now])
    r_then = np.array([rank.get(c, -1) if isinstance(c, str) else -1 for c in then])
    change = np.select([r_now < 0, r_then < 0, r_now == r_then, r_now > r_then],
                       ["gone", "new", "same", "up"], "down").astype(object)
    then = np.where(r_then < 0, None, then)
    now = np.where(r_now < 0, None, now)
    out = pd.DataFrame({"account_id": np.asarray(ids, dtype=object), "previous_class": then, "class": now,
                        "change": change, "previous_reason": p["reason"].to_numpy(dtype=object), "reason": reason,
                        "previous_source": p["source"].to_numpy(dtype=object)})
    for c in ("previous_reason", "previous_source"):
        out[c] = [v if isinstance(v, str) else None for v in out[c]]
    return out[cols]


def develop_candidates(metrics: pd.DataFrame, candidate_growth: float,
                       size_threshold: float | None) -> pd.DataFrame:
    """Small accounts whose growth makes them candidates to develop (seed 004), fastest first.

    Small = not big; candidate = growth >= ``candidate_growth`` (or new this period), not losing
    money and buying something.  ``years_to_big``: years to reach the size of a big account at
    the current growth rate (the threshold, or the smallest core account's size).
    """
    m = metrics
    big_size = size_threshold
    if big_size is None:
        core = m.loc[m["core"] > 0, "measure"]
        big_size = float(core.min()) if len(core) else math.nan
    growing = (m["growth"] >= candidate_growth) | (m["is_new"] > 0)
    pick = (m["big"] <= 0) & growing & (m["profit"] >= 0) & (m["measure"] > 0)
    c = m.loc[pick, ["measure", "previous", "growth", "is_new", "profit", "profit_margin", "abc"]].copy()
    g = c["growth"].to_numpy(dtype="float64")
    v = c["measure"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        years = np.where((g > 0) & (v > 0) & (big_size > v), np.log(big_size / v) / np.log1p(g), np.nan)
    c["years_to_big"] = years
    c["big_size"] = big_size
    c.index.name = "account_id"
    c = c.reset_index()
    c["_g"] = c["growth"].fillna(np.inf)  # new customers first, then by growth
    c = c.sort_values(["_g", "account_id"], ascending=[False, True], kind="mergesort").drop(columns="_g")
    return c.reset_index(drop=True)


# -- the whole review -------------------------------------------------------------------------------------
@dataclass
class Segmentation:
    period: Period
    measure: str
    unit: str
    accounts: pd.DataFrame  # one row per account in rank order (see ``segment``)
    lines: pd.DataFrame  # account x product profit
    whale: pd.DataFrame
    whale_summary: WhaleSummary
    headline: Headline  # about the big accounts (threshold) or the core
    core_headline: Headline  # always about the core (cutoff share)
    raw: pd.DataFrame  # indicator raw values, index account_id
    norm: pd.DataFrame  # indicator values on 0-100
    movement: pd.DataFrame
    candidates: pd.DataFrame
    problems: list[Problem]
    previous_period: Period | None = None
    allocation: str = "revenue"  # how cost to serve was split over products (the rules applied)
    # the units of the company's volume when they do not add up (issue 12): then account and company
    # volume totals are left out (None) and only the product lines show volume
    mixed_units: tuple[str, ...] = ()

    def counts(self, column: str = "class") -> dict[str, int]:
        vc = self.accounts[column].value_counts()
        return {c: int(vc.get(c, 0)) for c in CLASS_IDS}


def _reasons(classes: pd.DataFrame, by_id: dict, rules: Rules, language: str,
             class_names: dict[str, str] | None) -> list[str]:
    """The class reasons, in words, of the rows of ``classes`` (cls, rule, rule_values, skipped)."""
    return [reason_text(by_id.get(r), v, s, rules.default_class, language, class_names)
            for r, v, s in zip(classes["rule"], classes["rule_values"], classes["skipped"])]


def _add_rule_classes(met: pd.DataFrame, classes: pd.DataFrame, reasons: list[str]) -> None:
    """The class the rules give, with the rule, its values, the skipped rules and the reason."""
    met["computed_class"] = classes["cls"].to_numpy()
    met["rule"] = classes["rule"].to_numpy()
    met["rule_values"] = classes["rule_values"].to_numpy()
    met["skipped"] = classes["skipped"].to_numpy()
    met["reason"] = reasons


def _add_own_shares(met: pd.DataFrame) -> None:
    """Shares of volume, revenue and gross margin in the ranking's order, and their own ranks."""
    order = met.index
    for col, short in (("volume", "volume"), ("revenue", "revenue"), ("gross_margin", "gm")):
        x = met[col].to_numpy(dtype="float64")
        total = x.sum()
        met[f"{short}_share"] = x / total if total > 0 else np.nan
        met[f"{short}_cum"] = np.cumsum(x) / total if total > 0 else np.nan
        own = pd.DataFrame({"id": np.asarray(order, dtype=object), "x": x})
        own = own.sort_values(["x", "id"], ascending=[False, True], kind="mergesort")
        met[f"{short}_rank"] = pd.Series(np.arange(1, len(own) + 1), index=own["id"].to_numpy()).reindex(order)\
            .to_numpy()


def _add_config_facts(met: pd.DataFrame, accounts: pd.DataFrame | None, base_ids: list) -> np.ndarray:
    """Name, rep, region and config class from the config's account list; returns which accounts are in it."""
    order = met.index
    info = accounts.set_index("account_id") if accounts is not None and len(accounts) else None
    for col in ("name", "rep", "region", "config_class"):
        if info is not None and col in info.columns:
            met[col] = info[col].reindex(order).to_numpy(dtype=object)
        else:
            met[col] = None
    in_config = np.isin(np.asarray(order, dtype=object), np.asarray(base_ids, dtype=object))
    met["in_config"] = in_config
    met.loc[~in_config, "name"] = np.asarray(order, dtype=object)[~in_config]
    return in_config


def _add_overrides(met: pd.DataFrame, overrides: pd.DataFrame | None, problems: list[Problem]) -> None:
    """The VP's overrides of the accounts in this review (overrides of other accounts: a problem)."""
    order = met.index
    for col in ("override_class", "override_reason", "override_by", "override_at"):
        met[col] = None
    if overrides is None or not len(overrides):
        return
    ov = overrides.drop_duplicates("account_id", keep="last").set_index("account_id")
    stray = sorted(set(ov.index) - set(order))
    if stray:
        problems.append(problem("review.override-account-unknown", count=len(stray),
                                accounts=", ".join(map(str, stray[:5]))))
    ov = ov[ov.index.isin(order)]
    for src, dst in (("class", "override_class"), ("reason", "override_reason"), ("by", "override_by"),
                     ("at", "override_at")):
        if src in ov.columns:
            s = pd.Series(met[dst].to_numpy(dtype=object), index=order)
            s.loc[ov.index] = ov[src].to_numpy(dtype=object)
            met[dst] = s.to_numpy(dtype=object)


def _add_effective_class(met: pd.DataFrame, language: str) -> np.ndarray:
    """The class that counts: the override, else the computed one; returns which accounts are overridden."""
    has_override = np.array([isinstance(c, str) and c in CLASS_ORDER for c in met["override_class"]], dtype=bool)
    met["class"] = np.where(has_override, met["override_class"].to_numpy(dtype=object),
                            met["computed_class"].to_numpy(dtype=object))
    met["class_source"] = np.where(has_override, "override", "rules")
    met["class_reason"] = [override_text(b, r, language) if o else why for o, b, r, why in
                           zip(has_override, met["override_by"], met["override_reason"], met["reason"])]
    return has_override


def _computed_previous(history: pd.DataFrame, rules: Rules, prev_period: Period, base_ids: list,
                       judgements: pd.DataFrame | None) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Last year's classes computed from the history with the same rules (accounts active then only),
    and their rule table; (None, None) without history in that period."""
    if not in_period(history, prev_period).any():
        return None, None
    pev = evaluate(history, rules, prev_period, base_ids, judgements)
    active = (pev.metrics[["volume", "revenue", "gross_margin", "cost_to_serve", "visits"]] != 0).any(axis=1)
    pev.metrics, pev.classes = pev.metrics[active], pev.classes[active.to_numpy()]
    previous = pd.DataFrame({
        "account_id": pev.metrics.index.to_numpy(dtype=object),
        "class": pev.classes["cls"].to_numpy(dtype=object), "reason": None, "source": "computed"})
    return previous, pev.classes


def _add_movement(met: pd.DataFrame, mv: pd.DataFrame) -> np.ndarray:
    """Last year's class and the change per account; returns the idle accounts (no class then, no sales now)."""
    order = met.index
    prev_map = mv.set_index("account_id")
    met["previous_class"] = prev_map["previous_class"].reindex(order).to_numpy(dtype=object)
    met["previous_source"] = prev_map["previous_source"].reindex(order).to_numpy(dtype=object)
    change = prev_map["change"].reindex(order).to_numpy(dtype=object)
    idle = (change == "new") & (met["measure"].to_numpy() == 0)
    change[idle] = "none"  # no class last year and no sales now: nothing moved
    met["change"] = change
    return idle


def _add_flags(met: pd.DataFrame, rules: Rules, cand_set: set, in_config: np.ndarray,
               has_override: np.ndarray) -> None:
    pm = rules.profitability.unprofitable_margin
    margin = met["profit_margin"].to_numpy(dtype="float64")
    profit = met["profit"].to_numpy(dtype="float64")
    unprofitable = np.where(np.isnan(margin), profit < 0, margin < pm)
    big = met["big"].to_numpy() > 0
    growth = met["growth"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        declining = growth <= -rules.movement.big_decline_warning
    judgements_missing = (met["judged"].to_numpy(dtype="float64") < 1) & bool(len(rules.scoring.judged))
    no_sales = met["measure"].to_numpy() == 0
    checks = (("big-unprofitable", big & unprofitable), ("big-declining", big & declining),
              ("develop-candidate", np.array([a in cand_set for a in met.index], dtype=bool)),
              ("judgements-missing", judgements_missing), ("not-in-config", ~in_config),
              ("no-sales", no_sales), ("override", has_override))
    met["flags"] = [[code for code, hit in checks if hit[i]] for i in range(len(met))]


def _judgement_warning(met: pd.DataFrame, rules: Rules) -> list[Problem]:
    n_judged = len(rules.scoring.judged)
    if not n_judged:
        return []
    judged = met["judged"].to_numpy(dtype="float64")
    missing = ~(judged >= 1)
    n_miss = int(missing.sum())
    if not n_miss:
        return []
    scores_missing = int(round(((1 - np.nan_to_num(judged[missing])) * n_judged).sum()))
    names = [i.id for i in rules.scoring.judged]
    return [problem("review.judgements-missing", missing=n_miss, accounts=len(met), scores_missing=scores_missing,
                    scores=len(met) * n_judged, indicators=", ".join(names), low=rules.scoring.scale.min,
                    high=rules.scoring.scale.max)]


def _skipped_rule_warnings(met: pd.DataFrame) -> list[Problem]:
    skipped_count: dict[str, tuple[int, set]] = {}
    for sk in met["skipped"]:
        for rid, ms in sk:
            n, s = skipped_count.get(rid, (0, set()))
            skipped_count[rid] = (n + 1, s | set(ms))
    return [problem("review.rule-not-checked", rule=repr(rid), count=n, unknown=", ".join(sorted(ms)))
            for rid, (n, ms) in skipped_count.items()]


def _review_warnings(met: pd.DataFrame, rules: Rules, period: Period, hl: Headline,
                     ev: Evaluation, base_ids: list, in_config: np.ndarray) -> list[Problem]:
    """Warnings about the whole review: totals not positive, judgements missing, rules not checked,
    accounts not in the config."""
    problems: list[Problem] = []
    if not hl.defined:
        problems.append(problem("review.pareto-total-not-positive", measure=rules.pareto.measure.replace("_", " "),
                                total=hl.total, period=period.label))
    if not ev.whale_summary.defined and len(met):
        problems.append(problem("review.profit-total-not-positive", profit=ev.whale_summary.total_profit,
                                period=period.label))
    problems += _judgement_warning(met, rules)
    problems += _skipped_rule_warnings(met)
    n_stray = int((~in_config).sum())
    if base_ids and n_stray:
        ex = ", ".join(map(str, np.asarray(met.index, dtype=object)[~in_config][:5]))
        problems.append(problem("review.accounts-not-in-config", count=n_stray,
                                examples=ex + (" ..." if n_stray > 5 else "")))
    return problems


def segment(history: pd.DataFrame, rules: Rules, period: Period, *,
            accounts: pd.DataFrame | None = None, judgements: pd.DataFrame | None = None,
            overrides: pd.DataFrame | None = None, previous: pd.DataFrame | None = None,
            unit: str = "", currency: str = "", language: str = "en",
            class_names: dict[str, str] | None = None) -> Segmentation:
    """Rank, price, score and classify every account for ``period``.

    * ``accounts``: account_id, name, rep, region, config_class (the config's account list);
      accounts in the history but not in it are kept and flagged;
    * ``judgements``: account_id, indicator, score (the effective judgements, on the scale);
    * ``overrides``: account_id, class, reason, by, at (the VP's current overrides);
    * ``previous``: account_id, class, reason, source: last year's classes.  When None, they are
      computed from the history of the previous period with the same rules and judgements
      (source "computed").

    The ``accounts`` frame of the result has, per account in rank order: the figures and
    ratios, measure/share/cum_share/rank/core/big/abc, revenue and gross-margin shares in the
    same order, profit and profit_rank, previous/growth/is_new, the scores and coverage,
    computed_class/rule/reason/rule_values/skipped, override_class/override_reason/override_by/
    override_at, class (effective: override, else computed), class_source and class_reason,
    previous_class and change, flags (list of codes).
    """
    problems: list[Problem] = []
    base_ids = list(accounts["account_id"]) if accounts is not None and len(accounts) else []
    history = prepare(history)
    # metrics and scores
    ev = evaluate(history, rules, period, base_ids, judgements)
    problems += ev.judgement_problems
    met = ev.metrics.copy()
    order = met.index
    # rules
    by_id = {r.id: r for r in rules.rules}
    _add_rule_classes(met, ev.classes, _reasons(ev.classes, by_id, rules, language, class_names))
    _add_own_shares(met)
    in_config = _add_config_facts(met, accounts, base_ids)
    # classes
    _add_overrides(met, overrides, problems)
    has_override = _add_effective_class(met, language)
    # movement
    prev_period = period.previous()
    prev_classes = None
    if previous is None:
        previous, prev_classes = _computed_previous(history, rules, prev_period, base_ids, judgements)
    mv = movement(pd.DataFrame({"class": met["class"], "reason": met["class_reason"]}, index=order), previous)
    if prev_classes is not None:  # last year's reasons, in words, for the accounts that moved only
        moved = mv["change"].isin(["up", "down", "gone"]).to_numpy()
        pc = prev_classes.reindex(mv.loc[moved, "account_id"].to_numpy(dtype=object))
        mv.loc[moved, "previous_reason"] = _reasons(pc, by_id, rules, language, class_names)
    idle = _add_movement(met, mv)
    cands = develop_candidates(met, rules.movement.candidate_growth, rules.pareto.size_threshold)
    _add_flags(met, rules, set(cands["account_id"]), in_config, has_override)

    # headlines
    hl = headline(ev.ranked, rules.pareto.measure, unit if rules.pareto.measure == "volume" else currency,
                  period.label, rules.pareto.cutoff_share, rules.pareto.size_threshold)
    core_hl = headline(ev.ranked, rules.pareto.measure, unit if rules.pareto.measure == "volume" else currency,
                       period.label, rules.pareto.cutoff_share, None, by="cutoff")
    problems += _review_warnings(met, rules, period, hl, ev, base_ids, in_config)
    return Segmentation(period=period, measure=rules.pareto.measure, unit=unit, accounts=met, lines=ev.lines,
                        whale=ev.whale, whale_summary=ev.whale_summary, headline=hl, core_headline=core_hl,
                        raw=ev.raw, norm=ev.norm,
                        movement=mv[~mv["account_id"].isin(order[idle]) & (mv["change"] != "same")]
                        .reset_index(drop=True),
                        candidates=cands, problems=problems, previous_period=prev_period,
                        allocation=rules.profitability.allocation)


def effective_classes(config_classes: dict[str, str], computed: dict[str, str] | None = None,
                      overrides: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """Per account: (class, source) with the VP's override first, then the computed class, then the
    config's class.  Source is "override", "rules" or "config"."""
    out: dict[str, tuple[str, str]] = {a: (c, "config") for a, c in config_classes.items()}
    for a, c in (computed or {}).items():
        out[a] = (c, "rules")
    for a, c in (overrides or {}).items():
        if c in CLASS_ORDER:
            out[a] = (c, "override")
    return out


# -- units never mix (issue 12) ---------------------------------------------------------------------------
@dataclass
class VolumeBasis:
    """How the review may use volume: ``history`` with volume in ``unit`` where the products share one (or
    convert to one), the ``rules`` actually applied (the measure and the cost split fall back to revenue
    where volumes would mix), the accounts whose own volume would mix units, and why (``problems``)."""
    history: pd.DataFrame
    rules: Rules
    unit: str  # "" when the company's volume is in several units
    mixed_accounts: set
    units: list[str]  # the units of the products in the history
    problems: list[Problem]


def volume_basis(history: pd.DataFrame, rules: Rules, units) -> VolumeBasis:
    """Convert the history's volume into one unit where ``units`` (an ``engine.units.UnitSystem``) allows,
    and switch the Pareto measure and the cost-to-serve split to revenue where volumes cannot be
    compared (different units without a conversion, or products of very different kinds in one unit)."""
    seen = set(history["product_id"]) if len(history) else set(units.product_units)
    order = list(units.product_units)  # the config's order, so the units are named as the company lists them
    products = [p for p in order if p in seen] + sorted(seen - set(order))
    common = units.common_unit(products)
    names = units.units(products)
    if common is not None and len(history):
        history = history.assign(volume=units.converted(history, common))
    problems: list[Problem] = []
    if not units.comparable_by_volume(products):
        why = (Message("review.units-differ", units=", ".join(names)) if common is None else
               Message("review.prices-apart", unit=common))
        if rules.pareto.measure == "volume":
            dropped = rules.pareto.size_threshold is not None
            rules = rules.model_copy(update={"pareto": rules.pareto.model_copy(
                update={"measure": "revenue", "size_threshold": None})})
            problems.append(problem("review.mixed-units-ranked-threshold" if dropped else "review.mixed-units-ranked",
                                    why=why, cell="segmentation.pareto.measure"))
        if rules.profitability.allocation == "volume":
            rules = rules.model_copy(update={"profitability": rules.profitability.model_copy(
                update={"allocation": "revenue"})})
            problems.append(problem("review.mixed-units-allocation", why=why,
                                    cell="segmentation.profitability.allocation"))
    mixed: set = set()
    if common is None and len(history):
        lines = history[["account_id", "product_id"]].drop_duplicates()
        per = lines.assign(unit=lines["product_id"].map(units.unit_of)).groupby("account_id")["unit"].nunique()
        mixed = set(per[per > 1].index)
    return VolumeBasis(history, rules, common or "", mixed, names, problems)
