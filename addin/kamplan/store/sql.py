"""What every subject of the store shares: its error, plain values for the driver, fast inserts, the
audit event, and typed frames of selected rows.

The subject modules (master, history, rounds, submissions, review, actuals, plan, audit, resources,
evaluation) build on these inside a transaction of ``Store.writing()`` or ``Store.reading()``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from kamplan.model import WorkbookIdentity
from kamplan.store import schema as s
from kamplan.store.frames import series


class StoreError(Exception):
    """The store cannot do what was asked; the message says why and what to do."""


# -- plain values ---------------------------------------------------------------------------------------
# ``whole`` and ``require_datetime`` are programmer guards, so their words stay English (not the catalogue):
# they fire only when code passes a wrong type.  No value a user gives reaches them unconverted: the CLI's
# options are click ints (IntRange, type=int), a workbook's year and round pass its reader's identity checks
# (said in the user's language there), imported actuals get int64 years and quarters from the engine
# (``engine.actuals``), the add-in's functions take ``int(_number(...))``, and the times are kamplan's own
# clock.  If one ever shows, kamplan has a bug: the words are for the developer reading the report.
def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def whole(value: Any, what: str, missing_ok: bool = False) -> Any:
    """A year, round ... as a Python int (numpy integers too; the SQLite driver refuses them)."""
    if value is None and missing_ok:
        return None
    try:
        return operator.index(value)
    except TypeError:
        raise StoreError(f"{what} must be a whole number, got {value!r}") from None


def plain_identity(ident: WorkbookIdentity) -> WorkbookIdentity:
    return dataclasses.replace(ident, year=whole(ident.year, "year"), round=whole(ident.round, "round"),
                               schema_version=whole(ident.schema_version, "schema_version"))


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def require_datetime(value: Any, what: str) -> None:
    if not isinstance(value, dt.datetime):
        raise StoreError(f"{what} must be a datetime, got {value!r}")


# -- writing --------------------------------------------------------------------------------------------
def _placeholder(dialect: sa.Dialect) -> str | None:
    """The DBAPI's positional parameter mark, or None for a named paramstyle (then SQLAlchemy inserts)."""
    return {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)


def _executemany(conn: sa.Connection, table: sa.Table, names: list[str], data: list[tuple], mark: str) -> None:
    prep = conn.dialect.identifier_preparer
    sql = (f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(n) for n in names)}) "
           f"VALUES ({', '.join([mark] * len(names))})")
    conn.exec_driver_sql(sql, data)


def _bind_processors(conn: sa.Connection, table: sa.Table, names: list[str]) -> list:
    return [table.c[n].type._cached_bind_processor(conn.dialect) for n in names]


def insert_tuples(conn: sa.Connection, table: sa.Table, names: list[str], tuples: list[tuple],
                  extra: dict[str, Any]) -> None:
    """Insert rows given as tuples (in ``names`` order) plus ``extra`` columns, through the DBAPI."""
    if not tuples:
        return
    mark = _placeholder(conn.dialect)
    if mark is None:
        insert_rows(conn, table, [dict(zip(names, t)) for t in tuples], extra)
        return
    all_names = list(extra) + list(names)
    procs = _bind_processors(conn, table, all_names)
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
    _executemany(conn, table, all_names, rows, mark)


def insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]],
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
    names = list(extra) + [c for c in rows[0] if c not in extra]
    mark = _placeholder(conn.dialect)
    if mark is None or any(set(r) != set(rows[0]) for r in rows):
        conn.execute(table.insert(), [{**r, **extra} for r in rows])
        return
    procs = _bind_processors(conn, table, names)
    fixed = [extra[n] if p is None else p(extra[n]) for n, p in zip(names[:len(extra)], procs)]
    rest = list(zip(names[len(extra):], procs[len(extra):]))
    data = [tuple(fixed) + tuple(r[n] if p is None or r[n] is None else p(r[n]) for n, p in rest) for r in rows]
    _executemany(conn, table, names, data, mark)


def insert_event(conn: sa.Connection, kind: str, detail: Mapping[str, Any]) -> None:
    """One line of the audit log, inside the caller's transaction."""
    conn.execute(s.events.insert().values(at=now(), kind=str(kind), detail=to_json(detail)))


def add_logged(conn: sa.Connection, rows: Mapping[sa.Table, list[dict[str, Any]]], kind: str,
               detail: Mapping[str, Any]) -> None:
    """Insert each table's rows and, when there were any, log one event ``kind`` with ``detail``.

    The VP's choices, overrides and ratings are only ever added this way: nothing to add logs nothing."""
    for table, table_rows in rows.items():
        insert_rows(conn, table, table_rows)
    if any(rows.values()):
        insert_event(conn, kind, detail)


# -- reading --------------------------------------------------------------------------------------------
def kind_of(column: sa.Column) -> str:
    """The frame kind (see ``frames.series``) a column comes back as."""
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


def kinds_of(table: sa.Table, skip: Iterable[str] = ()) -> dict[str, str]:
    """Column name -> frame kind for every column of ``table`` but those in ``skip``."""
    skip = set(skip)
    return {c.name: kind_of(c) for c in table.columns if c.name not in skip}


def frame_of(result: sa.Result, kinds: dict[str, str]) -> pd.DataFrame:
    return frame_from_dicts([r._asdict() for r in result], kinds)


def frame_from_dicts(rows: list[dict[str, Any]], kinds: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: series([r[c] for r in rows], k) for c, k in kinds.items()})


def oldest_first(table: sa.Table, **equal: Any) -> sa.Select:
    """All rows of ``table`` by id, or those whose columns equal the values given (a None value: any)."""
    stmt = sa.select(table).order_by(table.c.id)
    for column, value in equal.items():
        if value is not None:
            stmt = stmt.where(table.c[column] == value)
    return stmt


def table_frame(conn: sa.Connection, table: sa.Table, stmt: sa.Select | None = None) -> pd.DataFrame:
    """The rows ``stmt`` selects from ``table`` (default: all, oldest id first), typed by its columns."""
    if stmt is None:
        stmt = oldest_first(table)
    return frame_of(conn.execute(stmt), kinds_of(table))


def parse_json(frame: pd.DataFrame, *columns: str, then: Callable[[Any], Any] | None = None) -> pd.DataFrame:
    """Turn the JSON text of ``columns`` into Python values (passed through ``then`` if given), in place."""
    for column in columns:
        values = [json.loads(v) for v in frame[column]]
        frame[column] = series([then(v) for v in values] if then else values, "json")
    return frame


def periods_list(value: list) -> list[tuple[int, int]]:
    """A stored JSON ``[[year, quarter], ...]`` as a list of tuples."""
    return [tuple(x) for x in value]


def newest_per_key(rows: list[dict[str, Any]], key: tuple[str, ...],
                   in_force: Callable[[dict[str, Any]], bool] = lambda r: True) -> list[dict[str, Any]]:
    """Of rows given oldest first, the newest per ``key`` that is ``in_force`` (a row that lifted an
    earlier choice is not), sorted by ``key``."""
    newest: dict[tuple, dict[str, Any]] = {}
    for r in rows:
        newest[tuple(r[k] for k in key)] = r
    return sorted((r for r in newest.values() if in_force(r)), key=lambda r: tuple(r[k] for k in key))
