"""Import sales history (account x product x quarter) from CSV or xlsx into the store.

The file is read and checked by ``kamplan.imports.history`` (columns and rules there); a file with
errors is not imported at all.
"""
from __future__ import annotations

from pathlib import Path

from kamplan.imports.history import read_history_file
from kamplan.problems import Problem
from kamplan.workspace import Workspace

__all__ = ["import_history", "read_history_file"]


def import_history(ws: Workspace, path: Path) -> tuple[int, list[Problem]]:
    cfg = ws.config
    frame, problems = read_history_file(path, {a.id for a in cfg.accounts}, {p.id for p in cfg.products})
    if frame is None:
        return 0, problems
    n = ws.store.replace_history(frame, source=Path(path).name)
    return n, problems
