"""A fresh PostgreSQL database per test, on the server of KAMPLAN_TEST_POSTGRES_URL (CI starts one)."""
from __future__ import annotations

import contextlib
import os
import time
import uuid
import warnings
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

SERVER = os.environ.get("KAMPLAN_TEST_POSTGRES_URL")


def require_server() -> str:
    """The server URL; a skip locally without one, a failure in CI (where .ci/run starts one)."""
    if not SERVER:
        if os.environ.get("CI") in ("true", "1"):
            pytest.fail("KAMPLAN_TEST_POSTGRES_URL is not set: .ci/run should have started PostgreSQL")
        pytest.skip("set KAMPLAN_TEST_POSTGRES_URL=postgresql+psycopg2://user:pw@host/postgres to run")
    return SERVER


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """The URL (with its password) of a new, empty database, dropped afterwards."""
    server = require_server()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(admin, name)
        admin.dispose()


def drop_database(admin: sa.Engine, name: str, attempts: int = 10) -> None:
    """Drop a test database; a session the test role may not end (an autovacuum worker busy with it) is
    waited for, a few seconds at most, and a database that still cannot be dropped is left with a warning."""
    for attempt in range(attempts):
        try:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except sa.exc.DBAPIError as exc:
            last = exc
            time.sleep(0.5 + attempt * 0.25)
    warnings.warn(f"test database {name} was left on the server: {last.orig}")
