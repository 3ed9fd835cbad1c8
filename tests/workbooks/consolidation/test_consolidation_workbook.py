"""The VP's consolidation workbook: written from content, the top-down instruction read back exactly,
bad entries reported cell by cell, protection, validation and deterministic bytes."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from kamplan.engine.topdown import METHODS, TopDownSpec, parse_bound
from kamplan.workbooks.consolidation.layout import PARAM_ROWS
from kamplan.workbooks.consolidation.reader import read_topdown_instruction, read_topdown_workbook
from kamplan.workbooks.consolidation.writer import write_consolidation_workbook
from kamplan.workbooks.kit.i18n import t
from support.consolidation import YEAR, fill, layout_of, small_config, small_content

FULL = TopDownSpec(
    measure="revenue", by="product", figures={"P1": 31_000_000.0, "P3": 64_500_000.5}, method="growth", growth=0.05,
    holds=(("account", "A01"), ("rep", "chen"), ("region", "north"), ("product", "P2"), ("class", "drop"),
           ("line", "A02/P1/3")),
    bounds=(parse_bound("floor", "class:key=last_year"), parse_bound("cap", "all=own*1.3"),
            parse_bound("floor", "rep:wang=current*0.9")),
    note="P2 capacity is sold out")


def write(tmp_path: Path, spec=None, language="en", name="consolidation_2027.xlsx") -> Path:
    return write_consolidation_workbook(tmp_path / name, small_content(language, spec))


def read(path: Path, language="en"):
    return read_topdown_instruction(path, small_config(language))


def only(problems, code):
    found = [p for p in problems if p.code == code]
    assert found, [str(p) for p in problems]
    return found[0]


# -- round trip ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_full_instruction_is_read_back_exactly(tmp_path, language):
    path = write(tmp_path, FULL, language)
    spec, problems = read(path, language)
    assert problems == []
    assert spec == FULL


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("by,figures", [("company", {"*": 123_456_789.0}), ("region", {"east": 5e7, "north": 6e7}),
                                        ("product", {"P2": 1.5e7})])
def test_every_method_and_every_kind_of_figure_round_trips(tmp_path, method, by, figures):
    spec = TopDownSpec(measure="volume" if by == "region" else "revenue", by=by, figures=figures, method=method,
                       growth=-0.125 if method == "growth" else None,
                       reference_version=1 if method == "reference" else None)
    got, problems = read(write(tmp_path, spec))
    assert problems == [] and got == spec


def test_growth_only_needs_no_figure(tmp_path):
    spec = TopDownSpec(measure="volume", by="company", figures={}, method="growth", growth=0.08)
    assert read(write(tmp_path, spec)) == (spec, [])


def test_the_reader_says_which_version_the_vp_looked_at(tmp_path):
    found, _ = read_topdown_workbook(write(tmp_path, FULL), small_config())
    assert (found.version_id, found.version_kind, found.plan_year) == (2, "top-down", YEAR)


def test_nothing_entered_says_where_to_enter_a_figure(tmp_path):
    spec, problems = read(write(tmp_path))
    assert spec is None
    [p] = problems
    lay = layout_of(tmp_path / "consolidation_2027.xlsx")
    assert p.code == "no-figure" and p.sheet == "Top-down" and p.cell == lay.figures.ref(lay.figures.first_row,
                                                                                         "figure")
    assert "company figure in G" in p.fix and "per product" in p.fix


def test_typed_entries_in_either_language_are_read(tmp_path):
    src = write(tmp_path, language="zh-CN")
    typed = fill(src, tmp_path / "typed.xlsx",
                 params={"measure": "Volume", "method": "按上年实际比例", "growth": None, "note": "  hold the line "},
                 figures={("region", "east"): "1,200,000", ("region", "north"): 950000},
                 holds=[("Class", "重点客户"), ("客户", "A03"), ("line", " A05 / P2 / 4 ")],
                 bounds=[("上限", "all = own * 1.2"), ("floor", "class:Key=last_year")])
    spec, problems = read(typed, "zh-CN")
    assert problems == [], [str(p) for p in problems]
    assert spec == TopDownSpec("volume", "region", {"east": 1_200_000.0, "north": 950_000.0}, "last_year",
                               holds=(("class", "key"), ("account", "A03"), ("line", "A05/P2/4")),
                               bounds=(parse_bound("cap", "all=own*1.2"), parse_bound("floor", "class:key=last_year")),
                               note="hold the line")


def test_growth_typed_as_text_with_a_percent_sign(tmp_path):
    typed = fill(write(tmp_path), tmp_path / "t.xlsx", params={"method": "Growth % over last year", "growth": "7.5%"})
    spec, problems = read(typed)
    assert problems == [] and spec.growth == pytest.approx(0.075) and spec.figures == {}


# -- bad entries -----------------------------------------------------------------------------------------
def test_every_bad_entry_is_reported_at_its_cell_at_once(tmp_path):
    src = write(tmp_path)
    lay = layout_of(src)
    fig, hl, bd = lay.figures, lay.holds, lay.bounds
    typed = fill(src, tmp_path / "bad.xlsx",
                 figures={("product", "P1"): "abc", ("product", "P2"): -5, ("product", "P3"): 100.0},
                 holds=[("Account", "A99"), ("Salesperson", "nobody"), ("Region", "south"), ("Product", "p1"),
                        ("Line", "A01-P1-2"), (None, "A01"), ("Account", None), ("Customer", "A01")],
                 bounds=[("Floor", "class:key=lastyear"), ("Cap", "rep:ghost=own"), (None, "all=own"),
                         ("Cap", None)])
    spec, problems = read(typed)
    assert spec is None
    at = {(p.code, p.cell) for p in problems}
    h, b = hl.first_row, bd.first_row
    expected = {
        ("not-a-number", fig.ref(lay.figure_row("product", "P1"), "figure")),
        ("negative", fig.ref(lay.figure_row("product", "P2"), "figure")),
        ("unknown-id", hl.ref(h, "id")), ("unknown-id", hl.ref(h + 1, "id")), ("unknown-id", hl.ref(h + 2, "id")),
        ("unknown-id", hl.ref(h + 3, "id")), ("bad-value", hl.ref(h + 4, "id")),
        ("missing-value", hl.ref(h + 5, "kind")), ("missing-value", hl.ref(h + 6, "id")),
        ("bad-value", hl.ref(h + 7, "kind")),
        ("bad-bound", bd.ref(b, "rule")), ("unknown-id", bd.ref(b + 1, "rule")),
        ("missing-value", bd.ref(b + 2, "side")),
        ("missing-value", bd.ref(b + 3, "rule")),
    }
    assert at == expected, sorted(at ^ expected)
    assert all(p.sheet == "Top-down" and p.file == "bad.xlsx" and p.fix for p in problems)
    bound = only(problems, "bad-bound")
    with pytest.raises(Exception) as exc:
        parse_bound("floor", "class:key=lastyear")
    assert bound.message == str(exc.value)
    p1 = next(p for p in problems if p.cell == hl.ref(h + 3, "id"))
    assert "did you mean 'P1'" in p1.fix


def test_figures_in_both_the_company_and_the_product_rows(tmp_path):
    src = write(tmp_path)
    lay = layout_of(src)
    typed = fill(src, tmp_path / "both.xlsx", figures={("company", "*"): 1e8, ("product", "P2"): 2e7})
    spec, problems = read(typed)
    assert spec is None
    p = only(problems, "figures-mixed")
    assert p.cell == lay.figures.ref(lay.figure_row("product", "P2"), "figure") and "ONE kind" in p.fix


def test_figures_by_product_and_by_region_are_refused_too(tmp_path):
    typed = fill(write(tmp_path), tmp_path / "both.xlsx", figures={("product", "P2"): 2e7, ("region", "east"): 1e7})
    assert only(read(typed)[1], "figures-mixed")


@pytest.mark.parametrize("params,code,key", [
    ({"method": "Growth % over last year", "growth": None}, "growth-missing", "growth"),
    ({"method": "Proportional to a reference version", "reference": None}, "reference-missing", "reference"),
    ({"method": "Proportional to a reference version", "reference": 9}, "unknown-version", "reference"),
    ({"method": "Proportional to a reference version", "reference": 1.5}, "bad-value", "reference"),
    ({"growth": 12}, "out-of-range", "growth"),
    ({"growth": "lots"}, "not-a-number", "growth"),
    ({"method": "Fair share"}, "bad-value", "method"),
    ({"measure": None}, "missing-value", "measure"),
    ({"note": "x" * 501}, "bad-value", "note"),
])
def test_bad_parameters(tmp_path, params, code, key):
    typed = fill(write(tmp_path), tmp_path / "p.xlsx", params=params, figures={("company", "*"): 1e8})
    spec, problems = read(typed)
    assert spec is None
    p = only(problems, code)
    assert p.cell == f"B{PARAM_ROWS[key] + 1}" and p.is_error


def test_a_growth_given_with_another_method_is_a_warning_only(tmp_path):
    typed = fill(write(tmp_path), tmp_path / "w.xlsx", params={"growth": 0.05, "reference": 1},
                 figures={("company", "*"): 1e8})
    spec, problems = read(typed)
    assert spec == TopDownSpec("revenue", "company", {"*": 1e8}, "proportional")
    assert {p.code for p in problems} == {"growth-ignored", "reference-ignored"}
    assert not any(p.is_error for p in problems)


def test_a_hold_that_matches_no_line_of_this_version_is_a_warning(tmp_path):
    # A06 buys no P2 in the sample lines; the config knows both
    typed = fill(write(tmp_path), tmp_path / "h.xlsx", figures={("company", "*"): 1e8},
                 holds=[("Line", "A06/P2/1")])
    spec, problems = read(typed)
    assert spec.holds == (("line", "A06/P2/1"),)
    assert [p.code for p in problems] == ["holds-nothing"]


def test_an_error_value_in_an_input_cell(tmp_path):
    src = write(tmp_path)
    lay = layout_of(src)
    typed = fill(src, tmp_path / "e.xlsx", figures={("company", "*"): "=1/0"})
    # openpyxl writes the formula without a cached value; put the error value in as a spreadsheet would
    ref = lay.figures.ref(lay.figure_row("company", "*"), "figure")
    _set_error_value(typed, lay.sheet_names["topdown"], ref, "#DIV/0!")
    spec, problems = read(typed)
    assert spec is None and only(problems, "error-value").cell == ref


def test_not_this_kind_of_workbook(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    assert only(read(junk)[1], "not-xlsx-text")  # the safety gate, in the same words as every reader
    other = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "hello"
    wb.save(other)
    assert only(read(other)[1], "not-a-consolidation-workbook")


def test_a_workbook_of_another_year(tmp_path):
    path = write(tmp_path, FULL)
    cfg = small_config().model_copy(update={"plan_year": YEAR + 1})
    spec, problems = read_topdown_instruction(path, cfg)
    assert spec is None and only(problems, "wrong-year")


def test_inserted_rows_and_overwritten_keys_are_caught(tmp_path):
    src = write(tmp_path, FULL)
    lay = layout_of(src)
    wb = openpyxl.load_workbook(src)
    sh = wb[lay.sheet_names["topdown"]]
    sh.protection.sheet = False
    sh.insert_rows(lay.figures.first_row + 2)
    wb.save(tmp_path / "inserted.xlsx")
    spec, problems = read(tmp_path / "inserted.xlsx")
    assert spec is None and problems and all(p.is_error for p in problems)
    wb = openpyxl.load_workbook(src)
    sh = wb[lay.sheet_names["topdown"]]
    sh[lay.figures.ref(lay.figure_row("product", "P2"), "id")] = "P9"
    wb.save(tmp_path / "renamed.xlsx")
    assert only(read(tmp_path / "renamed.xlsx")[1], "row-keys-changed")


def _set_error_value(path: Path, sheet: str, ref: str, text: str):
    """Replace one cell's formula by a cached error value (as a spreadsheet program saves it)."""
    from kamplan.workbooks.kit.xlsxio import sheet_parts
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin:
        part = sheet_parts(zin)[sheet]
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    import re
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == part:
                data, n = re.subn(rf'<c r="{ref}"([^>]*)>.*?</c>'.encode(),
                                  f'<c r="{ref}" t="e"><v>{text}</v></c>'.encode(), data, flags=re.S)
                assert n == 1
            zout.writestr(info, data)
    shutil.move(tmp, path)


