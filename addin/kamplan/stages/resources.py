"""Allocate executives, technical staff and outside advisors across key accounts (``kamplan resources``).

``allocate`` reads the plan's support requests (``stages.plan.plan_view``: the agreed plan once
locked, else the newest round's submissions), values each account (``engine.resources.value``:
money at stake x profit margin x class weight, concave response per class), applies the VP's
forced choices and capacity changes, solves (HiGHS MILP warm-started from the greedy, with a time
limit; objective, proven bound and gap always reported), keeps the run in the store and writes
the resource plan workbook to ``reports/resource_plan_YEAR_STAMP.xlsx`` (a new file per run,
written atomically, never overwriting).

Where the VP's choices come from: before solving, ``allocate`` reads the Choices and Capacity
sheets of ``force_from`` (a resource plan workbook) or, when that is None, of the newest
``reports/resource_plan_YEAR_*.xlsx``.  What changed against the store is stored (never deleted:
the newest entry per request / person and quarter is in force), then the store's choices in force
are used.  An empty Choices cell lifts a choice only if the workbook showed it (a choice made
after the workbook was written stays).  A workbook with any error stops the run: nothing is
stored or solved, and every problem names sheet and cell.

Request ids: ``<salesperson>-<row>`` (the row of the Support requests sheet the request came
from), or ``coverage:<account>:<kind>`` for support the coverage rules add.  A stored choice for
an id that now belongs to another account or kind is not applied (with a warning).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import getpass
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kamplan.engine.resources.allocation import Allocation, Instance, all_requests, marginal_values, solve
from kamplan.engine.resources.value import account_values, fiscal_quarter, support_instance
from kamplan.messages import render
from kamplan.problems import Problem, WithProblems, has_errors, problem
from kamplan.stages.inputs import Progress, no_progress
from kamplan.stages.plan import plan_view
from kamplan.stages.review import effective_classes
from kamplan.store import resources as rs
from kamplan.workbooks.resources.layout import QUARTERS, YEAR, rt
from kamplan.workbooks.resources.reader import ResourceInput, read_resource_workbook
from kamplan.workbooks.resources.content import ResourceWorkbookContent, new_identity
from kamplan.stages.origin import record_written, written_elsewhere
from kamplan.workbooks.resources.writer import write_resource_workbook
from kamplan.workspace import Workspace

FILE_PATTERN = re.compile(r"^resource_plan_(\d{4})_(\d{8}-\d{6})(?:-(\d+))?\.xlsx$")


def resource_file_name(plan_year: int, stamp: dt.datetime, n: int = 0) -> str:
    return f"resource_plan_{plan_year}_{stamp:%Y%m%d-%H%M%S}" + (f"-{n}" if n else "") + ".xlsx"


def newest_resource_workbook(reports: Path, plan_year: int) -> Path | None:
    """The newest ``resource_plan_YEAR_*.xlsx`` in ``reports`` (by the time stamp in its name)."""
    best = None
    for p in Path(reports).glob(f"resource_plan_{plan_year}_*.xlsx"):
        m = FILE_PATTERN.match(p.name)
        if m and int(m.group(1)) == plan_year:
            key = (m.group(2), int(m.group(3) or 0))
            if best is None or key > best[0]:
                best = (key, p)
    return best[1] if best else None


@dataclass
class AllocateResult(WithProblems):
    plan_year: int
    run_id: int | None = None
    path: Path | None = None  # the resource plan workbook written
    choices_file: Path | None = None  # the workbook the VP's choices were read from
    choices_stored: tuple[int, int] = (0, 0)  # forced choices, capacity changes newly stored
    forced_in: list[str] = field(default_factory=list)
    forced_out: list[str] = field(default_factory=list)
    capacity_changes: dict = field(default_factory=dict)  # (person, quarter) -> capacity
    allocation: Allocation | None = None
    instance: Instance | None = None
    values: pd.DataFrame | None = None
    requests: pd.DataFrame | None = None
    marginals: pd.DataFrame | None = None
    source: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.allocation is not None and self.allocation.status != "infeasible"

    def to_dict(self) -> dict:
        a = self.allocation
        out = {"plan_year": self.plan_year, "ok": self.ok, "run_id": self.run_id,
               "workbook": str(self.path) if self.path else None,
               "choices_file": str(self.choices_file) if self.choices_file else None,
               "choices_stored": {"forced": self.choices_stored[0], "capacity": self.choices_stored[1]},
               "forced_in": self.forced_in, "forced_out": self.forced_out, "source": self.source,
               "problems": self.problems}
        if a is not None:
            out.update({"objective": _f(a.objective), "bound": _f(a.bound), "gap": _f(a.gap), "status": a.status,
                        "method": a.method, "seconds": a.seconds, "greedy_objective": _f(a.greedy_objective),
                        "requests": len(self.requests) if self.requests is not None else 0,
                        "unmet": [dataclasses.asdict(u) for u in a.unmet],
                        "assignments": a.assignments})
        return out


def _f(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def allocate(ws: Workspace, year: int | None = None, time_limit: float | None = None,
             force_from: str | Path | None = None, progress: Progress = no_progress, *, read_choices: bool = True,
             resolve: bool = False, write: bool = True, by: str | None = None,
             now: dt.datetime | None = None) -> AllocateResult:
    """Allocate the support pools to the plan's requests; see the module docstring."""
    cfg, store = ws.config, ws.store
    year = year or cfg.plan_year
    limit = float(time_limit if time_limit is not None else cfg.resources.time_limit)
    who = by if by is not None else _user()
    stamp = (now or dt.datetime.now()).replace(microsecond=0)
    res = AllocateResult(year)
    if not cfg.support_pools:
        res.problems.append(problem("resources.no-support-pools"))
        return res
    if read_choices and not _store_workbook_choices(ws, res, force_from, who, stamp, progress):
        return res
    progress("plan")
    view = plan_view(store, year)
    res.source = view.source
    res.requests = _requests(view.requests, cfg)
    if not len(res.requests):
        res.problems.append(problem("resources.no-requests", year=year, source=view.source))
    res.values = _values(store, cfg, year, effective_classes(ws), view.targets)
    _apply_choices_in_force(ws, res)
    res.instance = support_instance(cfg.support_pools, cfg.classes, cfg.resources, res.values, res.requests,
                                    fiscal_quarter(cfg.calendar, year), res.forced_in, res.forced_out,
                                    res.capacity_changes)
    _solve(res, limit, resolve, progress)
    progress("store")
    name = _new_file_name(ws.reports, year, stamp) if write else None
    stored_req = _stored_requests(res.instance, res.requests, res.allocation.given, cfg)
    _record_run(ws, res, stored_req, who, name, limit, resolve)
    if write:
        progress("workbook")
        content = build_resource_content(ws, res, stored_req, stamp)
        res.path = write_resource_workbook(ws.reports / name, content)
        record_written(ws.store, content.identity, year, res.path)
    return res


