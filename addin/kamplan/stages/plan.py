"""The plan of a year, from the salespeople's figures to the agreed plan, and as later stages see it.

Plan versions live in the store (``Store.record_plan_version``).  ``consolidate`` records a
bottom-up version whenever the salespeople's submissions changed since the last one; ``spread``
applies a top-down instruction to the current version and records the result (``spread_from_workbook``
reads that instruction from a consolidation workbook); ``undo`` records a copy of an earlier version;
``agree`` locks the current version as the year's plan and ``export_agreed`` writes it out for the
salespeople and management.  Nothing is ever deleted, so any two versions can be compared.

Evaluation, resource allocation and the add-in read targets through ``plan_view`` so they need not know
how rounds, top-down versions and the agreement are stored.

Stage functions print nothing; they return results and report progress through a callback.
"""
from __future__ import annotations

import datetime as dt
import getpass
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from kamplan.engine.credit import credit_shares, team_frame
from kamplan.engine.topdown import TopDownError, TopDownResult, TopDownSpec, apply_topdown
from kamplan.imports.quotas import QuotaTable, no_lines_problem, read_quota_file
from kamplan.model import TARGET_COLUMNS
from kamplan.messages import Message, t
from kamplan.messages.versions import VersionWords, version_kind
from kamplan.problems import Problem, has_errors, problem
from kamplan.stages.inputs import Progress, no_progress
from kamplan.stages.review import effective_classes
from kamplan.store import AlreadyAgreedError, BaseMovedError, Store, StoreError
from kamplan.store.resources import support_by_account
from kamplan.store.schema import PLAN_LINE_COLUMNS
from kamplan.workbooks.agreed.writer import AgreedContent, write_management, write_rep_targets
from kamplan.workbooks.consolidation.reader import read_topdown_workbook
from kamplan.workbooks.consolidation.content import ConsolidationContent
from kamplan.workbooks.consolidation.writer import write_consolidation_workbook
from kamplan.workspace import Workspace

KEY = ["account_id", "product_id", "quarter"]
PROPOSAL_COLUMNS = KEY + ["volume", "price", "revenue", "own_volume", "own_price", "own_revenue"]
LINE_KINDS = ("targets", "visits", "trainings", "services", "requests")


def who() -> str:
    """The person running the command, for the record."""
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers, services)
        return "unknown"


# -- bottom-up -----------------------------------------------------------------------------------------
@dataclass
class BottomUp:
    lines: pd.DataFrame  # PLAN_LINE_COLUMNS
    submissions: dict[str, int]  # rep -> submission id used
    run_rate_reps: list[str]  # salespeople with no usable submission: last year's actual stands in
    responses: dict[str, dict[str, int]]  # rep -> {"accept": n, "counter": n} in top-down rounds


def bottom_up(ws: Workspace) -> BottomUp:
    """Per salesperson the lines of their newest current submission (any round); last year's
    actual per quarter for those with none."""
    cfg, store = ws.config, ws.store
    year = cfg.plan_year
    subs = store.submissions(year)
    owners = {a.id: a.rep for a in cfg.accounts}
    scope = ws.reps_in_scope()  # a regional manager's workspace sees its region's salespeople only
    reps = sorted({a.rep for a in cfg.accounts if scope is None or a.rep in scope})
    newest: dict[str, tuple[int, int]] = {}
    for row in subs.itertuples(index=False):
        if (row.round, row.id) > newest.get(row.rep_id, (-1, -1)):
            newest[row.rep_id] = (row.round, row.id)
    parts, used, responses = [], {}, {}
    by_round: dict[int, pd.DataFrame] = {}
    for rep in reps:
        if rep not in newest:
            continue
        rnd, sid = newest[rep]
        if rnd not in by_round:
            by_round[rnd] = store.lines_frame(year, rnd, "targets")
        frame = by_round[rnd]
        mine = frame[frame["rep_id"] == rep]
        mine = mine[mine["volume"].notna() | mine["revenue"].notna()]
        used[rep] = sid
        counts = mine["response"].value_counts()
        if len(counts):
            responses[rep] = {k: int(v) for k, v in counts.items()}
        parts.append(mine.assign(basis="submitted"))
    missing = [r for r in reps if r not in newest]
    if missing:
        ly = store.history([year - 1])
        ly = ly[ly["account_id"].map(owners).isin(missing)]
        ly = ly.groupby(KEY, as_index=False)[["volume", "revenue"]].sum()
        ly["rep_id"] = ly["account_id"].map(owners)
        with np.errstate(divide="ignore", invalid="ignore"):
            ly["price"] = np.where(ly["volume"] > 0, ly["revenue"] / ly["volume"], np.nan)
        parts.append(ly.assign(basis="run-rate"))
    lines = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=PLAN_LINE_COLUMNS)
    lines = lines[PLAN_LINE_COLUMNS].copy()
    lines["quarter"] = lines["quarter"].astype("int64")
    for c in ("volume", "price", "revenue"):
        lines[c] = lines[c].astype("float64")
    lines = lines.sort_values(["rep_id", *KEY], kind="stable").reset_index(drop=True)
    return BottomUp(lines, used, missing, responses)


