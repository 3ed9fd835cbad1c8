"""``kamplan accounts plan``: the account plans (issue | collect | status | forget-contact), and
``kamplan accounts review-month``: the VP's monthly review of them.

Registered under the ``accounts`` group (``cli/accounts.py``).  Every line goes through the catalogue
(``t``); ``--json`` prints the stage's result as valid JSON (problems with their codes and fields).
Nothing here prints a personal note: status shows counts, collect shows what changed as counts.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kamplan.cli.common import open_workspace, print_file_outcome, progress_bar, relative, t
from kamplan.cli.output import console, err_console, escape, frame_table, print_json, problem_line


@click.group("plan")
def plan():
    """Account plans: issue one workbook per salesperson, collect them, show their status."""


@plan.command("issue")
@click.option("--rep", "reps", multiple=True, help="Only these salespeople (repeat the option).")
@click.option("--force", is_flag=True, help="Write the workbooks again even if they exist (the old ones move to "
              "replaced/).")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), help="Language of the workbooks (default: config).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def plan_issue(ctx, reps, force, lang, as_json):
    """Write one account plan per salesperson into outbox/account-plans/, pre-filled from the last version."""
    from kamplan.stages.account_plan import issue_plans
    with open_workspace(ctx) as ws:
        n = len(reps) if reps else len(ws.config.staff)
        with progress_bar("cli.progress.plan-issue", n) as step:
            res = issue_plans(ws, reps=list(reps) or None, force=force, language=lang, progress=step)
        if as_json:
            print_json(res.to_dict())
        else:
            for p in res.problems:
                err_console.print(problem_line(p), overflow="fold")
            if res.written:
                console.print(t("cli.plan.issued", n=len(res.written),
                                path=f"[bold]{escape(relative(res.folder, ws.root))}[/bold]"), overflow="fold")
            if res.kept:
                console.print(t("cli.plan.kept", n=len(res.kept), names=", ".join(p.name for p in res.kept)),
                              overflow="fold")
            if res.without_accounts:
                console.print(t("cli.plan.no-accounts", reps=", ".join(res.without_accounts)), overflow="fold")
        sys.exit(2 if res.errors else 0)


@plan.command("collect")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def plan_collect(ctx, paths, as_json):
    """Read returned account plans (default: inbox/account-plans/); every version is kept with what changed."""
    from kamplan.stages.account_plan import collect_plans, plan_inbox
    from kamplan.stages.inputs import expand_inputs
    with open_workspace(ctx) as ws:
        inputs = list(paths) or [plan_inbox(ws)]
        found = expand_inputs(inputs)[0]
        if not paths and not found:
            if as_json:
                print_json({"year": ws.config.plan_year, "files": [], "stored": 0, "unchanged": 0, "rejected": 0})
            else:
                console.print(t("cli.plan.none", path=escape(relative(inputs[0], ws.root))), overflow="fold")
            sys.exit(0)
        with progress_bar("cli.progress.plan-collect", len(found)) as step:
            res = collect_plans(ws, inputs, progress=step)
        if as_json:
            print_json(res.to_dict())
        else:
            for f in res.files:
                extra = t("cli.plan.stored", version=f.version_id, added=f.added, changed=f.changed,
                          removed=f.removed) if f.outcome == "stored" else ""
                print_file_outcome(f, extra)
            console.print(t("cli.collect.summary", stored=sum(f.outcome == "stored" for f in res.files),
                            unchanged=sum(f.outcome == "unchanged" for f in res.files), rejected=len(res.rejected)))
        sys.exit(1 if res.rejected else 0)


@plan.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def plan_status_command(ctx, as_json):
    """Show, per salesperson, the account plan issued and the version collected."""
    import pandas as pd

    from kamplan.stages.account_plan import plan_status
    with open_workspace(ctx, read_only=True) as ws:
        frame = plan_status(ws)
        if as_json:
            print_json({"year": ws.config.plan_year, "salespeople": frame})
            return
        shown = frame.rename(columns={"rep_id": t("cli.plan.status.rep"), "accounts": t("cli.plan.status.accounts"),
                                      "issued_at": t("cli.plan.status.issued"), "version": t("cli.plan.status.version"),
                                      "collected_at": t("cli.plan.status.collected"), "rows": t("cli.plan.status.rows")})
        for col in ("issued_at", "collected_at"):
            shown[t(f"cli.plan.status.{col.split('_')[0]}")] = [
                None if pd.isna(x) else pd.Timestamp(x).tz_convert(None).strftime("%Y-%m-%d %H:%M") if
                pd.Timestamp(x).tzinfo else pd.Timestamp(x).strftime("%Y-%m-%d %H:%M") for x in frame[col]]
        shown = shown.drop(columns=["issued_file", "versions"]).astype(object)
        shown = shown.where(shown.notna(), t("cli.plan.status.never"))
        console.print(frame_table(shown, title=t("cli.plan.status.title", year=ws.config.plan_year)))


@click.command("forget-contact")
@click.argument("account")
@click.argument("contact")
@click.option("--reason", default="", help="Why the contact is forgotten (logged).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def forget_contact(ctx, account, contact, reason, as_json):
    """Erase a contact's personal fields in every stored version (the removal is logged, not the content)."""
    from kamplan.stages.account_plan import forget_contact as forget
    with open_workspace(ctx) as ws:
        res = forget(ws, account, contact, reason)
        if as_json:
            print_json(res.to_dict())
        else:
            for p in res.problems:
                err_console.print(problem_line(p), overflow="fold")
            if not res.problems:
                console.print(t("cli.plan.forgot", contact=escape(contact), account=escape(account),
                                versions=res.versions, changes=res.changes), overflow="fold")
        sys.exit(2 if res.errors else 0)


@click.command("review-month")
@click.option("--month", help="The month to review, YYYY-MM (default: this month).")
@click.option("--note", default="", help="A reviewer's note shown on every sheet.")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), help="Language of the workbooks (default: config).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def review_month_command(ctx, month, note, lang, as_json):
    """Write the VP's monthly review of the account plans into reports/month-review/."""
    from kamplan.stages.month_review import parse_month, review_month
    try:
        first = parse_month(month)
    except ValueError:
        raise click.BadParameter(t("cli.review-month.bad-month", month=month), param_hint="--month")
    with open_workspace(ctx, read_only=True) as ws:
        res = review_month(ws, first, note=note, language=lang)
        if as_json:
            print_json(res.to_dict())
            return
        console.print(t("cli.review-month.written", month=res.month,
                        path=f"[bold]{escape(relative(res.path, ws.root))}[/bold]"), overflow="fold")
        console.print(t("cli.review-month.counts", reps=res.reps, changes=res.changes, overdue=res.overdue,
                        stale=res.stale, uncovered=res.uncovered), overflow="fold")


COMMANDS = (plan, forget_contact, review_month_command)  # what cli/accounts.py registers on the accounts group
