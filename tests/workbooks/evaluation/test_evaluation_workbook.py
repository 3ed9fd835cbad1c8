"""Evaluation workbooks: layout and protection, the VP's ratings read back and stored, bad entries as
precise problems, the annual evaluation, the command line."""
from __future__ import annotations

import json
import math
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from support.evaluation import LockedCellError, evaluation_workspace, fill_vp_workbook, layout_of
from kamplan.cli.main import cli
from kamplan.stages.evaluation import annual_evaluation, collect_evaluations, evaluate, evaluation_data
from kamplan.store.evaluation import evaluation_ratings, service_statuses
from kamplan.workbooks.evaluation.reader import read_evaluation_workbook


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("evaluation-cache")


@pytest.fixture
def ws(cache_root, tmp_path):
    with evaluation_workspace(cache_root, tmp_path / "ws") as w:
        yield w


def test_one_workbook_per_salesperson_and_one_for_the_vp_never_overwritten(ws):
    res = evaluate(ws, 2)
    assert res.ok and set(res.paths) == {"VP", *res.data.reps}
    assert res.paths["VP"].name == "evaluation_2027_Q2_VP.xlsx"
    again = evaluate(ws, 2)
    assert again.paths["VP"].name == "evaluation_2027_Q2_VP-2.xlsx" and res.paths["VP"].exists()
    rep = res.data.reps[0]
    wb = openpyxl.load_workbook(res.paths[rep])
    lay = layout_of(res.paths[rep])
    assert lay.audience == "rep" and {k[0] for k in lay.results.row_keys} == {rep}
    assert lay.sheet_names["warnings"] not in wb.sheetnames  # the warnings list is the VP's
    sc = wb[lay.scorecard.sheet]
    assert sc.protection.sheet and sc[lay.scorecard.ref(lay.scorecard.first_row, "rating")].protection.locked
    vp = openpyxl.load_workbook(res.paths["VP"])
    vlay = layout_of(res.paths["VP"])
    assert vlay.sheet_names["warnings"] in vp.sheetnames
    assert not vp[vlay.scorecard.sheet][vlay.scorecard.ref(vlay.scorecard.first_row, "rating")].protection.locked
    with zipfile.ZipFile(res.paths["VP"]) as z:  # native charts, no macros
        names = z.namelist()
    assert sum(n.startswith("xl/charts/chart") for n in names) == 2 and not any("vbaProject" in n for n in names)


def test_vp_ratings_comments_and_statuses_round_trip_into_the_store(ws, tmp_path):
    res = evaluate(ws, 2)
    reps = res.data.reps
    filled = tmp_path / "vp.xlsx"
    fill_vp_workbook(res.paths["VP"], filled, ratings={(reps[0], "relationship"): 4, (reps[1], "account_plan"): "2"},
                     comments={(reps[0], "revenue"): "ahead in May"}, statuses={0: ("delivered", "report sent")})
    [f] = collect_evaluations(ws, [filled]).files
    assert (f.outcome, f.ratings, f.statuses) == ("stored", 3, 1), [str(p) for p in f.problems]
    stored = evaluation_ratings(ws.store, 2027, 2).set_index(["rep_id", "goal"])
    assert stored.at[(reps[0], "relationship"), "rating"] == 4 and stored.at[(reps[1], "account_plan"), "rating"] == 2
    assert stored.at[(reps[0], "revenue"), "comment"] == "ahead in May"
    assert stored.at[(reps[0], "relationship"), "by"] == "Li Ming"
    sc = layout_of(filled).scorecard
    ref = sc.ref(sc.first_row + list(sc.row_keys).index((reps[0], "relationship")), "rating")
    assert stored.at[(reps[0], "relationship"), "source"] == f"vp.xlsx › Scorecard › {ref}"
    st = service_statuses(ws.store, 2027)
    assert st["status"].tolist() == ["delivered"] and st["note"].tolist() == ["report sent"]
    # the ratings count in the scorecard, and the next workbook shows them
    data = evaluation_data(ws, 2)
    scores = data.scores.set_index(["rep_id", "goal"])
    assert scores.at[(reps[0], "relationship"), "score"] == pytest.approx(75.0)
    # collecting the same file again changes nothing
    [g] = collect_evaluations(ws, [filled]).files
    assert g.outcome == "unchanged"
    # clearing a rating in a fresh workbook (which shows it) is stored as a new row; the old one stays
    fresh = evaluate(ws, 2).paths["VP"]
    cleared = tmp_path / "cleared.xlsx"
    fill_vp_workbook(fresh, cleared, raw={("scorecard", list(layout_of(fresh).scorecard.row_keys).index(
        (reps[0], "relationship")), "rating"): None})
    [h] = collect_evaluations(ws, [cleared]).files
    assert (h.outcome, h.ratings) == ("stored", 1), [str(p) for p in h.problems]
    assert len(evaluation_ratings(ws.store, 2027, 2, include_history=True)) == 4
    now = evaluation_ratings(ws.store, 2027, 2).set_index(["rep_id", "goal"])
    assert math.isnan(now.at[(reps[0], "relationship"), "rating"])  # cleared
    # the older file, collected again, cannot bring the cleared rating back
    [k] = collect_evaluations(ws, [filled]).files
    assert k.outcome == "unchanged" and [p.code for p in k.problems] == ["later-entry-kept"]
    now = evaluation_ratings(ws.store, 2027, 2).set_index(["rep_id", "goal"])
    assert math.isnan(now.at[(reps[0], "relationship"), "rating"])