def _store_workbook_choices(ws: Workspace, res: AllocateResult, force_from: str | Path | None, who: str,
                            stamp: dt.datetime, progress: Progress) -> bool:
    """Store what the VP changed in the Choices and Capacity sheets of ``force_from`` or the newest resource
    plan; False (with the problems in ``res``) when that workbook is missing or has errors."""
    year = res.plan_year
    path = Path(force_from) if force_from is not None else newest_resource_workbook(ws.reports, year)
    if path is None:
        return True
    progress("choices")
    if not path.is_file():
        res.problems.append(problem("resources.choices-file-missing", path=str(path)))
        return False
    got, problems = read_resource_workbook(path, year)
    elsewhere = written_elsewhere(ws.store, got.identity, path) if got is not None else None
    problems = problems + [elsewhere] if elsewhere else problems
    res.problems += problems
    res.choices_file = path
    if got is None or has_errors(problems):
        return False
    c_rows, k_rows = _changes(ws.store, year, got, who, stamp)
    res.choices_stored = rs.record_choices(ws.store, year, c_rows, k_rows)
    return True


def _apply_choices_in_force(ws: Workspace, res: AllocateResult) -> None:
    """The stored forced choices and capacity changes that still fit the plan's requests and the staff."""
    cfg, store, year = ws.config, ws.store, res.plan_year
    known = {r.request_id: (r.account_id, r.kind) for r in res.requests.itertuples(index=False)}
    for r in rs.choices(store, year).itertuples(index=False):
        if known.get(r.request_id) != (r.account_id, r.kind):
            res.problems.append(problem(
                "resources.choice-not-applied", choice=r.choice, request=r.request_id, account=r.account_id,
                kind=r.kind, file=_file(r.source), sheet=_sheet(r.source), cell=_cell(r.source)))
        elif r.choice == "in":
            res.forced_in.append(r.request_id)
        else:
            res.forced_out.append(r.request_id)
    people = {p.id for pool in cfg.support_pools for p in pool.people}
    for r in rs.capacity_changes(store, year).itertuples(index=False):
        if r.person_id in people:
            res.capacity_changes[(r.person_id, int(r.quarter))] = float(r.capacity)


