"""The ``kamplan`` command line: a thin layer over the stages."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kamplan import __version__
from kamplan.cli.accounts import accounts
from kamplan.cli.actuals import actuals, parsed_periods, replacing_options
from kamplan.cli.addin import addin
from kamplan.cli.common import (choose_language, click_words, find_workspace, front_language, hoist_global_options,
                                localise_help, nt, open_workspace, print_file_outcome, progress_bar, relative,
                                show_frame, t, workspace_root)
from kamplan.cli.evaluate import COMMANDS as evaluation_commands  # evaluate, warnings
from kamplan.cli.output import console, err_console, escape, frame_table, print_json, problem_line
from kamplan.cli.plan import COMMANDS as plan_commands  # consolidate, spread, versions ... added to targets
from kamplan.cli.profile import profiled, wants_profile
from kamplan.cli.resources import resources
from kamplan.cli.store import store
from kamplan.messages import render

# Nothing above imports pandas, SQLAlchemy, pydantic or the store: a command imports what it needs when it
# runs, so `kamplan --help`, `--version` and a subcommand's --help start as fast as click and rich
# (tests/frontends/test_startup.py).


class KamplanGroup(click.Group):
    """Turns known failures into a message and exit code 2 instead of a traceback: the config's problems,
    the workspace's and store's refusals, and environment errors (``kamplan.errors``: permission, full
    disk, locked file, damaged store).  Anything else is a bug: a short message and exit code 3, the
    traceback only with ``--debug``."""

    def main(self, args=None, **kwargs):
        """Global options may follow the subcommand; the run's language (--lang, KAMPLAN_LANG, the
        workspace's ``language:``) is chosen before anything is parsed, so --help speaks it too."""
        args = hoist_global_options(self, list(sys.argv[1:] if args is None else args))
        lang, root = front_language(args)
        language = choose_language(lang, root if root is not None else find_workspace(Path.cwd()))
        click_words(language)
        localise_help(self)
        if wants_profile(args):
            with profiled(err_console):
                return super().main(args, **kwargs)
        return super().main(args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            _known_failure(exc)
            if (ctx.obj or {}).get("debug"):
                raise
            _refuse(exc)


def _known_failure(exc: Exception) -> None:
    """Exit with status 2 and the message of a failure kamplan knows: the config's problems, the workspace's
    and store's refusals (their modules are imported here, after the command has loaded them anyway)."""
    from kamplan.config import ConfigError
    from kamplan.store import StoreError
    from kamplan.workspace import WorkspaceError
    if isinstance(exc, ConfigError):
        err_console.print(f"[red]{t('cli.config-problems')}[/red]")
        for p in exc.problems:
            err_console.print(problem_line(p))
        sys.exit(2)
    if isinstance(exc, (WorkspaceError, StoreError, ValueError)):
        said = render(exc.args[0]) if len(exc.args) == 1 else str(exc)  # a catalogue Message: the run's language
        err_console.print(f"[red]{t('cli.tag.error')}:[/red] {escape(said)}")
        sys.exit(2)


def _refuse(exc: Exception) -> None:
    """The message for an error that escaped a command, and its exit status (2 environment, 3 a bug)."""
    from kamplan.errors import environment_problem
    problem = environment_problem(exc)
    if problem is not None:
        message, fix = problem.render()
        err_console.print(f"[red]{t('cli.tag.error')}:[/red] {escape(message)}\n  {t('cli.what-to-do')}: {escape(fix)}")
        sys.exit(2)
    first = str(exc).splitlines()[0] if str(exc) else ""
    err_console.print(f"[red]{t('cli.unexpected')}[/red] "
                      + escape(t("cli.unexpected.detail", kind=type(exc).__name__, detail=first)))
    sys.exit(3)


@click.group(cls=KamplanGroup)
@click.version_option(__version__, prog_name="kamplan")
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The planning workspace (a folder made by `kamplan init`; default: the one the current "
                   "folder is in). May also follow the subcommand.")
@click.option("--lang", "language", type=click.Choice(["en", "zh-CN"]),
              help="Language of what kamplan prints (default: KAMPLAN_LANG, else the workspace's language:).")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
@click.option("--profile", is_flag=True,
              help="Print where the command spent its time to stderr (also KAMPLAN_PROFILE=1).")
@click.pass_context
def cli(ctx, workspace, language, debug, profile):
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
    from kamplan.stages.feedback import write_sample_history
    from kamplan.workspace import Workspace
    text = config_file.read_text(encoding="utf-8") if config_file else None
    with Workspace.init(directory, text) as ws:
        sample = write_sample_history(ws)
        w = escape(str(directory))
        console.print(t("cli.init.created", root=escape(str(ws.root))), overflow="fold")
        console.print(t("cli.init.config", path=escape(str(ws.config_path))), overflow="fold")
        console.print(t("cli.init.store", store=escape(ws.store_label())), overflow="fold")
        console.print(t("cli.init.sample", path=escape(relative(sample, ws.root))), overflow="fold")
        console.print(t("cli.init.next"))
        for i, key in enumerate(("check", "history", "segment", "collect-review", "issue"), 1):
            console.print(f"  {i}. " + t(f"cli.init.step.{key}", w=w, sample=escape(relative(sample, ws.root))),
                          overflow="fold")


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
        with progress_bar("cli.progress.issue", n) as step:
            res = issue_targets(ws, round_no, list(reps) or None, force, lang, progress=step)
        console.print(nt("cli.issue.wrote", len(res.written), round=res.round,
                         folder=f"[bold]{escape(relative(res.folder, ws.root))}[/bold]"), overflow="fold")
        for p in res.kept:
            console.print(t("cli.issue.kept", name=escape(p.name)), overflow="fold")


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
        with progress_bar("cli.progress.collect", n) as step:
            res = collect_targets(ws, inputs, progress=step)
        if as_json:
            print_json({"year": res.year, "round": res.round,
                        "files": [{"file": str(f.path), "outcome": f.outcome, "rep_id": f.rep_id,
                                   "problems": f.problems} for f in res.files],
                        "status": res.status})
        else:
            _print_collect(res, ws.root)
        sys.exit(1 if res.rejected else 0)


def _print_collect(res, root: Path):
    for f in res.files:
        print_file_outcome(f, "  (" + nt("cli.collect.warnings", len(f.warnings)) + ")"
                           if f.warnings and f.outcome != "rejected" else "")
    console.print(frame_table(res.status, title=t("cli.round-title", round=res.round, year=res.year)))
    stored = sum(f.outcome == "stored" for f in res.files)
    console.print(t("cli.collect.summary", stored=stored, unchanged=sum(f.outcome == "unchanged" for f in res.files),
                    rejected=len(res.rejected)))
    feedback = [p for f in res.files for p in getattr(f, "feedback", ())]
    if feedback:
        console.print(nt("cli.collect.feedback", sum(bool(getattr(f, "feedback", None)) for f in res.files)))
        for p in feedback:
            console.print("  " + escape(relative(p, root)), overflow="fold")


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
        show_frame(status, as_json, t("cli.round-title", round=rnd, year=cfg.plan_year))


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
            console.print(problem_line(p), overflow="fold")
        if any(p.is_error for p in problems):
            console.print(t("cli.history.nothing", file=escape(str(file))), overflow="fold")
            sys.exit(1)
        console.print(nt("cli.history.imported", n, file=escape(str(file)), store=escape(ws.store_label())),
                      overflow="fold")


@cli.command()
@click.pass_context
def check(ctx):
    """Check the workspace's config and say what it holds."""
    with open_workspace(ctx, read_only=True) as ws:
        cfg = ws.config
        console.print(t("cli.check.ok", path=escape(str(ws.config_path)), year=cfg.plan_year,
                        products=len(cfg.products), staff=len(cfg.staff), accounts=len(cfg.accounts),
                        pools=len(cfg.support_pools)), overflow="fold")


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the steps as JSON for scripts.")
@click.pass_context
def cycle_status_command(ctx, as_json):
    """Where the planning cycle stands, and what to do next."""
    from kamplan.stages.cycle import cycle_status, next_step
    with open_workspace(ctx, read_only=True) as ws:
        steps = cycle_status(ws)
        upcoming = next_step(steps)
        if as_json:
            print_json({"plan_year": ws.config.plan_year, "next": upcoming.command if upcoming else None,
                        "steps": [{"step": s.key, "done": s.done, **s.figures} for s in steps]})
            return
        console.print(t("cli.status.title", year=ws.config.plan_year, root=escape(str(ws.root))), overflow="fold")
        for s in steps:
            mark = "[green]✓[/green]" if s.done else "[yellow]·[/yellow]"
            key = f"cli.status.{s.key}" if s.done else f"cli.status.{s.key}.todo"
            console.print(f"  {mark} " + t(key, **s.figures), overflow="fold")
        console.print(t("cli.status.next", command=upcoming.command) if upcoming else t("cli.status.all-done"))


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
        with progress_bar("cli.progress.demo", None) as step:
            summary = run_demo(out, lang, progress=step, store_url=store_url)
    except DemoError as exc:
        err_console.print(f"[red]{t('cli.tag.error')}:[/red] {escape(str(exc))}")
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
        console.print(t("cli.wrote", path=escape(str(p))), overflow="fold")


for group in (accounts, resources, addin, actuals, store, *evaluation_commands):
    cli.add_command(group)
for command in plan_commands:
    targets.add_command(command)


def main():
    cli(prog_name="kamplan")


if __name__ == "__main__":
    main()
