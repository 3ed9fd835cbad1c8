"""The plan's system of record: a SQLite file in the workspace, or any SQLAlchemy URL.

Every public write runs in one transaction, so a failure leaves nothing half
written.  Nothing is deleted by a normal command: a newer submission supersedes
the older one (which stays readable), a history import hides the rows an older
import gave for the same quarters (which stay in the file), an account that
leaves the config is marked inactive.

The store trusts the order in which it is told things: when two different files
of one salesperson arrive for the same round, the one recorded later is
current.  The collect step decides that order.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import operator
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event

from kamplan import __version__
from kamplan.model import Submission, WorkbookIdentity
from kamplan.problems import Problem, Severity
from kamplan.store import schema as s
from kamplan.store.frames import FrameError, series, to_frame, to_rows, to_tuples

DEFAULT_FILE_NAME = "kamplan.db"
_WRITE = "kamplan_write"  # execution option: this transaction will write (SQLite: BEGIN IMMEDIATE)
_REASONS_SHOWN = 3  # problems quoted in status().reasons


class StoreError(Exception):
    """The store cannot do what was asked; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class SubmissionRecord:
    """What ``record_submission`` did with a file."""
    id: int
    rep_id: str
    year: int
    round: int
    file_name: str
    content_hash: str
    collected_at: dt.datetime
    outcome: str  # "stored", "superseded-previous" or "unchanged"
    superseded_id: int | None = None  # the submission this one replaced ("superseded-previous")


@dataclasses.dataclass
class PreparedSubmission:
    """A submission with its lines already turned into row tuples (done in collect's worker processes)."""
    identity: WorkbookIdentity
    file_name: str
    content_hash: str
    warnings: list[Problem]
    lines: dict[str, tuple[list[str], list[tuple]]]


def prepare_submission(sub: Submission) -> PreparedSubmission:
    """Check and convert a submission's frames for the store; a value that does not fit is a StoreError."""
    try:
        lines = {name: to_tuples(getattr(sub, name), spec, f"{sub.file_name}: {name}")
                 for name, spec in s.SUBMISSION_LINES.items()}
    except FrameError as exc:
        raise StoreError(str(exc)) from None
    return PreparedSubmission(sub.identity, sub.file_name, sub.content_hash, sub.warnings, lines)


