"""What RunPython calls inside Excel (Windows and macOS): ``kamplan.xl.macros.run("kam_check")``.

Thin on purpose: save the workbook the button was pressed on, run the same file-based task the
tests run (``kamplan.xl.tasks`` through ``actions.run_action``), show progress in the status bar,
write the check's problems into the open workbook, open what was written, and end with a message
saying what was done and where the output is, in the workspace's language.  Needs Excel; the tests
run it on stand-ins of xlwings' objects (``tests/frontends/test_addin_macros.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import xlwings as xw

from kamplan.xl import actions
from kamplan.xl.messages import text
from kamplan.xl.tasks import CHECKS_SHEET, cell_notes, checks_rows

TITLE = "kamplan"
MAX_NOTE = 2000  # Excel truncates longer notes without saying so


def run(action_id: str) -> None:
    book = xw.Book.caller()
    app = book.app
    action = actions.get(action_id)
    try:
        path = local_path(book.fullname) if _saved(book) else None
    except actions.ActionError as exc:
        app.alert(str(exc), TITLE, mode="critical")
        return
    root = actions.find_workspace(path)
    language = _language(root)
    if action_id in actions.EXCEL_ONLY:
        choose(app, language)
        return
    if action.needs_book:
        if path is None:
            app.alert(text("save_first", language), TITLE, mode="critical")
            return
        book.save()  # the task reads the file, so it must hold what is on the screen
    label = action.label(language)

    def progress(step: str) -> None:
        app.status_bar = text("status", language, label=label, step=step)

    progress(text("starting", language))
    try:
        result = actions.run_action(action_id, book=path, workspace=root, progress=progress, language=language)
        if action_id in ("kam_check", "kam_submit") and path is not None and result.problems:
            progress(text("annotating", language))
            _annotate(book, result.problems, _password(root), language)
        if action_id == "kam_refresh":
            result.message = refresh(app, root, language)
    except actions.ActionError as exc:
        app.alert(str(exc), TITLE, mode="critical")
        return
    finally:
        app.status_bar = text("workspace_is", language, root=root) if root else False
    if action.opens_output and result.output and result.output.suffix.lower() in (".xlsx", ".xlsm"):
        app.books.open(str(result.output))
    app.alert(result.message, TITLE, mode=None if result.ok else "critical")


# -- Choose workspace and Refresh ----------------------------------------------------------------------
def _pick_folder(app, prompt: str) -> str | None:
    """A folder picker: Office's own on Windows (msoFileDialogFolderPicker = 4), AppleScript on the Mac."""
    try:
        dialog = app.api.FileDialog(4)
    except AttributeError:
        import subprocess
        run = subprocess.run(["osascript", "-e", f'POSIX path of (choose folder with prompt "{prompt}")'],
                             capture_output=True, text=True)
        return run.stdout.strip() or None
    dialog.Title = prompt
    return dialog.SelectedItems(1) if dialog.Show() == -1 else None


def choose(app, language: str, pick=_pick_folder) -> Path | None:
    """Choose workspace: pick a folder, remember it, show it in the status bar."""
    folder = pick(app, text("workspace_is", language, root="…"))
    if not folder:
        return None
    try:
        root = actions.choose_workspace(Path(folder))
    except actions.ActionError:
        app.alert(text("not_a_workspace", language, folder=folder), TITLE, mode="critical")
        return None
    app.status_bar = text("workspace_is", language, root=root)
    app.alert(text("workspace_chosen", language, root=root), TITLE)
    return root


def recalculate_kam_cells(book) -> int:
    """Recalculate every cell whose formula calls a KAM_ function (Excel does not, since their inputs did
    not change when the store did); returns how many."""
    n = 0
    for sheet in book.sheets:
        used = sheet.used_range
        formulas = used.formula
        rows = formulas if isinstance(formulas, (list, tuple)) else ((formulas,),)
        for i, row in enumerate(rows):
            for j, formula in enumerate(row if isinstance(row, (list, tuple)) else (row,)):
                if isinstance(formula, str) and "KAM_" in formula.upper():
                    api = used[i, j].api
                    try:
                        api.Calculate()
                    except AttributeError:
                        api.calculate()
                    n += 1
    return n


