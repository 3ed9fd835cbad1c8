"""A real company's year, end to end on the command line, reconciled to the cent (issue 12, "Done when").

Velo Trading (tests/support/realco.py): several salespeople per account, an ERP export with its own
column names and a salesperson column in ERP codes, quota periods ending on 28 Feb / 30 May / 30 Aug /
30 Nov, products in pieces, pairs and litres, ids with accents and in Chinese, a manager without a region.
It goes through history import → segment → consolidate → quotas → agree → actuals → evaluate, and every
per-salesperson, per-period figure is recomputed here with ``Decimal`` from the lines as the ERP wrote
them, with the test's own calendar and credit rules — never with kamplan's functions.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal

import pytest
import yaml
from click.testing import CliRunner

from kamplan.cli.main import cli
from support.realco import PLAN_YEAR, STAFF, TECH, build_company, fiscal_period, quotas, write_erp

CENT = Decimal("0.01")


def run(*args):
    res = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return res


def run_json(*args, ok=(0,)):
    res = run(*args, "--json")
    assert res.exit_code in ok, res.output
    return json.loads(res.output)


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d.%m.%Y").date()


def _shares(account: dict, product: str) -> dict[str, Decimal]:
    """The test's own credit rule: members get their share (per product where given), the owner the
    rest, an overlay full credit outside the 100%."""
    out: dict[str, Decimal] = {}
    rest = Decimal(1)
    for m in account.get("team", []):
        share = m["share"].get(product, 0) if isinstance(m["share"], dict) else m["share"]
        share = Decimal(str(share))
        if m["role"] == "overlay":
            out[m["salesperson"]] = Decimal(1)
            continue
        if share:
            out[m["salesperson"]] = out.get(m["salesperson"], Decimal(0)) + share
            rest -= share
    out[account["rep"]] = out.get(account["rep"], Decimal(0)) + rest
    return out


def expected_actuals(company) -> tuple[dict, dict, dict]:
    """(person, quarter) -> credited revenue; quarter -> company revenue; (person, quarter) -> overlay
    revenue — from the ERP lines' text."""
    accounts = {a["id"]: a for a in company.accounts}
    overlay_people = {(a["id"], m["salesperson"]) for a in company.accounts for m in a.get("team", [])
                      if m["role"] == "overlay"}
    credited: dict = defaultdict(Decimal)
    overlay: dict = defaultdict(Decimal)
    total: dict = defaultdict(Decimal)
    for x in company.plan_lines:
        year, q = fiscal_period(_date(x.date))
        assert year == PLAN_YEAR
        amount = Decimal(x.amount)
        total[q] += amount
        if x.rep_code:
            credited[(company.code_to_staff[x.rep_code], q)] += amount
            for acc, person in overlay_people:
                if acc == x.customer:
                    overlay[(person, q)] += amount
            continue
        for person, share in _shares(accounts[x.customer], x.product).items():
            if (x.customer, person) in overlay_people:
                overlay[(person, q)] += amount * share
            else:
                credited[(person, q)] += amount * share
    return credited, total, overlay


@pytest.fixture(scope="module")
def velo(tmp_path_factory):
    root = tmp_path_factory.mktemp("velo")
    company = build_company()
    config = root / "velo.yaml"
    config.write_text(yaml.safe_dump(company.config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    ws = root / "ws"
    res = run("init", ws, "--config", config)
    assert res.exit_code == 0, res.output
    return company, ws, root


def test_history_lands_in_the_companys_own_periods(velo):
    company, ws, root = velo
    erp = write_erp(root / "erp_fy2012.csv", company.history_lines)
    data = run_json("-w", ws, "actuals", "import", erp)
    expected: dict = defaultdict(Decimal)
    for x in company.history_lines:
        year, q = fiscal_period(_date(x.date))
        assert year == PLAN_YEAR - 1
        expected[q] += Decimal(x.amount)
    from kamplan.workspace import Workspace
    with Workspace.open_readonly(ws) as w:
        history = w.store.history()
    got = history[history["year"] == PLAN_YEAR - 1].groupby("quarter")["revenue"].sum()
    assert {int(q): Decimal(str(v)).quantize(CENT) for q, v in got.items()} == {
        q: v.quantize(CENT) for q, v in expected.items()}
    assert data["revenue_stored"] == pytest.approx(float(sum(expected.values())), abs=0.005)


def test_segment_quotas_agree(velo):
    company, ws, root = velo
    run_json("-w", ws, "accounts", "segment", "--year", PLAN_YEAR - 1)
    run_json("-w", ws, "targets", "consolidate")
    table = root / "quotas.csv"
    rows = quotas(company)
    with table.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("salesperson", "period", "amount"), *rows])
    data = run_json("-w", ws, "targets", "quotas", "import", table)
    assert data["version"] >= 2
    res = run("-w", ws, "targets", "agree")
    assert res.exit_code == 0, res.output
    # Each salesperson's quarter quota is what their credited plan lines of that quarter add up to.
    from kamplan.workspace import Workspace
    with Workspace.open_readonly(ws) as w:
        _, plan = w.store.plan_version(int(w.store.agreement(PLAN_YEAR)["version_id"]))
    got = plan_by_person(company, plan)
    for person, period, amount in rows:
        q = int(period[-1])
        assert got[(person, q)].quantize(CENT) == Decimal(amount), (person, period)