class Store:
    """Open with ``Store.open(path_or_url)``; use as a context manager or call ``close()``."""

    def __init__(self, engine: sa.Engine, where: str):
        self._engine = engine
        self._writer = engine.execution_options(**{_WRITE: True})
        self.where = where  # the file path, or the URL without its password
        self._closed = False

    # -- opening ------------------------------------------------------------------------------------
    @classmethod
    def open(cls, target: str | Path) -> Store:
        """A path opens (or creates) a SQLite file; a string containing ``://`` is a SQLAlchemy URL.

        A path to an existing folder means ``<folder>/kamplan.db``.
        """
        if isinstance(target, str) and "://" in target:
            try:
                url = sa.make_url(target)
            except sa.exc.ArgumentError as exc:
                raise StoreError(f"{target!r} is not a database URL ({exc}); "
                                 "give a file path or a URL like postgresql://user@host/kamplan") from None
            where = url.render_as_string(hide_password=True)
        else:
            path = Path(target)
            if path.is_dir():
                path = path / DEFAULT_FILE_NAME
            if not path.parent.is_dir():
                raise StoreError(f"cannot open the plan database {path}: the folder {path.parent} does not exist; "
                                 "create the workspace first (kamplan init) or fix the path")
            url = sa.URL.create("sqlite", database=str(path.resolve()))
            where = str(path)
        is_sqlite = url.get_backend_name() == "sqlite"
        try:
            engine = sa.create_engine(url, connect_args={"timeout": 30} if is_sqlite else {})
        except Exception as exc:  # unknown dialect, driver not installed ...
            raise StoreError(f"cannot open the plan database {where}: {exc}") from None
        if is_sqlite:
            _sqlite_transactions(engine)
        store = cls(engine, where)
        try:
            store._ensure_schema()
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        if not self._closed:
            self._engine.dispose()
            self._closed = True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.where!r}{', closed' if self._closed else ''})"

    def _ensure_schema(self) -> None:
        latest = s.schema_version()
        try:
            with self._write() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                if s.meta.name not in tables:
                    if tables:
                        raise StoreError(
                            f"{self.where} is a database but not a kamplan plan (it has tables "
                            f"{sorted(tables)[:5]} and no 'meta' table); give kamplan a new file name instead")
                    s.METADATA.create_all(conn)
                    conn.execute(s.meta.insert(), [
                        {"key": "schema_version", "value": str(latest)},
                        {"key": "created_at", "value": _now().isoformat()},
                        {"key": "created_by", "value": f"kamplan {__version__}"},
                    ])
                    return
                raw = conn.execute(sa.select(s.meta.c.value).where(s.meta.c.key == "schema_version")).scalar()
                try:
                    version = int(raw)
                except (TypeError, ValueError):
                    raise StoreError(f"{self.where}: the schema version {raw!r} in its meta table is not a number; "
                                     "the file is damaged — restore it from a backup") from None
                if version > latest:
                    raise StoreError(
                        f"{self.where} was written by a newer kamplan (schema version {version}); this kamplan "
                        f"{__version__} understands schema version {latest} at most. Upgrade kamplan "
                        "(pip install -U kamplan) to open it; the file was not changed.")
                if version < 1:
                    raise StoreError(f"{self.where}: schema version {version} is not valid; "
                                     "restore the file from a backup")
                if version < latest:
                    for step in range(version, latest):
                        s.MIGRATIONS[step - 1](conn)
                    conn.execute(s.meta.update().where(s.meta.c.key == "schema_version").values(value=str(latest)))
                    _insert_event(conn, "schema-migrated", {"from": version, "to": latest,
                                                            "by": f"kamplan {__version__}"})
        except sa.exc.DatabaseError as exc:
            raise StoreError(f"cannot open {self.where} as a kamplan plan database: {exc.orig}; "
                             "is it a kamplan .db file, and not open in another program?") from None

    # -- transactions -------------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        self._check_open()
        try:
            with self._writer.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            text = str(exc.orig).lower()
            if "locked" in text or "busy" in text:
                raise StoreError(f"{self.where} is busy: another kamplan command is writing to it; "
                                 "wait for it to finish and run this again (nothing was written)") from None
            raise

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        self._check_open()
        with self._engine.connect() as conn:  # one transaction: a consistent snapshot, rolled back at the end
            yield conn

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the store {self.where} is closed; open it again with Store.open")

    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute(sa.select(s.meta.c.value).where(s.meta.c.key == "schema_version")).scalar())

    # -- master data --------------------------------------------------------------------------------
    def sync_master_data(self, config) -> dict[str, dict[str, int]]:
        """Make regions, staff, products and accounts match ``config`` (a PlanConfig).

        New ids are added, changed ones updated, ids missing from the config are marked
        inactive (never deleted); each of these changes is logged in ``master_changes``
        with the plan year.  Returns the counts per entity and change; a second call with
        the same config changes nothing and returns zeros.
        """
        wanted: dict[str, dict[str, dict[str, Any]]] = {
            "regions": {r.id: {"name_en": r.name.en, "name_zh": r.name.zh} for r in config.regions},
            "staff": {p.id: {"name_en": p.name.en, "name_zh": p.name.zh, "region_id": p.region, "email": p.email}
                      for p in config.staff},
            "products": {p.id: {"name_en": p.name.en, "name_zh": p.name.zh, "unit": p.unit,
                                "list_price": float(p.list_price), "standard_margin": float(p.standard_margin)}
                         for p in config.products},
            "accounts": {a.id: {"name_en": a.name.en, "name_zh": a.name.zh, "region_id": a.region,
                                "rep_id": a.rep, "cls": a.cls, "city": a.city} for a in config.accounts},
        }
        now = _now()
        summary: dict[str, dict[str, int]] = {}
        with self._write() as conn:
            for entity, table in s.MASTER_TABLES.items():  # foreign-key order
                counts = dict.fromkeys(("added", "changed", "reactivated", "inactivated"), 0)
                have = {row.id: row._asdict() for row in conn.execute(sa.select(table))}
                added, log = [], []
                for key, values in wanted[entity].items():
                    new = {**values, "active": True}
                    old = have.get(key)
                    if old is None:
                        change = "added"
                        added.append({"id": key, **new, "updated_at": now})
                    elif any(old[c] != v for c, v in new.items()):
                        change = "changed" if old["active"] else "reactivated"
                        conn.execute(table.update().where(table.c.id == key).values(**new, updated_at=now))
                    else:
                        continue
                    counts[change] += 1
                    log.append(_change_row(entity, key, config.plan_year, now, change, {"id": key, **new}))
                for key, old in have.items():
                    if key not in wanted[entity] and old["active"]:
                        conn.execute(table.update().where(table.c.id == key).values(active=False, updated_at=now))
                        counts["inactivated"] += 1
                        data = {c: old[c] for c in old if c != "updated_at"} | {"active": False}
                        log.append(_change_row(entity, key, config.plan_year, now, "inactivated", data))
                if added:
                    _insert(conn, table, added)
                if log:
                    _insert(conn, s.master_changes, log)
                summary[entity] = counts
        return summary

    def master(self, entity: str, include_inactive: bool = False) -> pd.DataFrame:
        """The stored ``regions``, ``staff``, ``products`` or ``accounts``, sorted by id."""
        table = s.MASTER_TABLES.get(entity)
        if table is None:
            raise StoreError(f"no master data called {entity!r}; choose one of {list(s.MASTER_TABLES)}")
        stmt = sa.select(table).order_by(table.c.id)
        if not include_inactive:
            stmt = stmt.where(table.c.active.is_(True))
        kinds = {c.name: _kind_of(c) for c in table.columns}
        with self._read() as conn:
            return _frame(conn.execute(stmt), kinds)

    def master_changes(self, entity: str | None = None) -> pd.DataFrame:
        """Every change ``sync_master_data`` made, oldest first; ``data`` is the row after the change."""
        t = s.master_changes
        stmt = sa.select(t).order_by(t.c.id)
        if entity is not None:
            stmt = stmt.where(t.c.entity == entity)
        with self._read() as conn:
            frame = _frame(conn.execute(stmt), {c.name: _kind_of(c) for c in t.columns})
        frame["data"] = series([json.loads(v) for v in frame["data"]], "json")
        return frame

    # -- history ------------------------------------------------------------------------------------
    def replace_history(self, frame: pd.DataFrame, source: str) -> int:
        """Make ``frame`` (HISTORY_COLUMNS) the history of every (year, quarter) it contains.

        Other quarters keep what they had.  Earlier rows of the replaced quarters stay in
        the file under their own import; ``history_imports()`` lists every import.
        Returns the number of rows stored.
        """
        try:
            rows = to_rows(frame, s.HISTORY, f"history from {source}")
        except FrameError as exc:
            raise StoreError(str(exc)) from None
        with self._write() as conn:
            _store_history(conn, rows, source)
        return len(rows)

    def history(self, years: list[int] | None = None) -> pd.DataFrame:
        """The current history (HISTORY_COLUMNS) sorted by year, quarter, account, product."""
        h, p = s.history_rows, s.history_periods
        stmt = (sa.select(*[h.c[c] for c in s.HISTORY.columns])
                .join(p, (p.c.year == h.c.year) & (p.c.quarter == h.c.quarter) & (p.c.import_id == h.c.import_id))
                .order_by(h.c.year, h.c.quarter, h.c.account_id, h.c.product_id.nulls_last(), h.c.line_no))
        if years is not None:
            stmt = stmt.where(h.c.year.in_([_whole(y, "year") for y in years]))
        with self._read() as conn:
            return to_frame(conn.execute(stmt).mappings(), s.HISTORY)

    def history_totals(self, year: int) -> pd.DataFrame:
        """One year's current history summed per account x product (year, account_id, product_id, volume,
        revenue), computed by the database: what issue and collect need of last year, without loading
        every quarter line."""
        h, p = s.history_rows, s.history_periods
        stmt = (sa.select(h.c.year, h.c.account_id, h.c.product_id, sa.func.sum(h.c.volume).label("volume"),
                          sa.func.sum(h.c.revenue).label("revenue"))
                .join(p, (p.c.year == h.c.year) & (p.c.quarter == h.c.quarter) & (p.c.import_id == h.c.import_id))
                .where(h.c.year == _whole(year, "year"))
                .group_by(h.c.year, h.c.account_id, h.c.product_id)
                .order_by(h.c.account_id, h.c.product_id))
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        frame = pd.DataFrame(rows, columns=["year", "account_id", "product_id", "volume", "revenue"])
        return frame.astype({"year": "int64", "volume": "float64", "revenue": "float64"})

    def history_imports(self) -> pd.DataFrame:
        """Every history import, oldest first: id, source, imported_at, n_rows, totals, periods."""
        t = s.history_imports
        with self._read() as conn:
            frame = _frame(conn.execute(sa.select(t).order_by(t.c.id)), {c.name: _kind_of(c) for c in t.columns})
        frame["periods"] = series([[tuple(x) for x in json.loads(v)] for v in frame["periods"]], "json")
        return frame

    # -- rounds -------------------------------------------------------------------------------------
    def open_round(self, year: int, round: int, kind: str, deadline: dt.date | None = None) -> None:
        """Open round ``round`` of ``year``; rounds open in order 1, 2, 3 ...

        Opening an open round again with the same kind and deadline does nothing; with a
        different kind or deadline it updates them and logs the old values as an event.
        """
        year, round = _whole(year, "year"), _whole(round, "round")
        if round < 1:
            raise StoreError(f"round {round!r} is not valid; rounds are numbered 1, 2, 3 ...")
        if not kind:
            raise StoreError("a round needs a kind, e.g. 'bottom-up', 'top-down' or 'agreed'")
        if deadline is not None and (not isinstance(deadline, dt.date) or isinstance(deadline, dt.datetime)):
            raise StoreError(f"the deadline {deadline!r} is not a date")
        r = s.rounds
        with self._write() as conn:
            have = {row.round: row for row in conn.execute(sa.select(r).where(r.c.year == year))}
            old = have.get(round)
            if old is not None:
                if (old.kind, old.deadline) == (kind, deadline):
                    return
                conn.execute(r.update().where((r.c.year == year) & (r.c.round == round))
                             .values(kind=kind, deadline=deadline))
                _insert_event(conn, "round-changed", {
                    "year": year, "round": round, "old": {"kind": old.kind, "deadline": old.deadline},
                    "new": {"kind": kind, "deadline": deadline}})
                return
            last = max(have, default=0)
            if round != last + 1:
                raise StoreError(f"cannot open round {round} of {year}: "
                                 + (f"the last round opened is {last}; open round {last + 1} next" if last
                                    else "no round is open yet; open round 1 first"))
            conn.execute(r.insert().values(year=year, round=round, kind=kind, deadline=deadline, opened_at=_now()))

    def current_round(self, year: int) -> int | None:
        year = _whole(year, "year")
        with self._read() as conn:
            return conn.execute(sa.select(sa.func.max(s.rounds.c.round)).where(s.rounds.c.year == year)).scalar()

    def rounds(self, year: int) -> pd.DataFrame:
        """year, round, kind, deadline (date or None), opened_at."""
        year = _whole(year, "year")
        r = s.rounds
        with self._read() as conn:
            return _frame(conn.execute(sa.select(r).where(r.c.year == year).order_by(r.c.round)),
                          {c.name: _kind_of(c) for c in r.columns})

    # -- issued workbooks ---------------------------------------------------------------------------
    def record_issued(self, identity: WorkbookIdentity, file_name: str) -> None:
        """Remember a workbook this workspace generated; recording it again does nothing."""
        t = s.issued_workbooks
        fields = dataclasses.asdict(_plain_identity(identity))
        with self._write() as conn:
            old = conn.execute(sa.select(t).where(t.c.workbook_id == identity.workbook_id)).mappings().first()
            if old is not None:
                differ = [k for k, v in fields.items() if old[k] != v]
                if differ:
                    raise StoreError(f"workbook id {identity.workbook_id} was already issued as {old['file_name']} "
                                     f"with other {', '.join(differ)}; every issued workbook needs a new id")
                return
            conn.execute(t.insert().values(**fields, file_name=str(file_name), issued_at=_now()))

    def issued(self, workbook_id: str) -> dict | None:
        """The identity fields of an issued workbook plus file_name and issued_at, or None."""
        t = s.issued_workbooks
        with self._read() as conn:
            row = conn.execute(sa.select(t).where(t.c.workbook_id == workbook_id)).mappings().first()
        return None if row is None else dict(row)

    def issued_map(self, year: int | None = None) -> dict[str, dict]:
        """workbook_id -> the ``issued()`` record, for every workbook issued for ``year`` (or ever)."""
        t = s.issued_workbooks
        stmt = sa.select(t).order_by(t.c.issued_at)
        if year is not None:
            stmt = stmt.where(t.c.year == _whole(year, "year"))
        with self._read() as conn:
            return {row["workbook_id"]: dict(row) for row in conn.execute(stmt).mappings()}

    # -- submissions --------------------------------------------------------------------------------
    def record_submission(self, sub: Submission | PreparedSubmission, collected_at: dt.datetime) -> SubmissionRecord:
        """Store a checked submission with all its lines and warnings, in one transaction.

        The same file (content hash) again for the same rep, year and round writes nothing
        and returns the stored one with outcome "unchanged".  Otherwise the new submission
        becomes current and the previous current one (if any) is marked superseded by it.
        """
        ident = _plain_identity(sub.identity)
        if not isinstance(collected_at, dt.datetime):
            raise StoreError(f"collected_at must be a datetime, got {collected_at!r}")
        if not sub.content_hash:
            raise StoreError(f"{sub.file_name}: the submission has no content hash; hash the file bytes first")
        lines = (sub if isinstance(sub, PreparedSubmission) else prepare_submission(sub)).lines
        problem_rows = _problem_rows(sub.warnings)
        t, a = s.submissions, s.attempts
        key = (t.c.rep_id == ident.rep_id) & (t.c.year == ident.year) & (t.c.round == ident.round)
        with self._write() as conn:
            same = conn.execute(sa.select(t.c.id).where(key & (t.c.content_hash == sub.content_hash))).scalar()
            if same is not None:
                row = conn.execute(sa.select(a).where(a.c.id == same)).one()
                return SubmissionRecord(same, ident.rep_id, ident.year, ident.round, row.file_name,
                                        sub.content_hash, row.at, "unchanged")
            previous = conn.execute(sa.select(t.c.id).where(key & t.c.superseded_by.is_(None))).scalars().all()
            new_id = conn.execute(a.insert().values(
                outcome="stored", file_name=sub.file_name, content_hash=sub.content_hash, year=ident.year,
                round=ident.round, rep_id=ident.rep_id, at=collected_at)).inserted_primary_key[0]
            conn.execute(t.insert().values(
                id=new_id, rep_id=ident.rep_id, year=ident.year, round=ident.round, content_hash=sub.content_hash,
                workbook_id=ident.workbook_id, kind=ident.kind, schema_version=ident.schema_version,
                generated_at=ident.generated_at, layout_hash=ident.layout_hash))
            for name, (names, tuples) in lines.items():
                _insert_tuples(conn, s.LINE_TABLES[name], names, tuples, {"submission_id": new_id})
            _insert(conn, s.problems, problem_rows, {"attempt_id": new_id})
            if previous:
                conn.execute(t.update().where(t.c.id.in_(previous))
                             .values(superseded_by=new_id, superseded_at=collected_at))
        return SubmissionRecord(new_id, ident.rep_id, ident.year, ident.round, sub.file_name, sub.content_hash,
                                collected_at, "superseded-previous" if previous else "stored",
                                max(previous) if previous else None)

    def record_rejection(self, file_name: str, content_hash: str | None, year: int | None, round: int | None,
                         rep_id: str | None, problems: list[Problem], at: dt.datetime) -> bool:
        """Keep a file that was refused, with its problems.  Returns False (and writes nothing)
        when the same file was already recorded for the same rep, year and round — rejected
        or stored — so collecting a folder twice changes nothing."""
        a = s.attempts
        year, round = _whole(year, "year", missing_ok=True), _whole(round, "round", missing_ok=True)
        same = (a.c.year.is_not_distinct_from(year) & a.c.round.is_not_distinct_from(round)
                & a.c.rep_id.is_not_distinct_from(rep_id))
        if content_hash is not None:
            same &= a.c.content_hash == content_hash
        else:  # the file could not even be hashed: the same name counts as the same file
            same &= a.c.content_hash.is_(None) & (a.c.file_name == file_name)
        if not isinstance(at, dt.datetime):
            raise StoreError(f"at must be a datetime, got {at!r}")
        rows = _problem_rows(problems)
        with self._write() as conn:
            if conn.execute(sa.select(a.c.id).where(same).limit(1)).first() is not None:
                return False
            attempt_id = conn.execute(a.insert().values(
                outcome="rejected", file_name=str(file_name), content_hash=content_hash, year=year, round=round,
                rep_id=rep_id, at=at)).inserted_primary_key[0]
            if rows:
                _insert(conn, s.problems, [{**r, "attempt_id": attempt_id} for r in rows])
        return True

    def current_submission(self, rep_id: str, year: int, round: int) -> Submission | None:
        year, round = _whole(year, "year"), _whole(round, "round")
        t = s.submissions
        with self._read() as conn:
            sub_id = conn.execute(sa.select(t.c.id).where(
                (t.c.rep_id == rep_id) & (t.c.year == year) & (t.c.round == round)
                & t.c.superseded_by.is_(None))).scalar()
            return None if sub_id is None else _load_submission(conn, sub_id)

    def submission(self, submission_id: int) -> Submission | None:
        """Any stored submission by id, current or superseded."""
        with self._read() as conn:
            return _load_submission(conn, submission_id)

    def submissions(self, year: int, round: int | None = None, include_superseded: bool = False) -> pd.DataFrame:
        """One row per stored submission, by round, rep and id."""
        year, round = _whole(year, "year"), _whole(round, "round", missing_ok=True)
        t, a, p = s.submissions, s.attempts, s.problems
        n_warn = (sa.select(p.c.attempt_id, sa.func.count().label("n")).group_by(p.c.attempt_id).subquery())
        stmt = (sa.select(t.c.id, t.c.rep_id, t.c.year, t.c.round, a.c.file_name, t.c.content_hash,
                          t.c.generated_at, a.c.at.label("collected_at"), t.c.workbook_id,
                          t.c.superseded_by, sa.func.coalesce(n_warn.c.n, 0).label("n_warnings"))
                .join(a, a.c.id == t.c.id).outerjoin(n_warn, n_warn.c.attempt_id == t.c.id)
                .where(t.c.year == year).order_by(t.c.round, t.c.rep_id, t.c.id))
        if round is not None:
            stmt = stmt.where(t.c.round == round)
        if not include_superseded:
            stmt = stmt.where(t.c.superseded_by.is_(None))
        with self._read() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
        for r in rows:
            r["status"] = "current" if r["superseded_by"] is None else "superseded"
        kinds = {"id": "int", "rep_id": "str", "year": "int", "round": "int", "file_name": "str",
                 "content_hash": "str", "generated_at": "datetime", "collected_at": "datetime",
                 "workbook_id": "str", "status": "str", "superseded_by": "Int64", "n_warnings": "int"}
        return _frame_from_dicts(rows, kinds)

    def rejections(self, year: int | None = None, round: int | None = None) -> pd.DataFrame:
        """Every rejected file (also those whose year, round or rep could not be read), oldest first,
        with ``problems`` as a list of Problem."""
        year, round = _whole(year, "year", missing_ok=True), _whole(round, "round", missing_ok=True)
        a = s.attempts
        stmt = sa.select(a.c.id, a.c.file_name, a.c.content_hash, a.c.year, a.c.round, a.c.rep_id, a.c.at) \
            .where(a.c.outcome == "rejected").order_by(a.c.id)
        if year is not None:
            stmt = stmt.where(a.c.year == year)
        if round is not None:
            stmt = stmt.where(a.c.round == round)
        with self._read() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
            found = _problems_of(conn, [r["id"] for r in rows])
        for r in rows:
            r["problems"] = found.get(r["id"], [])
        kinds = {"id": "int", "file_name": "str", "content_hash": "str", "year": "Int64", "round": "Int64",
                 "rep_id": "str", "at": "datetime", "problems": "json"}
        return _frame_from_dicts(rows, kinds)

    def status(self, year: int, round: int, rep_ids: list[str]) -> pd.DataFrame:
        """Per rep (in the order given): state "submitted", "missing" or "rejected".

        "rejected" means the rep's newest file for this round was refused; ``last_good_file``
        then names the submission still in force (or None).  ``file_name`` and ``at`` are the
        current submission's (submitted) or the refused file's (rejected); ``reasons`` quotes
        the first problems of a refused file.
        """
        year, round, rep_ids = _whole(year, "year"), _whole(round, "round"), [str(r) for r in rep_ids]
        a, t = s.attempts, s.submissions
        with self._read() as conn:
            latest: dict[str, Any] = {}
            for row in conn.execute(sa.select(a).where((a.c.year == year) & (a.c.round == round)
                                                       & a.c.rep_id.in_(list(rep_ids))).order_by(a.c.id)):
                latest[row.rep_id] = row
            current = {row.rep_id: row for row in conn.execute(
                sa.select(t.c.id, t.c.rep_id, a.c.file_name, a.c.at).join(a, a.c.id == t.c.id)
                .where((t.c.year == year) & (t.c.round == round) & t.c.superseded_by.is_(None)))}
            rejected = [r.id for r in latest.values() if r.outcome == "rejected"]
            found = _problems_of(conn, rejected)
        out = []
        for rep in rep_ids:
            last, good = latest.get(rep), current.get(rep)
            row = {"rep_id": rep, "state": "missing", "file_name": None, "at": None, "reasons": None,
                   "last_good_file": good.file_name if good else None, "submission_id": good.id if good else None}
            if last is not None and last.outcome == "rejected":
                row.update(state="rejected", file_name=last.file_name, at=last.at,
                           reasons=_reasons(found.get(last.id, [])))
            elif good is not None:
                row.update(state="submitted", file_name=good.file_name, at=good.at)
            out.append(row)
        kinds = {"rep_id": "str", "state": "str", "file_name": "str", "at": "datetime", "reasons": "str",
                 "last_good_file": "str", "submission_id": "Int64"}
        return _frame_from_dicts(out, kinds)

    def lines_frame(self, year: int, round: int, what: str) -> pd.DataFrame:
        """The ``what`` lines (targets, visits, trainings, services, requests) of every current
        submission of the round, with ``rep_id`` first; by rep, then line order."""
        spec = s.SUBMISSION_LINES.get(what)
        if spec is None:
            raise StoreError(f"no submission lines called {what!r}; choose one of {list(s.SUBMISSION_LINES)}")
        year, round = _whole(year, "year"), _whole(round, "round")
        line, t = s.LINE_TABLES[what], s.submissions
        stmt = (sa.select(t.c.rep_id, *[line.c[c] for c in spec.columns])
                .join(t, t.c.id == line.c.submission_id)
                .where((t.c.year == year) & (t.c.round == round) & t.c.superseded_by.is_(None))
                .order_by(t.c.rep_id, t.c.id, line.c.line_no))
        with self._read() as conn:
            return to_frame(conn.execute(stmt).mappings(), spec, leading={"rep_id": "str"})

    def targets_frame(self, year: int, round: int) -> pd.DataFrame:
        """rep_id + TARGET_COLUMNS of every current submission of the round, for consolidation."""
        return self.lines_frame(year, round, "targets")

    # -- account segmentation ---------------------------------------------------------------------
    # Classification runs, the VP's class overrides and judgement scores (kamplan accounts ...).
    # Overrides and judgements are only ever added: the newest row is in force, older ones stay.
    _CLASS_IDS = ("key", "develop", "watch", "drop")

    def record_classification(self, plan_year: int, basis: str, period: tuple[str, str], measure: str,
                              rules: Mapping[str, Any], summary: Mapping[str, Any], rows: pd.DataFrame,
                              at: dt.datetime | None = None) -> int:
        """Keep one classification run and its rows; returns the run id.

        ``rows``: one per account with account_id, cls, rule, reason, rule_values (dict), rank,
        measure, share, cum_share, profit, growth, score_hard, score_strength, score_capability,
        score, flags (list of codes).  Empty numbers (NaN) are stored as NULL.
        """
        plan_year = _whole(plan_year, "plan_year")
        bad = sorted({c for c in rows["cls"] if c not in self._CLASS_IDS}) if len(rows) else []
        if bad:
            raise StoreError(f"classes {bad} are not classes; a classification row needs one of {self._CLASS_IDS}")
        if len(rows) and rows["account_id"].duplicated().any():
            dup = rows.loc[rows["account_id"].duplicated(), "account_id"].iloc[0]
            raise StoreError(f"account {dup!r} appears twice in the classification")
        nullable = ("share", "cum_share", "growth", "score_hard", "score_strength", "score_capability", "score")
        records = []
        for r in rows.to_dict("records"):
            rec = {"account_id": str(r["account_id"]), "cls": r["cls"], "rule": str(r.get("rule") or ""),
                   "reason": str(r.get("reason") or ""),
                   "rule_values": _json(r.get("rule_values") or {}), "rank": _whole(int(r["rank"]), "rank"),
                   "measure": float(r["measure"]), "profit": float(r["profit"]),
                   "flags": _json(list(r.get("flags") or []))}
            for c in nullable:
                v = r.get(c)
                rec[c] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
            records.append(rec)
        with self._write() as conn:
            run_id = conn.execute(s.classification_runs.insert().values(
                plan_year=plan_year, basis=str(basis), period_start=period[0], period_end=period[1],
                measure=str(measure), created_at=at or _now(), rules=_json(rules),
                summary=_json(summary))).inserted_primary_key[0]
            if records:
                _insert(conn, s.classifications, [{**r, "run_id": run_id} for r in records])
            _insert_event(conn, "accounts.segment", {"run_id": run_id, "plan_year": plan_year,
                                                     "period": list(period), "accounts": len(records)})
        return run_id

    def classification_runs(self, plan_year: int | None = None) -> pd.DataFrame:
        """id, plan_year, basis, period_start, period_end, measure, created_at, rules, summary (dicts); oldest first."""
        t = s.classification_runs
        stmt = sa.select(t).order_by(t.c.id)
        if plan_year is not None:
            stmt = stmt.where(t.c.plan_year == _whole(plan_year, "plan_year"))
        with self._read() as conn:
            frame = _frame(conn.execute(stmt), {c.name: _kind_of(c) for c in t.columns})
        for c in ("rules", "summary"):
            frame[c] = series([json.loads(v) for v in frame[c]], "json")
        return frame

    def classification(self, plan_year: int, run_id: int | None = None) -> tuple[dict | None, pd.DataFrame]:
        """The newest classification run for ``plan_year`` (or run ``run_id``): (run, rows by rank).

        Returns (None, empty frame) when there is none.  ``rule_values`` and ``flags`` come back parsed.
        """
        t, c = s.classification_runs, s.classifications
        stmt = sa.select(t).where(t.c.plan_year == _whole(plan_year, "plan_year"))
        stmt = stmt.where(t.c.id == _whole(run_id, "run_id")) if run_id is not None else \
            stmt.order_by(t.c.id.desc()).limit(1)
        kinds = {col.name: _kind_of(col) for col in c.columns}
        with self._read() as conn:
            run = conn.execute(stmt).mappings().first()
            if run is None:
                return None, _frame_from_dicts([], kinds)
            rows = _frame(conn.execute(sa.select(c).where(c.c.run_id == run["id"]).order_by(c.c.rank)), kinds)
        run = dict(run)
        run["rules"], run["summary"] = json.loads(run["rules"]), json.loads(run["summary"])
        for col in ("rule_values", "flags"):
            rows[col] = series([json.loads(v) for v in rows[col]], "json")
        return run, rows

    def record_review(self, plan_year: int, overrides: list[Mapping[str, Any]] = (),
                      judgements: list[Mapping[str, Any]] = ()) -> tuple[int, int]:
        """Add class overrides and judgement scores in one transaction; returns how many of each.

        Override: account_id, cls (a class, or None to lift the override), reason, by, at, source.
        Judgement: account_id, indicator, score, judge, at, source.
        """
        plan_year = _whole(plan_year, "plan_year")
        o_rows, j_rows = [], []
        for o in overrides:
            cls = o.get("cls")
            if cls is not None and cls not in self._CLASS_IDS:
                raise StoreError(f"override for {o.get('account_id')!r}: {cls!r} is not a class; "
                                 f"use one of {self._CLASS_IDS} (or None to lift the override)")
            if cls is not None and not str(o.get("reason") or "").strip():
                raise StoreError(f"override for {o.get('account_id')!r} has no reason; every override needs one")
            if not isinstance(o.get("at"), dt.datetime):
                raise StoreError(f"override for {o.get('account_id')!r}: at must be a datetime, got {o.get('at')!r}")
            o_rows.append({"plan_year": plan_year, "account_id": str(o["account_id"]), "cls": cls,
                           "reason": str(o.get("reason") or ""), "by": str(o.get("by") or ""), "at": o["at"],
                           "source": str(o.get("source") or "")})
        for j in judgements:
            try:
                score = float(j["score"])
            except (TypeError, ValueError):
                raise StoreError(f"judgement {j.get('account_id')}/{j.get('indicator')}: "
                                 f"{j.get('score')!r} is not a number") from None
            if not math.isfinite(score):
                raise StoreError(f"judgement {j.get('account_id')}/{j.get('indicator')}: the score must be finite")
            if not isinstance(j.get("at"), dt.datetime):
                raise StoreError(f"judgement {j.get('account_id')}: at must be a datetime, got {j.get('at')!r}")
            j_rows.append({"plan_year": plan_year, "account_id": str(j["account_id"]),
                           "indicator": str(j["indicator"]), "score": score, "judge": str(j.get("judge") or ""),
                           "at": j["at"], "source": str(j.get("source") or "")})
        with self._write() as conn:
            if o_rows:
                _insert(conn, s.class_overrides, o_rows)
            if j_rows:
                _insert(conn, s.judgements, j_rows)
            if o_rows or j_rows:
                _insert_event(conn, "accounts.review", {"plan_year": plan_year, "overrides": len(o_rows),
                                                        "judgements": len(j_rows)})
        return len(o_rows), len(j_rows)

    def overrides(self, plan_year: int, include_history: bool = False) -> pd.DataFrame:
        """The VP's class overrides for ``plan_year``: id, account_id, cls, reason, by, at, source.

        By default only those in force (the newest per account, unless it lifted the override);
        ``include_history`` gives every row, oldest first.
        """
        plan_year = _whole(plan_year, "plan_year")
        t = s.class_overrides
        kinds = {c.name: _kind_of(c) for c in t.columns if c.name != "plan_year"}
        stmt = sa.select(*[t.c[c] for c in kinds]).where(t.c.plan_year == plan_year).order_by(t.c.id)
        with self._read() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
        if not include_history:
            newest: dict[str, dict] = {}
            for r in rows:
                newest[r["account_id"]] = r
            rows = sorted((r for r in newest.values() if r["cls"] is not None), key=lambda r: r["account_id"])
        return _frame_from_dicts(rows, kinds)

    def judgements(self, plan_year: int, include_history: bool = False) -> pd.DataFrame:
        """Judgement scores in force for ``plan_year``: id, plan_year, account_id, indicator, score, judge,
        at, source -- the newest per account and indicator made for ``plan_year`` or an earlier year
        (a judgement carries over until it is judged again).  ``include_history``: every row of
        ``plan_year``, oldest first."""
        plan_year = _whole(plan_year, "plan_year")
        t = s.judgements
        kinds = {c.name: _kind_of(c) for c in t.columns}
        if include_history:
            stmt = sa.select(t).where(t.c.plan_year == plan_year).order_by(t.c.id)
        else:
            stmt = sa.select(t).where(t.c.plan_year <= plan_year).order_by(t.c.plan_year, t.c.id)
        with self._read() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
        if not include_history:
            newest: dict[tuple[str, str], dict] = {}
            for r in rows:
                newest[(r["account_id"], r["indicator"])] = r
            rows = sorted(newest.values(), key=lambda r: (r["account_id"], r["indicator"]))
        return _frame_from_dicts(rows, kinds)

    # -- actuals and the activity log (issue 6) -----------------------------------------------------
    def replace_actuals(self, frame: pd.DataFrame, source: str, report: Mapping[str, Any]) -> tuple[int, int]:
        """Store actuals summed to HISTORY_COLUMNS as a history import (its quarters replace earlier
        imports of them, which stay in the file) together with its ``actuals_imports`` record, in one
        transaction.  Later stages read them with ``history(years=[y])``.

        ``report`` holds the counts and totals of the import: n_files, lines_in, lines_matched,
        lines_unmatched, volume_in, revenue_in, volume_unmatched, revenue_unmatched and ``detail``
        (anything JSON can hold: per-file figures, unmatched values).  Stored totals are computed here.
        Returns (actuals import id, history rows stored).
        """
        try:
            rows = to_rows(frame, s.HISTORY, f"actuals from {source}")
        except FrameError as exc:
            raise StoreError(str(exc)) from None
        need = ("n_files", "lines_in", "lines_matched", "lines_unmatched", "volume_in", "revenue_in",
                "volume_unmatched", "revenue_unmatched")
        missing = [k for k in need if k not in report]
        if missing:
            raise StoreError(f"the actuals report lacks {missing}; it needs {list(need)}")
        periods = sorted({(r["year"], r["quarter"]) for r in rows})
        with self._write() as conn:
            history_id = _store_history(conn, rows, source)
            actuals_id = conn.execute(s.actuals_imports.insert().values(
                history_import_id=history_id, source=str(source), imported_at=_now(),
                **{k: (_whole(report[k], k) if k.startswith(("n_", "lines_")) else float(report[k])) for k in need},
                volume_stored=math.fsum(r["volume"] for r in rows if r["volume"] is not None),
                revenue_stored=math.fsum(r["revenue"] for r in rows if r["revenue"] is not None),
                rows_stored=len(rows), periods=json.dumps(periods),
                detail=_json(report.get("detail", {})))).inserted_primary_key[0]
            _insert_event(conn, "actuals.import", {"actuals_import": actuals_id, "history_import": history_id,
                                                   "source": str(source), "rows": len(rows), "periods": periods})
        return actuals_id, len(rows)

    def actuals_imports(self) -> pd.DataFrame:
        """Every actuals import, oldest first: the columns of ``actuals_imports``; periods as a list of
        (year, quarter), detail as a dict."""
        t = s.actuals_imports
        with self._read() as conn:
            frame = _frame(conn.execute(sa.select(t).order_by(t.c.id)), {c.name: _kind_of(c) for c in t.columns})
        frame["periods"] = series([[tuple(x) for x in json.loads(v)] for v in frame["periods"]], "json")
        frame["detail"] = series([json.loads(v) for v in frame["detail"]], "json")
        return frame

    def replace_activities(self, frame: pd.DataFrame, source: str, first_month: int = 1) -> int:
        """Make ``frame`` (ACTIVITY_COLUMNS) the activity log of every fiscal quarter it covers.

        The fiscal year and quarter of each row come from its date and ``first_month`` (the
        config's ``calendar.first_month``) unless the frame already has ``year`` and ``quarter``
        columns.  Other quarters keep what they had; earlier rows of the replaced quarters stay
        in the file under their own import.  Returns the number of rows stored.
        """
        from kamplan.periods import fiscal_year_quarter
        from kamplan.model import ACTIVITY_COLUMNS
        if not isinstance(frame, pd.DataFrame):
            raise StoreError(f"activities from {source}: expected a pandas DataFrame, got {type(frame).__name__}")
        frame = frame.copy()
        if "year" not in frame.columns or "quarter" not in frame.columns:
            missing = [c for c in ACTIVITY_COLUMNS if c not in frame.columns]
            if missing:
                raise StoreError(f"activities from {source} lack columns {missing}; "
                                 f"the columns must be {ACTIVITY_COLUMNS}")
            try:
                frame["year"], frame["quarter"] = fiscal_year_quarter(frame["date"], first_month)
            except (ValueError, TypeError) as exc:
                raise StoreError(f"activities from {source}: {exc}") from None
        try:
            names, tuples = to_tuples(frame, s.ACTIVITIES, f"activities from {source}")
        except FrameError as exc:
            raise StoreError(str(exc)) from None
        yi, qi = names.index("year"), names.index("quarter")
        periods = sorted({(t[yi], t[qi]) for t in tuples})
        with self._write() as conn:
            import_id = conn.execute(s.activity_imports.insert().values(
                source=str(source), imported_at=_now(), n_rows=len(tuples),
                periods=json.dumps(periods))).inserted_primary_key[0]
            _insert_tuples(conn, s.activity_rows, names, tuples, {"import_id": import_id})
            _point_periods(conn, s.activity_periods, periods, import_id)
        return len(tuples)

    def activities(self, years: list[int] | None = None) -> pd.DataFrame:
        """The current activity log (ACTIVITY_COLUMNS + year, quarter), sorted by date, account and
        import order; ``years`` are fiscal years."""
        a, p = s.activity_rows, s.activity_periods
        stmt = (sa.select(*[a.c[c] for c in s.ACTIVITIES.columns])
                .join(p, (p.c.year == a.c.year) & (p.c.quarter == a.c.quarter) & (p.c.import_id == a.c.import_id))
                .order_by(a.c.date, a.c.account_id, a.c.import_id, a.c.line_no))
        if years is not None:
            stmt = stmt.where(a.c.year.in_([_whole(y, "year") for y in years]))
        with self._read() as conn:
            return to_frame(conn.execute(stmt).mappings(), s.ACTIVITIES)

    def activity_imports(self) -> pd.DataFrame:
        """Every activity-log import, oldest first: id, source, imported_at, n_rows, periods."""
        t = s.activity_imports
        with self._read() as conn:
            frame = _frame(conn.execute(sa.select(t).order_by(t.c.id)), {c.name: _kind_of(c) for c in t.columns})
        frame["periods"] = series([[tuple(x) for x in json.loads(v)] for v in frame["periods"]], "json")
        return frame

    # -- audit log ----------------------------------------------------------------------------------
    # -- plan versions (issue 4) ------------------------------------------------------------------
    # Bottom-up consolidations, top-down adjustments and undos are versions with all their lines; the
    # newest version of a year is current.  Agreement locks a version; reopening lifts the lock.
    def record_plan_version(self, year: int, kind: str, lines: pd.DataFrame, by: str, description: str,
                            round: int | None = None, parent_id: int | None = None,
                            instruction: Mapping[str, Any] | None = None,
                            summary: Mapping[str, Any] | None = None) -> int:
        """Store a new version of ``year``'s plan (``lines``: PLAN_LINE_COLUMNS) and return its id."""
        year = _whole(year, "year")
        if kind not in ("bottom-up", "top-down", "undo"):
            raise StoreError(f"a plan version is bottom-up, top-down or undo, not {kind!r}")
        try:
            names, tuples = to_tuples(lines[s.PLAN_LINES.columns], s.PLAN_LINES, f"plan version of {year}")
        except KeyError as exc:
            raise StoreError(f"plan lines lack the column(s) {exc}; give {s.PLAN_LINES.columns}") from None
        except FrameError as exc:
            raise StoreError(str(exc)) from None
        with self._write() as conn:
            agreed = self._agreement(conn, year)
            if agreed is not None:
                raise StoreError(f"the {year} plan is agreed (version {agreed['version_id']}, "
                                 f"{agreed['at']:%Y-%m-%d} by {agreed['by']}): it cannot change; "
                                 "reopen it first (kamplan targets reopen --reason ...)")
            vid = conn.execute(s.plan_versions.insert().values(
                year=year, kind=kind, round=_whole(round, "round", missing_ok=True),
                parent_id=_whole(parent_id, "parent_id", missing_ok=True), created_at=_now(), by=str(by),
                description=str(description), instruction=None if instruction is None else _json(instruction),
                summary=_json(dict(summary or {})))).inserted_primary_key[0]
            _insert_tuples(conn, s.plan_lines, names, tuples, extra={"version_id": vid})
            _insert_event(conn, "plan.version", {"year": year, "version": vid, "kind": kind, "by": by,
                                                 "description": description})
        return vid

    def plan_versions(self, year: int) -> pd.DataFrame:
        """Every version of ``year``, oldest first, with its volume and revenue totals."""
        v, ln = s.plan_versions, s.plan_lines
        totals = (sa.select(ln.c.version_id, sa.func.sum(ln.c.volume).label("volume"),
                            sa.func.sum(ln.c.revenue).label("revenue"), sa.func.count().label("n_lines"))
                  .group_by(ln.c.version_id).subquery())
        stmt = (sa.select(v.c.id, v.c.kind, v.c.round, v.c.parent_id, v.c.created_at, v.c.by, v.c.description,
                          v.c.instruction, v.c.summary, totals.c.volume, totals.c.revenue, totals.c.n_lines)
                .outerjoin(totals, totals.c.version_id == v.c.id)
                .where(v.c.year == _whole(year, "year")).order_by(v.c.id))
        with self._read() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
        for r in rows:
            r["instruction"] = None if r["instruction"] is None else json.loads(r["instruction"])
            r["summary"] = json.loads(r["summary"])
            r["volume"], r["revenue"] = r["volume"] or 0.0, r["revenue"] or 0.0
            r["n_lines"] = r["n_lines"] or 0
        kinds = {"id": "int", "kind": "str", "round": "Int64", "parent_id": "Int64", "created_at": "datetime",
                 "by": "str", "description": "str", "instruction": "json", "summary": "json",
                 "volume": "float", "revenue": "float", "n_lines": "int"}
        return _frame_from_dicts(rows, kinds)

    def plan_version(self, version_id: int) -> tuple[dict, pd.DataFrame]:
        """A version's record and its lines (PLAN_LINE_COLUMNS, in stored order)."""
        vid = _whole(version_id, "version")
        v, ln = s.plan_versions, s.plan_lines
        with self._read() as conn:
            row = conn.execute(sa.select(v).where(v.c.id == vid)).first()
            if row is None:
                raise StoreError(f"there is no plan version {vid}; kamplan targets versions lists them")
            lines = conn.execute(sa.select(*[ln.c[c] for c in s.PLAN_LINES.columns])
                                 .where(ln.c.version_id == vid).order_by(ln.c.line_no)).mappings()
            frame = to_frame(lines, s.PLAN_LINES)
        info = row._asdict()
        info["instruction"] = None if info["instruction"] is None else json.loads(info["instruction"])
        info["summary"] = json.loads(info["summary"])
        return info, frame

    def current_plan_version(self, year: int) -> int | None:
        v = s.plan_versions
        with self._read() as conn:
            return conn.execute(sa.select(sa.func.max(v.c.id)).where(v.c.year == _whole(year, "year"))).scalar()

    def agree_plan(self, year: int, version_id: int, by: str, note: str = "") -> None:
        """Lock ``version_id`` (the current version of ``year``) as the agreed plan."""
        year, vid = _whole(year, "year"), _whole(version_id, "version")
        with self._write() as conn:
            current = conn.execute(sa.select(sa.func.max(s.plan_versions.c.id))
                                   .where(s.plan_versions.c.year == year)).scalar()
            if current is None:
                raise StoreError(f"there is no plan for {year} yet: collect and consolidate first")
            if vid != current:
                raise StoreError(f"version {vid} is not the current {year} plan (version {current} is): "
                                 f"agree the current version, or undo to version {vid} first")
            agreed = self._agreement(conn, year)
            if agreed is not None:
                raise StoreError(f"the {year} plan is already agreed (version {agreed['version_id']})")
            conn.execute(s.plan_agreements.insert().values(year=year, action="agreed", version_id=vid, at=_now(),
                                                           by=str(by), note=str(note)))
            _insert_event(conn, "plan.agreed", {"year": year, "version": vid, "by": by, "note": note})

    def reopen_plan(self, year: int, by: str, note: str) -> int:
        """Lift the agreement of ``year`` (the reason is kept); returns the version that was agreed."""
        year = _whole(year, "year")
        if not str(note).strip():
            raise StoreError("say why the agreed plan is reopened (--reason); it is kept with the plan")
        with self._write() as conn:
            agreed = self._agreement(conn, year)
            if agreed is None:
                raise StoreError(f"the {year} plan is not agreed; nothing to reopen")
            conn.execute(s.plan_agreements.insert().values(year=year, action="reopened",
                                                           version_id=agreed["version_id"], at=_now(),
                                                           by=str(by), note=str(note)))
            _insert_event(conn, "plan.reopened", {"year": year, "version": agreed["version_id"], "by": by,
                                                  "note": note})
        return agreed["version_id"]

    def agreement(self, year: int) -> dict | None:
        """The agreement in force for ``year`` (version_id, at, by, note) or None."""
        with self._read() as conn:
            return self._agreement(conn, _whole(year, "year"))

    def agreements(self, year: int) -> pd.DataFrame:
        a = s.plan_agreements
        with self._read() as conn:
            return _frame(conn.execute(sa.select(a).where(a.c.year == _whole(year, "year")).order_by(a.c.id)),
                          {c.name: _kind_of(c) for c in a.columns})

    @staticmethod
    def _agreement(conn: sa.Connection, year: int) -> dict | None:
        a = s.plan_agreements
        row = conn.execute(sa.select(a).where(a.c.year == year).order_by(a.c.id.desc()).limit(1)).first()
        return row._asdict() if row is not None and row.action == "agreed" else None

    def log_event(self, kind: str, detail: dict) -> None:
        with self._write() as conn:
            _insert_event(conn, kind, detail)

    def events(self, kind: str | None = None) -> pd.DataFrame:
        """id, at, kind, detail (a dict), oldest first."""
        e = s.events
        stmt = sa.select(e).order_by(e.c.id)
        if kind is not None:
            stmt = stmt.where(e.c.kind == kind)
        with self._read() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
        for r in rows:
            r["detail"] = json.loads(r["detail"])
        return _frame_from_dicts(rows, {"id": "int", "at": "datetime", "kind": "str", "detail": "json"})


