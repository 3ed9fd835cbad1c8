"""The activity log: one row per visit, training, service or complaint (CSV or xlsx).

``read_activity_log(path, config)`` returns ``(ActivityLog, problems)``: the rows of plan accounts as an
``ACTIVITY_COLUMNS`` frame, and how many rows the file had, kept and left out.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import polars as pl

from kamplan.config.actuals import ACTIVITY_REQUIRED
from kamplan.imports.columns import account_lookup, matched, word_lookup
from kamplan.imports.tables import ROW, TableFile
from kamplan.imports.values import bad_value_problems, date, empty_problems, number
from kamplan.model import ACTIVITY_COLUMNS
from kamplan.messages import Message
from kamplan.problems import Problem, phrase, problem, unexpected

FIELDS = ("date", "account", "kind", "person", "quantity", "status", "note", "ref")
_CODE = "activities-value"


@dataclass
class ActivityLog:
    """One activity log file: its rows and what became of them."""
    lines: int = 0
    matched: int = 0
    unmatched: int = 0  # rows of accounts that are not in the plan (not kept)
    frame: pd.DataFrame | None = None  # ACTIVITY_COLUMNS, the rows kept


def read_activity_log(path: Path, config) -> tuple[ActivityLog, list[Problem]]:
    """Read and check one activity log.  With an error among the problems nothing is to be stored."""
    reader = _ActivityFile(path, config)
    try:
        reader.read()
    except Exception as exc:
        reader.problems.append(unexpected(reader.name, exc))
    return reader.out, reader.problems


class _ActivityFile(TableFile):
    """One log on its way: header match → parse → validate → match accounts → check people and
    complaints → the frame to store."""

    def __init__(self, path: Path, config):
        super().__init__(path, config)
        self.out = ActivityLog()

    def read(self) -> None:
        wanted = {f: self.rules.activity_headers(f) for f in FIELDS}
        frame = self.rows(wanted, ACTIVITY_REQUIRED, code="activities-columns",
                          config_key="actuals.activity_columns", stripped=True,
                          empty="activities.empty-file")
        if frame is None:
            return
        self.out.lines = frame.height
        if frame.height == 0:
            self.out.frame = pd.DataFrame(columns=ACTIVITY_COLUMNS)
            return
        frame = self.checked(frame)
        if frame is None:
            return
        frame = self.match_accounts(frame)
        self.check_people(frame)
        self.check_complaints(frame)
        self.out.frame = self.to_store(frame.filter(pl.col("account_id").is_not_null()))

    def parse(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Date, kind, quantity and (complaints) status as values kamplan knows; null where unreadable."""
        rules, cols = self.rules, self.cols
        frame = frame.with_columns(
            date("raw_date", frame, rules).alias("date"),
            matched("raw_kind", frame["raw_kind"], word_lookup(rules.activity_kinds)).alias("kind"),
            (number("raw_quantity", rules) if "quantity" in cols else pl.lit(None, dtype=pl.Float64))
            .alias("quantity"))
        if "status" in cols:
            return frame.with_columns(
                matched("raw_status", frame["raw_status"], word_lookup(rules.complaint_statuses)).alias("status"))
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias("status"),
                                  pl.lit(None, dtype=pl.String).alias("raw_status"))

    def validate(self, frame: pl.DataFrame) -> None:
        """Values that cannot be read, and required fields left empty."""
        cols, name, sheet = self.cols, self.name, self.sheet
        checks = [("date", phrase("import.what.date"), Message("fix.activities.date")),
                  ("kind", phrase("activities.what.kind", kinds=", ".join(self.rules.activity_kinds)),
                   Message("fix.activities.kind")),
                  ("quantity", phrase("import.what.number"), Message("fix.activities.quantity")),
                  ("status", phrase("activities.what.status"), Message("fix.activities.status"))]
        for f, what, fix in checks:
            if f in cols:
                self.problems += bad_value_problems(frame, f"raw_{f}", f, cols[f], what, fix, name, sheet, _CODE)
        for f in ACTIVITY_REQUIRED:
            self.problems += empty_problems(frame, f"raw_{f}", cols[f], name, sheet,
                                            Message("fix.import.fill-in-row", field=f))

    def match_accounts(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The plan account of each row; a warning per account value that is not in the plan."""
        frame = frame.with_columns(
            matched("raw_account", frame["raw_account"], account_lookup(self.config)).alias("account_id"))
        unknown = frame.filter(pl.col("account_id").is_null())
        self.out.unmatched = unknown.height
        self.out.matched = frame.height - unknown.height
        for value, n, first in (unknown.group_by("raw_account").agg(pl.len(), pl.col(ROW).min())
                                .sort(ROW).iter_rows()):
            self.problems.append(problem(
                "activities.unknown-account", value=repr(value), rows=n, first=first,
                file=self.name, sheet=self.sheet, cell=self.cols["account"]))
        return frame

    def check_people(self, frame: pl.DataFrame) -> None:
        """A warning per person who is neither a salesperson nor a support person of the config."""
        if "person" not in self.cols:
            return
        config = self.config
        people = {s.id for s in config.staff} | {q.id for pool in config.support_pools for q in pool.people}
        for value, n in (frame.filter(pl.col("raw_person").is_not_null() & ~pl.col("raw_person").is_in(list(people)))
                         .group_by("raw_person").agg(pl.len()).sort("raw_person").iter_rows()):
            self.problems.append(problem(
                "activities.unknown-person", value=repr(value), rows=n,
                file=self.name, sheet=self.sheet, cell=self.cols["person"]))

    def check_complaints(self, frame: pl.DataFrame) -> None:
        without_status = frame.filter((pl.col("kind") == "complaint") & pl.col("status").is_null()).height
        if without_status:
            self.problems.append(problem(
                "activities.complaint-status", count=without_status, file=self.name, sheet=self.sheet))

    def to_store(self, kept: pl.DataFrame) -> pd.DataFrame:
        """The kept rows as ``ACTIVITY_COLUMNS``: quantity 1 where empty, a complaint without status open,
        no status on other kinds."""
        def optional(f: str) -> list:
            return kept[f"raw_{f}"].to_list() if f in self.cols else [None] * kept.height
        kinds = kept["kind"].to_list()
        out = pd.DataFrame({
            "date": kept["date"].to_list(),
            "account_id": kept["account_id"].to_list(),
            "kind": kinds,
            "person_id": optional("person"),
            "quantity": kept["quantity"].fill_null(1.0).to_list(),
            "status": [s if k == "complaint" else None for s, k in zip(kept["status"].to_list(), kinds)],
            "note": optional("note"),
            "ref": optional("ref"),
        }, columns=ACTIVITY_COLUMNS)
        for c in ("account_id", "kind", "person_id", "status", "note", "ref", "date"):
            out[c] = out[c].astype(object)
        out["status"] = [("open" if k == "complaint" and s is None else s) for s, k in zip(out["status"], out["kind"])]
        return out
