"""Quarterly and annual evaluation: goal against result, forecast, activities, scorecards, warnings.

``evaluate`` writes one workbook per salesperson and one for the VP into ``reports/``;
``collect_evaluations`` reads the VP's ratings, comments and service statuses back;
``annual_evaluation`` writes each salesperson's annual evaluation and the VP's summary;
``warning_list`` gives the ranked early warnings. Nothing here prints; front ends format.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kamplan.engine.actuals import complaint_status
from kamplan.engine.early_warnings import early_warnings
from kamplan.engine.evaluation import (
    activity_vs_plan, credited_goals_and_results, goal_numbers, goal_vs_result, group_totals, revenue_by_quarter,
    LOWER_IS_BETTER, VISIT_REPORT_GOALS, scorecard, suggest_class_changes, visit_report_numbers,
)
from kamplan.engine.forecast import year_end_forecast
from kamplan.engine.units import unit_system
from kamplan.model import ACTIVITY_COLUMNS
from kamplan.messages import say
from kamplan.problems import Problem, WithProblems, has_errors, problem
from kamplan.stages.inputs import Progress, expand_inputs, no_progress
from kamplan.stages.plan import PlanView, plan_view
from kamplan.stages.wallet import PlanSignals, plan_signals, say_evidence, visit_reports
from kamplan.store.evaluation import evaluation_ratings, record_evaluation_inputs, service_statuses
from kamplan.store.resources import support_by_account
from kamplan.workbooks.evaluation.layout import GoalSpec, et
from kamplan.workbooks.evaluation.reader import EvaluationInput, read_evaluation_workbook
from kamplan.workbooks.evaluation.content import EvaluationContent, new_identity
from kamplan.stages.origin import record_written, written_elsewhere
from kamplan.workbooks.evaluation.writer import write_evaluation_workbook
from kamplan.workbooks.kit.safety import content_hash
from kamplan.workspace import Workspace

# -- the numbers -------------------------------------------------------------------------------------------
@dataclass
class EvaluationData:
    """What the engine computed for one quarter (year to date included) of one year."""
    year: int
    quarter: int
    plan: PlanView
    lines: pd.DataFrame  # goal_vs_result
    accounts: pd.DataFrame  # group_totals per rep_id, account_id + forecast, annual_target, gap, method
    activity: pd.DataFrame  # activity_vs_plan, same (rep_id, account_id) order as accounts
    services: pd.DataFrame  # rep_id, account_id, no, commitment, measure, due, status, note
    numbers: pd.DataFrame  # goal_numbers
    scores: pd.DataFrame  # scorecard lines
    totals: pd.DataFrame  # scorecard totals per rep
    warnings: pd.DataFrame  # early_warnings
    classes: pd.DataFrame  # suggest_class_changes (+ rep_id)
    quarters: pd.DataFrame  # revenue_by_quarter per rep_id
    company: pd.DataFrame  # group_totals of everything (one row)
    reps: list[str]
    ratings: dict[tuple[str, str], tuple[float | None, str | None]]
    with_allocation: bool
    problems: list[Problem] = field(default_factory=list)
    wallet: pd.DataFrame | None = None  # engine.wallet.share_of_wallet (account plans' usage); None: no plans


def entries_seen(ws: Workspace, year: int) -> tuple[int, int]:
    """The newest rating and service-status entry ids of ``year`` (0 when there are none)."""
    ratings = evaluation_ratings(ws.store, year, include_history=True)
    statuses = service_statuses(ws.store, year, include_history=True)
    return (int(ratings["id"].max()) if len(ratings) else 0, int(statuses["id"].max()) if len(statuses) else 0)


def latest_quarter(ws: Workspace, year: int) -> int | None:
    """The last quarter of ``year`` with actuals in the history, or None."""
    h = ws.store.history([year])
    return int(h["quarter"].max()) if len(h) else None


def _activities(ws: Workspace, year: int) -> pd.DataFrame:
    if hasattr(ws.store, "activities"):
        return ws.store.activities([year])
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ACTIVITY_COLUMNS + ["year", "quarter"]})


def _allocated(ws: Workspace, year: int) -> pd.DataFrame | None:
    """Support allocated per account by the newest resource plan as account_id, quarter, amount; None when
    the year has no allocation yet (then only support delivered is shown)."""
    frame = support_by_account(ws.store, year)
    if frame is None or not len(frame) or "account_id" not in frame.columns:
        return None
    amount = next((c for c in ("amount", "allocated", "quantity", "days") if c in frame.columns), None)
    if amount is None:
        return None
    out = pd.DataFrame({"account_id": frame["account_id"], "amount": pd.to_numeric(frame[amount], errors="coerce")})
    if "quarter" in frame.columns:
        out["quarter"] = frame["quarter"].astype(int)
    return out


def _customer_purchases(ws: Workspace) -> pd.DataFrame | None:
    fn = getattr(ws.store, "customer_purchases", None)
    return fn() if fn is not None else None


def evaluation_data(ws: Workspace, quarter: int, year: int | None = None,
                    ratings_quarter: int | None = None) -> EvaluationData:
    """Run the engine for ``quarter`` of ``year`` (default: the plan year).

    ``ratings_quarter``: whose VP ratings count in the scorecard (default ``quarter``; 0 = annual, which
    falls back on the latest quarterly rating of each goal).
    """
    cfg, store = ws.config, ws.store
    year = year or cfg.plan_year
    problems: list[Problem] = []
    plan = plan_view(store, year)
    if not plan.agreed and plan.round is not None:
        problems.append(problem("evaluation.plan-not-agreed", year=year, source=plan.source))
    history = store.history()
    reps_of = {a.id: a.rep for a in cfg.accounts}
    for a, r in zip(plan.targets["account_id"], plan.targets["rep_id"]):
        reps_of.setdefault(a, r)
    scope = ws.reps_in_scope()  # a regional manager's workspace evaluates its region's salespeople only
    lines, quarters, annual_credited = _credited(ws, plan, year, quarter, reps_of)
    lines, quarters = _in_scope(lines, scope), _in_scope(quarters, scope)
    annual_credited = {k: v for k, v in annual_credited.items() if scope is None or k[0] in scope}
    annual = plan.targets.groupby("account_id")["revenue"].sum().to_dict()
    rules = cfg.evaluation
    fc = year_end_forecast(history, year, quarter, annual, "revenue", rules.forecast.history_years,
                           rules.forecast.min_seen_share).set_index("account_id")
    activities = _activities(ws, year)
    allocated = _allocated(ws, year)
    activity = _in_scope(activity_vs_plan(plan.visits, plan.trainings, activities, quarter, reps_of, allocated), scope)
    acc, activity = _account_rows(lines, activity, fc, annual, annual_credited)
    services = _services_in_force(store, year, _in_scope(plan.services, scope))
    staff = [s.id for s in cfg.staff]
    reps = [r for r in staff if r in set(lines["rep_id"]) | set(acc["rep_id"])]
    ratings = _ratings(ws, year, quarter if ratings_quarter is None else ratings_quarter)
    numbers = goal_numbers(lines, activity, unit_system(cfg.products, cfg.units))
    sc = rules.scorecard
    if any(g.id in VISIT_REPORT_GOALS and g.kind == "number" for g in sc.goals):
        numbers = pd.concat([numbers, visit_report_numbers(visit_reports(ws, year, quarter), sc.goals, reps)],
                            ignore_index=True)
    scores, totals = scorecard(numbers, sc.goals, reps, {k: v[0] for k, v in ratings.items()}, sc.attainment_cap,
                               (sc.scale.min, sc.scale.max))
    warns, signals = _early_warnings(ws, history, year, quarter, plan, activities, activity, reps_of)
    warns = _in_scope(warns, scope)
    if scope is not None and "rank" in warns:
        warns["rank"] = np.arange(1, len(warns) + 1)  # ranked within the region
    classes = _in_scope(_class_suggestions(cfg, history, year, quarter, lines, acc, warns, reps_of), scope)
    wallet = signals.wallet
    if scope is not None and len(wallet):
        wallet = wallet[wallet["account_id"].map(reps_of).isin(scope)].reset_index(drop=True)
    # the company counts each line once: full-credit (overlay) lines are the person's, not the company's
    counted = lines[~lines["full_credit"].astype(bool)] if len(lines) else lines
    company = group_totals(counted, []) if len(counted) else pd.DataFrame()
    if plan.targets.empty:
        problems.append(problem("evaluation.no-plan", year=year))
    return EvaluationData(year, quarter, plan, lines, acc, activity, services, numbers, scores, totals, warns,
                          classes, quarters, company, reps, ratings, allocated is not None, problems,
                          wallet if len(wallet) else None)


def _in_scope(frame: pd.DataFrame, scope: set[str] | None) -> pd.DataFrame:
    """The rows of ``frame`` whose salesperson (``rep_id``) is in ``scope`` (None: every row)."""
    if scope is None or not len(frame):
        return frame
    return frame[frame["rep_id"].isin(scope)].reset_index(drop=True)


def _credited(ws: Workspace, plan: PlanView, year: int, quarter: int, reps_of: dict
              ) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, str], float]]:
    """Goal against result per credited person (account teams and the ERP's salesperson decide,
    ``engine.credit``), the revenue per person and quarter, and (rep, account) -> the person's annual
    revenue target (by credit)."""
    cfg, store = ws.config, ws.store
    actuals = store.actuals_by_salesperson([year])
    team, roles = store.account_team(), cfg.teams.full_credit_roles
    margins = {p.id: p.standard_margin for p in cfg.products}
    lines = goal_vs_result(plan.targets, actuals, quarter, reps_of, margins, team, roles)
    targets, results = credited_goals_and_results(plan.targets, actuals, reps_of, team, roles)
    quarters = revenue_by_quarter(targets, results, quarter, by=["rep_id"])
    annual = targets.groupby(["rep_id", "account_id"])["revenue"].sum().to_dict()
    return lines, quarters, annual


def _account_rows(lines: pd.DataFrame, activity: pd.DataFrame, fc: pd.DataFrame, annual: dict,
                  annual_credited: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One account list for the Accounts and Activities sheets (accounts with a plan, sales or activity):
    the totals with the year-end forecast and gap, and the activity, in the same (rep_id, account_id) order.
    A team member's annual target is their credited part, and the account's forecast is scaled by it."""
    acc = group_totals(lines, ["rep_id", "account_id"]) if len(lines) else pd.DataFrame(
        columns=["rep_id", "account_id"])
    active = activity[(activity.drop(columns=["rep_id", "account_id"]).fillna(0) != 0).any(axis=1)]
    keys = sorted(set(zip(acc["rep_id"], acc["account_id"])) | set(zip(active["rep_id"], active["account_id"])))
    key_frame = pd.DataFrame(keys, columns=["rep_id", "account_id"])
    acc = key_frame.merge(acc, on=["rep_id", "account_id"], how="left")
    num_cols = [c for c in acc.columns if c not in ("rep_id", "account_id")]
    acc[num_cols] = acc[num_cols].astype("float64")
    for c in num_cols:
        if not c.endswith("_att"):
            acc[c] = acc[c].fillna(0.0)
    whole = acc["account_id"].map(lambda a: float(annual.get(a, 0.0))).to_numpy(dtype="float64")
    if annual_credited is None:
        part = whole
    else:
        part = np.array([float(annual_credited.get((r, a), 0.0)) for r, a in zip(acc["rep_id"], acc["account_id"])])
    share = np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), 1.0)  # no plan: the account's own
    acc["forecast"] = acc["account_id"].map(fc["forecast"]).fillna(0.0).astype(float).to_numpy() * share
    acc["annual_target"] = part
    acc["gap"] = acc["forecast"] - acc["annual_target"]
    acc["method"] = acc["account_id"].map(fc["method"]).fillna("none")
    activity = key_frame.merge(activity, on=["rep_id", "account_id"], how="left")
    for c in activity.columns:
        if c not in ("rep_id", "account_id", "support_allocated"):
            activity[c] = activity[c].fillna(0)
    return acc, activity


