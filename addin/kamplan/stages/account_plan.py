"""Account plans (重点客户计划): issue one workbook per salesperson, collect them back, show their status.

``issue_plans`` writes ``outbox/account-plans/<rep>_account_plan_<year>.xlsx`` for every salesperson who
carries an account (owner or team member, ``engine.account_plan.accounts_carried``), pre-filled from
the salesperson's current stored version (personal notes included: it is their own workbook).  Each
workbook is recorded in ``issued_workbooks`` (round 0) before it is written.  An existing file is kept
unless ``force``; then it moves to ``replaced/STAMP/``.

``collect_plans`` reads every returned workbook (default ``inbox/account-plans/``), oldest file first.
One bad workbook never stops the others: it is rejected with its problems (and the feedback files of
``stages.feedback``).  A workbook this store did not issue (another workspace), or whose identity names
another salesperson than the one it was issued to, is refused.  The same content again stores nothing;
an older content sent again after a newer one was collected is current again, with a warning (as target
workbooks); a workbook pre-filled from an older version than the current one is stored with a warning.
Each stored workbook is one transaction (``store.record_plan_version``).

``plan_status`` gives, per salesperson, what was issued and what was collected.
"""
from __future__ import annotations

import datetime as dt
import getpass
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pandas as pd

from kamplan.engine.account_plan import accounts_carried
from kamplan.problems import Problem, WithProblems, has_errors, problem, unexpected
from kamplan.stages.feedback import write_feedback
from kamplan.stages.inputs import Progress, expand_inputs, modified_time, no_progress
from kamplan.store.account_plan import plan_row
from kamplan.workbooks.account_plan.content import AccountPlanContent, new_identity, plan_file_name
from kamplan.workbooks.account_plan.layout import FIELDS, ID_COLUMN, IDENTITY, LIST_SHEETS
from kamplan.workbooks.account_plan.reader import AccountPlanInput, plan_identity, read_account_plan_workbook
from kamplan.workbooks.account_plan.writer import write_account_plan_workbook
from kamplan.workbooks.kit.safety import check_workbook_file, content_hash
from kamplan.workspace import Workspace

PLAN_FOLDER = "account-plans"


def plan_outbox(ws: Workspace) -> Path:
    return ws.outbox / PLAN_FOLDER


def plan_inbox(ws: Workspace) -> Path:
    return ws.inbox / PLAN_FOLDER


def carried(ws: Workspace) -> dict[str, list[str]]:
    """salesperson -> the accounts whose plan they keep (owner or team member)."""
    cfg = ws.config
    return accounts_carried({a.id: a.rep for a in cfg.accounts}, ws.store.account_team())


def our_people(cfg) -> list[tuple[str, str]]:
    """(id, name) of our people who may own a relationship or an action: staff, then support people."""
    out = {s.id: s.name.get(cfg.language) for s in cfg.staff}
    for pool in cfg.support_pools:
        for p in pool.people:
            out.setdefault(p.id, p.name.get(cfg.language))
    return list(out.items())


# -- issue ---------------------------------------------------------------------------------------------
@dataclass
class PlanIssueResult(WithProblems):
    year: int
    folder: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    without_accounts: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"year": self.year, "folder": str(self.folder), "written": [str(p) for p in self.written],
                "kept": [str(p) for p in self.kept], "without_accounts": self.without_accounts,
                "problems": self.problems}


def issue_plans(ws: Workspace, reps: list[str] | None = None, force: bool = False, language: str | None = None,
                now: dt.datetime | None = None, progress: Progress = no_progress) -> PlanIssueResult:
    """Write one account plan per salesperson (``reps``: only these); see the module docstring."""
    cfg, store = ws.config, ws.store
    res = PlanIssueResult(cfg.plan_year, plan_outbox(ws))
    unknown = sorted(set(reps or []) - {s.id for s in cfg.staff})
    if unknown:  # checked before anything is written
        res.problems.append(problem("plan.unknown-salesperson", ids=", ".join(unknown),
                                    known=", ".join(s.id for s in cfg.staff)))
        return res
    stamp = (now or dt.datetime.now()).replace(microsecond=0)
    res.folder.mkdir(parents=True, exist_ok=True)
    by_rep = carried(ws)
    jobs = []
    for s in cfg.staff:
        if reps is not None and s.id not in reps:
            continue
        progress(s.id)
        if not by_rep.get(s.id):
            res.without_accounts.append(s.id)
            continue
        path = res.folder / plan_file_name(s.id, cfg.plan_year)
        if path.exists():
            if not force:
                res.kept.append(path)
                continue
            replaced = res.folder / "replaced" / stamp.strftime("%Y%m%d-%H%M%S")
            replaced.mkdir(parents=True, exist_ok=True)
            path.rename(replaced / path.name)
        content = plan_content(ws, s.id, by_rep[s.id], stamp, language)
        content.identity.layout_hash = content.layout().signature()
        # Recorded before it is written: every file on disk is one the store knows.
        store.record_issued(content.identity.workbook_identity(), path.name)
        jobs.append((path, content))
    res.written += _write_plans(jobs)
    store.log_event("account-plan.issue", {"year": cfg.plan_year, "written": [p.name for p in res.written],
                                           "kept": [p.name for p in res.kept]})
    return res


