"""Open the evaluation workbooks in LibreOffice, recalculate, compare every formula with the engine."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from support.evaluation import evaluation_workspace, fill_vp_workbook, layout_of
from kamplan.engine.evaluation import group_totals
from kamplan.stages.evaluation import annual_evaluation, collect_evaluations, evaluate, evaluation_data

pytestmark = pytest.mark.libreoffice

EMPTY = ""


def _v(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return EMPTY
    return float(x)


def expected_values(data, path) -> dict[tuple[str, str], object]:
    """What every formula cell of the evaluation workbook at ``path`` must show, from the engine's ``data``."""
    lay = layout_of(path)
    reps = [k[0] for k in lay.reps.row_keys]
    out: dict[tuple[str, str], object] = {}

    def add(tb, r, key, value):
        out[(tb.sheet, tb.ref(r, key))] = value

    lines = data.lines[data.lines["rep_id"].isin(reps)].reset_index(drop=True)
    rs = lay.results
    assert [tuple(k) for k in rs.row_keys] == list(zip(lines["rep_id"], lines["account_id"], lines["product_id"]))
    formulas = [c.key for c in rs.columns if c.role == "formula"]
    for i, row in lines.iterrows():
        for key in formulas:
            add(rs, rs.first_row + i, key, _v(row[key]))
    company = group_totals(lines, [])
    for key in lay.result_sums():  # the lines' sums: the volume effect of the lines holds the mix
        add(rs, rs.total_row, key, float(lines[key].sum()))
    for per in ("q", "ytd"):  # the total's variance: its displayed actual minus its displayed target, to the cent
        for what in ("revenue", "gm"):
            var = _cent_diff(lines[f"{per}_actual_{what}"].sum(), lines[f"{per}_target_{what}"].sum())
            add(rs, rs.total_row, f"{per}_{what}_var", var)
            if len(company):
                assert var == company[f"{per}_{what}_var"].iloc[0]  # the engine's company variance, exactly
    if len(company):
        c = company.iloc[0]
        # At full precision the lines' volume effects are the company's volume + mix effect; each side is
        # rounded to whole cents on its own (largest remainder within a line, within the company), so they
        # may differ by less than a cent per line, never more.
        assert abs(lines["q_volume_effect"].sum() - (c["q_volume_effect"] + c["q_mix_effect"])) < 0.01 * len(lines)
    for per in ("q", "ytd"):
        for what in ("volume", "revenue", "gm"):
            add(rs, rs.total_row, f"{per}_{what}_att", _v(company[f"{per}_{what}_att"].iloc[0]))
    ac = lay.accounts
    accounts = data.accounts[data.accounts["rep_id"].isin(reps)].reset_index(drop=True)
    assert [tuple(k) for k in ac.row_keys] == list(zip(accounts["rep_id"], accounts["account_id"]))
    for i, row in accounts.iterrows():
        for c in ac.columns:
            if c.role == "formula":
                add(ac, ac.first_row + i, c.key, _v(row[c.key]))
    for key in lay.account_sums():
        add(ac, ac.total_row, key, float(accounts[key].sum()))
    for per in ("q", "ytd"):
        add(ac, ac.total_row, f"{per}_revenue_var", _cent_diff(accounts[f"{per}_actual_revenue"].sum(),
                                                               accounts[f"{per}_target_revenue"].sum()))
    for per in ("q", "ytd"):
        t, a = accounts[f"{per}_target_revenue"].sum(), accounts[f"{per}_actual_revenue"].sum()
        add(ac, ac.total_row, f"{per}_revenue_att", a / t if t > 0 else EMPTY)
        # the split closes: price + volume + mix = variance, account by account
        assert np.allclose(accounts[f"{per}_price_effect"] + accounts[f"{per}_volume_effect"]
                           + accounts[f"{per}_mix_effect"], accounts[f"{per}_revenue_var"], atol=1e-6)
    at = lay.activities
    act = data.activity[data.activity["rep_id"].isin(reps)].reset_index(drop=True)

    def ratio(a, b):
        return a / b if b > 0 else EMPTY
    for i, row in act.iterrows():
        r = at.first_row + i
        for per in ("q", "ytd"):
            add(at, r, f"{per}_visit_att", ratio(row[f"{per}_rep_made"], row[f"{per}_rep_planned"]))
        add(at, r, "ytd_training_att", ratio(row["ytd_trainings_held"], row["ytd_trainings_planned"]))
    for key in lay.activity_sums():
        add(at, at.total_row, key, float(act[key].sum()))
    for per in ("q", "ytd"):
        add(at, at.total_row, f"{per}_visit_att", ratio(act[f"{per}_rep_made"].sum(), act[f"{per}_rep_planned"].sum()))
    add(at, at.total_row, "ytd_training_att", ratio(act["ytd_trainings_held"].sum(), act["ytd_trainings_planned"].sum()))
    sc = lay.scorecard
    scores = data.scores.set_index(["rep_id", "goal"])
    for i, key in enumerate(sc.row_keys):
        r = sc.first_row + i
        s = scores.loc[tuple(key)]
        number = s["kind"] == "number"
        add(sc, r, "target", float(s["target"]) if number else EMPTY)
        add(sc, r, "result", float(s["result"]) if number else EMPTY)
        add(sc, r, "attainment", _v(s["attainment"]) if number else EMPTY)
        add(sc, r, "score", _v(s["score"]))
    rp = lay.reps
    totals = data.totals.set_index("rep_id")
    for i, rep in enumerate(reps):
        r = rp.first_row + i
        mine = accounts[accounts["rep_id"] == rep]
        t, a = mine["ytd_target_revenue"].sum(), mine["ytd_actual_revenue"].sum()
        add(rp, r, "ytd_target_revenue", t)
        add(rp, r, "ytd_actual_revenue", a)
        add(rp, r, "ytd_revenue_att", ratio(a, t))
        add(rp, r, "score", _v(totals.at[rep, "score"]))
        add(rp, r, "forecast", mine["forecast"].sum())
        add(rp, r, "annual_target", mine["annual_target"].sum())
        add(rp, r, "gap", mine["gap"].sum())
    for key in ("ytd_target_revenue", "ytd_actual_revenue", "forecast", "annual_target", "gap"):
        add(rp, rp.total_row, key, float(accounts[key if key.startswith("ytd") else key].sum()))
    add(rp, rp.total_row, "ytd_revenue_att", ratio(accounts["ytd_actual_revenue"].sum(),
                                                   accounts["ytd_target_revenue"].sum()))
    qt = lay.quarters
    q = data.quarters[data.quarters["rep_id"].isin(reps)]
    add(qt, qt.total_row, "target_revenue", float(q["target_revenue"].sum()))
    add(qt, qt.total_row, "actual_revenue", float(q["actual_revenue"].sum()))
    if lay.wallet is not None:
        _wallet_values(data, lay, path, add)
    return out


