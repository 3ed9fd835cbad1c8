"""Import sales history (account x product x quarter) from CSV or xlsx into the store.

The file is read and checked by ``kamplan.imports.history`` (columns and rules there); a file with
errors is not imported at all.  The quarters it holds replace what the store has for them, within the
rules of ``kamplan.imports.replacing`` (years in range, no stored quarter replaced by far less unless
stated with ``periods``).
"""
from __future__ import annotations

from pathlib import Path

from kamplan.imports.history import read_history_file
from kamplan.imports.replacing import Replacing, period_totals, shrink_problem
from kamplan.problems import Problem
from kamplan.workspace import Workspace

__all__ = ["import_history"]


def import_history(ws: Workspace, path: Path, periods: frozenset | None = None, force: bool = False
                   ) -> tuple[int, list[Problem]]:
    """Rows stored and the problems; nothing is stored when there is an error."""
    cfg = ws.config
    replacing = Replacing.for_history(cfg.plan_year, periods, force, calendar=cfg.calendar)
    frame, problems = read_history_file(path, {a.id for a in cfg.accounts}, {p.id for p in cfg.products},
                                        replacing, calendar=cfg.calendar)
    if frame is None:
        return 0, problems
    new = period_totals(frame)
    stored = period_totals(ws.store.history(years=sorted({y for y, _ in new})))
    shrinking = [shrink_problem(p, new[p], stored[p], file=Path(path).name, first_line=_first_row(frame, p),
                                currency=cfg.currency)
                 for p in sorted(new) if p in stored and replacing.shrinks(p, new[p], stored[p])]
    if shrinking:
        return 0, problems + shrinking
    n = ws.store.replace_history(frame, source=Path(path).name)
    return n, problems


def _first_row(frame, period) -> str:
    """The file row of the first line in ``period`` (the frame keeps the file's order; row 1 is the header)."""
    at = ((frame["year"] == period[0]) & (frame["quarter"] == period[1])).to_numpy().nonzero()[0]
    return f"data line {int(at[0]) + 1}" if len(at) else ""
