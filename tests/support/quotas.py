"""Quota tables for the tests of ``targets quotas import`` / ``spread --by rep``, made from the current plan."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kamplan.stages.plan import consolidate
from kamplan.workspace import Workspace
from support.collected import collected_workspace


@pytest.fixture
def consolidated(tmp_path_factory, tmp_path) -> Workspace:
    """The demo after round 1, consolidated (version 1 is the bottom-up plan)."""
    ws = collected_workspace(tmp_path_factory, tmp_path / "ws")
    consolidate(ws, write_workbook=False)
    yield ws
    ws.close()


def revenue_by_rep_quarter(ws) -> dict[tuple[str, int], Decimal]:
    """The current version's revenue per salesperson and quarter (floats summed, as Decimal)."""
    _, lines = ws.store.plan_version(ws.store.current_plan_version(ws.config.plan_year))
    sums = lines.groupby(["rep_id", "quarter"])["revenue"].sum()
    return {(r, int(q)): Decimal(repr(float(v))) for (r, q), v in sums.items()}


def solo_salespeople(ws) -> list[str]:
    """Salespeople who share no account (own no account with a team and are on no team): each of their
    lines counts for them alone, so their quotas are met exactly to the cent by their own lines."""
    accounts = ws.config.accounts
    teamed = {a.rep for a in accounts if a.team} | {m.salesperson for a in accounts for m in a.team}
    return sorted({s.id for s in ws.config.staff} - teamed)


def quota_rows(ws, factor: str, reps: int, odd: str = "0.00") -> list[tuple[str, str, str]]:
    """Quotas for the first ``reps`` salespeople who share no account: each quarter current x ``factor`` +
    ``odd``, the periods written four ways (Q1, 2027-Q2, 2027Q3, a date in Q4)."""
    now = revenue_by_rep_quarter(ws)
    solo = solo_salespeople(ws)
    year = ws.config.plan_year
    spellings = {1: "Q1", 2: f"{year}-Q2", 3: f"{year}Q3", 4: f"{year}-11-15"}
    return [(p, spellings[q], str((now[(p, q)] * Decimal(factor)).quantize(Decimal("0.01")) + Decimal(odd)))
            for p in [r for r in sorted({r for r, _ in now}) if r in solo][:reps] for q in (1, 2, 3, 4)]


def write_quota_csv(path: Path, rows) -> Path:
    path.write_text("salesperson,period,amount\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path
