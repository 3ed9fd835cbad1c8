"""Open top-down proposal workbooks in LibreOffice Calc, recalculate, and compare every formula with the engine."""
from __future__ import annotations

import math

import openpyxl
import pandas as pd
import pytest

from kamplan.demo.salesforce import layout_of, respond_to_proposal
from kamplan.engine.targets import growth, last_year_lines, line_totals
from kamplan.model import QUARTERS
from kamplan.workbooks.kit.i18n import t
from kamplan.workbooks.targets.reader import ReadContext, read_target_workbook
from support.expected import EMPTY, expected_formula_values
from support.proposals import collect_round_one, line_figures, nan_to_zero, proposal_from, write_proposal
from support.workspaces import demo_workspace

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("ws-cache")


def _close(a, b) -> bool:
    if b == EMPTY or a == EMPTY or a is None:
        return (a in (EMPTY, None)) and b == EMPTY
    if isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def _g(v):
    return EMPTY if v is None else v


def expected_proposal_values(lay, sub, proposal: pd.DataFrame) -> dict[tuple[str, str], object]:
    """The proposal workbook's own formulas: proposal volume, differences, and the Account totals columns."""
    out: dict[tuple[str, str], object] = {}
    tg, sm = lay.targets, lay.summary
    fig = line_figures(proposal)
    current = line_totals(sub.targets).set_index(["account_id", "product_id"])
    sums: dict[str, float] = {}
    per_acc: dict[str, dict[str, float]] = {}

    def add(table, r, key, value):
        out[(table.sheet, table.ref(r, key))] = value

    for i, (acc, prod) in enumerate(tg.row_keys):
        r = tg.first_row + i
        f = fig.loc[(acc, prod)] if (acc, prod) in fig.index else None
        prop_vol = float(f.proposal_volume) if f is not None else 0.0
        prop_rev = float(f.proposal_revenue) if f is not None else 0.0
        own_vol = nan_to_zero(f.own_volume) if f is not None else 0.0
        own_rev = nan_to_zero(f.own_revenue) if f is not None else 0.0
        rev = float(current.loc[(acc, prod), "revenue"])
        add(tg, r, "proposal_volume", prop_vol)
        add(tg, r, "diff_revenue", rev - own_rev)
        add(tg, r, "diff_pct", _g(growth(rev, own_rev)))
        line = {"own_volume": own_vol, "own_revenue": own_rev, "proposal_volume": prop_vol,
                "proposal_revenue": prop_rev, "revenue_total": rev, "diff_revenue": rev - own_rev}
        for q in QUARTERS:
            p = proposal[(proposal.account_id == acc) & (proposal.product_id == prod) & (proposal.quarter == q)]
            line[f"prop_volume_q{q}"] = float(p.volume.iloc[0]) if len(p) else 0.0
        for k, v in line.items():
            sums[k] = sums.get(k, 0.0) + v
            per_acc.setdefault(acc, {}).setdefault(k, 0.0)
            per_acc[acc][k] += v
    tr = tg.total_row
    for k in ["own_volume", "own_revenue", "proposal_volume", "proposal_revenue", "diff_revenue"] + \
            [f"prop_volume_q{q}" for q in QUARTERS]:
        add(tg, tr, k, sums[k])
    add(tg, tr, "diff_pct", _g(growth(sums["revenue_total"], sums["own_revenue"])))
    totals = {k: 0.0 for k in ("own_volume", "own_revenue", "proposal_volume", "proposal_revenue",
                               "revenue_total", "diff_revenue")}
    for i, (acc,) in enumerate(sm.row_keys):
        r = sm.first_row + i
        a = per_acc[acc]
        for k in ("own_volume", "own_revenue", "proposal_volume", "proposal_revenue", "diff_revenue"):
            add(sm, r, k, a[k])
        add(sm, r, "diff_pct", _g(growth(a["revenue_total"], a["own_revenue"])))
        for k in totals:
            totals[k] += a[k]
    for k in ("own_volume", "own_revenue", "proposal_volume", "proposal_revenue", "diff_revenue"):
        add(sm, sm.total_row, k, totals[k])
    add(sm, sm.total_row, "diff_pct", _g(growth(totals["revenue_total"], totals["own_revenue"])))
    return out


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_formula_of_a_proposal_workbook_matches_the_engine(libreoffice, language, cache_root, tmp_path):
    ws = demo_workspace(cache_root, language, tmp_path / "ws")
    with ws:
        cfg = ws.config
        reps = collect_round_one(ws)
        ly = last_year_lines(ws.store.history([cfg.plan_year - 1]), cfg.plan_year - 1)
        units = {k: t(f"unit.{cfg.unit_of_kind(k)}", language) for k in ("executive", "technical", "advisor")}
        for n, rep in enumerate(reps):
            before = ws.store.current_submission(rep, cfg.plan_year, 1)
            proposal = proposal_from(before, uplift=1.08 + 0.05 * n)
            issued = write_proposal(ws, rep, tmp_path / "out", proposal, before)
            answered = tmp_path / "back" / issued.name
            respond_to_proposal(issued, answered, n + 1, counter_share=0.3)
            for path in (issued, answered):  # as issued (all accepted) and with counters
                sub, problems = read_target_workbook(path, ReadContext(cfg))
                assert sub is not None, [str(p) for p in problems]
                lay = layout_of(openpyxl.load_workbook(path))
                assert lay.proposal
                rep_ly = ly[ly.account_id.isin([a.id for a in lay.accounts])]
                expected = expected_formula_values(lay, sub, rep_ly, units)
                expected.update(expected_proposal_values(lay, sub, proposal))
                rec = libreoffice.recalculate(path)
                assert rec.errors() == []
                assert set(rec.cells) == set(expected), (
                    f"unchecked formulas: {sorted(set(rec.cells) - set(expected))[:5]}, "
                    f"expected but absent: {sorted(set(expected) - set(rec.cells))[:5]}")
                wrong = [(k, rec.cells[k].value, v) for k, v in expected.items()
                         if not _close(rec.cells[k].value, v)]
                assert wrong == [], wrong[:10]


def test_a_proposal_answered_in_libreoffice_is_collected(libreoffice, cache_root, tmp_path):
    """Saved by LibreOffice (cached values, its own XML): the digest and the responses still hold."""
    ws = demo_workspace(cache_root, "zh-CN", tmp_path / "ws")
    with ws:
        cfg = ws.config
        [rep] = collect_round_one(ws, n_reps=1)
        before = ws.store.current_submission(rep, cfg.plan_year, 1)
        proposal = proposal_from(before, uplift=1.123)  # volumes with decimals, revenue with cents
        issued = write_proposal(ws, rep, tmp_path / "out", proposal, before)
        answered = respond_to_proposal(issued, tmp_path / "filled.xlsx", 9, counter_share=0.3)
        saved = tmp_path / "saved" / issued.name
        saved.parent.mkdir()
        libreoffice.recalculate(tmp_path / "filled.xlsx", save_as=saved)
        sub, problems = read_target_workbook(saved, ReadContext(cfg))
        assert sub is not None, [str(p) for p in problems]
        got = sub.targets.set_index(["account_id", "product_id", "quarter"])
        assert {(a, p) for a, p, _ in got[got.response == "counter"].index} == set(answered.counters)
        for key, (vol, price) in answered.lines.items():
            assert math.isclose(got.loc[key, "volume"], vol, abs_tol=1e-9)
            assert math.isclose(got.loc[key, "price"], price, abs_tol=1e-9)
