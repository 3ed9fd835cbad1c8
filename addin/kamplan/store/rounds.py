"""Collection rounds and the workbooks a workspace issued for them."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import sqlalchemy as sa

from kamplan.messages import Message
from kamplan.model import WorkbookIdentity
from kamplan.store import schema as s
from kamplan.store.sql import StoreError, frame_of, insert_event, kinds_of, now, plain_identity, whole


def _check_round(round: int, kind: str, deadline: dt.date | None) -> None:
    if round < 1:
        raise StoreError(Message("store.round.not-valid", round=repr(round)))
    if not kind:
        raise StoreError(Message("store.round.no-kind"))
    if deadline is not None and (not isinstance(deadline, dt.date) or isinstance(deadline, dt.datetime)):
        raise StoreError(Message("store.round.deadline", deadline=repr(deadline)))


class Rounds:
    """The rounds and issued-workbooks part of ``Store``."""

    def open_round(self, year: int, round: int, kind: str, deadline: dt.date | None = None) -> None:
        """Open round ``round`` of ``year``; rounds open in order 1, 2, 3 ...

        Opening an open round again with the same kind and deadline does nothing; with a
        different kind or deadline it updates them and logs the old values as an event.
        """
        year, round = whole(year, "year"), whole(round, "round")
        _check_round(round, kind, deadline)
        r = s.rounds
        with self.writing() as conn:
            have = {row.round: row for row in conn.execute(sa.select(r).where(r.c.year == year))}
            old = have.get(round)
            if old is not None:
                if (old.kind, old.deadline) == (kind, deadline):
                    return
                conn.execute(r.update().where((r.c.year == year) & (r.c.round == round))
                             .values(kind=kind, deadline=deadline))
                insert_event(conn, "round-changed", {
                    "year": year, "round": round, "old": {"kind": old.kind, "deadline": old.deadline},
                    "new": {"kind": kind, "deadline": deadline}})
                return
            last = max(have, default=0)
            if round != last + 1:
                raise StoreError(Message("store.round.out-of-order", round=round, year=year, last=last,
                                         next=last + 1) if last else
                                 Message("store.round.none-open", round=round, year=year))
            conn.execute(r.insert().values(year=year, round=round, kind=kind, deadline=deadline, opened_at=now()))

    def current_round(self, year: int) -> int | None:
        year = whole(year, "year")
        with self.reading() as conn:
            return conn.execute(sa.select(sa.func.max(s.rounds.c.round)).where(s.rounds.c.year == year)).scalar()

    def rounds(self, year: int) -> pd.DataFrame:
        """year, round, kind, deadline (date or None), opened_at."""
        year = whole(year, "year")
        r = s.rounds
        with self.reading() as conn:
            return frame_of(conn.execute(sa.select(r).where(r.c.year == year).order_by(r.c.round)), kinds_of(r))

    # -- issued workbooks ---------------------------------------------------------------------------
    def record_issued(self, identity: WorkbookIdentity, file_name: str) -> None:
        """Remember a workbook this workspace generated; recording it again does nothing."""
        t = s.issued_workbooks
        fields = dataclasses.asdict(plain_identity(identity))
        with self.writing() as conn:
            old = conn.execute(sa.select(t).where(t.c.workbook_id == identity.workbook_id)).mappings().first()
            if old is not None:
                differ = [k for k, v in fields.items() if old[k] != v]
                if differ:
                    raise StoreError(Message("store.round.id-issued", workbook_id=identity.workbook_id,
                                             file=old["file_name"], fields=", ".join(differ)))
                return
            conn.execute(t.insert().values(**fields, file_name=str(file_name), issued_at=now()))

    def issued(self, workbook_id: str) -> dict | None:
        """The identity fields of an issued workbook plus file_name and issued_at, or None."""
        t = s.issued_workbooks
        with self.reading() as conn:
            row = conn.execute(sa.select(t).where(t.c.workbook_id == workbook_id)).mappings().first()
        return None if row is None else dict(row)

    def issued_map(self, year: int | None = None) -> dict[str, dict]:
        """workbook_id -> the ``issued()`` record, for every workbook issued for ``year`` (or ever)."""
        t = s.issued_workbooks
        stmt = sa.select(t).order_by(t.c.issued_at)
        if year is not None:
            stmt = stmt.where(t.c.year == whole(year, "year"))
        with self.reading() as conn:
            return {row["workbook_id"]: dict(row) for row in conn.execute(stmt).mappings()}