# -- helpers ------------------------------------------------------------------------------------------
def _sqlite_transactions(engine: sa.Engine) -> None:
    """Foreign keys and WAL on every connection; real BEGIN so reads and writes share one transaction
    (the pysqlite driver otherwise starts transactions late, on the first write)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL still never corrupts the file; a power cut may lose the last commit, which a
        # re-run of collect restores (collecting is idempotent). FULL costs ~10 ms per collected file.
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def _store_history(conn: sa.Connection, rows: list[dict[str, Any]], source: str) -> int:
    """One history import inside the caller's transaction; its quarters now show these rows. Returns its id."""
    periods = sorted({(r["year"], r["quarter"]) for r in rows})
    import_id = conn.execute(s.history_imports.insert().values(
        source=str(source), imported_at=_now(), n_rows=len(rows),
        total_volume=math.fsum(r["volume"] for r in rows if r["volume"] is not None),
        total_revenue=math.fsum(r["revenue"] for r in rows if r["revenue"] is not None),
        periods=json.dumps(periods))).inserted_primary_key[0]
    if rows:
        _insert(conn, s.history_rows, [{**r, "import_id": import_id} for r in rows])
    _point_periods(conn, s.history_periods, periods, import_id)
    return import_id


def _point_periods(conn: sa.Connection, table: sa.Table, periods: list[tuple[int, int]], import_id: int) -> None:
    """Make ``import_id`` the current import of each (year, quarter) in ``periods``."""
    for year, quarter in periods:
        at = (table.c.year == year) & (table.c.quarter == quarter)
        if conn.execute(table.update().where(at).values(import_id=import_id)).rowcount == 0:
            conn.execute(table.insert().values(year=year, quarter=quarter, import_id=import_id))


