"""``kamplan demo``: the annual cycle on the embedded demo company, end to end.

Stages: set up the workspace, load three years of history, find and
classify the key accounts (Pareto, profitability, scores, classes) into the
account review workbook, issue the December target workbooks (classes and
visit cycles from the review), let a simulated sales force fill them (one
makes a mistake and resends, one never answers), and collect them.  Then the
VP's loop: consolidate, a top-down figure spread with holds and bounds, round-2
proposals answered with some counters, consolidate again, allocate support,
agree and export.  Then the year: four quarters of ERP actuals and activity
logs, each evaluated and rated by the VP, the annual evaluation and the early
warnings.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from rich.console import Group
from rich.table import Table
from rich.text import Text

from kamplan.demo.company import DEMO_SEED, demo_config_dict, demo_history
from kamplan.demo.salesforce import fill_target_workbook, make_mistake, respond_to_proposal
from kamplan.config import config_from_dict
from kamplan.stages.review import segment_accounts
from kamplan.engine.topdown import TopDownSpec, parse_bound
from kamplan.stages.plan import agree, consolidate, export_agreed, plan_view, spread
from kamplan.stages.resources import allocate
from kamplan.demo.account_plans import calendar_months, keep_plans
from kamplan.demo.actuals import drifting_accounts, simulate_actuals, write_actuals_files
from kamplan.demo.evaluation import fill_vp_evaluation
from kamplan.stages.actuals import import_activities, import_actuals
from kamplan.stages.evaluation import annual_evaluation, collect_evaluations, evaluate, warning_list
from kamplan.stages.month_review import review_month_jobs
from kamplan.workbooks.month_review.writer import write_month_review_workbook
from kamplan.stages.targets import CollectResult, collect_targets, issue_targets
from kamplan.messages import current_language, render, t
from kamplan.workspace import Workspace

MARKER = ".kamplan-demo"


class DemoError(Exception):
    pass


@dataclass
class DemoSummary:
    root: Path
    lines: list[tuple[str, str]] = field(default_factory=list)  # (what, where)
    collects: list[CollectResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self):
        """The summary in the console's language; paths relative to the demo folder and folded, never cut."""
        table = Table(title=t("demo.summary.title", folder=str(self.root)), show_header=True, header_style="bold")
        table.add_column(t("demo.column.what"), overflow="fold")
        table.add_column(t("demo.column.where"), overflow="fold")
        for what, where in self.lines:
            table.add_row(what, self._relative(where))
        parts = [table]
        if self.collects:
            last = self.collects[-1]
            st = Table(title=t("demo.status.title", round=last.round, year=last.year), header_style="bold")
            for c in ("salesperson", "state", "file", "reasons"):
                st.add_column(t(f"demo.status.{c}"), overflow="fold")
            for row in last.status.itertuples(index=False):
                st.add_row(str(row.rep_id), str(row.state), str(row.file_name or ""), str(row.reasons or ""))
            parts.append(st)
        for n in self.notes:
            parts.append(Text(n))
        return Group(*parts)

    def _relative(self, where: str) -> str:
        """A path inside the demo folder as ``./…`` from it (the title names the folder); anything else as it is."""
        try:
            return "./" + Path(where).resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return where


def _require_empty_store(store_url: str) -> None:
    """The demo starts a company of its own: it never writes into a database that holds a plan."""
    from kamplan.store import Store, StoreError
    try:
        store = Store.open(store_url, readonly=True)
    except StoreError as exc:
        if getattr(exc.args[0] if exc.args else None, "key", None) == "store.db.no-plan-yet":
            return  # an empty database: what the demo needs
        raise DemoError(str(exc)) from None
    where = store.where
    store.close()
    raise DemoError(t("demo.error.store-not-empty", where=str(where)))


def prepare_folder(out: Path) -> None:
    """Use ``out`` only if it is new, empty, or an earlier demo (which is replaced); never a user's folder."""
    if out.exists():
        if not out.is_dir():
            raise DemoError(t("demo.error.not-a-folder", folder=str(out)))
        if any(out.iterdir()):
            if not (out / MARKER).exists():
                raise DemoError(t("demo.error.not-empty", folder=str(out)))
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by `kamplan demo`; the next demo run may replace this folder\n")


