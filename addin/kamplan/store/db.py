"""The plan's system of record: a SQLite file in the workspace, or any SQLAlchemy URL.

Every public write runs in one transaction, so a failure leaves nothing half
written.  Nothing is deleted by a normal command: a newer submission supersedes
the older one (which stays readable), a history import hides the rows an older
import gave for the same quarters (which stay in the file), an account that
leaves the config is marked inactive.

``Store`` is the connection, its transactions and the schema's versions; what it
keeps is written and read by one mixin per subject (``master``, ``history``,
``rounds``, ``submissions``, ``review``, ``actuals``, ``plan``, ``audit``), so a
command says ``store.history(...)`` whatever module holds it.  The resource and
evaluation features keep their storage in functions that take a store
(``store.resources``, ``store.evaluation``); like any code outside this class they
use the public transactions ``Store.writing()`` and ``Store.reading()``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from kamplan import __version__
from kamplan.store import schema as s
from kamplan.store.actuals import Actuals
from kamplan.store.audit import Audit
from kamplan.store.history import History
from kamplan.store.master import MasterData
from kamplan.store.plan import Plan
from kamplan.store.review import Review
from kamplan.store.rounds import Rounds
from kamplan.store.sql import StoreError, insert_event, now
from kamplan.store.submissions import Submissions

DEFAULT_FILE_NAME = "kamplan.db"
_WRITE = "kamplan_write"  # execution option: this transaction will write (SQLite: BEGIN IMMEDIATE)


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


def _url_of(target: str | Path, readonly: bool) -> tuple[sa.URL, str]:
    """The SQLAlchemy URL of ``target`` and how to name it in messages (a URL without its password)."""
    if isinstance(target, str) and "://" in target:
        try:
            url = sa.make_url(target)
        except sa.exc.ArgumentError as exc:
            raise StoreError(f"{target!r} is not a database URL ({exc}); "
                             "give a file path or a URL like postgresql://user@host/kamplan") from None
        return url, url.render_as_string(hide_password=True)
    path = Path(target)
    if path.is_dir():
        path = path / DEFAULT_FILE_NAME
    if not path.parent.is_dir():
        raise StoreError(f"cannot open the plan database {path}: the folder {path.parent} does not exist; "
                         "create the workspace first (kamplan init) or fix the path")
    if readonly and not path.is_file():
        raise StoreError(f"there is no plan database {path} yet; run a kamplan command in the workspace "
                         "(e.g. kamplan status) to create it")
    return sa.URL.create("sqlite", database=str(path.resolve())), str(path)


class Store(MasterData, History, Rounds, Submissions, Review, Actuals, Plan, Audit):
    """Open with ``Store.open(path_or_url)``; use as a context manager or call ``close()``.

    Code outside the store's own modules reads and writes tables through ``reading()`` and
    ``writing()`` (each one transaction) and the helpers of ``kamplan.store.sql``.
    """

    def __init__(self, engine: sa.Engine, where: str, readonly: bool = False):
        self._engine = engine
        self._writer = engine.execution_options(**{_WRITE: True})
        self.where = where  # the file path, or the URL without its password
        self.readonly = readonly
        self._closed = False

    # -- opening ------------------------------------------------------------------------------------
    @classmethod
    def open(cls, target: str | Path, *, readonly: bool = False) -> Store:
        """A path opens (or creates) a SQLite file; a string containing ``://`` is a SQLAlchemy URL.

        A path to an existing folder means ``<folder>/kamplan.db``.  ``readonly``: nothing is
        created or migrated and ``writing()`` is refused; the plan must exist at this kamplan's
        schema version (what a worksheet function or a report needs: it must never change the file).
        """
        url, where = _url_of(target, readonly)
        is_sqlite = url.get_backend_name() == "sqlite"
        try:
            engine = sa.create_engine(url, connect_args={"timeout": 30} if is_sqlite else {})
        except Exception as exc:  # unknown dialect, driver not installed ...
            raise StoreError(f"cannot open the plan database {where}: {exc}") from None
        if is_sqlite:
            _sqlite_transactions(engine)
        store = cls(engine, where, readonly)
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
        flags = "".join(f", {f}" for f, on in (("read-only", self.readonly), ("closed", self._closed)) if on)
        return f"Store({self.where!r}{flags})"

    # -- schema versions ----------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        """Create the schema in an empty database, migrate an older one, refuse a newer or a foreign one."""
        latest = s.schema_version()
        try:
            with (self.reading() if self.readonly else self.writing()) as conn:
                version = self._stored_version(conn, latest)
                if self.readonly:
                    self._require_current(version, latest)
                elif version is None:
                    _create_schema(conn, latest)
                elif version < latest:
                    _migrate(conn, version, latest)
        except sa.exc.DatabaseError as exc:
            raise StoreError(f"cannot open {self.where} as a kamplan plan database: {exc.orig}; "
                             "is it a kamplan .db file, and not open in another program?") from None

    def _stored_version(self, conn: sa.Connection, latest: int) -> int | None:
        """The schema version in the meta table; None for an empty database."""
        tables = set(sa.inspect(conn).get_table_names())
        if s.meta.name not in tables:
            if tables:
                raise StoreError(
                    f"{self.where} is a database but not a kamplan plan (it has tables "
                    f"{sorted(tables)[:5]} and no 'meta' table); give kamplan a new file name instead")
            return None
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
        return version

    def _require_current(self, version: int | None, latest: int) -> None:
        if version is None:
            raise StoreError(f"{self.where} holds no kamplan plan yet; run a kamplan command in the "
                             "workspace (e.g. kamplan status) to create it")
        if version < latest:
            raise StoreError(f"{self.where} was written by an older kamplan (schema version {version}); run "
                             "a kamplan command in the workspace (e.g. kamplan status) to bring it up to date")

    def schema_version(self) -> int:
        with self.reading() as conn:
            return int(conn.execute(sa.select(s.meta.c.value).where(s.meta.c.key == "schema_version")).scalar())

    # -- transactions -------------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        On SQLite it takes the write lock at the start (``BEGIN IMMEDIATE``), so what the block
        reads stays true until it commits; another command writing at the same time makes this a
        StoreError that says to run again (nothing was written).  Refused on a read-only store.
        """
        self._check_open()
        if self.readonly:
            raise StoreError(f"the store {self.where} is open read-only; nothing can be written through it")
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
    def reading(self) -> Iterator[sa.Connection]:
        """One read transaction: a consistent snapshot of the store, rolled back at the end."""
        self._check_open()
        with self._engine.connect() as conn:
            yield conn

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the store {self.where} is closed; open it again with Store.open")


def _create_schema(conn: sa.Connection, latest: int) -> None:
    s.METADATA.create_all(conn)
    conn.execute(s.meta.insert(), [
        {"key": "schema_version", "value": str(latest)},
        {"key": "created_at", "value": now().isoformat()},
        {"key": "created_by", "value": f"kamplan {__version__}"},
    ])


def _migrate(conn: sa.Connection, version: int, latest: int) -> None:
    """Run the migrations from ``version`` to ``latest`` and log that they ran."""
    for step in range(version, latest):
        s.MIGRATIONS[step - 1](conn)
    conn.execute(s.meta.update().where(s.meta.c.key == "schema_version").values(value=str(latest)))
    insert_event(conn, "schema-migrated", {"from": version, "to": latest, "by": f"kamplan {__version__}"})
