"""The ``kamplan`` command line: a thin layer over the stages."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kamplan import __version__
from kamplan.cli.accounts import accounts
from kamplan.cli.actuals import actuals, parsed_periods, replacing_options
from kamplan.cli.addin import addin
from kamplan.cli.common import open_workspace, print_file_outcome, progress_bar, show_frame
from kamplan.cli.evaluate import COMMANDS as evaluation_commands  # evaluate, warnings
from kamplan.cli.output import console, err_console, escape, frame_table, print_json, problem_line
from kamplan.cli.plan import COMMANDS as plan_commands  # consolidate, spread, versions ... added to targets
from kamplan.cli.resources import resources
from kamplan.cli.store import store
from kamplan.config import ConfigError
from kamplan.store import StoreError
from kamplan.workspace import Workspace, WorkspaceError


class KamplanGroup(click.Group):
    """Turns known failures into a message and exit code 2 instead of a traceback: the config's problems,
    the workspace's and store's refusals, and environment errors (``kamplan.errors``: permission, full
    disk, locked file, damaged store).  Anything else is a bug: a short message and exit code 3, the
    traceback only with ``--debug``."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            err_console.print("[red]The config has problems:[/red]")
            for p in exc.problems:
                err_console.print(problem_line(p))
            sys.exit(2)
        except (WorkspaceError, StoreError, ValueError) as exc:
            err_console.print(f"[red]error:[/red] {escape(str(exc))}")
            sys.exit(2)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            _refuse(exc)


def _refuse(exc: Exception) -> None:
    """The message for an error that escaped a command, and its exit status (2 environment, 3 a bug)."""
    from kamplan.errors import environment_problem
    problem = environment_problem(exc)
    if problem is not None:
        err_console.print(f"[red]error:[/red] {escape(problem.message)}\n  what to do: {escape(problem.fix)}")
        sys.exit(2)
    err_console.print(f"[red]kamplan stopped on an unexpected error[/red] ({type(exc).__name__}: "
                      f"{escape(str(exc).splitlines()[0] if str(exc) else '')}). Nothing half-written was kept. "
                      "Run the command again with --debug (kamplan --debug ...) and report what it prints.")
    sys.exit(3)


@click.group(cls=KamplanGroup)
@click.version_option(__version__, prog_name="kamplan")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The planning workspace (a folder made by `kamplan init`).")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
@click.pass_context
def cli(ctx, workspace, debug):
    """Key-account planning: December targets, consolidation, resources and evaluation."""
    ctx.ensure_object(dict)
    ctx.obj["workspace"] = workspace
    ctx.obj["debug"] = debug


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Start from this config instead of the commented default.")
def init(directory, config_file):
    """Create a planning workspace in DIRECTORY (config, store, inbox, outbox, reports)."""
    text = config_file.read_text(encoding="utf-8") if config_file else None
    with Workspace.init(directory, text) as ws:
        console.print(f"Created workspace [bold]{escape(str(ws.root))}[/bold]")
        console.print(f"  config: {escape(str(ws.config_path))}  (edit it: products, staff, accounts)")
        console.print(f"  store:  {escape(ws.store_label())}")
        console.print(f"  next:   kamplan -w {escape(str(directory))} targets issue")


@cli.group()
def targets():
    """December target workbooks: issue, collect, status."""


@targets.command("issue")
@click.option("--round", "round_no", type=click.IntRange(1, 99), help="Round number (default: the open one, or 1).")
@click.option("--rep", "reps", multiple=True, help="Only these salespeople (repeatable).")
@click.option("--force", is_flag=True, help="Replace existing workbooks (the old ones move to replaced/).")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), help="Language of the workbooks (default: config).")
@click.pass_context
def targets_issue(ctx, round_no, reps, force, lang):
    """Write one target workbook per salesperson into outbox/round-N."""
    from kamplan.stages.targets import issue_targets
    with open_workspace(ctx) as ws:
        n = len([s for s in ws.config.staff if not reps or s.id in reps])
        with progress_bar("Writing workbooks", n) as step:
            res = issue_targets(ws, round_no, list(reps) or None, force, lang, progress=step)
        console.print(f"Round {res.round}: wrote {len(res.written)} workbook(s) to "
                      f"[bold]{escape(str(res.folder))}[/bold]")
        for p in res.kept:
            console.print(f"  kept existing {escape(p.name)} (use --force to replace it)")


