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

Concurrency (several workspaces on one PostgreSQL store, or several commands on one file): a write that
decides on what it read names a lock, ``writing(lock="plan:2027")``; SQLite's ``BEGIN IMMEDIATE``
serialises every write anyway, and on a server the lock is a transaction-scoped advisory lock.  The
database itself keeps one current submission per salesperson and round (a partial unique index), and a
new plan version is refused when the version it was built on is no longer current.  Connection problems
and a server lost mid-command are StoreErrors naming the host, the port and the fix; no message shows
the URL's password (``where`` is the URL without it).
"""
from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from kamplan.messages import Message

from kamplan import __version__
from kamplan.store import schema as s
from kamplan.store.account_plan import AccountPlans
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
PASSWORD_VARIABLE = "KAMPLAN_STORE_PASSWORD"  # the server password, when the URL in the config has none
_WRITE = "kamplan_write"  # execution option: this transaction will write (SQLite: BEGIN IMMEDIATE)


def lock_key(name: str) -> int:
    """The PostgreSQL advisory-lock key of a named lock ("plan:2027", "submissions:2027"): a stable
    signed 64-bit number, the same in every process and every kamplan version."""
    return zlib.crc32(f"kamplan:{name}".encode()) - 2**31


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


def _url_of(target: str | Path, readonly: bool, create: bool) -> tuple[sa.URL, str]:
    """The SQLAlchemy URL of ``target`` and how to name it in messages (a URL without its password)."""
    if isinstance(target, str) and "://" in target:
        return _server_url(target)
    path = Path(target)
    if path.is_dir():
        path = path / DEFAULT_FILE_NAME
    if not path.parent.is_dir():
        raise StoreError(Message("store.db.no-folder", path=str(path), folder=str(path.parent)))
    if readonly and not path.is_file():
        raise StoreError(Message("store.db.no-file-yet", path=str(path)))
    if not create and (not path.is_file() or path.stat().st_size == 0):
        raise StoreError(Message("store.db.empty-file" if path.is_file() else "store.db.missing-file", path=str(path),
                                 name=path.name))
    return sa.URL.create("sqlite", database=str(path.resolve())), str(path)


def _server_url(target: str) -> tuple[sa.URL, str]:
    """A database URL, with the password from KAMPLAN_STORE_PASSWORD when it gives none (a password may
    also come from ~/.pgpass, which the PostgreSQL driver reads itself)."""
    try:
        url = sa.make_url(target)
        url.port  # noqa: B018 -- a port that is not a number fails here, not deep in the driver
    except (sa.exc.ArgumentError, ValueError) as exc:
        shown = _masked(target)
        raise StoreError(Message("store.db.not-a-url", url=repr(shown), reason=_masked(str(exc)))) from None
    if url.password is None and os.environ.get(PASSWORD_VARIABLE) and url.get_backend_name() != "sqlite":
        url = url.set(password=os.environ[PASSWORD_VARIABLE])
    return url, url.render_as_string(hide_password=True)


def _masked(text: str) -> str:
    """``text`` with the password of any URL in it replaced by ***."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