# -- the workbook itself -----------------------------------------------------------------------------------
def test_same_content_gives_the_same_bytes(tmp_path):
    a = write(tmp_path / "a", FULL)
    b = write(tmp_path / "b", FULL)
    assert a.read_bytes() == b.read_bytes()
    c = write(tmp_path / "c", FULL, language="zh-CN")
    assert c.read_bytes() != a.read_bytes()


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_sheets_are_protected_and_only_the_instruction_is_open(tmp_path, language):
    path = write(tmp_path, FULL, language)
    lay = layout_of(path)
    wb = openpyxl.load_workbook(path)
    names = [lay.sheet_names[k] for k in ("cover", "summary", "charts", "topdown", "accounts", "lines", "status",
                                          "warnings", "versions", "lists")]
    by_credit = "业绩归属" if language == "zh-CN" else "By credit"  # the salespeople counted by credit
    assert wb.sheetnames == names[:5] + [by_credit] + names[5:] + ["_kamplan"]
    assert wb.security.lockStructure
    inputs = {lay.param_ref(k) for k in PARAM_ROWS}
    inputs |= {lay.figures.ref(r, "figure") for r in range(lay.figures.first_row, lay.figures.last_row + 1)}
    for tb in (lay.holds, lay.bounds):
        inputs |= {tb.ref(r, c.key) for r in range(tb.first_row, tb.last_row + 1) for c in tb.columns}
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        unlocked = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
        assert unlocked == (inputs if ws.title == lay.sheet_names["topdown"] else set()), ws.title
    td = wb[lay.sheet_names["topdown"]]
    validated = set()
    for dv in td.data_validations.dataValidation:
        assert dv.showErrorMessage and dv.prompt
        for rng in dv.sqref.ranges:
            validated |= {f"{get_column_letter(c)}{r}" for r in range(rng.min_row, rng.max_row + 1)
                          for c in range(rng.min_col, rng.max_col + 1)}
    assert inputs <= validated


