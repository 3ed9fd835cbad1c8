"""``kamplan resources``: allocate executives, technical staff and outside advisors across key accounts.

Register on the main command with ``cli.add_command(resources)``.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from kamplan.cli.common import open_workspace, progress_bar, relative, t
from kamplan.cli.output import console, err_console, escape, print_json, problem_line, stdout_to_stderr
from kamplan.messages import render

SHOW = 10


@click.group()
def resources():
    """Support from executives, technical staff and outside advisors: allocate it across the accounts."""


@resources.command("allocate")
@click.option("--time-limit", type=click.FloatRange(0.1, 3600), help="Seconds the optimiser may take "
              "(default: resources.time_limit in the config).")
@click.option("--choices", "choices", type=click.Path(dir_okay=False, path_type=Path),
              help="Read the VP's forced choices and capacity changes from this resource plan workbook "
                   "(default: the newest reports/resource_plan_YEAR_*.xlsx).")
@click.option("--no-choices", is_flag=True, help="Do not read any workbook; use the choices already stored.")
@click.option("--resolve", is_flag=True, help="Also re-solve with one more unit per pool and quarter (slower).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def resources_allocate(ctx, time_limit, choices, no_choices, resolve, as_json):
    """Allocate the support pools to the plan's requests; write reports/resource_plan_YEAR_STAMP.xlsx.

    Exit status 1 when the choices workbook has errors or the rules cannot all hold (infeasible),
    0 otherwise.
    """
    from kamplan.stages.resources import allocate
    with open_workspace(ctx) as ws:
        with stdout_to_stderr(as_json), progress_bar("cli.progress.allocate", 7) as step:
            res = allocate(ws, time_limit=time_limit, force_from=choices, progress=step, read_choices=not no_choices,
                           resolve=resolve)
        if as_json:
            print_json(res.to_dict())
        else:
            _print(res, ws.config, ws.root)
        sys.exit(0 if res.ok else 1)


def _money(x, currency) -> str:
    return "—" if x is None or not math.isfinite(x) else t("cli.money", amount=float(x), currency=currency)


def _print(res, cfg, root=None):
    cur = cfg.currency
    if res.choices_file is not None:
        n, m = res.choices_stored
        console.print(t("cli.allocate.choices", path=f"[bold]{escape(relative(res.choices_file, root))}[/bold]",
                        forced=n, changes=m), overflow="fold")
    a = res.allocation
    if a is None:
        err_console.print(f"[red]{t('cli.allocate.nothing')}[/red]")
        for p in res.problems:
            err_console.print(problem_line(p))
        return
    console.print(t("cli.allocate.title", year=res.plan_year, run=res.run_id, source=escape(render(res.source))),
                  overflow="fold")
    gap = "—" if a.gap is None or not math.isfinite(a.gap) else f"{a.gap:.3%}"
    console.print("  " + t("cli.allocate.value", value=_money(a.objective, cur), bound=_money(a.bound, cur), gap=gap,
                           status=a.status, method=a.method, seconds=round(a.seconds, 1),
                           greedy=_money(a.greedy_objective, cur)), overflow="fold")
    console.print("  " + t("cli.allocate.counts", requests=len(res.requests), assignments=len(a.assignments),
                           unmet=len(a.unmet), forced_in=len(res.forced_in), forced_out=len(res.forced_out),
                           changes=len(res.capacity_changes)), overflow="fold")
    for u in a.unmet[:SHOW]:
        console.print(f"  [yellow]{escape(u.request_id)}[/yellow] {escape(u.account_id)} {u.kind} "
                      f"{u.given:g}/{u.asked:g}: {escape(render(u.reason))} — {escape(render(u.fix))}")
    if len(a.unmet) > SHOW:
        console.print("  " + t("cli.allocate.more-unmet", n=len(a.unmet) - SHOW))
    for p in res.problems:
        console.print(problem_line(p))
    if res.path:
        console.print(t("cli.wrote-report", path=f"[bold]{escape(relative(res.path, root))}[/bold]"), overflow="fold")
        console.print("  " + t("cli.allocate.next"))