class Store(MasterData, History, Rounds, Submissions, Review, Actuals, Plan, Audit, AccountPlans):
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
        self._url = engine.url  # with its password: never shown; ``where`` is what messages name
        self._source: str | None = None

    # -- opening ------------------------------------------------------------------------------------
    @classmethod
    def open(cls, target: str | Path, *, readonly: bool = False, create: bool = True,
             source: str | None = None) -> Store:
        """A path opens a SQLite file; a string containing ``://`` is a SQLAlchemy URL.

        A path to an existing folder means ``<folder>/kamplan.db``.  ``readonly``: nothing is
        created or migrated and ``writing()`` is refused; the plan must exist at this kamplan's
        schema version (what a worksheet function or a report needs: it must never change the file).
        ``create=False`` (every workspace command but ``kamplan init``): a missing or empty store is an
        error, never silently replaced by an empty plan.  ``source`` says where ``target`` was
        configured ("store_url in /ws/workspace.yaml"), for the messages about connecting.
        """
        url, where = _url_of(target, readonly, create)
        is_sqlite = url.get_backend_name() == "sqlite"
        try:
            engine = sa.create_engine(url, connect_args={"timeout": 30} if is_sqlite else {})
        except Exception as exc:  # unknown dialect, driver not installed ...
            reason = _masked(str(exc))
            raise StoreError(Message("store.db.cannot-open-check", where=where, reason=reason, source=source) if source
                             else Message("store.db.cannot-open", where=where, reason=reason)) from None
        if is_sqlite:
            _sqlite_transactions(engine)
        store = cls(engine, where, readonly)
        store._url, store._source = url, source
        try:
            store._ensure_schema(create)
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
    def _ensure_schema(self, create: bool = True) -> None:
        """Create the schema in an empty database, migrate an older one, refuse a newer or a foreign one."""
        latest = s.schema_version()
        try:
            # A store already at this version is only read: opening it neither waits for nor takes the write
            # lock (a read-only command while another one collects); anything else is decided again below,
            # under the write lock, since another command may have created or migrated it in between.
            with self.reading() as conn:
                version = self._stored_version(conn, latest)
            if self.readonly:
                self._require_current(version, latest)
            if self.readonly or version == latest:
                return
            with self.writing() as conn:
                version = self._stored_version(conn, latest)
                if version is None and not create:
                    raise StoreError(Message("store.db.empty-database", where=self.where))
                elif version is None:
                    _create_schema(conn, latest)
                elif version < latest:
                    _migrate(conn, version, latest)
        except sa.exc.DatabaseError as exc:
            if self._url.get_backend_name() != "sqlite":
                raise StoreError(self._server_problem(exc)) from None
            raise StoreError(Message("store.db.not-a-plan-file", where=self.where, reason=str(exc.orig))) from None

    def _server_problem(self, exc: sa.exc.DBAPIError) -> str:
        """What went wrong connecting to a database server, where it is configured and the likely fix."""
        url = self._url
        cause = _masked(str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__)
        host, port = url.host or "localhost", url.port or 5432
        low = cause.lower()
        if "password" in low or "authentication" in low:
            fix = Message("store.db.fix-password", user=repr(url.username), variable=PASSWORD_VARIABLE)
        elif "does not exist" in low and "database" in low:
            fix = Message("store.db.fix-createdb", database=repr(url.database), name=url.database)
        elif "refused" in low or "could not connect" in low or "timeout" in low or "translate host" in low:
            fix = Message("store.db.fix-server", host=host, port=port)
        else:
            fix = Message("store.db.fix-other")
        configured = self._source or Message("store.db.configured-default")
        return Message("store.db.server", where=self.where, host=host, port=port, configured=configured, cause=cause,
                       fix=fix)

    def _stored_version(self, conn: sa.Connection, latest: int) -> int | None:
        """The schema version in the meta table; None for an empty database."""
        tables = set(sa.inspect(conn).get_table_names())
        if s.meta.name not in tables:
            if tables:
                raise StoreError(Message("store.db.foreign", where=self.where, tables=str(sorted(tables)[:5])))
            return None
        raw = conn.execute(sa.select(s.meta.c.value).where(s.meta.c.key == "schema_version")).scalar()
        try:
            version = int(raw)
        except (TypeError, ValueError):
            raise StoreError(Message("store.db.version-not-a-number", where=self.where, raw=repr(raw))) from None
        if version > latest:
            raise StoreError(Message("store.db.newer", where=self.where, version=version, kamplan=__version__,
                                     latest=latest))
        if version < 1:
            raise StoreError(Message("store.db.version-invalid", where=self.where, version=version))
        return version

    def _require_current(self, version: int | None, latest: int) -> None:
        if version is None:
            raise StoreError(Message("store.db.no-plan-yet", where=self.where))
        if version < latest:
            raise StoreError(Message("store.db.older", where=self.where, version=version))

    def setup_team(self, roles: list, dry_run: bool = False) -> list[str]:
        """Give each colleague's database role its access (``kamplan.store.team``); returns the SQL."""
        from kamplan.store.team import setup_team
        return setup_team(self._url, roles, dry_run=dry_run)

    def schema_version(self) -> int:
        with self.reading() as conn:
            return int(conn.execute(sa.select(s.meta.c.value).where(s.meta.c.key == "schema_version")).scalar())

    # -- transactions -------------------------------------------------------------------------------
    @contextmanager
    def writing(self, lock: str | None = None) -> Iterator[sa.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        On SQLite it takes the write lock at the start (``BEGIN IMMEDIATE``), so what the block
        reads stays true until it commits; another command writing at the same time makes this a
        StoreError that says to run again (nothing was written).  On a server, ``lock`` names what
        the block decides on ("plan:2027", "submissions:2027"): a transaction-scoped advisory lock
        serialises the blocks of that name across every process, and since each statement under READ
        COMMITTED sees what was committed before it, what the block reads after taking the lock stays
        true until it commits.  Refused on a read-only store.
        """
        self._check_open()
        if self.readonly:
            raise StoreError(Message("store.db.read-only", where=self.where))
        try:
            with self._writer.begin() as conn:
                if lock is not None and conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(lock)})
                yield conn
        except sa.exc.OperationalError as exc:
            text = str(exc.orig).lower()
            if "locked" in text or "busy" in text:
                raise StoreError(Message("store.db.busy", where=self.where)) from None
            if exc.connection_invalidated or conn_lost(text):
                raise StoreError(Message("store.db.lost-writing", where=self.where)) from None
            raise

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """One read transaction: a consistent snapshot of the store, rolled back at the end."""
        self._check_open()
        try:
            with self._engine.connect() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            on_server = self._url.get_backend_name() != "sqlite"
            if on_server and (exc.connection_invalidated or conn_lost(str(exc.orig).lower())):
                raise StoreError(Message("store.db.lost-reading", where=self.where)) from None
            if on_server:
                raise StoreError(self._server_problem(exc)) from None
            raise

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(Message("store.db.closed", where=self.where))


def conn_lost(text: str) -> bool:
    """Whether a driver's error text says the server went away (closed, terminated, restarted)."""
    return any(w in text for w in ("server closed the connection", "terminating connection",
                                   "connection already closed", "ssl connection has been closed",
                                   "could not receive data", "connection not open"))


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
