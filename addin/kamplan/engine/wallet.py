"""Share of wallet (issue 15): our volume against the customer's own usage, per account, product and quarter.

The customer's usage comes from the account plan's Business sheet: one row per account and plan year with
``usage_<product>``, the customer's *annual* usage of each of our product lines (in the product's unit), the
denominator.  A quarter gets a quarter of the year's usage (pro rata) unless the usage rows carry a
``quarter`` column (usage given per quarter).  A year without a plan of its own takes the usage of the
nearest year that has one (earlier first) for the share itself; ``lost_share`` compares only years whose
plans gave their own usage (with a borrowed one the drop in share is just the drop in volume, which
``yoy-decline`` already names, and a pro-rata quarter against a seasonal one would mislead).

``share_of_wallet`` gives WALLET_COLUMNS: ``ours`` (our volume), ``revenue`` (ours), ``usage``, ``share``
(ours / usage; None where the usage is 0 or unknown), ``elsewhere`` (what the customer buys from others:
usage - ours, not below 0) and ``whitespace`` (the customer uses the product and buys none of it from us).
``lost_share`` flags an account whose share of a product fell more than ``share_drop`` (points) against the
same quarter last year; its facts name the product, both shares and both quarters.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from kamplan.periods import quarter_index

WALLET_COLUMNS = ["account_id", "product_id", "year", "quarter", "ours", "revenue", "usage", "share", "elsewhere",
                  "whitespace", "own"]
USAGE_PREFIX = "usage_"


def usage_by_quarter(business: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """account_id, product_id, year, quarter, usage, own (the year's own figure, not borrowed from the nearest
    year) for every year of ``years``.

    ``business``: account_id, year and ``usage_<product>`` columns (annual usage), optionally ``quarter``
    (then the figures are that quarter's own).  Empty or missing usage is unknown, not 0."""
    cols = ["account_id", "product_id", "year", "quarter", "usage"]
    usage_cols = [c for c in business.columns if str(c).startswith(USAGE_PREFIX)] if len(business) else []
    if not usage_cols:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "usage" else object) for c in cols})
    keys = ["account_id", "year"] + (["quarter"] if "quarter" in business.columns else [])
    long = business.melt(id_vars=keys, value_vars=usage_cols, var_name="product_id", value_name="usage")
    long["product_id"] = long["product_id"].str.slice(len(USAGE_PREFIX))
    long["usage"] = pd.to_numeric(long["usage"], errors="coerce")
    long = long.dropna(subset=["usage"])
    long["year"] = long["year"].astype(int)
    known = sorted(set(long["year"]))
    out = []
    for year in years:
        if not known:
            break
        source = min(known, key=lambda k: (abs(k - year), k > year))  # nearest year, earlier first
        got = long[long["year"] == source].assign(year=int(year), own=source == year)
        if "quarter" not in got.columns:
            got = pd.concat([got.assign(quarter=q, usage=got["usage"] / 4.0) for q in (1, 2, 3, 4)])
        out.append(got[cols + ["own"]])
    if not out:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "usage" else object) for c in cols + ["own"]})
    frame = pd.concat(out, ignore_index=True)
    frame["quarter"] = frame["quarter"].astype(int)
    return frame.groupby(cols[:4], as_index=False).agg(usage=("usage", "sum"), own=("own", "all"))


