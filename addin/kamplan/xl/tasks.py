"""What each add-in button does, as plain functions on files: the same stages the CLI runs.

Each takes an ``ActionContext`` (open workspace, the saved workbook, language, progress) and returns
an ``ActionResult`` (message, output path, problems).  They never touch Excel: ``macros`` shows the
result in Excel, and the tests call them on workbook files.  Each task imports its stage when it runs:
``macros`` imports this module when Excel loads the add-in, and a button should cost nothing until pressed.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from kamplan.problems import Problem, has_errors, problem
from kamplan.xl.actions import ActionContext, ActionResult
from kamplan.messages import Message, render, say
from kamplan.xl.messages import text

CHECKS_SHEET = "Checks"
CHECKS_FOLDER = ("reports", "checks")


# -- check ---------------------------------------------------------------------------------------------
def checks_rows(problems: list[Problem], language: str = "en") -> list[list[str]]:
    """The Checks sheet: a header and one row per problem (severity, sheet, cell, problem, what to do)."""
    head = [text(f"checks.head.{k}", language) for k in ("severity", "sheet", "cell", "problem", "fix")]
    return [head] + [[text(f"severity.{p.severity.value}", language), p.sheet or "", p.cell or "",
                      p.message_in(language), p.fix_in(language)] for p in problems]


def cell_notes(problems: list[Problem], language: str = "en") -> dict[tuple[str, str], str]:
    """(sheet, cell) -> the note to put next to that cell in ``language``; several problems of one cell are
    joined."""
    notes: dict[tuple[str, str], list[str]] = {}
    for p in problems:
        if p.sheet and p.cell:
            notes.setdefault((p.sheet, p.cell), []).append(
                f"{text('severity.' + p.severity.value, language)}: {p.message_in(language)} — {p.fix_in(language)}")
    return {k: "\n".join(v) for k, v in notes.items()}


def write_checks_copy(src: Path, dst: Path, problems: list[Problem], language: str = "en") -> Path:
    """A copy of ``src`` with the problems as cell comments and a Checks sheet (the file-only twin of
    what the macro writes into the open workbook).  ``src`` itself is never changed."""
    import openpyxl
    from openpyxl.comments import Comment
    from kamplan.workbooks.kit.xlsxio import atomic_path
    wb = openpyxl.load_workbook(src)
    for (sheet, cell), note in cell_notes(problems, language).items():
        if sheet in wb.sheetnames:
            c = wb[sheet][cell]
            c.comment = Comment(note, "kamplan", width=320, height=120)
    if CHECKS_SHEET in wb.sheetnames:
        del wb[CHECKS_SHEET]
    sh = wb.create_sheet(CHECKS_SHEET, 0)
    for row in checks_rows(problems, language):
        sh.append(row)
    for col, width in zip("ABCDE", (10, 18, 8, 60, 60)):
        sh.column_dimensions[col].width = width
    with atomic_path(dst) as tmp:
        wb.save(tmp)
    return dst


def _count(problems: list[Problem], language: str = "en") -> str:
    e = sum(p.is_error for p in problems)
    return text("count", language, errors=e, warnings=len(problems) - e)


def check_sheet(ctx: ActionContext) -> ActionResult:
    """Check the workbook as collect would; write a copy with the problems in reports/checks/."""
    from kamplan.stages.targets import check_workbook
    path = ctx.book
    ctx.progress(text("checking", ctx.language, name=path.name))
    problems = check_workbook(ctx.workspace, path)
    out = ctx.workspace.root.joinpath(*CHECKS_FOLDER) / f"{path.stem}_checks.xlsx"
    if any(p.sheet for p in problems):  # file-level problems (not an xlsx, encrypted ...) have no cells
        ctx.progress(text("writing-checks", ctx.language))
        write_checks_copy(path, out, problems, ctx.language)
    else:
        out = None
    lang = ctx.language
    if not problems:
        return ActionResult(text("check.clean", lang, name=path.name), None, [])
    verdict = text("check.reject" if has_errors(problems) else "check.warn", lang)
    where = text("check.where", lang, path=out) if out else ""
    return ActionResult(text("check.result", lang, name=path.name, count=_count(problems, lang), verdict=verdict,
                             where=where), out, problems, ok=not has_errors(problems))


# -- submit / collect ----------------------------------------------------------------------------------
def submit_sheet(ctx: ActionContext) -> ActionResult:
    """Check the open workbook; without errors, copy it into the inbox and collect it."""
    from kamplan.stages.targets import check_workbook, collect_targets
    path = ctx.book
    ws = ctx.workspace
    problems = check_workbook(ctx.workspace, path)
    if has_errors(problems):
        res = check_sheet(ctx)
        return ActionResult(text("not-submitted", ctx.language, message=res.message), res.output, res.problems,
                            ok=False)
    ws.inbox.mkdir(parents=True, exist_ok=True)
    dest = ws.inbox / path.name
    if dest.resolve() != path.resolve():
        if dest.exists():  # never overwrite: the earlier copy moves aside (collect ignores replaced/)
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            aside = ws.inbox / "replaced" / stamp
            aside.mkdir(parents=True, exist_ok=True)
            dest.rename(aside / dest.name)
        shutil.copy2(path, dest)
    lang = ctx.language
    ctx.progress(text("collecting", lang, name=dest.name))
    res = collect_targets(ws, [dest], progress=ctx.progress)
    [f] = res.files
    warned = text("submit.warnings", lang, n=len(f.warnings)) if f.warnings else ""
    return ActionResult(text("submit.result", lang, name=path.name, outcome=say(f"cli.outcome.{f.outcome}", lang),
                             round=res.round, year=res.year, warned=warned, copy=dest),
                        dest, f.problems, ok=f.outcome != "rejected")


def collect(ctx: ActionContext) -> ActionResult:
    """Collect every workbook in the inbox (as ``kamplan targets collect``)."""
    from kamplan.stages.targets import collect_targets
    ws = ctx.workspace
    res = collect_targets(ws, [ws.inbox], progress=ctx.progress)
    stored = sum(f.outcome == "stored" for f in res.files)
    same = sum(f.outcome == "unchanged" for f in res.files)
    missing = int((res.status["state"] == "missing").sum()) if "state" in res.status else 0
    problems = [p for f in res.rejected for p in f.problems]
    return ActionResult(text("collect.result", ctx.language, inbox=ws.inbox, stored=stored, same=same,
                             rejected=len(res.rejected), missing=missing, round=res.round, year=res.year),
                        ws.inbox, problems, ok=not res.rejected)


def issue(ctx: ActionContext) -> ActionResult:
    """Issue the open round's target workbooks (existing files are kept, as without --force)."""
    from kamplan.stages.targets import issue_targets
    res = issue_targets(ctx.workspace, progress=ctx.progress)
    return ActionResult(text("issue.result", ctx.language, round=res.round, written=len(res.written),
                             kept=len(res.kept), folder=res.folder), res.folder, [])


