"""``kamplan targets consolidate | spread | versions | compare | undo | agree | reopen | quotas import``: the
VP's side of the target loop.  ``cli.main`` adds ``COMMANDS`` to the ``targets`` group."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kamplan.cli.common import open_workspace, show_frame
from kamplan.messages import render, t
from kamplan.cli.output import console, err_console, escape, frame_table, print_json, problem_line
from kamplan.engine.choices import BOUND_SYNTAX, BY, HOLD_KINDS, MEASURES, METHODS

if TYPE_CHECKING:
    from kamplan.engine.topdown import TopDownSpec


def _number(text: str, what: str) -> float:
    cleaned = str(text).strip().replace(",", "").replace("_", "").replace(" ", "")
    try:
        return float(cleaned[:-1]) / 100 if cleaned.endswith("%") else float(cleaned)
    except ValueError:
        raise click.BadParameter(t("cli.targets.not-a-number", text=repr(text)), param_hint=what) from None


def _figure(text: str) -> tuple[float, bool]:
    """A figure (``250,000,000``) or a change over the current version (``+6%``, ``-2%``, ``6%``):
    (value, is_change); a change is a fraction (0.06).  A signed plain number is refused: ``-5`` is
    neither a figure nor clearly a change."""
    cleaned = str(text).strip().replace(",", "").replace("_", "").replace(" ", "")
    if cleaned.endswith("%"):
        return _number(cleaned, "FIGURE"), True
    if cleaned.startswith(("+", "-")):
        raise click.BadParameter(t("cli.targets.signed-figure", text=repr(text), cleaned=cleaned), param_hint="FIGURE")
    return _number(cleaned, "FIGURE"), False


def parse_figures(values: tuple[str, ...], by: str) -> tuple[dict[str, float], tuple[str, ...]]:
    """``12000000`` or ``+6%`` (company) or ``P1=5000 P2=-2%`` (per product / region): the figures and the
    keys whose figure is a change over the current version."""
    figures: dict[str, float] = {}
    relative: list[str] = []
    for v in values:
        if "=" in v:
            key, _, num = v.partition("=")
            if by == "company":
                raise click.BadParameter(t("cli.targets.figure-names-key", text=repr(v), key=key.strip()),
                                         param_hint="FIGURE")
            key = _figure_key(key.strip(), v)
        else:
            if by != "company":
                raise click.BadParameter(t("cli.targets.figure-needs-id", text=repr(v), by=by), param_hint="FIGURE")
            key, num = "*", v
        figures[key], is_change = _figure(num)
        if is_change:
            relative.append(key)
    return figures, tuple(relative)


def _figure_key(key: str, text: str) -> str:
    """``R01`` or ``R01:Q2`` (``r01:q2`` and ``R01:2`` read the same); another period is refused."""
    ident, sep, period = key.partition(":")
    if not sep:
        return key
    period = period.strip().upper().removeprefix("Q")
    if not ident.strip() or period not in ("1", "2", "3", "4"):
        raise click.BadParameter(t("cli.targets.figure-period", text=repr(text)), param_hint="FIGURE")
    return f"{ident.strip()}:Q{period}"


@click.command("consolidate")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for scripts.")
@click.pass_context
def consolidate(ctx, as_json):
    """Consolidate the collected targets bottom-up and write the VP consolidation workbook.

    Salespeople who have not submitted (or whose file was rejected) count with last year's
    run-rate, clearly marked.  A new bottom-up version is stored only when submissions changed.
    """
    from kamplan.stages.plan import consolidate as run
    with open_workspace(ctx) as ws:
        res = run(ws)
        if as_json:
            print_json({"year": res.year, "version": res.version_id, "new_version": res.new_version,
                        "workbook": res.workbook, "run_rate_reps": res.bottom_up.run_rate_reps})
            return
        if res.version_id is None:
            console.print(t("cli.targets.nothing-to-consolidate", year=res.year))
            sys.exit(1)
        what = t("cli.targets.new-version" if res.new_version else "cli.targets.same-version")
        console.print(t("cli.targets.consolidated", year=res.year, what=what, version=res.version_id,
                        n=len(res.bottom_up.submissions)))
        if res.bottom_up.run_rate_reps:
            console.print(t("cli.targets.run-rate", reps=", ".join(res.bottom_up.run_rate_reps)))
        console.print(t("cli.targets.workbook", path=escape(str(res.workbook))))


@click.command("spread", context_settings={"ignore_unknown_options": True})  # so that -2% is a figure
@click.argument("figures", nargs=-1)
@click.option("--measure", type=click.Choice(MEASURES), default="revenue", show_default=True)
@click.option("--by", "by", type=click.Choice(BY), default="company", show_default=True,
              help="One company figure, or one per product / region / class / salesperson (ID=FIGURE, "
                   "ID:Q2=FIGURE for a quarter).")
@click.option("--method", type=click.Choice(list(METHODS)), default="proportional", show_default=True)
@click.option("--growth", help="For --method growth: e.g. 5% (or 0.05) over last year.")
@click.option("--reference", "reference", type=int, help="For --method reference: the version to spread like.")
@click.option("--hold", "holds", multiple=True, metavar="KIND:ID",
              help=f"Lines that must not change; KIND is one of {', '.join(HOLD_KINDS)} (repeatable).")
@click.option("--floor", "floors", multiple=True, metavar="RULE", help=f"Floor rule: {BOUND_SYNTAX}.")
@click.option("--cap", "caps", multiple=True, metavar="RULE", help="Cap rule, same syntax (e.g. all=own*1.3).")
@click.option("--from", "from_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Read the instruction from the Top-down sheet of a consolidation workbook; with --by rep "
                   "(or a .csv), the figures from a quota table (salesperson,period,amount).")
@click.option("--note", default="", help="Why; kept with the version.")
@click.option("--allow-far", is_flag=True, help="Accept a figure far from the current version (targets.far_below / "
              "far_above; by default under a fifth or over five times).")
@click.option("--store-closest", is_flag=True,
              help="When the figure cannot be reached (holds, floors, caps), store the closest reachable plan.")
@click.option("--dry-run", is_flag=True, help="Show the effect without storing a version.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def spread(ctx, figures, measure, by, method, growth, reference, holds, floors, caps, from_file, note, allow_far,
           store_closest, dry_run, as_json):
    """Adjust the plan top-down to FIGURES (the company figure, or ID=FIGURE per product / region / class /
    salesperson; ID:Q2=FIGURE for one quarter).

    A FIGURE is the figure itself (250,000,000) or a change over the current version (+6%, -2%).
    The gap to the current version is spread to account x product x quarter lines by METHOD;
    held lines do not move; floors and caps hold; sums are exact to the configured unit.  A figure
    far from the current version (targets.far_below / far_above: under a fifth or over five times) is
    refused (--allow-far), and a figure that cannot be reached stores nothing (--store-closest stores
    the closest reachable plan).  --by rep --from FILE reads a quota table (salesperson,period,amount;
    see targets quotas import).
    Exit status 1 when nothing was stored (unreachable, or the file has errors).
    Example: kamplan targets spread +6% --hold rep:R07 --floor class:key=last_year --cap all=own*1.3

    Example: kamplan targets spread --by rep R01=14,000,000 R02:Q1=2,900,000 R02:Q2=3,000,000
    """
    from kamplan.stages.plan import spread as run
    from kamplan.stages.plan import spread_from_workbook, spread_quota_file
    with open_workspace(ctx) as ws:
        if from_file and (by == "rep" or from_file.suffix.lower() == ".csv"):
            spec = _spec_from_options((), measure, "rep", method, growth, reference, holds, floors, caps, note,
                                      allow_far, need_figures=False)
            out, problems, _ = spread_quota_file(ws, from_file, spec, dry_run=dry_run, store_closest=store_closest)
            _refused_file(out, problems, from_file, as_json, "cli.targets.fix-quota-table")
        elif from_file:
            out, problems = spread_from_workbook(ws, from_file, dry_run=dry_run, store_closest=store_closest)
            _refused_file(out, problems, from_file, as_json, "cli.targets.fix-topdown-sheet")
        else:
            spec = _spec_from_options(figures, measure, by, method, growth, reference, holds, floors, caps, note,
                                      allow_far)
            out = run(ws, spec, dry_run=dry_run, store_closest=store_closest)
        _report_spread(out, dry_run, as_json)


def _refused_file(out, problems, path: Path, as_json: bool, what: str) -> None:
    """The file's problems on stderr (or, for --json, as JSON); exit 1 when nothing was spread (``what``: the
    catalogue key of the line that says what to fix)."""
    if as_json and out is None:
        print_json({"stored": False, "version": None, "problems": [p.to_dict() for p in problems]})
        sys.exit(1)
    for p in problems:
        err_console.print(problem_line(p))
    if out is None:
        err_console.print(t(what, path=escape(str(path))))
        sys.exit(1)


def _report_spread(out, dry_run: bool, as_json: bool, extra: dict | None = None) -> None:
    """What a spread did: the figure and how far it was reached, the notes, the change per salesperson,
    and whether it was stored (exit 1 when a figure could not be reached and nothing was stored)."""
    res, sp, spec = out.result, out.result.spread, out.spec
    unreachable = out.unreachable and out.version_id is None and not dry_run  # refused, not stored
    if as_json:
        print_json({"base_version": out.base_version, "version": out.version_id, "target": sp.target_total,
                    "achieved": sp.achieved_total, "shortfall": sp.shortfall, "notes": res.notes,
                    "stored": out.version_id is not None, "dry_run": dry_run,
                    "changed_lines": int((res.effect["delta"] != 0).sum()), **(extra or {})})
        sys.exit(1 if unreachable else 0)
    console.print(escape(spec.describe()))
    console.print(t("cli.targets.reached", target=sp.target_total, achieved=sp.achieved_total)
                  + (t("cli.targets.short-by", shortfall=sp.shortfall) if sp.shortfall else ""))
    for n in res.notes:
        console.print(f"  · {escape(render(n))}")
    changed = res.effect[res.effect["delta"] != 0]
    by_rep = changed.groupby("rep_id")[["revenue_before", "revenue_after", "delta"]].sum().reset_index()
    if len(by_rep):
        console.print(frame_table(by_rep, title=t("cli.targets.change-per-rep")))
    if dry_run:
        console.print(t("cli.targets.dry-run"))
    elif unreachable:
        err_console.print(t("cli.targets.unreachable", shortfall=sp.shortfall))
        sys.exit(1)
    else:
        console.print(t("cli.targets.stored", version=out.version_id, base=out.base_version))


def _spec_from_options(figures, measure, by, method, growth, reference, holds, floors, caps,
                       note, allow_far: bool = False, need_figures: bool = True) -> TopDownSpec:
    """The top-down instruction typed on the command line (without figures: the rest of it, for a file's)."""
    from kamplan.engine.topdown import TopDownError, TopDownSpec, parse_bound
    try:
        hold_pairs = []
        for h in holds:
            kind, sep, ident = h.partition(":")
            if not sep or not ident:
                raise click.BadParameter(t("cli.targets.hold-syntax", text=repr(h)), param_hint="--hold")
            hold_pairs.append((kind.strip(), ident.strip()))
        bounds = [parse_bound("floor", f) for f in floors] + [parse_bound("cap", c) for c in caps]
        values, relative = parse_figures(figures, by)
        spec = TopDownSpec(measure=measure, by=by, figures=values, method=method,
                           growth=_number(growth, "--growth") if growth else None, reference_version=reference,
                           holds=tuple(hold_pairs), bounds=tuple(bounds), note=note, relative=relative,
                           allow_far=allow_far)
        if need_figures:
            spec.check()
        return spec
    except TopDownError as exc:
        raise click.BadParameter(render(exc.why)) from None


@click.command("versions")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def versions(ctx, as_json):
    """Every version of the plan year: bottom-up, top-down, undo; which one is agreed."""
    with open_workspace(ctx, read_only=True) as ws:
        year = ws.config.plan_year
        frame = ws.store.plan_versions(year)
        agreed = ws.store.agreement(year)
        if as_json:
            # description: the stored words (the language-neutral record); description_text: the same said in
            # the run's language (the workspace's, or --lang)
            said = frame.assign(description_text=_said_versions(frame)["description"])
            print_json({"year": year, "agreed_version": agreed and agreed["version_id"],
                        "versions": said.drop(columns=["instruction", "summary"])})
            return
        frame = _said_versions(frame)
        console.print(frame_table(frame, title=t("cli.targets.versions-title", year=year),
                                  columns=["id", "kind", "created_at", "by", "description", "volume", "revenue"]))
        if agreed:
            console.print(t("cli.targets.agreed-on", version=agreed["version_id"], at=f"{agreed['at']:%Y-%m-%d}",
                            by=escape(agreed["by"])))


def _said_versions(frame):
    """The versions with their kind and description in the run's language (the stored description is the
    English words of the command that made it; in Chinese each is said from its record)."""
    from kamplan.messages import current_language
    from kamplan.messages.versions import version_kind, version_text
    language = current_language()
    records = {int(r["id"]): r for r in frame.to_dict("records")}
    return frame.assign(
        kind=[render(version_kind(str(k)), language) for k in frame["kind"]],
        description=[version_text(records[int(i)], language, records) for i in frame["id"]])


@click.command("compare")
@click.argument("a", type=int)
@click.argument("b", type=int)
@click.option("--by", "by", type=click.Choice(["rep", "region", "class", "account", "product", "quarter"]),
              default="rep", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def compare(ctx, a, b, by, as_json):
    """Compare versions A and B: totals and change per salesperson (or region, class, ...)."""
    from kamplan.stages.plan import compare as run
    column = {"rep": "rep_id", "region": "region_id", "class": "cls", "account": "account_id",
              "product": "product_id", "quarter": "quarter"}[by]
    with open_workspace(ctx, read_only=True) as ws:
        show_frame(run(ws, a, b, column), as_json, t("cli.targets.compare-title", a=a, b=b, by=by))


@click.command("undo")
@click.option("--to", "to_version", type=int, required=True, help="The version to return to.")
@click.pass_context
def undo(ctx, to_version):
    """Return to an earlier version (stored as a new version; nothing is deleted)."""
    from kamplan.stages.plan import undo as run
    with open_workspace(ctx) as ws:
        vid = run(ws, to_version)
        console.print(t("cli.targets.undone", to=to_version, version=vid))


@click.command("agree")
@click.option("--version", "version_id", type=int, help="Default: the current version.")
@click.option("--note", default="")
@click.option("--no-export", is_flag=True, help="Lock only; do not write the salespeople's annual targets.")
@click.pass_context
def agree(ctx, version_id, note, no_export):
    """Lock the plan as agreed and write each salesperson's annual targets and the management summary."""
    from kamplan.stages.plan import agree as run
    from kamplan.stages.plan import agree_and_export
    with open_workspace(ctx) as ws:
        if no_export:
            vid = run(ws, version_id, note=note)
            console.print(t("cli.targets.agreed", year=ws.config.plan_year, version=vid))
            return
        out = agree_and_export(ws, version_id, note=note)
        key = "cli.targets.agreed-again" if out.already_agreed else "cli.targets.agreed"
        console.print(t(key, year=ws.config.plan_year, version=out.version_id))
        res = out.export
        console.print(t("cli.targets.annual-targets", n=len(res.rep_files), folder=escape(str(res.folder)),
                        management=escape(str(res.management))))


@click.command("reopen")
@click.option("--reason", required=True, help="Why the agreed plan must change (kept with the plan).")
@click.pass_context
def reopen(ctx, reason):
    """Lift the agreement so the plan can be adjusted again."""
    from kamplan.stages.plan import reopen as run
    with open_workspace(ctx) as ws:
        vid = run(ws, reason)
        console.print(t("cli.targets.reopened", version=vid))


@click.group("quotas")
def quotas():
    """Salespeople's quotas from the top (a table of salesperson, period, amount)."""


@quotas.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--note", default="", help="Why; kept with the version.")
@click.option("--method", type=click.Choice([m for m in METHODS if m != "growth"]), default="proportional",
              show_default=True, help="How each quota is spread over the salesperson's lines of the quarter.")
@click.option("--hold", "holds", multiple=True, metavar="KIND:ID", help="Lines that must not change (repeatable).")
@click.option("--floor", "floors", multiple=True, metavar="RULE", help=f"Floor rule: {BOUND_SYNTAX}.")
@click.option("--cap", "caps", multiple=True, metavar="RULE", help="Cap rule, same syntax.")
@click.option("--allow-far", is_flag=True, help="Accept a quota far from the salesperson's current plan "
              "(targets.far_below / far_above).")
@click.option("--store-closest", is_flag=True, help="When a quota cannot be reached, store the closest reachable plan.")
@click.option("--dry-run", is_flag=True, help="Show the effect without storing a version.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def quotas_import(ctx, file, note, method, holds, floors, caps, allow_far, store_closest, dry_run, as_json):
    """Read FILE (CSV or xlsx: salesperson, period, amount) as one top-down instruction and store a version.

    PERIOD is a quarter of the plan year (Q2, 2027-Q2, 2027Q2) or a date inside it; AMOUNT is revenue in
    the plan currency.  Each quota is met exactly by the salesperson's lines of that quarter, rounded to
    targets.money_unit; salespeople without a quota keep their lines.  Any problem in the file stores
    nothing.  Example: kamplan targets quotas import quotas.csv --note "board 12 Dec" --dry-run
    """
    from kamplan.stages.plan import spread_quota_file
    spec = _spec_from_options((), "revenue", "rep", method, None, None, holds, floors, caps, note, allow_far,
                              need_figures=False)
    with open_workspace(ctx) as ws:
        out, problems, table = spread_quota_file(ws, file, spec, dry_run=dry_run, store_closest=store_closest)
        _refused_file(out, problems, file, as_json, "cli.targets.fix-quota-table")
        _report_spread(out, dry_run, as_json, extra={"file": file.name, "quotas": len(table.frame),
                                                      "problems": [p.to_dict() for p in problems]})


COMMANDS = (consolidate, spread, versions, compare, undo, agree, reopen, quotas)
