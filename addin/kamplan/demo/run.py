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

import datetime as dt
import shutil
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
from kamplan.stages.month_review import review_month
from kamplan.stages.targets import CollectResult, collect_targets, issue_targets
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
        table = Table(title=f"kamplan demo → {self.root}", show_header=True, header_style="bold")
        table.add_column("What")
        table.add_column("Where")
        for what, where in self.lines:
            table.add_row(what, where)
        parts = [table]
        if self.collects:
            last = self.collects[-1]
            st = Table(title=f"Submission status · round {last.round} · {last.year}", header_style="bold")
            for c in ("rep_id", "state", "file_name", "reasons"):
                st.add_column(c)
            for row in last.status.itertuples(index=False):
                st.add_row(str(row.rep_id), str(row.state), str(row.file_name or ""), str(row.reasons or ""))
            parts.append(st)
        for n in self.notes:
            parts.append(Text(n))
        return Group(*parts)


def _require_empty_store(store_url: str) -> None:
    """The demo starts a company of its own: it never writes into a database that holds a plan."""
    from kamplan.store import Store, StoreError
    try:
        store = Store.open(store_url, readonly=True)
    except StoreError as exc:
        if "holds no kamplan plan yet" in str(exc):
            return  # an empty database: what the demo needs
        raise DemoError(str(exc)) from None
    where = store.where
    store.close()
    raise DemoError(f"{where} already holds a kamplan plan; the demo needs an empty database "
                    "(createdb kamplan_demo) and never writes into an existing plan")


def prepare_folder(out: Path) -> None:
    """Use ``out`` only if it is new, empty, or an earlier demo (which is replaced); never a user's folder."""
    if out.exists():
        if not out.is_dir():
            raise DemoError(f"{out} exists and is not a folder; choose another --out")
        if any(out.iterdir()):
            if not (out / MARKER).exists():
                raise DemoError(f"{out} is not empty and was not made by `kamplan demo`; nothing was touched. "
                                "Choose another --out or empty it.")
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
        summary.lines.append(("Planning config", str(ws.config_path)))
        summary.lines.append(("Store (system of record)", ws.store_label()))
        history = demo_history(config, seed=seed)
        ws.store.replace_history(history, source="demo generator")
        progress("history")
        years = sorted(history["year"].unique())
        summary.lines.append(("History loaded", f"{len(history):,} lines, {years[0]}–{years[-1]}, "
                                                f"{history['account_id'].nunique()} customers"))
        seg = segment_accounts(ws, progress=progress)
        summary.lines.append(("Account review (Pareto, profit, classes)", str(seg.path)))
        summary.notes.append(seg.segmentation.headline.sentence(language))
        summary.notes.append(seg.segmentation.whale_summary.sentence(language, config.currency))
        issued = issue_targets(ws, round_no=1, progress=progress)
        summary.lines.append((f"Target workbooks issued ({len(issued.written)})", str(issued.folder)))
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
        summary.lines.append(("Returned workbooks (simulated sales force)", str(ws.inbox)))
        first = collect_targets(ws, [ws.inbox], progress=progress)
        summary.collects.append(first)
        for f in first.rejected:
            summary.notes.append(f"Rejected {f.path.name} (as a salesperson would see it):")
            summary.notes.extend(f"  {p}" for p in f.errors)
        # The careless salesperson corrects the cells and sends the file again.
        make_mistake(bad, "targets", "volume_q2", 42.0, row_index=0)
        make_mistake(bad, "visits", "rep_visits_q3", 2, row_index=1)
        second = collect_targets(ws, [bad], progress=progress)
        summary.collects.append(CollectResult(second.year, second.round, first.files + second.files,
                                              second.status))
        summary.notes.append(f"{careless.name} was corrected ({cell} and one visit cell) and collected again; "
                             f"{silent.name.split('_')[0]} has not returned a workbook.")
        top_down_rounds(ws, summary, rng, silent_rep=silent.name.split("_")[0], progress=progress)
        the_year(ws, summary, rng, seed, language, progress)
        summary.notes.append(f"Try: kamplan -w {out} targets versions   (and targets compare 1 2)")
        summary.notes.append(f"Try: kamplan -w {out} warnings")
    return summary


