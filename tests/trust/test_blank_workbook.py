"""Issue 18 item 4: a workbook returned blank is a rejected "empty" submission and counts as no answer (last
year's run-rate, marked), instead of dropping that salesperson's bottom-up plan to 0."""
from __future__ import annotations

import shutil

import numpy as np

from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages.plan import consolidate
from kamplan.stages.targets import collect_targets
from support.workspaces import demo_workspace


def test_a_blank_workbook_is_rejected_and_counts_as_no_answer(tmp_path):
    with demo_workspace(tmp_path, "en", tmp_path / "ws") as ws:
        issued = sorted((ws.outbox / "round-1").glob("*.xlsx"))
        blank_rep = issued[0].name.split("_")[0]
        shutil.copy(issued[0], ws.inbox / issued[0].name)  # sent back without typing anything
        for i, p in enumerate(issued[1:]):
            fill_target_workbook(p, ws.inbox / p.name, np.random.default_rng(i))
        res = collect_targets(ws, [ws.inbox])
        f = next(f for f in res.files if f.path.name == issued[0].name)
        assert f.outcome == "rejected"
        [p] = [p for p in f.problems if p.is_error]
        assert p.code == "empty-submission" and p.file == issued[0].name and p.cell and "no answer" in p.message
        assert sum(x.outcome == "stored" for x in res.files) == len(issued) - 1
        out = consolidate(ws)
        assert blank_rep in out.bottom_up.run_rate_reps
        mine = out.bottom_up.lines[out.bottom_up.lines["rep_id"] == blank_rep]
        assert mine["revenue"].sum() > 0  # last year's run-rate, not 0
