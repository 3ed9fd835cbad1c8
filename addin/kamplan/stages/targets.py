"""December targets: issue workbooks to salespeople, collect them back into the store.

Stage functions are what every front end calls (CLI, xlwings macros).  They
print nothing: they report progress through a callback and return results.
"""
from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pandas as pd

from kamplan.engine.credit import credit_shares, pen_holders, team_frame
from kamplan.engine.targets import last_year_lines
from kamplan.errors import environment_problem
from kamplan.messages import Message
from kamplan.problems import Problem, WithProblems, has_errors, problem
from kamplan.stages.feedback import write_feedback
from kamplan.stages.inputs import Progress, expand_inputs, modified_time, no_progress
from kamplan.workbooks.kit.safety import check_workbook_file, content_hash
from kamplan.workbooks.targets.content import (
    TeamView, last_year_map, rep_from_file_name, target_content, target_file_name,
)
from kamplan.workbooks.targets.reader import ReadContext, identity_rep, read_target_workbook
from kamplan.workbooks.targets.writer import write_target_workbook
from kamplan.store import StoreError, prepare_submission
from kamplan.workspace import Workspace


# -- issue ---------------------------------------------------------------------------------------------
@dataclass
class IssueResult:
    round: int
    folder: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # existing files left alone (no --force)
    failed: list[tuple[Path, BaseException]] = field(default_factory=list)  # could not be written


class IssueIncomplete(ValueError):
    """Some workbooks could not be written (the others were): ``args[0]`` says which and why, in the
    catalogue's words; ``result`` is the whole issue."""

    def __init__(self, result: IssueResult):
        path, exc = result.failed[0]
        env = environment_problem(exc)
        why, fix = (env.message, env.fix) if env else (f"{type(exc).__name__}: {exc}",
                                                       Message("targets.issue-failed-fix"))
        super().__init__(Message("targets.issue-incomplete", files=", ".join(p.name for p, _ in result.failed),
                                 why=why, fix=fix, written=len(result.written)))
        self.result = result


def issue_targets(ws: Workspace, round_no: int | None = None, reps: list[str] | None = None,
                  force: bool = False, language: str | None = None, now: dt.datetime | None = None,
                  progress: Progress = no_progress, workers: int | None = None) -> IssueResult:
    """Write one target workbook per salesperson into ``outbox/round-N``.

    Round 1 is the bottom-up draft; it is opened in the store if no round is
    open yet.  An existing workbook is never overwritten unless ``force``;
    then the old one moves to ``outbox/round-N/replaced/``.  Many workbooks are written by
    ``workers`` processes (default: up to 4, one per core); a workbook that cannot be written does
    not stop the others, and then ``IssueIncomplete`` says which ones failed, after all were tried.
    """
    cfg, store = ws.config, ws.store
    current = store.current_round(cfg.plan_year)
    round_no = _round_to_issue(cfg, current, round_no, reps)
    proposal_of: dict[str, pd.DataFrame] = {}
    if round_no > 1:  # a top-down round: each salesperson gets the current plan version as a proposal
        from kamplan.stages.plan import proposals  # here: collect (and its start-up) never needs the plan stage
        _, proposal_of = proposals(ws)
    if current is None or round_no > current:
        store.open_round(cfg.plan_year, round_no, "bottom-up" if round_no == 1 else "top-down",
                         cfg.workbook.deadline)
    folder = ws.round_outbox(round_no)
    folder.mkdir(parents=True, exist_ok=True)
    result = IssueResult(round_no, folder)
    stamp = (now or dt.datetime.now()).replace(microsecond=0)
    jobs = _workbooks_to_write(ws, result, reps, force, language, stamp, proposal_of, progress)
    # Each workbook is recorded before it is written: if the run is interrupted, every file on disk
    # is one the store knows, so a later collect accepts it.
    for path, content in jobs:
        store.record_issued(content.identity, path.name)
    _write_all(jobs, result, progress, workers)
    store.log_event("targets.issue", {"round": round_no, "written": [p.name for p in result.written],
                                      "kept": [p.name for p in result.kept],
                                      "failed": [p.name for p, _ in result.failed]})
    if result.failed:
        raise IssueIncomplete(result)
    return result


