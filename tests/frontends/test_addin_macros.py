"""kamplan.xl.macros on stand-ins of xlwings' objects: what "Check this sheet" does inside Excel.

The stand-ins behave as xlwings does where the defect lived: ``Range.note`` is None for a cell without
a note (xlwings: ``Note(...) if impl.note else None``), a note is made with ``Range.add_note``, and a
sheet's protection is read and set through the COM object model (``sheet.api``)."""
from __future__ import annotations

from pathlib import Path

import pytest

from kamplan.problems import error, warning
from kamplan.xl import macros

PASSWORD = "kamplan"


class Note:
    def __init__(self, text):
        self.text = text


class Range:
    def __init__(self, fail=False):
        self.note = None  # xlwings: no note object on a cell without a note
        self.fail = fail
        self.value = None
        self.font = type("Font", (), {"bold": False})()

    def add_note(self, text):
        if self.fail:
            raise RuntimeError("Excel refused the note")
        if self.note is not None:
            raise ValueError("This cell already has a note")
        self.note = Note(text)
        return self.note


class Protection:
    def __init__(self, columns, rows, filtering):
        self.AllowFormattingColumns, self.AllowFormattingRows, self.AllowFiltering = columns, rows, filtering


class SheetApi:
    """The COM Worksheet: Protect takes its options by position (Password, DrawingObjects, Contents, ...)."""
    def __init__(self, protected, columns=True, rows=True, filtering=False):
        self.ProtectContents = protected
        self.Protection = Protection(columns, rows, filtering)
        self.protect_calls = []

    def Unprotect(self, password):
        assert password == PASSWORD
        self.ProtectContents = False

    def Protect(self, *args):
        self.protect_calls.append(args)
        self.ProtectContents = True
        self.Protection = Protection(args[6], args[7], args[14])


class Sheet:
    def __init__(self, name, api, fail=False):
        self.name, self.api, self.fail, self.cells = name, api, fail, {}

    def range(self, cell):
        return self.cells.setdefault(cell, Range(self.fail))

    __getitem__ = range

    def autofit(self, axis):
        pass

    def delete(self):
        self.book.sheets.items.remove(self)


class Sheets:
    def __init__(self, book, items):
        self.book, self.items = book, items
        for s in items:
            s.book = book

    def __iter__(self):
        return iter(list(self.items))

    def __getitem__(self, key):
        return self.items[key] if isinstance(key, int) else next(s for s in self.items if s.name == key)

    def add(self, name, before=None):
        sh = Sheet(name, SheetApi(False))
        sh.book = self.book
        self.items.insert(self.items.index(before) if before else 0, sh)
        return sh


class BookApi:
    def __init__(self):
        self.structure_protected = True

    def Unprotect(self, password):
        self.structure_protected = False

    def Protect(self, password, structure):
        self.structure_protected = structure


class Book:
    def __init__(self, sheets):
        self.api = BookApi()
        self.sheets = Sheets(self, sheets)


def _problems():
    return [error("bad-volume", "volume is not a number", "type a number", sheet="Targets", cell="F5"),
            warning("big-change", "volume is 5x last year", "check it", sheet="Targets", cell="F6"),
            error("bad-volume", "again", "type a number", sheet="Targets", cell="F5")]


def test_check_writes_notes_into_cells_that_had_none_and_protects_the_sheet_again():
    targets = Sheet("Targets", SheetApi(True, columns=True, rows=True, filtering=True))
    book = Book([Sheet("Cover", SheetApi(True)), targets])
    macros._annotate(book, _problems(), PASSWORD)
    assert "volume is not a number" in targets.range("F5").note.text and "again" in targets.range("F5").note.text
    assert "5x last year" in targets.range("F6").note.text
    assert targets.api.ProtectContents, "the sheet is left unprotected"
    [args] = targets.api.protect_calls
    assert args[0] == PASSWORD
    p = targets.api.Protection  # the writer's permissions survive: resize columns and rows, filter
    assert (p.AllowFormattingColumns, p.AllowFormattingRows, p.AllowFiltering) == (True, True, True)
    assert book.sheets[0].name == macros.CHECKS_SHEET and book.sheets[0]["A1"].value[0][0] == "Severity"
    assert book.api.structure_protected


def test_a_cell_with_a_note_gets_the_new_text():
    targets = Sheet("Targets", SheetApi(True, filtering=False))
    targets.range("F5").note = Note("old")
    macros._annotate(Book([targets]), _problems()[:1], PASSWORD)
    assert targets.range("F5").note.text.startswith("error: volume is not a number")
    assert targets.api.Protection.AllowFiltering is False  # not granted by the writer, not granted now


