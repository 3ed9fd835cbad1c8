"""Year-end forecast from the year so far and the seasonality of earlier years.

The idea is the one a sales VP uses by hand: if Q1 and Q2 usually bring 45 % of a customer's
year, and they brought 450 t this year, the year will end near 1,000 t.

* Seasonal shares: the share of each quarter in the year's total, pooled over up to
  ``history_years`` complete earlier years (sum of the quarter over those years / sum of the years).
  An account without a complete earlier year with sales uses the company's shares; a company
  without one uses equal shares (pure run-rate).
* Forecast of the year = sales so far / (shares of the quarters so far); the quarters still to
  come get the forecast x their shares. When the quarters so far usually bring less than
  ``min_seen_share`` of the year, dividing by that share would amplify noise, so the run-rate is
  used instead (sales so far / quarters so far x 4).

``forecast_series`` and ``risk_of_series`` do the same on a plain list of numbers, for the Excel
functions of the add-in.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

QUARTERS = (1, 2, 3, 4)


def seasonal_shares(history: pd.DataFrame, year: int, measure: str = "revenue",
                    history_years: int = 3) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Per account and for the company: each quarter's share of the year, from complete earlier years.

    Returns (account_id -> shares q1..q4 (columns 1-4), company shares or None). Only years before
    ``year`` with all four quarters in the history count; a year whose total is not above 0 is left out.
    """
    h = history[(history["year"] < year) & (history["year"] >= year - history_years)]
    if h.empty:
        return pd.DataFrame(columns=list(QUARTERS), dtype="float64"), None
    complete = h.groupby("year")["quarter"].nunique()
    h = h[h["year"].isin(complete[complete == 4].index)]
    if h.empty:
        return pd.DataFrame(columns=list(QUARTERS), dtype="float64"), None
    per = h.groupby(["account_id", "year", "quarter"])[measure].sum().unstack("quarter", fill_value=0.0)
    per = per.reindex(columns=list(QUARTERS), fill_value=0.0)
    per = per[per.sum(axis=1) > 0]
    by_account = per.groupby(level="account_id").sum()
    shares = by_account.div(by_account.sum(axis=1), axis=0)
    company = per.sum(axis=0)
    company_shares = (company / company.sum()).to_numpy(dtype="float64") if company.sum() > 0 else None
    return shares, company_shares


def complete_year(so_far: float, quarters_seen: int, shares: Sequence[float] | None,
                  min_seen_share: float = 0.05) -> tuple[float, str]:
    """The year's total from the first ``quarters_seen`` quarters' sum; and the method used."""
    if quarters_seen >= 4:
        return float(so_far), "actual"
    if quarters_seen <= 0:
        return 0.0, "none"
    if shares is None:
        return float(so_far) / quarters_seen * 4.0, "run-rate"
    return _complete(float(so_far), quarters_seen, shares, min_seen_share, 4)


def year_end_forecast(history: pd.DataFrame, year: int, quarter: int, annual_targets: Mapping[str, float],
                      measure: str = "revenue", history_years: int = 3,
                      min_seen_share: float = 0.05) -> pd.DataFrame:
    """Per account: year to date, forecast for the year, annual target and the gap (forecast - target).

    ``history`` holds earlier years and this year's actuals; only quarters 1..``quarter`` of ``year``
    are read as this year's. ``method``: "seasonal" (the account's own shares), "company seasonal",
    "run-rate", or "actual" after Q4.
    """
    shares, company = seasonal_shares(history, year, measure, history_years)
    cur = history[(history["year"] == year) & (history["quarter"] <= quarter)]
    ytd = cur.groupby("account_id")[measure].sum()
    accounts = sorted(set(ytd.index) | set(annual_targets))
    rows = []
    for acc in accounts:
        so_far = float(ytd.get(acc, 0.0))
        own = shares.loc[acc].to_numpy(dtype="float64") if acc in shares.index else None
        forecast, method = complete_year(so_far, quarter, own if own is not None else company, min_seen_share)
        if method == "seasonal" and own is None:
            method = "company seasonal"
        target = float(annual_targets.get(acc, 0.0))
        rows.append({"account_id": acc, "ytd": so_far, "forecast": forecast, "target": target,
                     "gap": forecast - target, "method": method})
    return pd.DataFrame(rows, columns=["account_id", "ytd", "forecast", "target", "gap", "method"])