def _round_to_issue(cfg, current: int | None, round_no: int | None, reps: list[str] | None) -> int:
    """The round asked for (default: the open one, or 1), refused when closed or for unknown salespeople."""
    if round_no is None:
        round_no = current or 1
    if current is not None and round_no < current:
        raise ValueError(f"round {round_no} is closed: round {current} is open for {cfg.plan_year}; "
                         f"issue round {current} (or the next one)")
    unknown = sorted(set(reps or []) - {s.id for s in cfg.staff})
    if unknown:  # checked before anything is written: a typo must not open a round
        raise ValueError(f"unknown salesperson id(s): {', '.join(unknown)}; "
                         f"known: {', '.join(s.id for s in cfg.staff)}")
    return round_no


def _workbooks_to_write(ws: Workspace, result: IssueResult, reps: list[str] | None, force: bool,
                        language: str | None, stamp: dt.datetime, proposal_of: dict[str, pd.DataFrame],
                        progress: Progress) -> list[tuple[Path, object]]:
    """(path, content) of every workbook to write; existing files are kept (``result.kept``) or, with
    ``force``, moved aside to ``replaced/STAMP/``."""
    from kamplan.stages.plan import PROPOSAL_COLUMNS, latest_submission  # as in issue_targets
    from kamplan.stages.review import effective_classes
    cfg, store = ws.config, ws.store
    round_no, folder = result.round, result.folder
    classes = {a: c for a, (c, _) in effective_classes(ws).items()}
    last_year = last_year_map(cfg, store.history_totals(cfg.plan_year - 1))
    by_rep = accounts_by_rep(cfg)
    teams = team_views(cfg)
    jobs: list[tuple[Path, object]] = []
    for s in cfg.staff:
        if reps is not None and s.id not in reps:
            continue
        if not by_rep.get(s.id):
            progress(s.id)
            continue
        path = folder / target_file_name(s.id, cfg.plan_year, round_no)
        if path.exists():
            if not force:
                result.kept.append(path)
                progress(s.id)
                continue
            replaced = folder / "replaced" / stamp.strftime("%Y%m%d-%H%M%S")
            replaced.mkdir(parents=True, exist_ok=True)
            path.rename(replaced / path.name)
        extra = {}
        if round_no > 1:
            # Someone with no line in the plan still gets a proposal workbook (every line "no target").
            none = pd.DataFrame(columns=PROPOSAL_COLUMNS)
            extra = {"proposal": proposal_of.get(s.id, none), "prefill": latest_submission(ws, s.id)}
        content = target_content(cfg, last_year, s.id, round_no, generated_at=stamp, language=language,
                                 accounts_of_rep=by_rep[s.id], classes=classes, team=teams.get(s.id), **extra)
        jobs.append((path, content))
    return jobs


def _write_all(jobs: list[tuple[Path, object]], result: IssueResult, progress: Progress,
               workers: int | None = None) -> None:
    """Workbooks are independent: write them in parallel when there are many.  Results are taken in
    the jobs' order either way, so ``written`` and the progress are the same as in a serial run; each
    file is written atomically (``xlsxio.atomic_path``) by whichever process writes it."""
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(jobs) >= 8 else 1
    if workers > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            futures = [pool.submit(_write_one, job) for job in jobs]
            for (path, content), future in zip(jobs, futures):
                _record(result, path, _failure(future.result))
                progress(content.identity.rep_id)
    else:
        for path, content in jobs:
            _record(result, path, _failure(lambda: _write_one((path, content))))
            progress(content.identity.rep_id)


def _failure(write) -> Exception | None:
    """What ``write()`` raised (this file failed, or its worker died), or None: the other files go on."""
    try:
        write()
    except Exception as exc:
        return exc
    return None