def segment(ctx: ActionContext) -> ActionResult:
    """Segment the accounts and write the account review workbook (as ``kamplan accounts segment``)."""
    from kamplan.stages.review import segment_accounts
    res = segment_accounts(ctx.workspace, progress=ctx.progress, language=ctx.language)
    if not res.ok:
        return ActionResult(text("segment.nothing", ctx.language,
                                 problems="; ".join(p.render(ctx.language) for p in res.problems[:3])), None,
                            res.problems, ok=False)
    return ActionResult(text("segment.result", ctx.language, headline=res.segmentation.headline.sentence(ctx.language),
                             path=res.path), res.path, res.problems)


def open_output(ctx: ActionContext) -> ActionResult:
    """The newest workbook under reports/ (the macro opens it in Excel)."""
    reports = ctx.workspace.reports
    books = [p for p in reports.rglob("*.xls[xm]") if "replaced" not in p.relative_to(reports).parts
             and not p.name.startswith(("~$", ".~lock", "."))]
    if not books:
        return ActionResult(text("no-output", ctx.language, folder=reports), reports,
                            [problem("addin.no-output", folder=str(reports), file=str(reports))], ok=False)
    newest = max(books, key=lambda p: (p.stat().st_mtime, str(p)))
    return ActionResult(text("opening-output", ctx.language, path=newest), newest, [])


