"""Actuals in: ERP invoice/delivery lines and the activity log, read, checked and stored.

``import_actuals(ws, paths)`` reads every file (CSV or xlsx) with the config's
``actuals`` rules, matches customers and products to the plan, converts units and
currency, sums the lines to one row per fiscal quarter x account x product and
stores them as one history import (``Store.replace_actuals``): the quarters they
cover replace what an earlier import gave for them, which stays in the store.

The rules every file follows:

* a bad value (a date or number that cannot be read, an empty customer ...) is an
  error with file, row and column; a file with an error stores nothing, the other
  files go on;
* a line whose customer or product is not in the plan is never silently dropped:
  it is counted, listed by value in the result, and written with its file and row
  to ``reports/actuals_unmatched_<time>.csv``;
* totals: every file's lines and totals in, matched and unmatched, and what the
  store holds after the import, so they can be checked against the ERP.

The files are read by ``kamplan.imports`` (polars: 10 million lines take seconds, see
``benchmarks/bench_actuals_import.py``); this module orchestrates: it reads each file once, stores the
good ones together, writes the unmatched-lines report and the import's record.  Only the quarterly sums
reach the store.

``import_activities(ws, paths)`` does the same for the activity log (one row per
visit, training, service or complaint), stored with ``Store.replace_activities``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable

import pandas as pd
import polars as pl

from kamplan.csvcells import safe_frame
from kamplan.engine.actuals import lines_to_history
from kamplan.imports.activities import read_activity_log
from kamplan.imports.actuals import ErpLines, ErpTotals, UnmatchedValue, read_erp_file
from kamplan.imports.replacing import Replacing, period_totals, shrink_problem
from kamplan.periods import period_map, quarter_parts, span_text, unmapped_date_problem
from kamplan.problems import Problem, WithProblems, has_errors, problem
from kamplan.workbooks.kit.xlsxio import atomic_path
from kamplan.workspace import Workspace

__all__ = ["ActivityFile", "ActivityResult", "ActualsFile", "ActualsResult", "UnmatchedValue", "import_activities",
           "import_actuals"]
SUM_COLUMNS = ["year", "quarter", "account_id", "product_id", "salesperson_id", "no_cost", "volume", "revenue",
               "cost"]


# -- results ------------------------------------------------------------------------------------------
@dataclass
class ActualsFile(ErpTotals, WithProblems):
    """What one file held (``ErpTotals``) and what became of it."""
    path: Path
    outcome: str = "rejected"  # "read" (good, part of the import) or "rejected"
    problems: list[Problem] = field(default_factory=list)
    lines_read: ErpLines | None = field(default=None, repr=False)  # what was read, while the import runs

    def totals(self) -> dict:
        return {"file": self.path.name, "outcome": self.outcome, "lines": self.lines, "matched": self.matched,
                "unmatched": self.unmatched, "revenue_in": self.revenue_in, "volume_matched": self.volume_matched,
                "revenue_matched": self.revenue_matched, "volume_unmatched": self.volume_unmatched,
                "revenue_unmatched": self.revenue_unmatched, "without_cost": self.without_cost,
                "periods": self.periods}


@dataclass
class ActualsResult(WithProblems):
    files: list[ActualsFile]
    problems: list[Problem]  # import-wide (quarters not complete, nothing to store ...)
    history: pd.DataFrame | None = None  # the HISTORY_COLUMNS rows stored (or that would be, in a dry run)
    # the same rows per ERP salesperson (salesperson_id after product_id; None: the line named none)
    by_salesperson: pd.DataFrame | None = None
    actuals_import_id: int | None = None
    rows_stored: int = 0
    periods: list[tuple[int, int]] = field(default_factory=list)
    unmatched_path: Path | None = None
    store_where: str = ""
    dry_run: bool = False
    product_units: dict[str, str] = field(default_factory=dict)  # product id -> its plan unit

    @property
    def rejected(self) -> list[ActualsFile]:
        return [f for f in self.files if f.outcome == "rejected"]

    @property
    def stored(self) -> bool:
        return self.actuals_import_id is not None

    @property
    def volume_stored(self) -> float:
        """All volumes added up: only meaningful when every product has the same unit; see
        ``volume_stored_by_unit``."""
        return float(self.history["volume"].sum()) if self.history is not None else 0.0

    @property
    def volume_stored_by_unit(self) -> dict[str, float]:
        """The volume stored per plan unit (units never mix: 3 t and 40 pcs are not 43 of anything)."""
        if self.history is None or not len(self.history):
            return {}
        unit = self.history["product_id"].map(self.product_units).fillna("")
        return {str(u): float(v) for u, v in self.history["volume"].groupby(unit, sort=True).sum().items()}

    @property
    def revenue_stored(self) -> float:
        return float(self.history["revenue"].sum()) if self.history is not None else 0.0

    def all_problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems] + self.problems


# -- actuals -----------------------------------------------------------------------------------------
def read_actuals_file(path: Path, config, replacing: Replacing | None = None) -> tuple[ActualsFile, ErpLines | None]:
    """Read and check one export; a file with errors comes back rejected with no lines."""
    path = Path(path)
    lines, problems = read_erp_file(path, config, replacing)
    totals = {f.name: getattr(lines, f.name) for f in fields(ErpTotals)}
    if has_errors(problems):
        return ActualsFile(path, problems=problems, **totals), None
    return ActualsFile(path, outcome="read", problems=problems, **totals), lines


def import_actuals(ws: Workspace, paths: list[Path], dry_run: bool = False,
                   progress: Callable[[str], None] | None = None, now: dt.datetime | None = None,
                   periods: frozenset | None = None, force: bool = False) -> ActualsResult:
    """Read every file, then store the good ones together as one import (unless ``dry_run``).

    The quarters the good files cover replace earlier imports of them, so give all files of
    a quarter together (e.g. the three monthly exports).  A file given twice is read once.
    ``periods`` (the quarters the import replaces) and ``force``: see ``kamplan.imports.replacing``;
    a file with a line outside them, or that would replace a stored quarter by far less, is rejected.
    """
    config = ws.config
    replacing = Replacing.for_actuals(config.plan_year, periods, force, calendar=config.calendar)
    files, read = _read_files(paths, config, progress, replacing)
    _refuse_shrinking(ws, files, read, replacing)
    good = [f for f in files if f.outcome == "read"]
    result = ActualsResult(files=files, problems=_nothing_read(good, "actuals-nothing"), dry_run=dry_run,
                           store_where=ws.store_label(), product_units={p.id: p.unit for p in config.products})
    if not good:
        return result
    history = _history(read, config)
    result.history = history
    result.by_salesperson = _history(read, config, by_salesperson=True)
    result.periods = sorted({(int(y), int(q)) for y, q in zip(history["year"], history["quarter"])})
    result.problems += _coverage_warnings(read, config.calendar)
    result.problems += _no_cost_warning(good)
    if not dry_run:
        result.unmatched_path = _write_unmatched(ws, read, now)
    if dry_run:
        return result
    if len(history) == 0:
        result.problems.append(problem("actuals.nothing-matched"))
        return result
    source = "; ".join(f.path.name for f in good)
    result.actuals_import_id, result.rows_stored = ws.store.replace_actuals(
        history, source, _import_record(files, result.unmatched_path), by_salesperson=result.by_salesperson)
    return result


def _nothing_read(good: list, code: str) -> list[Problem]:
    """The error for an import in which no file could be read."""
    if good:
        return []
    return [problem("actuals.nothing-read", code=code)]


def _read_files(paths: list[Path], config, progress: Callable[[str], None] | None, replacing: Replacing
                ) -> tuple[list[ActualsFile], list[ErpLines]]:
    """Each file read once (a second file with the same content is skipped with a warning)."""
    files: list[ActualsFile] = []
    read: list[ErpLines] = []
    seen: dict[str, str] = {}
    paths = [Path(p) for p in paths]
    sizes = [_size(p) for p in paths]
    for path, size in zip(paths, sizes):
        # only a file whose size another file shares can have its content: hashing 400 MiB costs 0.6 CPU-s
        digest = _digest(path) if size is not None and sizes.count(size) > 1 else None
        if digest is not None and digest in seen:
            files.append(ActualsFile(path, outcome="rejected", problems=[problem(
                "actuals.same-file", other=seen[digest], file=path.name)]))
            continue
        if digest is not None:
            seen[digest] = path.name
        f, lines = read_actuals_file(path, config, replacing)
        files.append(f)
        f.lines_read = lines
        if lines is not None:
            read.append(lines)
        if progress:
            progress(path.name)
    return files, read


def _refuse_shrinking(ws: Workspace, files: list[ActualsFile], read: list[ErpLines], replacing: Replacing) -> None:
    """Reject every good file with lines in a stored quarter the import would replace by far less
    (``Replacing.shrinks``), until none is left: the good files of a quarter count together."""
    years = sorted({y for r in read for y, _ in r.periods})
    stored = period_totals(ws.store.history(years=years)) if years else {}
    while True:
        good = [(f, f.lines_read) for f in files if f.outcome == "read" and f.lines_read is not None]
        new = period_totals(_history([lines for _, lines in good], ws.config))
        bad = [p for p, totals in new.items() if p in stored and replacing.shrinks(p, totals, stored[p])]
        if not bad:
            break
        for f, lines in good:
            for p in bad:
                if p in lines.first_rows:
                    f.problems.append(shrink_problem(p, new[p], stored[p], file=f.path.name,
                                                     first_line=f"row {lines.first_rows[p]}",
                                                     currency=ws.config.currency))
                    f.outcome = "rejected"
    read[:] = [f.lines_read for f in files if f.outcome == "read" and f.lines_read is not None]


def _history(read: list[ErpLines], config, by_salesperson: bool = False) -> pd.DataFrame:
    """The good files' sums as HISTORY_COLUMNS rows (gross margin from the standard margin where the
    cost is not known); ``by_salesperson``: one row per ERP salesperson too (``lines_to_history``)."""
    sums = [r.sums for r in read if r.sums.height]
    # The sums are small (quarter x account x product); a plain dict hand-over avoids needing pyarrow,
    # which polars' to_pandas() requires.
    lines = pd.DataFrame(pl.concat(sums).to_dict(as_series=False)) if sums else pd.DataFrame(columns=SUM_COLUMNS)
    if len(lines):
        lines.loc[lines["no_cost"].astype(bool), "cost"] = float("nan")
    margins = {p.id: p.standard_margin for p in config.products}
    return lines_to_history(lines.drop(columns="no_cost"), margins, by_salesperson=by_salesperson)


def _no_cost_warning(good: list[ActualsFile]) -> list[Problem]:
    without_cost = sum(f.without_cost for f in good)
    if not without_cost:
        return []
    return [problem("actuals.no-cost", count=without_cost)]


def _write_unmatched(ws: Workspace, read: list[ErpLines], now: dt.datetime | None) -> Path | None:
    """``reports/actuals_unmatched_<time>.csv``: every line of a customer or product not in the plan."""
    unmatched = [r.unmatched_lines for r in read if r.unmatched_lines.height]
    if not unmatched:
        return None
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    ws.reports.mkdir(parents=True, exist_ok=True)
    path = ws.reports / f"actuals_unmatched_{stamp}.csv"
    _write_csv_atomic(pl.concat(unmatched, how="vertical_relaxed"), path)
    return path


def _import_record(files: list[ActualsFile], unmatched_path: Path | None) -> dict:
    """The import's totals as the store keeps them, to check against the ERP later."""
    good = [f for f in files if f.outcome == "read"]
    return {"n_files": len(good), "lines_in": sum(f.lines for f in good),
            "lines_matched": sum(f.matched for f in good), "lines_unmatched": sum(f.unmatched for f in good),
            "volume_in": sum(f.volume_matched + f.volume_unmatched for f in good),
            "revenue_in": sum(f.revenue_in for f in good),
            "volume_unmatched": sum(f.volume_unmatched for f in good),
            "revenue_unmatched": sum(f.revenue_unmatched for f in good),
            "detail": {"files": [f.totals() for f in good],
                       "rejected": [f.path.name for f in files if f.outcome == "rejected"],
                       "unmatched_file": str(unmatched_path) if unmatched_path else None,
                       "unmatched": [vars(u) for f in good for u in f.unmatched_values[:50]]}}


