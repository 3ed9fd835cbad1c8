"""Every add-in action works as plain Python on workbook files (what the ribbon buttons run in Excel)."""
from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from kamplan.demo.salesforce import fill_target_workbook, make_mistake
from kamplan.xl import actions
from kamplan.xl.actions import ACTIONS, GROUPS, ActionError, find_workspace, run_action
from support.workspaces import demo_workspace


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("ws-cache")


@pytest.fixture
def ws(cache_root, tmp_path):
    w = demo_workspace(cache_root, "en", tmp_path / "ws")
    w.close()
    return w


def _filled(ws, tmp_path, index=0, seed=5):
    """A salesperson's returned workbook, somewhere in the workspace (not yet in the inbox)."""
    src = sorted(ws.round_outbox(1).glob("*.xlsx"))[index]
    dst = ws.root / "mail" / src.name
    dst.parent.mkdir(exist_ok=True)
    fill_target_workbook(src, dst, np.random.default_rng(seed))
    return dst


def test_every_action_resolves_to_a_callable_and_has_labels_and_help():
    ids = [a.id for a in ACTIONS]
    assert len(ids) == len(set(ids))
    groups = {g.id for g in GROUPS}
    for a in ACTIONS:
        fn = a.resolve()
        assert callable(fn), a.id
        assert a.group in groups
        assert a.en and a.zh and a.help_en and a.help_zh
        assert a.label("zh-CN") == a.zh and a.help("en") == a.help_en


def test_unknown_action_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="kam_check"):
        actions.get("kam_nope")


def test_workspace_is_found_above_the_workbook(ws, tmp_path, monkeypatch):
    monkeypatch.delenv(actions.WORKSPACE_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no workspace chosen with Choose workspace
    book = _filled(ws, tmp_path)
    assert find_workspace(book) == ws.root
    assert find_workspace(tmp_path / "elsewhere.xlsx") is None
    monkeypatch.setenv(actions.WORKSPACE_ENV, str(ws.root))
    assert find_workspace(tmp_path / "elsewhere.xlsx") == ws.root


def test_book_actions_refuse_to_start_without_a_book_or_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv(actions.WORKSPACE_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(ActionError, match="open a target workbook"):
        run_action("kam_check")
    (tmp_path / "x.xlsx").write_bytes(b"")
    with pytest.raises(ActionError, match="kamplan init"):
        run_action("kam_check", book=tmp_path / "x.xlsx")


def test_check_of_a_good_workbook_says_it_is_ready(ws, tmp_path):
    book = _filled(ws, tmp_path)
    res = run_action("kam_check", book=book)
    assert res.ok and res.output is None
    assert [p for p in res.problems if p.is_error] == []
    assert book.name in res.message


def test_check_writes_problems_next_to_cells_and_into_a_checks_sheet_of_a_copy(ws, tmp_path):
    book = _filled(ws, tmp_path)
    ref = make_mistake(book, "targets", "volume_q2", "abc", row_index=3)
    before = book.read_bytes()
    res = run_action("kam_check", book=book)
    assert not res.ok
    [err] = res.errors
    assert (err.sheet, err.cell) == ("Targets", ref)
    assert "1 error(s)" in res.message and str(res.output) in res.message
    assert book.read_bytes() == before  # the user's file is never changed
    assert res.output.parent == ws.root / "reports" / "checks"
    wb = openpyxl.load_workbook(res.output)
    assert wb.sheetnames[0] == "Checks"
    rows = list(wb["Checks"].values)
    assert rows[0] == ("Severity", "Sheet", "Cell", "Problem", "What to do")
    assert ("error", "Targets", ref) == rows[1][:3] and '"abc" is not a number' in rows[1][3]
    assert '"abc" is not a number' in wb["Targets"][ref].comment.text


def test_check_of_a_file_that_is_no_workbook_reports_without_a_copy(ws, tmp_path):
    bad = ws.root / "mail" / "fake.xlsx"
    bad.parent.mkdir(exist_ok=True)
    bad.write_text("name,volume\n", encoding="utf-8")
    res = run_action("kam_check", book=bad)
    assert not res.ok and res.output is None and res.errors


def test_submit_refuses_a_workbook_with_errors_and_stores_a_good_one(ws, tmp_path):
    book = _filled(ws, tmp_path)
    make_mistake(book, "targets", "volume_q2", -5, row_index=0)
    res = run_action("kam_submit", book=book)
    assert not res.ok and res.message.startswith("Not submitted")
    assert not (ws.root / "inbox" / book.name).exists()
    good = _filled(ws, tmp_path, index=1)
    res = run_action("kam_submit", book=good)
    assert res.ok and "stored" in res.message
    assert res.output == ws.root / "inbox" / good.name and res.output.exists()
    again = run_action("kam_submit", book=good)  # the same file again: nothing new, old copy kept aside
    assert again.ok and "unchanged" in again.message
    assert list((ws.root / "inbox" / "replaced").rglob(good.name))


def test_collect_issue_segment_and_open_output_on_the_workspace(ws, tmp_path):
    for i in range(2):
        src = _filled(ws, tmp_path, index=i)
        src.rename(ws.root / "inbox" / src.name)
    res = run_action("kam_collect", workspace=ws.root)
    assert res.ok and "2 stored" in res.message and "still missing" in res.message
    steps = []
    res = run_action("kam_issue", workspace=ws.root, progress=steps.append)
    assert res.ok and "kept" in res.message and res.output == ws.root / "outbox" / "round-1"
    res = run_action("kam_open_output", workspace=ws.root)
    assert not res.ok and "no workbook" in res.message
    res = run_action("kam_segment", workspace=ws.root, progress=steps.append)
    assert res.ok and res.output.exists() and res.output.suffix == ".xlsx"
    assert steps  # progress reached the caller (the macro shows it in the status bar)
    res = run_action("kam_open_output", workspace=ws.root)
    assert res.ok and res.output.name.startswith("account_review_")


def test_refresh_names_the_outputs_a_newer_one_replaced(ws, tmp_path):
    import os
    from kamplan.xl.tasks import output_kind
    assert output_kind(ws.reports / "consolidation_2027_v4.xlsx") == output_kind(ws.reports / "consolidation_2027_v12.xlsx")
    assert output_kind(ws.reports / "consolidation_2027_v4.xlsx") != output_kind(ws.reports / "resource_plan_2027.xlsx")
    ws.reports.mkdir(parents=True, exist_ok=True)
    old, new = ws.reports / "consolidation_2027_v1.xlsx", ws.reports / "consolidation_2027_v2.xlsx"
    for i, p in enumerate((old, new)):
        p.write_bytes(b"x")
        os.utime(p, (2000 + i, 2000 + i))
    res = run_action("kam_refresh", book=old, workspace=ws.root)
    assert res.output == new and "consolidation_2027_v1.xlsx → consolidation_2027_v2.xlsx" in res.message
    assert run_action("kam_refresh", book=new, workspace=ws.root).output is None
    assert str(ws.root) in run_action("kam_workspace", workspace=ws.root).message
