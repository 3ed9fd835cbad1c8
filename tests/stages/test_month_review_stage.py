"""The monthly account-plan review (issue 15 item 4): what changed in the month, overdue actions, stale
plans, decision maps without a decision maker, the pipeline, share of wallet with whitespace; one page per
salesperson; never a personal note."""
from __future__ import annotations

import datetime as dt
import json
import zipfile

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.model import HISTORY_COLUMNS
from kamplan.stages.account_plan import collect_plans, issue_plans, plan_inbox
from kamplan.stages.month_review import parse_month, review_content, review_month
from support.account_plan import fill, plan_workspace

YEAR = 2026
NOTE = "PIPL-7d2e 儿子在北大"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("month")
    with plan_workspace(root / "ws", language="en") as w:
        w.store.replace_history(pd.DataFrame([
            {"year": YEAR, "quarter": q, "account_id": "A1", "product_id": "P1", "volume": 60.0, "price": 10.0,
             "revenue": 600.0, "gross_margin": 0.0, "cost_to_serve": 0.0, "visits": 0} for q in (1, 2)],
            columns=HISTORY_COLUMNS), "test")
        inbox = plan_inbox(w)
        inbox.mkdir(parents=True, exist_ok=True)
        issued = issue_plans(w, reps=["r2"]).written[0]
        fill(issued, inbox / issued.name, {
            "contacts": {(0, "account"): "A1", (0, "name"): "Wang Fang", (0, "role"): "Decision maker",
                         (0, "owner"): "r2", (0, "relationship"): "Strong", (0, "personal_note"): NOTE,
                         (1, "account"): "A2", (1, "name"): "Li Lei", (1, "role"): "Buyer"},
            "business": {(0, "usage_P1"): 480, (0, "usage_P2"): 100},
            "projects": {(0, "account"): "A1", (0, "project"): "New line", (0, "value"): 250000, (0, "stage"): "Proposal",
                         (0, "next_date"): dt.date(YEAR, 6, 15),
                         (1, "account"): "A2", (1, "project"): "Retrofit", (1, "value"): 50000, (1, "stage"): "Idea"},
            "actions": {(0, "account"): "A1", (0, "action"): "Send samples", (0, "owner"): "r2",
                        (0, "due"): dt.date(YEAR, 5, 10), (0, "status"): "Open",
                        (1, "account"): "A2", (1, "action"): "Call back", (1, "owner"): "r2",
                        (1, "due"): dt.date(YEAR, 5, 12), (1, "status"): "Done"}})
        collect_plans(w, now=dt.datetime(YEAR, 4, 20, 9))
        issued = issue_plans(w, reps=["r2"], force=True).written[0]
        for f in inbox.iterdir():
            f.unlink()
        fill(issued, inbox / "may.xlsx", {"contacts": {(0, "attitude"): "Sceptical",
                                                        (0, "personal_note"): NOTE + " golf"},
                                          "competitors": {(0, "account"): "A1", (0, "competitor"): "RivalChem"}})
        collect_plans(w, now=dt.datetime(YEAR, 5, 20, 9))
        yield w


def test_the_tables_of_may(ws):
    c = review_content(ws, dt.date(YEAR, 5, 1))
    assert (c.start, c.end) == (dt.date(YEAR, 5, 1), dt.date(YEAR, 5, 31))
    # what the May collect changed: the attitude and a new competitor; never the personal note
    got = {(r.sheet, r.change, r.field) for r in c.changes.itertuples()}
    assert ("contacts", "changed", "attitude") in got and ("competitors", "added", "competitor") in got
    assert not any(r.field == "personal_note" for r in c.changes.itertuples())
    assert list(c.overdue["action"]) == ["Send samples"] and list(c.overdue["days_overdue"]) == [21]  # done is not overdue
    mine = c.coverage[c.coverage["rep_id"] == "r2"]
    assert dict(zip(mine["account_id"], mine["covered"])) == {"A1": True, "A2": False}  # A2 has a buyer only
    fresh = c.freshness.set_index("rep_id")["stale"]
    assert not fresh["r2"].any()  # collected 11 days before the month's end
    assert fresh["r1"].all() and fresh["r3"].all()  # never collected: stale
    pipe = {(r.month, r.stage): r.value for r in c.pipeline.itertuples()}
    assert pipe == {("2026-06", "proposal"): 250000.0, ("", "idea"): 50000.0}
    w = c.wallet[c.wallet["rep_id"] == "r2"].set_index(["account_id", "product_id"])
    # May is in Q2: two quarters to date, 240 t of usage (480 a year), 120 t ours
    assert w.at[("A1", "P1"), "usage"] == 240.0 and w.at[("A1", "P1"), "ours"] == 120.0
    assert w.at[("A1", "P1"), "share"] == 0.5 and w.at[("A1", "P1"), "usage_year"] == 480.0
    assert bool(w.at[("A1", "P2"), "whitespace"])  # the customer uses P2 and buys none from us


