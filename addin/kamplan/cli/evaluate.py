"""``kamplan evaluate``: quarterly and annual goal-against-result workbooks, the VP's ratings read back;
``kamplan warnings``: the ranked early warnings of defection.

Register on the main command with ``for c in COMMANDS: cli.add_command(c)``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kamplan.cli.common import open_workspace, print_file_outcome, progress_bar
from kamplan.cli.output import console, err_console, escape, print_json, problem_line
from kamplan.engine.choices import FLAG_CODES
from kamplan.messages import current_language, nt, t

SHOW = 20


def _print_written(res, what: str):
    """``what``: ``evaluation`` or ``annual`` (the catalogue's ``cli.evaluate.<what>.*`` words)."""
    from rich.table import Table  # rich.table is imported when a table is shown, not by --help
    for p in res.problems:
        console.print(problem_line(p))
    if not res.ok:
        err_console.print(f"[red]{t(f'cli.evaluate.{what}.none')}[/red]")
        return
    d = res.data
    table = Table(title=t(f"cli.evaluate.{what}.title", year=res.year, quarter=res.quarter), header_style="bold")
    for i, c in enumerate(("salesperson", "target-ytd", "revenue-ytd", "attainment", "score", "forecast", "gap")):
        table.add_column(t(f"cli.evaluate.col.{c}"), justify="right" if i else "left")
    acc = d.accounts
    totals = d.totals.set_index("rep_id")
    for rep in d.reps:
        mine = acc[acc["rep_id"] == rep]
        target, actual = mine["ytd_target_revenue"].sum(), mine["ytd_actual_revenue"].sum()
        score = totals.at[rep, "score"]
        table.add_row(escape(rep), f"{target:,.0f}", f"{actual:,.0f}", f"{actual / target:.1%}" if target > 0 else "",
                      f"{score:.1f}" if score == score else "", f"{mine['forecast'].sum():,.0f}",
                      f"{mine['gap'].sum():+,.0f}")
    console.print(table)
    if len(d.company):
        c = d.company.iloc[0]
        console.print(t("cli.evaluate.variance", total=f"{c['ytd_revenue_var']:+,.2f}",
                        price=f"{c['ytd_price_effect']:+,.2f}", volume=f"{c['ytd_volume_effect']:+,.2f}",
                        mix=f"{c['ytd_mix_effect']:+,.2f}"))
    if len(d.warnings):
        console.print(f"[yellow]{nt('cli.evaluate.warned', len(d.warnings))}[/yellow] (kamplan warnings)")
    if not d.with_allocation:
        console.print(t("cli.evaluate.no-allocation"))
    vp = res.paths.get("VP")
    console.print(nt("cli.evaluate.wrote", len(res.paths) - 1, vp=f"[bold]{escape(str(vp))}[/bold]",
                     folder=escape(str(vp.parent))))
    console.print("  " + t("cli.evaluate.next", command="kamplan evaluate collect " + escape(vp.name)))


@click.group(invoke_without_command=True)
@click.option("--quarter", "-q", type=click.IntRange(1, 4), help="Fiscal quarter (default: the latest with actuals).")
@click.option("--year", type=click.IntRange(2000, 2100), help="Fiscal year (default: the plan year).")
@click.option("--rep", "reps", multiple=True, help="Only these salespeople's workbooks (repeatable).")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), help="Language of the workbooks (default: config).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def evaluate(ctx, quarter, year, reps, lang, as_json):
    """Quarterly goal against result: write one workbook per salesperson and one for the VP into reports/.

    Subcommands: collect (read the VP's ratings back), annual (the year's evaluation).
    Exit status 2 when nothing could be evaluated.
    """
    if ctx.invoked_subcommand is not None:
        return
    from kamplan.stages.evaluation import evaluate as run
    with open_workspace(ctx) as ws:
        with progress_bar("cli.progress.evaluating", 2 + len(reps or ws.config.staff)) as step:
            res = run(ws, quarter, year, list(reps) or None, progress=step, language=lang)
        if as_json:
            print_json(_result_json(res, ws.config))
        else:
            _print_written(res, "evaluation")
        sys.exit(0 if res.ok else 2)


def _result_json(res, cfg) -> dict:
    out = {"year": res.year, "quarter": res.quarter, "evaluation": res.evaluation, "ok": res.ok,
           "files": {k: str(p) for k, p in res.paths.items()}, "problems": res.problems}
    if res.data is not None and res.ok:
        d = res.data
        out["salespeople"] = d.totals.to_dict("records")
        out["company"] = d.company.to_dict("records")
        out["accounts"] = d.accounts
        out["warnings"] = d.warnings
        out["class_suggestions"] = d.classes
        out["support_allocated_known"] = d.with_allocation
        out["share_of_wallet"] = _wallet_json(cfg, d)
    return out


