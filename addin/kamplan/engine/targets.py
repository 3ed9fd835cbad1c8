"""Target arithmetic: last year's base, line and account totals, growth, warnings.

Pure functions on frames (columns from ``kamplan.model``).  The workbook's live
formulas compute the same numbers; tests compare LibreOffice's results with
these functions, so the two cannot silently disagree.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from kamplan.problems import Problem, problem

LINE_KEYS = ["account_id", "product_id"]


def last_year_lines(history: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per account x product: last year's volume, revenue and average price (NaN without volume)."""
    h = history[history["year"] == year]
    g = h.groupby(LINE_KEYS, as_index=False)[["volume", "revenue"]].sum()
    g = g.rename(columns={"volume": "ly_volume", "revenue": "ly_revenue"})
    g["ly_price"] = [r / v if v > 0 else math.nan for v, r in zip(g["ly_volume"], g["ly_revenue"])]
    return g


def default_price(ly_price: float, list_price: float) -> float:
    """The price a target line starts with: last year's average, rounded to a whole unit, else list."""
    if ly_price is None or (isinstance(ly_price, float) and math.isnan(ly_price)) or ly_price <= 0:
        return float(list_price)
    return float(round(ly_price))


def prefilled_prices(last_year: pd.DataFrame, list_prices: dict[str, float]) -> dict[tuple[str, str], float]:
    """The price the December workbook pre-fills per account x product (``default_price``): the lines
    with a last year; every other line starts at its product's list price."""
    return {(a, p): default_price(lyp, list_prices[p])
            for a, p, lyp in zip(last_year["account_id"], last_year["product_id"], last_year["ly_price"])
            if p in list_prices}


def _is_prefilled(price: float, prefilled: Mapping, acc: str, prod: str, q) -> bool:
    """Whether ``price`` is what kamplan wrote into the cell itself (to the cent): not the salesperson's."""
    pre = prefilled.get((acc, prod, q), prefilled.get((acc, prod)))
    return pre is not None and abs(price - pre) < 0.005


def line_revenue(volume: float, price: float) -> float:
    return (volume or 0.0) * (price or 0.0)


def growth(current: float, base: float) -> float | None:
    """Growth against a base; None when there is no positive base (the sheet shows an empty cell)."""
    if base is None or not base > 0:
        return None
    return current / base - 1


def line_totals(targets: pd.DataFrame) -> pd.DataFrame:
    """Per account x product: annual target volume and revenue."""
    t = targets.assign(revenue=[line_revenue(v, p) for v, p in zip(targets["volume"], targets["price"])])
    return t.groupby(LINE_KEYS, as_index=False, sort=False)[["volume", "revenue"]].sum()


def account_totals(targets: pd.DataFrame, last_year: pd.DataFrame) -> pd.DataFrame:
    """Per account: last year's and target volume and revenue, with growth."""
    lines = line_totals(targets)
    acc = lines.groupby("account_id", as_index=False, sort=False)[["volume", "revenue"]].sum()
    ly = last_year.groupby("account_id", as_index=False)[["ly_volume", "ly_revenue"]].sum()
    out = acc.merge(ly, on="account_id", how="left").fillna({"ly_volume": 0.0, "ly_revenue": 0.0})
    out["growth_volume"] = [growth(c, b) for c, b in zip(out["volume"], out["ly_volume"])]
    out["growth_revenue"] = [growth(c, b) for c, b in zip(out["revenue"], out["ly_revenue"])]
    return out


def revenue_by_account(last_year: pd.DataFrame) -> pd.Series:
    """Last year's revenue per account, from ``last_year_lines``."""
    if not len(last_year):
        return pd.Series(dtype=float)
    return last_year.groupby("account_id")["ly_revenue"].sum()


def target_warnings(targets: pd.DataFrame, last_year: pd.DataFrame | pd.Series, list_prices: dict[str, float],
                    rules, file: str | None = None, sheet: str | None = None,
                    prefilled: Mapping | None = None) -> list[Problem]:
    """Plausibility warnings a VP wants to see next to a submission (never a rejection).

    ``last_year`` is ``last_year_lines`` or, when checking many files, its
    ``revenue_by_account``.  ``rules`` is the config's ``TargetRules``; ``src``
    cells of the target lines ("Sheet!H14") give each warning its place.  It
    runs on every collected file, so it loops over plain values: on ~1,000
    lines that is faster than pandas' per-call overhead.

    Each line's price is compared with its own product's list price (``list_prices``: product id ->
    price per that product's unit), never with another product's or an average.  ``prefilled``
    ((account, product) or (account, product, quarter) -> price, see ``prefilled_prices``) holds the
    prices kamplan wrote into the workbook itself: a price left as pre-filled is kamplan's own number
    (last year's average, or the list price), so it is no warning about what the salesperson typed.
    """
    prefilled = prefilled or {}
    out: list[Problem] = []
    low_f, high_f = 1 - rules.price_below_list_warning, 1 + rules.price_above_list_warning
    revenue: dict[str, float] = {}
    cols = [targets[c].tolist() for c in ("account_id", "product_id", "quarter", "volume", "price", "src")]
    for acc, prod, q, vol, price, src in zip(*cols):
        vol = vol or 0.0
        price = price or 0.0
        revenue[acc] = revenue.get(acc, 0.0) + vol * price
        if vol <= 0:
            continue
        lp = list_prices.get(prod)
        if not lp or _is_prefilled(price, prefilled, acc, prod, q):
            continue
        if price < lp * low_f:
            s, c = _split_src(src)
            out.append(problem("target.price-far-below-list", price=price, product=prod, account=acc, quarter=q,
                               off=f"{1 - price / lp:.0%}", list_price=lp, file=file, sheet=s or sheet, cell=c))
        elif price > lp * high_f:
            s, c = _split_src(src)
            out.append(problem("target.price-far-above-list", price=price, product=prod, account=acc, quarter=q,
                               off=f"{price / lp - 1:.0%}", list_price=lp, file=file, sheet=s or sheet, cell=c))
    base_all = last_year if isinstance(last_year, pd.Series) else revenue_by_account(last_year)
    for acc, rev in revenue.items():
        base = float(base_all.get(acc, 0.0))
        if not base > 0:
            continue
        g = rev / base - 1
        if g > rules.growth_warning:
            out.append(problem("target.growth-high", account=acc, revenue=rev, growth=f"{g:+.0%}", base=base,
                               file=file, sheet=sheet))
        elif g < -rules.decline_warning:
            out.append(problem("target.decline-high", account=acc, revenue=rev, growth=f"{g:+.0%}", base=base,
                               file=file, sheet=sheet))
    return out


def _split_src(src) -> tuple[str | None, str | None]:
    if not src or not isinstance(src, str) or "!" not in src:
        return None, None
    s, c = src.rsplit("!", 1)
    return s, c
