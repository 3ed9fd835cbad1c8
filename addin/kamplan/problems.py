"""Problems found in user input, returned as data next to the result.

Every step that reads something a person made (a workbook, a config file, an
export) returns ``(result, problems)`` instead of raising on the first fault, so
a salesperson sees all twelve problems of a sheet at once.  Only the front ends
format them.

A problem made with ``problem(id, **fields)`` comes from the catalogue (``kamplan.messages``): its
message and fix are ``Message`` strings (English as text, and sayable in zh-CN: ``render``).  A
problem made with ``error(code, message, fix)`` and plain strings is a text problem: it passes
through in the words it was given (the call sites not yet converted).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from kamplan.messages import Message, render as _say
from kamplan.messages.registry import PROBLEMS


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

    @property
    def id(self) -> str | None:
        """The catalogue id (``kamplan.messages.registry``) of a catalogue problem, None for a text one."""
        key = getattr(self.message, "key", None)
        return key.split(".", 1)[1] if key else None

    @property
    def fields(self) -> dict:
        return dict(getattr(self.message, "fields", {}))

    def where(self) -> str:
        return " › ".join(p for p in (self.file, self.sheet, self.cell) if p)

    def __str__(self) -> str:
        return self.render("en")

    def render(self, language: str | None = None) -> str:
        """The whole problem (where: what — fix) in ``language`` (a text problem stays as it was given)."""
        where = " › ".join(_say(p, language) for p in (self.file, self.sheet, self.cell) if p)
        head = f"{where}: " if where else ""
        fix = _say(self.fix, language)
        tail = f" — {fix}" if fix else ""
        return f"{head}{_say(self.message, language)}{tail}"

    def message_in(self, language: str | None = None) -> str:
        return _say(self.message, language)

    def fix_in(self, language: str | None = None) -> str:
        return _say(self.fix, language)

    def to_dict(self) -> dict:
        """Language-neutral for ``--json``: the code, the catalogue id and its fields (the English text too)."""
        d = asdict(self)
        d["severity"] = self.severity.value
        d["message"], d["fix"] = str(self.message), str(self.fix)
        d["id"] = self.id
        d["fields"] = {k: v if isinstance(v, (int, float, bool)) or v is None else str(v)
                       for k, v in self.fields.items()}
        return d


def error(code: str, message: str, fix: str, *, file: str | Path | None = None,
          sheet: str | None = None, cell: str | None = None) -> Problem:
    return Problem(Severity.ERROR, code, message, fix, _name(file), sheet, cell)


def warning(code: str, message: str, fix: str, *, file: str | Path | None = None,
            sheet: str | None = None, cell: str | None = None) -> Problem:
    return Problem(Severity.WARNING, code, message, fix, _name(file), sheet, cell)


def problem(pid: str, *, file: str | Path | None = None, sheet: str | None = None, cell: str | None = None,
            fix: str | None = None, code: str | None = None, **fields) -> Problem:
    """The catalogue problem ``pid`` (``kamplan.messages.registry.PROBLEMS``) with its named ``fields``;
    ``fix`` replaces the default fix (a reader that knows better), ``code`` the registered code."""
    kind = PROBLEMS[pid]
    message = Message(kind.message_key, **fields)
    if fix is None:
        fix = Message(kind.fix_key, **fields) if kind.fix_key else ""
    return Problem(Severity(kind.severity), code or kind.code, message, fix, _name(file), sheet, cell)


def phrase(pid: str, **fields) -> Message:
    """A registered phrase (part of a sentence, e.g. a cell's complaint) as a Message."""
    return Message(PROBLEMS[pid].message_key, **fields)


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
    return problem("file.internal-error", kind=type(exc).__name__, detail=str(exc), file=file)
