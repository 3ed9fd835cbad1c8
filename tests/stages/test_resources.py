"""Resource allocation around the engine: store, stage, the resource plan workbook read back."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from kamplan.stages.resources import allocate, newest_resource_workbook
from kamplan.store import Store
from kamplan.store import resources as rs
from kamplan.workbooks.resources.reader import read_resource_workbook
from support.resources import collected_workspace, fill_resource_plan, layout_of


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("resources-cache")


# -- store ------------------------------------------------------------------------------------------------
def test_store_keeps_every_run_and_answers_per_account(tmp_path):
    with Store.open(tmp_path / "k.db") as st:
        assert rs.latest_allocation(st, 2027) is None and rs.support_by_account(st, 2027).empty
        req = pd.DataFrame([
            {"request_id": "zw-8", "rep_id": "zw", "account_id": "A", "kind": "technical", "purpose": "commissioning",
             "task": "mill start-up", "amount": 4.0, "unit": "days", "deadline": dt.date(2027, 6, 15),
             "deadline_quarter": 2, "priority": "high", "divisible": False, "src": "Support requests!A8", "given": 4.0},
            {"request_id": "coverage:B:executive", "rep_id": None, "account_id": "B", "kind": "executive",
             "purpose": "minimum coverage", "task": None, "amount": 1.0, "unit": "visits", "deadline": None,
             "deadline_quarter": 4, "priority": "low", "divisible": True, "src": None, "given": 0.0}])
        asg = pd.DataFrame([["zw-8", "A", "technical", "heli", 2, 4.0, 4800.0]],
                           columns=["request_id", "account_id", "kind", "person_id", "quarter", "amount", "cost"])
        unmet = pd.DataFrame([["coverage:B:executive", "B", "executive", 1.0, 0.0, "capacity", "booked", "one more"]],
                             columns=["request_id", "account_id", "kind", "asked", "given", "code", "reason", "fix"])
        marg = pd.DataFrame([["technical", "heli", 2, 30.0, 4.0, 0.0, float("nan")]],
                            columns=["pool", "person_id", "quarter", "capacity", "used", "value_per_unit",
                                     "resolve_gain"])
        first = rs.record_allocation(st, 2027, by="vp", settings={"time_limit": 5}, method="milp", status="optimal",
                                     objective=10.0, bound=10.0, gap=0.0, greedy_objective=9.0, seconds=0.1,
                                     requests=req, assignments=asg, unmet=unmet, marginals=marg, workbook="a.xlsx")
        second = rs.record_allocation(st, 2027, by="vp", settings={}, method="milp", status="time-limit",
                                      objective=11.0, bound=float("inf"), gap=float("nan"), greedy_objective=9.0,
                                      seconds=5.0, requests=req, assignments=asg.assign(quarter=1), unmet=unmet.iloc[:0],
                                      marginals=marg, workbook="b.xlsx")
        assert second > first
        got = rs.latest_allocation(st, 2027)
        assert got.run["id"] == second and got.run["bound"] is None and got.run["status"] == "time-limit"
        old = rs.latest_allocation(st, 2027, run_id=first)
        assert old.run["settings"] == {"time_limit": 5} and old.run["by"] == "vp" and old.run["gap"] == 0.0
        assert old.requests.set_index("request_id").loc["zw-8", "deadline"] == dt.date(2027, 6, 15)
        assert old.unmet["code"].tolist() == ["capacity"] and len(got.unmet) == 0
        assert old.marginals["person_id"].tolist() == ["heli"]
        sup = rs.support_by_account(st, 2027)
        assert list(sup.columns) == rs.SUPPORT_COLUMNS
        assert sup.to_dict("records") == [{"account_id": "A", "kind": "technical", "person": "heli", "quarter": 1,
                                           "amount": 4.0, "purpose": "commissioning", "task": "mill start-up",
                                           "deadline": dt.date(2027, 6, 15)}]
        assert len(rs.allocation_runs(st, 2027)) == 2 and st.events("resources.allocated")["detail"].iloc[-1][
            "run_id"] == second


def test_store_choices_keep_history_and_the_newest_is_in_force(tmp_path):
    at = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
    with Store.open(tmp_path / "k.db") as st:
        rs.record_choices(st, 2027, [{"request_id": "r1", "account_id": "A", "kind": "technical", "choice": "in",
                                      "by": "vp", "at": at, "source": "f.xlsx › Choices › I6"},
                                     {"request_id": "r2", "account_id": "B", "kind": "advisor", "choice": "out",
                                      "by": "vp", "at": at, "source": "f.xlsx › Choices › I7"}],
                          [{"person_id": "heli", "quarter": 2, "capacity": 5.0, "by": "vp", "at": at, "source": "x"}])
        rs.record_choices(st, 2027, [{"request_id": "r1", "account_id": "A", "kind": "technical", "choice": None,
                                      "by": "vp", "at": at, "source": "g.xlsx › Choices › I6"}],
                          [{"person_id": "heli", "quarter": 2, "capacity": 0.0, "by": "vp", "at": at, "source": "y"}])
        now = rs.choices(st, 2027)
        assert now[["request_id", "choice", "source"]].values.tolist() == [["r2", "out", "f.xlsx › Choices › I7"]]
        assert len(rs.choices(st, 2027, include_history=True)) == 3
        assert rs.capacity_changes(st, 2027)[["person_id", "quarter", "capacity"]].values.tolist() == [["heli", 2, 0.0]]
        with pytest.raises(Exception, match="not a choice"):
            rs.record_choices(st, 2027, [{"request_id": "r3", "account_id": "A", "kind": "x", "choice": "maybe",
                                          "at": at}])
        assert len(rs.choices(st, 2027, include_history=True)) == 3  # nothing of the refused call


# -- the stage on the demo company ------------------------------------------------------------------------
def _capacity_holds(res):
    a = res.allocation.assignments
    cap = {p.id: p.capacity for p in res.instance.people}
    used = a.groupby(["person_id", "quarter"])["amount"].sum()
    for (p, q), v in used.items():
        assert v <= cap[p].get(q, 0.0) + 1e-6, (p, q, v)
    deadline = res.allocation.assignments.merge(
        pd.DataFrame({"request_id": [r.id for r in res.instance.requests],
                      "deadline": [r.deadline for r in res.instance.requests]}), on="request_id", how="left")
    late = deadline[deadline["deadline"].notna() & (deadline["quarter"] > deadline["deadline"])]
    assert late.empty, late


def test_allocate_stores_the_run_and_writes_a_new_workbook_each_time(cache_root, tmp_path):
    with collected_workspace(cache_root, tmp_path / "ws") as ws:
        res = allocate(ws, time_limit=5, now=dt.datetime(2026, 12, 10, 9, 0))
        a = res.allocation
        assert res.ok and a.status == "optimal" and a.gap == pytest.approx(0, abs=1e-6), res.problems
        assert len(res.requests) >= 20 and res.path.exists()
        assert res.path.name == "resource_plan_2027_20261210-090000.xlsx"
        _capacity_holds(res)
        # every key account gets its executive visit (the coverage rule)
        key = set(res.values.loc[res.values["cls"] == "key", "account_id"])
        got = a.assignments[a.assignments["kind"] == "executive"].groupby("account_id")["amount"].sum()
        assert key and all(got.get(k, 0) >= 1 for k in key)
        stored = rs.latest_allocation(ws.store, 2027)
        assert stored.run["id"] == res.run_id and stored.run["workbook"] == res.path.name
        assert stored.run["objective"] == pytest.approx(a.objective)
        sup = rs.support_by_account(ws.store, 2027)
        assert sup["amount"].sum() == pytest.approx(a.assignments["amount"].sum())
        assert set(sup["account_id"]) == set(a.assignments["account_id"])
        # the same second again: a new name, the first file untouched
        before = res.path.read_bytes()
        again = allocate(ws, time_limit=5, now=dt.datetime(2026, 12, 10, 9, 0))
        assert again.path.name == "resource_plan_2027_20261210-090000-1.xlsx" and res.path.read_bytes() == before
        assert newest_resource_workbook(ws.reports, 2027) == again.path
        assert again.choices_file == res.path and again.choices_stored == (0, 0)
        assert len(rs.allocation_runs(ws.store, 2027)) == 2


def test_forced_choices_and_capacity_changes_typed_in_the_workbook_are_honoured(cache_root, tmp_path):
    with collected_workspace(cache_root, tmp_path / "ws") as ws:
        first = allocate(ws, time_limit=5, now=dt.datetime(2026, 12, 10, 9, 0))
        given = first.allocation.given
        plan = [r for r in first.requests["request_id"]]
        served = next(r for r in plan if given[r] > 0)
        used = first.allocation.assignments.groupby(["person_id", "quarter"])["amount"].sum()
        (person, quarter), _ = max(used.items(), key=lambda kv: kv[1])
        filled = tmp_path / "vp.xlsx"
        typed = fill_resource_plan(first.path, filled, choices={served: "Force out"},
                                   capacity={(person, quarter): 0})
        res = allocate(ws, time_limit=5, force_from=filled, now=dt.datetime(2026, 12, 11, 9, 0))
        assert res.ok and res.choices_stored == (1, 1), res.problems
        assert res.forced_out == [served] and res.allocation.given[served] == 0
        a = res.allocation.assignments
        assert a[(a["person_id"] == person) & (a["quarter"] == quarter)].empty
        assert [u.code for u in res.allocation.unmet if u.request_id == served] == ["forced-out"]
        lay = layout_of(first.path)
        cell = lay.choices.ref(lay.choices.first_row + lay.choices.row_keys.index((served,)), "choice")
        assert (lay.choices.sheet, cell) in typed
        ch = rs.choices(ws.store, 2027)
        assert ch["source"].tolist() == [f"vp.xlsx › {lay.choices.sheet} › {cell}"]
        _capacity_holds(res)
        # the new workbook shows the choice in force; reading it again changes nothing
        back, problems = read_resource_workbook(res.path, 2027)
        assert problems == [] and [c.choice for c in back.choices if c.request_id == served] == ["out"]
        again = allocate(ws, time_limit=5, now=dt.datetime(2026, 12, 12, 9, 0))
        assert again.choices_file == res.path and again.choices_stored == (0, 0)
        assert again.forced_out == [served]
        # clearing the cell in the workbook that showed it lifts the choice; forcing another one in
        other = next(r for r in plan if r != served)
        fill_resource_plan(again.path, filled, choices={served: None, other: "强制纳入"}, capacity={(person, quarter): None})
        last = allocate(ws, time_limit=5, force_from=filled, now=dt.datetime(2026, 12, 13, 9, 0))
        assert last.forced_out == [] and last.forced_in == [other] and last.capacity_changes == {}
        assert last.allocation.given[other] == pytest.approx(
            float(last.requests.set_index("request_id").loc[other, "amount"]))


def test_bad_entries_are_problems_with_sheet_and_cell_and_nothing_is_stored(cache_root, tmp_path):
    with collected_workspace(cache_root, tmp_path / "ws") as ws:
        first = allocate(ws, time_limit=5, now=dt.datetime(2026, 12, 10, 9, 0))
        lay = layout_of(first.path)
        rid = lay.choices.row_keys[1][0]
        person = lay.capacity.row_keys[0][0]
        filled = tmp_path / "bad.xlsx"
        fill_resource_plan(first.path, filled, choices={rid: "maybe"}, capacity={(person, 3): -2, (person, 4): "lots"})
        res = allocate(ws, time_limit=5, force_from=filled)
        assert not res.ok and res.run_id is None and res.allocation is None
        where = {(p.sheet, p.cell, p.code) for p in res.errors}
        r = lay.choices.first_row + 1
        rc = lay.capacity.first_row
        assert where == {(lay.choices.sheet, lay.choices.ref(r, "choice"), "bad-choice"),
                         (lay.capacity.sheet, lay.capacity.ref(rc, "new_q3"), "out-of-range"),
                         (lay.capacity.sheet, lay.capacity.ref(rc, "new_q4"), "bad-value")}
        assert all(p.file == "bad.xlsx" and p.fix for p in res.errors)
        assert len(rs.allocation_runs(ws.store, 2027)) == 1 and rs.choices(ws.store, 2027, True).empty
        # a row deleted in the Choices sheet is a layout problem, not a silent shift
        wb = openpyxl.load_workbook(first.path)
        wb[lay.choices.sheet].delete_rows(lay.choices.first_row + 1)
        wb.save(filled)
        got, problems = read_resource_workbook(filled, 2027)
        assert got is None and [p.code for p in problems] == ["row-deleted"]
        got, problems = read_resource_workbook(first.path, 2028)
        assert got is None and [p.code for p in problems] == ["wrong-year"]


# -- value of support and the command line ---------------------------------------------------------------
def test_account_value_is_stake_times_margin_times_class_weight():
    from kamplan.config.resources import ResourceRules
    from kamplan.engine.resources.value import account_values, fiscal_quarter
    rules = ResourceRules(margin_floor=0.05, classes={"key": {"weight": 1.0}, "watch": {"weight": 1.5}})
    acc = pd.DataFrame([["A", "key", "n", 2_000_000, 1_000_000, 300_000, 100_000],
                        ["B", "watch", "n", 0, 400_000, 20_000, 30_000],  # no target; loses money
                        ["C", "key", "n", 0, 0, 0, 0]],
                       columns=["account_id", "cls", "region", "target_revenue", "last_revenue", "gross_margin",
                                "cost_to_serve"])
    v = account_values(acc, rules).set_index("account_id")
    assert v.loc["A", "stake"] == 2_000_000 and v.loc["A", "margin"] == pytest.approx(0.2)
    assert v.loc["A", "value"] == pytest.approx(400_000)
    assert v.loc["B", "stake_source"] == "last year's revenue" and v.loc["B", "margin"] == 0.05
    assert v.loc["B", "value"] == pytest.approx(400_000 * 0.05 * 1.5) and v.loc["C", "value"] == 0
    plain = account_values(acc, ResourceRules(use_profitability=False, stake="last_year_revenue"))
    assert plain.set_index("account_id").loc["A", "value"] == 1_000_000
    q = fiscal_quarter(4, 2027)  # fiscal year April 2027 - March 2028
    assert [q(dt.date(2027, 3, 31)), q(dt.date(2027, 4, 1)), q(dt.date(2027, 12, 5)), q(dt.date(2028, 3, 1)),
            q(dt.date(2029, 1, 1))] == [0, 1, 3, 4, 4]


def test_cli_allocate_prints_the_figures_and_json(cache_root, tmp_path):
    import json

    from click.testing import CliRunner

    from kamplan.cli.main import cli
    with collected_workspace(cache_root, tmp_path / "ws") as ws:
        root = ws.root
    out = CliRunner().invoke(cli, ["-w", str(root), "resources", "allocate", "--time-limit", "5"])
    assert out.exit_code == 0, out.output
    text = out.output.replace("\n", "")  # rich wraps long paths
    assert "gap" in text and "bound" in text and "resource_plan_2027_" in text
    out = CliRunner().invoke(cli, ["-w", str(root), "resources", "allocate", "--json", "--no-choices"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["ok"] and data["status"] == "optimal" and data["workbook"].endswith(".xlsx")
    assert data["gap"] is not None and data["bound"] >= data["objective"] - 1e-6 and data["run_id"] == 2
    bad = CliRunner().invoke(cli, ["-w", str(root), "resources", "allocate", "--choices", str(root / "nope.xlsx")])
    assert bad.exit_code == 1 and "does not exist" in " ".join(bad.output.split())


def test_the_solver_prints_no_banner_into_the_output():
    """HiGHS writes "Running HiGHS … Copyright" to the process's stdout on its first object; kamplan's
    console and --json must not carry it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import kamplan
    code = ("import numpy as np\n"
            "from kamplan.engine.resources.allocation.milp import _maximise\n"
            "from kamplan.stages.resources import _solver_banner_silenced\n"
            "_solver_banner_silenced()  # what allocate does before it solves\n"
            "h = _maximise(np.array([1.0]), np.array([0.0]), np.array([2.0]), np.array([0.0]), np.array([1.0]),\n"
            "              np.array([0, 1]), np.array([0]), np.array([1.0]))\n"
            "h.run()\n"
            "print('solved', round(h.getInfo().objective_function_value, 6))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(kamplan.__file__).parent.parent)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "solved 1.0\n", out.stdout  # max x with 0 <= x <= 1 (row) and nothing else printed