def share_of_wallet(history: pd.DataFrame, usage: pd.DataFrame) -> pd.DataFrame:
    """WALLET_COLUMNS for every (account, product, year, quarter) whose usage is known.

    ``history``: account_id, product_id, year, quarter, volume, revenue (our sales, in the product's unit);
    ``usage``: ``usage_by_quarter``."""
    keys = ["account_id", "product_id", "year", "quarter"]
    if not len(usage):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in WALLET_COLUMNS})
    h = history.assign(year=history["year"].astype(int), quarter=history["quarter"].astype(int))
    ours = h.groupby(keys, as_index=False)[["volume", "revenue"]].sum() if len(h) else \
        pd.DataFrame(columns=keys + ["volume", "revenue"])
    u = usage.assign(year=usage["year"].astype(int), quarter=usage["quarter"].astype(int))
    w = u.merge(ours, on=keys, how="left").rename(columns={"volume": "ours"})
    w["ours"] = pd.to_numeric(w["ours"], errors="coerce").fillna(0.0).astype(float)
    w["revenue"] = pd.to_numeric(w["revenue"], errors="coerce").fillna(0.0).astype(float)
    w["usage"] = w["usage"].astype(float)
    positive = w["usage"] > 0
    w["share"] = np.where(positive, w["ours"] / w["usage"].where(positive, 1.0), np.nan)
    w["share"] = w["share"].astype(object).where(positive, None)
    w["elsewhere"] = (w["usage"] - w["ours"]).clip(lower=0.0)
    w["whitespace"] = positive & (w["ours"] <= 0)
    w["own"] = w["own"].astype(bool) if "own" in w else True
    return w[WALLET_COLUMNS].sort_values(keys, kind="mergesort").reset_index(drop=True)


def annual_wallet(wallet: pd.DataFrame, year: int, last_quarter: int = 4) -> pd.DataFrame:
    """The year to date (quarters 1..``last_quarter``) per account and product, WALLET_COLUMNS without quarter."""
    keys = ["account_id", "product_id"]
    w = wallet[(wallet["year"].astype(int) == year) & (wallet["quarter"].astype(int) <= last_quarter)]
    cols = [c for c in WALLET_COLUMNS if c not in ("quarter", "own")]
    if not len(w):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    a = w.groupby(keys, as_index=False)[["ours", "revenue", "usage"]].sum()
    a["year"] = year
    positive = a["usage"] > 0
    a["share"] = (a["ours"] / a["usage"].where(positive, 1.0)).astype(object).where(positive, None)
    a["elsewhere"] = (a["usage"] - a["ours"]).clip(lower=0.0)
    a["whitespace"] = positive & (a["ours"] <= 0)
    return a[cols]


def lost_share(wallet: pd.DataFrame, year: int, quarter: int, share_drop: float) -> list[tuple[str, tuple]]:
    """``lost-share`` flags: (account, (code, evidence, facts)) where a product's share of the customer's
    usage fell more than ``share_drop`` against the same quarter a year earlier (the largest drop per
    account is named)."""
    if not len(wallet):
        return []
    w = wallet.assign(qi=quarter_index(wallet["year"].astype(int), wallet["quarter"].astype(int)))
    now = quarter_index(year, quarter)
    # only the customer's own usage of each year: a borrowed usage would make the share drop the volume drop
    share = {(a, p, q): s for a, p, q, s, own in zip(w["account_id"], w["product_id"], w["qi"], w["share"], w["own"])
             if own and s is not None and not pd.isna(s)}
    worst: dict[str, tuple[float, str, float, float]] = {}
    for (acc, product, qi), s_now in share.items():
        if qi != now or (acc, product, now - 4) not in share:
            continue
        s_ly = share[(acc, product, now - 4)]
        drop = s_ly - s_now
        if drop > share_drop and drop > worst.get(acc, (0.0,))[0]:
            worst[acc] = (drop, product, float(s_now), float(s_ly))
    out = []
    for acc, (_, product, s_now, s_ly) in sorted(worst.items()):
        facts = {"product": product, "share": s_now, "share_before": s_ly,
                 "period": _label(now), "period_before": _label(now - 4)}
        out.append((acc, ("lost-share", f"share of the customer's {product} usage {s_now:.0%} in {_label(now)} vs "
                                        f"{s_ly:.0%} in {_label(now - 4)}", facts)))
    return out


def _label(qi: int) -> str:
    return f"{qi // 4} Q{qi % 4 + 1}"
