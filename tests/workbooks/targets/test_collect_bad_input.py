"""Every kind of bad returned workbook gives a precise message; nothing is lost, nothing stops the rest."""
from __future__ import annotations


import numpy as np
import openpyxl
import pytest

from kamplan.demo.salesforce import fill_target_workbook, layout_of, make_mistake
from kamplan.stages.targets import collect_targets
from support.demo_fixture import demo_workspace_fixture, filled_return, with_error_value

ws = demo_workspace_fixture("en")


def _filled(ws, index=0, seed=5):
    return filled_return(ws, index, seed)


def _collect_one(ws, path):
    res = collect_targets(ws, [path])
    assert len(res.files) == 1
    return res.files[0]


def _unprotected(path):
    """Open a filled workbook as a user who removed the sheet protection would."""
    wb = openpyxl.load_workbook(path)
    for s in wb.worksheets:
        s.protection.sheet = False
    wb.security = None
    return wb


def test_text_in_a_number_cell_names_file_sheet_cell_and_fix(ws):
    path = _filled(ws)
    ref = make_mistake(path, "targets", "volume_q2", "abc", row_index=3)
    f = _collect_one(ws, path)
    assert f.outcome == "rejected"
    [p] = f.errors
    assert (p.file, p.sheet, p.cell) == (path.name, "Targets", ref)
    assert '"abc" is not a number' in p.message
    assert "Q2 volume" in p.fix
    assert str(p).startswith(f"{path.name} › Targets › {ref}: ")


def test_all_problems_of_a_sheet_are_reported_at_once(ws):
    path = _filled(ws)
    refs = {make_mistake(path, "targets", "volume_q1", "x", row_index=i) for i in range(3)}
    refs.add(make_mistake(path, "visits", "rep_visits_q1", -1, row_index=0))
    refs.add(make_mistake(path, "visits", "exec_visits_q2", 1.5, row_index=1))
    f = _collect_one(ws, path)
    assert {p.cell for p in f.errors} == refs


def test_error_value_in_an_input_cell(ws, tmp_path):
    path = _filled(ws)
    wb = openpyxl.load_workbook(path)
    lay = layout_of(wb)
    ref = lay.targets.ref(lay.targets.first_row, "volume_q1")
    wb.close()
    with_error_value(path, 2, ref, tmp_path)  # #REF! as a spreadsheet program saves it
    f = _collect_one(ws, path)
    [p] = f.errors
    assert p.cell == ref and "#REF!" in p.message


def test_negative_volume_and_missing_price(ws):
    path = _filled(ws)
    r1 = make_mistake(path, "targets", "volume_q1", -5.0, row_index=0)
    make_mistake(path, "targets", "volume_q3", 10.0, row_index=1)
    r2 = make_mistake(path, "targets", "price_q3", None, row_index=1)
    f = _collect_one(ws, path)
    codes = {p.cell: p.code for p in f.errors}
    assert codes == {r1: "negative", r2: "price-missing"}


def test_renamed_sheet(ws):
    path = _filled(ws)
    wb = _unprotected(path)
    wb["Visit plan"].title = "Visits"
    wb.save(path)
    f = _collect_one(ws, path)
    [p] = f.errors
    assert p.code == "sheet-missing" and "'Visit plan'" in p.message and "'Visits'" in p.message


def test_inserted_row_and_deleted_row(ws):
    path = _filled(ws)
    wb = _unprotected(path)
    wb["Targets"].insert_rows(9)
    wb.save(path)
    f = _collect_one(ws, path)
    assert [p.code for p in f.errors] == ["row-inserted"]
    assert f.errors[0].cell == "A9"

    path = _filled(ws, seed=6)
    wb = _unprotected(path)
    wb["Targets"].delete_rows(8)
    wb.save(path)
    f = _collect_one(ws, path)
    assert [p.code for p in f.errors] == ["row-deleted"]


def test_inserted_column(ws):
    path = _filled(ws)
    wb = _unprotected(path)
    wb["Targets"].insert_cols(10)
    wb.save(path)
    f = _collect_one(ws, path)
    [p] = f.errors
    assert p.code == "layout-changed" and p.cell.startswith("J") and "inserted" in p.message