_STAMP = re.compile(r"([_-](v\d+|r\d+|round-?\d+|\d{4}|\d{6,8}([_-]?\d{4,6})?|\d{2}))+$", re.IGNORECASE)


def output_kind(path: Path) -> str:
    """What an output is, without its version or time stamp: ``consolidation_2027_v4`` and
    ``consolidation_2027_v5`` are one kind, the newer replacing the older."""
    return f"{path.parent}/{_STAMP.sub('', path.stem).lower()}"


def stale_outputs(open_books: list[Path], reports: Path) -> list[tuple[Path, Path]]:
    """(open workbook, the newer one of its kind) for every open output under ``reports`` that a newer
    file has replaced (the VP still looks at the consolidation of version 4 after Spread wrote 5)."""
    reports = reports.resolve()
    out = []
    for book in open_books:
        book = Path(book).resolve()
        if reports not in book.parents or not book.exists():
            continue
        same = [p for p in book.parent.glob("*" + book.suffix) if output_kind(p) == output_kind(book)
                and not p.name.startswith(("~$", ".~lock", "."))]
        newest = max(same, key=lambda p: (p.stat().st_mtime, str(p)))
        if newest != book and newest.stat().st_mtime > book.stat().st_mtime:
            out.append((book, newest))
    return out


def refresh(ctx: ActionContext) -> ActionResult:
    """What Refresh finds without Excel: the open outputs a newer one replaced (the macro recalculates
    the KAM_ cells and reopens these; ``ctx.book`` is the workbook the button was pressed on)."""
    books = [ctx.book] if ctx.book else []
    stale = stale_outputs(books, ctx.workspace.reports)
    names = ", ".join(f"{old.name} → {new.name}" for old, new in stale) or text("nothing", ctx.language)
    return ActionResult(text("replaced-outputs", ctx.language, names=names), stale[0][1] if stale else None, [])


def current_workspace(ctx: ActionContext) -> ActionResult:
    """The workspace the buttons and functions use now."""
    return ActionResult(text("workspace_is", ctx.language, root=ctx.workspace.root), ctx.workspace.root, [])


# -- the VP's plan: consolidate, spread, agree, allocate -------------------------------------------------
def _refused(what: str, exc: Exception, fix: str, language: str) -> ActionResult:
    """A stage that refused to run (plan agreed, nothing collected ...): its reason as a failed result
    (``what`` and ``fix``: the add-in's catalogue keys of the headline and of what to do)."""
    why = exc.args[0] if len(exc.args) == 1 else str(exc)  # a catalogue Message: said in the add-in's language
    return ActionResult(text(what, language, why=why), None,
                        [problem("addin.stage-refused", why=why, fix=Message("addin." + fix))], ok=False)


def consolidate(ctx: ActionContext) -> ActionResult:
    """Consolidate the collected targets and write the consolidation workbook (``kamplan targets consolidate``)."""
    from kamplan.stages.plan import consolidate as run
    res = run(ctx.workspace, progress=ctx.progress)
    if res.version_id is None:
        return ActionResult(text("consolidate.none", ctx.language, year=res.year), None,
                            [problem("addin.nothing-collected", year=res.year)], ok=False)
    what = text("consolidate.new" if res.new_version else "consolidate.same", ctx.language)
    problems = list(res.problems)
    if not res.bottom_up.submissions:
        problems.append(problem("addin.nothing-submitted"))
    reps = res.bottom_up.run_rate_reps
    missing = text("consolidate.missing", ctx.language, n=len(reps), reps=", ".join(reps)) if reps else ""
    return ActionResult(text("consolidate.result", ctx.language, year=res.year, what=what, version=res.version_id,
                             n=len(res.bottom_up.submissions), missing=missing, path=res.workbook),
                        res.workbook, problems)


