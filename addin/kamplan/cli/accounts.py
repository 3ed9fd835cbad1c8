"""``kamplan accounts``: find, classify and price key accounts (segment) and read the VP's review (collect).

Register on the main command with ``cli.add_command(accounts)``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kamplan.cli.common import nt, open_workspace, print_file_outcome, progress_bar, relative, t
from kamplan.cli.output import console, err_console, escape, print_json, problem_line

SHOW = 10  # lines of each list printed before "... and N more"


@click.group()
def accounts():
    """Key accounts: Pareto, profitability, scores and classes (segment), the VP's review (collect)."""


@accounts.command("segment")
@click.option("--year", type=click.IntRange(2000, 2100), help="History year to rank (default: the year before the "
              "plan year, or the latest in the history).")
@click.option("--rolling", is_flag=True, help="Use the last four quarters in the history instead of a year.")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), help="Language of the workbook (default: config).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def accounts_segment(ctx, year, rolling, lang, as_json):
    """Rank and classify every account; write reports/account_review_PLANYEAR.xlsx for the VP.

    Exit status 2 when the history cannot give a period (nothing written).
    """
    from kamplan.stages.review import segment_accounts
    with open_workspace(ctx) as ws:
        with progress_bar("cli.progress.segment", 5) as step:
            res = segment_accounts(ws, year=year, rolling=rolling, progress=step, language=lang)
        language = lang or ws.config.language
        if as_json:
            print_json(res.to_dict(language))
        else:
            _print_segment(res, ws.config, language, ws.root)
        sys.exit(0 if res.ok else 2)


def _print_segment(res, cfg, language: str, root=None):
    from rich.table import Table  # rich.table is imported when a table is shown, not by --help
    if not res.ok:
        err_console.print(f"[red]{t('cli.segment.nothing')}[/red]")
        for p in res.problems:
            err_console.print(problem_line(p))
        return
    s = res.segmentation
    a = s.accounts
    console.print(t("cli.segment.title", year=res.plan_year, period=escape(s.period.label),
                    measure=t("cli.measure." + s.measure), run=res.run_id), overflow="fold")
    console.print("  " + escape(s.headline.sentence(language)))
    if s.headline.by == "threshold":
        console.print("  " + escape(s.core_headline.sentence(language)))
    console.print("  " + escape(s.whale_summary.sentence(language, cfg.currency)))
    table = Table(title=t("cli.segment.classes"), header_style="bold")
    for c in ("class", "by-rules", "applies", "visits", "executive-visits", "support"):
        table.add_column(t("cli.segment.column." + c), overflow="fold")
    rules, applies = s.counts("computed_class"), s.counts()
    for c in ("key", "develop", "watch", "drop"):
        cr = cfg.classes[c]
        table.add_row(escape(cr.name.get(language)), str(rules[c]), str(applies[c]), str(cr.visits_per_quarter),
                      str(cr.executive_visits_per_year), t("cli.yes") if cr.support_eligible else t("cli.no"))
    console.print(table)
    losers = a[[("big-unprofitable" in f) for f in a["flags"]]]
    if len(losers):
        console.print(f"[red]{t('cli.segment.unprofitable', n=len(losers))}[/red]")
        for acc, r in losers.head(SHOW).iterrows():
            console.print(f"  {escape(str(acc))} {escape(str(r['name']))}: "
                          + t("cli.segment.profit", profit=float(r["profit"]), revenue=float(r["revenue"])),
                          overflow="fold")
    mv = s.movement
    if len(mv):
        up, down = int((mv["change"] == "up").sum()), int((mv["change"] == "down").sum())
        console.print(t("cli.segment.moved", n=len(mv), up=up, down=down, other=len(mv) - up - down))
        for r in mv.head(SHOW).to_dict("records"):
            name = a.at[r["account_id"], "name"] if r["account_id"] in a.index else ""
            console.print(f"  {escape(str(r['account_id']))} {escape(str(name))}: {r['previous_class'] or '—'} → "
                          f"{r['class'] or '—'}  ({escape(str(r['reason'] or ''))})")
        if len(mv) > SHOW:
            console.print("  " + t("cli.segment.more-movement", n=len(mv) - SHOW))
    cand = s.candidates
    if len(cand):
        console.print(t("cli.segment.candidates", n=len(cand)))
        for r in cand.head(SHOW).to_dict("records"):
            name = a.at[r["account_id"], "name"] if r["account_id"] in a.index else ""
            growth = t("cli.segment.new-customer") if r["growth"] != r["growth"] else \
                t("cli.segment.growth", growth=f"{r['growth']:+.0%}")
            years = r["years_to_big"]
            when = t("cli.segment.years-to-key", years=float(years)) if years == years else ""
            console.print(f"  {escape(str(r['account_id']))} {escape(str(name))}: {growth}{when}")
    for p in res.problems:
        console.print(problem_line(p))
    if res.path:
        console.print(t("cli.wrote-report", path=f"[bold]{escape(relative(res.path, root))}[/bold]") +
                      (t("cli.segment.replaced", path=escape(relative(res.replaced, root))) if res.replaced else ""),
                      overflow="fold")
        console.print("  " + t("cli.segment.next"))


@accounts.command("collect")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.option("--no-resegment", is_flag=True, help="Only store; do not redo the classification.")
@click.pass_context
def accounts_collect(ctx, paths, as_json, no_resegment):
    """Read the VP's review workbooks (default: reports/account_review_PLANYEAR.xlsx) into the store.

    Overrides and judgements that changed are stored (nothing is ever deleted); then the
    classification is redone and the review workbook written again.  Exit status 1 when any
    file was rejected, 0 otherwise.
    """
    from kamplan.stages.inputs import expand_inputs
    from kamplan.stages.review import collect_reviews, review_file_name
    with open_workspace(ctx) as ws:
        default = ws.reports / review_file_name(ws.config.plan_year)
        if not paths and not default.exists():
            err_console.print(f"[red]{t('cli.tag.error')}:[/red] " + t("cli.review.none", path=escape(str(default))),
                              overflow="fold")
            sys.exit(2)
        inputs = list(paths) or [default]
        n = len(expand_inputs(inputs)[0])
        with progress_bar("cli.progress.collect", n) as step:
            res = collect_reviews(ws, inputs, progress=step, resegment=not no_resegment)
        language = ws.config.language
        if as_json:
            print_json({"plan_year": res.plan_year,
                        "files": [{"file": str(f.path), "outcome": f.outcome, "overrides": f.overrides,
                                   "judgements": f.judgements, "problems": f.problems} for f in res.files],
                        "segment": res.segment.to_dict(language) if res.segment else None})
        else:
            for f in res.files:
                print_file_outcome(f, "  (" + t("cli.review.stored", overrides=f.overrides, judgements=f.judgements)
                                   + ")" if f.outcome == "stored" else "")
            if res.segment is not None:
                _print_segment(res.segment, ws.config, language, ws.root)
            console.print(t("cli.collect.summary", stored=sum(f.outcome == "stored" for f in res.files),
                            unchanged=sum(f.outcome == "unchanged" for f in res.files), rejected=len(res.rejected)))
        sys.exit(1 if res.rejected else 0)


from kamplan.cli.account_plan import COMMANDS as _PLAN_COMMANDS  # noqa: E402 -- issue 15: accounts plan, forget-contact
for _command in _PLAN_COMMANDS:
    accounts.add_command(_command)
