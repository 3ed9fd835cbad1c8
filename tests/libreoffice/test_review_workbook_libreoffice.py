"""Open the account review workbook in LibreOffice, recalculate, compare every formula with the engine."""
from __future__ import annotations

import math

import openpyxl
import pytest

from kamplan.stages.review import collect_reviews, segment_accounts
from kamplan.workbooks.review.content import build_review_content
from support.review import JUDGED, fill_review, review_workspace

pytestmark = pytest.mark.libreoffice

EMPTY = ""


def _v(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return EMPTY
    return float(x)


def expected_review_values(ws, seg, path) -> dict[tuple[str, str], object]:
    """What every formula cell of the review workbook at ``path`` must show, from the engine's ``seg``.

    ``seg`` must be the engine's result with the judgements and overrides the workbook holds.
    """
    cfg = ws.config
    content = build_review_content(cfg, seg, 0, ws.store.overrides(cfg.plan_year),
                                   ws.store.judgements(cfg.plan_year))
    lay = content.layout()
    label = content.class_label
    out: dict[tuple[str, str], object] = {}

    def add(tb, r, key, value):
        out[(tb.sheet, tb.ref(r, key))] = value

    acc = seg.accounts.iloc[: len(lay.ranking.row_keys)]
    assert [k[0] for k in lay.ranking.row_keys] == list(acc.index)
    rk, sc, rv = lay.ranking, lay.scores, lay.review
    for i, (a, row) in enumerate(acc.iterrows()):
        r = rk.first_row + i
        for key in ("volume_share", "volume_cum", "revenue_share", "revenue_cum", "gm_share", "gm_cum", "profit",
                    "profit_margin", "score_hard", "score_strength", "score_capability", "score"):
            add(rk, r, key, _v(row[key]))
        add(rk, r, "override", label(row["override_class"]) if row["class_source"] == "override" else EMPTY)
        add(rk, r, "class", label(row["class"]))
        add(rv, r, "effective_class", label(row["class"]))
        for ind in lay.judged if lay.rules.live_judgements else ():
            add(sc, r, f"raw_{ind.id}", _v(seg.raw.at[a, ind.id]))
            add(sc, r, f"norm_{ind.id}", _v(seg.norm.at[a, ind.id]))
        for key in ("score_hard", "score_strength", "score_capability", "score", "potential", "judged"):
            add(sc, r, key, _v(row[key]))
    t = rk.total_row
    every = seg.accounts
    if not content.truncated:
        for key in ("volume", "revenue", "gross_margin", "cost_to_serve", "profit"):
            add(rk, t, key, float(every[key].sum()))
    for key in ("volume_share", "revenue_share", "gm_share"):
        add(rk, t, key, float(acc[key].sum()))
    add(rk, t, "profit_margin", float(every["profit"].sum() / every["revenue"].sum()))

    ln = lay.lines
    lines = seg.lines.set_index(["account_id", "product_id"])
    sums = dict.fromkeys(("volume", "revenue", "gross_margin", "line_cts", "profit"), 0.0)
    for i, key in enumerate(ln.row_keys):
        r = ln.first_row + i
        line = lines.loc[key]
        add(ln, r, "key_share", float(line["key_share"]))
        add(ln, r, "line_cts", float(line["cost_to_serve"]))
        add(ln, r, "profit", float(line["profit"]))
        add(ln, r, "profit_margin", _v(line["profit_margin"]))
        for k, src in (("volume", "volume"), ("revenue", "revenue"), ("gross_margin", "gross_margin"),
                       ("line_cts", "cost_to_serve"), ("profit", "profit")):
            sums[k] += float(line[src])
    for k, v in sums.items():
        add(ln, ln.total_row, k, v)

    wh = lay.whale
    curve = seg.whale
    end = 0
    for i, w in enumerate(content.whale):
        r = wh.first_row + i
        end += w["accounts"]
        last = curve.iloc[end - 1]
        add(wh, r, "cum_profit", float(last["cum_profit"]))
        add(wh, r, "cum_profit_share", _v(last["cum_profit_share"]))
        add(wh, r, "cum_accounts", float(end))
        add(wh, r, "cum_account_share", end / len(curve))
    add(wh, wh.total_row, "accounts", float(len(curve)))
    add(wh, wh.total_row, "profit", float(curve["profit"].sum()))

    # the live class counts on the cover: one per class, next to its label
    cover = openpyxl.load_workbook(path)[lay.sheet_names["cover"]]
    shown = [label(c) for c in acc["class"]]
    for row in cover.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("=SUMPRODUCT"):
                name = cover.cell(cell.row, 1).value
                out[(cover.title, cell.coordinate)] = float(shown.count(name))
    return out


def _close(a, b) -> bool:
    if b == EMPTY or a == EMPTY or a is None:
        return (a in (EMPTY, None)) and b == EMPTY
    if isinstance(b, str) or isinstance(a, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def check(libreoffice, ws, seg, path):
    rec = libreoffice.recalculate(path)
    assert rec.errors() == [], [str(c) for c in rec.errors()[:5]]
    expected = expected_review_values(ws, seg, path)
    cells = set(rec.cells)
    assert cells == set(expected), (f"unchecked formulas: {sorted(cells - set(expected))[:5]}, "
                                    f"expected but absent: {sorted(set(expected) - cells)[:5]}")
    wrong = [(k, rec.cells[k].value, v) for k, v in expected.items() if not _close(rec.cells[k].value, v)]
    assert wrong == [], wrong[:10]
    return rec


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("review-lo-cache")


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_formula_matches_the_engine_and_none_is_an_error(libreoffice, cache_root, tmp_path, language):
    with review_workspace(cache_root, tmp_path / "ws", language=language) as ws:
        res = segment_accounts(ws)
        rec = check(libreoffice, ws, res.segmentation, res.path)
        assert len(rec.cells) > 3000


def test_judgements_typed_in_update_the_scores_as_the_engine_computes_them(libreoffice, cache_root, tmp_path):
    with review_workspace(cache_root, tmp_path / "ws") as ws:
        res = segment_accounts(ws)
        ids = list(res.segmentation.accounts.index)
        judgements = {(a, j): 1 + (i * 7 + k * 3) % 5 for i, a in enumerate(ids[:40]) for k, j in enumerate(JUDGED)}
        judgements.update({(ids[40], "capital"): 5, (ids[41], "thinking"): 2})  # partly judged accounts
        typed = ws.inbox / "typed.xlsx"
        fill_review(res.path, typed, overrides={ids[0]: ("Watch", "offer from a competitor"),
                                                ids[50]: ("Key", "new plant")}, judgements=judgements)
        out = collect_reviews(ws, [typed])
        assert out.files[0].outcome == "stored", [str(p) for p in out.files[0].problems]
        seg = out.segment.segmentation
        assert seg.accounts["potential"].notna().sum() == 40
        check(libreoffice, ws, seg, typed)  # the VP's own file, recalculated: the engine's numbers
        check(libreoffice, ws, seg, out.segment.path)  # and the workbook written after collect


def test_a_review_saved_by_libreoffice_is_collected(libreoffice, cache_root, tmp_path):
    with review_workspace(cache_root, tmp_path / "ws") as ws:
        res = segment_accounts(ws)
        a = res.segmentation.accounts.index[3]
        filled = tmp_path / "filled.xlsx"
        fill_review(res.path, filled, overrides={a: ("Drop", "plant closes in March")},
                    judgements={(a, "capital"): 2, (a, "people"): 3})
        saved = ws.inbox / "review.xlsx"
        libreoffice.recalculate(filled, save_as=saved)
        [f] = collect_reviews(ws, [saved]).files
        assert f.outcome == "stored" and (f.overrides, f.judgements) == (1, 2), [str(p) for p in f.problems]
        assert ws.store.overrides(2027).cls.tolist() == ["drop"]


def test_a_cut_workbook_of_a_big_company_recalculates_too(libreoffice, cache_root, tmp_path):
    with review_workspace(cache_root, tmp_path / "ws", segmentation={"review": {"max_rows": 10}}) as ws:
        res = segment_accounts(ws)
        check(libreoffice, ws, res.segmentation, res.path)
