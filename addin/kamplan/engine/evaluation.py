"""Goal against result: attainment, variances and the price/volume/mix split of the revenue variance.

Amounts (volumes, revenue, gross margin) are summed at full precision, lines and groups alike, so
every total equals the sum of the imported lines (and the import's own totals) to the cent; they
are rounded only for display.  The variances and the split are whole cents: a line's variance is
its actual revenue in cents minus its target in cents (half away from zero, as a spreadsheet's
ROUND does); a group's variance likewise from the group's full-precision sums, and its price,
volume and mix parts are rounded by largest remainder so that they add up to it exactly.

Credit: every line is credited to the people of its account team (``kamplan.engine.credit``): the
goal of a person is the plan line x their share, the result the actuals credited to them (an ERP
line naming a salesperson counts for that person).  ``full_credit`` marks lines of full-credit
roles (overlay), which count for the person but are left out of company totals.

The split of one line (an account x product; V volume, R revenue, t target, a actual):

    target price  Pt = Rt / Vt          (when Vt = 0: the actual price Ra / Va, else 0)
    price effect     = Ra - Pt * Va     (what the price difference earned on the volume sold)
    volume effect    = Pt * Va - Rt     (what the volume difference earned at the target price)
    price + volume   = Ra - Rt          (exactly: the volume effect is the variance minus the price effect)

For a group of lines (an account, a salesperson, the company) the price effect is the sum of the
lines' price effects, and the lines' volume effects are split further into a pure volume effect
at the group's average target price and a mix effect (selling more of the dearer or cheaper
products):

    average target price  P = sum Rt / sum Vt       (when sum Vt = 0: sum Ra / sum Va, else 0)
    volume effect         = P * sum Va - sum Rt
    mix effect            = sum(Pt_i * Va_i) - P * sum Va
    price + volume + mix  = sum Ra - sum Rt         (exactly, in cents)

Amounts are whole cents held in floats, exact while they stay below 10^13 (2^53 cents).
Adding volumes of products sold in different units makes the group's volume effect meaningless
(the mix then carries the difference); the sum still holds.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import math

import numpy as np
import pandas as pd

from kamplan.engine.actuals import complaint_status
from kamplan.engine.credit import DEFAULT_FULL_CREDIT_ROLES, credit_actuals, credit_shares, credited, \
    largest_remainder_cents

PERIODS = ("q", "ytd")  # the quarter evaluated, and the year to date up to and including it
LINE_KEYS = ["rep_id", "account_id", "product_id", "full_credit"]
AMOUNTS = ("target_volume", "actual_volume", "target_revenue", "actual_revenue", "target_gm", "actual_gm")
ACTIVITY_KINDS = ("rep_visit", "exec_visit", "training", "service", "complaint")


def cents(values) -> np.ndarray:
    """Amounts as whole cents (int64), rounded half away from zero like ROUND(x, 2) in a spreadsheet.

    An amount that is a half cent in decimal is often a hair below it in binary (1234.565 is
    1234.56499999...); spreadsheets round what the number says in decimal, so the hundredfold amount is
    first rounded to 6 decimals, which removes that hair but no real fraction of a cent."""
    x = np.round(np.asarray(values, dtype="float64") * 100.0, 6)
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype("int64")


def attainment(actual, target):
    """actual / target where the target is above 0, else NaN (no target, nothing to attain)."""
    a = np.asarray(actual, dtype="float64")
    t = np.asarray(target, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t > 0, a / np.where(t > 0, t, 1.0), np.nan)


def money_attainment(actual, target):
    """Attainment of money as shown: the cents of actual / the cents of target (no target below half a cent)."""
    return attainment(cents(actual), cents(target))


def _ratio(num, den):
    n = np.asarray(num, dtype="float64")
    d = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, n / np.where(d > 0, d, 1.0), np.nan)


def split_line(target_volume, target_revenue, actual_volume, actual_revenue):
    """Price and volume effects (whole cents) of lines; revenues are rounded to the cent first.

    Returns ``(variance, price_effect, volume_effect)`` as int64 arrays with price + volume == variance.
    """
    vt = np.asarray(target_volume, dtype="float64")
    va = np.asarray(actual_volume, dtype="float64")
    rt_c = cents(target_revenue)
    ra_c = cents(actual_revenue)
    pt = _target_price(vt, rt_c / 100.0, va, ra_c / 100.0)
    variance = ra_c - rt_c
    price = cents(ra_c / 100.0 - pt * va)
    return variance, price, variance - price


def _target_price(vt, rt, va, ra):
    return np.where(vt > 0, _nz(_ratio(rt, vt)), np.where(va > 0, _nz(_ratio(ra, va)), 0.0))


def _nz(x):
    return np.nan_to_num(x, nan=0.0)


def split_group(target_volume, target_revenue, actual_volume, actual_revenue,
                weighted_at_target_price, price_cents: int | None = None) -> tuple[int, int, int, int]:
    """Price, volume and mix effects (whole cents) of a group of lines; see the module's formulas.

    The amounts are the group lines' full-precision values; ``weighted_at_target_price`` is
    sum(Pt_i * Va_i) over the group's lines.  Returns (variance, price, volume, mix) in cents:
    variance = cents(sum Ra) - cents(sum Rt), and price + volume + mix == variance (largest remainder).
    ``price_cents``: the price effect already decided (the sum of the lines' whole-cent price effects, as
    a workbook adds them up); the mix is then rounded on its own and the volume effect is the rest.
    """
    svt, sva = math.fsum(np.asarray(target_volume, "float64")), math.fsum(np.asarray(actual_volume, "float64"))
    srt, sra = math.fsum(np.asarray(target_revenue, "float64")), math.fsum(np.asarray(actual_revenue, "float64"))
    variance = int(cents(sra)) - int(cents(srt))
    p = srt / svt if svt > 0 else (sra / sva if sva > 0 else 0.0)
    weighted = float(weighted_at_target_price)
    parts = [sra - weighted, p * sva - srt, weighted - p * sva]  # price, volume, mix: they add to sra - srt
    if price_cents is not None:  # mix to the cent; volume is what is left of the variance (it closes exactly)
        mix = int(cents(parts[2]))
        return variance, int(price_cents), variance - int(price_cents) - mix, mix
    price, volume, mix = (int(x) for x in largest_remainder_cents(parts, total=variance / 100.0))
    return variance, price, volume, mix


# -- goal vs result per line ------------------------------------------------------------------------------
def credited_goals_and_results(targets: pd.DataFrame, actuals: pd.DataFrame, account_reps: Mapping[str, str],
                               team: pd.DataFrame | None = None,
                               full_credit_roles=DEFAULT_FULL_CREDIT_ROLES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan lines and the actuals once per credited person (``rep_id``) with ``full_credit``.

    The owner of an account is ``account_reps`` (else the plan line's rep); ``team``: the account teams
    (``store.account_team()``), None for none.  A target counts for a person by their credit share; an
    actual with a ``salesperson_id`` (the ERP's) counts for that person, one without by the shares.
    Volume, revenue and gross margin are multiplied by the share at full precision.
    """
    owners = {str(a): str(r) for a, r in zip(targets["account_id"], targets["rep_id"])}
    owners.update({str(a): str(r) for a, r in account_reps.items()})
    keys = pd.concat([targets[["account_id", "product_id"]], actuals[["account_id", "product_id"]]])
    shares = credit_shares(keys, team, owners, full_credit_roles)
    t = credited(targets.drop(columns=["rep_id"]), shares, ["volume", "revenue"])
    a = actuals.copy()
    if "salesperson_id" not in a.columns:
        a["salesperson_id"] = None
    present = [c for c in ("volume", "revenue", "gross_margin") if c in a.columns]
    a = credit_actuals(a, team, owners, full_credit_roles, present)
    return (t.rename(columns={"salesperson_id": "rep_id"}), a.rename(columns={"salesperson_id": "rep_id"}))


