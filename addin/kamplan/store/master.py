"""Master data in the store: regions, staff, products and accounts as the config has them, never deleted
(an id that leaves the config is marked inactive), every change logged in ``master_changes``."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa

from kamplan.messages import Message
from kamplan.store import schema as s
from kamplan.store.sql import (
    StoreError, frame_of, insert_rows, kinds_of, now, oldest_first, parse_json, table_frame, to_json,
)

CHANGES = ("added", "changed", "reactivated", "inactivated")
# The store's region of staff without one (a manager, issue 12): staff.region_id stays a non-null foreign
# key, and a config region id is never empty, so "" cannot meet a real region.
NO_REGION = ""
NO_REGION_NAMES = {"name_en": "no region", "name_zh": "无区域"}


def _wanted(config) -> dict[str, dict[str, dict[str, Any]]]:
    """Entity -> id -> column values, as the config (a PlanConfig) has them."""
    regions = {r.id: {"name_en": r.name.en, "name_zh": r.name.zh} for r in config.regions}
    if any(p.region is None for p in config.staff):
        regions[NO_REGION] = dict(NO_REGION_NAMES)
    return {
        "regions": regions,
        "staff": {p.id: {"name_en": p.name.en, "name_zh": p.name.zh,
                         "region_id": NO_REGION if p.region is None else p.region, "email": p.email}
                  for p in config.staff},
        "products": {p.id: {"name_en": p.name.en, "name_zh": p.name.zh, "unit": p.unit,
                            "list_price": float(p.list_price), "standard_margin": float(p.standard_margin)}
                     for p in config.products},
        "accounts": {a.id: {"name_en": a.name.en, "name_zh": a.name.zh, "region_id": a.region,
                            "rep_id": a.rep, "cls": a.cls, "city": a.city} for a in config.accounts},
    }


def _wanted_team(config) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(account, salesperson, product '' = all) -> role and share, as the config's account teams have them.
    A full-credit member without a share is stored with share 1.0 (what it is credited)."""
    return {(a.id, m.salesperson, product): {"role": m.role, "share": 1.0 if share is None else float(share)}
            for a in config.accounts for m in a.team for product, share in m.product_shares().items()}


def _sync_team(conn: sa.Connection, wanted: dict[tuple[str, str, str], dict[str, Any]], plan_year: int,
               at: dt.datetime) -> dict[str, int]:
    """Replace the stored team of every account whose team differs from ``wanted``; one change per account."""
    t = s.account_team
    have: dict[tuple[str, str, str], dict[str, Any]] = {
        (r.account_id, r.salesperson_id, r.product_id): {"role": r.role, "share": r.share}
        for r in conn.execute(sa.select(t))}
    accounts = sorted({k[0] for k in wanted} | {k[0] for k in have})
    counts = dict.fromkeys(CHANGES, 0)
    log = []
    for account in accounts:
        new = {k: v for k, v in wanted.items() if k[0] == account}
        old = {k: v for k, v in have.items() if k[0] == account}
        if new == old:
            continue
        change = "added" if not old else "inactivated" if not new else "changed"
        counts[change] += 1
        conn.execute(t.delete().where(t.c.account_id == account))
        insert_rows(conn, t, [{"account_id": a, "salesperson_id": p, "product_id": pr, **v, "updated_at": at}
                              for (a, p, pr), v in sorted(new.items())])
        members = [{"salesperson_id": p, "product_id": pr, **v} for (_, p, pr), v in sorted(new.items())]
        log.append(_change_row("account_team", account, plan_year, at, change,
                               {"account_id": account, "team": members}))
    insert_rows(conn, s.master_changes, log)
    return counts


def _change_row(entity: str, key: str, plan_year: int, at: dt.datetime, change: str, data: dict) -> dict:
    return {"entity": entity, "entity_id": key, "plan_year": plan_year, "at": at, "change": change,
            "data": to_json(data)}


def _sync_table(conn: sa.Connection, entity: str, wanted: dict[str, dict[str, Any]], plan_year: int,
                at: dt.datetime) -> dict[str, int]:
    """Bring one master table in line with ``wanted``; returns the count per change."""
    table = s.MASTER_TABLES[entity]
    counts = dict.fromkeys(CHANGES, 0)
    have = {row.id: row._asdict() for row in conn.execute(sa.select(table))}
    added, log = [], []
    for key, values in wanted.items():
        new = {**values, "active": True}
        old = have.get(key)
        if old is None:
            change = "added"
            added.append({"id": key, **new, "updated_at": at})
        elif any(old[c] != v for c, v in new.items()):
            change = "changed" if old["active"] else "reactivated"
            conn.execute(table.update().where(table.c.id == key).values(**new, updated_at=at))
        else:
            continue
        counts[change] += 1
        log.append(_change_row(entity, key, plan_year, at, change, {"id": key, **new}))
    for key, old in have.items():
        if key not in wanted and old["active"]:
            conn.execute(table.update().where(table.c.id == key).values(active=False, updated_at=at))
            counts["inactivated"] += 1
            data = {c: old[c] for c in old if c != "updated_at"} | {"active": False}
            log.append(_change_row(entity, key, plan_year, at, "inactivated", data))
    insert_rows(conn, table, added)
    insert_rows(conn, s.master_changes, log)
    return counts


def company_of(config) -> str:
    """The name a store records for the company a config plans (its English name)."""
    return config.company.name.en.strip()


def _stored_owner(conn: sa.Connection) -> dict[str, str]:
    m = s.meta
    rows = conn.execute(sa.select(m.c.key, m.c.value).where(m.c.key.in_(("company", "company_plan_year",
                                                                          "company_since"))))
    return {k: v for k, v in rows}


