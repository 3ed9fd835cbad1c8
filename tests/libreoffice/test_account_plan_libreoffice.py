"""The account plan filled and saved by LibreOffice itself, then collected exactly; every formula recalculates
with no error and shows what the sheets add up to (computed here, independently)."""
from __future__ import annotations

import datetime as dt

import pytest

from kamplan.stages.account_plan import collect_plans, issue_plans, plan_inbox
from kamplan.workbooks.account_plan.layout import at
from kamplan.workbooks.kit.cells import EXCEL_EPOCH
from support.account_plan import layout_of, plan_workspace

pytestmark = pytest.mark.libreoffice


def _serial(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_plan_filled_in_libreoffice_is_collected_exactly(libreoffice, tmp_path, language):
    with plan_workspace(tmp_path / "ws", language) as ws:
        issued = issue_plans(ws, reps=["r2"]).written[0]
        lay = layout_of(issued)
        blank = libreoffice.recalculate(issued)
        assert blank.errors() == []
        ct, pj, vt, bz = (lay.table(k) for k in ("contacts", "projects", "visits", "business"))
        r0, r1 = ct.first_row, ct.first_row + 1
        edits = [
            (ct.sheet, ct.ref(r0, "account"), "text", "A1 Acme"), (ct.sheet, ct.ref(r0, "name"), "text", "王芳"),
            (ct.sheet, ct.ref(r0, "role"), "text", at("role.decision_maker", language)),
            (ct.sheet, ct.ref(r0, "influence"), "number", 5),
            (ct.sheet, ct.ref(r0, "last_contact"), "number", _serial(dt.date(2026, 11, 3))),
            (ct.sheet, ct.ref(r0, "owner"), "text", "tech1 Engineer One"),
            (ct.sheet, ct.ref(r0, "personal_note"), "text", "喜欢打高尔夫"),
            (ct.sheet, ct.ref(r1, "account"), "text", "A1 Acme"), (ct.sheet, ct.ref(r1, "name"), "text", "Li Lei"),
            (ct.sheet, ct.ref(r1, "reports_to"), "text", "王芳"),
            (pj.sheet, pj.ref(pj.first_row, "account"), "text", "A1 Acme"),
            (pj.sheet, pj.ref(pj.first_row, "project"), "text", "New line"),
            (pj.sheet, pj.ref(pj.first_row, "value"), "number", 250000.5),
            (pj.sheet, pj.ref(pj.first_row + 1, "account"), "text", "A1 Acme"),
            (pj.sheet, pj.ref(pj.first_row + 1, "project"), "text", "Retrofit"),
            (pj.sheet, pj.ref(pj.first_row + 1, "value"), "number", 1000),
            (vt.sheet, vt.ref(vt.first_row, "account"), "text", "A2"),
            (vt.sheet, vt.ref(vt.first_row, "date"), "number", _serial(dt.date(2026, 11, 10))),
            (vt.sheet, vt.ref(vt.first_row, "complaints_raised"), "number", 3),
            (vt.sheet, vt.ref(vt.first_row, "complaints_closed"), "number", 1),
            (bz.sheet, bz.ref(bz.first_row, "usage_P1"), "number", 1234.25),
            (bz.sheet, bz.ref(bz.first_row + 1, "markets"), "text", "华东"),
        ]
        inbox = plan_inbox(ws)
        saved = libreoffice.edit(issued, edits, inbox / issued.name)
        rec = libreoffice.recalculate(saved)
        assert rec.errors() == []
        sm = lay.summary
        expected = {"A1": (250000.5 + 1000, 0.0, 0.0, 0.0), "A2": (0.0, 0.0, 3.0, 1.0)}
        for i, (account,) in enumerate(sm.row_keys):
            r = sm.first_row + i
            got = tuple(rec.value(sm.sheet, sm.ref(r, k)) for k in ("pipeline", "competitor_share",
                                                                     "complaints_raised", "complaints_closed"))
            assert got == pytest.approx(expected[account]), account
        res = collect_plans(ws)
        [f] = res.files
        assert f.outcome == "stored", [str(p) for p in f.problems]
        contacts = ws.store.account_plan_rows(2026, "contacts", rep_id="r2", personal=True).set_index("name")
        assert contacts.loc["王芳", ["account_id", "role", "influence", "last_contact", "owner", "personal_note"]] \
            .tolist() == ["A1", "decision_maker", 5, "2026-11-03", "tech1", "喜欢打高尔夫"]
        assert contacts.loc["Li Lei", "reports_to"] == "王芳"
        projects = ws.store.account_plan_rows(2026, "projects", rep_id="r2")
        assert sorted(zip(projects["project"], projects["value"])) == [("New line", 250000.5), ("Retrofit", 1000.0)]
        visits = ws.store.account_plan_rows(2026, "visits", rep_id="r2")
        assert visits.iloc[0][["account_id", "date", "complaints_raised", "complaints_closed"]].tolist() == \
            ["A2", "2026-11-10", 3, 1]
        business = ws.store.account_plan_rows(2026, "business", rep_id="r2").set_index("account_id")
        assert business.loc["A1", "usage_P1"] == 1234.25 and business.loc["A2", "markets"] == "华东"
        assert collect_plans(ws).files[0].outcome == "unchanged"