# -- plain lists, for the Excel functions ---------------------------------------------------------------------
def forecast_series(values: Sequence[float], season_length: int = 4, horizon: int | None = None,
                    min_seen_share: float = 0.05) -> list[float]:
    """Forecast the next ``horizon`` periods of a seasonal series (e.g. quarterly sales, oldest first).

    The series starts at the first period of a season (Q1). Seasonal shares come from the complete
    seasons in ``values``; the current season's total is completed from its periods so far as in
    ``complete_year`` (or, when the series ends with a complete season, equals the last season's
    total); the forecast periods get that total x their shares, and seasons after the current one
    repeat the same total. ``horizon`` defaults to the rest of the current season (a whole season
    when the last one is complete). Empty input gives zeros.

    >>> [round(x, 6) for x in forecast_series([10, 20, 30, 40, 12, 24])]
    [36.0, 48.0]
    """
    vals = [float(v) for v in values]
    L = int(season_length)
    if L < 1:
        raise ValueError(f"season_length {season_length!r} must be 1 or more")
    n_full, seen = divmod(len(vals), L)
    if horizon is None:
        horizon = L - seen if seen else L
    if horizon < 0:
        raise ValueError(f"horizon {horizon!r} must not be negative")
    seasons = [vals[i * L:(i + 1) * L] for i in range(n_full)]
    totals = np.array([sum(s) for s in seasons], dtype="float64")
    good = [s for s, t in zip(seasons, totals) if t > 0]
    shares = (np.sum(np.array(good), axis=0) / np.sum(totals[totals > 0])) if good else np.full(L, 1.0 / L)
    if seen:
        current = vals[n_full * L:]
        total, _ = _complete(sum(current), seen, shares, min_seen_share, L)
    else:
        total = float(totals[-1]) if n_full else 0.0
    out = []
    pos = seen
    for _ in range(horizon):
        out.append(float(total * shares[pos % L]))
        pos += 1
    return out


def _complete(so_far: float, seen: int, shares, min_seen_share: float, L: int) -> tuple[float, str]:
    s = float(np.sum(shares[:seen]))
    if s >= max(min_seen_share, 1e-12):
        return so_far / s, "seasonal"
    return so_far / seen * L, "run-rate"


def risk_of_series(values: Sequence[float], season_length: int = 4, decline: float = 0.15,
                   trend_periods: int = 3) -> tuple[bool, list[str]]:
    """Is a sales series (oldest first) showing signs of defection? Returns (at risk, reasons).

    * the last period is more than ``decline`` below the same period one season earlier;
    * the moving total of the last ``season_length`` periods fell ``trend_periods`` times in a row
      (each period below the same period a season earlier);
    * sales stopped: the last period is 0 after sales in the season before.

    >>> risk_of_series([100, 100, 100, 100, 90, 80, 70, 60])[0]
    True
    """
    vals = [float(v) for v in values]
    L = int(season_length)
    reasons: list[str] = []
    n = len(vals)
    if n > L:
        last, before = vals[-1], vals[-1 - L]
        if before > 0 and last < before * (1 - decline):
            reasons.append(f"last period {last:,.4g} is {1 - last / before:.0%} below the same period a season "
                           f"earlier ({before:,.4g})")
        if before > 0 and last == 0:
            reasons.append("no sales in the last period")
    if n >= L + trend_periods:
        moving = [sum(vals[i - L + 1:i + 1]) for i in range(L - 1, n)]
        tail = moving[-(trend_periods + 1):]
        if len(tail) == trend_periods + 1 and all(b < a for a, b in zip(tail, tail[1:])):
            reasons.append("moving total fell " + str(trend_periods) + " periods in a row: "
                           + " → ".join(f"{m:,.4g}" for m in tail))
    return bool(reasons), reasons