def _unsaved(book) -> bool:
    try:
        return not book.api.Saved
    except AttributeError:  # not knowable (Mac): treat as having entries, never close it
        return True


def refresh(app, root: Path | None, language: str) -> str:
    """Refresh: the KAM_ cells of every open workbook recalculated, and each open output that a newer
    one replaced closed (only when it has no unsaved entries) and the newer one opened."""
    from kamplan.xl.tasks import stale_outputs
    books = list(app.books)
    cells = sum(recalculate_kam_cells(b) for b in books)
    reopened = []
    if root is not None:
        paths = {}
        for b in books:
            if _saved(b) and not str(b.fullname).lower().startswith("http"):
                paths[Path(b.fullname).resolve()] = b
        for old, new in stale_outputs(list(paths), root / "reports"):
            if not _unsaved(paths[old]):
                paths[old].close()
            app.books.open(str(new))
            reopened.append(new.name)
    return text("refreshed", language, cells=cells, books=len(books),
                reopened=", ".join(reopened) or text("nothing", language))


def _saved(book) -> bool:
    try:
        name = book.fullname
    except Exception:  # noqa: BLE001 - an unsaved book has no full path on some platforms
        return False
    return str(name).lower().startswith(("https://", "http://")) or Path(name).is_file()


def local_path(fullname: str, env: dict | None = None) -> Path:
    """The file on this PC behind a workbook's ``FullName``: a OneDrive/SharePoint workbook reports an
    https address; it is mapped into the synchronised folder (``%OneDrive%``, ``%OneDriveCommercial%``,
    ``%OneDriveConsumer%``) when the file is there, else a clear message says what to do."""
    import os
    from urllib.parse import unquote, urlparse
    if not str(fullname).lower().startswith(("https://", "http://")):
        return Path(fullname)
    env = os.environ if env is None else env
    parts = [unquote(p) for p in urlparse(fullname).path.split("/") if p]
    # personal: https://d.docs.live.net/<cid>/<path>; business: https://<org>-my.sharepoint.com/personal/<user>/Documents/<path>
    tails = [parts[i:] for i in range(1, len(parts))]
    roots = [Path(env[k]) for k in ("OneDriveCommercial", "OneDrive", "OneDriveConsumer") if env.get(k)]
    for root in roots:
        for tail in tails:
            candidate = root.joinpath(*tail)
            if candidate.is_file():
                return candidate
    raise actions.ActionError(text("onedrive", _language(None), url=fullname))


def _language(root: Path | None) -> str:
    if root is None:
        return "en"
    from kamplan.config import load_config
    from kamplan.workspace import CONFIG_NAME
    try:
        return load_config(root / CONFIG_NAME).language
    except Exception:  # noqa: BLE001 - a broken kamplan.yaml is reported by the task itself
        return "en"


def _password(root: Path | None) -> str:
    """The layout password of the workspace's workbooks (a guard against accidents, not a secret)."""
    from kamplan.config import load_config
    from kamplan.workspace import CONFIG_NAME
    return load_config(root / CONFIG_NAME).workbook.sheet_password if root else ""


@dataclass(frozen=True)
class SheetProtection:
    """The permissions a protected kamplan sheet grants besides editing unlocked cells."""
    format_columns: bool
    format_rows: bool
    autofilter: bool


# What ``workbooks.kit.styles.protect_sheet`` grants (a test keeps the two equal); used where a sheet's
# own permissions cannot be read.  The autofilter is granted where the writer set one.
WRITER_PROTECTION = SheetProtection(format_columns=True, format_rows=True, autofilter=False)


