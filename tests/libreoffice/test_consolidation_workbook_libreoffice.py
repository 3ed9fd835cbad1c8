"""Open the consolidation workbook in LibreOffice, recalculate, and compare every formula with pandas
totals of the lines it was written from."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kamplan.engine.topdown import TopDownSpec, parse_bound
from kamplan.workbooks.consolidation.layout import LEVEL_COLUMN, MEASURE_ORDER, PERIODS, block_key
from kamplan.workbooks.consolidation.reader import read_topdown_instruction
from kamplan.workbooks.consolidation.writer import write_consolidation_workbook
from support.consolidation import small_config, small_content
from support.consolidation import fill, layout_of

pytestmark = pytest.mark.libreoffice

EMPTY = ""
SOURCES = {"ly": "ly_{m}", "own": "own_{m}", "cur": "{m}"}


def _ratio(a: float, b: float):
    return a / b - 1 if b > 0 else EMPTY


def _totals(part: pd.DataFrame) -> dict[str, object]:
    """Every measure block cell of one row, from the lines it covers."""
    out: dict[str, object] = {}
    for m in MEASURE_ORDER:
        for p in PERIODS:
            rows = part if p == "y" else part[part["quarter"] == int(p[1])]
            v = {w: float(rows[src.format(m=m)].sum()) for w, src in SOURCES.items()}  # NaN skipped, as SUMIFS
            for w, x in v.items():
                out[block_key(p, m, w)] = x
            out[block_key(p, m, "growth")] = _ratio(v["cur"], v["ly"])
            out[block_key(p, m, "vs_own")] = _ratio(v["cur"], v["own"])
    return out


def expected_values(content, path) -> dict[tuple[str, str], object]:
    lay = layout_of(path)
    lines = content.lines
    names = lay.sheet_names
    out: dict[tuple[str, str], object] = {}
    from kamplan.workbooks.consolidation.writer import _View
    full = _View(content).layout  # the written layout, rows included
    sm, ac = full.summary, full.accounts
    for i, (level, ident) in enumerate(sm.row_keys):
        r = sm.first_row + i
        part = lines if level == "company" else lines[lines[LEVEL_COLUMN[level]] == ident]
        values = _totals(part)
        revenue = values[block_key("y", "revenue", "cur")]
        values["runrate_share"] = (float(part.loc[part["basis"] == "run-rate", "revenue"].sum()) / revenue
                                   if revenue > 0 else EMPTY)
        for key, v in values.items():
            out[(names["summary"], sm.ref(r, key))] = v
    for i, (a, p) in enumerate(ac.row_keys):
        r = ac.first_row + i
        part = lines[(lines["account_id"] == a) & (lines["product_id"] == p)]
        for key, v in _totals(part).items():
            out[(names["accounts"], ac.ref(r, key))] = v
    spec = content.instruction
    measure = spec.measure if spec else "revenue"
    fig = lay.figures
    for off, (level, ident) in enumerate(lay.figure_rows()):
        r = fig.first_row + off
        part = lines if level == "company" else lines[lines[LEVEL_COLUMN[level]] == ident]
        v = {w: float(part[src.format(m=measure)].sum()) for w, src in SOURCES.items()}
        figure = spec.figures.get(ident) if spec and spec.by == level else None
        cells = {"ly": v["ly"], "own": v["own"], "cur": v["cur"],
                 "gap_cur": figure - v["cur"] if figure is not None else EMPTY,
                 "gap_own": figure - v["own"] if figure is not None else EMPTY,
                 "growth": figure / v["ly"] - 1 if figure is not None and v["ly"] > 0 else EMPTY}
        for key, x in cells.items():
            out[(names["topdown"], fig.ref(r, key))] = x
    return out


def _close(a, b) -> bool:
    if b == EMPTY or a in (EMPTY, None):
        return a in (EMPTY, None) and b == EMPTY
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def check(libreoffice, content, path):
    rec = libreoffice.recalculate(path)
    assert rec.errors() == [], [str(c) for c in rec.errors()[:5]]
    expected = expected_values(content, path)
    found = set(rec.cells)
    assert found == set(expected), (f"unchecked formulas: {sorted(found - set(expected))[:5]}, "
                                    f"expected but absent: {sorted(set(expected) - found)[:5]}")
    wrong = [(k, rec.cells[k].value, v) for k, v in expected.items() if not _close(rec.cells[k].value, v)]
    assert wrong == [], wrong[:10]
    return rec


SPEC = TopDownSpec("revenue", "product", {"P1": 31_000_000.0, "P3": 64_500_000.0}, "proportional",
                   holds=(("account", "A01"),), bounds=(parse_bound("floor", "class:key=last_year"),))


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_formula_equals_the_pandas_totals_and_none_is_an_error(libreoffice, tmp_path, language):
    content = small_content(language, SPEC)
    path = write_consolidation_workbook(tmp_path / "consolidation.xlsx", content)
    rec = check(libreoffice, content, path)
    assert len(rec.cells) > 1500


def test_the_top_down_totals_follow_the_measure_chosen(libreoffice, tmp_path):
    spec = TopDownSpec("volume", "region", {"east": 9_000.0}, "equal")
    content = small_content("en", spec)
    path = write_consolidation_workbook(tmp_path / "volume.xlsx", content)
    check(libreoffice, content, path)


def test_holes_moved_accounts_and_any_line_order_give_the_same_sums(libreoffice, tmp_path):
    lines = small_content().lines.copy()
    lines.loc[lines["account_id"] == "A03", ["ly_volume", "ly_revenue"]] = np.nan
    lines.loc[lines["product_id"] == "P2", ["own_volume", "own_revenue"]] = np.nan
    lines.loc[lines["account_id"] == "A07", ["volume", "revenue"]] = 0.0
    # A02 moved from wang to chen in the second half: its lines sit under two salespeople
    lines.loc[(lines["account_id"] == "A02") & (lines["quarter"] >= 3), "rep_id"] = "chen"
    lines = lines.sample(frac=1.0, random_state=3)  # any order in, the same sums out
    content = small_content("zh-CN", None, lines=lines)
    path = write_consolidation_workbook(tmp_path / "holes.xlsx", content)
    check(libreoffice, content, path)


def test_an_instruction_saved_by_libreoffice_is_read(libreoffice, tmp_path):
    src = write_consolidation_workbook(tmp_path / "consolidation.xlsx", small_content("en"))
    typed = fill(src, tmp_path / "typed.xlsx", params={"method": "Growth % over last year", "growth": 0.04},
                 figures={("company", "*"): 123_000_000}, holds=[("Salesperson", "li")],
                 bounds=[("Cap", "all=own*1.25")])
    saved = tmp_path / "saved.xlsx"
    libreoffice.recalculate(typed, save_as=saved)
    spec, problems = read_topdown_instruction(saved, small_config())
    assert problems == [], [str(p) for p in problems]
    assert spec == TopDownSpec("revenue", "company", {"*": 123_000_000.0}, "growth", growth=0.04,
                               holds=(("rep", "li"),), bounds=(parse_bound("cap", "all=own*1.25"),))
