"""evaluate writes its workbooks in parallel from ``PARALLEL_FROM`` on (issue 16): the same files, the same
cells and the same store records as one after another; a workbook that fails leaves what a serial run
would have left."""
from __future__ import annotations

import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

from support.evaluation import evaluation_workspace
from kamplan.stages import evaluation as stage
from kamplan.workbooks.kit.identity import IDENTITY_SHEET

NOW = dt.datetime(2027, 4, 2, 9, 0)


def cells(path):
    """Every sheet's values but the identity sheet's (which holds the workbook's own id)."""
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names if n != IDENTITY_SHEET}


def run(ws, monkeypatch, parallel_from: int):
    monkeypatch.setattr(stage, "PARALLEL_FROM", parallel_from)
    seen = []
    res = stage.evaluate(ws, 1, now=NOW, progress=seen.append)
    assert res.ok, res.problems
    return res, seen


@pytest.fixture
def two_workspaces(tmp_path):
    root = tmp_path / "cache"
    with evaluation_workspace(root, tmp_path / "serial", quarters=(1,)) as a, \
            evaluation_workspace(root, tmp_path / "parallel", quarters=(1,)) as b:
        yield a, b


def test_parallel_writes_give_the_same_workbooks_and_records_as_serial(two_workspaces, monkeypatch):
    serial_ws, parallel_ws = two_workspaces
    serial, serial_progress = run(serial_ws, monkeypatch, 10_000)
    parallel, parallel_progress = run(parallel_ws, monkeypatch, 1)
    assert len(parallel.paths) == 1 + len(parallel.data.reps) >= 3
    assert {k: p.name for k, p in parallel.paths.items()} == {k: p.name for k, p in serial.paths.items()}
    assert [x for x in parallel_progress if x != "engine"] == ["VP", *parallel.data.reps]
    assert parallel_progress == serial_progress
    for key, path in parallel.paths.items():
        assert cells(path) == cells(serial.paths[key]), key
    serial_records, parallel_records = (
        sorted((r["rep_id"], r["file_name"], r["kind"]) for r in ws.store.issued_map().values())
        for ws in (serial_ws, parallel_ws))
    assert parallel_records == serial_records
    assert len(parallel_records) == len(parallel.paths)
    assert sorted(p.name for p in parallel_ws.reports.glob("*.xlsx")) == sorted(p.name for p in parallel.paths.values())


def _fails_for_the_second_salesperson(path, content):
    if content.identity.rep_id == _FAILING[0]:
        raise OSError("disk full")
    return stage.__dict__["_real_write"](path, content)


_FAILING = [""]


def test_a_failing_workbook_raises_and_leaves_only_the_ones_before_it_written_and_recorded(tmp_path, monkeypatch):
    with evaluation_workspace(tmp_path / "cache", tmp_path / "ws", quarters=(1,)) as ws:
        reps = stage.evaluation_data(ws, 1).reps
        _FAILING[0] = reps[1]
        monkeypatch.setattr(stage, "PARALLEL_FROM", 1)
        monkeypatch.setitem(stage.__dict__, "_real_write", stage.write_evaluation_workbook)
        monkeypatch.setattr(stage, "write_evaluation_workbook", _fails_for_the_second_salesperson)
        with pytest.raises(OSError, match="disk full"):
            stage.evaluate(ws, 1, now=NOW)
        left = sorted(p.name for p in ws.reports.glob("*.xlsx"))
        assert left == sorted([f"evaluation_{ws.config.plan_year}_Q1_VP.xlsx",
                               f"evaluation_{ws.config.plan_year}_Q1_{reps[0]}.xlsx"])
        recorded = sorted(r["file_name"] for r in ws.store.issued_map().values())
        assert recorded == left
        assert not list(ws.reports.glob(".kamplan-*"))  # no temporary file left behind either