@targets.command("collect")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def targets_collect(ctx, paths, as_json):
    """Read returned workbooks (files or folders; default: the workspace's inbox) into the store.

    Exit status 1 when any file was rejected, 0 otherwise.
    """
    from kamplan.stages.inputs import expand_inputs
    from kamplan.stages.targets import collect_targets
    with open_workspace(ctx) as ws:
        inputs = list(paths) or [ws.inbox]
        n = len(expand_inputs(inputs)[0])
        with progress_bar("Collecting", n) as step:
            res = collect_targets(ws, inputs, progress=step)
        if as_json:
            print_json({"year": res.year, "round": res.round,
                        "files": [{"file": str(f.path), "outcome": f.outcome, "rep_id": f.rep_id,
                                   "problems": f.problems} for f in res.files],
                        "status": res.status})
        else:
            _print_collect(res)
        sys.exit(1 if res.rejected else 0)


def _print_collect(res):
    for f in res.files:
        print_file_outcome(f, f"  ({len(f.warnings)} warning(s))" if f.warnings and f.outcome != "rejected" else "")
    console.print(frame_table(res.status, title=f"Round {res.round} · {res.year}"))
    stored = sum(f.outcome == "stored" for f in res.files)
    console.print(f"{stored} stored, {sum(f.outcome == 'unchanged' for f in res.files)} unchanged, "
                  f"{len(res.rejected)} rejected.")


@targets.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def targets_status(ctx, as_json):
    """Who has submitted, who is missing, who was rejected (and why)."""
    with open_workspace(ctx, read_only=True) as ws:
        cfg = ws.config
        rnd = ws.store.current_round(cfg.plan_year) or 1
        reps = {a.rep for a in cfg.accounts} & (ws.reps_in_scope() or {s.id for s in cfg.staff})  # by region
        status = ws.store.status(cfg.plan_year, rnd, [s.id for s in cfg.staff if s.id in reps])
        show_frame(status, as_json, f"Round {rnd} · {cfg.plan_year}")


@cli.group()
def history():
    """Sales history per account x product x quarter (the base for targets)."""


@history.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@replacing_options
@click.pass_context
def history_import(ctx, file, periods, force):
    """Import FILE (CSV or xlsx) into the store; the periods it holds replace earlier imports of them.

    Columns: year, quarter, account_id, product_id, volume, price, revenue,
    gross_margin, cost_to_serve, visits.  A row outside the ten years before the plan year (and the
    plan year), or replacing a stored quarter by less than half of it, is an error unless the quarter
    is named with --periods.
    """
    from kamplan.stages.history import import_history
    stated = parsed_periods(periods)
    with open_workspace(ctx) as ws:
        n, problems = import_history(ws, file, stated, force)
        for p in problems:
            console.print(problem_line(p))
        if any(p.is_error for p in problems):
            console.print(f"[red]Nothing imported[/red] from {escape(str(file))}.")
            sys.exit(1)
        console.print(f"Imported {n:,} history lines from {escape(str(file))} into {escape(ws.store_label())}")


@cli.command()
@click.pass_context
def check(ctx):
    """Check the workspace's config and say what it holds."""
    with open_workspace(ctx, read_only=True) as ws:
        cfg = ws.config
        console.print(f"{escape(str(ws.config_path))}: OK — plan year {cfg.plan_year}, {len(cfg.products)} products, "
                      f"{len(cfg.staff)} salespeople, {len(cfg.accounts)} accounts, "
                      f"{len(cfg.support_pools)} support pools")


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("kamplan-demo"),
              show_default=True, help="Folder for the demo workspace.")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), default="zh-CN", show_default=True)
@click.option("--store-url", help="Run it on this empty team store (e.g. postgresql+psycopg2://USER@HOST/DB; "
                                  "the password in KAMPLAN_STORE_PASSWORD or ~/.pgpass).")
def demo(out, lang, store_url):
    """Run the annual cycle on the embedded demo company (93 customers, 8 salespeople)."""
    from kamplan.demo.run import DemoError, run_demo
    try:
        with progress_bar("Demo", None) as step:
            summary = run_demo(out, lang, progress=step, store_url=store_url)
    except DemoError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(2)
    console.print(summary.render())


@cli.group()
def templates():
    """Blank workbook templates kept in workbook_templates/."""


@templates.command("build")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("workbook_templates"),
              show_default=True)
def templates_build(out):
    """Regenerate the blank templates from the default config."""
    from kamplan.stages.templates import build_templates
    for p in build_templates(out):
        console.print(f"wrote {escape(str(p))}")


for group in (accounts, resources, addin, actuals, store, *evaluation_commands):
    cli.add_command(group)
for command in plan_commands:
    targets.add_command(command)


def main():
    cli(prog_name="kamplan")


if __name__ == "__main__":
    main()