@dataclass
class ConsolidateResult:
    year: int
    version_id: int | None
    new_version: bool  # False: the submissions had not changed since the current bottom-up version
    bottom_up: BottomUp
    workbook: Path | None = None
    problems: list[Problem] = field(default_factory=list)


def consolidate(ws: Workspace, write_workbook: bool = True, progress: Progress = no_progress,
                by: str | None = None) -> ConsolidateResult:
    """Record a bottom-up version if the submissions changed, then write the consolidation workbook.

    The new version states the version it follows; if another command stored one in between (two
    consolidates at once, a spread), the submissions are read again and compared with it once more,
    so two identical consolidations at once give one version."""
    progress(t("progress.reading-submissions"))
    if ws.role != "vp":
        return _consolidation_view(ws, write_workbook, progress)
    ws.require_vp("consolidate the company plan")
    try:
        result = _consolidate_once(ws, by)
    except BaseMovedError:
        result = _consolidate_once(ws, by)  # built on the version the other command just stored
    if write_workbook and result.version_id is not None:
        progress(t("progress.writing-consolidation"))
        result.workbook = write_consolidation(ws, result.version_id)
    return result


def _consolidation_view(ws: Workspace, write_workbook: bool, progress: Progress) -> ConsolidateResult:
    """Consolidate in a regional manager's or management's workspace: no new version (only the VP's workspace
    changes the company plan), the current version's consolidation workbook of the workspace's region."""
    year = ws.config.plan_year
    version = ws.store.current_plan_version(year)
    result = ConsolidateResult(year, version, False, bottom_up(ws))
    if write_workbook and version is not None:
        progress(t("progress.writing-consolidation"))
        result.workbook = write_consolidation(ws, version)
    return result


def _consolidate_once(ws: Workspace, by: str | None) -> ConsolidateResult:
    cfg, store = ws.config, ws.store
    year = cfg.plan_year
    bu = bottom_up(ws)
    versions = store.plan_versions(year)
    last_bu = versions[versions["kind"] == "bottom-up"].tail(1)
    same = len(last_bu) and last_bu["summary"].iloc[0].get("submissions") == {k: int(v) for k, v
                                                                             in bu.submissions.items()}
    agreed = store.agreement(year)
    if same or agreed is not None or not len(bu.lines):
        return ConsolidateResult(year, int(versions["id"].iloc[-1]) if len(versions) else None, False, bu)
    rnd = store.current_round(year)
    n_sub, n_run = len(bu.submissions), len(bu.run_rate_reps)
    desc = (f"bottom-up, round {rnd}: {n_sub} salespeople submitted"
            + (f", {n_run} missing (last year's run-rate)" if n_run else ""))
    parent = int(versions["id"].iloc[-1]) if len(versions) else None
    vid = store.record_plan_version(
        year, "bottom-up", bu.lines, by or who(), desc, round=rnd, parent_id=parent,
        summary={"submissions": bu.submissions, "run_rate_reps": bu.run_rate_reps,
                 "responses": bu.responses, **_totals(bu.lines)})
    return ConsolidateResult(year, vid, True, bu)


def _totals(lines: pd.DataFrame) -> dict:
    return {"volume": float(lines["volume"].sum()), "revenue": float(lines["revenue"].sum())}


