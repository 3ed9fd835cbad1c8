"""The December workbooks show each account's class for the plan year and pre-fill its visit cycle."""
from __future__ import annotations

import openpyxl

from kamplan.demo.salesforce import layout_of
from kamplan.stages.review import effective_classes, segment_accounts
from kamplan.stages.targets import issue_targets
from support.workspaces import demo_workspace


def test_issued_workbooks_follow_the_segmentation(tmp_path):
    ws = demo_workspace(tmp_path, "en", tmp_path / "ws")
    with ws:
        segment_accounts(ws)
        classes = effective_classes(ws)
        moved = {a.id: classes[a.id][0] for a in ws.config.accounts if classes[a.id][0] != a.cls}
        assert moved, "the demo's segmentation should move some account away from its config class"
        res = issue_targets(ws, round_no=1, force=True)
        checked = 0
        for path in res.written:
            wb = openpyxl.load_workbook(path)
            lay = layout_of(wb)
            vi = lay.visits
            sheet = wb[vi.sheet]
            for i, (acc,) in enumerate(vi.row_keys):
                if acc in moved:
                    r = vi.first_row + i
                    cls = moved[acc]
                    want = ws.config.classes[cls].visits_per_quarter
                    assert sheet[vi.ref(r, "default_visits")].value == want
                    assert sheet[vi.ref(r, "rep_visits_q1")].value == want
                    assert sheet[vi.ref(r, "class")].value == ws.config.classes[cls].name.en
                    checked += 1
        assert checked == len(moved)
