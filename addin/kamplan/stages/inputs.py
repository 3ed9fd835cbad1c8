"""What every stage shares about its inputs: the progress callback, and the files a user names.

A user names files and folders (``kamplan targets collect inbox/ late.xlsx``); ``expand_inputs`` turns
them into the files to read, in a stable order, skipping lock files and the folders kamplan itself
moves replaced files into.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from kamplan.problems import Problem, problem

Progress = Callable[[str], None]  # called once per unit of work with a short description


def no_progress(_: str) -> None:
    """The progress callback of a caller that shows none."""


IGNORED_PREFIXES = ("~$", ".~lock", ".")  # Excel / LibreOffice lock files, hidden files
# What kamplan moved away or wrote back (never collected again), and the inbox folders of workbooks that
# have their own collect command (account plans: kamplan accounts plan collect reads inbox/account-plans).
IGNORED_FOLDERS = ("replaced", "feedback", "account-plans")


def expand_inputs(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Files named directly, and every file inside named folders (recursively), in a stable order."""
    files: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(_files_in(p))
        elif p.exists():
            files.append(p)
        else:
            problems.append(problem("inputs.not-found", path=str(p), file=str(p)))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def _files_in(folder: Path) -> list[Path]:
    found = []
    for f in sorted(folder.rglob("*")):
        folders = f.relative_to(folder).parts[:-1]
        if f.is_file() and not f.name.startswith(IGNORED_PREFIXES) and \
                not any(part.startswith(".") or part in IGNORED_FOLDERS for part in folders):
            found.append(f)
    return found


def modified_time(path: str | Path) -> float:
    """When the file was last changed (0 when it cannot be read): of two files, the newer one wins."""
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0
