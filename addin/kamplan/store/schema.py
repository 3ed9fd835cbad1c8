"""The store's tables (SQLAlchemy Core) and the ordered schema migrations.

Only portable column types are used (text, integer, double, boolean, date), so
the same ``METADATA`` creates the schema in a SQLite file or in PostgreSQL.
Datetimes are kept as ISO-8601 text (``IsoDateTime``): that round-trips exactly,
time zone included, on every backend.

Line tables (the lines of a submission, the rows of a history import) are built
from the model's column lists, so a column added to ``kamplan.model`` without a
storage kind here fails at import time instead of being silently dropped.

Versioning: ``METADATA`` always describes the newest schema.  A new file gets it
whole and ``schema_version = SCHEMA_VERSION``.  An older file is brought up to
date by running ``MIGRATIONS`` in order: ``MIGRATIONS[0]`` takes version 1 to 2,
``MIGRATIONS[1]`` 2 to 3, and so on.  To change the schema, change the tables
below *and* append a function ``(connection) -> None`` that does the same to an
existing file.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

from kamplan.model import (
    ACTIVITY_COLUMNS, HISTORY_COLUMNS, REQUEST_COLUMNS, SERVICE_COLUMNS, TARGET_COLUMNS, TRAINING_COLUMNS, VISIT_COLUMNS,
)


class IsoDateTime(sa.types.TypeDecorator):
    """A ``datetime`` stored as ISO-8601 text; naive stays naive, aware keeps its offset."""
    impl = sa.String(40)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {value!r}")
        return value.isoformat()

    def process_result_value(self, value, dialect):
        return None if value is None else dt.datetime.fromisoformat(value)


# Storage kind of every column of the model's frames: "str", "int", "float", "date" or "bool".
KINDS: dict[str, str] = {
    "account_id": "str", "product_id": "str", "year": "int", "quarter": "int",
    "volume": "float", "price": "float", "revenue": "float", "gross_margin": "float",
    "cost_to_serve": "float", "visits": "float", "comment": "str", "src": "str",
    "rep_visits": "float", "exec_visits": "float", "topic": "str", "audience": "str",
    "commitment": "str", "measure": "str", "due": "date", "kind": "str", "purpose": "str",
    "task": "str", "amount": "float", "unit": "str", "deadline": "date", "priority": "str",
    "divisible": "bool", "response": "str", "rep_id": "str", "basis": "str",
}
_SA_TYPES = {"str": sa.Text, "int": sa.Integer, "float": sa.Double, "date": sa.Date, "bool": sa.Boolean}


class LineSpec:
    """One model frame stored as rows: its columns, their kinds and which may be empty."""

    def __init__(self, name: str, columns: list[str], required: set[str]):
        missing = [c for c in columns if c not in KINDS]
        if missing:
            raise RuntimeError(f"kamplan.store: no storage kind for model columns {missing}; add them to KINDS")
        self.name = name
        self.columns = list(columns)
        self.kinds = {c: KINDS[c] for c in columns}
        self.required = set(required)

    def sa_columns(self) -> list[sa.Column]:
        return [sa.Column(c, _SA_TYPES[self.kinds[c]](), nullable=c not in self.required) for c in self.columns]


# The lines of a submission, one table each; ``name`` is the Submission attribute.
SUBMISSION_LINES: dict[str, LineSpec] = {
    "targets": LineSpec("targets", TARGET_COLUMNS, {"account_id", "product_id", "quarter"}),
    "visits": LineSpec("visits", VISIT_COLUMNS, {"account_id", "quarter"}),
    "trainings": LineSpec("trainings", TRAINING_COLUMNS, {"account_id", "quarter"}),
    "services": LineSpec("services", SERVICE_COLUMNS, {"account_id"}),
    "requests": LineSpec("requests", REQUEST_COLUMNS, {"account_id", "divisible"}),
}
HISTORY = LineSpec("history", HISTORY_COLUMNS, {"year", "quarter", "account_id"})

METADATA = sa.MetaData()
_ID = sa.String  # identifiers (account, rep, product ...): VARCHAR without a length, portable


# -- column groups many tables share (each call makes new columns: a column belongs to one table) -------
def _serial() -> sa.Column:
    """The row id: numbers rows in the order they were added."""
    return sa.Column("id", sa.Integer, primary_key=True)


def _part_of(owner: str, parent: str) -> sa.Column:
    """The first key column of a row that belongs to a row of ``parent`` (a run, an import, a version)."""
    return sa.Column(owner, sa.Integer, sa.ForeignKey(f"{parent}.id"), primary_key=True)


def _line_no() -> sa.Column:
    """The second key column of a line: its position in its file, frame or run, from 0."""
    return sa.Column("line_no", sa.Integer, primary_key=True, autoincrement=False)


def _recorded(by: str = "by") -> list[sa.Column]:
    """Who (``by``), when (``at``) and from where (``source``: file › sheet › cell, or the command) a row the
    VP typed came."""
    return [sa.Column(by, sa.Text, nullable=False), sa.Column("at", IsoDateTime(), nullable=False),
            sa.Column("source", sa.Text, nullable=False)]


def _master_table(name: str, *columns: sa.Column) -> sa.Table:
    """A master-data entity: its id and names, its own ``columns``, whether the config still has it
    (``active``) and when it last changed."""
    return sa.Table(
        name, METADATA,
        sa.Column("id", _ID(), primary_key=True),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("name_zh", sa.Text, nullable=False),
        *columns,
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("updated_at", IsoDateTime(), nullable=False),
    )


def _import_log(name: str, *totals: sa.Column) -> sa.Table:
    """One row per import of quarterly rows: where from, when, how many rows, ``totals``, which quarters."""
    return sa.Table(
        name, METADATA,
        _serial(),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("imported_at", IsoDateTime(), nullable=False),
        sa.Column("n_rows", sa.Integer, nullable=False),
        *totals,
        sa.Column("periods", sa.Text, nullable=False),  # JSON list of [year, quarter]
    )


def _imported_rows(name: str, imports: str, spec: LineSpec) -> sa.Table:
    """The rows of each import in ``imports``, with an index to find a quarter's rows of one import."""
    return sa.Table(
        name, METADATA,
        _part_of("import_id", imports), _line_no(),
        *spec.sa_columns(),
        sa.Index(f"ix_{name}_period", "year", "quarter", "import_id"),
    )


