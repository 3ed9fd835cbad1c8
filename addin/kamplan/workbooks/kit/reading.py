"""What every workbook reader shares: the problems of one file, and opening its sheets.

Each reader (targets, account review, consolidation, resource plan, evaluation) subclasses
``FileReader`` so that a problem always names the file, a long list stops at a budget instead of
printing thousands of lines, and a file that cannot be opened gets the same words everywhere.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Callable

from kamplan.messages import Message
from kamplan.problems import Problem, error, problem, unexpected, warning
from kamplan.workbooks.kit import cells
from kamplan.workbooks.kit.identity import IDENTITY_SHEET
from kamplan.workbooks.kit.layout import SheetValues
from kamplan.workbooks.kit.safety import check_workbook_file
from kamplan.workbooks.kit.xlsxio import not_an_entry, read_sheets

MAX_PROBLEMS = 200  # a wholly wrong sheet should not print 10,000 lines
CELL_ERROR = object()  # what ``FileReader.cell`` gives for a cell holding an error value (said already)


def read_file(reader: Callable[..., "FileReader"], path: Path, *args) -> tuple[object | None, list[Problem]]:
    """``reader(path, *args).read()``.  A bug must not stop the other files of a run: it becomes this
    file's problem instead of a traceback."""
    path = Path(path)
    try:
        return reader(path, *args).read()
    except Exception as exc:
        return None, [unexpected(path, exc)]

# The sheet of buttons the add-in adds to its .xlsm copies of the VP's workbooks (kamplan.xl.macrobook.SHEET_NAME;
# tests/frontends/test_addin_xlsm.py checks they are the same).
ADDIN_ACTIONS_SHEETS = ("Actions", "操作")