# -- the lines the VP works on -------------------------------------------------------------------------
def enriched_lines(ws: Workspace, version_id: int) -> tuple[dict, pd.DataFrame]:
    """A version's lines with region, class, last year's actual, the salesperson's own (bottom-up)
    figure and a potential weight: what spreading and the consolidation workbook need."""
    cfg, store = ws.config, ws.store
    info, lines = store.plan_version(version_id)
    classes = {a: c for a, (c, _) in effective_classes(ws).items()}
    region_of = {a.id: a.region for a in cfg.accounts}
    lines["region_id"] = lines["account_id"].map(region_of).fillna("")
    lines["cls"] = lines["account_id"].map(classes).fillna("")
    ly = store.history([info["year"] - 1]).groupby(KEY, as_index=False)[["volume", "revenue"]].sum()
    lines = lines.merge(ly.rename(columns={"volume": "ly_volume", "revenue": "ly_revenue"}), on=KEY, how="left")
    own = _own_lines(ws, info["year"], version_id)
    lines = lines.merge(own, on=KEY, how="left")
    _, rows = store.classification(cfg.plan_year)
    score = dict(zip(rows["account_id"], rows["score"])) if len(rows) else {}
    weight = lines["account_id"].map(score).astype("float64")
    # Without a score the account's potential is taken as its last year's revenue share (said in the notes).
    lines["weight"] = weight.where(weight.notna(), lines["ly_revenue"].fillna(0.0) / max(
        float(lines["ly_revenue"].fillna(0.0).sum()), 1.0))
    return info, lines


def _own_lines(ws: Workspace, year: int, upto_version: int) -> pd.DataFrame:
    """The salespeople's own figure per line: the newest bottom-up version up to ``upto_version``."""
    versions = ws.store.plan_versions(year)
    bu = versions[(versions["kind"] == "bottom-up") & (versions["id"] <= upto_version)]
    if not len(bu):
        return pd.DataFrame(columns=[*KEY, "own_volume", "own_revenue"])
    _, own = ws.store.plan_version(int(bu["id"].iloc[-1]))
    own = own.groupby(KEY, as_index=False)[["volume", "revenue"]].sum()
    return own.rename(columns={"volume": "own_volume", "revenue": "own_revenue"})


# -- top-down ------------------------------------------------------------------------------------------
@dataclass
class SpreadOutcome:
    base_version: int
    version_id: int | None  # None for a dry run, or a figure that cannot be reached (unless store_closest)
    result: TopDownResult
    spec: TopDownSpec

    @property
    def unreachable(self) -> bool:
        """A figure is not reached (holds, floors or caps): nothing is stored unless asked to.  Per figure,
        so that one figure short and another over cannot cancel out."""
        return bool(self.result.spread.shortfall) or not self.result.spread.reachable


def spread(ws: Workspace, spec: TopDownSpec, dry_run: bool = False, by: str | None = None,
           store_closest: bool = False) -> SpreadOutcome:
    """Apply ``spec`` to the current version and record the result as a new top-down version.  A figure
    that cannot be reached stores nothing (``outcome.unreachable``, the notes say why) unless
    ``store_closest``: then the closest reachable plan is stored.

    The version states its base; if another version was stored since the base was read (another VP's
    spread a moment earlier), the store refuses it with a BaseMovedError naming who stored what: rerun."""
    if not dry_run:
        ws.require_vp("adjust the company plan")
    cfg, store = ws.config, ws.store
    year = cfg.plan_year
    agreed = store.agreement(year)
    if agreed is not None:
        raise StoreError(f"the {year} plan is agreed (version {agreed['version_id']}): reopen it before "
                         "adjusting (kamplan targets reopen --reason ...)")
    base = store.current_plan_version(year)
    if base is None:
        raise StoreError(f"there is no {year} plan to adjust yet: collect round 1 and run "
                         "kamplan targets consolidate first")
    if spec.measure == "volume" and spec.by != "product":
        units = {p.unit for p in cfg.products}
        if len(units) > 1:
            raise ValueError(f"a volume figure by {spec.by} would add {', '.join(sorted(units))}: "
                             "give volume figures per product (--by product), or a revenue figure")
    _, lines = enriched_lines(ws, base)
    if spec.method == "reference":
        _, ref = store.plan_version(spec.reference_version)
        ref = ref.groupby(KEY, as_index=False)[["volume", "revenue"]].sum()
        lines = lines.merge(ref.rename(columns={"volume": "ref_volume", "revenue": "ref_revenue"}),
                            on=KEY, how="left")
    rules = cfg.targets
    credit = _salesperson_credit(cfg, lines) if spec.by == "rep" else None
    result = apply_topdown(lines, spec, rules.money_unit, rules.volume_unit, credit=credit,
                           far_below=rules.far_below, far_above=rules.far_above)
    outcome = SpreadOutcome(base, None, result, spec)
    if dry_run or (outcome.unreachable and not store_closest):
        return outcome
    new = result.lines.copy()
    sp = result.spread
    summary = {"target": float(sp.target_total), "achieved": float(sp.achieved_total),
               "shortfall": float(sp.shortfall), "notes": result.notes,
               "changed_lines": int((result.effect["delta"] != 0).sum()),
               "at_floor": int(sp.n_at_floor), "at_cap": int(sp.n_at_cap), **_totals(new)}
    outcome.version_id = store.record_plan_version(
        year, "top-down", new[PLAN_LINE_COLUMNS], by or who(), spec.describe(), parent_id=base,
        instruction=spec.to_json(), summary=summary)
    return outcome


