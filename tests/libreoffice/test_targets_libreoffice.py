"""Open generated workbooks in LibreOffice Calc, recalculate, and compare every formula with the engine."""
from __future__ import annotations

import math

import numpy as np
import openpyxl
import pytest

from kamplan.demo.salesforce import fill_target_workbook, layout_of
from kamplan.engine.targets import last_year_lines
from kamplan.stages.targets import collect_targets
from kamplan.workbooks.kit.i18n import t
from support.expected import EMPTY, expected_formula_values
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


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_formula_matches_the_engine_and_none_is_an_error(libreoffice, language, cache_root, tmp_path):
    ws = demo_workspace(cache_root, language, tmp_path / "ws")
    with ws:
        cfg = ws.config
        ly = last_year_lines(ws.store.history([cfg.plan_year - 1]), cfg.plan_year - 1)
        units = {k: t(f"unit.{cfg.unit_of_kind(k)}", language) for k in ("executive", "technical", "advisor")}
        issued = sorted(ws.round_outbox(1).glob("*.xlsx"))
        rng = np.random.default_rng(11)
        paths = [issued[0], issued[3]]  # a blank issued workbook is checked below too
        for p in paths:
            fill_target_workbook(p, ws.inbox / p.name, rng)
        res = collect_targets(ws, [ws.inbox])
        assert all(f.outcome == "stored" for f in res.files)
        for p in paths:
            filled = ws.inbox / p.name
            lay = layout_of(openpyxl.load_workbook(filled, read_only=False))
            sub = ws.store.current_submission(p.name.split("_")[0], cfg.plan_year, 1)
            rep_ly = ly[ly.account_id.isin([a.id for a in lay.accounts])]
            expected = expected_formula_values(lay, sub, rep_ly, units)
            rec = libreoffice.recalculate(filled)
            assert rec.errors() == []
            formula_cells = {k for k in rec.cells}
            assert formula_cells == set(expected), (
                f"unchecked formulas: {sorted(formula_cells - set(expected))[:5]}, "
                f"expected but absent: {sorted(set(expected) - formula_cells)[:5]}")
            wrong = [(k, rec.cells[k].value, v) for k, v in expected.items() if not _close(rec.cells[k].value, v)]
            assert wrong == [], wrong[:10]
        # every issued (blank) workbook too: no errors, and every value as the engine says
        from kamplan.workbooks.targets.reader import ReadContext, read_target_workbook
        for p in issued:
            blank, problems = read_target_workbook(p, ReadContext(cfg))
            assert blank is not None, problems
            lay = layout_of(openpyxl.load_workbook(p))
            expected = expected_formula_values(lay, blank, ly[ly.account_id.isin([a.id for a in lay.accounts])],
                                               units)
            rec = libreoffice.recalculate(p)
            assert rec.errors() == []
            assert set(rec.cells) == set(expected)
            assert [k for k, v in expected.items() if not _close(rec.cells[k].value, v)] == []


def test_a_workbook_saved_by_libreoffice_is_collected(libreoffice, cache_root, tmp_path):
    """A salesperson who fills the workbook in LibreOffice returns a file with cached values and LO's XML."""
    ws = demo_workspace(cache_root, "zh-CN", tmp_path / "ws")
    with ws:
        src = sorted(ws.round_outbox(1).glob("*.xlsx"))[2]
        filled = tmp_path / "filled.xlsx"
        typed = fill_target_workbook(src, filled, np.random.default_rng(4))
        saved = ws.inbox / src.name
        libreoffice.recalculate(filled, save_as=saved)
        res = collect_targets(ws, [saved])
        [f] = res.files
        assert f.outcome == "stored", [str(p) for p in f.errors]
        sub = ws.store.current_submission(src.name.split("_")[0], ws.config.plan_year, 1)
        got = sub.targets[sub.targets.volume > 0].set_index(["account_id", "product_id", "quarter"]).volume
        assert dict(got.items()) == typed.volumes
        assert sub.requests.drop(columns=["src", "unit"]).to_dict("records") == typed.requests