def spread(ctx: ActionContext) -> ActionResult:
    """Read the top-down instruction typed into the open consolidation workbook, apply it as a new plan
    version (``kamplan targets spread --from``) and write the refreshed consolidation workbook."""
    from kamplan.stages.plan import consolidate as write_book
    from kamplan.stages.plan import spread_from_workbook
    from kamplan.store import StoreError
    ws, path = ctx.workspace, ctx.book
    try:
        out, problems = spread_from_workbook(ws, path, progress=ctx.progress)
    except (StoreError, ValueError) as exc:
        return _refused("spread.refused", exc, "spread.refused-fix", ctx.language)
    lang = ctx.language
    if out is None:
        first = next((p for p in problems if p.is_error), None)
        where = text("spread.first", lang, sheet=first.sheet or "", cell=first.cell or "",
                     message=first.message_in(lang), fix=first.fix_in(lang)) if first else ""
        return ActionResult(text("spread.file-problems", lang, count=_count(problems, lang), name=path.name,
                                 first=where), None, problems, ok=False)
    sp = out.result.spread
    if out.version_id is None:  # the figure cannot be reached: nothing is stored (issue 18)
        return ActionResult(text("spread.unreachable", lang, target=sp.target_total, shortfall=sp.shortfall,
                                 notes="; ".join(render(n, lang) for n in out.result.notes)), None, problems, ok=False)
    ctx.progress(text("spread.writing", lang))
    book = write_book(ws, progress=ctx.progress).workbook
    short = text("spread.short", lang, shortfall=sp.shortfall) if sp.shortfall else ""
    return ActionResult(text("spread.result", lang, spec=out.spec.describe(), target=sp.target_total,
                             achieved=sp.achieved_total, short=short, version=out.version_id, base=out.base_version,
                             path=book), book, problems)


def agree(ctx: ActionContext) -> ActionResult:
    """Lock the current plan version as agreed and write each salesperson's annual targets and the
    management summary (``kamplan targets agree``)."""
    from kamplan.stages.plan import agree as run
    from kamplan.stages.plan import export_agreed
    from kamplan.store import StoreError
    ws = ctx.workspace
    ctx.progress(text("locking", ctx.language))
    try:
        vid = run(ws)
    except StoreError as exc:
        return _refused("agree.refused", exc, "agree.refused-fix", ctx.language)
    ctx.progress(text("writing-annual", ctx.language))
    res = export_agreed(ws, language=ctx.language)
    return ActionResult(text("agree.result", ctx.language, year=ws.config.plan_year, version=vid,
                             books=len(res.rep_files), folder=res.folder), res.folder, [])


def allocate(ctx: ActionContext) -> ActionResult:
    """Allocate executives, technical staff and advisors to the plan's requests and write the resource
    plan workbook (``kamplan resources allocate``); the VP's choices in the newest one are read first."""
    from kamplan.stages.resources import allocate as run
    res = run(ctx.workspace, progress=ctx.progress)
    if res.path is None:
        first = "; ".join(p.message_in(ctx.language) for p in res.errors[:3]) or text("allocate.none", ctx.language)
        return ActionResult(text("allocate.failed", ctx.language, first=first), res.choices_file, res.problems,
                            ok=False)
    alloc = res.allocation
    return ActionResult(text("allocate.result", ctx.language, status=alloc.status, unmet=len(alloc.unmet),
                             path=res.path), res.path, res.problems)


# -- actuals ------------------------------------------------------------------------------------------
ACTUALS_FOLDER = "actuals"  # ERP exports of invoice lines go here; activity logs into actuals/activities/
ACTIVITIES_FOLDER = "activities"
DATA_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls", ".txt")