def _record(result: IssueResult, path: Path, failure: Exception | None) -> None:
    if failure is None:
        result.written.append(path)
    else:
        result.failed.append((path, failure))


def _write_one(job) -> Path:
    path, content = job
    return write_target_workbook(path, content)


# -- collect -------------------------------------------------------------------------------------------
@dataclass
class FileOutcome(WithProblems):
    path: Path
    outcome: str  # "stored", "unchanged", "rejected"
    rep_id: str | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CollectResult:
    year: int
    round: int | None
    files: list[FileOutcome]
    status: pd.DataFrame  # per salesperson: state, file, at, reasons

    @property
    def rejected(self) -> list[FileOutcome]:
        return [f for f in self.files if f.outcome == "rejected"]


MAX_HASH_BYTES = 50 * 2**20


def accounts_by_rep(cfg) -> dict[str, list]:
    """salesperson -> the accounts they carry: their own, then those whose team they are in."""
    out: dict[str, list] = {}
    for a in cfg.accounts:
        out.setdefault(a.rep, []).append(a)
    for a in cfg.accounts:
        for m in a.team:
            out.setdefault(m.salesperson, []).append(a)
    return out


def team_views(cfg) -> dict[str, TeamView]:
    """Per salesperson, what their December workbook shows of the account teams they are in (as owner or
    member): their credit share of each such account and the lines another member plans."""
    teamed = [a for a in cfg.accounts if a.team]
    if not teamed:
        return {}
    lines = pd.DataFrame([(a.id, p.id) for a in teamed for p in cfg.products], columns=["account_id", "product_id"])
    team, owners = team_frame(teamed), {a.id: a.rep for a in teamed}
    roles = cfg.teams.full_credit_roles
    shares = credit_shares(lines, team, owners, roles)
    pens = pen_holders(lines, team, owners, roles)
    names = {s.id: s.name.get(cfg.language) for s in cfg.staff}
    views: dict[str, TeamView] = {}
    for (person, account), g in shares.groupby(["salesperson_id", "account_id"], sort=True):
        view = views.setdefault(person, TeamView())
        per_product = dict(zip(g["product_id"], g["share"]))
        view.shares[account] = ("full" if g["full_credit"].all() else
                                next(iter(per_product.values())) if len(set(per_product.values())) == 1
                                else per_product)
        for product in (p.id for p in cfg.products):
            holder = pens.get((account, product), owners[account])
            if holder != person:
                view.planned_by[(account, product)] = names.get(holder, holder)
    return views


_WORKER_CTX: ReadContext | None = None


def _init_worker(ctx: ReadContext) -> None:
    """Each worker process receives the (large) read context once, not with every file."""
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _read_in_worker(path: str):
    return _read_one((path, _WORKER_CTX))


def _read_one(args) -> tuple[str, str | None, object, list[Problem]]:
    """Check and read one file; runs in a worker process for big batches."""
    path, ctx = args
    path = Path(path)
    problems = check_workbook_file(path)
    if problems:
        return str(path), None, None, problems
    digest = content_hash(path)
    sub, problems = read_target_workbook(path, ctx, content_hash=digest, gate_passed=True)
    if sub is None or has_errors(problems):
        return str(path), digest, sub, problems
    try:
        # Turning frames into row tuples here takes that work off the process that writes the store.
        return str(path), digest, prepare_submission(sub), problems
    except StoreError as exc:
        return str(path), digest, None, problems + [problem("targets.store-failed", why=str(exc), file=path.name)]


def read_context(ws: Workspace) -> ReadContext:
    """What reading a returned target workbook checks it against: config, last year, round, issued files."""
    cfg, store = ws.config, ws.store
    return ReadContext(config=cfg, last_year=last_year_lines(store.history_totals(cfg.plan_year - 1),
                                                             cfg.plan_year - 1),
                       current_round=store.current_round(cfg.plan_year), issued=store.issued_map(cfg.plan_year),
                       refuse_blank=True)