def _insert_tuples(conn: sa.Connection, table: sa.Table, names: list[str], tuples: list[tuple],
                   extra: dict[str, Any]) -> None:
    """Insert rows given as tuples (in ``names`` order) plus ``extra`` columns, through the DBAPI."""
    if not tuples:
        return
    dialect = conn.dialect
    marks = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
    if marks is None:
        _insert(conn, table, [dict(zip(names, t)) for t in tuples], extra)
        return
    all_names = list(extra) + list(names)
    procs = [table.c[n].type._cached_bind_processor(dialect) for n in all_names]
    fixed = tuple(extra[n] if p is None else p(extra[n]) for n, p in zip(extra, procs))
    todo = [(i, p) for i, p in enumerate(procs[len(extra):]) if p is not None]
    if todo:
        rows = []
        for t in tuples:
            t = list(t)
            for i, p in todo:
                if t[i] is not None:
                    t[i] = p(t[i])
            rows.append(fixed + tuple(t))
    else:
        rows = [fixed + t for t in tuples]
    prep = dialect.identifier_preparer
    sql = (f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(n) for n in all_names)}) "
           f"VALUES ({', '.join([marks] * len(all_names))})")
    conn.exec_driver_sql(sql, rows)


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]],
            extra: dict[str, Any] | None = None) -> None:
    """Insert many rows with one executemany, plus ``extra`` columns with one value for every row.

    Collect stores ~1,000 lines per file: SQLAlchemy's per-row parameter handling
    costs more than the insert itself.  So the rows go to the DBAPI's executemany as
    tuples, each value passed through its column type's own bind processor, which
    keeps exactly what ``conn.execute(table.insert(), rows)`` would store.
    """
    if not rows:
        return
    extra = extra or {}
    dialect = conn.dialect
    names = list(extra) + [c for c in rows[0] if c not in extra]
    marks = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
    if marks is None or any(set(r) != set(rows[0]) for r in rows):
        conn.execute(table.insert(), [{**r, **extra} for r in rows])
        return
    procs = [table.c[n].type._cached_bind_processor(dialect) for n in names]
    fixed = [extra[n] if p is None else p(extra[n]) for n, p in zip(names[:len(extra)], procs)]
    rest = list(zip(names[len(extra):], procs[len(extra):]))
    data = [tuple(fixed) + tuple(r[n] if p is None or r[n] is None else p(r[n]) for n, p in rest) for r in rows]
    prep = dialect.identifier_preparer
    sql = (f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(n) for n in names)}) "
           f"VALUES ({', '.join([marks] * len(names))})")
    conn.exec_driver_sql(sql, data)


