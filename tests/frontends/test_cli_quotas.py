"""``kamplan targets quotas import`` and ``targets spread --by rep`` on the command line: dry run, JSON, an
xlsx with Chinese headers, figures per salesperson and quarter, and a bad file refused with its row."""
from __future__ import annotations

import json
from decimal import Decimal

from click.testing import CliRunner
from openpyxl import Workbook

from kamplan.cli.main import cli
from kamplan.workspace import Workspace
from support.quotas import consolidated, quota_rows, revenue_by_rep_quarter, solo_salespeople, write_quota_csv  # noqa: F401


def cents_by_rep_quarter(ws, version: int) -> dict[tuple[str, int], int]:
    """Independent of the code under test: the stored lines in whole cents, by Decimal."""
    _, lines = ws.store.plan_version(version)
    out: dict[tuple[str, int], int] = {}
    for r, q, v in lines[["rep_id", "quarter", "revenue"]].itertuples(index=False):
        out[(r, int(q))] = out.get((r, int(q)), 0) + int((Decimal(repr(float(v))) * 100).to_integral_value())
    return out


def test_cli_quotas_import_dry_run_json_xlsx_and_spread_by_rep(consolidated, tmp_path):
    ws = consolidated
    root = str(ws.root)
    rows = quota_rows(ws, "0.96", reps=2)
    ws.close()
    book = tmp_path / "quotas.xlsx"
    wb = Workbook()
    sheet = wb.active
    sheet.append(["业务员", "期间", "金额"])  # Chinese headers
    for p, period, amount in rows:
        sheet.append([p, period, float(amount)])
    wb.save(book)
    run = CliRunner().invoke
    r = run(cli, ["-w", root, "targets", "quotas", "import", str(book), "--dry-run", "--json"])
    assert r.exit_code == 0, r.output
    dry = json.loads(r.output)
    assert dry["stored"] is False and dry["dry_run"] is True and dry["quotas"] == 8
    r = run(cli, ["-w", root, "targets", "quotas", "import", str(book), "--note", "plan B"])
    assert r.exit_code == 0, r.output
    assert "Stored as version 2" in " ".join(r.output.split())
    r = run(cli, ["-w", root, "targets", "versions", "--json"])
    assert "quotas.xlsx" in json.loads(r.output)["versions"][-1]["description"]
    # the versions in Chinese: kind and description said from each version's record, not the stored English
    zh = " ".join(CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["-w", root, "--lang", "zh-CN", "targets",
                                                                 "versions"]).output.split())
    assert "自下而上" in zh and "自上而下" in zh and "quotas.xlsx" in zh, zh
    assert "bottom-up" not in zh and "top-down" not in zh, zh
    # --by rep on the command line: a year figure for one, a quarter figure for another
    with Workspace.open(root) as w:
        now = revenue_by_rep_quarter(w)
    a, b = [r for r in sorted({r for r, _ in now}) if r in solo_salespeople(w)][2:4]
    year_a = sum(v for (r, _), v in now.items() if r == a) * Decimal("1.05")
    q2_b = now[(b, 2)] * Decimal("1.1")
    fig_a, fig_b = f"{year_a:.2f}", f"{q2_b:.2f}"
    r = run(cli, ["-w", root, "targets", "spread", "--by", "rep", f"{a}={fig_a}", f"{b}:q2={fig_b}", "--json"])
    assert r.exit_code == 0, r.output
    version = json.loads(r.output)["version"]
    with Workspace.open(root) as w:
        got = cents_by_rep_quarter(w, version)
    assert sum(v for (r, _), v in got.items() if r == a) == int(Decimal(fig_a) * 100)
    assert got[(b, 2)] == int(Decimal(fig_b) * 100)
    # a quota table through spread --by rep --from; a bad file exits 1 with the row
    bad = write_quota_csv(tmp_path / "bad.csv", [(a, "Q7", "100")])
    r = run(cli, ["-w", root, "targets", "spread", "--by", "rep", "--from", str(bad)])
    assert r.exit_code == 1 and "row 2" in r.output and "Q7" in r.output
    r = run(cli, ["-w", root, "targets", "spread", "--by", "rep", "X:Q5=3"])
    assert r.exit_code == 2 and "ID:Q1" in r.output


def test_cli_quotas_import_json_on_a_bad_file_is_valid_json_with_the_rows(consolidated, tmp_path):
    ws = consolidated
    root = str(ws.root)
    person = sorted({a.rep for a in ws.config.accounts})[0]
    ws.close()
    bad = write_quota_csv(tmp_path / "bad.csv", [(person, "Q1", "12 apples"), ("nobody", "Q2", "5")])
    r = CliRunner().invoke(cli, ["-w", root, "targets", "quotas", "import", str(bad), "--json"])
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["stored"] is False
    assert {(p["code"], p["sheet"]) for p in out["problems"]} == {("quotas-value", "row 2"),
                                                                  ("quotas-unknown-salesperson", "row 3")}
    r = CliRunner().invoke(cli, ["-w", root, "targets", "versions", "--json"])
    assert len(json.loads(r.output)["versions"]) == 1  # nothing stored