def _write_plans(jobs: list[tuple[Path, AccountPlanContent]], workers: int | None = None) -> list[Path]:
    """The plans are independent: written on every core when there are many (as ``issue_targets`` does),
    in the jobs' order either way; each file atomically by whichever process writes it."""
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(jobs) >= 8 else 1
    if workers > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            return list(pool.map(_write_plan, jobs))
    return [_write_plan(job) for job in jobs]


def _write_plan(job: tuple[Path, AccountPlanContent]) -> Path:
    return write_account_plan_workbook(*job)


def plan_content(ws: Workspace, rep_id: str, accounts: list[str], stamp: dt.datetime,
                 language: str | None = None) -> AccountPlanContent:
    """The workbook of ``rep_id``, pre-filled from their current version (its rows of these accounts)."""
    cfg, store = ws.config, ws.store
    L = language or cfg.language
    current = store.current_account_plan(cfg.plan_year, rep_id)
    rows: dict[str, list[dict]] = {k: [] for k in LIST_SHEETS}
    business: dict[str, dict] = {}
    if current is not None:
        frame = store.account_plan_rows(cfg.plan_year, version_id=int(current["id"]), personal=True)
        for rec in sorted(frame.to_dict("records"), key=_sheet_row):
            if rec["account_id"] not in accounts:
                continue
            if rec["sheet"] == "business":
                business[rec["account_id"]] = rec
            elif rec["sheet"] in rows:
                rows[rec["sheet"]].append(_typed_row(rec))
    names = {a.id: a.name.get(L) for a in cfg.accounts}
    staff = {s.id: s.name.get(L) for s in cfg.staff}
    return AccountPlanContent(
        identity=new_identity(cfg.plan_year, rep_id, int(current["id"]) if current is not None else None, stamp),
        language=L, company=cfg.company.name.get(L), currency=cfg.currency, rep_name=staff.get(rep_id, rep_id),
        accounts=[(a, names.get(a, a)) for a in accounts],
        products=[(p.id, p.name.get(L), p.unit) for p in cfg.products], people=our_people(cfg), rows=rows,
        business=business, prefilled_at=_local(current["collected_at"]) if current is not None else None,
        blank_rows=cfg.account_plan.blank_rows, sheet_password=cfg.workbook.sheet_password)


def _sheet_row(rec: dict) -> tuple:
    """Rows in the order the salesperson had them (the row number at the end of ``src``)."""
    src = str(rec.get("src") or "")
    tail = src.rsplit("›", 1)[-1].strip()
    return (int(tail) if tail.isdigit() else 10**9, str(rec["row_id"]))


def _typed_row(rec: dict) -> dict:
    out = {ID_COLUMN: rec["row_id"]}
    for f in FIELDS[rec["sheet"]]:
        value = rec.get(f.key)
        if value is not None and value == value and f.dtype == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        out[f.key] = None if value is None or value != value else value
    return out


def _local(at) -> dt.datetime:
    at = pd.Timestamp(at).to_pydatetime()
    return at.astimezone().replace(tzinfo=None) if at.tzinfo else at


# -- collect -------------------------------------------------------------------------------------------
@dataclass
class PlanFileOutcome(WithProblems):
    path: Path
    outcome: str  # "stored", "unchanged", "rejected"
    rep_id: str | None = None
    version_id: int | None = None
    added: int = 0
    changed: int = 0
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"file": str(self.path), "outcome": self.outcome, "rep_id": self.rep_id,
                "version": self.version_id, "added": self.added, "changed": self.changed,
                "removed": self.removed, "problems": self.problems}


