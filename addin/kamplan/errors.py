"""One place that turns an environment error into a message a planner can act on.

A read-only workspace, a full disk, a workbook open in Excel (Windows locks it), a store file that is
locked by another program or damaged: none of these is a bug in kamplan, and a traceback helps nobody.
``environment_problem(exc)`` says what happened, to which path, and what to do; the front ends print
it and exit non-zero (the CLI shows the traceback only with ``--debug``).
"""
from __future__ import annotations

import errno
from dataclasses import dataclass

from kamplan.messages import Message, render
from kamplan.messages.registry import PROBLEMS


@dataclass(frozen=True)
class EnvironmentProblem:
    message: str  # a kamplan.messages.Message: English as text, sayable in zh-CN
    fix: str
    id: str = "env.other"

    def __str__(self) -> str:
        return f"{self.message} — {self.fix}"

    def render(self, language: str | None = None) -> tuple[str, str]:
        """(what happened, what to do) in ``language``."""
        return render(self.message, language), render(self.fix, language)


def _problem(pid: str, **fields) -> EnvironmentProblem:
    kind = PROBLEMS[pid]
    return EnvironmentProblem(Message(kind.message_key, **fields), Message(kind.fix_key, **fields), pid)


_BY_ERRNO = {
    errno.EACCES: "env.permission",
    errno.EPERM: "env.not-permitted",
    errno.EROFS: "env.read-only-disk",
    errno.ENOSPC: "env.disk-full",
    errno.EDQUOT: "env.quota",
    errno.ENOENT: "env.no-such-path",
    errno.EISDIR: "env.is-folder",
    errno.EMFILE: "env.too-many-open",
}
_WINDOWS_LOCK = {32, 33}  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION


def environment_problem(exc: BaseException) -> EnvironmentProblem | None:
    """The message for ``exc`` if it comes from the environment (files, disk, database file), else None."""
    if isinstance(exc, OSError):
        return _os_problem(exc)
    return _database_problem(exc)


def _os_problem(exc: OSError) -> EnvironmentProblem | None:
    path = str(exc.filename) if exc.filename else "?"
    if getattr(exc, "winerror", None) in _WINDOWS_LOCK:
        return _problem("env.locked", path=path)
    if exc.errno in _BY_ERRNO:
        return _problem(_BY_ERRNO[exc.errno], path=path)
    return _problem("env.other", path=path, reason=str(exc.strerror or exc))


_DATABASE = (  # words in SQLite's message -> the problem they mean, in this order
    (("locked", "busy"), "env.store-locked"),
    (("readonly", "read-only"), "env.store-read-only"),
    (("full",), "env.store-full"),
    (("malformed", "not a database", "disk i/o"), "env.store-damaged"),
    (("unable to open",), "env.store-cannot-open"),
)


def _database_problem(exc: BaseException) -> EnvironmentProblem | None:
    """SQLite's own words (wrapped by SQLAlchemy or not) for a locked, read-only, full or damaged store."""
    inner = getattr(exc, "orig", None) or exc
    name = type(inner).__name__
    if name not in ("OperationalError", "DatabaseError"):
        return None
    text = str(inner).lower()
    for words, pid in _DATABASE:
        if any(w in text for w in words):
            return _problem(pid)
    return None