def plan_by_person(company, plan, with_overlay: bool = False) -> dict:
    """(person, quarter) -> credited plan revenue (Decimal of each stored line x the person's share)."""
    accounts = {a["id"]: a for a in company.accounts}
    out: dict = defaultdict(Decimal)
    for r in plan.itertuples():
        overlay = {m["salesperson"] for m in accounts[r.account_id].get("team", []) if m["role"] == "overlay"}
        for person, share in _shares(accounts[r.account_id], r.product_id).items():
            if with_overlay or person not in overlay:
                out[(person, int(r.quarter))] += Decimal(str(r.revenue)) * share
    return out


def test_actuals_credited_and_evaluated_to_the_cent(velo):
    company, ws, root = velo
    erp = write_erp(root / "erp_fy2013_h1.csv", company.plan_lines + company.unknown_code_lines)
    data = run_json("-w", ws, "actuals", "import", erp)
    [unknown] = [v for f in data["files"] for v in f["unmatched_values"]]
    assert (unknown["what"], unknown["value"], unknown["revenue"]) == ("salesperson", "S-77", 350.0)
    credited, total, overlay = expected_actuals(company)
    from kamplan.stages.evaluation import evaluation_data
    from kamplan.workspace import Workspace
    with Workspace.open_readonly(ws) as w:
        _, plan = w.store.plan_version(int(w.store.agreement(PLAN_YEAR)["version_id"]))
    goals = plan_by_person(company, plan, with_overlay=True)
    for q in (1, 2):
        ev = run_json("-w", ws, "evaluate", "--quarter", q)
        assert Decimal(str(ev["company"][0]["q_actual_revenue"])).quantize(CENT) == total[q].quantize(CENT)
        with Workspace.open_readonly(ws) as w:
            per = evaluation_data(w, q).quarters
        per = per[per["quarter"] == q].set_index("rep_id")
        shown: dict = {}
        for sid, *_ in STAFF:
            want = credited.get((sid, q), Decimal(0)) + overlay.get((sid, q), Decimal(0))
            got = per.loc[sid, "actual_revenue"] if sid in per.index else 0.0
            got = Decimal(0) if got != got else Decimal(str(got))  # NaN: nothing credited
            # A share of a line may leave half a cent: the parts are whole cents that add up (largest
            # remainder), so each is within a cent of the exact credit and exact where no cent is split.
            assert abs(got - want) < CENT and (got == want.quantize(CENT) or want != want.quantize(CENT)), \
                (sid, q, got, want)
            shown[sid] = got
            goal = Decimal(str(per.loc[sid, "target_revenue"])) if sid in per.index else Decimal(0)
            assert abs(goal - goals[(sid, q)]) < CENT, (sid, q, goal, goals[(sid, q)])
        # the salespeople's credit (overlays aside) adds up to the company's revenue to the cent, both
        # computed here and as kamplan shows it
        assert sum(credited[(s, q)] for s, *_ in STAFF).quantize(CENT) == total[q].quantize(CENT)
        assert sum(v for s, v in shown.items() if s != TECH) == total[q].quantize(CENT)