def check_workbook(ws: Workspace, path: Path) -> list[Problem]:
    """Every problem collect would report for the target workbook at ``path``, without storing anything."""
    problems = check_workbook_file(path)
    if problems:
        return problems
    _, problems = read_target_workbook(path, read_context(ws), content_hash=content_hash(path), gate_passed=True)
    return problems


def collect_targets(ws: Workspace, inputs: Iterable[str | Path], progress: Progress = no_progress,
                    workers: int | None = None, now: dt.datetime | None = None) -> CollectResult:
    """Store every good target workbook of ``inputs`` and record every refused one.

    Of the files one salesperson sent for a round, the newest by modification time is current: a new
    content supersedes the current one, and an older content sent again (the newest file holds bytes
    already stored) becomes current again, with a warning naming the submission it replaces.  Every
    stored file is committed with its audit event, one file at a time, so an interrupted collect
    keeps what it stored and a rerun stores the rest."""
    cfg, store = ws.config, ws.store
    files, missing = expand_inputs(inputs)
    current = store.current_round(cfg.plan_year)
    ctx = read_context(ws)
    outcomes: list[FileOutcome] = [FileOutcome(Path(p.file or ""), "rejected", problems=[p]) for p in missing]
    stamp = now or dt.datetime.now()
    # Store in file-modification order so that, of two files for one salesperson, the newer wins.
    files.sort(key=lambda f: (modified_time(f), str(f)))
    known, to_read = _known_files(store, cfg.plan_year, current, files, progress)
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(to_read) >= 24 else 1
    batch_reps: dict[tuple, str] = {}
    scope = ws.reps_in_scope()  # a regional manager's workspace collects its region's salespeople only
    if workers > 1:
        # Workers read and check while this process stores what they return, in order.
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(ctx,)) as pool:
            for result in pool.map(_read_in_worker, [str(f) for f in to_read], chunksize=2):
                outcomes.append(_store_one(store, cfg, current, stamp, result, batch_reps, progress, scope))
    else:
        for f in to_read:
            outcomes.append(_store_one(store, cfg, current, stamp, _read_one((str(f), ctx)), batch_reps, progress,
                                       scope))
    outcomes.extend(_resent_outcomes(store, files, known, batch_reps, stamp, scope))
    by_rep = accounts_by_rep(cfg)
    status = store.status(cfg.plan_year, current or 1, [s.id for s in cfg.staff if by_rep.get(s.id)])
    store.log_event("targets.collect", {"files": len(outcomes),
                                        "stored": sum(o.outcome == "stored" for o in outcomes),
                                        "rejected": sum(o.outcome == "rejected" for o in outcomes)})
    write_feedback(ws, outcomes)  # a letter and a marked copy for each rejected file, in inbox/feedback/
    return CollectResult(cfg.plan_year, current, outcomes, status)


def _known_files(store, year: int, current: int | None, files: list[Path], progress: Progress
                 ) -> tuple[dict[Path, dict], list[Path]]:
    """Files whose exact bytes are already stored (this round or an earlier one, e.g. last round's file
    still in the inbox) need not be read, and are no reason to reject as stale: path -> that submission
    (id, rep_id, round, status).  The rest are to be read."""
    by_hash: dict[str, dict] = {}
    if current is not None:
        subs = store.submissions(year, None, include_superseded=True)
        rows = subs[["id", "rep_id", "round", "status", "content_hash", "collected_at"]].to_dict("records")
        current_at = {(r["rep_id"], r["round"]): r["collected_at"] for r in rows if r["status"] == "current"}
        by_hash = {r["content_hash"]: {**r, "current_at": current_at.get((r["rep_id"], r["round"]))}
                   for r in rows}
    known, to_read = {}, []
    for f in files:
        try:
            digest = content_hash(f) if by_hash and f.is_file() and f.stat().st_size <= MAX_HASH_BYTES else None
        except OSError:  # unreadable: the safety check in the read step words the problem
            digest = None
        if digest in by_hash:
            known[f] = by_hash[digest]
            progress(f.name)
        else:
            to_read.append(f)
    return known, to_read


