"""Issuing in parallel: the same files as one process writes, in the same order; a workbook that cannot
be written is reported with the others written."""
from __future__ import annotations

import datetime as dt
import errno

import pytest

import kamplan.stages.targets as targets_stage
from kamplan.messages import render
from kamplan.stages.inputs import no_progress
from kamplan.stages.targets import IssueIncomplete, IssueResult, issue_targets
from support.workspaces import demo_workspace

STAMP = dt.datetime(2026, 12, 1, 9, 0)


def _jobs(ws, folder):
    result = IssueResult(1, folder)
    jobs = targets_stage._workbooks_to_write(ws, result, None, False, None, STAMP, {}, no_progress)
    return [(folder / path.name, content) for path, content in jobs]


def test_a_parallel_issue_writes_byte_for_byte_the_files_of_a_serial_issue_in_the_same_order(tmp_path_factory,
                                                                                            tmp_path):
    ws = demo_workspace(tmp_path_factory.mktemp("ws-par"), "en", tmp_path / "ws")
    with ws:
        jobs = _jobs(ws, tmp_path / "serial")
        assert len(jobs) >= 4
        serial, parallel = IssueResult(1, tmp_path / "serial"), IssueResult(1, tmp_path / "parallel")
        seen_serial, seen_parallel = [], []
        targets_stage._write_all(jobs, serial, seen_serial.append, workers=1)
        targets_stage._write_all([(tmp_path / "parallel" / p.name, c) for p, c in jobs], parallel,
                                 seen_parallel.append, workers=2)
    assert [p.name for p in serial.written] == [p.name for p in parallel.written] == [p.name for p, _ in jobs]
    assert seen_serial == seen_parallel and not serial.failed and not parallel.failed
    for a, b in zip(serial.written, parallel.written):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert not list((tmp_path / "parallel").glob(".kamplan-*"))  # no temporary file left behind


def test_a_workbook_that_cannot_be_written_does_not_stop_the_others(tmp_path_factory, tmp_path):
    ws = demo_workspace(tmp_path_factory.mktemp("ws-fail"), "en", tmp_path / "ws")
    with ws:
        jobs = _jobs(ws, tmp_path / "out")
    blocked = jobs[1][0]
    blocked.mkdir(parents=True)  # a folder where the workbook should go: the final rename fails
    result = IssueResult(1, tmp_path / "out")
    seen = []
    targets_stage._write_all(jobs, result, seen.append, workers=2)
    assert [p for p, _ in result.failed] == [blocked]
    assert isinstance(result.failed[0][1], OSError)
    assert result.written == [p for p, _ in jobs if p != blocked] and all(p.is_file() for p in result.written)
    assert len(seen) == len(jobs)  # progress for every salesperson, the failed one too


def test_issue_names_the_workbooks_not_written_and_why_after_writing_the_others(tmp_path_factory, tmp_path,
                                                                               monkeypatch):
    ws = demo_workspace(tmp_path_factory.mktemp("ws-full"), "en", tmp_path / "ws")
    write = targets_stage._write_one
    first = sorted(s.id for s in ws.config.staff)[0]

    def disk_full_for_one(job):
        if job[1].identity.rep_id == first:
            raise OSError(errno.ENOSPC, "No space left on device", str(job[0]))
        return write(job)

    monkeypatch.setattr(targets_stage, "_write_one", disk_full_for_one)
    with ws:
        with pytest.raises(IssueIncomplete) as caught:
            issue_targets(ws, round_no=1, force=True, workers=1, now=STAMP)
        result = caught.value.result
        event = ws.store.events("targets.issue").iloc[-1]["detail"]
    assert len(result.failed) == 1 and first in result.failed[0][0].name
    assert len(result.written) >= 3 and all(p.is_file() for p in result.written)
    said = render(caught.value.args[0], "en")
    assert result.failed[0][0].name in said and "disk" in said.lower() and f"{len(result.written)}" in said
    zh = render(caught.value.args[0], "zh-CN")
    assert result.failed[0][0].name in zh and "工作簿" in zh
    assert event["failed"] == [result.failed[0][0].name] and len(event["written"]) == len(result.written)