@dataclass
class PlanCollectResult:
    year: int
    files: list[PlanFileOutcome]

    @property
    def rejected(self) -> list[PlanFileOutcome]:
        return [f for f in self.files if f.outcome == "rejected"]

    def to_dict(self) -> dict:
        return {"year": self.year, "files": [f.to_dict() for f in self.files],
                "stored": sum(f.outcome == "stored" for f in self.files),
                "unchanged": sum(f.outcome == "unchanged" for f in self.files), "rejected": len(self.rejected)}


def collect_plans(ws: Workspace, inputs: Iterable[str | Path] | None = None, progress: Progress = no_progress,
                  now: dt.datetime | None = None, by: str | None = None) -> PlanCollectResult:
    """Store every good account plan of ``inputs`` (default: inbox/account-plans/); see the module docstring."""
    cfg = ws.config
    files, missing = expand_inputs(list(inputs) if inputs else [plan_inbox(ws)])
    outcomes = [PlanFileOutcome(Path(p.file or ""), "rejected", problems=[p]) for p in missing]
    who = by if by is not None else _user()
    files.sort(key=lambda f: (modified_time(f), str(f)))  # of two files of one salesperson, the newer wins
    for f in files:
        progress(f.name)
        try:
            outcomes.append(_collect_one(ws, f, who, now))
        except Exception as exc:  # a bug or a store fault with one file must not stop the others
            outcomes.append(PlanFileOutcome(f, "rejected", problems=[unexpected(f, exc)]))
    ws.store.log_event("account-plan.collect", {"year": cfg.plan_year, "files": len(outcomes),
                                                "stored": sum(o.outcome == "stored" for o in outcomes),
                                                "rejected": sum(o.outcome == "rejected" for o in outcomes)})
    write_feedback(ws, outcomes)
    return PlanCollectResult(cfg.plan_year, outcomes)


def _collect_one(ws: Workspace, path: Path, who: str, now: dt.datetime | None) -> PlanFileOutcome:
    cfg, store = ws.config, ws.store
    problems = check_workbook_file(path)
    if problems:
        return PlanFileOutcome(path, "rejected", problems=problems)
    digest = content_hash(path)
    got, problems = read_account_plan_workbook(path, cfg.plan_year, digest)
    if got is None or has_errors(problems):
        rep = plan_identity(path).get("rep_id") or None
        return PlanFileOutcome(path, "rejected", rep, problems=problems)
    refused = _issued_problems(ws, got)
    if refused:
        return PlanFileOutcome(path, "rejected", got.identity.rep_id, problems=problems + refused)
    rep = got.identity.rep_id
    current = store.current_account_plan(cfg.plan_year, rep)
    if current is not None and current["content_hash"] != digest:
        older = store.account_plan_versions(cfg.plan_year, rep)
        older = older[older["content_hash"] == digest]
        if len(older) and not _saved_after(path, current["collected_at"]):
            # a stale copy lying in the folder since before the newer one came in changes nothing
            return PlanFileOutcome(path, "unchanged", rep, int(older.iloc[-1]["id"]), problems=problems)
        if len(older):
            problems = problems + [problem("plan.resent-older", file=path.name, version=int(older.iloc[-1]["id"]),
                                           rep=rep)]
        elif got.identity.based_on != int(current["id"]):
            problems = problems + [problem("plan.based-on-older", file=path.name,
                                           based_on=got.identity.based_on or 0, current=int(current["id"]))]
    rec = store.record_account_plan(cfg.plan_year, rep, stored_rows(got), workbook_id=got.identity.workbook_id,
                                    file_name=path.name, content_hash=digest, based_on=got.identity.based_on,
                                    by=who, collected_at=_stamp(now), accounts=set(got.business))
    if rec.outcome == "unchanged":
        return PlanFileOutcome(path, "unchanged", rep, rec.same_as, problems=problems)
    return PlanFileOutcome(path, "stored", rep, rec.version_id, rec.added, rec.changed, rec.removed, problems)