def _services_in_force(store, year: int, planned: pd.DataFrame) -> pd.DataFrame:
    """The plan's service commitments, numbered per account, with the status and note in force."""
    services = planned.copy()
    services["no"] = services.groupby(["rep_id", "account_id"]).cumcount() + 1
    st = service_statuses(store, year)
    status = {(a, c): (s, n) for a, c, s, n in zip(st["account_id"], st["commitment"], st["status"], st["note"])}
    services["status"] = [status.get((a, str(c)), (None, None))[0] for a, c in
                          zip(services["account_id"], services["commitment"])]
    services["note"] = [status.get((a, str(c)), (None, None))[1] for a, c in
                        zip(services["account_id"], services["commitment"])]
    return services.sort_values(["rep_id", "account_id", "no"], kind="mergesort").reset_index(drop=True)


def _early_warnings(ws: Workspace, history: pd.DataFrame, year: int, quarter: int, plan: PlanView,
                    activities: pd.DataFrame, activity: pd.DataFrame, reps_of: dict) -> tuple[pd.DataFrame, PlanSignals]:
    """The engine's early warnings, with the complaints still open at the end of ``quarter`` and what the
    account plans say (share of wallet, ``stages.wallet``)."""
    cfg = ws.config
    comp = complaint_status(activities[activities["quarter"].astype(int) <= quarter]) if len(activities) else None
    open_c = None
    if comp is not None and len(comp):
        open_c = comp[comp["status"] == "open"].rename(columns={"opened": "date"})[["account_id", "date"]]
    units = sorted({p.unit for p in cfg.products})
    signals = plan_signals(ws, history, year, quarter, activities, open_c)
    return early_warnings(history, year, quarter, cfg.evaluation.warnings, account_reps=reps_of,
                          targets=plan.targets, plan_visits=plan.visits,
                          visits_made=dict(zip(activity["account_id"], activity["q_rep_made"])),
                          open_complaints=open_c, customer_purchases=_customer_purchases(ws),
                          unit=units[0] if len(units) == 1 else "", units=unit_system(cfg.products, cfg.units),
                          currency=cfg.currency, wallet_flags=signals.wallet_flags, extra=signals.flags), signals