def goal_vs_result(targets: pd.DataFrame, actuals: pd.DataFrame, quarter: int,
                   account_reps: Mapping[str, str], margins: Mapping[str, float] | None = None,
                   team: pd.DataFrame | None = None, full_credit_roles=DEFAULT_FULL_CREDIT_ROLES) -> pd.DataFrame:
    """One row per salesperson x account x product: targets, results and the split, for the quarter and YTD.

    ``targets``: the year's plan lines (rep_id, account_id, product_id, quarter, volume, revenue);
    ``actuals``: the year's history rows (quarter, account_id, product_id, volume, revenue, gross_margin;
    optionally ``salesperson_id``, the ERP's salesperson, None where a line named none);
    ``account_reps``: account -> salesperson (the owner), for sales on lines without a target (and the
    salesperson of record when an account changed hands); ``margins``: product -> standard gross margin
    rate, which turns the revenue target into the gross margin target (0 when a product is unknown);
    ``team``, ``full_credit_roles``: the account teams that share the credit (``credited_goals_and_results``).

    Columns: rep_id, account_id, product_id, full_credit, then per period P in (q, ytd): P_target_volume,
    P_actual_volume, P_target_revenue, P_actual_revenue, P_target_gm, P_actual_gm (full precision),
    P_target_price, P_actual_price, P_volume_var, P_revenue_var, P_gm_var (whole cents), P_volume_att,
    P_revenue_att, P_gm_att, P_price_effect, P_volume_effect (whole cents), P_weighted (sum of target
    price x actual volume, for groups).
    """
    if not 1 <= int(quarter) <= 4:
        raise ValueError(f"quarter {quarter!r} must be 1-4")
    margins = margins or {}
    t, a = credited_goals_and_results(targets, actuals, account_reps, team, full_credit_roles)
    t["gm"] = t["revenue"].astype("float64") * t["product_id"].map(lambda p: float(margins.get(p, 0.0)))
    frames = {}
    for period in PERIODS:
        qs = [int(quarter)] if period == "q" else list(range(1, int(quarter) + 1))
        tq = t[t["quarter"].astype(int).isin(qs)].groupby(LINE_KEYS, sort=False)[["volume", "revenue", "gm"]].sum()
        aq = a[a["quarter"].astype(int).isin(qs)].groupby(LINE_KEYS, sort=False)[
            ["volume", "revenue", "gross_margin"]].sum()
        tq.columns = ["target_volume", "target_revenue", "target_gm"]
        aq.columns = ["actual_volume", "actual_revenue", "actual_gm"]
        frames[period] = (tq, aq)
    index = pd.MultiIndex.from_tuples([], names=LINE_KEYS)
    for tq, aq in frames.values():
        index = index.union(tq.index).union(aq.index)
    # every line of the year: also lines that have a target only in later quarters
    index = index.union(t.groupby(LINE_KEYS, sort=False).size().index)
    out = pd.DataFrame(index=index)
    for period, (tq, aq) in frames.items():
        f = tq.reindex(index).join(aq.reindex(index)).fillna(0.0)
        var, price, vol = split_line(f["target_volume"], f["target_revenue"], f["actual_volume"],
                                     f["actual_revenue"])
        pt = _target_price(f["target_volume"].to_numpy(), f["target_revenue"].to_numpy(),
                           f["actual_volume"].to_numpy(), f["actual_revenue"].to_numpy())
        p = period + "_"
        for col in AMOUNTS:
            out[p + col] = f[col].to_numpy()
        out[p + "target_price"] = _ratio(f["target_revenue"], f["target_volume"])
        out[p + "actual_price"] = _ratio(f["actual_revenue"], f["actual_volume"])
        out[p + "volume_var"] = f["actual_volume"] - f["target_volume"]
        out[p + "revenue_var"] = var / 100.0
        out[p + "gm_var"] = (cents(f["actual_gm"]) - cents(f["target_gm"])) / 100.0
        out[p + "volume_att"] = attainment(f["actual_volume"], f["target_volume"])
        out[p + "revenue_att"] = money_attainment(f["actual_revenue"], f["target_revenue"])
        out[p + "gm_att"] = money_attainment(f["actual_gm"], f["target_gm"])
        out[p + "price_effect"] = price / 100.0
        out[p + "volume_effect"] = vol / 100.0
        out[p + "weighted"] = pt * f["actual_volume"].to_numpy()
    out = out.reset_index().sort_values(LINE_KEYS, kind="mergesort").reset_index(drop=True)
    return out


