"""Early warnings of defection per account (seeds 001, 003: an account drifts before it leaves).

Each flag names its evidence: the numbers and the periods they come from.

* ``yoy-decline``: the quarter's volume is more than ``yoy_decline`` below the same quarter last year;
* ``below-plan``: the quarter's volume is more than ``plan_shortfall`` below its target;
* ``falling-trend``: the moving annual total (the last four quarters' volume) fell ``trend_quarters``
  quarters in a row -- seasonality cannot cause that, since each step compares a quarter with the
  same quarter a year earlier;
* ``few-visits``: salesperson visits in the quarter under ``visit_ratio`` of the visit cycle;
* ``open-complaints``: complaints not resolved by the end of the quarter;
* ``lost-share``: our share of the customer's total purchases (where known) down more than
  ``share_drop`` (points) against the same quarter last year; with the account plans' usage
  (``engine.wallet``), a product's share of the customer's usage;
* the account-plan flags of ``engine.plan_warnings`` (``new-competitor``, ``opponent-decision-maker``,
  ``stale-plan``, ``satisfaction-drop``, ``old-complaint``), passed in as ``extra``.

Each flag has its evidence (an English sentence) and its *facts* (a dict of plain values, empty for the
figure flags) so a front end can say it in the workbook's language from the catalogue.

Accounts are ranked by **severity**, the sum of their flags' weights (``FLAG_WEIGHTS``: a drift in
the figures weighs more than a missed visit), so an account with four flags comes before one with a
single flag; equal severity by revenue at risk (their revenue over the last four quarters, what
leaving would cost a year), then by id.

Units never mix (issue 12): given a ``UnitSystem``, the volume flags use volume converted into one
unit where the products allow it, and *revenue* where they do not (bikes and socks): the evidence
then speaks of revenue, and ``lost-share`` (which compares with the customer's purchases in volume)
is left out.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kamplan.engine.units import UnitSystem
from kamplan.periods import quarter_index

FLAG_CODES = ("yoy-decline", "below-plan", "falling-trend", "few-visits", "open-complaints", "lost-share",
              "new-competitor", "opponent-decision-maker", "satisfaction-drop", "old-complaint", "stale-plan")
# How much each flag says about an account leaving: its own figures drifting (against last year, its
# plan, its trend, its share of the customer's purchases) weigh 2, an open complaint 1.5 (a reason to
# leave, not yet a sign), too few visits 1 (the salesperson's side, often a busy quarter).
# From the account plans: a decision maker against us or a new competitor is a reason to leave in the
# making (1.5, like an open complaint), a satisfaction drop 1.5, a complaint left open too long 1.5 on top
# of the open complaint itself, a plan not kept current 1 (the salesperson's side, like few visits).
FLAG_WEIGHTS = {"yoy-decline": 2.0, "below-plan": 2.0, "falling-trend": 2.0, "lost-share": 2.0,
                "open-complaints": 1.5, "few-visits": 1.0, "new-competitor": 1.5, "opponent-decision-maker": 1.5,
                "satisfaction-drop": 1.5, "old-complaint": 1.5, "stale-plan": 1.0}
COLUMNS = ["rank", "account_id", "rep_id", "severity", "revenue_at_risk", "flags", "evidence", "facts"]


def _label(qi: int) -> str:
    return f"{qi // 4} Q{qi % 4 + 1}"


def early_warnings(history: pd.DataFrame, year: int, quarter: int, rules, *,
                   account_reps: Mapping[str, str], targets: pd.DataFrame | None = None,
                   plan_visits: pd.DataFrame | None = None, visits_made: Mapping[str, float] | None = None,
                   open_complaints: pd.DataFrame | None = None,
                   customer_purchases: pd.DataFrame | None = None, unit: str = "",
                   units: UnitSystem | None = None, currency: str = "", wallet_flags=(),
                   extra=()) -> pd.DataFrame:
    """The ranked warning list for quarter ``quarter`` of ``year``.

    ``history``: HISTORY_COLUMNS of this and earlier years (actuals); ``rules``: config ``WarningRules``;
    ``targets``: the year's plan lines (account_id, quarter, volume); ``plan_visits``: account_id,
    quarter, rep_visits; ``visits_made``: account -> salesperson visits in the quarter;
    ``open_complaints``: account_id, date of complaints still open at the quarter's end;
    ``customer_purchases``: account_id, year, quarter, total_volume (the customer's purchases from
    everyone) where known; ``units``: the products' units and conversions (None: the volumes are taken
    as one unit, ``unit``); ``currency`` labels revenue in the evidence; ``wallet_flags``: the
    ``lost-share`` flags of ``engine.wallet.lost_share`` (they replace the ``customer_purchases`` ones of
    the same account); ``extra``: more flags as (account, (code, evidence, facts)) (``engine.plan_warnings``).
    Returns COLUMNS; flags is a list of codes, evidence a list of sentences and facts a list of dicts (one
    per flag, same order).
    """
    now = quarter_index(year, quarter)
    h = history.assign(qi=quarter_index(history["year"].astype(int), history["quarter"].astype(int)))
    measure, h, targets, u = _measure(h, targets, units, unit, currency)
    vol = h.groupby(["account_id", "qi"])[measure].sum()
    rev = h[(h["qi"] > now - 4) & (h["qi"] <= now)].groupby("account_id")["revenue"].sum()
    known = set(h["account_id"]) | set(account_reps)
    flags: dict[str, list[tuple[str, str, dict]]] = {a: [] for a in known}
    found = [*_volume_drift(vol, known, now, rules, u, measure)]
    if targets is not None and len(targets):
        found += _below_plan(vol, targets, quarter, now, rules, u, measure)
    if plan_visits is not None and len(plan_visits):
        found += _few_visits(plan_visits, visits_made or {}, quarter, now, rules)
    if open_complaints is not None and len(open_complaints):
        found += [(acc, ("open-complaints", f"{len(g)} open complaint(s), the oldest since {min(g['date'])}",
                         {"count": str(len(g)), "date": str(min(g["date"]))}))
                  for acc, g in open_complaints.groupby("account_id")]
    by_usage = {acc for acc, _ in wallet_flags}
    if customer_purchases is not None and len(customer_purchases) and measure == "volume":
        found += [f for f in _lost_share(vol, customer_purchases, now, rules) if f[0] not in by_usage]
    found += [*wallet_flags, *extra]
    for acc, flag in found:
        flags.setdefault(acc, []).append(flag if len(flag) == 3 else (*flag, {}))
    return _ranked(flags, rev, rules, account_reps)


Found = list[tuple[str, tuple]]  # (account, (flag code, evidence[, facts: the fields of its catalogue sentence]))


def _measure(h: pd.DataFrame, targets: pd.DataFrame | None, units: UnitSystem | None, unit: str, currency: str):
    """(measure column, history, targets, unit suffix): volume in one unit where the products allow it,
    converted where a conversion says how; otherwise revenue (volume in different units never adds)."""
    if units is None:
        return "volume", h, targets, (f" {unit}" if unit else "")
    products = set(h["product_id"]) | (set(targets["product_id"]) if targets is not None and len(targets) else set())
    if not units.comparable_by_volume(products):
        if targets is not None and len(targets) and "revenue" not in targets:
            targets = targets.assign(revenue=targets["volume"] * targets["price"])
        return "revenue", h, targets, (f" {currency}" if currency else "")
    common = units.common_unit(products) or unit
    h = h.assign(volume=units.converted(h, common)) if len(h) else h
    if targets is not None and len(targets):
        targets = targets.assign(volume=units.converted(targets, common))
    return "volume", h, targets, (f" {common}" if common else "")


def _volume(vol: pd.Series, acc: str, qi: int) -> float:
    return float(vol.get((acc, qi), 0.0))


def _volume_drift(vol: pd.Series, known: set, now: int, rules, u: str, what: str = "volume") -> Found:
    """``yoy-decline`` and ``falling-trend`` from the accounts' own volume (or revenue) history."""
    has = set(vol.index.get_level_values("qi"))
    out = []
    n = rules.trend_quarters
    steps = range(now - n, now + 1)
    for acc in known:
        cur, ly = _volume(vol, acc, now), _volume(vol, acc, now - 4)
        if (now - 4) in has and ly > 0 and cur < ly * (1 - rules.yoy_decline):
            out.append((acc, ("yoy-decline", f"{what} {_label(now)} {cur:,.1f}{u} vs {_label(now - 4)} "
                                             f"{ly:,.1f}{u} ({cur / ly - 1:+.0%})",
                              {"variant": what, "period": _label(now), "now": f"{cur:,.1f}",
                               "period_before": _label(now - 4), "before": f"{ly:,.1f}", "unit": u,
                               "change": f"{cur / ly - 1:+.0%}"})))
        if all(q in has and (q - 4) in has for q in steps):
            mat = [sum(_volume(vol, acc, q - k) for k in range(4)) for q in steps]
            if mat[0] > 0 and all(b < a for a, b in zip(mat, mat[1:])):
                steps_text = " → ".join(f"{m:,.1f}" for m in mat)
                out.append((acc, ("falling-trend", f"moving annual {what} fell {n} quarters in a row: "
                                  + steps_text + f"{u} ({_label(now - n)} to {_label(now)})",
                                  {"variant": what, "count": str(n), "steps": steps_text, "unit": u,
                                   "first": _label(now - n), "last": _label(now)})))
    return out


