"""Issue 18 item 12 (evaluation): a VP-rated evaluation workbook of a period this workspace has no actuals for
is refused; collecting the same file twice does not add its rows again; a renamed CSV or a zero-byte file
gets the safety gate's words."""
from __future__ import annotations

import pytest

from kamplan.stages.evaluation import collect_evaluations, evaluate
from kamplan.store.evaluation import evaluation_ratings, service_statuses
from support.evaluation import evaluation_workspace, fill_vp_workbook, layout_of


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("evaluation-collect")


def _rated(ws, tmp_path, quarter=1):
    res = evaluate(ws, quarter)
    vp = res.paths["VP"]
    lay = layout_of(vp)
    sc = lay.scorecard
    assert len(lay.services.row_keys) >= 2
    keys = list(sc.row_keys)[:2]
    rated = tmp_path / f"evaluation_Q{quarter}_VP_rated.xlsx"
    fill_vp_workbook(vp, rated, ratings={keys[0]: 4, keys[1]: 3},
                     statuses={0: ("delivered", "handed over"), 1: ("late", None)})
    return rated


def test_the_same_file_twice_adds_nothing_the_second_time(cache_root, tmp_path):
    with evaluation_workspace(cache_root, tmp_path / "ws") as ws:
        rated = _rated(ws, tmp_path)
        first = collect_evaluations(ws, [rated]).files[0]
        assert first.outcome == "stored", [str(p) for p in first.problems]
        ratings, statuses = len(evaluation_ratings(ws.store, 2027, 1)), len(service_statuses(ws.store, 2027))
        again = collect_evaluations(ws, [rated]).files[0]
        assert again.outcome == "unchanged", [str(p) for p in again.problems]
        assert len(evaluation_ratings(ws.store, 2027, 1)) == ratings
        assert len(service_statuses(ws.store, 2027)) == statuses


def test_a_workbook_of_a_period_without_actuals_here_is_refused(cache_root, tmp_path):
    with evaluation_workspace(cache_root, tmp_path / "two", quarters=(1, 2)) as ws:
        rated = _rated(ws, tmp_path, quarter=2)
    with evaluation_workspace(cache_root, tmp_path / "one", quarters=(1,)) as other:
        [f] = collect_evaluations(other, [rated]).files
        assert f.outcome == "rejected"
        [p] = [p for p in f.problems if p.is_error]
        assert p.code == "evaluation-other-period" and "2027 Q2" in p.message and p.file == rated.name
        assert evaluation_ratings(other.store, 2027, 2).empty


@pytest.mark.parametrize("content, code", [(b"", "empty-file"), (b"rep,goal,rating\nR01,g1,4\n", "not-xlsx-text")])
def test_renamed_and_empty_files_get_the_safety_gates_message(cache_root, tmp_path, content, code):
    with evaluation_workspace(cache_root, tmp_path / "ws") as ws:
        f = tmp_path / "evaluation_2027_Q1_VP.xlsx"
        f.write_bytes(content)
        [got] = collect_evaluations(ws, [f]).files
        assert got.outcome == "rejected" and [p.code for p in got.problems] == [code], [str(p) for p in got.problems]