class FileReader:
    """Collects one file's problems.  ``err``/``warn`` always list; ``complain`` lists up to
    ``MAX_PROBLEMS`` and then says that more were not listed."""
    # The VP's own workbooks also come as kamplan's macro-enabled copies (.xlsm with the Actions sheet);
    # a workbook a salesperson returns never has macros, so code in it means someone added it.
    macros_allowed = False

    # catalogue keys, so that a reader's own words are said in the person's language too
    more_fix = "fix.kit.more-collect"  # what to do when the list was cut
    # True when the caller put the file through ``check_workbook_file`` just before (collect does, to hash
    # only files that passed): then ``open_sheets`` does not check it a second time
    gate_passed = False
    again = "kit.again.send"  # how the person gets the file back to kamplan

    def __init__(self, path: Path, config=None, content_hash: str = ""):
        """``config``: what the file is checked against; ``content_hash``: the file's, stored with it."""
        self.config, self.hash = config, content_hash
        self.path = Path(path)
        self.file = self.path.name
        self.problems: list[Problem] = []
        self.budget = MAX_PROBLEMS

    def err(self, code, message, fix, sheet=None, cell=None):
        self.problems.append(error(code, message, fix, file=self.file, sheet=sheet, cell=cell))

    def warn(self, code, message, fix, sheet=None, cell=None):
        self.problems.append(warning(code, message, fix, file=self.file, sheet=sheet, cell=cell))

    def say_kit(self, pid: str, sheet=None, cell=None, fix=None, **fields):
        """The catalogue problem ``pid`` of this file; ``{again}`` in its fix is how this reader's person
        gets the file back (``again``)."""
        self.problems.append(problem(pid, file=self.file, sheet=sheet, cell=cell, fix=fix,
                                     again=Message(self.again), **fields))

    def complain(self, code, message, fix, sheet=None, cell=None):
        self.budget -= 1
        if self.budget == 0:
            self.say_kit("kit.too-many-problems", sheet=sheet, fix=Message(self.more_fix))
        elif self.budget > 0:
            self.problems.append(error(code, message, fix, file=self.file, sheet=sheet, cell=cell))

    def open_sheets(self, names: list[str]) -> tuple[dict[str, SheetValues], list[str]] | None:
        """``read_sheets`` of this file, or None with the problem said: the safety gate's (a CSV or .ods
        renamed .xlsx, an empty file, a zip bomb ...; every reader says it in the same words), a password,
        a broken file."""
        gate = [] if self.gate_passed else check_workbook_file(self.path)
        if gate:
            self.problems += gate
            return None
        if not self.macros_allowed and self._has_macros():
            self.say_kit("kit.macros")
            return None
        try:
            return read_sheets(self.path, names)
        except Exception as exc:  # calamine: not a zip, password, broken XML ...
            name = type(exc).__name__
            if "Password" in name:
                self.say_kit("kit.password")
            else:
                self.say_kit("kit.unreadable", kind=name, detail=str(exc))
            return None

    def _has_macros(self) -> bool:
        try:
            with zipfile.ZipFile(self.path) as zf:
                return any(n.lower().endswith("vbaproject.bin") for n in zf.namelist())
        except (OSError, zipfile.BadZipFile):
            return False  # said by the reader that opens it

    def open_identity(self, read: Callable[[SheetValues | None], dict], names: list[str] = ()
                      ) -> tuple[dict, dict[str, SheetValues], list[str]] | None:
        """The identity sheet read with ``read``, the sheets asked for and every sheet name of the file;
        None when the file cannot be opened (the problem is said)."""
        opened = self.open_sheets([IDENTITY_SHEET, *names])
        if opened is None:
            return None
        sheets, all_names = opened
        return read(sheets.get(IDENTITY_SHEET)), sheets, all_names

    def refuse_added_sheets(self, all_names: list[str], layout) -> bool:
        """Whether the file holds only the sheets kamplan wrote (``layout.sheet_names`` and the identity
        sheet); each added sheet is said as an error.  Structure protection keeps sheets from being added
        in Excel, but LibreOffice drops it when it saves (``<workbookProtection/>`` comes back empty), so
        the reader refuses what the protection would have.  Call it when no sheet is missing: a renamed
        sheet is said as the missing one."""
        ours = set(layout.sheet_names.values()) | {IDENTITY_SHEET}
        if str(self.file).lower().endswith(".xlsm"):
            ours |= set(ADDIN_ACTIONS_SHEETS)  # kamplan's own .xlsm copy of a VP workbook carries its buttons
        added = [n for n in all_names if n not in ours]
        for name in added:
            self.say_kit("kit.sheet-added", sheet=name, name=name)
        return not added

    def of_kind(self, ident: dict, kind: str, missing: tuple[str, str, str],
                wrong: Callable[[str], tuple[str, str]]) -> bool:
        """Whether the identity block is there and of ``kind``; else the problem is said: ``missing``
        (code, message, fix) without a block, ``wrong(found kind)`` (message, fix) for another kind."""
        found = ident.get("kind")
        if not found:
            self.err(*missing)
            return False
        if found != kind:
            self.err("wrong-kind", *wrong(found))
            return False
        return True

    def typed_identity(self, parse: Callable[[], tuple], schema_version: int, *, fresh: str, version: str,
                       errors: tuple[type[Exception], ...] = (KeyError, ValueError, TypeError)) -> tuple | None:
        """``parse()``: the identity block's fields typed, the layout version first.  None with the problem
        said when a field is missing or unreadable (``fresh``: what to do) or the version is another one
        (``version``: what to do then)."""
        try:
            fields = parse()
        except errors:
            self.say_kit("kit.identity-damaged", fix=fresh)
            return None
        if fields[0] != schema_version:
            self.say_kit("kit.schema-version", fix=version, found=fields[0], reads=schema_version)
            return None
        return fields

    def layout_matches(self, layout, ident: dict, fix: str) -> bool:
        """Whether the layout this kamplan builds from the identity block is the one the workbook was
        written with (its recorded ``layout_hash``); if not, that is said with ``fix``."""
        if layout.signature() == ident.get("layout_hash"):
            return True
        self.say_kit("kit.layout-changed", fix=fix)
        return False

    def year_matches(self, found: int, expected: int, message: str, fix: str) -> bool:
        """Whether the workbook is for the ``expected`` plan year; if not, ``message`` and ``fix`` are said."""
        if found == expected:
            return True
        self.err("wrong-year", message, fix)
        return False

    def cell(self, tb, sheet: SheetValues, r: int, key: str, fix: str = "fix.kit.plain-value"):
        """The raw value of column ``key`` in row ``r``, or ``CELL_ERROR`` for an error value (#REF!, ...),
        said with ``fix`` (a catalogue key; its ``{header}``: the column's header)."""
        ref = tb.ref(r, key)
        if ref in sheet.errors:
            code, message = not_an_entry(sheet.errors[ref])
            self.complain(code, message, Message(fix, header=tb.column(key).header), tb.sheet, ref)
            return CELL_ERROR
        return sheet.get(r, tb.col(key))

    def text_cell(self, tb, sheet: SheetValues, r: int, key: str, max_len: int, what: str) -> str | None:
        """The free text typed in column ``key`` of row ``r`` (None when blank or an error value); a text
        over ``max_len`` characters is said, with the fix to shorten ``what`` (``comment``, ``note``, ``reason``:
        the catalogue's ``kit.text.<what>`` names it)."""
        raw = self.cell(tb, sheet, r, key)
        if raw is CELL_ERROR:
            return None
        text, why = cells.parse_text(raw, max_len=max_len)
        if why:
            self.complain("bad-value", why, Message("fix.kit.shorten", what=Message(f"kit.text.{what}"),
                                                    max_len=max_len), tb.sheet, tb.ref(r, key))
        return text