def _wallet_json(cfg, data) -> list[dict]:
    """The Share of wallet sheet's rows of the VP's workbook (the evaluated quarter; none without account
    plans): volumes in the product's unit, our revenue to the cent, share a fraction (null where the
    customer's usage is 0), whitespace true where the customer uses the product and buys none of it from us."""
    from kamplan.stages.evaluation import wallet_rows
    rows = wallet_rows(cfg, data)
    if rows is None:
        return []
    return [{"rep_id": r["rep_id"], "account_id": r["account_id"], "product_id": r["product_id"], "unit": r["unit"],
             "usage": float(r["usage"]), "ours": float(r["ours"]), "revenue": _cents(r["revenue"]),
             "share": None if r["share"] is None or r["share"] != r["share"] else float(r["share"]),
             "elsewhere": float(r["elsewhere"]), "whitespace": bool(r["whitespace"])}
            for r in rows.to_dict("records")]


def _cents(amount) -> float:
    """Money to the cent (half up)."""
    from decimal import ROUND_HALF_UP, Decimal
    return float(Decimal(repr(float(amount))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@evaluate.command("annual")
@click.option("--year", type=click.IntRange(2000, 2100), help="Fiscal year (default: the plan year).")
@click.option("--rep", "reps", multiple=True, help="Only these salespeople's workbooks (repeatable).")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), help="Language of the workbooks (default: config).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def evaluate_annual(ctx, year, reps, lang, as_json):
    """The annual evaluation of each salesperson (targets, results, scores, the VP's ratings and comments of
    every quarter) and the VP's summary, from the four quarters or the year so far."""
    from kamplan.stages.evaluation import annual_evaluation
    with open_workspace(ctx) as ws:
        with progress_bar("cli.progress.annual-evaluation", 6 + len(reps or ws.config.staff)) as step:
            res = annual_evaluation(ws, year, list(reps) or None, progress=step, language=lang)
        if as_json:
            print_json(_result_json(res, ws.config))
        else:
            _print_written(res, "annual")
        sys.exit(0 if res.ok else 2)


@evaluate.command("collect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def evaluate_collect(ctx, paths, as_json):
    """Read the VP's ratings, comments and service statuses from evaluation workbooks into the store.

    Only what changed is stored; nothing is deleted. Exit status 1 when any file was rejected.
    """
    from kamplan.stages.evaluation import collect_evaluations
    from kamplan.stages.inputs import expand_inputs
    with open_workspace(ctx) as ws:
        with progress_bar("cli.progress.collecting-evaluations", len(expand_inputs(paths)[0])) as step:
            res = collect_evaluations(ws, list(paths), progress=step)
        if as_json:
            print_json({"files": [{"file": str(f.path), "outcome": f.outcome, "ratings": f.ratings,
                                   "statuses": f.statuses, "problems": f.problems} for f in res.files]})
        else:
            for f in res.files:
                print_file_outcome(f, "  " + t("cli.evaluate.collected", ratings=f.ratings, statuses=f.statuses)
                                   if f.outcome == "stored" else "")
        sys.exit(1 if res.rejected else 0)


@click.command("warnings")
@click.option("--quarter", "-q", type=click.IntRange(1, 4), help="Fiscal quarter (default: the latest with actuals).")
@click.option("--year", type=click.IntRange(2000, 2100), help="Fiscal year (default: the plan year).")
@click.option("--all", "show_all", is_flag=True, help="List every warned account (default: the first 20).")
@click.option("--min-flags", type=click.IntRange(1, len(FLAG_CODES)), default=1, show_default=True,
              help="Only accounts with at least this many flags (their rank in the whole list is kept).")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON for scripts.")
@click.pass_context
def warnings(ctx, quarter, year, show_all, min_flags, as_json):
    """Early warnings of defection: accounts ranked by severity (number and weight of flags), then revenue
    at risk, each flag with its evidence."""
    from kamplan.engine.early_warnings import with_min_flags
    from kamplan.stages.evaluation import warning_list
    with open_workspace(ctx, read_only=True) as ws:
        w, problems, q = warning_list(ws, quarter, year, language=current_language())
        w = with_min_flags(w, min_flags)
        if as_json:
            print_json({"year": year or ws.config.plan_year, "quarter": q, "warnings": w, "problems": problems})
            sys.exit(2 if q is None else 0)
        for p in problems:
            console.print(problem_line(p))
        if q is None:
            sys.exit(2)
        year = year or ws.config.plan_year
        if not len(w):
            console.print(t("cli.warnings.none-min", year=year, quarter=q, min_flags=min_flags) if min_flags > 1
                          else t("cli.warnings.none", year=year, quarter=q))
            return
        console.print(f"[bold]{t('cli.warnings.title', year=year, quarter=q)}[/bold]: "
                      + nt("cli.warnings.ranked", len(w)))
        shown = w if show_all else w.head(SHOW)
        for r in shown.itertuples():
            console.print(f"{r.rank:>3}. [bold]{escape(str(r.account_id))}[/bold] {escape(str(r.account))} "
                          f"({escape(str(r.rep_id))}) · "
                          + nt("cli.warnings.flags", len(r.flags), severity=f"{r.severity:g}",
                               at_risk=f"{r.revenue_at_risk:,.0f}"))
            for code, ev in zip(r.flags, r.evidence):
                console.print(f"      [yellow]{code}[/yellow]: {escape(ev)}")
        if len(w) > len(shown):
            console.print("  " + t("cli.warnings.more", count=len(w) - len(shown)))


COMMANDS = (evaluate, warnings)