def _wallet_values(data, lay, path, add) -> None:
    """Share of wallet: share, bought elsewhere and whitespace of each row, the engine's (engine.wallet)."""
    import openpyxl
    from kamplan.workbooks.evaluation.layout import et
    tb = lay.wallet
    w = data.wallet[(data.wallet["year"] == data.year) & (data.wallet["quarter"] == data.quarter)]
    engine = w.set_index(["account_id", "product_id"])
    sheet = openpyxl.load_workbook(path, read_only=True)[tb.sheet]
    rows = list(sheet.iter_rows(min_row=tb.first_row + 1, max_row=tb.last_row + 1, values_only=True))
    a, p = tb.col("account_id"), tb.col("product_id")
    for i, row in enumerate(rows):
        e = engine.loc[(row[a], row[p])]
        r = tb.first_row + i
        add(tb, r, "share", _v(e["share"]))
        add(tb, r, "elsewhere", float(e["elsewhere"]))
        add(tb, r, "whitespace", et("w.yes", lay.language) if e["whitespace"] else EMPTY)


def _close(a, b) -> bool:
    if isinstance(b, float) and math.isnan(b):
        b = EMPTY  # the engine has no number (e.g. no visit reports to measure): the workbook shows a blank
    if b == EMPTY or a == EMPTY or a is None:
        return (a in (EMPTY, None)) and b == EMPTY
    if isinstance(b, str) or isinstance(a, str):
        return a == b
    # Amounts are kept at full precision; every level's money variance (line, account, total) is the
    # difference of its displayed cents, in the engine and in the workbook (ROUND): the same cent.
    if abs(float(b)) < 1:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.004)


def _cent_diff(actual: float, target: float) -> float:
    """The difference of two amounts rounded to the cent half away from zero (as ROUND), in plain Decimal.
    Like a spreadsheet's ROUND, a sum that misses a half cent by float noise (1e-10) counts as the half cent:
    the hundredfold amount is taken to 6 decimals first."""
    def c(x):
        hundredfold = Decimal(repr(round(float(x) * 100.0, 6)))
        return hundredfold.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(c(actual) - c(target)) / 100.0