def top_down_rounds(ws: Workspace, summary: DemoSummary, rng, silent_rep: str, progress) -> None:
    """The VP's loop: consolidate, raise the company figure top-down, round 2 with counters, agree."""
    year = ws.config.plan_year
    first = consolidate(ws, progress=progress, by="VP (demo)")
    summary.lines.append((f"Consolidation workbook (version {first.version_id}, bottom-up)", str(first.workbook)))
    bottom_up_total = float(first.bottom_up.lines["revenue"].sum())
    figure = round(bottom_up_total * 1.06, -4)
    spec = TopDownSpec("revenue", "company", {"*": figure}, holds=(("rep", silent_rep),),
                       bounds=(parse_bound("floor", "class:key=last_year"), parse_bound("cap", "all=own*1.3")),
                       note="board figure: +6% over the bottom-up plan")
    adjusted = spread(ws, spec, by="VP (demo)")
    res = adjusted.result
    summary.notes.append(f"Top-down: company revenue {bottom_up_total:,.0f} → {figure:,.0f} "
                         f"({figure / bottom_up_total - 1:+.1%}); {silent_rep} held (no submission); key accounts "
                         f"not below last year; nobody above +30% over their own figure. "
                         + ("Reached exactly." if res.shortfall == 0 else f"Short by {res.shortfall:,.2f}."))
    progress("top-down")
    issued = issue_targets(ws, round_no=2, progress=progress)
    summary.lines.append((f"Top-down proposals, round 2 ({len(issued.written)})", str(issued.folder)))
    countered = 0
    for path in issued.written:
        if path.name.startswith(silent_rep + "_"):
            continue
        answered = respond_to_proposal(path, ws.inbox / path.name, rng, counter_share=0.08)
        countered += len(answered.counters)
        progress(path.name)
    second = collect_targets(ws, [ws.inbox], progress=progress)
    summary.collects.append(second)
    summary.notes.append(f"Round 2: {len(issued.written) - 1} salespeople answered the proposal; "
                         f"{countered} account × product rows countered with a reason.")
    final = consolidate(ws, progress=progress, by="VP (demo)")
    summary.lines.append((f"Consolidation workbook (version {final.version_id}, after round 2)",
                          str(final.workbook)))
    support = allocate(ws, progress=progress, by="VP (demo)")
    a = support.allocation
    summary.lines.append(("Resource plan (executives, technical staff, advisors)", str(support.path)))
    summary.notes.append(f"Support allocated: value {a.objective:,.0f} {ws.config.currency}, proven bound "
                         f"{a.bound:,.0f}, gap {a.gap:.2%} ({a.status}); {len(support.requests)} requests, "
                         f"{len(a.unmet)} not fully met.")
    vid = agree(ws, by="VP (demo)", note="agreed in the demo")
    exported = export_agreed(ws)
    summary.lines.append((f"Agreed plan (version {vid}): annual targets per salesperson", str(exported.folder)))
    summary.lines.append(("Agreed plan: management summary", str(exported.management)))
    versions = ws.store.plan_versions(year)
    summary.notes.append("Plan versions: " + "; ".join(
        f"{r.id} {r.kind} {r.revenue:,.0f}" for r in versions.itertuples(index=False)))


def the_year(ws: Workspace, summary: DemoSummary, rng, seed: int, language: str, progress) -> None:
    """Four quarters of simulated ERP actuals and activity logs; after each, the evaluation and the VP's
    ratings; then the annual evaluation and the early warnings (two accounts drift away)."""
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
        reviews += [review_month(ws, dt.date(y, m, 1), now=dt.datetime(y, m, 28, 18)).path
                    for y, m in calendar_months(cfg, year, q)]
        res = evaluate(ws, q, progress=progress)
        # not in inbox/: a newcomer's first `targets collect` there would reject these as the wrong kind
        rated = ws.root / "evaluations-rated" / f"evaluation_{year}_Q{q}_VP_rated.xlsx"
        rated.parent.mkdir(parents=True, exist_ok=True)
        fill_vp_evaluation(res.paths["VP"], rated, rng, reviewer="VP (demo)")
        collect_evaluations(ws, [rated])
        if q == 1:
            summary.lines.append(("ERP exports and activity logs (simulated)", str(erp)))
            if imported.unmatched_path:
                summary.lines.append(("Invoice lines of customers outside the plan", str(imported.unmatched_path)))
        summary.lines.append((f"Evaluation {year} Q{q} (VP + {len(res.paths) - 1} salespeople)",
                              str(res.paths["VP"])))
    summary.lines.append(("Account plans (kept quarterly by the salespeople)", str(ws.root / "account-plans-returned")))
    summary.lines.append((f"Monthly account-plan reviews ({len(reviews)})", str(reviews[0].parent)))
    annual = annual_evaluation(ws, progress=progress)
    summary.lines.append(("Annual evaluation (summary + salespeople)", str(annual.paths["VP"])))
    warnings, _, _ = warning_list(ws)
    if len(warnings):
        first = warnings.iloc[0]
        summary.notes.append(f"Early warnings: {len(warnings)} accounts flagged, ranked by severity; first "
                             f"{first.account_id} ({first.revenue_at_risk:,.0f} {cfg.currency}): "
                             + "; ".join(first.evidence))
        most = warnings.assign(n=warnings["flags"].map(len)).sort_values(["n", "rank"], ascending=[False, True])
        for row in most.head(2).itertuples(index=False):
            summary.notes.append(f"  {row.account_id} ({row.rep_id}, rank {row.rank}) has {row.n} flags: "
                                 + "; ".join(row.evidence))
