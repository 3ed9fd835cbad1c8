"""Pareto / ABC: rank accounts by a measure, shares, cumulative shares, the core and the headline.

The rules, explicitly (the review workbook's formulas follow them):

* **order**: largest value first; equal values by account id, so the ranking never depends on
  the order of the input rows;
* **share** = value / total, where total is the *net* sum over all accounts (negative values
  included), so the shares add up to exactly 100 %.  Cumulative shares run down the ranking; where
  accounts have negative values (net returns, negative margin) the curve passes 100 % and comes
  back to it at the last account.  When the total is zero or negative, shares are not defined:
  they are NaN, no account is core, and the headline says so;
* **core** (the accounts "making up" ``cutoff`` of the total): the accounts from the top down to the
  first one at which the cumulative share reaches the cutoff, *plus every account with the same
  value as that one* (two equal accounts never fall on different sides), and never an account
  whose value is zero or negative.  ABC uses the same rule with its two limits;
* **customers** in the headline are the accounts with a positive value in the period; accounts
  with nothing, or with a net negative value, are counted separately;
* **big**: ``value >= size_threshold`` when a threshold is set (seed 000 counts customers "over
  100 t a year"), otherwise the core.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EPS = 1e-12  # cumulative shares within this of the cutoff count as reaching it


def _reach(cum: np.ndarray, values: np.ndarray, limit: float) -> np.ndarray:
    """Mask of the ranked accounts (in order) within ``limit`` by the tie and positivity rules."""
    n = len(cum)
    inside = np.zeros(n, dtype=bool)
    if n == 0 or not np.isfinite(cum).all():
        return inside
    hit = np.flatnonzero(cum >= limit - EPS)
    k = int(hit[0]) if len(hit) else n - 1
    inside[: k + 1] = True
    inside |= values == values[k]
    return inside & (values > 0)


def pareto(values: pd.Series, cutoff: float = 0.8, abc: tuple[float, float] = (0.8, 0.95),
           threshold: float | None = None) -> pd.DataFrame:
    """Rank ``values`` (index: account ids).  Returns one row per account in rank order with
    account_id, value, rank (1, 2, ...), share, cum_share, core, abc ("A"/"B"/"C") and big."""
    ids = np.asarray(values.index, dtype=object)
    vals = np.nan_to_num(values.to_numpy(dtype="float64"), nan=0.0)
    df = pd.DataFrame({"account_id": ids, "value": vals})
    df = df.sort_values(["value", "account_id"], ascending=[False, True], kind="mergesort", ignore_index=True)
    v = df["value"].to_numpy()
    n = len(df)
    total = float(v.sum()) if n else 0.0
    df.insert(2, "rank", np.arange(1, n + 1))
    if total > 0:
        share = v / total
        cum = np.cumsum(v) / total
    else:
        share = np.full(n, np.nan)
        cum = np.full(n, np.nan)
    df["share"] = share
    df["cum_share"] = cum
    df["core"] = _reach(cum, v, cutoff) if total > 0 else np.zeros(n, dtype=bool)
    a = _reach(cum, v, abc[0]) if total > 0 else np.zeros(n, dtype=bool)
    b = _reach(cum, v, abc[1]) if total > 0 else np.zeros(n, dtype=bool)
    df["abc"] = np.where(a, "A", np.where(b, "B", "C"))
    if threshold is not None:
        df["big"] = (v >= threshold) & (v > 0)
    else:
        df["big"] = df["core"].to_numpy()
    return df


@dataclass(frozen=True)
class Headline:
    """The seed's sentence: "30 of 93 customers (32%) gave 9,416 t of 13,017 t (72%) of volume"."""
    measure: str  # volume, revenue or gross_margin
    unit: str  # "t" for volume, the currency for money
    period: str  # "2026", "2025 Q4 – 2026 Q3"
    n_customers: int  # accounts with a positive value
    n_top: int  # accounts in the group the sentence is about
    top_value: float
    total: float
    by: str  # "threshold" or "cutoff"
    threshold: float | None
    cutoff: float
    n_nothing: int  # accounts with no value in the period
    n_negative: int

    @property
    def defined(self) -> bool:
        return self.total > 0

    @property
    def top_share(self) -> float:
        return self.top_value / self.total if self.total > 0 else float("nan")

    @property
    def customer_share(self) -> float:
        return self.n_top / self.n_customers if self.n_customers else float("nan")

    def _amount(self, x: float) -> str:
        if self.measure == "volume":
            return f"{x:,.0f} {self.unit}".strip()
        return f"{self.unit} {x:,.0f}".strip()

    def sentence(self, language: str = "en") -> str:
        what = {"volume": ("volume", "销量"), "revenue": ("revenue", "销售额"),
                "gross_margin": ("gross margin", "毛利")}[self.measure]
        zh = language == "zh-CN"
        if not self.defined:
            if zh:
                return f"{self.period} 年全部客户的{what[1]}合计为 {self._amount(self.total)}(不为正),无法计算占比。"
            return (f"In {self.period} the accounts' {what[0]} adds up to {self._amount(self.total)}, which is not "
                    "positive, so there are no shares.")
        tail = ""
        if self.n_nothing or self.n_negative:
            parts_en, parts_zh = [], []
            if self.n_nothing:
                parts_en.append(f"{self.n_nothing} without any")
                parts_zh.append(f"{self.n_nothing} 家无{what[1]}")
            if self.n_negative:
                parts_en.append(f"{self.n_negative} with a negative net {what[0]}")
                parts_zh.append(f"{self.n_negative} 家{what[1]}为负")
            tail = (f"(另有 {'、'.join(parts_zh)} 的客户未计入)" if zh
                    else f" (not counted: {' and '.join(parts_en)})")
        if zh:
            if self.by == "threshold":
                lead = (f"{self.period} 年 {self.n_customers} 家客户中,{what[1]}超过 {self._amount(self.threshold)} "
                        f"的有 {self.n_top} 家,占客户总数的 {self.customer_share:.0%}")
            else:
                lead = (f"{self.period} 年 {self.n_customers} 家客户中,前 {self.n_top} 家"
                        f"(占客户总数的 {self.customer_share:.0%})")
            return (f"{lead},合计{what[1]} {self._amount(self.top_value)},占全部 {self._amount(self.total)} 的 "
                    f"{self.top_share:.0%}{tail}。")
        each = f", each over {self._amount(self.threshold)}," if self.by == "threshold" else ""
        return (f"{self.n_top} of {self.n_customers} customers ({self.customer_share:.0%}){each} gave "
                f"{self._amount(self.top_value)} of {self._amount(self.total)} ({self.top_share:.0%}) of {what[0]} "
                f"in {self.period}{tail}.")


def headline(ranked: pd.DataFrame, measure: str, unit: str, period: str, cutoff: float,
             threshold: float | None = None, by: str | None = None) -> Headline:
    """The headline from ``pareto()``'s frame: about the big accounts (threshold) or the core."""
    by = by or ("threshold" if threshold is not None else "cutoff")
    v = ranked["value"].to_numpy()
    group = ranked["big"].to_numpy() if by == "threshold" else ranked["core"].to_numpy()
    return Headline(measure=measure, unit=unit, period=period, n_customers=int((v > 0).sum()),
                    n_top=int(group.sum()), top_value=float(v[group].sum()), total=float(v.sum()), by=by,
                    threshold=threshold if by == "threshold" else None, cutoff=cutoff,
                    n_nothing=int((v == 0).sum()), n_negative=int((v < 0).sum()))