@functools.cache
def _solver_banner_silenced() -> None:
    """Make the process's first HiGHS object with the C-level stdout pointed at the null device.

    HiGHS prints its banner ("Running HiGHS … Copyright") to file descriptor 1 when the first Highs object
    of a process is made, before any option (output_flag) can be set; it would land in the middle of the
    console output and of ``--json``.  Later objects print nothing."""
    import highspy
    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def _solve(res: AllocateResult, limit: float, resolve: bool, progress: Progress) -> None:
    """Solve the instance and price each person's and pool's capacity (marginal values)."""
    progress("solve")
    _solver_banner_silenced()
    alloc = solve(res.instance, time_limit=limit)
    res.allocation = alloc
    res.problems += alloc.problems
    progress("marginal values")
    if alloc.status != "infeasible":
        res.marginals = marginal_values(res.instance, alloc, resolve=resolve, time_limit=max(limit / 10, 0.5))
    else:
        res.marginals = pd.DataFrame(columns=["pool", "person_id", "quarter", "capacity", "used", "value_per_unit",
                                              "resolve_gain"])


def _new_file_name(reports: Path, year: int, stamp: dt.datetime) -> str:
    """A resource plan file name not taken yet (a new file per run, never overwriting)."""
    reports.mkdir(parents=True, exist_ok=True)
    n = 0
    while (reports / resource_file_name(year, stamp, n)).exists():
        n += 1
    return resource_file_name(year, stamp, n)


def _record_run(ws: Workspace, res: AllocateResult, stored_req: pd.DataFrame, who: str, name: str | None,
                limit: float, resolve: bool) -> None:
    """Keep the run in the store: settings, figures, requests, assignments, unmet requests, marginal values."""
    alloc = res.allocation
    unmet = pd.DataFrame([dataclasses.asdict(u) for u in alloc.unmet],
                         columns=["request_id", "account_id", "kind", "asked", "given", "code", "reason", "fix"])
    settings = {"time_limit": limit, "resolve": resolve,
                "rules": ws.config.resources.model_dump(mode="json", by_alias=True),
                "forced_in": sorted(res.forced_in), "forced_out": sorted(res.forced_out),
                "capacity_changes": {f"{p}:Q{q}": v for (p, q), v in sorted(res.capacity_changes.items())},
                "choices_file": res.choices_file.name if res.choices_file else None, "plan_source": res.source,
                "requests": len(res.requests)}
    res.run_id = rs.record_allocation(
        ws.store, res.plan_year, by=who, settings=settings, method=alloc.method, status=alloc.status,
        objective=alloc.objective, bound=alloc.bound, gap=alloc.gap, greedy_objective=alloc.greedy_objective,
        seconds=alloc.seconds, requests=stored_req, assignments=alloc.assignments, unmet=unmet,
        marginals=res.marginals, workbook=name)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return ""


def _file(source: str):
    parts = [p.strip() for p in str(source).split("›")]
    return parts[0] if len(parts) == 3 else None


def _sheet(source: str):
    parts = [p.strip() for p in str(source).split("›")]
    return parts[1] if len(parts) == 3 else None


def _cell(source: str):
    parts = [p.strip() for p in str(source).split("›")]
    return parts[2] if len(parts) == 3 else None