def test_a_failing_note_still_leaves_the_sheet_protected_as_the_writer_had_it():
    targets = Sheet("Targets", SheetApi(True, columns=True, rows=False, filtering=True), fail=True)
    book = Book([targets])
    with pytest.raises(RuntimeError):
        macros._annotate(book, _problems(), PASSWORD)
    assert targets.api.ProtectContents
    p = targets.api.Protection
    assert (p.AllowFormattingColumns, p.AllowFormattingRows, p.AllowFiltering) == (True, False, True)
    assert book.api.structure_protected


def test_an_unprotected_sheet_is_not_protected_by_the_check():
    targets = Sheet("Targets", SheetApi(False))
    macros._annotate(Book([targets]), _problems(), PASSWORD)
    assert not targets.api.ProtectContents and targets.api.protect_calls == []


def test_the_fallback_permissions_are_the_writers():
    """Where the sheet's permissions cannot be read (Excel for Mac), the writer's are used: the same
    options ``workbooks.kit.styles.protect_sheet`` gives XlsxWriter."""
    from kamplan.workbooks.kit.styles import protect_sheet
    seen = {}

    class Ws:
        def protect(self, password, options):
            seen.update(options)
    protect_sheet(Ws(), PASSWORD, autofilter=True)
    want = macros.WRITER_PROTECTION
    assert (seen["format_columns"], seen["format_rows"]) == (want.format_columns, want.format_rows)


def test_a_onedrive_address_maps_to_the_synchronised_folder(tmp_path):
    root = tmp_path / "OneDrive - Contoso"
    book = root / "kam ws" / "inbox" / "Zhang Wei.xlsx"
    book.parent.mkdir(parents=True)
    book.write_bytes(b"x")
    url = "https://contoso-my.sharepoint.com/personal/zw_contoso_com/Documents/kam%20ws/inbox/Zhang%20Wei.xlsx"
    assert macros.local_path(url, env={"OneDriveCommercial": str(root)}) == book
    assert macros.local_path(str(book), env={}) == book
    with pytest.raises(macros.actions.ActionError, match="OneDrive.*KAMPLAN_WORKSPACE"):
        macros.local_path(url, env={"OneDrive": str(tmp_path / "elsewhere")})


def test_the_add_in_speaks_the_workspace_language():
    from kamplan.xl.messages import text  # the words are the catalogue's (tests/frontends/test_catalogue.py)
    assert text("nothing", "zh-CN") == "无" and text("nothing", "en") == "none"
    assert text("status", "zh-CN", label="检查本表", step="正在开始") == "kamplan · 检查本表:正在开始"
    assert text("save_first", "en").startswith("Save this workbook")
    rows = []
    targets = Sheet("Targets", SheetApi(True))
    book = Book([targets])
    macros._annotate(book, _problems(), PASSWORD, "zh-CN")
    rows = book.sheets[0]["A1"].value
    assert rows[0][0] == "级别" and rows[1][0] == "错误"


# -- Refresh and Choose workspace ----------------------------------------------------------------------
class CellApi:
    def __init__(self):
        self.calculated = 0

    def Calculate(self):
        self.calculated += 1


class Used:
    def __init__(self, formulas):
        self.formula = formulas
        self.cells = {}

    def __getitem__(self, ij):
        return type("Cell", (), {"api": self.cells.setdefault(ij, CellApi())})()


class CalcSheet:
    def __init__(self, formulas):
        self.used_range = Used(formulas)


class App:
    def __init__(self, books):
        self.books = Books(self, books)
        self.alerts, self.status_bar = [], None

    def alert(self, message, title=None, mode=None):
        self.alerts.append(message)


class Books(list):
    def __init__(self, app, items):
        super().__init__(items)
        self.opened = []

    def open(self, path):
        self.opened.append(Path(path))


class OpenBook:
    def __init__(self, path, sheets, saved=True):
        self.fullname, self.sheets = str(path), sheets
        self.api = type("Api", (), {"Saved": saved})()
        self.closed = False

    def close(self):
        self.closed = True


def test_refresh_recalculates_only_kam_cells():
    sheet = CalcSheet((("=KAM_TARGET(A1)", "=SUM(A1:A3)", 5), ("=kam_spread(1,B1:B3)", None, "text")))
    book = OpenBook("nowhere.xlsx", [sheet, CalcSheet("=KAM_CLASS(A1,B1)")])
    assert macros.recalculate_kam_cells(book) == 3
    assert sheet.used_range.cells[(0, 0)].calculated == 1 and (0, 1) not in sheet.used_range.cells