def test_bad_entries_are_precise_problems_and_nothing_is_stored(ws, tmp_path):
    res = evaluate(ws, 2)
    lay = layout_of(res.paths["VP"])
    sc, sv = lay.scorecard, lay.services
    keys = list(sc.row_keys)
    rep = keys[0][0]
    i_rel, i_plan, i_rev = (keys.index((rep, g)) for g in ("relationship", "account_plan", "revenue"))
    bad = tmp_path / "bad.xlsx"
    fill_vp_workbook(res.paths["VP"], bad, raw={("scorecard", i_rel, "rating"): "good",
                                                ("scorecard", i_plan, "rating"): 7,
                                                ("scorecard", i_rev, "rating"): 3.5,
                                                ("services", 0, "status"): "maybe"},
                     ratings={keys[20]: 5})
    [f] = collect_evaluations(ws, [bad]).files
    assert f.outcome == "rejected"
    got = {(p.code, p.sheet, p.cell) for p in f.problems}
    assert got == {("bad-rating", "Scorecard", sc.ref(sc.first_row + i_rel, "rating")),
                   ("outside-scale", "Scorecard", sc.ref(sc.first_row + i_plan, "rating")),
                   ("bad-rating", "Scorecard", sc.ref(sc.first_row + i_rev, "rating")),
                   ("bad-status", "Services", sv.ref(sv.first_row, "status"))}
    msgs = {p.cell: p for p in f.problems}
    assert msgs[sc.ref(sc.first_row + i_rel, "rating")].message == '"good" is not a number'
    assert "from 1 to 5" in msgs[sc.ref(sc.first_row + i_plan, "rating")].fix
    assert msgs[sc.ref(sc.first_row + i_rev, "rating")].message == "3.5 is not a whole number"
    assert "in progress" in msgs[sv.ref(sv.first_row, "status")].fix
    assert len(evaluation_ratings(ws.store, 2027, include_history=True)) == 0  # the good rating waits too


def test_wrong_files_are_refused_with_a_reason(ws, tmp_path):
    res = evaluate(ws, 2)
    rep = res.data.reps[0]
    [f] = collect_evaluations(ws, [res.paths[rep]]).files
    assert f.outcome == "rejected" and f.problems[0].code == "not-the-vp-workbook"
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    [g] = collect_evaluations(ws, [other]).files
    assert g.problems[0].code == "not-an-evaluation-workbook"
    # a row inserted in the Scorecard is named with its row
    moved = tmp_path / "moved.xlsx"
    wb = openpyxl.load_workbook(res.paths["VP"])
    lay = layout_of(res.paths["VP"])
    wb[lay.scorecard.sheet].insert_rows(lay.scorecard.first_row + 3)  # openpyxl counts rows from 1
    wb.save(moved)
    got, problems = read_evaluation_workbook(moved, ws.config)
    assert got is None and problems[0].code == "row-inserted" and problems[0].cell == f"A{lay.scorecard.first_row + 3}"


def test_only_input_cells_are_unlocked(ws, tmp_path):
    res = evaluate(ws, 2)
    lay = layout_of(res.paths["VP"])
    with pytest.raises(LockedCellError):
        fill_vp_workbook(res.paths["VP"], tmp_path / "x.xlsx", raw={("scorecard", 0, "score"): 100})


