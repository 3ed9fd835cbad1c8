"""What each add-in button does, as plain functions on files: the same stages the CLI runs.

Each takes an ``ActionContext`` (open workspace, the saved workbook, language, progress) and returns
an ``ActionResult`` (message, output path, problems).  They never touch Excel: ``macros`` shows the
result in Excel, and the tests call them on workbook files.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from kamplan.engine.targets import last_year_lines
from kamplan.problems import Problem, error, has_errors
from kamplan.xl.actions import ActionContext, ActionResult

CHECKS_SHEET = "Checks"
CHECKS_FOLDER = ("reports", "checks")


# -- check ---------------------------------------------------------------------------------------------
def check_problems(ctx: ActionContext, path: Path) -> list[Problem]:
    """Every problem collect would report for the workbook at ``path``, without storing anything."""
    from kamplan.workbooks.safety import check_workbook_file, content_hash
    from kamplan.workbooks.target_reader import ReadContext, read_target_workbook
    ws = ctx.workspace
    cfg, store = ws.config, ws.store
    problems = check_workbook_file(path)
    if problems:
        return problems
    rc = ReadContext(config=cfg, last_year=last_year_lines(store.history_totals(cfg.plan_year - 1),
                                                           cfg.plan_year - 1),
                     current_round=store.current_round(cfg.plan_year), issued=store.issued_map(cfg.plan_year))
    _, problems = read_target_workbook(path, rc, content_hash=content_hash(path))
    return problems


def checks_rows(problems: list[Problem], language: str = "en") -> list[list[str]]:
    """The Checks sheet: a header and one row per problem (severity, sheet, cell, problem, what to do)."""
    head = (["级别", "工作表", "单元格", "问题", "怎么改"] if language == "zh-CN"
            else ["Severity", "Sheet", "Cell", "Problem", "What to do"])
    sev = {"error": "错误", "warning": "提醒"} if language == "zh-CN" else {"error": "error", "warning": "warning"}
    return [head] + [[sev[p.severity.value], p.sheet or "", p.cell or "", p.message, p.fix] for p in problems]


def cell_notes(problems: list[Problem]) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> the note to put next to that cell; several problems of one cell are joined."""
    notes: dict[tuple[str, str], list[str]] = {}
    for p in problems:
        if p.sheet and p.cell:
            notes.setdefault((p.sheet, p.cell), []).append(f"{p.severity.value}: {p.message} — {p.fix}")
    return {k: "\n".join(v) for k, v in notes.items()}


def write_checks_copy(src: Path, dst: Path, problems: list[Problem], language: str = "en") -> Path:
    """A copy of ``src`` with the problems as cell comments and a Checks sheet (the file-only twin of
    what the macro writes into the open workbook).  ``src`` itself is never changed."""
    import openpyxl
    from openpyxl.comments import Comment
    from kamplan.workbooks.xlsxio import atomic_path
    wb = openpyxl.load_workbook(src)
    for (sheet, cell), text in cell_notes(problems).items():
        if sheet in wb.sheetnames:
            c = wb[sheet][cell]
            c.comment = Comment(text, "kamplan", width=320, height=120)
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


def _count(problems: list[Problem]) -> str:
    e = sum(p.is_error for p in problems)
    return f"{e} error(s), {len(problems) - e} warning(s)"


def check_sheet(ctx: ActionContext) -> ActionResult:
    """Check the workbook as collect would; write a copy with the problems in reports/checks/."""
    path = ctx.book
    ctx.progress(f"checking {path.name}")
    problems = check_problems(ctx, path)
    out = ctx.workspace.root.joinpath(*CHECKS_FOLDER) / f"{path.stem}_checks.xlsx"
    if any(p.sheet for p in problems):  # file-level problems (not an xlsx, encrypted ...) have no cells
        ctx.progress("writing the Checks sheet")
        write_checks_copy(path, out, problems, ctx.language)
    else:
        out = None
    if not problems:
        return ActionResult(f"{path.name}: no problems found. It is ready to submit.", None, [])
    verdict = ("collect would reject it" if has_errors(problems) else "collect would store it with these warnings")
    where = f"; the problems are listed in {out}" if out else ""
    return ActionResult(f"{path.name}: {_count(problems)} — {verdict}{where}.", out, problems,
                        ok=not has_errors(problems))


# -- submit / collect ----------------------------------------------------------------------------------
def submit_sheet(ctx: ActionContext) -> ActionResult:
    """Check the open workbook; without errors, copy it into the inbox and collect it."""
    from kamplan.stages.targets import collect_targets
    path = ctx.book
    ws = ctx.workspace
    problems = check_problems(ctx, path)
    if has_errors(problems):
        res = check_sheet(ctx)
        return ActionResult(f"Not submitted: {res.message}", res.output, res.problems, ok=False)
    ws.inbox.mkdir(parents=True, exist_ok=True)
    dest = ws.inbox / path.name
    if dest.resolve() != path.resolve():
        if dest.exists():  # never overwrite: the earlier copy moves aside (collect ignores replaced/)
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            aside = ws.inbox / "replaced" / stamp
            aside.mkdir(parents=True, exist_ok=True)
            dest.rename(aside / dest.name)
        shutil.copy2(path, dest)
    ctx.progress(f"collecting {dest.name}")
    res = collect_targets(ws, [dest], progress=ctx.progress)
    [f] = res.files
    return ActionResult(f"{path.name}: {f.outcome} (round {res.round}, {res.year})"
                        + (f" with {len(f.warnings)} warning(s)" if f.warnings else "") + f"; copy in {dest}.",
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
    return ActionResult(f"Collected {ws.inbox}: {stored} stored, {same} unchanged, {len(res.rejected)} rejected; "
                        f"{missing} salesperson(s) still missing (round {res.round}, {res.year}).",
                        ws.inbox, problems, ok=not res.rejected)


def issue(ctx: ActionContext) -> ActionResult:
    """Issue the open round's target workbooks (existing files are kept, as without --force)."""
    from kamplan.stages.targets import issue_targets
    res = issue_targets(ctx.workspace, progress=ctx.progress)
    return ActionResult(f"Round {res.round}: wrote {len(res.written)} workbook(s), kept {len(res.kept)} "
                        f"existing, in {res.folder}.", res.folder, [])


def segment(ctx: ActionContext) -> ActionResult:
    """Segment the accounts and write the account review workbook (as ``kamplan accounts segment``)."""
    from kamplan.stages.accounts import segment_accounts
    res = segment_accounts(ctx.workspace, progress=ctx.progress, language=ctx.language)
    if not res.ok:
        return ActionResult("Nothing segmented: " + "; ".join(str(p) for p in res.problems[:3]), None,
                            res.problems, ok=False)
    return ActionResult(f"{res.segmentation.headline.sentence(ctx.language)} Review workbook: {res.path}.",
                        res.path, res.problems)


def open_output(ctx: ActionContext) -> ActionResult:
    """The newest workbook under reports/ (the macro opens it in Excel)."""
    reports = ctx.workspace.reports
    books = [p for p in reports.rglob("*.xls[xm]") if "replaced" not in p.relative_to(reports).parts
             and not p.name.startswith(("~$", ".~lock", "."))]
    if not books:
        return ActionResult(f"There is no workbook in {reports} yet: run a stage first.", reports,
                            [error("no-output", f"{reports} holds no workbook", "run a stage first",
                                   file=str(reports))], ok=False)
    newest = max(books, key=lambda p: (p.stat().st_mtime, str(p)))
    return ActionResult(f"Opening {newest}.", newest, [])
