"""A demo workspace with a plan and simulated actuals, for the evaluation tests (cached per settings)."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import yaml

from kamplan.config import config_from_dict
from kamplan.demo.actuals import simulate_actuals, write_actuals_files
from kamplan.demo.company import demo_config_dict, demo_history
from kamplan.model import (
    REQUEST_COLUMNS, SERVICE_COLUMNS, TARGET_COLUMNS, TRAINING_COLUMNS, VISIT_COLUMNS, Submission, WorkbookIdentity,
)
from kamplan.stages.actuals import import_activities, import_actuals
from kamplan.workspace import Workspace

_CACHE: dict[tuple, Path] = {}


def _plan_submissions(config, history: pd.DataFrame) -> list[Submission]:
    """Each salesperson's plan: last year's lines +5 %, the class visit cycle, one training and one service."""
    year = config.plan_year
    last = history[history["year"] == year - 1]
    lines = last.groupby(["account_id", "product_id", "quarter"], as_index=False).agg(
        volume=("volume", "sum"), revenue=("revenue", "sum"))
    lines["volume"] = (lines["volume"] * 1.05).round(1)
    lines["price"] = (lines["revenue"] / lines["volume"].where(lines["volume"] > 0)).round(2).fillna(0.0)
    lines["revenue"] = (lines["volume"] * lines["price"]).round(2)
    rep_of = {a.id: a.rep for a in config.accounts}
    cls_of = {a.id: a.cls for a in config.accounts}
    subs = []
    for rep in sorted({a.rep for a in config.accounts}):
        mine = sorted(a for a, r in rep_of.items() if r == rep)
        t = lines[lines["account_id"].isin(mine)].copy()
        t["comment"], t["src"], t["response"] = None, None, None
        visits = pd.DataFrame([{"account_id": a, "quarter": q,
                                "rep_visits": float(config.classes[cls_of[a]].visits_per_quarter),
                                "exec_visits": float(q == 2 and cls_of[a] == "key"), "src": None}
                               for a in mine for q in (1, 2, 3, 4)], columns=VISIT_COLUMNS)
        trainings = pd.DataFrame([{"account_id": a, "quarter": 2, "topic": "Roll care", "audience": "maintenance",
                                   "src": None} for a in mine[:2]], columns=TRAINING_COLUMNS)
        services = pd.DataFrame([{"account_id": a, "commitment": f"Quarterly quality report for {a}",
                                  "measure": "sent within 10 days", "due": dt.date(year, 12, 31), "src": None}
                                 for a in mine[:2]], columns=SERVICE_COLUMNS)
        ident = WorkbookIdentity("kamplan.targets", 1, year, 1, rep, dt.datetime(year - 1, 12, 1), f"wb-{rep}", "test")
        subs.append(Submission(ident, f"{rep}.xlsx", f"hash-{rep}", t[TARGET_COLUMNS].reset_index(drop=True),
                               visits, trainings, services, pd.DataFrame(columns=REQUEST_COLUMNS)))
    return subs


def evaluation_workspace(root: Path, dest: Path, language: str = "en", quarters=(1, 2),
                         evaluation: dict | None = None) -> Workspace:
    """A demo workspace: history, a round-1 plan for every salesperson, actuals and activities for ``quarters``."""
    key = (language, tuple(quarters), repr(evaluation))
    if key not in _CACHE:
        src = root / f"ws-{len(_CACHE)}"
        if src.exists():  # an earlier attempt failed halfway: start again rather than fail every later test
            shutil.rmtree(src)
        data = demo_config_dict(language=language)
        if evaluation:
            data["evaluation"] = evaluation
        config = config_from_dict(data)
        with Workspace.init(src, yaml.safe_dump(data, allow_unicode=True, sort_keys=False)) as ws:
            history = demo_history(config)
            ws.store.replace_history(history, source="test")
            ws.store.open_round(config.plan_year, 1, "bottom-up")
            subs = _plan_submissions(config, history)
            for sub in subs:
                ws.store.record_submission(sub, dt.datetime(config.plan_year - 1, 12, 20))
            targets = pd.concat([s.targets for s in subs])
            inv, act = simulate_actuals(config, targets, config.plan_year, list(quarters), seed=11)
            inv_path, act_path = write_actuals_files(src / "erp", inv, act, "ytd", language="en", fmt="csv")
            res = import_actuals(ws, [inv_path])
            assert not res.errors, res.all_problems()
            a = import_activities(ws, [act_path])
            assert not a.errors
        _CACHE[key] = src
    shutil.copytree(_CACHE[key], dest)
    return Workspace.open(dest)


class LockedCellError(Exception):
    pass


def fill_vp_workbook(src: Path, dst: Path, *, reviewer: str | None = "Li Ming", ratings: dict | None = None,
                     comments: dict | None = None, statuses: dict | None = None, raw: dict | None = None) -> None:
    """Type into the VP's workbook like the VP: only unlocked cells.

    ``ratings``/``comments``: (rep, goal) -> value; ``statuses``: row index on Services -> (status, note);
    ``raw``: (sheet key, row index, column key) -> value typed as is.
    """
    lay = layout_of(src)
    wb = openpyxl.load_workbook(src)
    tables = {"scorecard": lay.scorecard, "services": lay.services}

    def put(tb, r, key, value):
        cell = wb[tb.sheet][tb.ref(r, key)]
        if cell.protection.locked:
            raise LockedCellError(f"{tb.sheet}!{cell.coordinate} is locked")
        cell.value = value

    sc = lay.scorecard
    if reviewer is not None:
        ws = wb[sc.sheet]
        ws.cell(3, 2).value = reviewer
    rows = {k: sc.first_row + i for i, k in enumerate(sc.row_keys)}
    for k, v in (ratings or {}).items():
        put(sc, rows[k], "rating", v)
    for k, v in (comments or {}).items():
        put(sc, rows[k], "comment", v)
    for i, (status, note) in (statuses or {}).items():
        put(lay.services, lay.services.first_row + i, "status", status)
        put(lay.services, lay.services.first_row + i, "note", note)
    for (tkey, i, ckey), v in (raw or {}).items():
        tb = tables[tkey]
        put(tb, tb.first_row + i, ckey, v)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)


def layout_of(path: Path):
    from kamplan.demo.evaluation import evaluation_layout_of
    return evaluation_layout_of(path)


__all__ = ["evaluation_workspace", "fill_vp_workbook", "layout_of", "LockedCellError", "np"]
