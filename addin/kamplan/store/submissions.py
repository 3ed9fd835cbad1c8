"""Collected workbooks in the store: every file that changed the store is an attempt; the good ones are
submissions with all their lines and warnings, the refused ones keep their problems.

The store trusts the order in which it is told things: when two different files of one salesperson
arrive for the same round, the one recorded later is current.  The collect step decides that order.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from kamplan.messages import Message, has
from kamplan.model import Submission, WorkbookIdentity
from kamplan.periods import Joined
from kamplan.problems import Problem, Severity
from kamplan.store import schema as s
from kamplan.store.frames import FrameError, to_frame, to_tuples
from kamplan.store.sql import (
    StoreError, frame_from_dicts, insert_event, insert_rows, insert_tuples, plain_identity, require_datetime, whole,
)

REASONS_SHOWN = 3  # problems quoted in status().reasons


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
    outcome: str  # "stored", "superseded-previous", "reinstated" (an older content sent again) or "unchanged"
    superseded_id: int | None = None  # the submission this one replaced ("superseded-previous", "reinstated")
    superseded_file: str | None = None  # its file name ("reinstated")


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


# -- problems of an attempt ------------------------------------------------------------------------------
def _problem_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    return [{"line_no": i, "severity": Severity(p.severity).value, "code": p.code, "message": p.message,
             "fix": p.fix or "", "file": p.file, "sheet": p.sheet, "cell": p.cell, "words": _words(p)}
            for i, p in enumerate(problems)]


def _said(text) -> Any:
    """A catalogue text as JSON (its key and fields, recursively); any other value as itself or its text (a
    text said by code, such as a quarter's days, keeps its English words)."""
    if type(text) is Message:
        return {"key": text.key, "fields": {k: _said(v) for k, v in text.fields.items()}}
    if text is None or isinstance(text, (bool, int, float)) and not isinstance(text, Message):
        return text
    return str(text)


def _unsaid(value, stored_text):
    """The Message a ``_said`` value describes; ``stored_text`` where the catalogue no longer has its key."""
    if not isinstance(value, dict):
        return stored_text if value is None else value
    if not has(value["key"]):
        return stored_text
    return Message(value["key"], **{k: _unsaid(v, v if not isinstance(v, dict) else "?")
                                    for k, v in value["fields"].items()})


def _words(p: Problem) -> str | None:
    """The JSON of a catalogue problem's words (None for a text problem: its text is all there is)."""
    if not isinstance(p.message, Message):
        return None
    said = {part: _said(getattr(p, part)) for part in ("message", "fix", "sheet", "cell")}
    return json.dumps(said, ensure_ascii=False)


def _stored_problem(r) -> Problem:
    """A stored problem as it was: said in any language when its words were kept, else as its text."""
    words = json.loads(r.words) if getattr(r, "words", None) else {}
    parts = {part: _unsaid(words.get(part), getattr(r, part)) for part in ("message", "fix", "sheet", "cell")}
    return Problem(Severity(r.severity), r.code, parts["message"], parts["fix"], r.file, parts["sheet"], parts["cell"])


def _problems_of(conn: sa.Connection, attempt_ids: list[int]) -> dict[int, list[Problem]]:
    p = s.problems
    out: dict[int, list[Problem]] = {}
    if not attempt_ids:
        return out
    for r in conn.execute(sa.select(p).where(p.c.attempt_id.in_(attempt_ids)).order_by(p.c.attempt_id, p.c.line_no)):
        out.setdefault(r.attempt_id, []).append(_stored_problem(r))
    return out


def _reasons(problems: list[Problem]) -> str:
    """The first problems of a refused file, errors first: English as text, and said again in a front end's
    language (``kamplan.messages.render``) where the problems' words were kept."""
    ordered = sorted(problems, key=lambda p: not p.is_error)  # errors first, otherwise in order
    parts = []
    for p in ordered[:REASONS_SHOWN]:
        where = [x for x in (p.sheet, p.cell) if x]
        if len(where) == 2:
            parts.append(Message("store.reason-at-cell", sheet=where[0], cell=where[1], message=p.message))
        elif where:
            parts.append(Message("store.reason-at", where=where[0], message=p.message))
        else:
            parts.append(p.message)
    more = len(ordered) - REASONS_SHOWN
    if more > 0:
        return Message("store.reasons-more", reasons=Joined(parts, "; ", "；"), more=more)
    return Joined(parts, "; ", "；")


# -- one submission in and out ---------------------------------------------------------------------------
def _insert_submission(conn: sa.Connection, sub: Submission | PreparedSubmission, ident: WorkbookIdentity,
                       lines: dict[str, tuple[list[str], list[tuple]]], collected_at: dt.datetime) -> int:
    """The attempt, the submission, its lines and its warnings; returns the new id."""
    t, a = s.submissions, s.attempts
    new_id = conn.execute(a.insert().values(
        outcome="stored", file_name=sub.file_name, content_hash=sub.content_hash, year=ident.year,
        round=ident.round, rep_id=ident.rep_id, at=collected_at)).inserted_primary_key[0]
    conn.execute(t.insert().values(
        id=new_id, rep_id=ident.rep_id, year=ident.year, round=ident.round, content_hash=sub.content_hash,
        workbook_id=ident.workbook_id, kind=ident.kind, schema_version=ident.schema_version,
        generated_at=ident.generated_at, layout_hash=ident.layout_hash))
    for name, (names, tuples) in lines.items():
        insert_tuples(conn, s.LINE_TABLES[name], names, tuples, {"submission_id": new_id})
    insert_rows(conn, s.problems, _problem_rows(sub.warnings), {"attempt_id": new_id})
    return new_id


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


def _same_attempt(year: int | None, round: int | None, rep_id: str | None, file_name: str,
                  content_hash: str | None) -> sa.ColumnElement:
    """An earlier attempt with the same file for the same rep, year and round."""
    a = s.attempts
    same = (a.c.year.is_not_distinct_from(year) & a.c.round.is_not_distinct_from(round)
            & a.c.rep_id.is_not_distinct_from(rep_id))
    if content_hash is not None:
        return same & (a.c.content_hash == content_hash)
    return same & a.c.content_hash.is_(None) & (a.c.file_name == file_name)  # not even hashed: same name


def _reinstate(conn: sa.Connection, sub_id: int, at: dt.datetime, file_name: str | None) -> SubmissionRecord:
    """Inside a locked transaction: the stored submission ``sub_id`` becomes current (if it is not)."""
    t, a = s.submissions, s.attempts
    row = conn.execute(sa.select(t, a.c.file_name, a.c.at).join(a, a.c.id == t.c.id).where(t.c.id == sub_id)).one()
    if row.superseded_by is None:
        return SubmissionRecord(row.id, row.rep_id, row.year, row.round, row.file_name, row.content_hash,
                                row.at, "unchanged")
    key = (t.c.rep_id == row.rep_id) & (t.c.year == row.year) & (t.c.round == row.round)
    current = conn.execute(sa.select(t.c.id).where(key & t.c.superseded_by.is_(None))).scalar()
    if current is not None:
        conn.execute(t.update().where(t.c.id == current).values(superseded_by=sub_id, superseded_at=at))
    conn.execute(t.update().where(t.c.id == sub_id).values(superseded_by=None, superseded_at=None))
    replaced = None if current is None else conn.execute(sa.select(a.c.file_name).where(a.c.id == current)).scalar()
    insert_event(conn, "targets.reinstated", {
        "rep": row.rep_id, "year": row.year, "round": row.round, "submission": sub_id,
        "file": file_name or row.file_name, "replaces": current, "replaced_file": replaced})
    return SubmissionRecord(row.id, row.rep_id, row.year, row.round, row.file_name, row.content_hash, at,
                            "reinstated", current, replaced)


def _status_row(rep: str, last, good, found: dict[int, list[Problem]]) -> dict[str, Any]:
    """One rep's line of ``status``: its newest attempt ``last`` and its current submission ``good``."""
    row = {"rep_id": rep, "state": "missing", "file_name": None, "at": None, "reasons": None,
           "last_good_file": good.file_name if good else None, "submission_id": good.id if good else None,
           # which content is in force: the file name alone is ambiguous when one file was sent twice
           "current_content": f"{good.file_name} #{good.content_hash[:8]} ({good.at:%Y-%m-%d %H:%M})" if good else None}
    if last is not None and last.outcome == "rejected":
        row.update(state="rejected", file_name=last.file_name, at=last.at, reasons=_reasons(found.get(last.id, [])))
    elif good is not None:
        row.update(state="submitted", file_name=good.file_name, at=good.at)
    return row


class Submissions:
    """The collection part of ``Store``: submissions, rejections and the round's status."""

    def record_submission(self, sub: Submission | PreparedSubmission, collected_at: dt.datetime) -> SubmissionRecord:
        """Store a checked submission with all its lines and warnings, in one transaction.

        The same file (content hash) again for the same rep, year and round writes nothing
        and returns the stored one with outcome "unchanged" (making an older content current
        again is ``reinstate_submission``, which collect calls for a file sent again).  Otherwise
        the new submission becomes current and the previous current one (if any) is marked
        superseded by it.  The audit event is part of the same transaction.

        Concurrency: the transaction holds the submissions lock of the year (SQLite's write lock,
        an advisory lock on a server), so the check, the insert and the supersede cannot interleave
        with another collect; the partial unique index ``uq_submission_current`` would refuse a
        second current submission even if they could.
        """
        ident = plain_identity(sub.identity)
        require_datetime(collected_at, "collected_at")
        if not sub.content_hash:
            raise StoreError(f"{sub.file_name}: the submission has no content hash; hash the file bytes first")
        lines = (sub if isinstance(sub, PreparedSubmission) else prepare_submission(sub)).lines
        t, a = s.submissions, s.attempts
        key = (t.c.rep_id == ident.rep_id) & (t.c.year == ident.year) & (t.c.round == ident.round)
        with self.writing(lock=f"submissions:{ident.year}") as conn:
            same = conn.execute(sa.select(t.c.id).where(key & (t.c.content_hash == sub.content_hash))).scalar()
            if same is not None:  # current or not: whether a resend makes it current is collect's decision
                row = conn.execute(sa.select(a).where(a.c.id == same)).one()
                return SubmissionRecord(same, ident.rep_id, ident.year, ident.round, row.file_name,
                                        sub.content_hash, row.at, "unchanged")
            previous = conn.execute(sa.select(t.c.id).where(key & t.c.superseded_by.is_(None))).scalars().all()
            if previous:  # superseded first: the partial unique index allows one current row at any moment
                conn.execute(t.update().where(t.c.id.in_(previous)).values(superseded_by=t.c.id))
            new_id = _insert_submission(conn, sub, ident, lines, collected_at)
            if previous:
                conn.execute(t.update().where(t.c.id.in_(previous))
                             .values(superseded_by=new_id, superseded_at=collected_at))
            outcome = "superseded-previous" if previous else "stored"
            insert_event(conn, "targets.submission", {
                "rep": ident.rep_id, "year": ident.year, "round": ident.round, "file": sub.file_name,
                "submission": new_id, "outcome": outcome, "supersedes": max(previous) if previous else None})
        return SubmissionRecord(new_id, ident.rep_id, ident.year, ident.round, sub.file_name, sub.content_hash,
                                collected_at, outcome, max(previous) if previous else None)

    def reinstate_submission(self, submission_id: int, at: dt.datetime, file_name: str | None = None
                             ) -> SubmissionRecord:
        """Make a stored submission current again (its file was sent again after a newer one): outcome
        "unchanged" when it is current already, else "reinstated" with ``superseded_id`` the one it replaces."""
        require_datetime(at, "at")
        sub_id = whole(submission_id, "submission")
        with self.reading() as conn:
            year = conn.execute(sa.select(s.submissions.c.year).where(s.submissions.c.id == sub_id)).scalar()
            if year is None:
                raise StoreError(f"there is no submission {sub_id}")
        with self.writing(lock=f"submissions:{year}") as conn:
            return _reinstate(conn, sub_id, at, file_name)

    def record_rejection(self, file_name: str, content_hash: str | None, year: int | None, round: int | None,
                         rep_id: str | None, problems: list[Problem], at: dt.datetime) -> bool:
        """Keep a file that was refused, with its problems.  Returns False (and writes nothing)
        when the same file was already recorded for the same rep, year and round — rejected
        or stored — so collecting a folder twice changes nothing."""
        a = s.attempts
        year, round = whole(year, "year", missing_ok=True), whole(round, "round", missing_ok=True)
        same = _same_attempt(year, round, rep_id, file_name, content_hash)
        require_datetime(at, "at")
        rows = _problem_rows(problems)
        with self.writing(lock=f"submissions:{year}") as conn:
            if conn.execute(sa.select(a.c.id).where(same).limit(1)).first() is not None:
                return False
            attempt_id = conn.execute(a.insert().values(
                outcome="rejected", file_name=str(file_name), content_hash=content_hash, year=year, round=round,
                rep_id=rep_id, at=at)).inserted_primary_key[0]
            insert_rows(conn, s.problems, [{**r, "attempt_id": attempt_id} for r in rows])
            insert_event(conn, "targets.rejected", {"rep": rep_id, "year": year, "round": round,
                                                    "file": str(file_name), "attempt": attempt_id})
        return True

    def current_submission(self, rep_id: str, year: int, round: int) -> Submission | None:
        year, round = whole(year, "year"), whole(round, "round")
        t = s.submissions
        with self.reading() as conn:
            sub_id = conn.execute(sa.select(t.c.id).where(
                (t.c.rep_id == rep_id) & (t.c.year == year) & (t.c.round == round)
                & t.c.superseded_by.is_(None))).scalar()
            return None if sub_id is None else _load_submission(conn, sub_id)

    def submission(self, submission_id: int) -> Submission | None:
        """Any stored submission by id, current or superseded."""
        with self.reading() as conn:
            return _load_submission(conn, submission_id)

    def submissions(self, year: int, round: int | None = None, include_superseded: bool = False) -> pd.DataFrame:
        """One row per stored submission, by round, rep and id."""
        year, round = whole(year, "year"), whole(round, "round", missing_ok=True)
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
        with self.reading() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
        for r in rows:
            r["status"] = "current" if r["superseded_by"] is None else "superseded"
        kinds = {"id": "int", "rep_id": "str", "year": "int", "round": "int", "file_name": "str",
                 "content_hash": "str", "generated_at": "datetime", "collected_at": "datetime",
                 "workbook_id": "str", "status": "str", "superseded_by": "Int64", "n_warnings": "int"}
        return frame_from_dicts(rows, kinds)

    def rejections(self, year: int | None = None, round: int | None = None) -> pd.DataFrame:
        """Every rejected file (also those whose year, round or rep could not be read), oldest first,
        with ``problems`` as a list of Problem."""
        year, round = whole(year, "year", missing_ok=True), whole(round, "round", missing_ok=True)
        a = s.attempts
        stmt = sa.select(a.c.id, a.c.file_name, a.c.content_hash, a.c.year, a.c.round, a.c.rep_id, a.c.at) \
            .where(a.c.outcome == "rejected").order_by(a.c.id)
        if year is not None:
            stmt = stmt.where(a.c.year == year)
        if round is not None:
            stmt = stmt.where(a.c.round == round)
        with self.reading() as conn:
            rows = [r._asdict() for r in conn.execute(stmt)]
            found = _problems_of(conn, [r["id"] for r in rows])
        for r in rows:
            r["problems"] = found.get(r["id"], [])
        kinds = {"id": "int", "file_name": "str", "content_hash": "str", "year": "Int64", "round": "Int64",
                 "rep_id": "str", "at": "datetime", "problems": "json"}
        return frame_from_dicts(rows, kinds)

    def status(self, year: int, round: int, rep_ids: list[str]) -> pd.DataFrame:
        """Per rep (in the order given): state "submitted", "missing" or "rejected".

        "rejected" means the rep's newest file for this round was refused; ``last_good_file``
        then names the submission still in force (or None).  ``file_name`` and ``at`` are the
        current submission's (submitted) or the refused file's (rejected); ``reasons`` quotes
        the first problems of a refused file.
        """
        year, round, rep_ids = whole(year, "year"), whole(round, "round"), [str(r) for r in rep_ids]
        a, t = s.attempts, s.submissions
        with self.reading() as conn:
            latest: dict[str, Any] = {}
            for row in conn.execute(sa.select(a).where((a.c.year == year) & (a.c.round == round)
                                                       & a.c.rep_id.in_(list(rep_ids))).order_by(a.c.id)):
                latest[row.rep_id] = row
            current = {row.rep_id: row for row in conn.execute(
                sa.select(t.c.id, t.c.rep_id, t.c.content_hash, a.c.file_name, a.c.at).join(a, a.c.id == t.c.id)
                .where((t.c.year == year) & (t.c.round == round) & t.c.superseded_by.is_(None)))}
            found = _problems_of(conn, [r.id for r in latest.values() if r.outcome == "rejected"])
        out = [_status_row(rep, latest.get(rep), current.get(rep), found) for rep in rep_ids]
        kinds = {"rep_id": "str", "state": "str", "file_name": "str", "at": "datetime", "reasons": "str",
                 "last_good_file": "str", "submission_id": "Int64", "current_content": "str"}
        return frame_from_dicts(out, kinds)

    def lines_frame(self, year: int, round: int, what: str) -> pd.DataFrame:
        """The ``what`` lines (targets, visits, trainings, services, requests) of every current
        submission of the round, with ``rep_id`` first; by rep, then line order."""
        spec = s.SUBMISSION_LINES.get(what)
        if spec is None:
            raise StoreError(f"no submission lines called {what!r}; choose one of {list(s.SUBMISSION_LINES)}")
        year, round = whole(year, "year"), whole(round, "round")
        line, t = s.LINE_TABLES[what], s.submissions
        stmt = (sa.select(t.c.rep_id, *[line.c[c] for c in spec.columns])
                .join(t, t.c.id == line.c.submission_id)
                .where((t.c.year == year) & (t.c.round == round) & t.c.superseded_by.is_(None))
                .order_by(t.c.rep_id, t.c.id, line.c.line_no))
        with self.reading() as conn:
            return to_frame(conn.execute(stmt).mappings(), spec, leading={"rep_id": "str"})

    def targets_frame(self, year: int, round: int) -> pd.DataFrame:
        """rep_id + TARGET_COLUMNS of every current submission of the round, for consolidation."""
        return self.lines_frame(year, round, "targets")
