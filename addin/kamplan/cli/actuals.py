"""``kamplan actuals``: ERP invoice/delivery lines (import) and the activity log (activities) into the store.

Register on the main command with ``cli.add_command(actuals)``.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kamplan.cli.output import console, escape, print_json, problem_line
from kamplan.messages import t

if TYPE_CHECKING:
    from rich.table import Table

SHOW = 10  # unmatched values printed per file before "... and N more"


def _open(ctx):
    from kamplan.cli.common import open_workspace
    return open_workspace(ctx)


def _bar(label, total):
    from kamplan.cli.common import progress_bar
    return progress_bar(label, total)


@click.group()
def actuals():
    """Actuals: invoice or delivery lines from the ERP (import) and the activity log (activities)."""


def _file_import(name: str):
    """``kamplan actuals <name> FILES... [--dry-run] [--json]``."""
    def decorate(command):
        for option in (click.pass_context,
                       click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts."),
                       click.option("--dry-run", is_flag=True, help="Read and check only; store nothing."),
                       click.argument("files", nargs=-1, required=True,
                                      type=click.Path(dir_okay=False, path_type=Path)),
                       actuals.command(name)):
            command = option(command)
        return command
    return decorate


def replacing_options(command):
    """``--periods`` and ``--force``: which stored quarters an import may replace (kamplan.imports.replacing)."""
    command = click.option("--force", is_flag=True,
                           help="Accept lines outside the usual years and replacing a stored quarter by far "
                                "less.")(command)
    return click.option("--periods", multiple=True, metavar="2027Q1,...",
                        help="The fiscal quarters this import replaces (2027Q1, or 2027 for the year); a line "
                             "in another quarter is an error, and a stated quarter may shrink.")(command)


def parsed_periods(values):
    from kamplan.imports.replacing import PeriodsError, parse_periods
    try:
        return parse_periods(values)
    except PeriodsError as exc:
        raise click.BadParameter(str(exc), param_hint="--periods") from None


@_file_import("import")
@replacing_options
def actuals_import(ctx, files, dry_run, as_json, periods, force):
    """Import ERP exports of invoice or delivery lines (CSV or xlsx) as actuals.

    Columns (names set in the config's actuals.columns; Chinese headers accepted): date, customer,
    product, quantity, amount, optionally cost, unit, currency.  Lines are summed per fiscal quarter,
    account and product; the quarters the files cover replace earlier imports of them (kept in the
    store), so give all files of a quarter together.  Lines of customers or products that are not
    in the plan are listed and written to reports/actuals_unmatched_<time>.csv.
    A line outside the plan year and the year before, or a file that would replace a stored quarter
    by less than half of it (a mistyped date), is an error unless the quarter is named with --periods.
    Exit status 1 when any file was rejected, 0 otherwise.
    """
    from kamplan.stages.actuals import import_actuals
    stated = parsed_periods(periods)
    with _open(ctx) as ws:
        res = _read_with_progress(import_actuals, ws, files, dry_run, periods=stated, force=force)
        if as_json:
            print_json({"stored": res.stored, "dry_run": dry_run, "actuals_import_id": res.actuals_import_id,
                        "rows_stored": res.rows_stored, "periods": res.periods, "store": res.store_where,
                        "volume_stored": res.volume_stored, "volume_stored_by_unit": res.volume_stored_by_unit,
                        "revenue_stored": res.revenue_stored,
                        "unmatched_file": res.unmatched_path,
                        "files": [{**f.totals(), "unmatched_values": [vars(u) for u in f.unmatched_values],
                                   "problems": f.problems} for f in res.files],
                        "problems": res.problems})
        else:
            _print_actuals(res, ws.config.currency)
        sys.exit(1 if res.rejected or not (res.stored or dry_run) else 0)


def _read_with_progress(importer, ws, files, dry_run: bool, **options):
    with _bar("cli.progress.actuals-read", len(files)) as step:
        return importer(ws, list(files), dry_run=dry_run, progress=step, **options)


_OUTCOME = {"read": "cli.actuals.outcome.read", "rejected": "cli.actuals.outcome.rejected"}


def _print_files(res, counts, more=None) -> None:
    """Each file's outcome (``counts(f)`` for a file that was read), its problems and ``more(f)``, then the
    import's problems."""
    for f in res.files:
        colour = "green" if f.outcome == "read" else "red"
        outcome = t(_OUTCOME.get(f.outcome, "cli.actuals.outcome.other"), outcome=f.outcome)
        console.print(f"[{colour}]{escape(outcome):>8}[/{colour}] {escape(f.path.name)}"
                      + (f"  {counts(f)}" if f.outcome == "read" else ""))
        for p in f.problems:
            console.print(problem_line(p))
        if more:
            more(f)
    for p in res.problems:
        console.print(problem_line(p))


def _print_actuals(res, currency: str) -> None:
    _print_files(res, lambda f: t("cli.actuals.file-counts", lines=f.lines, matched=f.matched, unmatched=f.unmatched),
                 lambda f: _print_unmatched_values(f, currency))
    good = [f for f in res.files if f.outcome == "read"]
    if good:
        console.print(_totals_table(res, good, currency))
    _print_actuals_outcome(res)


def _print_unmatched_values(f, currency: str) -> None:
    for u in f.unmatched_values[:SHOW]:
        console.print(f"  [yellow]{escape(_said(u.reason()))}[/yellow] " + escape(t(
            "cli.actuals.unmatched-value", value=repr(u.value), lines=u.lines, row=u.first_row, quantity=u.quantity,
            revenue=u.revenue, currency=currency, fix=u.fix())))
    if len(f.unmatched_values) > SHOW:
        console.print("  " + t("cli.actuals.more-values", more=len(f.unmatched_values) - SHOW))


def _totals_table(res, good, currency: str) -> Table:
    """Lines, volume and revenue in the files, not in the plan, matched and stored, to check against the ERP.

    Volumes in different units never add (3 t and 40 pcs are not 43 of anything): with more than one unit
    the file rows show no volume total and the stored row shows the volume per unit."""
    from rich.table import Table  # rich.table is imported when a table is shown, not by --help
    table = Table(title=t("cli.actuals.totals"), header_style="bold")
    for c in ("", t("cli.actuals.column.lines"), t("cli.actuals.column.volume"),
              t("cli.actuals.column.revenue", currency=currency)):
        table.add_column(c, justify="right" if c else "left", overflow="fold")
    by_unit = res.volume_stored_by_unit
    mixed = len(by_unit) > 1

    def volume(total: float) -> str:
        return "—" if mixed else f"{total:,.2f}"
    table.add_row(t("cli.actuals.row.in-files"), f"{sum(f.lines for f in good):,}",
                  volume(sum(f.volume_matched + f.volume_unmatched for f in good)),
                  f"{sum(f.revenue_in for f in good):,.2f}")
    table.add_row(t("cli.actuals.row.not-in-plan"), f"{sum(f.unmatched for f in good):,}",
                  volume(sum(f.volume_unmatched for f in good)),
                  f"{sum(f.revenue_unmatched for f in good):,.2f}")
    table.add_row(t("cli.actuals.row.matched"), f"{sum(f.matched for f in good):,}",
                  volume(sum(f.volume_matched for f in good)), f"{sum(f.revenue_matched for f in good):,.2f}")
    stored_volume = ("; ".join(f"{v:,.2f} {u}".rstrip() for u, v in by_unit.items()) if mixed
                     else f"{res.volume_stored:,.2f}")
    table.add_row(t("cli.actuals.row.stored") if res.stored else t("cli.actuals.row.to-store"),
                  t("cli.actuals.rows", rows=0 if res.history is None else len(res.history)),
                  stored_volume, f"{res.revenue_stored:,.2f}")
    return table


def _print_actuals_outcome(res) -> None:
    quarters = _quarters(res.periods)
    if res.stored:
        console.print(t("cli.actuals.stored", rows=res.rows_stored, quarters=quarters,
                        store=f"[bold]{escape(res.store_where)}[/bold]", import_id=res.actuals_import_id))
    elif res.dry_run:
        console.print(t("cli.actuals.dry-run", quarters=quarters) if quarters else t("cli.actuals.dry-run-nothing"))
    else:
        console.print(f"[red]{t('cli.actuals.nothing-stored')}[/red]")
    if res.unmatched_path:
        console.print(t("cli.actuals.unmatched-file", path=f"[bold]{escape(str(res.unmatched_path))}[/bold]"))
    if res.rejected:
        console.print("[red]" + t("cli.actuals.rejected", count=len(res.rejected)) + "[/red]")


def _quarters(periods) -> str:
    return ", ".join(t("cli.actuals.quarter", year=y, quarter=q) for y, q in periods)


def _said(text) -> str:
    """A text from the imports (a catalogue Message or plain English) in the run's language."""
    from kamplan.messages import render
    return render(text)


@_file_import("activities")
def actuals_activities(ctx, files, dry_run, as_json):
    """Import the activity log (CSV or xlsx): one row per visit, training, service or complaint.

    Columns (names set in actuals.activity_columns; Chinese headers accepted): date, account, kind
    (rep_visit, exec_visit, training, service, complaint or 拜访, 高层拜访, 培训, 服务, 投诉), person,
    quantity, status (complaints: open/resolved), note, ref (names a complaint so a later row can
    resolve it).  The fiscal quarters the files cover replace earlier imports of them (kept).
    Exit status 1 when any file was rejected, 0 otherwise.
    """
    from kamplan.stages.actuals import import_activities
    with _open(ctx) as ws:
        res = _read_with_progress(import_activities, ws, files, dry_run)
        if as_json:
            print_json({"rows_stored": res.rows_stored, "dry_run": dry_run, "periods": res.periods,
                        "store": res.store_where,
                        "files": [{"file": f.path.name, "outcome": f.outcome, "lines": f.lines, "matched": f.matched,
                                   "unmatched": f.unmatched, "problems": f.problems} for f in res.files],
                        "problems": res.problems})
        else:
            _print_activities(res, dry_run)
        sys.exit(1 if res.rejected or not (res.rows_stored or dry_run) else 0)


def _print_activities(res, dry_run: bool) -> None:
    _print_files(res, lambda f: t("cli.actuals.activity-counts", rows=f.lines, kept=f.matched, unknown=f.unmatched))
    quarters = _quarters(res.periods)
    if res.rows_stored:
        console.print(t("cli.actuals.activities-stored", rows=res.rows_stored, quarters=quarters,
                        store=f"[bold]{escape(res.store_where)}[/bold]"))
    elif dry_run and res.periods:
        console.print(t("cli.actuals.dry-run", quarters=quarters))
    else:
        console.print(f"[red]{t('cli.actuals.nothing-stored')}[/red]")
