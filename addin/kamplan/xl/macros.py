"""What RunPython calls inside Excel (Windows and macOS): ``kamplan.xl.macros.run("kam_check")``.

Thin on purpose: save the workbook the button was pressed on, run the same file-based task the
tests run (``kamplan.xl.tasks`` through ``actions.run_action``), show progress in the status bar,
write the check's problems into the open workbook, open what was written, and end with a message
saying what was done and where the output is.  Needs Excel; nothing here runs in the tests except
through ``run_action``.
"""
from __future__ import annotations

from pathlib import Path

import xlwings as xw

from kamplan.xl import actions
from kamplan.xl.tasks import CHECKS_SHEET, cell_notes, checks_rows

TITLE = "kamplan"


def run(action_id: str) -> None:
    book = xw.Book.caller()
    app = book.app
    action = actions.get(action_id)
    path = Path(book.fullname) if _saved(book) else None
    if action.needs_book:
        if path is None:
            app.alert("Save this workbook inside your kamplan workspace first, then press the button again.",
                      TITLE, mode="critical")
            return
        book.save()  # the task reads the file, so it must hold what is on the screen
    label = action.en

    def progress(step: str) -> None:
        app.status_bar = f"kamplan · {label}: {step}"

    progress("starting")
    try:
        result = actions.run_action(action_id, book=path if path else None,
                                    workspace=actions.find_workspace(path) if path else None,
                                    progress=progress)
    except actions.ActionError as exc:
        app.alert(str(exc), TITLE, mode="critical")
        return
    finally:
        app.status_bar = False
    if action_id in ("kam_check", "kam_submit") and path is not None and result.problems:
        _annotate(book, result.problems, _password(path))
    if action.opens_output and result.output and result.output.suffix.lower() in (".xlsx", ".xlsm"):
        app.books.open(str(result.output))
    app.alert(result.message, TITLE, mode=None if result.ok else "critical")


def _saved(book) -> bool:
    try:
        return Path(book.fullname).is_file()
    except Exception:  # noqa: BLE001 - an unsaved book has no full path on some platforms
        return False


def _password(path: Path) -> str:
    """The layout password of the workspace's workbooks (a guard against accidents, not a secret)."""
    from kamplan.config import load_config
    root = actions.find_workspace(path)
    return load_config(root / "kamplan.yaml").workbook.sheet_password if root else ""


def _call(obj, windows: str, mac: str, **kwargs) -> None:
    """Call a protection method through the platform's object model (COM on Windows, AppleScript on Mac)."""
    api = obj.api
    try:
        getattr(api, windows)(*kwargs.values())
    except AttributeError:
        getattr(api, mac)(**kwargs)


def _annotate(book, problems, password: str) -> None:
    """Notes next to the problem cells and a Checks sheet, written into the open workbook; its
    protection is lifted for that and put back."""
    _call(book, "Unprotect", "unprotect", password=password)
    try:
        for (sheet, cell), text in cell_notes(problems).items():
            if sheet in [s.name for s in book.sheets]:
                sh = book.sheets[sheet]
                _call(sh, "Unprotect", "unprotect", password=password)
                sh.range(cell).note.text = text if len(text) < 2000 else text[:1997] + "..."
                _call(sh, "Protect", "protect", password=password)
        if CHECKS_SHEET in [s.name for s in book.sheets]:
            book.sheets[CHECKS_SHEET].delete()
        sh = book.sheets.add(CHECKS_SHEET, before=book.sheets[0])
        sh["A1"].value = checks_rows(problems)
        sh["A1:E1"].font.bold = True
        sh.autofit("c")
    finally:
        _call(book, "Protect", "protect_workbook", password=password, structure=True)