def test_every_text_speaks_the_workbook_language(tmp_path):
    path = write(tmp_path, FULL, "zh-CN")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "说明" and wb["汇总"]["A1"].value == "汇总"
    td = wb[t("cons.sheet.topdown", "zh-CN")]
    assert td["B5"].value == "销售额" and td["B6"].value == "较上年按增长率"
    assert t("cons.td.side.floor", "zh-CN") in [c.value for row in td.iter_rows() for c in row]


def test_status_warnings_and_versions_are_listed(tmp_path):
    path = write(tmp_path, FULL)
    wb = openpyxl.load_workbook(path)
    status = [[c.value for c in row] for row in wb["Status"].iter_rows(min_row=5)]
    assert [r[0] for r in status] == ["wang", "chen", "li", "zhao"]
    assert status[2][3] == "rejected" and "not a number" in status[2][6] and status[2][7] == "targets_2027_li.xlsx"
    assert status[3][3] == "missing" and status[3][4] is None
    warns = [[c.value for c in row] for row in wb["Warnings"].iter_rows(min_row=5)]
    assert warns[0][:3] == ["warning", "targets_2027_wang.xlsx › Targets › H9", "growth-high"]
    versions = [[c.value for c in row] for row in wb["Versions"].iter_rows(min_row=5)]
    assert [v[0] for v in versions] == [1, 2] and versions[1][-1] == "◀ this workbook" and versions[0][-1] is None
    summary = wb["Summary"]
    lay = layout_of(path)
    marks = {summary.cell(r + 1, 2).value: summary.cell(r + 1, 4).value
             for r in range(lay.summary.first_row, lay.summary.first_row + 20)
             if summary.cell(r + 1, 1).value == "Salesperson"}
    assert marks == {"wang": None, "chen": None, "li": "rejected", "zhao": "run-rate (missing)"}