def _class_suggestions(cfg, history: pd.DataFrame, year: int, quarter: int, lines: pd.DataFrame,
                       acc: pd.DataFrame, warns: pd.DataFrame, reps_of: dict) -> pd.DataFrame:
    """Class changes the year to date suggests (against target and last year), with the salesperson (owner).
    An account's figures count each of its lines once (full-credit lines left out)."""
    prev = history[(history["year"] == year - 1) & (history["quarter"] <= quarter)].groupby("account_id")["revenue"].sum()
    counted = lines[~lines["full_credit"].astype(bool)] if len(lines) else lines
    per_account = (counted.groupby("account_id", sort=True)[["ytd_target_revenue", "ytd_actual_revenue"]].sum()
                   if len(counted) else pd.DataFrame(columns=["ytd_target_revenue", "ytd_actual_revenue"]))
    # accounts shown with activity only (no plan line, no sale) are judged on zero
    per_account = per_account.reindex(sorted(set(per_account.index) | set(acc["account_id"])), fill_value=0.0)
    rev = pd.DataFrame({"account_id": per_account.index.astype(object),
                        "target": per_account["ytd_target_revenue"].to_numpy(dtype="float64"),
                        "actual": per_account["ytd_actual_revenue"].to_numpy(dtype="float64")})
    rev["last_year"] = rev["account_id"].map(prev).fillna(0.0)
    classes = suggest_class_changes({a.id: a.cls for a in cfg.accounts}, rev,
                                    dict(zip(warns["account_id"], warns["flags"].map(len))), cfg.evaluation.class_changes)
    classes.insert(1, "rep_id", classes["account_id"].map(reps_of))
    return classes