def _changes(store, year: int, got: ResourceInput, who: str, at: dt.datetime) -> tuple[list[dict], list[dict]]:
    """What the workbook changes against the choices and capacities in force."""
    lay = got.layout
    now = {r.request_id: r.choice for r in rs.choices(store, year).itertuples(index=False)}
    c_rows = []
    for row in got.choices:
        current = now.get(row.request_id)
        if row.choice is not None and row.choice != current:
            value = row.choice
        elif row.choice is None and current is not None and current == row.shown:
            value = None  # cleared in the workbook that showed it: lift it
        else:
            continue
        c_rows.append({"request_id": row.request_id, "account_id": row.account_id, "kind": row.kind,
                       "choice": value, "by": who, "at": at, "source": got.source(lay.choices, row.row, "choice")})
    cap_now = {(r.person_id, int(r.quarter)): float(r.capacity)
               for r in rs.capacity_changes(store, year).itertuples(index=False)}
    k_rows = []
    for row in got.capacity:
        for q in QUARTERS:
            typed, current, shown = row.values.get(q), cap_now.get((row.person_id, q)), row.shown.get(q)
            if typed is not None and typed != current:
                value = typed
            elif typed is None and current is not None and current == shown:
                value = None
            else:
                continue
            k_rows.append({"person_id": row.person_id, "quarter": q, "capacity": value, "by": who, "at": at,
                           "source": got.source(lay.capacity, row.row, f"new_q{q}")})
    return c_rows, k_rows


_ROW = re.compile(r"!\$?[A-Z]+\$?(\d+)$")


def _requests(frame: pd.DataFrame, cfg) -> pd.DataFrame:
    """The plan's requests with an id each (``<salesperson>-<row>``); lines without account, kind or a
    positive amount are left out (collect has already refused those)."""
    rows = []
    seen: dict[str, int] = {}
    for rec in frame.to_dict("records"):
        if not rec.get("account_id") or not rec.get("kind") or not (rec.get("amount") or 0) > 0:
            continue
        m = _ROW.search(str(rec.get("src") or ""))
        base = f"{rec['rep_id']}-{m.group(1) if m else len(rows) + 1}"
        n = seen.get(base, 0)
        seen[base] = n + 1
        rid = base if n == 0 else f"{base}.{n}"
        rows.append({"request_id": rid, **{k: rec.get(k) for k in
                                           ("rep_id", "account_id", "kind", "purpose", "task", "amount", "unit",
                                            "deadline", "priority", "divisible", "src")}})
    cols = ["request_id", "rep_id", "account_id", "kind", "purpose", "task", "amount", "unit", "deadline",
            "priority", "divisible", "src"]
    out = pd.DataFrame(rows, columns=cols)
    out["divisible"] = out["divisible"].fillna(True).astype(bool)
    return out


def _values(store, cfg, year: int, classes: dict, targets: pd.DataFrame) -> pd.DataFrame:
    hist = store.history(years=[year - 1])
    last = hist.groupby("account_id")[["revenue", "gross_margin", "cost_to_serve"]].sum() if len(hist) else None
    target = targets.groupby("account_id")["revenue"].sum() if len(targets) else pd.Series(dtype="float64")
    rows = []
    for a in cfg.accounts:
        cls = classes.get(a.id, (a.cls, "config"))[0]
        ly = last.loc[a.id] if last is not None and a.id in last.index else None
        rows.append({"account_id": a.id, "cls": cls, "region": a.region,
                     "target_revenue": float(target.get(a.id, 0.0) or 0.0),
                     "last_revenue": float(ly["revenue"]) if ly is not None else 0.0,
                     "gross_margin": float(ly["gross_margin"]) if ly is not None else 0.0,
                     "cost_to_serve": float(ly["cost_to_serve"]) if ly is not None else 0.0})
    frame = pd.DataFrame(rows, columns=["account_id", "cls", "region", "target_revenue", "last_revenue",
                                        "gross_margin", "cost_to_serve"])
    return account_values(frame, cfg.resources)