def sheet_protection(sheet) -> SheetProtection | None:
    """The sheet's protection as it is now (None: not protected), read before it is lifted so it can be
    put back exactly (Windows: COM ``Worksheet.Protection``; elsewhere the writer's permissions)."""
    api = sheet.api
    try:
        if not api.ProtectContents:
            return None
        p = api.Protection
        return SheetProtection(bool(p.AllowFormattingColumns), bool(p.AllowFormattingRows), bool(p.AllowFiltering))
    except AttributeError:  # Excel for Mac (AppleScript): protected as the writer protects
        return WRITER_PROTECTION


def _unprotect(sheet, password: str) -> None:
    try:
        sheet.api.Unprotect(password)
    except AttributeError:
        sheet.api.unprotect(password=password)


def _protect(sheet, password: str, p: SheetProtection) -> None:
    """Protect with the given permissions.  COM takes Protect's options by position: Password, DrawingObjects,
    Contents, Scenarios, UserInterfaceOnly, AllowFormattingCells, AllowFormattingColumns, AllowFormattingRows,
    AllowInsertingColumns, AllowInsertingRows, AllowInsertingHyperlinks, AllowDeletingColumns,
    AllowDeletingRows, AllowSorting, AllowFiltering, AllowUsingPivotTables."""
    try:
        protect = sheet.api.Protect
    except AttributeError:  # Excel for Mac (AppleScript); its option names are not verified in CI, so
        try:                # a refusal still protects the sheet, without the permissions
            sheet.api.protect(password=password, allow_formatting_columns=p.format_columns,
                              allow_formatting_rows=p.format_rows, allow_filtering=p.autofilter)
        except Exception:  # noqa: BLE001 - appscript raises its own CommandError
            sheet.api.protect(password=password)
        return
    protect(password, True, True, True, False, False, p.format_columns, p.format_rows,
            False, False, False, False, False, False, p.autofilter, False)


def set_note(rng, note: str) -> None:
    """Put ``note`` on a cell: a cell without a note has none in xlwings (``Range.note`` is None)."""
    note = note if len(note) < MAX_NOTE else note[:MAX_NOTE - 3] + "..."
    existing = rng.note
    if existing is not None:
        existing.text = note
    elif hasattr(rng, "add_note"):
        rng.add_note(note)
    else:  # xlwings before add_note: the object model's own call (Windows COM)
        rng.api.AddComment(note)


def _book_protection(book, password: str, protect: bool) -> None:
    api = book.api
    if protect:
        try:
            api.Protect(password, True)  # Password, Structure
        except AttributeError:
            api.protect_workbook(password=password, structure=True)
    else:
        try:
            api.Unprotect(password)
        except AttributeError:
            api.unprotect(password=password)


def _annotate(book, problems, password: str, language: str = "en") -> None:
    """Notes next to the problem cells and a Checks sheet, written into the open workbook.  Each sheet's
    protection is lifted for its notes and put back with the permissions it had, whatever happens."""
    _book_protection(book, password, protect=False)
    try:
        names = [s.name for s in book.sheets]
        by_sheet: dict[str, dict[str, str]] = {}
        for (sheet, cell), note in cell_notes(problems, language).items():
            if sheet in names:
                by_sheet.setdefault(sheet, {})[cell] = note
        for sheet, notes in by_sheet.items():
            sh = book.sheets[sheet]
            had = sheet_protection(sh)
            if had is not None:
                _unprotect(sh, password)
            try:
                for cell, note in notes.items():
                    set_note(sh.range(cell), note)
            finally:
                if had is not None:
                    _protect(sh, password, had)
        if CHECKS_SHEET in names:
            book.sheets[CHECKS_SHEET].delete()
        sh = book.sheets.add(CHECKS_SHEET, before=book.sheets[0])
        sh["A1"].value = checks_rows(problems, language)
        sh["A1:E1"].font.bold = True
        sh.autofit("c")
    finally:
        _book_protection(book, password, protect=True)
