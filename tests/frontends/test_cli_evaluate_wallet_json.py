"""``kamplan evaluate --json`` lists the evaluation workbook's Share of wallet rows (issue 15's sheet): valid JSON
(no NaN or Infinity), numbers as numbers, our revenue to the cent; reconciled here against the store's history
and the account plans' usage, summed by Decimal independently of ``engine.wallet``."""
from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.demo.account_plans import keep_plans
from kamplan.demo.actuals import drifting_accounts
from kamplan.demo.company import DEMO_SEED
from kamplan.stages.plan import plan_view
from support.evaluation import evaluation_workspace

QUARTER = 2
CENT = Decimal("0.01")


def _refuse(constant):
    raise AssertionError(f"{constant} in --json")


def _evaluate_json(root, rep: str) -> dict:
    r = CliRunner().invoke(cli, ["-w", str(root), "evaluate", "-q", str(QUARTER), "--rep", rep, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output, parse_constant=_refuse)


def _expected(ws) -> dict[tuple[str, str], dict]:
    """Per (account, product) of the evaluated quarter: usage (a quarter of the plan's annual usage), our volume
    and revenue (the history's lines), share, bought elsewhere, whitespace -- in Decimal."""
    year = ws.config.plan_year
    business = ws.store.account_plan_rows(year, "business")
    assert "quarter" not in business.columns  # the demo's plans give annual usage: a quarter is a quarter of it
    usage: dict[tuple[str, str], Decimal] = {}
    for row in business.to_dict("records"):
        for column, value in row.items():
            if str(column).startswith("usage_") and value is not None and value == value and str(value) != "":
                key = (row["account_id"], str(column)[len("usage_"):])
                usage[key] = usage.get(key, Decimal(0)) + Decimal(repr(float(value))) / 4
    history = ws.store.history()
    ours: dict[tuple[str, str], list[Decimal]] = {}
    for r in history[(history["year"] == year) & (history["quarter"] == QUARTER)].to_dict("records"):
        got = ours.setdefault((r["account_id"], r["product_id"]), [Decimal(0), Decimal(0)])
        got[0] += Decimal(repr(float(r["volume"])))
        got[1] += Decimal(repr(float(r["revenue"])))
    owner = {a.id: a.rep for a in ws.config.accounts}
    out = {}
    for key, used in usage.items():
        if key[0] not in owner:
            continue
        volume, revenue = ours.get(key, [Decimal(0), Decimal(0)])
        out[key] = {"rep_id": owner[key[0]], "usage": used, "ours": volume, "revenue": revenue.quantize(CENT, rounding=ROUND_HALF_UP),
                    "share": volume / used if used > 0 else None, "elsewhere": max(used - volume, Decimal(0)),
                    "whitespace": used > 0 and volume <= 0}
    return out


@pytest.fixture(scope="module")
def with_plans(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval-wallet-json")
    ws = evaluation_workspace(root, root / "ws")
    targets = plan_view(ws.store, ws.config.plan_year).targets
    drifting = drifting_accounts(targets, DEMO_SEED)
    for q in (1, QUARTER):
        keep_plans(ws, q, targets, drifting, DEMO_SEED)
    expected = _expected(ws)
    rep = ws.config.staff[0].id
    ws.close()
    return _evaluate_json(root / "ws", rep), expected


def test_evaluate_json_lists_the_share_of_wallet_rows_reconciled_to_the_cent(with_plans):
    data, expected = with_plans
    rows = data["share_of_wallet"]
    assert rows and len(rows) == len(expected)
    got = {(r["account_id"], r["product_id"]): r for r in rows}
    assert set(got) == set(expected)
    assert any(r["share"] is not None for r in rows) and any(r["whitespace"] for r in rows)
    for key, e in expected.items():
        r = got[key]
        assert r["rep_id"] == e["rep_id"]
        assert isinstance(r["revenue"], (int, float)) and Decimal(repr(r["revenue"])) == e["revenue"], key
        for field in ("usage", "ours", "elsewhere"):
            assert isinstance(r[field], (int, float)) and math.isclose(r[field], float(e[field]), abs_tol=1e-9), \
                (key, field)
        if e["share"] is None:
            assert r["share"] is None
        else:
            assert math.isclose(r["share"], float(e["share"]), rel_tol=1e-12), key
        assert r["whitespace"] is e["whitespace"]
    # the total of our revenue in these rows, to the cent
    total = sum((Decimal(repr(r["revenue"])) for r in rows), Decimal(0))
    assert total == sum((e["revenue"] for e in expected.values()), Decimal(0))


def test_without_account_plans_the_list_is_empty(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval-no-wallet-json")
    ws = evaluation_workspace(root, root / "ws")
    rep = ws.config.staff[0].id
    ws.close()
    data = _evaluate_json(root / "ws", rep)
    assert data["ok"] is True and data["share_of_wallet"] == []