def _ratings(ws: Workspace, year: int, quarter: int) -> dict[tuple[str, str], tuple[float | None, str | None]]:
    """(rep, goal) -> (rating, comment) in force; quarter 0 (annual) falls back on the newest quarterly."""
    out: dict[tuple[str, str], tuple[float | None, str | None]] = {}
    if quarter == 0:
        for q in (1, 2, 3, 4):
            for r in evaluation_ratings(ws.store, year, q).itertuples():
                if r.rating is not None and not (isinstance(r.rating, float) and math.isnan(r.rating)) or r.comment:
                    out[(r.rep_id, r.goal)] = (_num(r.rating), r.comment)
    for r in evaluation_ratings(ws.store, year, quarter).itertuples():
        out[(r.rep_id, r.goal)] = (_num(r.rating), r.comment)
    return out


def _num(x):
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


# -- the workbooks -----------------------------------------------------------------------------------------
@dataclass
class EvaluateResult(WithProblems):
    year: int
    quarter: int | None
    evaluation: str
    paths: dict[str, Path] = field(default_factory=dict)  # rep id or "VP" -> file written
    data: EvaluationData | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


def new_name(path: Path, taken=frozenset()) -> Path:
    """``path``, or the first free ``stem-2.xlsx``, ``stem-3.xlsx`` ... beside it: nothing is overwritten
    (``taken``: names already given to workbooks not yet written)."""
    def free(p: Path) -> bool:
        return not p.exists() and p not in taken
    if free(path):
        return path
    n = 2
    while not free(path.with_name(f"{path.stem}-{n}{path.suffix}")):
        n += 1
    return path.with_name(f"{path.stem}-{n}{path.suffix}")


