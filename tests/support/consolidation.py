"""A small hand-made company and the content of its consolidation workbook (no store, no stage)."""
from __future__ import annotations

import datetime as dt

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from kamplan.config import config_from_dict
from kamplan.problems import error, warning
from kamplan.workbooks.consolidation.layout import IDENTITY, ConsolidationLayout
from kamplan.workbooks.consolidation.content import ConsolidationContent

YEAR = 2027
CLASSES = {
    "key": {"name": {"en": "Key", "zh-CN": "重点客户"}, "visits_per_quarter": 3},
    "develop": {"name": {"en": "Develop", "zh-CN": "培养客户"}, "visits_per_quarter": 2},
    "watch": {"name": {"en": "Watch", "zh-CN": "警惕客户"}, "visits_per_quarter": 1},
    "drop": {"name": {"en": "Drop", "zh-CN": "淘汰客户"}, "visits_per_quarter": 0},
}
# account: (region, rep, class)
ACCOUNTS = {
    "A01": ("east", "wang", "key"), "A02": ("east", "wang", "develop"), "A03": ("east", "chen", "key"),
    "A04": ("north", "li", "watch"), "A05": ("north", "li", "key"), "A06": ("north", "zhao", "drop"),
    "A07": ("north", "zhao", "develop"),
}
PRODUCTS = {"P1": 5200.0, "P2": 7800.0, "P3": 12500.0}


def small_config(language: str = "en"):
    return config_from_dict({
        "company": {"name": {"en": "Hengda Steel", "zh-CN": "恒达钢铁"}},
        "plan_year": YEAR, "currency": "CNY", "language": language,
        "products": [{"id": p, "name": {"en": f"Product {p}", "zh-CN": f"产品{p}"}, "unit": "t",
                      "list_price": price, "standard_margin": 0.2} for p, price in PRODUCTS.items()],
        "regions": [{"id": "east", "name": {"en": "East", "zh-CN": "华东"}},
                    {"id": "north", "name": {"en": "North", "zh-CN": "华北"}}],
        "staff": [{"id": s, "name": {"en": s.title(), "zh-CN": f"{s}经理"}, "region": r, "email": f"{s}@x.cn"}
                  for s, r in (("wang", "east"), ("chen", "east"), ("li", "north"), ("zhao", "north"))],
        "accounts": [{"id": a, "name": {"en": f"Account {a}", "zh-CN": f"客户{a}"}, "region": r, "rep": s,
                      "class": k} for a, (r, s, k) in ACCOUNTS.items()],
        "classes": CLASSES,
    })


def small_lines(seed: int = 7) -> pd.DataFrame:
    """Lines of a consolidated version: rep ``zhao`` is missing (run-rate), the rest submitted; some holes."""
    rng = np.random.default_rng(seed)
    rows = []
    for a, (region, rep, cls) in ACCOUNTS.items():
        for p, list_price in PRODUCTS.items():
            if (a, p) in {("A02", "P3"), ("A06", "P2"), ("A07", "P1")}:
                continue
            for q in range(1, 5):
                ly_vol = float(rng.integers(0, 400))
                price = round(list_price * float(rng.uniform(0.85, 1.05)), 2)
                runrate = rep == "zhao"
                own_vol = np.nan if runrate else round(ly_vol * float(rng.uniform(0.8, 1.3)), 1)
                vol = ly_vol if runrate else round(own_vol * float(rng.uniform(0.95, 1.1)), 1)
                ly_rev = np.nan if ly_vol == 0 and q == 2 else round(ly_vol * price * 0.97, 2)
                rows.append({"rep_id": rep, "region_id": region, "cls": cls, "account_id": a, "product_id": p,
                             "quarter": q, "volume": vol, "price": price, "revenue": round(vol * price, 2),
                             "ly_volume": ly_vol, "ly_revenue": ly_rev, "own_volume": own_vol,
                             "own_revenue": np.nan if runrate else round(own_vol * price, 2),
                             "basis": "run-rate" if runrate else "submitted"})
    return pd.DataFrame(rows)


