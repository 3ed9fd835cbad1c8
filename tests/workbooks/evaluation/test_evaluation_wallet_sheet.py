"""Share of wallet in the evaluation workbook (issue 15): with the demo's account plans kept, the VP's and each
salesperson's evaluation have a Share of wallet sheet per account x product of the quarter -- the customer's
usage, our volume and revenue, and live share, bought-elsewhere and whitespace formulas whose saved results
are the engine's; a workspace without account plans has no such sheet."""
from __future__ import annotations

import math

import openpyxl
import pytest

from kamplan.demo.account_plans import keep_plans
from kamplan.demo.actuals import drifting_accounts
from kamplan.demo.company import DEMO_SEED
from kamplan.stages.evaluation import evaluate
from kamplan.stages.plan import plan_view
from kamplan.workbooks.evaluation.layout import et
from kamplan.workbooks.evaluation.reader import read_evaluation_workbook
from support.evaluation import evaluation_workspace, layout_of

QUARTER = 2


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval-wallet")
    out = {}
    for language in ("en", "zh-CN"):
        ws = evaluation_workspace(root, root / f"ws-{language}", language=language)
        targets = plan_view(ws.store, ws.config.plan_year).targets
        drifting = drifting_accounts(targets, DEMO_SEED)
        for q in (1, QUARTER):
            keep_plans(ws, q, targets, drifting, DEMO_SEED)
        res = evaluate(ws, QUARTER)
        assert res.ok, res.problems
        out[language] = (ws, res)
    yield out
    for ws, _ in out.values():
        ws.close()


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_wallet_sheet_shows_the_engines_share_per_account_and_product(planned, language):
    ws, res = planned[language]
    wallet = res.data.wallet
    quarter = wallet[(wallet["year"] == res.year) & (wallet["quarter"] == QUARTER)].reset_index(drop=True)
    assert len(quarter) and quarter["share"].notna().any()
    lay = layout_of(res.paths["VP"])
    tb = lay.wallet
    assert tb is not None and tb.sheet == et("sheet.wallet", language) and tb.n_rows == len(quarter)
    wb = openpyxl.load_workbook(res.paths["VP"], data_only=True)  # the saved results, as a previewer shows them
    sheet = wb[tb.sheet]
    got = {}
    for i in range(tb.n_rows):
        r = tb.first_row + i
        got[(sheet[tb.ref(r, "account_id")].value, sheet[tb.ref(r, "product_id")].value)] = r
    expected = quarter.set_index(["account_id", "product_id"])
    assert set(got) == set(expected.index)
    yes = et("w.yes", language)
    owner = {a.id: a.rep for a in ws.config.accounts}
    for (account, product), r in got.items():
        e = expected.loc[(account, product)]
        assert sheet[tb.ref(r, "rep_id")].value == owner[account]
        assert math.isclose(sheet[tb.ref(r, "usage")].value, e["usage"], abs_tol=1e-9)
        assert math.isclose(sheet[tb.ref(r, "ours")].value or 0.0, e["ours"], abs_tol=1e-9)
        share = sheet[tb.ref(r, "share")].value
        if e["share"] is None or (isinstance(e["share"], float) and math.isnan(e["share"])):
            assert share in ("", None)
        else:
            assert math.isclose(share, float(e["share"]), rel_tol=1e-12)
        assert math.isclose(sheet[tb.ref(r, "elsewhere")].value, e["elsewhere"], abs_tol=1e-9)
        assert (sheet[tb.ref(r, "whitespace")].value == yes) == bool(e["whitespace"])
    formula = openpyxl.load_workbook(res.paths["VP"])[tb.sheet][tb.ref(tb.first_row, "share")].value
    assert str(formula).startswith("=IF(")
    # each salesperson sees the accounts they own
    rep = next(r for r in res.data.reps if r in set(quarter["account_id"].map(owner)))
    mine = layout_of(res.paths[rep]).wallet
    assert mine.n_rows == int((quarter["account_id"].map(owner) == rep).sum())
    # and the VP's workbook with the sheet still reads back (its layout fingerprint holds it)
    got, problems = read_evaluation_workbook(res.paths["VP"], ws.config)
    assert got is not None, [str(p) for p in problems]


def test_no_account_plans_no_wallet_sheet(tmp_path):
    with evaluation_workspace(tmp_path, tmp_path / "plain") as ws:
        res = evaluate(ws, QUARTER)
        assert res.data.wallet is None and layout_of(res.paths["VP"]).wallet is None
