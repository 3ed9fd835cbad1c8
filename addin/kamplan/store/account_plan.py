"""Account plans in the store (issue 15): every collected version, what changed per row, personal data apart.

``record_account_plan`` keeps a returned account plan as a new version of its salesperson's plan for the
year; the newest version is current.  A version holds the whole plan: the rows the workbook held, and the
rows of the version before that the workbook no longer held, marked ``removed`` (a collect never
deletes).  What changed against the version before (row added / changed / removed, field, old -> new) goes
to ``account_plan_changes`` and one ``account-plan.collected`` event (counts and row ids, no values) to the
audit log, in the same transaction.  The same content collected again stores nothing.

Personal data: the contacts' ``personal_note`` is kept in its own column and its changes are marked
``personal``.  Every read that may reach the VP (``account_plan_rows``, ``account_plan_changes``) leaves it out unless
``personal=True`` is asked for (the salesperson's own workbook only).  ``forget_plan_contact`` erases it in
every version and every change record and logs who, when, which contact and why (never the content).

How the next waves build on it (issue 15 items 3-6):

* share of wallet: ``account_plan_rows(year, "business")`` gives each account's ``usage_<product>`` per year (the
  denominator) beside the credited actuals; ``account_plan_rows(year, "competitors")`` their estimated shares;
* warnings: ``account_plan_versions`` (when each plan was last collected), ``account_plan_rows(.., "visits")`` (last visit
  date, satisfaction, complaints raised / closed), ``account_plan_rows(.., "contacts")`` (attitude "opponent" of a
  decision maker), ``account_plan_changes`` (a competitor newly added, a decision maker removed);
* the monthly review: ``account_plan_changes(since=...)`` per salesperson and account, ``account_plan_rows(.., "actions")``
  (due, status: overdue actions), ``account_plan_rows(.., "projects")`` (pipeline by stage and next date);
* the scorecard: satisfaction and complaints per salesperson from the visit rows.
Field values are JSON: texts, numbers, and dates as ISO text ("2027-03-15").
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from kamplan.store import schema as s
from kamplan.store.sql import insert_event, insert_rows, now, to_json, whole

PERSONAL = ("personal_note",)  # the personal fields (kept apart; see the module docstring)


@dataclasses.dataclass(frozen=True)
class PlanVersionRecord:
    """What ``record_account_plan`` did."""
    version_id: int | None
    outcome: str  # "stored", "reinstated" or "unchanged"
    added: int = 0
    changed: int = 0
    removed: int = 0
    previous_id: int | None = None  # the version it follows
    same_as: int | None = None  # "reinstated": the older version with this content; "unchanged": the current


def _plain(value: Any) -> Any:
    """A field value as JSON keeps it: dates as ISO text, numpy scalars as Python values."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def plan_row(sheet: str, row_id: str, account_id: str, fields: dict, src: str | None = None) -> dict:
    """One row as ``record_account_plan`` takes it: personal fields split off, values made plain."""
    plain = {k: _plain(v) for k, v in fields.items() if k not in PERSONAL}
    return {"sheet": sheet, "row_id": str(row_id), "account_id": str(account_id), "fields": plain,
            "personal_note": fields.get("personal_note"), "src": src}


def _changes(old: dict | None, new: dict | None) -> tuple[str | None, list[tuple[str, Any, Any, bool]]]:
    """(added / changed / removed / None, [(field, old, new, personal)]) between a stored row and the
    row a workbook returned (None: not there; a row removed before counts as not there)."""
    live = old is not None and not old["removed"]
    if new is None and not live:
        return None, []
    before = {**old["fields"], "personal_note": old["personal_note"]} if live else {}
    after = {**new["fields"], "personal_note": new["personal_note"]} if new is not None else {}
    diff = [(k, before.get(k), after.get(k), k in PERSONAL) for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k) and not (_empty(before.get(k)) and _empty(after.get(k)))]
    if not live:
        return ("added", diff) if diff else (None, [])  # an empty row (a Business line not filled in) adds nothing
    if new is None:
        return "removed", diff
    return ("changed", diff) if diff else (None, [])