def small_content(language: str = "en", instruction=None, lines: pd.DataFrame | None = None) -> ConsolidationContent:
    config = small_config(language)
    lines = small_lines() if lines is None else lines
    stamp = dt.datetime(2026, 12, 20, 9, 30)
    status = pd.DataFrame([
        {"rep_id": "wang", "state": "submitted", "file_name": "targets_2027_wang.xlsx",
         "at": dt.datetime(2026, 12, 15, 17, 2), "reasons": "", "last_good_file": "targets_2027_wang.xlsx"},
        {"rep_id": "chen", "state": "submitted", "file_name": "targets_2027_chen.xlsx",
         "at": dt.datetime(2026, 12, 16, 8, 45), "reasons": "", "last_good_file": "targets_2027_chen.xlsx"},
        {"rep_id": "li", "state": "rejected", "file_name": "targets_2027_li (2).xlsx",
         "at": dt.datetime(2026, 12, 17, 11, 0), "reasons": ["Targets › H14: \"abc\" is not a number"],
         "last_good_file": "targets_2027_li.xlsx"},
        {"rep_id": "zhao", "state": "missing", "file_name": None, "at": None, "reasons": None,
         "last_good_file": None},
    ])
    warnings = [warning("growth-high", "A01 grows 62% over last year", "check the figure with the salesperson",
                        file="targets_2027_wang.xlsx", sheet="Targets", cell="H9"),
                error("not-a-number", '"abc" is not a number', "type a number", file="targets_2027_li (2).xlsx",
                      sheet="Targets", cell="H14")]
    total_v, total_r = float(lines["volume"].sum()), float(lines["revenue"].sum())
    versions = pd.DataFrame([
        {"id": 1, "kind": "bottom-up", "created_at": dt.datetime(2026, 12, 18, 10, 0), "by": "kamplan",
         "description": "consolidated: 2 submitted, 1 rejected, 1 missing", "volume": total_v * 0.98,
         "revenue": total_r * 0.97},
        {"id": 2, "kind": "top-down", "created_at": dt.datetime(2026, 12, 19, 15, 30), "by": "Li Ming",
         "description": "revenue company 110,000,000 proportional", "volume": total_v, "revenue": total_r},
    ])
    return ConsolidationContent(config=config, year=YEAR, generated_at=stamp,
                                version={"id": 2, "kind": "top-down", "created_at": dt.datetime(2026, 12, 19, 15, 30),
                                         "by": "Li Ming", "description": "revenue company 110,000,000"},
                                lines=lines, status=status, warnings=warnings, versions=versions,
                                instruction=instruction)


def layout_of(path: Path) -> ConsolidationLayout:
    from kamplan.workbooks.kit.identity import read_identity
    from kamplan.workbooks.kit.xlsxio import read_sheets
    sheets, _ = read_sheets(path, ["_kamplan"])
    ident = read_identity(sheets["_kamplan"], IDENTITY)
    return ConsolidationLayout(ident["language"], ident["products"], ident["regions"], currency=ident["currency"],
                               hold_rows=int(ident["hold_rows"]), bound_rows=int(ident["bound_rows"]))


class LockedCellError(Exception):
    pass


def fill(src: Path, dst: Path, *, params: dict | None = None, figures: dict | None = None,
         holds: list | None = None, bounds: list | None = None, clear: bool = True) -> Path:
    """Type into the Top-down sheet like the VP: only unlocked cells.

    ``params``: measure/method/growth/reference/note -> value; ``figures``: (level, id) -> value;
    ``holds`` / ``bounds``: rows of (kind or side, id or rule) typed from the first row on.
    ``clear`` empties every figure, hold and bound first (the pre-filled instruction).
    """
    lay = layout_of(src)
    wb = openpyxl.load_workbook(src)
    sh = wb[lay.sheet_names["topdown"]]

    def put(ref, value):
        if sh[ref].protection.locked:
            raise LockedCellError(f"{sh.title}!{ref} is locked")
        sh[ref] = value

    fig, hl, bd = lay.figures, lay.holds, lay.bounds
    if clear:
        for r in range(fig.first_row, fig.last_row + 1):
            put(fig.ref(r, "figure"), None)
        for tb in (hl, bd):
            for r in range(tb.first_row, tb.last_row + 1):
                for c in tb.columns:
                    put(tb.ref(r, c.key), None)
    for key, value in (params or {}).items():
        put(lay.param_ref(key), value)
    for (level, ident), value in (figures or {}).items():
        put(fig.ref(lay.figure_row(level, ident), "figure"), value)
    for tb, rows in ((hl, holds or []), (bd, bounds or [])):
        for off, (a, b) in enumerate(rows):
            put(tb.ref(tb.first_row + off, tb.columns[0].key), a)
            put(tb.ref(tb.first_row + off, tb.columns[1].key), b)
    wb.save(dst)
    return dst