def _coverage_warnings(read: list[ErpLines], calendar) -> list[Problem]:
    """A quarter with lines in only some of its months (``quarter_parts``: calendar months, 4-4-5 weeks
    or month-long parts ending on the period end's day); "month" in ``ErpLines.months`` is the part."""
    months = [r.months for r in read if r.months.height]
    if not months:
        return []
    have = pl.concat(months).unique()
    out = []
    for (year, quarter), g in have.group_by("year", "quarter"):
        parts = quarter_parts(calendar, year, quarter)
        got = sorted(set(g["month"].to_list()))
        if len(got) < len(parts):
            shown = [span_text(*parts[i - 1]) for i in got]
            missing = [span_text(*p) for i, p in enumerate(parts, start=1) if i not in got]
            out.append(problem("actuals.quarter-partial", year=year, quarter=quarter, shown=", ".join(shown),
                               missing=", ".join(missing)))
    return sorted(out, key=lambda p: p.message)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _write_csv_atomic(frame: pl.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        safe_frame(frame).write_csv(tmp, include_bom=True)  # the BOM makes Excel open the Chinese text as UTF-8


# -- activity log ------------------------------------------------------------------------------------
@dataclass
class ActivityFile(WithProblems):
    path: Path
    outcome: str = "rejected"  # "read" or "rejected"
    lines: int = 0
    matched: int = 0
    unmatched: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ActivityResult(WithProblems):
    files: list[ActivityFile]
    problems: list[Problem]
    rows_stored: int = 0
    periods: list[tuple[int, int]] = field(default_factory=list)
    store_where: str = ""
    dry_run: bool = False
    frame: pd.DataFrame | None = None

    @property
    def rejected(self) -> list[ActivityFile]:
        return [f for f in self.files if f.outcome == "rejected"]

    def all_problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems] + self.problems