def _empty(value: Any) -> bool:
    return value is None or value == ""


class AccountPlans:
    """The account-plan part of ``Store``."""

    def record_account_plan(self, year: int, rep_id: str, rows: list[dict], *, workbook_id: str, file_name: str,
                            content_hash: str, based_on: int | None, by: str,
                            collected_at: dt.datetime | None = None,
                            accounts: set[str] | None = None) -> PlanVersionRecord:
        """Keep ``rows`` (``plan_row`` dicts) as the new version of ``rep_id``'s plan for ``year``; see the
        module docstring.  ``accounts``: the accounts the workbook held; rows of other accounts (one the
        salesperson no longer carries) stay as they were, not removed.  One transaction: the version, its
        rows, its changes and the audit event."""
        year = whole(year, "year")
        v = s.account_plan_versions
        with self.writing(lock=f"account_plan:{year}") as conn:
            versions = conn.execute(sa.select(v.c.id, v.c.content_hash).where(v.c.year == year, v.c.rep_id == rep_id)
                                    .order_by(v.c.id)).all()
            current = versions[-1] if versions else None
            if current is not None and current.content_hash == content_hash:
                return PlanVersionRecord(None, "unchanged", previous_id=current.id, same_as=current.id)
            older = next((r.id for r in versions if r.content_hash == content_hash), None)
            previous = _rows_of(conn, current.id) if current is not None else {}
            incoming = {(r["sheet"], r["row_id"]): {**r, "removed": False} for r in rows}
            for key, row in incoming.items():
                erased = previous.get(key, {}).get("personal_erased")
                if erased is not None:  # forgotten on request: an old copy of the workbook cannot bring it back
                    row.update(personal_note=None, personal_erased=erased)
            whole_plan = dict(incoming)
            outside = {k for k, old in previous.items() if k not in incoming and accounts is not None
                       and old["account_id"] not in accounts}  # an account no longer carried: kept as it was
            for key, old in previous.items():
                if key not in incoming:
                    whole_plan[key] = dict(old) if key in outside else {**old, "removed": True}
            vid = conn.execute(v.insert().values(
                year=year, rep_id=str(rep_id), workbook_id=str(workbook_id), file_name=str(file_name),
                content_hash=str(content_hash), based_on=based_on, reinstates=older, by=str(by),
                collected_at=collected_at or now())).inserted_primary_key[0]
            insert_rows(conn, s.account_plan_rows, [
                {"sheet": r["sheet"], "row_id": r["row_id"], "account_id": r["account_id"],
                 "fields": to_json(r["fields"]), "personal_note": r["personal_note"],
                 "personal_erased": r.get("personal_erased"), "removed": r["removed"], "src": r.get("src")}
                for r in whole_plan.values()], extra={"version_id": vid})
            counts, change_rows = self._diff({k: r for k, r in previous.items() if k not in outside}, incoming)
            insert_rows(conn, s.account_plan_changes, change_rows, extra={"version_id": vid})
            insert_event(conn, "account-plan.collected", {
                "year": year, "rep_id": rep_id, "version": vid, "previous": current.id if current else None,
                "file": file_name, "reinstates": older, **counts,
                "rows": sorted({f"{c['sheet']}:{c['row_id']}:{c['change']}" for c in change_rows})})
        return PlanVersionRecord(vid, "reinstated" if older else "stored", counts["added"], counts["changed"],
                                 counts["removed"], current.id if current else None, older)

    @staticmethod
    def _diff(previous: dict, incoming: dict) -> tuple[dict, list[dict]]:
        counts = {"added": 0, "changed": 0, "removed": 0}
        out = []
        for key in sorted(set(previous) | set(incoming)):
            change, diff = _changes(previous.get(key), incoming.get(key))
            if change is None:
                continue
            counts[change] += 1
            account = (incoming.get(key) or previous.get(key))["account_id"]
            for field, old, new, personal in diff or [("", None, None, False)]:
                out.append({"sheet": key[0], "row_id": key[1], "account_id": account, "change": change,
                            "field": field, "old": None if old is None else to_json(old),
                            "new": None if new is None else to_json(new), "personal": personal})
        return counts, out

    # -- reading -------------------------------------------------------------------------------------------
    def account_plan_versions(self, year: int | None = None, rep_id: str | None = None) -> pd.DataFrame:
        """id, year, rep_id, workbook_id, file_name, content_hash, based_on, reinstates, collected_at, by,
        current (the newest of its salesperson and year), oldest first."""
        v = s.account_plan_versions
        stmt = sa.select(v).order_by(v.c.id)
        if year is not None:
            stmt = stmt.where(v.c.year == whole(year, "year"))
        if rep_id is not None:
            stmt = stmt.where(v.c.rep_id == rep_id)
        with self.reading() as conn:
            rows = [dict(r) for r in conn.execute(stmt).mappings()]
        cols = [c.name for c in v.columns]
        frame = pd.DataFrame(rows, columns=cols)
        newest = frame.groupby(["year", "rep_id"])["id"].transform("max") if len(frame) else frame["id"]
        frame["current"] = frame["id"] == newest
        return frame

    def current_account_plan(self, year: int, rep_id: str) -> dict | None:
        frame = self.account_plan_versions(year, rep_id)
        return None if frame.empty else frame.iloc[-1].to_dict()

    def account_plan_rows(self, year: int | None, sheet: str | None = None, *, version_id: int | None = None,
                  rep_id: str | None = None, personal: bool = False, include_removed: bool = False) -> pd.DataFrame:
        """The rows of the current versions (or of ``version_id``): version_id, rep_id, sheet, row_id,
        account_id, removed, src and one column per field.  ``personal``: with ``personal_note`` (only for
        the salesperson's own workbook; never for anything the VP sees)."""
        v, r = s.account_plan_versions, s.account_plan_rows
        cols = [r.c.version_id, v.c.rep_id, r.c.sheet, r.c.row_id, r.c.account_id, r.c.fields, r.c.removed, r.c.src]
        if personal:
            cols.append(r.c.personal_note)
        stmt = sa.select(*cols).join(v, v.c.id == r.c.version_id)
        if version_id is not None:
            stmt = stmt.where(r.c.version_id == whole(version_id, "version"))
        else:
            newest = sa.select(sa.func.max(v.c.id)).where(v.c.year == whole(year, "year"))
            if rep_id is not None:
                newest = newest.where(v.c.rep_id == rep_id)
            stmt = stmt.where(r.c.version_id.in_(newest.group_by(v.c.rep_id).scalar_subquery()))
        if sheet is not None:
            stmt = stmt.where(r.c.sheet == sheet)
        if not include_removed:
            stmt = stmt.where(r.c.removed.is_(False))
        with self.reading() as conn:
            got = [dict(x) for x in conn.execute(stmt.order_by(r.c.version_id, r.c.sheet, r.c.src, r.c.row_id))
                   .mappings()]
        base = ["version_id", "rep_id", "sheet", "row_id", "account_id", "removed", "src"]
        out = [{**{k: g[k] for k in base}, **json.loads(g["fields"]),
                **({"personal_note": g["personal_note"]} if personal else {})} for g in got]
        return pd.DataFrame(out, columns=list(dict.fromkeys(base + [k for o in out for k in o])))

    def account_plan_changes(self, version_id: int | None = None, *, year: int | None = None,
                     personal: bool = False) -> pd.DataFrame:
        """What each version changed: version_id, rep_id, sheet, row_id, account_id, change, field, old,
        new (values parsed from JSON).  Changes of personal fields are left out unless ``personal``."""
        v, c = s.account_plan_versions, s.account_plan_changes
        stmt = sa.select(c, v.c.rep_id, v.c.year).join(v, v.c.id == c.c.version_id).order_by(c.c.id)
        if version_id is not None:
            stmt = stmt.where(c.c.version_id == whole(version_id, "version"))
        if year is not None:
            stmt = stmt.where(v.c.year == whole(year, "year"))
        if not personal:
            stmt = stmt.where(c.c.personal.is_(False))
        with self.reading() as conn:
            got = [dict(x) for x in conn.execute(stmt).mappings()]
        for g in got:
            g["old"] = None if g["old"] is None else json.loads(g["old"])
            g["new"] = None if g["new"] is None else json.loads(g["new"])
        return pd.DataFrame(got, columns=["id", "version_id", "year", "rep_id", "sheet", "row_id", "account_id",
                                          "change", "field", "old", "new", "personal"])

    # -- forgetting a contact's personal data ----------------------------------------------------------
    def find_plan_contacts(self, account_id: str, contact: str) -> list[str]:
        """The row ids of the stored contacts of ``account_id`` whose row id or name is ``contact``."""
        r = s.account_plan_rows
        with self.reading() as conn:
            got = conn.execute(sa.select(r.c.row_id, r.c.fields).where(
                r.c.sheet == "contacts", r.c.account_id == str(account_id))).all()
        wanted = str(contact).strip().casefold()
        return sorted({g.row_id for g in got if g.row_id == contact or
                       str(json.loads(g.fields).get("name") or "").strip().casefold() == wanted})

    def forget_plan_contact(self, account_id: str, row_ids: list[str], *, reason: str, by: str) -> tuple[int, int]:
        """Erase the personal fields of the contacts ``row_ids`` of ``account_id`` in every stored version
        and in the change records; log it (who, when, which contact, why; not the content).  Returns
        (version rows erased, change records erased)."""
        r, c = s.account_plan_rows, s.account_plan_changes
        at = now()
        with self.writing(lock="account_plan:forget") as conn:
            which = sa.and_(r.c.sheet == "contacts", r.c.account_id == str(account_id), r.c.row_id.in_(row_ids))
            versions = conn.execute(r.update().where(which).values(personal_note=None, personal_erased=at)).rowcount
            changes = conn.execute(c.update().where(
                c.c.sheet == "contacts", c.c.account_id == str(account_id), c.c.row_id.in_(row_ids),
                c.c.personal.is_(True)).values(old=None, new=None)).rowcount
            for rid in row_ids:
                conn.execute(s.account_plan_forgotten.insert().values(
                    account_id=str(account_id), row_id=rid, reason=str(reason), versions=versions, changes=changes,
                    by=str(by), at=at, source="kamplan accounts plan forget-contact"))
            insert_event(conn, "account-plan.contact-forgotten", {
                "account_id": account_id, "row_ids": list(row_ids), "reason": reason, "by": by,
                "versions": versions, "changes": changes})
        return versions, changes

    def forgotten_plan_contacts(self) -> pd.DataFrame:
        t = s.account_plan_forgotten
        with self.reading() as conn:
            rows = [dict(x) for x in conn.execute(sa.select(t).order_by(t.c.id)).mappings()]
        return pd.DataFrame(rows, columns=[col.name for col in t.columns])


def _rows_of(conn: sa.Connection, version_id: int) -> dict[tuple[str, str], dict]:
    r = s.account_plan_rows
    out = {}
    for g in conn.execute(sa.select(r).where(r.c.version_id == version_id)).mappings():
        out[(g["sheet"], g["row_id"])] = {"sheet": g["sheet"], "row_id": g["row_id"], "account_id": g["account_id"],
                                          "fields": json.loads(g["fields"]), "personal_note": g["personal_note"],
                                          "personal_erased": g["personal_erased"], "removed": g["removed"],
                                          "src": g["src"]}
    return out