def _stored_requests(inst: Instance, requests: pd.DataFrame, given: dict, cfg) -> pd.DataFrame:
    """Every request the run saw (coverage ones included) with its deadline quarter and what it got."""
    plan = requests.set_index("request_id") if len(requests) else None
    rows = []
    for r in all_requests(inst):  # coverage requests included
        p = plan.loc[r.id] if plan is not None and r.id in plan.index else None
        rows.append({"request_id": r.id, "rep_id": p["rep_id"] if p is not None else None,
                     "account_id": r.account_id, "kind": r.kind, "purpose": r.purpose or None, "task": r.task or None,
                     "amount": float(r.amount), "unit": cfg.unit_of_kind(r.kind),
                     "deadline": p["deadline"] if p is not None else None, "deadline_quarter": int(r.deadline),
                     "priority": str(r.priority), "divisible": bool(r.divisible),
                     "src": p["src"] if p is not None else None, "given": float(given.get(r.id, 0.0))})
    return pd.DataFrame(rows, columns=["request_id", "rep_id", "account_id", "kind", "purpose", "task", "amount",
                                       "unit", "deadline", "deadline_quarter", "priority", "divisible", "src",
                                       "given"])


# -- the workbook's content ----------------------------------------------------------------------------
@dataclass
class _Labels:
    """What the workbook shows for ids, in the config's language."""
    language: str
    accounts: dict[str, str]  # account id -> name
    persons: dict[str, tuple[str, str]]  # person id -> (name, pool kind)
    classes: dict[str, str]  # class id -> name
    units: dict[str, str]  # support kind -> unit

    def kind(self, k: str) -> str:
        return rt(f"kind.{k}", self.language) if k in self.units else k

    def account(self, account_id: str) -> str:
        return self.accounts.get(account_id, account_id)


def build_resource_content(ws: Workspace, res: AllocateResult, stored_req: pd.DataFrame,
                           stamp: dt.datetime) -> ResourceWorkbookContent:
    cfg, store = ws.config, ws.store
    L = cfg.language
    alloc = res.allocation
    labels = _Labels(L, {a.id: a.name.get(L) for a in cfg.accounts},
                     {p.id: (p.name.get(L), pool.kind) for pool in cfg.support_pools for p in pool.people},
                     {c: r.name.get(L) for c, r in cfg.classes.items()},
                     {k: rt(f"unit.{cfg.unit_of_kind(k)}", L) for k in ("executive", "technical", "advisor")})
    cls_of = dict(zip(res.values["account_id"], res.values["cls"]))
    value_of = dict(zip(res.values["account_id"], res.values["value"]))
    requests = _request_rows(stored_req, labels, cls_of)
    accounts = [{"account_id": a, "account": labels.account(a), "class": labels.classes.get(cls_of.get(a, ""), ""),
                 "value": value_of.get(a)} for a in dict.fromkeys(stored_req["account_id"])]
    unmet = [{"request_id": u.request_id, "account_id": u.account_id, "account": labels.account(u.account_id),
              "kind": labels.kind(u.kind), "asked": u.asked, "given": u.given, "code": u.code,
              "reason": render(u.reason, L), "fix": render(u.fix, L)} for u in alloc.unmet]
    person_mv = {(r.person_id, int(r.quarter)): r.value_per_unit for r in res.marginals.itertuples(index=False)}
    cap = {p.id: p.capacity for p in res.instance.people}
    people = _people_rows(cfg, labels, lambda p, q: {f"cap_q{q}": float(cap.get(p.id, {}).get(q, 0.0)),
                                                     f"mv_q{q}": person_mv.get((p.id, q))})
    changes = {(r.person_id, int(r.quarter)): float(r.capacity)
               for r in rs.capacity_changes(store, res.plan_year).itertuples(index=False)}
    capacity = _people_rows(cfg, labels, lambda p, q: {f"cap_q{q}": float(p.capacity.get(f"Q{q}", 0.0)),
                                                       f"new_q{q}": changes.get((p.id, q))})
    figures = {"objective": _f(alloc.objective), "bound": _f(alloc.bound), "gap": _f(alloc.gap),
               "greedy_objective": _f(alloc.greedy_objective), "status": alloc.status, "method": alloc.method,
               "seconds": alloc.seconds, "requests": len(stored_req), "unmet": len(alloc.unmet)}
    budgets = [(pool.kind, float(pool.budget)) for pool in cfg.support_pools if pool.budget is not None]
    return ResourceWorkbookContent(
        identity=new_identity(res.plan_year, res.run_id, stamp), language=L, company=cfg.company.name.get(L),
        currency=cfg.currency, source=render(res.source, L), figures=figures, budgets=budgets,
        schedule=_schedule_rows(alloc, stored_req, labels), requests=requests, accounts=accounts, unmet=unmet,
        people=people, pools=_pool_marginals(res.marginals), units=labels.units, class_labels=labels.classes,
        choices=_choice_rows(store, res.plan_year, requests, stored_req), capacity=capacity,
        problems=[str(p) for p in alloc.problems if p.is_error], sheet_password=cfg.workbook.sheet_password)