def check(libreoffice, data, path):
    rec = libreoffice.recalculate(path)
    assert rec.errors() == [], [str(c) for c in rec.errors()[:5]]
    expected = expected_values(data, path)
    cells = set(rec.cells)
    assert cells == set(expected), (f"unchecked formulas: {sorted(cells - set(expected))[:5]}, "
                                    f"expected but absent: {sorted(set(expected) - cells)[:5]}")
    wrong = [(k, rec.cells[k].value, v) for k, v in expected.items() if not _close(rec.cells[k].value, v)]
    assert wrong == [], wrong[:10]
    return rec


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("evaluation-lo-cache")


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_formula_of_the_vp_and_a_rep_workbook_matches_the_engine(libreoffice, cache_root, tmp_path, language):
    with evaluation_workspace(cache_root, tmp_path / "ws", language=language) as ws:
        res = evaluate(ws, 2)
        assert res.ok, res.problems
        rec = check(libreoffice, res.data, res.paths["VP"])
        assert len(rec.cells) > 2000
        rep = res.data.reps[0]
        check(libreoffice, res.data, res.paths[rep])


def test_share_of_wallet_recalculates_as_the_engine_computes_it(libreoffice, cache_root, tmp_path):
    """The demo's account plans give the customers' usage: the Share of wallet sheet of the VP's and of a
    salesperson's workbook recalculate to the engine's share, bought elsewhere and whitespace."""
    from kamplan.demo.account_plans import keep_plans
    from kamplan.demo.actuals import drifting_accounts
    from kamplan.demo.company import DEMO_SEED
    from kamplan.stages.plan import plan_view
    with evaluation_workspace(cache_root, tmp_path / "ws", language="zh-CN") as ws:
        targets = plan_view(ws.store, ws.config.plan_year).targets
        for q in (1, 2):
            keep_plans(ws, q, targets, drifting_accounts(targets, DEMO_SEED), DEMO_SEED)
        res = evaluate(ws, 2)
        assert res.ok and layout_of(res.paths["VP"]).wallet is not None, res.problems
        check(libreoffice, res.data, res.paths["VP"])
        rep = next(r for r in res.data.reps if layout_of(res.paths[r]).wallet is not None)
        check(libreoffice, res.data, res.paths[rep])


def test_ratings_typed_in_score_as_the_engine_scores_them(libreoffice, cache_root, tmp_path):
    with evaluation_workspace(cache_root, tmp_path / "ws") as ws:
        res = evaluate(ws, 2)
        reps = res.data.reps
        ratings = {(r, g): 1 + (i + k) % 5 for i, r in enumerate(reps) for k, g in
                   enumerate(("relationship", "account_plan", "revenue"))}
        typed = ws.inbox / "vp.xlsx"
        fill_vp_workbook(res.paths["VP"], typed, ratings=ratings, comments={(reps[0], "revenue"): "good quarter"})
        [f] = collect_evaluations(ws, [typed]).files
        assert f.outcome == "stored" and f.ratings == len(ratings) + 0, [str(p) for p in f.problems]
        data = evaluation_data(ws, 2)
        assert data.totals["score"].notna().all()
        check(libreoffice, data, typed)  # the VP's own file, recalculated: the engine's numbers


def test_annual_summary_recalculates_too(libreoffice, cache_root, tmp_path):
    with evaluation_workspace(cache_root, tmp_path / "ws", quarters=(1, 2, 3, 4)) as ws:
        res = annual_evaluation(ws)
        assert res.ok and res.quarter == 4, res.problems
        check(libreoffice, res.data, res.paths["VP"])


def test_a_vp_workbook_saved_by_libreoffice_is_collected(libreoffice, cache_root, tmp_path):
    with evaluation_workspace(cache_root, tmp_path / "ws") as ws:
        res = evaluate(ws, 2)
        rep = res.data.reps[1]
        filled = tmp_path / "filled.xlsx"
        fill_vp_workbook(res.paths["VP"], filled, ratings={(rep, "relationship"): 4},
                         statuses={0: ("delivered", "sent on time")})
        saved = ws.inbox / "vp.xlsx"
        libreoffice.recalculate(filled, save_as=saved)
        [f] = collect_evaluations(ws, [saved]).files
        assert (f.outcome, f.ratings, f.statuses) == ("stored", 1, 1), [str(p) for p in f.problems]


def test_support_allocated_shows_when_resources_were_allocated(libreoffice, cache_root, tmp_path, monkeypatch):
    import pandas as pd
    from kamplan.stages import evaluation as stage
    with evaluation_workspace(cache_root, tmp_path / "ws") as ws:
        accounts = [a.id for a in ws.config.accounts][:5]
        allocated = pd.DataFrame({"account_id": accounts * 2, "amount": [2.0] * 5 + [3.0] * 5,
                                  "quarter": [1] * 5 + [3] * 5})
        monkeypatch.setattr(stage, "_allocated", lambda ws, year: allocated)
        res = evaluate(ws, 2)
        lay = layout_of(res.paths["VP"])
        assert lay.with_allocation and "support_allocated" in [c.key for c in lay.activities.columns]
        assert res.data.activity["support_allocated"].sum() == 10.0  # Q3's allocation is not due yet
        check(libreoffice, res.data, res.paths["VP"])