def _refuse_other_company(where: str, owner: dict[str, str], config) -> None:
    theirs, ours = owner.get("company"), company_of(config)
    if theirs is not None and theirs != ours:
        raise StoreError(Message("store.other-company", where=where, theirs=repr(theirs),
                                 year=str(owner.get("company_plan_year")), ours=repr(ours)))


MASTER_DIGEST = "master_digest"  # meta key: the hash of the master data the last sync made the store match


def _master_digest(config, wanted: dict, team: dict) -> str:
    """The hash of everything a sync writes: the company, the plan year, the master rows and the teams.
    Only a sync writes the master tables, and it stores this hash in the same transaction."""
    import hashlib
    import json
    text = json.dumps({"company": company_of(config), "plan_year": config.plan_year, "master": wanted,
                       "team": sorted([list(k), v] for k, v in team.items())}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _keep_master_digest(conn: sa.Connection, digest: str) -> None:
    m = s.meta
    if conn.execute(m.update().where(m.c.key == MASTER_DIGEST).values(value=digest)).rowcount == 0:
        conn.execute(m.insert(), [{"key": MASTER_DIGEST, "value": digest}])


class MasterData:
    """The master-data part of ``Store``."""

    def check_company(self, config) -> None:
        """Refuse a config of another company than the one the store belongs to (reading only)."""
        with self.reading() as conn:
            if s.meta.name in sa.inspect(conn).get_table_names():
                _refuse_other_company(self.where, _stored_owner(conn), config)

    def company(self) -> dict[str, str]:
        """The company the store belongs to: company, company_plan_year, company_since (empty: not claimed)."""
        with self.reading() as conn:
            return _stored_owner(conn)

    def _claim_company(self, conn: sa.Connection, config) -> None:
        """Inside the sync's transaction: record the company on first use, refuse another one after."""
        owner = _stored_owner(conn)
        _refuse_other_company(self.where, owner, config)
        m = s.meta
        if "company" not in owner:
            conn.execute(m.insert(), [{"key": "company", "value": company_of(config)},
                                      {"key": "company_since", "value": now().isoformat()},
                                      {"key": "company_plan_year", "value": str(config.plan_year)}])
        elif int(owner.get("company_plan_year") or 0) < config.plan_year:  # the newest plan year it holds
            conn.execute(m.update().where(m.c.key == "company_plan_year").values(value=str(config.plan_year)))

    def sync_master_data(self, config) -> dict[str, dict[str, int]]:
        """Make regions, staff, products and accounts match ``config`` (a PlanConfig).

        New ids are added, changed ones updated, ids missing from the config are marked
        inactive (never deleted); each of these changes is logged in ``master_changes``
        with the plan year.  Returns the counts per entity and change; a second call with
        the same config changes nothing and returns zeros.
        """
        wanted, team = _wanted(config), _wanted_team(config)
        digest = _master_digest(config, wanted, team)
        if self._stored_master_digest() == digest:
            # What the last sync wrote from this very master data: nothing to compare or write, so a command
            # neither takes the write lock nor reads every account again (40,000 accounts: a second or so).
            return {entity: dict.fromkeys(CHANGES, 0) for entity in (*s.MASTER_TABLES, "account_team")}
        at = now()
        with self.writing(lock="master") as conn:
            # A store belongs to one company: another company's config must never inactivate its rows.
            self._claim_company(conn, config)
            counts = {entity: _sync_table(conn, entity, wanted[entity], config.plan_year, at)
                      for entity in s.MASTER_TABLES}  # foreign-key order
            counts["account_team"] = _sync_team(conn, team, config.plan_year, at)
            _keep_master_digest(conn, digest)
            return counts

    def _stored_master_digest(self) -> str | None:
        with self.reading() as conn:
            return conn.execute(sa.select(s.meta.c.value).where(s.meta.c.key == MASTER_DIGEST)).scalar()

    def account_team(self) -> pd.DataFrame:
        """The account teams: account_id, salesperson_id, role, product_id ('' = all products), share;
        sorted by account, salesperson and product.  The owner (the account's rep) is not in it."""
        t = s.account_team
        cols = ["account_id", "salesperson_id", "role", "product_id", "share"]
        with self.reading() as conn:
            if t.name not in sa.inspect(conn).get_table_names():
                rows = []
            else:
                rows = conn.execute(sa.select(*[t.c[c] for c in cols])
                                    .order_by(t.c.account_id, t.c.salesperson_id, t.c.product_id)).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=cols)
        for c in cols[:-1]:
            frame[c] = frame[c].astype(object)
        frame["share"] = frame["share"].astype("float64")
        return frame

    def master(self, entity: str, include_inactive: bool = False) -> pd.DataFrame:
        """The stored ``regions``, ``staff``, ``products`` or ``accounts``, sorted by id."""
        table = s.MASTER_TABLES.get(entity)
        if table is None:
            raise StoreError(f"no master data called {entity!r}; choose one of {list(s.MASTER_TABLES)}")
        stmt = sa.select(table).order_by(table.c.id)
        if not include_inactive:
            stmt = stmt.where(table.c.active.is_(True))
        with self.reading() as conn:
            return frame_of(conn.execute(stmt), kinds_of(table))

    def master_changes(self, entity: str | None = None) -> pd.DataFrame:
        """Every change ``sync_master_data`` made, oldest first; ``data`` is the row after the change."""
        t = s.master_changes
        with self.reading() as conn:
            return parse_json(table_frame(conn, t, oldest_first(t, entity=entity)), "data")
