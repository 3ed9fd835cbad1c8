"""The VP's loop on the demo company: consolidate, spread, undo, compare, agree, export (stage, store, CLI)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.engine.topdown import TopDownSpec, parse_bound
from kamplan.stages import plan as c
from kamplan.stages.plan import export_agreed, plan_view
from kamplan.store import StoreError
from kamplan.workspace import Workspace
from support.collected import collected_workspace


@pytest.fixture
def collected(tmp_path_factory, tmp_path) -> Workspace:
    """The demo after round 1: every salesperson but the last returned a filled workbook."""
    ws = collected_workspace(tmp_path_factory, tmp_path / "ws")
    yield ws
    ws.close()


def missing_rep(ws) -> str:
    """The salesperson whose workbook the fixture did not return (the last file issued)."""
    return sorted((ws.outbox / "round-1").glob("*.xlsx"))[-1].name.split("_")[0]


def test_bottom_up_uses_each_submission_and_last_years_run_rate_for_the_missing(collected):
    ws = collected
    bu = c.bottom_up(ws)
    silent = missing_rep(ws)
    assert bu.run_rate_reps == [silent]
    assert silent not in bu.submissions and len(bu.submissions) == 7
    mine = bu.lines[bu.lines["rep_id"] == silent]
    assert (mine["basis"] == "run-rate").all() and len(mine)
    hist = ws.store.history([ws.config.plan_year - 1])
    accounts = {a.id for a in ws.config.accounts if a.rep == silent}
    assert mine["revenue"].sum() == pytest.approx(hist[hist["account_id"].isin(accounts)]["revenue"].sum())
    others = bu.lines[bu.lines["rep_id"] != silent]
    assert (others["basis"] == "submitted").all()
    stored = ws.store.targets_frame(ws.config.plan_year, 1)
    assert others["revenue"].sum() == pytest.approx(stored["revenue"].sum())


def test_consolidate_records_a_version_only_when_submissions_change(collected):
    ws = collected
    first = c.consolidate(ws, write_workbook=False)
    assert first.new_version and first.version_id == 1
    again = c.consolidate(ws, write_workbook=False)
    assert not again.new_version and again.version_id == 1
    info, lines = ws.store.plan_version(1)
    assert info["kind"] == "bottom-up" and "7 salespeople submitted" in info["description"]
    assert info["summary"]["run_rate_reps"] == [missing_rep(ws)]
    assert list(lines.columns) == ["rep_id", "account_id", "product_id", "quarter", "volume", "price", "revenue",
                                   "basis"]


def test_spread_undo_compare_agree_reopen_and_the_store_keeps_every_version(collected):
    ws = collected
    year = ws.config.plan_year
    c.consolidate(ws, write_workbook=False)
    _, base = c.enriched_lines(ws, 1)
    total = float(base["revenue"].sum())
    silent = missing_rep(ws)
    spec = TopDownSpec("revenue", "company", {"*": round(total * 1.08, 2)}, holds=(("rep", silent),),
                       bounds=(parse_bound("floor", "class:key=last_year"), parse_bound("cap", "all=own*1.3")))
    out = c.spread(ws, spec)
    assert out.version_id == 2 and out.base_version == 1
    info, lines = ws.store.plan_version(2)
    assert round(lines["revenue"].sum(), 2) == pytest.approx(round(total * 1.08, 2) - out.result.shortfall)
    held = lines["rep_id"] == silent
    assert np.allclose(lines.loc[held, "revenue"], base.loc[base["rep_id"] == silent, "revenue"])
    assert TopDownSpec.from_json(info["instruction"]) == spec
    # a dry run stores nothing
    assert c.spread(ws, spec, dry_run=True).version_id is None
    assert len(ws.store.plan_versions(year)) == 2
    # compare by salesperson: the change adds up to the version difference
    cmp = c.compare(ws, 1, 2, "rep_id")
    assert cmp["revenue_change"].sum() == pytest.approx(lines["revenue"].sum() - total)
    assert cmp.set_index("rep_id").loc[silent, "revenue_change"] == 0
    # undo: a copy of version 1 becomes current; versions 1 and 2 stay
    vid = c.undo(ws, 1)
    _, restored = ws.store.plan_version(vid)
    pd.testing.assert_frame_equal(restored, ws.store.plan_version(1)[1])
    assert ws.store.plan_versions(year)["kind"].tolist() == ["bottom-up", "top-down", "undo"]
    with pytest.raises(StoreError, match="already the current plan"):
        c.undo(ws, vid)
    # agree locks; nothing can change until reopened with a reason
    with pytest.raises(StoreError, match="not the current"):
        ws.store.agree_plan(year, 2, "vp")
    assert c.agree(ws, by="vp") == vid
    with pytest.raises(StoreError, match="agreed"):
        c.spread(ws, spec)
    with pytest.raises(StoreError, match="say why"):
        c.reopen(ws, "  ")
    assert c.reopen(ws, "board raised the figure", by="vp") == vid
    assert c.spread(ws, spec).version_id == vid + 1
    acts = ws.store.agreements(year)
    assert acts["action"].tolist() == ["agreed", "reopened"] and acts["note"].tolist()[1] == "board raised the figure"


def test_plan_view_follows_draft_then_agreed(collected):
    ws = collected
    year = ws.config.plan_year
    before = plan_view(ws.store, year)
    assert not before.agreed and before.version is None and "round 1 submissions" in before.source
    c.consolidate(ws, write_workbook=False)
    c.spread(ws, TopDownSpec("revenue", "company", {"*": 250_000_000.0}))
    draft = plan_view(ws.store, year)
    assert not draft.agreed and draft.version == 2 and "not agreed" in draft.source
    c.agree(ws, by="vp")
    view = plan_view(ws.store, year)
    assert view.agreed and view.version == 2 and "agreed plan (version 2" in view.source
    assert round(view.targets["revenue"].sum(), 2) == 250_000_000.0
    assert len(view.visits) and set(view.visits["rep_id"]) <= set(view.targets["rep_id"])


def test_spread_from_workbook_applies_the_sheet_to_the_current_version_and_says_when_it_is_stale(collected):
    ws = collected
    c.consolidate(ws)
    c.spread(ws, TopDownSpec("revenue", "company", {"*": 250_000_000.0}))
    book = c.consolidate(ws).workbook  # version 2, its instruction pre-filled in the Top-down sheet
    dry, problems = c.spread_from_workbook(ws, book, dry_run=True)
    assert problems == [] and dry.base_version == 2 and dry.version_id is None
    assert dry.spec.figures == {"*": 250_000_000.0}
    c.undo(ws, 1)  # version 3: the workbook now shows an older version
    out, problems = c.spread_from_workbook(ws, book)
    assert [p.code for p in problems] == ["stale-consolidation"] and not problems[0].is_error
    assert out.base_version == 3 and out.version_id == 4


def test_volume_figure_for_the_company_needs_one_unit(collected):
    ws = collected
    c.consolidate(ws, write_workbook=False)
    units = {p.unit for p in ws.config.products}
    spec = TopDownSpec("volume", "company", {"*": 10_000.0})
    if len(units) > 1:
        with pytest.raises(ValueError, match="per product"):
            c.spread(ws, spec)
    else:
        out = c.spread(ws, spec)
        assert ws.store.plan_version(out.version_id)[1]["volume"].sum() == pytest.approx(10_000.0)


def test_export_writes_annual_targets_per_salesperson_and_management(collected):
    ws = collected
    c.consolidate(ws, write_workbook=False)
    with pytest.raises(StoreError, match="not agreed"):
        export_agreed(ws)
    c.agree(ws, by="vp")
    res = export_agreed(ws)
    reps = sorted({a.rep for a in ws.config.accounts})
    assert sorted(p.name.split("_")[0] for p in res.rep_files) == reps
    assert res.management.exists()
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(res.rep_files[0]))
    assert wb.sheet_names[0] == "Annual targets"
    rows = wb.get_sheet_by_name("Annual targets").to_python()
    _, lines = ws.store.plan_version(1)
    rep = res.rep_files[0].name.split("_")[0]
    ids = {a.id for a in ws.config.accounts if a.rep == rep}
    body = [r for r in rows[4:] if r and r[0] in ids]
    assert sum(r[14] for r in body) == pytest.approx(lines.loc[lines["rep_id"] == rep, "revenue"].sum())


@pytest.mark.libreoffice
def test_agreed_workbooks_recalculate_in_libreoffice_to_the_plan(collected, libreoffice):
    ws = collected
    c.consolidate(ws, write_workbook=False)
    c.agree(ws, by="vp")
    res = export_agreed(ws)
    _, lines = ws.store.plan_version(1)
    region = {a.id: a.region for a in ws.config.accounts}
    lines["region_id"] = lines["account_id"].map(region)
    mg = libreoffice.recalculate(res.management)
    assert mg.errors() == [], [str(e) for e in mg.errors()[:5]]
    reps = sorted(lines["rep_id"].unique())
    for i, rep in enumerate(reps):
        mine = lines[lines["rep_id"] == rep]
        for q in range(1, 5):
            col = "ABCDE"[q]
            assert mg.value("By salesperson", f"{col}{5 + i}") == pytest.approx(
                mine.loc[mine["quarter"] == q, "revenue"].sum(), abs=0.005)
        assert mg.value("By salesperson", f"F{5 + i}") == pytest.approx(mine["revenue"].sum(), abs=0.005)
    assert mg.value("By salesperson", f"F{5 + len(reps)}") == pytest.approx(lines["revenue"].sum(), abs=0.01)
    for r, region_id in enumerate(sorted(lines["region_id"].unique())):
        assert mg.value("By region", f"F{5 + r}") == pytest.approx(
            lines.loc[lines["region_id"] == region_id, "revenue"].sum(), abs=0.01)
    rep_file = res.rep_files[0]
    rec = libreoffice.recalculate(rep_file)
    assert rec.errors() == [], [str(e) for e in rec.errors()[:5]]
    mine = lines[lines["rep_id"] == rep_file.name.split("_")[0]]
    formulas = rec.formulas("Annual targets")
    totals = [v for ref, v in formulas.items() if ref.startswith("O")]
    assert max(float(t.value) for t in totals) == pytest.approx(mine["revenue"].sum(), abs=0.01)


def flat(text: str) -> str:
    """Terminal output without the line wrapping rich adds."""
    return " ".join(text.split())


def test_cli_runs_the_loop_and_says_where_things_went(collected):
    ws = collected
    root = str(ws.root)
    ws.close()
    run = CliRunner().invoke
    r = run(cli, ["-w", root, "targets", "consolidate", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["version"] == 1
    r = run(cli, ["-w", root, "targets", "spread", "240,000,000", "--cap", "all=own*1.3", "--hold", "class:drop"])
    assert r.exit_code == 0, r.output
    assert "Stored as version 2" in r.output and "Change per salesperson" in r.output
    r = run(cli, ["-w", root, "targets", "spread", "1", "--cap", "everyone=own"])
    assert r.exit_code == 2 and "SCOPE=BASIS" in r.output
    r = run(cli, ["-w", root, "targets", "spread", "P1=5", "--method", "equal"])
    assert r.exit_code == 2 and "--by product" in r.output
    r = run(cli, ["-w", root, "targets", "versions", "--json"])
    assert [v["kind"] for v in json.loads(r.output)["versions"]] == ["bottom-up", "top-down"]
    r = run(cli, ["-w", root, "targets", "compare", "1", "2", "--by", "region", "--json"])
    assert r.exit_code == 0 and {"region_id", "revenue_change"} <= set(json.loads(r.output)[0])
    r = run(cli, ["-w", root, "targets", "undo", "--to", "1"])
    assert r.exit_code == 0 and "stored as version 3" in r.output
    # the instruction comes back pre-filled in the new consolidation workbook; --from spreads it again
    r = run(cli, ["-w", root, "targets", "consolidate", "--json"])
    book = Path(json.loads(r.output)["workbook"])
    assert book.name == "consolidation_2027_v3.xlsx" and book.exists()
    r = run(cli, ["-w", root, "targets", "spread", "--from", str(book)])
    assert r.exit_code == 0, r.output
    assert "Stored as version 4" in flat(r.output)
    with Workspace.open(root) as w:
        v2, v4 = w.store.plan_version(2)[0], w.store.plan_version(4)[0]
        assert v4["instruction"]["figures"] == v2["instruction"]["figures"] == {"*": 240_000_000.0}
        assert v4["instruction"]["bounds"] == v2["instruction"]["bounds"]
    r = run(cli, ["-w", root, "targets", "spread", "--from", str(book), "--dry-run"])
    assert "shows version 3; the current plan is version 4" in flat(r.output)
    r = run(cli, ["-w", root, "targets", "agree"])
    assert r.exit_code == 0, r.output
    assert "agreed" in r.output and "agreed-2027-v4" in r.output.replace("\n", "")  # a wrapped path
    r = run(cli, ["-w", root, "targets", "spread", "1"])
    assert r.exit_code == 2 and "reopen" in r.output


def test_agreed_salesperson_workbooks_show_the_support_allocated(collected):
    from python_calamine import CalamineWorkbook

    from kamplan.stages.resources import allocate
    from kamplan.store.resources import support_by_account
    ws = collected
    c.consolidate(ws, write_workbook=False)
    allocate(ws, write=False, time_limit=5)
    support = support_by_account(ws.store, ws.config.plan_year)
    assert len(support)
    c.agree(ws, by="vp")
    res = export_agreed(ws)
    owner = {a.id: a.rep for a in ws.config.accounts}
    shown = 0
    for path in res.rep_files:
        rep = path.name.split("_")[0]
        wb = CalamineWorkbook.from_path(str(path))
        mine = support[support["account_id"].map(owner) == rep]
        if len(mine):
            rows = wb.get_sheet_by_name("Support").to_python()[4:]
            assert sum(r[4] for r in rows if r and r[4] != "") == pytest.approx(mine["amount"].sum())
            shown += 1
        else:
            assert "Support" not in wb.sheet_names or wb.get_sheet_by_name("Support").to_python()[4][0] == "None planned."
    assert shown