def _below_plan(vol: pd.Series, targets: pd.DataFrame, quarter: int, now: int, rules, u: str,
                what: str = "volume") -> Found:
    tq = targets[targets["quarter"].astype(int) == quarter].groupby("account_id")[what].sum()
    out = []
    for acc, t in tq.items():
        cur = _volume(vol, acc, now)
        if t > 0 and cur < t * (1 - rules.plan_shortfall):
            out.append((acc, ("below-plan", f"{what} {_label(now)} {cur:,.1f}{u} vs target {t:,.1f}{u} "
                                            f"({cur / t - 1:+.0%})",
                              {"variant": what, "period": _label(now), "now": f"{cur:,.1f}", "target": f"{t:,.1f}",
                               "unit": u, "change": f"{cur / t - 1:+.0%}"})))
    return out


def _few_visits(plan_visits: pd.DataFrame, made: Mapping[str, float], quarter: int, now: int, rules) -> Found:
    pv = plan_visits[plan_visits["quarter"].astype(int) == quarter].groupby("account_id")["rep_visits"].sum()
    out = []
    for acc, planned in pv.items():
        m = float(made.get(acc, 0.0))
        if planned > 0 and m < planned * rules.visit_ratio:
            out.append((acc, ("few-visits", f"{m:,.0f} of {planned:,.0f} planned visits in {_label(now)}",
                              {"made": f"{m:,.0f}", "planned": f"{planned:,.0f}", "period": _label(now)})))
    return out


