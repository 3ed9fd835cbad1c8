"""A round-2 setting for tests: round 1 filled and collected, then a top-down proposal built from it."""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from kamplan.demo.salesforce import fill_target_workbook, make_mistake
from kamplan.model import Submission
from kamplan.stages.targets import collect_targets
from kamplan.workbooks.targets.content import target_content, target_file_name
from kamplan.workbooks.targets.writer import write_target_workbook

STAMP = dt.datetime(2026, 12, 10, 9, 0)


def collect_round_one(ws, n_reps: int = 2, seed: int = 5) -> list[str]:
    """Fill and collect the first ``n_reps`` round-1 workbooks (each with a line comment); returns their
    salespeople."""
    rng = np.random.default_rng(seed)
    issued = sorted(ws.round_outbox(1).glob("*.xlsx"))[:n_reps]
    for path in issued:
        fill_target_workbook(path, ws.inbox / path.name, rng)
        make_mistake(ws.inbox / path.name, "targets", "comment", "Second line starts in Q3", row_index=1)
    res = collect_targets(ws, [ws.inbox])
    assert [f.outcome for f in res.files] == ["stored"] * n_reps, [str(p) for f in res.files for p in f.errors]
    return [p.name.split("_")[0] for p in issued]


def proposal_from(sub: Submission, uplift: float = 1.1, new_lines: int = 1) -> pd.DataFrame:
    """The VP's proposal: every submitted volume raised by ``uplift`` (to 0.1), prices kept; plus
    ``new_lines`` lines the salesperson left empty, proposed at 10 a quarter (own figure: none)."""
    t = sub.targets
    own = t.volume > 0
    prop = pd.DataFrame({
        "account_id": t.account_id, "product_id": t.product_id, "quarter": t.quarter,
        "volume": (t.volume * uplift).round(1), "price": t.price,
        "own_volume": t.volume.where(own), "own_price": t.price.where(own), "own_revenue": t.revenue.where(own)})
    empty = (t.groupby(["account_id", "product_id"]).volume.sum() == 0)
    for acc, prod in list(empty[empty].index)[:new_lines]:
        sel = (prop.account_id == acc) & (prop.product_id == prod)
        prop.loc[sel, "volume"] = 10.0
        prop.loc[sel, "price"] = prop.loc[sel, "price"].where(prop.loc[sel, "price"] > 0, 5000.0)
    prop["revenue"] = (prop.volume * prop.price).round(2)
    return prop.reset_index(drop=True)


def write_proposal(ws, rep: str, folder: Path, proposal: pd.DataFrame, prefill: Submission | None,
                   language: str | None = None, workbook_id: str | None = None) -> Path:
    cfg = ws.config
    content = target_content(cfg, ws.store.history_totals(cfg.plan_year - 1), rep, 2, generated_at=STAMP,
                             workbook_id=workbook_id, language=language, proposal=proposal, prefill=prefill)
    return write_target_workbook(folder / target_file_name(rep, cfg.plan_year, 2), content)


def line_figures(proposal: pd.DataFrame) -> pd.DataFrame:
    """Per account × product: proposal volume/revenue and own volume/revenue (NaN: none), as the sheet sums."""
    g = proposal.groupby(["account_id", "product_id"], sort=False)
    return pd.DataFrame({"proposal_volume": g.volume.sum(), "proposal_revenue": g.revenue.sum(),
                         "own_volume": g.own_volume.sum(min_count=1),
                         "own_revenue": g.own_revenue.sum(min_count=1)})


def nan_to_zero(x) -> float:
    return 0.0 if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