def read_activity_file(path: Path, config) -> tuple[ActivityFile, pd.DataFrame | None]:
    """Read and check one activity log; a file with errors comes back rejected with no rows."""
    path = Path(path)
    log, problems = read_activity_log(path, config)
    f = ActivityFile(path, lines=log.lines, matched=log.matched, unmatched=log.unmatched, problems=problems)
    if has_errors(problems):
        return f, None
    f.outcome = "read"
    return f, log.frame


def import_activities(ws: Workspace, paths: list[Path], dry_run: bool = False,
                      progress: Callable[[str], None] | None = None) -> ActivityResult:
    """Read every activity log file and store the good ones together; their fiscal quarters replace
    what earlier imports gave for them (kept in the store)."""
    config = ws.config
    files, frames = [], []
    for path in paths:
        f, frame = read_activity_file(Path(path), config)
        files.append(f)
        if frame is not None:
            frames.append(frame)
        if progress:
            progress(Path(path).name)
    good = [f for f in files if f.outcome == "read"]
    result = ActivityResult(files=files, problems=_nothing_read(good, "activities-nothing"), dry_run=dry_run,
                            store_where=ws.store_label())
    if not good:
        return result
    frame = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else None
    if frame is None or len(frame) == 0:
        result.problems.append(problem("activities.nothing-matched"))
        return result
    found = period_map(frame["date"], config.calendar)
    if not found.mapped.all():
        result.problems += [unmapped_date_problem(d.date(), config.calendar, code="activities-period")
                            for d in sorted(set(pd.to_datetime(frame["date"][~found.mapped])))]
        return result
    result.periods = sorted(set(zip(found.year.tolist(), found.quarter.tolist())))
    result.frame = frame
    if not dry_run:
        result.rows_stored = ws.store.replace_activities(frame, "; ".join(f.path.name for f in good),
                                                         calendar=config.calendar)
    return result