def _saved_after(path: Path, sub: dict) -> bool:
    """Whether ``path`` was saved after the salesperson's current submission was collected."""
    at = sub.get("current_at")
    if at is None or pd.isna(at):
        return True
    at = pd.Timestamp(at).to_pydatetime()
    # collect stamps local time without a zone; an aware stamp compares in UTC
    saved = dt.datetime.fromtimestamp(modified_time(path), tz=dt.timezone.utc if at.tzinfo else None)
    return saved > at


def _resent_outcomes(store, files: list[Path], known: dict[Path, dict], batch_reps: dict[tuple, str],
                     stamp: dt.datetime, scope: set[str] | None = None) -> list[FileOutcome]:
    """The outcome of each already-stored file.  Where the newest file of a salesperson and round holds
    an older, superseded content and was saved after the current one was collected, it was sent again:
    that content is current again, with a warning.  (A stale copy lying in a folder since before the
    newer file came in changes nothing, so collecting the same folder twice never flips the plan.)"""
    order = {str(f): i for i, f in enumerate(files)}
    newest_known: dict[tuple, Path] = {}
    for f in files:
        if f in known:
            newest_known[(known[f]["rep_id"], int(known[f]["round"]))] = f
    out = []
    for f, sub in known.items():
        key = (sub["rep_id"], int(sub["round"]))
        read_later = key in batch_reps and order[batch_reps[key]] > order[str(f)]
        out_of_scope = scope is not None and key[0] not in scope
        stale = newest_known[key] != f or read_later or not _saved_after(f, sub)
        if out_of_scope or sub["status"] == "current" or stale:
            out.append(FileOutcome(f, "unchanged", sub["rep_id"]))
            continue
        rec = store.reinstate_submission(int(sub["id"]), stamp, f.name)
        if rec.outcome != "reinstated":  # another collect reinstated it a moment ago
            out.append(FileOutcome(f, "unchanged", sub["rep_id"]))
            continue
        replaced = ("targets.resent-older-replacing", {"newer": rec.superseded_file, "id": rec.superseded_id}) \
            if rec.superseded_id else ("targets.resent-older", {})
        out.append(FileOutcome(f, "stored", sub["rep_id"], [problem(
            replaced[0], rep=key[0], round=key[1], file=f.name, **replaced[1])]))
    return out


def _store_one(store, cfg, current, stamp, result, batch_reps: dict, progress: Progress,
               scope: set[str] | None = None) -> FileOutcome:
    path_s, digest, sub, problems = result
    path = Path(path_s)
    progress(path.name)
    if sub is None or has_errors(problems):
        staff = {s.id for s in cfg.staff}
        ident_rep = identity_rep(path) if digest else None  # digest: the file passed the safety gate
        if ident_rep not in staff:
            ident_rep = rep_from_file_name(path.name, staff)
        store.record_rejection(path.name, digest, cfg.plan_year, current, ident_rep, problems, stamp)
        return FileOutcome(path, "rejected", ident_rep, problems)
    if scope is not None and sub.identity.rep_id not in scope:
        problems = problems + [problem("targets.other-region", rep=sub.identity.rep_id, file=path.name)]
        store.record_rejection(path.name, digest, cfg.plan_year, current, sub.identity.rep_id, problems, stamp)
        return FileOutcome(path, "rejected", sub.identity.rep_id, problems)
    key = (sub.identity.rep_id, sub.identity.round)
    if key in batch_reps and Path(batch_reps[key]).name != path.name:
        dup = problem("targets.two-files-one-rep", rep=key[0], round=key[1], other=Path(batch_reps[key]).name,
                      file=path.name)
        problems = problems + [dup]
        sub.warnings.append(dup)
    batch_reps[key] = path_s
    rec = store.record_submission(sub, stamp)
    outcome = "unchanged" if rec.outcome == "unchanged" else "stored"
    return FileOutcome(path, outcome, sub.identity.rep_id, problems)