def _issued_problems(ws: Workspace, got: AccountPlanInput) -> list[Problem]:
    """A workbook of another workspace (not issued here), or one whose salesperson was changed, is refused."""
    ident = got.identity
    issued = ws.store.issued(ident.workbook_id)
    if issued is None or issued["kind"] != IDENTITY.kind:
        return [problem("plan.not-issued", file=got.file_name, workbook_id=ident.workbook_id or "?")]
    if issued["rep_id"] != ident.rep_id:
        return [problem("plan.other-rep", file=got.file_name, rep=ident.rep_id, issued_rep=issued["rep_id"])]
    if int(issued["year"]) != ident.plan_year:
        return [problem("plan.wrong-year", file=got.file_name, found=ident.plan_year, year=int(issued["year"]))]
    return []


def stored_rows(got: AccountPlanInput) -> list[dict]:
    """The workbook's rows as the store keeps them (``store.account_plan.plan_row``)."""
    out = []
    for sheet, rows in got.rows.items():
        for r in rows:
            fields = {f.key: r.get(f.key) for f in FIELDS[sheet]}
            out.append(plan_row(sheet, r[ID_COLUMN], r["account"], fields, r.get("src")))
    for account, values in got.business.items():
        out.append(plan_row("business", account, account, values, f"{got.file_name} › business › {account}"))
    return out


def _saved_after(path: Path, collected_at) -> bool:
    at = pd.Timestamp(collected_at).to_pydatetime()
    saved = dt.datetime.fromtimestamp(modified_time(path), tz=dt.timezone.utc if at.tzinfo else None)
    return saved > at


def _stamp(now: dt.datetime | None) -> dt.datetime:
    # to the microsecond: a file saved a moment before the collect must read as older than it
    return now or dt.datetime.now(dt.timezone.utc)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return ""


# -- status and forgetting -------------------------------------------------------------------------------
def plan_status(ws: Workspace) -> pd.DataFrame:
    """Per salesperson who carries an account: accounts, the plan issued (file, when), the current
    version (id, when collected, live rows)."""
    cfg, store = ws.config, ws.store
    by_rep = carried(ws)
    issued = [r for r in store.issued_map(cfg.plan_year).values() if r["kind"] == IDENTITY.kind]
    versions = store.account_plan_versions(cfg.plan_year)
    live = store.account_plan_rows(cfg.plan_year)
    rows = []
    for s in cfg.staff:
        if not by_rep.get(s.id):
            continue
        mine = [r for r in issued if r["rep_id"] == s.id]
        last = mine[-1] if mine else None
        cur = versions[(versions["rep_id"] == s.id) & versions["current"]]
        n = int((live["rep_id"] == s.id).sum()) if len(live) else 0
        rows.append({"rep_id": s.id, "accounts": len(by_rep[s.id]),
                     "issued_file": last["file_name"] if last else None,
                     "issued_at": last["issued_at"] if last else None,
                     "version": int(cur.iloc[0]["id"]) if len(cur) else None,
                     "collected_at": cur.iloc[0]["collected_at"] if len(cur) else None,
                     "versions": int((versions["rep_id"] == s.id).sum()) if len(versions) else 0, "rows": n})
    frame = pd.DataFrame(rows, columns=["rep_id", "accounts", "issued_file", "issued_at", "version", "collected_at",
                                        "versions", "rows"])
    frame["version"] = frame["version"].astype("Int64")
    return frame


@dataclass
class ForgetResult(WithProblems):
    account_id: str
    contact: str
    row_ids: list[str] = field(default_factory=list)
    versions: int = 0
    changes: int = 0
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"account_id": self.account_id, "contact": self.contact, "row_ids": self.row_ids,
                "versions": self.versions, "changes": self.changes, "problems": self.problems}


def forget_contact(ws: Workspace, account_id: str, contact: str, reason: str = "", by: str | None = None
                   ) -> ForgetResult:
    """Erase the personal fields of ``contact`` (name or row id) of ``account_id`` in every stored version
    and change record; the removal is logged (who, when, which contact, why), not the content."""
    res = ForgetResult(account_id, contact)
    res.row_ids = ws.store.find_plan_contacts(account_id, contact)
    if not res.row_ids:
        res.problems.append(problem("plan.no-such-contact", account=account_id, contact=contact))
        return res
    res.versions, res.changes = ws.store.forget_plan_contact(account_id, res.row_ids, reason=reason,
                                                        by=by if by is not None else _user())
    return res