def goal_specs(ws: Workspace, language: str, numbers: pd.DataFrame | None = None) -> list[GoalSpec]:
    """The scorecard's goals as the workbook shows them; ``numbers`` (``goal_numbers`` + the visit-report
    goals) gives the figures of the goals that have no sheet to sum from."""
    out = []
    for g in ws.config.evaluation.scorecard.goals:
        name = g.name.get(language) if g.name is not None else et(f"goal.{g.id}", language) \
            if f"goal.{g.id}" in _GOAL_KEYS else g.id
        values = ()
        if g.id in VISIT_REPORT_GOALS and g.kind == "number" and numbers is not None and len(numbers):
            mine = numbers[numbers["goal"] == g.id]
            values = tuple((r, _num(t), _num(v)) for r, t, v in zip(mine["rep_id"], mine["target"], mine["result"]))
        out.append(GoalSpec(g.id, name, g.kind, float(g.weight), values, g.id in LOWER_IS_BETTER))
    return out


_GOAL_KEYS = {"goal.revenue", "goal.volume", "goal.gross_margin", "goal.visits", "goal.trainings",
              "goal.satisfaction", "goal.complaint_rate"}


def build_content(ws: Workspace, data: EvaluationData, audience: str, rep_id: str, evaluation: str,
                  generated_at: dt.datetime, language: str, history: dict | None = None) -> EvaluationContent:
    """The content of one workbook: the VP's (every salesperson) or one salesperson's."""
    cfg = ws.config
    lang = language

    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        if audience == "vp" or frame.empty:
            return frame.reset_index(drop=True)
        return frame[frame["rep_id"] == rep_id].reset_index(drop=True)

    reps = data.reps if audience == "vp" else [rep_id]
    q = data.quarters
    quarters = (q.groupby("quarter", as_index=False)[["target_revenue", "actual_revenue"]].sum(min_count=1)
                if audience == "vp" else q[q["rep_id"] == rep_id][["quarter", "target_revenue", "actual_revenue"]])
    names = {a.id: a.name.get(lang) for a in cfg.accounts}
    rep_names = {s.id: s.name.get(lang) for s in cfg.staff}
    # Only the VP's workbook lists warnings and class suggestions: a salesperson's gets their empty
    # slice, so their texts are said once, not once per salesperson (500 times over the company).
    warns = _said_warnings(data.warnings if audience == "vp" else data.warnings.iloc[0:0], names, rep_names, lang)
    cls = _said_classes(data.classes if audience == "vp" else data.classes.iloc[0:0], names, rep_names, lang)
    sc = cfg.evaluation.scorecard
    units = sorted({p.unit for p in cfg.products})
    content = EvaluationContent(
        identity=new_identity(data.year, data.quarter, evaluation, audience, rep_id if audience == "rep" else "",
                              generated_at, uuid.uuid4().hex),
        language=lang, company=cfg.company.name.get(lang), currency=cfg.currency,
        unit=units[0] if len(units) == 1 else "", rep_names=rep_names, account_names=names,
        product_names={p.id: p.name.get(lang) for p in cfg.products}, lines=mine(data.lines),
        accounts=mine(data.accounts), activity=mine(data.activity), services=mine(data.services),
        goals=goal_specs(ws, lang, data.numbers), reps=reps,
        ratings={k: v for k, v in data.ratings.items() if k[0] in reps}, quarters=quarters.reset_index(drop=True),
        warnings=warns, classes=cls,
        history=history or {}, with_allocation=data.with_allocation, scale=(sc.scale.min, sc.scale.max),
        cap=sc.attainment_cap, sheet_password=cfg.workbook.sheet_password, entries_seen=entries_seen(ws, data.year),
        wallet=_wallet_rows(cfg, data, mine))
    content.identity.layout_hash = content.layout().signature()
    return content


def _said_warnings(warnings: pd.DataFrame, names: dict, rep_names: dict, lang: str) -> pd.DataFrame:
    """The early warnings as the workbook lists them: names, flags and evidence in ``lang``."""
    warns = warnings.copy()
    warns["account"] = warns["account_id"].map(lambda a: names.get(a, a))
    warns["rep"] = warns["rep_id"].map(lambda r: rep_names.get(r, r))
    warns["at_risk"] = warns["revenue_at_risk"]
    warns["flags"] = warns["flags"].map(lambda fl: ", ".join(et(f"flag.{f}", lang) for f in fl))
    warns["evidence"] = [
        "; ".join(say_evidence(c, e, f, lang) for c, e, f in zip(codes, ev, facts))
        for codes, ev, facts in zip(warnings["flags"], warnings["evidence"], warnings["facts"])]
    return warns


