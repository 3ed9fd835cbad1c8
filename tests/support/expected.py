"""What every formula cell of a target workbook must show, computed by the engine.

Tests compare LibreOffice's recalculated values with this map; the map covers
every formula the writer puts in, so no formula goes unchecked.
"""
from __future__ import annotations

import pandas as pd

from kamplan.engine.targets import account_totals, growth, line_totals
from kamplan.model import QUARTERS, Submission
from kamplan.workbooks.targets.layout import TargetLayout

EMPTY = ""  # a formula showing "" (e.g. growth without a base)


def _g(v):
    return EMPTY if v is None else v


def expected_formula_values(layout: TargetLayout, sub: Submission, last_year: pd.DataFrame,
                            request_units: dict[str, str]) -> dict[tuple[str, str], object]:
    out: dict[tuple[str, str], object] = {}
    tg, sm, vi, rq = layout.targets, layout.summary, layout.visits, layout.requests
    t = sub.targets
    by_line = {(r.account_id, r.product_id, r.quarter): r for r in t.itertuples(index=False)}
    rows = set(tg.row_keys)  # the workbook's account x product lines: all the SUMIFS can see
    ly = {(r.account_id, r.product_id): r for r in last_year.itertuples(index=False)
          if (r.account_id, r.product_id) in rows}
    lines = line_totals(t).set_index(["account_id", "product_id"])
    col_sums: dict[str, float] = {}

    def add(table, r, key, value):
        out[(table.sheet, table.ref(r, key))] = value

    for i, (acc, prod) in enumerate(tg.row_keys):
        r = tg.first_row + i
        planned_here = (acc, prod, 1) in by_line  # a line another team member plans is locked and empty here
        for q in QUARTERS:
            line = by_line.get((acc, prod, q))
            volume, revenue = (line.volume, line.volume * line.price) if line is not None else (0.0, 0.0)
            add(tg, r, f"revenue_q{q}", revenue)
            col_sums[f"revenue_q{q}"] = col_sums.get(f"revenue_q{q}", 0) + revenue
            col_sums[f"volume_q{q}"] = col_sums.get(f"volume_q{q}", 0) + volume
        vt, rt = ((lines.loc[(acc, prod), "volume"], lines.loc[(acc, prod), "revenue"]) if planned_here
                  else (0.0, 0.0))
        lyr = ly.get((acc, prod))
        lyv, lyrev = (lyr.ly_volume, lyr.ly_revenue) if lyr is not None else (0.0, 0.0)
        add(tg, r, "volume_total", vt)
        add(tg, r, "revenue_total", rt)
        add(tg, r, "growth_volume", _g(growth(vt, lyv)))
        add(tg, r, "growth_revenue", _g(growth(rt, lyrev)))
        for k, v in (("volume_total", vt), ("revenue_total", rt), ("ly_volume", lyv), ("ly_revenue", lyrev)):
            col_sums[k] = col_sums.get(k, 0) + v
    # the totals line above the header
    tr = tg.total_row
    for k in ["ly_volume", "ly_revenue", "volume_total", "revenue_total"] + \
             [f"{m}_q{q}" for m in ("volume", "revenue") for q in QUARTERS]:
        add(tg, tr, k, col_sums[k])
    add(tg, tr, "growth_volume", _g(growth(col_sums["volume_total"], col_sums["ly_volume"])))
    add(tg, tr, "growth_revenue", _g(growth(col_sums["revenue_total"], col_sums["ly_revenue"])))
    for q in QUARTERS:
        v = col_sums[f"volume_q{q}"]
        add(tg, tr, f"price_q{q}", col_sums[f"revenue_q{q}"] / v if v > 0 else EMPTY)

    # visit plan
    visits = sub.visits
    vsum = {"rep": 0, "exec": 0}
    vq = {(k, q): 0 for k in ("rep", "exec") for q in QUARTERS}
    per_acc = {}
    for i, (acc,) in enumerate(vi.row_keys):
        r = vi.first_row + i
        v = visits[visits.account_id == acc]
        rep, exe = int(v.rep_visits.sum()), int(v.exec_visits.sum())
        per_acc[acc] = (rep, exe)
        add(vi, r, "rep_visits_total", rep)
        add(vi, r, "exec_visits_total", exe)
        vsum["rep"] += rep
        vsum["exec"] += exe
        for row in v.itertuples(index=False):
            vq[("rep", row.quarter)] += row.rep_visits
            vq[("exec", row.quarter)] += row.exec_visits
    add(vi, vi.total_row, "rep_visits_total", vsum["rep"])
    add(vi, vi.total_row, "exec_visits_total", vsum["exec"])
    for q in QUARTERS:
        add(vi, vi.total_row, f"rep_visits_q{q}", vq[("rep", q)])
        add(vi, vi.total_row, f"exec_visits_q{q}", vq[("exec", q)])

    # account totals (SUMIFS / INDEX-MATCH)
    lyf = pd.DataFrame([{"account_id": a, "product_id": p, "ly_volume": r.ly_volume, "ly_revenue": r.ly_revenue}
                        for (a, p), r in ly.items()], columns=["account_id", "product_id", "ly_volume",
                                                               "ly_revenue"])
    acc = account_totals(t, lyf).set_index("account_id")
    s = {"ly_volume": 0.0, "ly_revenue": 0.0, "volume_total": 0.0, "revenue_total": 0.0, "rep": 0, "exec": 0}
    for i, (a,) in enumerate(sm.row_keys):
        r = sm.first_row + i
        if a in acc.index:
            row = acc.loc[a]
        else:  # every line of the account is planned by another team member: last year only
            mine = [v for (x, _), v in ly.items() if x == a]
            row = pd.Series({"ly_volume": sum(v.ly_volume for v in mine), "ly_revenue": sum(v.ly_revenue for v in mine),
                             "volume": 0.0, "revenue": 0.0})
        add(sm, r, "ly_volume", row.ly_volume)
        add(sm, r, "ly_revenue", row.ly_revenue)
        add(sm, r, "volume_total", row.volume)
        add(sm, r, "revenue_total", row.revenue)
        add(sm, r, "growth_volume", _g(growth(row.volume, row.ly_volume)))
        add(sm, r, "growth_revenue", _g(growth(row.revenue, row.ly_revenue)))
        add(sm, r, "rep_visits_total", per_acc[a][0])
        add(sm, r, "exec_visits_total", per_acc[a][1])
        for k, v in (("ly_volume", row.ly_volume), ("ly_revenue", row.ly_revenue), ("volume_total", row.volume),
                     ("revenue_total", row.revenue), ("rep", per_acc[a][0]), ("exec", per_acc[a][1])):
            s[k] += v
    for k in ("ly_volume", "ly_revenue", "volume_total", "revenue_total"):
        add(sm, sm.total_row, k, s[k])
    add(sm, sm.total_row, "growth_volume", _g(growth(s["volume_total"], s["ly_volume"])))
    add(sm, sm.total_row, "growth_revenue", _g(growth(s["revenue_total"], s["ly_revenue"])))
    add(sm, sm.total_row, "rep_visits_total", s["rep"])
    add(sm, sm.total_row, "exec_visits_total", s["exec"])

    # support requests: the unit follows the chosen resource kind; unused rows show ""
    used = {int(src.split("!A")[1]) - 1: kind for src, kind in zip(sub.requests.src, sub.requests.kind)}
    for i in range(rq.n_rows):
        r = rq.first_row + i
        add(rq, r, "unit", request_units[used[r]] if r in used else EMPTY)
    return out
