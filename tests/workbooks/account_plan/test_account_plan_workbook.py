"""The account plan workbook (issue 15): written, read back exactly, and every hostile edit said precisely."""
from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from kamplan.workbooks.account_plan.layout import FIELDS, LIST_SHEETS, at
from kamplan.workbooks.account_plan.reader import read_account_plan_workbook
from kamplan.workbooks.account_plan.writer import write_account_plan_workbook
from support.account_plan import fill, layout_of, sample_content


@pytest.fixture(params=["en", "zh-CN"])
def written(request, tmp_path):
    content = sample_content(request.param)
    path = write_account_plan_workbook(tmp_path / f"plan_{request.param}.xlsx", content)
    return content, path


def _read(path):
    return read_account_plan_workbook(path, 2027)


def _codes(problems):
    return [(p.code, p.sheet, p.cell) for p in problems]


def test_a_written_plan_reads_back_exactly(written):
    content, path = written
    got, problems = _read(path)
    assert problems == []
    for key in LIST_SHEETS:
        expected = [{f.key: r.get(f.key) for f in FIELDS[key]} | {"row_id": r["row_id"]} for r in content.rows[key]]
        assert [{k: v for k, v in r.items() if k not in ("src", "_row")} for r in got.rows[key]] == expected, key
    assert got.business["A1"] == content.business["A1"]
    assert got.business["A2"] == {"usage_P1": None, "usage_P2": None, "main_products": None, "markets": None,
                                  "purchasing_pattern": None}
    assert got.identity.rep_id == "zhangwei" and got.identity.based_on == 3


def test_protection_dropdowns_dates_hidden_ids_and_no_macros(written):
    content, path = written
    lay = layout_of(path)
    wb = openpyxl.load_workbook(path)
    for key in LIST_SHEETS:
        tb = lay.table(key)
        ws = wb[tb.sheet]
        assert ws.protection.sheet, key
        assert ws.column_dimensions[tb.letter("row_id")].hidden, f"{key}: the row ids are not hidden"
        assert ws.cell(tb.first_row + 1, tb.col("row_id") + 1).protection.locked  # the id cannot be typed over
        assert ws["A1"].value == tb.title  # the title shows (column A is not the hidden one)
        for col in tb.input_columns():
            assert not ws.cell(tb.first_row + 1, tb.col(col.key) + 1).protection.locked, (key, col.key)
        kinds = {}
        for dv in ws.data_validations.dataValidation:
            for rng in str(dv.sqref).split():
                kinds[re.match(r"[A-Z]+", rng).group(0)] = (dv.type, dv.formula1)
        for f in FIELDS[key]:
            letter = tb.letter(f.key)
            if f.dtype == "date":
                assert kinds[letter][0] == "date"
            if f.key == "influence":
                assert kinds[letter] == ("whole", "1")
            if f.dtype in ("choice", "person", "account", "product"):
                assert kinds[letter][0] == "list" and kinds[letter][1].startswith("kap_"), (key, f.key)
            if f.dtype == "contact":
                assert kinds[letter][0] == "list" and f"${lay.table('contacts').letter('name')}$" in kinds[letter][1]
    with zipfile.ZipFile(path) as zf:
        assert not any("vba" in n.lower() for n in zf.namelist())
    # the owners' dropdown holds our people: staff and support people
    lists = wb[lay.sheet_names["lists"]]
    persons = [c.value for c in next(col for col in lists.iter_cols() if col[0].value == "persons")[1:] if c.value]
    assert persons == ["zhangwei Zhang Wei", "liuyang Liu Yang", "tech1 Engineer One"]


def test_edited_rows_keep_their_ids_and_new_rows_get_stable_new_ones(written, tmp_path):
    content, path = written
    lay = layout_of(path)
    first_blank = len(content.rows["contacts"])
    out = fill(path, tmp_path / "edited.xlsx", {"contacts": {
        (0, "attitude"): at("attitude.neutral", content.language), (0, "name"): "Wang Fang",
        (first_blank, "account"): "A2 Beta Co", (first_blank, "name"): "Sun Li"}})
    got, problems = _read(out)
    assert problems == []
    rows = {r["row_id"]: r for r in got.rows["contacts"]}
    assert rows["c1"]["attitude"] == "neutral" and rows["c1"]["personal_note"] == "daughter at Fudan"
    new = [r for r in got.rows["contacts"] if r["row_id"] not in ("c1", "c2", "c3")]
    assert [r["name"] for r in new] == ["Sun Li"]
    again, _ = _read(out)
    assert [r["row_id"] for r in again.rows["contacts"]] == [r["row_id"] for r in got.rows["contacts"]]
    assert new[0]["row_id"] != "" and lay.table("contacts").n_rows == first_blank + 5


def test_a_cleared_row_is_said_removed_not_an_error(written, tmp_path):
    content, path = written
    cleared = {(2, f.key): None for f in FIELDS["contacts"]}
    got, problems = _read(fill(path, tmp_path / "cleared.xlsx", {"contacts": cleared, "visits": {(1, "met"): None}}))
    assert got is not None
    assert [(p.code, p.is_error) for p in problems] == [("row-removed", False)]
    assert "c3" in str(problems[0]) and [r["row_id"] for r in got.rows["contacts"]] == ["c1", "c2"]