def _said_classes(classes: pd.DataFrame, names: dict, rep_names: dict, lang: str) -> pd.DataFrame:
    """The class suggestions as the workbook lists them: names, classes and reasons in ``lang``."""
    cls = classes.copy()
    cls["account"] = cls["account_id"].map(lambda a: names.get(a, a))
    cls["rep"] = cls["rep_id"].map(lambda r: rep_names.get(r, r))
    for c in ("cls", "suggested"):
        cls[c] = cls[c].map(lambda x: et(f"class.{x}", lang))
    if "reason_parts" in cls:
        cls["reason"] = [say_reason(parts, lang) if isinstance(parts, list) and parts else why
                         for parts, why in zip(cls["reason_parts"], cls["reason"])]
    return cls


def say_reason(parts: list, language: str) -> str:
    """A class suggestion's reason in ``language`` from its catalogue parts (``class-reason.*``)."""
    return say("class-reason.join", language).join(say(key, language, **fields) for key, fields in parts)


def _wallet_rows(cfg, data: EvaluationData, mine) -> pd.DataFrame | None:
    """The Share of wallet sheet's rows: the evaluated quarter's share per account (its owner) and product
    whose usage the account plans give; None when no plan gives any."""
    w = data.wallet
    if w is None or not len(w):
        return None
    w = w[(w["year"].astype(int) == data.year) & (w["quarter"].astype(int) == data.quarter)].copy()
    owner = {a.id: a.rep for a in cfg.accounts}
    order = {p.id: i for i, p in enumerate(cfg.products)}
    w.insert(0, "rep_id", w["account_id"].map(owner))
    w["unit"] = w["product_id"].map({p.id: p.unit for p in cfg.products}).fillna("")
    w = w.dropna(subset=["rep_id"]).assign(_p=w["product_id"].map(order))
    w = w.sort_values(["rep_id", "account_id", "_p"], kind="stable")
    w = mine(w[["rep_id", "account_id", "product_id", "unit", "usage", "ours", "revenue", "share", "elsewhere",
                "whitespace"]])
    return w if len(w) else None


def wallet_rows(cfg, data: EvaluationData) -> pd.DataFrame | None:
    """The VP's Share of wallet sheet's rows (every salesperson's accounts): what ``evaluate --json`` lists."""
    return _wallet_rows(cfg, data, lambda frame: frame.reset_index(drop=True))


def evaluate(ws: Workspace, quarter: int | None = None, year: int | None = None, reps: list[str] | None = None,
             progress: Progress = no_progress, now: dt.datetime | None = None, language: str | None = None,
             write: bool = True) -> EvaluateResult:
    """Evaluate ``quarter`` (default: the latest with actuals) of ``year`` (default: the plan year); write
    ``reports/evaluation_YEAR_Qn_VP.xlsx`` and ``..._Qn_REP.xlsx`` per salesperson (new names, never
    overwriting)."""
    cfg = ws.config
    year = year or cfg.plan_year
    quarter = quarter or latest_quarter(ws, year)
    if quarter is None:
        return EvaluateResult(year, None, "quarter", problems=[problem("evaluation.no-actuals", year=year)])
    progress("engine")
    data = evaluation_data(ws, quarter, year)
    res = EvaluateResult(year, quarter, "quarter", data=data, problems=list(data.problems))
    if not res.ok or not write:
        return res
    _write_all(ws, res, data, "quarter", f"evaluation_{year}_Q{quarter}", reps, progress, now, language)
    return res


PARALLEL_FROM = 8  # workbooks; fewer are written one after another (a worker process takes time to start)


def _write_all(ws, res: EvaluateResult, data: EvaluationData, evaluation: str, stem: str, reps, progress, now,
               language, history=None):
    lang = language or ws.config.language
    stamp = (now or dt.datetime.now()).replace(microsecond=0)
    ws.reports.mkdir(parents=True, exist_ok=True)
    unknown = [r for r in (reps or []) if r not in data.reps]
    if unknown:
        res.problems.append(problem("evaluation.unknown-rep", unknown=", ".join(map(str, unknown)),
                                    year=data.year, known=", ".join(map(str, data.reps))))
        return
    suffix = "summary" if evaluation == "annual" else "VP"
    rep_ids, books, taken = [""] + list(reps or data.reps), [], set()
    for rep in rep_ids:
        content = build_content(ws, data, "rep" if rep else "vp", rep, evaluation, stamp, lang, history)
        path = new_name(ws.reports / f"{stem}_{rep or suffix}.xlsx", taken)
        taken.add(path)
        books.append((rep or suffix, content, path))
    for rep, (_, content, _), path in zip(rep_ids, books, _write_books(books, progress)):
        record_written(ws.store, content.identity, data.year, path, rep)  # each as soon as it is written
        res.paths[rep or "VP"] = path
    ws.store.log_event(f"evaluation.{evaluation}-written", {
        "year": data.year, "quarter": data.quarter, "files": {k: p.name for k, p in res.paths.items()}})