def test_a_month_with_nothing_collected_shows_the_plans_stale_later(ws):
    c = review_content(ws, dt.date(YEAR, 8, 1))
    assert c.changes.empty and c.freshness["stale"].all()  # r2: 20 May to 31 August, 103 days > 60


def test_the_workbook_has_every_sheet_a_chart_and_each_salespersons_page_and_no_personal_note(ws):
    res = review_month(ws, dt.date(YEAR, 5, 1), note="Pipeline looks thin", now=dt.datetime(YEAR, 6, 1, 8))
    assert res.path.name == "account_plan_review_2026-05.xlsx" and res.overdue == 1 and res.uncovered == 3  # r2/A2, r3/A2, r3/A3
    wb = openpyxl.load_workbook(res.path)
    assert wb.sheetnames[:6] == ["Summary", "Changes", "Overdue actions", "Plans and decision maps", "Pipeline",
                                 "Share of wallet"]
    assert "Rep 2" in wb.sheetnames
    assert all(wb[n].protection.sheet for n in wb.sheetnames)
    summary = wb["Summary"]
    rows = [[c.value for c in r] for r in summary.iter_rows(min_row=6, max_col=7)]
    rep2 = next(r for r in rows if r[0] == "Rep 2")
    assert rep2[1:] == [2, len(review_content(ws, dt.date(YEAR, 5, 1)).changes), 1, 0, 1, 300000]
    # accounts, changes, overdue actions, stale plans, uncovered decision maps, pipeline value
    with zipfile.ZipFile(res.path) as zf:
        assert any(n.startswith("xl/charts/chart") for n in zf.namelist())
        texts = [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    assert not any("PIPL-7d2e" in t or "儿子在北大" in t for t in texts)
    again = review_month(ws, dt.date(YEAR, 5, 1))
    assert again.path.name == "account_plan_review_2026-05-2.xlsx"  # the first one is kept


def test_the_command_line_in_chinese_and_json(ws):
    out = CliRunner().invoke(cli, ["-w", str(ws.root), "accounts", "review-month", "--month", "2026-05", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["month"] == "2026-05" and data["overdue_actions"] == 1 and data["path"].endswith(".xlsx")
    assert "PIPL-7d2e" not in out.stdout
    bad = CliRunner().invoke(cli, ["-w", str(ws.root), "accounts", "review-month", "--month", "May"])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


def test_parse_month():
    assert parse_month("2027-03") == dt.date(2027, 3, 1)
    assert parse_month(None, today=dt.date(2027, 3, 19)) == dt.date(2027, 3, 1)
    for bad in ("2027-13", "27-03", "2027/03", "x"):
        with pytest.raises(ValueError):
            parse_month(bad)


def test_reviews_of_several_months_read_the_store_once_and_show_what_each_review_alone_shows(ws):
    from pandas.testing import assert_frame_equal

    from kamplan.stages.month_review import PlanReads, review_months
    months = [dt.date(YEAR, 4, 1), dt.date(YEAR, 5, 1), dt.date(YEAR, 8, 1)]
    reads = PlanReads(ws)
    for m in months:
        alone, shared = review_content(ws, m), review_content(ws, m, reads=reads)
        for table in ("changes", "overdue", "freshness", "coverage", "pipeline", "wallet"):
            assert_frame_equal(getattr(alone, table), getattr(shared, table))
    together = review_months(ws, [(m, dt.datetime(YEAR, m.month, 28, 18)) for m in months])
    assert [r.month for r in together] == [f"{YEAR}-04", f"{YEAR}-05", f"{YEAR}-08"]
    may = review_content(ws, months[1])
    assert (together[1].changes, together[1].overdue, together[1].uncovered) == (len(may.changes), 1, 3)
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(together[1].path)["Summary"].iter_rows(
        min_row=6, max_col=7)]
    assert next(r for r in rows if r[0] == "Rep 2")[1:] == [2, len(may.changes), 1, 0, 1, 300000]


def test_one_month_twice_in_a_batch_is_refused_before_anything_is_written(ws):
    from kamplan.stages.month_review import review_month_jobs
    before = sorted((ws.reports / "month-review").glob("*.xlsx")) if (ws.reports / "month-review").exists() else []
    with pytest.raises(ValueError, match="each month once"):
        review_month_jobs(ws, [(dt.date(YEAR, 5, 1), None), (dt.date(YEAR, 5, 20), None)])
    after = sorted((ws.reports / "month-review").glob("*.xlsx")) if (ws.reports / "month-review").exists() else []
    assert before == after