def _schedule_rows(alloc: Allocation, stored_req: pd.DataFrame, labels: _Labels) -> list[dict]:
    """Who supports which request in which quarter, and at what cost."""
    req = stored_req.set_index("request_id")
    schedule = []
    for a in alloc.assignments.itertuples(index=False):
        r = req.loc[a.request_id] if a.request_id in req.index else None
        schedule.append({"person_id": a.person_id, "quarter": f"Q{int(a.quarter)}", "request_id": a.request_id,
                         "person": labels.persons.get(a.person_id, (a.person_id,))[0], "pool": labels.kind(a.kind),
                         "account_id": a.account_id, "account": labels.account(a.account_id),
                         "purpose": r["purpose"] if r is not None else None,
                         "task": r["task"] if r is not None else None,
                         "deadline": r["deadline"] if r is not None else None, "amount": float(a.amount),
                         "unit": labels.units.get(a.kind, ""), "cost": float(a.cost)})
    return schedule


def _request_rows(stored_req: pd.DataFrame, labels: _Labels, cls_of: dict[str, str]) -> list[dict]:
    """Every request the run saw, as the Requests sheet shows it."""
    L = labels.language
    requests = []
    for r in stored_req.itertuples(index=False):
        cls = cls_of.get(r.account_id, "")
        requests.append({"request_id": r.request_id, "rep": r.rep_id, "account_id": r.account_id,
                         "account": labels.account(r.account_id), "class": labels.classes.get(cls, cls),
                         "class_id": cls, "kind": labels.kind(r.kind), "purpose": r.purpose, "task": r.task,
                         "deadline_q": f"Q{r.deadline_quarter}" if r.deadline_quarter >= 1 else "—",
                         "priority": rt(f"priority.{r.priority}", L) if r.priority in ("high", "medium", "low")
                         else r.priority, "divisible": rt("yes" if r.divisible else "no", L),
                         "asked": float(r.amount), "unit": labels.units.get(r.kind, "")})
    return requests


def _people_rows(cfg, labels: _Labels, per_quarter) -> list[dict]:
    """One row per support person; ``per_quarter(person, q)`` gives that quarter's columns."""
    rows = []
    for pool in cfg.support_pools:
        for p in pool.people:
            row = {"person_id": p.id, "person": p.name.get(labels.language), "pool": labels.kind(pool.kind),
                   "unit": labels.units[pool.kind]}
            for q in QUARTERS:
                row.update(per_quarter(p, q))
            rows.append(row)
    return rows


def _pool_marginals(marg: pd.DataFrame) -> dict:
    """(pool, quarter or YEAR) -> the value of one more unit of the pool's capacity (or budget)."""
    pools = {}
    for r in marg.itertuples(index=False):
        if r.person_id == "*":
            pools[(r.pool, f"Q{int(r.quarter)}")] = {"mv": r.value_per_unit, "resolve_gain": r.resolve_gain}
        elif r.person_id == "budget":
            pools[(r.pool, YEAR)] = {"mv": r.value_per_unit}
    return pools


def _choice_rows(store, year: int, requests: list[dict], stored_req: pd.DataFrame) -> list[dict]:
    """The Choices sheet: every plan request (not the coverage ones) with what it got and the choice in force."""
    in_force = {r.request_id: r.choice for r in rs.choices(store, year).itertuples(index=False)}
    return [{"request_id": r["request_id"], "account_id": r["account_id"], "kind_id": k,
             "account": r["account"], "kind": r["kind"], "purpose": r["purpose"], "asked": r["asked"],
             "given": float(stored_req.loc[stored_req["request_id"] == r["request_id"], "given"].iloc[0]),
             "in_force": in_force.get(r["request_id"])}
            for r, k in zip(requests, stored_req["kind"]) if not str(r["request_id"]).startswith("coverage:")]