def _write_books(books: list, progress: Progress):
    """Write each (progress label, content, path) of ``books``; yield the paths in order, each once written.

    The workbooks are independent: from ``PARALLEL_FROM`` on they are written by one process per core
    (the VP's, the largest, first).  Should one fail, the error is raised as in a serial run, and the
    workbooks after it that a worker had already written are removed again: what is left in ``reports/``
    is what a serial run would have left, and nothing unrecorded."""
    workers = min(os.cpu_count() or 1, 4) if len(books) >= PARALLEL_FROM else 1
    if workers == 1:
        for label, content, path in books:
            progress(label)
            yield write_evaluation_workbook(path, content)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(books))) as pool:
        futures = [pool.submit(write_evaluation_workbook, path, content) for _, content, path in books]
        done = 0
        try:
            for (label, _, _), future in zip(books, futures):
                progress(label)
                path = future.result()
                done += 1
                yield path
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            for (_, _, path), future in zip(books[done + 1:], futures[done + 1:]):
                if not future.cancelled() and future.exception() is None:
                    Path(path).unlink(missing_ok=True)
            raise


def annual_evaluation(ws: Workspace, year: int | None = None, reps: list[str] | None = None,
                      progress: Progress = no_progress, now: dt.datetime | None = None,
                      language: str | None = None) -> EvaluateResult:
    """Each salesperson's annual evaluation (targets, results, scores; the VP's ratings and comments of every
    quarter) and the VP's summary, from the four quarters (or the year so far)."""
    cfg = ws.config
    year = year or cfg.plan_year
    last = latest_quarter(ws, year)
    if last is None:
        return EvaluateResult(year, None, "annual", problems=[problem("evaluation.no-actuals", year=year)])
    progress("engine")
    history: dict = {}
    for q in range(1, last + 1):
        d = evaluation_data(ws, q, year)
        for r in d.scores.itertuples():
            rating, comment = d.ratings.get((r.rep_id, r.goal), (None, None))
            history[(r.rep_id, r.goal, q)] = (rating, None if np.isnan(r.score) else float(r.score), comment)
    data = evaluation_data(ws, last, year, ratings_quarter=0)
    res = EvaluateResult(year, last, "annual", data=data, problems=list(data.problems))
    if last < 4:
        res.problems.append(problem("evaluation.year-not-closed", year=year, last=last))
    if not res.ok:
        return res
    _write_all(ws, res, data, "annual", f"evaluation_{year}_annual", reps, progress, now, language, history)
    return res


# -- collecting the VP's ratings ----------------------------------------------------------------------------
@dataclass
class CollectedFile:
    path: Path
    outcome: str  # "stored", "unchanged" or "rejected"
    ratings: int = 0
    statuses: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CollectEvaluationResult:
    files: list[CollectedFile]

    @property
    def rejected(self) -> list[CollectedFile]:
        return [f for f in self.files if f.outcome == "rejected"]


def collect_evaluations(ws: Workspace, paths: list[Path], progress: Progress = no_progress,
                        now: dt.datetime | None = None) -> CollectEvaluationResult:
    """Read the VP's evaluation workbooks; store ratings, comments and service statuses the VP changed in the
    file (against what it showed when written) that differ from those in force; an older file collected
    again cannot undo later entries. Nothing is deleted; a file with any error stores nothing."""
    files, problems = expand_inputs(paths)
    out = [CollectedFile(Path(p.file or "?"), "rejected", problems=[p]) for p in problems]
    for path in files:
        progress(path.name)
        try:
            digest = content_hash(path)
        except OSError as exc:
            out.append(CollectedFile(path, "rejected", problems=[problem(
                "evaluation.unreadable", why=str(exc), file=path)]))
            continue
        got, found = read_evaluation_workbook(path, ws.config, digest)
        if got is None:
            out.append(CollectedFile(path, "rejected", problems=found))
            continue
        other = written_elsewhere(ws.store, got.identity, path) or _year_problem(ws, got, path)
        if other:
            out.append(CollectedFile(path, "rejected", problems=found + [other]))
            continue
        out.append(_store(ws, got, found, path, now))
    return CollectEvaluationResult(out)