def actuals_files(root: Path) -> tuple[list[Path], list[Path]]:
    """The invoice exports in ``<workspace>/actuals/`` and the activity logs in ``actuals/activities/``.

    Not under ``inbox/``: collect reads ``inbox/`` recursively and would reject every CSV there as
    "not a target workbook"."""
    def files(folder: Path) -> list[Path]:
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in DATA_SUFFIXES
                      and not p.name.startswith(("~$", ".~lock", ".")))
    folder = root / ACTUALS_FOLDER
    return files(folder), files(folder / ACTIVITIES_FOLDER)


def import_actuals(ctx: ActionContext) -> ActionResult:
    """Import every ERP export in ``<workspace>/actuals/`` (``kamplan actuals import``) and every activity
    log in ``actuals/activities/`` (``kamplan actuals activities``)."""
    from kamplan.stages.actuals import import_activities
    from kamplan.stages.actuals import import_actuals as run
    ws = ctx.workspace
    invoices, activities = actuals_files(ws.root)
    folder = ws.root / ACTUALS_FOLDER
    if not invoices and not activities:
        folder.joinpath(ACTIVITIES_FOLDER).mkdir(parents=True, exist_ok=True)
        return ActionResult(text("actuals.nothing", ctx.language, folder=folder,
                                 activities=folder / ACTIVITIES_FOLDER),
                            folder, [problem("addin.no-actuals-files", folder=str(folder), file=str(folder))],
                            ok=False)
    parts, problems, ok, output = [], [], True, folder
    if invoices:
        res = run(ws, invoices, progress=ctx.progress)
        problems += res.all_problems()
        ok = ok and res.stored and not res.rejected
        parts.append(_actuals_summary(res, ctx.language))
        output = res.unmatched_path or folder
    if activities:
        act = import_activities(ws, activities, progress=ctx.progress)
        problems += [p for f in act.files for p in f.problems] + act.problems
        ok = ok and act.rows_stored > 0 and not act.rejected
        rejected = text("activities.rejected", ctx.language, n=len(act.rejected)) if act.rejected else ""
        parts.append(text("activities.result", ctx.language, n=len(act.files) - len(act.rejected),
                          rows=act.rows_stored, rejected=rejected))
    return ActionResult(" ".join(parts), output, problems, ok=ok)


def _actuals_summary(res, language: str) -> str:
    """One sentence on an import of ERP exports: files read and rejected, rows stored, lines matched."""
    read = [f for f in res.files if f.outcome == "read"]
    quarters = ", ".join(f"{y} Q{q}" for y, q in res.periods) or text("actuals.no-quarter", language)
    rejected = text("actuals.rejected", language, n=len(res.rejected),
                    names=", ".join(f.path.name for f in res.rejected)) if res.rejected else ""
    stored = text("actuals.stored", language, rows=res.rows_stored, quarters=quarters) if res.stored \
        else text("actuals.nothing-stored", language)
    listed = text("actuals.listed", language, path=res.unmatched_path) if res.unmatched_path else ""
    return text("actuals.result", language, n=len(read), rejected=rejected, stored=stored,
                matched=sum(f.matched for f in read), unmatched=sum(f.unmatched for f in read), listed=listed)


def evaluate(ctx: ActionContext) -> ActionResult:
    """Evaluate the latest quarter with actuals (``kamplan evaluate``): VP and salesperson workbooks."""
    from kamplan.stages.evaluation import evaluate as run
    res = run(ctx.workspace, progress=ctx.progress, language=ctx.language)
    if not res.ok:
        return ActionResult(text("evaluate.failed", ctx.language,
                                 first="; ".join(p.message_in(ctx.language) for p in res.errors[:3])),
                            None, res.problems, ok=False)
    vp = res.paths.get("VP")
    return ActionResult(text("evaluate.result", ctx.language, year=res.year, quarter=res.quarter,
                             books=len(res.paths), path=vp), vp, res.problems)