def run_demo(out: Path, language: str = "zh-CN", progress=lambda _: None, seed: int = DEMO_SEED,
             store_url: str | None = None) -> DemoSummary:
    """The whole annual cycle on the demo company in ``out``; ``store_url``: on that (empty) team store
    (e.g. PostgreSQL) instead of the workspace's kamplan.db."""
    out = Path(out)
    if store_url:
        _require_empty_store(store_url)
    prepare_folder(out)
    if store_url:
        (out / "workspace.yaml").write_text(yaml.safe_dump({"store_url": store_url}), encoding="utf-8")
    data = demo_config_dict(language=language, seed=seed)
    config = config_from_dict(data)
    text = ("# The demo company's planning config, written by `kamplan demo`.\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    summary = DemoSummary(out.resolve())
    progress("workspace")
    with Workspace.init(out, text) as ws:
        summary.lines.append((t("demo.line.config"), str(ws.config_path)))
        summary.lines.append((t("demo.line.store"), ws.store_label()))
        history = demo_history(config, seed=seed)
        ws.store.replace_history(history, source="demo generator")
        progress("history")
        years = sorted(history["year"].unique())
        summary.lines.append((t("demo.line.history"), t("demo.history", lines=len(history), first=int(years[0]),
                                                          last=int(years[-1]),
                                                          customers=int(history["account_id"].nunique()))))
        seg = segment_accounts(ws, progress=progress)
        summary.lines.append((t("demo.line.review"), str(seg.path)))
        said = current_language()  # the console's language; the workbooks are in ``language``
        summary.notes.append(seg.segmentation.headline.sentence(said))
        summary.notes.append(seg.segmentation.whale_summary.sentence(said, config.currency))
        issued = issue_targets(ws, round_no=1, progress=progress)
        summary.lines.append((t("demo.line.issued", n=len(issued.written)), str(issued.folder)))
        rng = np.random.default_rng(seed)
        reps = [p for p in issued.written]
        silent = reps[-1]  # this salesperson never answers
        careless = reps[-2]  # this one makes mistakes, then resends
        for path in reps:
            if path == silent:
                continue
            filled_path = ws.inbox / path.name
            fill_target_workbook(path, filled_path, rng)
            progress(path.name)
        bad = ws.inbox / careless.name
        cell = make_mistake(bad, "targets", "volume_q2", "abc", row_index=0)
        make_mistake(bad, "visits", "rep_visits_q3", -2, row_index=1)
        summary.lines.append((t("demo.line.returned"), str(ws.inbox)))
        first = collect_targets(ws, [ws.inbox], progress=progress)
        summary.collects.append(first)
        for f in first.rejected:
            summary.notes.append(t("demo.note.rejected", file=f.path.name))
            summary.notes.extend(f"  {render(p, said)}" for p in f.errors)
        # The careless salesperson corrects the cells and sends the file again.
        make_mistake(bad, "targets", "volume_q2", 42.0, row_index=0)
        make_mistake(bad, "visits", "rep_visits_q3", 2, row_index=1)
        second = collect_targets(ws, [bad], progress=progress)
        summary.collects.append(CollectResult(second.year, second.round, first.files + second.files,
                                              second.status))
        summary.notes.append(t("demo.note.corrected", file=careless.name, cell=cell,
                               silent=silent.name.split("_")[0]))
        top_down_rounds(ws, summary, rng, silent_rep=silent.name.split("_")[0], progress=progress)
        the_year(ws, summary, rng, seed, language, progress)
        summary.notes.append(t("demo.note.try-versions", folder=str(out)))
        summary.notes.append(t("demo.note.try-warnings", folder=str(out)))
    return summary


def top_down_rounds(ws: Workspace, summary: DemoSummary, rng, silent_rep: str, progress) -> None:
    """The VP's loop: consolidate, raise the company figure top-down, round 2 with counters, agree."""
    year = ws.config.plan_year
    first = consolidate(ws, progress=progress, by="VP (demo)")
    summary.lines.append((t("demo.line.bottom-up", version=first.version_id), str(first.workbook)))
    bottom_up_total = float(first.bottom_up.lines["revenue"].sum())
    figure = round(bottom_up_total * 1.06, -4)
    spec = TopDownSpec("revenue", "company", {"*": figure}, holds=(("rep", silent_rep),),
                       bounds=(parse_bound("floor", "class:key=last_year"), parse_bound("cap", "all=own*1.3")),
                       note="board figure: +6% over the bottom-up plan")
    adjusted = spread(ws, spec, by="VP (demo)")
    res = adjusted.result
    summary.notes.append(t("demo.note.top-down", before=bottom_up_total, after=figure,
                           change=figure / bottom_up_total - 1, silent=silent_rep)
                         + " " + (t("demo.note.reached") if res.shortfall == 0
                                  else t("demo.note.short", shortfall=float(res.shortfall))))
    progress("top-down")
    issued = issue_targets(ws, round_no=2, progress=progress)
    summary.lines.append((t("demo.line.proposals", n=len(issued.written)), str(issued.folder)))
    countered = 0
    for path in issued.written:
        if path.name.startswith(silent_rep + "_"):
            continue
        answered = respond_to_proposal(path, ws.inbox / path.name, rng, counter_share=0.08)
        countered += len(answered.counters)
        progress(path.name)
    second = collect_targets(ws, [ws.inbox], progress=progress)
    summary.collects.append(second)
    summary.notes.append(t("demo.note.round-2", answered=len(issued.written) - 1, countered=countered))
    final = consolidate(ws, progress=progress, by="VP (demo)")
    summary.lines.append((t("demo.line.after-round-2", version=final.version_id), str(final.workbook)))
    support = allocate(ws, progress=progress, by="VP (demo)")
    a = support.allocation
    summary.lines.append((t("demo.line.resources"), str(support.path)))
    summary.notes.append(t("demo.note.support", value=float(a.objective), currency=ws.config.currency,
                           bound=float(a.bound), gap=float(a.gap), status=str(a.status),
                           requests=len(support.requests), unmet=len(a.unmet)))
    vid = agree(ws, by="VP (demo)", note="agreed in the demo")
    exported = export_agreed(ws)
    summary.lines.append((t("demo.line.agreed", version=vid), str(exported.folder)))
    summary.lines.append((t("demo.line.management"), str(exported.management)))
    versions = ws.store.plan_versions(year)
    summary.notes.append(t("demo.note.versions", versions="; ".join(
        f"{r.id} {r.kind} {r.revenue:,.0f}" for r in versions.itertuples(index=False))))


def the_year(ws: Workspace, summary: DemoSummary, rng, seed: int, language: str, progress) -> None:
    """Four quarters of simulated ERP actuals and activity logs; after each, the evaluation and the VP's
    ratings; then the annual evaluation and the early warnings (two accounts drift away).

    The month reviews are read from the store in order, and their workbooks written on the second core while
    the quarter's evaluation runs (nothing later reads them)."""
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=1) if cores > 1 else contextlib.nullcontext() as background:
        _quarters(ws, summary, rng, seed, language, progress, background)


