"""What every workbook reader shares: the problems of one file, and opening its sheets.

Each reader (targets, account review, consolidation, resource plan, evaluation) subclasses
``FileReader`` so that a problem always names the file, a long list stops at a budget instead of
printing thousands of lines, and a file that cannot be opened gets the same words everywhere.
"""
from __future__ import annotations

from pathlib import Path

from kamplan.problems import Problem, error, warning
from kamplan.workbooks.kit.layout import SheetValues
from kamplan.workbooks.kit.xlsxio import read_sheets

MAX_PROBLEMS = 200  # a wholly wrong sheet should not print 10,000 lines


class FileReader:
    """Collects one file's problems.  ``err``/``warn`` always list; ``complain`` lists up to
    ``MAX_PROBLEMS`` and then says that more were not listed."""
    more_fix = "fix the ones above and collect again"  # what to do when the list was cut
    again = "send it again"  # how the person gets the file back to kamplan

    def __init__(self, path: Path):
        self.path = Path(path)
        self.file = self.path.name
        self.problems: list[Problem] = []
        self.budget = MAX_PROBLEMS

    def err(self, code, message, fix, sheet=None, cell=None):
        self.problems.append(error(code, message, fix, file=self.file, sheet=sheet, cell=cell))

    def warn(self, code, message, fix, sheet=None, cell=None):
        self.problems.append(warning(code, message, fix, file=self.file, sheet=sheet, cell=cell))

    def complain(self, code, message, fix, sheet=None, cell=None):
        self.budget -= 1
        if self.budget == 0:
            self.problems.append(error("too-many-problems", "more problems in this sheet were not listed",
                                       self.more_fix, file=self.file, sheet=sheet))
        elif self.budget > 0:
            self.problems.append(error(code, message, fix, file=self.file, sheet=sheet, cell=cell))

    def open_sheets(self, names: list[str]) -> tuple[dict[str, SheetValues], list[str]] | None:
        """``read_sheets`` of this file, or None with the problem said (password, broken file)."""
        try:
            return read_sheets(self.path, names)
        except Exception as exc:  # calamine: not a zip, password, broken XML ...
            name = type(exc).__name__
            if "Password" in name:
                self.err("password-protected", "the workbook is protected with a password to open",
                         f"remove the password (File › Info › Protect Workbook) and {self.again}")
            else:
                self.err("unreadable-xlsx", f"the workbook cannot be read ({name}: {exc})",
                         f"open it in Excel, WPS or LibreOffice, save it as .xlsx and {self.again}")
            return None
