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


def quota_rows(ws, factor: str, reps: int, odd: str = "0.00") -> list[tuple[str, str, str]]:
    """Quotas for the first ``reps`` salespeople: each quarter current x ``factor`` + ``odd``, the periods
    written four ways (Q1, 2027-Q2, 2027Q3, a date in Q4)."""
    now = revenue_by_rep_quarter(ws)
    year = ws.config.plan_year
    spellings = {1: "Q1", 2: f"{year}-Q2", 3: f"{year}Q3", 4: f"{year}-11-15"}
    return [(p, spellings[q], str((now[(p, q)] * Decimal(factor)).quantize(Decimal("0.01")) + Decimal(odd)))
            for p in sorted({r for r, _ in now})[:reps] for q in (1, 2, 3, 4)]


def write_quota_csv(path: Path, rows) -> Path:
    path.write_text("salesperson,period,amount\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path
