"""The account review workbook: layout, protection, charts, and the VP's overrides and judgements read back."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kamplan.cli.accounts import accounts as accounts_group
from kamplan.cli.main import cli
from kamplan.stages.review import collect_reviews, effective_classes, review_file_name, segment_accounts
from kamplan.stages.targets import issue_targets
from kamplan.workbooks.kit.identity import IDENTITY_SHEET
from kamplan.workbooks.review.reader import read_review_workbook

cli.add_command(accounts_group)

from support.review import JUDGED, fill_review, layout_of, review_workspace  # noqa: E402


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("review-cache")


@pytest.fixture
def ws(cache_root, tmp_path):
    w = review_workspace(cache_root, tmp_path / "ws")
    yield w
    w.close()


@pytest.fixture
def segmented(ws):
    res = segment_accounts(ws, now=dt.datetime(2026, 12, 1, 9, 0))
    assert res.ok and res.path.exists()
    return ws, res




# -- what the VP receives ------------------------------------------------------------------------------
def test_sheets_identity_and_protection(segmented):
    ws, res = segmented
    wb = openpyxl.load_workbook(res.path)
    assert wb.sheetnames == ["Read me", "Charts", "Accounts", "Scores", "Products", "Profit curve", "Movement",
                             "Develop candidates", "Review", "Lists", IDENTITY_SHEET]
    assert wb[IDENTITY_SHEET].sheet_state == "veryHidden" and wb["Lists"].sheet_state == "hidden"
    with zipfile.ZipFile(res.path) as z:
        assert b"lockStructure=\"1\"" in z.read("xl/workbook.xml")
    lay = layout_of(res.path)
    tb = lay.review
    inputs = {tb.ref(r, c.key) for r in range(tb.first_row, tb.last_row + 1) for c in tb.columns
              if c.role == "input"} | {lay.reviewer_ref()}
    for sh in wb.worksheets:
        assert sh.protection.sheet, f"{sh.title} is not protected"
        for row in sh.iter_rows():
            for cell in row:
                unlocked = not cell.protection.locked
                if sh.title == tb.sheet and cell.coordinate in inputs:
                    assert unlocked, cell.coordinate
                elif cell.value is not None:
                    assert not unlocked, f"{sh.title}!{cell.coordinate} is unlocked"
    assert len(tb.row_keys) == 93 and len([c for c in tb.columns if c.key.startswith("j_")]) == 8


def test_validation_dropdowns_and_scale(segmented):
    _, res = segmented
    wb = openpyxl.load_workbook(res.path)
    lay = layout_of(res.path)
    tb = lay.review
    dv = wb[tb.sheet].data_validations.dataValidation
    by_col = {str(v.sqref).split(":")[0].rstrip("0123456789"): v for v in dv}
    cls = by_col[tb.letter("override_class")]
    assert cls.type == "list" and cls.formula1 == "kr_classes" and cls.showErrorMessage
    j = by_col[tb.letter("j_capital")]
    assert (j.type, j.operator or "between", j.formula1, j.formula2) == ("whole", "between", "1", "5")
    assert wb.defined_names["kr_classes"].attr_text == "'Lists'!$A$2:$A$5"
    assert [c.value for c in wb["Lists"]["A"][1:5]] == ["Key", "Develop", "Watch", "Drop"]


def test_native_pareto_and_whale_charts(segmented):
    _, res = segmented
    with zipfile.ZipFile(res.path) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = [z.read(n).decode() for n in charts]
    assert len(xml) == 2
    pareto, whale = xml
    assert "<c:barChart>" in pareto and "<c:lineChart>" in pareto
    assert pareto.count("<c:valAx>") == 2  # the cumulative share sits on a secondary axis
    assert "Accounts!$G$7:$G$99" in pareto and "Accounts!$I$7:$I$99" in pareto
    assert "<c:scatterChart>" in whale
    assert "'Profit curve'!$I$7:$I$99" in whale and "'Profit curve'!$G$7:$G$99" in whale


def test_cover_tells_the_headline_and_how_to_use(segmented):
    _, res = segmented
    wb = openpyxl.load_workbook(res.path)
    text = " ".join(str(c.value) for row in wb["Read me"].iter_rows() for c in row if c.value)
    assert res.segmentation.headline.sentence("en") in text
    assert "loss-making accounts lose" in text and "kamplan accounts collect" in text


def test_the_demo_review_reproduces_the_seed_headline(cache_root, tmp_path):
    """Seed 000: 30 of 93 customers (32%), each over 100 t a year, gave 72% of the tonnage."""
    seed = {"pareto": {"size_threshold": 100}}
    with review_workspace(cache_root, tmp_path / "seed", segmentation=seed) as ws:
        res = segment_accounts(ws)
        d = res.to_dict()["headline"]
        assert (d["customers"], d["accounts"], d["by"], d["threshold"]) == (93, 30, "threshold", 100)
        assert round(d["customer_share"], 2) == 0.32 and 0.71 <= d["share"] <= 0.74
        assert d["text"].startswith("30 of 93 customers (32%), each over 100 t, gave ")
        cover = " ".join(str(c.value) for row in openpyxl.load_workbook(res.path)["Read me"].iter_rows()
                         for c in row if c.value)
        assert d["text"] in cover
        assert res.segmentation.counts("computed_class")["key"] == 28  # 30 big, 2 of them lose money: watch


def test_an_existing_review_workbook_is_moved_aside_not_overwritten(segmented):
    ws, res = segmented
    res.path.write_bytes(res.path.read_bytes() + b"")  # the VP's copy
    again = segment_accounts(ws, now=dt.datetime(2026, 12, 2, 9, 0))
    assert again.replaced is not None and again.replaced.exists()
    assert again.replaced.parent.name == "20261202-090000" and again.path.exists()
    assert again.run_id == res.run_id + 1


# -- reading it back -----------------------------------------------------------------------------------
def test_overrides_and_judgements_are_stored_with_who_and_where(segmented):
    ws, res = segmented
    first = res.segmentation.accounts.index[0]
    typed = fill_review(res.path, ws.inbox / "review.xlsx", overrides={first: ("Watch", "Competitor's offer")},
                        judgements={(first, j): 4 for j in JUDGED})
    out = collect_reviews(ws, [ws.inbox / "review.xlsx"], now=dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc))
    [f] = out.files
    assert f.outcome == "stored" and (f.overrides, f.judgements) == (1, 8), [str(p) for p in f.problems]
    ov = ws.store.overrides(2027)
    assert ov.to_dict("records")[0] | {"id": 0} == {
        "id": 0, "account_id": first, "cls": "watch", "reason": "Competitor's offer", "by": "Li Ming",
        "at": dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc), "source": "review.xlsx › Review › H7"}
    j = ws.store.judgements(2027)
    assert len(j) == 8 and set(j.score) == {4.0} and set(j.judge) == {"Li Ming"}
    # the classification was redone and the new workbook shows it
    seg = out.segment.segmentation
    a = seg.accounts.loc[first]
    assert (a["class"], a["class_source"], a["potential"]) == ("watch", "override", 75.0)
    assert effective_classes(ws)[first] == ("watch", "override")
    wb = openpyxl.load_workbook(out.segment.path)
    lay = layout_of(out.segment.path)
    sh = wb[lay.review.sheet]
    assert sh[lay.review.ref(lay.review.first_row, "override_class")].value == "Watch"
    assert sh[lay.review.ref(lay.review.first_row, "j_capital")].value == 4
    assert "Watch — Li Ming, 2026-12-03" == sh[lay.review.ref(lay.review.first_row, "in_force")].value
    assert typed[(first, "override_class")] == "Watch"


def test_collecting_the_same_workbook_again_changes_nothing(segmented):
    ws, res = segmented
    first = res.segmentation.accounts.index[0]
    fill_review(res.path, ws.inbox / "review.xlsx", judgements={(first, "capital"): 2})
    assert collect_reviews(ws, [ws.inbox / "review.xlsx"]).files[0].outcome == "stored"
    again = collect_reviews(ws, [ws.inbox / "review.xlsx"])
    assert again.files[0].outcome == "unchanged" and again.segment is None
    assert len(ws.store.judgements(2027, include_history=True)) == 1


def test_clearing_an_override_lifts_it_and_the_history_stays(segmented):
    ws, res = segmented
    first = res.segmentation.accounts.index[0]
    fill_review(res.path, ws.inbox / "a.xlsx", overrides={first: ("Drop", "test")})
    out = collect_reviews(ws, [ws.inbox / "a.xlsx"])
    fill_review(out.segment.path, ws.inbox / "b.xlsx", raw={(first, "override_class"): None,
                                                             (first, "override_reason"): None})
    out2 = collect_reviews(ws, [ws.inbox / "b.xlsx"])
    assert out2.files[0].outcome == "stored" and out2.files[0].overrides == 1
    assert ws.store.overrides(2027).empty and len(ws.store.overrides(2027, include_history=True)) == 2
    assert out2.segment.segmentation.accounts.loc[first, "class_source"] == "rules"


def test_a_cleared_judgement_is_kept_with_a_warning(segmented):
    ws, res = segmented
    first = res.segmentation.accounts.index[0]
    fill_review(res.path, ws.inbox / "a.xlsx", judgements={(first, "capital"): 5})
    out = collect_reviews(ws, [ws.inbox / "a.xlsx"])
    fill_review(out.segment.path, ws.inbox / "b.xlsx", raw={(first, "j_capital"): None})
    [f] = collect_reviews(ws, [ws.inbox / "b.xlsx"]).files
    assert f.outcome == "unchanged"
    [w] = f.warnings
    assert w.code == "judgement-cleared" and w.cell == "K7" and "5 (by Li Ming" in w.message
    assert ws.store.judgements(2027).score.tolist() == [5.0]


@pytest.mark.parametrize("mistake, code, cell, words", [
    ({"raw": {(0, "override_class"): "VIP"}}, "bad-value", "H7", '"VIP" is not a class'),
    ({"raw": {(0, "override_class"): "Key"}}, "override-without-reason", "I7", "has no reason"),
    ({"raw": {(1, "j_capital"): 7}}, "outside-scale", "K8", "7 is outside the scale 1-5"),
    ({"raw": {(1, "j_network"): "good"}}, "bad-value", "L8", '"good" is not a number'),
    ({"raw": {(2, "j_people"): 3.5}}, "bad-value", "O9", "3.5 is not a whole number"),
    ({"reviewer": None, "raw": {(0, "j_capital"): 3}}, "reviewer-missing", "B3", "without a name"),
])
def test_each_mistake_names_file_sheet_cell_and_fix(segmented, mistake, code, cell, words):
    ws, res = segmented
    ids = list(res.segmentation.accounts.index)
    raw = {(ids[i], k): v for (i, k), v in mistake.get("raw", {}).items()}
    path = ws.inbox / "review.xlsx"
    fill_review(res.path, path, reviewer=mistake.get("reviewer", "Li Ming"), raw=raw)
    [f] = collect_reviews(ws, [path]).files
    assert f.outcome == "rejected"
    found = [p for p in f.errors if p.code == code]
    assert found, [str(p) for p in f.problems]
    p = found[0]
    assert (p.file, p.sheet, p.cell) == ("review.xlsx", "Review", cell) and words in p.message and p.fix
    assert ws.store.overrides(2027, include_history=True).empty and ws.store.judgements(2027).empty


def test_all_mistakes_of_a_file_are_listed_at_once(segmented):
    ws, res = segmented
    ids = list(res.segmentation.accounts.index)
    path = ws.inbox / "review.xlsx"
    fill_review(res.path, path, raw={(ids[0], "override_class"): "VIP", (ids[1], "j_capital"): 9,
                                     (ids[2], "j_capital"): "x", (ids[3], "override_class"): "Drop"})
    [f] = collect_reviews(ws, [path]).files
    assert sorted(p.cell for p in f.errors) == ["H7", "I10", "K8", "K9"]


def _edit(path: Path, fn):
    wb = openpyxl.load_workbook(path)
    for sh in wb.worksheets:
        sh.protection.sheet = False
    wb.security = None
    fn(wb)
    wb.save(path)


@pytest.mark.parametrize("edit, code, words", [
    (lambda wb: wb["Review"].delete_rows(9), "row-deleted", "were deleted"),
    (lambda wb: wb["Review"].insert_cols(3), "layout-changed", "a column was inserted at C"),
    (lambda wb: setattr(wb["Review"], "title", "My review"), "sheet-missing", "'My review'"),
    (lambda wb: wb["Review"].cell(200, 3, "note"), "entry-outside-table", "below the table"),
    (lambda wb: wb[IDENTITY_SHEET].cell(3, 2, "2026"), "wrong-year", "plan year 2026"),
    (lambda wb: wb[IDENTITY_SHEET].cell(1, 2, "kamplan.targets"), "wrong-kind", "kamplan targets collect"),
    (lambda wb: wb.remove(wb[IDENTITY_SHEET]), "not-a-review-workbook", "identity block is missing"),
])
def test_a_damaged_workbook_is_refused_with_the_reason(segmented, edit, code, words):
    ws, res = segmented
    path = ws.inbox / "review.xlsx"
    shutil.copy(res.path, path)
    _edit(path, edit)
    [f] = collect_reviews(ws, [path]).files
    assert f.outcome == "rejected"
    assert any(p.code == code and words in str(p) for p in f.errors), [str(p) for p in f.problems]


def test_a_target_workbook_or_a_csv_is_refused(ws, tmp_path):
    issued = issue_targets(ws, round_no=1, reps=["zhangwei"])
    [f] = collect_reviews(ws, issued.written).files
    assert f.outcome == "rejected" and f.errors[0].code == "wrong-kind"
    csv = tmp_path / "review.xlsx"
    csv.write_text("account,class\nC101,key\n", encoding="utf-8")
    [f] = collect_reviews(ws, [csv]).files
    assert f.outcome == "rejected" and "plain text / CSV" in f.errors[0].message, str(f.errors[0])


def test_reader_never_raises_on_garbage(ws, tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    sub, problems = read_review_workbook(bad, ws.config)
    assert sub is None and problems and problems[0].is_error


# -- Chinese workbook ---------------------------------------------------------------------------------------
def test_chinese_workbook_round_trip(cache_root, tmp_path):
    with review_workspace(cache_root, tmp_path / "zh", language="zh-CN") as ws:
        res = segment_accounts(ws)
        wb = openpyxl.load_workbook(res.path)
        assert wb.sheetnames[:3] == ["说明", "图表", "客户排名"] and "评审" in wb.sheetnames
        first = res.segmentation.accounts.index[0]
        fill_review(res.path, ws.inbox / "r.xlsx", reviewer="李明", overrides={first: ("警惕客户", "竞争对手报价")},
                    raw={(res.segmentation.accounts.index[1], "override_class"): "淘汰"})
        [f] = collect_reviews(ws, [ws.inbox / "r.xlsx"]).files
        assert f.outcome == "rejected"  # the second override has no reason
        assert [p.code for p in f.errors] == ["override-without-reason"] and "淘汰客户" in f.errors[0].message
        fill_review(res.path, ws.inbox / "r.xlsx", reviewer="李明", overrides={first: ("警惕客户", "竞争对手报价")})
        [f] = collect_reviews(ws, [ws.inbox / "r.xlsx"]).files
        assert f.outcome == "stored" and ws.store.overrides(2027).cls.tolist() == ["watch"]


# -- a big company: the workbook lists the biggest accounts, totals cover all ------------------------------
def test_max_rows_cuts_the_lists_but_not_the_totals(cache_root, tmp_path):
    with review_workspace(cache_root, tmp_path / "cut", segmentation={"review": {"max_rows": 10}}) as ws:
        res = segment_accounts(ws)
        wb = openpyxl.load_workbook(res.path)
        lay = layout_of(res.path)
        assert len(lay.ranking.row_keys) == 10
        rk = wb[lay.ranking.sheet]
        total = rk[lay.ranking.ref(lay.ranking.total_row, "volume")].value
        assert total == pytest.approx(res.segmentation.accounts.volume.sum())
        assert "top 10 of 93" in rk["A3"].value
        wh = wb["Profit curve"]
        keys = [wh.cell(r, 2).value for r in range(7, 7 + 10)]
        assert keys[0] == "#1-#10" and keys[-1] == "#91-#93"


# -- command line -----------------------------------------------------------------------------------------
def test_cli_segment_json_and_collect_exit_codes(ws):
    run = lambda *a: CliRunner().invoke(cli, ["-w", str(ws.root), *map(str, a)], catch_exceptions=False)  # noqa
    ws.close()
    r = run("accounts", "collect")
    assert r.exit_code == 2 and "kamplan accounts segment" in r.output
    r = run("accounts", "segment", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["ok"] and d["headline"]["customers"] == 93 and len(d["accounts"]) == 93
    assert set(d["classes"]) == {"key", "develop", "watch", "drop"} and d["workbook"].endswith(
        review_file_name(2027))
    assert any(p["code"] == "judgements-missing" for p in d["problems"])
    r = run("accounts", "segment")
    assert r.exit_code == 0 and "customers" in r.output and "Big but unprofitable" in r.output
    assert re.search(r"Wrote .*account_review_2027\.xlsx", r.output.replace("\n", ""))
    r = run("accounts", "collect")  # default: the review workbook in reports/, unchanged
    assert r.exit_code == 0 and "unchanged" in r.output
    bad = ws.root / "inbox" / "bad.xlsx"
    fill_review(ws.reports / review_file_name(2027), bad, raw={("C144", "j_capital"): 0})
    r = run("accounts", "collect", bad, "--json")
    assert r.exit_code == 1
    files = json.loads(r.output)["files"]
    assert files[0]["outcome"] == "rejected" and files[0]["problems"][0]["cell"].startswith("K")
    r = run("accounts", "segment", "--year", "2019")
    assert r.exit_code == 2 and "no rows for 2019" in r.output


def test_an_older_review_workbook_does_not_undo_newer_decisions(ws):
    res = segment_accounts(ws, now=dt.datetime.now() - dt.timedelta(hours=1))  # written an hour ago
    first = res.segmentation.accounts.index[0]
    v1 = ws.inbox / "v1.xlsx"
    fill_review(res.path, v1, overrides={first: ("Watch", "first look")}, judgements={(first, "capital"): 2})
    out = collect_reviews(ws, [v1])
    v2 = ws.inbox / "v2.xlsx"
    fill_review(out.segment.path, v2, overrides={first: ("Drop", "second look")}, judgements={(first, "capital"): 5})
    assert collect_reviews(ws, [v2]).files[0].outcome == "stored"
    again = collect_reviews(ws, [v1])  # the old file, collected again by mistake
    f = again.files[0]
    assert f.outcome == "unchanged"
    assert {p.code for p in f.problems} >= {"override-changed-meanwhile", "judgement-changed-meanwhile"}
    assert effective_classes(ws)[first] == ("drop", "override")
    j = ws.store.judgements(2027)
    assert float(j[(j.account_id == first) & (j.indicator == "capital")].score.iloc[0]) == 5.0
