"""Quotas from the top on the demo company: a quota table (salesperson, period, amount) read as one
top-down instruction, stored as a version, reconciled to the cent by plain SQL over the stored lines;
every bad row named precisely and nothing stored."""
from __future__ import annotations

import sqlite3
from decimal import Decimal

import pandas as pd
import yaml

from kamplan.engine.topdown import TopDownSpec
from kamplan.stages import plan as c
from kamplan.workspace import Workspace
from support.quotas import consolidated, quota_rows, revenue_by_rep_quarter, write_quota_csv  # noqa: F401


def sql_cents_by_rep_quarter(ws, version: int) -> dict[tuple[str, int], int]:
    """Independent: the stored lines of a version summed in whole cents by plain SQL."""
    con = sqlite3.connect(ws.root / "kamplan.db")
    try:
        rows = con.execute("SELECT rep_id, quarter, SUM(CAST(ROUND(revenue * 100) AS INTEGER)) FROM plan_lines "
                           "WHERE version_id = ? GROUP BY rep_id, quarter", (version,)).fetchall()
    finally:
        con.close()
    return {(r, int(q)): int(cents) for r, q, cents in rows}


def test_a_quota_table_is_met_to_the_cent_per_salesperson_and_quarter_and_stored_with_its_instruction(
        consolidated, tmp_path):
    ws = consolidated
    base = ws.store.current_plan_version(ws.config.plan_year)
    before = revenue_by_rep_quarter(ws)
    rows = quota_rows(ws, "1.07", 3, odd="0.03")
    path = write_quota_csv(tmp_path / "quotas.csv", rows)
    out, problems, table = c.spread_quota_file(ws, path, TopDownSpec("revenue", "rep", {}, note="board, 12 Dec"))
    assert not [p for p in problems if p.is_error], problems
    assert out.version_id == base + 1 and len(table.frame) == 12
    got = sql_cents_by_rep_quarter(ws, out.version_id)
    quotas = {(p, q): int(Decimal(a) * 100) for (p, _, a), q in zip(rows, [1, 2, 3, 4] * 3)}
    for key, cents in quotas.items():
        assert got[key] == cents, key
    untouched = {k for k in before if k[0] not in {p for p, _ in quotas}}
    assert untouched and all(got[k] == int((before[k] * 100).to_integral_value()) for k in untouched)
    info, _ = ws.store.plan_version(out.version_id)
    assert info["instruction"]["source"] == {"file": "quotas.csv", "quotas": 12, "rows": 12}
    assert info["instruction"]["note"] == "board, 12 Dec" and info["instruction"]["by"] == "rep"
    assert "quotas from quotas.csv: 12 salesperson figures" in info["description"]
    assert "board, 12 Dec" in info["description"]
    # compare --by rep shows each salesperson's change: quotas minus the plan before; 0 for the others
    change = c.compare(ws, base, out.version_id, "rep_id").set_index("rep_id")["revenue_change"]
    for person in {p for p, _ in before}:
        want = sum(Decimal(cents) for (p, _), cents in quotas.items() if p == person) / 100 \
            - sum(v for (p, _), v in before.items() if p == person) if person in {p for p, _ in quotas} else 0
        assert abs(Decimal(repr(float(change.get(person, 0.0)))) - want) < Decimal("0.005"), person


def test_every_bad_row_is_named_and_nothing_is_stored(consolidated, tmp_path):
    ws = consolidated
    base = ws.store.current_plan_version(ws.config.plan_year)
    year = ws.config.plan_year
    person = sorted({a.rep for a in ws.config.accounts})[0]
    rows = [(person, "Q1", "1000000"), (person[:-1], "Q2", "5"), (person, "Q9", "5"),
            (person, f"{year - 1}-Q3", "5"), (person, "Q1", "7"), (person, "Q4", "lots"), (person, "Q2", "-40"),
            (person, "Q3", "1e300"), (person, "31/31/2027", "5")]
    path = write_quota_csv(tmp_path / "bad.csv", rows)
    out, problems, _ = c.spread_quota_file(ws, path, TopDownSpec("revenue", "rep", {}))
    assert out is None
    text = {(p.sheet, p.code): str(p) for p in problems}
    assert ("row 3", "quotas-unknown-salesperson") in text and f"did you mean {person}" in text[
        ("row 3", "quotas-unknown-salesperson")]
    assert ("row 4", "quotas-period") in text and ("row 5", "quotas-period") in text
    assert f"not the plan year {year}" in text[("row 5", "quotas-period")]
    assert ("row 6", "quotas-duplicate") in text and "rows 2, 6" in text[("row 6", "quotas-duplicate")]
    assert ("row 7", "quotas-value") in text and "'lots' is not a number" in text[("row 7", "quotas-value")]
    assert ("row 8", "quotas-value") in text and ("row 9", "quotas-value") in text
    assert ("row 10", "quotas-period") in text
    assert ws.store.current_plan_version(year) == base