def _current_imports(name: str, imports: str) -> sa.Table:
    """(year, quarter) -> the import of ``imports`` whose rows that quarter shows."""
    return sa.Table(
        name, METADATA,
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("quarter", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey(f"{imports}.id"), nullable=False),
    )


meta = sa.Table(
    "meta", METADATA,
    sa.Column("key", _ID(), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

events = sa.Table(
    "events", METADATA,
    _serial(),
    sa.Column("at", IsoDateTime(), nullable=False),
    sa.Column("kind", _ID(), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),  # JSON
)

# -- master data: the current state of each entity, never deleted; changes are logged ---------------
regions = _master_table("regions")
staff = _master_table(
    "staff",
    sa.Column("region_id", _ID(), sa.ForeignKey("regions.id"), nullable=False),
    sa.Column("email", sa.Text, nullable=False),
)
products = _master_table(
    "products",
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("list_price", sa.Double, nullable=False),
    sa.Column("standard_margin", sa.Double, nullable=False),
)
accounts = _master_table(
    "accounts",
    sa.Column("region_id", _ID(), sa.ForeignKey("regions.id"), nullable=False),
    sa.Column("rep_id", _ID(), sa.ForeignKey("staff.id"), nullable=False),
    sa.Column("cls", _ID(), nullable=False),
    sa.Column("city", sa.Text, nullable=False),
)
MASTER_TABLES: dict[str, sa.Table] = {"regions": regions, "staff": staff, "products": products,
                                      "accounts": accounts}  # in foreign-key order
master_changes = sa.Table(
    "master_changes", METADATA,
    _serial(),
    sa.Column("entity", _ID(), nullable=False),  # a key of MASTER_TABLES
    sa.Column("entity_id", _ID(), nullable=False),
    sa.Column("plan_year", sa.Integer, nullable=False),
    sa.Column("at", IsoDateTime(), nullable=False),
    sa.Column("change", _ID(), nullable=False),  # added / changed / inactivated / reactivated
    sa.Column("data", sa.Text, nullable=False),  # JSON of the row after the change
    sa.Index("ix_master_changes_entity", "entity", "entity_id"),
)

# -- history: every import kept; a period shows the rows of its latest import ------------------------
history_imports = _import_log(
    "history_imports",
    sa.Column("total_volume", sa.Double, nullable=False),
    sa.Column("total_revenue", sa.Double, nullable=False),
)
history_rows = _imported_rows("history_rows", "history_imports", HISTORY)
history_periods = _current_imports("history_periods", "history_imports")

# -- rounds and issued workbooks --------------------------------------------------------------------
rounds = sa.Table(
    "rounds", METADATA,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("round", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", _ID(), nullable=False),
    sa.Column("deadline", sa.Date, nullable=True),
    sa.Column("opened_at", IsoDateTime(), nullable=False),
)
issued_workbooks = sa.Table(
    "issued_workbooks", METADATA,
    sa.Column("workbook_id", _ID(), primary_key=True),
    sa.Column("kind", _ID(), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("round", sa.Integer, nullable=False),
    sa.Column("rep_id", _ID(), nullable=False),
    sa.Column("generated_at", IsoDateTime(), nullable=False),
    sa.Column("layout_hash", _ID(), nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("issued_at", IsoDateTime(), nullable=False),
    sa.Index("ix_issued_rep", "year", "round", "rep_id"),
)

# -- collection: every file that changed the store is an attempt; good ones are submissions ----------
attempts = sa.Table(
    "attempts", METADATA,
    _serial(),  # global order of attempts
    sa.Column("outcome", _ID(), nullable=False),  # "stored" or "rejected"
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("content_hash", _ID(), nullable=True),
    sa.Column("year", sa.Integer, nullable=True),
    sa.Column("round", sa.Integer, nullable=True),
    sa.Column("rep_id", _ID(), nullable=True),
    sa.Column("at", IsoDateTime(), nullable=False),
    sa.Index("ix_attempts_rep", "year", "round", "rep_id"),
)
submissions = sa.Table(
    "submissions", METADATA,
    sa.Column("id", sa.Integer, sa.ForeignKey("attempts.id"), primary_key=True, autoincrement=False),
    sa.Column("rep_id", _ID(), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("round", sa.Integer, nullable=False),
    sa.Column("content_hash", _ID(), nullable=False),
    sa.Column("workbook_id", _ID(), nullable=False),
    sa.Column("kind", _ID(), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("generated_at", IsoDateTime(), nullable=False),
    sa.Column("layout_hash", _ID(), nullable=False),
    sa.Column("superseded_by", sa.Integer, sa.ForeignKey("submissions.id"), nullable=True),
    sa.Column("superseded_at", IsoDateTime(), nullable=True),
    sa.UniqueConstraint("rep_id", "year", "round", "content_hash", name="uq_submission_content"),
    sa.Index("ix_submissions_rep", "year", "round", "rep_id"),
)
# One current submission per salesperson, year and round, enforced by the database itself: two collects
# of one salesperson at once cannot both leave a current submission (the second insert fails instead).
_CURRENT = submissions.c.superseded_by.is_(None)
current_submission_index = sa.Index("uq_submission_current", submissions.c.rep_id, submissions.c.year,
                                     submissions.c.round, unique=True, sqlite_where=_CURRENT,
                                     postgresql_where=_CURRENT)
# Problems of an attempt: the warnings stored with a submission, or why a file was rejected.
problems = sa.Table(
    "problems", METADATA,
    _part_of("attempt_id", "attempts"), _line_no(),
    sa.Column("severity", _ID(), nullable=False),
    sa.Column("code", _ID(), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("fix", sa.Text, nullable=False),
    sa.Column("file", sa.Text, nullable=True),
    sa.Column("sheet", sa.Text, nullable=True),
    sa.Column("cell", sa.Text, nullable=True),
    # the catalogue's key and fields of message, fix, sheet and cell as JSON (issue 14), so a front end says the
    # problem in its language; None for rows stored before (their text is shown as it is)
    sa.Column("words", sa.Text, nullable=True),
)


def _line_table(spec: LineSpec) -> sa.Table:
    return sa.Table(
        f"submission_{spec.name}", METADATA,
        _part_of("submission_id", "submissions"), _line_no(),
        *spec.sa_columns(),
    )


LINE_TABLES: dict[str, sa.Table] = {name: _line_table(spec) for name, spec in SUBMISSION_LINES.items()}

# -- account segmentation: every classification run kept; overrides and judgements never deleted --------
# A run is one `kamplan accounts segment` (or collect): the period, the rules as they were, the headline.
classification_runs = sa.Table(
    "classification_runs", METADATA,
    _serial(),
    sa.Column("plan_year", sa.Integer, nullable=False),  # the year the classes are for
    sa.Column("basis", _ID(), nullable=False),  # "year" or "rolling"
    sa.Column("period_start", _ID(), nullable=False),  # "2026Q1"
    sa.Column("period_end", _ID(), nullable=False),  # "2026Q4"
    sa.Column("measure", _ID(), nullable=False),  # volume, revenue or gross_margin
    sa.Column("created_at", IsoDateTime(), nullable=False),
    sa.Column("rules", sa.Text, nullable=False),  # JSON of the config's segmentation section
    sa.Column("summary", sa.Text, nullable=False),  # JSON: headline numbers, counts per class
    sa.Index("ix_classification_runs_year", "plan_year"),
)
# One row per account and run: the class the rules gave, why, and the numbers behind it.
classifications = sa.Table(
    "classifications", METADATA,
    _part_of("run_id", "classification_runs"),
    sa.Column("account_id", _ID(), primary_key=True),
    sa.Column("cls", _ID(), nullable=False),  # computed by the rules
    sa.Column("rule", _ID(), nullable=False),  # id of the rule that matched; "" = default class
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("rule_values", sa.Text, nullable=False),  # JSON {metric: value} of the matched rule
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("measure", sa.Double, nullable=False),
    sa.Column("share", sa.Double, nullable=True),
    sa.Column("cum_share", sa.Double, nullable=True),
    sa.Column("profit", sa.Double, nullable=False),
    sa.Column("growth", sa.Double, nullable=True),
    sa.Column("score_hard", sa.Double, nullable=True),
    sa.Column("score_strength", sa.Double, nullable=True),
    sa.Column("score_capability", sa.Double, nullable=True),
    sa.Column("score", sa.Double, nullable=True),
    sa.Column("flags", sa.Text, nullable=False),  # JSON list of flag codes
)
# The VP's overrides, oldest first; the newest per plan year and account is in force.  A row with
# cls NULL lifts the override (the computed class applies again).  Rows are never changed or deleted.
class_overrides = sa.Table(
    "class_overrides", METADATA,
    _serial(),
    sa.Column("plan_year", sa.Integer, nullable=False),
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("cls", _ID(), nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    *_recorded(),
    sa.Index("ix_class_overrides_account", "plan_year", "account_id"),
)
# Judgement scores of strength and capability indicators, oldest first; the newest per account and
# indicator with plan_year <= the year in question is in force.
judgements = sa.Table(
    "judgements", METADATA,
    _serial(),
    sa.Column("plan_year", sa.Integer, nullable=False),
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("indicator", _ID(), nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    *_recorded("judge"),
    sa.Index("ix_judgements_account", "account_id", "indicator"),
)
SEGMENTATION_TABLES = (classification_runs, classifications, class_overrides, judgements)

# -- plan versions: consolidation, top-down adjustments, undo, the agreed plan (issue 4) -------------------
# Every version keeps all its lines, so any two can be compared and any one restored; nothing is deleted.
# kind: "bottom-up" (from the salespeople's submissions), "top-down" (a VP instruction applied to the
# parent), "undo" (a copy of an earlier version).  The newest version of a year is the current one.
PLAN_LINE_COLUMNS = ["rep_id", "account_id", "product_id", "quarter", "volume", "price", "revenue", "basis"]
PLAN_LINES = LineSpec("plan_lines", PLAN_LINE_COLUMNS, {"rep_id", "account_id", "product_id", "quarter", "basis"})
plan_versions = sa.Table(
    "plan_versions", METADATA,
    _serial(),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("kind", _ID(), nullable=False),
    sa.Column("round", sa.Integer, nullable=True),  # the collection round a bottom-up version was built from
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("plan_versions.id"), nullable=True),
    sa.Column("created_at", IsoDateTime(), nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("instruction", sa.Text, nullable=True),  # JSON of the top-down instruction
    sa.Column("summary", sa.Text, nullable=False),  # JSON: totals, shortfall, notes, submissions used ...
    sa.Index("ix_plan_versions_year", "year"),
)
plan_lines = sa.Table(
    "plan_lines", METADATA,
    _part_of("version_id", "plan_versions"), _line_no(),
    *PLAN_LINES.sa_columns(),  # basis: "submitted", or "run-rate" (no usable submission: last year stands in)
)
# The VP's agreement: "agreed" locks a version as the year's plan; "reopened" lifts the lock.  The newest
# row of a year is in force.
plan_agreements = sa.Table(
    "plan_agreements", METADATA,
    _serial(),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("action", _ID(), nullable=False),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("plan_versions.id"), nullable=False),
    sa.Column("at", IsoDateTime(), nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)
PLAN_TABLES = (plan_versions, plan_lines, plan_agreements)

# -- resource allocation: every allocation run kept with what it gave; the VP's choices never deleted ----
# A run is one `kamplan resources allocate`: when, who, the settings, the solver's figures.
allocation_runs = sa.Table(
    "allocation_runs", METADATA,
    _serial(),
    sa.Column("plan_year", sa.Integer, nullable=False),
    sa.Column("created_at", IsoDateTime(), nullable=False),
    sa.Column("by", sa.Text, nullable=False),  # who ran it
    sa.Column("settings", sa.Text, nullable=False),  # JSON: time limit, rules, forced choices, plan source
    sa.Column("method", _ID(), nullable=False),  # milp | greedy | lp
    sa.Column("status", _ID(), nullable=False),  # optimal | feasible | time-limit | greedy | infeasible
    sa.Column("objective", sa.Double, nullable=True),
    sa.Column("bound", sa.Double, nullable=True),
    sa.Column("gap", sa.Double, nullable=True),
    sa.Column("greedy_objective", sa.Double, nullable=True),
    sa.Column("seconds", sa.Double, nullable=False),
    sa.Column("workbook", sa.Text, nullable=True),  # file name of the resource plan workbook written
    sa.Index("ix_allocation_runs_year", "plan_year"),
)
# The requests as the run saw them (the plan's, plus generated coverage requests) and what each got.
allocation_requests = sa.Table(
    "allocation_requests", METADATA,
    _part_of("run_id", "allocation_runs"),
    sa.Column("request_id", _ID(), primary_key=True),
    sa.Column("rep_id", _ID(), nullable=True),
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("kind", _ID(), nullable=False),
    sa.Column("purpose", sa.Text, nullable=True),
    sa.Column("task", sa.Text, nullable=True),
    sa.Column("amount", sa.Double, nullable=False),
    sa.Column("unit", sa.Text, nullable=True),
    sa.Column("deadline", sa.Date, nullable=True),
    sa.Column("deadline_quarter", sa.Integer, nullable=False),
    sa.Column("priority", _ID(), nullable=True),
    sa.Column("divisible", sa.Boolean, nullable=False),
    sa.Column("src", sa.Text, nullable=True),
    sa.Column("given", sa.Double, nullable=False),
)
allocation_assignments = sa.Table(
    "allocation_assignments", METADATA,
    _part_of("run_id", "allocation_runs"), _line_no(),
    sa.Column("request_id", _ID(), nullable=False),
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("kind", _ID(), nullable=False),
    sa.Column("person_id", _ID(), nullable=False),
    sa.Column("quarter", sa.Integer, nullable=False),
    sa.Column("amount", sa.Double, nullable=False),
    sa.Column("cost", sa.Double, nullable=False),
)
allocation_unmet = sa.Table(
    "allocation_unmet", METADATA,
    _part_of("run_id", "allocation_runs"),
    sa.Column("request_id", _ID(), primary_key=True),
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("kind", _ID(), nullable=False),
    sa.Column("asked", sa.Double, nullable=False),
    sa.Column("given", sa.Double, nullable=False),
    sa.Column("code", _ID(), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("fix", sa.Text, nullable=False),
)
# Value of one more unit: per person x quarter, per pool x quarter (person_id "*"), per budget (quarter 0).
allocation_marginals = sa.Table(
    "allocation_marginals", METADATA,
    _part_of("run_id", "allocation_runs"), _line_no(),
    sa.Column("pool", _ID(), nullable=False),
    sa.Column("person_id", _ID(), nullable=False),
    sa.Column("quarter", sa.Integer, nullable=False),
    sa.Column("capacity", sa.Double, nullable=False),
    sa.Column("used", sa.Double, nullable=False),
    sa.Column("value_per_unit", sa.Double, nullable=True),
    sa.Column("resolve_gain", sa.Double, nullable=True),
)
# The VP's forced in / out choices, oldest first; the newest per plan year and request is in force.
# choice NULL lifts it.  Capacity changes likewise per person and quarter (capacity NULL: the config's).
allocation_choices = sa.Table(
    "allocation_choices", METADATA,
    _serial(),
    sa.Column("plan_year", sa.Integer, nullable=False),
    sa.Column("request_id", _ID(), nullable=False),
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("kind", _ID(), nullable=False),
    sa.Column("choice", _ID(), nullable=True),  # "in", "out" or NULL
    *_recorded(),
    sa.Index("ix_allocation_choices_year", "plan_year", "request_id"),
)
allocation_capacity = sa.Table(
    "allocation_capacity", METADATA,
    _serial(),
    sa.Column("plan_year", sa.Integer, nullable=False),
    sa.Column("person_id", _ID(), nullable=False),
    sa.Column("quarter", sa.Integer, nullable=False),
    sa.Column("capacity", sa.Double, nullable=True),
    *_recorded(),
    sa.Index("ix_allocation_capacity_year", "plan_year", "person_id"),
)
RESOURCE_TABLES = (allocation_runs, allocation_requests, allocation_assignments, allocation_unmet,
                   allocation_marginals, allocation_choices, allocation_capacity)
# -- actuals (issue 6): invoice/delivery imports and the activity log ----------------------------------
# Invoice lines are aggregated to HISTORY_COLUMNS and stored as a history import; ``actuals_imports``
# keeps what the files held next to what was stored (lines in, matched, unmatched, totals).
KINDS.update({"date": "date", "person_id": "str", "quantity": "float", "status": "str", "note": "str",
              "ref": "str"})
ACTIVITIES = LineSpec("activities", ACTIVITY_COLUMNS + ["year", "quarter"],
                      {"date", "account_id", "kind", "year", "quarter"})
actuals_imports = sa.Table(
    "actuals_imports", METADATA,
    _serial(),
    sa.Column("history_import_id", sa.Integer, sa.ForeignKey("history_imports.id"), nullable=False),
    sa.Column("source", sa.Text, nullable=False),  # the file names, "; "-separated
    sa.Column("imported_at", IsoDateTime(), nullable=False),
    sa.Column("n_files", sa.Integer, nullable=False),
    sa.Column("lines_in", sa.Integer, nullable=False),  # data lines read from the stored files
    sa.Column("lines_matched", sa.Integer, nullable=False),
    sa.Column("lines_unmatched", sa.Integer, nullable=False),
    sa.Column("volume_in", sa.Double, nullable=False),  # in plan units, after conversion
    sa.Column("revenue_in", sa.Double, nullable=False),  # in the plan currency, after conversion
    sa.Column("volume_unmatched", sa.Double, nullable=False),
    sa.Column("revenue_unmatched", sa.Double, nullable=False),
    sa.Column("volume_stored", sa.Double, nullable=False),
    sa.Column("revenue_stored", sa.Double, nullable=False),
    sa.Column("rows_stored", sa.Integer, nullable=False),  # quarter x account x product rows
    sa.Column("periods", sa.Text, nullable=False),  # JSON list of [year, quarter]
    sa.Column("detail", sa.Text, nullable=False),  # JSON: per file lines and totals, unmatched values
)
activity_imports = _import_log("activity_imports")
activity_rows = _imported_rows("activity_rows", "activity_imports", ACTIVITIES)
activity_periods = _current_imports("activity_periods", "activity_imports")
ACTUALS_TABLES = (actuals_imports, activity_imports, activity_rows, activity_periods)

# -- evaluation (issue 6): the VP's ratings, comments and service statuses; never changed, newest in force --
# quarter 1-4: a quarterly evaluation; 0: the annual evaluation.  rating NULL: the VP cleared it.
evaluation_ratings = sa.Table(
    "evaluation_ratings", METADATA,
    _serial(),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("quarter", sa.Integer, nullable=False),
    sa.Column("rep_id", _ID(), nullable=False),
    sa.Column("goal", _ID(), nullable=False),
    sa.Column("rating", sa.Double, nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    *_recorded(),
    sa.Column("workbook_id", _ID(), nullable=False),  # the workbook it was typed in ("" from elsewhere)
    sa.Index("ix_evaluation_ratings_key", "year", "quarter", "rep_id", "goal"),
)
# The status the VP gives a service commitment of the plan (matched by account and commitment text).
service_statuses = sa.Table(
    "service_statuses", METADATA,
    _serial(),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("quarter", sa.Integer, nullable=False),  # the evaluation it was set in
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("commitment", sa.Text, nullable=False),
    sa.Column("status", _ID(), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    *_recorded(),
    sa.Column("workbook_id", _ID(), nullable=False),
    sa.Index("ix_service_statuses_key", "year", "account_id"),
)
EVALUATION_TABLES = (evaluation_ratings, service_statuses)

# -- account teams and credited actuals (issue 12) -------------------------------------------------------
# The account teams as the config has them (``Store.sync_master_data`` replaces an account's rows when its
# team changes, logged in master_changes as entity "account_team"): product_id '' = all products.
account_team = sa.Table(
    "account_team", METADATA,
    sa.Column("account_id", _ID(), sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("salesperson_id", _ID(), sa.ForeignKey("staff.id"), primary_key=True),
    sa.Column("product_id", _ID(), primary_key=True),
    sa.Column("role", _ID(), nullable=False),
    sa.Column("share", sa.Double, nullable=False),
    sa.Column("updated_at", IsoDateTime(), nullable=False),
)
# An actuals import's lines summed per quarter x account x product x the ERP's salesperson (NULL: the line
# named none, the account team's shares decide).  Summed over salesperson_id they are the import's
# history rows.
actuals_lines = sa.Table(
    "actuals_lines", METADATA,
    _part_of("actuals_import_id", "actuals_imports"), _line_no(),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("quarter", sa.Integer, nullable=False),
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("product_id", _ID(), nullable=False),
    sa.Column("salesperson_id", _ID(), nullable=True),
    sa.Column("volume", sa.Double, nullable=False),
    sa.Column("revenue", sa.Double, nullable=False),
    sa.Column("gross_margin", sa.Double, nullable=False),
    sa.Index("ix_actuals_lines_period", "year", "quarter", "actuals_import_id"),
)
TEAM_TABLES = (account_team, actuals_lines)

# -- account plans (issue 15): every collected version whole, what changed per row, personal data apart ------
# A version is one collected account plan workbook of one salesperson; the newest version of a
# salesperson and year is current.  Its rows are the whole plan: the rows the workbook held and the rows
# of earlier versions it no longer held (``removed``): a collect never deletes.  ``fields`` is the row's
# JSON without personal data; ``personal_note`` (personal data) is kept apart so VP-facing reads never
# select it and ``forget-contact`` can erase it (``personal_erased`` then says when it was).
account_plan_versions = sa.Table(
    "account_plan_versions", METADATA,
    _serial(),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("rep_id", _ID(), nullable=False),
    sa.Column("workbook_id", _ID(), nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("content_hash", _ID(), nullable=False),
    sa.Column("based_on", sa.Integer, nullable=True),  # the version the workbook was pre-filled from
    sa.Column("reinstates", sa.Integer, nullable=True),  # an older version's content sent again
    sa.Column("collected_at", IsoDateTime(), nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Index("ix_account_plan_versions_rep", "year", "rep_id"),
)
account_plan_rows = sa.Table(
    "account_plan_rows", METADATA,
    sa.Column("version_id", sa.Integer, sa.ForeignKey("account_plan_versions.id"), primary_key=True),
    sa.Column("sheet", _ID(), primary_key=True),  # contacts, business, competitors, projects, actions, visits
    sa.Column("row_id", _ID(), primary_key=True),  # the hidden row id (business: the account id)
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("fields", sa.Text, nullable=False),  # JSON, no personal data
    sa.Column("personal_note", sa.Text, nullable=True),  # personal data
    sa.Column("personal_erased", IsoDateTime(), nullable=True),
    sa.Column("removed", sa.Boolean, nullable=False),
    sa.Column("src", sa.Text, nullable=True),  # file › sheet › row it came from
    sa.Index("ix_account_plan_rows_account", "sheet", "account_id"),
)
# What a version changed against the one before: one row per changed field (added / removed rows: one per
# filled field).  ``old`` / ``new`` are JSON; for a personal field they are erased by forget-contact.
account_plan_changes = sa.Table(
    "account_plan_changes", METADATA,
    _serial(),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("account_plan_versions.id"), nullable=False),
    sa.Column("sheet", _ID(), nullable=False),
    sa.Column("row_id", _ID(), nullable=False),
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("change", _ID(), nullable=False),  # added, changed, removed
    sa.Column("field", _ID(), nullable=False),
    sa.Column("old", sa.Text, nullable=True),
    sa.Column("new", sa.Text, nullable=True),
    sa.Column("personal", sa.Boolean, nullable=False),
    sa.Index("ix_account_plan_changes_version", "version_id"),
)
# Each forget-contact: who, when, which contact, why; never the erased content.
account_plan_forgotten = sa.Table(
    "account_plan_forgotten", METADATA,
    _serial(),
    sa.Column("account_id", _ID(), nullable=False),
    sa.Column("row_id", _ID(), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("versions", sa.Integer, nullable=False),
    sa.Column("changes", sa.Integer, nullable=False),
    *_recorded(),
)
ACCOUNT_PLAN_TABLES = (account_plan_versions, account_plan_rows, account_plan_changes, account_plan_forgotten)

# -- versions -----------------------------------------------------------------------------------------
Migration = Callable[[sa.Connection], None]



def add_tables(*tables: sa.Table) -> Migration:
    """A migration that creates ``tables`` (new tables only; a changed column needs its own ALTER)."""
    def migrate(conn: sa.Connection) -> None:
        METADATA.create_all(conn, tables=list(tables), checkfirst=True)
    migrate.__name__ = "add_" + "_".join(t.name for t in tables)
    return migrate


def add_column(table: sa.Table, name: str) -> Migration:
    """A migration that adds the (nullable) column ``name`` of ``table`` as declared above."""
    column = table.c[name]
    if not column.nullable:
        raise RuntimeError(f"{table.name}.{name}: an added column must be nullable (old rows have no value)")

    def migrate(conn: sa.Connection) -> None:
        if name not in {c["name"] for c in sa.inspect(conn).get_columns(table.name)}:
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{name}" {kind}')
    migrate.__name__ = f"add_{table.name}_{name}"
    return migrate


def one_current_submission(conn: sa.Connection) -> None:
    """7 -> 8: the partial unique index of current submissions.  A store used by two collects at once
    before it may hold two current submissions of one salesperson and round: the newer (higher id) stays
    current and the older is marked superseded by it, as if collected one after the other."""
    t = submissions
    rows = conn.execute(sa.select(t.c.id, t.c.rep_id, t.c.year, t.c.round).where(_CURRENT).order_by(t.c.id)).all()
    newest: dict[tuple, int] = {}
    for r in rows:
        newest[(r.rep_id, r.year, r.round)] = r.id
    for r in rows:
        keep = newest[(r.rep_id, r.year, r.round)]
        if r.id != keep:
            conn.execute(t.update().where(t.c.id == r.id).values(superseded_by=keep))
    current_submission_index.create(conn, checkfirst=True)


# MIGRATIONS[i] takes a file from version i + 1 to version i + 2.  Append, never reorder or edit.
# A feature that adds tables defines them above in its own section and appends add_tables(...) here.
MIGRATIONS: list[Migration] = [
    add_tables(*SEGMENTATION_TABLES),  # 1 -> 2: account segmentation (issue 3)
    add_column(LINE_TABLES["targets"], "response"),  # 2 -> 3: answers to a top-down proposal (issue 4)
    add_tables(*PLAN_TABLES),  # 3 -> 4: plan versions and the agreed plan (issue 4)
    add_tables(*RESOURCE_TABLES),  # 4 -> 5: resource allocation (issue 5)
    add_tables(*ACTUALS_TABLES),  # 5 -> 6: actuals imports and the activity log (issue 6)
    add_tables(*EVALUATION_TABLES),  # 6 -> 7: the VP's evaluation ratings and service statuses (issue 6)
    one_current_submission,  # 7 -> 8: one current submission per salesperson and round (issue 19)
    add_tables(*TEAM_TABLES),  # 8 -> 9: account teams and actuals per ERP salesperson (issue 12)
    add_tables(*ACCOUNT_PLAN_TABLES),  # 9 -> 10: account plans, their changes and forgotten contacts (issue 15)
    add_column(problems, "words"),  # 10 -> 11: a stored problem's catalogue key and fields (issue 14)
]


def schema_version() -> int:
    """The version this code writes: 1 plus the number of migrations."""
    return 1 + len(MIGRATIONS)