def _salesperson_credit(cfg, lines: pd.DataFrame) -> pd.DataFrame:
    """Whose figure each plan line counts for: account_id, product_id, salesperson_id, share — the
    account teams' credit (``kamplan.engine.credit.credit_shares``, the one place credit is decided),
    so a shared line counts for each member by share and the spread fits every quota together
    (``engine.topdown._fit_shared``).  People credited nothing of a line are left out."""
    owners = {a.id: a.rep for a in cfg.accounts}
    credit = credit_shares(lines, team_frame(cfg.accounts), owners, cfg.teams.full_credit_roles)
    credit = credit[credit["share"] > 0]
    return credit[["account_id", "product_id", "salesperson_id", "share"]].reset_index(drop=True)


def spread_quota_file(ws: Workspace, path: Path, spec: TopDownSpec, dry_run: bool = False, by: str | None = None,
                      store_closest: bool = False) -> tuple[SpreadOutcome | None, list[Problem], QuotaTable]:
    """The quota table at ``path`` (``imports.quotas``) as one top-down instruction by salesperson and
    quarter: ``spec`` gives the rest (method, holds, bounds, note, allow_far); its figures are the table's.
    Nothing is spread (None) when the table has errors, a quota has no plan line to carry it, or the
    instruction is refused (e.g. a quota far from the current version): the problems say which row."""
    path = Path(path)
    table, problems = read_quota_file(path, ws.config)
    if has_errors(problems):
        return None, problems, table
    if not len(table.frame):
        return None, problems + [problem("quotas.nothing-to-spread", file=path.name)], table
    spec = replace(spec, measure="revenue", by="rep", figures=table.figures(), relative=(),
                   source={"file": path.name, "quotas": len(table.frame), "rows": table.rows})
    problems += _quotas_without_lines(ws, table)
    if has_errors(problems):
        return None, problems, table
    try:
        outcome = spread(ws, spec, dry_run=dry_run, by=by, store_closest=store_closest)
    except TopDownError as exc:
        return None, problems + [problem("quotas.refused", why=exc.why, file=path.name)], table
    return outcome, problems, table


def _quotas_without_lines(ws: Workspace, table: QuotaTable) -> list[Problem]:
    """A quota needs the salesperson's plan lines in its quarter to carry it (an error per quota without)."""
    base = ws.store.current_plan_version(ws.config.plan_year)
    if base is None:
        return []  # spread says there is no plan yet
    _, lines = ws.store.plan_version(base)
    credit = _salesperson_credit(ws.config, lines)
    carried = lines[["account_id", "product_id", "quarter"]].merge(credit, on=["account_id", "product_id"])
    have = set(zip(carried["salesperson_id"].astype(str), carried["quarter"].astype(int)))
    return [no_lines_problem(table, s, int(q))
            for s, q in table.frame[["salesperson_id", "quarter"]].itertuples(index=False) if (s, int(q)) not in have]


def spread_from_workbook(ws: Workspace, path: Path, dry_run: bool = False, by: str | None = None,
                         progress: Progress = no_progress, store_closest: bool = False
                         ) -> tuple[SpreadOutcome | None, list[Problem]]:
    """Apply the instruction typed into the Top-down sheet of the consolidation workbook at ``path``.

    Nothing is spread (None) when the sheet has errors.  A workbook written for an older version is
    applied to the current one, with a warning saying so."""
    path = Path(path)
    progress(t("progress.reading-topdown", name=path.name))
    found, problems = read_topdown_workbook(path, ws.config)
    if found is None or has_errors(problems):
        return None, problems
    current = ws.store.current_plan_version(ws.config.plan_year)
    if found.version_id is not None and current is not None and found.version_id != current:
        problems.append(problem("consolidation.stale", name=path.name, shown=found.version_id, current=current,
                                file=path))
    progress(t("progress.spreading"))
    return spread(ws, found.spec, dry_run=dry_run, by=by, store_closest=store_closest), problems