def test_a_quota_without_lines_to_carry_it_and_a_far_quota_are_errors(consolidated, tmp_path):
    ws = consolidated
    base = ws.store.current_plan_version(ws.config.plan_year)
    person = sorted({a.rep for a in ws.config.accounts})[0]
    now = revenue_by_rep_quarter(ws)[(person, 1)]
    far = write_quota_csv(tmp_path / "far.csv", [(person, "Q1", str((now * 40).quantize(Decimal("0.01"))))])
    out, problems, _ = c.spread_quota_file(ws, far, TopDownSpec("revenue", "rep", {}))
    assert out is None and [p.code for p in problems] == ["quotas-refused"] and "--allow-far" in str(problems[0])
    out, problems, _ = c.spread_quota_file(ws, far, TopDownSpec("revenue", "rep", {}, allow_far=True), dry_run=True)
    assert out is not None and out.version_id is None
    assert ws.store.current_plan_version(ws.config.plan_year) == base


def test_a_salesperson_with_a_quota_but_no_lines_is_an_error(consolidated, tmp_path):
    ws = consolidated
    root = ws.root
    data = yaml.safe_load((root / "kamplan.yaml").read_text(encoding="utf-8"))
    first = data["staff"][0]
    data["staff"].append({**first, "id": "newbie", "email": "newbie@example.com"})  # hired, no accounts yet
    (root / "kamplan.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    ws.close()
    with Workspace.open(root) as w:
        base = w.store.current_plan_version(w.config.plan_year)
        person = sorted({a.rep for a in w.config.accounts})[0]
        path = write_quota_csv(tmp_path / "new.csv", [(person, "Q1", "1000000"), ("newbie", "Q3", "1000")])
        out, problems, _ = c.spread_quota_file(w, path, TopDownSpec("revenue", "rep", {}))
        assert out is None
        assert [(p.code, p.sheet) for p in problems] == [("quotas-no-lines", "row 3")]
        assert "newbie has a quota in Q3 but no plan line in Q3" in str(problems[0])
        assert w.store.current_plan_version(w.config.plan_year) == base


def test_with_shared_credit_each_quota_is_met_by_its_credited_share(consolidated, tmp_path):
    """The demo's account teams share lines (a member with 30% of an account): the spread fits the owner's
    and the member's quotas together and each is met by the credited total, computed here by hand."""
    ws = consolidated
    teamed = next(a for a in ws.config.accounts if any(m.role == "member" for m in a.team))
    first, second = teamed.rep, next(m.salesperson for m in teamed.team if m.role == "member")
    _, lines = ws.store.plan_version(ws.store.current_plan_version(ws.config.plan_year))
    credit = c._salesperson_credit(ws.config, lines)
    assert len(credit[credit["account_id"] == teamed.id]["salesperson_id"].unique()) >= 2

    def credited(frame, person, quarter) -> Decimal:
        m = frame[frame["quarter"] == quarter].merge(credit[credit["salesperson_id"] == person],
                                                     on=["account_id", "product_id"])
        return sum((Decimal(repr(float(r))) * Decimal(repr(float(s))) for r, s in zip(m["revenue"], m["share"])),
                   Decimal(0))

    rows = [(p, f"Q{q}", str((credited(lines, p, q) * Decimal("1.04")).quantize(Decimal("0.01"))))
            for p in (first, second) for q in (1, 2, 3, 4)]
    path = write_quota_csv(tmp_path / "team.csv", rows)
    out, problems, _ = c.spread_quota_file(ws, path, TopDownSpec("revenue", "rep", {}))
    assert out is not None and out.version_id is not None, problems
    _, new = ws.store.plan_version(out.version_id)
    for p, period, amount in rows:
        assert abs(credited(new, p, int(period[1])) - Decimal(amount)) <= Decimal("0.005"), (p, period)
    assert "fitted together" in " ".join(out.result.notes)