def _later(pool: ProcessPoolExecutor | None, fn, *args) -> Future:
    """``fn(*args)`` in ``pool`` (its result when asked for), or here and now without one."""
    if pool is not None:
        return pool.submit(fn, *args)
    done: Future = Future()
    done.set_result(fn(*args))
    return done


def _quarters(ws: Workspace, summary: DemoSummary, rng, seed: int, language: str, progress, background) -> None:
    cfg = ws.config
    year = cfg.plan_year
    plan = plan_view(ws.store, year)
    erp = ws.root / "erp"
    drifting = drifting_accounts(plan.targets, seed)
    reviews = []
    for q in (1, 2, 3, 4):
        invoices, activities = simulate_actuals(cfg, plan.targets, year=year, quarters=[q], seed=seed)
        inv_path, act_path = write_actuals_files(erp, invoices, activities, stem=f"{year}Q{q}",
                                                 language=language, fmt="csv")
        imported = import_actuals(ws, [inv_path])
        import_activities(ws, [act_path])
        progress(f"actuals Q{q}")
        keep_plans(ws, q, plan.targets, drifting, seed)  # the salespeople update their account plans
        progress(f"account plans Q{q}")
        reviews += [_later(background, write_month_review_workbook, path, content)
                    for path, content in review_month_jobs(ws, [(dt.date(y, m, 1), dt.datetime(y, m, 28, 18))
                                                                for y, m in calendar_months(cfg, year, q)])]
        res = evaluate(ws, q, progress=progress)
        # not in inbox/: a newcomer's first `targets collect` there would reject these as the wrong kind
        rated = ws.root / "evaluations-rated" / f"evaluation_{year}_Q{q}_VP_rated.xlsx"
        rated.parent.mkdir(parents=True, exist_ok=True)
        fill_vp_evaluation(res.paths["VP"], rated, rng, reviewer="VP (demo)")
        collect_evaluations(ws, [rated])
        if q == 1:
            summary.lines.append((t("demo.line.erp"), str(erp)))
            if imported.unmatched_path:
                summary.lines.append((t("demo.line.unmatched"), str(imported.unmatched_path)))
        summary.lines.append((t("demo.line.evaluation", year=year, quarter=q, reps=len(res.paths) - 1),
                              str(res.paths["VP"])))
    summary.lines.append((t("demo.line.account-plans"), str(ws.root / "account-plans-returned")))
    reviews = [f.result() for f in reviews]  # written by now, or the error of the one that failed
    summary.lines.append((t("demo.line.month-reviews", n=len(reviews)), str(reviews[0].parent)))
    annual = annual_evaluation(ws, progress=progress)
    summary.lines.append((t("demo.line.annual"), str(annual.paths["VP"])))
    _warning_notes(ws, summary)


def _warning_notes(ws: Workspace, summary: DemoSummary) -> None:
    """The first early warning and the two accounts with the most flags, in the console's language."""
    warnings, _, _ = warning_list(ws, language=current_language())
    if not len(warnings):
        return
    first = warnings.iloc[0]
    summary.notes.append(t("demo.note.warnings", n=len(warnings), account=str(first.account_id),
                           at_risk=float(first.revenue_at_risk), currency=ws.config.currency,
                           evidence="; ".join(first.evidence)))
    most = warnings.assign(n=warnings["flags"].map(len)).sort_values(["n", "rank"], ascending=[False, True])
    for row in most.head(2).itertuples(index=False):
        summary.notes.append("  " + t("demo.note.most-flags", account=str(row.account_id), rep=str(row.rep_id),
                                      rank=int(row.rank), n=int(row.n), evidence="; ".join(row.evidence)))