def test_no_lines_still_gives_a_valid_workbook(tmp_path):
    content = small_content("en", FULL)
    content.lines = content.lines.iloc[0:0]
    path = write_consolidation_workbook(tmp_path / "empty.xlsx", content)
    spec, problems = read_topdown_instruction(path, small_config())
    assert spec == FULL and problems == []


def test_by_credit_counts_team_members_by_their_share_and_the_company_once():
    from decimal import Decimal

    import pandas as pd

    from kamplan.workbooks.consolidation.writer import credited_revenue
    from support.teams import team_config
    cfg = team_config()  # A1: r1 owner, r2 30%, r4 overlay; A2: r2 owner, r3 40% of P2
    lines = pd.DataFrame({"rep_id": ["r1", "r1", "r2", "r3"], "account_id": ["A1", "A1", "A2", "A3"],
                          "product_id": ["P1", "P1", "P2", "P1"], "quarter": [1, 2, 1, 1],
                          "revenue": [1000.01, 500.0, 200.03, 10.0]})
    c = credited_revenue(lines, cfg)
    per = {k: Decimal(repr(float(v))) for k, v in
           c[~c["full_credit"]].groupby("rep_id")["revenue"].sum().items()}
    want = {"r1": Decimal("1500.01") * Decimal("0.7"),
            "r2": Decimal("1500.01") * Decimal("0.3") + Decimal("200.03") * Decimal("0.6"),
            "r3": Decimal("200.03") * Decimal("0.4") + Decimal("10.0")}
    assert {k: round(v, 6) for k, v in per.items()} == {k: round(v, 6) for k, v in want.items()}
    assert round(sum(per.values()), 2) == Decimal("1710.04")
    assert c[c["full_credit"]]["revenue"].sum() == pytest.approx(1500.01)
    assert set(c[c["full_credit"]]["rep_id"]) == {"r4"}