def _insert_event(conn: sa.Connection, kind: str, detail: Mapping[str, Any]) -> None:
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=_json_default)
    conn.execute(s.events.insert().values(at=_now(), kind=str(kind), detail=text))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _change_row(entity: str, key: str, plan_year: int, at: dt.datetime, change: str, data: dict) -> dict:
    return {"entity": entity, "entity_id": key, "plan_year": plan_year, "at": at, "change": change,
            "data": json.dumps(data, ensure_ascii=False, sort_keys=True, default=_json_default)}


def _whole(value: Any, what: str, missing_ok: bool = False) -> Any:
    """A year, round ... as a Python int (numpy integers too; the SQLite driver refuses them)."""
    if value is None and missing_ok:
        return None
    try:
        return operator.index(value)
    except TypeError:
        raise StoreError(f"{what} must be a whole number, got {value!r}") from None


def _plain_identity(ident: WorkbookIdentity) -> WorkbookIdentity:
    return dataclasses.replace(ident, year=_whole(ident.year, "year"), round=_whole(ident.round, "round"),
                               schema_version=_whole(ident.schema_version, "schema_version"))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _problem_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"line_no": i, "severity": Severity(p.severity).value, "code": p.code, "message": p.message,
             "fix": p.fix or "", "file": p.file, "sheet": p.sheet, "cell": p.cell}
            for i, p in enumerate(problems)]


