"""Open the resource plan in LibreOffice, recalculate, compare every formula with the stored allocation."""
from __future__ import annotations

import datetime as dt
import math

import openpyxl
import pytest

from kamplan.stages.resources import allocate
from kamplan.store import resources as rs
from kamplan.workbooks.resources.layout import KINDS, QUARTERS, YEAR, rt
from support.resources import collected_workspace, fill_resource_plan, layout_of

pytestmark = pytest.mark.libreoffice
EMPTY = ""


def expected_values(ws, res) -> dict[tuple[str, str], object]:
    """What every formula cell must show, from the stored run (assignments and requests), not the workbook."""
    cfg, L = ws.config, ws.config.language
    lay = layout_of(res.path)  # the input tables' rows
    got = rs.latest_allocation(ws.store, cfg.plan_year)
    req, asg = got.requests, got.assignments
    given = asg.groupby("request_id")["amount"].sum()
    out: dict[tuple[str, str], object] = {}
    from kamplan.workbooks.resources.layout import ResourceLayout
    wb = openpyxl.load_workbook(res.path, read_only=True)

    def keys(sheet_key, ncols):
        tb = getattr(lay, sheet_key)
        rows = wb[tb.sheet].iter_rows(min_row=tb.first_row + 1, values_only=True)
        return [tuple(r[:ncols]) for r in rows if r[0] is not None]
    full = ResourceLayout(L, cfg.plan_year, currency=cfg.currency, schedule=keys("schedule", 3),
                          requests=keys("requests", 1), accounts=keys("accounts", 1), people=keys("people", 1),
                          choices=lay.choices.row_keys, capacity=lay.capacity.row_keys)
    wb.close()
    assert sorted(k[0] for k in full.requests.row_keys) == sorted(req["request_id"])
    req = req.set_index("request_id").loc[[k[0] for k in full.requests.row_keys]].reset_index()
    status = {k: rt(f"status.{k}", L) for k in ("met", "partly", "unmet")}
    rq = full.requests
    for i, r in enumerate(req.itertuples(index=False)):
        row = rq.first_row + i
        g = float(given.get(r.request_id, 0.0))
        assert g == pytest.approx(r.given)
        short = max(r.amount - g, 0.0)
        out[(rq.sheet, rq.ref(row, "given"))] = g
        out[(rq.sheet, rq.ref(row, "short"))] = short
        out[(rq.sheet, rq.ref(row, "status"))] = status["met" if short <= 1e-6 else "partly" if g > 1e-6 else "unmet"]
    cls_of = dict(zip(res.values["account_id"], res.values["cls"]))
    req = req.assign(given_=req["request_id"].map(given).fillna(0.0), cls=req["account_id"].map(cls_of))
    ac = full.accounts
    for i, (a,) in enumerate(ac.row_keys):
        sub = req[req["account_id"] == a]
        for k in KINDS:
            out[(ac.sheet, ac.ref(ac.first_row + i, f"asked_{k}"))] = float(sub.loc[sub["kind"] == k, "amount"].sum())
            out[(ac.sheet, ac.ref(ac.first_row + i, f"given_{k}"))] = float(sub.loc[sub["kind"] == k, "given_"].sum())
    cl = full.classes
    for i, (c,) in enumerate(cl.row_keys):
        sub = req[req["cls"] == c]
        for k in KINDS:
            out[(cl.sheet, cl.ref(cl.first_row + i, f"asked_{k}"))] = float(sub.loc[sub["kind"] == k, "amount"].sum())
            out[(cl.sheet, cl.ref(cl.first_row + i, f"given_{k}"))] = float(sub.loc[sub["kind"] == k, "given_"].sum())
    pe = full.people
    cap = {p.id: p.capacity for p in res.instance.people}
    kind_of = {p.id: p.pool for p in res.instance.people}
    used = asg.groupby(["person_id", "quarter"])["amount"].sum()
    pool_cap, pool_used = {}, {}
    for i, (p,) in enumerate(pe.row_keys):
        row = pe.first_row + i
        cy = uy = 0.0
        for q in QUARTERS:
            u = float(used.get((p, q), 0.0))
            out[(pe.sheet, pe.ref(row, f"used_q{q}"))] = u
            c = float(cap[p].get(q, 0.0))
            assert u <= c + 1e-6
            cy, uy = cy + c, uy + u
            for key in ((kind_of[p], f"Q{q}"), (kind_of[p], YEAR)):
                pool_cap[key] = pool_cap.get(key, 0.0) + c
                pool_used[key] = pool_used.get(key, 0.0) + u
        out[(pe.sheet, pe.ref(row, "cap_year"))] = cy
        out[(pe.sheet, pe.ref(row, "used_year"))] = uy
        out[(pe.sheet, pe.ref(row, "utilisation"))] = uy / cy if cy > 0 else EMPTY
    po = full.pools
    for i, key in enumerate(po.row_keys):
        row = po.first_row + i
        c, u = pool_cap.get(key, 0.0), pool_used.get(key, 0.0)
        out[(po.sheet, po.ref(row, "capacity"))] = c
        out[(po.sheet, po.ref(row, "used"))] = u
        out[(po.sheet, po.ref(row, "utilisation"))] = u / c if c > 0 else EMPTY
    cover = full.sheet_names["cover"]
    for pool in cfg.support_pools:
        if pool.budget is not None:
            spent = float(asg.loc[asg["kind"] == pool.kind, "cost"].sum())
            out[(cover, "C_" + pool.kind)] = spent
    return out


def _close(a, b) -> bool:
    if b == EMPTY:
        return a in (EMPTY, None)
    if isinstance(b, str) or isinstance(a, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def check(libreoffice, ws, res):
    rec = libreoffice.recalculate(res.path)
    assert rec.errors() == [], [str(c) for c in rec.errors()[:5]]
    expected = expected_values(ws, res)
    cover = layout_of(res.path).sheet_names["cover"]
    budget_cells = sorted(k for k in rec.cells if k[0] == cover)
    budgets = sorted(k for k in expected if k[0] == cover)
    assert len(budget_cells) == len(budgets)
    for cell, key in zip(budget_cells, budgets):  # one budget line per pool with a budget, in config order
        expected[cell] = expected.pop(key)
    assert set(rec.cells) == set(expected), (sorted(set(rec.cells) - set(expected))[:5],
                                             sorted(set(expected) - set(rec.cells))[:5])
    wrong = [(k, rec.cells[k].value, v) for k, v in expected.items() if not _close(rec.cells[k].value, v)]
    assert wrong == [], wrong[:10]
    return rec


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("resources-lo-cache")


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_formula_matches_the_stored_allocation_and_none_is_an_error(libreoffice, cache_root, tmp_path,
                                                                           language):
    with collected_workspace(cache_root, tmp_path / "ws", language) as ws:
        first = allocate(ws, time_limit=5, now=dt.datetime(2026, 12, 10, 9, 0))
        rec = check(libreoffice, ws, first)
        assert len(rec.cells) > 200
        # scarce capacity: requests partly met and unmet, people fully used
        tight = {(p.id, q): 1 for pool in ws.config.support_pools for p in pool.people for q in QUARTERS
                 if pool.kind != "executive"}
        filled = tmp_path / "vp.xlsx"
        fill_resource_plan(first.path, filled, capacity=tight)
        res = allocate(ws, time_limit=5, force_from=filled, now=dt.datetime(2026, 12, 11, 9, 0))
        assert res.ok and res.allocation.unmet, res.problems
        check(libreoffice, ws, res)
