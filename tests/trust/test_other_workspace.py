"""Issue 18 item 12: the VP's own workbooks (the account review, the resource plan, the rated evaluation)
are refused when they come from another planning workspace, as the target workbooks are: a second
workspace of the same company (same config, its own store) did not write them, so what they say about
its accounts, requests and ratings is not its own to store."""
from __future__ import annotations

import datetime as dt

from kamplan.stages.evaluation import collect_evaluations, evaluate
from kamplan.stages.resources import allocate
from kamplan.stages.review import collect_reviews, segment_accounts
from support.evaluation import evaluation_workspace, fill_vp_workbook, layout_of as evaluation_layout
from support.resources import collected_workspace, fill_resource_plan, layout_of as resource_layout
from support.review import fill_review, layout_of as review_layout, review_workspace


def _refused(problems, name):
    errors = [p for p in problems if p.is_error]
    assert [p.code for p in errors] == ["not-issued-here"], [str(p) for p in problems]
    assert "not written by this planning workspace" in errors[0].message
    assert errors[0].file == name and errors[0].fix


def test_a_review_workbook_of_another_workspace_is_refused(tmp_path):
    with review_workspace(tmp_path / "cache", tmp_path / "a") as a:
        written = segment_accounts(a).path
        filled = tmp_path / "review_filled.xlsx"
        account = review_layout(written).review.row_keys[-1][0]
        fill_review(written, filled, overrides={account: ("Key", "the group's new mill buys from us")})
        assert collect_reviews(a, [filled]).files[0].outcome == "stored"  # its own workspace takes it
    with review_workspace(tmp_path / "cache", tmp_path / "b") as b:
        segment_accounts(b)
        [got] = collect_reviews(b, [filled]).files
        assert got.outcome == "rejected"
        _refused(got.problems, filled.name)


def test_a_resource_plan_of_another_workspace_is_refused(tmp_path):
    with collected_workspace(tmp_path / "cache", tmp_path / "a") as a:
        first = allocate(a, time_limit=5, now=dt.datetime(2026, 12, 10, 9, 0))
        rid = resource_layout(first.path).choices.row_keys[0][0]
        filled = tmp_path / "resources_filled.xlsx"
        fill_resource_plan(first.path, filled, choices={rid: "Force out"})
    with collected_workspace(tmp_path / "cache", tmp_path / "b") as b:
        allocate(b, time_limit=5, now=dt.datetime(2026, 12, 10, 10, 0))  # b's own resource plan
        res = allocate(b, time_limit=5, force_from=filled, now=dt.datetime(2026, 12, 11, 9, 0))
        assert not res.ok and res.run_id is None
        _refused(res.problems, filled.name)


def test_a_rated_evaluation_of_another_workspace_is_refused(tmp_path):
    with evaluation_workspace(tmp_path / "cache", tmp_path / "a") as a:
        vp = evaluate(a, 1).paths["VP"]
        key = list(evaluation_layout(vp).scorecard.row_keys)[0]
        rated = tmp_path / "evaluation_rated.xlsx"
        fill_vp_workbook(vp, rated, ratings={key: 4})
    with evaluation_workspace(tmp_path / "cache", tmp_path / "b") as b:
        evaluate(b, 1)
        [got] = collect_evaluations(b, [rated]).files
        assert got.outcome == "rejected"
        _refused(got.problems, rated.name)