def _problems_of(conn: sa.Connection, attempt_ids: list[int]) -> dict[int, list[Problem]]:
    p = s.problems
    out: dict[int, list[Problem]] = {}
    if not attempt_ids:
        return out
    for r in conn.execute(sa.select(p).where(p.c.attempt_id.in_(attempt_ids)).order_by(p.c.attempt_id, p.c.line_no)):
        out.setdefault(r.attempt_id, []).append(
            Problem(Severity(r.severity), r.code, r.message, r.fix, r.file, r.sheet, r.cell))
    return out


def _reasons(problems: list[Problem]) -> str:
    ordered = sorted(problems, key=lambda p: not p.is_error)  # errors first, otherwise in order
    parts = []
    for p in ordered[:_REASONS_SHOWN]:
        where = "!".join(x for x in (p.sheet, p.cell) if x)
        parts.append(f"{where}: {p.message}" if where else p.message)
    more = len(ordered) - _REASONS_SHOWN
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _load_submission(conn: sa.Connection, sub_id: int) -> Submission | None:
    t, a = s.submissions, s.attempts
    row = conn.execute(sa.select(t, a.c.file_name).join(a, a.c.id == t.c.id).where(t.c.id == sub_id)).first()
    if row is None:
        return None
    identity = WorkbookIdentity(kind=row.kind, schema_version=row.schema_version, year=row.year, round=row.round,
                                rep_id=row.rep_id, generated_at=row.generated_at, workbook_id=row.workbook_id,
                                layout_hash=row.layout_hash)
    frames = {}
    for name, spec in s.SUBMISSION_LINES.items():
        line = s.LINE_TABLES[name]
        stmt = (sa.select(*[line.c[c] for c in spec.columns]).where(line.c.submission_id == sub_id)
                .order_by(line.c.line_no))
        frames[name] = to_frame(conn.execute(stmt).mappings(), spec)
    return Submission(identity=identity, file_name=row.file_name, content_hash=row.content_hash,
                      warnings=_problems_of(conn, [sub_id]).get(sub_id, []), **frames)


def _kind_of(column: sa.Column) -> str:
    t = column.type
    if isinstance(t, s.IsoDateTime):
        return "datetime"
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.Integer):
        return "int" if not column.nullable else "Int64"
    if isinstance(t, sa.Float):
        return "float"
    if isinstance(t, sa.Date):
        return "date"
    return "str"


def _frame(result: sa.Result, kinds: dict[str, str]) -> pd.DataFrame:
    return _frame_from_dicts([r._asdict() for r in result], kinds)


def _frame_from_dicts(rows: list[dict[str, Any]], kinds: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: series([r[c] for r in rows], k) for c, k in kinds.items()})
