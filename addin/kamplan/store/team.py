"""Database roles for a team on one PostgreSQL store: the VP owns the tables; each regional manager's
workspace connects as a role that row-level security limits to its region; management reads all.

The policies are derived from the schema, so a table added later is covered by the same rule:
``accounts`` and ``staff`` by their ``region_id``; every table with an ``account_id`` by the accounts
the role can see; every other table with a ``rep_id`` by the salespeople it can see.  A table with
neither (rounds, plan versions, the audit log, the store's meta data) holds no region's figures and
stays readable.  The VP's role owns the tables and is not subject to the policies.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from kamplan.messages import Message
from kamplan.store import schema as s
from kamplan.store.sql import StoreError

# What a regional manager's workspace writes: collecting its salespeople's workbooks, and the audit log.
_MANAGER_WRITES = ("attempts", "submissions", "problems", "events", *(t.name for t in s.LINE_TABLES.values()))
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class TeamRole:
    role: str  # the database role (login) a workspace connects as
    kind: str  # "regional_manager" or "management"
    region: str | None = None


def _ident(name: str, what: str) -> str:
    if not _NAME.match(name):
        raise StoreError(f"{what} {name!r}: use lower-case letters, digits and _ (a PostgreSQL role name)")
    return name


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _scope(table: sa.Table, region: str) -> str | None:
    """The row filter of ``table`` for a manager of ``region`` (None: the table is not region-scoped)."""
    if table.name in ("accounts", "staff"):
        return f"region_id = {_literal(region)}"
    if "account_id" in table.c:
        return "account_id IN (SELECT id FROM accounts)"
    if "rep_id" in table.c:
        return "rep_id IN (SELECT id FROM staff)"
    return None


def scoped_tables() -> list[sa.Table]:
    """The tables row-level security restricts, in a stable order."""
    return [t for t in s.METADATA.sorted_tables if _scope(t, "x") is not None]


def setup_sql(roles: list[TeamRole], database: str, owner: str) -> list[str]:
    """The statements that give each role its access (idempotent: safe to run again)."""
    out = []
    for table in scoped_tables():
        out.append(f"ALTER TABLE {table.name} ENABLE ROW LEVEL SECURITY")
    for r in roles:
        role = _ident(r.role, "role")
        if role == owner:
            raise StoreError(f"{role} owns the store (the VP's role); give each colleague a role of their own")
        out += [f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {_literal(role)}) "
                f"THEN CREATE ROLE {role} LOGIN; END IF; END $$",
                f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
                f"GRANT USAGE ON SCHEMA public TO {role}",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"]
        if r.kind == "regional_manager":
            if not r.region:
                raise StoreError(f"the regional manager role {role} needs its region (--manager REGION=ROLE)")
            out.append(f"GRANT INSERT, UPDATE ON {', '.join(_MANAGER_WRITES)} TO {role}")
            out.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        for table in scoped_tables():
            policy = f"kamplan_{role}"
            rule = "true" if r.kind == "management" else _scope(table, r.region)
            out.append(f"DROP POLICY IF EXISTS {policy} ON {table.name}")
            out.append(f"CREATE POLICY {policy} ON {table.name} TO {role} USING ({rule})")
    return out


def setup_team(engine_url: sa.URL, roles: list[TeamRole], dry_run: bool = False) -> list[str]:
    """Run (or with ``dry_run`` only return) ``setup_sql`` on the team store, in one transaction."""
    if engine_url.get_backend_name() != "postgresql":
        raise StoreError(Message("store.team.needs-postgresql"))
    engine = sa.create_engine(engine_url)
    try:
        with engine.begin() as conn:
            owner = conn.exec_driver_sql("SELECT tableowner FROM pg_tables WHERE tablename = 'meta'").scalar()
            if owner is None:
                raise StoreError(Message("store.team.no-plan-yet"))
            current = conn.exec_driver_sql("SELECT current_user").scalar()
            if current != owner:
                raise StoreError(Message("store.team.not-the-owner", owner=str(owner), current=str(current)))
            statements = setup_sql(roles, engine_url.database, owner)
            if not dry_run:
                for sql in statements:
                    conn.exec_driver_sql(sql)
    finally:
        engine.dispose()
    return statements