def undo(ws: Workspace, to_version: int, by: str | None = None) -> int:
    """Make ``to_version`` current again by recording a copy of it (the versions after it stay)."""
    ws.require_vp("change the company plan")
    cfg, store = ws.config, ws.store
    info, lines = store.plan_version(to_version)
    if info["year"] != cfg.plan_year:
        raise StoreError(f"version {to_version} belongs to {info['year']}, not the plan year {cfg.plan_year}")
    current = store.current_plan_version(cfg.plan_year)
    if current == to_version:
        raise StoreError(f"version {to_version} is already the current plan")
    # parent_id=current: refused (BaseMovedError) if another version was stored since it was read
    return store.record_plan_version(cfg.plan_year, "undo", lines, by or who(),
                                     f"back to version {to_version} ({info['description']})", parent_id=current,
                                     summary={"restored": int(to_version), **_totals(lines)})


def compare(ws: Workspace, a: int, b: int, by: str = "rep_id") -> pd.DataFrame:
    """Totals of versions ``a`` and ``b`` per ``by`` (rep_id, region_id, cls, account_id, product_id,
    quarter) with the change in volume and revenue."""
    if by not in ("rep_id", "region_id", "cls", "account_id", "product_id", "quarter"):
        raise ValueError(f"compare by {by!r}: use rep_id, region_id, cls, account_id, product_id or quarter")
    if a == b:
        raise ValueError(f"compare two different versions (both are {a})")
    frames = []
    for vid in (a, b):
        _, lines = enriched_lines(ws, vid)
        frames.append(lines.groupby(by)[["volume", "revenue"]].sum())
    out = frames[0].add_suffix(f"_v{a}").join(frames[1].add_suffix(f"_v{b}"), how="outer").fillna(0.0)
    out["volume_change"] = out[f"volume_v{b}"] - out[f"volume_v{a}"]
    out["revenue_change"] = out[f"revenue_v{b}"] - out[f"revenue_v{a}"]
    return out.reset_index()


