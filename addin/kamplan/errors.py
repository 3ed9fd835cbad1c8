"""One place that turns an environment error into a message a planner can act on.

A read-only workspace, a full disk, a workbook open in Excel (Windows locks it), a store file that is
locked by another program or damaged: none of these is a bug in kamplan, and a traceback helps nobody.
``environment_problem(exc)`` says what happened, to which path, and what to do; the front ends print
it and exit non-zero (the CLI shows the traceback only with ``--debug``).
"""
from __future__ import annotations

import errno
from dataclasses import dataclass


@dataclass(frozen=True)
class EnvironmentProblem:
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.message} — {self.fix}"


_BY_ERRNO = {
    errno.EACCES: ("kamplan may not write {path} (permission denied)",
                   "check that the folder is not read-only and that you may write there, or copy the "
                   "workspace to a folder you own"),
    errno.EPERM: ("kamplan may not change {path} (operation not permitted)",
                  "check the folder's permissions, or copy the workspace to a folder you own"),
    errno.EROFS: ("{path} is on a read-only disk", "copy the workspace to a writable disk and run it there"),
    errno.ENOSPC: ("the disk holding {path} is full; nothing half-written was kept",
                   "free some space on that disk and run the command again"),
    errno.EDQUOT: ("your disk quota is used up writing {path}", "free some space and run the command again"),
    errno.ENOENT: ("there is no file or folder {path}", "check the path (and the workspace: kamplan -w FOLDER)"),
    errno.EISDIR: ("{path} is a folder, not a file", "give the file inside it"),
    errno.EMFILE: ("too many files are open", "close other programs and run the command again"),
}
_LOCKED = ("the file {path} is open in another program (Excel keeps a file it shows locked)",
           "close it there and run the command again")
_WINDOWS_LOCK = {32, 33}  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION


def environment_problem(exc: BaseException) -> EnvironmentProblem | None:
    """The message for ``exc`` if it comes from the environment (files, disk, database file), else None."""
    if isinstance(exc, OSError):
        return _os_problem(exc)
    return _database_problem(exc)


def _os_problem(exc: OSError) -> EnvironmentProblem | None:
    path = exc.filename or "a file"
    if getattr(exc, "winerror", None) in _WINDOWS_LOCK:
        message, fix = _LOCKED
    elif exc.errno in _BY_ERRNO:
        message, fix = _BY_ERRNO[exc.errno]
    else:
        return EnvironmentProblem(f"kamplan could not use {path}: {exc.strerror or exc}",
                                  "check the file and the disk, then run the command again")
    return EnvironmentProblem(message.format(path=path), fix)


def _database_problem(exc: BaseException) -> EnvironmentProblem | None:
    """SQLite's own words (wrapped by SQLAlchemy or not) for a locked, read-only, full or damaged store."""
    inner = getattr(exc, "orig", None) or exc
    name = type(inner).__name__
    if name not in ("OperationalError", "DatabaseError"):
        return None
    text = str(inner).lower()
    if "locked" in text or "busy" in text:
        return EnvironmentProblem("the store is locked by another kamplan run or program",
                                  "wait until it has finished (or close the program holding kamplan.db) and "
                                  "run the command again")
    if "readonly" in text or "read-only" in text:
        return EnvironmentProblem("the store (kamplan.db) or its folder is read-only",
                                  "make the workspace folder writable, or copy it to a folder you own")
    if "full" in text:
        return EnvironmentProblem("the disk holding the store is full; the last change was not stored",
                                  "free some space and run the command again")
    if "malformed" in text or "not a database" in text or "disk i/o" in text:
        return EnvironmentProblem("the store (kamplan.db) cannot be read: it is damaged or not a kamplan store",
                                  "restore kamplan.db from your backup; do not delete it (only kamplan init "
                                  "creates a store)")
    if "unable to open" in text:
        return EnvironmentProblem("the store (kamplan.db) cannot be opened",
                                  "check that the workspace folder exists and you may write in it")
    return None