def _hostile(path, tmp_path, name, edit):
    dst = tmp_path / name
    wb = openpyxl.load_workbook(path)
    edit(wb, layout_of(path))
    wb.save(dst)
    return _read(dst)


def test_hostile_edits_get_precise_problems(written, tmp_path):
    content, path = written
    L = content.language
    lay = layout_of(path)
    ct, vt, at_ = lay.table("contacts"), lay.table("visits"), lay.table("actions")

    cases = {
        "influence 7": ({"contacts": {(0, "influence"): 7}}, ("out-of-range", ct.sheet, ct.ref(ct.first_row, "influence"))),
        "bad date": ({"visits": {(0, "date"): "next Tuesday"}}, ("not-a-date", vt.sheet, vt.ref(vt.first_row, "date"))),
        "unknown owner": ({"actions": {(0, "owner"): "nobody"}}, ("unknown-owner", at_.sheet,
                                                                 at_.ref(at_.first_row, "owner"))),
        "formula typed": ({"contacts": {(1, "title"): "=1+1"}}, ("formula-in-input", ct.sheet,
                                                                ct.ref(ct.first_row + 1, "title"))),
        "unknown choice": ({"contacts": {(0, "role"): "boss"}}, ("unknown-choice", ct.sheet, ct.ref(ct.first_row, "role"))),
        "contact of another account": ({"visits": {(1, "met"): "Wang Fang"}},
                                       ("unknown-contact", vt.sheet, vt.ref(vt.first_row + 1, "met"))),
        "name missing": ({"contacts": {(1, "name"): None}}, ("required", ct.sheet, ct.ref(ct.first_row + 1, "name"))),
        "reports to self": ({"contacts": {(1, "reports_to"): "Li Lei"}},
                            ("reports-to-self", ct.sheet, ct.ref(ct.first_row + 1, "reports_to"))),
    }
    for name, (edits, expected) in cases.items():
        got, problems = _read(fill(path, tmp_path / f"{name}.xlsx", edits))
        assert got is None, name
        assert expected in _codes(problems), (name, [str(p) for p in problems])
        assert all(p.file for p in problems), name
        assert problems[0].render(L)  # said in the workbook's language too

    def add_sheet(wb, lay):
        wb.create_sheet("My notes")
    got, problems = _hostile(path, tmp_path, "added.xlsx", add_sheet)
    assert got is None and ("sheet-added", "My notes", None) in _codes(problems)

    def delete_row(wb, lay):  # possible once the protection is gone (LibreOffice drops structure protection)
        wb[lay.business.sheet].delete_rows(lay.business.first_row + 1)
    got, problems = _hostile(path, tmp_path, "deleted.xlsx", delete_row)
    assert got is None and any(p.code == "row-deleted" and p.sheet == lay.business.sheet for p in problems)

    def copy_id(wb, lay):  # a row copied over an empty one, hidden id and all
        ws = wb[ct.sheet]
        for c in range(1, len(ct.columns) + 1):
            ws.cell(ct.first_row + 4, c).value = ws.cell(ct.first_row + 1, c).value
    got, problems = _hostile(path, tmp_path, "copied.xlsx", copy_id)
    assert got is None and ("row-id-duplicate", ct.sheet, ct.ref(ct.first_row + 3, "row_id")) in _codes(problems)

    def typed_id(wb, lay):
        wb[ct.sheet].cell(ct.first_row + 5, ct.col("row_id") + 1).value = "zz9"
        wb[ct.sheet].cell(ct.first_row + 5, ct.col("name") + 1).value = "Ghost"
        wb[ct.sheet].cell(ct.first_row + 5, ct.col("account") + 1).value = "A1"
    got, problems = _hostile(path, tmp_path, "typed.xlsx", typed_id)
    assert got is None and ("row-id-unknown", ct.sheet, ct.ref(ct.first_row + 4, "row_id")) in _codes(problems)


def test_a_plan_of_another_year_is_refused(written):
    _, path = written
    got, problems = read_account_plan_workbook(path, 2028)
    assert got is None and [p.code for p in problems] == ["wrong-year"]


def test_the_cover_summary_totals_each_account_from_the_sheets(written):
    """The saved results (what a viewer shows before recalculating) equal sums computed here from the content."""
    content, path = written
    lay = layout_of(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[lay.sheet_names["cover"]]
    tb = lay.summary
    for i, (account,) in enumerate(tb.row_keys):
        r = tb.first_row + i + 1
        projects = sum(p["value"] for p in content.rows["projects"] if p["account"] == account)
        share = sum(k["share"] for k in content.rows["competitors"] if k["account"] == account)
        raised = sum(v.get("complaints_raised") or 0 for v in content.rows["visits"] if v["account"] == account)
        closed = sum(v.get("complaints_closed") or 0 for v in content.rows["visits"] if v["account"] == account)
        got = [ws.cell(r, tb.col(k) + 1).value for k in ("pipeline", "competitor_share", "complaints_raised",
                                                         "complaints_closed")]
        assert got == pytest.approx([projects, share, raised, closed]), account
