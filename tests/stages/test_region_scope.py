"""Issue 19, roles: a regional manager's workspace sees its region only in the consolidation views and the
evaluation (workbooks and --json), the VP's sees every region, and the manager cannot agree the company plan.
Runs on the SQLite file and, with KAMPLAN_TEST_POSTGRES_URL, on PostgreSQL (where the manager's workspace
connects with the VP's database role: the filter is the workspace's, not row-level security)."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.demo.actuals import simulate_actuals, write_actuals_files
from kamplan.stages import plan
from kamplan.stages.actuals import import_activities, import_actuals
from kamplan.stages.evaluation import evaluate
from kamplan.workspace import Workspace, WorkspaceError
from support.postgres import fresh_database
from support.regions import vp_workspace

REGION = "east"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request):
    if request.param == "sqlite":
        yield None
        return
    with fresh_database("kamplan_scope") as url:
        yield url


def _vp_workspace(root: Path, url: str | None) -> Path:
    """Two regions or more (the demo company): round 1 collected and consolidated, Q1 actuals imported."""
    with vp_workspace(root, url) as ws:
        cfg = ws.config
        targets = plan.plan_view(ws.store, cfg.plan_year).targets
        inv, act = simulate_actuals(cfg, targets, cfg.plan_year, [1], seed=11)
        inv_path, act_path = write_actuals_files(root / "erp", inv, act, "ytd", language="en", fmt="csv")
        assert not import_actuals(ws, [inv_path]).errors
        assert not import_activities(ws, [act_path]).errors
    return root


def _manager_workspace(root: Path, vp_root: Path, url: str | None) -> Path:
    root.mkdir()
    target = url or f"sqlite:///{vp_root / 'kamplan.db'}"
    (root / "workspace.yaml").write_text(yaml.safe_dump({"role": "regional_manager", "region": REGION,
                                                         "store_url": target}), encoding="utf-8")
    (root / "kamplan.yaml").write_text((vp_root / "kamplan.yaml").read_text("utf-8"), encoding="utf-8")
    return root


def _strings(path: Path) -> set[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {str(c).strip() for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
           if isinstance(c, str)}
    wb.close()
    return out


def _names(cfg, inside: bool):
    """Ids and English names of the salespeople inside (or outside) the region, and of the accounts one of the
    region's people carries (or none does: an account team may credit a salesperson of another region)."""
    mine = {s.id for s in cfg.staff if s.region == REGION}
    reps = {s.id: s.name.get("en") for s in cfg.staff if (s.id in mine) == inside}
    accounts = {a.id: a.name.get("en") for a in cfg.accounts
                if bool(({a.rep} | {m.salesperson for m in a.team}) & mine) == inside}
    return reps, accounts


def _cli_json(root: Path, *args) -> dict:
    res = CliRunner().invoke(cli, ["-w", str(root), *args, "--json"])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)


def test_a_regional_manager_sees_its_region_the_vp_every_region(store_url, tmp_path):
    vp = _vp_workspace(tmp_path / "vp", store_url)
    east = _manager_workspace(tmp_path / "east", vp, store_url)
    with Workspace.open(vp) as ws:
        cfg = ws.config
        mine = {s.id for s in cfg.staff if s.region == REGION}
        my_accounts = set(_names(cfg, inside=True)[1])
        assert mine and len({s.region for s in cfg.staff}) >= 2
        vp_eval = evaluate(ws, 1, now=dt.datetime(2027, 4, 5, 9))
        vp_cons = plan.write_consolidation(ws, ws.store.current_plan_version(cfg.plan_year))
    everyone = {s.id for s in cfg.staff} & set(vp_eval.data.lines["rep_id"])
    assert everyone - mine, "the VP's evaluation holds other regions' salespeople"

    with Workspace.open(east) as ws:
        for refused in (lambda: plan.agree(ws), lambda: plan.agree_and_export(ws)):
            with pytest.raises(WorkspaceError, match="only the VP's"):
                refused()
        cons = plan.consolidate(ws)
        assert not cons.new_version and cons.workbook.name.endswith(f"_{REGION}.xlsx")
        assert set(cons.bottom_up.submissions) <= mine and set(cons.bottom_up.lines["rep_id"]) <= mine
        ev = evaluate(ws, 1, now=dt.datetime(2027, 4, 5, 9))
        assert ev.ok, ev.problems
    d = ev.data
    for frame in (d.lines, d.accounts, d.activity, d.quarters, d.warnings, d.classes, d.totals):
        assert set(frame["rep_id"]) <= mine, frame
    assert set(d.reps) == mine & set(vp_eval.data.reps)
    assert set(ev.paths) == {"VP", *d.reps}
    # the region's company total is the VP's counted lines of the region's salespeople, to the cent
    vp_lines = vp_eval.data.lines
    counted = vp_lines[vp_lines["rep_id"].isin(mine) & ~vp_lines["full_credit"].astype(bool)]
    for column in ("q_actual_revenue", "q_target_revenue"):
        expected = sum((Decimal(str(v)) for v in counted[column].fillna(0)), Decimal(0)).quantize(Decimal("0.01"))
        assert Decimal(str(d.company[column].iloc[0])).quantize(Decimal("0.01")) == expected
    assert d.company["q_actual_revenue"].iloc[0] < vp_eval.data.company["q_actual_revenue"].iloc[0]

    # the workbooks name no salesperson and no account of another region; the VP's name them
    other_reps, other_accounts = _names(cfg, inside=False)
    foreign = {*other_reps, *other_reps.values(), *other_accounts, *other_accounts.values()}
    own_reps, _ = _names(cfg, inside=True)
    for path in (ev.paths["VP"], cons.workbook):
        shown = _strings(path)
        assert not shown & foreign, (path.name, sorted(shown & foreign)[:5])
        assert shown & set(own_reps.values()), path.name
    assert _strings(vp_eval.paths["VP"]) & foreign and _strings(vp_cons) & foreign

    # --json: the manager's evaluation and consolidation hold the region only, the VP's every region
    got = _cli_json(east, "evaluate", "--quarter", "1")
    assert {r["rep_id"] for r in got["salespeople"]} == set(d.reps)
    assert {r["account_id"] for r in got["accounts"]} <= my_accounts
    assert {r["rep_id"] for r in got["warnings"]} <= mine
    assert set(_cli_json(east, "targets", "consolidate")["run_rate_reps"]) <= mine
    got = _cli_json(vp, "evaluate", "--quarter", "1")
    assert {r["rep_id"] for r in got["salespeople"]} == set(vp_eval.data.reps) and everyone - mine
    res = CliRunner().invoke(cli, ["-w", str(east), "targets", "agree"])
    assert res.exit_code == 2 and "only the VP's workspace can agree" in " ".join(res.output.split())