def test_annual_evaluation_carries_every_quarters_ratings(cache_root, tmp_path):
    with evaluation_workspace(cache_root, tmp_path / "ws", quarters=(1, 2, 3, 4)) as ws:
        q1 = evaluate(ws, 1)
        rep = q1.data.reps[0]
        fill_vp_workbook(q1.paths["VP"], tmp_path / "q1.xlsx", ratings={(rep, "relationship"): 2},
                         comments={(rep, "relationship"): "slow to answer"})
        q3 = evaluate(ws, 3)
        fill_vp_workbook(q3.paths["VP"], tmp_path / "q3.xlsx", ratings={(rep, "relationship"): 4})
        assert not collect_evaluations(ws, [tmp_path / "q1.xlsx", tmp_path / "q3.xlsx"]).rejected
        res = annual_evaluation(ws)
        assert res.ok and res.quarter == 4 and set(res.paths) == {"VP", *res.data.reps}
        assert res.paths["VP"].name == "evaluation_2027_annual_summary.xlsx"
        # the annual score takes the newest quarterly rating when there is no annual one
        scores = res.data.scores.set_index(["rep_id", "goal"])
        assert scores.at[(rep, "relationship"), "rating"] == 4
        lay = layout_of(res.paths[rep])
        sheet = openpyxl.load_workbook(res.paths[rep])[lay.history.sheet]
        row = lay.history.first_row + list(lay.history.row_keys).index((rep, "relationship")) + 1
        h = lay.history
        assert sheet[f"{h.letter('q1_rating')}{row}"].value == 2
        assert sheet[f"{h.letter('q1_comment')}{row}"].value == "slow to answer"
        assert sheet[f"{h.letter('q3_rating')}{row}"].value == 4
        assert sheet[f"{h.letter('q3_score')}{row}"].value == pytest.approx(75.0)
        # ratings typed in the summary are the annual ones (quarter 0)
        fill_vp_workbook(res.paths["VP"], tmp_path / "annual.xlsx", ratings={(rep, "relationship"): 5})
        [f] = collect_evaluations(ws, [tmp_path / "annual.xlsx"]).files
        assert f.outcome == "stored"
        assert evaluation_ratings(ws.store, 2027, 0)["rating"].tolist() == [5.0]


def test_command_line(ws, tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli, ["-w", str(ws.root), "evaluate", "--quarter", "2"])
    assert out.exit_code == 0, out.output
    assert "evaluation_2027_Q2_VP.xlsx" in out.output and "mix" in out.output
    out = runner.invoke(cli, ["-w", str(ws.root), "evaluate", "--quarter", "2", "--json"])
    data = json.loads(out.output)
    assert data["files"]["VP"].endswith("evaluation_2027_Q2_VP-2.xlsx") and data["support_allocated_known"] is False
    filled = tmp_path / "vp.xlsx"
    rep = data["salespeople"][0]["rep_id"]
    fill_vp_workbook(ws.reports / "evaluation_2027_Q2_VP.xlsx", filled, ratings={(rep, "relationship"): 3})
    out = runner.invoke(cli, ["-w", str(ws.root), "evaluate", "collect", str(filled)])
    assert out.exit_code == 0 and "stored" in out.output, out.output
    out = runner.invoke(cli, ["-w", str(ws.root), "warnings", "--json"])
    w = json.loads(out.output)
    assert w["quarter"] == 2 and w["warnings"][0]["rank"] == 1
    # ranked by severity since issue 14 (revenue at risk only breaks ties): tests/stages/test_warnings_ranking.py
    assert w["warnings"][0]["severity"] >= w["warnings"][-1]["severity"]
    drifting = {x["account_id"] for x in w["warnings"] if "open-complaints" in x["flags"]}
    assert len(drifting) == 2  # the demo's two drifting accounts
    out = runner.invoke(cli, ["-w", str(ws.root), "warnings"])
    assert out.exit_code == 0 and "revenue at risk" in " ".join(out.output.split())
    out = runner.invoke(cli, ["-w", str(ws.root), "evaluate", "annual"])
    assert out.exit_code == 0 and "evaluation_2027_annual_summary.xlsx" in out.output, out.output


def test_the_demo_vp_fills_a_workbook_that_collects_cleanly(ws, tmp_path):
    import numpy as np
    from kamplan.demo.evaluation import fill_vp_evaluation
    res = evaluate(ws, 2)
    n = fill_vp_evaluation(res.paths["VP"], tmp_path / "vp.xlsx", np.random.default_rng(1))
    [f] = collect_evaluations(ws, [tmp_path / "vp.xlsx"]).files
    assert f.outcome == "stored" and f.ratings >= n == 2 * len(res.data.reps), [str(p) for p in f.problems]
    assert f.statuses == len(res.data.services)
    # every goal now has a score, but the visit-report goals (this workspace keeps no account plans:
    # no result, so no score; wallet15 put them in the demo's scorecard)
    visit_goals = sum(g.weight for g in ws.config.evaluation.scorecard.goals
                      if g.id in ("satisfaction", "complaint_rate"))
    assert visit_goals > 0
    assert evaluation_data(ws, 2).totals["scored_weight"].round(9).eq(round(1.0 - visit_goals, 9)).all()