def group_totals(lines: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Sums of ``goal_vs_result`` lines per group (``by`` = [] for one company total), with attainment
    and the price/volume/mix split of each period (P_mix_effect; see the module's formulas).

    The groups are found once and every column is summed group by group at full precision
    (``math.fsum`` over each group's slice); the split and the ratios are then worked out for all
    groups at once, with the same arithmetic as ``split_group`` (per group this took seconds at a
    few thousand accounts)."""
    by = list(by)
    keyed = lines.assign(_all="") if not by else lines
    keys = by or ["_all"]
    codes = keyed.groupby(keys, sort=True).ngroup().to_numpy()
    order = np.flatnonzero(codes >= 0)  # a line with a missing key is in no group (as groupby drops it)
    if not len(order):
        return pd.DataFrame()
    order = order[np.argsort(codes[order], kind="stable")]
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    starts, ends = np.concatenate(([0], bounds)), np.concatenate((bounds, [len(order)]))
    slices = list(zip(starts.tolist(), ends.tolist()))

    def fsums(column: str) -> np.ndarray:
        values = keyed[column].to_numpy(dtype="float64")[order].tolist()
        return np.array([math.fsum(values[s:e]) for s, e in slices], dtype="float64")

    out = {k: keyed[k].to_numpy()[order[starts]].tolist() for k in keys}
    for period in PERIODS:
        p = period + "_"
        for col in AMOUNTS:
            out[p + col] = fsums(p + col)
        # the group's price effect is its lines' (whole cents), so that a workbook's SUMIFS shows it
        line_cents = np.rint(keyed[p + "price_effect"].to_numpy(dtype="float64")[order] * 100.0)
        line_price = np.array([int(line_cents[s:e].sum()) for s, e in slices], dtype="int64")
        var, price, vol, mix = _split_groups(out[p + "target_volume"], out[p + "target_revenue"],
                                             out[p + "actual_volume"], out[p + "actual_revenue"],
                                             fsums(p + "weighted"), line_price)
        out[p + "revenue_var"] = var / 100.0
        out[p + "price_effect"] = price / 100.0
        out[p + "volume_effect"] = vol / 100.0
        out[p + "mix_effect"] = mix / 100.0
        out[p + "volume_var"] = out[p + "actual_volume"] - out[p + "target_volume"]
        out[p + "gm_var"] = (cents(out[p + "actual_gm"]) - cents(out[p + "target_gm"])) / 100.0
        out[p + "volume_att"] = attainment(out[p + "actual_volume"], out[p + "target_volume"])
        for what in ("revenue", "gm"):
            out[p + what + "_att"] = money_attainment(out[p + "actual_" + what], out[p + "target_" + what])
    frame = pd.DataFrame(out)
    if not by:
        frame = frame.drop(columns="_all")
    return frame


def _split_groups(svt, srt, sva, sra, weighted, price_cents) -> tuple[np.ndarray, ...]:
    """``split_group`` with ``price_cents`` given, for many groups at once from their full-precision sums:
    (variance, price, volume, mix) in whole cents, elementwise the same arithmetic."""
    variance = cents(sra) - cents(srt)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(svt > 0, srt / np.where(svt > 0, svt, 1.0),
                     np.where(sva > 0, sra / np.where(sva > 0, sva, 1.0), 0.0))
    mix = cents(weighted - p * sva)
    return variance, price_cents, variance - price_cents - mix, mix


def revenue_by_quarter(targets: pd.DataFrame, actuals: pd.DataFrame, through: int,
                       by: Sequence[str] = ()) -> pd.DataFrame:
    """Target and actual revenue per quarter (1-4); actuals only up to ``through`` (NaN after)."""
    by = list(by)
    keys = by + ["quarter"]
    t = _cents_that_add_up(targets, keys).rename("target_revenue")
    a = _cents_that_add_up(actuals[actuals["quarter"].astype(int) <= through], keys).rename("actual_revenue")
    out = pd.concat([t, a], axis=1).reset_index()
    grid = pd.DataFrame({"quarter": [1, 2, 3, 4]})
    if by:
        groups = out[by].drop_duplicates()
        grid = groups.merge(grid, how="cross")
    out = grid.merge(out, on=keys, how="left")
    out["target_revenue"] = out["target_revenue"].fillna(0).astype("int64") / 100.0
    out["actual_revenue"] = np.where(out["quarter"] <= through, out["actual_revenue"].fillna(0) / 100.0, np.nan)
    return out


def _cents_that_add_up(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Revenue per ``keys`` in whole cents, summed at full precision.  The parts of a quarter that make
    up the company's figure (everything but full-credit copies, e.g. an overlay's) are rounded together
    by largest remainder, so that the salespeople's quarters add up to the company's quarter to the cent;
    a full-credit part is rounded on its own."""
    full = frame["full_credit"].astype(bool) if "full_credit" in frame else pd.Series(False, index=frame.index)
    counted = frame[~full].groupby(keys)["revenue"].sum()
    out = pd.Series(0, index=counted.index, dtype="int64")
    for _, part in counted.groupby(level="quarter"):
        out.loc[part.index] = largest_remainder_cents(part.to_numpy())
    extra = frame[full].groupby(keys)["revenue"].sum()
    return out.add(pd.Series(cents(extra.to_numpy()), index=extra.index), fill_value=0).astype("int64")


# -- activity against plan ---------------------------------------------------------------------------------
def activity_vs_plan(plan_visits: pd.DataFrame, plan_trainings: pd.DataFrame, activities: pd.DataFrame,
                     quarter: int, account_reps: Mapping[str, str],
                     support_allocated: pd.DataFrame | None = None) -> pd.DataFrame:
    """Visits made against the visit cycle, trainings held against planned, support delivered, complaints.

    ``plan_visits``: account_id, quarter, rep_visits, exec_visits (the plan); ``plan_trainings``:
    account_id, quarter (one row per planned training); ``activities``: the year's activities
    (account_id, kind, quantity, status, quarter); ``support_allocated``: account_id, amount and
    optionally quarter (allocated support: executive visits, technical and advisor days; counted up
    to the quarter evaluated when quarters are given) or None when no allocation exists. Complaints are
    counted as ``engine.actuals.complaint_status`` reads them (by account and ref; the last status wins).

    One row per salesperson x account, for the quarter (q_) and the year to date (ytd_):
    P_rep_planned, P_rep_made, P_exec_planned, P_exec_made, P_trainings_planned, P_trainings_held,
    and ytd_support_delivered (executive visits + service quantities), support_allocated (NaN when
    unknown), open_complaints, complaints. Visits and services add up their quantities; trainings are
    counted as events (a training's quantity is the number of people trained).
    """
    accounts = sorted(set(plan_visits["account_id"]) | set(plan_trainings["account_id"])
                      | set(activities["account_id"]) | set(account_reps))
    out = pd.DataFrame({"account_id": accounts})
    out.insert(0, "rep_id", [account_reps.get(a, "") for a in accounts])
    act = activities.copy()
    act["quantity"] = pd.to_numeric(act["quantity"], errors="coerce").fillna(1.0)
    for period in PERIODS:
        qs = [int(quarter)] if period == "q" else list(range(1, int(quarter) + 1))
        pv = plan_visits[plan_visits["quarter"].astype(int).isin(qs)].groupby("account_id")[
            ["rep_visits", "exec_visits"]].sum()
        pt = plan_trainings[plan_trainings["quarter"].astype(int).isin(qs)].groupby("account_id").size()
        aq = act[act["quarter"].astype(int).isin(qs)]
        made = aq.groupby(["account_id", "kind"])["quantity"].sum().unstack(fill_value=0.0)
        # a training's quantity is the people trained: trainings held are counted as events
        held = aq[aq["kind"] == "training"].groupby("account_id").size()
        p = period + "_"
        out[p + "rep_planned"] = out["account_id"].map(pv["rep_visits"]).fillna(0.0).astype(float).to_numpy()
        out[p + "rep_made"] = _kind(out, made, "rep_visit")
        out[p + "exec_planned"] = out["account_id"].map(pv["exec_visits"]).fillna(0.0).astype(float).to_numpy()
        out[p + "exec_made"] = _kind(out, made, "exec_visit")
        out[p + "trainings_planned"] = out["account_id"].map(pt).fillna(0).astype(float).to_numpy()
        out[p + "trainings_held"] = out["account_id"].map(held).fillna(0).astype(float).to_numpy()
        if period == "ytd":
            out["ytd_support_delivered"] = out["ytd_exec_made"] + _kind(out, made, "service")
    if support_allocated is not None:
        sa_ = support_allocated
        if "quarter" in sa_.columns:  # allocated per quarter: up to the quarter evaluated
            sa_ = sa_[sa_["quarter"].astype(int) <= int(quarter)]
        alloc = sa_.groupby("account_id")["amount"].sum()
        out["support_allocated"] = out["account_id"].map(alloc).fillna(0.0).astype(float)
    else:
        out["support_allocated"] = np.nan
    if "ref" not in act.columns:
        act["ref"] = None
    if "date" not in act.columns:
        act["date"] = pd.NaT
    complaints = complaint_status(act[act["quarter"].astype(int) <= int(quarter)])
    open_ = complaints[complaints["status"] == "open"]
    out["complaints"] = out["account_id"].map(complaints.groupby("account_id").size()).fillna(0).astype(int)
    out["open_complaints"] = out["account_id"].map(open_.groupby("account_id").size()).fillna(0).astype(int)
    return out.sort_values(["rep_id", "account_id"], kind="mergesort").reset_index(drop=True)


def _kind(out: pd.DataFrame, made: pd.DataFrame, kind: str) -> np.ndarray:
    if kind not in made.columns:
        return np.zeros(len(out))
    return out["account_id"].map(made[kind]).fillna(0.0).astype(float).to_numpy()


# -- scorecard --------------------------------------------------------------------------------------------
def goal_numbers(results: pd.DataFrame, activity: pd.DataFrame, units=None) -> pd.DataFrame:
    """Per salesperson, target and result of each number goal, year to date.

    ``results``: goal_vs_result lines; ``activity``: activity_vs_plan rows; ``units``: the products'
    ``engine.units.UnitSystem`` (None: every volume is taken as one unit).
    Columns: rep_id, goal, target, result.  Units never mix (issue 12): the volume goal adds volume in
    one unit (converted where configured); a salesperson whose products' volumes do not compare gets
    no volume figures (NaN: no score; the other goals carry the weight).
    """
    rows = []
    sums = results.groupby("rep_id")[["ytd_target_revenue", "ytd_actual_revenue", "ytd_target_volume",
                                      "ytd_actual_volume", "ytd_target_gm", "ytd_actual_gm"]].sum()
    if units is not None and len(results):
        sums[["ytd_target_volume", "ytd_actual_volume"]] = _volume_in_one_unit(results, units)
    acts = activity.groupby("rep_id")[["ytd_rep_planned", "ytd_rep_made", "ytd_trainings_planned",
                                       "ytd_trainings_held"]].sum()
    for rep in sorted(set(sums.index) | set(acts.index)):
        def get(frame, col):
            return float(frame.at[rep, col]) if rep in frame.index else 0.0
        for goal, t, a in (("revenue", get(sums, "ytd_target_revenue"), get(sums, "ytd_actual_revenue")),
                           ("volume", get(sums, "ytd_target_volume"), get(sums, "ytd_actual_volume")),
                           ("gross_margin", get(sums, "ytd_target_gm"), get(sums, "ytd_actual_gm")),
                           ("visits", get(acts, "ytd_rep_planned"), get(acts, "ytd_rep_made")),
                           ("trainings", get(acts, "ytd_trainings_planned"), get(acts, "ytd_trainings_held"))):
            rows.append({"rep_id": rep, "goal": goal, "target": t, "result": a})
    return pd.DataFrame(rows, columns=["rep_id", "goal", "target", "result"])


# Goals where less is better: attainment is target / result (issue 15: complaints per visit report).
LOWER_IS_BETTER = ("complaint_rate",)
VISIT_REPORT_GOALS = ("satisfaction", "complaint_rate")


def visit_report_numbers(visits: pd.DataFrame, goals: Sequence, reps: Sequence[str]) -> pd.DataFrame:
    """Target and result of the visit-report goals (issue 15) per salesperson: rep_id, goal, target, result.

    ``visits``: the account plans' visit reports of the period (rep_id = whose plan holds the report,
    satisfaction 1-5 or blank, complaints_raised); ``goals``: the scorecard goals (their ``target``).
    satisfaction = the mean of the reports' satisfaction; complaint_rate = complaints raised / reports.
    A salesperson without a report has no result (no score: the other goals carry the weight)."""
    wanted = {g.id: g.target for g in goals if g.kind == "number" and g.id in VISIT_REPORT_GOALS}
    rows = []
    if not wanted:
        return pd.DataFrame(rows, columns=["rep_id", "goal", "target", "result"])
    v = visits if len(visits) else pd.DataFrame(columns=["rep_id", "satisfaction", "complaints_raised"])
    sat = pd.to_numeric(v.get("satisfaction"), errors="coerce")
    raised = pd.to_numeric(v.get("complaints_raised"), errors="coerce").fillna(0.0)
    for rep in reps:
        mine = (v["rep_id"] == rep).to_numpy()
        scored = sat[mine].dropna()
        found = {"satisfaction": float(scored.mean()) if len(scored) else np.nan,
                 "complaint_rate": float(raised[mine].sum() / mine.sum()) if mine.sum() else np.nan}
        rows += [{"rep_id": rep, "goal": g, "target": float(t), "result": found[g]} for g, t in wanted.items()]
    return pd.DataFrame(rows, columns=["rep_id", "goal", "target", "result"])


def goal_attainment(goal: str, result: float, target: float) -> float:
    """result / target; for a goal where lower is better (complaint_rate) target / result, and no
    complaint at all attains without limit (the cap decides).  NaN without a target or a result."""
    if goal in LOWER_IS_BETTER:
        if np.isnan(result) or not target > 0:
            return np.nan
        return np.inf if result <= 0 else float(target / result)
    return float(attainment(result, target))


def _volume_in_one_unit(results: pd.DataFrame, units) -> pd.DataFrame:
    """Per salesperson: year-to-date target and actual volume in their products' common unit, NaN where
    their volumes would mix."""
    out = {}
    for rep, g in results.groupby("rep_id"):
        products = list(dict.fromkeys(g["product_id"]))
        if not units.comparable_by_volume(products):
            out[rep] = (np.nan, np.nan)
            continue
        common = units.common_unit(products)
        f = g["product_id"].map(lambda p: units.factor(p, units.unit_of(p), common)).astype("float64")
        out[rep] = (float((g["ytd_target_volume"] * f).sum()), float((g["ytd_actual_volume"] * f).sum()))
    return pd.DataFrame.from_dict(out, orient="index", columns=["ytd_target_volume", "ytd_actual_volume"])


def scorecard(numbers: pd.DataFrame, goals: Sequence, reps: Sequence[str],
              ratings: Mapping[tuple[str, str], float | None] | None = None, attainment_cap: float = 1.2,
              scale: tuple[int, int] = (1, 5)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score each salesperson on the configured goals.

    ``goals``: objects with id, kind ("number" or "judgement") and weight (config ``Goal``);
    ``numbers``: ``goal_numbers``; ``ratings``: (rep_id, goal) -> the VP's rating on ``scale``.

    A number goal scores 100 x min(attainment, cap) (no score without a target); a judgement goal
    scores (rating - min) / (max - min) x 100 (no score without a rating). A rating given on a
    number goal is recorded but does not change its score. The total is the weighted mean of the
    goals that have a score.

    Returns (lines: rep_id, goal, kind, weight, target, result, attainment, rating, score;
    totals: rep_id, score, scored_weight, weight).
    """
    ratings = ratings or {}
    lo, hi = scale
    num = numbers.set_index(["rep_id", "goal"])
    rows = []
    for rep in reps:
        for g in goals:
            t = r = att = np.nan
            score = np.nan
            rating = ratings.get((rep, g.id))
            rating = np.nan if rating is None else float(rating)
            if g.kind == "number":
                if (rep, g.id) in num.index:
                    t, r = float(num.at[(rep, g.id), "target"]), float(num.at[(rep, g.id), "result"])
                else:
                    t, r = 0.0, 0.0
                att = goal_attainment(g.id, r, t)
                if np.isinf(att):  # no complaint at all: the cap, as the workbook shows it
                    att = float(attainment_cap)
                if not np.isnan(att):
                    score = 100.0 * min(att, attainment_cap)
            elif not np.isnan(rating):
                score = (rating - lo) / (hi - lo) * 100.0
            rows.append({"rep_id": rep, "goal": g.id, "kind": g.kind, "weight": float(g.weight), "target": t,
                         "result": r, "attainment": att, "rating": rating, "score": score})
    lines = pd.DataFrame(rows, columns=["rep_id", "goal", "kind", "weight", "target", "result", "attainment",
                                        "rating", "score"])
    totals = []
    for rep in reps:
        g = lines[lines["rep_id"] == rep]
        known = g["score"].notna()
        w = float(g.loc[known, "weight"].sum())
        total = float((g.loc[known, "weight"] * g.loc[known, "score"]).sum() / w) if w > 0 else np.nan
        totals.append({"rep_id": rep, "score": total, "scored_weight": w, "weight": float(g["weight"].sum())})
    return lines, pd.DataFrame(totals, columns=["rep_id", "score", "scored_weight", "weight"])


# -- class suggestions ---------------------------------------------------------------------------------------
def suggest_class_changes(classes: Mapping[str, str], revenue: pd.DataFrame, warned: Mapping[str, int],
                          rules) -> pd.DataFrame:
    """Suggested class for next year per account, from the year's results.

    ``classes``: account -> class this year; ``revenue``: account_id, target, actual (year to date),
    last_year (same quarters last year); ``warned``: account -> number of early-warning flags;
    ``rules``: config ``ClassChangeRules``.

    * develop -> key: attainment >= promote_attainment and growth >= promote_growth;
    * key -> watch: attainment < demote_attainment, or a decline of demote_decline or more, or two
      or more warnings;
    * watch -> key: attainment >= 1 and no warning; watch -> drop: still declining by demote_decline;
    * drop -> develop: attainment >= promote_attainment and growth >= promote_growth.
    Returns account_id, cls, suggested, attainment, growth, reason (English), reason_parts (catalogue keys
    and fields of the reason) -- only accounts whose class changes.
    """
    rows = []
    rev = revenue.set_index("account_id")
    for acc, cls in sorted(classes.items()):
        if acc not in rev.index:
            continue
        t, a, ly = (float(rev.at[acc, c]) for c in ("target", "actual", "last_year"))
        att = float(attainment(a, t))
        growth = a / ly - 1.0 if ly > 0 else np.nan
        new, why, parts = _class_change(cls, att, growth, int(warned.get(acc, 0)), rules)
        if new is not None:
            rows.append({"account_id": acc, "cls": cls, "suggested": new, "attainment": att, "growth": growth,
                         "reason": why, "reason_parts": parts})
    return pd.DataFrame(rows, columns=["account_id", "cls", "suggested", "attainment", "growth", "reason",
                                       "reason_parts"])


def _class_change(cls: str, att: float, growth: float, n_warn: int, rules) -> tuple[str | None, str, list]:
    """The suggested class, why in English and why as catalogue parts ``[(key, fields)]`` (``class-reason.*``,
    for the workbook's language); None: the class stays.  By the rules of ``suggest_class_changes``."""
    up = not np.isnan(att) and att >= rules.promote_attainment and (
        np.isnan(growth) or growth >= rules.promote_growth)
    declining = not np.isnan(growth) and growth <= -rules.demote_decline
    low = not np.isnan(att) and att < rules.demote_attainment
    new, parts = _class_rule(cls, att, growth, n_warn, (up, declining, low))
    if new is None:
        return None, "", []
    return new, ", ".join(_REASON_EN[k].format(**f) for k, f in parts), parts


def _class_rule(cls: str, att: float, growth: float, n_warn: int, judged: tuple[bool, bool, bool]
                ) -> tuple[str | None, list]:
    """``judged``: (up, declining, low) by the rules; returns the new class and the reason's parts."""
    up, declining, low = judged
    attained = ("class-reason.attainment", {"attainment": "" if np.isnan(att) else f"{att:.0%}"})
    grew = ("class-reason.growth", {"growth": "" if np.isnan(growth) else f"{growth:+.0%}"})
    grown = [] if np.isnan(growth) else [grew]
    if cls == "develop" and up:
        return "key", [attained, *grown]
    if cls == "key" and (low or declining or n_warn >= 2):
        warned = [("class-reason.warnings", {"count": str(n_warn)})] if n_warn >= 2 else []
        return "watch", [*([attained] if low else []), *([grew] if declining else []), *warned]
    if cls == "watch" and declining:
        return "drop", [("class-reason.still-declining", grew[1])]
    if cls == "watch" and not np.isnan(att) and att >= 1.0 and n_warn == 0:
        return "key", [("class-reason.recovered", attained[1])]
    if cls == "drop" and up:
        return "develop", [("class-reason.grew-again", attained[1]), *grown]
    return None, []


# English of the class-change reasons (the catalogue's ``class-reason.*`` says them in other languages)
_REASON_EN = {"class-reason.attainment": "attainment {attainment}", "class-reason.growth": "growth {growth}",
              "class-reason.warnings": "{count} early warnings",
              "class-reason.still-declining": "still declining: growth {growth}",
              "class-reason.recovered": "recovered: attainment {attainment}, no warnings",
              "class-reason.grew-again": "grew again: attainment {attainment}"}