# -- back to the salespeople ---------------------------------------------------------------------------
def proposals(ws: Workspace) -> tuple[int, dict[str, pd.DataFrame]]:
    """Per salesperson the current version's lines as a proposal (account_id, product_id, quarter,
    volume, price, revenue, own_volume, own_price, own_revenue), and the version they come from."""
    store, year = ws.store, ws.config.plan_year
    if store.agreement(year) is not None:
        raise StoreError(f"the {year} plan is agreed: no more proposal rounds (reopen it to change it)")
    vid = store.current_plan_version(year)
    if vid is None:
        raise StoreError(f"there is no {year} plan to propose yet: collect round 1, then run "
                         "kamplan targets consolidate (and targets spread)")
    _, lines = enriched_lines(ws, vid)
    cols = ["volume", "revenue", "own_volume", "own_revenue"]
    lines[cols] = lines[cols].astype("float64")
    out = {}
    for rep, mine in lines.groupby("rep_id", sort=True):
        prop = mine.groupby(KEY, as_index=False)[cols].sum(min_count=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            prop["price"] = np.where(prop["volume"] > 0, prop["revenue"] / prop["volume"], np.nan)
            prop["own_price"] = np.where(prop["own_volume"] > 0, prop["own_revenue"] / prop["own_volume"], np.nan)
        out[rep] = prop[PROPOSAL_COLUMNS]
    return vid, out


def latest_submission(ws: Workspace, rep_id: str):
    """The salesperson's newest current submission in any round (or None), to pre-fill the next round."""
    store, year = ws.store, ws.config.plan_year
    subs = store.submissions(year)
    mine = subs[subs["rep_id"] == rep_id]
    if not len(mine):
        return None
    return store.submission(int(mine.sort_values(["round", "id"])["id"].iloc[-1]))


# -- agreement ----------------------------------------------------------------------------------------
def agree(ws: Workspace, version_id: int | None = None, by: str | None = None, note: str = "",
          now: dt.datetime | None = None) -> int:
    """Lock the current version (or ``version_id``, which must be current) as the year's plan, without
    writing the export (``agree_and_export`` does both); ``now``: when it was agreed (default: now)."""
    ws.require_vp("agree the company plan")
    cfg, store = ws.config, ws.store
    vid = version_id or store.current_plan_version(cfg.plan_year)
    if vid is None:
        raise StoreError(f"there is no {cfg.plan_year} plan to agree yet: collect and consolidate first")
    store.agree_plan(cfg.plan_year, vid, by or who(), note, at=now)
    return vid


@dataclass
class AgreeOutcome:
    version_id: int
    export: AgreedExport
    already_agreed: bool  # True: it was agreed before; this run wrote its export again


def agree_and_export(ws: Workspace, version_id: int | None = None, by: str | None = None, note: str = "",
                     language: str | None = None) -> AgreeOutcome:
    """Agree the plan and write its export, so that neither exists without the other.

    The export is written into a temporary folder first; inside the locked transaction that stores the
    agreement it is renamed into ``reports/agreed-YEAR-vN``, and only then is the agreement committed.
    An interrupted run leaves no agreement (and at most a temporary folder, removed by the next run).
    Agreeing a plan that is agreed already writes its export again (e.g. after one was deleted)."""
    ws.require_vp("agree the company plan")
    cfg, store = ws.config, ws.store
    year = cfg.plan_year
    agreed = store.agreement(year)
    if agreed is not None and version_id in (None, agreed["version_id"]):
        return AgreeOutcome(agreed["version_id"], export_agreed(ws, language), True)
    vid = version_id or store.current_plan_version(year)
    if vid is None:
        raise StoreError(f"there is no {year} plan to agree yet: collect and consolidate first")
    by = by or who()
    pending = {"version_id": int(vid), "at": dt.datetime.now(dt.timezone.utc), "by": by, "note": note}
    staged = _write_export(ws, pending, language)
    final = _export_folder(ws, year, vid)
    try:
        store.agree_plan(year, vid, by, note, at=pending["at"],
                         before_commit=lambda row: _put_in_place(staged, final, year, vid))
    except AlreadyAgreedError as exc:  # another agree won the race a moment ago: its export stands
        _remove_tree(staged.folder)
        if exc.agreement["version_id"] != vid:
            raise
        return AgreeOutcome(vid, export_agreed(ws, language), True)
    except BaseException:
        _remove_tree(staged.folder)
        raise
    return AgreeOutcome(vid, _moved(staged, final), False)


def reopen(ws: Workspace, reason: str, by: str | None = None) -> int:
    ws.require_vp("reopen the company plan")
    return ws.store.reopen_plan(ws.config.plan_year, by or who(), reason)


# -- the plan as later stages see it ---------------------------------------------------------------
@dataclass
class PlanView:
    """Every frame has ``rep_id`` first, then the model's columns (TARGET_COLUMNS, VISIT_COLUMNS ...)."""
    year: int
    agreed: bool  # True once the VP has locked the plan
    round: int | None  # the newest collection round (None: nothing collected yet)
    source: str  # one line for people: where these figures come from
    targets: pd.DataFrame
    visits: pd.DataFrame
    trainings: pd.DataFrame
    services: pd.DataFrame
    requests: pd.DataFrame
    version: int | None = None  # the plan version the targets come from (None: straight from submissions)


def _newest_submission_lines(store: Store, year: int, kind: str) -> pd.DataFrame:
    """Per salesperson the ``kind`` lines of their newest current submission in any round."""
    rounds = sorted(store.rounds(year)["round"].tolist()) if len(store.rounds(year)) else [1]
    frames, seen = [], set()
    for rnd in reversed(rounds):
        frame = store.lines_frame(year, rnd, kind)
        frame = frame[~frame["rep_id"].isin(seen)]
        seen |= set(frame["rep_id"])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else store.lines_frame(year, 1, kind)


def plan_view(store: Store, year: int) -> PlanView:
    """The agreed plan of ``year`` if locked; else the current plan version (the VP's working draft);
    else the salespeople's submissions of the newest round.  Visits, trainings, services and requests
    always come from each salesperson's newest submission."""
    rnd = store.current_round(year)
    others = {kind: _newest_submission_lines(store, year, kind) for kind in LINE_KINDS[1:]}
    agreed = store.agreement(year)
    version = agreed["version_id"] if agreed else store.current_plan_version(year)
    if version is None:
        targets = _newest_submission_lines(store, year, "targets")
        source = Message("plan.source.round", round=rnd) if rnd else Message("plan.source.none")
        return PlanView(year, False, rnd, source, targets, **others)
    info, lines = store.plan_version(version)
    targets = lines.assign(comment=None, src=None, response=None)[["rep_id"] + TARGET_COLUMNS]
    if agreed:
        source = Message("plan.source.agreed", version=version, date=f"{agreed['at']:%Y-%m-%d}", by=str(agreed["by"]))
    else:
        source = Message("plan.source.version", version=version, kind=version_kind(str(info["kind"])),
                         description=VersionWords(info))
    return PlanView(year, bool(agreed), rnd, source, targets, version=version, **others)


# -- the consolidation workbook ------------------------------------------------------------------------
def consolidation_content(ws: Workspace, version_id: int, now: dt.datetime | None = None) -> ConsolidationContent:
    cfg, store = ws.config, ws.store
    year = cfg.plan_year
    info, lines = enriched_lines(ws, version_id)
    scope = ws.reps_in_scope()  # a regional manager's workbook shows its region's salespeople only
    rnd = store.current_round(year) or 1
    reps = sorted({a.rep for a in cfg.accounts if scope is None or a.rep in scope})
    if scope is not None:
        lines = lines[lines["rep_id"].isin(scope)].reset_index(drop=True)
    status = store.status(year, rnd, reps)
    warnings: list[Problem] = []
    for sid in status["submission_id"].dropna():
        sub = store.submission(int(sid))
        if sub is not None:
            warnings.extend(sub.warnings)
    versions = store.plan_versions(year)
    last_td = versions[versions["kind"] == "top-down"].tail(1)
    instruction = TopDownSpec.from_json(last_td["instruction"].iloc[0]) if len(last_td) else None
    if scope is not None:  # the versions' totals of the region; the VP's company-wide instruction is not shown
        versions, instruction = _versions_in_scope(store, versions, scope), None
    return ConsolidationContent(
        config=cfg, year=year, generated_at=(now or dt.datetime.now()).replace(microsecond=0),
        version={k: info.get(k) for k in ("id", "kind", "created_at", "by", "description", "round", "instruction",
                                          "summary")},
        lines=lines, status=status, warnings=warnings,
        versions=versions[["id", "kind", "created_at", "by", "description", "volume", "revenue", "round",
                           "instruction", "summary"]],
        instruction=instruction)


def _versions_in_scope(store: Store, versions: pd.DataFrame, scope: set[str]) -> pd.DataFrame:
    """``versions`` with each version's volume and revenue summed over the salespeople of ``scope``."""
    versions = versions.copy()
    totals = []
    for vid in versions["id"]:
        _, lines = store.plan_version(int(vid))
        mine = lines[lines["rep_id"].isin(scope)]
        totals.append((float(mine["volume"].sum()), float(mine["revenue"].sum())))
    versions["volume"] = [v for v, _ in totals]
    versions["revenue"] = [r for _, r in totals]
    return versions


def write_consolidation(ws: Workspace, version_id: int, now: dt.datetime | None = None) -> Path:
    """reports/consolidation_<year>_v<version>.xlsx (``..._<region>.xlsx`` in a regional manager's workspace);
    an existing file of that version is kept."""
    region = f"_{ws.region}" if ws.region else ""
    path = ws.reports / f"consolidation_{ws.config.plan_year}_v{version_id}{region}.xlsx"
    if path.exists():
        return path
    ws.reports.mkdir(parents=True, exist_ok=True)
    return write_consolidation_workbook(path, consolidation_content(ws, version_id, now))


# -- the agreed plan, as workbooks: each salesperson's annual targets, the management summary ----
@dataclass
class AgreedExport:
    folder: Path
    management: Path
    rep_files: list[Path] = field(default_factory=list)


def _support(ws: Workspace):
    """Support allocated per account by the newest resource plan (None when there is none yet)."""
    frame = support_by_account(ws.store, ws.config.plan_year)
    return frame if len(frame) else None


def _export_folder(ws: Workspace, year: int, version_id: int) -> Path:
    return ws.reports / f"agreed-{year}-v{version_id}"


def export_agreed(ws: Workspace, language: str | None = None) -> AgreedExport:
    """Write the agreed plan's workbooks into ``reports/agreed-YEAR-vN`` (replacing an earlier export):
    written into a temporary folder, then renamed into place, so the folder is never half-written."""
    store, year = ws.store, ws.config.plan_year
    agreed = store.agreement(year)
    if agreed is None:
        raise StoreError(f"the {year} plan is not agreed yet: kamplan targets agree locks it first")
    staged = _write_export(ws, agreed, language)
    final = _export_folder(ws, year, agreed["version_id"])
    try:
        detail = _put_in_place(staged, final, year, agreed["version_id"])
    except BaseException:
        _remove_tree(staged.folder)
        raise
    store.log_event("plan.export", detail)
    return _moved(staged, final)


def _write_export(ws: Workspace, agreed: dict, language: str | None) -> AgreedExport:
    """The export of the agreement ``agreed`` (version_id, at, by), in a new temporary folder of reports/."""
    year = ws.config.plan_year
    ws.reports.mkdir(parents=True, exist_ok=True)
    _remove_stale_exports(ws, year)
    folder = Path(tempfile.mkdtemp(prefix=f".kamplan-agreed-{year}-v{agreed['version_id']}-p{os.getpid()}-",
                                   dir=ws.reports))
    try:
        _fill_export(ws, agreed, language, AgreedExport(folder, folder / f"management_{year}.xlsx"))
    except BaseException:
        _remove_tree(folder)
        raise
    return AgreedExport(folder, folder / f"management_{year}.xlsx",
                        sorted(p for p in folder.iterdir() if p.name.endswith("_targets.xlsx")))


def _fill_export(ws: Workspace, agreed: dict, language: str | None, out: AgreedExport) -> None:
    cfg, store = ws.config, ws.store
    year = cfg.plan_year
    view = plan_view(store, year)
    lang = language or cfg.language
    _, lines = enriched_lines(ws, agreed["version_id"])
    support = _support(ws)
    names = {"account": {a.id: a.name.get(lang) for a in cfg.accounts},
             "product": {p.id: p.name.get(lang) for p in cfg.products},
             "rep": {s.id: s.name.get(lang) for s in cfg.staff},
             "region": {r.id: r.name.get(lang) for r in cfg.regions}}
    common = dict(year=year, language=lang, company=cfg.company.name.get(lang), currency=cfg.currency,
                  version=agreed["version_id"], agreed_at=agreed["at"], agreed_by=agreed["by"],
                  sheet_password=cfg.workbook.sheet_password, names=names,
                  units={p.id: p.unit for p in cfg.products})
    for rep in sorted(lines["rep_id"].unique()):
        def mine(frame):
            return frame[frame["rep_id"] == rep].drop(columns="rep_id")
        rep_support = None
        if support is not None:
            accounts = set(lines.loc[lines["rep_id"] == rep, "account_id"])
            rep_support = support[support["account_id"].isin(accounts)]
        content = AgreedContent(**common, lines=lines[lines["rep_id"] == rep], visits=mine(view.visits),
                                trainings=mine(view.trainings), services=mine(view.services), support=rep_support)
        out.rep_files.append(write_rep_targets(out.folder / f"{rep}_{year}_targets.xlsx", content, rep))
    write_management(out.management, AgreedContent(**common, lines=lines))


def _put_in_place(staged: AgreedExport, final: Path, year: int, version_id: int) -> dict:
    """Rename the finished export ``staged`` to ``final``; an earlier export there is moved aside first and
    removed after.  Returns the detail of the "plan.export" audit event."""
    old = None
    if final.exists():
        old = final.with_name(f".kamplan-old-{final.name}-{staged.folder.name[-8:]}")
        final.rename(old)
    staged.folder.rename(final)
    if old is not None:
        _remove_tree(old)
    return {"year": year, "version": int(version_id), "folder": str(final), "files": len(staged.rep_files) + 1}


def _moved(staged: AgreedExport, final: Path) -> AgreedExport:
    return AgreedExport(final, final / staged.management.name, [final / p.name for p in staged.rep_files])


STALE_EXPORT_SECONDS = 3600  # a temporary export this old is stale even if its process cannot be checked


def _remove_stale_exports(ws: Workspace, year: int) -> None:
    """Temporary export folders an interrupted agree or export left behind (not one another agree
    running at this moment is still writing)."""
    for stale in ws.reports.glob(f".kamplan-*agreed-{year}-*"):
        if stale.is_dir() and not _being_written(stale):
            _remove_tree(stale)


def _being_written(folder: Path) -> bool:
    """Whether the process named in a temporary folder's name (``-p<pid>-``) still runs."""
    # the pid is the digits after "-p"; the random part mkdtemp adds may itself begin with "p"
    m = re.search(r"-p(\d+)-", folder.name)
    pid = int(m.group(1)) if m else None
    if pid is None or os.name != "posix":
        return time.time() - folder.stat().st_mtime < STALE_EXPORT_SECONDS
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