def _year_problem(ws: Workspace, got: EvaluationInput, path: Path) -> Problem | None:
    """A workbook evaluates a year and quarter this workspace has actuals for; one of another year (or of
    another workspace that got further) would store ratings of a period this plan never evaluated."""
    ident = got.identity
    latest = latest_quarter(ws, ident.year)
    quarter = ident.quarter if ident.evaluation == "quarter" else 1
    if latest is not None and quarter <= latest:
        return None
    if ident.evaluation == "quarter":
        return problem("evaluation.other-quarter", year=ident.year, quarter=ident.quarter,
                       plan_year=ws.config.plan_year, file=path)
    return problem("evaluation.other-year", year=ident.year, plan_year=ws.config.plan_year, file=path)


def _store(ws: Workspace, got: EvaluationInput, found: list[Problem], path: Path, now) -> CollectedFile:
    ident = got.identity
    year = ident.year
    quarter = ident.quarter if ident.evaluation == "quarter" else 0
    at = (now or dt.datetime.now()).replace(microsecond=0)
    by = got.reviewer or ""
    found = list(found)

    def later(row, in_force: tuple, shown: tuple, which: int) -> bool:
        """The entry in force came from another workbook after this one was written: it stands.

        Decided by entry id (the workbook records the newest ids it saw), not by clock: a workbook
        written in the same second as a collect must not count as older, nor an older one as newer."""
        if row is None or row["workbook_id"] == ident.workbook_id:
            return False
        if got.entries_seen is not None:
            return int(row["id"]) > got.entries_seen[which]
        return in_force != shown

    rf = evaluation_ratings(ws.store, year, quarter)
    in_force = {(r["rep_id"], r["goal"]): r for r in rf.to_dict("records")}
    ratings, kept = [], []
    for row in got.ratings:
        old = in_force.get((row.rep_id, row.goal))
        if not row.changed or (old is not None and (_num(old["rating"]), old["comment"] or None) ==
                               (row.rating, row.comment)):
            continue
        if later(old, old is not None and (_num(old["rating"]), old["comment"] or None), row.shown, 0):
            kept.append(row.source)
            continue
        ratings.append({"rep_id": row.rep_id, "goal": row.goal, "rating": row.rating, "comment": row.comment,
                        "by": by, "at": at, "source": row.source, "workbook_id": ident.workbook_id})
    st = service_statuses(ws.store, year)
    current = {(r["account_id"], r["commitment"]): r for r in st.to_dict("records")}
    statuses = []
    for row in got.services:
        old = current.get((row.account_id, row.commitment))
        if not row.changed or (old is not None and (old["status"], old["note"] or None) == (row.status, row.note)):
            continue
        if later(old, old is not None and (old["status"], old["note"] or None), row.shown, 1):
            kept.append(row.source)
            continue
        statuses.append({"account_id": row.account_id, "commitment": row.commitment, "status": row.status,
                         "note": row.note, "by": by, "at": at, "source": row.source,
                         "workbook_id": ident.workbook_id})
    if kept:
        found.append(problem("evaluation.later-entry-kept", n=len(kept), first=str(kept[0]), file=path))
    n_r, n_s = record_evaluation_inputs(ws.store, year, quarter, ratings, statuses)
    return CollectedFile(path, "stored" if n_r or n_s else "unchanged", n_r, n_s, found)


# -- warnings -------------------------------------------------------------------------------------------------
def warning_list(ws: Workspace, quarter: int | None = None, year: int | None = None,
                 language: str | None = None) -> tuple[pd.DataFrame, list[Problem], int | None]:
    """The ranked early warnings: rank, account_id, account, rep_id, revenue_at_risk, flags, evidence.

    Works from the history alone (no plan needed: the plan and activity flags are then left out).
    Returns (warnings, problems, quarter).
    """
    cfg = ws.config
    year = year or cfg.plan_year
    quarter = quarter or latest_quarter(ws, year)
    if quarter is None:
        return pd.DataFrame(), [problem("evaluation.no-actuals", year=year)], None
    data = evaluation_data(ws, quarter, year)
    lang = language or cfg.language
    names = {a.id: a.name.get(lang) for a in cfg.accounts}
    w = data.warnings.copy()
    w.insert(2, "account", w["account_id"].map(lambda a: names.get(a, a)))
    w["evidence"] = [[say_evidence(c, e, f, lang) for c, e, f in zip(codes, ev, facts)]
                     for codes, ev, facts in zip(w["flags"], w["evidence"], w["facts"])]
    return w, [p for p in data.problems if p.code != "no-plan"], quarter


__all__ = ["EvaluationData", "EvaluateResult", "CollectEvaluationResult", "annual_evaluation",
           "collect_evaluations", "evaluate", "evaluation_data", "warning_list", "latest_quarter"]