def _lost_share(vol: pd.Series, customer_purchases: pd.DataFrame, now: int, rules) -> Found:
    cp = customer_purchases.assign(qi=quarter_index(customer_purchases["year"].astype(int),
                                                    customer_purchases["quarter"].astype(int)))
    total = cp.groupby(["account_id", "qi"])["total_volume"].sum()
    out = []
    for acc in set(cp["account_id"]):
        t_now, t_ly = float(total.get((acc, now), np.nan)), float(total.get((acc, now - 4), np.nan))
        if t_now > 0 and t_ly > 0:
            s_now, s_ly = _volume(vol, acc, now) / t_now, _volume(vol, acc, now - 4) / t_ly
            if s_ly - s_now > rules.share_drop:
                out.append((acc, ("lost-share", f"share of the customer's purchases {s_now:.0%} in {_label(now)} vs "
                                                f"{s_ly:.0%} in {_label(now - 4)}",
                                  {"variant": "purchases", "now": f"{s_now:.0%}", "period": _label(now),
                                   "before": f"{s_ly:.0%}", "period_before": _label(now - 4)})))
    return out


def _ranked(flags: dict[str, list[tuple[str, str, dict]]], rev: pd.Series, rules,
            account_reps: Mapping[str, str]) -> pd.DataFrame:
    """Accounts with a flag and at least ``min_revenue`` at risk, by severity, then revenue at risk, then id."""
    rows = []
    for acc, found in flags.items():
        if not found:
            continue
        at_risk = float(rev.get(acc, 0.0))
        if at_risk < rules.min_revenue:
            continue
        order = sorted(found, key=lambda f: FLAG_CODES.index(f[0]))
        rows.append({"account_id": acc, "rep_id": account_reps.get(acc, ""),
                     "severity": severity([c for c, _, _ in order]), "revenue_at_risk": at_risk,
                     "flags": [c for c, _, _ in order], "evidence": [e for _, e, _ in order],
                     "facts": [f for _, _, f in order]})
    rows.sort(key=lambda r: (-r["severity"], -r["revenue_at_risk"], r["account_id"]))
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return pd.DataFrame(rows, columns=COLUMNS)


def severity(flags) -> float:
    """The weight of an account's flags (``FLAG_WEIGHTS``): more and heavier flags, more severe."""
    return float(sum(FLAG_WEIGHTS.get(f, 1.0) for f in flags))


def with_min_flags(warnings: pd.DataFrame, min_flags: int) -> pd.DataFrame:
    """The warned accounts with at least ``min_flags`` flags, keeping their rank in the whole list."""
    if not len(warnings) or min_flags <= 1:
        return warnings
    return warnings[warnings["flags"].map(len) >= min_flags].reset_index(drop=True)
