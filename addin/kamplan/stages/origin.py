"""Where the VP's own workbooks came from (issue 18 item 12).

The account review, the resource plan and the evaluation workbooks are written for the VP to type into
and read back, like the target workbooks are for the salespeople.  Each one kamplan writes is recorded in
the store as issued (``issued_workbooks``, round 0, its kind, year and salesperson), and a workbook read
back must be one this workspace wrote: a file from another workspace of the same company — a copy of the
config with its own store, a colleague's test folder — says nothing this store may take as its own, even
when its year and accounts match.  A copy of the whole workspace (store included) keeps the record, so a
backup restored elsewhere still reads its own workbooks.

A store that has no record of any workbook of a kind yet was made by a kamplan from before these records:
its workbooks of that kind are taken as they were until it writes its first one, so an upgrade mid-cycle
does not refuse the review the VP is filling in.
"""
from __future__ import annotations

from pathlib import Path

from kamplan.model import WorkbookIdentity
from kamplan.problems import Problem, problem

ROUND = 0  # the VP's workbooks belong to no target round


def record_written(store, identity, year: int, path: Path, rep_id: str = "") -> None:
    """Remember the workbook kamplan just wrote at ``path`` with ``identity`` (any of the VP's
    workbooks' identity records: kind, schema_version, generated_at, workbook_id, layout_hash)."""
    store.record_issued(WorkbookIdentity(
        kind=identity.kind, schema_version=int(identity.schema_version), year=int(year), round=ROUND,
        rep_id=rep_id or "", generated_at=identity.generated_at, workbook_id=identity.workbook_id,
        layout_hash=identity.layout_hash or ""), Path(path).name)


def written_elsewhere(store, identity, path: Path) -> Problem | None:
    """The problem when the workbook read from ``path`` was not written by this workspace, else None."""
    wid = getattr(identity, "workbook_id", "") or ""
    if wid and store.issued(wid) is not None:
        return None
    if not any(r["kind"] == identity.kind for r in store.issued_map().values()):
        return None  # written before kamplan recorded this kind (see the module docstring)
    return problem("workbook.written-elsewhere", file=Path(path).name, workbook_id=wid or "?")
