"""What goes back to a salesperson whose workbook was rejected, in their language, and the sample history a
new workspace starts from.

For each rejected file, collect writes into ``inbox/feedback/`` (never collected: ``stages.inputs``):

- ``<file stem>_问题.txt`` (English workbook: ``<file stem>_problems.txt``): every problem of the file,
  where (sheet › cell) and how to fix it, so the VP can send it back as it is;
- ``<file stem>_问题.xlsx``: a copy of the workbook with each bad cell marked red and a comment on it
  saying what is wrong and what to do (when the file could be opened at all).  The original is only read.

The salesperson's language is the workbook's (its sheet names are Chinese or English), else the
workspace's.  Both files are written to a temporary name and renamed, so no half-written file is left.
"""
from __future__ import annotations

import csv
import os
import re
import tempfile
from pathlib import Path

from kamplan.csvcells import safe_text
from kamplan.messages import normalise_language, say, say_plural
from kamplan.problems import Problem

FEEDBACK_FOLDER = "feedback"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")
SAMPLE_HISTORY = "sample_history.csv"


def feedback_folder(ws) -> Path:
    return Path(ws.inbox) / FEEDBACK_FOLDER


def feedback_stem(path: Path, language: str) -> str:
    return f"{Path(path).stem}_{say('feedback.suffix', language)}"


def write_feedback(ws, outcomes) -> list[Path]:
    """The feedback files of every rejected outcome of a collect (each gets ``.feedback``: its paths)."""
    written: list[Path] = []
    for outcome in outcomes:
        if outcome.outcome != "rejected" or not outcome.problems or not Path(outcome.path).is_file():
            continue
        try:
            paths = feedback_for(ws, Path(outcome.path), outcome.problems)
        except OSError:
            continue  # feedback is a courtesy: a full disk here must not undo the collect
        outcome.feedback = paths
        written += paths
    return written


def feedback_for(ws, path: Path, problems: list[Problem]) -> list[Path]:
    """Write the text file (and, when the workbook opens, the marked copy) for ``path``'s problems."""
    language = workbook_language(path) or normalise_language(ws.config.language) or "en"
    folder = feedback_folder(ws)
    folder.mkdir(parents=True, exist_ok=True)
    stem = feedback_stem(path, language)
    text_path = folder / f"{stem}.txt"
    _write_atomically(text_path, feedback_text(path.name, problems, language).encode("utf-8"))
    out = [text_path]
    marked = folder / f"{stem}.xlsx"
    if marked_copy(path, problems, language, marked):
        out.append(marked)
    return out


def feedback_text(name: str, problems: list[Problem], language: str) -> str:
    """The letter: the file, how many problems, then each one (where, what, what to do)."""
    errors = [p for p in problems if p.is_error]
    lines = [say("feedback.title", language, file=name),
             say_plural("feedback.count", len(errors), language), ""]
    for i, p in enumerate(sorted(problems, key=lambda p: not p.is_error), 1):
        where = " › ".join(x for x in (p.sheet, p.cell) if x) or say("feedback.whole-file", language)
        kind = say("feedback.error" if p.is_error else "feedback.warning", language)
        lines.append(f"{i}. [{kind}] {where}")
        lines.append("   " + say("feedback.what", language, text=p.message_in(language)))
        if p.fix_in(language):
            lines.append("   " + say("feedback.how", language, text=p.fix_in(language)))
        lines.append("")
    lines.append(say("feedback.closing", language))
    return "\n".join(lines) + "\n"


def workbook_language(path: Path) -> str | None:
    """zh-CN when the workbook's sheet names are Chinese, en when they are not, None when it cannot be read."""
    try:
        from python_calamine import CalamineWorkbook
        names = CalamineWorkbook.from_path(str(path)).sheet_names
    except Exception:  # not a workbook at all (the safety gate refused it): the workspace's language
        return None
    return "zh-CN" if any(_CJK.search(n) for n in names) else "en"


def marked_copy(path: Path, problems: list[Problem], language: str, target: Path) -> bool:
    """A copy of the workbook at ``target`` with each problem's cell filled red and commented; False when
    there is no cell to mark or the file cannot be opened (a file the safety gate refused is never opened)."""
    cells = [p for p in problems if p.sheet and p.cell and _A1.match(p.cell)]
    if not cells or any(p.code in _NEVER_OPEN for p in problems):
        return False
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill
    try:
        book = load_workbook(path)
    except Exception:
        return False
    red = PatternFill("solid", start_color="FFFF9999", end_color="FFFF9999")
    notes: dict[tuple[str, str], list[str]] = {}
    for p in cells:
        if p.sheet in book.sheetnames:
            notes.setdefault((p.sheet, p.cell.replace("$", "")), []).append(_note(p, language))
    if not notes:
        return False
    for (sheet, ref), texts in notes.items():
        cell = book[sheet][ref]
        cell.fill = red
        cell.comment = Comment("\n".join(texts), "kamplan", width=320, height=40 + 40 * len(texts))
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".xlsx", delete=False) as tmp:
        pass
    try:
        book.save(tmp.name)
        os.replace(tmp.name, target)
    finally:
        if os.path.exists(tmp.name):
            os.unlink(tmp.name)
    return True


_NEVER_OPEN = {"zip-bomb", "archive-too-large", "xml-entities", "password-protected", "file-too-large"}


def _note(p: Problem, language: str) -> str:
    fix = p.fix_in(language)
    return p.message_in(language) + (f" — {fix}" if fix else "")


def _write_atomically(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, path)


# -- the sample history of a new workspace ------------------------------------------------------------------
def write_sample_history(ws) -> Path:
    """``sample_history.csv`` in the workspace: three years of made-up quarters for the config's accounts and
    products, in the columns ``kamplan history import`` reads, so a new user sees the format and can try
    the whole cycle before their real export is ready."""
    cfg = ws.config
    path = Path(ws.root) / SAMPLE_HISTORY
    columns = ["year", "quarter", "account_id", "product_id", "volume", "price", "revenue", "gross_margin",
               "cost_to_serve", "visits"]
    rows = []
    for a_i, account in enumerate(cfg.accounts):
        for p_i, product in enumerate(cfg.products[:2]):
            for y_i, year in enumerate(range(cfg.plan_year - 3, cfg.plan_year)):
                for quarter in (1, 2, 3, 4):
                    volume = 20 + 7 * ((a_i * 3 + p_i * 5 + quarter) % 6) + 4 * y_i
                    price = round(product.list_price * (0.97 + 0.01 * ((a_i + quarter) % 4)), 2)
                    revenue = round(volume * price, 2)
                    rows.append([year, quarter, safe_text(account.id), safe_text(product.id), volume, price, revenue,
                                 round(revenue * product.standard_margin, 2), round(revenue * 0.03, 2),
                                 1 + (a_i + quarter) % 3])
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
    os.replace(tmp, path)
    return path