def test_unknown_account_in_a_list_sheet(ws):
    path = _filled(ws)
    ref = make_mistake(path, "requests", "account", "Z999 · Nobody Ltd", row_index=10)
    f = _collect_one(ws, path)
    cells = {p.cell: p.code for p in f.errors}
    assert cells[ref] == "bad-value"
    assert any(p.code == "missing-value" for p in f.errors)  # the rest of that row is empty


def test_other_reps_workbook_and_last_years_workbook(ws, tmp_path):
    a, b = sorted(ws.round_outbox(1).glob("*.xlsx"))[:2]
    wrong = ws.inbox / b.name  # a's workbook under b's name
    fill_target_workbook(a, wrong, np.random.default_rng(2))
    f = _collect_one(ws, wrong)
    assert [p.code for p in f.errors] == ["other-reps-workbook"]


def test_stale_round(ws):
    path = _filled(ws)
    ws.store.open_round(ws.config.plan_year, 2, "top-down", None)
    f = _collect_one(ws, path)
    assert [p.code for p in f.errors] == ["stale-round"]


def test_last_rounds_file_already_collected_is_unchanged_not_stale(ws):
    path = _filled(ws)
    assert _collect_one(ws, path).outcome == "stored"
    ws.store.open_round(ws.config.plan_year, 2, "top-down", None)
    f = _collect_one(ws, path)  # still in the inbox when round 2 answers are collected
    assert f.outcome == "unchanged" and f.problems == []


@pytest.mark.parametrize("maker,code", [
    (lambda p: p.write_bytes(b""), "empty-file"),
    (lambda p: p.write_text("account,volume\nA1,10\n"), "not-xlsx-text"),
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "corrupt-zip"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000), None),
])
def test_broken_files_are_rejected_and_the_rest_collected(ws, maker, code):
    good = _filled(ws, 0)
    bad = _filled(ws, 1)
    maker(bad)
    res = collect_targets(ws, [ws.inbox])
    outcomes = {f.path.name: f for f in res.files}
    assert outcomes[good.name].outcome == "stored"
    assert outcomes[bad.name].outcome == "rejected"
    [p] = outcomes[bad.name].errors
    if code:
        assert p.code == code
    assert p.file == bad.name and p.fix
    status = res.status.set_index("rep_id")
    assert status.loc[bad.name.split("_")[0], "state"] == "rejected"
    assert status.loc[good.name.split("_")[0], "state"] == "submitted"


def test_rejected_file_leaves_earlier_submission_current(ws):
    path = _filled(ws)
    collect_targets(ws, [path])
    rep = path.name.split("_")[0]
    before = ws.store.current_submission(rep, ws.config.plan_year, 1)
    make_mistake(path, "targets", "volume_q1", "oops", row_index=0)
    f = _collect_one(ws, path)
    assert f.outcome == "rejected"
    after = ws.store.current_submission(rep, ws.config.plan_year, 1)
    assert after.content_hash == before.content_hash


def test_formula_like_text_stays_text(ws):
    path = _filled(ws)
    wb = openpyxl.load_workbook(path)
    lay = layout_of(wb)
    tb = lay.targets
    cell = wb[tb.sheet][tb.ref(tb.first_row, "comment")]
    cell.value = "=HYPERLINK(\"http://x\")"
    cell.data_type = "s"  # typed as text, as Excel stores an entry in a text-formatted cell
    wb.save(path)
    f = _collect_one(ws, path)
    assert f.outcome == "stored"
    sub = ws.store.current_submission(path.name.split("_")[0], ws.config.plan_year, 1)
    assert sub.targets.comment.iloc[0] == "=HYPERLINK(\"http://x\")"


