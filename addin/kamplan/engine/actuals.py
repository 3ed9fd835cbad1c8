"""Actuals: invoice lines summed to history rows, complaint status.

Pure functions on pandas frames.  Fiscal quarters of dates are
``kamplan.periods.fiscal_year_quarter`` (the ground floor, shared with the store).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from kamplan.model import HISTORY_COLUMNS


def lines_to_history(lines: pd.DataFrame, standard_margin: dict[str, float] | None = None,
                     by_salesperson: bool = False) -> pd.DataFrame:
    """Sum matched invoice lines to one HISTORY_COLUMNS row per (year, quarter, account, product).

    ``lines``: year, quarter, account_id, product_id, volume, revenue and, optionally, cost
    (NaN where a file had no cost column).  Gross margin is revenue - cost where the cost is
    known, else revenue x the product's ``standard_margin`` (the caller warns about that).
    Price is revenue / volume (NaN when the volume is 0).  cost_to_serve and visits are 0:
    they do not come from invoices.  ``by_salesperson``: one row per key x ``salesperson_id`` (the
    ERP's salesperson; missing where the line named none) and the column ``salesperson_id`` after the keys.
    """
    keys = ["year", "quarter", "account_id", "product_id"] + (["salesperson_id"] if by_salesperson else [])
    columns = HISTORY_COLUMNS[:4] + keys[4:] + HISTORY_COLUMNS[4:]
    if len(lines) == 0:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("year", "quarter") else
                                          "object" if c in ("account_id", "product_id", "salesperson_id")
                                          else "float64")
                             for c in columns})
    revenue = lines["revenue"].to_numpy(dtype="float64")
    cost = lines["cost"].to_numpy(dtype="float64") if "cost" in lines else np.full(len(lines), np.nan)
    margin = revenue - cost
    unknown = np.isnan(cost)
    if unknown.any():
        rate = lines["product_id"].map(standard_margin or {}).to_numpy(dtype="float64")
        margin = np.where(unknown, revenue * np.nan_to_num(rate), margin)
    work = pd.DataFrame({"year": lines["year"].to_numpy(dtype="int64"),
                         "quarter": lines["quarter"].to_numpy(dtype="int64"),
                         "account_id": lines["account_id"], "product_id": lines["product_id"],
                         "volume": lines["volume"].to_numpy(dtype="float64"), "revenue": revenue,
                         "gross_margin": margin})
    if by_salesperson:
        # a line without a salesperson keeps an empty key while summing (group-by drops missing keys)
        work.insert(4, "salesperson_id", lines["salesperson_id"].fillna("").astype(str).to_numpy())
    out = work.groupby(keys, sort=True, observed=True).sum().reset_index()
    if by_salesperson:
        out["salesperson_id"] = out["salesperson_id"].astype(object).where(out["salesperson_id"] != "", None)
    volume = out["volume"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["price"] = np.where(volume != 0, out["revenue"].to_numpy() / volume, np.nan)
    out["cost_to_serve"] = 0.0
    out["visits"] = 0.0
    out["account_id"] = out["account_id"].astype(str).astype(object)
    out["product_id"] = out["product_id"].astype(str).astype(object)
    return out[columns]


def complaint_status(activities: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Each complaint's state from an activity log (ACTIVITY_COLUMNS): one row per complaint.

    A complaint is identified by (account_id, ref); rows without a ref are each their own
    complaint.  Rows are read in date order; the last status wins ("resolved" closes it, a
    later "open" reopens it).  ``as_of`` (a date) ignores later rows.
    Columns: account_id, ref, opened (first date), last_date, status, days_open (to
    ``as_of`` or the last date in the log, for open complaints; else NaN), rows.
    """
    cols = ["account_id", "ref", "opened", "last_date", "status", "days_open", "rows"]
    c = activities[activities["kind"] == "complaint"].copy()
    if as_of is not None:
        c = c[pd.to_datetime(c["date"]) <= pd.Timestamp(as_of)]
    if len(c) == 0:
        return pd.DataFrame({k: pd.Series(dtype="float64" if k == "days_open" else "object") for k in cols})
    c["_date"] = pd.to_datetime(c["date"])
    c["_pos"] = np.arange(len(c))
    blank = c["ref"].isna() | (c["ref"].astype(str).str.strip() == "")
    c["ref"] = np.where(blank, "#row" + c["_pos"].astype(str), c["ref"].astype(str))
    c["status"] = c["status"].fillna("open")
    c = c.sort_values(["account_id", "ref", "_date", "_pos"], kind="stable")
    g = c.groupby(["account_id", "ref"], sort=True)
    out = pd.DataFrame({"opened": g["_date"].min(), "last_date": g["_date"].max(), "status": g["status"].last(),
                        "rows": g.size()}).reset_index()
    end = pd.Timestamp(as_of) if as_of is not None else c["_date"].max()
    out["days_open"] = np.where(out["status"] == "open", (end - out["opened"]).dt.days, np.nan).astype("float64")
    out["ref"] = pd.Series([None if r.startswith("#row") else r for r in out["ref"]], dtype=object)
    out["account_id"] = out["account_id"].astype(object)
    out["status"] = out["status"].astype(object)
    out["opened"] = pd.Series(out["opened"].dt.date, dtype=object)
    out["last_date"] = pd.Series(out["last_date"].dt.date, dtype=object)
    return out[cols]