def test_refresh_reopens_an_output_a_newer_one_replaced_and_never_closes_unsaved_entries(tmp_path):
    import os
    reports = tmp_path / "reports"
    reports.mkdir()
    (tmp_path / "kamplan.yaml").write_text("x", encoding="utf-8")
    old, new = reports / "consolidation_2027_v4.xlsx", reports / "consolidation_2027_v5.xlsx"
    review_old, review_new = reports / "account_review_20270110-0900.xlsx", reports / "account_review_20270111-1000.xlsx"
    for i, p in enumerate((old, review_old, new, review_new)):
        p.write_bytes(b"x")
        os.utime(p, (1000 + i, 1000 + i))
    consolidation = OpenBook(old, [])
    review = OpenBook(review_old, [], saved=False)  # the VP typed into it
    app = App([consolidation, review])
    message = macros.refresh(app, tmp_path, "en")
    assert set(app.books.opened) == {new, review_new}
    assert consolidation.closed and not review.closed
    assert "consolidation_2027_v5.xlsx" in message and message.startswith("Recalculated 0 KAM_ cell(s) in 2")
    assert "重新打开" in macros.refresh(App([]), tmp_path, "zh-CN")


def test_choose_workspace_remembers_it_and_buttons_and_functions_use_it(tmp_path, monkeypatch):
    from kamplan.xl import actions
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(actions.WORKSPACE_ENV, raising=False)
    ws = tmp_path / "kam ws"
    (ws / "reports").mkdir(parents=True)
    (ws / "kamplan.yaml").write_text("x", encoding="utf-8")
    app = App([])
    assert macros.choose(app, "en", pick=lambda app, prompt: str(tmp_path)) is None  # not a workspace
    assert "kamplan.yaml" in app.alerts[-1] and actions.chosen_workspace() is None
    assert macros.choose(app, "zh-CN", pick=lambda app, prompt: str(ws / "reports")) == ws.resolve()
    assert app.status_bar == f"工作区:{ws.resolve()}"
    assert actions.find_workspace(None) == ws.resolve()
    assert actions.find_workspace(tmp_path / "Book1.xlsx") == ws.resolve()  # a workbook outside any workspace
    assert macros.choose(app, "en", pick=lambda app, prompt: None) is None  # cancelled: nothing changes
    assert actions.find_workspace(None) == ws.resolve()


class CallerBook:
    def __init__(self, fullname, app):
        self.fullname, self.app, self.saved = str(fullname), app, 0

    def save(self):
        self.saved += 1


def test_run_speaks_the_workspace_language_and_leaves_the_workspace_in_the_status_bar(tmp_path, monkeypatch):
    from kamplan.xl import actions
    from kamplan.xl.actions import ActionResult
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "kamplan.yaml").write_text("x", encoding="utf-8")
    book_path = ws / "inbox" / "a.xlsx"
    book_path.parent.mkdir()
    book_path.write_bytes(b"x")
    statuses = []

    class RecordingApp(App):
        status_bar = property(lambda self: statuses[-1] if statuses else None, lambda self, v: statuses.append(v))
    app = RecordingApp([])
    caller = CallerBook(book_path, app)
    monkeypatch.setattr(macros.xw.Book, "caller", staticmethod(lambda: caller))
    monkeypatch.setattr(macros, "_language", lambda root: "zh-CN")
    seen = {}

    def fake_run(action_id, *, book, workspace, progress, language):
        seen.update(action=action_id, book=book, workspace=workspace, language=language)
        progress("第一步")
        return ActionResult("完成", None, [])
    monkeypatch.setattr(actions, "run_action", fake_run)
    macros.run("kam_collect")
    assert seen == {"action": "kam_collect", "book": book_path, "workspace": ws, "language": "zh-CN"}
    assert statuses[1] == "kamplan · 收集:正在开始"  # [0]: App() itself and "kamplan · 收集:第一步" in statuses
    assert statuses[-1] == f"工作区:{ws}" and app.alerts == ["完成"]
    macros.run("kam_check")  # a book action saves the workbook first
    assert caller.saved == 1


def test_run_on_an_unmapped_onedrive_workbook_says_what_to_do(monkeypatch):
    app = App([])
    caller = CallerBook("https://d.docs.live.net/abc/kam/a.xlsx", app)
    monkeypatch.setattr(macros.xw.Book, "caller", staticmethod(lambda: caller))
    monkeypatch.setenv("OneDrive", "/nonexistent")
    macros.run("kam_check")
    assert len(app.alerts) == 1 and "OneDrive" in app.alerts[0] and caller.saved == 0


def test_on_the_mac_a_refused_option_still_protects_the_sheet():
    class MacApi:
        """AppleScript's worksheet: lower-case commands, keyword options; this one knows no options."""
        def __init__(self):
            self.protected_with = None

        def unprotect(self, password):
            self.protected_with = None

        def protect(self, password, **options):
            if options:
                raise TypeError("unknown keyword")
            self.protected_with = password
    sheet = Sheet("Targets", MacApi())
    macros._annotate(Book([sheet]), _problems(), PASSWORD)
    assert sheet.api.protected_with == PASSWORD and sheet.range("F5").note is not None
