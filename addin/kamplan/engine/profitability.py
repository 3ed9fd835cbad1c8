"""What each account really earns: figures per account and period, profit per account x product,
and the cumulative profit curve (the "whale curve").

Definitions (the review workbook shows the same):

* **cost to serve** of an account = the sum of its ``cost_to_serve`` rows in the period, plus
  ``visits x cost_per_visit`` when the config sets a cost per visit (for histories whose cost
  to serve leaves visits out).  ``cost_to_serve`` and ``visits`` are account-level figures in
  the history (spread over product rows), so they are summed per account first;
* **profit** = gross margin - cost to serve; **profit margin** = profit / revenue;
* ratios (gross margin rate, cost-to-serve rate, profit margin, visits per million revenue) are
  unknown (NaN) when the account's revenue is zero or negative;
* **per account x product**, the account's cost to serve is split over its product lines in
  proportion to their revenue (or volume: ``profitability.allocation``).  When a line's key is
  negative or the account's key total is not positive, the cost is split evenly over the lines;
* sums are rounded to 6 decimals, so equal totals compare equal whatever the order of the rows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kamplan.periods import Period, quarter_index

FIGURES = ["volume", "revenue", "gross_margin", "cost_to_serve", "visits"]
DECIMALS = 6


class PreparedHistory:
    """The history with account and product ids turned into integer codes, once.

    Sums per period are then ``np.bincount`` over the codes: no string hashing or row copies per
    period, which keeps 12 million rows in seconds.  Every function here takes either a history
    frame (HISTORY_COLUMNS) or a ``PreparedHistory``.
    """

    def __init__(self, history: pd.DataFrame):
        self.n_rows = len(history)
        self.qi = quarter_index(np.asarray(history["year"], dtype="int64"),
                                np.asarray(history["quarter"], dtype="int64"))
        self.acc_codes, acc = pd.factorize(history["account_id"], sort=False)
        self.prod_codes, prod = pd.factorize(history["product_id"], sort=False)
        self.acc_ids = np.asarray(acc, dtype=object)
        self.prod_ids = np.asarray(prod, dtype=object)
        self.figures = {f: np.nan_to_num(np.asarray(history[f], dtype="float64")) for f in FIGURES}

    def mask(self, period: Period) -> np.ndarray:
        return (self.qi >= period.start) & (self.qi <= period.end)

    def sorted_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """Account and product ids in text order."""
        if not hasattr(self, "_sorted"):
            self._sorted = (np.sort(self.acc_ids.astype(str)).astype(object),
                            np.sort(self.prod_ids.astype(str)).astype(object))
        return self._sorted

    def ranks(self) -> tuple[np.ndarray, np.ndarray]:
        """Position of each account code and product code in text order."""
        if not hasattr(self, "_ranks"):
            out = []
            for ids in (self.acc_ids, self.prod_ids):
                order = np.argsort(ids.astype(str), kind="stable")
                rank = np.empty(len(ids), dtype="int64")
                rank[order] = np.arange(len(ids))
                out.append(rank)
            self._ranks = tuple(out)
        return self._ranks


def prepare(history) -> PreparedHistory:
    return history if isinstance(history, PreparedHistory) else PreparedHistory(history)


def in_period(history, period: Period) -> np.ndarray:
    """Mask of the history rows inside ``period``."""
    if isinstance(history, PreparedHistory):
        return history.mask(period)
    qi = quarter_index(np.asarray(history["year"], dtype="int64"), np.asarray(history["quarter"], dtype="int64"))
    return (qi >= period.start) & (qi <= period.end)


def _grouped(codes: np.ndarray, n: int, h: PreparedHistory, mask: np.ndarray) -> tuple[np.ndarray, dict]:
    """Which groups have rows, and every figure summed per group (rounded), for the masked rows."""
    c = codes[mask]
    present = np.bincount(c, minlength=n) > 0
    sums = {f: np.round(np.bincount(c, weights=h.figures[f][mask], minlength=n), DECIMALS) for f in FIGURES}
    return present, sums


def account_sums(history, period: Period) -> pd.DataFrame:
    """Per account with rows in the period (index ``account_id``): the FIGURES summed."""
    h = prepare(history)
    present, sums = _grouped(h.acc_codes, len(h.acc_ids), h, h.mask(period))
    out = pd.DataFrame({f: sums[f][present] for f in FIGURES},
                       index=pd.Index(h.acc_ids[present], dtype=object, name="account_id"))
    return out + 0.0  # no negative zeros


def add_ratios(acc: pd.DataFrame, cost_per_visit: float = 0.0) -> pd.DataFrame:
    """From summed FIGURES: cost to serve with visits, profit and the ratios (a new frame)."""
    out = acc.copy()
    if cost_per_visit:
        out["cost_to_serve"] = (out["cost_to_serve"] + out["visits"] * cost_per_visit).round(DECIMALS)
    out["profit"] = (out["gross_margin"] - out["cost_to_serve"]).round(DECIMALS)
    rev = out["revenue"].to_numpy()
    pos = rev > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, num in (("gross_margin_rate", "gross_margin"), ("cost_to_serve_rate", "cost_to_serve"),
                          ("profit_margin", "profit")):
            out[name] = np.where(pos, out[num].to_numpy() / rev, np.nan)
        out["visits_per_revenue"] = np.where(pos, out["visits"].to_numpy() / rev * 1e6, np.nan)
    return out


def product_lines(history, period: Period, account_cost: pd.Series,
                  allocation: str = "revenue") -> pd.DataFrame:
    """Profit per account x product in the period.

    Columns: account_id, product_id, volume, revenue, gross_margin, key_share (the line's part
    of the account's cost), cost_to_serve (allocated), profit, profit_margin.  Lines with no
    activity at all (every figure zero) are left out.  ``account_cost`` is the account's cost to
    serve (index account_id), as ``add_ratios`` gives it.  Rows are sorted by account, product.
    """
    h = prepare(history)
    mask = h.mask(period)
    n_prod = max(len(h.prod_ids), 1)
    # lines in account id, product id order: codes ranked by the ids' text
    acc_rank, prod_rank = h.ranks()
    combined = acc_rank[h.acc_codes[mask]] * n_prod + prod_rank[h.prod_codes[mask]]
    if len(h.acc_ids) * n_prod <= 20_000_000:
        c, uniq = combined, np.arange(len(h.acc_ids) * n_prod)
    else:
        c, uniq = pd.factorize(combined, sort=True)
        uniq = np.asarray(uniq)
    sums = {f: np.round(np.bincount(c, weights=h.figures[f][mask], minlength=len(uniq)), DECIMALS)
            for f in FIGURES}
    active = np.zeros(len(uniq), dtype=bool)
    for f in FIGURES:
        active |= sums[f] != 0
    uniq = uniq[active]
    acc_sorted, prod_sorted = h.sorted_ids()
    lines = pd.DataFrame({"account_id": acc_sorted[uniq // n_prod], "product_id": prod_sorted[uniq % n_prod],
                          **{f: sums[f][active] for f in FIGURES}})
    key = lines[allocation].to_numpy(dtype="float64")
    acct = lines["account_id"].to_numpy(dtype=object)
    codes, accs = pd.factorize(acct)
    total = np.bincount(codes, weights=key, minlength=len(accs))
    n = np.bincount(codes, minlength=len(accs)).astype("float64")
    negative = np.bincount(codes, weights=(key < 0).astype("float64"), minlength=len(accs)) > 0
    even = (total <= 0) | negative
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(even[codes], 1.0 / n[codes], key / total[codes])
    cost = account_cost.reindex(np.asarray(accs, dtype=object)).fillna(0.0).to_numpy(dtype="float64")
    lines["key_share"] = share
    lines["cost_to_serve"] = cost[codes] * share
    lines["profit"] = lines["gross_margin"] - lines["cost_to_serve"]
    rev = lines["revenue"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        lines["profit_margin"] = np.where(rev > 0, lines["profit"].to_numpy() / rev, np.nan)
    return lines[["account_id", "product_id", "volume", "revenue", "gross_margin", "key_share", "cost_to_serve",
                  "profit", "profit_margin"]]


@dataclass(frozen=True)
class WhaleSummary:
    """The shape of the cumulative profit curve."""
    n_accounts: int
    total_profit: float
    peak_share: float  # highest cumulative share of total profit (can exceed 1); NaN if total <= 0
    peak_accounts: int  # accounts up to the peak (the ones that earn money)
    n_losing: int
    loss: float  # sum of the negative profits (<= 0)

    @property
    def defined(self) -> bool:
        return self.total_profit > 0

    def sentence(self, language: str = "en", currency: str = "") -> str:
        cur = f"{currency} " if currency else ""
        if not self.defined:
            if language == "zh-CN":
                return f"全部客户合计利润为 {cur}{self.total_profit:,.0f}(不为正),无法计算利润曲线的百分比。"
            return (f"All accounts together earn {cur}{self.total_profit:,.0f} (not positive), so the profit curve "
                    "has no percentages.")
        if language == "zh-CN":
            text = (f"前 {self.peak_accounts} 家客户贡献了全部利润的 {self.peak_share:.0%}"
                    f"({self.n_accounts} 家客户合计 {cur}{self.total_profit:,.0f})")
            if self.n_losing:
                text += f";其余 {self.n_losing} 家亏损客户共亏损 {cur}{-self.loss:,.0f}"
            return text + "。"
        text = (f"The top {self.peak_accounts} accounts earn {self.peak_share:.0%} of total profit "
                f"({cur}{self.total_profit:,.0f} from {self.n_accounts} accounts)")
        if self.n_losing:
            text += f"; the {self.n_losing} loss-making accounts lose {cur}{-self.loss:,.0f}"
        return text + "."


def whale_curve(profit: pd.Series) -> tuple[pd.DataFrame, WhaleSummary]:
    """Accounts by profit, largest first (ties by account id), with the cumulative curve.

    Columns: account_id, profit_rank (1 = earns most), profit, cum_profit, cum_profit_share
    (of the net total; above 1 where the tail loses money; NaN when the total is not positive)
    and cum_account_share.
    """
    df = pd.DataFrame({"account_id": np.asarray(profit.index, dtype=object),
                       "profit": profit.to_numpy(dtype="float64")})
    df = df.sort_values(["profit", "account_id"], ascending=[False, True], kind="mergesort", ignore_index=True)
    n = len(df)
    df.insert(1, "profit_rank", np.arange(1, n + 1))
    cum = np.cumsum(df["profit"].to_numpy())
    total = float(df["profit"].sum()) if n else 0.0
    df["cum_profit"] = cum
    df["cum_profit_share"] = cum / total if total > 0 else np.nan
    df["cum_account_share"] = np.arange(1, n + 1) / n if n else []
    losing = df["profit"] < 0
    if total > 0 and n:
        k = int(np.argmax(cum))
        peak_share, peak_n = float(cum[k] / total), k + 1
    else:
        peak_share, peak_n = math.nan, 0
    summary = WhaleSummary(n, total, peak_share, peak_n, int(losing.sum()), float(df.loc[losing, "profit"].sum()))
    return df, summary
