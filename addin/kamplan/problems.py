"""Problems found in user input, returned as data next to the result.

Every step that reads something a person made (a workbook, a config file, an
export) returns ``(result, problems)`` instead of raising on the first fault, so
a salesperson sees all twelve problems of a sheet at once.  Only the front ends
format them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path


class Severity(str, Enum):
    ERROR = "error"  # keeps the file (or config) out; nothing from it is stored
    WARNING = "warning"  # stored with the submission; a person should look at it


@dataclass(frozen=True)
class Problem:
    severity: Severity
    code: str  # stable machine-readable id, e.g. "not-a-number"
    message: str  # what is wrong, with the offending value
    fix: str  # what to do about it
    file: str | None = None  # file name as the user knows it
    sheet: str | None = None
    cell: str | None = None  # A1 reference, or a key path for config files

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def where(self) -> str:
        return " › ".join(p for p in (self.file, self.sheet, self.cell) if p)

    def __str__(self) -> str:
        where = self.where()
        head = f"{where}: " if where else ""
        tail = f" — {self.fix}" if self.fix else ""
        return f"{head}{self.message}{tail}"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


def error(code: str, message: str, fix: str, *, file: str | Path | None = None,
          sheet: str | None = None, cell: str | None = None) -> Problem:
    return Problem(Severity.ERROR, code, message, fix, _name(file), sheet, cell)


def warning(code: str, message: str, fix: str, *, file: str | Path | None = None,
            sheet: str | None = None, cell: str | None = None) -> Problem:
    return Problem(Severity.WARNING, code, message, fix, _name(file), sheet, cell)


def _name(file: str | Path | None) -> str | None:
    if file is None:
        return None
    return Path(file).name if isinstance(file, Path) else str(file)


def has_errors(problems: list[Problem]) -> bool:
    return any(p.is_error for p in problems)


class WithProblems:
    """For results that carry ``problems``: their errors and warnings apart."""
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def unexpected(file: str | Path, exc: Exception) -> Problem:
    """A bug met while reading one file: reported as that file's problem so the other files go on."""
    return error("internal-error", f"kamplan could not read this file ({type(exc).__name__}: {exc})",
                 "send the file to the kamplan maintainers; the other files were collected", file=file)