def test_two_files_for_one_salesperson_in_one_batch_newer_wins(ws, tmp_path):
    import os
    src = sorted(ws.round_outbox(1).glob("*.xlsx"))[0]
    older, newer = ws.inbox / src.name, ws.inbox / (src.stem + " final.xlsx")
    fill_target_workbook(src, older, np.random.default_rng(1))
    fill_target_workbook(src, newer, np.random.default_rng(2))
    os.utime(older, (1_700_000_000, 1_700_000_000))
    os.utime(newer, (1_700_000_100, 1_700_000_100))
    res = collect_targets(ws, [ws.inbox])
    assert [f.outcome for f in res.files] == ["stored", "stored"]
    assert any(p.code == "two-files-one-rep" for p in res.files[1].warnings)
    rep = src.name.split("_")[0]
    current = ws.store.current_submission(rep, ws.config.plan_year, 1)
    assert current.file_name == newer.name
    history = ws.store.submissions(ws.config.plan_year, include_superseded=True)
    assert sorted(history.status) == ["current", "superseded"]


def test_comma_decimal_is_ambiguous_not_multiplied(ws):
    path = _filled(ws)
    ref = make_mistake(path, "targets", "volume_q1", "1,5", row_index=0)
    ok = make_mistake(path, "targets", "volume_q2", "1,200.5", row_index=0)
    f = _collect_one(ws, path)
    assert [(p.cell, p.code) for p in f.errors] == [(ref, "bad-value")]
    assert "ambiguous" in f.errors[0].message
    assert ok != ref


def test_last_years_workbook_is_refused(ws):
    import yaml
    path = _filled(ws)
    cfg = ws.config_path
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["plan_year"] += 1
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    from kamplan.workspace import Workspace
    with Workspace.open(ws.root) as next_year:
        f = collect_targets(next_year, [path]).files[0]
    assert f.outcome == "rejected" and [p.code for p in f.errors] == ["wrong-year"]
    assert "for 2027" in f.errors[0].message and "2028" in f.errors[0].fix


def test_mistyped_rep_opens_no_round(ws):
    from kamplan.stages.targets import issue_targets
    with pytest.raises(ValueError, match="unknown salesperson"):
        issue_targets(ws, round_no=2, reps=["nobody"])
    assert ws.store.current_round(ws.config.plan_year) == 1


def test_a_rejected_file_with_any_name_shows_as_its_salespersons_rejection(ws):
    src = _filled(ws)
    renamed = ws.inbox / "my targets.xlsx"
    src.rename(renamed)
    make_mistake(renamed, "targets", "volume_q1", "?", row_index=0)
    res = collect_targets(ws, [renamed])
    rep = src.name.split("_")[0]
    assert res.files[0].rep_id == rep
    assert res.status.set_index("rep_id").loc[rep, "state"] == "rejected"


def test_lines_of_an_account_moved_to_another_rep_are_not_counted_twice(ws):
    import yaml
    path = _filled(ws)
    rep = path.name.split("_")[0]
    sub_accounts = [a for a in ws.config.accounts if a.rep == rep]
    other = next(s.id for s in ws.config.staff if s.id != rep)
    data = yaml.safe_load(ws.config_path.read_text(encoding="utf-8"))
    moved = sub_accounts[0].id
    for a in data["accounts"]:
        if a["id"] == moved:
            a["rep"] = other
    ws.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    from kamplan.workspace import Workspace
    with Workspace.open(ws.root) as w2:
        f = collect_targets(w2, [path]).files[0]
        assert f.outcome == "stored", f.problems
        sub = w2.store.current_submission(rep, w2.config.plan_year, 1)
    assert moved not in set(sub.targets.account_id) and moved not in set(sub.visits.account_id)


def test_a_price_warning_names_the_price_cell_not_the_volume_cell(ws):
    path = _filled(ws)
    make_mistake(path, "targets", "volume_q1", 10, row_index=0)
    price_ref = make_mistake(path, "targets", "price_q1", 1.0, row_index=0)  # far under any list price
    f = _collect_one(ws, path)
    assert f.outcome != "rejected", f.errors
    far = [p for p in f.warnings if p.code == "price-far-below-list" and "in Q1" in p.message]
    assert far and far[0].cell == price_ref and far[0].sheet == "Targets"
